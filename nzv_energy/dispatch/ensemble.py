"""Batched dispatch: many members (weather year x capacities x parameters) in one call.

A member is one weather year of the shared hourly inputs run with its own
capacities, rule parameters and cost parameters.  Members run in parallel
over cores inside compiled code (``backend="prange"``), in a thread pool over
the GIL-free kernel (``"threads"``, safe to call from several threads at once,
e.g. Dask threads), or one after another (``"serial"``).  Only totals are kept
per member unless ``keep_hourly=True``, so memory stays flat as members grow.
"""

from __future__ import annotations

import itertools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch.kpis import kpi_frame
from nzv_energy.dispatch.parameters import (
    COST_INDEX,
    check_capacities,
    check_dispatch_parameters,
    cost_parameter_vector,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import (
    MODEL_NAME,
    SITE_OUTPUTS,
    SYSTEM_OUTPUTS,
    HourlyArrays,
    check_grid_carbon,
    check_hourly_arrays,
    hourly_arrays,
)
from nzv_energy.errors import ScenarioError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import ensemble as ke
from nzv_energy.schema import FIRM_VARIABLES, make_dataset
from nzv_energy.system import SystemInputs

log = logging.getLogger(__name__)

Backend = Literal["prange", "threads", "serial"]
#: Members handed to a numba thread at a time (dynamic scheduling of ``prange``).
PRANGE_CHUNK_MEMBERS = 4


@dataclass(frozen=True)
class EnsembleResult:
    """Results of :func:`run_ensemble`.

    Attributes
    ----------
    kpis
        One row per member (index ``member``): column ``weather_year`` and the
        KPI columns of :data:`nzv_energy.dispatch.kpis.KPI_COLUMNS`.
    site_sums
        ``(m, n_sites, N_SUM)`` per-site totals (columns ``K_*`` of
        :mod:`nzv_energy.kernels.dispatch`).
    sys_sums
        ``(m, N_SYS_SUM)`` system totals (``Z_*``).
    end_state
        ``(m, n_sites, N_STATE)`` storage levels, on/off state and stack hours at
        the end of each member's year.
    hourly
        One results dataset per member when ``keep_hourly`` was set, else ``None``.
    """

    kpis: pd.DataFrame
    site_sums: np.ndarray
    sys_sums: np.ndarray
    end_state: np.ndarray
    hourly: list[xr.Dataset] | None = None


def _rows(name: str, value: np.ndarray, m: int, tail: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == tail:
        arr = np.broadcast_to(arr, (m, *tail))
    if arr.shape != (m, *tail):
        raise ScenarioError(None, name, arr.shape, f"shape {tail} or ({m}, *{tail})")
    return np.ascontiguousarray(arr)


def _member_count(*arrays: tuple[np.ndarray | None, int]) -> int:
    counts = {
        np.shape(a)[0] for a, ndim in arrays if a is not None and np.ndim(a) == ndim
    }
    if len(counts) > 1:
        raise ScenarioError(None, "ensemble", sorted(counts), "one member count for all arrays")
    return counts.pop() if counts else 1


def carbon_from_sums(
    sums: np.ndarray, cost: np.ndarray, arrays: HourlyArrays, year_index: np.ndarray
) -> dict[str, np.ndarray]:
    """The carbon KPIs' inputs of :func:`~nzv_energy.dispatch.kpis.kpi_frame` from kernel totals.

    The same quantities as :func:`~nzv_energy.dispatch.kpis.carbon_totals` computes
    from an hourly dataset: the kernel accumulates each site-hour's import
    emissions, their electrolyser share and the electrolyser share of natural gas.

    Parameters
    ----------
    sums
        ``(m, n_sites, N_SUM)`` per-site totals.
    cost
        ``(m, n_cost)`` cost parameters (the natural gas emission factor).
    arrays
        The hourly inputs the members ran on (for the year's mean grid intensity).
    year_index
        ``(m,)`` weather-year position of each member.

    Returns
    -------
    dict
        ``(m,)`` arrays ``grid_import_co2_t``, ``hydrogen_co2_t``,
        ``electrolysis_low_carbon_hours_share`` (NaN without operating hours),
        ``grid_carbon_intensity_mean_g_per_kwh`` (NaN when the year has hours
        without a value).
    """
    total = sums.sum(axis=1)
    gas_factor = cost[:, COST_INDEX["natural_gas_co2_t_per_mwh"]]
    hours_on = total[:, kd.K_OPERATING_HOURS]
    low = np.divide(total[:, kd.K_LOW_CARBON_OPERATING_HOURS], hours_on,
                    out=np.full(hours_on.shape, np.nan), where=hours_on > 0)
    year_mean = []
    for y in range(len(arrays.years)):
        ci = arrays.grid_co2_g_per_kwh[arrays.year_start[y]:arrays.year_start[y + 1]]
        year_mean.append(float(ci.mean()) if np.isfinite(ci).all() else np.nan)
    return {
        "grid_import_co2_t": total[:, kd.K_GRID_IMPORT_CO2_T],
        "hydrogen_co2_t": total[:, kd.K_ELECTROLYSIS_GRID_IMPORT_CO2_T]
        + gas_factor * total[:, kd.K_ELECTROLYSIS_NATURAL_GAS_MWH],
        "electrolysis_low_carbon_hours_share": low,
        "grid_carbon_intensity_mean_g_per_kwh": np.asarray(year_mean)[year_index],
    }


def run_ensemble(
    inputs: SystemInputs,
    capacities: np.ndarray,
    *,
    year_index: np.ndarray | None = None,
    dispatch_params: np.ndarray | None = None,
    cost_params: np.ndarray | None = None,
    keep_hourly: bool = False,
    backend: Backend = "prange",
    n_threads: int | None = None,
    arrays: HourlyArrays | None = None,
) -> EnsembleResult:
    """Run many dispatch members and return their KPIs.

    Parameters
    ----------
    inputs
        Shared hourly inputs (all weather years), scenario for defaults.
    capacities
        ``(m, n_sites, N_CAP)`` capacities per member (columns
        :data:`~nzv_energy.dispatch.parameters.CAPACITY_NAMES`), or
        ``(n_sites, N_CAP)`` for all members.
    year_index
        ``(m,)`` position of each member's weather year in ``inputs.years``;
        ``None`` = the first year.
    dispatch_params
        ``(m, N_PAR)`` or ``(N_PAR,)`` rule parameters; ``None`` = from the scenario.
    cost_params
        ``(m, n_cost)`` or ``(n_cost,)`` cost parameters; ``None`` = from the scenario.
    keep_hourly
        Also return one hourly dataset per member (memory grows with members).
    backend
        ``"prange"`` (numba threads), ``"threads"`` (thread pool over the
        GIL-free kernel; safe inside Dask threads) or ``"serial"``.
    n_threads
        Threads for ``"prange"``/``"threads"``; ``None`` = all cores.
    arrays
        Inputs already put in kernel layout (e.g. by
        :func:`~nzv_energy.dispatch.simulate.hourly_arrays`); checked like the
        scenario's (:func:`~nzv_energy.dispatch.simulate.check_hourly_arrays`).

    Raises
    ------
    ScenarioError
        Invalid capacities, parameters, member counts or year positions.
    InputDataError
        Hourly arrays with wrong shapes, NaN, out-of-range values or months
        outside 0..11.

    Returns
    -------
    EnsembleResult
    """
    sites = inputs.site_names
    n_s = len(sites)
    if arrays is None:
        arrays = hourly_arrays(inputs)
    else:  # the caller's arrays get the same check as the scenario's
        check_hourly_arrays(arrays, n_s)
    m = _member_count((capacities, 3), (year_index, 1), (dispatch_params, 2), (cost_params, 2))
    cap = _rows("capacities", capacities, m, (n_s, kd.N_CAP))
    check_capacities(cap, sites)
    scenario = inputs.scenario
    par = _rows(
        "dispatch_params",
        dispatch_parameter_vector(scenario) if dispatch_params is None else dispatch_params,
        m,
        (kd.N_PAR,),
    )
    check_dispatch_parameters(par)
    cost_default = cost_parameter_vector(scenario)
    cost = _rows(
        "cost_params",
        cost_default if cost_params is None else cost_params,
        m,
        cost_default.shape,
    )
    n_years = len(arrays.years)
    yidx = np.zeros(m, dtype=np.int64) if year_index is None else np.asarray(year_index)
    yidx = np.ascontiguousarray(np.broadcast_to(yidx, (m,)), dtype=np.int64)
    if yidx.size and (yidx.min() < 0 or yidx.max() >= n_years):
        raise ScenarioError(
            None, "year_index", int(yidx.max()), f"positions 0..{n_years - 1} of {arrays.years}"
        )
    check_grid_carbon(arrays, par, yidx)
    lengths = np.diff(arrays.year_start)
    h_max = int(lengths.max()) if keep_hourly else 0
    out = np.zeros((m, kd.N_OUT, h_max, n_s))
    sys_out = np.zeros((m, kd.N_SYS_OUT, h_max))
    sums = np.zeros((m, n_s, kd.N_SUM))
    sys_sums = np.zeros((m, kd.N_SYS_SUM))
    start_state = np.zeros((m, n_s, kd.N_STATE))
    end_state = np.zeros((m, n_s, kd.N_STATE))
    args = (
        arrays.wind_cf, arrays.pv_cf, arrays.price_eur_per_mwh, arrays.hydrogen_demand_mw,
        arrays.grid_co2_g_per_kwh, arrays.month, arrays.year_start, yidx, cap, par, out,
        sys_out, sums, sys_sums, start_state, end_state,
    )
    threads = n_threads or os.cpu_count() or 1
    if backend == "prange":
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        try:
            # dynamic chunks: members differ in cost (cyclic, year length) and a busy core
            # must not hold back the others
            with numba.parallel_chunksize(PRANGE_CHUNK_MEMBERS):
                ke.run_members_parallel(*args)
        finally:
            numba.set_num_threads(previous)
    elif backend == "threads":
        bounds = np.linspace(0, m, min(threads, max(m, 1)) + 1).astype(int)
        with ThreadPoolExecutor(max_workers=len(bounds) - 1) as pool:
            futures = [
                pool.submit(ke.run_members_serial, int(a), int(b), *args)
                for a, b in itertools.pairwise(bounds)
                if b > a
            ]
            for f in futures:
                f.result()
    elif backend == "serial":
        ke.run_members_serial(0, m, *args)
    else:
        raise ScenarioError(None, "backend", backend, "'prange', 'threads' or 'serial'")
    frame = kpi_frame(
        sums, sys_sums, cap, par, cost, inputs.pipeline_km, lengths[yidx].astype(np.float64),
        carbon=carbon_from_sums(sums, cost, arrays, yidx),
    )
    frame.insert(0, "weather_year", np.asarray(arrays.years)[yidx])
    frame.index = pd.RangeIndex(m, name="member")
    hourly = None
    if keep_hourly:
        hourly = []
        for i in range(m):
            a, b = int(arrays.year_start[yidx[i]]), int(arrays.year_start[yidx[i] + 1])
            n_h = b - a
            data = {name: out[i, row, :n_h] for row, name in SITE_OUTPUTS.items()}
            firm = par[i, kd.P_FIRM_MW] > 0.0
            data.update({name: sys_out[i, row, :n_h] for row, name in SYSTEM_OUTPUTS.items()
                         if firm or name not in FIRM_VARIABLES})
            data["price_eur_per_mwh"] = arrays.price_eur_per_mwh[a:b] * par[i, kd.P_PRICE_SCALE]
            hourly.append(
                make_dataset(
                    inputs.time[a:b].to_numpy(), sites, data,
                    {"model": MODEL_NAME, "scenario": scenario.name, "member": i},
                )
            )
    log.debug("ensemble: %d members on backend %s", m, backend)
    return EnsembleResult(
        kpis=frame, site_sums=sums, sys_sums=sys_sums, end_state=end_state, hourly=hourly
    )
