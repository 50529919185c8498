"""Careful wrapper around the dispatch kernels: check the arrays, run every weather year.

:func:`simulate` is the entry point other parts of the project use (the
optimiser re-simulates its sized capacities through it, the report and the VPP
comparison read its dataset).  All checking happens here; the kernels in
:mod:`nzv_energy.kernels.dispatch` trust their arguments.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch.parameters import (
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    check_capacities,
    check_dispatch_parameters,
    dispatch_parameter_vector,
)
from nzv_energy.errors import InputDataError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.schema import make_dataset
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities

log = logging.getLogger(__name__)

#: Row of the kernel's ``out`` array -> schema variable name.
SITE_OUTPUTS: dict[int, str] = {
    kd.O_WIND_MW: "wind_mw",
    kd.O_PV_MW: "pv_mw",
    kd.O_CURTAILMENT_MW: "curtailment_mw",
    kd.O_LOCAL_DEMAND_MW: "local_demand_mw",
    kd.O_ELECTROLYSIS_INPUT_MW: "electrolysis_input_mw",
    kd.O_ELECTROLYSIS_STANDBY_MW: "electrolysis_standby_mw",
    kd.O_HYDROGEN_OUTPUT_MW: "hydrogen_output_mw",
    kd.O_ELECTROLYSIS_ON: "electrolysis_on",
    kd.O_BATTERY_CHARGE_MW: "battery_charge_mw",
    kd.O_BATTERY_DISCHARGE_MW: "battery_discharge_mw",
    kd.O_BATTERY_SOC_MWH: "battery_soc_mwh",
    kd.O_GRID_IMPORT_MW: "grid_import_mw",
    kd.O_GRID_EXPORT_MW: "grid_export_mw",
    kd.O_GAS_BACKUP_MW: "gas_backup_mw",
    kd.O_GAS_BACKUP_FUEL_MW: "gas_backup_fuel_mw",
    kd.O_GAS_BACKUP_HYDROGEN_FUEL_MW: "gas_backup_hydrogen_fuel_mw",
    kd.O_HYDROGEN_STORAGE_CHARGE_MW: "hydrogen_storage_charge_mw",
    kd.O_HYDROGEN_STORAGE_DISCHARGE_MW: "hydrogen_storage_discharge_mw",
    kd.O_HYDROGEN_STORAGE_MWH: "hydrogen_storage_mwh",
    kd.O_PIPELINE_FLOW_MW: "pipeline_flow_mw",
    kd.O_RFNBO_HYDROGEN_MW: "rfnbo_hydrogen_mw",
}
#: Row of the kernel's ``sys_out`` array -> schema variable name.
SYSTEM_OUTPUTS: dict[int, str] = {
    kd.Y_HYDROGEN_DEMAND_MW: "hydrogen_demand_mw",
    kd.Y_HYDROGEN_DELIVERED_MW: "hydrogen_delivered_mw",
    kd.Y_UNSERVED_HYDROGEN_MW: "unserved_hydrogen_mw",
}
#: Column of the state array -> name (dataset attribute ``dispatch_start_state``).
STATE_NAMES: dict[int, str] = {
    kd.S_BATTERY_SOC_MWH: "battery_soc_mwh",
    kd.S_HYDROGEN_STORAGE_MWH: "hydrogen_storage_mwh",
    kd.S_ELECTROLYSIS_ON: "electrolysis_on",
    kd.S_STACK_HOURS: "stack_hours",
}
MODEL_NAME = "numba_dispatch"


@dataclass(frozen=True)
class HourlyArrays:
    """Hourly inputs in kernel layout (hours first), all weather years concatenated.

    Attributes
    ----------
    wind_cf, pv_cf
        ``(n_hours, n_sites)`` capacity factors.
    price_eur_per_mwh, hydrogen_demand_mw
        ``(n_hours,)``.
    month
        ``(n_hours,)`` calendar month 0..11 (int64).
    year_start
        ``(n_years + 1,)`` offsets of each weather year.
    years
        Weather years in order.
    """

    wind_cf: np.ndarray
    pv_cf: np.ndarray
    price_eur_per_mwh: np.ndarray
    hydrogen_demand_mw: np.ndarray
    month: np.ndarray
    year_start: np.ndarray
    years: tuple[int, ...]


def _check_finite_range(
    name: str, values: np.ndarray, time: pd.DatetimeIndex, lo: float, hi: float
) -> None:
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if bad.any():
        idx = np.argwhere(bad)[0]
        hour = int(idx[-1])
        where = f"{name}" + (f"[site {int(idx[0])}]" if values.ndim == 2 else "")
        raise InputDataError(
            None,
            f"{where} at {time[hour]}",
            float(values[tuple(idx)]),
            f"a finite number in [{lo}, {hi}]",
        )


def hourly_arrays(inputs: SystemInputs) -> HourlyArrays:
    """Check the hourly inputs and put them in kernel layout.

    Raises
    ------
    InputDataError
        A shape does not match, or a value is NaN or out of range (capacity
        factors outside [0, 1], negative hydrogen demand); the message names
        the series, the site and the time stamp.
    """
    n_s = len(inputs.site_names)
    n_h = len(inputs.time)
    for name, arr, shape in (
        ("wind_cf", inputs.wind_cf, (n_s, n_h)),
        ("pv_cf", inputs.pv_cf, (n_s, n_h)),
        ("price_eur_per_mwh", inputs.price_eur_per_mwh, (n_h,)),
        ("hydrogen_demand_mw", inputs.hydrogen_demand_mw, (n_h,)),
    ):
        if np.shape(arr) != shape:
            raise InputDataError(None, name, np.shape(arr), f"shape {shape} (sites, hours)")
    _check_finite_range("wind_cf", np.asarray(inputs.wind_cf), inputs.time, 0.0, 1.0)
    _check_finite_range("pv_cf", np.asarray(inputs.pv_cf), inputs.time, 0.0, 1.0)
    _check_finite_range(
        "price_eur_per_mwh", np.asarray(inputs.price_eur_per_mwh), inputs.time, -1e5, 1e5
    )
    _check_finite_range(
        "hydrogen_demand_mw", np.asarray(inputs.hydrogen_demand_mw), inputs.time, 0.0, 1e7
    )
    # weather years present in the time index, in scenario order (inputs narrowed with
    # ``select_year`` keep the scenario's full list of years)
    calendar_year = inputs.time.year.to_numpy()
    years = tuple(y for y in inputs.years if np.any(calendar_year == y))
    starts = [0]
    for year in years:
        idx = np.flatnonzero(calendar_year == year)
        if idx[0] != starts[-1] or idx[-1] - idx[0] + 1 != idx.size:
            raise InputDataError(
                None, "time", f"weather year {year} at hours {idx[0]}..{idx[-1]}",
                "weather years in scenario order, each contiguous",
            )
        starts.append(int(idx[-1]) + 1)
    if starts[-1] != n_h:
        raise InputDataError(
            None, "time", f"{n_h} hours", f"only hours of the weather years {inputs.years}"
        )
    return HourlyArrays(
        wind_cf=np.ascontiguousarray(np.asarray(inputs.wind_cf, dtype=np.float64).T),
        pv_cf=np.ascontiguousarray(np.asarray(inputs.pv_cf, dtype=np.float64).T),
        price_eur_per_mwh=np.ascontiguousarray(inputs.price_eur_per_mwh, dtype=np.float64),
        hydrogen_demand_mw=np.ascontiguousarray(inputs.hydrogen_demand_mw, dtype=np.float64),
        month=np.ascontiguousarray(inputs.time.month.to_numpy() - 1, dtype=np.int64),
        year_start=np.array(starts, dtype=np.int64),
        years=years,
    )


@dataclass(frozen=True)
class YearRun:
    """Kernel results of one weather year (before they become a dataset).

    Attributes
    ----------
    out, sys_out
        Hourly site ``(N_OUT, n_h, n_s)`` and system ``(N_SYS_OUT, n_h)`` results.
    sums, sys_sums
        Per-site ``(n_s, N_SUM)`` and system ``(N_SYS_SUM,)`` totals.
    start_state, end_state
        ``(n_s, N_STATE)`` state at the start and end of the reported pass.
    """

    out: np.ndarray
    sys_out: np.ndarray
    sums: np.ndarray
    sys_sums: np.ndarray
    start_state: np.ndarray
    end_state: np.ndarray


def run_year(
    arrays: HourlyArrays, year_position: int, cap: np.ndarray, par: np.ndarray
) -> YearRun:
    """Run the compiled kernel on one weather year (arguments already checked)."""
    a, b = int(arrays.year_start[year_position]), int(arrays.year_start[year_position + 1])
    n_h, n_s = b - a, cap.shape[0]
    run = YearRun(
        out=np.zeros((kd.N_OUT, n_h, n_s)),
        sys_out=np.zeros((kd.N_SYS_OUT, n_h)),
        sums=np.zeros((n_s, kd.N_SUM)),
        sys_sums=np.zeros(kd.N_SYS_SUM),
        start_state=np.zeros((n_s, kd.N_STATE)),
        end_state=np.zeros((n_s, kd.N_STATE)),
    )
    kd.simulate_year(
        arrays.wind_cf[a:b], arrays.pv_cf[a:b], arrays.price_eur_per_mwh[a:b],
        arrays.hydrogen_demand_mw[a:b], arrays.month[a:b],
        np.ascontiguousarray(cap, dtype=np.float64), np.ascontiguousarray(par, dtype=np.float64),
        run.out, run.sys_out, run.sums, run.sys_sums, run.start_state, run.end_state, True,
    )
    return run


def _state_attr(sites: tuple[str, ...], years: tuple[int, ...], states: list[np.ndarray]) -> str:
    return json.dumps(
        {
            str(year): {
                site: {name: float(state[s, col]) for col, name in STATE_NAMES.items()}
                for s, site in enumerate(sites)
            }
            for year, state in zip(years, states, strict=True)
        }
    )


def simulate(
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None = None,
    *,
    dispatch_params: np.ndarray | None = None,
) -> xr.Dataset:
    """Hourly dispatch of every weather year of ``inputs``.

    Parameters
    ----------
    inputs
        Hourly inputs from :func:`nzv_energy.system.build_inputs`.
    capacities
        Capacities per site (e.g. sized by the optimiser); ``None`` = the
        scenario's fixed capacities (an error if it still has ranges).
    dispatch_params
        Rule parameters ``(N_PAR,)`` (see
        :data:`~nzv_energy.dispatch.parameters.DISPATCH_PARAMETER_NAMES`);
        ``None`` = from the scenario.

    Returns
    -------
    xarray.Dataset
        The results schema (:mod:`nzv_energy.schema`) over all weather years
        concatenated along ``time``; attrs ``model``, ``scenario``,
        ``weather_years``, ``dispatch_start_state`` (JSON: state at the start of
        each reported year, per site) and ``dispatch_parameters`` (JSON).

    Raises
    ------
    ScenarioError
        Ranges left in the scenario, missing sites, invalid capacities or parameters.
    InputDataError
        Hourly inputs with wrong shapes, NaN or out-of-range values.
    """
    scenario = inputs.scenario
    sites = inputs.site_names
    if capacities is None:
        capacities = fixed_capacities(scenario)
    cap = capacity_array(capacities, sites)
    check_capacities(cap, sites)
    par = dispatch_parameter_vector(scenario) if dispatch_params is None else dispatch_params
    par = np.ascontiguousarray(par, dtype=np.float64)
    check_dispatch_parameters(par)
    arrays = hourly_arrays(inputs)
    runs = [run_year(arrays, y, cap, par) for y in range(len(arrays.years))]
    for year, r in zip(arrays.years, runs, strict=True):
        log.debug(
            "dispatch %s: %.0f of %.0f MWh hydrogen delivered", year,
            r.sys_sums[kd.Z_HYDROGEN_DELIVERED_MWH], r.sys_sums[kd.Z_HYDROGEN_DEMAND_MWH],
        )
    return dataset_from_runs(runs, arrays, inputs.time, sites, par, {"scenario": scenario.name})


def dataset_from_runs(
    runs: list[YearRun],
    arrays: HourlyArrays,
    time: pd.DatetimeIndex,
    sites: tuple[str, ...] | list[str],
    par: np.ndarray,
    attrs: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """The results dataset of kernel runs (one per weather year, in order)."""
    out = np.concatenate([r.out for r in runs], axis=1)
    sys_out = np.concatenate([r.sys_out for r in runs], axis=1)
    data = {name: out[row] for row, name in SITE_OUTPUTS.items()}
    data.update({name: sys_out[row] for row, name in SYSTEM_OUTPUTS.items()})
    data["price_eur_per_mwh"] = arrays.price_eur_per_mwh * par[kd.P_PRICE_SCALE]
    all_attrs = {
        "model": MODEL_NAME,
        **(attrs or {}),
        "weather_years": json.dumps(list(arrays.years)),
        "dispatch_start_state": _state_attr(
            tuple(sites), arrays.years, [r.start_state for r in runs]
        ),
        "dispatch_parameters": json.dumps(
            {n: float(v) for n, v in zip(DISPATCH_PARAMETER_NAMES, par, strict=True)}
        ),
    }
    return make_dataset(time.to_numpy(), sites, data, all_attrs)


def simulate_arrays(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price_eur_per_mwh: np.ndarray,
    hydrogen_demand_mw: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    time: pd.DatetimeIndex | None = None,
    sites: tuple[str, ...] | list[str] | None = None,
) -> tuple[xr.Dataset, YearRun]:
    """Dispatch of one period given as plain arrays (tests, benchmarks, studies).

    Parameters
    ----------
    wind_cf, pv_cf
        ``(n_hours, n_sites)`` capacity factors in [0, 1].
    price_eur_per_mwh, hydrogen_demand_mw
        ``(n_hours,)``.
    cap
        ``(n_sites, N_CAP)`` capacities.
    par
        ``(N_PAR,)`` dispatch parameters.
    time
        Hourly time stamps (default: hours from 2019-01-01); months drive the
        monthly RFNBO matching.
    sites
        Site names (default ``site0``, ``site1``...).

    Returns
    -------
    (xarray.Dataset, YearRun)
        The results dataset and the kernel's totals and states.
    """
    wind_cf = np.asarray(wind_cf, dtype=np.float64)
    n_h, n_s = wind_cf.shape
    if time is None:
        time = pd.date_range("2019-01-01", periods=n_h, freq="h")
    if sites is None:
        sites = [f"site{i}" for i in range(n_s)]
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    check_capacities(cap, sites)
    par = np.ascontiguousarray(par, dtype=np.float64)
    check_dispatch_parameters(par)
    for name, arr, shape, lo, hi in (
        ("wind_cf", wind_cf, (n_h, n_s), 0.0, 1.0),
        ("pv_cf", np.asarray(pv_cf), (n_h, n_s), 0.0, 1.0),
        ("price_eur_per_mwh", np.asarray(price_eur_per_mwh), (n_h,), -1e5, 1e5),
        ("hydrogen_demand_mw", np.asarray(hydrogen_demand_mw), (n_h,), 0.0, 1e7),
    ):
        if arr.shape != shape:
            raise InputDataError(None, name, arr.shape, f"shape {shape} (hours, sites)")
        _check_finite_range(name, arr.T if arr.ndim == 2 else arr, time, lo, hi)
    arrays = HourlyArrays(
        wind_cf=np.ascontiguousarray(wind_cf),
        pv_cf=np.ascontiguousarray(pv_cf, dtype=np.float64),
        price_eur_per_mwh=np.ascontiguousarray(price_eur_per_mwh, dtype=np.float64),
        hydrogen_demand_mw=np.ascontiguousarray(hydrogen_demand_mw, dtype=np.float64),
        month=np.ascontiguousarray(time.month.to_numpy() - 1, dtype=np.int64),
        year_start=np.array([0, n_h], dtype=np.int64),
        years=(int(time[0].year),),
    )
    run = run_year(arrays, 0, cap, par)
    return dataset_from_runs([run], arrays, time, sites, par), run


def dispatch_from_state(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price_eur_per_mwh: np.ndarray,
    hydrogen_demand_mw: np.ndarray,
    month: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    battery_soc_mwh: np.ndarray,
    hydrogen_storage_mwh: np.ndarray,
    electrolysis_on: np.ndarray,
    stack_hours: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run the rules once over a stretch of hours, starting from a given state.

    For callers that carry the storage and stack state themselves, e.g. the
    VPP's fallback for windows the optimiser cannot schedule: the stretch
    continues exactly where the caller's schedule left off (no initial state
    from the scenario, no cyclic pass, no KPIs).

    Parameters
    ----------
    wind_cf, pv_cf
        ``(n_hours, n_sites)`` capacity factors in [0, 1].
    price_eur_per_mwh, hydrogen_demand_mw
        ``(n_hours,)``.
    month
        ``(n_hours,)`` calendar month 0..11 of each hour (monthly RFNBO matching
        is settled within the stretch).
    cap, par
        ``(n_sites, N_CAP)`` capacities and ``(N_PAR,)`` dispatch parameters.
    battery_soc_mwh, hydrogen_storage_mwh, electrolysis_on, stack_hours
        ``(n_sites,)`` state before the first hour (``electrolysis_on``: ran in
        the previous hour).

    Returns
    -------
    dict
        Site variables ``(n_sites, n_hours)`` and system variables ``(n_hours,)``,
        named as in the results schema.
    """
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    n_s = cap.shape[0]
    check_capacities(cap, [f"site{i}" for i in range(n_s)])
    par = np.ascontiguousarray(par, dtype=np.float64)
    check_dispatch_parameters(par)
    wind = np.ascontiguousarray(wind_cf, dtype=np.float64)
    n_h = wind.shape[0]
    for name, arr, shape in (
        ("wind_cf", wind, (n_h, n_s)),
        ("pv_cf", np.asarray(pv_cf), (n_h, n_s)),
        ("price_eur_per_mwh", np.asarray(price_eur_per_mwh), (n_h,)),
        ("hydrogen_demand_mw", np.asarray(hydrogen_demand_mw), (n_h,)),
        ("month", np.asarray(month), (n_h,)),
    ):
        if arr.shape != shape:
            raise InputDataError(None, name, arr.shape, f"shape {shape} (hours, sites)")
    state = np.zeros((n_s, kd.N_STATE))
    state[:, kd.S_BATTERY_SOC_MWH] = battery_soc_mwh
    state[:, kd.S_HYDROGEN_STORAGE_MWH] = hydrogen_storage_mwh
    state[:, kd.S_ELECTROLYSIS_ON] = np.asarray(electrolysis_on, dtype=np.float64)
    state[:, kd.S_STACK_HOURS] = stack_hours
    out = np.zeros((kd.N_OUT, n_h, n_s))
    sys_out = np.zeros((kd.N_SYS_OUT, n_h))
    monthly = par[kd.P_RFNBO_MONTHLY] > 0.5
    kd.dispatch_pass(
        wind, np.ascontiguousarray(pv_cf, dtype=np.float64),
        np.ascontiguousarray(price_eur_per_mwh, dtype=np.float64),
        np.ascontiguousarray(hydrogen_demand_mw, dtype=np.float64),
        np.ascontiguousarray(month, dtype=np.int64), cap, par, state, out, sys_out,
        np.zeros((n_s, kd.N_SUM)), np.zeros(kd.N_SYS_SUM),
        np.zeros((n_s, kd.N_MONTHS, kd.N_MONTH_ACC)),
        np.zeros((n_h if monthly else 0, n_s)), True,
    )
    schedule = {name: out[row].T.copy() for row, name in SITE_OUTPUTS.items()}
    schedule.update({name: sys_out[row].copy() for row, name in SYSTEM_OUTPUTS.items()})
    return schedule
