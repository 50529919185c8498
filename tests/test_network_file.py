"""network.nc is the model: PyPSA re-optimises it, in a fresh process, to the project's optimum.

A PyPSA user loads ``network.nc`` and calls
``n.optimize(solver_name="highs", extra_functionality=nzv_energy.sizing.extra_functionality)``;
that must give the objective and every capacity the project found, on cases where
the scenario's rules bind (so a rule lost on the way through the file would show).
The network also carries its geography (bus coordinates, pipeline lengths,
carriers with names and colours) and its provenance in ``n.meta``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pypsa
import pytest

from nzv_energy.carriers import CARRIERS
from nzv_energy.results_io import provenance, write_network_netcdf
from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import load_scenario, scenario_to_yaml
from nzv_energy.sizing import SizingResult, extra_functionality, optimise
from nzv_energy.sizing.command import write_lp_files
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import SystemInputs, build_inputs
from tests.conftest import SCENARIOS

#: Relative tolerance of the objective and of each capacity (relative to its scale).
TOL = 1e-6

#: What a PyPSA user runs on network.nc, in a fresh interpreter; prints the optimum as JSON.
REOPTIMISE = textwrap.dedent("""
    import json, sys
    import pypsa
    import nzv_energy.sizing

    NOMINAL = {"Generator": "p_nom", "Link": "p_nom", "Store": "e_nom", "StorageUnit": "p_nom"}

    def capacities(n):
        return {f"{c}/{name}": float(v) for c, attr in NOMINAL.items()
                for name, v in n.components[c].static[attr + "_opt"].items()}

    path = sys.argv[1]
    n = pypsa.Network(path)
    stored = {"objective": float(n.meta["objective_eur_per_year"]), "capacities": capacities(n)}
    n.optimize(solver_name="highs", extra_functionality=nzv_energy.sizing.extra_functionality)
    rules = [k for k in n.model.constraints
             if k.split(" ")[0] in ("co2_cap", "grid_import_cap", "storage_share",
                                    "rfnbo_hourly", "rfnbo_monthly", "battery_power_tie")]
    duals = {k: float(abs(n.model.constraints[k].dual).max()) for k in rules}
    plain = pypsa.Network(path)
    plain.optimize(solver_name="highs")
    print(json.dumps({
        "stored": stored,
        "objective": float(n.objective),
        "objective_constant": float(n.objective_constant),
        "capacities": capacities(n),
        "rule_duals": duals,
        "plain_objective": float(plain.objective),
        "system_cost": float(n.statistics.system_cost().sum()),
    }))
""")


def _write_network(result: SizingResult, scenario: Scenario, inputs: SystemInputs,
                   folder: Path) -> Path:
    """network.nc as ``optimise`` and ``run`` write it (with their provenance)."""
    folder.mkdir()
    attrs = provenance(scenario_to_yaml(scenario), inputs.input_hashes)
    write_lp_files(folder, result, attrs)
    return folder / "network.nc"


def _reoptimise(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", REOPTIMISE, str(path)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_same_optimum(result: SizingResult, out: dict) -> None:
    project = result.objective_eur_per_year
    assert out["stored"]["objective"] == pytest.approx(project, rel=1e-12)
    assert out["objective"] == pytest.approx(project, rel=TOL)
    # ranges are new builds (p_nom = 0): PyPSA subtracts no existing capacity
    assert out["objective_constant"] == 0.0
    stored = out["stored"]["capacities"]
    assert set(out["capacities"]) == set(stored)
    for name, value in stored.items():
        assert out["capacities"][name] == pytest.approx(value, abs=TOL * max(1.0, abs(value))), name
    # the stored capacities are the project's (wind and electrolysis of every site)
    for row in result.capacities.itertuples():
        key = {"wind_mw": f"Generator/{row.site} wind",
               "electrolysis_mw": f"Link/{row.site} electrolysis"}.get(row.technology)
        if key is not None and key in stored:
            assert stored[key] == pytest.approx(row.value, abs=TOL * max(1.0, row.value))
    # PyPSA's own statistics add up to the same annual cost (fixed assets included)
    assert out["system_cost"] == pytest.approx(project, rel=TOL)


@pytest.fixture(scope="module")
def single_site():
    """The one-site sizing scenario and its hourly inputs."""
    base = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return base, build_inputs(base)


@pytest.fixture(scope="module")
def one_site(single_site, tmp_path_factory):
    """Boxberg alone, exact mode, a fortnight of March with every rule that binds there."""
    base, hourly = single_site
    sc = scenario_with(base, {
        "operation": {"grid_import": True},
        "sites": {"boxberg": {"local_demand_mw": 30,
                              "battery_mw": {"min": 0, "max": 300},
                              "battery_mwh": {"min": 0, "max": 2000}}},
        # the import cap leaves part of the local load to the gas backup; the CO2 cap counts
        # both (imports at the hourly grid intensity): without it they emit 4,440 t, and
        # the import cap still binds under it (5,000 MWh bought in both cases)
        "optimisation": {"rfnbo": "hourly", "co2_cap_t_per_year": 1500.0,
                         "max_grid_import_mwh_per_year": 5000.0, "min_storage_share": 0.05},
        "technology": {"battery": {"min_soc_fraction": 0.1}},
    })
    inputs = for_scenario(sliced_inputs(hourly, 336, start=24 * 60), sc)
    result = optimise(sc, inputs, mode="exact")
    path = _write_network(result, sc, inputs, tmp_path_factory.mktemp("one") / "out")
    return sc, inputs, result, path


@pytest.fixture(scope="module")
def three_sites(tmp_path_factory):
    """The default three sites, fast mode, across a new year: two weather years, grid rules.

    Electricity and hydrogen only: network.nc does not carry the district heat's dispatch yet
    (docs/district_heat.md).
    """
    base = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    sc = scenario_with(base, {
        "heat": None,
        "weather": {"years": [2018, 2019]},
        "operation": {"grid_import": True},
        "sites": {"jaenschwalde": {"local_demand_mw": 50}},
        "optimisation": {"rfnbo": "monthly", "max_grid_import_mwh_per_year": 20000.0},
    })
    full = build_inputs(sc)
    cut = 8760 - 24 * 10
    sl = slice(cut, cut + 24 * 20)  # the last 10 days of 2018 and the first 10 of 2019
    inputs = dataclasses.replace(
        full, time=full.time[sl], wind_cf=full.wind_cf[:, sl], pv_cf=full.pv_cf[:, sl],
        price_eur_per_mwh=full.price_eur_per_mwh[sl],
        hydrogen_demand_mw=full.hydrogen_demand_mw[sl])
    result = optimise(sc, inputs, mode="fast")
    path = _write_network(result, sc, inputs, tmp_path_factory.mktemp("three") / "out")
    return sc, inputs, result, path


def test_one_site_exact_reoptimises_to_the_project_optimum(one_site):
    _, _, result, path = one_site
    out = _reoptimise(path)
    _assert_same_optimum(result, out)
    # the rules held only by extra_functionality bind here: lost, the optimum would move
    for rule in ("co2_cap", "grid_import_cap", "storage_share", "rfnbo_hourly boxberg",
                 "battery_power_tie boxberg"):
        assert out["rule_duals"][rule] > 1e-6, rule
    assert out["plain_objective"] < result.objective_eur_per_year * (1 - 1e-3)


def test_three_sites_fast_reoptimises_to_the_project_optimum(three_sites):
    _, _, result, path = three_sites
    out = _reoptimise(path)
    _assert_same_optimum(result, out)
    assert result.mode == "fast"
    for rule in ("grid_import_cap", "rfnbo_monthly boxberg"):
        assert out["rule_duals"][rule] > 1e-6, rule
    assert out["plain_objective"] < result.objective_eur_per_year * (1 - 1e-3)


VARIANTS = {
    "sunk": {"economics": {"fixed_assets": "sunk"}},
    "hydrogen_fired": {"operation": {"gas_backup_fuel": "hydrogen"},
                       "sites": {"boxberg": {"local_demand_mw": 30,
                                             "gas_backup_mw": {"min": 0, "max": 100}}}},
    "export_none": {"optimisation": {"export_revenue": "none"}},
    "surplus_only": {"optimisation": {"export_revenue": "surplus_only"}},
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_cost_treatments_and_gas_fuels_survive_the_file(name, single_site, tmp_path):
    """Each variant written and read back re-optimises (in this process) to its optimum."""
    base, hourly = single_site
    sc = scenario_with(base, VARIANTS[name])
    inputs = for_scenario(sliced_inputs(hourly, 96, start=24 * 60), sc)
    result = optimise(sc, inputs, mode="exact")
    write_network_netcdf(result.network, tmp_path / "network.nc")
    n = pypsa.Network(str(tmp_path / "network.nc"))
    n.optimize(solver_name="highs", extra_functionality=extra_functionality,
               include_objective_constant=False)
    assert n.objective == pytest.approx(result.objective_eur_per_year, rel=TOL)
    for tech, (cls, comp) in {"wind_mw": ("Generator", "boxberg wind"),
                              "electrolysis_mw": ("Link", "boxberg electrolysis")}.items():
        value = result.capacity("boxberg", tech)
        got = float(n.components[cls].static.at[comp, "p_nom_opt"])
        assert got == pytest.approx(value, abs=TOL * max(1.0, value))
    if name == "sunk":  # the fixed gas backup and battery carry no capital, none is added
        assert result.kpis["fixed_capital_eur_per_year"] > 0
        assert "fixed_assets_capital" not in n.model.variables
    if name == "hydrogen_fired":
        assert n.links.at["boxberg gas backup", "bus1"] == "boxberg local load"


def test_network_carries_scenario_rules_and_provenance(three_sites):
    sc, inputs, result, path = three_sites
    n = pypsa.Network(str(path))
    meta = n.meta
    assert meta == json.loads(json.dumps(result.network.meta))  # nothing lost in the file
    assert meta["scenario"] == sc.name
    assert meta["scenario_sha256"] == hashlib.sha256(
        scenario_to_yaml(sc).encode("utf-8")).hexdigest()
    assert meta["sizing_mode"] == "fast"
    agg = meta["snapshot_aggregation"]
    assert agg["hours"] == len(inputs.time) == 480
    assert agg["snapshots"] == len(n.snapshots)
    # the snapshot weightings are the hours each segment stands for
    assert float(n.snapshot_weightings["stores"].sum()) == 480.0
    assert np.allclose(n.snapshot_weightings["objective"], n.snapshot_weightings["stores"] / 2)
    rules = meta["sizing_rules"]
    assert rules["n_weather_years"] == 2
    assert rules["rfnbo"] == "monthly"
    assert rules["max_grid_import_mwh_per_year"] == 20000.0
    # the RFNBO rule's one parameter beyond the prices in the file
    assert rules["rfnbo_co2_price_eur_per_t"] == sc.economics.co2_price_eur_per_t
    assert meta["design_margin_fraction"] == 0.0
    # fixed assets: the three batteries and the gas plant, annualised, in the objective
    assert meta["fixed_assets"] == "annualised"
    assert meta["objective_constant_eur_per_year"] == pytest.approx(
        result.kpis["fixed_capital_eur_per_year"], rel=1e-12)
    fixed = 0.0
    for cls, attr in (("Generator", "p_nom"), ("Link", "p_nom"), ("StorageUnit", "p_nom"),
                      ("Store", "e_nom")):
        t = n.components[cls].static
        t = t[~t[f"{attr}_extendable"]]
        fixed += float((t.capital_cost * t[attr]).sum())
    assert fixed == pytest.approx(meta["objective_constant_eur_per_year"], rel=1e-12)


def test_stored_dispatch_balances_every_bus(three_sites):
    """The direct engine's solution, written into the network, closes every bus balance."""
    n = pypsa.Network(str(three_sites[3]))
    balance = np.zeros((len(n.snapshots), len(n.buses)))
    col = {b: i for i, b in enumerate(n.buses.index)}
    for name, bus in n.generators.bus.items():
        balance[:, col[bus]] += n.generators_t.p[name].to_numpy()
    loads = n.get_switchable_as_dense("Load", "p_set")
    for name, bus in n.loads.bus.items():
        balance[:, col[bus]] -= loads[name].to_numpy()
    for name, row in n.links.iterrows():
        balance[:, col[row.bus0]] -= n.links_t.p0[name].to_numpy()
        balance[:, col[row.bus1]] -= n.links_t.p1[name].to_numpy()
    for name, bus in n.storage_units.bus.items():
        balance[:, col[bus]] += n.storage_units_t.p[name].to_numpy()
    for name, bus in n.stores.bus.items():
        balance[:, col[bus]] += n.stores_t.p[name].to_numpy()
    scale = float(n.links.p_nom_opt.max())
    assert np.abs(balance).max() <= 1e-9 * scale


def test_gas_backup_feeds_only_the_local_load(three_sites):
    sc, _, _, path = three_sites
    n = pypsa.Network(str(path))
    local = sc.sites["jaenschwalde"].local_demand_mw
    bus = n.generators.at["jaenschwalde gas backup", "bus"]
    assert bus == "jaenschwalde local load"
    # the bus holds the site's own load and nothing else that takes power ...
    assert list(n.loads.index[n.loads.bus == bus]) == ["jaenschwalde local demand"]
    assert not (n.links.bus0 == bus).any()
    assert n.storage_units.empty or not (n.storage_units.bus == bus).any()
    # ... and is fed one way from the site's electricity bus, at most the load
    supply = n.links.loc[n.links.bus1 == bus]
    assert list(supply.index) == ["jaenschwalde local supply"]
    assert supply.iloc[0].bus0 == "jaenschwalde electricity"
    assert supply.iloc[0].p_min_pu == 0.0
    assert float(n.generators_t.p["jaenschwalde gas backup"].max()) <= local * (1 + 1e-9)


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Spherical law of cosines on a 6371 km sphere (independent of the haversine used)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(min(1.0, c))


def test_geography_carriers_and_plot(three_sites):
    sc, _, _, path = three_sites
    n = pypsa.Network(str(path))
    demand = sc.hydrogen.demand.location
    assert tuple(n.buses.loc["schwarzheide hydrogen", ["x", "y"]]) == (demand.lon, demand.lat)
    route = sc.technology.pipeline.route_factor
    for name, site in sc.sites.items():
        at_site = n.buses.index[n.buses.index.str.startswith(f"{name} ")]
        assert len(at_site) >= 2
        assert (n.buses.loc[at_site, "x"] == site.location.lon).all()
        assert (n.buses.loc[at_site, "y"] == site.location.lat).all()
        km = route * _great_circle_km(site.location.lat, site.location.lon, demand.lat,
                                      demand.lon)
        assert n.links.at[f"{name} pipeline", "length"] == pytest.approx(km, rel=1e-9)
        assert km > 10.0
    # every carrier in use has its nice name and colour from the one table
    used = set(n.buses.carrier) | set(n.generators.carrier) | set(n.links.carrier) | set(
        n.stores.carrier) | set(n.loads.carrier) | set(n.storage_units.carrier)
    assert used <= set(n.carriers.index)
    for carrier in used:
        assert n.carriers.at[carrier, "nice_name"] == CARRIERS[carrier].nice_name
        assert n.carriers.at[carrier, "color"] == CARRIERS[carrier].color
    n.consistency_check(strict="all")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        drawn = n.plot(ax=ax, geomap=False)
        paths = drawn["nodes"]["Bus"].get_paths()
        centres = {tuple(np.round((p.vertices.min(0) + p.vertices.max(0)) / 2, 6)) for p in paths}
        sites = {(s.location.lon, s.location.lat) for s in sc.sites.values()}
        assert len(paths) == len(n.buses)
        assert sites | {(demand.lon, demand.lat)} <= centres
        segments = {tuple(map(tuple, np.round(s, 6))) for s in
                    drawn["branches"]["Link"].get_segments()}
        for xy in sites:  # a pipeline from each site to the off-taker
            assert (xy, (demand.lon, demand.lat)) in segments
    finally:
        plt.close(fig)


def test_strict_consistency_check_catches_an_unknown_carrier(three_sites):
    n = pypsa.Network(str(three_sites[3]))
    n.buses.loc["boxberg hydrogen", "carrier"] = "not a carrier"
    with pytest.raises(Exception, match="carrier"):
        n.consistency_check(strict="all")


def test_extra_functionality_refuses_a_network_without_rules():
    n = pypsa.Network()
    n.set_snapshots(range(2))
    n.add("Bus", "b")
    from nzv_energy.sizing import extra_functionality

    with pytest.raises(ValueError, match="sizing_rules"):
        extra_functionality(n, n.snapshots)
