"""Stage 3 of the optimiser: solve the linopy model with HiGHS.

Statuses are the project's one vocabulary
(:class:`~nzv_energy.solver_status.SolveStatus`), mapped from HiGHS's own model
status.  An infeasible or unbounded model raises
:class:`~nzv_energy.errors.ModelInfeasibleError` (exit status 3) with a
diagnosis in scenario terms; a time limit returns the best feasible point
HiGHS has (status ``feasible``), with a warning, or raises :class:`SolverLimitError`
when it has none; an interrupted solve raises ``KeyboardInterrupt`` (exit status 130).

The time limit is wall-clock time, so where it stops depends on the machine's
load: leave it unset (the default) for a reproducible sizing, or use HiGHS's
deterministic ``simplex_iteration_limit`` through ``solver_options``.  Every
early stop with a feasible point is recorded in the result's status (``feasible``).  Ctrl-C stops
a solve within a fraction of a second (:mod:`nzv_energy.solver_interrupt`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import linopy

from nzv_energy.errors import EXIT_INFEASIBLE, ModelInfeasibleError, NzvError
from nzv_energy.highs_banner import silence_banner
from nzv_energy.sizing.diagnose import explain_direct_infeasibility, explain_infeasibility
from nzv_energy.sizing.lp import DirectModel, LpSolution, read_direct_solution
from nzv_energy.sizing.network import SizingNetwork
from nzv_energy.solver_interrupt import call_interruptibly, enable_cancel
from nzv_energy.solver_status import (
    SolveStatus,
    TerminationCondition,
    highs_termination,
    status_from_highs,
)

logger = logging.getLogger(__name__)


class SolverLimitError(NzvError):
    """A time or iteration limit stopped the solver before a feasible solution (exit status 3)."""

    exit_code = EXIT_INFEASIBLE


#: HiGHS options of the exact mode: dual simplex after presolve with Devex pricing.
#: On the hourly model with sized renewables written into the balance
#: (``build_direct_model(..., substitute_renewables="all")``, as :func:`optimise`
#: builds it) Devex was measured 1.26-1.49x faster than the default steepest edge on
#: the dispatch-column model, which stays fastest with steepest edge (IPX, primal
#: simplex, presolve off and other scaling were slower still, see docs/PERFORMANCE.md);
#: default tolerances, so the optimum matches a default-settings solve.
EXACT_OPTIONS: dict[str, Any] = {
    "solver": "simplex",
    "presolve": "on",
    "simplex_dual_edge_weight_strategy": 1,
}
#: HiGHS options of the fast mode (aggregated time steps): dual simplex with Devex
#: pricing, measured about twice as fast as the default steepest edge on the one-site
#: segmented model and as fast on the 3-site one, and scaling by the largest value of
#: each row and column (``simplex_scale_strategy`` 4): 1.9-2.1x faster on the one-site
#: model, 1.7-2.5x on a quarter of the 3-site model with district heat, the same time
#: within the machine's noise on the 3-site model without heat (docs/PERFORMANCE.md,
#: Sizing part 7); the optimum is the same.
FAST_OPTIONS: dict[str, Any] = {
    "solver": "simplex",
    "presolve": "on",
    "simplex_dual_edge_weight_strategy": 1,
    "simplex_scale_strategy": 4,
}


@dataclass(frozen=True)
class SolveReport:
    """What the solver did.

    Attributes
    ----------
    status
        Outcome (:class:`~nzv_energy.solver_status.SolveStatus`).
    objective
        Objective value (mean annual cost of the extendable assets and operation), EUR/a.
    solve_time_s
        Wall time of the HiGHS call.
    highs_status
        HiGHS's own model-status text.
    iterations
        Simplex and interior-point iteration counts.
    options
        The HiGHS options used.
    termination
        Why HiGHS stopped, in linopy's terms.
    """

    status: SolveStatus
    objective: float
    solve_time_s: float
    highs_status: str
    iterations: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    termination: TerminationCondition = TerminationCondition.unknown


def _run(
    h: highspy.Highs, opts: dict[str, Any], time_limit_s: float | None
) -> tuple[SolveReport, bool]:
    """Run HiGHS on a loaded model; returns the report and whether a feasible point exists."""
    logger.info("HiGHS: solving the sizing LP (%d columns, %d rows)", h.getNumCol(), h.getNumRow())
    enable_cancel(h)
    t0 = time.perf_counter()
    call_interruptibly(h.run, h.cancelSolve, "highs-sizing")
    elapsed = time.perf_counter() - t0
    return _report(h, opts, elapsed, time_limit_s)


def _report(
    h: highspy.Highs, opts: dict[str, Any], elapsed: float, time_limit_s: float | None
) -> tuple[SolveReport, bool]:
    info = h.getInfo()
    model_status = h.getModelStatus()
    feasible = int(info.primal_solution_status) == int(
        highspy.SolutionStatus.kSolutionStatusFeasible
    )
    report = SolveReport(
        status=status_from_highs(model_status, feasible),
        objective=float(info.objective_function_value) if feasible else float("nan"),
        solve_time_s=elapsed,
        highs_status=h.modelStatusToString(model_status),
        iterations={
            "simplex": int(info.simplex_iteration_count),
            "ipm": int(info.ipm_iteration_count),
            "crossover": int(info.crossover_iteration_count),
        },
        options=opts,
        termination=highs_termination(model_status),
    )
    logger.info("HiGHS: %s in %.1f s (%s)", report.highs_status, elapsed, report.iterations)
    return report, feasible


def _options(options: dict[str, Any] | None, time_limit_s: float | None) -> dict[str, Any]:
    opts = dict(EXACT_OPTIONS if options is None else options)
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    opts.setdefault("output_flag", logger.isEnabledFor(logging.DEBUG))
    return opts


def _raise_for_status(
    sn: SizingNetwork, report: SolveReport, time_limit_s: float | None, reason: Callable[[], str]
) -> None:
    status = report.status
    if status.is_infeasible:
        why = reason()
        raise ModelInfeasibleError(
            f"scenario {sn.scenario.name!r}: the sizing model is {status.value.replace('_', ' ')}"
            + (f": {why}" if why else "")
        )
    if status is SolveStatus.INTERRUPTED:
        # a cancelled solve ends the run as Ctrl-C does (exit status 130, nothing written)
        raise KeyboardInterrupt(f"HiGHS: {report.highs_status}")
    if status in (SolveStatus.TIME_LIMIT, SolveStatus.ITERATION_LIMIT):
        limit = (f"time limit {time_limit_s} s" if status is SolveStatus.TIME_LIMIT
                 else "an iteration limit of the solver options")
        raise SolverLimitError(
            f"scenario {sn.scenario.name!r}: HiGHS stopped after {report.solve_time_s:.0f} s "
            f"({limit}: {report.highs_status}) without a feasible solution; raise the limit "
            "or use --mode fast"
        )
    if not status.has_solution:
        raise NzvError(f"HiGHS failed: {report.highs_status}")
    if status is SolveStatus.FEASIBLE:
        logger.warning(
            "HiGHS stopped early (%s after %.0f s, %s): the capacities are feasible but NOT "
            "proven optimal, and a wall-clock limit makes them depend on the machine's load",
            report.highs_status, report.solve_time_s, report.iterations,
        )


def solve_direct(
    sn: SizingNetwork,
    dm: DirectModel,
    *,
    options: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
    diagnose: bool = True,
) -> tuple[SolveReport, LpSolution]:
    """Solve the directly built LP (:func:`nzv_energy.sizing.lp.build_direct_model`).

    Parameters and errors as :func:`solve`; returns the report and the solution.
    """
    opts = _options(options, time_limit_s)
    if not opts["output_flag"]:
        silence_banner()
    h = highspy.Highs()
    for key, value in opts.items():
        h.setOptionValue(key, value)
    h.passModel(dm.lp)
    report, _ = _run(h, opts, time_limit_s)
    _raise_for_status(
        sn, report, time_limit_s,
        lambda: explain_direct_infeasibility(sn, dm, h) if diagnose else "",
    )
    return report, read_direct_solution(sn, dm, h)


def solve(
    sn: SizingNetwork,
    m: linopy.Model,
    *,
    options: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
    diagnose: bool = True,
) -> SolveReport:
    """Solve the linopy model and write the solution into ``sn.network``.

    Parameters
    ----------
    sn
        The network the model was created from.
    m
        The linopy model (:func:`nzv_energy.sizing.model.create_model`).
    options
        HiGHS options; :data:`EXACT_OPTIONS` when ``None``.
    time_limit_s
        Stop after this many seconds with the best feasible point found.
    diagnose
        On infeasibility, look for the cause in scenario terms (an irreducible
        infeasible subset of constraints for small models).

    Returns
    -------
    SolveReport

    Raises
    ------
    ModelInfeasibleError
        The model is infeasible or unbounded; the message says why.
    SolverLimitError
        The time limit (or an iteration limit) ran out before a feasible solution was found.
    KeyboardInterrupt
        HiGHS reports that the solve was interrupted.
    """
    opts = _options(options, time_limit_s)
    t0 = time.perf_counter()
    logger.info("HiGHS: solving the sizing LP (linopy model, %d variables, %d constraints)",
                m.nvars, m.ncons)
    if not opts["output_flag"]:
        silence_banner()  # linopy constructs its Highs object before setting options
    # linopy runs HiGHS in a worker thread and cancels it on Ctrl-C itself
    m.solve(solver_name="highs", io_api="direct", **opts)
    elapsed = time.perf_counter() - t0
    h: highspy.Highs = m.solver_model
    report, _ = _report(h, opts, elapsed, time_limit_s)
    _raise_for_status(
        sn, report, time_limit_s,
        lambda: explain_infeasibility(sn, m, report.status) if diagnose else "",
    )
    n = sn.network
    assert n is not None
    n.optimize.assign_solution()
    n.optimize.assign_duals(False)
    n.optimize.post_processing()
    return report
