"""Hourly day-ahead electricity prices aligned to the weather time axis.

Built-in sources are the German day-ahead prices of one UTC calendar year from
``inputs/de_day_ahead_prices_2015_2018_smard.csv`` (Bundesnetzagentur |
SMARD.de, CC BY 4.0): ``smard_2015`` and ``smard_2018``. The file holds the
German (CET) delivery years, i.e. 2014-12-31 23:00 .. 2015-12-31 22:00 UTC and
2017-12-31 23:00 .. 2018-12-31 22:00 UTC. The UTC calendar year is taken,
which leaves hours without a price; those are filled with the price of the
same hour one week later (one week earlier when that is missing too):

* 2015: 2015-01-01 00:00 .. 2015-01-04 22:00 UTC (95 h, SMARD has no price for
  the first 96 h of the 2015 delivery year) from one week later;
  2015-12-31 23:00 UTC (1 h, outside the file) from one week earlier.
* 2018: 2018-12-31 23:00 UTC (1 h) from one week earlier.

A price year is mapped onto each weather year by hour of year (UTC): hour
``k`` of the weather year gets hour ``k`` of the price year. A leap weather
year (8,784 h) gets the last day of the price year twice (its hours
8,761-8,784 repeat hours 8,737-8,760); a leap price year on a common weather
year loses its last day. Weekdays and holidays therefore do not line up
across years; the seasonal and diurnal shape does.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import InputDataError
from nzv_energy.profiles import (
    INPUTS_DIR,
    HourlyTable,
    read_hourly_csv,
    resolve_source,
    year_index,
)

logger = logging.getLogger(__name__)

SMARD_FILE = "de_day_ahead_prices_2015_2018_smard.csv"

PRICE_SOURCES = ("smard_2015", "smard_2018")
"""Names of the built-in price series (UTC calendar year of the SMARD file)."""

_BUILTIN_YEAR = {"smard_2015": 2015, "smard_2018": 2018}

PRICE_COLUMN = "price_eur_per_mwh"
MAX_ABS_PRICE_EUR_PER_MWH = 10_000.0
"""Prices beyond +-10,000 EUR/MWh are taken as a unit or data error."""

MAX_FILLED_PRICE_HOURS = 168
"""At most one week of a built-in price year may be gap-filled."""

PRICE_FIELD = "economics.electricity_price"
_SMARD_CREDIT = "Bundesnetzagentur | SMARD.de (CC BY 4.0), day-ahead price Germany"
_WEEK_H = 168


def input_files(source: str | Path, base_dir: Path | None = None) -> list[Path]:
    """Return the data files a price source reads (for provenance hashes).

    Parameters
    ----------
    source
        ``smard_2015``, ``smard_2018`` or a CSV path.
    base_dir
        Folder for a relative CSV path.

    Returns
    -------
    list of Path
        Absolute paths.
    """
    resolved = resolve_source(source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    if isinstance(resolved, Path):
        return [resolved]
    return [INPUTS_DIR / SMARD_FILE]


def _read_prices(path: Path, allow_missing: bool) -> HourlyTable:
    return read_hourly_csv(
        path,
        (PRICE_COLUMN,),
        bounds=(-MAX_ABS_PRICE_EUR_PER_MWH, MAX_ABS_PRICE_EUR_PER_MWH),
        allowed_text=(
            f"a price in EUR/MWh between {-MAX_ABS_PRICE_EUR_PER_MWH:,.0f} and "
            f"{MAX_ABS_PRICE_EUR_PER_MWH:,.0f}"
        ),
        allow_missing=allow_missing,
    )


def fill_from_neighbour_weeks(series: pd.Series) -> pd.Series:
    """Fill missing hours with the same hour one week later, else one week earlier.

    Parameters
    ----------
    series
        Hourly values on a complete hourly index; NaN = missing.

    Returns
    -------
    pandas.Series
        A new series; hours whose both neighbour weeks are missing stay NaN.
    """
    values = series.to_numpy(dtype=np.float64, copy=True)
    later = np.full_like(values, np.nan)
    earlier = np.full_like(values, np.nan)
    later[:-_WEEK_H] = values[_WEEK_H:]
    earlier[_WEEK_H:] = values[:-_WEEK_H]
    missing = np.isnan(values)
    values[missing] = np.where(np.isnan(later), earlier, later)[missing]
    return pd.Series(values, index=series.index, name=series.name)


@functools.lru_cache(maxsize=4)
def _smard_year_cached(path_str: str, mtime_ns: int, year: int) -> tuple[np.ndarray, str]:
    path = Path(path_str)
    prices = _read_prices(path, allow_missing=True).data[PRICE_COLUMN]
    index = year_index(year)
    raw = prices.reindex(index)
    missing = raw.isna().to_numpy()
    n_missing = int(missing.sum())
    if n_missing > MAX_FILLED_PRICE_HOURS:
        raise InputDataError(
            path,
            f"{PRICE_COLUMN} in {year}",
            f"{n_missing} hours without price",
            f"at most {MAX_FILLED_PRICE_HOURS} missing hours per UTC year (filled from the "
            "neighbouring week)",
        )
    filled = fill_from_neighbour_weeks(raw)
    left = filled.isna().to_numpy()
    if left.any():
        i = int(np.argmax(left))
        raise InputDataError(
            path,
            f"{PRICE_COLUMN} at {index[i]:%Y-%m-%d %H:%M}",
            "missing",
            "a price in that hour or the same hour one week later or earlier",
        )
    stamps = index[missing]
    note = (
        f"{n_missing} h of UTC {year} without price filled from the same hour one week later "
        f"(else earlier): {_ranges_text(stamps)}"
        if n_missing
        else "complete"
    )
    logger.debug("SMARD prices %d: %s", year, note)
    return filled.to_numpy(), note


def _ranges_text(stamps: pd.DatetimeIndex) -> str:
    """Describe sorted hourly timestamps as ranges, e.g. '2015-01-01 00:00..2015-01-04 22:00'."""
    if len(stamps) == 0:
        return ""
    hours = stamps.asi8 // 3_600_000_000_000
    breaks = np.flatnonzero(np.diff(hours) != 1)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(stamps) - 1]
    parts = []
    for a, b in zip(starts, ends, strict=True):
        first, last = stamps[a], stamps[b]
        parts.append(
            f"{first:%Y-%m-%d %H:%M}"
            if a == b
            else f"{first:%Y-%m-%d %H:%M}..{last:%Y-%m-%d %H:%M}"
        )
    return ", ".join(parts)


def price_year(source: str, base_dir: Path | None = None) -> tuple[pd.Series, str]:
    """Return a built-in price series for its full UTC calendar year, gap-filled.

    Parameters
    ----------
    source
        ``smard_2015`` or ``smard_2018``.
    base_dir
        Unused for built-in names; accepted for symmetry.

    Returns
    -------
    pandas.Series
        Hourly prices, EUR/MWh, indexed by tz-naive UTC hours (8,760 values).
    str
        What was filled.
    """
    resolved = resolve_source(source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    if not isinstance(resolved, str):
        raise InputDataError(None, PRICE_FIELD, source, f"one of {PRICE_SOURCES}")
    path = INPUTS_DIR / SMARD_FILE
    year = _BUILTIN_YEAR[resolved]
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputDataError(path, PRICE_FIELD, source, "the shipped SMARD price file") from exc
    values, note = _smard_year_cached(str(path), mtime, year)
    return pd.Series(values.copy(), index=year_index(year), name=PRICE_COLUMN), note


def map_by_hour_of_year(year_prices: np.ndarray, time: pd.DatetimeIndex) -> np.ndarray:
    """Map one calendar year of hourly values onto arbitrary hours by hour of year.

    Parameters
    ----------
    year_prices
        8,760 or 8,784 hourly values starting 1 January 00:00 UTC.
    time
        Tz-naive UTC timestamps on full hours.

    Returns
    -------
    numpy.ndarray
        ``year_prices[k]`` for the hour of year ``k`` of each timestamp; hours
        beyond the price year's length repeat its last day (``k - 24``).
    """
    n = len(year_prices)
    start = pd.DatetimeIndex(time.year.astype(str) + "-01-01").as_unit("ns")
    hour = ((time.as_unit("ns") - start) // pd.Timedelta(hours=1)).to_numpy(dtype=np.int64)
    hour = np.where(hour >= n, hour - 24, hour)
    return np.asarray(year_prices, dtype=np.float64)[hour]


def _as_utc_hours(time: pd.DatetimeIndex | np.ndarray) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(time)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    index = index.as_unit("ns")
    if len(index) == 0:
        raise ValueError("time must hold at least one hour")
    if index.hasnans or (index != index.floor("h")).any():
        raise ValueError("time must hold timestamps on full hours (UTC)")
    return index


def load_prices(
    source: str | Path,
    time: pd.DatetimeIndex | np.ndarray,
    base_dir: Path | None = None,
) -> xr.DataArray:
    """Return hourly day-ahead prices aligned to a weather time axis.

    Parameters
    ----------
    source
        ``smard_2015``, ``smard_2018`` or the path of a CSV file with a
        timestamp column (``time``, ``timestamp`` or ``utc_timestamp``; ISO
        8601, UTC unless an offset is given) and ``price_eur_per_mwh``. The CSV
        either holds every hour of ``time`` (values used as they are) or
        exactly one full calendar year (mapped by hour of year like the
        built-in series). Relative paths resolve against ``base_dir``, else
        the current directory.
    time
        Hourly tz-naive UTC timestamps (the ``time`` coordinate of the
        capacity factors); tz-aware values are converted to UTC.
    base_dir
        Folder for a relative CSV path.

    Returns
    -------
    xarray.DataArray
        ``electricity_price_eur_per_mwh`` (float64, dims ``time``), attrs
        ``units`` (EUR/MWh), ``source``, ``processing``.

    Raises
    ------
    InputDataError
        Unknown source or bad price file (NaN, gaps, duplicates, non-numbers,
        ``|price| > 10,000``, file that neither covers ``time`` nor is one full
        calendar year).
    ValueError
        If ``time`` is empty or not on full hours.
    """
    index = _as_utc_hours(time)
    resolved = resolve_source(source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    if isinstance(resolved, str):
        year_series, note = price_year(resolved)
        values = map_by_hour_of_year(year_series.to_numpy(), index)
        label = resolved
        credit = f"{_SMARD_CREDIT}, UTC year {_BUILTIN_YEAR[resolved]}"
        processing = f"{note}; mapped onto the weather years by hour of year (UTC)"
    else:
        table = _read_prices(resolved, allow_missing=False)
        prices = table.data[PRICE_COLUMN]
        label = str(source)
        credit = f"user file {resolved}"
        positions = prices.index.get_indexer(index)
        if (positions >= 0).all():
            values = prices.to_numpy()[positions]
            processing = "used as given (file covers every hour)"
        else:
            years = np.unique(prices.index.year)
            one_year = len(years) == 1 and prices.index.equals(year_index(int(years[0])))
            if not one_year:
                first_missing = index[int(np.argmax(positions < 0))]
                raise InputDataError(
                    resolved,
                    f"{table.time_column} column",
                    f"rows {prices.index[0]:%Y-%m-%d %H:%M}..{prices.index[-1]:%Y-%m-%d %H:%M} "
                    f"UTC, no row for {first_missing:%Y-%m-%d %H:%M}",
                    "rows for every hour of the weather years, or exactly one full UTC "
                    "calendar year (mapped by hour of year)",
                )
            values = map_by_hour_of_year(prices.to_numpy(), index)
            processing = f"year {int(years[0])} mapped onto the weather years by hour of year"
    return xr.DataArray(
        np.asarray(values, dtype=np.float64),
        dims=("time",),
        coords={"time": index},
        name="electricity_price_eur_per_mwh",
        attrs={
            "units": "EUR/MWh",
            "long_name": "day-ahead electricity price",
            "source": label,
            "source_credit": credit,
            "processing": processing,
        },
    )
