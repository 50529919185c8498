"""Solve window models with HiGHS through Pyomo's persistent interface.

The interface is ``pyomo.contrib.solver``'s ``"highs"`` (Pyomo >= 6.8, built on
``highspy``): the model is handed to HiGHS once, and later solves only push the
changed parameter values and variable bounds, which is what makes 365 windows
a year affordable.  Pyomo's termination conditions are mapped to
:class:`SolveStatus`.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

log = logging.getLogger(__name__)

#: Name of the HiGHS interface in ``pyomo.contrib.solver``'s factory.
SOLVER_NAME = "highs"


class SolveStatus(enum.Enum):
    """Outcome of one window solve."""

    OPTIMAL = "optimal"
    """Solved to the requested MIP gap."""
    FEASIBLE = "feasible"
    """Stopped early (time or iteration limit) with a feasible schedule."""
    INFEASIBLE = "infeasible"
    """No schedule satisfies the constraints."""
    UNBOUNDED = "unbounded"
    """The objective is unbounded (a modelling error)."""
    TIME_LIMIT = "time_limit"
    """Stopped at the time limit without a feasible schedule."""
    ERROR = "error"
    """The solver failed."""

    @property
    def has_solution(self) -> bool:
        """True when a schedule was loaded into the model."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def map_status(termination: TerminationCondition, solution: SolutionStatus) -> SolveStatus:
    """Map Pyomo's termination condition and solution status to :class:`SolveStatus`."""
    has_solution = solution in (SolutionStatus.optimal, SolutionStatus.feasible)
    if termination == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        return SolveStatus.OPTIMAL
    if termination in (TerminationCondition.provenInfeasible,
                       TerminationCondition.locallyInfeasible):
        return SolveStatus.INFEASIBLE
    if termination == TerminationCondition.infeasibleOrUnbounded:
        # HiGHS reports this for MIPs whose presolve proves there is no feasible point
        return SolveStatus.INFEASIBLE
    if termination == TerminationCondition.unbounded:
        return SolveStatus.UNBOUNDED
    if has_solution:
        return SolveStatus.FEASIBLE
    if termination == TerminationCondition.maxTimeLimit:
        return SolveStatus.TIME_LIMIT
    return SolveStatus.ERROR


@dataclass(frozen=True)
class SolveResult:
    """What one solve returned.

    Attributes
    ----------
    status
        Outcome.
    termination
        Pyomo's termination condition name (for the log and ``windows.csv``).
    objective_eur
        Objective of the loaded schedule (window profit incl. storage value), or None.
    bound_eur
        Best bound on the objective (MIP dual bound), or None.
    solve_time_s
        Wall time of the solve call, incl. pushing updates to HiGHS.
    """

    status: SolveStatus
    termination: str
    objective_eur: float | None
    bound_eur: float | None
    solve_time_s: float


class WindowSolver:
    """A persistent HiGHS instance bound to one window model.

    Parameters
    ----------
    model
        The window model (built once; parameters change between solves).
    mip_gap
        Relative MIP gap at which HiGHS stops.
    time_limit_s
        Time limit per solve, s (None = none).
    """

    def __init__(
        self, model: pyo.ConcreteModel, mip_gap: float, time_limit_s: float | None = None
    ) -> None:
        self.model = model
        self._solver = SolverFactory(SOLVER_NAME)
        if not self._solver.available():
            raise RuntimeError("HiGHS (highspy) is not available to Pyomo")
        cfg = self._solver.config
        cfg.load_solutions = False
        cfg.raise_exception_on_nonoptimal_result = False
        cfg.rel_gap = mip_gap
        cfg.time_limit = time_limit_s
        cfg.solver_options["output_flag"] = False
        cfg.solver_options["mip_feasibility_tolerance"] = 1e-9
        # the model's structure never changes: only parameters and bounds are pushed
        auto = cfg.auto_updates
        auto.check_for_new_or_removed_constraints = False
        auto.check_for_new_or_removed_vars = False
        auto.check_for_new_or_removed_params = False
        auto.check_for_new_objective = False
        auto.update_constraints = False
        auto.update_named_expressions = False
        auto.update_objective = False
        auto.update_vars = True
        auto.update_parameters = True

    def solve(self) -> SolveResult:
        """Solve the model as its parameters stand; load the schedule when there is one."""
        tick = time.perf_counter()
        try:
            results = self._solver.solve(self.model)
        except Exception as exc:  # any solver failure becomes a status
            log.warning("HiGHS failed: %s", exc)
            return SolveResult(SolveStatus.ERROR, type(exc).__name__, None, None,
                               time.perf_counter() - tick)
        status = map_status(results.termination_condition, results.solution_status)
        objective = None
        if status.has_solution:
            results.solution_loader.load_vars()
            objective = results.incumbent_objective
        return SolveResult(
            status=status,
            termination=results.termination_condition.name,
            objective_eur=objective,
            bound_eur=results.objective_bound,
            solve_time_s=time.perf_counter() - tick,
        )
