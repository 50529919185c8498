"""One vocabulary for the outcome of every solve (sizing LP, VPP windows, diagnosis).

Two things describe how a solve ended, as in linopy (``linopy.constants``):

* **why the solver stopped** - linopy's :class:`~linopy.constants.TerminationCondition`
  (``optimal``, ``time_limit``, ``iteration_limit``, ``user_interrupt``, ...), mapped
  here from every ``highspy.HighsModelStatus`` (:data:`HIGHS_TERMINATION`);
* **what the run can use** - :class:`SolveStatus`, which adds whether a feasible point
  exists: ``time_limit`` always means *no* feasible point (a limit that stopped the
  solve *with* one is ``feasible``), and an interrupt is ``interrupted`` whatever the
  solver holds, because the user asked for the run to stop.

:func:`status_from_termination` is the one rule from the pair to a status;
:func:`status_from_highs` applies it to HiGHS's model status.  The command line
turns ``infeasible``/``unbounded`` into exit status 3 and ``interrupted`` into 130
(through ``KeyboardInterrupt``, see :mod:`nzv_energy.solver_interrupt`).
"""

from __future__ import annotations

import enum
from types import MappingProxyType

import highspy
from linopy.constants import Status, TerminationCondition

__all__ = [
    "HIGHS_TERMINATION",
    "SolveStatus",
    "Status",
    "TerminationCondition",
    "highs_termination",
    "linopy_status",
    "status_from_highs",
    "status_from_termination",
]

_HMS = highspy.HighsModelStatus

#: Why HiGHS stopped, for every ``HighsModelStatus``, in linopy's terms (linopy's own
#: table, plus ``kHighsInterrupt``, which it leaves out).
HIGHS_TERMINATION: MappingProxyType[highspy.HighsModelStatus, TerminationCondition] = (
    MappingProxyType({
        _HMS.kNotset: TerminationCondition.unknown,
        _HMS.kLoadError: TerminationCondition.internal_solver_error,
        _HMS.kModelError: TerminationCondition.internal_solver_error,
        _HMS.kPresolveError: TerminationCondition.internal_solver_error,
        _HMS.kSolveError: TerminationCondition.internal_solver_error,
        _HMS.kPostsolveError: TerminationCondition.internal_solver_error,
        _HMS.kModelEmpty: TerminationCondition.unknown,
        _HMS.kOptimal: TerminationCondition.optimal,
        _HMS.kInfeasible: TerminationCondition.infeasible,
        _HMS.kUnboundedOrInfeasible: TerminationCondition.infeasible_or_unbounded,
        _HMS.kUnbounded: TerminationCondition.unbounded,
        _HMS.kObjectiveBound: TerminationCondition.terminated_by_limit,
        _HMS.kObjectiveTarget: TerminationCondition.terminated_by_limit,
        _HMS.kTimeLimit: TerminationCondition.time_limit,
        _HMS.kIterationLimit: TerminationCondition.iteration_limit,
        _HMS.kUnknown: TerminationCondition.unknown,
        _HMS.kSolutionLimit: TerminationCondition.terminated_by_limit,
        _HMS.kInterrupt: TerminationCondition.user_interrupt,
        _HMS.kMemoryLimit: TerminationCondition.resource_interrupt,
        # HiGHS stopped itself (not a user request and not a limit the caller set)
        _HMS.kHighsInterrupt: TerminationCondition.other,  # type: ignore[attr-defined]
    })
)


class SolveStatus(enum.StrEnum):
    """What a solve gives the run that asked for it.

    The value is written to results (``sizing_status``, the VPP's ``windows.csv``).
    """

    OPTIMAL = "optimal"
    """Proven optimal (a MIP: within the requested relative gap)."""
    FEASIBLE = "feasible"
    """A limit (time, iterations, MIP nodes or solutions, objective bound) stopped the
    solve with a feasible point that is not proven optimal."""
    TIME_LIMIT = "time_limit"
    """The wall-clock limit stopped the solve before any feasible point."""
    ITERATION_LIMIT = "iteration_limit"
    """A deterministic limit (iterations, MIP nodes or solutions, objective bound) stopped
    the solve before any feasible point."""
    INTERRUPTED = "interrupted"
    """The user interrupted the solve (Ctrl-C, ``cancelSolve``): the run stops."""
    INFEASIBLE = "infeasible"
    """Proven infeasible."""
    UNBOUNDED = "unbounded"
    """Proven unbounded (a modelling error)."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """Infeasible or unbounded, not told apart (HiGHS's presolve)."""
    ERROR = "error"
    """The solver failed, ran out of memory, stopped itself (HiGHS's own interrupt) or
    reported an unknown status."""

    @property
    def has_solution(self) -> bool:
        """True when a feasible point is there to use (``optimal`` or ``feasible``)."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)

    @property
    def is_optimal(self) -> bool:
        """True when the point is proven optimal."""
        return self is SolveStatus.OPTIMAL

    @property
    def is_ok(self) -> bool:
        """True when the solver ended normally, as linopy's ``Status.is_ok``.

        Optimal, or stopped by a limit the caller set (with or without a feasible
        point); false for infeasible or unbounded models, errors and interrupts.
        """
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.TIME_LIMIT,
                        SolveStatus.ITERATION_LIMIT)

    @property
    def stopped_early(self) -> bool:
        """True when a limit or an interrupt, not a proof, ended the solve."""
        return self in (SolveStatus.FEASIBLE, SolveStatus.TIME_LIMIT,
                        SolveStatus.ITERATION_LIMIT, SolveStatus.INTERRUPTED)

    @property
    def is_infeasible(self) -> bool:
        """True when the model itself has no optimum (infeasible or unbounded; exit status 3)."""
        return self in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED,
                        SolveStatus.INFEASIBLE_OR_UNBOUNDED)


#: Terminations that prove something about the model, whatever the solver holds.
_PROOF: dict[TerminationCondition, SolveStatus] = {
    TerminationCondition.infeasible: SolveStatus.INFEASIBLE,
    TerminationCondition.unbounded: SolveStatus.UNBOUNDED,
    TerminationCondition.infeasible_or_unbounded: SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    TerminationCondition.user_interrupt: SolveStatus.INTERRUPTED,
}
#: Limits the caller set: the status without a feasible point.
_LIMIT_WITHOUT_POINT: dict[TerminationCondition, SolveStatus] = {
    TerminationCondition.time_limit: SolveStatus.TIME_LIMIT,
    TerminationCondition.iteration_limit: SolveStatus.ITERATION_LIMIT,
    TerminationCondition.terminated_by_limit: SolveStatus.ITERATION_LIMIT,
}


def status_from_termination(
    termination: TerminationCondition | str, has_feasible_point: bool
) -> SolveStatus:
    """The status of a solve from why it stopped and whether it holds a feasible point.

    Parameters
    ----------
    termination
        linopy's termination condition (or its value, as ``Model.solve`` returns it).
    has_feasible_point
        The solver reports a primal feasible point.

    Returns
    -------
    SolveStatus
        ``optimal`` needs both an ``optimal`` termination and a point; a limit (a
        termination linopy counts as ``ok``) gives ``feasible`` with a point and
        ``time_limit``/``iteration_limit`` without; infeasible, unbounded and user
        interrupts are what they say either way; errors, other aborts and unknown
        terminations are ``error`` whatever point the solver holds.
    """
    tc = TerminationCondition.process(termination)
    if tc in _PROOF:
        return _PROOF[tc]
    if not Status.from_termination_condition(tc).is_ok:
        return SolveStatus.ERROR  # errors, aborts, unknown: a point is not to be trusted
    if tc is TerminationCondition.optimal:
        return SolveStatus.OPTIMAL if has_feasible_point else SolveStatus.ERROR
    if has_feasible_point:
        return SolveStatus.FEASIBLE
    return _LIMIT_WITHOUT_POINT.get(tc, SolveStatus.ERROR)


def highs_termination(model_status: highspy.HighsModelStatus) -> TerminationCondition:
    """Why HiGHS stopped, as linopy's termination condition (see :data:`HIGHS_TERMINATION`)."""
    return HIGHS_TERMINATION.get(model_status, TerminationCondition.unknown)


def status_from_highs(
    model_status: highspy.HighsModelStatus, has_feasible_point: bool
) -> SolveStatus:
    """:func:`status_from_termination` of HiGHS's model status."""
    return status_from_termination(highs_termination(model_status), has_feasible_point)


def linopy_status(termination: TerminationCondition | str) -> Status:
    """The linopy ``Status`` (solver status and termination condition) of a termination."""
    return Status.from_termination_condition(termination)
