"""Benchmark of the sizing optimiser against a plain PyPSA build of the same problem.

Run from the repository root::

    python benchmarks/bench_optimise.py                    # one site, one year + 3-site runs
    python benchmarks/bench_optimise.py --skip-multi-site  # only the one-site comparison
    python benchmarks/bench_optimise.py --exact-4-years    # also the 4-year 3-site exact solve
    python benchmarks/bench_optimise.py --skip-one-site --one-year --baseline-3-site
    python benchmarks/bench_optimise.py --skip-multi-site --repeat 3  # part 1, best of 3
    python benchmarks/bench_optimise.py --solver-choices one-site    # HiGHS choices, exact LP
    python benchmarks/bench_optimise.py --solver-choices 3-site --time-limit 900
    python benchmarks/bench_optimise.py --decomposition 672   # by year vs monolithic

Part 1 (one site, 8,760 h, ``scenarios/single_site_sizing.yaml``), measured side by
side in one run:

* baseline: the problem written as a reader of the PyPSA documentation would
  (buses, generators, links for import/export and battery charge/discharge,
  stores), ``n.optimize(solver_name="highs")`` with default settings;
* exact mode: ``optimise(mode="exact")`` - must reach the baseline's objective
  within 1e-9 (relative) in less time (one year: the decomposition by weather year of
  ``exact_method: auto``), next to the same sizing as one hourly LP
  (``exact_method: monolithic``);
* fast mode: ``optimise(mode="fast")`` - at least 10x faster than the baseline
  with the objective within 1 % of exact; its capacities re-simulated over the
  full year with the numba dispatch.  Timed without and with its error estimate
  (the fast capacities operated on the hourly LP, capacities fixed); the estimate's
  gap is printed next to the true gap to the exact objective.

Part 2: the 3-site default scenario (``scenarios/lausitz_2030.yaml``) with 1 and
4 weather years, fast mode (and exact mode for 1 year; 4 years with
``--exact-4-years``).  The 3-site problems leave the district heat out (the
electricity and hydrogen LP the earlier figures measured) unless ``--with-heat``.

``--solver-choices one-site|3-site``: the exact-mode LP of the one-site or the
3-site scenario (first weather year) built once and solved with each HiGHS
choice (dual simplex with its pricing variants, primal simplex, IPX with and
without crossover, PDLP, HiPO where the installed HiGHS has it), rounds
interleaved; times, iterations, objective difference and ratio to the default.

``--decomposition HOURS``: the 3-site scenario over 2017-2020, each year cut to
HOURS hours, solved as one LP and by the exact mode's decomposition by weather
year (:mod:`nzv_energy.sizing.decompose`: level bundle cut loop, years in
parallel), started from the fast segments and from the middle of the ranges,
and on one thread: iterations, time, gap and objective difference.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pypsa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nzv_energy.scenario import CapacityRange, Scenario  # noqa: E402
from nzv_energy.scenario_file import load_scenario  # noqa: E402
from nzv_energy.sizing import optimise  # noqa: E402
from nzv_energy.sizing.aggregation import Method  # noqa: E402
from nzv_energy.sizing.costs import technology_costs  # noqa: E402
from nzv_energy.sizing.lp import build_direct_model  # noqa: E402
from nzv_energy.sizing.network import plan_network  # noqa: E402
from nzv_energy.sizing.optimise import Mode  # noqa: E402
from nzv_energy.sizing.resimulate import resimulate  # noqa: E402
from nzv_energy.system import SystemInputs, build_inputs  # noqa: E402


def _nom(value: object, attr: str = "p", scale: float = 1.0) -> dict[str, Any]:
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


def _fixed_capital(n: pypsa.Network) -> float:
    """Capital cost of the network's non-extendable components, EUR/a."""
    total = 0.0
    for df, attr in ((n.generators, "p"), (n.links, "p"), (n.stores, "e")):
        fixed = df[~df[f"{attr}_nom_extendable"]]
        total += float((fixed["capital_cost"] * fixed[f"{attr}_nom"]).sum())
    return total


def _objective(n: pypsa.Network, scenario: Scenario) -> float:
    """The baseline's objective as the model counts it, EUR/a.

    ``n.objective`` leaves out the capital of fixed components; the model counts it
    when ``economics.fixed_assets`` is ``annualised``.
    """
    assert n.objective is not None
    fixed = _fixed_capital(n) if scenario.economics.fixed_assets == "annualised" else 0.0
    return float(n.objective) + fixed


#: ``--with-heat``: keep the multi-site scenario's district heat.
WITH_HEAT = False


def _multi_site(path: Path) -> Scenario:
    """A scenario of part 2 or the solver choices, without district heat unless ``--with-heat``."""
    scenario = load_scenario(path)
    return scenario if WITH_HEAT else scenario.model_copy(update={"heat": None})


def _one_year(inputs: SystemInputs) -> SystemInputs:
    return inputs.select_year(inputs.years[0])


def _best(times: list[float]) -> str:
    return f"{min(times):7.2f} s (runs: {', '.join(f'{t:.1f}' for t in times)})"


def part_one(path: Path, repeat: int) -> None:
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, path.parent)
    inputs = _one_year(inputs)
    mono_scenario = scenario.model_copy(update={"optimisation": scenario.optimisation.model_copy(
        update={"exact_method": "monolithic"})})
    mono_inputs = dataclasses.replace(inputs, scenario=mono_scenario)
    print(f"## one site, {len(inputs.time):,} h: {path.name}; best of {repeat} interleaved runs; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    # warm-up (imports, numba compile) outside the timings
    optimise(scenario, inputs, mode="fast", error_estimate="none")
    fast_specs: tuple[tuple[Method, int], ...] = (
        ("adaptive", scenario.optimisation.segment_hours), ("adaptive", 4), ("blocks", 3))
    base_t: list[float] = []
    exact_t: list[float] = []
    mono_t: list[float] = []
    fast_t: dict[tuple[Method, int], list[float]] = {spec: [] for spec in fast_specs}
    fast_r = {}
    estimate_t: list[float] = []
    estimate_only_t: list[float] = []
    bound_only_t: list[float] = []
    estimated = bounded = None
    for _ in range(repeat):
        n, build_s, solve_s = plain_pypsa(scenario, inputs)
        base_t.append(build_s + solve_s)
        base_obj = _objective(n, scenario)
        t = time.perf_counter()
        exact = optimise(scenario, inputs, mode="exact")
        exact_t.append(time.perf_counter() - t)
        # the same exact sizing as one hourly LP (exact_method: monolithic)
        t = time.perf_counter()
        mono = optimise(mono_scenario, mono_inputs, mode="exact")
        mono_t.append(time.perf_counter() - t)
        for aggregation, hours in fast_specs:
            t = time.perf_counter()
            fast_r[(aggregation, hours)] = optimise(
                scenario, inputs, mode="fast", aggregation=aggregation, segment_hours=hours,
                error_estimate="none")
            fast_t[(aggregation, hours)].append(time.perf_counter() - t)
        t = time.perf_counter()
        estimated = optimise(scenario, inputs, mode="fast", error_estimate="operate")
        estimate_t.append(time.perf_counter() - t)
        estimate_only_t.append(estimated.timings_s["error_estimate"])
        bounded = optimise(scenario, inputs, mode="fast", error_estimate="bound")
        bound_only_t.append(bounded.timings_s["error_estimate"])
    base_s = min(base_t)
    print(f"baseline plain PyPSA + HiGHS defaults:  {_best(base_t)}, objective "
          f"{base_obj:,.2f} EUR/a")
    rel = abs(exact.objective_eur_per_year - base_obj) / abs(base_obj)
    print(f"exact mode:                             {_best(exact_t)}  speed-up "
          f"{base_s / min(exact_t):5.2f}x  objective rel. diff to baseline {rel:.1e}  "
          f"(stages {_stages(exact)})")
    if "exact_relative_gap" in exact.kpis:  # exact_method auto: the decomposition ran
        print(f"  by decomposition (one LP per weather year in a cut loop): "
              f"{int(exact.kpis['exact_decomposition_iterations'])} iterations, gap "
              f"{exact.kpis['exact_relative_gap']:.1e}")
    else:
        print(f"  as one hourly LP: build + solve "
              f"{exact.timings_s['build_model'] + exact.timings_s['solve']:.2f} s")
    rel_mono = abs(mono.objective_eur_per_year - base_obj) / abs(base_obj)
    print(f"exact mode as one LP (monolithic):      {_best(mono_t)}  speed-up "
          f"{base_s / min(mono_t):5.2f}x  objective rel. diff to baseline {rel_mono:.1e}")
    for (aggregation, hours), times in fast_t.items():
        fast = fast_r[(aggregation, hours)]
        err = (fast.objective_eur_per_year - exact.objective_eur_per_year) / abs(
            exact.objective_eur_per_year)
        table, _ = resimulate(fast.scenario, inputs)
        share = float(table.loc[str(inputs.years[0]), "demand_met_share"])
        print(f"fast mode ({aggregation}, {hours} h):      {_best(times)}  speed-up "
              f"{base_s / min(times):5.1f}x  objective vs exact {err:+.2%}  kernel "
              f"re-simulation (full year) meets {share:.1%} of demand")
    assert estimated is not None and bounded is not None
    k = estimated.kpis
    hourly = k["fast_mode_hourly_cost_eur_per_year"]
    true_gap = (estimated.objective_eur_per_year - exact.objective_eur_per_year) / abs(
        exact.objective_eur_per_year)
    print(f"fast mode (default) + error estimate:   {_best(estimate_t)}  speed-up "
          f"{base_s / min(estimate_t):5.1f}x  the estimate alone {_best(estimate_only_t)} "
          f"({min(estimate_only_t) / min(fast_t[fast_specs[0]]):.0%} of the fast sizing)")
    print(f"  estimated gap (fast objective vs its capacities operated hour by hour) "
          f"{k['fast_mode_cost_gap_fraction']:+.3%}, hydrogen unserved hour by hour "
          f"{k['fast_mode_hourly_unserved_share']:.4%}; true gap to exact {true_gap:+.3%}; "
          f"hourly cost vs exact {hourly / exact.objective_eur_per_year - 1:+.3%}")
    kb = bounded.kpis
    print(f"  with fast_mode_error_estimate: bound (capacities enlarged where short: "
          f"{kb['fast_mode_capacities_repaired']:.0f}): the estimate alone "
          f"{_best(bound_only_t)}; gap {kb['fast_mode_cost_gap_fraction']:+.3%}; the "
          f"bound vs exact "
          f"{kb['fast_mode_hourly_cost_eur_per_year'] / exact.objective_eur_per_year - 1:+.4%}")
    table, _ = resimulate(exact.scenario, inputs)
    share = float(table.loc[str(inputs.years[0]), "demand_met_share"])
    print(f"exact-mode capacities, kernel re-simulation meets {share:.1%} of demand; "
          f"load average after: {os.getloadavg()[0]:.1f}")


def _stages(result: object) -> str:
    timings = result.timings_s  # type: ignore[attr-defined]
    return ", ".join(f"{k} {v:.2f}" for k, v in timings.items() if k != "total" and v >= 0.01)


def part_two(path: Path, exact_4_years: bool, baseline: bool = False,
             one_year_only: bool = False) -> None:
    base = _multi_site(path)
    print(f"## 3 sites: {path.name}; load average before: {os.getloadavg()[0]:.1f}")
    for years in ((2019,),) if one_year_only else ((2019,), (2017, 2018, 2019, 2020)):
        scenario = base.model_copy(
            update={"weather": base.weather.model_copy(update={"years": years})})
        inputs = build_inputs(scenario, path.parent)
        base_s = base_obj = None
        if baseline and len(years) == 1:
            n, build_s, solve_s = plain_pypsa(scenario, inputs)
            base_s = build_s + solve_s
            base_obj = _objective(n, scenario)
            print(f"3 sites, 1 year, baseline plain PyPSA + HiGHS defaults: {base_s:7.2f} s, "
                  f"objective {base_obj:,.2f} EUR/a")
        modes: list[Mode] = ["fast"]
        if len(years) == 1 or exact_4_years:
            modes.append("exact")
        for mode in modes:
            t = time.perf_counter()
            r = optimise(scenario, inputs, mode=mode)
            el = time.perf_counter() - t
            if base_s is not None and base_obj is not None:
                print(f"3 sites, 1 year, {mode}: {base_s / el:5.1f}x the baseline, objective "
                      f"vs baseline {r.objective_eur_per_year / base_obj - 1:+.1e}")
            if mode == "fast":
                fast_objective = r.objective_eur_per_year
                print(f"3 sites, {len(years)} year(s), fast error estimate: "
                      f"{r.timings_s.get('error_estimate', float('nan')):.1f} s of the "
                      f"{el:.1f} s; gap {r.kpis['fast_mode_cost_gap_fraction']:+.3%}, "
                      f"unserved hour by hour {r.kpis['fast_mode_hourly_unserved_share']:.4%}")
            else:
                print(f"3 sites, {len(years)} year(s): fast objective vs exact "
                      f"{fast_objective / r.objective_eur_per_year - 1:+.3%}")
                if "exact_relative_gap" in r.kpis:  # exact_method auto: by weather year
                    print(f"3 sites, {len(years)} year(s), exact by weather year: "
                          f"{int(r.kpis['exact_decomposition_iterations'])} iterations, "
                          f"gap {r.kpis['exact_relative_gap']:.1e}, sizing "
                          f"{r.timings_s['solve']:.1f} s; load average {os.getloadavg()[0]:.1f}")
                if len(years) == 1:  # the same sizing on whole years, side by side
                    from nzv_energy.sizing.decompose import solve_by_weather_year

                    t = time.perf_counter()
                    *_, dec = solve_by_weather_year(inputs, blocks=1)
                    whole_s = time.perf_counter() - t
                    print(f"3 sites, 1 year, exact on whole years instead of blocks: "
                          f"{whole_s:.1f} s ({whole_s / el:.2f}x the exact mode's {el:.1f} s), "
                          f"{dec.iterations} iterations, objective "
                          f"{dec.upper_bound_eur_per_year:,.2f} vs "
                          f"{r.objective_eur_per_year:,.2f} EUR/a")
            table, _ = resimulate(r.scenario, inputs)
            shares = ", ".join(f"{y} {table.loc[str(y), 'demand_met_share']:.1%}" for y in years)
            print(f"3 sites, {len(years)} year(s), {mode:5s}: {el:7.2f} s "
                  f"({len(inputs.time):,} h -> {int(r.kpis['n_snapshots']):,} snapshots), "
                  f"objective {r.objective_eur_per_year:,.0f} EUR/a, system net cost "
                  f"{r.system_net_cost_per_kg_h2_eur_per_kg:.2f} EUR/kg H2; "
                  f"kernel re-simulation: {shares}; "
                  f"P90 {table.loc['P90', 'demand_met_share']:.1%}")


#: HiGHS choices compared on the exact LP (name, options).
SOLVER_CHOICES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("dual simplex, defaults", {}),
    ("dual simplex, Devex pricing", {"simplex_dual_edge_weight_strategy": 1}),
    ("dual simplex, parallel (PAMI)", {"simplex_strategy": 2, "parallel": "on"}),
    ("primal simplex", {"simplex_strategy": 4}),
    ("IPX + crossover", {"solver": "ipx", "run_crossover": "on"}),
    ("IPX, no crossover", {"solver": "ipx", "run_crossover": "off"}),
    ("PDLP", {"solver": "pdlp"}),
    ("HiPO", {"solver": "hipo"}),
)


def solver_choices(path: Path, repeat: int, time_limit_s: float) -> None:
    """The exact LP solved with each HiGHS choice, rounds interleaved."""
    import highspy

    scenario = _multi_site(path)  # the one-site scenarios have no heat either
    inputs = _one_year(build_inputs(scenario, path.parent))
    sn = plan_network(inputs)
    lp = build_direct_model(sn).lp
    print(f"## HiGHS choices on the exact LP of {path.name} ({lp.num_col_:,} columns, "
          f"{lp.num_row_:,} rows); {repeat} interleaved round(s), limit {time_limit_s:.0f} s; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    times: dict[str, list[float]] = {name: [] for name, _ in SOLVER_CHOICES}
    result: dict[str, tuple[str, float, int, int]] = {}
    for _ in range(repeat):
        for name, options in SOLVER_CHOICES:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            if any(h.setOptionValue(k, v) != highspy.HighsStatus.kOk
                   for k, v in {**options, "time_limit": time_limit_s}.items()):
                result[name] = ("not available in this HiGHS build", float("nan"), 0, 0)
                continue
            h.passModel(lp)
            t = time.perf_counter()
            h.run()
            times[name].append(time.perf_counter() - t)
            info = h.getInfo()
            result[name] = (h.modelStatusToString(h.getModelStatus()),
                            float(info.objective_function_value),
                            int(info.simplex_iteration_count), int(info.ipm_iteration_count))
    ref = result[SOLVER_CHOICES[0][0]][1]
    ref_t = min(times[SOLVER_CHOICES[0][0]])
    for name, _ in SOLVER_CHOICES:
        status, obj, simplex, ipm = result[name]
        if not times[name]:
            print(f"{name:32s} {status}")
            continue
        print(f"{name:32s} {_best(times[name])}  {ref_t / min(times[name]):5.2f}x default  "
              f"{status}, objective rel. diff {abs(obj - ref) / abs(ref):.1e}, "
              f"{simplex:,} simplex / {ipm} IPM iterations")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def decomposition(path: Path, hours: int) -> None:
    """Monolithic LP vs the Benders loop on the 3-site scenario, 4 years cut to ``hours``."""
    import dataclasses as dc

    from nzv_energy.sizing.decompose import solve_by_weather_year
    from nzv_energy.sizing.solve import EXACT_OPTIONS, solve_direct
    from nzv_energy.sizing.testing import sliced_inputs

    base = _multi_site(path)
    years = (2017, 2018, 2019, 2020)
    scenario = base.model_copy(
        update={"weather": base.weather.model_copy(update={"years": years})})
    full = build_inputs(scenario, path.parent)
    parts = [sliced_inputs(full.select_year(y), hours, start=24 * 30) for y in years]
    inputs = dc.replace(
        full, time=pd.DatetimeIndex(np.concatenate([np.asarray(p.time) for p in parts])),
        wind_cf=np.concatenate([p.wind_cf for p in parts], axis=1),
        pv_cf=np.concatenate([p.pv_cf for p in parts], axis=1),
        price_eur_per_mwh=np.concatenate([p.price_eur_per_mwh for p in parts]),
        hydrogen_demand_mw=np.concatenate([p.hydrogen_demand_mw for p in parts]))
    print(f"## decomposition by weather year: {path.name}, {len(years)} years x {hours} h; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    sn = plan_network(inputs)
    t = time.perf_counter()
    _, lps = solve_direct(sn, build_direct_model(sn), options=dict(EXACT_OPTIONS))
    mono_s = time.perf_counter() - t
    print(f"monolithic LP: {mono_s:7.1f} s, objective {lps.objective:,.2f} EUR/a; "
          f"load average {os.getloadavg()[0]:.1f}")
    starts: tuple[tuple[Literal["segments", "middle"], int], ...] = (
        ("segments", 2), ("middle", 2), ("segments", 1))
    for start, threads in starts:
        t = time.perf_counter()
        _, _, dec_lps, dec = solve_by_weather_year(inputs, start=start, threads=threads)
        dec_s = time.perf_counter() - t
        print(f"decomposition (start {start}, {threads} thread(s)): {dec_s:7.1f} s "
              f"({mono_s / dec_s:.2f}x), {dec.start_iterations} + {dec.iterations} "
              f"iterations, {dec.year_solves} year LPs, gap {dec.relative_gap:.1e}, "
              f"rel. diff to monolithic "
              f"{abs(dec_lps.objective - lps.objective) / abs(lps.objective):.1e}; "
              f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios/single_site_sizing.yaml")
    parser.add_argument("--multi-site", type=Path, default=ROOT / "scenarios/lausitz_2030.yaml")
    parser.add_argument("--skip-multi-site", action="store_true")
    parser.add_argument("--skip-one-site", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved runs of part 1")
    parser.add_argument("--exact-4-years", action="store_true")
    parser.add_argument("--baseline-3-site", action="store_true",
                        help="part 2: also the plain PyPSA baseline of the 3-site year")
    parser.add_argument("--one-year", action="store_true",
                        help="part 2: only the first weather year")
    parser.add_argument("--solver-choices", choices=("one-site", "3-site"),
                        help="only compare HiGHS choices on the exact LP of that scenario")
    parser.add_argument("--decomposition", type=int, metavar="HOURS",
                        help="only compare the monolithic LP and the decomposition by year")
    parser.add_argument("--with-heat", action="store_true",
                        help="keep the district heat of the multi-site scenario")
    parser.add_argument("--time-limit", type=float, default=900.0,
                        help="HiGHS time limit per solve of --solver-choices, s")
    args = parser.parse_args()
    global WITH_HEAT
    WITH_HEAT = args.with_heat
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore", FutureWarning)
    for name in ("pypsa", "linopy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    np.set_printoptions(precision=3)
    if args.decomposition:
        decomposition(args.multi_site, args.decomposition)
        return
    if args.solver_choices:
        path = args.scenario if args.solver_choices == "one-site" else args.multi_site
        solver_choices(path, args.repeat, args.time_limit)
        return
    if not args.skip_one_site:
        part_one(args.scenario, args.repeat)
    if not args.skip_multi_site:
        part_two(args.multi_site, args.exact_4_years, args.baseline_3_site, args.one_year)


if __name__ == "__main__":
    main()
