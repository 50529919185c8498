"""Wind and PV written as ``cf × capacity`` into the electricity balance (direct LP).

Independent reasons behind each expectation:

* the substituted model and the model with a dispatch column per renewable and
  snapshot are two formulations of one LP where no surplus is worth having, so
  their optima are equal (a dispatch ``p_t ≤ cf_t × capacity`` with an equality
  balance is the substituted balance's ``supply ≥ use`` with the slack named);
* the reported hourly flows must close the electricity balance every hour,
  renewables within ``0 ≤ p_t ≤ cf_t × capacity`` (curtailment = the surplus);
* importing at a negative price and dumping the energy would earn money in a
  ``supply ≥ use`` balance, so a site that can import in such an hour keeps
  its dispatch columns.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing.lp import build_direct_model, renewable_substitution_allowed
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.solve import EXACT_OPTIONS, solve_direct
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 168

CASES = {
    "default": {},
    # a sized battery, a minimum state of charge and a higher local load
    "battery_sized": {"sites": {"boxberg": {"battery_mw": {"min": 0, "max": 300},
                                            "battery_mwh": {"min": 100, "max": 2000},
                                            "local_demand_mw": 30}},
                      "technology": {"battery": {"min_soc_fraction": 0.1}}},
    # PV fixed: its output enters the balance's right-hand side
    "pv_fixed": {"sites": {"boxberg": {"pv_mw": 300}}},
    # no variable cost on wind either: both renewables substituted
    "wind_without_vom": {"technology": {"wind": {"vom_eur_per_mwh": 0.0}}},
}


@pytest.fixture(scope="module")
def year():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return scenario, build_inputs(scenario)


def _solve(sn, substitute):
    dm = build_direct_model(sn, substitute_renewables=substitute)
    return dm, solve_direct(sn, dm, options=dict(EXACT_OPTIONS))[1]


@settings(max_examples=8, deadline=None)
@given(start_day=st.integers(0, 364 - HOURS // 24), name=st.sampled_from(sorted(CASES)))
def test_substituted_balance_gives_the_same_optimum_and_closing_flows(year, start_day, name):
    scenario, full = year
    sc = scenario_with(scenario, CASES[name])
    inputs = for_scenario(sliced_inputs(full, HOURS, start=24 * start_day), sc)
    sn = plan_network(inputs)
    assert renewable_substitution_allowed(sn, "boxberg")
    dm, sub = _solve(sn, "all")
    expect = {"pv"} | ({"wind"} if name == "wind_without_vom" else set())
    assert {n for _, n in dm.substituted} == expect
    assert not any(n in expect for _, n in dm.flow_cols)
    # the default substitutes only fixed capacities (here PV in "pv_fixed")
    default = build_direct_model(sn)
    assert {n for _, n in default.substituted} == ({"pv"} if name == "pv_fixed" else set())
    _, ref = _solve(sn, "none")
    assert sub.objective == pytest.approx(ref.objective, rel=1e-9)

    f = {k: v[:, 0] for k, v in sub.flows.items()}
    local = sc.sites["boxberg"].local_demand_mw
    supply = f["wind"] + f["pv"] + f["gas_backup"] + f["grid_import"] + f["battery_discharge"]
    use = f["electrolysis"] + f["battery_charge"] + f["grid_export"] + local
    np.testing.assert_allclose(supply, use, rtol=0, atol=lp_tol(float(np.max(use))))
    for n, fld, cf in (("wind", "wind_mw", inputs.wind_cf[0]), ("pv", "pv_mw", inputs.pv_cf[0])):
        available = cf * sub.capacities[("boxberg", fld)]
        assert np.all(f[n] >= 0.0)
        assert np.all(f[n] <= available + lp_tol(float(available.max())))


def test_negative_price_imports_keep_the_dispatch_columns(year):
    scenario, full = year
    negative = np.flatnonzero(full.price_eur_per_mwh < 0)
    assert len(negative) > 0  # the real 2019 day-ahead prices have negative hours
    start = max(int(negative[0]) - 24, 0)
    for grid_import, allowed in ((True, False), (False, True)):
        sc = scenario_with(scenario, {"operation": {"grid_import": grid_import}})
        inputs = for_scenario(sliced_inputs(full, HOURS, start=start), sc)
        assert (inputs.price_eur_per_mwh < 0).any()
        sn = plan_network(inputs)
        assert renewable_substitution_allowed(sn, "boxberg") is allowed
        assert bool(build_direct_model(sn, substitute_renewables="all").substituted) is allowed


def test_rfnbo_matching_keeps_the_dispatch_columns(year):
    # the RFNBO rows count the renewables' dispatch, which the balance's slack does not name
    scenario, full = year
    sc = scenario_with(scenario, {"optimisation": {"rfnbo": "hourly"}})
    sn = plan_network(for_scenario(sliced_inputs(full, HOURS, start=24 * 60), sc))
    assert not renewable_substitution_allowed(sn, "boxberg")
    dm = build_direct_model(sn, substitute_renewables="all")
    assert not dm.substituted
    assert ("boxberg", "pv") in dm.flow_cols
