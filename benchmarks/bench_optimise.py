"""Benchmark of the sizing optimiser against a plain PyPSA build of the same problem.

Run from the repository root::

    python benchmarks/bench_optimise.py                    # one site, one year + 3-site runs
    python benchmarks/bench_optimise.py --skip-multi-site  # only the one-site comparison
    python benchmarks/bench_optimise.py --exact-4-years    # also the 4-year 3-site exact solve
    python benchmarks/bench_optimise.py --skip-multi-site --repeat 3  # part 1, best of 3

Part 1 (one site, 8,760 h, ``scenarios/single_site_sizing.yaml``), measured side by
side in one run:

* baseline: the problem written as a reader of the PyPSA documentation would
  (buses, generators, links for import/export and battery charge/discharge,
  stores), ``n.optimize(solver_name="highs")`` with default settings;
* exact mode: ``optimise(mode="exact")`` - must reach the baseline's objective
  within 1e-6 (relative) in less time;
* fast mode: ``optimise(mode="fast")`` - at least 10x faster than the baseline
  with the objective within 1 % of exact; its capacities re-simulated over the
  full year with the numba dispatch.

Part 2: the 3-site default scenario (``scenarios/lausitz_2030.yaml``) with 1 and
4 weather years, fast mode (and exact mode for 1 year; 4 years with
``--exact-4-years``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pypsa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nzv_energy.scenario import CapacityRange, Scenario  # noqa: E402
from nzv_energy.scenario_file import load_scenario  # noqa: E402
from nzv_energy.sizing import optimise  # noqa: E402
from nzv_energy.sizing.costs import technology_costs  # noqa: E402
from nzv_energy.sizing.resimulate import resimulate  # noqa: E402
from nzv_energy.system import SystemInputs, build_inputs  # noqa: E402


def _nom(value: object, attr: str = "p", scale: float = 1.0) -> dict[str, object]:
    if isinstance(value, CapacityRange):
        return {f"{attr}_nom_extendable": True, f"{attr}_nom_min": value.min * scale,
                f"{attr}_nom_max": value.max * scale}
    return {f"{attr}_nom": float(value) * scale}  # type: ignore[arg-type]


def plain_pypsa(scenario: Scenario, inputs: SystemInputs) -> tuple[pypsa.Network, float, float]:
    """The sizing problem built plainly with PyPSA and solved with default HiGHS settings.

    Written independently of ``nzv_energy.sizing`` from the scenario and its inputs.
    Returns the solved network, build seconds and solve seconds.
    """
    t0 = time.perf_counter()
    tech = scenario.technology
    costs = technology_costs(scenario)
    sn = pd.DatetimeIndex(inputs.time)
    n = pypsa.Network()
    n.set_snapshots(sn)
    n.snapshot_weightings["objective"] = 1.0 / len(inputs.years)
    n.add("Bus", ["H2 demand", "grid"])
    n.add("Load", "H2 demand", bus="H2 demand", p_set=pd.Series(inputs.hydrogen_demand_mw, sn))
    n.add("Generator", "market", bus="grid", p_nom=1e6, p_min_pu=-1)
    price = pd.Series(inputs.price_eur_per_mwh, sn)
    eff_b = tech.battery.round_trip_efficiency**0.5
    ties = []
    gas_limits: list[tuple[str, float]] = []
    for i, (name, site) in enumerate(scenario.sites.items()):
        el, h2, bat = f"{name} AC", f"{name} H2", f"{name} battery"
        n.add("Bus", [el, h2, bat])
        n.add("Generator", f"{name} wind", bus=el, p_max_pu=pd.Series(inputs.wind_cf[i], sn),
              capital_cost=costs.wind_eur_per_mw_year, marginal_cost=tech.wind.vom_eur_per_mwh,
              **_nom(site.wind_mw))
        n.add("Generator", f"{name} pv", bus=el, p_max_pu=pd.Series(inputs.pv_cf[i], sn),
              capital_cost=costs.pv_eur_per_mw_year, marginal_cost=tech.pv.vom_eur_per_mwh,
              **_nom(site.pv_mw))
        # gas backup serves only the site's own load (the model's rule): a p_max_pu when the
        # rating is fixed, a constraint on the dispatch when it is sized
        gas_pu = 1.0
        if isinstance(site.gas_backup_mw, CapacityRange):
            gas_limits.append((f"{name} gas", site.local_demand_mw))
        elif site.gas_backup_mw > 0:
            gas_pu = min(1.0, site.local_demand_mw / site.gas_backup_mw)
        n.add("Generator", f"{name} gas", bus=el, capital_cost=costs.gas_backup_eur_per_mw_year,
              marginal_cost=costs.gas_backup_eur_per_mwh_el, p_max_pu=gas_pu,
              **_nom(site.gas_backup_mw))
        n.add("Link", f"{name} electrolysis", bus0=el, bus1=h2,
              efficiency=tech.electrolysis.efficiency,
              capital_cost=costs.electrolysis_eur_per_mw_year, **_nom(site.electrolysis_mw))
        pipe = site.pipeline_mw if site.pipeline_mw is not None else CapacityRange(
            min=0, max=float(inputs.hydrogen_demand_mw.max()))
        n.add("Link", f"{name} pipeline", bus0=h2, bus1="H2 demand",
              capital_cost=costs.pipeline_eur_per_mw_km_year * inputs.pipeline_km[i],
              **_nom(pipe))
        n.add("Store", f"{name} H2 store", bus=h2, e_cyclic=True,
              capital_cost=costs.hydrogen_storage_eur_per_mwh_year,
              **_nom(scenario.hydrogen.storage_mwh.get(name, 0.0), "e"))
        n.add("Store", f"{name} battery", bus=bat, e_cyclic=True,
              capital_cost=costs.battery_energy_eur_per_mwh_year, **_nom(site.battery_mwh, "e"))
        n.add("Link", f"{name} charger", bus0=el, bus1=bat, efficiency=eff_b,
              capital_cost=costs.battery_power_eur_per_mw_year, **_nom(site.battery_mw))
        n.add("Link", f"{name} discharger", bus0=bat, bus1=el, efficiency=eff_b,
              **_nom(site.battery_mw, scale=1 / eff_b))
        if isinstance(site.battery_mw, CapacityRange):
            ties.append((f"{name} charger", f"{name} discharger", eff_b))
        n.add("Link", f"{name} export", bus0=el, bus1="grid", p_nom=site.grid_connection_mw,
              marginal_cost=-price)
        n.add("Link", f"{name} import", bus0="grid", bus1=el, p_nom=site.grid_connection_mw,
              marginal_cost=price, p_max_pu=1.0 if scenario.operation.grid_import else 0.0)
        if site.local_demand_mw > 0:
            n.add("Load", f"{name} load", bus=el, p_set=site.local_demand_mw)

    def extra(n: pypsa.Network, snapshots: object) -> None:
        p_nom = n.model.variables["Link-p_nom"]
        for ch, dis, eff in ties:
            n.model.add_constraints(p_nom.sel(name=dis) * eff == p_nom.sel(name=ch),
                                    name=f"tie {ch}")
        for gen, local in gas_limits:
            n.model.add_constraints(n.model.variables["Generator-p"].sel(name=gen) <= local,
                                    name=f"gas local load {gen}")

    t1 = time.perf_counter()
    n.optimize(solver_name="highs", extra_functionality=extra if ties or gas_limits else None,
               log_to_console=False)
    t2 = time.perf_counter()
    return n, t1 - t0, t2 - t1


def _one_year(inputs: SystemInputs) -> SystemInputs:
    return inputs.select_year(inputs.years[0])


def _best(times: list[float]) -> str:
    return f"{min(times):7.2f} s (runs: {', '.join(f'{t:.1f}' for t in times)})"


def part_one(path: Path, repeat: int) -> None:
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, path.parent)
    inputs = _one_year(inputs)
    print(f"## one site, {len(inputs.time):,} h: {path.name}; best of {repeat} interleaved runs; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    # warm-up (imports, numba compile) outside the timings
    optimise(scenario, inputs, mode="fast")
    fast_specs = (("adaptive", scenario.optimisation.segment_hours), ("adaptive", 4),
                  ("blocks", 3))
    base_t: list[float] = []
    exact_t: list[float] = []
    fast_t: dict[tuple[str, int], list[float]] = {spec: [] for spec in fast_specs}
    fast_r = {}
    for _ in range(repeat):
        n, build_s, solve_s = plain_pypsa(scenario, inputs)
        base_t.append(build_s + solve_s)
        base_obj = float(n.objective)
        t = time.perf_counter()
        exact = optimise(scenario, inputs, mode="exact")
        exact_t.append(time.perf_counter() - t)
        for aggregation, hours in fast_specs:
            t = time.perf_counter()
            fast_r[(aggregation, hours)] = optimise(
                scenario, inputs, mode="fast", aggregation=aggregation, segment_hours=hours)
            fast_t[(aggregation, hours)].append(time.perf_counter() - t)
    base_s = min(base_t)
    print(f"baseline plain PyPSA + HiGHS defaults:  {_best(base_t)}, objective "
          f"{base_obj:,.2f} EUR/a")
    rel = abs(exact.objective_eur_per_year - base_obj) / abs(base_obj)
    print(f"exact mode:                             {_best(exact_t)}  speed-up "
          f"{base_s / min(exact_t):5.2f}x  objective rel. diff to baseline {rel:.1e}  "
          f"(stages {_stages(exact)})")
    for (aggregation, hours), times in fast_t.items():
        fast = fast_r[(aggregation, hours)]
        err = (fast.objective_eur_per_year - exact.objective_eur_per_year) / abs(
            exact.objective_eur_per_year)
        table, _ = resimulate(fast.scenario, inputs)
        share = float(table.loc[str(inputs.years[0]), "demand_met_share"])
        print(f"fast mode ({aggregation}, {hours} h):      {_best(times)}  speed-up "
              f"{base_s / min(times):5.1f}x  objective vs exact {err:+.2%}  kernel "
              f"re-simulation (full year) meets {share:.1%} of demand")
    table, _ = resimulate(exact.scenario, inputs)
    share = float(table.loc[str(inputs.years[0]), "demand_met_share"])
    print(f"exact-mode capacities, kernel re-simulation meets {share:.1%} of demand; "
          f"load average after: {os.getloadavg()[0]:.1f}")


def _stages(result: object) -> str:
    timings = result.timings_s  # type: ignore[attr-defined]
    return ", ".join(f"{k} {v:.2f}" for k, v in timings.items() if k != "total" and v >= 0.01)


def part_two(path: Path, exact_4_years: bool) -> None:
    base = load_scenario(path)
    for years in ((2019,), (2017, 2018, 2019, 2020)):
        scenario = base.model_copy(
            update={"weather": base.weather.model_copy(update={"years": years})})
        inputs = build_inputs(scenario, path.parent)
        modes = ["fast"] + (["exact"] if len(years) == 1 or exact_4_years else [])
        for mode in modes:
            t = time.perf_counter()
            r = optimise(scenario, inputs, mode=mode)
            el = time.perf_counter() - t
            table, _ = resimulate(r.scenario, inputs)
            shares = ", ".join(f"{y} {table.loc[str(y), 'demand_met_share']:.1%}" for y in years)
            print(f"3 sites, {len(years)} year(s), {mode:5s}: {el:7.2f} s "
                  f"({len(inputs.time):,} h -> {int(r.kpis['n_snapshots']):,} snapshots), "
                  f"objective {r.objective_eur_per_year:,.0f} EUR/a, system net cost "
                  f"{r.system_net_cost_per_kg_h2_eur_per_kg:.2f} EUR/kg H2; "
                  f"kernel re-simulation: {shares}; "
                  f"P90 {table.loc['P90', 'demand_met_share']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios/single_site_sizing.yaml")
    parser.add_argument("--multi-site", type=Path, default=ROOT / "scenarios/lausitz_2030.yaml")
    parser.add_argument("--skip-multi-site", action="store_true")
    parser.add_argument("--skip-one-site", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved runs of part 1")
    parser.add_argument("--exact-4-years", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore", FutureWarning)
    for name in ("pypsa", "linopy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    np.set_printoptions(precision=3)
    if not args.skip_one_site:
        part_one(args.scenario, args.repeat)
    if not args.skip_multi_site:
        part_two(args.multi_site, args.exact_4_years)


if __name__ == "__main__":
    main()
