"""The one status vocabulary of every solve: complete HiGHS mapping, meanings, real solves."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from nzv_energy.solver_status import (
    HIGHS_TERMINATION,
    SolveStatus,
    TerminationCondition,
    highs_termination,
    linopy_status,
    status_from_highs,
    status_from_termination,
)

HMS = highspy.HighsModelStatus
S = SolveStatus

#: What each status lets the run do, from the definitions (not from the code):
#: (has_solution, is_ok, stopped_early, is_infeasible).
MEANING = {
    S.OPTIMAL: (True, True, False, False),
    S.FEASIBLE: (True, True, True, False),
    S.TIME_LIMIT: (False, True, True, False),
    S.ITERATION_LIMIT: (False, True, True, False),
    S.INTERRUPTED: (False, False, True, False),
    S.INFEASIBLE: (False, False, False, True),
    S.UNBOUNDED: (False, False, False, True),
    S.INFEASIBLE_OR_UNBOUNDED: (False, False, False, True),
    S.ERROR: (False, False, False, False),
}


def test_every_highs_model_status_is_mapped() -> None:
    assert set(HIGHS_TERMINATION) == set(HMS.__members__.values())
    assert all(isinstance(tc, TerminationCondition) for tc in HIGHS_TERMINATION.values())


def test_every_status_has_a_meaning() -> None:
    assert set(MEANING) == set(SolveStatus)


@pytest.mark.parametrize("status", list(SolveStatus))
def test_status_helpers(status: SolveStatus) -> None:
    has, ok, early, infeasible = MEANING[status]
    assert status.has_solution is has
    assert status.is_ok is ok
    assert status.stopped_early is early
    assert status.is_infeasible is infeasible
    assert status.is_optimal is (status is S.OPTIMAL)


@pytest.mark.parametrize(("model_status", "point", "expected"), [
    (HMS.kOptimal, True, S.OPTIMAL),
    (HMS.kOptimal, False, S.ERROR),
    (HMS.kInfeasible, False, S.INFEASIBLE),
    (HMS.kUnbounded, False, S.UNBOUNDED),
    (HMS.kUnboundedOrInfeasible, False, S.INFEASIBLE_OR_UNBOUNDED),
    (HMS.kTimeLimit, True, S.FEASIBLE),
    (HMS.kTimeLimit, False, S.TIME_LIMIT),
    (HMS.kIterationLimit, True, S.FEASIBLE),
    (HMS.kIterationLimit, False, S.ITERATION_LIMIT),
    (HMS.kSolutionLimit, False, S.ITERATION_LIMIT),
    (HMS.kObjectiveBound, True, S.FEASIBLE),
    # an interrupt ends the run whether or not the solver holds a point
    (HMS.kInterrupt, False, S.INTERRUPTED),
    (HMS.kInterrupt, True, S.INTERRUPTED),
    (HMS.kMemoryLimit, False, S.ERROR),
    (HMS.kSolveError, False, S.ERROR),
    # a failed or self-stopped solve is an error even when HiGHS holds a point
    (HMS.kSolveError, True, S.ERROR),
    (HMS.kHighsInterrupt, True, S.ERROR),
    (HMS.kNotset, False, S.ERROR),
    (HMS.kModelEmpty, False, S.ERROR),
])
def test_highs_status_to_solve_status(model_status, point, expected) -> None:
    assert status_from_highs(model_status, point) is expected


@pytest.mark.parametrize("model_status", list(HMS.__members__.values()))
@pytest.mark.parametrize("point", [False, True])
def test_interrupts_and_time_limits_never_mix(model_status, point) -> None:
    status = status_from_highs(model_status, point)
    if model_status == HMS.kInterrupt:
        assert status is S.INTERRUPTED
    else:
        assert status is not S.INTERRUPTED
    if status is S.TIME_LIMIT:
        assert model_status == HMS.kTimeLimit and not point
    # a status this vocabulary calls ok is one linopy calls ok
    if status.is_ok:
        assert linopy_status(highs_termination(model_status)).is_ok


def test_linopy_termination_values_are_accepted() -> None:
    # linopy's Model.solve returns (status, termination condition) as strings
    assert status_from_termination("time_limit", False) is S.TIME_LIMIT
    assert status_from_termination("not-a-condition", False) is S.ERROR


def _lp(upper: float, time_limit: float | None = None) -> highspy.Highs:
    """min x + y  s.t.  x + y >= 1,  0 <= x, y <= upper (infeasible when upper < 0.5)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", time_limit)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 2, 1
    lp.col_cost_ = np.array([1.0, 1.0])
    lp.col_lower_ = np.zeros(2)
    lp.col_upper_ = np.full(2, upper)
    lp.row_lower_ = np.array([1.0])
    lp.row_upper_ = np.array([highspy.kHighsInf])
    lp.a_matrix_.start_ = np.array([0, 1, 2])
    lp.a_matrix_.index_ = np.array([0, 0])
    lp.a_matrix_.value_ = np.array([1.0, 1.0])
    h.passModel(lp)
    h.run()
    return h


def _status(h: highspy.Highs) -> SolveStatus:
    feasible = int(h.getInfo().primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    return status_from_highs(h.getModelStatus(), feasible)


def test_real_solves() -> None:
    assert _status(_lp(10.0)) is S.OPTIMAL
    assert _status(_lp(0.4)).is_infeasible
    assert _status(_lp(10.0, time_limit=0.0)) is S.TIME_LIMIT
