"""Exact sizing by weather year (:mod:`nzv_energy.sizing.decompose`) against the monolithic LP.

The monolithic LP of all years (``build_direct_model`` solved by HiGHS in one
piece) is the independent reference: the cut loop must reach its optimum, its
reported bounds must enclose it, and the capacities it returns must be optimal
when the monolithic LP operates them with the capacities fixed.  The default scenario
carries district heat: its capacities, heat balance, CO2 and KPIs are checked the same way.
"""

from __future__ import annotations

import dataclasses

import highspy
import numpy as np
import pandas as pd
import pytest

from nzv_energy.heat.inputs import site_heat_inputs
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.decompose import solve_by_weather_year
from nzv_energy.sizing.heat import heat_co2_t_per_year
from nzv_energy.sizing.lp import build_direct_model
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.solve import EXACT_OPTIONS, solve_direct
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import SystemInputs, build_inputs
from tests.conftest import HIGHS_FEASIBILITY_TOLERANCE, SCENARIOS

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
        b = plan_network(three_sites).bound(key)
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


def _by_both_methods(inputs: SystemInputs):
    """``optimise(mode="exact")`` of ``inputs`` as its scenario says and as one LP."""
    mono_sc = scenario_with(inputs.scenario, {"optimisation": {"exact_method": "monolithic"}})
    dec = optimise(inputs.scenario, inputs, mode="exact", run_precheck=False)
    mono = optimise(mono_sc, for_scenario(inputs, mono_sc), mode="exact", run_precheck=False)
    assert "exact_relative_gap" in dec.kpis and "exact_relative_gap" not in mono.kpis
    return dec, mono


def test_optimise_routes_exact_multi_year_through_the_decomposition(three_sites):
    sc = three_sites.scenario
    dec, mono = _by_both_methods(three_sites)
    assert sc.optimisation.exact_method == "auto"  # the default: several years decompose
    assert abs(dec.objective_eur_per_year - mono.objective_eur_per_year) <= 1e-6 * abs(
        mono.objective_eur_per_year)
    # the cost account of the combined years adds up to the objective, as in one LP
    assert dec.total_cost_eur_per_year == pytest.approx(dec.objective_eur_per_year, rel=1e-9)
    assert len(dec.dataset.time) == len(three_sites.time)


# ----------------------------------------------------------- one weather year, fast start

ONE_YEAR_HOURS = 168


@pytest.fixture(scope="module")
def year_2019() -> SystemInputs:
    """3 sites (no district heat), 2019."""
    base = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    return build_inputs(base.model_copy(update={
        "heat": None, "weather": base.weather.model_copy(update={"years": (2019,)})}))


@pytest.fixture(scope="module")
def one_year(year_2019) -> SystemInputs:
    """The 3-site year cut to a week from early February."""
    return sliced_inputs(year_2019, ONE_YEAR_HOURS, start=24 * 30)


@pytest.fixture(scope="module")
def one_year_reference(one_year):
    return _monolithic(one_year)[1]


def test_one_year_from_the_fast_lp_in_blocks_reaches_the_monolithic_optimum(
        one_year, one_year_reference):
    ref = one_year_reference
    _, report, lps, dec = solve_by_weather_year(one_year)  # one year: starts from the fast LP
    assert dec.start_iterations == 0  # no cut loop on the segments
    # one year of several sites runs in blocks of whole months: two in this week
    assert dec.blocks_per_year == 2
    assert dec.converged and report.status.has_solution
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    slack = 1e-9 * abs(ref.objective)  # the solvers' own tolerances
    assert dec.lower_bound_eur_per_year <= ref.objective + slack <= (
        dec.upper_bound_eur_per_year + 2 * slack)
    # its capacities are optimal: the monolithic LP operating them costs the optimum
    fixed = _operate_fixed(one_year, lps.capacities)
    assert abs(fixed - ref.objective) <= 1e-6 * abs(ref.objective)
    np.testing.assert_allclose(lps.flows["pipeline"].sum(axis=1), one_year.hydrogen_demand_mw,
                               rtol=1e-7, atol=1e-6)


# ------------------------------------------- one weather year in blocks of whole months

def test_block_starts_are_month_starts_nearest_to_equal_shares(year_2019):
    from nzv_energy.sizing.blocks import block_starts

    # 2019 in four: the calendar quarters (Jan 1, Apr 1 = day 90, Jul 1 = day 181, Oct 1 = 273)
    assert block_starts(year_2019.time, 4) == [0, 90 * 24, 181 * 24, 273 * 24]
    assert block_starts(year_2019.time, 12)[1:3] == [31 * 24, 59 * 24]
    # the test week from January 31 spans two months: two blocks, its 24 h of January and
    # the rest
    cut = sliced_inputs(year_2019, ONE_YEAR_HOURS, start=24 * 30)
    assert block_starts(cut.time, 4) == [0, 24]


def test_blocks_at_the_years_own_levels_cost_what_the_year_costs(one_year, one_year_reference):
    """Block LPs with their boundary levels fixed at the whole year's add up to the year.

    The whole year's optimal operation restricted to a block is feasible there with
    those boundary levels, and any cheaper block operation would make the year cheaper;
    so at the year's levels the blocks' least costs add up to the year's least cost.
    """
    from nzv_energy.sizing.blocks import (
        block_starts,
        level_columns,
        link_boundaries,
        splittable,
        stores,
    )

    caps = one_year_reference.capacities

    def operation_lp(inputs: SystemInputs):
        sn = plan_network(inputs)
        dm = build_direct_model(sn)
        lo, hi = np.asarray(dm.lp.col_lower_).copy(), np.asarray(dm.lp.col_upper_).copy()
        cost = np.asarray(dm.lp.col_cost_).copy()
        for key, col in dm.capacity_cols.items():
            lo[col] = hi[col] = caps[key]
            cost[col] = 0.0  # operating cost only
        dm.lp.col_lower_, dm.lp.col_upper_, dm.lp.col_cost_ = lo, hi, cost
        dm.lp.offset_ = 0.0
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(dm.lp)
        return sn, dm, h

    _, dm, h = operation_lp(one_year)
    assert splittable(dm)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    year_cost = float(h.getInfo().objective_function_value)
    x = np.asarray(h.getSolution().col_value)
    kinds = stores(dm, one_year.scenario.technology.battery.min_soc_fraction)
    assert {k.name for k in kinds} == {"hydrogen_storage_level", "battery_level"}
    starts = block_starts(one_year.time, 4)
    ends = [*starts[1:], len(one_year.time)]
    total = 0.0
    for a, b in zip(starts, ends, strict=True):
        _, bdm, bh = operation_lp(one_year.select_hours(slice(a, b)))
        cols = link_boundaries(bh, bdm, kinds, 1e5)
        before = np.array([x[level_columns(dm, k)[a - 1]] for k in kinds])  # a = 0: cyclic
        after = np.array([x[level_columns(dm, k)[b - 1]] for k in kinds])
        fixed = np.r_[cols.start, cols.end].astype(np.int32)
        bh.changeColsBounds(len(fixed), fixed, np.r_[before, after], np.r_[before, after])
        bh.run()
        assert bh.getModelStatus() == highspy.HighsModelStatus.kOptimal
        assert np.max(np.asarray(bh.getSolution().col_value)[cols.slack]) <= 1e-6
        total += float(bh.getInfo().objective_function_value)
    assert total == pytest.approx(year_cost, rel=1e-7)


def test_blocks_that_stall_hand_over_to_whole_years(one_year, one_year_reference,
                                                    monkeypatch, caplog):
    """Blocks whose bounds stop moving: the whole year goes on and reaches the optimum."""
    import logging

    import nzv_energy.sizing.decompose as dec_mod

    monkeypatch.setattr(dec_mod, "STALL_ITERATIONS", 1)  # every idle block step: a stall
    ref = one_year_reference
    with caplog.at_level(logging.INFO, logger="nzv_energy.sizing.decompose"):
        _, report, lps, dec = solve_by_weather_year(one_year)
    assert "the blocks stalled" in caplog.text
    assert dec.converged and report.status.has_solution
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    slack = 1e-9 * abs(ref.objective)
    assert dec.lower_bound_eur_per_year <= ref.objective + slack


def test_auto_decomposes_long_years_of_one_site_or_several(year_2019, one_year, three_sites):
    from nzv_energy.sizing.decompose import AUTO_MIN_HOURS, use_decomposition

    def method(inputs, value):
        sc = scenario_with(inputs.scenario, {"optimisation": {"exact_method": value}})
        return use_decomposition(for_scenario(inputs, sc))

    assert method(three_sites, "auto") and not method(three_sites, "monolithic")
    assert method(year_2019, "auto") and not method(year_2019, "monolithic")
    assert not method(one_year, "auto") and method(one_year, "decomposition")
    assert len(one_year.time) < AUTO_MIN_HOURS
    one_site = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    one_site_inputs = build_inputs(one_site)
    full_year = one_site_inputs.select_year(one_site_inputs.years[0])
    assert len(full_year.time) >= AUTO_MIN_HOURS
    assert method(full_year, "auto") and not method(full_year, "monolithic")
    assert not method(sliced_inputs(one_site_inputs, AUTO_MIN_HOURS - 1), "auto")


def test_one_site_closes_the_gap_to_1e_10_several_sites_to_1e_7(year_2019):
    from nzv_energy.sizing.decompose import gap_tolerance

    one_site = build_inputs(load_scenario(SCENARIOS / "single_site_sizing.yaml"))
    assert gap_tolerance(one_site) == 1e-10
    assert gap_tolerance(year_2019) == 1e-7


# ------------------------------------------------------------------- one site, one year

#: A month of the one-site scenario: the hourly LP solves in a second or two both ways.
ONE_SITE_HOURS = 720


@pytest.fixture(scope="module")
def one_site_month() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    decompose = scenario_with(scenario, {"optimisation": {"exact_method": "decomposition"}})
    return for_scenario(sliced_inputs(build_inputs(scenario), ONE_SITE_HOURS, start=24 * 30),
                        decompose)


def test_one_site_decomposition_has_the_monolithic_objective_to_1e_9(one_site_month):
    dec, mono = _by_both_methods(one_site_month)
    assert dec.kpis["exact_relative_gap"] <= 1e-10  # one site: the tighter gap
    assert abs(dec.objective_eur_per_year - mono.objective_eur_per_year) <= 1e-9 * abs(
        mono.objective_eur_per_year)
    assert dec.total_cost_eur_per_year == pytest.approx(dec.objective_eur_per_year, rel=1e-9)


def test_one_site_decomposition_reports_bound_duals_as_the_monolithic_lp(one_site_month):
    """A wind range cut to 80 MW binds: its dual is the objective's slope in the bound
    (two monolithic sizings 0.01 MW apart); the pipeline at the demand peak that an unset
    range allows saves nothing beyond it and is not reported (the cut loop's steep cuts
    from points short of the peak, priced at the unserved-hydrogen penalty, are no dual)."""
    def run(wind_max, method):
        sc = scenario_with(one_site_month.scenario, {
            "sites": {"boxberg": {"wind_mw": {"min": 0, "max": wind_max}}},
            "optimisation": {"exact_method": method}})
        return optimise(sc, for_scenario(one_site_month, sc), mode="exact", run_precheck=False)

    dec = run(80, "decomposition")
    step = 0.01
    slope = (run(80, "monolithic").objective_eur_per_year
             - run(80 + step, "monolithic").objective_eur_per_year) / step
    caps = dec.capacities.set_index("technology")
    assert caps.loc["pipeline_mw", "value"] == pytest.approx(caps.loc["pipeline_mw", "max"])
    rows = dec.bounds_at_limit.set_index("technology")
    assert "pipeline_mw" not in rows.index, dec.bounds_at_limit
    assert rows.loc["wind_mw", "bound"] == "upper"
    assert float(rows.loc["wind_mw", "dual_eur_per_unit_year"]) == pytest.approx(slope, rel=1e-6)


# --------------------------------------------------------------------------- district heat

#: Heat flows into a site's heat bus and out of it (nzv_energy.sizing.heat, its balance).
HEAT_IN = ("heat_pump_heat", "booster_heat", "waste_heat_direct", "electric_boiler_heat",
           "chp_heat", "gas_boiler_heat", "storage_discharge", "unserved_heat")
HEAT_OUT = ("heat_demand", "storage_charge")


@pytest.fixture(scope="module")
def heat_sites(three_sites) -> SystemInputs:
    """The default scenario's district heat (five networks at three sites), 3 × 72 hours.

    Over 72 hours a year the heat assets' capital hardly pays, so most of them end at a
    bound; Boxberg's peak boiler cut to 9.5 MW (below its peak demand of about 10.7 MW in
    these hours) without an electric boiler makes its thermal store (power tied to the
    energy) take the peaks: a heat capacity inside its range.
    """
    assert three_sites.scenario.heat is not None, "lausitz_2030.yaml has district heat"
    scenario = scenario_with(three_sites.scenario, {
        "heat": {"boxberg": {"peak_gas_boiler": {"heat_mw_th": 9.5},
                             "electric_boiler": {"heat_mw_th": 0}}}})
    return for_scenario(three_sites, scenario)


@pytest.fixture(scope="module")
def heat_reference(heat_sites):
    return _monolithic(heat_sites)


@pytest.fixture(scope="module")
def heat_decomposed(heat_sites):
    return solve_by_weather_year(heat_sites)


def _heat_keys(sn) -> list[tuple[str, str]]:
    assert sn.heat is not None
    return [(site, fld) for site, m in sn.heat.sites.items() for fld in m.bounds]


def test_heat_same_optimum_as_the_monolithic_lp(heat_sites, heat_reference, heat_decomposed):
    sn, ref = heat_reference
    _, report, lps, dec = heat_decomposed
    assert dec.converged and report.status.has_solution
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the capacities it returns, heat included, are optimal: the monolithic LP with all of
    # them fixed costs the optimum
    assert set(_heat_keys(sn)) <= set(lps.capacities)
    fixed = _operate_fixed(heat_sites, lps.capacities)
    assert abs(fixed - ref.objective) <= 1e-6 * abs(ref.objective)
    sized = [k for k in _heat_keys(sn) if sn.bound(k).extendable and not sn.bound(k).is_zero]
    assert len(sized) >= 10  # heat pumps, boosters, boilers, stores, the CHP
    for key in _heat_keys(sn):
        b = sn.bound(key)
        assert abs(lps.capacities[key] - ref.capacities[key]) <= 1e-3 * max(1.0, b.hi - b.lo), key
    store = sn.bound(("boxberg", "thermal_storage_mwh"))
    assert store.lo + 1.0 < lps.capacities[("boxberg", "thermal_storage_mwh")] < store.hi - 1.0
    # a store's power tied to its energy: energy / the cost row's energy-to-power ratio
    for site, m in sn.heat.sites.items():
        if m.storage_tied:
            assert lps.capacities[(site, "thermal_storage_mw")] == pytest.approx(
                lps.capacities[(site, "thermal_storage_mwh")] / m.params["storage_ratio_h"],
                rel=1e-12, abs=1e-12)


def test_heat_balance_closes_every_snapshot(heat_sites, heat_decomposed):
    _, _, lps, _ = heat_decomposed
    n, sites = len(heat_sites.time), list(heat_sites.site_names)
    for name in (*HEAT_IN, *HEAT_OUT):
        assert lps.heat_flows[name].shape == (n, len(sites)), name
    # the demand of each hour is the hour's demand of the whole horizon, read from the heat
    # inputs of all years together (a year's demand computed alone differs: the reference
    # temperature of its first days reaches back into the year before)
    for site, block in heat_sites.scenario.heat.items():
        hourly = site_heat_inputs(block, YEARS)
        expected = pd.Series(hourly.demand_mw, index=pd.DatetimeIndex(hourly.time))
        np.testing.assert_allclose(lps.heat_flows["heat_demand"][:, sites.index(site)],
                                   expected.reindex(heat_sites.time).to_numpy(), rtol=1e-12)
    supply = sum(lps.heat_flows[name] for name in HEAT_IN)
    use = sum(lps.heat_flows[name] for name in HEAT_OUT)
    peak = float(np.max(lps.heat_flows["heat_demand"]))
    assert peak > 0
    np.testing.assert_allclose(supply, use, rtol=0,
                               atol=10 * HIGHS_FEASIBILITY_TOLERANCE * peak)


def test_co2_cap_counts_the_gas_burnt_for_heat(heat_sites, heat_reference):
    _, free = heat_reference
    sn = plan_network(heat_sites)
    heat_co2 = heat_co2_t_per_year(sn, free.heat_flows)
    assert heat_co2 > 0  # CHP and peak boilers burn natural gas in the free optimum
    cap = 0.5 * heat_co2 + _gas_backup_co2(sn, free)
    sc = scenario_with(heat_sites.scenario, {"optimisation": {"co2_cap_t_per_year": cap}})
    assert not sc.operation.grid_import  # no grid import: gas is all the cap counts
    inputs = for_scenario(heat_sites, sc)
    capped_sn, ref = _monolithic(inputs)
    assert ref.objective > free.objective * (1 + 1e-6)  # the cap binds
    _, _, lps, dec = solve_by_weather_year(inputs, start="middle")
    assert dec.converged
    assert abs(lps.objective - ref.objective) <= 1e-6 * abs(ref.objective)
    # the mean over the years, natural gas of heat counted from the flows by hand
    gas_mwh = 0.0
    w = 1.0 / len(YEARS)
    for site, m in capped_sn.heat.sites.items():
        j = list(inputs.site_names).index(site)
        p = m.params
        if m.has("chp_mw"):
            assert m.block.chp.fuel == "natural_gas"
        gas_mwh += float(np.sum(lps.heat_flows["chp_fuel"][:, j])) * w
        gas_mwh += float(np.sum(lps.heat_flows["gas_boiler_heat"][:, j])) / p["gb_eff"] * w
    intensity = sc.technology.gas_backup.natural_gas_co2_t_per_mwh
    total = gas_mwh * intensity + _gas_backup_co2(capped_sn, lps)
    assert total <= cap * (1 + 1e-7) + 1e-6
    assert total >= cap * (1 - 1e-4)  # binding: the cap is used


def _gas_backup_co2(sn, lps) -> float:
    return float(np.sum(lps.flows["gas_backup"])) / sn.n_years * sn.costs.gas_co2_t_per_mwh_el


def test_optimise_heat_kpis_by_decomposition_agree_with_the_monolithic_lp(heat_sites):
    dec, mono = _by_both_methods(heat_sites)
    assert abs(dec.objective_eur_per_year - mono.objective_eur_per_year) <= 1e-6 * abs(
        mono.objective_eur_per_year)
    assert dec.total_cost_eur_per_year == pytest.approx(dec.objective_eur_per_year, rel=1e-9)
    # the demand is the same input in both; the supply split and its CO2 are the optimum's
    # (the loop stops 1e-7 above it: what that gap can move is far below 1e-4 of them here)
    assert dec.kpis["heat_demand_mwh_per_year"] == pytest.approx(
        mono.kpis["heat_demand_mwh_per_year"], rel=1e-12)
    assert dec.kpis["heat_demand_mwh_per_year"] > 0
    for key in ("heat_unserved_mwh_per_year", "heat_from_waste_heat_mwh_per_year",
                "heat_from_heat_pump_mwh_per_year", "heat_from_electric_boiler_mwh_per_year",
                "heat_from_chp_mwh_per_year", "heat_from_gas_boiler_mwh_per_year",
                "heat_co2_t_per_year", "lp_heat_demand_met_share", "co2_t_per_year"):
        assert dec.kpis[key] == pytest.approx(mono.kpis[key], rel=1e-4, abs=1e-3), key
    assert len(dec.capacities) == len(mono.capacities)
