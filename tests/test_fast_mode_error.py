"""Fast mode's error estimate: the sized capacities operated on the full hourly LP.

Independent reasons behind each expectation:

* the exact optimum's own capacities, operated hour by hour, cost exactly the
  exact optimum (the operation LP with the optimal capacities fixed is the exact
  LP restricted to its optimal capacities);
* any capacities at least as large as the exact optimum's can serve every hour
  and cost at least the exact optimum (a feasible point of the exact LP is never
  cheaper than its optimum): the evaluation is an upper bound;
* a pipeline fixed below a flat demand delivers its rating every hour and no
  more, so the unserved share is ``1 - rating / demand`` (closed form); the
  enlarged capacities that then serve every hour are again a feasible point of
  the exact LP, so their cost is again an upper bound.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.lp import build_direct_model
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.optimise import evaluate_hourly
from nzv_energy.sizing.solve import EXACT_OPTIONS, solve_direct
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 168


@pytest.fixture(scope="module")
def problem():
    """One site, one week of real 2019 inputs, wind, PV, electrolysis and storage sized."""
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    sc = scenario_with(scenario, {"optimisation": {"demand_margin_fraction": 0.0}})
    inputs = for_scenario(sliced_inputs(build_inputs(scenario), HOURS, start=24 * 30), sc)
    sn = plan_network(inputs)
    _, lps = solve_direct(sn, build_direct_model(sn), options=dict(EXACT_OPTIONS))
    return sc, inputs, sn, lps


def test_exact_capacities_evaluate_to_the_exact_objective(problem):
    _, inputs, sn, lps = problem
    ev = evaluate_hourly(sn, lps, inputs)
    assert ev.status == "optimal"
    assert ev.unserved_share <= 1e-9
    assert ev.hourly_cost_eur_per_year == pytest.approx(
        lps.objective, abs=lp_tol(lps.objective, HOURS))
    assert abs(ev.gap_fraction) <= lp_tol(1.0, HOURS)


@settings(max_examples=12, deadline=None)
@given(factors=st.lists(st.floats(1.0, 1.5), min_size=5, max_size=5))
def test_larger_capacities_cost_at_least_the_optimum(problem, factors):
    _, inputs, sn, lps = problem
    sized = sorted(k for k, b in sn.bounds.items() if b.extendable)
    assert len(sized) == len(factors)
    caps = {k: lps.capacities[k] * f for k, f in zip(sized, factors, strict=True)}
    bigger = dataclasses.replace(lps, capacities={**lps.capacities, **caps})
    ev = evaluate_hourly(sn, bigger, inputs)
    assert ev.unserved_share <= 1e-9
    assert ev.hourly_cost_eur_per_year >= lps.objective - lp_tol(lps.objective, HOURS)


@pytest.mark.parametrize("fraction", [0.5, 0.75])
def test_pipeline_below_a_flat_demand_leaves_the_rest_unserved(problem, fraction):
    _, inputs, sn, lps = problem
    demand = float(inputs.hydrogen_demand_mw[0])
    assert np.all(inputs.hydrogen_demand_mw == demand)  # flat profile
    caps = dict(lps.capacities)
    key = ("boxberg", "pipeline_mw")
    caps[key] = fraction * demand
    # everything upstream generous, so the pipeline is the only limit
    for fld in ("wind_mw", "pv_mw", "electrolysis_mw", "hydrogen_storage_mwh"):
        caps[("boxberg", fld)] = sn.bounds[("boxberg", fld)].hi
    short = dataclasses.replace(lps, capacities=caps)
    plain = evaluate_hourly(sn, short, inputs)
    assert plain.unserved_share == pytest.approx(1.0 - fraction, abs=1e-7)
    assert not plain.repaired
    ev = evaluate_hourly(sn, short, inputs, repair=True)
    assert ev.unserved_share == pytest.approx(1.0 - fraction, abs=1e-7)
    assert ev.repaired and ev.status == "optimal"
    assert ev.hourly_cost_eur_per_year >= lps.objective - lp_tol(lps.objective, HOURS)
    # ... and no dearer than the enlargement to the exact optimum's pipeline and the
    # generous rest (a feasible point of the repair LP)
    generous = {**caps, key: lps.capacities[key]}
    ev_generous = evaluate_hourly(sn, dataclasses.replace(lps, capacities=generous), inputs)
    assert ev_generous.unserved_share <= 1e-9 and not ev_generous.repaired
    assert ev.hourly_cost_eur_per_year <= ev_generous.hourly_cost_eur_per_year + lp_tol(
        lps.objective, HOURS)


def test_fast_mode_reports_its_estimate_and_exact_mode_does_not(problem):
    sc, inputs, _, lps = problem
    operate = optimise(sc, inputs, mode="fast", run_precheck=False)  # default: operate
    assert operate.kpis["fast_mode_capacities_repaired"] == 0.0
    bound = scenario_with(sc, {"optimisation": {"fast_mode_error_estimate": "bound"}})
    fast = optimise(bound, inputs, mode="fast", run_precheck=False)
    k = fast.kpis
    assert "error_estimate" in fast.timings_s
    cost = k["fast_mode_hourly_cost_eur_per_year"]
    assert k["fast_mode_cost_gap_fraction"] == pytest.approx(
        (fast.objective_eur_per_year - cost) / cost, rel=1e-12)
    assert 0.0 <= k["fast_mode_hourly_unserved_share"] < 1.0
    assert k["fast_mode_capacities_repaired"] == float(k["fast_mode_hourly_unserved_share"] > 1e-9)
    # a feasible point of the exact LP: never below the exact optimum
    assert cost >= lps.objective - lp_tol(lps.objective, HOURS)
    exact = optimise(sc, inputs, mode="exact", run_precheck=False)
    assert "fast_mode_cost_gap_fraction" not in exact.kpis
    off = optimise(scenario_with(sc, {"optimisation": {"fast_mode_error_estimate": "none"}}),
                   inputs, mode="fast", run_precheck=False)
    assert "fast_mode_cost_gap_fraction" not in off.kpis


def test_evaluation_matches_an_independent_fixed_capacity_solve(problem):
    """The hourly cost = capital of the capacities + the operation LP's optimum.

    Checked against the exact mode of a scenario with those capacities as fixed
    numbers (their capital counted as fixed assets): capacities 20 % above the exact
    optimum's (within their ranges), which serve every hour.
    """
    sc, inputs, sn, lps = problem
    caps = {k: (min(v * 1.2, sn.bounds[k].hi) if sn.bounds[k].extendable else v)
            for k, v in lps.capacities.items()}
    ev = evaluate_hourly(sn, dataclasses.replace(lps, capacities=caps), inputs)
    assert ev.unserved_share <= 1e-9
    fixed: dict[str, dict] = {}
    for (site, fld), value in caps.items():
        if fld == "hydrogen_storage_mwh":
            fixed.setdefault("hydrogen", {"storage_mwh": {}})["storage_mwh"][site] = value
        else:
            fixed.setdefault("sites", {}).setdefault(site, {})[fld] = value
    sc_fixed = scenario_with(sc, fixed)
    sn_fixed = plan_network(for_scenario(inputs, sc_fixed))
    assert not any(b.extendable for b in sn_fixed.bounds.values())
    report, _ = solve_direct(sn_fixed, build_direct_model(sn_fixed),
                             options=dict(EXACT_OPTIONS))
    assert sn.count_fixed_assets  # economics.fixed_assets: annualised, as in the fixed one
    assert ev.hourly_cost_eur_per_year == pytest.approx(
        report.objective, abs=lp_tol(report.objective, HOURS))
