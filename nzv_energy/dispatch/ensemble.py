"""Batched dispatch: many members (weather year x capacities x parameters) in one call.

A member is one weather year of the shared hourly inputs run with its own
capacities, rule parameters and cost parameters.  Members run in parallel
over cores inside compiled code (``backend="prange"``), in a thread pool over
the GIL-free kernel (``"threads"``, safe to call from several threads at once,
e.g. Dask threads), or one after another (``"serial"``).  Only totals are kept
per member unless ``keep_hourly=True``, so memory stays flat as members grow.

With district heat (the scenario's ``heat:`` block, or heat arrays given) every
member runs the heat rule (rule 9) in the same dispatch pass as
:func:`~nzv_energy.dispatch.simulate.simulate`: the hourly heat demand and COPs
are shared read-only by the members of a weather year, the heat capacities,
rule parameters and site settings are per member.  The member's heat KPIs
(:data:`HEAT_MEMBER_KPIS`, the definitions of :mod:`nzv_energy.heat.kpis`
summed over its heat sites) follow its dispatch KPIs.  Without heat the
ensemble runs the same compiled functions as before heat existed.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numba
import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch.heat import (
    HeatArrays,
    check_heat_arrays,
    heat_arrays,
    heat_dataset_variables,
)
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
from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG, safe_divide
from nzv_energy.errors import ScenarioError
from nzv_energy.heat.inputs import heat_capacity_vector, heat_parameter_vector
from nzv_energy.heat.kpis import (
    HEAT_SOURCES,
    SiteHeatEconomics,
    site_heat_economics,
    site_heat_kpis,
)
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import ensemble as ke
from nzv_energy.kernels import heat as hk
from nzv_energy.kernels import lanes as kl
from nzv_energy.scenario import Scenario
from nzv_energy.schema import FIRM_VARIABLES, make_dataset
from nzv_energy.system import SystemInputs

log = logging.getLogger(__name__)

Backend = Literal["prange", "threads", "serial"]
#: Members handed to a numba thread at a time (dynamic scheduling of ``prange``).
PRANGE_CHUNK_MEMBERS = 4
#: Members with district heat whose hourly results are held at a time (for their heat KPIs).
HEAT_CHUNK_MEMBERS = 16

#: Heat KPIs of a member summed over its heat sites (names as in
#: :data:`nzv_energy.heat.kpis.HEAT_KPI_COLUMNS`).
HEAT_MEMBER_SUMS: tuple[str, ...] = (
    "heat_demand_mwh",
    "heat_served_mwh",
    "unserved_heat_mwh",
    *(f"heat_from_{s}_mwh" for s in HEAT_SOURCES),
    "heat_dumped_mwh",
    "waste_heat_available_mwh",
    "heat_electricity_mwh",
    "heat_electricity_import_mwh",
    "chp_electric_mwh",
    "heat_natural_gas_mwh",
    "heat_hydrogen_mwh",
    "heat_co2_t",
    "heat_total_cost_eur",
)
#: Heat KPI columns of an ensemble with heat: the sums and the shares, carbon intensity
#: and levelised cost of heat of the sums.
HEAT_MEMBER_KPIS: tuple[str, ...] = (
    *HEAT_MEMBER_SUMS,
    "heat_demand_met_share",
    *(f"heat_share_{s}" for s in HEAT_SOURCES),
    "heat_carbon_intensity_kg_per_mwh_th",
    "levelised_cost_of_heat_eur_per_mwh_th",
)


@dataclass(frozen=True)
class EnsembleResult:
    """Results of :func:`run_ensemble`.

    Attributes
    ----------
    kpis
        One row per member (index ``member``): column ``weather_year`` and the
        KPI columns of :data:`nzv_energy.dispatch.kpis.KPI_COLUMNS`; with district
        heat also :data:`HEAT_MEMBER_KPIS`.
    site_sums
        ``(m, n_sites, N_SUM)`` per-site totals (columns ``K_*`` of
        :mod:`nzv_energy.kernels.dispatch`).
    sys_sums
        ``(m, N_SYS_SUM)`` system totals (``Z_*``).
    end_state
        ``(m, n_sites, N_STATE)`` storage levels, on/off state and stack hours at
        the end of each member's year.
    hourly
        One results dataset per member when ``keep_hourly`` was set, else ``None``
        (with the heat variables when the members ran with heat).
    heat_sums, heat_tot
        With district heat: ``(m, n_sites, N_HEAT_OUT)`` per-site sums of the hourly heat
        rows and ``(m, n_sites, N_HEAT_TOT)`` heat totals (``HT_*``); else ``None``.
    """

    kpis: pd.DataFrame
    site_sums: np.ndarray
    sys_sums: np.ndarray
    end_state: np.ndarray
    hourly: list[xr.Dataset] | None = None
    heat_sums: np.ndarray | None = None
    heat_tot: np.ndarray | None = None


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
    heat: HeatArrays | None = None,
    heat_capacities: np.ndarray | None = None,
    heat_params: np.ndarray | None = None,
    heat_site: np.ndarray | None = None,
    heat_economics: Sequence[Mapping[str, SiteHeatEconomics]] | None = None,
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
        GIL-free kernel; safe inside Dask threads) or ``"serial"``.  KPI-only members
        without heat, grid import, monthly matching and a firm commitment run in blocks
        of SIMD lanes (:func:`lane_blocks`); ``"prange"`` and ``"threads"`` then both
        run the blocks on a thread pool.
    n_threads
        Threads for ``"prange"``/``"threads"``; ``None`` = all cores.
    arrays
        Inputs already put in kernel layout (e.g. by
        :func:`~nzv_energy.dispatch.simulate.hourly_arrays`); checked like the
        scenario's (:func:`~nzv_energy.dispatch.simulate.check_hourly_arrays`).
    heat
        District heat arrays over all hours of ``arrays``
        (:class:`~nzv_energy.dispatch.heat.HeatArrays`, checked); ``None`` = the
        scenario's heat (:func:`~nzv_energy.dispatch.heat.heat_arrays`), or no heat
        when the scenario has no ``heat:`` block.
    heat_capacities, heat_params, heat_site
        ``(m, n_sites, N_HEAT_CAP)``, ``(m, n_sites, N_HEAT_PAR)``,
        ``(m, n_sites, N_HEAT_SITE)`` per member (or without the member axis for
        all); ``None`` = those of ``heat``.  Ignored without heat.
    heat_economics
        Per member, the cost data of each heat site for the levelised cost of heat
        (:func:`nzv_energy.heat.kpis.site_heat_economics`); ``None`` = the
        scenario's (:func:`scenario_heat_economics`).

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
    if heat is None and scenario.heat is not None:
        heat = heat_arrays(scenario, inputs.time, sites)
    elif heat is not None:
        check_heat_arrays(heat, int(arrays.year_start[-1]), n_s)
    h_max = int(lengths.max()) if keep_hourly else 0
    rows = None if heat is None else _heat_rows(heat, m, n_s, heat_capacities, heat_params,
                                                heat_site, h_max)
    out = np.zeros((m, h_max, n_s, kd.N_OUT)) if keep_hourly else None
    sys_out = np.zeros((m, h_max, kd.N_SYS_OUT)) if keep_hourly else None
    sums = np.zeros((m, n_s, kd.N_SUM))
    sys_sums = np.zeros((m, kd.N_SYS_SUM))
    start_state = np.zeros((m, n_s, kd.N_STATE))
    end_state = np.zeros((m, n_s, kd.N_STATE))
    args = _KernelArgs(
        hourly=arrays.kernel_hourly(),
        year_start=arrays.year_start,
        members=(yidx, cap, par, sums, sys_sums, start_state, end_state),
        options=kd.pass_options(par),
    )
    threads = n_threads or os.cpu_count() or 1
    if backend not in ("prange", "threads", "serial"):
        raise ScenarioError(None, "backend", backend, "'prange', 'threads' or 'serial'")
    heat_frame = None
    if heat is None or rows is None:
        _call(backend, threads, m, args.at(out, sys_out, None))
    else:
        econ = _member_economics(scenario, heat_economics, m)
        heat_frame = _run_heat_members(
            backend, threads, args, heat, rows, econ, inputs, arrays, cost, int(lengths.max()),
            None if out is None or sys_out is None else (out, sys_out),
        )
    frame = kpi_frame(
        sums, sys_sums, cap, par, cost, inputs.pipeline_km, lengths[yidx].astype(np.float64),
        carbon=carbon_from_sums(sums, cost, arrays, yidx),
    )
    if heat_frame is not None:
        frame = pd.concat([frame, heat_frame], axis=1)
    frame.insert(0, "weather_year", np.asarray(arrays.years)[yidx])
    frame.index = pd.RangeIndex(m, name="member")
    hourly = None
    if keep_hourly:
        hourly = []
        assert out is not None and sys_out is not None  # keep_hourly: both were allocated
        for i in range(m):
            a, b = int(arrays.year_start[yidx[i]]), int(arrays.year_start[yidx[i] + 1])
            n_h = b - a
            data = {name: out[i, :n_h, :, row] for row, name in SITE_OUTPUTS.items()}
            firm = par[i, kd.P_FIRM_MW] > 0.0
            data.update({name: sys_out[i, :n_h, row] for row, name in SYSTEM_OUTPUTS.items()
                         if firm or name not in FIRM_VARIABLES})
            data["price_eur_per_mwh"] = arrays.price_eur_per_mwh[a:b] * par[i, kd.P_PRICE_SCALE]
            ds = make_dataset(
                inputs.time[a:b].to_numpy(), sites, data,
                {"model": MODEL_NAME, "scenario": scenario.name, "member": i},
            )
            if heat is not None and rows is not None:
                ds = ds.assign(heat_dataset_variables(rows.out[i, :, :n_h]))
                ds.attrs.update(heat.attrs)
            hourly.append(ds)
    log.debug("ensemble: %d members on backend %s (heat: %s)", m, backend, heat is not None)
    return EnsembleResult(
        kpis=frame, site_sums=sums, sys_sums=sys_sums, end_state=end_state, hourly=hourly,
        heat_sums=None if rows is None else rows.sums,
        heat_tot=None if rows is None else rows.tot,
    )


@dataclass(frozen=True)
class _KernelArgs:
    """The arguments of :mod:`nzv_energy.kernels.ensemble`'s runners shared by all calls."""

    hourly: tuple[np.ndarray, ...]
    year_start: np.ndarray
    members: tuple[np.ndarray, ...]
    options: tuple[bool | None, ...]

    def part(self, lo: int, hi: int) -> _KernelArgs:
        """Members ``lo`` to ``hi - 1`` only."""
        return dataclasses.replace(self, members=tuple(x[lo:hi] for x in self.members))

    def at(self, out: np.ndarray | None, sys_out: np.ndarray | None,
           heat: tuple[np.ndarray, ...] | None) -> tuple[Any, ...]:
        """The runners' arguments after ``first, stop`` (``None``: that part left out)."""
        return (self.hourly, self.year_start, self.members, out, sys_out, heat, self.options)


def lane_blocks(year_index: np.ndarray, par: np.ndarray, width: int | None = None
                ) -> np.ndarray:
    """The members of an ensemble in blocks of SIMD lanes (:mod:`nzv_energy.kernels.lanes`).

    Members of one weather year and the same ``cyclic`` flag share blocks of
    ``width`` (default: the kernels' ``LANE_WIDTH``), in member order; the last block of
    each such group is filled with ``-1`` (lane unused).

    Returns
    -------
    numpy.ndarray
        ``(n_blocks, width)`` int64 member indices.
    """
    width = kl.LANE_WIDTH if width is None else width
    cyclic = (np.asarray(par)[:, kd.P_CYCLIC] > 0.5).astype(np.int64)
    order = np.lexsort((cyclic, year_index))  # stable: member order within a group
    keys = np.asarray(year_index)[order] * 2 + cyclic[order]
    rows = []
    for group in np.split(order, np.flatnonzero(np.diff(keys)) + 1):
        for first in range(0, len(group), width):
            row = np.full(width, -1, dtype=np.int64)
            chunk = group[first:first + width]
            row[:len(chunk)] = chunk
            rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def _call(backend: Backend, threads: int, m: int, args: tuple[Any, ...]) -> None:
    """Run members ``0 .. m-1`` of the kernel arguments ``args`` on ``backend``.

    KPI-only members without heat and without the optional rules run in blocks of SIMD
    lanes (:func:`lane_blocks`), the others one by one.
    """
    hourly, year_start, members, out, sys_out, heat, options = args
    if out is None and sys_out is None and heat is None and options == (None, None, None):
        blocks = lane_blocks(members[0], members[2])
        block_args = (blocks, hourly, year_start, members, tuple(range(members[1].shape[1])))
        # no prange runner for blocks (it would compile the lanes kernel a second time):
        # "prange" runs them on the thread pool too
        _spread("serial" if backend == "serial" else "threads", threads, len(blocks),
                ke.run_blocks_serial, None, block_args, 1)
    else:
        _spread(backend, threads, m, ke.run_members_serial, ke.run_members_parallel, args,
                PRANGE_CHUNK_MEMBERS)


def _spread(backend: Backend, threads: int, n: int, serial: Any, parallel: Any,
            args: tuple[Any, ...], chunk: int) -> None:
    """Run items ``0 .. n-1`` (members or blocks) on ``backend``.

    ``serial(first, stop, *args)`` runs a range of them, ``parallel(*args)`` all of them
    with ``prange``; both backends hand out chunks of ``chunk`` items.
    """
    if backend == "prange":
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        try:
            # dynamic chunks: items differ in cost (cyclic, year length) and a busy core
            # must not hold back the others
            with numba.parallel_chunksize(chunk):
                parallel(*args)
        finally:
            numba.set_num_threads(previous)
    elif backend == "threads" and threads > 1 and n > chunk:
        _on_threads(threads, n, serial, args, chunk)
    else:
        serial(0, n, *args)


def _on_threads(threads: int, n: int, serial: Any, args: tuple[Any, ...], chunk: int) -> None:
    """Items ``0 .. n-1`` on a pool of ``threads`` threads, ``chunk`` at a time.

    ``serial(first, stop, *args)`` runs a range of items with the GIL released.  Each
    thread takes the next chunk when it is done with one (items differ in cost and a busy
    core must not hold back the others).  If the caller is interrupted (Ctrl-C) or an item
    fails, the threads finish the chunk they run and take no other.
    """
    following = itertools.count(0, chunk)  # next() is atomic under the GIL
    stop: list[bool] = []

    def worker() -> None:
        while not stop and (first := next(following)) < n:
            serial(first, min(first + chunk, n), *args)

    workers = min(threads, -(-n // chunk))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(worker) for _ in range(workers)]
        try:
            for f in futures:
                f.result()
        except BaseException:
            stop.append(True)
            raise


@dataclass(frozen=True)
class _HeatRows:
    """Per-member heat arrays of an ensemble (layout of :mod:`nzv_energy.kernels.ensemble`)."""

    cap: np.ndarray
    par: np.ndarray
    site: np.ndarray
    state: np.ndarray
    sums: np.ndarray
    tot: np.ndarray
    out: np.ndarray


def _heat_rows(
    heat: HeatArrays,
    m: int,
    n_s: int,
    capacities: np.ndarray | None,
    params: np.ndarray | None,
    site: np.ndarray | None,
    h_max: int,
) -> _HeatRows:
    """Member rows of the heat capacities, parameters and site settings, checked."""
    cap = _rows("heat_capacities", heat.cap if capacities is None else capacities, m,
                (n_s, hk.N_HEAT_CAP))
    par = _rows("heat_params", heat.par if params is None else params, m, (n_s, hk.N_HEAT_PAR))
    settings = _rows("heat_site", heat.site if site is None else site, m,
                     (n_s, kd.N_HEAT_SITE))
    checks = (
        ("heat capacities", cap, ~np.isfinite(cap) | (cap < 0), "finite numbers >= 0"),
        ("heat parameters", par, np.isnan(par), "numbers (not NaN)"),
        ("heat site settings", settings, ~((settings >= 0) & (settings <= 1)),
         "numbers in [0, 1]"),
    )
    for name, arr, bad, allowed in checks:
        if bad.any():
            i, s, k = (int(x) for x in np.argwhere(bad)[0])
            raise ScenarioError(None, f"member {i}: {name} at site {s}, column {k}",
                                float(arr[i, s, k]), allowed)
    return _HeatRows(
        cap=cap, par=par, site=settings,
        state=np.zeros((m, n_s, kd.N_HEAT_STATE)),
        sums=np.zeros((m, n_s, hk.N_HEAT_OUT)),
        tot=np.zeros((m, n_s, kd.N_HEAT_TOT)),
        out=np.zeros((m, hk.N_HEAT_OUT, h_max, n_s)),
    )


def scenario_heat_economics(scenario: Scenario) -> dict[str, SiteHeatEconomics]:
    """Costs and prices of each heat site of ``scenario`` for its cost of heat (none without heat).

    As :func:`nzv_energy.heat.kpis.heat_run_outputs`: the scenario's cost year,
    discount rate, gas and CO2 prices and natural-gas factor; a hydrogen CHP's
    fuel is valued per member at the member's hydrogen-chain LCOH.
    """
    eco = scenario.economics
    gas = scenario.technology.gas_backup
    return {
        site: site_heat_economics(
            block, cost_year=eco.cost_year, discount_rate=eco.discount_rate,
            gas_price_eur_per_mwh=eco.gas_price_eur_per_mwh,
            co2_price_eur_per_t=eco.co2_price_eur_per_t,
            natural_gas_co2_t_per_mwh=gas.natural_gas_co2_t_per_mwh,
        )
        for site, block in (scenario.heat or {}).items()
    }


def heat_member_rows(
    scenario: Scenario, sites: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A scenario's heat capacities, rule parameters and site settings (kernel rows).

    The per-site part of :func:`~nzv_energy.dispatch.heat.heat_arrays` without the
    hourly demand and COPs: for members that share the hourly heat inputs of a
    base scenario and differ in heat assets or prices.  Sites without a heat block
    get no heat assets.

    Returns
    -------
    tuple of numpy.ndarray
        ``(n_sites, N_HEAT_CAP)``, ``(n_sites, N_HEAT_PAR)``, ``(n_sites, N_HEAT_SITE)``.

    Raises
    ------
    ScenarioError
        A heat capacity is still a ``{min, max}`` range.
    """
    n_s = len(sites)
    cap = np.zeros((n_s, hk.N_HEAT_CAP))
    par = np.zeros((n_s, hk.N_HEAT_PAR))
    par[:, hk.HP_CHP_C_B] = 1.0
    par[:, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 1.0
    par[:, hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
    site_par = np.zeros((n_s, kd.N_HEAT_SITE))
    eco = scenario.economics
    for s, name in enumerate(sites):
        block = (scenario.heat or {}).get(name)
        if block is None:
            continue
        cap[s] = heat_capacity_vector(block, eco.cost_year)
        par[s] = heat_parameter_vector(
            block, eco.cost_year,
            gas_price_eur_per_mwh=eco.gas_price_eur_per_mwh,
            co2_price_eur_per_t=eco.co2_price_eur_per_t,
            natural_gas_co2_t_per_mwh=scenario.technology.gas_backup.natural_gas_co2_t_per_mwh,
            hydrogen_value_eur_per_mwh=eco.hydrogen_value_eur_per_mwh,
        )
        site_par[s, kd.HS_CHP_HYDROGEN_FUEL] = (
            1.0 if block.chp is not None and block.chp.fuel == "hydrogen" else 0.0
        )
        if block.thermal_storage is not None:
            site_par[s, kd.HS_INITIAL_STORAGE_FRACTION] = block.thermal_storage.initial_fraction
    return cap, par, site_par


def _member_economics(
    scenario: Scenario,
    given: Sequence[Mapping[str, SiteHeatEconomics]] | None,
    m: int,
) -> list[Mapping[str, SiteHeatEconomics]]:
    if given is None:
        return [scenario_heat_economics(scenario)] * m
    econ = list(given)
    if len(econ) != m:
        raise ScenarioError(None, "heat_economics", len(econ), f"one mapping per member ({m})")
    return econ


def heat_member_kpis(table: pd.DataFrame) -> dict[str, float]:
    """A member's heat KPIs (:data:`HEAT_MEMBER_KPIS`) from its per-site heat KPIs.

    Energies, CO2 and costs are summed over the heat sites; the shares, the carbon
    intensity and the levelised cost of heat are those of the sums (for one site:
    that site's values).

    Parameters
    ----------
    table
        :func:`nzv_energy.heat.kpis.site_heat_kpis` of one weather year (one row per site).
    """
    total = {name: float(table[name].sum()) for name in HEAT_MEMBER_SUMS}
    served = total["heat_served_mwh"]
    out = dict(total)
    out["heat_demand_met_share"] = float(safe_divide(served, total["heat_demand_mwh"]))
    for key in HEAT_SOURCES:
        out[f"heat_share_{key}"] = float(safe_divide(total[f"heat_from_{key}_mwh"], served))
    out["heat_carbon_intensity_kg_per_mwh_th"] = float(
        safe_divide(total["heat_co2_t"] * 1000.0, served))
    out["levelised_cost_of_heat_eur_per_mwh_th"] = float(
        safe_divide(total["heat_total_cost_eur"], served))
    return {name: out[name] for name in HEAT_MEMBER_KPIS}


def _run_heat_members(
    backend: Backend,
    threads: int,
    args: _KernelArgs,
    heat: HeatArrays,
    rows: _HeatRows,
    econ: list[Mapping[str, SiteHeatEconomics]],
    inputs: SystemInputs,
    arrays: HourlyArrays,
    cost: np.ndarray,
    h_year: int,
    hourly_out: tuple[np.ndarray, np.ndarray] | None,
) -> pd.DataFrame:
    """Run the members with district heat in chunks and return their heat KPIs.

    The heat KPIs need each member's hours (electricity for heat and CHP power at
    the hour's price, grid power for heat at the hour's intensity), so the kernel
    writes hourly results: into ``hourly_out`` (``(out, sys_out)`` of all members) when
    the caller keeps them, otherwise for :data:`HEAT_CHUNK_MEMBERS` members at a time
    into reused buffers.
    """
    price = args.hourly[2]
    year_start = args.year_start
    yidx, cap, par, sums, sys_sums = args.members[:5]
    m, n_s = cap.shape[0], cap.shape[1]
    keep_hourly = hourly_out is not None
    step = max(m, 1) if keep_hourly else HEAT_CHUNK_MEMBERS
    if hourly_out is not None:
        chunk_out, chunk_sys = hourly_out
        chunk_heat = rows.out
    else:
        k = min(step, m)
        chunk_out = np.zeros((k, h_year, n_s, kd.N_OUT))
        chunk_sys = np.zeros((k, h_year, kd.N_SYS_OUT))
        chunk_heat = np.zeros((k, hk.N_HEAT_OUT, h_year, n_s))
    hydrogen_chp = any(e.chp_fuel == "hydrogen" for sites in econ for e in sites.values())
    lengths = np.diff(year_start)
    kpis: list[dict[str, float]] = []
    for lo in range(0, m, step):
        hi = min(lo + step, m)
        k = hi - lo
        if not keep_hourly:
            for buf in (chunk_out, chunk_sys, chunk_heat):
                buf.fill(0.0)
        member_heat = (heat.heat_in, rows.cap[lo:hi], rows.par[lo:hi], rows.site[lo:hi],
                       rows.state[lo:hi], chunk_heat[:k], rows.sums[lo:hi], rows.tot[lo:hi])
        _call(backend, threads, k,
              args.part(lo, hi).at(chunk_out[:k], chunk_sys[:k], member_heat))
        lcoh = np.zeros(k)
        if hydrogen_chp:
            sl = slice(lo, hi)
            lcoh = kpi_frame(
                sums[sl], sys_sums[sl], cap[sl], par[sl], cost[sl], inputs.pipeline_km,
                lengths[yidx[sl]].astype(np.float64),
                carbon=carbon_from_sums(sums[sl], cost[sl], arrays, yidx[sl]),
            )["lcoh_chain_eur_per_kg"].to_numpy()
        for j in range(k):
            i = lo + j
            a, b = int(year_start[yidx[i]]), int(year_start[yidx[i] + 1])
            value = lcoh[j] * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
            site_econ = {
                site: dataclasses.replace(
                    e, hydrogen_value_eur_per_mwh=float(value) if np.isfinite(value) else 0.0)
                if e.chp_fuel == "hydrogen" else e
                for site, e in econ[i].items()
            }
            ds = xr.Dataset(
                heat_dataset_variables(chunk_heat[j, :, : b - a]),
                coords={"time": inputs.time[a:b].to_numpy(), "site": list(inputs.site_names)},
            )
            ds["price_eur_per_mwh"] = ("time", price[a:b] * par[i, kd.P_PRICE_SCALE])
            if not site_econ:  # heat arrays given for a scenario without heat sites
                kpis.append(dict.fromkeys(HEAT_MEMBER_KPIS, np.nan))
                continue
            table = site_heat_kpis(ds, site_econ, grid_g_per_kwh=inputs.grid_carbon_g_per_kwh)
            kpis.append(heat_member_kpis(table))
    return pd.DataFrame(kpis, columns=list(HEAT_MEMBER_KPIS))
