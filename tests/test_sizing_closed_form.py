"""The optimiser against optima derived by hand (constant capacity factors, closed forms).

One site (or two), wind only, no battery, no grid, flat demand: the cheapest
system is fixed by the demand, the efficiency and the capacity factor, and
its cost is the sum of annualised costs computed here from the cost table
with the textbook capital recovery factor.
"""

from __future__ import annotations

import numpy as np
import pytest

from nzv_energy.scenario_file import scenario_from_mapping
from nzv_energy.sizing import SolveStatus, optimise
from nzv_energy.sizing.testing import sliced_inputs, with_profiles
from nzv_energy.system import build_inputs
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

HOURS = 24
DEMAND_MW = 100.0
BIG = 5000.0

BOXBERG = {"lat": 51.416, "lon": 14.562}
JAENSCHWALDE = {"lat": 51.834, "lon": 14.459}


def crf(r: float, n: float) -> float:
    """Capital recovery factor, textbook formula."""
    return r / (1 - (1 + r) ** -n)


def site(location: dict, **caps: object) -> dict:
    return {"location": location, "grid_connection_mw": 0, **caps}


def make_scenario(sites: dict, **extra: object) -> object:
    raw = {
        "name": "closed_form",
        "weather": {"source": "entsoe_de", "years": [2019]},
        "sites": sites,
        "hydrogen": {"demand": {"mean_mw": DEMAND_MW}, **extra.pop("hydrogen", {})},
        **extra,
    }
    return scenario_from_mapping(raw)


ONE_SITE = {
    "a": site(BOXBERG, wind_mw={"min": 0, "max": BIG}, electrolysis_mw={"min": 0, "max": BIG},
              pipeline_mw={"min": 0, "max": BIG}),
}


@pytest.fixture(scope="module")
def one_site():
    scenario = make_scenario(ONE_SITE)
    inputs = sliced_inputs(build_inputs(scenario), HOURS)
    return scenario, inputs


def unit_costs(scenario, km: float) -> dict[str, float]:
    t, r = scenario.technology, scenario.economics.discount_rate
    return {
        "wind": t.wind.capex_eur_per_mw
        * (crf(r, t.wind.lifetime_years) + t.wind.fom_fraction_per_year),
        "el": t.electrolysis.capex_eur_per_mw
        * (crf(r, t.electrolysis.lifetime_years) + t.electrolysis.fom_fraction_per_year),
        "pipe": t.pipeline.capex_eur_per_mw_km * km
        * (crf(r, t.pipeline.lifetime_years) + t.pipeline.fom_fraction_per_year),
        "h2s": t.hydrogen_storage.capex_eur_per_mwh
        * (crf(r, t.hydrogen_storage.lifetime_years) + t.hydrogen_storage.fom_fraction_per_year),
    }


@pytest.mark.parametrize(("engine", "mode"), [("direct", "exact"), ("pypsa", "exact"),
                                               ("direct", "fast")])
@pytest.mark.parametrize("cf", [0.3, 0.55])
def test_constant_capacity_factor_no_storage(one_site, engine, mode, cf):
    scenario, inputs = one_site
    inputs = with_profiles(inputs, wind_cf=cf, pv_cf=0.0, hydrogen_demand_mw=DEMAND_MW)
    eff = scenario.technology.electrolysis.efficiency
    r = optimise(scenario, inputs, mode=mode, engine=engine)
    assert r.status is SolveStatus.OPTIMAL
    wind = DEMAND_MW / (eff * cf)
    el = DEMAND_MW / eff
    assert r.capacity("a", "wind_mw") == pytest.approx(wind, rel=1e-6)
    assert r.capacity("a", "electrolysis_mw") == pytest.approx(el, rel=1e-6)
    assert r.capacity("a", "pipeline_mw") == pytest.approx(DEMAND_MW, rel=1e-6)
    c = unit_costs(scenario, float(inputs.pipeline_km[0]))
    vom = scenario.technology.wind.vom_eur_per_mwh * el * HOURS  # wind energy = electrolyser use
    expected = wind * c["wind"] + el * c["el"] + DEMAND_MW * c["pipe"] + vom
    assert r.objective_eur_per_year == pytest.approx(expected, rel=1e-7)
    # nothing fixed: the whole cost is in the objective
    assert r.total_cost_eur_per_year == pytest.approx(expected, rel=1e-7)
    kg = DEMAND_MW * HOURS * 1000 / HYDROGEN_LHV_KWH_PER_KG
    assert r.system_net_cost_per_kg_h2_eur_per_kg == pytest.approx(expected / kg, rel=1e-7)
    # marginal price of hydrogen = LCOH per MWh (LP duality: all cost is driven by the demand)
    price = r.hydrogen_price_eur_per_mwh.to_numpy()
    assert np.mean(price) == pytest.approx(expected / (DEMAND_MW * HOURS), rel=1e-6)


@pytest.mark.parametrize("engine", ["direct", "pypsa"])
def test_alternating_wind_needs_one_hour_of_storage(engine):
    """Wind blows every other hour at cf 0.5: half the hours produce double, storage bridges."""
    sites = {"a": {**ONE_SITE["a"], "location": BOXBERG}}
    scenario = make_scenario(sites, hydrogen={"storage_mwh": {"a": {"min": 0, "max": BIG}}})
    inputs = sliced_inputs(build_inputs(scenario), HOURS)
    cf = np.tile([0.5, 0.0], HOURS // 2)[None, :]
    inputs = with_profiles(inputs, wind_cf=cf, pv_cf=0.0, hydrogen_demand_mw=DEMAND_MW)
    eff = scenario.technology.electrolysis.efficiency
    r = optimise(scenario, inputs, mode="exact", engine=engine)
    wind = DEMAND_MW / (eff * 0.25)  # mean capacity factor 0.25
    el = 2 * DEMAND_MW / eff  # runs half the hours at double the demand
    storage = DEMAND_MW * 1.0  # one hour of demand
    assert r.capacity("a", "wind_mw") == pytest.approx(wind, rel=1e-6)
    assert r.capacity("a", "electrolysis_mw") == pytest.approx(el, rel=1e-6)
    assert r.capacity("a", "hydrogen_storage_mwh") == pytest.approx(storage, rel=1e-6)
    c = unit_costs(scenario, float(inputs.pipeline_km[0]))
    vom = scenario.technology.wind.vom_eur_per_mwh * DEMAND_MW / eff * HOURS
    expected = wind * c["wind"] + el * c["el"] + DEMAND_MW * c["pipe"] + storage * c["h2s"] + vom
    assert r.objective_eur_per_year == pytest.approx(expected, rel=1e-7)
    price = r.hydrogen_price_eur_per_mwh.to_numpy()
    assert np.mean(price) == pytest.approx(expected / (DEMAND_MW * HOURS), rel=1e-6)
    # storage level never exceeds its capacity and the pipeline always delivers the demand
    ds = r.dataset
    assert float(ds.hydrogen_storage_mwh.max()) <= storage * (1 + 1e-9)
    np.testing.assert_allclose(ds.hydrogen_delivered_mw, DEMAND_MW, rtol=1e-9)


def test_cheaper_site_first_until_its_electrolysis_limit():
    """Two sites: the windier one is used up to its max electrolysis, the other tops up."""
    limit_el = 60.0
    sites = {
        "windy": site(BOXBERG, wind_mw={"min": 0, "max": BIG},
                      electrolysis_mw={"min": 0, "max": limit_el},
                      pipeline_mw={"min": 0, "max": BIG}),
        "calm": site(JAENSCHWALDE, wind_mw={"min": 0, "max": BIG},
                     electrolysis_mw={"min": 0, "max": BIG}, pipeline_mw={"min": 0, "max": BIG}),
    }
    scenario = make_scenario(sites)
    inputs = sliced_inputs(build_inputs(scenario), HOURS)
    cf = np.array([[0.45], [0.25]])
    inputs = with_profiles(inputs, wind_cf=cf, pv_cf=0.0, hydrogen_demand_mw=DEMAND_MW)
    eff = scenario.technology.electrolysis.efficiency
    c_w, c_c = (unit_costs(scenario, float(km)) for km in inputs.pipeline_km)
    per_mw_h2 = [c["wind"] / (eff * f) + c["el"] / eff + c["pipe"]
                 for c, f in ((c_w, 0.45), (c_c, 0.25))]
    assert per_mw_h2[0] < per_mw_h2[1]  # precondition of the hand solution
    r = optimise(scenario, inputs, mode="exact")
    h2_windy = limit_el * eff
    assert r.capacity("windy", "electrolysis_mw") == pytest.approx(limit_el, rel=1e-6)
    assert r.capacity("windy", "wind_mw") == pytest.approx(limit_el / 0.45, rel=1e-6)
    assert r.capacity("windy", "pipeline_mw") == pytest.approx(h2_windy, rel=1e-6)
    rest = DEMAND_MW - h2_windy
    assert r.capacity("calm", "electrolysis_mw") == pytest.approx(rest / eff, rel=1e-6)
    assert r.capacity("calm", "wind_mw") == pytest.approx(rest / eff / 0.25, rel=1e-6)
    assert r.capacity("calm", "pipeline_mw") == pytest.approx(rest, rel=1e-6)
    # the marginal MWh comes from the calm site: its cost per MWh is the hydrogen price
    vom = scenario.technology.wind.vom_eur_per_mwh / eff
    np.testing.assert_allclose(
        r.hydrogen_price_eur_per_mwh.sum(), per_mw_h2[1] + vom * HOURS, rtol=1e-6
    )


def test_several_weather_years_give_the_mean_annual_cost():
    """Two weather years of the same constant weather cost what one year costs (mean, not sum)."""
    import dataclasses

    scenario = make_scenario(ONE_SITE, weather={"source": "entsoe_de", "years": [2018, 2019]})
    full = build_inputs(scenario)
    idx = np.r_[np.arange(HOURS), 8760 + np.arange(HOURS)]  # a day of each year
    two = dataclasses.replace(
        full, time=full.time[idx], wind_cf=full.wind_cf[:, idx], pv_cf=full.pv_cf[:, idx],
        price_eur_per_mwh=full.price_eur_per_mwh[idx],
        hydrogen_demand_mw=full.hydrogen_demand_mw[idx])
    two = with_profiles(two, wind_cf=0.3, pv_cf=0.0, hydrogen_demand_mw=DEMAND_MW)
    eff = scenario.technology.electrolysis.efficiency
    c = unit_costs(scenario, float(two.pipeline_km[0]))
    wind, el = DEMAND_MW / (eff * 0.3), DEMAND_MW / eff
    vom = scenario.technology.wind.vom_eur_per_mwh * el * HOURS  # (2 × HOURS) / 2 years
    expected = wind * c["wind"] + el * c["el"] + DEMAND_MW * c["pipe"] + vom
    for engine in ("direct", "pypsa"):
        r = optimise(scenario, two, mode="exact", engine=engine)
        assert r.objective_eur_per_year == pytest.approx(expected, rel=1e-7)
        assert r.kpis["hydrogen_delivered_mwh_per_year"] == pytest.approx(DEMAND_MW * HOURS)
