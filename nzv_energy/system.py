"""From a validated scenario to the arrays every model consumes.

One place turns a :class:`~nzv_energy.scenario.Scenario` into hourly inputs
(capacity factors per site, prices, hydrogen demand) and fixed capacities.
The numba dispatch, the PyPSA sizing and the Pyomo scheduling all start here,
so they see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import InputDataError, NzvInputError, ScenarioError
from nzv_energy.grid_carbon import check_covered, load_grid_carbon
from nzv_energy.prices import input_files as price_files
from nzv_energy.prices import load_prices
from nzv_energy.profiles import SiteProfileSpec, file_sha256, load_capacity_factors
from nzv_energy.profiles import input_files as profile_files
from nzv_energy.scenario import CAPACITY_FIELDS, CapacityRange, Scenario, pipeline_lengths_km


@dataclass(frozen=True)
class SiteCapacities:
    """Fixed capacities of one site (MW, MWh)."""

    wind_mw: float
    pv_mw: float
    battery_mw: float
    battery_mwh: float
    electrolysis_mw: float
    gas_backup_mw: float
    pipeline_mw: float
    hydrogen_storage_mwh: float
    grid_connection_mw: float
    local_demand_mw: float


@dataclass(frozen=True)
class SystemInputs:
    """Hourly inputs of a scenario over all its weather years.

    Attributes
    ----------
    scenario
        The validated scenario.
    time
        Hourly UTC time stamps of all weather years, concatenated.
    wind_cf, pv_cf
        Capacity factors, shape ``(n_sites, n_hours)``, in [0, 1].
    price_eur_per_mwh
        Day-ahead price per hour, EUR/MWh, shape ``(n_hours,)``.
    hydrogen_demand_mw
        Hydrogen demand at the off-taker per hour, MW_H2 (LHV), shape ``(n_hours,)``.
    pipeline_km
        Pipeline route length from each site to the demand site, km.
    input_hashes
        SHA-256 of every data file read, by file name.
    grid_carbon_g_per_kwh
        Average carbon intensity of grid power per hour, g CO2e/kWh
        (:mod:`nzv_energy.grid_carbon`), indexed by its own hours so that it stays
        right when :attr:`time` is cut to a part; NaN in hours its source does not
        cover (allowed only while grid import is off).
    """

    scenario: Scenario
    time: pd.DatetimeIndex
    wind_cf: np.ndarray
    pv_cf: np.ndarray
    price_eur_per_mwh: np.ndarray
    hydrogen_demand_mw: np.ndarray
    pipeline_km: np.ndarray
    input_hashes: dict[str, str] = field(default_factory=dict)
    grid_carbon_g_per_kwh: pd.Series | None = None

    @property
    def site_names(self) -> tuple[str, ...]:
        """Site names in scenario order."""
        return self.scenario.site_names

    @property
    def years(self) -> tuple[int, ...]:
        """Weather years present in :attr:`time`, in order."""
        return tuple(int(y) for y in dict.fromkeys(self.time.year))

    def year_slices(self) -> dict[int, slice]:
        """Index range of each weather year in :attr:`time`."""
        out = {}
        year = self.time.year
        for y in self.years:
            idx = np.flatnonzero(year == y)
            out[y] = slice(int(idx[0]), int(idx[-1]) + 1)
        return out

    def select_year(self, year: int) -> SystemInputs:
        """The same inputs restricted to one weather year."""
        return self.select_hours(self.year_slices()[year])

    def select_hours(self, hours: slice) -> SystemInputs:
        """The same inputs restricted to a contiguous range of hours (a ``slice``)."""
        return SystemInputs(
            scenario=self.scenario,
            time=self.time[hours],
            wind_cf=self.wind_cf[:, hours],
            pv_cf=self.pv_cf[:, hours],
            price_eur_per_mwh=self.price_eur_per_mwh[hours],
            hydrogen_demand_mw=self.hydrogen_demand_mw[hours],
            pipeline_km=self.pipeline_km,
            input_hashes=self.input_hashes,
            grid_carbon_g_per_kwh=(
                None if self.grid_carbon_g_per_kwh is None
                else self.grid_carbon_g_per_kwh.reindex(self.time[hours])
            ),
        )


def _demand_profile(
    scenario: Scenario, time: pd.DatetimeIndex, base_dir: Path | None
) -> tuple[np.ndarray, list[Path]]:
    demand = scenario.hydrogen.demand
    if demand.profile == "flat":
        return np.full(len(time), demand.mean_mw, dtype=np.float64), []
    path = Path(demand.profile)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise ScenarioError(
            None, "hydrogen.demand.profile", demand.profile, "'flat' or a path to an existing CSV"
        )
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise InputDataError(path, "file", str(path), f"a readable CSV ({exc})") from None
    if "demand_fraction" not in frame.columns:
        raise InputDataError(
            path, "columns", list(frame.columns), "a column 'demand_fraction' (hourly, mean 1)"
        )
    values = pd.to_numeric(frame["demand_fraction"], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise InputDataError(
            path,
            f"demand_fraction row {bad[0] + 2}",
            frame["demand_fraction"].iloc[bad[0]],
            "a non-negative number",
        )
    if values.size not in (8760, 8784, len(time)):
        raise InputDataError(
            path, "demand_fraction", f"{values.size} rows", "8,760 hourly rows (one year)"
        )
    if values.size == len(time):
        profile = values
    else:
        hour_of_year = (time.dayofyear.to_numpy() - 1) * 24 + time.hour.to_numpy()
        profile = values[np.minimum(hour_of_year, values.size - 1)]
    profile = profile / profile.mean() if profile.mean() > 0 else profile
    return demand.mean_mw * profile, [path]


def build_inputs(
    scenario: Scenario,
    base_dir: Path | None = None,
    scenario_file: str | Path | None = None,
) -> SystemInputs:
    """Load every hourly input of a scenario.

    Parameters
    ----------
    scenario
        A validated scenario.
    base_dir
        Folder that relative data paths in the scenario are resolved against;
        defaults to the folder of ``scenario_file``.
    scenario_file
        The scenario's file, named in errors about its fields (e.g. weather years).
    """
    if base_dir is None and scenario_file is not None:
        base_dir = Path(scenario_file).resolve().parent
    try:
        return _build_inputs(scenario, base_dir)
    except NzvInputError as err:
        if err.file is None and scenario_file is not None:
            err.file = str(scenario_file)
            err.args = (err.message,)
        raise


def _build_inputs(scenario: Scenario, base_dir: Path | None) -> SystemInputs:
    specs = {
        name: SiteProfileSpec(
            lat=site.location.lat,
            lon=site.location.lon,
            wind_full_load_hours=(
                site.wind_full_load_hours
                if site.wind_full_load_hours is not None
                else scenario.technology.wind.full_load_hours
            ),
            pv_full_load_hours=(
                site.pv_full_load_hours
                if site.pv_full_load_hours is not None
                else scenario.technology.pv.full_load_hours
            ),
        )
        for name, site in scenario.sites.items()
    }
    cf: xr.Dataset = load_capacity_factors(
        scenario.weather.source, scenario.weather.years, specs, base_dir=base_dir,
        timezone=scenario.weather.timezone,
        scale_csv=scenario.weather.scale_csv_to_full_load_hours,
    )
    time = pd.DatetimeIndex(cf["time"].values)
    prices = load_prices(
        scenario.economics.price_series, time, base_dir, weather_source=scenario.weather.source
    )
    demand, demand_files = _demand_profile(scenario, time, base_dir)
    carbon = load_grid_carbon(scenario.economics.grid_carbon_intensity, time, base_dir)
    if scenario.operation.grid_import:
        check_covered(carbon, time, scenario.economics.grid_carbon_intensity)
    km = np.array(list(pipeline_lengths_km(scenario).values()))
    files = [
        *profile_files(scenario.weather.source, base_dir),
        *price_files(scenario.economics.electricity_price, base_dir, scenario.weather.years),
        *demand_files,
        *carbon.files,
    ]
    hashes = {Path(f).name: file_sha256(Path(f)) for f in files}
    return SystemInputs(
        scenario=scenario,
        time=time,
        wind_cf=np.ascontiguousarray(cf["wind_cf"].transpose("site", "time").values, np.float64),
        pv_cf=np.ascontiguousarray(cf["pv_cf"].transpose("site", "time").values, np.float64),
        price_eur_per_mwh=np.ascontiguousarray(prices.values, dtype=np.float64),
        hydrogen_demand_mw=demand,
        pipeline_km=km,
        input_hashes=hashes,
        grid_carbon_g_per_kwh=pd.Series(carbon.g_co2e_per_kwh, index=time,
                                        name="grid_carbon_g_co2e_per_kwh"),
    )


def fixed_capacities(
    scenario: Scenario, file: str | Path | None = None
) -> dict[str, SiteCapacities]:
    """Fixed capacities per site; ranges are an error (size them first).

    A pipeline left unset gets the larger of the site's rated hydrogen output and
    the demand peak (mean demand for a flat profile).
    """
    ranges = scenario.ranges()
    if ranges:
        path = next(iter(ranges))
        raise ScenarioError(
            file,
            path,
            ranges[path].model_dump(),
            "a fixed number for this command (ranges are sized by 'optimise' or 'run')",
        )
    eff = scenario.technology.electrolysis.efficiency
    out = {}
    for name, site in scenario.sites.items():
        values = {f: getattr(site, f) for f in CAPACITY_FIELDS}
        assert not any(isinstance(v, CapacityRange) for v in values.values())
        pipeline = values["pipeline_mw"]
        if pipeline is None:
            pipeline = max(float(values["electrolysis_mw"]) * eff, scenario.hydrogen.demand.mean_mw)
        storage = scenario.hydrogen.storage_mwh.get(name, 0.0)
        out[name] = SiteCapacities(
            wind_mw=float(values["wind_mw"]),
            pv_mw=float(values["pv_mw"]),
            battery_mw=float(values["battery_mw"]),
            battery_mwh=float(values["battery_mwh"]),
            electrolysis_mw=float(values["electrolysis_mw"]),
            gas_backup_mw=float(values["gas_backup_mw"]),
            pipeline_mw=float(pipeline),
            hydrogen_storage_mwh=float(storage),  # type: ignore[arg-type]
            grid_connection_mw=float(site.grid_connection_mw),
            local_demand_mw=float(site.local_demand_mw),
        )
    return out
