"""Schedule a fixed-capacity scenario as a virtual power plant, and its rule-based reference.

Each weather year is scheduled from the scenario's initial state (battery at
``operation.initial_soc_fraction``, hydrogen storage at
``hydrogen.initial_storage_fraction``, every unit off, new stacks), as the
rule-based dispatch does, so the two schedules start from the same state and
see the same prices.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch import dispatch_parameter_vector, simulate
from nzv_energy.dispatch.heat import HeatArrays, heat_arrays
from nzv_energy.dispatch.parameters import DISPATCH_INDEX
from nzv_energy.dispatch.simulate import grid_co2_array
from nzv_energy.errors import ScenarioError
from nzv_energy.grid_carbon import import_allowed_hours
from nzv_energy.kernels import dispatch as kd
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities
from nzv_energy.vpp.dataset import rfnbo_hydrogen, state_attr, to_dataset
from nzv_energy.vpp.fallback import KernelFallback
from nzv_energy.vpp.model import Portfolio, SiteState
from nzv_energy.vpp.reserves import ReservePrices, load_reserve_prices
from nzv_energy.vpp.rolling import HourlyInputs, RollingOptions, run_rolling

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VppRun:
    """Result of :func:`schedule`.

    Attributes
    ----------
    dataset
        Hourly results of the committed schedule (schema + ``vpp_fallback``).
    windows
        One row per window (weather year, dates, status, why it stopped, MIP gap, nodes,
        iterations, objective, fallback); no wall-clock values.
    inputs
        The (possibly shortened) inputs that were scheduled.
    portfolio
        Assets and constants used.
    wall_seconds
        Wall time of the scheduling, s.
    window_solve_seconds
        Wall-clock solve time of each window (row order of ``windows``), s; for logs and
        benchmarks, never written into results.
    reserve_prices
        Reserve capacity prices of the scheduled hours (None without reserves).
    """

    dataset: xr.Dataset
    windows: pd.DataFrame
    inputs: SystemInputs
    portfolio: Portfolio
    wall_seconds: float
    window_solve_seconds: tuple[float, ...] = ()
    reserve_prices: ReservePrices | None = None


def first_days(inputs: SystemInputs, days: int | None) -> SystemInputs:
    """The inputs limited to their first ``days`` days (all of them for None)."""
    if days is None:
        return inputs
    n = min(24 * int(days), len(inputs.time))
    return replace(
        inputs,
        time=inputs.time[:n],
        wind_cf=inputs.wind_cf[:, :n],
        pv_cf=inputs.pv_cf[:, :n],
        price_eur_per_mwh=inputs.price_eur_per_mwh[:n],
        hydrogen_demand_mw=inputs.hydrogen_demand_mw[:n],
    )


def early_stops(windows: pd.DataFrame) -> list[dict[str, object]]:
    """Windows whose solve a limit stopped before the MIP gap closed, for the dataset attrs.

    One entry per such window: weather year, window, start, the limit that
    stopped it (``node_limit``, ``time_limit``, ``iteration_limit``; of the
    first solve or, with a forecast error, the re-dispatch) and the MIP gap it
    was kept at (None when unknown).  A ``time_limit`` entry marks a schedule
    that depends on the machine's load.
    """
    limits = ("node_limit", "time_limit", "iteration_limit")
    out: list[dict[str, object]] = []
    for row in windows.itertuples(index=False):
        for stop in (row.stop, row.redispatch_stop):
            if stop in limits:
                gap = row.mip_gap
                out.append({
                    "weather_year": int(row.weather_year),
                    "window": int(row.window),
                    "start": str(row.start),
                    "stop": stop,
                    "mip_gap": None if gap is None or pd.isna(gap) else float(gap),
                })
                break
    return out


def import_allowed(inputs: SystemInputs) -> np.ndarray | None:
    """Hours grid power may be bought at all under the import carbon threshold, or None.

    The rules' and sizing LPs' definition (:func:`nzv_energy.grid_carbon.import_allowed_hours`):
    None without grid import or without ``operation.import_carbon_threshold_g_per_kwh``.
    """
    return import_allowed_hours(inputs.scenario, inputs)


def hourly(
    inputs: SystemInputs, sl: slice, reserve_prices: ReservePrices | None = None,
    heat: HeatArrays | None = None,
) -> HourlyInputs:
    """Hourly inputs of one slice of the period (reserve prices, grid intensity, import hours).

    With ``heat`` (:func:`nzv_energy.dispatch.heat.heat_arrays` of the inputs' hours, the
    rules' heat inputs) the slice's heat demand and COPs are included.

    Raises
    ------
    ScenarioError
        An import carbon threshold with hours that have no grid intensity.
    """
    allowed = import_allowed(inputs)
    return HourlyInputs(
        time=inputs.time[sl],
        price_eur_per_mwh=np.asarray(inputs.price_eur_per_mwh[sl], float),
        wind_cf=np.asarray(inputs.wind_cf[:, sl], float),
        pv_cf=np.asarray(inputs.pv_cf[:, sl], float),
        hydrogen_demand_mw=np.asarray(inputs.hydrogen_demand_mw[sl], float),
        reserve_price_eur_per_mw=(
            None if reserve_prices is None else reserve_prices.capacity_eur_per_mw[:, sl]
        ),
        grid_co2_g_per_kwh=grid_co2_array(inputs)[sl],
        import_allowed=None if allowed is None else allowed[sl],
        **_heat_fields(heat, sl),
    )


def _heat_fields(heat: HeatArrays | None, sl: slice) -> dict[str, np.ndarray]:
    """The :class:`HourlyInputs` heat fields of hours ``sl`` (``(n_sites, n)`` each)."""
    if heat is None:
        return {}
    part = heat.heat_in[sl]
    return {
        "heat_demand_mw": np.ascontiguousarray(part[:, kd.HI_HEAT_DEMAND_MW, :].T),
        "cop_heat_pump": np.ascontiguousarray(part[:, kd.HI_COP_HEAT_PUMP, :].T),
        "cop_waste_heat": np.ascontiguousarray(part[:, kd.HI_COP_WASTE_HEAT, :].T),
    }


def window_count(inputs: SystemInputs, commit_h: int) -> int:
    """Windows of a schedule of ``inputs``: ``ceil(hours / commit_h)`` per weather year."""
    return sum(-(-(sl.stop - sl.start) // commit_h) for sl in inputs.year_slices().values())


def reserve_prices_of(
    inputs: SystemInputs, options: RollingOptions, base_dir: Path | None
) -> ReservePrices | None:
    """The capacity prices of ``vpp.reserves.prices_csv`` on the inputs' hours (or None)."""
    config = inputs.scenario.vpp.reserves
    if options.reserves is None or config is None:
        return None
    path = Path(config.prices_csv)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return load_reserve_prices(path, options.reserves, inputs.time)


def schedule(
    inputs: SystemInputs,
    capacities: dict[str, SiteCapacities] | None = None,
    *,
    days: int | None = None,
    options: RollingOptions | None = None,
    base_dir: Path | None = None,
    progress: Callable[[], None] | None = None,
) -> VppRun:
    """Rolling-horizon schedule of every weather year of ``inputs``.

    Parameters
    ----------
    inputs
        Hourly inputs of a scenario (:func:`nzv_energy.system.build_inputs`).
    capacities
        Capacities per site; None = the scenario's fixed capacities.
    days
        Schedule only the first ``days`` days; None = ``vpp.days`` of the scenario
        (all hours when that is unset too).
    options
        Rolling-horizon options; None = from the scenario.
    base_dir
        Folder the reserve price file (``vpp.reserves.prices_csv``) is relative to.
    progress
        Called once after every window (:func:`window_count` windows in all).

    Returns
    -------
    VppRun
        Dataset, per-window table and the inputs actually scheduled.
    """
    import time as _time

    scenario = inputs.scenario
    if days is None:
        days = scenario.vpp.days
    if days is not None and days < 1:
        raise ScenarioError(None, "--days", days, "a whole number of days >= 1")
    inputs = first_days(inputs, days)
    if capacities is None:
        capacities = fixed_capacities(scenario)
    portfolio = Portfolio.from_capacities(scenario, capacities)
    options = options or RollingOptions.from_scenario(scenario)
    reserve_prices = reserve_prices_of(inputs, options, base_dir)
    heat = heat_arrays(scenario, inputs.time, portfolio.sites)
    tick = _time.perf_counter()
    parts, frames, starts, fallback = [], [], {}, []
    seconds: list[float] = []
    for year, sl in inputs.year_slices().items():
        period = hourly(inputs, sl, reserve_prices, heat)
        state = SiteState.initial(
            portfolio,
            scenario.operation.initial_soc_fraction,
            scenario.hydrogen.initial_storage_fraction,
        )
        starts[year] = state
        log.info("scheduling %s: %d h in windows of %d h, %d h committed",
                 year, len(period), options.horizon_h, options.commit_h)
        result = run_rolling(
            portfolio, period, options, state,
            fallback=KernelFallback(scenario, capacities, period),
            progress=progress,
        )
        parts.append(result.schedule)
        fallback.append(result.fallback)
        frames.append(result.windows.assign(weather_year=year))
        seconds.extend(result.window_solve_seconds)
    schedule_arrays = {
        name: np.concatenate([p[name] for p in parts], axis=-1) for name in parts[0]
    }
    schedule_arrays.pop("chp_on", None)  # carried between windows only
    schedule_arrays["rfnbo_hydrogen_mw"] = rfnbo_hydrogen(
        schedule_arrays,
        inputs.time,
        scenario.economics.co2_price_eur_per_t,
        monthly=scenario.operation.rfnbo_matching == "monthly",
        battery_counts_renewable=options.import_policy == "operation",
    )
    windows = pd.concat(frames, ignore_index=True)
    windows = windows[["weather_year", *[c for c in windows.columns if c != "weather_year"]]]
    attrs = {
        "scenario": scenario.name,
        "weather_years": json.dumps(list(inputs.years)),
        "dispatch_start_state": state_attr(portfolio.sites, starts),
        "vpp_options": json.dumps(asdict(options)),
        "early_stops": json.dumps(early_stops(windows)),
    }
    if heat is not None:
        attrs.update(heat_attrs(heat, portfolio, starts))
    ds = to_dataset(
        schedule_arrays, inputs.time, portfolio.sites, np.concatenate(fallback), attrs,
        reserve_prices=reserve_prices,
        block_hours=None if options.reserves is None else options.reserves.block_hours,
    )
    return VppRun(ds, windows, inputs, portfolio, _time.perf_counter() - tick, tuple(seconds),
                  reserve_prices)


def heat_attrs(
    heat: HeatArrays, portfolio: Portfolio, starts: dict[int, SiteState]
) -> dict[str, str]:
    """Heat attributes of the VPP dataset, as ``dispatch.nc`` has them.

    The rules' heat attributes (temperature source, heat sites), ``heat_chp_hydrogen``
    (site -> 1 when its CHP burns the site's hydrogen) and ``heat_start_state`` (the
    thermal store level each weather year starts from).
    """
    sites = portfolio.sites
    return {
        **heat.attrs,
        "heat_chp_hydrogen": json.dumps(
            {site: int(heat.site[s, kd.HS_CHP_HYDROGEN_FUEL] > 0.5)
             for s, site in enumerate(sites)}),
        "heat_start_state": json.dumps({
            str(year): {site: {"thermal_storage_mwh": float(
                0.0 if st.thermal_storage_mwh is None else st.thermal_storage_mwh[s])}
                for s, site in enumerate(sites)}
            for year, st in starts.items()
        }),
    }


def rule_based(inputs: SystemInputs, capacities: dict[str, SiteCapacities] | None = None
               ) -> xr.Dataset:
    """The rule-based dispatch of the same inputs, from the same initial state (not cyclic)."""
    par = dispatch_parameter_vector(inputs.scenario)
    par[DISPATCH_INDEX["cyclic"]] = 0.0
    return simulate(inputs, capacities, dispatch_params=par)
