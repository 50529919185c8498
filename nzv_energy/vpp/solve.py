"""Solve window models with HiGHS through Pyomo's persistent interface.

The interface is ``pyomo.contrib.solver``'s ``"highs"`` (Pyomo >= 6.8, built on
``highspy``): the model is handed to HiGHS once, and later solves only push the
changed parameter values and variable bounds, which is what makes 365 windows
a year affordable.  Pyomo's termination conditions are mapped to linopy's
(:data:`PYOMO_TERMINATION`) and from there to the project's one status vocabulary
(:class:`~nzv_energy.solver_status.SolveStatus`).

A window's MIP stops at the relative gap ``mip_gap`` or, deterministically, after
``mip_max_nodes`` branch-and-bound nodes, so the schedule does not depend on the
machine's load; the wall-clock ``time_limit_s`` is only a safety net.  Every
solve reports why it stopped (:class:`StopReason`), its gap, nodes and simplex
iterations.  Ctrl-C stops a running solve within a fraction of a second
(:mod:`nzv_energy.solver_interrupt`).

The rolling horizon reads schedules straight from HiGHS's solution
(:meth:`WindowSolver.values`), starts each MIP from the previous window's plan
(``warm``) and polishes in HiGHS directly (:meth:`WindowSolver.polish`): Pyomo builds
the model and pushes parameters, nothing more.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from nzv_energy.highs_banner import silence_banner
from nzv_energy.solver_interrupt import call_interruptibly
from nzv_energy.solver_status import SolveStatus, status_from_termination
from nzv_energy.solver_status import TerminationCondition as Termination

log = logging.getLogger(__name__)

#: Name of the HiGHS interface in ``pyomo.contrib.solver``'s factory.
SOLVER_NAME = "highs"
#: An on/off variable above this in the LP relaxation is on in the start schedule.
START_ON = 1e-6

#: HiGHS options of every window solve beside the gap and the limits.  The sub-MIP
#: heuristics RINS and RENS and the restart after the root node are off: in the hard
#: windows of the sized default scenario they took most of the time (95 sub-MIPs and
#: 21.6 of 25.5 s in one window) without closing the gap faster; without them the 12
#: hardest windows took a third of the CPU time (30.7 vs 95.1 s), with schedules within
#: ``mip_gap`` of the previous ones (``docs/PERFORMANCE.md``).  All three are
#: deterministic choices.
WINDOW_HIGHS_OPTIONS: tuple[tuple[str, bool | int | float], ...] = (
    ("mip_heuristic_run_rins", False),
    ("mip_heuristic_run_rens", False),
    ("mip_allow_restart", False),
)


#: Pyomo's termination conditions in linopy's terms (every member of Pyomo's enum).
PYOMO_TERMINATION: dict[TerminationCondition, Termination] = {
    TerminationCondition.convergenceCriteriaSatisfied: Termination.optimal,
    TerminationCondition.maxTimeLimit: Termination.time_limit,
    # HiGHS's kIterationLimit and kSolutionLimit (MIP node limits) both arrive here
    TerminationCondition.iterationLimit: Termination.iteration_limit,
    TerminationCondition.objectiveLimit: Termination.terminated_by_limit,
    TerminationCondition.minStepLength: Termination.imprecise,
    TerminationCondition.unbounded: Termination.unbounded,
    TerminationCondition.provenInfeasible: Termination.infeasible,
    TerminationCondition.locallyInfeasible: Termination.infeasible,
    TerminationCondition.infeasibleOrUnbounded: Termination.infeasible_or_unbounded,
    TerminationCondition.error: Termination.error,
    TerminationCondition.interrupted: Termination.user_interrupt,
    TerminationCondition.licensingProblems: Termination.licensing_problems,
    TerminationCondition.emptyModel: Termination.unknown,
    TerminationCondition.unknown: Termination.unknown,
}


def map_status(termination: TerminationCondition, solution: SolutionStatus) -> SolveStatus:
    """Pyomo's termination condition and solution status as a :class:`SolveStatus`.

    The rule is :func:`nzv_energy.solver_status.status_from_termination`: a window
    stopped by a limit with a schedule is ``feasible``, without one ``time_limit`` or
    ``iteration_limit``; ``infeasible_or_unbounded`` (HiGHS's MIP presolve) keeps its name.
    """
    has_solution = solution in (SolutionStatus.optimal, SolutionStatus.feasible)
    return status_from_termination(
        PYOMO_TERMINATION.get(termination, Termination.unknown), has_solution
    )


class StopReason(enum.Enum):
    """Why HiGHS stopped a solve."""

    CONVERGED = "converged"
    """Optimal (an LP) or within the relative MIP gap (a MIP)."""
    NODE_LIMIT = "node_limit"
    """The deterministic branch-and-bound node limit (``mip_max_nodes``)."""
    TIME_LIMIT = "time_limit"
    """The wall-clock safety net (``time_limit_s``): depends on the machine's load."""
    ITERATION_LIMIT = "iteration_limit"
    """A simplex iteration limit."""
    OTHER = "other"
    """Infeasible, unbounded, an error or another termination."""

    @property
    def early(self) -> bool:
        """True when a limit, not convergence, ended the solve."""
        return self in (StopReason.NODE_LIMIT, StopReason.TIME_LIMIT,
                        StopReason.ITERATION_LIMIT)


def stop_reason(termination: TerminationCondition, mip_nodes: int,
                mip_max_nodes: int | None) -> StopReason:
    """Map Pyomo's termination condition (and the node count) to :class:`StopReason`."""
    if termination == TerminationCondition.convergenceCriteriaSatisfied:
        return StopReason.CONVERGED
    if termination == TerminationCondition.maxTimeLimit:
        return StopReason.TIME_LIMIT
    if termination == TerminationCondition.iterationLimit:
        # HiGHS's kSolutionLimit (MIP node limits) and kIterationLimit both map here
        if mip_max_nodes is not None and mip_nodes >= mip_max_nodes:
            return StopReason.NODE_LIMIT
        return StopReason.ITERATION_LIMIT
    return StopReason.OTHER


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
        Wall time of the solve call, incl. pushing updates to HiGHS (for the log only).
    stop
        Why HiGHS stopped.
    mip_gap
        HiGHS's relative MIP gap at the stop (None for an LP or without a schedule).
    mip_nodes
        Branch-and-bound nodes (0 for an LP).
    simplex_iterations
        Simplex iterations.
    """

    status: SolveStatus
    termination: str
    objective_eur: float | None
    bound_eur: float | None
    solve_time_s: float
    stop: StopReason = StopReason.OTHER
    mip_gap: float | None = None
    mip_nodes: int = 0
    simplex_iterations: int = 0


class WindowSolver:
    """A persistent HiGHS instance bound to one window model.

    Parameters
    ----------
    model
        The window model (built once; parameters change between solves).
    mip_gap
        Relative MIP gap at which HiGHS stops.
    time_limit_s
        Wall-clock safety net per solve, s (None = none).
    mip_max_nodes
        Deterministic limit of branch-and-bound nodes per solve (None = none).
    mip_start
        Hand HiGHS a start schedule for each MIP (:meth:`solve`); False (default) =
        HiGHS alone.
    highs_options
        Further HiGHS options as ``(name, value)`` pairs (default
        :data:`WINDOW_HIGHS_OPTIONS`; ``()`` = HiGHS's defaults).
    """

    def __init__(
        self,
        model: pyo.ConcreteModel,
        mip_gap: float,
        time_limit_s: float | None = None,
        mip_max_nodes: int | None = None,
        mip_start: bool = False,
        highs_options: tuple[tuple[str, bool | int | float], ...] = WINDOW_HIGHS_OPTIONS,
    ) -> None:
        self.model = model
        self.mip_max_nodes = mip_max_nodes
        self.mip_start = mip_start
        self._x: np.ndarray | None = None
        self._start: tuple[np.ndarray, np.ndarray, float] | None = None
        self._cols: dict[int, np.ndarray] = {}
        self._lp_status = ""
        self._binary_capable = {
            id(var) for var in model.component_objects(pyo.Var, descend_into=True)
            if all(v.lb is not None and v.lb >= 0 and v.ub is not None and v.ub <= 1
                   for v in var.values())
        }
        if not log.isEnabledFor(logging.DEBUG):
            silence_banner()  # output_flag is off; Pyomo constructs the Highs object
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
        if mip_max_nodes is not None:
            cfg.solver_options["mip_max_nodes"] = int(mip_max_nodes)
        for name, value in highs_options:
            cfg.solver_options[name] = value
        # the model's structure never changes: only parameters and bounds are pushed.  The
        # objective checks stay at their defaults: per solve they compare two object
        # identities (pyomo.contrib.solver.common.persistent), nothing is rebuilt
        auto = cfg.auto_updates
        auto.check_for_new_or_removed_constraints = False
        auto.check_for_new_or_removed_vars = False
        auto.check_for_new_or_removed_params = False
        auto.update_constraints = False
        auto.update_named_expressions = False
        auto.update_vars = True
        auto.update_parameters = True

    def solve(
        self, start: bool = True, parameters_changed: bool = True, load: bool = True,
        warm: Mapping[str, np.ndarray] | None = None,
    ) -> SolveResult:
        """Solve the model as its parameters stand; keep the schedule when there is one.

        Parameters
        ----------
        start
            With :attr:`mip_start`, begin the MIP from a rounded schedule
            (:meth:`_start_schedule`); False = HiGHS alone (e.g. every binary fixed).
        parameters_changed
            False when no parameter changed since the last solve (only variable bounds
            or domains did, e.g. the polish): Pyomo then skips re-evaluating every
            parameter-dependent coefficient and bound (about 40 ms per solve).
        load
            Load the schedule into the Pyomo variables (True) or only keep it for
            :meth:`values` (False: about 30 ms less per solve of a 48 h window).
        warm
            Values of the on/off decisions to start the MIP from, by variable name
            (e.g. ``"el_on"``), each in the variable's index order
            (:meth:`_solve_from_warm`); None = no start.  Ignored with :attr:`mip_start`.

        Raises
        ------
        KeyboardInterrupt
            The solve was interrupted (Ctrl-C, or HiGHS reports an interrupt).
        """
        tick = time.perf_counter()
        auto = self._solver.config.auto_updates
        auto.update_parameters = parameters_changed
        self._x = None
        self._start = None
        try:
            if start and self.mip_start:
                results = self._solve_from_start()
            elif start and warm is not None and self._highs() is not None:
                results = self._solve_from_warm(warm)
            else:
                results = call_interruptibly(
                    lambda: self._solver.solve(self.model), self._cancel, "highs-vpp-window"
                )
        except Exception as exc:  # any solver failure becomes a status
            log.warning("HiGHS failed: %s", exc)
            return SolveResult(SolveStatus.ERROR, type(exc).__name__, None, None,
                               time.perf_counter() - tick)
        finally:
            auto.update_parameters = True
        status = map_status(results.termination_condition, results.solution_status)
        if status is SolveStatus.INTERRUPTED:
            # a cancelled window ends the run as Ctrl-C does (exit status 130, nothing written)
            raise KeyboardInterrupt(f"HiGHS: {results.termination_condition.name}")
        objective = None
        if status.has_solution:
            if load:
                results.solution_loader.load_vars()
            objective = self._schedule_value()
            self._x = _with_zero(self._solver._sol.col_value)
        extra = results.extra_info
        nodes = max(int(getattr(extra, "mip_node_count", 0) or 0), 0)
        return SolveResult(
            status=status,
            termination=results.termination_condition.name,
            objective_eur=objective,
            bound_eur=results.objective_bound,
            solve_time_s=time.perf_counter() - tick,
            stop=stop_reason(results.termination_condition, nodes, self.mip_max_nodes),
            mip_gap=self._mip_gap() if status.has_solution and nodes > 0 else None,
            mip_nodes=nodes,
            simplex_iterations=int(getattr(extra, "simplex_iteration_count", 0) or 0),
        )

    def _solve_from_start(self) -> Any:
        """The MIP begun from the schedule of :meth:`_start_schedule` (Pyomo's results).

        Pyomo pushes the window's parameters with the LP relaxation; the MIP call then
        pushes nothing (nothing changed in between), so HiGHS keeps the start schedule,
        which a parameter push would discard.
        """
        opts = self._solver.config.solver_options
        auto = self._solver.config.auto_updates
        opts["solve_relaxation"] = True
        opts["time_limit"] = highspy.kHighsInf  # the LP clock is cumulative (_fixed_lp)
        try:
            relaxed = call_interruptibly(
                lambda: self._solver.solve(self.model), self._cancel, "highs-vpp-window"
            )
        finally:
            opts["solve_relaxation"] = False
            del opts["time_limit"]
        h = self._highs()
        if relaxed.termination_condition == TerminationCondition.interrupted:
            return relaxed
        start = None
        if relaxed.termination_condition == TerminationCondition.convergenceCriteriaSatisfied:
            start = self._start_schedule(h)
        if start is not None:
            h.setSolution(start)
        auto.update_parameters = auto.update_vars = False
        try:
            return call_interruptibly(
                lambda: self._solver.solve(self.model), self._cancel, "highs-vpp-window"
            )
        finally:
            auto.update_parameters = auto.update_vars = True

    def values(self, var: pyo.Var) -> np.ndarray:
        """Values of ``var``'s members (index order) in the last solve's schedule.

        Read from HiGHS's solution without loading it into Pyomo; a member Pyomo did
        not hand to HiGHS (used in no constraint or objective) reads 0.

        Raises
        ------
        RuntimeError
            The last solve returned no schedule.
        """
        if self._x is None:
            raise RuntimeError("the last solve returned no schedule")
        return self._x[self._columns(var)]

    def polish(self) -> SolveResult:
        """Fix every integer decision at its value in the schedule and solve the LP.

        The continuous decisions (flows, storage) are re-optimised for the commitment
        the MIP chose, so its gap does not show up as slack in the schedule.  Done in
        HiGHS directly (bounds fixed, the LP solved, bounds restored), so Pyomo pushes
        nothing.  When the schedule's integer decisions are those of the warm start,
        the start's LP is this LP: its solution is returned without a solve.

        Raises
        ------
        RuntimeError
            The last solve returned no schedule.
        KeyboardInterrupt
            The solve was interrupted.
        """
        if self._x is None:
            raise RuntimeError("the last solve returned no schedule")
        tick = time.perf_counter()
        cols = self._integer_columns()
        fixed = np.round(self._x[cols])
        if self._start is not None and np.array_equal(self._start[0], fixed):
            self._x, objective = self._start[1], self._start[2]
            return SolveResult(SolveStatus.OPTIMAL, "convergenceCriteriaSatisfied", objective,
                               objective, time.perf_counter() - tick, StopReason.CONVERGED)
        solved = self._fixed_lp(cols, fixed)
        elapsed = time.perf_counter() - tick
        if solved is None:
            return SolveResult(SolveStatus.ERROR, f"polish LP: {self._lp_status}", None, None,
                               elapsed)
        x, objective, iterations = solved
        self._x = x
        return SolveResult(SolveStatus.OPTIMAL, "convergenceCriteriaSatisfied", objective,
                           objective, elapsed, StopReason.CONVERGED,
                           simplex_iterations=iterations)

    def _columns(self, var: pyo.Var) -> np.ndarray:
        """HiGHS column of each member of ``var`` (index order); -1 = not in HiGHS."""
        cols = self._cols.get(id(var))
        if cols is None:
            vmap = self._solver._pyomo_var_to_solver_var_map
            cols = np.fromiter((vmap.get(id(v), -1) for v in var.values()), dtype=np.int64,
                               count=len(var))
            self._cols[id(var)] = cols
        return cols

    def _integer_columns(self) -> np.ndarray:
        """HiGHS columns of the members that are binary now (their domain may change)."""
        cols = [
            self._columns(var)[[v.is_binary() for v in var.values()]]
            for var in self.model.component_objects(pyo.Var, descend_into=True)
            if id(var) in self._binary_capable
        ]
        out = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        return np.sort(out[out >= 0])

    def _fixed_lp(
        self, cols: np.ndarray, values: np.ndarray
    ) -> tuple[np.ndarray, float, int] | None:
        """Solve the LP with the columns ``cols`` fixed at ``values`` in HiGHS directly.

        Returns ``(solution with a trailing 0, objective, simplex iterations)``, or None
        when the LP is not optimal.  HiGHS's bounds and options are restored afterwards.
        """
        h = self._highs()
        lp = h.getLp()
        lower = np.asarray(lp.col_lower_, dtype=float)[cols]
        upper = np.asarray(lp.col_upper_, dtype=float)[cols]
        limit = h.getOptionValue("time_limit")[1]
        h.setOptionValue("solve_relaxation", True)
        # HiGHS's LP solver checks time_limit against the instance's run time summed over
        # every solve so far: after time_limit seconds of a year every LP would stop at it.
        # These LPs are small and always finish; they get no wall-clock limit.
        h.setOptionValue("time_limit", highspy.kHighsInf)
        h.changeColsBounds(cols.size, cols, values, values)
        try:
            call_interruptibly(h.run, self._cancel, "highs-vpp-window")
            if h.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
                raise KeyboardInterrupt("HiGHS: interrupted")
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                self._lp_status = h.modelStatusToString(h.getModelStatus())
                return None
            info = h.getInfo()
            out = (_with_zero(h.getSolution().col_value), float(info.objective_function_value),
                   int(info.simplex_iteration_count))
        finally:
            h.changeColsBounds(cols.size, cols, lower, upper)
            h.setOptionValue("solve_relaxation", False)
            h.setOptionValue("time_limit", limit)
        return out

    def _solve_from_warm(self, warm: Mapping[str, np.ndarray]) -> Any:
        """The MIP begun from the warm start's schedule (Pyomo's results).

        The window's parameters and bounds are pushed to HiGHS first; the on/off
        decisions are fixed at ``warm`` (rounded) and the LP of the continuous decisions
        solved; where it is optimal its solution is HiGHS's first incumbent, and the MIP
        call pushes nothing (a push would discard it).  Deterministic: no wall-clock
        rule is involved.
        """
        s = self._solver
        s._active_config = s.config
        s.update()
        cols, values = [], []
        for name, vals in warm.items():
            var = getattr(self.model, name)
            binary = np.fromiter((v.is_binary() for v in var.values()), bool, count=len(var))
            c = self._columns(var)
            keep = binary & (c >= 0)
            cols.append(c[keep])
            values.append(np.round(np.asarray(vals, float)[keep]))
        col_arr = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        order = np.argsort(col_arr)
        col_arr = col_arr[order]
        value_arr = np.concatenate(values)[order] if values else np.zeros(0)
        # a start only when it sets every integer decision of the window
        if col_arr.size and np.array_equal(col_arr, self._integer_columns()):
            solved = self._fixed_lp(col_arr, value_arr)
            if solved is not None:
                h = self._highs()
                self._start = (value_arr, solved[0], solved[1])
                solution = highspy.HighsSolution()
                solution.col_value = list(solved[0][:-1])
                solution.value_valid = True
                h.setSolution(solution)
        auto = s.config.auto_updates
        saved = auto.update_parameters, auto.update_vars
        auto.update_parameters = auto.update_vars = False
        try:
            return call_interruptibly(lambda: s.solve(self.model), self._cancel,
                                      "highs-vpp-window")
        finally:
            auto.update_parameters, auto.update_vars = saved

    def _start_schedule(self, h: Any) -> Any:
        """A schedule to start the MIP from, or None: the LP relaxation rounded up.

        Every on/off (and battery mode) variable that is above zero in the LP
        relaxation is fixed on, the others off, and the LP of the continuous decisions
        solved: where that LP is feasible its solution is a schedule, in easy windows
        usually within the MIP gap already, and a window stopped by a limit keeps at
        least it.  HiGHS's own bounds are restored afterwards; the Pyomo model is not
        touched.
        """
        lp = h.getLp()
        integrality = np.asarray([int(v) for v in lp.integrality_], dtype=int)
        cols = np.flatnonzero(integrality == int(highspy.HighsVarType.kInteger))
        if cols.size == 0:
            return None
        x = np.asarray(h.getSolution().col_value, dtype=float)
        lower = np.asarray(lp.col_lower_, dtype=float)[cols]
        upper = np.asarray(lp.col_upper_, dtype=float)[cols]
        rounded = np.clip((x[cols] > START_ON).astype(float), lower, upper)
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("time_limit", highspy.kHighsInf)  # cumulative LP clock
        h.changeColsBounds(cols.size, cols, rounded, rounded)
        try:
            h.run()
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            values = list(h.getSolution().col_value) if ok else None
        finally:
            h.changeColsBounds(cols.size, cols, lower, upper)
            h.setOptionValue("solve_relaxation", False)
        if values is None:
            return None
        solution = highspy.HighsSolution()
        solution.col_value = values
        solution.value_valid = True
        return solution

    def _highs(self) -> Any:
        """The ``highspy.Highs`` instance behind Pyomo's interface (None before the first solve)."""
        return getattr(self._solver, "_solver_model", None)

    def _schedule_value(self) -> float | None:
        """Objective of the schedule HiGHS returned, incl. the constant Pyomo passes as offset.

        The value Pyomo's results report, read from HiGHS's info; evaluating the Pyomo
        expression of the objective instead took 30-70 ms per solve (a large share of
        an easy window's time).
        """
        h = self._highs()
        if h is None:
            return None
        value = float(h.getInfo().objective_function_value)
        return value if math.isfinite(value) else None

    def _cancel(self) -> None:
        h = self._highs()
        if h is not None:
            h.cancelSolve()

    def _mip_gap(self) -> float | None:
        h = self._highs()
        if h is None:
            return None
        gap = float(h.getInfo().mip_gap)
        return gap if math.isfinite(gap) else None


def _with_zero(values: Any) -> np.ndarray:
    """HiGHS column values as an array with a trailing 0 (read by column index -1)."""
    return np.append(np.asarray(values, dtype=float), 0.0)
