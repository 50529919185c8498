"""Exact sizing over several weather years by decomposition into one LP per year.

Storage is cyclic within each weather year (:func:`nzv_energy.sizing.lp.previous_snapshot`),
so once the capacities are fixed every year is an independent operation LP.
The years share only the capacity columns and, when set, the scenario's
caps on means over the years (``optimisation.co2_cap_t_per_year``,
``optimisation.max_grid_import_mwh_per_year``).  The exact sizing is then

    min  capital · x + (1/N) Σ_y φ_y(x, b_y)   over capacities x and budgets b,
    s.t. Σ_y b_y / N ≤ cap  (per cap),  the storage share on x,

with ``φ_y`` the least operating cost of weather year ``y`` at capacities
``x`` within budgets ``b_y`` (emissions or imports of that year).  ``φ_y`` is
convex and piecewise linear; each evaluation gives its value and a
subgradient (the reduced costs of the fixed capacity columns and the duals of
the budget rows), i.e. a cut ``θ_y ≥ φ_y(ẑ) + g·(z − ẑ)`` (Benders).

The cut loop is a *level bundle* method (Lemaréchal, Nemirovskii and Nesterov,
1995): the master LP over the cuts gives the lower bound, the best evaluated
point the upper bound; the next point is the projection of the best point onto
the level set ``{model ≤ lower + λ (upper − lower)}`` (a small convex QP).
Plain cutting planes zig-zag between the corners of the box (37 → 136
iterations as the horizon grows, docs/PERFORMANCE.md); the projection keeps
the steps short.  The loop starts from the same cut loop run on the fast
mode's time segments of each year (a point within about 1 % of the optimum,
cheap to find; one weather year: from the fast mode's LP of that year, solved
once) and stops on a relative gap, which it reports.

One weather year of several sites is split further, into blocks of whole months
linked by the store levels at their boundaries (:mod:`.blocks`): the levels become
master columns, each block gets its own cut, and the whole year LP operates the
loop's best capacities at the end (:func:`_run_in_blocks`).

Each year's LP stays loaded in its own :class:`highspy.Highs` and is re-solved
warm after the bound changes; the years are solved in parallel threads
(HiGHS releases the GIL while it runs).  Every year LP has complete recourse:
hydrogen it cannot deliver and the parts of a year's carbon, import or firm
rows it cannot meet become penalised slack columns.  The loop therefore always
has an upper bound; the optimum it reports has every slack at zero (otherwise
the monolithic LP is solved instead, which diagnoses an infeasible scenario in
its own terms).

District heat (:mod:`nzv_energy.sizing.heat`) goes along: its sized capacities
are master columns like the others (capital from the heat plan's cost rows), the
gas it burns counts in each year's CO2 budget row, and each year LP takes its
part of the whole horizon's heat demand and COPs (:func:`_with_heat_of`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import numpy as np
import pandas as pd

from nzv_energy.errors import NzvError
from nzv_energy.highs_banner import silence_banner
from nzv_energy.sizing.aggregation import segment
from nzv_energy.sizing.blocks import (
    LEVEL_CAPACITIES,
    THERMAL_LEVEL,
    block_starts,
    level_columns,
    link_boundaries,
    splittable,
    stores,
)
from nzv_energy.sizing.heat import HeatPlan
from nzv_energy.sizing.lp import (
    FLOWS,
    DirectModel,
    LpSolution,
    build_direct_model,
    read_direct_solution,
)
from nzv_energy.sizing.network import (
    Bounds,
    SizingNetwork,
    plan_network,
    storage_share_requirement_mwh,
)
from nzv_energy.sizing.solve import (
    EXACT_OPTIONS,
    FAST_OPTIONS,
    SolveReport,
    SolveStatus,
    TerminationCondition,
    solve_direct,
)
from nzv_energy.solver_interrupt import call_interruptibly, enable_cancel
from nzv_energy.system import SystemInputs

logger = logging.getLogger(__name__)

__all__ = [
    "GAP_TOLERANCE", "ONE_SITE_GAP_TOLERANCE", "DecompositionError", "DecompositionReport",
    "ExactMethod", "gap_tolerance", "solve_by_weather_year", "use_decomposition",
]

#: ``optimisation.exact_method``: how ``mode: exact`` solves the hourly LP.
ExactMethod = Literal["auto", "monolithic", "decomposition"]
#: ``exact_method: auto`` decomposes one weather year from this many hours (3 sites,
#: 8,760 h: 113 s against more than 555 s for the monolithic LP; one site: 9-10 s against
#: 17-19 s; short horizons solve fast in one piece, docs/PERFORMANCE.md).
AUTO_MIN_HOURS = 4_380

#: Relative gap (upper − lower) / |upper| at which the loop stops (several sites).
GAP_TOLERANCE = 1e-7
#: The gap for one site: its loop reaches 1e-10 in a few more iterations (one year:
#: 44 against 35 at 1e-7), so its objective is the monolithic LP's to 1e-9 and better.
ONE_SITE_GAP_TOLERANCE = 1e-10
#: Gap of the start phase on the fast mode's segments (it only supplies a start point).
START_GAP_TOLERANCE = 1e-4
#: Cost of a unit of slack in a year LP: EUR per MWh of hydrogen not delivered
#: or of firm delivery missed, EUR per t CO2e or MWh of grid import above a budget,
#: EUR per t CO2e above the hydrogen carbon limit.  Far above any marginal cost of
#: the system, so a slack is used only where a year cannot be operated otherwise;
#: the reported optimum has every slack at zero.
SLACK_PENALTY = 1.0e5
#: Trust region of the hourly loop around a start from the segments, share of each range
#: (doubled after every step that lowers the upper bound).
START_RADIUS = 0.02
#: Share of the ranges at which the trust region is dropped.
MAX_RADIUS = 0.5
#: Box above the best point, share of each range, in which :meth:`_Loop.without_slack`
#: first looks for the raise that serves every year without slack.
REPAIR_RADIUS = 0.01
#: Box around the best point, share of each range, in which :meth:`_Loop.bound_duals`
#: re-solves one year as the sizing LP.
DUAL_RADIUS = 0.01
#: Level steps in a row without progress after which a loop below :data:`GAP_TOLERANCE`
#: takes a cutting-plane step (at the master LP's point).
KELLEY_AFTER = 3
#: Iterations without progress after which a loop below :data:`GAP_TOLERANCE` stops.
STALL_ITERATIONS = 20
#: Level parameter λ of the bundle method (share of the gap above the lower bound).
LEVEL_FRACTION = 0.3
#: Blocks of whole months per weather year in the hourly loop (:mod:`.blocks`): 3 sites,
#: 2019, exact: 2 blocks 102 s, 4 blocks 72 s, 6 blocks 82 s, 12 blocks 82 s against 132-138 s
#: for whole years (docs/PERFORMANCE.md).
BLOCKS_PER_YEAR = 4
#: Iterations of the level projection QP at most (see :class:`_Master`).
QP_ITERATION_LIMIT = 2_000

#: Year-LP rows that may become infeasible at fixed capacities and get a slack:
#: row group -> sign of the slack's coefficient (-1 relaxes ``≤``, +1 relaxes ``≥``)
#: and whether the row is hourly (slack cost weighted by the hours).
_SLACK_ROWS: dict[str, tuple[float, bool]] = {
    "co2_cap": (-1.0, False),
    "grid_import_cap": (-1.0, False),
    "hydrogen_carbon_limit": (-1.0, False),
    "firm_delivery": (1.0, True),
}
#: Rows on means over the years: row group -> scenario field of the cap.
_BUDGET_ROWS = {
    "co2_cap": "co2_cap_t_per_year",
    "grid_import_cap": "max_grid_import_mwh_per_year",
}


@dataclass(frozen=True)
class DecompositionReport:
    """How the cut loop ended.

    Attributes
    ----------
    lower_bound_eur_per_year, upper_bound_eur_per_year
        Bounds of the optimum when the loop stopped, EUR/a (the upper bound is the
        objective of the capacities returned).
    relative_gap
        ``(upper − lower) / |upper|``.
    iterations
        Evaluations of the hourly year LPs (the start phase not counted).
    start_iterations
        Evaluations on the fast mode's segments before.
    year_solves
        HiGHS runs of year LPs, both phases.
    simplex_iterations
        Simplex iterations of all year LPs, both phases.
    converged
        Whether the gap reached the tolerance (``False``: a time or iteration limit).
    blocks_per_year
        Blocks each year's hours were split into in the hourly loop (:mod:`.blocks`;
        ``1``: whole years).  ``iterations`` then counts the evaluations of the blocks,
        and ``year_solves`` every LP solved (blocks and whole years).
    timings_s
        Seconds: ``start`` (segments or the fast LP), ``build`` (hourly year LPs),
        ``loop``, ``bound_duals`` (:meth:`_Loop.bound_duals`), ``total``.
    """

    lower_bound_eur_per_year: float
    upper_bound_eur_per_year: float
    relative_gap: float
    iterations: int
    start_iterations: int
    year_solves: int
    simplex_iterations: int
    converged: bool
    timings_s: dict[str, float] = field(default_factory=dict)
    blocks_per_year: int = 1


@dataclass
class _Year:
    """One weather year's operation LP, loaded in HiGHS."""

    year: int
    sn: SizingNetwork
    dm: DirectModel
    h: highspy.Highs
    link: np.ndarray  # master columns this year depends on (capacities, its budgets)
    cap_cols: np.ndarray  # year-LP columns of the capacities, in master order
    budget_rows: np.ndarray  # year-LP rows bounded by its budgets, in master order
    slack_cols: np.ndarray  # penalised columns (unserved hydrogen and row slacks)
    #: a block of a year (:mod:`.blocks`): its fixed columns of the store levels at its
    #: start and end, set from the master columns after the capacities and budgets in
    #: ``link``; empty for a whole year
    boundary_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


#: Unit of the master's cost variables, EUR/a (keeps its coefficients near 1).
_MASTER_EUR = 1.0e6


class _Master:
    """The master problem: capacities and budgets ``z``, one cost variable per year.

    (Or per block of a year, :mod:`.blocks`: ``z`` then holds the store levels at the
    block boundaries after the capacities, and the blocks' cost variables add up.)

    Held in scaled variables ``u = (z − lo) / (hi − lo)`` in [0, 1] and cost in
    :data:`_MASTER_EUR`, in two HiGHS objects with the same rows: the LP over the
    cuts (lower bound) and the level QP (the next point: Euclidean projection in
    ``u`` of the best point onto the level set; row 0 is the level row).
    """

    def __init__(self, capital: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 n_years: int, n_parts: int | None = None) -> None:
        self.n_z = len(capital)
        self.n_years = n_years
        #: subproblems with a cost variable each: the years, or their blocks
        self.n_parts = n_parts = n_years if n_parts is None else n_parts
        self.capital = capital
        self.lo, self.hi = lo, hi
        self.scale = np.where(hi > lo, hi - lo, 1.0)
        self.offset = float(capital @ lo)  # EUR/a at u = 0
        n = self.n_z + n_parts
        inf = highspy.kHighsInf
        u_hi = np.where(hi > lo, 1.0, 0.0)
        # each part's cost counts 1/N (N weather years) in the mean annual cost
        cost = np.r_[capital * self.scale / _MASTER_EUR, np.full(n_parts, 1.0 / n_years)]
        self.lp, self.qp = highspy.Highs(), highspy.Highs()
        for h in (self.lp, self.qp):
            h.setOptionValue("output_flag", False)
            h.addVars(n, np.r_[np.zeros(self.n_z), np.full(n_parts, -inf)],
                      np.r_[u_hi, np.full(n_parts, inf)])
        # a projection of a few dozen columns needs a few hundred iterations; HiGHS 1.16's
        # QP solver can cycle on degenerate cuts and then abort the process (heap
        # corruption) near 20,000 iterations: stop it early, the loop then takes the
        # master LP's point (solve_level returns None)
        for key, value in (("qp_iteration_limit", QP_ITERATION_LIMIT), ("time_limit", 30.0)):
            self.qp.setOptionValue(key, value)
        self.lp.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.qp.addRow(-inf, inf, n, np.arange(n, dtype=np.int32), cost)
        hess = highspy.HighsHessian()
        hess.dim_ = n
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_ = np.r_[np.arange(self.n_z + 1), np.full(n_parts, self.n_z)].astype(np.int32)
        hess.index_ = np.arange(self.n_z, dtype=np.int32)
        hess.value_ = np.ones(self.n_z)
        self.qp.passHessian(hess)

    def to_z(self, u: np.ndarray) -> np.ndarray:
        return np.clip(self.lo + self.scale * u[:self.n_z], self.lo, self.hi)

    def add_z_row(self, lower: float, upper: float, idx: np.ndarray, coef: np.ndarray) -> None:
        """``lower ≤ coef · z[idx] ≤ upper``."""
        shift = float(coef @ self.lo[idx])
        for h in (self.lp, self.qp):
            h.addRow(lower - shift, upper - shift, len(idx), idx.astype(np.int32),
                     coef * self.scale[idx])

    def add_cut(self, y: int, link: np.ndarray, slope: np.ndarray, value: float,
                at: np.ndarray) -> None:
        """``θ_y ≥ value + slope · (z[link] − at)`` (EUR/a)."""
        rhs = (value - float(slope @ at) + float(slope @ self.lo[link])) / _MASTER_EUR
        idx = np.r_[link, self.n_z + y].astype(np.int32)
        coef = np.r_[-slope * self.scale[link] / _MASTER_EUR, 1.0]
        for h in (self.lp, self.qp):
            h.addRow(rhs, highspy.kHighsInf, len(idx), idx, coef)

    def solve_lp(self) -> tuple[np.ndarray, float, np.ndarray]:
        """The LP over the cuts: (its point z, its objective EUR/a, d objective / d z)."""
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise DecompositionError(
                "master LP: " + self.lp.modelStatusToString(self.lp.getModelStatus()))
        sol = self.lp.getSolution()
        value = float(self.lp.getInfo().objective_function_value) * _MASTER_EUR + self.offset
        reduced = np.asarray(sol.col_dual)[:self.n_z] * _MASTER_EUR / self.scale
        return self.to_z(np.asarray(sol.col_value)), value, reduced

    def set_box(self, centre: np.ndarray | None, radius: float) -> None:
        """Limit ``u`` to ``radius`` around ``centre`` in both problems (``None``: the ranges)."""
        n = self.n_z
        u_hi = np.where(self.hi > self.lo, 1.0, 0.0)
        lo, hi = np.zeros(n), u_hi
        if centre is not None:
            u = (centre - self.lo) / self.scale
            lo, hi = np.maximum(lo, u - radius), np.minimum(hi, u + radius)
        for h in (self.lp, self.qp):
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), lo, hi)

    def solve_level(self, centre: np.ndarray, level: float | None) -> np.ndarray | None:
        """Projection of ``centre`` onto ``{model ≤ level}`` (no level: onto the rows)."""
        u = (centre - self.lo) / self.scale
        self.qp.changeColsCost(self.n_z, np.arange(self.n_z, dtype=np.int32), -u)
        upper = (highspy.kHighsInf if level is None
                 else (level - self.offset) / _MASTER_EUR)
        self.qp.changeRowBounds(0, -highspy.kHighsInf, upper)
        self.qp.run()
        if self.qp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            logger.debug("level projection: %s",
                         self.qp.modelStatusToString(self.qp.getModelStatus()))
            return None
        return self.to_z(np.asarray(self.qp.getSolution().col_value))


def _new_highs(options: dict[str, Any]) -> highspy.Highs:
    h = highspy.Highs()
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _with_heat_of(whole: SizingNetwork, sn: SizingNetwork) -> SizingNetwork:
    """``sn`` (one year, hourly or in segments) with the district heat inputs of ``whole``.

    The heat demand of a year depends on the year before it (the reference-day
    temperature averages the days before, :mod:`nzv_energy.heat.demand`, and each
    year is scaled to its annual heat), so a year's demand computed alone differs
    from its part of the whole horizon.  The year LPs take the whole horizon's
    demand and COPs (means over each snapshot's hours), as the monolithic LP has them.
    """
    if whole.heat is None or sn.heat is None:
        return sn
    start = pd.DatetimeIndex(whole.inputs.time).get_indexer(pd.DatetimeIndex(sn.inputs.time))
    if (start < 0).any():
        raise RuntimeError("a weather year's snapshots are not hours of the whole horizon")
    length = np.asarray(sn.weights_h, dtype=np.int64)

    def means(hourly: np.ndarray) -> np.ndarray:
        csum = np.concatenate([[0.0], np.cumsum(hourly)])
        return (csum[start + length] - csum[start]) / length

    sites = {site: dataclasses.replace(m, demand_mw=means(m.demand_mw),
                                       cop_heat_pump=means(m.cop_heat_pump),
                                       cop_waste_heat=means(m.cop_waste_heat))
             for site, m in whole.heat.sites.items()}
    return dataclasses.replace(sn, heat=HeatPlan(sites))


def _year_lp(
    inputs: SystemInputs,
    weights_h: np.ndarray | None,
    whole: SizingNetwork,
    keys: Sequence[tuple[str, str]] | None,
    options: dict[str, Any],
) -> tuple[SizingNetwork, DirectModel, highspy.Highs, np.ndarray, list[tuple[str, int]]]:
    """One year's operation LP; returns its network, model, HiGHS, slack cols, budget rows."""
    sn = _with_heat_of(whole, plan_network(inputs, weights_h,
                                           export_allowed=whole.export_allowed,
                                           bounds=whole.bounds))
    dm = build_direct_model(sn, SLACK_PENALTY)
    lp = dm.lp
    cost = np.asarray(lp.col_cost_).copy()
    cap_cols = np.array([dm.capacity_cols[k] for k in dm.capacity_cols], dtype=np.int64)
    cost[cap_cols] = 0.0  # capital is in the master
    lp.col_cost_ = cost
    lp.offset_ = 0.0  # the fixed capital too
    if "storage_share" in dm.row_groups:  # a row on capacities only: the master's
        lo, hi = np.asarray(lp.row_lower_).copy(), np.asarray(lp.row_upper_).copy()
        share_rows = dm.row_groups["storage_share"]
        lo[share_rows], hi[share_rows] = -highspy.kHighsInf, highspy.kHighsInf
        lp.row_lower_, lp.row_upper_ = lo, hi
    h = _new_highs(options)
    h.passModel(lp)
    enable_cancel(h)
    slack = [] if dm.unserved_cols is None else [np.asarray(dm.unserved_cols)]
    for group, (sign, hourly) in _SLACK_ROWS.items():
        rows = dm.row_groups.get(group)
        if rows is None or not len(rows):
            continue
        n = len(rows)
        unit = SLACK_PENALTY * (dm.objective_weights if hourly else np.ones(n))
        first = h.getNumCol()
        h.addCols(n, unit, np.zeros(n), np.full(n, highspy.kHighsInf), n,
                  np.arange(n, dtype=np.int32), rows.astype(np.int32), np.full(n, sign))
        slack.append(np.arange(first, first + n))
    budgets = [(group, int(dm.row_groups[group][0])) for group in _BUDGET_ROWS
               if group in dm.row_groups]
    if keys is not None and list(dm.capacity_cols) != list(keys):
        raise RuntimeError("the weather years' LPs size different capacities")
    return sn, dm, h, np.concatenate(slack) if slack else np.zeros(0, int), budgets


def _run_all(years: Sequence[_Year], pool: ThreadPoolExecutor) -> None:
    """Run every year's HiGHS, in parallel; Ctrl-C cancels them all."""

    def batch() -> None:
        for future in [pool.submit(y.h.run) for y in years]:
            future.result()

    def cancel() -> None:
        for y in years:
            y.h.cancelSolve()

    call_interruptibly(batch, cancel, "highs-years")


class _Loop:
    """The level bundle loop over one set of year LPs (segments or hours)."""

    def __init__(self, whole: SizingNetwork, years: list[_Year], master: _Master,
                 pool: ThreadPoolExecutor) -> None:
        self.whole = whole
        self.years = years
        self.master = master
        self.pool = pool
        self.constant = whole.objective_constant_eur_per_year
        self.upper = np.inf
        self.lower = -np.inf
        self.reduced = np.zeros(master.n_z)
        self.best: np.ndarray | None = None
        self.evaluated: np.ndarray | None = None
        self.iterations = 0
        self.solves = 0
        self.simplex = 0
        #: trust region of the level steps, in shares of each range (``None``: none)
        self.radius: float | None = None
        #: (upper, lower) at each check of :meth:`stalled`
        self.history: list[tuple[float, float]] = []
        #: iterations in a row that moved neither bound
        self.idle = 0

    def evaluate(self, z: np.ndarray) -> float:
        """Solve every year at ``z``, add their cuts; returns the objective at ``z``."""
        m = self.master
        for y in self.years:
            n_cap, n_budget = len(y.cap_cols), len(y.budget_rows)
            caps = z[y.link[:n_cap]]
            y.h.changeColsBounds(n_cap, y.cap_cols.astype(np.int32), caps, caps)
            for row, j in zip(y.budget_rows, y.link[n_cap:n_cap + n_budget], strict=True):
                y.h.changeRowBounds(int(row), -highspy.kHighsInf, float(z[j]))
            if len(y.boundary_cols):
                levels = z[y.link[n_cap + n_budget:]]
                y.h.changeColsBounds(len(levels), y.boundary_cols.astype(np.int32), levels,
                                     levels)
        _run_all(self.years, self.pool)
        total = float(m.capital @ z) + self.constant
        for i, y in enumerate(self.years):
            status = y.h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                raise DecompositionError(
                    f"weather year {y.year}: {y.h.modelStatusToString(status)}")
            info = y.h.getInfo()
            self.solves += 1
            self.simplex += int(info.simplex_iteration_count)
            value = float(info.objective_function_value)
            sol = y.h.getSolution()
            slope = np.concatenate([np.asarray(sol.col_dual)[y.cap_cols],
                                    np.asarray(sol.row_dual)[y.budget_rows],
                                    np.asarray(sol.col_dual)[y.boundary_cols]])
            total += value / m.n_years
            m.add_cut(i, y.link, slope, value, z[y.link])
        self.evaluated = z.copy()
        if total < self.upper:
            self.upper, self.best = total, z.copy()
        self.iterations += 1
        return total

    def solve_lower(self) -> np.ndarray:
        """The master LP over the cuts: the lower bound; returns its point."""
        z, value, self.reduced = self.master.solve_lp()
        self.lower = max(self.lower, value + self.constant)
        return z

    def without_slack(self) -> bool:
        """Make the best point serve every year without slack; returns whether it does.

        A trace of slack left within the gap (a capacity a hair short in one hour):
        each year LP in turn, slack forbidden, may raise the capacities above the
        best point (and the raises of the years before) at N times their capital,
        i.e. at its share of the operating cost (warm, a few iterations); the raised
        capacities are then operated in every year.  The best point and the upper
        bound become those capacities and their cost.
        """
        m = self.master
        assert self.best is not None
        z = self.best.copy()
        raised: list[tuple[np.ndarray, float]] = []  # each year's raise and operating cost
        for y in self.years:  # in turn, each from the capacities the previous ones raised
            n, ns = len(y.cap_cols), len(y.slack_cols)
            cols = y.cap_cols.astype(np.int32)
            y.h.changeColsBounds(ns, y.slack_cols.astype(np.int32), np.zeros(ns), np.zeros(ns))
            # a raise costs its capital against this year's share of the operating cost
            y.h.changeColsCost(n, cols, m.n_years * m.capital[y.link[:n]])
            lo, hi = z[y.link[:n]], m.hi[y.link[:n]]
            # first within a small box above the point (a warm re-solve of a few
            # iterations; with every capacity free up to its range it is nearly the
            # year's whole sizing LP), then, if that cannot serve the year, the ranges
            for upper in (np.minimum(hi, lo + REPAIR_RADIUS * m.scale[y.link[:n]]), hi):
                y.h.changeColsBounds(n, cols, lo, upper)
                call_interruptibly(y.h.run, y.h.cancelSolve, "highs-year")
                status = y.h.getModelStatus()
                if status == highspy.HighsModelStatus.kOptimal:
                    break
            if status != highspy.HighsModelStatus.kOptimal:
                logger.info("decomposition: weather year %d without slack: %s", y.year,
                            y.h.modelStatusToString(status))
                y.h.changeColsCost(n, cols, np.zeros(n))
                return False
            self.solves += 1
            self.simplex += int(y.h.getInfo().simplex_iteration_count)
            x = np.asarray(y.h.getSolution().col_value)[y.cap_cols]
            raised.append((x, float(y.h.getInfo().objective_function_value)
                           - float(m.n_years * m.capital[y.link[:n]] @ x)))
            z[y.link[:n]] = np.maximum(z[y.link[:n]], x)
        # a year whose raise is the final point (one year: always) has its operation at
        # the point solved already (the raise LP restricted to its optimal capacities);
        # the others are operated there.  Re-solving the raise LP's basis with the
        # capital costs removed took up to 100 s on the 3-site year (docs/PERFORMANCE.md).
        again = []
        total = float(m.capital @ z) + self.constant
        for y, (x, value) in zip(self.years, raised, strict=True):
            n = len(y.cap_cols)
            caps = z[y.link[:n]]
            if np.array_equal(caps, x):
                total += value / m.n_years
                continue
            y.h.changeColsCost(n, y.cap_cols.astype(np.int32), np.zeros(n))
            y.h.changeColsBounds(n, y.cap_cols.astype(np.int32), caps, caps)
            again.append(y)
        _run_all(again, self.pool)
        for y in again:
            if y.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return False
            self.solves += 1
            self.simplex += int(y.h.getInfo().simplex_iteration_count)
            total += float(y.h.getInfo().objective_function_value) / m.n_years
        self.upper, self.best, self.evaluated = total, z, z.copy()
        return True

    def bound_duals(self, n_cap: int) -> np.ndarray:
        """``d objective / d capacity`` at the best point for the first ``n_cap`` capacities.

        The master LP's reduced costs at its optimum are one subgradient of the cut model;
        at a capacity on its bound they may carry the slope of a cut from a point that
        needed slack (e.g. 1e5 EUR/MWh times the hours for a pipeline at the demand peak,
        where more pipeline saves nothing), which is no dual of the bound.  With one
        weather year and a capacity at a bound, the year LP becomes the sizing LP itself
        near its optimum (capacities free within :data:`DUAL_RADIUS` of their ranges
        around the best point, at their capital, no slack), and each capacity at a bound
        gets the reduced cost of that LP re-solved warm with the bound moved outwards by
        1e-5 of its range: the optimum's slope in the bound beyond it (``bound_report``'s
        meaning; zero where moving the bound does not pay).  One site only: there it
        costs 2-3 s (one year, 8,760 h), on the 3-site year 50-60 s for four capacities
        at bounds, nearly half the sizing.  Several years or sites keep the master's
        reduced costs (no year LP alone is the sizing LP of several years).
        """
        m = self.master
        assert self.best is not None
        z = self.best
        out = self.reduced.copy()
        lo, hi = m.lo[:n_cap], m.hi[:n_cap]
        tol = 1e-6 * np.maximum(1.0, np.abs(hi))
        upper = (hi > lo) & (z[:n_cap] >= hi - tol)
        lower = (hi > lo) & (lo > 0.0) & (z[:n_cap] <= lo + tol) & ~upper
        if (len(self.years) != 1 or len(self.whole.inputs.site_names) != 1
                or not (upper.any() or lower.any())):
            return out
        y = self.years[0]
        n, ns = len(y.cap_cols), len(y.slack_cols)
        cols = y.cap_cols.astype(np.int32)
        y.h.changeColsBounds(ns, y.slack_cols.astype(np.int32), np.zeros(ns), np.zeros(ns))
        y.h.changeColsCost(n, cols, m.capital[:n])
        radius = DUAL_RADIUS * m.scale[:n]
        box_lo, box_hi = np.maximum(lo, z[:n] - radius), np.minimum(hi, z[:n] + radius)
        step = 1e-5 * np.maximum(1.0, hi - lo)
        for i in np.flatnonzero(upper | lower):
            b_lo, b_hi = box_lo.copy(), box_hi.copy()
            if upper[i]:
                b_hi[i] = hi[i] + step[i]
            else:
                b_lo[i] = max(lo[i] - step[i], 0.0)
            y.h.changeColsBounds(n, cols, b_lo, b_hi)
            call_interruptibly(y.h.run, y.h.cancelSolve, "highs-year")
            self.solves += 1
            if y.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                logger.info("decomposition: no dual of the bound of capacity %d (%s); the "
                            "master's reduced cost is reported", i,
                            y.h.modelStatusToString(y.h.getModelStatus()))
                continue
            self.simplex += int(y.h.getInfo().simplex_iteration_count)
            out[i] = float(np.asarray(y.h.getSolution().col_dual)[y.cap_cols[i]])
        return out

    def gap(self) -> float:
        return (self.upper - self.lower) / max(abs(self.upper), 1.0)

    def stalled(self) -> bool:
        """Whether neither bound moved by 1e-12 (relative) in :data:`STALL_ITERATIONS`."""
        self.history.append((self.upper, self.lower))
        if len(self.history) <= STALL_ITERATIONS:
            return False
        (u0, l0), (u1, l1) = self.history[-1 - STALL_ITERATIONS], self.history[-1]
        return max(u0 - u1, l1 - l0) <= 1e-12 * max(abs(u1), 1.0)

    def run(self, start: np.ndarray, tolerance: float, deadline: float,
            max_iterations: int, label: str, max_idle: int | None = None) -> bool:
        """Iterate from ``start`` until the gap is below ``tolerance``; returns whether it is.

        ``max_idle``: also stop (``False``) after that many iterations in a row that moved
        neither bound.
        """
        self.evaluate(start)
        last = (np.inf, -np.inf)
        while True:
            point = self.solve_lower()
            gap = self.gap()
            self.idle = 0 if (self.upper < last[0] or self.lower > last[1]) else self.idle + 1
            last = (self.upper, self.lower)
            logger.info("decomposition (%s) %d: upper %.2f, lower %.2f EUR/a, gap %.2e",
                        label, self.iterations, self.upper, self.lower, gap)
            if gap <= tolerance:
                return True
            if gap <= GAP_TOLERANCE and self.stalled():
                # below the several-site gap the bounds can stop moving at the year LPs'
                # own precision (HiGHS's tolerances): the gap reached is reported
                logger.info("decomposition (%s): the bounds have not moved in %d iterations; "
                            "stopping at a gap of %.2e (asked: %.0e)", label,
                            STALL_ITERATIONS, gap, tolerance)
                return True
            if (self.iterations >= max_iterations or time.perf_counter() > deadline
                    or (max_idle is not None and self.idle >= max_idle)):
                return False
            assert self.best is not None
            lower = self.lower
            whole_point = point
            if self.radius is not None:
                # the level from the cut model within the box around the best point: far
                # from it the first cuts say little, and far steps cost the year LPs many
                # simplex iterations from their warm bases
                self.master.set_box(self.best, self.radius)
                point, local, _ = self.master.solve_lp()
                lower = max(lower, local + self.constant)
            level = lower + LEVEL_FRACTION * (self.upper - lower) - self.constant
            projected = self.master.solve_level(self.best, level)
            if self.radius is not None:
                self.master.set_box(None, 0.0)
            before = self.upper
            if self.idle >= KELLEY_AFTER and gap <= GAP_TOLERANCE:
                # below the several-site gap (one site's tail): level steps that moved
                # neither bound (the projection crawls along a steep cut, e.g. the
                # unserved-hydrogen penalty's slope at the demand peak); a plain
                # cutting-plane step at the master LP's point raises the lower bound
                projected, point = None, whole_point
            self.evaluate(point if projected is None else projected)
            if self.radius is not None and self.upper < before:
                self.radius = 2.0 * self.radius if self.radius < MAX_RADIUS else None


class DecompositionError(NzvError):
    """A year LP or the master did not reach an optimum (``exact_method: monolithic`` avoids it)."""


def _all_bounds(whole: SizingNetwork) -> dict[tuple[str, str], Bounds]:
    """Bounds of every capacity of the network, the district heat's included."""
    out = dict(whole.bounds)
    if whole.heat is not None:
        for site, m in whole.heat.sites.items():
            out.update({(site, fld): b for fld, b in m.bounds.items()})
    return out


def _unit_capital_cost(whole: SizingNetwork, key: tuple[str, str]) -> float:
    """Annual capital per unit of a sized capacity, EUR/(MW or MWh)/a, as in the LP."""
    if key in whole.bounds or whole.heat is None:
        return whole.unit_capital_cost(*key)
    site, fld = key
    return whole.heat.sites[site].unit_cost[fld]  # the heat plan's cost rows (heat.py)


def _master(whole: SizingNetwork, keys: Sequence[tuple[str, str]],
            budgets: Sequence[Sequence[tuple[str, int]]],
            levels: tuple[np.ndarray, np.ndarray, Sequence[np.ndarray]] | None = None,
            ) -> tuple[_Master, list[np.ndarray]]:
    """The master problem with no cuts; returns it and each part's linking columns.

    The parts are the weather years (``budgets``: each year's budget rows), or with
    ``levels = (lo, hi, per_part)`` the blocks of one year each (:mod:`.blocks`; no
    budgets): columns of the store levels at the block boundaries follow the
    capacities, within ``[lo, hi]``, and each block links to the columns ``per_part``
    (indices into ``lo``) after the capacities.
    """
    opt = whole.scenario.optimisation
    n_parts = len(budgets)
    n_years = n_parts if levels is None else len(whole.inputs.years)
    n_cap = len(keys)
    capital = [_unit_capital_cost(whole, k) for k in keys]
    lo = [whole.bound(k).lo for k in keys]
    hi = [whole.bound(k).hi for k in keys]
    links = [list(range(n_cap)) for _ in range(n_parts)]
    if levels is not None:
        if any(budgets):
            raise ValueError("blocks of a year with budget rows")
        lo += list(levels[0])
        hi += list(levels[1])
        capital += [0.0] * len(levels[0])
        for link, extra in zip(links, levels[2], strict=True):
            link += [n_cap + int(i) for i in extra]
    sums: dict[str, list[int]] = {}
    for y, rows in enumerate(budgets):
        for group, _ in rows:
            cap = float(getattr(opt, _BUDGET_ROWS[group]))
            links[y].append(len(capital))
            sums.setdefault(group, []).append(len(capital))
            capital.append(0.0)
            lo.append(0.0)
            hi.append(n_years * cap)
    m = _Master(np.array(capital, dtype=np.float64), np.array(lo, dtype=np.float64),
                np.array(hi, dtype=np.float64), n_years, n_parts)
    inf = highspy.kHighsInf
    for group, cols in sums.items():
        cap = float(getattr(opt, _BUDGET_ROWS[group]))
        m.add_z_row(-inf, n_years * cap, np.array(cols), np.ones(len(cols)))
    if opt.min_storage_share is not None:
        need = storage_share_requirement_mwh(whole, opt.min_storage_share)
        fixed = sum(b.lo for (_, f), b in whole.bounds.items()
                    if f == "hydrogen_storage_mwh" and not b.extendable)
        cols_s = [i for i, k in enumerate(keys) if k[1] == "hydrogen_storage_mwh"]
        if cols_s:
            m.add_z_row(need - fixed, inf, np.array(cols_s), np.ones(len(cols_s)))
    return m, [np.array(link, dtype=np.int64) for link in links]


def _years(
    parts: Sequence[tuple[int, SystemInputs, np.ndarray | None]],
    whole: SizingNetwork,
    options: dict[str, Any],
) -> tuple[list[_Year], _Master]:
    """Load every year's LP and build the master."""
    built = []
    keys: list[tuple[str, str]] | None = None
    for year, inp, weights in parts:
        sn, dm, h, slack, budget = _year_lp(inp, weights, whole, keys, options)
        keys = list(dm.capacity_cols)
        built.append((year, sn, dm, h, slack, budget))
    assert keys is not None
    master, links = _master(whole, keys, [b[5] for b in built])
    years = [
        _Year(year, sn, dm, h, link,
              np.array([dm.capacity_cols[k] for k in keys], dtype=np.int64),
              np.array([row for _, row in budget], dtype=np.int64), slack)
        for (year, sn, dm, h, slack, budget), link in zip(built, links, strict=True)
    ]
    return years, master


def _blocks(
    inputs: SystemInputs,
    whole: SizingNetwork,
    years: Sequence[_Year],
    start: np.ndarray,
    levels: dict[tuple[str, str], np.ndarray] | None,
    block_hours: Sequence[Sequence[int]],
    options: dict[str, Any],
) -> tuple[list[_Year], _Master, np.ndarray]:
    """Every year LP in blocks of whole months (:mod:`.blocks`), their master and start.

    ``years`` are the whole-year LPs, ``block_hours`` the first hour of each block of
    each year (:func:`~.blocks.block_starts`).  The start point is ``start`` with the store
    levels at the block boundaries taken from ``levels`` (by store, every hour of
    ``inputs``) or, when ``None``, from the years' current solutions (solved at
    ``start``).  The master has the capacity columns of the years' master
    (same ranges and rows), then per year, block boundary and store the level before
    the block's first hour, within the store's range (``level ≤ capacity`` and the
    battery's minimum state of charge as master rows where the capacity is sized).
    """
    keys = list(years[0].dm.capacity_cols)
    n_cap = len(keys)
    kinds = stores(years[0].dm, whole.scenario.technology.battery.min_soc_fraction)
    lp0 = years[0].dm.lp
    col_lo, col_hi = np.asarray(lp0.col_lower_), np.asarray(lp0.col_upper_)
    store_lo, store_hi = [], []
    for st in kinds:
        if st.capacity in keys:
            store_lo.append(0.0)
            store_hi.append(whole.bound(st.capacity).hi)
        else:  # a fixed store: its level's own bounds
            first = int(level_columns(years[0].dm, st)[0])
            store_lo.append(float(col_lo[first]))
            store_hi.append(float(col_hi[first]))
    parts: list[tuple[int, SystemInputs]] = []
    per_part: list[np.ndarray] = []
    z_levels: list[float] = []
    n_st = len(kinds)
    offsets = inputs.year_slices()
    for y, starts in zip(years, block_hours, strict=True):
        hours = y.sn.inputs
        x = None if levels is not None else np.asarray(y.h.getSolution().col_value)
        first = len(z_levels) // n_st  # this year's first boundary
        for k, a in enumerate(starts):
            b = starts[k + 1] if k + 1 < len(starts) else len(hours.time)
            parts.append((y.year, hours.select_hours(slice(a, b))))
            nxt = first + (k + 1) % len(starts)  # the last block ends where the first starts
            per_part.append(np.r_[np.arange((first + k) * n_st, (first + k + 1) * n_st),
                                  np.arange(nxt * n_st, (nxt + 1) * n_st)])
            before = (a - 1) % len(hours.time)  # the hour whose level the block starts from
            if levels is None:
                assert x is not None
                z_levels += [float(x[level_columns(y.dm, st)[before]]) for st in kinds]
            else:
                hour = offsets[y.year].start + before
                z_levels += [float(levels[(st.site, st.name)][hour]) for st in kinds]
    lo = np.tile(store_lo, len(z_levels) // n_st)
    hi = np.tile(store_hi, len(z_levels) // n_st)
    master, links = _master(whole, keys, [[] for _ in parts], (lo, hi, per_part))
    for j in range(len(z_levels)):
        st = kinds[j % n_st]
        if st.capacity in keys:
            cap_i = keys.index(st.capacity)
            idx = np.array([n_cap + j, cap_i])
            master.add_z_row(-highspy.kHighsInf, 0.0, idx, np.array([1.0, -1.0]))
            if st.min_fraction > 0.0:
                master.add_z_row(0.0, highspy.kHighsInf, idx, np.array([1.0, -st.min_fraction]))
    out = []
    for (year, part), link in zip(parts, links, strict=True):
        sn, dm, h, slack, _ = _year_lp(part, None, whole, keys, options)
        cols = link_boundaries(h, dm, kinds, SLACK_PENALTY)
        out.append(_Year(year, sn, dm, h, link,
                         np.array([dm.capacity_cols[k] for k in keys], dtype=np.int64),
                         np.zeros(0, dtype=np.int64), np.r_[slack, cols.slack].astype(np.int64),
                         np.r_[cols.start, cols.end].astype(np.int64)))
    z = np.r_[start[:n_cap], z_levels]
    return out, master, np.clip(z, master.lo, master.hi)


def _start_point(master: _Master) -> np.ndarray:
    """The middle of the box projected onto the master's rows (no cuts yet).

    Budgets start at the cap (the middle of ``[0, N × cap]``).
    """
    z = 0.5 * (master.lo + master.hi)
    projected = master.solve_level(z, None)
    return z if projected is None else projected


def use_decomposition(inputs: SystemInputs) -> bool:
    """Whether ``mode: exact`` solves ``inputs`` by :func:`solve_by_weather_year`.

    ``optimisation.exact_method`` ``decomposition`` always, ``monolithic`` never; ``auto``
    (default) for several weather years and for one year from :data:`AUTO_MIN_HOURS`
    hours (one site or several); shorter horizons solve fast as one LP.
    """
    method = inputs.scenario.optimisation.exact_method
    if method != "auto":
        return method == "decomposition"
    return len(inputs.years) > 1 or len(inputs.time) >= AUTO_MIN_HOURS


def gap_tolerance(inputs: SystemInputs) -> float:
    """The loop's relative gap for ``inputs``.

    :data:`ONE_SITE_GAP_TOLERANCE` for one site, :data:`GAP_TOLERANCE` for several (where
    each further digit costs many level steps of the large year LPs, docs/PERFORMANCE.md).
    """
    return ONE_SITE_GAP_TOLERANCE if len(inputs.site_names) == 1 else GAP_TOLERANCE


def _fast_start(
    inputs: SystemInputs,
    master: _Master,
    keys: Sequence[tuple[str, str]],
    export_allowed: bool | None,
    bounds: dict[tuple[str, str], Bounds] | None,
    time_limit_s: float | None,
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]] | None:
    """Capacities of the fast mode's LP of ``inputs`` as a master point (``None``: failed).

    The same LP as ``optimise(..., mode="fast")`` solves (the scenario's time
    segments, sized renewables in the balance, :data:`FAST_OPTIONS`), solved once;
    each year's budgets start at the cap.  For one weather year this replaces the
    cut loop on the segments, which reaches the same point in many year solves.
    Also returns the store levels of that LP in every hour (its segment's level at the
    segment's end), by ``(site, level name)`` as :class:`~.blocks.Store` names them.
    """
    seg = segment(inputs)
    sn = plan_network(seg.inputs, seg.weights_h, export_allowed=export_allowed, bounds=bounds)
    try:
        _, lps = solve_direct(sn, build_direct_model(sn, substitute_renewables="all"),
                              options=dict(FAST_OPTIONS), time_limit_s=time_limit_s)
    except NzvError as exc:  # infeasible or out of time: the hourly loop finds out itself
        logger.info("decomposition: no start from the fast mode's LP (%s)", exc)
        return None
    if not all(k in lps.capacities for k in keys):
        return None
    z = np.empty(master.n_z)
    z[:len(keys)] = [lps.capacities[k] for k in keys]
    z[len(keys):] = master.hi[len(keys):] / master.n_years  # budgets: N × cap each
    of_hour = seg.segment_of_hour()
    levels = {}
    for i, site in enumerate(sn.sites):
        for name in LEVEL_CAPACITIES:
            levels[(site, name)] = lps.flows[name][of_hour, i]
        if "storage_level" in lps.heat_flows:
            levels[(site, THERMAL_LEVEL)] = lps.heat_flows["storage_level"][of_hour, i]
    return np.clip(z, master.lo, master.hi), levels


def solve_by_weather_year(
    inputs: SystemInputs,
    *,
    export_allowed: bool | None = None,
    bounds: dict[tuple[str, str], Bounds] | None = None,
    options: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
    tolerance: float | None = None,
    threads: int | None = None,
    start: Literal["fast", "segments", "middle"] | None = None,
    max_iterations: int = 1000,
    blocks: int | None = None,
) -> tuple[SizingNetwork, SolveReport, LpSolution, DecompositionReport]:
    """The exact (hourly) sizing of several weather years, solved year by year.

    Same optimum as the monolithic LP of :func:`nzv_energy.sizing.lp.build_direct_model`
    (up to ``tolerance``), whose network, report and solution it returns in the same
    form (flows and hydrogen prices of all years, in time order).

    Parameters
    ----------
    inputs
        Hourly inputs with at least one weather year.
    export_allowed, bounds
        As :func:`nzv_energy.sizing.network.plan_network`.
    options
        HiGHS options of the year LPs; :data:`~nzv_energy.sizing.solve.EXACT_OPTIONS`
        when ``None``.
    time_limit_s
        Wall-clock limit of the whole loop: it stops with the best capacities found
        (status ``feasible``, the gap reached in the report).
    tolerance
        Relative gap ``(upper − lower) / |upper|`` at which the loop stops;
        :func:`gap_tolerance` of ``inputs`` when ``None`` (1e-10 for one site, 1e-7 for
        several).
    threads
        Year LPs (or blocks) solved at once; ``min(number of years × blocks, CPU cores)``
        when ``None``.
    start
        ``fast``: start from the capacities of the fast mode's LP of the whole
        horizon (one segmented LP); ``segments``: first run the loop on the fast
        mode's time segments of each year and start from its capacities;
        ``middle``: start from the middle of every capacity range.  ``None``:
        ``fast`` for one weather year, ``segments`` for several (where the fast LP
        of all years costs more than the loop over their segments,
        docs/PERFORMANCE.md).
    max_iterations
        Evaluations of the hourly year LPs at most.
    blocks
        Blocks of whole months per weather year in the hourly loop (:mod:`.blocks`).
        ``None``: :data:`BLOCKS_PER_YEAR` for one weather year of several sites, whole
        years otherwise (several years are parts enough: 4 years of 3 sites took 141 s
        in blocks against 116 s; one site's loop to its 1e-10 gap stalls in blocks).
        Whole years also with ``1``, for one site, a year LP with rows over several
        hours (annual caps, RFNBO matching) or a year of one month.

    Returns
    -------
    tuple
        The whole horizon's (planned) network, the solve report, the solution and
        the :class:`DecompositionReport`.

    Raises
    ------
    ModelInfeasibleError
        No capacities within the ranges serve every year (found by the monolithic
        LP, which the loop hands over to when its optimum needs a slack).
    """
    t0 = time.perf_counter()
    if tolerance is None:
        tolerance = gap_tolerance(inputs)
    opts = {**(options or EXACT_OPTIONS), "output_flag": False}
    silence_banner()
    whole = plan_network(inputs, None, export_allowed=export_allowed, bounds=bounds)
    year_list = list(inputs.years)
    if start is None:
        start = "fast" if len(year_list) == 1 else "segments"
    n_blocks = (blocks if blocks is not None
                else BLOCKS_PER_YEAR if len(year_list) == 1 and len(inputs.site_names) > 1 else 1)
    n_threads = threads or max(1, min(len(year_list) * max(n_blocks, 1), os.cpu_count() or 1))
    deadline = t0 + (time_limit_s if time_limit_s is not None else np.inf)
    timings: dict[str, float] = {}
    with ThreadPoolExecutor(n_threads, thread_name_prefix="nzv-year") as pool:
        z0: np.ndarray | None = None
        levels: dict[tuple[str, str], np.ndarray] | None = None
        start_loop: _Loop | None = None
        pinned = all(b.lo == b.hi for b in _all_bounds(whole).values() if b.extendable)
        if start == "segments" and not pinned:
            parts = []
            for y in year_list:
                seg = segment(inputs.select_year(y))
                parts.append((y, seg.inputs, seg.weights_h))
            seg_years, seg_master = _years(parts, whole, opts)
            start_loop = _Loop(whole, seg_years, seg_master, pool)
            start_loop.run(_start_point(seg_master), START_GAP_TOLERANCE, deadline,
                           max_iterations, "segments")
            z0 = start_loop.best
            timings["start"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        years, master = _years([(y, inputs.select_year(y), None) for y in year_list], whole,
                               opts)
        timings["build"] = time.perf_counter() - t1
        if start == "fast" and not pinned:
            t3 = time.perf_counter()
            fast = _fast_start(inputs, master, list(years[0].dm.capacity_cols), export_allowed,
                               bounds, None if time_limit_s is None else max(deadline - t3, 1.0))
            if fast is not None:
                z0, levels = fast
            timings["start"] = time.perf_counter() - t3
        loop = _Loop(whole, years, master, pool)
        if z0 is None:
            z0 = _start_point(master)
        else:  # near the optimum: a trust region keeps the first steps short
            loop.radius = START_RADIUS
        t2 = time.perf_counter()
        block_hours = [block_starts(y.sn.inputs.time, n_blocks) for y in years]
        if (n_blocks > 1 and not pinned and len(inputs.site_names) > 1
                and all(splittable(y.dm) for y in years)
                and all(len(starts) > 1 for starts in block_hours)):
            converged = _run_in_blocks(loop, inputs, z0, levels, block_hours, opts, tolerance,
                                       deadline, max_iterations)
            n_blocks = len(block_hours[0])  # as split
        else:
            n_blocks = 1
            converged = loop.run(z0, tolerance, deadline, max_iterations, "hours")
        assert loop.best is not None
        if loop.evaluated is None or not np.array_equal(loop.evaluated, loop.best):
            loop.evaluate(loop.best)  # the year LPs at the best capacities
        short = _slack_used(years)
        if short and loop.without_slack():
            logger.info("decomposition: capacities raised to serve every year without slack: "
                        "upper %.2f EUR/a, gap %.2e", loop.upper, loop.gap())
            short = "" if loop.gap() <= tolerance or not converged else short
        timings["loop"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    if short:
        logger.warning(
            "exact sizing by weather year: the best capacities need slack (%s); solving the "
            "monolithic LP instead", short)
        report, lps = solve_direct(whole, build_direct_model(whole), options=options,
                                   time_limit_s=time_limit_s)
        dec = DecompositionReport(loop.lower, loop.upper, loop.gap(), loop.iterations,
                                  start_loop.iterations if start_loop else 0,
                                  loop.solves, loop.simplex, False, timings, n_blocks)
        return whole, report, lps, dec
    dec = DecompositionReport(
        lower_bound_eur_per_year=loop.lower,
        upper_bound_eur_per_year=loop.upper,
        relative_gap=loop.gap(),
        iterations=loop.iterations,
        start_iterations=start_loop.iterations if start_loop else 0,
        year_solves=loop.solves + (start_loop.solves if start_loop else 0),
        simplex_iterations=loop.simplex + (start_loop.simplex if start_loop else 0),
        converged=converged,
        timings_s=timings,
        blocks_per_year=n_blocks,
    )
    if not converged:
        logger.warning(
            "exact sizing by weather year stopped (%s) at a relative gap of %.2e: the "
            "capacities are feasible but NOT proven optimal",
            "time limit" if time.perf_counter() > deadline else "iteration limit",
            dec.relative_gap)
    lps = _solution(whole, years, loop.reduced, loop.best, loop.upper)
    t4 = time.perf_counter()
    duals = loop.bound_duals(len(years[0].cap_cols))  # after _solution read the years
    lps.capacity_reduced_costs = {k: float(duals[i])
                                  for i, k in enumerate(years[0].dm.capacity_cols)}
    timings["bound_duals"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    report = SolveReport(
        status=SolveStatus.OPTIMAL if converged else SolveStatus.FEASIBLE,
        objective=loop.upper,
        solve_time_s=timings["total"],
        highs_status="Optimal" if converged else "Gap limit not reached",
        iterations={"simplex": dec.simplex_iterations, "ipm": 0, "crossover": 0,
                    "decomposition": dec.iterations},
        options={**opts, "exact_method": "decomposition", "relative_gap": dec.relative_gap,
                 "gap_tolerance": tolerance, "threads": n_threads},
        termination=(TerminationCondition.optimal if converged
                     else TerminationCondition.time_limit),
    )
    logger.info(
        "exact sizing by weather year: %d + %d iterations, %d year LPs, gap %.2e, %.1f s",
        dec.start_iterations, dec.iterations, dec.year_solves, dec.relative_gap,
        timings["total"])
    return whole, report, lps, dec


def _run_in_blocks(loop: _Loop, inputs: SystemInputs, start: np.ndarray,
                   levels: dict[tuple[str, str], np.ndarray] | None,
                   block_hours: Sequence[Sequence[int]], options: dict[str, Any],
                   tolerance: float, deadline: float, max_iterations: int) -> bool:
    """The hourly loop on the years' blocks (:mod:`.blocks`); returns whether it converged.

    ``loop`` holds the whole-year LPs.  The store levels at the block boundaries start
    from ``levels`` (every hour of ``inputs``, e.g. the fast LP's), or when ``None``
    from the whole years solved at ``start``.  The loop runs on the blocks, and the
    whole years are then solved at its best capacities: ``loop`` has that point, its
    cost (at most the blocks' cost there: the whole year may move the boundary levels),
    the blocks' lower bound and reduced costs and all their counts.
    """
    if levels is None:
        loop.evaluate(start)
    parts, master, z0 = _blocks(inputs, loop.whole, loop.years, start, levels, block_hours,
                                options)
    inner = _Loop(loop.whole, parts, master, loop.pool)
    inner.radius = loop.radius
    failed = None
    try:
        converged = inner.run(z0, tolerance, deadline, max_iterations, "blocks",
                              STALL_ITERATIONS)
    except DecompositionError as exc:  # a block LP without an optimum: whole years instead
        converged, failed = False, exc
    n_z = loop.master.n_z
    best = start[:n_z] if inner.best is None else inner.best[:n_z]
    loop.lower = max(loop.lower, inner.lower)
    loop.reduced = inner.reduced[:n_z]
    loop.iterations += inner.iterations
    loop.solves += inner.solves
    loop.simplex += inner.simplex
    if failed is None and (converged or inner.iterations >= max_iterations
                           or time.perf_counter() > deadline):
        loop.evaluate(best)
        return converged or loop.gap() <= tolerance
    # the blocks' bounds stopped moving above the tolerance (or a block LP failed): the
    # whole years go on from the best point (the blocks' lower bound stays valid)
    logger.info("decomposition: %s at a gap of %.2e; whole years from here",
                "the blocks stalled" if failed is None else f"blocks stopped ({failed})",
                inner.gap())
    loop.radius = START_RADIUS
    return loop.run(best, tolerance, deadline, max_iterations, "hours")


def _slack_used(years: Sequence[_Year]) -> str:
    """The years whose LP uses a penalised slack at the last point solved (empty: none)."""
    out = []
    for y in years:
        x = np.asarray(y.h.getSolution().col_value)
        used = float(np.max(x[y.slack_cols], initial=0.0))
        if used > 1e-6:
            out.append(f"{y.year}: {used:.3g}")
    return ", ".join(out)


def _solution(whole: SizingNetwork, years: Sequence[_Year], reduced: np.ndarray,
              z: np.ndarray, objective: float) -> LpSolution:
    """The years' solutions at capacities ``z`` as one solution of the whole horizon.

    Capacities as :func:`~nzv_energy.sizing.lp.read_direct_solution` gives them: the
    sized ones from ``z``, fixed ones at their value, district heat included (a thermal
    store's power tied to its energy follows from the energy); flows, heat flows and
    hydrogen prices of all years in time order.
    """
    parts = [read_direct_solution(y.sn, y.dm, y.h) for y in years]
    keys = list(years[0].dm.capacity_cols)
    caps = {}
    for k, b in _all_bounds(whole).items():
        caps[k] = float(z[keys.index(k)]) if k in keys else (0.0 if b.is_zero else b.lo)
    for site, m in ({} if whole.heat is None else whole.heat.sites).items():
        if m.storage_tied and "thermal_storage_mwh" in m.bounds:
            caps[(site, "thermal_storage_mw")] = (caps[(site, "thermal_storage_mwh")]
                                                  / m.params["storage_ratio_h"])
    # reduced costs of the capacities in the master LP at its optimum: capital plus the
    # cuts' combination of the years' subgradients (d objective / d capacity)
    firm = [p.firm_marginal_eur_per_mw_year for p in parts]
    return LpSolution(
        capacities=caps,
        flows={name: np.concatenate([p.flows[name] for p in parts]) for name in FLOWS},
        hydrogen_price_eur_per_mwh=np.concatenate([p.hydrogen_price_eur_per_mwh
                                                   for p in parts]),
        objective=objective,
        capacity_reduced_costs={k: float(reduced[i]) for i, k in enumerate(keys)},
        firm_marginal_eur_per_mw_year=(None if any(f is None for f in firm)
                                       else float(sum(firm)) / len(parts)),  # type: ignore[arg-type]
        heat_flows={name: np.concatenate([p.heat_flows[name] for p in parts])
                    for name in parts[0].heat_flows},
    )

