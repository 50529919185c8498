"""One VPP window: hand-checkable optimal schedules of small Pyomo/HiGHS models."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from nzv_energy.errors import ScenarioError
from nzv_energy.vpp.model import (
    Portfolio,
    SiteState,
    WindowData,
    build_model,
    read_schedule,
    set_window,
)
from nzv_energy.vpp.solve import (
    PYOMO_TERMINATION,
    WINDOW_HIGHS_OPTIONS,
    SolveStatus,
    WindowSolver,
    map_status,
)
from tests.conftest import lp_tol

SITE_FIELDS = (
    "wind_mw", "pv_mw", "battery_mw", "battery_mwh", "electrolysis_mw", "gas_backup_mw",
    "pipeline_mw", "hydrogen_storage_mwh", "grid_connection_mw", "local_demand_mw",
)


def make_portfolio(n_sites: int = 1, **kw: object) -> Portfolio:
    """A portfolio of ``n_sites`` empty sites; keyword arguments override fields.

    Per-site fields accept a number (same at every site) or a sequence.
    """
    values: dict[str, object] = {
        "sites": tuple(f"site{i}" for i in range(n_sites)),
        "battery_charge_efficiency": 1.0,
        "battery_discharge_efficiency": 1.0,
        "battery_min_soc_fraction": 0.0,
        "electrolysis_efficiency": 0.5,
        "electrolysis_part_load_point_fraction": 1.0,
        "electrolysis_part_load_efficiency": 0.5,
        "electrolysis_min_load_fraction": 0.0,
        "electrolysis_standby_fraction": 0.0,
        "electrolysis_vom_eur_per_mwh_h2": 0.0,
        "electrolysis_degradation_fraction_per_1000h": 0.0,
        "electrolysis_stack_lifetime_hours": 80_000.0,
        "electrolysis_start_cost_eur_per_mw": 0.0,
        "gas_efficiency": 0.5,
        "gas_min_load_fraction": 0.0,
        "gas_start_cost_eur_per_mw": 0.0,
        "gas_fuel": "natural_gas",
        "gas_price_eur_per_mwh": 30.0,
        "co2_price_eur_per_t": 0.0,
        "gas_co2_t_per_mwh": 0.2,
        "gas_vom_eur_per_mwh": 0.0,
        "wind_vom_eur_per_mwh": 0.0,
        "pv_vom_eur_per_mwh": 0.0,
        "unserved_hydrogen_penalty_eur_per_mwh": 1000.0,
    }
    for name in SITE_FIELDS:
        values[name] = np.zeros(n_sites)
    for name, value in kw.items():
        if name in SITE_FIELDS:
            values[name] = np.broadcast_to(np.asarray(value, float), (n_sites,)).copy()
        else:
            values[name] = value
    return Portfolio(**values)  # type: ignore[arg-type]


def make_window(
    portfolio: Portfolio,
    price: list[float] | np.ndarray,
    *,
    wind_cf: float | list[float] | np.ndarray = 0.0,
    demand: float | np.ndarray = 0.0,
    market: bool = True,
    hydrogen_value: float = 0.0,
    battery_value: float = 0.0,
) -> WindowData:
    n = len(price)
    ns = portfolio.n_sites
    limit = portfolio.grid_connection_mw[:, None] * np.ones((ns, n)) if market else np.zeros(
        (ns, n)
    )
    return WindowData(
        price_eur_per_mwh=np.asarray(price, float),
        wind_cf=np.broadcast_to(np.asarray(wind_cf, float), (ns, n)).copy(),
        pv_cf=np.zeros((ns, n)),
        hydrogen_demand_mw=np.broadcast_to(np.asarray(demand, float), (n,)).copy(),
        import_limit_mw=limit,
        battery_value_eur_per_mwh=battery_value,
        hydrogen_value_eur_per_mwh=hydrogen_value,
    )


def solve_window(
    portfolio: Portfolio, data: WindowData, state: SiteState | None = None, gap: float = 1e-9
) -> tuple[dict[str, np.ndarray], float]:
    state = state or SiteState.initial(portfolio, 0.0, 0.0)
    model = build_model(portfolio, data.n_hours)
    set_window(model, portfolio, data, state)
    result = WindowSolver(model, mip_gap=gap).solve()
    assert result.status is SolveStatus.OPTIMAL, result
    assert result.objective_eur is not None
    return read_schedule(model, portfolio, data), float(result.objective_eur)


def test_battery_arbitrages_a_two_price_day() -> None:
    # 10 MW / 40 MWh, 90 % each way, empty at the start; 12 h at 10 then 12 h at 100 EUR/MWh.
    # By hand: fill 40 MWh from 40 / 0.9 = 44.44 MWh bought at 10, sell 40 * 0.9 = 36 MWh
    # at 100: profit 3600 - 444.44 = 3155.56 EUR; never charge when dear or sell when cheap.
    p = make_portfolio(battery_mw=10, battery_mwh=40, grid_connection_mw=100,
                       battery_charge_efficiency=0.9, battery_discharge_efficiency=0.9)
    price = [10.0] * 12 + [100.0] * 12
    sched, objective = solve_window(p, make_window(p, price))
    bought = 40 / 0.9
    assert objective == pytest.approx(36 * 100 - bought * 10, rel=1e-9)
    assert sched["battery_charge_mw"][0, :12].sum() == pytest.approx(bought, rel=1e-9)
    # LP values of a 10 MW battery summed over 12 hours
    assert sched["battery_charge_mw"][0, 12:].sum() == pytest.approx(0, abs=lp_tol(10, 12))
    assert sched["battery_discharge_mw"][0, 12:].sum() == pytest.approx(36, rel=1e-9)
    assert sched["battery_discharge_mw"][0, :12].sum() == pytest.approx(0, abs=lp_tol(10, 12))
    assert sched["grid_import_mw"][0].sum() == pytest.approx(bought, rel=1e-9)
    assert sched["grid_export_mw"][0].sum() == pytest.approx(36, rel=1e-9)
    assert sched["battery_soc_mwh"][0, 11] == pytest.approx(40, rel=1e-9)
    assert sched["battery_soc_mwh"][0, -1] == pytest.approx(0, abs=lp_tol(40))
    assert (sched["battery_charge_mw"] <= 10 + 1e-9).all()


@pytest.mark.parametrize(("wear", "expect_profit"), [(50.0, 36 * 50 - 400 / 0.9), (95.0, 0.0)])
def test_battery_wear_cost_decides_whether_to_cycle(wear: float, expect_profit: float) -> None:
    # Same day as above with a wear cost per MWh discharged: at 50 EUR/MWh the spread still
    # pays (36 x (100 - 50) - 444.44); at 95 it does not (36 x 5 < 444.44): the battery idles.
    p = make_portfolio(battery_mw=10, battery_mwh=40, grid_connection_mw=100,
                       battery_charge_efficiency=0.9, battery_discharge_efficiency=0.9,
                       battery_cycle_cost_eur_per_mwh=wear)
    sched, objective = solve_window(p, make_window(p, [10.0] * 12 + [100.0] * 12))
    # an objective of 24 hourly terms up to 100 EUR/MWh x 10 MW each
    assert objective == pytest.approx(expect_profit, rel=1e-9, abs=lp_tol(1000, 24))
    assert sched["battery_discharge_mw"].sum() == pytest.approx(36.0 if expect_profit else 0.0)


def test_battery_min_soc_and_initial_charge() -> None:
    # 20 % minimum state of charge, starts full (lossless): sells 80 % of 50 MWh when dear.
    p = make_portfolio(battery_mw=100, battery_mwh=50, grid_connection_mw=100,
                       battery_min_soc_fraction=0.2)
    state = SiteState.initial(p, 1.0, 0.0)
    sched, objective = solve_window(p, make_window(p, [50.0, 80.0]), state)
    assert objective == pytest.approx(40 * 80 + 0 * 50, rel=1e-9)
    assert sched["battery_soc_mwh"][0].tolist() == pytest.approx([50.0, 10.0])


def test_electrolyser_minimum_load_forbids_running_below_it() -> None:
    # 20 MW of wind, 100 MW electrolyser, no purchases; hydrogen worth 200 EUR/MWh in storage.
    # Minimum load 30 %: 20 MW is not enough, the stack stays off and the wind is sold.
    # Minimum load 10 %: it runs at 20 MW and makes 0.5 * 20 = 10 MW of hydrogen.
    base = dict(wind_mw=100, electrolysis_mw=100, hydrogen_storage_mwh=1000,
                grid_connection_mw=100)
    for min_load, expect_on in ((0.3, 0.0), (0.1, 1.0)):
        p = make_portfolio(electrolysis_min_load_fraction=min_load, **base)
        data = make_window(p, [10.0] * 4, wind_cf=0.2, market=False, hydrogen_value=200.0)
        sched, objective = solve_window(p, data)
        assert sched["electrolysis_on"][0].tolist() == [expect_on] * 4
        if expect_on:
            assert sched["electrolysis_input_mw"][0] == pytest.approx([20.0] * 4)
            assert sched["hydrogen_storage_mwh"][0, -1] == pytest.approx(4 * 10.0)
            assert objective == pytest.approx(40 * 200.0)
        else:
            assert sched["hydrogen_output_mw"][0] == pytest.approx([0.0] * 4, abs=lp_tol(20))
            assert sched["grid_export_mw"][0] == pytest.approx([20.0] * 4)
            assert objective == pytest.approx(4 * 20 * 10.0)


@pytest.mark.parametrize(
    ("start_cost", "expect_on", "expect_profit"),
    [
        # by hand (100 MW, efficiency 0.5, hydrogen worth 100 -> 50 EUR per MWh_el; min load
        # 20 %): running through the dear hours at minimum load costs 2 x 20 x (60 - 50) =
        # 400 EUR, two extra starts cost 2 x 100 x S.  Continuous: 3 x 4000 - 400 - 100 S;
        # cycling: 3 x 4000 - 300 S.  Continuous wins when S > 2 EUR/MW.
        (5.0, [1, 1, 1, 1, 1], 12000 - 400 - 500),
        (1.0, [1, 0, 1, 0, 1], 12000 - 300),
    ],
)
def test_start_cost_decides_between_continuous_and_cycling(
    start_cost: float, expect_on: list[int], expect_profit: float
) -> None:
    p = make_portfolio(electrolysis_mw=100, electrolysis_min_load_fraction=0.2,
                       electrolysis_start_cost_eur_per_mw=start_cost,
                       hydrogen_storage_mwh=10_000, grid_connection_mw=1000)
    data = make_window(p, [10.0, 60.0, 10.0, 60.0, 10.0], hydrogen_value=100.0)
    sched, objective = solve_window(p, data)
    assert sched["electrolysis_on"][0].tolist() == expect_on
    assert objective == pytest.approx(expect_profit, rel=1e-9)
    running = sched["electrolysis_input_mw"][0][np.array(expect_on) > 0]
    assert (running >= 20.0 - 1e-6).all()


def test_part_load_line_and_standby() -> None:
    # rated 0.62 at 100 %, 0.57 at 20 %: line h = a p + b P with a = (0.62 - 0.114) / 0.8.
    # Hour 1: 30 MW of wind, no purchases for production -> runs at 30 MW, h = a 30 + b 100.
    # Hour 2: no wind -> off, 1 % standby (1 MW) bought for the site's own use.
    p = make_portfolio(wind_mw=100, electrolysis_mw=100, hydrogen_storage_mwh=1e4,
                       electrolysis_efficiency=0.62, electrolysis_part_load_point_fraction=0.2,
                       electrolysis_part_load_efficiency=0.57, electrolysis_min_load_fraction=0.1,
                       electrolysis_standby_fraction=0.01, grid_connection_mw=10)
    a = (0.62 - 0.2 * 0.57) / 0.8
    b = 0.62 - a
    sched, objective = solve_window(p, make_window(p, [0.0, 50.0], wind_cf=[0.3, 0.0],
                                                   market=False, hydrogen_value=100.0))
    h = a * 30 + b * 100
    assert sched["electrolysis_on"][0].tolist() == [1.0, 0.0]
    assert sched["hydrogen_output_mw"][0, 0] == pytest.approx(h, rel=1e-9)
    assert sched["electrolysis_standby_mw"][0].tolist() == pytest.approx([0.0, 1.0])
    assert sched["electrolysis_input_mw"][0].tolist() == pytest.approx([30.0, 1.0])
    assert sched["grid_import_mw"][0].tolist() == pytest.approx([0.0, 1.0])
    assert objective == pytest.approx(100.0 * h - 50.0, rel=1e-9)


def test_standby_is_bought_even_without_purchases_allowed() -> None:
    # The policy forbids purchases for production, not the site's own standby use.
    p = make_portfolio(electrolysis_mw=100, electrolysis_standby_fraction=0.01,
                       grid_connection_mw=50)
    sched, objective = solve_window(p, make_window(p, [40.0, 40.0], market=False))
    assert sched["electrolysis_on"][0].tolist() == [0.0, 0.0]
    assert sched["grid_import_mw"][0] == pytest.approx([1.0, 1.0])
    assert sched["electrolysis_standby_mw"][0] == pytest.approx([1.0, 1.0])
    assert objective == pytest.approx(-80.0)


def test_gas_unit_commitment_min_load_and_start_cost() -> None:
    # 100 MW gas unit, efficiency 0.5, gas 30 EUR/MWh -> 60 EUR/MWh_el; min load 50 %.
    # Prices 100, 40, 100: running hour 2 at min load loses 50 x 20 = 1000 EUR; a second
    # start costs 100 x S.  S = 20 -> stay on (profit 2 x 4000 - 1000 - 2000);
    # S = 5 -> restart (2 x 4000 - 2 x 500).
    for start_cost, on, profit in ((20.0, [1, 1, 1], 8000 - 1000 - 2000),
                                   (5.0, [1, 0, 1], 8000 - 1000)):
        p = make_portfolio(gas_backup_mw=100, gas_min_load_fraction=0.5,
                           gas_start_cost_eur_per_mw=start_cost, grid_connection_mw=200)
        sched, objective = solve_window(p, make_window(p, [100.0, 40.0, 100.0]))
        assert sched["gas_on"][0].tolist() == on
        assert objective == pytest.approx(profit, rel=1e-9)
        assert sched["gas_backup_fuel_mw"][0] == pytest.approx(sched["gas_backup_mw"][0] / 0.5)


def test_a_solve_without_parameter_push_still_sees_new_bounds() -> None:
    # The gas case above with S = 5 (restart in hour 2, profit 7000).  Forcing the unit on
    # in hour 2 through its bounds (what the polish does) and solving without a parameter
    # push must give the forced schedule: one start, hour 2 at its 50 MW minimum,
    # 2 x 4000 - 50 x 20 - 100 x 5 = 6500.  A new window (prices 100, 100, 100, pushed by
    # the default solve, bounds released) runs all three hours: 3 x 4000 - 500 = 11500.
    p = make_portfolio(gas_backup_mw=100, gas_min_load_fraction=0.5,
                       gas_start_cost_eur_per_mw=5.0, grid_connection_mw=200)
    model = build_model(p, 3)
    state = SiteState.initial(p, 0.0, 0.0)
    set_window(model, p, make_window(p, [100.0, 40.0, 100.0]), state)
    solver = WindowSolver(model, mip_gap=1e-9)
    assert solver.solve().objective_eur == pytest.approx(7000.0, rel=1e-9)
    model.gas_on[0, 1].setlb(1.0)
    forced = solver.solve(parameters_changed=False)
    assert forced.objective_eur == pytest.approx(6500.0, rel=1e-9)
    assert [model.gas_on[0, t].value for t in range(3)] == pytest.approx([1, 1, 1])
    model.gas_on[0, 1].setlb(0.0)
    set_window(model, p, make_window(p, [100.0, 100.0, 100.0]), state)
    assert solver.solve().objective_eur == pytest.approx(11500.0, rel=1e-9)


def test_window_solves_use_the_deterministic_highs_options() -> None:
    # RINS, RENS and the root restart are off in every window solve (WINDOW_HIGHS_OPTIONS);
    # highs_options=() leaves HiGHS's own defaults (all three on).
    p = make_portfolio(gas_backup_mw=100, grid_connection_mw=200)
    data = make_window(p, [100.0, 40.0])
    seen = []
    for options in (WINDOW_HIGHS_OPTIONS, ()):
        model = build_model(p, 2)
        set_window(model, p, data, SiteState.initial(p, 0.0, 0.0))
        solver = WindowSolver(model, mip_gap=1e-9, highs_options=options)
        solver.solve()
        h = solver._highs()
        seen.append({name: h.getOptionValue(name)[1] for name, _ in WINDOW_HIGHS_OPTIONS})
    assert dict(WINDOW_HIGHS_OPTIONS) == {
        "mip_heuristic_run_rins": False,
        "mip_heuristic_run_rens": False,
        "mip_allow_restart": False,
    }
    assert seen == [dict(WINDOW_HIGHS_OPTIONS), {name: True for name, _ in WINDOW_HIGHS_OPTIONS}]


def test_unserved_hydrogen_penalty_vs_hard_obligation() -> None:
    # demand 10 MW_H2, the pipeline carries 6: 4 MW unserved at 1000 EUR/MWh; hard -> infeasible.
    p = make_portfolio(electrolysis_mw=100, pipeline_mw=6, grid_connection_mw=100)
    sched, objective = solve_window(p, make_window(p, [0.0, 0.0], demand=10.0))
    assert sched["unserved_hydrogen_mw"].tolist() == pytest.approx([4.0, 4.0])
    assert sched["hydrogen_delivered_mw"].tolist() == pytest.approx([6.0, 6.0])
    assert objective == pytest.approx(-8000.0)
    hard = replace(p, unserved_hydrogen_penalty_eur_per_mwh=None)
    model = build_model(hard, 2)
    set_window(model, hard, make_window(hard, [0.0, 0.0], demand=10.0),
               SiteState.initial(hard, 0.0, 0.0))
    assert WindowSolver(model, 1e-6).solve().status is SolveStatus.INFEASIBLE


def test_hydrogen_fuelled_gas_burns_stored_hydrogen() -> None:
    # Gas unit on hydrogen (efficiency 0.5) next to a full store: selling 10 MW at 500
    # burns 20 MW_H2; no natural gas, no CO2.
    p = make_portfolio(gas_backup_mw=10, gas_fuel="hydrogen", hydrogen_storage_mwh=100,
                       grid_connection_mw=10)
    sched, objective = solve_window(p, make_window(p, [500.0]), SiteState.initial(p, 0, 1.0))
    assert sched["gas_backup_mw"][0, 0] == pytest.approx(10.0)
    assert sched["gas_backup_hydrogen_fuel_mw"][0, 0] == pytest.approx(20.0)
    assert sched["hydrogen_storage_mwh"][0, 0] == pytest.approx(80.0)
    assert objective == pytest.approx(5000.0)


def test_part_load_line_must_not_go_negative_above_min_load() -> None:
    with pytest.raises(ScenarioError, match="min_load_fraction"):
        make_portfolio(electrolysis_mw=10, electrolysis_efficiency=0.7,
                       electrolysis_part_load_point_fraction=0.5,
                       electrolysis_part_load_efficiency=0.2,
                       electrolysis_min_load_fraction=0.0).check()


def test_status_mapping() -> None:
    tc, ss = TerminationCondition, SolutionStatus
    assert map_status(tc.convergenceCriteriaSatisfied, ss.optimal) is SolveStatus.OPTIMAL
    assert map_status(tc.maxTimeLimit, ss.feasible) is SolveStatus.FEASIBLE
    assert map_status(tc.iterationLimit, ss.feasible) is SolveStatus.FEASIBLE
    assert map_status(tc.maxTimeLimit, ss.noSolution) is SolveStatus.TIME_LIMIT
    assert map_status(tc.iterationLimit, ss.noSolution) is SolveStatus.ITERATION_LIMIT
    assert map_status(tc.interrupted, ss.noSolution) is SolveStatus.INTERRUPTED
    assert map_status(tc.interrupted, ss.feasible) is SolveStatus.INTERRUPTED
    assert map_status(tc.provenInfeasible, ss.noSolution) is SolveStatus.INFEASIBLE
    assert map_status(tc.infeasibleOrUnbounded, ss.noSolution) is (
        SolveStatus.INFEASIBLE_OR_UNBOUNDED)
    assert map_status(tc.unbounded, ss.noSolution) is SolveStatus.UNBOUNDED
    assert map_status(tc.error, ss.noSolution) is SolveStatus.ERROR


def test_every_pyomo_termination_has_a_linopy_termination() -> None:
    assert set(PYOMO_TERMINATION) == set(TerminationCondition)


def test_vpp_and_sizing_speak_one_status_vocabulary() -> None:
    from nzv_energy.sizing import SolveStatus as SizingStatus

    assert SolveStatus is SizingStatus


def test_lookahead_relaxation_keeps_committed_hours_binary() -> None:
    p = make_portfolio(electrolysis_mw=10, gas_backup_mw=10, battery_mw=1, battery_mwh=1,
                       grid_connection_mw=10)
    relaxed = build_model(p, 6, integer_hours=2)
    exact = build_model(p, 6)
    for t in range(6):
        assert relaxed.el_on[0, t].is_binary() == (t < 2)
        assert relaxed.gas_on[0, t].is_binary() == (t < 2)
        assert exact.el_on[0, t].is_binary()
    # battery mode: binary only in committed hours priced at or below 1 EUR/MWh
    set_window(relaxed, p, make_window(p, [-5.0, 30.0, -5.0, 0.5, 30.0, 30.0]),
               SiteState.initial(p, 0, 0))
    assert [relaxed.bat_mode[0, t].is_binary() for t in range(6)] == [
        True, False, False, False, False, False,
    ]


def test_a_warm_start_keeps_the_optimum_and_reuses_its_lp() -> None:
    # The gas case above with S = 5: by hand the optimum restarts the unit in hour 2
    # (on/off 1, 0, 1; profit 7000); kept on through hour 1 it makes 6500.  Started
    # from the optimal plan, the MIP returns it and the polish reuses the start's LP (no
    # simplex iteration); started from the worse plan, HiGHS still finds 7000 and the
    # polish solves its LP.  Nothing is loaded into Pyomo (load=False): the schedule is
    # read from the solver.
    p = make_portfolio(gas_backup_mw=100, gas_min_load_fraction=0.5,
                       gas_start_cost_eur_per_mw=5.0, grid_connection_mw=200)
    model = build_model(p, 3)
    data = make_window(p, [100.0, 40.0, 100.0])
    set_window(model, p, data, SiteState.initial(p, 0.0, 0.0))
    solver = WindowSolver(model, mip_gap=1e-9)
    assert solver.solve(load=False).objective_eur == pytest.approx(7000.0, rel=1e-9)
    modes = np.zeros(len(model.bat_mode))
    for plan, reused in (([1.0, 0.0, 1.0], True), ([1.0, 1.0, 1.0], False)):
        warm = {"el_on": np.zeros(0), "gas_on": np.array(plan), "bat_mode": modes}
        result = solver.solve(load=False, warm=warm)
        assert result.objective_eur == pytest.approx(7000.0, rel=1e-9)
        polished = solver.polish()
        assert polished.objective_eur == pytest.approx(7000.0, rel=1e-9)
        assert (polished.simplex_iterations == 0) is reused
        sched = read_schedule(model, p, data, solver.values)
        assert sched["gas_on"][0].tolist() == [1, 0, 1]
        assert sched["gas_backup_mw"][0].tolist() == pytest.approx([100.0, 0.0, 100.0])
    assert model.gas_on[0, 1].value is None  # never loaded into Pyomo


def test_warm_start_takes_the_overlap_and_holds_the_last_decision() -> None:
    # Plan of 4 h, 2 h committed: the next window's hours 0-1 are the plan's hours 2-3;
    # its later hours keep the plan's last decision (no transition made up there).
    from nzv_energy.vpp.rolling import warm_start

    plan = {"gas_on": np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])}
    assert warm_start(plan, 2, 4)["gas_on"].tolist() == [1, 0, 0, 0, 0, 1, 1, 1]
    assert warm_start(plan, 2, 2)["gas_on"].tolist() == [1, 0, 0, 1]
    assert warm_start(plan, 1, 3)["gas_on"].tolist() == [0, 1, 0, 0, 0, 1]


def test_the_polish_lp_has_no_wall_clock_limit() -> None:
    # HiGHS's LP solver checks time_limit against the run time of every solve of the
    # instance so far, so late in a year every LP would stop at the limit.  The polish
    # must not: with a limit of 1e-12 s (long passed) it still returns the optimum of the
    # gas case above (7000, by hand) and leaves the option as it found it.
    p = make_portfolio(gas_backup_mw=100, gas_min_load_fraction=0.5,
                       gas_start_cost_eur_per_mw=5.0, grid_connection_mw=200)
    model = build_model(p, 3)
    set_window(model, p, make_window(p, [100.0, 40.0, 100.0]), SiteState.initial(p, 0.0, 0.0))
    solver = WindowSolver(model, mip_gap=1e-9)
    solver.solve(load=False)
    h = solver._highs()
    h.setOptionValue("time_limit", 1e-12)
    polished = solver.polish()
    assert polished.status is SolveStatus.OPTIMAL
    assert polished.objective_eur == pytest.approx(7000.0, rel=1e-9)
    assert h.getOptionValue("time_limit")[1] == 1e-12
