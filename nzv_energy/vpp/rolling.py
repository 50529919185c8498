"""Rolling-horizon scheduling: solve a window, commit its first hours, carry the state on.

Window ``k`` covers hours ``[k * commit_h, k * commit_h + horizon_h)``; its
first ``commit_h`` hours are committed and the state at the end of them
(battery state of charge, hydrogen storage levels, electrolyser and gas on/off,
stack operating hours) starts window ``k + 1``.  The last windows are shorter
when the data ends (one model is built per distinct window length).

With a forecast error the window is first solved on noisy prices and capacity
factors (the day-ahead schedule); the on/off decisions are then fixed and the
window is re-dispatched with the actual values of the committed hours, so the
committed schedule balances on the real data.

With ``operation.import_carbon_threshold_g_per_kwh`` set (and grid import on) no
power at all is bought in hours whose grid intensity is above it
(:attr:`HourlyInputs.import_allowed`, from
:func:`nzv_energy.grid_carbon.import_allowed_hours`, the sizing LPs' rule), as in
the rule-based dispatch.  The intensity is known, not forecast.

A window that cannot be solved (infeasible, time limit without a schedule,
solver error) is logged with its dates and replaced by the fallback dispatch
(normally the rule-based kernel) started from the same state; its hours are
marked in :attr:`RollingResult.fallback`.

A window's MIP stops at ``mip_gap`` or after ``mip_max_nodes`` branch-and-bound
nodes (deterministic: the same schedule on an idle and on a loaded machine);
the wall-clock ``time_limit_s`` is a safety net only.  Every window records
why its solve stopped (``stop``), the gap it was kept at, its nodes and
simplex iterations; an early stop is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from nzv_energy.errors import ModelInfeasibleError
from nzv_energy.scenario import Scenario
from nzv_energy.schema import SITE_VARIABLES, SYSTEM_VARIABLES
from nzv_energy.vpp import heat as vh
from nzv_energy.vpp.model import (
    Portfolio,
    SiteState,
    WindowData,
    build_model,
    fix_commitment,
    forbid_simultaneous_battery_use,
    free_commitment,
    read_schedule,
    reserve_key,
    set_window,
)
from nzv_energy.vpp.reserves import UNITS, ReserveSpec, block_prices
from nzv_energy.vpp.solve import WINDOW_HIGHS_OPTIONS, SolveResult, WindowSolver

log = logging.getLogger(__name__)

#: Output at or below this counts as "off" for units whose on-state is not a variable, MW.
ON_THRESHOLD_MW = 1e-6

#: Charging and discharging a battery in the same hour above this counts as simultaneous, MW.
SIMULTANEOUS_MW = 1e-6
#: At most this many re-solves to remove simultaneous battery charging and discharging.
MAX_BATTERY_ROUNDS = 5

#: Branch-and-bound nodes after which a window's MIP stops with its best schedule
#: (HiGHS ``mip_max_nodes``): a deterministic work limit, unlike the wall-clock
#: ``time_limit_s``.  Every window of a year of ``lausitz_2030_fixed`` closes its gap
#: at the root node (also with ``mip_gap: 0``), so the limit binds only on windows
#: far harder than the shipped ones.
MIP_MAX_NODES = 1000

#: ``fallback(start, stop, state)`` -> schedule arrays of hours ``[start, stop)``
#: (site variables ``(n_sites, n)``, system variables ``(n,)``), starting from ``state``.
Fallback = Callable[[int, int, SiteState], dict[str, np.ndarray]]


@dataclass(frozen=True)
class RollingOptions:
    """Options of the rolling horizon (see :class:`nzv_energy.scenario.Vpp`).

    ``mip_max_nodes`` is the deterministic work limit per window solve
    (:data:`MIP_MAX_NODES`); ``time_limit_s`` the wall-clock safety net; ``mip_start``
    begins each MIP from the rounded LP relaxation (:class:`WindowSolver`; off by
    default: no faster over a year); ``warm_start`` begins each window's MIP from the
    previous window's plan (:func:`warm_start`: the overlap it already decided, its
    last decision after it; on by default, deterministic; ignored with ``mip_start``);
    ``highs_options`` are further HiGHS options of every solve
    (:data:`~nzv_energy.vpp.solve.WINDOW_HIGHS_OPTIONS`; ``()`` = HiGHS's defaults).
    The last four are not scenario keys.
    """

    horizon_h: int = 48
    commit_h: int = 24
    mip_gap: float = 0.005
    time_limit_s: float | None = 30.0
    mip_max_nodes: int | None = MIP_MAX_NODES
    mip_start: bool = False
    warm_start: bool = True
    highs_options: tuple[tuple[str, bool | int | float], ...] = WINDOW_HIGHS_OPTIONS
    forecast_error_std_fraction: float = 0.0
    seed: int = 0
    storage_value: str = "window_median_price"
    import_policy: str = "operation"
    grid_import: bool = False
    import_price_threshold_eur_per_mwh: float = 20.0
    relax_lookahead: bool = False
    reserves: ReserveSpec | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> RollingOptions:
        """Options of a scenario's ``vpp`` and ``operation`` sections."""
        v = scenario.vpp
        return cls(
            horizon_h=v.horizon_h,
            commit_h=v.commit_h,
            mip_gap=v.mip_gap,
            time_limit_s=v.time_limit_s,
            forecast_error_std_fraction=v.forecast_error_std_fraction,
            seed=v.seed,
            storage_value=v.storage_value,
            import_policy=v.import_policy,
            relax_lookahead=v.relax_lookahead,
            grid_import=scenario.operation.grid_import,
            import_price_threshold_eur_per_mwh=(
                scenario.operation.import_price_threshold_eur_per_mwh
            ),
            reserves=None if v.reserves is None else ReserveSpec.from_scenario(v.reserves),
        )


@dataclass(frozen=True)
class HourlyInputs:
    """Actual hourly inputs of the whole period.

    Attributes
    ----------
    time
        Hourly time stamps, length ``n``.
    price_eur_per_mwh, hydrogen_demand_mw
        Shape ``(n,)``.
    wind_cf, pv_cf
        Shape ``(n_sites, n)``.
    reserve_price_eur_per_mw
        Capacity price of each offered reserve product for the block each hour belongs
        to, EUR/MW per block, shape ``(n_products, n)``; None without reserves.
    grid_co2_g_per_kwh
        Grid carbon intensity, g CO2e/kWh, shape ``(n,)``, ``inf`` in hours without a
        value (kernel layout, :func:`nzv_energy.dispatch.simulate.grid_co2_array`); read
        by the rule-based fallback.  None: zero (never blocks an import).
    import_allowed
        True in hours grid power may be bought at all (the import carbon threshold),
        shape ``(n,)``; None: every hour.
    heat_demand_mw, cop_heat_pump, cop_waste_heat
        District heat demand (MW_th) and heat-pump COPs, shape ``(n_sites, n)``
        (:func:`nzv_energy.dispatch.heat.heat_arrays`); None without heat.
    """

    time: pd.DatetimeIndex
    price_eur_per_mwh: np.ndarray
    wind_cf: np.ndarray
    pv_cf: np.ndarray
    hydrogen_demand_mw: np.ndarray
    reserve_price_eur_per_mw: np.ndarray | None = None
    grid_co2_g_per_kwh: np.ndarray | None = None
    import_allowed: np.ndarray | None = None
    heat_demand_mw: np.ndarray | None = None
    cop_heat_pump: np.ndarray | None = None
    cop_waste_heat: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)


@dataclass
class RollingResult:
    """Committed schedule of the whole period.

    Attributes
    ----------
    schedule
        Results-schema arrays: site variables ``(n_sites, n)``, system variables ``(n,)``.
    fallback
        True for hours dispatched by the fallback, shape ``(n,)``.
    windows
        One row per window: dates, status, why the solver stopped, MIP gap and nodes,
        simplex iterations, objective (no wall-clock values: the table is a result).
    final_state
        State at the end of the period.
    solve_seconds, window_solve_seconds
        Wall-clock solve time in total and per window, for logs and benchmarks only.
    """

    schedule: dict[str, np.ndarray]
    fallback: np.ndarray
    windows: pd.DataFrame
    final_state: SiteState
    solve_seconds: float = 0.0
    window_solve_seconds: tuple[float, ...] = ()


def import_limits(
    portfolio: Portfolio, price_eur_per_mwh: np.ndarray, options: RollingOptions,
    import_allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Purchases allowed beyond own standby and load, MW, shape ``(n_sites, n)``.

    ``market``: the connection rating in every hour.  ``operation``: the
    rating in hours priced at or below the threshold when the operating policy
    allows grid imports, else zero (the rule-based dispatch's policy).  Under
    both, zero in hours ``import_allowed`` is false (the import carbon
    threshold; :func:`~nzv_energy.vpp.model.set_window` also blocks the own loads'
    purchases there).
    """
    price = np.asarray(price_eur_per_mwh, float)
    rating = portfolio.grid_connection_mw[:, None]
    if options.import_policy == "market":
        allowed = np.ones(price.shape, bool)
    elif options.import_policy == "operation":
        allowed = (price <= options.import_price_threshold_eur_per_mwh) & options.grid_import
    else:
        raise ValueError(f"unknown import policy {options.import_policy!r}")
    if import_allowed is not None:
        allowed = allowed & np.asarray(import_allowed, bool)
    return rating * allowed[None, :]


def storage_values(
    portfolio: Portfolio, price_eur_per_mwh: np.ndarray, rule: str
) -> tuple[float, float]:
    """End-of-window value of stored energy, EUR per MWh: ``(battery, hydrogen)``.

    ``window_median_price``: a battery MWh is worth the window's median price
    times the discharge efficiency (what it sells for later); a hydrogen MWh is
    worth the median price divided by the rated electrolyser efficiency (the
    electricity it saves), capped at the unserved-hydrogen penalty.  ``none``:
    zero (storage is emptied by the end of each window).
    """
    if rule == "none":
        return 0.0, 0.0
    if rule != "window_median_price":
        raise ValueError(f"unknown storage value rule {rule!r}")
    median = max(float(np.median(price_eur_per_mwh)), 0.0)
    battery = median * portfolio.battery_discharge_efficiency
    hydrogen = median / portfolio.electrolysis_efficiency
    cap = portfolio.unserved_hydrogen_penalty_eur_per_mwh
    if cap is not None:
        hydrogen = min(hydrogen, cap)
    return battery, hydrogen


def perturb(
    rng: np.random.Generator, price: np.ndarray, wind_cf: np.ndarray, pv_cf: np.ndarray,
    std_fraction: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecasts: ``x * (1 + std * e)`` with independent standard normal ``e``.

    Prices get ``p + std * |p| * e``; capacity factors are clipped to [0, 1].
    """
    if std_fraction <= 0:
        return price, wind_cf, pv_cf
    p = price + std_fraction * np.abs(price) * rng.standard_normal(price.shape)
    w = np.clip(wind_cf * (1 + std_fraction * rng.standard_normal(wind_cf.shape)), 0, 1)
    s = np.clip(pv_cf * (1 + std_fraction * rng.standard_normal(pv_cf.shape)), 0, 1)
    return p, w, s


def next_state(
    portfolio: Portfolio, state: SiteState, schedule: dict[str, np.ndarray], n: int
) -> SiteState:
    """State after the first ``n`` hours of ``schedule`` starting from ``state``.

    Storage levels are clipped to their bounds (removing solver round-off);
    a stack that reaches its lifetime is replaced (its hours restart).
    """
    p = portfolio
    soc = np.clip(
        schedule["battery_soc_mwh"][:, n - 1],
        p.battery_min_soc_fraction * p.battery_mwh,
        p.battery_mwh,
    )
    level = np.clip(schedule["hydrogen_storage_mwh"][:, n - 1], 0.0, p.hydrogen_storage_mwh)
    on = schedule["electrolysis_on"][:, :n] > 0.5
    if "gas_on" in schedule:
        gas_on = schedule["gas_on"][:, n - 1] > 0.5
    else:
        gas_on = schedule["gas_backup_mw"][:, n - 1] > ON_THRESHOLD_MW
    hours = state.stack_hours + on.sum(axis=1)
    life = p.electrolysis_stack_lifetime_hours
    hours = np.where(hours >= life, hours - life, hours)
    heat_level = chp_on = None
    if p.heat is not None:
        heat_level = np.clip(schedule["thermal_storage_mwh"][:, n - 1], 0.0,
                             p.heat.cap[:, vh.hk.HC_STORAGE_MWH])
        chp_on = schedule["chp_on"][:, n - 1] > 0.5
    return SiteState(
        battery_soc_mwh=soc,
        hydrogen_storage_mwh=level,
        electrolysis_on=on[:, -1].copy(),
        gas_on=gas_on,
        stack_hours=hours,
        thermal_storage_mwh=heat_level,
        chp_on=chp_on,
    )


class _Models:
    """One window model and persistent solver per window length."""

    def __init__(self, portfolio: Portfolio, options: RollingOptions) -> None:
        self.portfolio = portfolio
        self.options = options
        self._cache: dict[int, WindowSolver] = {}

    def get(self, n_hours: int) -> WindowSolver:
        if n_hours not in self._cache:
            integer = self.options.commit_h if self.options.relax_lookahead else None
            model = build_model(self.portfolio, n_hours, integer_hours=integer,
                                reserves=self.options.reserves)
            self._cache[n_hours] = WindowSolver(
                model, self.options.mip_gap, self.options.time_limit_s,
                mip_max_nodes=self.options.mip_max_nodes, mip_start=self.options.mip_start,
                highs_options=self.options.highs_options,
            )
        return self._cache[n_hours]


def _window_data(
    portfolio: Portfolio, options: RollingOptions, price: np.ndarray, wind: np.ndarray,
    pv: np.ndarray, demand: np.ndarray, value_price: np.ndarray,
    reserve_price: np.ndarray | None = None, import_allowed: np.ndarray | None = None,
    heat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> WindowData:
    battery_value, hydrogen_value = storage_values(portfolio, value_price, options.storage_value)
    blocks = (
        None if options.reserves is None or reserve_price is None
        else block_prices(reserve_price, options.reserves.block_hours)
    )
    heat_fields: dict[str, np.ndarray] = {}
    if portfolio.heat is not None and heat is not None:
        demand_h, cop_hp, cop_w = heat
        value = (
            np.zeros(portfolio.n_sites) if options.storage_value == "none"
            else vh.heat_values(portfolio.heat, portfolio.n_sites,
                                float(np.median(value_price)), cop_hp)
        )
        heat_fields = {"heat_demand_mw": demand_h, "cop_heat_pump": cop_hp,
                       "cop_waste_heat": cop_w, "heat_value_eur_per_mwh": value}
    return WindowData(
        price_eur_per_mwh=price,
        wind_cf=wind,
        pv_cf=pv,
        hydrogen_demand_mw=demand,
        import_limit_mw=import_limits(portfolio, price, options, import_allowed),
        battery_value_eur_per_mwh=battery_value,
        hydrogen_value_eur_per_mwh=hydrogen_value,
        reserve_price_eur_per_mw=blocks,
        grid_open=None if import_allowed is None else np.asarray(import_allowed, bool),
        **heat_fields,
    )


def _battery_both(solver: WindowSolver) -> np.ndarray:
    """Hours a battery charges and discharges at once in the schedule, ``(n_sites, n)``."""
    m = solver.model
    out = np.zeros((len(m.S), m.n_hours), bool)
    rows = list(m.B)
    if rows:
        both = np.minimum(solver.values(m.charge), solver.values(m.discharge))
        out[rows] = both.reshape(len(rows), m.n_hours) > SIMULTANEOUS_MW
    return out


def _solve(
    solver: WindowSolver, portfolio: Portfolio, data: WindowData,
    warm: dict[str, np.ndarray] | None = None,
) -> SolveResult:
    """Solve the window and polish the schedule.

    Where a battery charges and discharges in the same hour its mode is made
    binary and the window solved again.  Then the on/off decisions are fixed and
    the LP of the continuous decisions is solved to optimality: the MIP stops
    within ``mip_gap`` of the best bound, and that slack should not show up as
    e.g. hydrogen left unserved next to a full store.  ``warm`` (on/off decisions
    by variable name) is the MIP's start (:meth:`WindowSolver.solve`).  The schedule
    stays in the solver (:meth:`WindowSolver.values`); nothing is loaded into Pyomo.
    """
    result = solver.solve(load=False, warm=warm)
    total = result.solve_time_s
    nodes, iterations = result.mip_nodes, result.simplex_iterations
    for _ in range(MAX_BATTERY_ROUNDS):
        if not result.status.has_solution:
            break
        if not forbid_simultaneous_battery_use(solver.model, _battery_both(solver)):
            break
        # only battery modes changed
        result = solver.solve(parameters_changed=False, load=False)
        total += result.solve_time_s
        nodes += result.mip_nodes
        iterations += result.simplex_iterations
    if not result.status.has_solution:
        return replace(result, solve_time_s=total, mip_nodes=nodes, simplex_iterations=iterations)
    # every binary fixed in HiGHS directly (nothing pushed); skipped when the schedule's
    # on/off decisions are the warm start's, whose LP is this one
    polished = solver.polish()
    total += polished.solve_time_s
    nodes += polished.mip_nodes
    iterations += polished.simplex_iterations
    if not polished.status.has_solution:  # e.g. numerical trouble in the LP
        log.warning("polishing LP failed (%s); solving the MIP again", polished.termination)
        result = solver.solve(parameters_changed=False, load=False)
        return replace(
            result, solve_time_s=total + result.solve_time_s,
            mip_nodes=nodes + result.mip_nodes,
            simplex_iterations=iterations + result.simplex_iterations,
        )
    # the schedule is the MIP's (stop reason and gap) with its continuous part polished
    return replace(result, objective_eur=polished.objective_eur, solve_time_s=total,
                   mip_nodes=nodes, simplex_iterations=iterations)


#: The on/off decisions a window's plan hands on as the next window's start (and the
#: CHPs' ``chp_on`` in a model with heat).
WARM_VARIABLES = ("el_on", "gas_on", "bat_mode")


def plan_of(solver: WindowSolver) -> dict[str, np.ndarray]:
    """On/off decisions of the solver's schedule, ``(units, hours)`` per variable name."""
    m = solver.model
    names = (*WARM_VARIABLES, "chp_on") if hasattr(m, "chp_on") else WARM_VARIABLES
    return {name: solver.values(getattr(m, name)).reshape(-1, m.n_hours) for name in names}


def warm_start(plan: dict[str, np.ndarray], shift: int, n_hours: int) -> dict[str, np.ndarray]:
    """The next window's start from the previous window's plan.

    Hour ``t`` of the next window is hour ``t + shift`` of the plan (the overlap the
    plan already decided); hours after the plan's end keep the plan's last decision
    (no start or stop is invented there: a start made up at that boundary would be
    kept whenever it costs less than the MIP gap).  Values in each variable's index
    order (flattened).
    """
    out = {}
    for name, old in plan.items():
        n_old = old.shape[1]
        hours = np.minimum(np.arange(n_hours) + shift, n_old - 1)
        out[name] = old[:, hours].ravel()
    return out


def _solve_window(
    models: _Models, portfolio: Portfolio, options: RollingOptions, inputs: HourlyInputs,
    start: int, stop: int, n_commit: int, state: SiteState, rng: np.random.Generator,
    warm: dict[str, np.ndarray] | None = None,
) -> tuple[SolveResult, dict[str, np.ndarray] | None, SolveResult | None]:
    """Solve one window; returns (first solve, schedule or None, re-dispatch solve).

    ``warm`` is the start of the first solve (:func:`warm_start`); the plan of the
    window stays in its solver (:func:`plan_of`).
    """
    sl = slice(start, stop)
    price, wind, pv = inputs.price_eur_per_mwh[sl], inputs.wind_cf[:, sl], inputs.pv_cf[:, sl]
    demand = inputs.hydrogen_demand_mw[sl]
    reserve = (
        None if inputs.reserve_price_eur_per_mw is None else inputs.reserve_price_eur_per_mw[:, sl]
    )
    allowed = None if inputs.import_allowed is None else inputs.import_allowed[sl]
    heat = _heat_slice(portfolio, inputs, sl)
    f_price, f_wind, f_pv = perturb(rng, price, wind, pv, options.forecast_error_std_fraction)
    forecast = _window_data(portfolio, options, f_price, f_wind, f_pv, demand, f_price, reserve,
                            allowed, heat)
    solver = models.get(stop - start)
    set_window(solver.model, portfolio, forecast, state)
    first = _solve(solver, portfolio, forecast, warm)
    if not first.status.has_solution:
        return first, None, None
    if options.forecast_error_std_fraction <= 0:
        return first, read_schedule(solver.model, portfolio, forecast, solver.values), None
    # re-dispatch on the actual values of the committed hours, on/off decisions fixed
    planned = read_schedule(solver.model, portfolio, forecast, solver.values)
    c = n_commit
    mixed = _window_data(
        portfolio,
        options,
        np.concatenate([price[:c], f_price[c:]]),
        np.concatenate([wind[:, :c], f_wind[:, c:]], axis=1),
        np.concatenate([pv[:, :c], f_pv[:, c:]], axis=1),
        demand,
        f_price,
        reserve,
        allowed,
        heat,
    )
    fix_commitment(solver.model, planned["electrolysis_on"], planned["gas_on"], c,
                   planned.get("chp_on"))
    set_window(solver.model, portfolio, mixed, state)
    try:
        second = _solve(solver, portfolio, mixed)
    finally:
        free_commitment(solver.model)
    if not second.status.has_solution:
        return first, None, second
    return first, read_schedule(solver.model, portfolio, mixed, solver.values), second


def _heat_slice(
    portfolio: Portfolio, inputs: HourlyInputs, sl: slice
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Heat demand and COPs of the hours ``sl`` (None without heat)."""
    if portfolio.heat is None:
        return None
    if inputs.heat_demand_mw is None or inputs.cop_heat_pump is None or (
        inputs.cop_waste_heat is None
    ):
        raise ValueError("a portfolio with heat needs the heat demand and COPs of the hours")
    return (inputs.heat_demand_mw[:, sl], inputs.cop_heat_pump[:, sl],
            inputs.cop_waste_heat[:, sl])


def _empty_schedule(
    n_sites: int, n: int, reserves: ReserveSpec | None = None, heat: bool = False,
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {name: np.zeros((n_sites, n)) for name in SITE_VARIABLES}
    out.update({name: np.zeros(n) for name in SYSTEM_VARIABLES})
    if heat:
        out.update({name: np.zeros((n_sites, n)) for name in (*vh.HEAT_VARIABLE_NAMES, "chp_on")})
    if reserves is not None:
        # hours of the fallback hold no reserve (the rules offer none)
        out.update({reserve_key(k, u): np.zeros((n_sites, n))
                    for k in reserves.products for u in UNITS})
    return out


def run_rolling(
    portfolio: Portfolio,
    inputs: HourlyInputs,
    options: RollingOptions,
    initial_state: SiteState,
    fallback: Fallback | None = None,
    progress: Callable[[], None] | None = None,
) -> RollingResult:
    """Schedule the whole period window by window.

    Parameters
    ----------
    portfolio
        Assets and constants.
    inputs
        Actual hourly inputs.
    options
        Horizon, commitment, solver and forecast options.
    initial_state
        State before the first hour.
    fallback
        Dispatch used for windows the solver cannot schedule; None = such a
        window raises :class:`~nzv_energy.errors.ModelInfeasibleError`.
    progress
        Called once after every window (e.g. a progress bar); None = nothing.

    Returns
    -------
    RollingResult
        The committed schedule, fallback marks and per-window records.
    """
    if options.commit_h > options.horizon_h:
        raise ValueError("commit_h must not exceed horizon_h")
    spec = options.reserves
    if spec is not None:
        if inputs.reserve_price_eur_per_mw is None:
            raise ValueError("reserves are offered but the inputs carry no reserve prices")
        if options.commit_h % spec.block_hours or inputs.time[0].hour % spec.block_hours:
            raise ValueError(
                f"windows must start at {spec.block_hours}-h block starts (commit_h "
                f"{options.commit_h}, first hour {inputs.time[0]})"
            )
    n_total, ns = len(inputs), portfolio.n_sites
    for name in ("grid_co2_g_per_kwh", "import_allowed"):
        values = getattr(inputs, name)
        if values is not None and np.shape(values) != (n_total,):
            raise ValueError(f"{name} of shape {np.shape(values)} for {n_total} hours")
    out = _empty_schedule(ns, n_total, spec, portfolio.heat is not None)
    fallback_mask = np.zeros(n_total, bool)
    models = _Models(portfolio, options)
    rng = np.random.default_rng(options.seed)
    state = initial_state
    rows = []
    window_seconds: list[float] = []
    step = pd.Timedelta(hours=1)
    plan: dict[str, np.ndarray] | None = None
    for k, start in enumerate(range(0, n_total, options.commit_h)):
        stop_commit = min(start + options.commit_h, n_total)
        stop = min(start + options.horizon_h, n_total)
        c = stop_commit - start
        warm = (
            None if plan is None or not options.warm_start
            else warm_start(plan, options.commit_h, stop - start)
        )
        first, solved, second = _solve_window(
            models, portfolio, options, inputs, start, stop, c, state, rng, warm
        )
        plan = None if solved is None else plan_of(models.get(stop - start))
        failed = second if second is not None else first
        used_fallback = solved is None
        dates = f"{inputs.time[start]} .. {inputs.time[stop - 1] + step}"
        if solved is not None:
            schedule = solved
            for solve in (first, second):
                if solve is not None and solve.stop.early:
                    log.warning(
                        "window %d (%s): stopped early at the %s (%s), using the best schedule "
                        "found, MIP gap %s", k, dates, solve.stop.value.replace("_", " "),
                        solve.termination,
                        "unknown" if solve.mip_gap is None else f"{100 * solve.mip_gap:.2f} %",
                    )
        else:
            if fallback is None:
                raise ModelInfeasibleError(
                    f"window {k} ({dates}): HiGHS returned {failed.status.value} "
                    f"({failed.termination}) and no fallback dispatch is configured"
                )
            log.warning(
                "window %d (%s): %s (%s); committed hours dispatched by the fallback",
                k, dates, failed.status.value, failed.termination,
            )
            schedule = fallback(start, stop_commit, state)
            if portfolio.heat is not None and inputs.heat_demand_mw is not None:
                # the rules' fallback dispatches no heat: report its hours' heat unserved
                schedule = {**schedule, **vh.idle_heat_schedule(
                    portfolio.heat, inputs.heat_demand_mw[:, start:stop_commit],
                    np.zeros(ns) if state.thermal_storage_mwh is None
                    else state.thermal_storage_mwh)}
        for name, values in out.items():
            if name in schedule:
                values[..., start:stop_commit] = schedule[name][..., :c]
        fallback_mask[start:stop_commit] = used_fallback
        state = next_state(portfolio, state, schedule, c)
        # wall-clock time goes to the log only: result files hold no load-dependent values
        window_seconds.append(first.solve_time_s + (second.solve_time_s if second else 0.0))
        rows.append(
            {
                "window": k,
                "start": inputs.time[start],
                "commit_end": inputs.time[stop_commit - 1] + step,
                "horizon_end": inputs.time[stop - 1] + step,
                "status": first.status.value,
                "termination": first.termination,
                "redispatch_status": second.status.value if second is not None else "",
                "fallback": used_fallback,
                "stop": first.stop.value,
                "redispatch_stop": second.stop.value if second is not None else "",
                "mip_gap": first.mip_gap,
                "mip_nodes": first.mip_nodes + (second.mip_nodes if second else 0),
                "simplex_iterations": (
                    first.simplex_iterations + (second.simplex_iterations if second else 0)
                ),
                "objective_eur": first.objective_eur,
                "bound_eur": first.bound_eur,
            }
        )
        if progress is not None:
            progress()
    windows = pd.DataFrame(rows)
    return RollingResult(
        schedule=out,
        fallback=fallback_mask,
        windows=windows,
        final_state=state,
        solve_seconds=float(sum(window_seconds)),
        window_solve_seconds=tuple(window_seconds),
    )
