"""Many dispatch members (weather year x capacities x parameters) in one compiled call.

Each member runs :func:`~nzv_energy.kernels.dispatch.simulate_year` on one
weather year of the shared hourly inputs (hours ``year_start[y]`` to
``year_start[y + 1]``) with its own capacities and parameters, and writes only
its totals (and, when ``out`` is given, its hourly results).  Memory per member
is a few hundred bytes unless hourly results are kept.  Single runs and members
run the same compiled pass (:func:`~nzv_energy.kernels.dispatch.dispatch_pass`).

Array layouts (``m`` members, ``n_s`` sites, ``H`` hours of all years)
-----------------------------------------------------------------------
hourly : (wind_cf, pv_cf, price, demand, grid_co2, month) of all years, shared
    read-only: (H, n_s), (H, n_s), (H,), (H,), (H,), (H,) int64
year_start : (n_years + 1,) int64 offsets of each weather year
members : (year_index, cap, par, sums, sys_sums, start_state, end_state)
    (m,) int64, (m, n_s, N_CAP), (m, N_PAR), (m, n_s, N_SUM), (m, N_SYS_SUM),
    (m, n_s, N_STATE), (m, n_s, N_STATE)
out : (m, h_max, n_s, N_OUT) or None; sys_out : (m, h_max, N_SYS_OUT) or None
heat : None, or (heat_in, heat_cap, heat_par, heat_site, heat_state, heat_out,
    heat_sums, heat_tot) with heat_in (H, N_HEAT_IN, n_s) shared read-only and the
    others one row per member: (m, n_s, N_HEAT_CAP), (m, n_s, N_HEAT_PAR),
    (m, n_s, N_HEAT_SITE), (m, n_s, N_HEAT_STATE), (m, N_HEAT_OUT, h_max or 0, n_s),
    (m, n_s, N_HEAT_OUT), (m, n_s, N_HEAT_TOT)
options : :func:`~nzv_energy.kernels.dispatch.pass_options` of all members' parameters

KPI-only members without heat and without the optional rules (``out``, ``sys_out``,
``heat`` and every entry of ``options`` ``None``) can instead run in blocks of SIMD lanes
(:mod:`~nzv_energy.kernels.lanes`): ``blocks`` ``(n_blocks, LANE_WIDTH)`` int64 lists the
members of each block (all of one weather year and all cyclic or all not; ``-1``: lane
unused).  A block with fewer than ``MIN_BLOCK_MEMBERS`` members runs them one by one.
``sites`` is the tuple ``(0, 1, ..., n_s - 1)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.core import types
from numba.extending import overload

from .dispatch import simulate_year
from .lanes import (
    LANE_WIDTH,
    MIN_BLOCK_MEMBERS,
    N_POS_ROWS,
    lane_rows,
    put_member,
    simulate_lanes,
    take_member,
)


def _row(x: np.ndarray | None, i: int) -> np.ndarray | None:
    """``x[i]``, or ``None`` for ``None``."""
    return None if x is None else x[i]


def _heat_row(heat: tuple | None, i: int, a: int, b: int) -> tuple | None:
    """Member ``i``'s heat arrays, hours ``a:b`` of the shared heat inputs (or ``None``)."""
    if heat is None:
        return None
    return (heat[0][a:b], heat[1][i], heat[2][i], heat[3][i], heat[4][i], heat[5][i],
            heat[6][i], heat[7][i])


# Compiled, both choose by the argument's type when numba compiles the caller, so that a
# ``None`` stays ``None`` (the kernel variant without that part) and an array stays an array
# (a plain njit function returning either would return an optional type). numba compares
# the parameters of these typing functions with those of the functions they return, so they
# carry no annotations.
@overload(_row)
def _row_typed(x, i):
    if isinstance(x, types.NoneType):
        return lambda x, i: None
    return lambda x, i: x[i]


@overload(_heat_row)
def _heat_row_typed(heat, i, a, b):
    if isinstance(heat, types.NoneType):
        return lambda heat, i, a, b: None
    return lambda heat, i, a, b: (heat[0][a:b], heat[1][i], heat[2][i], heat[3][i],
                                  heat[4][i], heat[5][i], heat[6][i], heat[7][i])


@njit(cache=True, nogil=True)
def _member(i: int, hourly: tuple, year_start: np.ndarray, members: tuple,
            out: np.ndarray | None, sys_out: np.ndarray | None, heat: tuple | None,
            options: tuple) -> None:
    year_index, cap, par, sums, sys_sums, start_state, end_state = members
    y = year_index[i]
    a = year_start[y]
    b = year_start[y + 1]
    wind_cf, pv_cf, price, demand, grid_co2, month = hourly
    # out[i] keeps its C layout; the kernel writes the first b - a hours of it
    simulate_year(
        (wind_cf[a:b], pv_cf[a:b], price[a:b], demand[a:b], grid_co2[a:b], month[a:b]),
        cap[i], par[i], sums[i], sys_sums[i], start_state[i], end_state[i], _row(out, i),
        _row(sys_out, i), _heat_row(heat, i, a, b), options,
    )


@njit(cache=True, nogil=True)
def run_members_serial(first: int, stop: int, hourly: tuple, year_start: np.ndarray,
                       members: tuple, out: np.ndarray | None, sys_out: np.ndarray | None,
                       heat: tuple | None, options: tuple) -> None:
    """Members ``first`` to ``stop - 1``, one after another (GIL released: call from threads)."""
    for i in range(first, stop):
        _member(i, hourly, year_start, members, out, sys_out, heat, options)


@njit(cache=True, nogil=True, parallel=True)
def run_members_parallel(hourly: tuple, year_start: np.ndarray, members: tuple,
                         out: np.ndarray | None, sys_out: np.ndarray | None,
                         heat: tuple | None, options: tuple) -> None:
    """All members, spread over numba's threads with ``prange``."""
    for i in prange(members[1].shape[0]):
        _member(i, hourly, year_start, members, out, sys_out, heat, options)


@njit(cache=True, nogil=True)
def _block(b: int, blocks: np.ndarray, hourly: tuple, year_start: np.ndarray, members: tuple,
           sites: tuple) -> None:
    year_index, cap, par, sums, sys_sums, start_state, end_state = members
    lanes = blocks[b]
    used = 0
    for lane in range(LANE_WIDTH):
        if lanes[lane] >= 0:
            used += 1
    if used < MIN_BLOCK_MEMBERS:
        for lane in range(LANE_WIDTH):
            if lanes[lane] >= 0:
                _member(lanes[lane], hourly, year_start, members, None, None, None,
                        (None, None, None))
        return
    n_s = len(sites)
    first = lanes[0]
    y = year_index[first]
    a = year_start[y]
    e = year_start[y + 1]
    pos = np.zeros(n_s * N_POS_ROWS * LANE_WIDTH)
    v = np.zeros(lane_rows(n_s)[-1] * LANE_WIDTH)
    for lane in range(LANE_WIDTH):
        i = lanes[lane] if lanes[lane] >= 0 else first  # an unused lane repeats a member
        put_member(pos, v, n_s, lane, cap[i], par[i])
    wind_cf, pv_cf, price, demand, grid_co2, month = hourly
    simulate_lanes((wind_cf[a:e], pv_cf[a:e], price[a:e], demand[a:e], grid_co2[a:e],
                    month[a:e]), sites, pos, v)
    for lane in range(LANE_WIDTH):
        i = lanes[lane]
        if i >= 0:
            take_member(pos, v, n_s, lane, sums[i], sys_sums[i], start_state[i], end_state[i])


@njit(cache=True, nogil=True)
def run_blocks_serial(first: int, stop: int, blocks: np.ndarray, hourly: tuple,
                      year_start: np.ndarray, members: tuple, sites: tuple) -> None:
    """Blocks ``first`` to ``stop - 1`` of SIMD lanes, one after another (GIL released).

    Several threads run disjoint ranges of blocks at once (there is no ``prange`` runner
    for blocks: it would compile the whole lanes kernel a second time).
    """
    for b in range(first, stop):
        _block(b, blocks, hourly, year_start, members, sites)
