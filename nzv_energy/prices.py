"""Hourly day-ahead electricity prices on the weather time axis, year by year.

Built-in sources are German day-ahead prices of whole UTC calendar years:

``day_ahead_de``
    Each weather year's own prices: 2017-2020 from
    ``inputs/de_day_ahead_prices_2017_2020.csv`` and 2015 from
    ``inputs/de_day_ahead_prices_2015_2018_smard.csv`` (Bundesnetzagentur |
    SMARD.de, CC BY 4.0; ENTSO-E Transparency Platform). The default.
``smard_2015``, ``smard_2018``
    One year each from the SMARD file.

Both files hold German (CET) delivery years; the UTC calendar year is taken,
and hours without a price are filled with the price of the same hour one
week later (one week earlier when that is missing too), at most 168 h a year:

* 2015: 2015-01-01 00:00 .. 2015-01-04 22:00 UTC (95 h, SMARD has no price for
  the first 96 h of the 2015 delivery year) from one week later;
  2015-12-31 23:00 UTC (1 h, outside the file) from one week earlier.
* 2018 (``smard_2018``): 2018-12-31 23:00 UTC from one week earlier;
  ``day_ahead_de`` 2018 is complete (that hour opens delivery year 2019).
* 2020 (``day_ahead_de``): 2020-10-25 00:00 and 01:00 UTC (empty in the file)
  from one week later; 2020-12-31 23:00 UTC (outside the file) from one week
  earlier.

Price years and weather years must match (``align: same_year``, the default):
each weather year takes the prices of the same calendar year, since prices
fall in windy, sunny hours and laying one year's prices on another year's
weather moves market revenue and the value of flexibility. A different price
year is used only when the scenario says so (``align: hour_of_year``): hour
``k`` of the weather year then gets hour ``k`` of the price year; a leap
weather year (8,784 h) gets the last day of a common price year twice, a leap
price year on a common weather year loses its last day. Weekdays and
holidays do not line up across years; the seasonal and diurnal shape does.
The alignment is recorded in the ``attrs`` of what :func:`load_prices` returns.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.profiles import (
    INPUTS_DIR,
    HourlyTable,
    coverage_problem,
    full_years,
    read_hourly_csv,
    resolve_source,
    year_index,
)
from nzv_energy.scenario import ElectricityPrice

if TYPE_CHECKING:
    from nzv_energy.scenario import Scenario

logger = logging.getLogger(__name__)

SMARD_FILE = "de_day_ahead_prices_2015_2018_smard.csv"
DAY_AHEAD_FILE = "de_day_ahead_prices_2017_2020.csv"

PRICE_SOURCES = ("day_ahead_de", "smard_2015", "smard_2018")
"""Names of the built-in price series."""

DEFAULT_PRICE_SOURCE = "day_ahead_de"

#: Built-in source -> {UTC year: file it is read from}.
BUILTIN_PRICE_YEARS: dict[str, dict[int, str]] = {
    "day_ahead_de": {
        2015: SMARD_FILE,
        2017: DAY_AHEAD_FILE,
        2018: DAY_AHEAD_FILE,
        2019: DAY_AHEAD_FILE,
        2020: DAY_AHEAD_FILE,
    },
    "smard_2015": {2015: SMARD_FILE},
    "smard_2018": {2018: SMARD_FILE},
}

TYPICAL_WEATHER_SOURCES = {"dwd_try2010": "DWD test reference year, a typical year of 1988-2007"}
"""Weather sources whose year is a typical year, not a real one."""

PRICE_COLUMN = "price_eur_per_mwh"
MAX_ABS_PRICE_EUR_PER_MWH = 10_000.0
"""Prices beyond +-10,000 EUR/MWh are taken as a unit or data error."""

MAX_FILLED_PRICE_HOURS = 168
"""At most one week of a built-in price year may be gap-filled."""

PRICE_FIELD = "economics.electricity_price"
TIMEZONE_FIELD = "economics.electricity_price.timezone"
_CREDITS = {
    SMARD_FILE: "Bundesnetzagentur | SMARD.de (CC BY 4.0), day-ahead price Germany",
    DAY_AHEAD_FILE: (
        "Bundesnetzagentur | SMARD.de (CC BY 4.0) and ENTSO-E Transparency Platform, "
        "day-ahead price Germany"
    ),
}
_WEEK_H = 168


def _spec(source: str | Path | ElectricityPrice) -> ElectricityPrice:
    if isinstance(source, ElectricityPrice):
        return source
    return ElectricityPrice(source=str(source))


def input_files(
    source: str | Path | ElectricityPrice,
    base_dir: Path | None = None,
    weather_years: Sequence[int] | None = None,
) -> list[Path]:
    """Return the data files a price source reads (for provenance hashes).

    Parameters
    ----------
    source
        A built-in name, a CSV path or the mapping form of
        ``economics.electricity_price``.
    base_dir
        Folder for a relative CSV path.
    weather_years
        The weather years the prices are laid on: only the files their price years come
        from are listed (all files of the source when None).

    Returns
    -------
    list of Path
        Absolute paths; for a built-in source the files it draws the used years from.
    """
    spec = _spec(source)
    resolved = resolve_source(spec.source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    if isinstance(resolved, Path):
        return [resolved]
    by_year = BUILTIN_PRICE_YEARS[resolved]
    if spec.align == "hour_of_year" and spec.year is not None:
        used = [spec.year]
    elif weather_years is not None and spec.align == "same_year":
        used = list(weather_years)
    elif weather_years is not None and len(by_year) > 1:
        used = [y for y in weather_years if y in by_year] or list(by_year)
    else:
        used = list(by_year)
    names = sorted({by_year[y] for y in used if y in by_year}) or sorted(set(by_year.values()))
    return [INPUTS_DIR / name for name in names]


def _read_prices(path: Path, allow_missing: bool, timezone: str = "UTC") -> HourlyTable:
    return read_hourly_csv(
        path,
        (PRICE_COLUMN,),
        bounds=(-MAX_ABS_PRICE_EUR_PER_MWH, MAX_ABS_PRICE_EUR_PER_MWH),
        allowed_text=(
            f"a price in EUR/MWh between {-MAX_ABS_PRICE_EUR_PER_MWH:,.0f} and "
            f"{MAX_ABS_PRICE_EUR_PER_MWH:,.0f}"
        ),
        allow_missing=allow_missing,
        timezone=timezone,
        timezone_field=TIMEZONE_FIELD,
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


@functools.lru_cache(maxsize=8)
def _builtin_year_cached(path_str: str, mtime_ns: int, year: int) -> tuple[np.ndarray, str]:
    path = Path(path_str)
    prices = _read_prices(path, allow_missing=True).data[PRICE_COLUMN]
    index = year_index(year)
    # one week on either side, so that gaps near the ends are filled from file data
    span = pd.date_range(
        index[0] - pd.Timedelta(hours=_WEEK_H), index[-1] + pd.Timedelta(hours=_WEEK_H), freq="h"
    ).as_unit("ns")
    around = prices.reindex(span)
    raw = around.reindex(index)
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
    filled = fill_from_neighbour_weeks(around).reindex(index)
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
        else f"UTC {year} complete"
    )
    logger.debug("prices %d from %s: %s", year, path.name, note)
    values = filled.to_numpy(dtype=np.float64, copy=True)
    values.flags.writeable = False  # shared by the cache
    return values, note


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


def price_year(source: str, year: int | None = None) -> tuple[pd.Series, str]:
    """Return one UTC calendar year of a built-in price series, gap-filled.

    Parameters
    ----------
    source
        ``day_ahead_de``, ``smard_2015`` or ``smard_2018``.
    year
        UTC calendar year; may be omitted for a one-year source.

    Returns
    -------
    pandas.Series
        Hourly prices, EUR/MWh, indexed by tz-naive UTC hours (8,760 or 8,784 values).
    str
        What was filled.

    Raises
    ------
    InputDataError
        Unknown source or a year the source does not hold.
    """
    if source not in BUILTIN_PRICE_YEARS:
        raise InputDataError(None, PRICE_FIELD, source, f"one of {', '.join(PRICE_SOURCES)}")
    years = BUILTIN_PRICE_YEARS[source]
    if year is None and len(years) == 1:
        year = next(iter(years))
    if year not in years:
        raise InputDataError(
            None, PRICE_FIELD, f"{source} {year}", f"a year of {source}: {_years_text(years)}"
        )
    path = INPUTS_DIR / years[year]
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputDataError(path, PRICE_FIELD, source, "the shipped price file") from exc
    values, note = _builtin_year_cached(str(path), mtime, year)
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


# --------------------------------------------------------------------------- year matching


@dataclass(frozen=True)
class YearMatch:
    """Which price year serves one weather year.

    Attributes
    ----------
    weather_year
        Calendar year of the weather (UTC).
    price_year
        Calendar year of the prices laid on it.
    by_hour_of_year
        True when the prices are laid on by hour of year (a different year, or
        a typical weather year).
    """

    weather_year: int
    price_year: int
    by_hour_of_year: bool


def _years_text(years: Sequence[int] | dict[int, str]) -> str:
    ys = sorted(years)
    if not ys:
        return "none"
    runs: list[str] = []
    start = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(runs)


def _allow_text(spec: ElectricityPrice, price_year: int | None) -> str:
    year = f", year: {price_year}" if price_year is not None else ""
    return f"{{source: {spec.source}, align: hour_of_year{year}}}"


def match_price_years(
    spec: str | ElectricityPrice,
    weather_years: Sequence[int],
    price_years: Sequence[int],
    weather_source: str = "",
) -> list[YearMatch]:
    """Decide which price year serves each weather year, or refuse a silent mismatch.

    Parameters
    ----------
    spec
        ``economics.electricity_price`` (plain form = ``align: same_year``).
    weather_years
        The scenario's weather years.
    price_years
        Calendar years the price source covers completely.
    weather_source
        ``weather.source``; a typical year (``dwd_try2010``) never matches a real
        price year by itself.

    Returns
    -------
    list of YearMatch
        One per weather year, in the given order.

    Raises
    ------
    ScenarioError
        (field ``economics.electricity_price``, no file: the caller adds it) when
        a weather year has no prices of its own year and the scenario does not
        allow another year explicitly, or when the allowed price year is not in
        the source.
    """
    spec = _spec(spec)
    available = sorted(set(int(y) for y in price_years))
    typical = TYPICAL_WEATHER_SOURCES.get(weather_source)
    covers = f"{spec.source} covers {_years_text(available)}"
    out = []
    for w in weather_years:
        w = int(w)
        if spec.align == "same_year":
            if typical is None and w in available:
                out.append(YearMatch(w, w, False))
                continue
            suggestion = None if len(available) == 1 else (available[-1] if available else 2019)
            remedy = (
                ""
                if typical is not None
                else "Use a price series of that year (day_ahead_de: "
                f"{_years_text(BUILTIN_PRICE_YEARS['day_ahead_de'])}), or "
            )
            if typical is not None:
                problem = (
                    f"weather year {w} of {weather_source} is a typical year ({typical}), which "
                    f"no real price year matches ({covers})"
                )
            else:
                problem = f"weather year {w} has no prices of its own year ({covers})"
            raise ScenarioError(
                None,
                PRICE_FIELD,
                spec.source,
                f"{problem}; price and weather years must match (prices fall in windy, sunny "
                f"hours). {remedy or 'To use it anyway, '}allow laying a price year on it by "
                f"hour of year explicitly: electricity_price: {_allow_text(spec, suggestion)}",
            )
        if spec.year is not None:
            price = spec.year
        elif w in available and typical is None:
            price = w
        elif len(available) == 1:
            price = available[0]
        else:
            raise ScenarioError(
                None,
                f"{PRICE_FIELD}.year",
                None,
                f"the price year to lay on weather year {w} ({covers}), e.g. "
                f"electricity_price: {_allow_text(spec, available[-1] if available else 2019)}",
            )
        if price not in available:
            raise ScenarioError(
                None,
                f"{PRICE_FIELD}.year",
                price,
                f"a year the price series holds ({covers})",
            )
        out.append(YearMatch(w, price, price != w or typical is not None))
    return out


def alignment_text(matches: Sequence[YearMatch]) -> str:
    """One sentence: which price year served which weather year, and how.

    Parameters
    ----------
    matches
        From :func:`match_price_years`.

    Returns
    -------
    str
        E.g. ``weather 2019: prices 2019, same year``.
    """
    if len(matches) > 1 and not any(m.by_hour_of_year for m in matches):
        years = _years_text([m.weather_year for m in matches])
        return f"each weather year with its own year's prices: {years}"
    parts = [
        f"weather {m.weather_year}: prices {m.price_year}, "
        + ("laid on by hour of year" if m.by_hour_of_year else "same year")
        for m in matches
    ]
    return "; ".join(parts)


def describe_price_years(scenario: Scenario, scenario_file: str | Path | None = None) -> str:
    """Say which price year serves which weather year (for reports and summaries).

    Parameters
    ----------
    scenario
        A validated scenario.
    scenario_file
        Its file; a relative CSV path resolves against the file's folder.

    Returns
    -------
    str
        E.g. ```day_ahead_de` (weather 2019: prices 2019, same year)``.
    """
    spec = scenario.economics.price_series
    base_dir = Path(scenario_file).resolve().parent if scenario_file is not None else None
    matches = match_price_years(
        spec, scenario.weather.years, _source_years(spec, base_dir), scenario.weather.source
    )
    return f"`{spec}` ({alignment_text(matches)})"


def _source_years(spec: ElectricityPrice, base_dir: Path | None) -> tuple[int, ...]:
    resolved = resolve_source(spec.source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    if isinstance(resolved, str):
        return tuple(BUILTIN_PRICE_YEARS[resolved])
    return full_years(_read_prices(resolved, False, spec.timezone).data.index)


# --------------------------------------------------------------------------- loading


def load_prices(
    source: str | Path | ElectricityPrice,
    time: pd.DatetimeIndex | np.ndarray,
    base_dir: Path | None = None,
    weather_source: str = "",
) -> xr.DataArray:
    """Return hourly day-ahead prices on a weather time axis, each year matched.

    Parameters
    ----------
    source
        ``day_ahead_de``, ``smard_2015``, ``smard_2018``, the path of a CSV
        file, or the mapping form of ``economics.electricity_price``
        (:class:`~nzv_energy.scenario.ElectricityPrice`: source, align, year,
        timezone). A CSV has a timestamp column (``time``, ``timestamp`` or
        ``utc_timestamp``; ISO 8601, in ``timezone`` unless an offset is given)
        and ``price_eur_per_mwh``. Relative paths resolve against
        ``base_dir``, else the current directory.
    time
        Hourly tz-naive UTC timestamps (the ``time`` coordinate of the
        capacity factors); tz-aware values are converted to UTC.
    base_dir
        Folder for a relative CSV path.
    weather_source
        ``weather.source``; a typical weather year (``dwd_try2010``) needs
        ``align: hour_of_year``.

    Returns
    -------
    xarray.DataArray
        ``electricity_price_eur_per_mwh`` (float64, dims ``time``), attrs
        ``units`` (EUR/MWh), ``source``, ``source_credit``, ``processing``,
        ``weather_years`` and ``price_years`` (int arrays, one entry per
        weather year), ``aligned_by_hour_of_year`` (0/1 per weather year) and
        ``price_years_text``.

    Raises
    ------
    ScenarioError
        A weather year without prices of its own year and no explicit
        ``align: hour_of_year`` (field ``economics.electricity_price``).
    InputDataError
        Unknown source or bad price file (NaN, gaps, duplicates, rows out of
        order, non-numbers, ``|price| > 10,000``, a year covered only in part).
    ValueError
        If ``time`` is empty or not on full hours.
    """
    spec = _spec(source)
    index = _as_utc_hours(time)
    weather_years = [int(y) for y in dict.fromkeys(index.year)]
    resolved = resolve_source(spec.source, PRICE_SOURCES, base_dir, PRICE_FIELD)
    values = np.empty(len(index), dtype=np.float64)
    notes: list[str] = []
    if isinstance(resolved, str):
        if spec.timezone != "UTC":
            raise ScenarioError(
                None, TIMEZONE_FIELD, spec.timezone, "UTC for a built-in price series"
            )
        years = BUILTIN_PRICE_YEARS[resolved]
        matches = match_price_years(spec, weather_years, list(years), weather_source)
        files = sorted({years[m.price_year] for m in matches})
        label = resolved
        credit = "; ".join(_CREDITS[f] for f in files)
        for m in matches:
            series, note = price_year(resolved, m.price_year)
            rows = index.year == m.weather_year
            values[rows] = map_by_hour_of_year(series.to_numpy(), index[rows])
            if note not in notes:
                notes.append(note)
    else:
        table = _read_prices(resolved, allow_missing=False, timezone=spec.timezone)
        prices = table.data[PRICE_COLUMN]
        label = str(spec.source)
        credit = f"user file {resolved}"
        positions = prices.index.get_indexer(index)
        in_file = set(int(y) for y in np.unique(prices.index.year))
        if spec.align == "same_year" and (positions >= 0).all() and weather_source not in (
            TYPICAL_WEATHER_SOURCES
        ):
            matches = [YearMatch(w, w, False) for w in weather_years]
            values[:] = prices.to_numpy()[positions]
            notes.append("used as given (file covers every hour)")
        else:
            available = full_years(prices.index)
            for w in weather_years:
                # a weather year the file covers in part: name the hours it lacks
                if spec.align == "same_year" and w in in_file and w not in available:
                    _raise_partial_year(table, w)
            if not available:
                counts = prices.groupby(prices.index.year).size()
                _raise_partial_year(table, int(counts.idxmax()))
            matches = match_price_years(spec, weather_years, available, weather_source)
            for m in matches:
                rows = index.year == m.weather_year
                year_prices = prices.reindex(year_index(m.price_year)).to_numpy()
                values[rows] = map_by_hour_of_year(year_prices, index[rows])
            notes.append("used as given")
        if spec.timezone != "UTC":
            notes.append(f"timestamps without offset read as {spec.timezone} local time")
    text = alignment_text(matches)
    by_hour = [m for m in matches if m.by_hour_of_year]
    processing = "; ".join(notes)
    if by_hour:
        processing += "; " + ", ".join(
            f"price year {m.price_year} mapped onto weather year {m.weather_year}"
            for m in by_hour
        ) + " by hour of year (UTC), as the scenario asks (align: hour_of_year)"
    return xr.DataArray(
        values,
        dims=("time",),
        coords={"time": index},
        name="electricity_price_eur_per_mwh",
        attrs={
            "units": "EUR/MWh",
            "long_name": "day-ahead electricity price",
            "source": label,
            "source_credit": credit,
            "processing": processing,
            "alignment": spec.align,
            "weather_years": np.asarray([m.weather_year for m in matches], dtype=np.int64),
            "price_years": np.asarray([m.price_year for m in matches], dtype=np.int64),
            "aligned_by_hour_of_year": np.asarray(
                [int(m.by_hour_of_year) for m in matches], dtype=np.int64
            ),
            "price_years_text": text,
        },
    )


def _raise_partial_year(table: HourlyTable, year: int) -> None:
    index = table.data.index
    raise InputDataError(
        table.path,
        f"{table.time_column} column",
        f"rows {index[0]:%Y-%m-%d %H:%M}..{index[-1]:%Y-%m-%d %H:%M} UTC",
        f"every hour of UTC year {year}: {coverage_problem(index, year)}",
    )
