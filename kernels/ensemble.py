"""Many dispatch members (weather year x capacities x parameters) in one compiled call.

Each member runs :func:`~nzv_energy.kernels.dispatch.simulate_year` on one
weather year of the shared hourly inputs (hours ``year_start[y]`` to
``year_start[y + 1]``) with its own capacities and parameters, and writes only
its totals (and, when ``out`` has hours, its hourly results).  Memory per
member is a few hundred bytes unless hourly results are kept.

Array layouts (``m`` members, ``n_s`` sites, ``H`` hours of all years)
-----------------------------------------------------------------------
wind_cf, pv_cf : (H, n_s); price, demand, grid_co2 : (H,); month : (H,) int64
year_start : (n_years + 1,) int64 offsets of each weather year
year_index : (m,) int64
cap : (m, n_s, N_CAP); par : (m, N_PAR)
out : (m, N_OUT, h_max, n_s) or (m, N_OUT, 0, n_s); sys_out : (m, N_SYS_OUT, h_max or 0)
sums : (m, n_s, N_SUM); sys_sums : (m, N_SYS_SUM)
start_state, end_state : (m, n_s, N_STATE)

With district heat (``run_members_*_heat``, :func:`~nzv_energy.kernels.dispatch.simulate_year_heat`)
---------------------------------------------------------------------------------------------------
heat_in : (H, N_HEAT_IN, n_s), shared read-only by every member (sliced by weather year)
heat_cap : (m, n_s, N_HEAT_CAP); heat_par : (m, n_s, N_HEAT_PAR); heat_site : (m, n_s, N_HEAT_SITE)
heat_state : (m, n_s, N_HEAT_STATE); heat_out : (m, N_HEAT_OUT, h_max or 0, n_s)
heat_sums : (m, n_s, N_HEAT_OUT); heat_tot : (m, n_s, N_HEAT_TOT)

The functions without heat are kept apart from those with it, so an ensemble
without heat runs the same compiled code as before heat existed.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .dispatch import simulate_year, simulate_year_heat


@njit(cache=True, nogil=True)
def _member(
    i: int,
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
) -> None:
    y = year_index[i]
    a = year_start[y]
    b = year_start[y + 1]
    # out[i] keeps its C layout (one compiled signature shared with single runs); the
    # kernel writes the first b - a hours of it
    write = out.shape[2] > 0
    simulate_year(
        wind_cf[a:b], pv_cf[a:b], price[a:b], demand[a:b], grid_co2[a:b], month[a:b], cap[i],
        par[i],
        out[i], sys_out[i], sums[i], sys_sums[i], start_state[i], end_state[i], write,
    )


@njit(cache=True, nogil=True)
def run_members_serial(
    first: int,
    stop: int,
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
) -> None:
    """Members ``first`` to ``stop - 1``, one after another (GIL released: call from threads)."""
    for i in range(first, stop):
        _member(
            i, wind_cf, pv_cf, price, demand, grid_co2, month, year_start, year_index, cap, par,
            out, sys_out, sums, sys_sums, start_state, end_state,
        )


@njit(cache=True, nogil=True, parallel=True)
def run_members_parallel(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
) -> None:
    """All members, spread over numba's threads with ``prange``."""
    m = cap.shape[0]
    for i in prange(m):
        _member(
            i, wind_cf, pv_cf, price, demand, grid_co2, month, year_start, year_index, cap, par,
            out, sys_out, sums, sys_sums, start_state, end_state,
        )


@njit(cache=True, nogil=True)
def _member_heat(
    i: int,
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
    heat_in: np.ndarray,
    heat_cap: np.ndarray,
    heat_par: np.ndarray,
    heat_site: np.ndarray,
    heat_state: np.ndarray,
    heat_out: np.ndarray,
    heat_sums: np.ndarray,
    heat_tot: np.ndarray,
) -> None:
    y = year_index[i]
    a = year_start[y]
    b = year_start[y + 1]
    write = out.shape[2] > 0
    simulate_year_heat(
        wind_cf[a:b], pv_cf[a:b], price[a:b], demand[a:b], grid_co2[a:b], month[a:b], cap[i],
        par[i], out[i], sys_out[i], sums[i], sys_sums[i], start_state[i], end_state[i], write,
        heat_in[a:b], heat_cap[i], heat_par[i], heat_site[i], heat_state[i], heat_out[i],
        heat_sums[i], heat_tot[i],
    )


@njit(cache=True, nogil=True)
def run_members_serial_heat(
    first: int,
    stop: int,
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
    heat_in: np.ndarray,
    heat_cap: np.ndarray,
    heat_par: np.ndarray,
    heat_site: np.ndarray,
    heat_state: np.ndarray,
    heat_out: np.ndarray,
    heat_sums: np.ndarray,
    heat_tot: np.ndarray,
) -> None:
    """:func:`run_members_serial` with the district heat rule (rule 9) on every member."""
    for i in range(first, stop):
        _member_heat(
            i, wind_cf, pv_cf, price, demand, grid_co2, month, year_start, year_index, cap, par,
            out, sys_out, sums, sys_sums, start_state, end_state, heat_in, heat_cap, heat_par,
            heat_site, heat_state, heat_out, heat_sums, heat_tot,
        )


@njit(cache=True, nogil=True, parallel=True)
def run_members_parallel_heat(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    year_start: np.ndarray,
    year_index: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
    sys_out: np.ndarray,
    sums: np.ndarray,
    sys_sums: np.ndarray,
    start_state: np.ndarray,
    end_state: np.ndarray,
    heat_in: np.ndarray,
    heat_cap: np.ndarray,
    heat_par: np.ndarray,
    heat_site: np.ndarray,
    heat_state: np.ndarray,
    heat_out: np.ndarray,
    heat_sums: np.ndarray,
    heat_tot: np.ndarray,
) -> None:
    """:func:`run_members_parallel` with the district heat rule (rule 9) on every member."""
    m = cap.shape[0]
    for i in prange(m):
        _member_heat(
            i, wind_cf, pv_cf, price, demand, grid_co2, month, year_start, year_index, cap, par,
            out, sys_out, sums, sys_sums, start_state, end_state, heat_in, heat_cap, heat_par,
            heat_site, heat_state, heat_out, heat_sums, heat_tot,
        )
