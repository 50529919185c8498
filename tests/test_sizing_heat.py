"""District heat in the sizing LP (nzv_energy.sizing.heat): both engines, a hand case, balances.

PyPSA's components (multi-output links, storage units, stores with standing
loss) are an independent formulation of the heat model; the direct LP builds
the same model as a matrix.  On real input slices both must reach the same
optimum, the heat balance must close every snapshot, and a hand-worked case
with a heat pump and a gas boiler must cost what the merit order says.
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np
import pytest

from nzv_energy.heat.costs import heat_cost_values
from nzv_energy.scenario_file import load_scenario, scenario_from_mapping
from nzv_energy.sizing import optimise
from nzv_energy.sizing.heat import HeatPlan
from nzv_energy.sizing.lp import build_direct_model, read_direct_solution
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs, with_profiles
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS

HOURS = 48
START = 24 * 20  # late January: heat demand high, little sun


@pytest.fixture(scope="module")
def sizing():
    scenario = load_scenario(SCENARIOS / "single_site_heat_sizing.yaml")
    return scenario, sliced_inputs(build_inputs(scenario), HOURS, start=START)


CASES = {
    # booster on waste heat, extraction gas CHP, store whose power follows its energy
    "sizing": {},
    # store power sized apart from its energy (Store + charger + discharger), a hydrogen-fired
    # CHP, waste heat used directly, a CO2 cap (rows of the heat's natural gas in the cap)
    "store_links_hydrogen_chp_direct_waste_heat_co2_cap": {
        "heat": {"boxberg": {
            "chp": {"fuel": "hydrogen"},
            "waste_heat_recovery": {"mode": "direct"},
            "thermal_storage": {"power_mw": {"min": 0, "max": 40}},
        }},
        "optimisation": {"co2_cap_t_per_year": 20000.0},
    },
    # back-pressure CHP, heat pump on the electrolysers' waste heat
    "back_pressure_heat_pump_on_waste_heat": {
        "heat": {"boxberg": {
            "chp": {"behaviour": "back_pressure"},
            "heat_pump": {"source": "electrolyser_heat"},
        }},
    },
}


def _case(sizing, name):
    scenario, inputs = sizing
    sc = scenario_with(scenario, CASES[name]) if CASES[name] else scenario
    return sc, for_scenario(inputs, sc)


def _heat_balance_residual(flows, j):
    f = {k: v[:, j] for k, v in flows.items()}
    supply = (f["heat_pump_heat"] + f["booster_heat"] + f["waste_heat_direct"]
              + f["electric_boiler_heat"] + f["chp_heat"] + f["gas_boiler_heat"]
              + f["storage_discharge"] + f["unserved_heat"])
    return supply - f["heat_demand"] - f["storage_charge"]


@pytest.mark.parametrize("name", list(CASES))
def test_direct_and_pypsa_agree_with_heat(sizing, name):
    sc, inputs = _case(sizing, name)
    direct = optimise(sc, inputs, mode="exact", engine="direct")
    ref = optimise(sc, inputs, mode="exact", engine="pypsa")
    assert direct.objective_eur_per_year == pytest.approx(ref.objective_eur_per_year, rel=1e-6)
    # the account (heat rows included) adds up to the objective in both engines
    for r in (direct, ref):
        assert r.total_cost_eur_per_year == pytest.approx(r.objective_eur_per_year, rel=1e-9)
        assert r.kpis["lp_heat_demand_met_share"] == pytest.approx(1.0)
    # the heat sources serve the demand: the sum of the shares is the demand
    k = direct.kpis
    sources = sum(k[f"heat_from_{s}_mwh_per_year"] for s in
                  ("waste_heat", "heat_pump", "electric_boiler", "chp", "gas_boiler"))
    assert sources >= k["heat_demand_mwh_per_year"] * (1 - 1e-9) - 1e-6


def test_co2_cap_counts_the_heat_natural_gas(sizing):
    sc, inputs = _case(sizing, "sizing")  # natural-gas CHP and peak boiler
    loose = optimise(sc, inputs, mode="exact", engine="direct")
    # 40 % of the uncapped emissions, most of them the heat's natural gas
    cap = 0.4 * loose.kpis["co2_t_per_year"]
    assert loose.kpis["heat_co2_t_per_year"] > 0.6 * loose.kpis["co2_t_per_year"]
    capped = scenario_with(sc, {"optimisation": {"co2_cap_t_per_year": cap}})
    for engine in ("direct", "pypsa"):
        r = optimise(capped, inputs, mode="exact", engine=engine)
        assert r.kpis["co2_t_per_year"] <= cap * (1 + 1e-6)
        assert r.objective_eur_per_year > loose.objective_eur_per_year


@pytest.mark.parametrize("engine", ["direct", "pypsa"])
def test_heat_balance_closes_every_snapshot(sizing, engine):
    from nzv_energy.sizing.optimise import _solve_once  # the engines' common entry

    _, inputs = _case(sizing, "store_links_hydrogen_chp_direct_waste_heat_co2_cap")
    timings: dict[str, float] = {}
    sn, _, lps, _ = _solve_once(inputs, None, engine, None, {}, None, timings)
    f = lps.heat_flows
    assert np.max(np.abs(_heat_balance_residual(f, 0))) < 1e-6
    # store: level_t = (1 - loss) x level_{t-1} + charge - discharge (hourly, cyclic)
    m = sn.heat.sites["boxberg"]
    keep = 1.0 - m.params["storage_loss"]
    lvl = f["storage_level"][:, 0]
    expected = keep * np.roll(lvl, 1) + f["storage_charge"][:, 0] - f["storage_discharge"][:, 0]
    assert np.max(np.abs(lvl - expected)) < 1e-6
    # direct use of waste heat never exceeds what the running electrolyser rejects
    share = m.params["recovery_share"]
    assert np.all(f["waste_heat_direct"][:, 0] <= share * lps.flows["electrolysis"][:, 0] + 1e-6)
    # a hydrogen CHP burns no natural gas: its fuel is in the hydrogen balance
    assert f["chp_fuel"].sum() >= 0


def _hand_case():
    """One site on grid power only, a heat pump and a peak gas boiler, three hours."""
    base = load_scenario(SCENARIOS / "single_site_heat.yaml")
    data = base.model_dump(mode="json", exclude_none=True)
    data["sites"]["boxberg"].update(wind_mw=0, pv_mw=0, battery_mw=0, battery_mwh=0,
                                    gas_backup_mw=0, local_demand_mw=0)
    data["hydrogen"]["storage_mwh"] = {"boxberg": 0}
    data["operation"] = {**data.get("operation", {}), "grid_import": True}
    data["heat"] = {"boxberg": {"networks": ["weisswasser"],
                                "heat_pump": {"heat_mw_th": 100},
                                "peak_gas_boiler": {"heat_mw_th": 100}}}
    return scenario_from_mapping(data)


def test_hand_case_heat_pump_or_boiler_by_the_hour():
    sc = _hand_case()
    price = 100.0  # EUR/MWh, flat
    inputs = with_profiles(sliced_inputs(build_inputs(sc), 3, start=START),
                           price_eur_per_mwh=price)
    demand = np.array([10.0, 20.0, 5.0])
    cop = np.array([3.0, 1.2, 2.0])
    sn = plan_network(inputs)
    m = sn.heat.sites["boxberg"]
    with_heat = dataclasses.replace(sn, heat=HeatPlan({"boxberg": dataclasses.replace(
        m, demand_mw=demand, cop_heat_pump=cop)}))
    without = dataclasses.replace(sn, heat=HeatPlan({"boxberg": dataclasses.replace(
        m, demand_mw=np.zeros(3), cop_heat_pump=cop)}))

    def solve(net):
        dm = build_direct_model(net)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(dm.lp)
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return read_direct_solution(net, dm, h)

    # by hand: a MWh_th from the heat pump costs price / COP + its VOM; from the boiler
    # (gas + CO2 price x 0.198 t/MWh... as in the scenario) / efficiency + VOM
    rows = heat_cost_values(sc.economics.cost_year)
    eco = sc.economics
    k = sc.technology.gas_backup.natural_gas_co2_t_per_mwh
    boiler = ((eco.gas_price_eur_per_mwh + eco.co2_price_eur_per_t * k)
              / rows["gas_boiler"]["efficiency"] + rows["gas_boiler"]["vom_eur_per_mwh_th"])
    heat_pump = price / cop + rows["heat_pump_air"]["vom_eur_per_mwh_th"]
    cheaper_hp = heat_pump < boiler
    assert cheaper_hp.any() and not cheaper_hp.all()  # the case tests both choices
    expected = float(np.sum(demand * np.minimum(heat_pump, boiler)))
    a, b = solve(with_heat), solve(without)
    assert a.objective - b.objective == pytest.approx(expected, rel=1e-9)
    f = a.heat_flows
    np.testing.assert_allclose(f["heat_pump_heat"][:, 0], np.where(cheaper_hp, demand, 0.0),
                               atol=1e-9)
    np.testing.assert_allclose(f["gas_boiler_heat"][:, 0], np.where(cheaper_hp, 0.0, demand),
                               atol=1e-9)
    # the heat pump's electricity is heat / COP
    np.testing.assert_allclose(f["heat_pump_electricity"][:, 0] * cop, f["heat_pump_heat"][:, 0],
                               atol=1e-9)


def test_scenario_without_heat_builds_the_previous_lp():
    """single_site_sizing, 48 h from 1 March: the direct LP of the commit before heat.

    485 columns, 432 rows and 49,508,401.0153681 EUR/a: that commit's
    ``build_direct_model`` run on the same inputs side by side (its source
    tree exported from git), not this code's output.
    """
    sc = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    inputs = sliced_inputs(build_inputs(sc), 48, start=24 * 60)
    sn = plan_network(inputs)
    assert sn.heat is None
    dm = build_direct_model(sn, substitute_renewables="none")
    assert (dm.lp.num_col_, dm.lp.num_row_) == (485, 432)
    assert not any("heat" in name for name in dm.row_groups)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(dm.lp)
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(49508401.0153681, rel=1e-9)


def test_system_net_cost_per_kg_leaves_the_heat_cost_to_the_heat(sizing):
    """(c) is the hydrogen's: the account less the heat rows (heat assets, their O&M, gas, CO2),
    per kg delivered; the heat rows are exactly those of the heat components."""
    scenario, inputs = sizing
    r = optimise(scenario, inputs, mode="exact")
    costs = r.costs
    heat_rows = costs[costs["component"].str.startswith("heat") & costs["in_total"]]
    assert set(heat_rows["component"]) >= {"heat operation", "heat heat_pump",
                                           "heat thermal_storage"}
    heat_cost = float(heat_rows["eur_per_year"].sum())
    assert heat_cost > 0.0
    assert r.kpis["heat_system_cost_eur_per_year"] == pytest.approx(heat_cost, rel=1e-12)
    kg = r.kpis["hydrogen_delivered_t_per_year"] * 1000.0
    assert r.system_net_cost_per_kg_h2_eur_per_kg == pytest.approx(
        (r.total_cost_eur_per_year - heat_cost) / kg, rel=1e-12)
    assert r.kpis["system_net_cost_per_kg_h2_eur_per_kg"] == r.system_net_cost_per_kg_h2_eur_per_kg


def test_a_heat_capacity_held_by_its_bound_is_reported(sizing):
    """In the late-January fixture the CHP pays at its 10 MW_el upper bound: reported like the
    other capacities, with its dual; a looser bound lowers the cost by at most the dual per MW
    (the optimum is convex and piecewise linear in the bound)."""
    scenario, inputs = sizing
    r = optimise(scenario, inputs, mode="exact")
    rows = r.bounds_at_limit.set_index(["site", "technology"])
    assert ("boxberg", "chp_mw") in rows.index, r.bounds_at_limit
    row = rows.loc[("boxberg", "chp_mw")]
    assert row["bound"] == "upper" and row["limit"] == 10.0
    assert row["value"] == pytest.approx(10.0)
    dual = float(row["dual_eur_per_unit_year"])
    assert dual > 0.0
    sc = scenario_with(scenario, {"heat": {"boxberg": {"chp": {"electric_mw": {"min": 0,
                                                                                 "max": 11}}}}})
    wider = optimise(sc, for_scenario(inputs, sc), mode="exact")
    saving = r.objective_eur_per_year - wider.objective_eur_per_year
    assert 0.0 < saving <= dual * (1 + 1e-6)
