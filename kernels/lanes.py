"""Ensemble members as SIMD lanes: one pass over a weather year for a block of members.

An ensemble's KPI-only members (no hourly outputs, no district heat, none of the
rules :func:`~nzv_energy.kernels.dispatch.pass_options` switches on) run in blocks of
:data:`LANE_WIDTH` members of one weather year.  The block walks the hours once; in each
hour every loop over the members (the lanes) is the innermost loop and calls the same
hour step as a single run (:func:`~nzv_energy.kernels.dispatch.site_hour`,
:func:`~nzv_energy.kernels.dispatch.add_site_hour_sums`, ...), so the compiler turns it
into SIMD code that steps several members at once.  Results are bit for bit those of
:func:`~nzv_energy.kernels.dispatch.simulate_year` for each member alone.

Each lane routes its sites by free storage room (rule 6) in its own order.  A lane keeps
its sites' rows (capacities, state, totals) in the order of its last hour - *positions*
- so that the hour step of position ``k`` reads plain rows; when a lane's order changes
(in well under 1 % of the hours) a scalar fix-up moves that lane's rows.  Loops over the
sites inside a lane loop have ``len(sites)`` iterations, a compile-time constant
(``sites`` is the tuple ``(0, 1, ..., n_s - 1)``: one machine-code variant per number of
sites), so they are unrolled.

A block keeps two flat buffers, row ``r`` of lane ``lane`` at ``r * LANE_WIDTH + lane``:
``pos``, one block of :data:`N_POS_ROWS` rows per position (capacities, state, totals,
the site there, the hour's flows and capacity factors), and ``v``, the rows of each lane
as a whole (:func:`lane_rows`).  With the lane count and the rows of a position
constants, the compiler proves every access of the hour step apart and vectorises it.

An hour runs as four stages (:func:`_route`, :func:`_capacity_factors`,
:func:`_positions`, :func:`_serve_rest`), separate compiled functions each with its loops
over the lanes innermost.  None of them
calls another compiled function with the buffers (the rare row move is a call of its own,
:func:`_move_rows`), so numba drops the reference counting of their array arguments: no
atomic instruction in the hour loop.  Each calls :func:`full_width_vectors`, so the lanes
take the CPU's widest vector registers (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

from .dispatch import (
    C_BATTERY_MW,
    C_BATTERY_MWH,
    C_ELECTROLYSIS_MW,
    C_GAS_BACKUP_MW,
    C_GRID_CONNECTION_MW,
    C_HYDROGEN_STORAGE_MWH,
    C_LOCAL_DEMAND_MW,
    C_PIPELINE_MW,
    C_PV_MW,
    C_WIND_MW,
    K_HYDROGEN_STORAGE_DISCHARGE_MWH,
    K_PIPELINE_FLOW_MWH,
    N_CAP,
    N_PAR,
    N_STATE,
    N_SUM,
    N_SYS_SUM,
    P_CYCLIC,
    P_DEMAND_SCALE,
    P_INITIAL_STACK_HOURS,
    P_LOW_CARBON_GRID_THRESHOLD_G_PER_KWH,
    P_PRICE_SCALE,
    P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH,
    P_RFNBO_PRICE_THRESHOLD_EUR_PER_MWH,
    P_ROUTE_BY_STORAGE_ROOM,
    P_STACK_LIFETIME_HOURS,
    S_BATTERY_SOC_MWH,
    S_ELECTROLYSIS_ON,
    S_HYDROGEN_STORAGE_MWH,
    S_STACK_HOURS,
    Z_HYDROGEN_DELIVERED_MWH,
    Z_HYDROGEN_DEMAND_MWH,
    Z_UNSERVED_HYDROGEN_MWH,
    RuleConstants,
    add_site_hour_sums,
    initial_state,
    rfnbo_hydrogen,
    room_tie_tolerance,
    rule_constants,
    site_hour,
    stack_hours_after,
    storage_take,
    unserved_hydrogen,
)

#: Members per block: the lane loops always run this many lanes (a compile-time constant);
#: a block with fewer members repeats one of them in the others.
LANE_WIDTH = 16

#: Fewest members of one weather year worth a block: a block costs about as much as 11-12
#: members run one by one (docs/PERFORMANCE.md); fewer run through the single-run pass.
MIN_BLOCK_MEMBERS = 12

#: Entries of a :class:`~nzv_energy.kernels.dispatch.RuleConstants` row.
N_RULE = len(RuleConstants._fields)

# rows of a position's block in ``pos``
PR_CAP = 0  # N_CAP capacities of the site at the position (C_*)
PR_STATE = PR_CAP + N_CAP  # N_STATE state entries (S_*)
PR_TOT = PR_STATE + N_STATE  # N_SUM per-site totals (K_*)
PR_SITE = PR_TOT + N_SUM  # the site at the position (0 .. n_s - 1)
PR_FLOW = PR_SITE + 1  # the hour's pipeline flow (MW_H2)
PR_DISCHARGE = PR_FLOW + 1  # the hour's hydrogen taken out of the store (MW_H2)
PR_WIND_CF = PR_DISCHARGE + 1  # the hour's wind capacity factor at the site
PR_PV_CF = PR_WIND_CF + 1  # the hour's PV capacity factor at the site
N_POS_ROWS = PR_PV_CF + 1


def full_width_vectors() -> None:
    """Let the compiler use the CPU's widest vector registers in the calling function.

    Compiled, it sets the LLVM function attribute ``"prefer-vector-width"="512"`` (clang's
    ``-mprefer-vector-width=512``) on the function that calls it and adds no instruction;
    as plain Python (``NUMBA_DISABLE_JIT``) it does nothing.  LLVM's tuning for most Intel
    CPUs with AVX-512 prefers 256-bit vectors: the lane loops of 16 float64 members then
    take four 256-bit registers where two 512-bit ones do (docs/PERFORMANCE.md).  A CPU
    without AVX-512 keeps its own widest vectors; each lane's arithmetic is the same
    either way.
    """


@intrinsic
def _prefer_vector_width_512(typingctx):
    """The compiled :func:`full_width_vectors` (inlined, so the attribute is the caller's)."""

    def codegen(context, builder, signature, args):
        # llvmlite's attribute set accepts only enumerated attributes: a string attribute
        # goes in through ``set.add`` and is written out as it stands.  Should a later
        # llvmlite not allow it, the function keeps the compiler's own vector width (slower,
        # the same results; tests/test_dispatch_lanes.py fails)
        try:
            set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        except TypeError:
            pass
        return context.get_dummy_value()

    return types.none(), codegen


@overload(full_width_vectors, inline="always")
def _full_width_vectors_compiled():
    return lambda: _prefer_vector_width_512()  # type: ignore[call-arg]


@njit(cache=True, nogil=True, inline="always")
def lane_rows(n_s: int) -> tuple[int, int, int, int, int, int, int, int, int, int]:
    """First rows of each part of ``v`` for ``n_s`` sites, and the row count.

    ``(par, rules, room_tol, sys_tot, open, changed, order, room, start, n_rows)``: the
    lane's parameters (``N_PAR``), rule constants (``N_RULE``), room tie tolerance,
    system totals (``N_SYS_SUM``), the hydrogen demand still open in the hour, whether
    the lane's order changed this hour, the new order (site at each position, ``n_s``),
    each site's free storage room (``n_s``) and the state the reported pass started
    from, by site (``n_s x N_STATE``).
    """
    par = 0
    rules = par + N_PAR
    room_tol = rules + N_RULE
    sys_tot = room_tol + 1
    open_ = sys_tot + N_SYS_SUM
    changed = open_ + 1
    order = changed + 1
    room = order + n_s
    start = room + n_s
    return (par, rules, room_tol, sys_tot, open_, changed, order, room, start,
            start + n_s * N_STATE)


@njit(cache=True, nogil=True, inline="always")
def _ix(row: int, lane: int) -> int:
    """Position of ``row``'s entry for ``lane`` in a flat buffer."""
    return row * LANE_WIDTH + lane


@njit(cache=True, nogil=True, inline="always")
def _px(position: int, row: int, lane: int) -> int:
    """Position of row ``row`` of position ``position``'s block for ``lane`` in ``pos``."""
    return (position * N_POS_ROWS + row) * LANE_WIDTH + lane


@njit(cache=True, nogil=True)
def _lane_rules(v: np.ndarray, row: int, lane: int) -> RuleConstants:
    """Lane ``lane``'s rule constants (rows ``row`` on of ``v``) for the hour step."""
    return RuleConstants(
        v[_ix(row, lane)], v[_ix(row + 1, lane)], v[_ix(row + 2, lane)],
        v[_ix(row + 3, lane)], v[_ix(row + 4, lane)], v[_ix(row + 5, lane)],
        v[_ix(row + 6, lane)], v[_ix(row + 7, lane)], v[_ix(row + 8, lane)],
        v[_ix(row + 9, lane)], v[_ix(row + 10, lane)], v[_ix(row + 11, lane)],
        v[_ix(row + 12, lane)], v[_ix(row + 13, lane)], v[_ix(row + 14, lane)],
        v[_ix(row + 15, lane)], v[_ix(row + 16, lane)], v[_ix(row + 17, lane)],
        v[_ix(row + 18, lane)],
    )


@njit(cache=True, nogil=True)
def reorder_lane(pos: np.ndarray, n_s: int, lane: int, new: np.ndarray, keep: np.ndarray) -> None:
    """Move ``lane``'s position blocks so that position ``p`` holds site ``new[p]``.

    ``keep`` is scratch of ``n_s * N_POS_ROWS`` entries.
    """
    for p in range(n_s):
        site = int(pos[_px(p, PR_SITE, lane)])
        for r in range(N_POS_ROWS):
            keep[site * N_POS_ROWS + r] = pos[_px(p, r, lane)]
    for p in range(n_s):
        site = int(new[p])
        for r in range(N_POS_ROWS):
            pos[_px(p, r, lane)] = keep[site * N_POS_ROWS + r]


@njit(cache=True, nogil=True)
def site_order(pos: np.ndarray, n_s: int) -> None:
    """Put every lane's position blocks back in site order (position ``p`` = site ``p``)."""
    identity = np.arange(n_s).astype(np.float64)
    keep = np.empty(n_s * N_POS_ROWS)
    for lane in range(LANE_WIDTH):
        reorder_lane(pos, n_s, lane, identity, keep)


@njit(cache=True, nogil=True, error_model="numpy")
def _route(pos: np.ndarray, v: np.ndarray, sites: tuple, demand_t: float) -> bool:
    """Rule 6's order of the hour for every lane; whether any lane's order changed.

    The insertion sort of ``dispatch_pass``, from site order, in a fixed number of
    steps: a site moves ahead of an earlier one only when its free room is smaller by
    more than the tolerance.  Also sets the demand still open.  Calls no other compiled
    function that takes the buffers (neither does any stage called every hour), so that
    numba drops the reference counting of its array arguments: atomic instructions in
    every hour otherwise.
    """
    full_width_vectors()
    n_s = len(sites)
    r_par, _, r_tol, _, r_open, r_changed, r_order, r_room, _, _ = lane_rows(n_s)
    for lane in range(LANE_WIDTH):
        v[_ix(r_open, lane)] = demand_t * v[_ix(r_par + P_DEMAND_SCALE, lane)]
        for s in range(n_s):  # each site's free room, found at its position
            room = 0.0
            for p in range(n_s):
                here = (pos[_px(p, PR_CAP + C_HYDROGEN_STORAGE_MWH, lane)]
                        - pos[_px(p, PR_STATE + S_HYDROGEN_STORAGE_MWH, lane)])
                if pos[_px(p, PR_SITE, lane)] == s:
                    room = here
            v[_ix(r_room + s, lane)] = room
            v[_ix(r_order + s, lane)] = s
        by_room = v[_ix(r_par + P_ROUTE_BY_STORAGE_ROOM, lane)] > 0.5
        tol = v[_ix(r_tol, lane)]
        for i in range(1, n_s):
            held = v[_ix(r_order + i, lane)]
            held_room = v[_ix(r_room + i, lane)]
            moving = by_room
            for j in range(i, 0, -1):
                ahead = v[_ix(r_room + j - 1, lane)]
                shift = moving and ahead > held_room + tol
                if shift:
                    v[_ix(r_order + j, lane)] = v[_ix(r_order + j - 1, lane)]
                    v[_ix(r_room + j, lane)] = ahead
                elif moving:
                    v[_ix(r_order + j, lane)] = held
                    v[_ix(r_room + j, lane)] = held_room
                moving = shift
            if moving:
                v[_ix(r_order, lane)] = held
                v[_ix(r_room, lane)] = held_room
        changed = 0.0
        for p in range(n_s):
            if v[_ix(r_order + p, lane)] != pos[_px(p, PR_SITE, lane)]:
                changed = 1.0
        v[_ix(r_changed, lane)] = changed
    moved = 0.0
    for lane in range(LANE_WIDTH):
        moved += v[_ix(r_changed, lane)]
    return moved > 0.5


@njit(cache=True, nogil=True)
def _move_rows(pos: np.ndarray, v: np.ndarray, sites: tuple) -> None:
    """Lanes whose order changed in :func:`_route` move their rows to the new order (rare)."""
    n_s = len(sites)
    r_changed, r_order = lane_rows(n_s)[5:7]
    new = np.empty(n_s)
    keep = np.empty(n_s * N_POS_ROWS)
    for lane in range(LANE_WIDTH):
        if v[_ix(r_changed, lane)] > 0.5:
            for p in range(n_s):
                new[p] = v[_ix(r_order + p, lane)]
            reorder_lane(pos, n_s, lane, new, keep)


@njit(cache=True, nogil=True, error_model="numpy")
def _capacity_factors(pos: np.ndarray, sites: tuple, t: int, wind_cf: np.ndarray,
                      pv_cf: np.ndarray) -> None:
    """Hour ``t``'s capacity factors of each position's site into the position's rows."""
    full_width_vectors()
    n_s = len(sites)
    for lane in range(LANE_WIDTH):
        for p in range(n_s):
            site = pos[_px(p, PR_SITE, lane)]
            wind = wind_cf[t, 0]
            pv = pv_cf[t, 0]
            for s in range(1, n_s):
                if site == s:
                    wind = wind_cf[t, s]
                    pv = pv_cf[t, s]
            pos[_px(p, PR_WIND_CF, lane)] = wind
            pos[_px(p, PR_PV_CF, lane)] = pv


@njit(cache=True, nogil=True, error_model="numpy")
def _positions(pos: np.ndarray, v: np.ndarray, sites: tuple, price_t: float, ci: float,
               totals: bool | None) -> None:
    """Rules 1-6 of the hour: the hour step at each position of every lane."""
    full_width_vectors()
    n_s = len(sites)
    r_par, r_rules, _, _, r_open, _, _, _, _, _ = lane_rows(n_s)
    size = N_POS_ROWS * LANE_WIDTH
    for k in range(n_s):
        b = pos[k * size:(k + 1) * size]  # position k's block: its rows at constant offsets
        for lane in range(LANE_WIDTH):
            p = price_t * v[_ix(r_par + P_PRICE_SCALE, lane)]
            hours = b[_ix(PR_STATE + S_STACK_HOURS, lane)]
            was_on = b[_ix(PR_STATE + S_ELECTROLYSIS_ON, lane)] > 0.5
            (wind, pv, ren_ely, grid_ely, bat_ely, p_el, on, _, h2, soc, charge,
             discharge, imp, export, curtail, gas, unserved, standby_served, load_served,
             fuel, h2_fuel, f, d_left, h2_charge, level, fuel_store) = site_hour(
                _lane_rules(v, r_rules, lane),
                b[_ix(PR_WIND_CF, lane)], b[_ix(PR_PV_CF, lane)],
                b[_ix(PR_CAP + C_WIND_MW, lane)], b[_ix(PR_CAP + C_PV_MW, lane)],
                b[_ix(PR_CAP + C_LOCAL_DEMAND_MW, lane)],
                b[_ix(PR_CAP + C_ELECTROLYSIS_MW, lane)], b[_ix(PR_CAP + C_BATTERY_MW, lane)],
                b[_ix(PR_CAP + C_BATTERY_MWH, lane)],
                b[_ix(PR_CAP + C_GRID_CONNECTION_MW, lane)],
                b[_ix(PR_CAP + C_PIPELINE_MW, lane)],
                b[_ix(PR_CAP + C_HYDROGEN_STORAGE_MWH, lane)],
                b[_ix(PR_CAP + C_GAS_BACKUP_MW, lane)],
                b[_ix(PR_STATE + S_BATTERY_SOC_MWH, lane)],
                b[_ix(PR_STATE + S_HYDROGEN_STORAGE_MWH, lane)],
                was_on, hours, v[_ix(r_open, lane)], p, False, False,
            )
            v[_ix(r_open, lane)] = d_left
            hours, replaced = stack_hours_after(
                on, hours, v[_ix(r_par + P_STACK_LIFETIME_HOURS, lane)])
            b[_ix(PR_STATE + S_BATTERY_SOC_MWH, lane)] = soc
            b[_ix(PR_STATE + S_HYDROGEN_STORAGE_MWH, lane)] = level
            b[_ix(PR_STATE + S_ELECTROLYSIS_ON, lane)] = 1.0 if on else 0.0
            b[_ix(PR_STATE + S_STACK_HOURS, lane)] = hours
            b[_ix(PR_FLOW, lane)] = f
            b[_ix(PR_DISCHARGE, lane)] = fuel_store
            if totals is not None:
                rfnbo_price = (
                    p <= v[_ix(r_par + P_RFNBO_PRICE_THRESHOLD_EUR_PER_MWH, lane)]
                    or p < v[_ix(r_par + P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH, lane)]
                )
                rfnbo_h2, _ = rfnbo_hydrogen(on, h2, p_el, ren_ely, bat_ely, grid_ely,
                                             rfnbo_price)
                add_site_hour_sums(
                    b, _ix(PR_TOT, lane), LANE_WIDTH, on, was_on, replaced,
                    ci < v[_ix(r_par + P_LOW_CARBON_GRID_THRESHOLD_G_PER_KWH, lane)], p, ci,
                    wind, pv, curtail, load_served, p_el + standby_served, standby_served,
                    h2, rfnbo_h2, charge, discharge, imp, export, grid_ely, gas, fuel,
                    h2_fuel, h2_charge, unserved, 0.0,
                )


@njit(cache=True, nogil=True, error_model="numpy")
def _serve_rest(pos: np.ndarray, v: np.ndarray, sites: tuple, demand_t: float,
                totals: bool | None) -> None:
    """Rule 7 of the hour for every lane, and the hour's hydrogen balance.

    The stores serve the rest of the demand in site order, as in ``dispatch_pass``.
    """
    full_width_vectors()
    n_s = len(sites)
    r_par, _, _, r_sys, r_open, _, _, _, _, _ = lane_rows(n_s)
    for lane in range(LANE_WIDTH):
        left = v[_ix(r_open, lane)]
        delivered = 0.0
        for s in range(n_s):
            for p in range(n_s):
                # selects, not branches around stores: the compiler keeps the lanes in SIMD
                # registers (an update by 0.0 never happens: the values stay bit for bit)
                level = pos[_px(p, PR_STATE + S_HYDROGEN_STORAGE_MWH, lane)]
                flow = pos[_px(p, PR_FLOW, lane)]
                take = storage_take(pos[_px(p, PR_CAP + C_PIPELINE_MW, lane)], flow, level,
                                    left)
                serve = pos[_px(p, PR_SITE, lane)] == s and take > 0.0
                discharge = pos[_px(p, PR_DISCHARGE, lane)]
                pos[_px(p, PR_FLOW, lane)] = flow + take if serve else flow
                pos[_px(p, PR_DISCHARGE, lane)] = discharge + take if serve else discharge
                pos[_px(p, PR_STATE + S_HYDROGEN_STORAGE_MWH, lane)] = (
                    level - take if serve else level)
                left = left - take if serve else left
        for s in range(n_s):  # summed in site order, as in dispatch_pass
            flow_s = 0.0
            for p in range(n_s):
                flow = pos[_px(p, PR_FLOW, lane)]
                flow_s = flow if pos[_px(p, PR_SITE, lane)] == s else flow_s
            delivered += flow_s
        if totals is not None:
            for p in range(n_s):
                pos[_px(p, PR_TOT + K_PIPELINE_FLOW_MWH, lane)] += pos[_px(p, PR_FLOW, lane)]
                pos[_px(p, PR_TOT + K_HYDROGEN_STORAGE_DISCHARGE_MWH, lane)] += pos[
                    _px(p, PR_DISCHARGE, lane)]
        wanted = demand_t * v[_ix(r_par + P_DEMAND_SCALE, lane)]
        v[_ix(r_sys + Z_HYDROGEN_DEMAND_MWH, lane)] += wanted
        v[_ix(r_sys + Z_HYDROGEN_DELIVERED_MWH, lane)] += delivered
        v[_ix(r_sys + Z_UNSERVED_HYDROGEN_MWH, lane)] += unserved_hydrogen(wanted, delivered)


@njit(cache=True, nogil=True)
def lanes_pass(hourly: tuple, sites: tuple, pos: np.ndarray, v: np.ndarray,
               totals: bool | None) -> None:
    """Run the dispatch rules over all hours once for the lanes of a block.

    The rules of :func:`~nzv_energy.kernels.dispatch.dispatch_pass` without hourly
    outputs, district heat, grid import, monthly matching and a firm commitment, in the
    same order with the same arithmetic.  The state in ``pos`` is updated in place and
    the totals are added to (``totals`` ``None``: a warm-up pass, the variant without
    per-site totals).  Position blocks may end in any site order (:func:`site_order`
    restores it).
    """
    wind_cf, pv_cf, price, demand, grid_co2, _ = hourly
    for t in range(wind_cf.shape[0]):
        if _route(pos, v, sites, demand[t]):
            _move_rows(pos, v, sites)
        _capacity_factors(pos, sites, t, wind_cf, pv_cf)
        _positions(pos, v, sites, price[t], grid_co2[t], totals)
        _serve_rest(pos, v, sites, demand[t], totals)


@njit(cache=True, nogil=True)
def _start_lane(pos: np.ndarray, v: np.ndarray, n_s: int, lane: int, cap: np.ndarray,
                par: np.ndarray, state: np.ndarray) -> None:
    """Set ``lane``'s state (site order) to its initial state.

    ``cap``, ``par`` and ``state`` are scratch arrays of the shapes ``initial_state`` takes.
    """
    r_par = lane_rows(n_s)[0]
    for s in range(n_s):
        for c in range(N_CAP):
            cap[s, c] = pos[_px(s, PR_CAP + c, lane)]
    for k in range(N_PAR):
        par[k] = v[_ix(r_par + k, lane)]
    initial_state(cap, par, state)
    for s in range(n_s):
        for k in range(N_STATE):
            pos[_px(s, PR_STATE + k, lane)] = state[s, k]


@njit(cache=True, nogil=True)
def simulate_lanes(hourly: tuple, sites: tuple, pos: np.ndarray, v: np.ndarray) -> None:
    """One weather year for every lane of a block, as ``simulate_year`` per member.

    On entry ``pos`` holds each lane's capacities in site order (position ``p`` = site
    ``p``) and ``v`` its parameters; on return, in site order, the totals and the state
    after the reported pass, and ``v`` the system totals and the state that pass
    started from.  Each lane starts from its initial state, or is cyclic
    (``par[P_CYCLIC]`` of the lane: a warm-up pass without totals, then the reported
    pass from the state it ends in; lanes that are not cyclic start again from their
    initial state).
    """
    n_s = len(sites)
    r_par, r_rules, r_tol, r_sys, _, _, _, _, r_start, _ = lane_rows(n_s)
    cap = np.empty((n_s, N_CAP))
    par = np.empty(N_PAR)
    state = np.empty((n_s, N_STATE))
    cyclic = False
    for lane in range(LANE_WIDTH):
        for s in range(n_s):
            pos[_px(s, PR_SITE, lane)] = s
            for c in range(N_CAP):
                cap[s, c] = pos[_px(s, PR_CAP + c, lane)]
        for k in range(N_PAR):
            par[k] = v[_ix(r_par + k, lane)]
        constants = rule_constants(par)
        for i in range(N_RULE):
            v[_ix(r_rules + i, lane)] = constants[i]
        v[_ix(r_tol, lane)] = room_tie_tolerance(cap)
        _start_lane(pos, v, n_s, lane, cap, par, state)
        cyclic = cyclic or par[P_CYCLIC] > 0.5
    if cyclic:
        # the warm-up pass only brings the state to the year's end
        lanes_pass(hourly, sites, pos, v, None)
        site_order(pos, n_s)
        for lane in range(LANE_WIDTH):
            if v[_ix(r_par + P_CYCLIC, lane)] > 0.5:
                for s in range(n_s):
                    pos[_px(s, PR_STATE + S_STACK_HOURS, lane)] = v[
                        _ix(r_par + P_INITIAL_STACK_HOURS, lane)]
            else:
                _start_lane(pos, v, n_s, lane, cap, par, state)
    for lane in range(LANE_WIDTH):
        for s in range(n_s):
            for k in range(N_SUM):
                pos[_px(s, PR_TOT + k, lane)] = 0.0
            for k in range(N_STATE):
                v[_ix(r_start + s * N_STATE + k, lane)] = pos[_px(s, PR_STATE + k, lane)]
        for k in range(N_SYS_SUM):
            v[_ix(r_sys + k, lane)] = 0.0
    lanes_pass(hourly, sites, pos, v, True)
    site_order(pos, n_s)


@njit(cache=True, nogil=True)
def put_member(pos: np.ndarray, v: np.ndarray, n_s: int, lane: int, cap: np.ndarray,
               par: np.ndarray) -> None:
    """Give ``lane`` a member's capacities ``(n_s, N_CAP)`` and parameters ``(N_PAR,)``."""
    r_par = lane_rows(n_s)[0]
    for s in range(n_s):
        for c in range(N_CAP):
            pos[_px(s, PR_CAP + c, lane)] = cap[s, c]
    for k in range(N_PAR):
        v[_ix(r_par + k, lane)] = par[k]


@njit(cache=True, nogil=True)
def take_member(pos: np.ndarray, v: np.ndarray, n_s: int, lane: int, sums: np.ndarray,
                sys_sums: np.ndarray, start_state: np.ndarray, end_state: np.ndarray) -> None:
    """Copy ``lane``'s results after :func:`simulate_lanes` into a member's arrays.

    ``sums`` ``(n_s, N_SUM)``, ``sys_sums`` ``(N_SYS_SUM,)``, ``start_state`` and
    ``end_state`` ``(n_s, N_STATE)``, as :func:`~nzv_energy.kernels.dispatch.simulate_year`
    fills them.
    """
    _, _, _, r_sys, _, _, _, _, r_start, _ = lane_rows(n_s)
    for s in range(n_s):
        for k in range(N_SUM):
            sums[s, k] = pos[_px(s, PR_TOT + k, lane)]
        for k in range(N_STATE):
            end_state[s, k] = pos[_px(s, PR_STATE + k, lane)]
            start_state[s, k] = v[_ix(r_start + s * N_STATE + k, lane)]
    for k in range(N_SYS_SUM):
        sys_sums[k] = v[_ix(r_sys + k, lane)]
