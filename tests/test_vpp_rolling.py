"""Rolling horizon: storage continuity, fallback windows, forecast errors, balances."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.dispatch.checks import assert_invariants
from nzv_energy.dispatch.parameters import capacity_array, dispatch_parameter_vector
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities
from nzv_energy.vpp.compare import comparison_table
from nzv_energy.vpp.fallback import KernelFallback
from nzv_energy.vpp.model import Portfolio, SiteState
from nzv_energy.vpp.rolling import (
    MIP_MAX_NODES,
    HourlyInputs,
    RollingOptions,
    next_state,
    run_rolling,
)
from nzv_energy.vpp.scheduler import first_days, hourly, rule_based, schedule
from tests.test_vpp_model import make_portfolio

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
TOL = 1e-6


@pytest.fixture(scope="module")
def quick() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    return build_inputs(scenario, SCENARIOS)


@pytest.fixture(scope="module")
def lausitz() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    return build_inputs(scenario, SCENARIOS)


def _dynamics_residuals(schedule: dict[str, np.ndarray], start: SiteState,
                        portfolio: Portfolio) -> tuple[np.ndarray, np.ndarray]:
    """|level[t] - (level[t-1] + in - out)| for battery and hydrogen storage, (n_sites, n)."""
    soc = schedule["battery_soc_mwh"]
    prev = np.hstack([start.battery_soc_mwh[:, None], soc[:, :-1]])
    bat = np.abs(prev + portfolio.battery_charge_efficiency * schedule["battery_charge_mw"]
                 - schedule["battery_discharge_mw"] / portfolio.battery_discharge_efficiency
                 - soc)
    level = schedule["hydrogen_storage_mwh"]
    prev = np.hstack([start.hydrogen_storage_mwh[:, None], level[:, :-1]])
    h2 = np.abs(prev + schedule["hydrogen_storage_charge_mw"]
                - schedule["hydrogen_storage_discharge_mw"] - level)
    return bat, h2


def test_storage_is_continuous_across_window_boundaries(quick: SystemInputs) -> None:
    scenario = quick.scenario
    portfolio = Portfolio.from_scenario(scenario)
    period = hourly(quick, slice(0, 96))
    options = replace(RollingOptions.from_scenario(scenario), horizon_h=36, commit_h=12)
    start = SiteState.initial(portfolio, 0.3, 0.7)
    result = run_rolling(portfolio, period, options, start)
    assert len(result.windows) == 8
    bat, h2 = _dynamics_residuals(result.schedule, start, portfolio)
    boundaries = np.arange(0, 96, 12)
    # the first hour of each window continues from the last committed hour of the one before
    assert bat[:, boundaries].max() < TOL
    assert h2[:, boundaries].max() < TOL
    assert bat.max() < TOL and h2.max() < TOL
    # the batteries and stores were actually used across the boundaries
    assert np.ptp(result.schedule["battery_soc_mwh"]) > 10
    assert np.ptp(result.schedule["hydrogen_storage_mwh"]) > 10
    end = next_state(portfolio, start, result.schedule, 96)
    assert result.final_state.battery_soc_mwh == pytest.approx(end.battery_soc_mwh)
    assert result.final_state.stack_hours == pytest.approx(
        result.schedule["electrolysis_on"].sum(axis=1)
    )


def test_next_state_carries_on_state_stack_hours_and_replacement() -> None:
    p = make_portfolio(n_sites=2, electrolysis_mw=10, battery_mw=1, battery_mwh=4,
                       hydrogen_storage_mwh=100, gas_backup_mw=[5, 0],
                       electrolysis_stack_lifetime_hours=30.0)
    n = 4
    sched = {
        "battery_soc_mwh": np.array([[1, 2, 3, 4.0000001], [0, 0, 0, 0]], float),
        "hydrogen_storage_mwh": np.array([[5, 6, 7, 8], [0, 0, 0, -1e-12]], float),
        "electrolysis_on": np.array([[0, 1, 1, 1], [1, 1, 0, 0]], float),
        "gas_backup_mw": np.array([[0, 0, 0, 2.5], [0, 0, 0, 0]], float),
    }
    start = replace(SiteState.initial(p, 0, 0), stack_hours=np.array([28.0, 5.0]))
    state = next_state(p, start, sched, n)
    assert state.electrolysis_on.tolist() == [True, False]
    assert state.gas_on.tolist() == [True, False]
    # 28 + 3 operating hours passes the 30 h stack life: replaced, 1 h on the new stack
    assert state.stack_hours.tolist() == [1.0, 7.0]
    # levels clipped to their bounds (solver round-off)
    assert state.battery_soc_mwh.tolist() == [4.0, 0.0]
    assert state.hydrogen_storage_mwh.tolist() == [8.0, 0.0]
    # only the first n hours count
    assert next_state(p, start, sched, 2).electrolysis_on.tolist() == [True, True]


def test_initial_on_state_saves_the_start_cost() -> None:
    # Cheap power, valuable hydrogen: the stack runs every hour.  Starting the window with
    # the stack already on (carried over from the previous window) saves exactly one start.
    from tests.test_vpp_model import make_window, solve_window

    p = make_portfolio(electrolysis_mw=100, electrolysis_start_cost_eur_per_mw=7.0,
                       hydrogen_storage_mwh=1e4, grid_connection_mw=100)
    data = make_window(p, [10.0] * 3, hydrogen_value=100.0)
    off = SiteState.initial(p, 0, 0)
    on = replace(off, electrolysis_on=np.array([True]))
    sched_off, obj_off = solve_window(p, data, off)
    sched_on, obj_on = solve_window(p, data, on)
    assert sched_off["electrolysis_on"][0].tolist() == [1, 1, 1]
    assert sched_on["electrolysis_on"][0].tolist() == [1, 1, 1]
    assert obj_on - obj_off == pytest.approx(7.0 * 100)


def test_failed_windows_fall_back_to_the_rule_based_dispatch(quick: SystemInputs) -> None:
    # A hard hydrogen obligation of 500 MW on day 2, far beyond the 62 MW pipeline: the
    # windows that contain day 2 are infeasible, their committed hours are dispatched by
    # the rule kernel from the same state, are marked, and the run goes on.
    scenario = quick.scenario
    capacities = fixed_capacities(scenario)
    portfolio = replace(Portfolio.from_capacities(scenario, capacities),
                        unserved_hydrogen_penalty_eur_per_mwh=None)
    base = hourly(quick, slice(0, 96))
    demand = base.hydrogen_demand_mw.copy()
    demand[24:48] = 500.0
    period = replace(base, hydrogen_demand_mw=demand)
    options = RollingOptions.from_scenario(scenario)
    start = SiteState.initial(portfolio, 0.5, 0.5)
    result = run_rolling(portfolio, period, options, start,
                         fallback=KernelFallback(scenario, capacities, period))
    w = result.windows
    assert w["status"].tolist() == ["infeasible", "infeasible", "optimal", "optimal"]
    assert w["fallback"].tolist() == [True, True, False, False]
    assert result.fallback.tolist() == [True] * 48 + [False] * 48
    assert str(w["start"][1]) == "2019-01-02 00:00:00"
    # the kernel records the unserved hydrogen of the impossible day
    assert result.schedule["unserved_hydrogen_mw"][24:48].min() > 400
    # storage continuous through the fallback hours and back into optimised ones
    bat, h2 = _dynamics_residuals(result.schedule, start, portfolio)
    assert bat.max() < TOL and h2.max() < TOL
    with pytest.raises(Exception, match="window 0"):
        run_rolling(portfolio, period, options, start, fallback=None)


def test_forecast_error_schedule_balances_on_actual_data(quick: SystemInputs) -> None:
    scenario = quick.scenario
    portfolio = Portfolio.from_scenario(scenario)
    period = hourly(quick, slice(0, 72))
    options = replace(RollingOptions.from_scenario(scenario), forecast_error_std_fraction=0.3)
    result = run_rolling(portfolio, period, options, SiteState.initial(portfolio, 0.5, 0.5))
    sched = result.schedule
    # reported generation and prices are the actual ones
    assert sched["wind_mw"][0] == pytest.approx(portfolio.wind_mw[0] * period.wind_cf[0])
    assert sched["price_eur_per_mwh"] == pytest.approx(period.price_eur_per_mwh)
    sources = (sched["wind_mw"] + sched["pv_mw"] + sched["battery_discharge_mw"]
               + sched["grid_import_mw"] + sched["gas_backup_mw"])
    sinks = (sched["electrolysis_input_mw"] + sched["battery_charge_mw"] + sched["grid_export_mw"]
             + sched["curtailment_mw"] + sched["local_demand_mw"])
    assert np.abs(sources - sinks).max() < TOL
    assert (result.windows["redispatch_status"] == "optimal").all()
    # the noise changes the schedule (a perfect forecast needs no re-dispatch)
    perfect = run_rolling(portfolio, period, RollingOptions.from_scenario(scenario),
                          SiteState.initial(portfolio, 0.5, 0.5))
    assert (perfect.windows["redispatch_status"] == "").all()
    assert not np.allclose(perfect.schedule["grid_export_mw"], sched["grid_export_mw"])


def test_three_site_schedule_obeys_every_invariant(lausitz: SystemInputs) -> None:
    run = schedule(lausitz, days=3)
    scenario = lausitz.scenario
    cap = capacity_array(fixed_capacities(scenario), scenario.site_names)
    par = dispatch_parameter_vector(scenario)
    assert_invariants(run.dataset, cap, par, tol=TOL)
    assert run.dataset.sizes["time"] == 72
    assert (run.windows["status"] == "optimal").all()
    assert int(run.dataset["vpp_fallback"].sum()) == 0
    # converged within the requested gap, by HiGHS's own gap, without an early stop
    options = RollingOptions.from_scenario(scenario)
    assert options.mip_max_nodes == MIP_MAX_NODES
    assert (run.windows["stop"] == "converged").all()
    assert (run.windows["mip_gap"] <= options.mip_gap).all()
    assert (run.windows["mip_nodes"] >= 1).all() and (run.windows["simplex_iterations"] > 0).all()
    assert json.loads(run.dataset.attrs["early_stops"]) == []
    assert json.loads(run.dataset.attrs["vpp_options"])["mip_max_nodes"] == MIP_MAX_NODES
    start = json.loads(run.dataset.attrs["dispatch_start_state"])["2019"]
    assert start["boxberg"]["hydrogen_storage_mwh"] == pytest.approx(0.5 * 8000)


def test_objective_equals_the_independently_computed_operating_profit(
    quick: SystemInputs,
) -> None:
    # One window over the whole period, no storage value: the solver's objective and the
    # comparison's operating profit (from the dataset via compute_kpis) must agree.
    vpp = quick.scenario.vpp.model_copy(update={"battery_cycle_cost_eur_per_mwh": 3.0})
    scenario = quick.scenario.model_copy(update={"vpp": vpp})
    inputs = first_days(replace(quick, scenario=scenario), 2)
    options = replace(RollingOptions.from_scenario(scenario), horizon_h=48, commit_h=48,
                      storage_value="none", mip_gap=1e-6)
    run = schedule(inputs, options=options)
    objective = float(run.windows["objective_eur"].sum())
    table = comparison_table(run.dataset, rule_based(inputs), inputs, run.portfolio)
    assert table.loc["battery_cycle_cost_eur", "optimised"] > 0
    assert table.loc["start_cost_eur", "optimised"] > 0
    assert table.loc["operating_profit_eur", "optimised"] == pytest.approx(objective, rel=1e-7)
    # and the optimiser does at least as well as the rules on its own objective
    assert table.loc["operating_profit_eur", "difference"] >= -1e-6 * abs(objective)


def test_import_policy_operation_follows_the_rule_based_policy() -> None:
    # 5 MW_H2 demand each hour, made by a 10 MW stack (efficiency 0.5) from bought power only.
    # 'operation' (grid_import on, threshold 20): buys in the hours priced 10 and 15 only, the
    # other hours go unserved; 'market': buys every hour.
    p = make_portfolio(electrolysis_mw=10, pipeline_mw=5, grid_connection_mw=10)
    period = HourlyInputs(
        time=pd.date_range("2019-01-01", periods=4, freq="h"),
        price_eur_per_mwh=np.array([10.0, 30.0, 15.0, 40.0]),
        wind_cf=np.zeros((1, 4)), pv_cf=np.zeros((1, 4)), hydrogen_demand_mw=np.full(4, 5.0),
    )
    opts = RollingOptions(horizon_h=4, commit_h=4, grid_import=True,
                          import_price_threshold_eur_per_mwh=20.0, import_policy="operation")
    start = SiteState.initial(p, 0, 0)
    result = run_rolling(p, period, opts, start)
    market = run_rolling(p, period, replace(opts, import_policy="market"), start)
    closed = run_rolling(p, period, replace(opts, grid_import=False), start)
    assert result.schedule["grid_import_mw"][0].tolist() == pytest.approx([10, 0, 10, 0])
    assert result.schedule["unserved_hydrogen_mw"].tolist() == pytest.approx([0, 5, 0, 5])
    assert market.schedule["grid_import_mw"][0].tolist() == pytest.approx([10, 10, 10, 10])
    assert market.schedule["unserved_hydrogen_mw"].tolist() == pytest.approx([0, 0, 0, 0])
    assert closed.schedule["unserved_hydrogen_mw"].tolist() == pytest.approx([5, 5, 5, 5])


def test_each_weather_year_starts_from_the_initial_state(
    write_scenario: Callable[..., Path],
) -> None:
    path = write_scenario({"weather": {"source": "entsoe_de", "years": [2017, 2018]}})
    scenario = load_scenario(path)
    full = build_inputs(scenario, SCENARIOS)
    keep = np.r_[0:48, 8760:8808]
    inputs = replace(
        full, time=full.time[keep], wind_cf=full.wind_cf[:, keep], pv_cf=full.pv_cf[:, keep],
        price_eur_per_mwh=full.price_eur_per_mwh[keep],
        hydrogen_demand_mw=full.hydrogen_demand_mw[keep],
    )
    run = schedule(inputs)
    assert run.windows["weather_year"].tolist() == [2017, 2017, 2018, 2018]
    start = json.loads(run.dataset.attrs["dispatch_start_state"])
    assert set(start) == {"2017", "2018"}
    soc0 = scenario.operation.initial_soc_fraction * 200
    for year in ("2017", "2018"):
        assert start[year]["boxberg"]["battery_soc_mwh"] == pytest.approx(soc0)
        assert start[year]["boxberg"]["stack_hours"] == 0.0
    cap = capacity_array(fixed_capacities(scenario), scenario.site_names)
    assert_invariants(run.dataset, cap, dispatch_parameter_vector(scenario), tol=TOL)


def test_time_limit_without_a_schedule_falls_back(lausitz: SystemInputs) -> None:
    options = replace(RollingOptions.from_scenario(lausitz.scenario), time_limit_s=1e-6)
    run = schedule(lausitz, days=2, options=options)
    assert run.windows["status"].tolist() == ["time_limit", "time_limit"]
    assert run.windows["termination"].tolist() == ["maxTimeLimit", "maxTimeLimit"]
    assert run.windows["stop"].tolist() == ["time_limit", "time_limit"]
    assert run.dataset["vpp_fallback"].values.tolist() == [1] * 48
    # every early stop is recorded in the dataset: the schedule depends on the machine's load
    stops = json.loads(run.dataset.attrs["early_stops"])
    assert [(e["window"], e["stop"], e["mip_gap"]) for e in stops] == [
        (0, "time_limit", None), (1, "time_limit", None)
    ]
    assert stops[0]["start"] == "2019-01-01 00:00:00"
    cap = capacity_array(fixed_capacities(lausitz.scenario), lausitz.scenario.site_names)
    assert_invariants(run.dataset, cap, dispatch_parameter_vector(lausitz.scenario), tol=TOL)


def test_the_node_limit_stops_a_window_deterministically_and_is_recorded(
    lausitz: SystemInputs,
) -> None:
    # No branch-and-bound node allowed: HiGHS stops before the root node on a work count
    # (not on the clock), every time. Without a start schedule it has none: the window
    # falls back and the stop is recorded.
    options = replace(RollingOptions.from_scenario(lausitz.scenario), mip_max_nodes=0,
                      mip_start=False)
    run = schedule(lausitz, days=1, options=options)
    assert run.windows["stop"].tolist() == ["node_limit"]
    assert run.windows["fallback"].tolist() == [True]
    stops = json.loads(run.dataset.attrs["early_stops"])
    assert [(e["window"], e["stop"]) for e in stops] == [(0, "node_limit")]
    # With the start schedule (the rounded LP relaxation) HiGHS stops at the same limit
    # but holds that schedule: the window keeps it (status feasible), the stop is recorded.
    run = schedule(lausitz, days=1, options=replace(options, mip_start=True))
    assert run.windows["stop"].tolist() == ["node_limit"]
    assert run.windows["status"].tolist() == ["feasible"]
    assert run.windows["fallback"].tolist() == [False]
    stops = json.loads(run.dataset.attrs["early_stops"])
    assert [(e["window"], e["stop"]) for e in stops] == [(0, "node_limit")]


def test_two_runs_give_identical_schedules(lausitz: SystemInputs) -> None:
    # The stopping rule is deterministic (MIP gap, node limit), models are built the same
    # way: two runs in one process, each with its own models and solvers, agree bit for bit.
    a = schedule(lausitz, days=2)
    b = schedule(lausitz, days=2)
    for name in a.dataset.data_vars:
        np.testing.assert_array_equal(a.dataset[name].values, b.dataset[name].values,
                                      err_msg=name)
    cols = ["status", "stop", "mip_nodes", "simplex_iterations", "objective_eur"]
    pd.testing.assert_frame_equal(a.windows[cols], b.windows[cols])


def test_a_stack_running_through_window_boundaries_counts_one_start(
    quick: SystemInputs,
) -> None:
    # Power at 5 EUR/MWh from the market, no wind or sun, 1,000 MW of hydrogen demand
    # against a 100 MW stack at a 1,000 EUR/MWh penalty: every MWh of hydrogen pays, so
    # the stack runs in all 48 hours, through both window boundaries (36 h windows
    # committed 24 h at a time: windows start at hours 0 and 24).  By hand: starting
    # from off, one off-to-on transition (hour 0) and none at a boundary; starting from
    # on, none at all.  The comparison counts exactly these; the first window's objective
    # differs by one start (5 EUR/MW x 100 MW = 500 EUR), the second's not at all (both
    # runs carry a running stack across the boundary, and a state carried as "off" would
    # make the second window pay a start it does not pay when solved alone from "on").
    from nzv_energy.vpp.compare import schedule_metrics
    from nzv_energy.vpp.dataset import state_attr, to_dataset

    scenario = quick.scenario
    portfolio = Portfolio.from_scenario(scenario)
    part = first_days(quick, 2)
    n, ns = 48, portfolio.n_sites
    period = HourlyInputs(
        time=part.time, price_eur_per_mwh=np.full(n, 5.0), wind_cf=np.zeros((ns, n)),
        pv_cf=np.zeros((ns, n)), hydrogen_demand_mw=np.full(n, 1000.0),
    )
    options = replace(RollingOptions.from_scenario(scenario), horizon_h=36, commit_h=24,
                      import_policy="market")
    objectives = []
    for initially_on, expected in ((False, 1), (True, 0)):
        start = replace(SiteState.initial(portfolio, 0.0, 0.0),
                        electrolysis_on=np.full(ns, initially_on))
        result = run_rolling(portfolio, period, options, start)
        assert len(result.windows) == 2
        on = result.schedule["electrolysis_on"]
        assert on[portfolio.electrolysis_mw > 0].min() == 1.0  # on in every hour
        ds = to_dataset(result.schedule, part.time, portfolio.sites, result.fallback,
                        {"dispatch_start_state": state_attr(portfolio.sites,
                                                            {part.years[0]: start})})
        metrics = schedule_metrics(ds, part, portfolio)
        assert metrics["electrolysis_starts"] == expected
        objectives.append(result.windows["objective_eur"].to_numpy())
    start_cost = portfolio.electrolysis_start_cost_eur_per_mw * 100.0
    assert portfolio.electrolysis_start_cost_eur_per_mw == 5.0
    assert objectives[1][0] - objectives[0][0] == pytest.approx(start_cost, abs=1e-6)
    assert objectives[1][1] == pytest.approx(objectives[0][1], abs=1e-6)
    # the second window alone, from the state after hour 24 with the stack on, is the
    # rolling horizon's second window; from "off" it pays the start
    state = next_state(portfolio, start, result.schedule, 24)
    second = replace(period, time=period.time[24:], price_eur_per_mwh=period.price_eur_per_mwh[24:],
                     wind_cf=period.wind_cf[:, 24:], pv_cf=period.pv_cf[:, 24:],
                     hydrogen_demand_mw=period.hydrogen_demand_mw[24:])
    alone = [
        run_rolling(portfolio, second, options,
                    replace(state, electrolysis_on=np.full(ns, on))).windows["objective_eur"][0]
        for on in (True, False)
    ]
    assert alone[0] == pytest.approx(objectives[1][1], abs=1e-6)
    assert alone[0] - alone[1] == pytest.approx(start_cost, abs=1e-6)
