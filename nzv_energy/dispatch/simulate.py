"""Careful wrapper around the dispatch kernels: check the arrays, run every weather year.

:func:`simulate` is the entry point other parts of the project use (the
optimiser re-simulates its sized capacities through it, the report and the VPP
comparison read its dataset).  All checking happens here; the kernels in
:mod:`nzv_energy.kernels.dispatch` trust their arguments.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch.heat import (
    HeatArrays,
    check_heat_arrays,
    heat_arrays,
    heat_dataset_variables,
)
from nzv_energy.dispatch.parameters import (
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    check_capacities,
    check_dispatch_parameters,
    dispatch_parameter_vector,
)
from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import heat as hk
from nzv_energy.kernels import layout
from nzv_energy.schema import FIRM_VARIABLES, make_dataset
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities

log = logging.getLogger(__name__)

#: Row of the kernel's ``out`` array -> schema variable name (``layout.SITE_OUTPUTS``).
SITE_OUTPUTS: dict[int, str] = dict(enumerate(layout.names(layout.SITE_OUTPUTS)))
#: Row of the kernel's ``sys_out`` array -> schema variable name.
SYSTEM_OUTPUTS: dict[int, str] = dict(enumerate(layout.names(layout.SYSTEM_OUTPUTS)))
#: Column of the state array -> name (dataset attribute ``dispatch_start_state``).
STATE_NAMES: dict[int, str] = dict(enumerate(layout.names(layout.STATE)))
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
    grid_co2_g_per_kwh
        ``(n_hours,)`` grid carbon intensity, g CO2e/kWh; ``inf`` in hours the
        scenario's series does not cover (no grid import may run there).
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
    grid_co2_g_per_kwh: np.ndarray

    def kernel_hourly(
        self, first: int = 0, stop: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Hours ``first`` to ``stop - 1`` as the kernels take them (views, no copy).

        ``(wind_cf, pv_cf, price, demand, grid_co2, month)``: the ``hourly`` argument of
        :func:`nzv_energy.kernels.dispatch.simulate_year` and the ensemble kernels.
        """
        hours = slice(first, stop)
        return (self.wind_cf[hours], self.pv_cf[hours], self.price_eur_per_mwh[hours],
                self.hydrogen_demand_mw[hours], self.grid_co2_g_per_kwh[hours],
                self.month[hours])


#: Values the kernels can run with: (name, lower, upper) of each hourly series.
HOURLY_RANGES: tuple[tuple[str, float, float], ...] = (
    ("wind_cf", 0.0, 1.0),
    ("pv_cf", 0.0, 1.0),
    ("price_eur_per_mwh", -1e5, 1e5),
    ("hydrogen_demand_mw", 0.0, 1e7),
)
#: Values the kernels can run with for the grid carbon intensity, g CO2e/kWh (``inf``:
#: unknown, allowed only where no grid import runs: :func:`check_grid_carbon`).
GRID_CO2_RANGE: tuple[float, float] = (0.0, 2000.0)


def _hour_label(hour: int, time: pd.DatetimeIndex | None) -> str:
    return f"at {time[hour]}" if time is not None else f"at hour {hour}"


def check_hourly(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price_eur_per_mwh: np.ndarray,
    hydrogen_demand_mw: np.ndarray,
    month: np.ndarray,
    n_sites: int,
    time: pd.DatetimeIndex | None = None,
) -> None:
    """The one check of the hourly arrays every kernel entry point runs before the kernel.

    Parameters
    ----------
    wind_cf, pv_cf
        ``(n_hours, n_sites)`` capacity factors in [0, 1].
    price_eur_per_mwh, hydrogen_demand_mw
        ``(n_hours,)``.
    month
        ``(n_hours,)`` calendar month 0..11 (0 = January): the kernel indexes its
        monthly RFNBO accumulators with it and does not check it.
    n_sites
        Sites of the capacity array.
    time
        Time stamps of the hours (for messages), or ``None``.

    Raises
    ------
    InputDataError
        A shape does not match, a value is NaN or out of range, or a month is not
        a whole number in 0..11; the message names the series, the site and the
        hour.
    """
    n_h = np.shape(wind_cf)[0] if np.ndim(wind_cf) else 0
    series = (wind_cf, pv_cf, price_eur_per_mwh, hydrogen_demand_mw)
    for (name, lo, hi), arr in zip(HOURLY_RANGES, series, strict=True):
        values = np.asarray(arr)
        shape = (n_h, n_sites) if name.endswith("_cf") else (n_h,)
        if values.shape != shape:
            raise InputDataError(None, name, values.shape, f"shape {shape} (hours, sites)")
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values < lo) | (values > hi)
        if bad.any():
            idx = np.argwhere(bad)[0]
            site = f"[site {int(idx[1])}]" if values.ndim == 2 else ""
            raise InputDataError(
                None, f"{name}{site} {_hour_label(int(idx[0]), time)}",
                float(values[tuple(idx)]), f"a finite number in [{lo}, {hi}]",
            )
    m = np.asarray(month)
    if m.shape != (n_h,):
        raise InputDataError(None, "month", m.shape, f"shape ({n_h},) (hours)")
    with np.errstate(invalid="ignore"):
        bad_month = ~np.isfinite(m) | (m < 0) | (m > kd.N_MONTHS - 1) | (m != np.round(m))
    if bad_month.any():
        hour = int(np.flatnonzero(bad_month)[0])
        raise InputDataError(
            None, f"month {_hour_label(hour, time)}", m[hour].item(),
            f"a calendar month 0..{kd.N_MONTHS - 1} (0 = January)",
        )


def check_grid_co2(
    grid_co2_g_per_kwh: np.ndarray, n_hours: int, time: pd.DatetimeIndex | None = None
) -> None:
    """Check the hourly grid carbon intensity the kernels read.

    Raises
    ------
    InputDataError
        Not one value per hour, NaN, or a finite value outside
        :data:`GRID_CO2_RANGE` (``inf`` marks an hour without a value).
    """
    values = np.asarray(grid_co2_g_per_kwh)
    if values.shape != (n_hours,):
        raise InputDataError(None, "grid_co2_g_per_kwh", values.shape,
                             f"shape ({n_hours},) (hours)")
    lo, hi = GRID_CO2_RANGE
    with np.errstate(invalid="ignore"):
        bad = np.isnan(values) | (values < lo) | ((values > hi) & np.isfinite(values))
    if bad.any():
        hour = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            None, f"grid_co2_g_per_kwh {_hour_label(hour, time)}", float(values[hour]),
            f"an intensity in [{lo}, {hi}] g CO2e/kWh (inf: no value for the hour)",
        )


def check_grid_carbon(
    arrays: HourlyArrays, par: np.ndarray, year_index: np.ndarray | None = None
) -> None:
    """Refuse grid import in a weather year whose grid intensity has hours without a value.

    Parameters
    ----------
    arrays
        Hourly inputs (``grid_co2_g_per_kwh`` is ``inf`` where the series has no value).
    par
        ``(N_PAR,)`` or ``(m, N_PAR)`` rule parameters.
    year_index
        ``(m,)`` weather-year position of each member; ``None``: every year.

    Raises
    ------
    ScenarioError
        A run with ``grid_import`` on in such a year, naming the first hour.
    """
    importing = np.asarray(par).reshape(-1, kd.N_PAR)[:, kd.P_GRID_IMPORT] > 0.5
    years = np.arange(len(arrays.years)) if year_index is None else np.asarray(year_index)
    if importing.size > 1:  # one parameter row per member
        years = years[importing]
    elif not importing.any():
        return
    for y in sorted({int(v) for v in years}):
        a, b = int(arrays.year_start[y]), int(arrays.year_start[y + 1])
        unknown = np.flatnonzero(~np.isfinite(arrays.grid_co2_g_per_kwh[a:b]))
        if unknown.size:
            raise ScenarioError(
                None, "economics.grid_carbon_intensity", f"no value at hour {a + int(unknown[0])}",
                f"a grid carbon intensity for every hour of weather year {arrays.years[y]} "
                "(grid import is on)",
            )


#: Rounding a caller's state may carry (e.g. an LP solution's levels), MWh or h.
STATE_TOLERANCE = 1e-6


def check_state(state: np.ndarray, cap: np.ndarray) -> None:
    """Check a start state ``(n_sites, N_STATE)`` against the capacities.

    Raises
    ------
    InputDataError
        A level is NaN, negative or above its store, ``electrolysis_on`` is not 0 or 1,
        or the stack hours are negative.
    """
    limits = {
        kd.S_BATTERY_SOC_MWH: cap[:, kd.C_BATTERY_MWH],
        kd.S_HYDROGEN_STORAGE_MWH: cap[:, kd.C_HYDROGEN_STORAGE_MWH],
    }
    for col, entry in enumerate(layout.STATE):
        values = state[:, col]
        upper = limits.get(col, np.full(values.shape, entry.upper))
        bad = (~np.isfinite(values) | (values < entry.lower - STATE_TOLERANCE)
               | (values > upper * (1.0 + 1e-9) + STATE_TOLERANCE))
        if col == kd.S_ELECTROLYSIS_ON:
            bad |= (values != 0.0) & (values != 1.0)
        if bad.any():
            s = int(np.flatnonzero(bad)[0])
            allowed = ("0 or 1" if col == kd.S_ELECTROLYSIS_ON
                       else f"a finite number in [{entry.lower}, {upper[s]}] {entry.unit}")
            raise InputDataError(None, f"start state: site {s} {entry.name}",
                                 float(values[s]), allowed)


def check_hourly_arrays(arrays: HourlyArrays, n_sites: int) -> None:
    """:func:`check_hourly` of arrays already in kernel layout, and their year offsets.

    Raises
    ------
    InputDataError
        As :func:`check_hourly`, or year offsets that do not split the hours into
        one stretch per weather year.
    """
    check_hourly(arrays.wind_cf, arrays.pv_cf, arrays.price_eur_per_mwh,
                 arrays.hydrogen_demand_mw, arrays.month, n_sites)
    starts = np.asarray(arrays.year_start)
    n_h = np.shape(arrays.wind_cf)[0]
    check_grid_co2(arrays.grid_co2_g_per_kwh, n_h)
    if (starts.shape != (len(arrays.years) + 1,) or starts[0] != 0 or starts[-1] != n_h
            or (np.diff(starts) <= 0).any()):
        raise InputDataError(
            None, "year_start", starts.tolist(),
            f"{len(arrays.years) + 1} rising offsets from 0 to {n_h} (one stretch per year)",
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
    for name, arr in (("wind_cf", inputs.wind_cf), ("pv_cf", inputs.pv_cf)):
        if np.shape(arr) != (n_s, n_h):
            raise InputDataError(None, name, np.shape(arr), f"shape {(n_s, n_h)} (sites, hours)")
    wind = np.ascontiguousarray(np.asarray(inputs.wind_cf, dtype=np.float64).T)
    pv = np.ascontiguousarray(np.asarray(inputs.pv_cf, dtype=np.float64).T)
    month = np.ascontiguousarray(inputs.time.month.to_numpy() - 1, dtype=np.int64)
    check_hourly(wind, pv, inputs.price_eur_per_mwh, inputs.hydrogen_demand_mw, month, n_s,
                 inputs.time)
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
        wind_cf=wind,
        pv_cf=pv,
        price_eur_per_mwh=np.ascontiguousarray(inputs.price_eur_per_mwh, dtype=np.float64),
        hydrogen_demand_mw=np.ascontiguousarray(inputs.hydrogen_demand_mw, dtype=np.float64),
        month=month,
        year_start=np.array(starts, dtype=np.int64),
        years=years,
        grid_co2_g_per_kwh=grid_co2_array(inputs),
    )


def grid_co2_array(inputs: SystemInputs) -> np.ndarray:
    """The inputs' hourly grid intensity in kernel layout (``inf`` where it has no value).

    Raises
    ------
    InputDataError
        A value outside :data:`GRID_CO2_RANGE`.
    """
    if inputs.grid_carbon_g_per_kwh is None:
        values = np.full(len(inputs.time), np.inf)
    else:
        values = inputs.grid_carbon_g_per_kwh.reindex(inputs.time).to_numpy(np.float64)
        values = np.where(np.isnan(values), np.inf, values)
    values = np.ascontiguousarray(values, dtype=np.float64)
    check_grid_co2(values, len(inputs.time), inputs.time)
    return values


@dataclass(frozen=True)
class YearRun:
    """Kernel results of one weather year (before they become a dataset).

    Attributes
    ----------
    out, sys_out
        Hourly site ``(n_h, n_s, N_OUT)`` and system ``(n_h, N_SYS_OUT)`` results.
    sums, sys_sums
        Per-site ``(n_s, N_SUM)`` and system ``(N_SYS_SUM,)`` totals.
    start_state, end_state
        ``(n_s, N_STATE)`` state at the start and end of the reported pass.
    heat_out, heat_sums, heat_tot, heat_state
        District heat: hourly rows ``(N_HEAT_OUT, n_h, n_s)``, per-site sums
        ``(n_s, N_HEAT_OUT)``, totals ``(n_s, N_HEAT_TOT)`` and store levels
        ``(n_s, N_HEAT_STATE)``; empty (no sites) without heat.
    """

    out: np.ndarray
    sys_out: np.ndarray
    sums: np.ndarray
    sys_sums: np.ndarray
    start_state: np.ndarray
    end_state: np.ndarray
    heat_out: np.ndarray = field(default_factory=lambda: np.zeros((hk.N_HEAT_OUT, 0, 0)))
    heat_sums: np.ndarray = field(default_factory=lambda: np.zeros((0, hk.N_HEAT_OUT)))
    heat_tot: np.ndarray = field(default_factory=lambda: np.zeros((0, kd.N_HEAT_TOT)))
    heat_state: np.ndarray = field(default_factory=lambda: np.zeros((0, kd.N_HEAT_STATE)))


def run_year(
    arrays: HourlyArrays,
    year_position: int,
    cap: np.ndarray,
    par: np.ndarray,
    heat: HeatArrays | None = None,
) -> YearRun:
    """Run the compiled kernel on one weather year (arguments already checked).

    ``heat`` (all weather years, :func:`nzv_energy.dispatch.heat.heat_arrays`) switches
    the district heat rule on; ``None`` runs without it.
    """
    a, b = int(arrays.year_start[year_position]), int(arrays.year_start[year_position + 1])
    n_h, n_s = b - a, cap.shape[0]
    n_hs = n_s if heat is not None else 0
    run = YearRun(
        out=np.zeros((n_h, n_s, kd.N_OUT)),
        sys_out=np.zeros((n_h, kd.N_SYS_OUT)),
        sums=np.zeros((n_s, kd.N_SUM)),
        sys_sums=np.zeros(kd.N_SYS_SUM),
        start_state=np.zeros((n_s, kd.N_STATE)),
        end_state=np.zeros((n_s, kd.N_STATE)),
        heat_out=np.zeros((hk.N_HEAT_OUT, n_h if heat is not None else 0, n_hs)),
        heat_sums=np.zeros((n_hs, hk.N_HEAT_OUT)),
        heat_tot=np.zeros((n_hs, kd.N_HEAT_TOT)),
        heat_state=np.zeros((n_hs, kd.N_HEAT_STATE)),
    )
    hourly = arrays.kernel_hourly(a, b)
    par = np.ascontiguousarray(par, dtype=np.float64)
    kd.simulate_year(
        hourly, np.ascontiguousarray(cap, dtype=np.float64), par, run.sums, run.sys_sums,
        run.start_state, run.end_state, run.out, run.sys_out,
        None if heat is None else (
            np.ascontiguousarray(heat.heat_in[a:b]), heat.cap, heat.par, heat.site,
            run.heat_state, run.heat_out, run.heat_sums, run.heat_tot,
        ),
        kd.pass_options(par),
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
    waste_heat: bool = True,
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
    waste_heat
        ``False`` runs the district heat rules with no recoverable electrolyser
        heat (same capacities and rules otherwise): the counterfactual that values
        the waste heat by the heat cost it displaces (docs/district_heat.md).

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
    check_grid_carbon(arrays, par)
    heat = heat_arrays(scenario, inputs.time, sites)
    if heat is not None and not waste_heat:
        par_heat = heat.par.copy()
        par_heat[:, hk.HP_RECOVERY_SHARE] = 0.0
        heat = dataclasses.replace(heat, par=par_heat)
    runs = [run_year(arrays, y, cap, par, heat) for y in range(len(arrays.years))]
    for year, r in zip(arrays.years, runs, strict=True):
        log.debug(
            "dispatch %s: %.0f of %.0f MWh hydrogen delivered", year,
            r.sys_sums[kd.Z_HYDROGEN_DELIVERED_MWH], r.sys_sums[kd.Z_HYDROGEN_DEMAND_MWH],
        )
    return dataset_from_runs(runs, arrays, inputs.time, sites, par, {"scenario": scenario.name},
                             heat)


def dataset_from_runs(
    runs: list[YearRun],
    arrays: HourlyArrays,
    time: pd.DatetimeIndex,
    sites: tuple[str, ...] | list[str],
    par: np.ndarray,
    attrs: Mapping[str, object] | None = None,
    heat: HeatArrays | None = None,
) -> xr.Dataset:
    """The results dataset of kernel runs (one per weather year, in order).

    With ``heat`` (the runs were made with it) the dataset also has the district heat
    variables, the heat attributes and ``heat_chp_hydrogen`` (JSON: site -> 1 when its
    CHP burns the site's hydrogen) and ``heat_start_state``.
    """
    out = np.concatenate([r.out for r in runs], axis=0)
    sys_out = np.concatenate([r.sys_out for r in runs], axis=0)
    data = {name: out[:, :, row] for row, name in SITE_OUTPUTS.items()}
    # the firm commitment's variables only under a commitment (schema.FIRM_VARIABLES)
    firm = par[kd.P_FIRM_MW] > 0.0
    data.update({name: sys_out[:, row] for row, name in SYSTEM_OUTPUTS.items()
                 if firm or name not in FIRM_VARIABLES})
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
    ds = make_dataset(time.to_numpy(), sites, data, all_attrs)
    if heat is not None:
        # district heat: the variables of nzv_energy.heat.simulate.HEAT_VARIABLES, per site
        ds = ds.assign(heat_dataset_variables(
            np.concatenate([r.heat_out for r in runs], axis=1)))
        ds.attrs.update(heat.attrs)
        ds.attrs["heat_chp_hydrogen"] = json.dumps(
            {site: int(heat.site[s, kd.HS_CHP_HYDROGEN_FUEL] > 0.5)
             for s, site in enumerate(sites)})
        ds.attrs["heat_start_state"] = json.dumps({
            str(year): {site: {"thermal_storage_mwh": float(r.heat_state[s, kd.HL_START_MWH])}
                        for s, site in enumerate(sites)}
            for year, r in zip(arrays.years, runs, strict=True)
        })
    return ds


def simulate_arrays(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price_eur_per_mwh: np.ndarray,
    hydrogen_demand_mw: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    time: pd.DatetimeIndex | None = None,
    sites: tuple[str, ...] | list[str] | None = None,
    grid_co2_g_per_kwh: np.ndarray | None = None,
    heat: HeatArrays | None = None,
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
    grid_co2_g_per_kwh
        ``(n_hours,)`` grid carbon intensity, g CO2e/kWh; ``None``: zero (imports
        count no emissions and the carbon threshold never blocks them).
    heat
        District heat arrays over the same hours (:class:`~nzv_energy.dispatch.heat.HeatArrays`,
        checked by :func:`~nzv_energy.dispatch.heat.check_heat_arrays`); ``None``: no heat.

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
    month = np.ascontiguousarray(time.month.to_numpy() - 1, dtype=np.int64)
    check_hourly(wind_cf, pv_cf, price_eur_per_mwh, hydrogen_demand_mw, month, n_s, time)
    grid_co2 = np.zeros(n_h) if grid_co2_g_per_kwh is None else grid_co2_g_per_kwh
    grid_co2 = np.ascontiguousarray(grid_co2, dtype=np.float64)
    check_grid_co2(grid_co2, n_h, time)
    arrays = HourlyArrays(
        wind_cf=np.ascontiguousarray(wind_cf),
        pv_cf=np.ascontiguousarray(pv_cf, dtype=np.float64),
        price_eur_per_mwh=np.ascontiguousarray(price_eur_per_mwh, dtype=np.float64),
        hydrogen_demand_mw=np.ascontiguousarray(hydrogen_demand_mw, dtype=np.float64),
        month=month,
        year_start=np.array([0, n_h], dtype=np.int64),
        years=(int(time[0].year),),
        grid_co2_g_per_kwh=grid_co2,
    )
    check_grid_carbon(arrays, par)
    if heat is not None:
        check_heat_arrays(heat, n_h, n_s)
    run = run_year(arrays, 0, cap, par, heat)
    return dataset_from_runs([run], arrays, time, sites, par, heat=heat), run


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
    grid_co2_g_per_kwh: np.ndarray | None = None,
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
    grid_co2_g_per_kwh
        ``(n_hours,)`` grid carbon intensity, g CO2e/kWh, for the import policy
        ``import_carbon_threshold_g_per_kwh``; ``None``: zero (never blocks an import).

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
    n_h = wind.shape[0] if wind.ndim else 0
    check_hourly(wind, pv_cf, price_eur_per_mwh, hydrogen_demand_mw, month, n_s)
    grid_co2 = np.zeros(n_h) if grid_co2_g_per_kwh is None else grid_co2_g_per_kwh
    grid_co2 = np.ascontiguousarray(grid_co2, dtype=np.float64)
    check_grid_co2(grid_co2, n_h)
    if par[kd.P_GRID_IMPORT] > 0.5 and not np.isfinite(grid_co2).all():
        hour = int(np.flatnonzero(~np.isfinite(grid_co2))[0])
        raise InputDataError(None, f"grid_co2_g_per_kwh at hour {hour}", float(grid_co2[hour]),
                             "a finite intensity in every hour (grid import is on)")
    state = np.zeros((n_s, kd.N_STATE))
    for col, values in ((kd.S_BATTERY_SOC_MWH, battery_soc_mwh),
                        (kd.S_HYDROGEN_STORAGE_MWH, hydrogen_storage_mwh),
                        (kd.S_ELECTROLYSIS_ON, electrolysis_on),
                        (kd.S_STACK_HOURS, stack_hours)):
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (n_s,):
            raise InputDataError(None, f"start state: {STATE_NAMES[col]}", arr.shape,
                                 f"shape ({n_s},) (sites)")
        state[:, col] = arr
    check_state(state, cap)
    out = np.zeros((n_h, n_s, kd.N_OUT))
    sys_out = np.zeros((n_h, kd.N_SYS_OUT))
    hourly = (
        wind, np.ascontiguousarray(pv_cf, dtype=np.float64),
        np.ascontiguousarray(price_eur_per_mwh, dtype=np.float64),
        np.ascontiguousarray(hydrogen_demand_mw, dtype=np.float64), grid_co2,
        np.ascontiguousarray(month, dtype=np.int64),
    )
    kd.dispatch_pass(hourly, cap, par, state, np.zeros((n_s, kd.N_SUM)), np.zeros(kd.N_SYS_SUM),
                     out, sys_out, None, kd.pass_options(par))
    schedule = {name: out[:, :, row].T.copy() for row, name in SITE_OUTPUTS.items()}
    schedule.update({name: sys_out[:, row].copy() for row, name in SYSTEM_OUTPUTS.items()})
    return schedule
