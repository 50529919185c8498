"""The sizing optimiser as one call: :func:`optimise`.

Stages (each a function of its own module, callable and testable alone):
precheck -> (fast mode: aggregate time) -> build network -> create model ->
solve -> read solution into a NEW sized scenario, costs, LCOH, duals and the
hourly dataset.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import numpy as np
import pandas as pd
import pypsa
import xarray as xr

import nzv_energy.sizing.solution as sol
from nzv_energy.grid_carbon import import_co2_t
from nzv_energy.highs_banner import silence_banner
from nzv_energy.scenario import Scenario
from nzv_energy.sizing.aggregation import Method, Segmentation, segment
from nzv_energy.sizing.decompose import solve_by_weather_year, use_decomposition
from nzv_energy.sizing.heat import (
    heat_co2_t_per_year,
    heat_kpis,
    heat_system_cost_eur_per_year,
)
from nzv_energy.sizing.lp import build_direct_model
from nzv_energy.sizing.model import ExtraFunctionality, create_model
from nzv_energy.sizing.network import Bounds, SizingNetwork, build_network, plan_network
from nzv_energy.sizing.precheck import precheck
from nzv_energy.sizing.solve import (
    EXACT_OPTIONS,
    FAST_OPTIONS,
    SolveReport,
    SolverLimitError,
    SolveStatus,
    solve,
    solve_direct,
)
from nzv_energy.solver_interrupt import call_interruptibly, enable_cancel
from nzv_energy.system import SystemInputs
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

logger = logging.getLogger(__name__)

Mode = Literal["exact", "fast"]
#: Fast mode's error estimate (:func:`evaluate_hourly`): ``operate`` the sized
#: capacities hour by hour; ``bound``: and enlarge them where they fall short; ``none``.
ErrorEstimate = Literal["none", "operate", "bound"]
#: ``direct``: the LP assembled as a sparse matrix for HiGHS (fast, default);
#: ``pypsa``: PyPSA's own linopy model of the same network (reference, and the
#: engine that takes an ``extra_functionality`` hook).
Engine = Literal["direct", "pypsa"]


@dataclass(frozen=True)
class SizingResult:
    """Everything the optimiser found.

    Attributes
    ----------
    scenario
        The NEW sized scenario (every range replaced by its optimal value).
    input_scenario
        The scenario that was sized (unchanged).
    capacities
        Table: site, technology, value, unit, min, max, sized.
    costs
        Mean annual cost: site, component, kind, capacity, eur_per_year, account,
        in_total (:func:`nzv_energy.sizing.solution.cost_breakdown`).
    system_net_cost_per_kg_h2_eur_per_kg
        Account total / hydrogen delivered (LHV 33.33 kWh/kg): the *system* net
        cost per kg, not the hydrogen-chain LCOH (``kpis["lcoh_chain_eur_per_kg"]``).
    hydrogen_price_eur_per_mwh
        Marginal price of hydrogen at the demand site per hour (dual of its
        balance), EUR/MWh_H2.
    objective_eur_per_year
        LP objective: mean annual cost of the account (sized assets, fixed assets
        when ``economics.fixed_assets`` is ``annualised``, operation, net of market
        revenue as ``optimisation.export_revenue`` counts it).
    total_cost_eur_per_year
        The account total: the counted rows of ``account``, equal to the objective.
    status
        Solver outcome.
    dataset
        Hourly LP dispatch in the results schema (:mod:`nzv_energy.schema`).
    network
        The solved PyPSA network (built on first access for the direct engine).
    mode
        ``exact`` or ``fast``.
    kpis
        Headline figures (see :func:`kpi_table`).
    timings_s
        Seconds per stage.
    solve_report
        Details of the HiGHS run.
    segmentation
        Fast mode's time segments (``None`` in exact mode).
    account
        The cost account (:func:`nzv_energy.sizing.solution.cost_account`).
    bounds_at_limit
        Sized capacities at a binding bound with the bound's dual value
        (:func:`nzv_energy.sizing.solution.bound_report`).
    """

    scenario: Scenario
    input_scenario: Scenario
    capacities: pd.DataFrame
    costs: pd.DataFrame
    system_net_cost_per_kg_h2_eur_per_kg: float
    hydrogen_price_eur_per_mwh: pd.Series
    objective_eur_per_year: float
    total_cost_eur_per_year: float
    status: SolveStatus
    dataset: xr.Dataset
    network_factory: Callable[[], pypsa.Network] = field(repr=False, compare=False)
    mode: Mode = "exact"
    engine: Engine = "direct"
    kpis: dict[str, float] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    solve_report: SolveReport | None = None
    segmentation: Segmentation | None = None
    account: pd.DataFrame = field(default_factory=pd.DataFrame)
    bounds_at_limit: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: fast mode: computes the error estimate of this sizing on request (``operate`` or
    #: ``bound``), see :func:`with_error_estimate`; ``None`` in exact mode
    error_estimator: Callable[[ErrorEstimate], HourlyEvaluation] | None = field(
        default=None, repr=False, compare=False)

    @functools.cached_property
    def network(self) -> pypsa.Network:
        """The solved PyPSA network (e.g. for ``export_to_netcdf``)."""
        return self.network_factory()

    def capacity(self, site: str, technology: str) -> float:
        """Optimal capacity of one site and technology (e.g. ``"boxberg", "wind_mw"``)."""
        df = self.capacities
        row = df[(df.site == site) & (df.technology == technology)]
        if row.empty:
            raise KeyError(f"no capacity {site}.{technology}")
        return float(row["value"].iloc[0])


def _inputs_for(scenario: Scenario, inputs: SystemInputs) -> SystemInputs:
    if inputs.scenario is scenario or inputs.scenario == scenario:
        return inputs
    if tuple(scenario.sites) != inputs.site_names:
        raise ValueError("inputs were built for other sites than the scenario's")
    return dataclasses.replace(inputs, scenario=scenario)


def optimise(
    scenario: Scenario,
    inputs: SystemInputs,
    mode: Mode | None = None,
    time_limit_s: float | None = None,
    *,
    extra_functionality: ExtraFunctionality | None = None,
    aggregation: Method = "adaptive",
    segment_hours: int | None = None,
    solver_options: dict[str, object] | None = None,
    run_precheck: bool = True,
    engine: Engine | None = None,
    error_estimate: ErrorEstimate | None = None,
) -> SizingResult:
    """Size every capacity range of a scenario at least cost.

    Parameters
    ----------
    scenario
        The validated scenario (its ranges are sized; numbers stay fixed).
    inputs
        Hourly inputs of the scenario (:func:`nzv_energy.system.build_inputs`);
        all weather years in them are optimised together.
    mode
        ``exact`` (every hour) or ``fast`` (ordered time segments); the
        scenario's ``optimisation.mode`` when ``None``.
    time_limit_s
        HiGHS time limit; the scenario's ``optimisation.time_limit_s`` when ``None``.
    extra_functionality
        Hook ``f(sizing_network, linopy_model)`` adding constraints (implies the
        ``pypsa`` engine).
    aggregation
        Fast mode's segmentation method (``adaptive`` or ``blocks``).
    segment_hours
        Fast mode's mean segment length; the scenario's when ``None``.
    solver_options
        HiGHS options replacing the mode's defaults.
    run_precheck
        Run the cheap feasibility checks first.
    engine
        ``direct`` (default) or ``pypsa`` (default when a hook is given).
    error_estimate
        Fast mode only: ``operate`` the sized capacities on the full hourly LP
        (capacities fixed) and report the gap of the fast objective to that cost,
        an upper bound of the exact optimum when they serve every hour;
        ``bound`` also enlarges them where they do not, so the cost is always a
        bound; ``none`` skips it (:func:`evaluate_hourly`).  The scenario's
        ``optimisation.fast_mode_error_estimate`` when ``None``.

    Returns
    -------
    SizingResult

    Raises
    ------
    ModelInfeasibleError
        No system within the ranges serves the demand (message in scenario terms).
    SolverLimitError
        Time limit reached without a feasible solution in fast mode.  In exact
        mode a time limit without a feasible point falls back to the fast mode
        (status ``FEASIBLE``, a warning logged, ``mode == "fast"`` in the result).
    """
    inputs = _inputs_for(scenario, inputs)
    opt = scenario.optimisation
    mode = mode or opt.mode
    limit = time_limit_s if time_limit_s is not None else opt.time_limit_s
    if error_estimate is None:
        error_estimate = opt.fast_mode_error_estimate
    kwargs: dict[str, Any] = dict(
        extra_functionality=extra_functionality, aggregation=aggregation,
        segment_hours=segment_hours, solver_options=solver_options, engine=engine,
        error_estimate=error_estimate,
    )
    try:
        return _optimise(inputs, mode, limit, run_precheck=run_precheck, **kwargs)
    except SolverLimitError as exc:
        if mode != "exact":
            raise
        logger.warning(
            "%s. Falling back to the fast mode (ordered segments) for a feasible sizing: "
            "the result is NOT the exact optimum", exc,
        )
        fast = _optimise(inputs, "fast", None, run_precheck=False, **kwargs)
        kpis = {**fast.kpis, "exact_time_limit_s": float(limit or 0.0)}
        # a fast sizing is a feasible system, not the proven exact optimum
        return dataclasses.replace(fast, status=SolveStatus.FEASIBLE, kpis=kpis)


def _optimise(
    inputs: SystemInputs,
    mode: Mode,
    limit: float | None,
    *,
    extra_functionality: ExtraFunctionality | None,
    aggregation: Method,
    segment_hours: int | None,
    solver_options: dict[str, object] | None,
    run_precheck: bool,
    engine: Engine | None,
    error_estimate: ErrorEstimate = "none",
) -> SizingResult:
    """One optimisation in one mode (see :func:`optimise`)."""
    scenario = inputs.scenario
    timings: dict[str, float] = {}
    if scenario.economics.hydrogen_value_eur_per_mwh > 0:
        logger.warning("economics.hydrogen_value_eur_per_mwh is not used by the optimiser")

    t0 = time.perf_counter()
    if run_precheck:
        precheck(inputs)
    t1 = time.perf_counter()
    timings["precheck"] = t1 - t0
    segmentation = None
    model_inputs, weights = inputs, None
    if mode == "fast":
        segmentation = segment(inputs, segment_hours, method=aggregation)
        model_inputs, weights = segmentation.inputs, segmentation.weights_h
        logger.info("fast mode: %d hours -> %d segments (%s)", len(inputs.time),
                    len(weights), aggregation)
    timings["aggregate"] = time.perf_counter() - t1
    engine = engine or ("pypsa" if extra_functionality is not None else "direct")
    if engine == "direct" and extra_functionality is not None:
        raise ValueError("extra_functionality needs engine='pypsa'")
    options = dict(solver_options or (EXACT_OPTIONS if mode == "exact" else FAST_OPTIONS))
    solved = _solve_once(model_inputs, weights, engine, extra_functionality, options, limit,
                         timings)
    sizing_sn, sizing_lps = solved[0], solved[2]
    if scenario.optimisation.export_revenue == "surplus_only":
        # stage 2: the capacities of the no-export sizing, pinned; surplus sold at market
        values = sol.capacity_values(sizing_sn, sizing_lps)
        pinned = {k: (Bounds(True, values[k], values[k]) if b.extendable else b)
                  for k, b in sizing_sn.bounds.items()}
        stage1 = {k: timings[k] for k in ("build_model", "solve")}
        solved = _solve_once(model_inputs, weights, engine, extra_functionality, options, limit,
                             timings, export_allowed=True, bounds=pinned)
        for key, value in stage1.items():
            timings[key] += value
    sn, report, lps, factory = solved
    meta = run_meta(mode, engine, aggregation, segment_hours, inputs, segmentation)
    factory = functools.partial(_with_meta, factory, meta)
    t5 = time.perf_counter()
    result = read_result(sn, report, lps, factory, mode, engine, segmentation, inputs,
                         sizing=(sizing_sn, sizing_lps))
    timings["read_solution"] = time.perf_counter() - t5
    if "relative_gap" in report.options:  # exact by weather year: the gap it proved
        result = dataclasses.replace(result, kpis={
            **result.kpis, "exact_relative_gap": float(report.options["relative_gap"]),
            "exact_decomposition_iterations": float(report.iterations["decomposition"])})
    if mode == "fast":
        if extra_functionality is not None:
            if error_estimate != "none":
                logger.info("fast mode: no error estimate with an extra_functionality hook "
                            "(its constraints are not in the hourly evaluation)")
        else:
            result = dataclasses.replace(result, error_estimator=functools.partial(
                _estimate, sn, lps, inputs, limit))
    timings["total"] = time.perf_counter() - t0
    return with_error_estimate(dataclasses.replace(result, timings_s=timings), error_estimate)


def _estimate(sn: SizingNetwork, lps: sol.LpSolution, inputs: SystemInputs,
              limit: float | None, kind: ErrorEstimate) -> HourlyEvaluation:
    return evaluate_hourly(sn, lps, inputs, repair=kind == "bound", time_limit_s=limit)


def with_error_estimate(result: SizingResult, kind: ErrorEstimate) -> SizingResult:
    """``result`` with fast mode's error estimate ``kind`` in its KPIs and timings.

    The sizing's capacities operated on the full hourly LP of the inputs it was sized
    on (:func:`evaluate_hourly`).  ``result`` unchanged for ``kind="none"``, exact mode,
    a sizing with an ``extra_functionality`` hook, or one that has an estimate already.
    The design-margin loop (:func:`~nzv_energy.sizing.verify.size_and_verify`) sizes
    without it and asks for it only on the sizing it keeps.
    """
    if (kind == "none" or result.error_estimator is None
            or "error_estimate" in result.timings_s):
        return result
    t = time.perf_counter()
    evaluation = result.error_estimator(kind)
    seconds = time.perf_counter() - t
    timings = {**result.timings_s, "error_estimate": seconds}
    timings["total"] = timings.get("total", 0.0) + seconds
    return dataclasses.replace(result, kpis={**result.kpis, **evaluation.kpis()},
                               timings_s=timings)


#: Cost of hydrogen the fixed capacities cannot deliver in the hourly evaluation,
#: EUR/MWh: far above any operating cost of making it (grid power at its
#: dearest hour over the electrolyser's efficiency), so the LP leaves demand
#: unserved only where the capacities cannot serve it.
UNSERVED_PENALTY_EUR_PER_MWH = 1.0e5


@dataclass(frozen=True)
class HourlyEvaluation:
    """Fast-mode capacities operated on the full hourly LP.

    Attributes
    ----------
    fast_cost_eur_per_year
        Objective of the fast (segmented) sizing, EUR/a.
    hourly_cost_eur_per_year
        The fast capacities with their dispatch re-optimised over every hour,
        EUR/a: the exact model's objective at them when they serve every hour (a
        feasible point of the exact LP, hence an upper bound of the exact
        optimum).  When they cannot, either the least-cost enlargement that can
        (each sized capacity at or above its fast value, ``repaired``; again an
        upper bound) or, without repair, the cost of the hours served (penalty
        of the unserved hydrogen left out; no bound).  NaN when no solution was
        found (a limit stopped the solve, or a scenario constraint such as a CO2
        cap cannot hold).
    unserved_share
        Share of the (design) hydrogen demand per year the fast capacities as
        sized cannot deliver hour by hour (the segments hid hours they cannot serve).
    repaired
        Whether the capacities had to grow to serve every hour.
    status
        ``optimal`` or HiGHS's status text of the solve that failed.
    """

    fast_cost_eur_per_year: float
    hourly_cost_eur_per_year: float
    unserved_share: float
    repaired: bool
    status: str

    @property
    def gap_fraction(self) -> float:
        """``(fast objective - hourly cost) / |hourly cost|``: negative when fast is cheaper.

        The exact optimum lies at or below the hourly cost: a positive gap means
        the fast objective is above the exact optimum by at least the gap; a
        negative one bounds how far below the exact optimum the fast objective can lie.
        """
        cost = self.hourly_cost_eur_per_year
        if not np.isfinite(cost) or cost == 0.0:
            return float("nan")
        return (self.fast_cost_eur_per_year - cost) / abs(cost)

    def kpis(self) -> dict[str, float]:
        """The figures as KPIs (``kpis.csv``)."""
        return {
            "fast_mode_hourly_cost_eur_per_year": self.hourly_cost_eur_per_year,
            "fast_mode_cost_gap_fraction": self.gap_fraction,
            "fast_mode_hourly_unserved_share": self.unserved_share,
            "fast_mode_capacities_repaired": 1.0 if self.repaired else 0.0,
        }


def evaluate_hourly(
    sn: SizingNetwork,
    lps: sol.LpSolution,
    hourly_inputs: SystemInputs,
    *,
    repair: bool = False,
    options: dict[str, object] | None = None,
    time_limit_s: float | None = None,
) -> HourlyEvaluation:
    """Operate a sizing's capacities hour by hour: the fast mode's error estimate.

    The exact mode's LP of ``hourly_inputs`` (direct engine) is built with every
    sized capacity fixed at its value in ``lps`` (a column with equal bounds, so
    its capital stays in the objective) and an unserved-hydrogen column per hour
    at :data:`UNSERVED_PENALTY_EUR_PER_MWH`; HiGHS then only decides the dispatch.
    With nothing unserved, its objective is the exact model's objective at the
    fast capacities: a feasible point of the exact LP, an upper bound of the
    exact optimum.  Otherwise, with ``repair``, the sized capacities may grow
    from their fast values and the demand must be met in full: the same LP
    solved again, the cheapest enlargement that serves every hour, again an
    upper bound (a solve of about the exact sizing's difficulty, usually
    several times the fast sizing).

    Parameters
    ----------
    sn, lps
        The solved (segmented) sizing network and its solution.
    hourly_inputs
        The hourly inputs the segments were built from (with any design margin).
    repair
        Enlarge the capacities when they leave hydrogen unserved (see above).
    options
        HiGHS options; the exact mode's when ``None``.
    time_limit_s
        HiGHS time limit per solve.

    Returns
    -------
    HourlyEvaluation
    """
    values = sol.capacity_values(sn, lps)
    hourly = plan_network(hourly_inputs, None, export_allowed=sn.export_allowed,
                          bounds=sn.bounds)
    dm = build_direct_model(hourly, UNSERVED_PENALTY_EUR_PER_MWH)
    keys = sorted(dm.capacity_cols)
    cols = np.array([dm.capacity_cols[k] for k in keys], dtype=np.int32)
    fast_values = np.array([values[k] for k in keys])
    lower, upper = np.asarray(dm.lp.col_lower_).copy(), np.asarray(dm.lp.col_upper_).copy()
    lower[cols] = upper[cols] = fast_values
    dm.lp.col_lower_, dm.lp.col_upper_ = lower, upper
    h = highspy.Highs()
    opts = {**(options or EXACT_OPTIONS), "output_flag": False}
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    silence_banner()
    for key, value in opts.items():
        h.setOptionValue(key, value)
    h.passModel(dm.lp)
    enable_cancel(h)
    demand = hourly.inputs.hydrogen_demand_mw
    demand_mwh = float(np.sum(demand * hourly.weights_h)) / hourly.n_years

    def run() -> bool:
        call_interruptibly(h.run, h.cancelSolve, "highs-hourly-evaluation")
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    if not run():
        status = h.modelStatusToString(h.getModelStatus())
        logger.warning("fast mode error estimate: the hourly evaluation ended %s", status)
        return HourlyEvaluation(lps.objective, float("nan"), float("nan"), False, status)
    assert dm.unserved_cols is not None
    x = np.asarray(h.getSolution().col_value)
    unserved_mwh = float(np.sum(x[dm.unserved_cols] * hourly.weights_h)) / hourly.n_years
    share = unserved_mwh / demand_mwh if demand_mwh > 0 else 0.0
    short = unserved_mwh > 1e-9 * max(demand_mwh, 1.0)
    repaired = short and repair
    if short:
        logger.warning(
            "fast mode error estimate: operated hour by hour, the sized capacities leave "
            "%.3f %% of the hydrogen demand (%.0f MWh/a) unserved (the segments hide hours they "
            "cannot serve); %s. The hour-by-hour check's design margin, a shorter "
            "optimisation.segment_hours or --mode exact close the gap", 100 * share, unserved_mwh,
            "the estimate lets them grow until every hour is served" if repair else
            "the estimate is no bound then (optimisation.fast_mode_error_estimate: bound "
            "enlarges them)",
        )
    if repaired:
        his = np.array([hourly.bound(k).hi for k in keys])
        h.changeColsBounds(len(cols), cols, fast_values, np.maximum(his, fast_values))
        n_un = len(dm.unserved_cols)
        zeros = np.zeros(n_un)
        h.changeColsBounds(n_un, dm.unserved_cols.astype(np.int32), zeros, zeros)
        # from scratch with presolve: measured several times faster than a warm start
        # from the fixed-capacity basis, which skips presolve
        h.clearSolver()
        if not run():
            status = h.modelStatusToString(h.getModelStatus())
            logger.warning("fast mode error estimate: no enlargement of the sized capacities "
                           "serves every hour (%s)", status)
            return HourlyEvaluation(lps.objective, float("nan"), share, True, status)
    cost = float(h.getInfo().objective_function_value)
    if short and not repaired:
        cost -= UNSERVED_PENALTY_EUR_PER_MWH * unserved_mwh
    evaluation = HourlyEvaluation(lps.objective, cost, share, repaired, "optimal")
    logger.info(
        "fast mode error estimate: the sized capacities%s operated hour by hour cost %.0f EUR/a "
        "(%s); the fast objective %.0f EUR/a is %+.2f %% from it",
        " (enlarged to serve every hour)" if repaired else "", cost,
        "hydrogen unserved, no bound" if short and not repaired
        else "an upper bound of the exact optimum", lps.objective, 100 * evaluation.gap_fraction,
    )
    return evaluation


def _solve_once(
    model_inputs: SystemInputs,
    weights: np.ndarray | None,
    engine: Engine,
    extra_functionality: ExtraFunctionality | None,
    options: dict[str, object],
    limit: float | None,
    timings: dict[str, float],
    *,
    export_allowed: bool | None = None,
    bounds: dict[tuple[str, str], Bounds] | None = None,
) -> tuple[SizingNetwork, SolveReport, sol.LpSolution, Callable[[], pypsa.Network]]:
    """Build and solve one LP with either engine; stage times go into ``timings``."""
    t2 = time.perf_counter()
    if engine == "direct" and weights is None and use_decomposition(model_inputs):
        # exact, several weather years or a 3-site year: one LP per year in a cut loop
        sn, report, lps, _ = solve_by_weather_year(
            model_inputs, export_allowed=export_allowed, bounds=bounds, options=options,
            time_limit_s=limit)
        timings["build_model"] = 0.0
        timings["solve"] = time.perf_counter() - t2
        factory: Callable[[], pypsa.Network] = functools.partial(
            sol.network_with_solution, sn, lps
        )
    elif engine == "direct":
        sn = plan_network(model_inputs, weights, export_allowed=export_allowed, bounds=bounds)
        # sized renewables in the balance: with Devex pricing faster in both modes
        # (docs/PERFORMANCE.md, Sizing part 4)
        dm = build_direct_model(sn, substitute_renewables="all")
        t3 = time.perf_counter()
        timings["build_model"] = t3 - t2
        report, lps = solve_direct(sn, dm, options=options, time_limit_s=limit)
        timings["solve"] = time.perf_counter() - t3
        factory = functools.partial(sol.network_with_solution, sn, lps)
    else:
        sn = build_network(model_inputs, weights, export_allowed=export_allowed, bounds=bounds)
        m = create_model(sn, extra_functionality)
        t3 = time.perf_counter()
        timings["build_model"] = t3 - t2
        report = solve(sn, m, options=options, time_limit_s=limit)
        timings["solve"] = time.perf_counter() - t3
        lps = sol.solution_from_network(sn)
        network = sn.network
        assert network is not None
        factory = functools.partial(_same, network)
    return sn, report, lps, factory


def _same(network: pypsa.Network) -> pypsa.Network:
    return network


def _with_meta(
    factory: Callable[[], pypsa.Network], meta: dict[str, object]
) -> pypsa.Network:
    network = factory()
    network.meta.update(meta)
    return network


def run_meta(
    mode: Mode,
    engine: Engine,
    aggregation: Method,
    segment_hours: int | None,
    hourly_inputs: SystemInputs,
    segmentation: Segmentation | None,
) -> dict[str, object]:
    """How a sizing ran, for ``n.meta``: mode, engine and the snapshot aggregation."""
    n_hours = len(hourly_inputs.time)
    if segmentation is None:
        aggregation_meta: dict[str, object] = {"method": "none", "hours": n_hours,
                                               "snapshots": n_hours}
    else:
        target = (segment_hours if segment_hours is not None
                  else hourly_inputs.scenario.optimisation.segment_hours)
        aggregation_meta = {
            "method": aggregation,
            "hours": n_hours,
            "snapshots": len(segmentation.weights_h),
            "target_segment_hours": target,
            "mean_segment_hours": n_hours / len(segmentation.weights_h),
            "weights": "snapshot_weightings: stores and generators = hours per segment, "
                       "objective = hours / number of weather years",
        }
    return {"sizing_mode": mode, "engine": engine, "snapshot_aggregation": aggregation_meta}


def read_result(
    sn: SizingNetwork,
    report: SolveReport,
    lps: sol.LpSolution,
    network_factory: Callable[[], pypsa.Network],
    mode: Mode,
    engine: Engine,
    segmentation: Segmentation | None,
    hourly_inputs: SystemInputs,
    sizing: tuple[SizingNetwork, sol.LpSolution] | None = None,
) -> SizingResult:
    """Turn a solved model into a :class:`SizingResult`.

    ``sizing`` is the LP that chose the capacities when it is not the one that
    dispatched them (first stage of ``export_revenue: surplus_only``): its bounds
    and their duals are reported.
    """
    sizing_sn, sizing_lps = sizing if sizing is not None else (sn, lps)
    values = sol.capacity_values(sn, lps)
    capacities = sol.capacities_table(sizing_sn, values)
    arrays = sol.dispatch_arrays(sn, lps)
    costs = sol.cost_breakdown(sn, values, arrays, lps)
    objective = lps.objective
    account = sol.cost_account(costs, objective)
    total = float(account["eur_per_year"].sum())
    if abs(total - objective) > 1e-9 * max(1.0, abs(objective)):
        logger.warning("the cost account (%.6f EUR/a) differs from the LP objective (%.6f EUR/a)",
                       total, objective)
    bounds_at_limit = sol.bound_report(sizing_sn, values, sizing_lps)
    for row in bounds_at_limit.itertuples():
        unit = "MWh" if row.technology.endswith("mwh") else "MW"
        more_or_less = "more" if row.bound == "upper" else "less"
        logger.warning(
            "%s.%s ends at its %s bound %g %s: one %s %s would save %.0f EUR/a "
            "(dual of the bound); widen the range if the bound is not a real limit",
            row.site, row.technology, row.bound, row.limit, unit, unit, more_or_less,
            abs(row.dual_eur_per_unit_year),
        )
    h2_mwh = sol.annual_hydrogen_mwh(sn)
    # district heat is the heat's own cost (levelised cost of heat): its assets, fuel, CO2 and
    # O&M stay out of the hydrogen's system net cost (c), as in the rule-based re-simulation;
    # the electricity the heat takes is in (c) through the export revenue it forgoes
    heat_cost = heat_system_cost_eur_per_year(costs)
    system_per_kg = sol.lcoh_eur_per_kg(total - heat_cost, h2_mwh)
    # the marginal cost of hydrogen is the sizing LP's (with capacities free to change)
    price = pd.Series(sizing_lps.hydrogen_price_eur_per_mwh,
                      index=pd.DatetimeIndex(sn.inputs.time), name="hydrogen_price_eur_per_mwh")
    econ = sn.scenario.economics
    opt = sn.scenario.optimisation
    note = (f"(capacities sized by nzv optimise, {mode} mode; annual cost {total:,.0f} EUR/a "
            f"= LP objective, fixed assets {econ.fixed_assets}, export revenue "
            f"{opt.export_revenue})")
    sized = sol.sized_scenario(sn.scenario, values, note)
    attrs: dict[str, object] = {
        "model": "nzv_energy.sizing (PyPSA + HiGHS linear optimisation)",
        "mode": mode,
        "engine": engine,
        "scenario": sn.scenario.name,
        "time_resolution": (
            "hourly" if segmentation is None
            else f"{len(segmentation.weights_h)} ordered segments, values repeated per hour"
        ),
    }
    dataset = sol.hourly_dataset(sn, arrays, segmentation, hourly_inputs.time, attrs)
    if segmentation is not None:
        price_hourly = pd.Series(segmentation.expand(price.to_numpy()), index=hourly_inputs.time,
                                 name=price.name)
    else:
        price_hourly = pd.Series(price.to_numpy(), index=hourly_inputs.time, name=price.name)
    w = sn.weights_h / sn.n_years
    demand = sn.inputs.hydrogen_demand_mw
    kpis = {
        "objective_eur_per_year": objective,
        "total_cost_eur_per_year": total,
        **{f"account_{k}_eur_per_year": float(v) for k, v in account["eur_per_year"].items()},
        "fixed_capital_eur_per_year": sol.fixed_capital_cost(sn, values),
        "fixed_assets_counted": 1.0 if sn.count_fixed_assets else 0.0,
        "hydrogen_delivered_mwh_per_year": h2_mwh,
        "hydrogen_delivered_t_per_year": h2_mwh / HYDROGEN_LHV_KWH_PER_KG,
        "system_net_cost_per_kg_h2_eur_per_kg": system_per_kg,
        "system_net_cost_per_mwh_h2_eur_per_mwh": ((total - heat_cost) / h2_mwh if h2_mwh > 0
                                                   else float("nan")),
        "heat_system_cost_eur_per_year": heat_cost,
        **sol.chain_lcoh(sn, values, arrays, lps),
        **sol.marginal_cost_kpis(price.to_numpy(), sn.weights_h),
        **sol.firm_kpis(sn, lps),
        "hydrogen_marginal_price_mean_eur_per_mwh": (
            float(np.sum(price.to_numpy() * demand * w) / np.sum(demand * w))
            if np.sum(demand) > 0 else float("nan")
        ),
        "grid_import_mwh_per_year": float(np.sum(arrays["grid_import_mw"].sum(1) * w)),
        "grid_export_mwh_per_year": float(np.sum(arrays["grid_export_mw"].sum(1) * w)),
        "gas_backup_mwh_per_year": float(np.sum(arrays["gas_backup_mw"].sum(1) * w)),
        "co2_t_per_year": float(
            np.sum(arrays["gas_backup_mw"].sum(1) * w) * sn.costs.gas_co2_t_per_mwh_el
        ) + heat_co2_t_per_year(sn, lps.heat_flows),  # natural gas for district heat too
        "grid_import_co2_t_per_year": import_co2_t(
            sn.inputs.grid_carbon_g_per_kwh, sn.inputs.time, arrays["grid_import_mw"].sum(1), w
        ),
        "curtailment_share": _share(arrays["curtailment_mw"], arrays["wind_mw"] + arrays["pv_mw"]),
        "rfnbo_share": _share(arrays["rfnbo_hydrogen_mw"], arrays["hydrogen_output_mw"]),
        "lp_delivered_share": _share(arrays["hydrogen_delivered_mw"][:, None],
                                     demand[:, None]),
        "capacities_at_bounds": float(len(bounds_at_limit)),
        "n_snapshots": float(len(sn.inputs.time)),
        **heat_kpis(sn, lps.heat_flows),
    }
    return SizingResult(
        scenario=sized,
        input_scenario=sn.scenario,
        capacities=capacities,
        costs=costs,
        system_net_cost_per_kg_h2_eur_per_kg=system_per_kg,
        hydrogen_price_eur_per_mwh=price_hourly,
        objective_eur_per_year=objective,
        total_cost_eur_per_year=total,
        status=report.status,
        dataset=dataset,
        network_factory=network_factory,
        mode=mode,
        engine=engine,
        kpis=kpis,
        solve_report=report,
        segmentation=segmentation,
        account=account,
        bounds_at_limit=bounds_at_limit,
    )


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    total = float(np.sum(whole))
    return float(np.sum(part)) / total if total > 0 else float("nan")
