"""DWD test reference year (TRY 2010) reader and conversion to wind and PV capacity factors.

The file ``inputs/TRY2010_04_Jahr.dat`` (Deutscher Wetterdienst (DWD),
Testreferenzjahre 2010, region 4, station Potsdam) holds 8,760 hourly rows of
a typical year (1988-2007). Hours are numbered 1..24 in CET (UTC+1, no
daylight-saving time); hour ``HH`` is the hour *ending* at ``HH:00`` CET (the
irradiance centroid of the file lies near local solar noon only with this
reading), i.e. the interval starting at ``HH - 2`` UTC. The year is labelled
2010 and converted to the UTC calendar year 2010 by a one-hour cyclic shift:
the first CET hour (2009-12-31 23:00 UTC) becomes 2010-12-31 23:00 UTC, which
is fair for a typical year that does not belong to any real calendar.

PV (pvlib): solar position at the site for the middle of each hour; DNI from
the direct horizontal irradiance ``B`` (``pvlib.irradiance.dni``, zero for
zenith > 88°, capped at the extraterrestrial value); Hay-Davies transposition
to a fixed south-facing plane tilted 35° (albedo 0.2); ASHRAE incidence-angle
loss on the beam; SAPM cell temperature (open rack, glass/polymer) from air
temperature ``t`` and the 10 m wind speed; PVWatts DC model (-0.35 %/K),
PVWatts system losses (pvlib defaults, 14.1 %), PVWatts inverter with a
DC/AC ratio of 1.2 and 96 % nominal efficiency. CF = AC power / DC peak power
(so full-load hours are kWh/kWp).

Wind (windpowerlib): Enercon E-126/4200 EP4 from windpowerlib's bundled turbine
library at 159 m hub height; the 10 m wind speed ``WG`` is extrapolated with
the logarithmic wind profile, roughness length 0.1 m (farmland with a few
trees and buildings, a typical value for the open Lausitz sites); air density
at hub height from station pressure and a linear temperature gradient, with
density-corrected power curve. CF = power / nominal power; no wake,
availability or grid losses (scale to full-load hours for net figures).
"""

from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from nzv_energy.errors import InputDataError

logger = logging.getLogger(__name__)

TRY_YEAR = 2010
"""Calendar year the typical year is labelled with."""

TRY_UTC_OFFSET_H = 1
"""The TRY hours are CET = UTC+1 all year."""

TIME_CONVERSION = (
    "TRY hour HH (CET, hour ending) starts at HH-2 UTC; shifted cyclically by one hour so the "
    "typical year fills the UTC calendar year 2010 (first CET hour moved to 2010-12-31 23:00)"
)

TURBINE_TYPE = "E-126/4200"
HUB_HEIGHT_M = 159.0
ROUGHNESS_LENGTH_M = 0.1
MEASUREMENT_HEIGHT_M = 10.0

PV_TILT_DEG = 35.0
PV_AZIMUTH_DEG = 180.0
PV_ALBEDO = 0.2
PV_GAMMA_PDC_PER_K = -0.0035
PV_DC_AC_RATIO = 1.2
PV_INVERTER_EFFICIENCY = 0.96
PV_TEMPERATURE_MODEL = "open_rack_glass_polymer"

_COLUMNS = (
    "RG",
    "IS",
    "MM",
    "DD",
    "HH",
    "N",
    "WR",
    "WG",
    "t",
    "p",
    "x",
    "RF",
    "W",
    "B",
    "D",
    "IK",
    "A",
    "E",
    "IL",
)
_RANGES = {
    "MM": (1, 12),
    "DD": (1, 31),
    "HH": (1, 24),
    "WG": (0.0, 60.0),
    "t": (-60.0, 60.0),
    "p": (800.0, 1100.0),
    "B": (0.0, 1400.0),
    "D": (0.0, 1000.0),
}


def pv_losses_percent() -> float:
    """Return the PVWatts system losses used, percent (pvlib's defaults)."""
    from pvlib.pvsystem import pvwatts_losses

    return float(pvwatts_losses())


def pv_model_description() -> str:
    """Return a one-line description of the PV model for metadata."""
    return (
        f"fixed {PV_TILT_DEG:g}° tilt, azimuth {PV_AZIMUTH_DEG:g}°, Hay-Davies, albedo "
        f"{PV_ALBEDO:g}, SAPM {PV_TEMPERATURE_MODEL}, PVWatts gamma {PV_GAMMA_PDC_PER_K:g}/K, "
        f"losses {pv_losses_percent():.1f} %, DC/AC {PV_DC_AC_RATIO:g}, inverter "
        f"{PV_INVERTER_EFFICIENCY:g}; CF = AC / DC peak"
    )


def wind_model_description() -> str:
    """Return a one-line description of the wind model for metadata."""
    return (
        f"{TURBINE_TYPE} at {HUB_HEIGHT_M:g} m hub height, logarithmic profile from "
        f"{MEASUREMENT_HEIGHT_M:g} m with roughness length {ROUGHNESS_LENGTH_M:g} m, "
        "density-corrected power curve; CF = power / nominal power (gross)"
    )


def read_try(path: Path) -> pd.DataFrame:
    """Read a DWD TRY 2010 ``.dat`` file into an hourly UTC table of calendar year 2010.

    Parameters
    ----------
    path
        The TRY file.

    Returns
    -------
    pandas.DataFrame
        8,760 rows indexed by tz-naive UTC hour-beginning timestamps of 2010
        (``datetime64[ns]``) with float64 columns ``wind_speed_10m_m_per_s``,
        ``temp_air_degc``, ``pressure_hpa``, ``direct_horizontal_w_per_m2``,
        ``diffuse_horizontal_w_per_m2``.

    Raises
    ------
    InputDataError
        Missing file, missing ``***`` header end, wrong number of rows or
        fields, non-numeric or out-of-range values.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputDataError(path, "file", str(path), "an existing DWD TRY .dat file") from exc
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "***") + 1
    except StopIteration:
        raise InputDataError(
            path, "header", "no line '***'", "a DWD TRY 2010 file whose header ends with '***'"
        ) from None
    rows = []
    for i in range(start, len(lines)):
        fields = lines[i].split()
        if not fields:
            continue
        if len(fields) != len(_COLUMNS):
            raise InputDataError(
                path, f"line {i + 1}", lines[i].strip(), f"{len(_COLUMNS)} fields {_COLUMNS}"
            )
        try:
            rows.append([float(f) for f in fields])
        except ValueError as exc:
            raise InputDataError(path, f"line {i + 1}", lines[i].strip(), "numbers") from exc
    if len(rows) != 8760:
        raise InputDataError(path, "data rows", len(rows), "8760 hourly rows")
    values = np.asarray(rows)
    col = {name: values[:, k] for k, name in enumerate(_COLUMNS)}
    for name, (lo, hi) in _RANGES.items():
        bad = (col[name] < lo) | (col[name] > hi)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputDataError(
                path, f"{name} at data row {i + 1}", float(col[name][i]), f"between {lo} and {hi}"
            )
    # Row r (0-based) covers the hour starting at HH - 2 UTC; check the calendar.
    starts = pd.to_datetime(
        {"year": TRY_YEAR, "month": col["MM"].astype(int), "day": col["DD"].astype(int)},
        errors="coerce",
    ) + pd.to_timedelta(col["HH"] - 1 - TRY_UTC_OFFSET_H, unit="h")
    expected = pd.date_range(f"{TRY_YEAR - 1}-12-31 23:00", periods=8760, freq="h")
    wrong = starts.to_numpy() != expected.to_numpy()
    if wrong.any():
        i = int(np.argmax(wrong))
        raise InputDataError(
            path,
            f"MM/DD/HH at data row {i + 1}",
            f"{int(col['MM'][i])}/{int(col['DD'][i])}/{int(col['HH'][i])}",
            "consecutive hours 1..24 of every day of a 365-day year",
        )
    order = np.roll(np.arange(8760), -1)  # UTC hour h of 2010 <- row h + 1 (cyclic)
    frame = pd.DataFrame(
        {
            "wind_speed_10m_m_per_s": col["WG"][order],
            "temp_air_degc": col["t"][order],
            "pressure_hpa": col["p"][order],
            "direct_horizontal_w_per_m2": col["B"][order],
            "diffuse_horizontal_w_per_m2": col["D"][order],
        },
        index=pd.date_range(f"{TRY_YEAR}-01-01", periods=8760, freq="h").as_unit("ns"),
    )
    frame.index.name = "time"
    logger.debug("read %s: %d hours, %s", path.name, len(frame), TIME_CONVERSION)
    return frame


def pv_capacity_factor(weather: pd.DataFrame, lat: float, lon: float) -> np.ndarray:
    """Convert TRY weather to the PV capacity factor at a site (see module docstring).

    Parameters
    ----------
    weather
        Output of :func:`read_try`.
    lat, lon
        Site latitude and longitude, degrees.

    Returns
    -------
    numpy.ndarray
        AC power / DC peak power per hour, float64, in [0, 1].
    """
    from pvlib import iam, inverter, irradiance, pvsystem, solarposition, temperature

    middle = (weather.index + pd.Timedelta(minutes=30)).tz_localize("UTC")
    sun = solarposition.get_solarposition(middle, lat, lon)
    zenith = sun["apparent_zenith"].to_numpy()
    azimuth = sun["azimuth"].to_numpy()
    dhi = weather["diffuse_horizontal_w_per_m2"].to_numpy()
    ghi = weather["direct_horizontal_w_per_m2"].to_numpy() + dhi
    dni_extra = np.asarray(
        irradiance.get_extra_radiation(middle.day_of_year.to_numpy()), dtype=np.float64
    )
    dni = np.asarray(irradiance.dni(ghi, dhi, sun["zenith"].to_numpy()), dtype=np.float64)
    dni = np.clip(np.nan_to_num(dni), 0.0, dni_extra)
    poa = irradiance.get_total_irradiance(
        PV_TILT_DEG,
        PV_AZIMUTH_DEG,
        zenith,
        azimuth,
        dni,
        ghi,
        dhi,
        dni_extra=dni_extra,
        albedo=PV_ALBEDO,
        model="haydavies",
    )
    aoi = irradiance.aoi(PV_TILT_DEG, PV_AZIMUTH_DEG, zenith, azimuth)
    effective = np.nan_to_num(poa["poa_direct"] * iam.ashrae(aoi)) + np.nan_to_num(
        poa["poa_diffuse"]
    )
    params = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][PV_TEMPERATURE_MODEL]
    cell_degc = temperature.sapm_cell(
        np.nan_to_num(poa["poa_global"]),
        weather["temp_air_degc"].to_numpy(),
        weather["wind_speed_10m_m_per_s"].to_numpy(),
        **params,
    )
    dc_per_kwp = pvsystem.pvwatts_dc(effective, cell_degc, 1.0, PV_GAMMA_PDC_PER_K)
    dc_per_kwp = np.asarray(dc_per_kwp) * (1.0 - pv_losses_percent() / 100.0)
    ac_rated = 1.0 / PV_DC_AC_RATIO
    ac = inverter.pvwatts(dc_per_kwp, ac_rated / PV_INVERTER_EFFICIENCY, PV_INVERTER_EFFICIENCY)
    cf = np.clip(np.nan_to_num(np.asarray(ac, dtype=np.float64)), 0.0, 1.0)
    cf.flags.writeable = False  # shared by the cache
    return cf


def wind_capacity_factor(weather: pd.DataFrame) -> np.ndarray:
    """Convert TRY weather to the wind capacity factor of the reference turbine.

    Parameters
    ----------
    weather
        Output of :func:`read_try`.

    Returns
    -------
    numpy.ndarray
        Power / nominal power per hour, float64, in [0, 1].
    """
    from windpowerlib import ModelChain, WindTurbine

    with warnings.catch_warnings():
        # windpowerlib 0.2.2 uses pandas idioms that pandas 3 deprecates; not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        turbine = WindTurbine(hub_height=HUB_HEIGHT_M, turbine_type=TURBINE_TYPE)
    columns = pd.MultiIndex.from_tuples(
        [
            ("wind_speed", MEASUREMENT_HEIGHT_M),
            ("temperature", 2.0),
            ("pressure", 0.0),
            ("roughness_length", 0.0),
        ],
        names=["variable_name", "height"],
    )
    frame = pd.DataFrame(
        np.column_stack(
            [
                weather["wind_speed_10m_m_per_s"].to_numpy(),
                weather["temp_air_degc"].to_numpy() + 273.15,
                weather["pressure_hpa"].to_numpy() * 100.0,
                np.full(len(weather), ROUGHNESS_LENGTH_M),
            ]
        ),
        index=weather.index,
        columns=columns,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        chain = ModelChain(
            turbine,
            wind_speed_model="logarithmic",
            density_model="barometric",
            temperature_model="linear_gradient",
            power_output_model="power_curve",
            density_correction=True,
        ).run_model(frame)
    power_w = np.asarray(chain.power_output, dtype=np.float64)
    cf = np.clip(power_w / float(turbine.nominal_power), 0.0, 1.0)
    cf.flags.writeable = False  # shared by the cache
    return cf


def try_capacity_factors(path: Path, lat: float, lon: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (wind CF, PV CF) for UTC 2010 from a TRY file at a site; cached.

    Parameters
    ----------
    path
        The TRY file.
    lat, lon
        Site latitude and longitude, degrees.

    Returns
    -------
    tuple of numpy.ndarray
        Wind and PV capacity factors, 8,760 values each (read-only copies).
    """
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputDataError(path, "weather.source", "dwd_try2010", "the shipped TRY file") from exc
    wind = _wind_cached(str(path), mtime)
    pv = _pv_cached(str(path), mtime, float(lat), float(lon))
    return wind.copy(), pv.copy()


@functools.lru_cache(maxsize=4)
def _weather_cached(path_str: str, mtime_ns: int) -> pd.DataFrame:
    return read_try(Path(path_str))


@functools.lru_cache(maxsize=4)
def _wind_cached(path_str: str, mtime_ns: int) -> np.ndarray:
    return wind_capacity_factor(_weather_cached(path_str, mtime_ns))


@functools.lru_cache(maxsize=64)
def _pv_cached(path_str: str, mtime_ns: int, lat: float, lon: float) -> np.ndarray:
    return pv_capacity_factor(_weather_cached(path_str, mtime_ns), lat, lon)
