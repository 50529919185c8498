"""Exact sizing by weather year (:mod:`nzv_energy.sizing.decompose`) against the monolithic LP.

The monolithic LP of all years (``build_direct_model`` solved by HiGHS in one
piece) is the independent reference: the cut loop must reach its optimum, its
reported bounds must enclose it, and the capacities it returns must be optimal
when the monolithic LP operates them with the capacities fixed.
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np
import pandas as pd
import pytest

from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.decompose import solve_by_weather_year
from nzv_energy.sizing.lp import build_direct_model
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.solve import EXACT_OPTIONS, solve_direct
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import SystemInputs, build_inputs
from tests.conftest import SCENARIOS

HOURS = 72
YEARS = (2017, 2018, 2019)


def _cut_years(inputs: SystemInputs, hours: int) -> SystemInputs:
    """Each weather year cut to ``hours`` hours (from early February), joined in time order."""
    parts = [sliced_inputs(inputs.select_year(y), hours, start=24 * 30) for y in inputs.years]
    return dataclasses.replace(
        inputs,
        time=pd.DatetimeIndex(np.concatenate([np.asarray(p.time) for p in parts])),
        wind_cf=np.concatenate([p.wind_cf for p in parts], axis=1),
        pv_cf=np.concatenate([p.pv_cf for p in parts], axis=1),
        price_eur_per_mwh=np.concatenate([p.price_eur_per_mwh for p in parts]),
        hydrogen_demand_mw=np.concatenate([p.hydrogen_demand_mw for p in parts]),
        grid_carbon_g_per_kwh=(None if inputs.grid_carbon_g_per_kwh is None else
                               inputs.grid_carbon_g_per_kwh.reindex(
                                   np.concatenate([np.asarray(p.time) for p in parts]))),
    )


@pytest.fixture(scope="module")
def three_sites() -> SystemInputs:
    base = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    scenario = base.model_copy(
        update={"weather": base.weather.model_copy(update={"years": YEARS})})
    return _cut_years(build_inputs(scenario), HOURS)


@pytest.fixture(scope="module")
def reference(three_sites):
    return _monolithic(three_sites)[1]


def _monolithic(inputs: SystemInputs):
    sn = plan_network(inputs)
    return sn, solve_direct(sn, build_direct_model(sn), options=dict(EXACT_OPTIONS))[1]


def _operate_fixed(inputs: SystemInputs, capacities: dict) -> float:
    """Objective of the monolithic LP with every sized capacity fixed at ``capacities``."""
    sn = plan_network(inputs)
    dm = build_direct_model(sn)
    lo, hi = np.asarray(dm.lp.col_lower_).copy(), np.asarray(dm.lp.col_upper_).copy()
    for key, col in dm.capacity_cols.items():
        lo[col] = hi[col] = capacities[key]
    dm.lp.col_lower_, dm.lp.col_upper_ = lo, hi
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(dm.lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def test_same_optimum_as_the_monolithic_lp(three_sites, reference):
    ref = reference
    _, report, lps, dec = solve_by_weather_year(three_sites)  # from the fast segments
    assert dec.converged and report.status.has_solution
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the capacities it returns are optimal: the monolithic LP operating them costs the optimum
    fixed = _operate_fixed(three_sites, lps.capacities)
    assert abs(fixed - ref.objective) <= 1e-6 * abs(ref.objective)
    assert abs(fixed - lps.objective) <= 1e-6 * abs(ref.objective)
    for key, value in ref.capacities.items():
        b = plan_network(three_sites).bounds[key]
        assert abs(lps.capacities[key] - value) <= 1e-3 * max(1.0, b.hi - b.lo), key
    # hourly results of all years in time order, every hour's demand served
    n = len(three_sites.time)
    assert lps.flows["pipeline"].shape == (n, len(three_sites.site_names))
    np.testing.assert_allclose(lps.flows["pipeline"].sum(axis=1),
                               three_sites.hydrogen_demand_mw, rtol=1e-7, atol=1e-6)


def test_the_reported_gap_encloses_the_optimum(three_sites, reference):
    ref = reference
    _, report, lps, dec = solve_by_weather_year(three_sites, start="middle", tolerance=1e-7)
    gap = (dec.upper_bound_eur_per_year - dec.lower_bound_eur_per_year) / abs(
        dec.upper_bound_eur_per_year)
    assert dec.relative_gap == pytest.approx(gap, rel=1e-12, abs=1e-15)
    assert dec.relative_gap <= 1e-7
    slack = 1e-9 * abs(ref.objective)  # the solvers' own tolerances
    assert dec.lower_bound_eur_per_year <= ref.objective + slack
    assert ref.objective <= dec.upper_bound_eur_per_year + slack
    assert lps.objective == dec.upper_bound_eur_per_year
    assert report.options["relative_gap"] == dec.relative_gap


def test_a_loose_tolerance_stops_early_with_an_honest_gap(three_sites, reference):
    ref = reference
    _, _, lps, dec = solve_by_weather_year(three_sites, start="middle", tolerance=1e-2)
    assert dec.relative_gap <= 1e-2
    # the objective it returns is a feasible cost, at most the gap above the optimum
    assert ref.objective <= lps.objective * (1 + 1e-9)
    assert lps.objective - ref.objective <= dec.relative_gap * abs(lps.objective) + 1e-6


@pytest.mark.parametrize("extra", [{}, {"min_storage_share": 0.05}],
                         ids=["import_cap", "import_cap_and_storage_share"])
def test_caps_on_means_over_the_years(three_sites, extra):
    free_sc = scenario_with(three_sites.scenario, {"operation": {"grid_import": True},
                                                   "optimisation": extra})
    free = for_scenario(three_sites, free_sc)
    _, free_ref = _monolithic(free)
    used = float(np.sum(free_ref.flows["grid_import"])) / len(YEARS)
    assert used > 0
    # a cap on the mean annual import at half of what the sizing without it imports binds
    sc = scenario_with(free_sc, {"optimisation": {"max_grid_import_mwh_per_year": 0.5 * used}})
    inputs = for_scenario(three_sites, sc)
    _, ref = _monolithic(inputs)
    assert ref.objective > free_ref.objective * (1 + 1e-6)
    _, _, lps, dec = solve_by_weather_year(inputs, start="middle")
    assert dec.converged
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the cap holds on the mean over the years, not in each year alone
    imported = lps.flows["grid_import"].sum(axis=1)
    assert float(np.sum(imported)) / len(YEARS) <= 0.5 * used * (1 + 1e-7) + 1e-6


def test_optimise_routes_exact_multi_year_through_the_decomposition(three_sites):
    sc = three_sites.scenario
    mono_sc = scenario_with(sc, {"optimisation": {"exact_method": "monolithic"}})
    dec = optimise(sc, three_sites, mode="exact", run_precheck=False)
    mono = optimise(mono_sc, for_scenario(three_sites, mono_sc), mode="exact",
                    run_precheck=False)
    assert sc.optimisation.exact_method == "decomposition"  # the default
    assert "exact_relative_gap" in dec.kpis and "exact_relative_gap" not in mono.kpis
    assert abs(dec.objective_eur_per_year - mono.objective_eur_per_year) <= 1e-6 * abs(
        mono.objective_eur_per_year)
    # the cost account of the combined years adds up to the objective, as in one LP
    assert dec.total_cost_eur_per_year == pytest.approx(dec.objective_eur_per_year, rel=1e-9)
    assert len(dec.dataset.time) == len(three_sites.time)
