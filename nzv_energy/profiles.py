"""Hourly wind and PV capacity factors per site.

Three kinds of profile source are understood:

``entsoe_de``
    Germany-wide onshore-wind and solar capacity factors 2017-2020 from the
    ENTSO-E Transparency Platform (``inputs/de_wind_solar_hourly_2017_2020_entsoe.csv``).
``dwd_try2010``
    A local typical year computed from the DWD test reference year 2010,
    region 4 (``inputs/TRY2010_04_Jahr.dat``) with pvlib and windpowerlib, see
    :mod:`nzv_energy.weather_try`.
a CSV path
    The user's own hourly capacity factors (columns ``wind_cf``, ``pv_cf`` and
    optionally ``<site>_wind_cf`` / ``<site>_pv_cf``).

Built-in profiles are scaled per site and calendar year to the site's
full-load hours when the site sets them (see :func:`scale_to_full_load_hours`).
User CSV profiles are used exactly as given unless the caller asks for the
same scaling (``scale_csv=True``; in a scenario
``weather.scale_csv_to_full_load_hours: true``).

User CSV timestamps are UTC unless they carry an offset or a ``timezone``
(IANA name) is given for the file: local time is then converted to UTC the
standard way, the doubled autumn hour listed twice (first in summer time) and
the skipped spring hour left out.

The time axis is hourly, tz-naive UTC (``datetime64[ns]``), hour-beginning
labels, one full calendar year (8,760 or 8,784 h) per requested year.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import InputDataError, ScenarioError

logger = logging.getLogger(__name__)

INPUTS_DIR: Path = Path(__file__).resolve().parent.parent / "inputs"
"""The project's ``inputs/`` folder (repository root)."""

ENTSOE_FILE = "de_wind_solar_hourly_2017_2020_entsoe.csv"
TRY_FILE = "TRY2010_04_Jahr.dat"

PROFILE_SOURCES = ("entsoe_de", "dwd_try2010")
"""Names of the built-in profile sources."""

_BUILTIN_YEARS: dict[str, tuple[int, ...]] = {
    "entsoe_de": (2017, 2018, 2019, 2020),
    "dwd_try2010": (2010,),
}
_BUILTIN_FILES: dict[str, str] = {"entsoe_de": ENTSOE_FILE, "dwd_try2010": TRY_FILE}

TIME_COLUMNS = ("time", "timestamp", "utc_timestamp")
"""Accepted names of the timestamp column of user CSV files."""

MAX_FILLED_RUN_H = 5
"""Longest run of missing hours in built-in data that is filled (linear interpolation)."""

SOURCE_FIELD = "weather.source"
YEARS_FIELD = "weather.years"
TIMEZONE_FIELD = "weather.timezone"

LOCAL_TIME_HINT_ZONE = "Europe/Berlin"
"""Time zone checked when a UTC file looks like local time (the data of this project)."""

_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")
"""A timestamp that ends in a UTC offset (``Z``, ``+01``, ``+01:00``, ``-0500``)."""

_ENTSOE_CREDIT = (
    "ENTSO-E Transparency Platform: Germany-wide actual generation of onshore wind and "
    "solar / installed capacity, hourly, 2017-2020 UTC"
)
_TRY_CREDIT = "Deutscher Wetterdienst (DWD), Testreferenzjahre 2010, region 4 (Potsdam)"


class SiteProfileLike(Protocol):
    """What :func:`load_capacity_factors` reads from a site."""

    @property
    def lat(self) -> float: ...  # noqa: D102

    @property
    def lon(self) -> float: ...  # noqa: D102

    @property
    def wind_full_load_hours(self) -> float | None: ...  # noqa: D102

    @property
    def pv_full_load_hours(self) -> float | None: ...  # noqa: D102


@dataclass(frozen=True)
class SiteProfileSpec:
    """Where a site is and which annual full-load hours its profiles should reach.

    Parameters
    ----------
    lat
        Latitude, degrees north.
    lon
        Longitude, degrees east.
    wind_full_load_hours
        Target wind full-load hours per calendar year, h/a; ``None`` keeps the
        source profile.
    pv_full_load_hours
        Target PV full-load hours per calendar year, h/a; ``None`` keeps the
        source profile.
    """

    lat: float
    lon: float
    wind_full_load_hours: float | None = None
    pv_full_load_hours: float | None = None


# --------------------------------------------------------------------------- files


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes.

    Parameters
    ----------
    path
        File to hash.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_source(
    source: str | Path,
    builtin: Sequence[str],
    base_dir: Path | None,
    field: str,
) -> str | Path:
    """Return a built-in source name unchanged or the absolute path of a data file.

    Parameters
    ----------
    source
        A built-in name or a file path (relative paths resolve against
        ``base_dir``, else the current directory).
    builtin
        The accepted built-in names.
    base_dir
        Folder for relative paths (usually the scenario file's folder).
    field
        Scenario field reported in errors, e.g. ``weather.source``.

    Returns
    -------
    str or Path
        The built-in name, or the resolved path of an existing file.

    Raises
    ------
    InputDataError
        If ``source`` is neither a built-in name nor an existing file.
    """
    names = ", ".join(repr(n) for n in builtin)
    if isinstance(source, str) and source in builtin:
        return source
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = (Path(base_dir) if base_dir is not None else Path.cwd()) / path
    if path.is_file():
        return path.resolve()
    looks_like_path = isinstance(source, Path) or any(c in str(source) for c in ("/", "\\", "."))
    if looks_like_path:
        raise InputDataError(
            path,
            field,
            str(source),
            f"an existing CSV file (not found), or one of {names}",
        )
    raise InputDataError(None, field, source, f"one of {names}, or the path of a CSV file")


def is_builtin_source(source: str | Path) -> bool:
    """True for a built-in profile source name (``entsoe_de``, ``dwd_try2010``).

    Parameters
    ----------
    source
        ``weather.source``.

    Returns
    -------
    bool
        False for anything else (a CSV path).
    """
    return isinstance(source, str) and source in PROFILE_SOURCES


def input_files(source: str | Path, base_dir: Path | None = None) -> list[Path]:
    """Return the data files a profile source reads (for provenance hashes).

    Parameters
    ----------
    source
        ``entsoe_de``, ``dwd_try2010`` or a CSV path.
    base_dir
        Folder for a relative CSV path.

    Returns
    -------
    list of Path
        Absolute paths.
    """
    resolved = resolve_source(source, PROFILE_SOURCES, base_dir, SOURCE_FIELD)
    if isinstance(resolved, Path):
        return [resolved]
    return [INPUTS_DIR / _BUILTIN_FILES[resolved]]


# --------------------------------------------------------------------------- CSV reading


def _stamp(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class HourlyTable:
    """An hourly table read and checked by :func:`read_hourly_csv`.

    Attributes
    ----------
    path
        The file read.
    time_column
        Name of its timestamp column.
    data
        Float64 values indexed by tz-naive UTC hour (``datetime64[ns]``).
        Shared by a cache: do not modify.
    """

    path: Path
    time_column: str
    data: pd.DataFrame


def read_hourly_csv(
    path: Path,
    value_columns: Sequence[str] | None,
    value_suffixes: Sequence[str] = (),
    bounds: tuple[float, float] = (0.0, 1.0),
    allowed_text: str = "a capacity factor between 0 and 1",
    allow_missing: bool = False,
    skip_other_columns: bool = False,
    timezone: str = "UTC",
    timezone_field: str | None = None,
) -> HourlyTable:
    """Read an hourly CSV file and check every row, naming the culprit on failure.

    Results are cached on the path, modification time and size of the file.

    Parameters
    ----------
    path
        Absolute path of the CSV file.
    value_columns
        Columns that are read as numbers (all must exist); ``None`` reads only
        the columns matched by ``value_suffixes``.
    value_suffixes
        Further columns ending in one of these suffixes are read and checked too.
    bounds
        Inclusive lower and upper bound of every value.
    allowed_text
        What a value may be, in words, for error messages.
    allow_missing
        Accept empty / NaN values and missing hours (built-in data that the
        caller gap-fills); otherwise both are errors.
    skip_other_columns
        Parse only the timestamp and value columns (faster for wide files, but
        rows with surplus fields are then not reported).
    timezone
        IANA time zone of timestamps without a UTC offset (default UTC). Local
        time lists the doubled autumn hour twice, first in summer time, and
        has no row for the skipped spring hour.
    timezone_field
        Scenario field of the file's time zone, named in hints when a UTC file
        looks like local time.

    Returns
    -------
    HourlyTable
        The checked values.

    Raises
    ------
    InputDataError
        Missing or unparsable file, missing column, unparsable timestamp,
        timestamp not on a full hour, local time that does not exist or
        occurs too often, duplicate hour, rows out of order, gap, empty /
        non-numeric value or value out of bounds.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputDataError(path, "file", str(path), "an existing, readable CSV file") from exc
    return _read_hourly_csv_cached(
        str(path),
        stat.st_mtime_ns,
        stat.st_size,
        None if value_columns is None else tuple(value_columns),
        tuple(value_suffixes),
        (float(bounds[0]), float(bounds[1])),
        allowed_text,
        allow_missing,
        skip_other_columns,
        timezone,
        timezone_field,
    )


@functools.lru_cache(maxsize=32)
def _read_hourly_csv_cached(
    path_str: str,
    mtime_ns: int,
    size: int,
    value_columns: tuple[str, ...] | None,
    value_suffixes: tuple[str, ...],
    bounds: tuple[float, float],
    allowed_text: str,
    allow_missing: bool,
    skip_other_columns: bool,
    timezone: str,
    timezone_field: str | None,
) -> HourlyTable:
    path = Path(path_str)
    usecols = (
        (lambda c: _wanted_column(str(c), value_columns, value_suffixes))
        if skip_other_columns
        else None
    )
    try:
        raw = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8",
            usecols=usecols,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputDataError(
            path, "file", str(exc).strip(), "a comma-separated table with one header row"
        ) from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    # Trailing blank lines are harmless; blank lines inside the table are reported.
    blank = (raw == "").all(axis=1).to_numpy()
    n_rows = len(raw) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    raw = raw.iloc[:n_rows]
    if n_rows == 0:
        raise InputDataError(path, "file", "no data rows", "a header row and hourly data rows")

    time_column = next((c for c in TIME_COLUMNS if c in raw.columns), None)
    if time_column is None:
        raise InputDataError(
            path,
            "timestamp column",
            list(raw.columns),
            "a column named "
            + ", ".join(repr(c) for c in TIME_COLUMNS[:-1])
            + f" or {TIME_COLUMNS[-1]!r}",
        )
    columns = list(value_columns or ())
    for col in columns:
        if col not in raw.columns:
            raise InputDataError(
                path, f"column {col!r}", list(raw.columns), f"a column named {col!r}"
            )
    if value_suffixes:
        columns += [
            c
            for c in raw.columns
            if c not in columns and c != time_column and c.endswith(tuple(value_suffixes))
        ]

    # Timestamps: ISO 8601, naive = `timezone`, on full hours, unique, increasing, hourly.
    text = raw[time_column].str.strip()
    times = _parse_times(text, timezone, path, time_column)
    off_hour = times != times.floor("h")
    if off_hour.any():
        i = int(np.argmax(off_hour))
        raise InputDataError(
            path, f"{time_column} at line {i + 2}", text.iloc[i], "a timestamp on a full hour"
        )
    local = timezone != "UTC"
    dup = times.duplicated()
    if dup.any():
        i = int(np.argmax(dup))
        first = int(np.argmax(times == times[i]))
        hint = "" if local else _looks_local(text.iloc[i], "duplicate", timezone_field)
        raise InputDataError(
            path,
            f"{time_column} at line {i + 2}",
            text.iloc[i],
            f"each hour once ({_stamp(times[i])} UTC{_local_text(times[i], timezone)} appears "
            f"twice: lines {first + 2} and {i + 2}){hint}",
        )
    if len(times) > 1:
        step_h = np.diff(times.asi8) / 3.6e12
        back = step_h < 0
        if back.any():
            i = int(np.argmax(back))
            raise InputDataError(
                path,
                f"{time_column} at lines {i + 2}-{i + 3}",
                f"{text.iloc[i]} then {text.iloc[i + 1]}",
                f"rows in increasing time: rows out of order (line {i + 3} is earlier than "
                f"line {i + 2}); sort the rows by time",
            )
        gap = (step_h != 1) & (not allow_missing)
        if gap.any():
            i = int(np.argmax(gap))
            missing = times[i] + pd.Timedelta(hours=1)
            hint = "" if local else _looks_local(text.iloc[i], "gap", timezone_field)
            raise InputDataError(
                path,
                f"{time_column} at line {i + 3}",
                text.iloc[i + 1],
                f"consecutive hourly rows without gaps: no row for {_stamp(missing)} UTC"
                f"{_local_text(missing, timezone)} (previous row {_stamp(times[i])} UTC, "
                f"step {step_h[i]:g} h){hint}",
            )

    # Values.
    data: dict[str, np.ndarray] = {}
    lo, hi = bounds
    for col in columns:
        cells = raw[col].str.strip()
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
        empty = cells.str.lower().isin(("", "nan", "na", "n/a", "null", "none")).to_numpy()
        not_number = np.isnan(values) & ~empty
        if allow_missing:
            not_allowed = not_number
        else:
            not_allowed = np.isnan(values) | np.isinf(values)
        if not_allowed.any():
            i = int(np.argmax(not_allowed))
            raise InputDataError(
                path,
                f"{col} at {_stamp(times[i])}",
                cells.iloc[i],
                f"{allowed_text} (empty, NaN and text values are not allowed)",
            )
        outside = ~np.isnan(values) & ((values < lo) | (values > hi))
        if outside.any():
            i = int(np.argmax(outside))
            raise InputDataError(
                path, f"{col} at {_stamp(times[i])}", float(values[i]), allowed_text
            )
        data[col] = values
    frame = pd.DataFrame(data, index=times)
    frame.index.name = "time"
    return HourlyTable(path=path, time_column=time_column, data=frame)


def _wanted_column(
    name: str, value_columns: tuple[str, ...] | None, value_suffixes: tuple[str, ...]
) -> bool:
    name = name.strip()
    return (
        name in TIME_COLUMNS
        or name in (value_columns or ())
        or bool(value_suffixes and name.endswith(value_suffixes))
    )


def _parse_times(
    text: pd.Series, timezone: str, path: Path, time_column: str
) -> pd.DatetimeIndex:
    """Parse ISO 8601 timestamps to tz-naive UTC; naive ones are in ``timezone``."""
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputDataError(
            path,
            f"{time_column} at line {i + 2}",
            text.iloc[i],
            "an ISO 8601 timestamp such as '2019-03-01 04:00' "
            f"({timezone} unless an offset is given)",
        )
    utc = pd.DatetimeIndex(parsed).tz_convert(None).as_unit("ns")
    if timezone == "UTC":
        return utc
    naive_rows = ~text.str.contains(_OFFSET).to_numpy()
    if not naive_rows.any():
        return utc
    wall = pd.DatetimeIndex(
        pd.to_datetime(text[naive_rows].str.replace("T", " "), format="ISO8601")
    ).as_unit("ns")
    lines = np.flatnonzero(naive_rows) + 2
    n = len(wall)
    skipped = wall.tz_localize(timezone, ambiguous=np.ones(n, bool), nonexistent="NaT").isna()
    if skipped.any():
        i = int(np.argmax(skipped))
        raise InputDataError(
            path,
            f"{time_column} at line {lines[i]}",
            text[naive_rows].iloc[i],
            f"an hour that exists in {timezone}: clocks skip {_stamp(wall[i])} that night "
            "(start of summer time), so a local-time file has no row for it",
        )
    doubled = np.asarray(wall.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").isna())
    summer = np.ones(n, dtype=bool)
    if doubled.any():
        occurrence = pd.Series(wall[doubled]).groupby(wall[doubled]).cumcount().to_numpy()
        if (occurrence > 1).any():
            k = int(np.flatnonzero(doubled)[int(np.argmax(occurrence > 1))])
            raise InputDataError(
                path,
                f"{time_column} at line {lines[k]}",
                text[naive_rows].iloc[k],
                f"each hour once: {_stamp(wall[k])} occurs twice in {timezone} (end of summer "
                "time), so a local-time file lists it twice, not three times",
            )
        summer[doubled] = occurrence == 0
    local = wall.tz_localize(timezone, ambiguous=summer, nonexistent="raise")
    out = utc.to_numpy().copy()
    out[naive_rows] = local.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()
    return pd.DatetimeIndex(out).as_unit("ns")


def _local_text(utc_hour: pd.Timestamp, timezone: str) -> str:
    """`` = 2019-10-27 02:00 CET`` for a local-time file, else ``''``."""
    if timezone == "UTC":
        return ""
    local = pd.Timestamp(utc_hour).tz_localize("UTC").tz_convert(timezone)
    return f" = {local:%Y-%m-%d %H:%M %Z}"


def _looks_local(text: str, kind: str, timezone_field: str | None) -> str:
    """A hint when a duplicate or a gap in a UTC file is a daylight-saving change."""
    if _OFFSET.search(text):
        return ""
    try:
        wall = pd.DatetimeIndex([pd.Timestamp(text.replace("T", " "))]).as_unit("ns")
    except ValueError:
        return ""
    zone = LOCAL_TIME_HINT_ZONE
    if kind == "duplicate":
        probe = wall
        ambiguous = probe.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()[0]
        if not ambiguous:
            return ""
        what = (
            f"{_stamp(wall[0])} occurs twice in {zone} local time when summer time ends"
        )
    else:
        probe = wall + pd.Timedelta(hours=1)
        skipped = probe.tz_localize(
            zone, ambiguous=np.ones(1, bool), nonexistent="NaT"
        ).isna()[0]
        if not skipped:
            return ""
        what = f"{_stamp(probe[0])} does not exist in {zone} local time (summer time starts)"
    option = f"{timezone_field}: {zone}" if timezone_field else f"timezone: {zone}"
    return (
        f". The file looks like local time, not UTC: {what}. Give its time zone "
        f"({option}) or write UTC timestamps"
    )


def coverage_problem(index: pd.DatetimeIndex, year: int) -> str:
    """Describe which hours of a UTC calendar year an hourly index lacks.

    Says when the rows look like the calendar year in local time east of UTC
    (e.g. 2018-12-31 23:00 .. 2019-12-31 22:00 UTC for 2019 in CET), which
    lacks the last hour(s) of the UTC year.

    Parameters
    ----------
    index
        Unique hourly tz-naive UTC timestamps.
    year
        The calendar year wanted.

    Returns
    -------
    str
        E.g. ``no row for its last hour, 2019-12-31 23:00 UTC (1 of 8,760 hours missing)``.
    """
    expected = year_index(year)
    missing = expected[~expected.isin(index)]
    n = len(missing)
    if n == 0:
        return "complete"
    counts = f"{n:,} of {len(expected):,} hours missing"
    tail = n <= 3 and missing.equals(expected[-n:])
    if not tail:
        return f"no row for {_stamp(missing[0])} UTC and later hours ({counts})"
    last = "its last hour" if n == 1 else f"its last {n} hours"
    text = f"no row for {last}, {_stamp(missing[0])} UTC ({counts})"
    before = pd.date_range(
        expected[0] - pd.Timedelta(hours=n), periods=n, freq="h"
    ).as_unit("ns")
    if before.isin(index).all():
        text += (
            f"; the rows {_stamp(before[0])} .. {_stamp(expected[-n - 1])} UTC are calendar "
            f"year {year} in local time (UTC+{n}, e.g. {LOCAL_TIME_HINT_ZONE} in winter): a UTC "
            f"year also needs the hour(s) from {_stamp(missing[0])} UTC"
        )
    return text


def full_years(index: pd.DatetimeIndex) -> tuple[int, ...]:
    """Return the calendar years whose every hour is in ``index``.

    Parameters
    ----------
    index
        Unique hourly tz-naive timestamps.

    Returns
    -------
    tuple of int
        Years in ascending order.
    """
    if len(index) == 0:
        return ()
    counts = pd.Series(1, index=index).groupby(index.year).count()
    return tuple(int(y) for y, n in counts.items() if n == _hours_in_year(int(y)))


def _hours_in_year(year: int) -> int:
    return 8784 if pd.Timestamp(year=year, month=1, day=1).is_leap_year else 8760


def year_index(year: int) -> pd.DatetimeIndex:
    """Return the hourly tz-naive UTC index of one calendar year (``datetime64[ns]``).

    Parameters
    ----------
    year
        Calendar year.

    Returns
    -------
    pandas.DatetimeIndex
        8,760 or 8,784 hour-beginning timestamps.
    """
    return pd.date_range(
        pd.Timestamp(year=year, month=1, day=1), periods=_hours_in_year(year), freq="h"
    ).as_unit("ns")


def fill_short_gaps(series: pd.Series, max_run_h: int = MAX_FILLED_RUN_H) -> pd.Series:
    """Fill runs of at most ``max_run_h`` missing hours; leave longer runs as NaN.

    Interior runs are interpolated linearly between their neighbours; runs at
    the start or end of the series repeat the nearest value.

    Parameters
    ----------
    series
        Hourly values on a complete hourly index.
    max_run_h
        Longest run of consecutive NaN that is filled.

    Returns
    -------
    pandas.Series
        A new series.
    """
    na = series.isna().to_numpy()
    if not na.any():
        return series
    starts = np.flatnonzero(na & ~np.r_[False, na[:-1]])
    ends = np.flatnonzero(na & ~np.r_[na[1:], False]) + 1
    filled = series.interpolate(method="linear", limit_area="inside").ffill().bfill()
    out = series.to_numpy(dtype=np.float64, copy=True)
    for a, b in zip(starts, ends, strict=True):
        if b - a <= max_run_h:
            out[a:b] = filled.to_numpy()[a:b]
    return pd.Series(out, index=series.index, name=series.name)


# --------------------------------------------------------------------------- scaling


def scale_to_full_load_hours(cf: np.ndarray, target_h: float) -> np.ndarray:
    """Scale a capacity-factor series to a target sum (full-load hours).

    Returns ``min(1, a * cf)`` with the unique factor ``a > 0`` for which the
    sum equals ``target_h``. The map is monotone (hour ranks are kept), keeps
    values in [0, 1], is linear while no hour reaches 1, and when scaling up
    clips the best hours at 1. The factor is solved exactly on the sorted
    profile (the sum is piecewise linear in ``a``), so the target is met to
    rounding error.

    Parameters
    ----------
    cf
        Capacity factors in [0, 1], 1-D.
    target_h
        Wanted sum of the result, h; must be positive and at most the number
        of hours with non-zero ``cf``.

    Returns
    -------
    numpy.ndarray
        Scaled capacity factors, float64.

    Raises
    ------
    ValueError
        If the target cannot be reached.
    """
    cf = np.asarray(cf, dtype=np.float64)
    positive = np.sort(cf[cf > 0])[::-1]
    if not target_h > 0 or target_h > positive.size:
        raise ValueError(
            f"target {target_h} h not reachable: {positive.size} hours have non-zero output"
        )
    suffix = np.cumsum(positive[::-1])[::-1]  # suffix[j] = sum of positive[j:]
    tail = np.r_[suffix[1:], 0.0]  # sum of the values after index j
    # Sum of min(1, a*cf) at the breakpoints a_j = 1/positive[j]: j+1 hours at 1.
    at_break = np.arange(1, positive.size + 1) + tail / positive
    j = int(np.searchsorted(at_break, target_h))  # first breakpoint with sum >= target
    j = min(j, positive.size - 1)  # guards rounding when the target is every hour at 1
    # Between breakpoints j-1 and j, the j largest hours sit at 1: sum = j + a * suffix[j].
    factor = (target_h - j) / suffix[j]
    return np.minimum(1.0, factor * cf)


def _scale_columns(
    cf: np.ndarray,
    years_of_rows: np.ndarray,
    target_h: float | None,
    site: str,
    variable: str,
    source_label: str,
) -> np.ndarray:
    if target_h is None:
        return cf
    field = f"sites.{site}.{'wind' if variable == 'wind_cf' else 'pv'}_full_load_hours"
    out = np.empty_like(cf)
    for year in np.unique(years_of_rows):
        rows = years_of_rows == year
        try:
            out[rows] = scale_to_full_load_hours(cf[rows], float(target_h))
        except ValueError as exc:
            n_pos = int(np.count_nonzero(cf[rows] > 0))
            raise ScenarioError(
                None,
                field,
                target_h,
                f"more than 0 and at most {n_pos} h, the hours with non-zero {variable} in "
                f"{source_label} {year}",
            ) from exc
    return out


# --------------------------------------------------------------------------- sources


def available_years(
    source: str | Path, base_dir: Path | None = None, timezone: str = "UTC"
) -> tuple[int, ...]:
    """Return the calendar years a profile source covers completely.

    Parameters
    ----------
    source
        ``entsoe_de`` (2017-2020), ``dwd_try2010`` (2010) or a CSV path.
    base_dir
        Folder for a relative CSV path.
    timezone
        Time zone of a CSV's timestamps without offset.

    Returns
    -------
    tuple of int
        Years in ascending order.
    """
    resolved = resolve_source(source, PROFILE_SOURCES, base_dir, SOURCE_FIELD)
    if isinstance(resolved, str):
        return _BUILTIN_YEARS[resolved]
    table = read_hourly_csv(
        resolved, None, ("wind_cf", "pv_cf"), timezone=timezone, timezone_field=TIMEZONE_FIELD
    )
    return full_years(table.data.index)


def _check_years(
    years: Sequence[int],
    available: tuple[int, ...],
    label: str,
    file: Path | None,
    coverage: str = "",
) -> list[int]:
    """Return the requested years in ascending order or raise naming the allowed ones."""
    if not available:
        allowed = f"a year fully covered by {label}; it covers no full calendar year{coverage}"
    elif len(available) > 1 and available == tuple(range(available[0], available[-1] + 1)):
        allowed = f"one of {available[0]}..{available[-1]} for {label}"
    else:
        allowed = f"one of {', '.join(map(str, available))} for {label}"
    shown = tuple(years) if isinstance(years, Sequence) and not isinstance(years, str) else years
    try:
        wanted = [int(y) for y in years]
        exact = all(int(y) == y for y in years)
    except (TypeError, ValueError) as exc:
        raise InputDataError(file, YEARS_FIELD, shown, allowed) from exc
    if not wanted or not exact or any(y not in available for y in wanted):
        raise InputDataError(file, YEARS_FIELD, shown, allowed)
    if len(set(wanted)) != len(wanted):
        raise InputDataError(file, YEARS_FIELD, shown, "each year once; " + allowed)
    return sorted(wanted)


@functools.lru_cache(maxsize=4)
def _entsoe_years_cached(
    path_str: str, mtime_ns: int, years: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, str]:
    table = read_hourly_csv(
        Path(path_str),
        ("wind_onshore_cf", "solar_cf"),
        allow_missing=True,
        skip_other_columns=True,
    )
    index = pd.DatetimeIndex(np.concatenate([year_index(y).to_numpy() for y in years]))
    span = pd.date_range(
        min(table.data.index[0], index[0]), max(table.data.index[-1], index[-1]), freq="h"
    ).as_unit("ns")
    columns = []
    notes = []
    for col in ("wind_onshore_cf", "solar_cf"):
        full = table.data[col].reindex(span)
        filled = fill_short_gaps(full).reindex(index)
        missing = filled.isna().to_numpy()
        if missing.any():
            i = int(np.argmax(missing))
            raise InputDataError(
                table.path,
                f"{col} at {_stamp(index[i])}",
                "missing",
                f"hourly values; gaps of at most {MAX_FILLED_RUN_H} h are filled by interpolation",
            )
        was_missing = index[full.reindex(index).isna().to_numpy()]
        if len(was_missing):
            shown = ", ".join(_stamp(t) for t in was_missing[:5])
            more = f" and {len(was_missing) - 5} more" if len(was_missing) > 5 else ""
            notes.append(f"{col}: {len(was_missing)} h filled ({shown}{more})")
        values = filled.to_numpy(dtype=np.float64, copy=True)
        values.flags.writeable = False  # shared by the cache
        columns.append(values)
    note = (
        "; ".join(notes) + " by linear interpolation inside the series, nearest value at its ends"
        if notes
        else "no gaps"
    )
    logger.debug("ENTSO-E profiles %s: %s", years, note)
    return columns[0], columns[1], note


def _load_entsoe(years: list[int]) -> tuple[np.ndarray, np.ndarray, str]:
    path = INPUTS_DIR / ENTSOE_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputDataError(path, SOURCE_FIELD, "entsoe_de", "the shipped ENTSO-E file") from exc
    return _entsoe_years_cached(str(path), mtime, tuple(years))


def _load_user_csv(
    path: Path, years: Sequence[int], sites: Mapping[str, SiteProfileLike], timezone: str
) -> tuple[list[int], dict[str, tuple[np.ndarray, np.ndarray]]]:
    table = read_hourly_csv(
        path, None, ("wind_cf", "pv_cf"), timezone=timezone, timezone_field=TIMEZONE_FIELD
    )
    frame = table.data
    available = full_years(frame.index)
    coverage = f" (rows {_stamp(frame.index[0])}..{_stamp(frame.index[-1])} UTC)"
    in_file = set(int(y) for y in np.unique(frame.index.year))
    for year in years:
        if year in in_file and year not in available:
            raise InputDataError(
                path,
                YEARS_FIELD,
                tuple(years),
                f"years the file covers completely{coverage}; {year}: "
                f"{coverage_problem(frame.index, int(year))}",
            )
    wanted = _check_years(years, available, f"file {path.name}", path, coverage)
    index = pd.DatetimeIndex(np.concatenate([year_index(y).to_numpy() for y in wanted]))
    frame = frame.reindex(index)
    out = {}
    for site in sites:
        pair = []
        for var in ("wind_cf", "pv_cf"):
            col = f"{site}_{var}" if f"{site}_{var}" in frame.columns else var
            if col not in frame.columns:
                raise InputDataError(
                    path,
                    f"column {var!r}",
                    list(table.data.columns),
                    f"a column {var!r} (or {site + '_' + var!r} for site {site!r})",
                )
            pair.append(frame[col].to_numpy(dtype=np.float64))
        out[site] = (pair[0], pair[1])
    return wanted, out


def load_capacity_factors(
    source: str | Path,
    years: Sequence[int],
    sites: Mapping[str, SiteProfileLike],
    base_dir: Path | None = None,
    timezone: str = "UTC",
    scale_csv: bool = False,
) -> xr.Dataset:
    """Load hourly wind and PV capacity factors for each site.

    Parameters
    ----------
    source
        ``entsoe_de``, ``dwd_try2010`` or the path of a CSV file (relative
        paths resolve against ``base_dir``, else the current directory).
    years
        Calendar years (UTC), concatenated in ascending order.
    sites
        Site name -> object with ``lat``, ``lon``, ``wind_full_load_hours``
        and ``pv_full_load_hours`` (e.g. :class:`SiteProfileSpec`).
    base_dir
        Folder for a relative CSV path.
    timezone
        IANA time zone of a CSV's timestamps without offset (default UTC).
    scale_csv
        Scale a CSV source to the sites' full-load hours like the built-in
        sources; ``False`` (default) uses the file as given and ignores the
        sites' targets.

    Returns
    -------
    xarray.Dataset
        Dims ``time`` (hourly, tz-naive UTC) and ``site``; float64 variables
        ``wind_cf`` and ``pv_cf`` in [0, 1].

    Raises
    ------
    InputDataError
        Unknown source, bad data file, or years the source does not cover.
    ScenarioError
        Full-load hours a site's profile cannot reach.
    """
    resolved = resolve_source(source, PROFILE_SOURCES, base_dir, SOURCE_FIELD)
    if timezone != "UTC" and not isinstance(resolved, Path):
        raise ScenarioError(None, TIMEZONE_FIELD, timezone, f"UTC for the built-in {resolved}")
    site_names = list(sites)
    raw: dict[str, tuple[np.ndarray, np.ndarray]]
    if resolved == "entsoe_de":
        wanted = _check_years(years, _BUILTIN_YEARS["entsoe_de"], "entsoe_de", None)
        wind_nat, pv_nat, note = _load_entsoe(wanted)
        raw = {s: (wind_nat, pv_nat) for s in site_names}
        label = "entsoe_de"
        credit = _ENTSOE_CREDIT
        wind_src = f"{_ENTSOE_CREDIT}: onshore wind capacity factor (national)"
        pv_src = f"{_ENTSOE_CREDIT}: solar capacity factor (national)"
        processing = f"rows outside the requested UTC years dropped; {note}"
    elif resolved == "dwd_try2010":
        from nzv_energy import weather_try

        wanted = _check_years(years, _BUILTIN_YEARS["dwd_try2010"], "dwd_try2010", None)
        raw = {
            s: weather_try.try_capacity_factors(
                INPUTS_DIR / TRY_FILE, float(sites[s].lat), float(sites[s].lon)
            )
            for s in site_names
        }
        label = "dwd_try2010"
        credit = _TRY_CREDIT
        wind_src = f"{_TRY_CREDIT}; windpowerlib, {weather_try.wind_model_description()}"
        pv_src = f"{_TRY_CREDIT}; pvlib, {weather_try.pv_model_description()}"
        processing = weather_try.TIME_CONVERSION
    else:
        assert isinstance(resolved, Path)
        wanted, raw = _load_user_csv(resolved, years, sites, timezone)
        label = resolved.name
        credit = f"user file {resolved}"
        wind_src = pv_src = credit
        processing = "used as given" + (
            f"; timestamps without offset read as {timezone} local time"
            if timezone != "UTC"
            else ""
        )
    scaled = not isinstance(resolved, Path) or scale_csv
    index = pd.DatetimeIndex(np.concatenate([year_index(y).to_numpy() for y in wanted]))
    wind = np.empty((len(index), len(site_names)))
    pv = np.empty((len(index), len(site_names)))

    years_of_rows = index.year.to_numpy()
    targets = []
    for k, site in enumerate(site_names):
        spec = sites[site]
        w, p = raw[site]
        wind_target = spec.wind_full_load_hours if scaled else None
        pv_target = spec.pv_full_load_hours if scaled else None
        wind[:, k] = _scale_columns(w, years_of_rows, wind_target, site, "wind_cf", label)
        pv[:, k] = _scale_columns(p, years_of_rows, pv_target, site, "pv_cf", label)
        targets.append(f"{site}: wind {_target_text(wind_target)}, pv {_target_text(pv_target)}")

    scaling = (
        (
            "per site and calendar year, cf_scaled = min(1, a * cf) with a solved exactly so "
            "that the annual sum equals the site's target full-load hours; sites without a "
            "target keep the source profile. Targets: " + "; ".join(targets)
        )
        if scaled
        else "none: the CSV file is used as given (weather.scale_csv_to_full_load_hours false)"
    )
    coords = {"time": index.as_unit("ns"), "site": site_names}
    ds = xr.Dataset(
        {
            "wind_cf": (
                ("time", "site"),
                wind,
                {
                    "units": "1",
                    "long_name": "wind capacity factor (power / rated power)",
                    "source": wind_src,
                },
            ),
            "pv_cf": (
                ("time", "site"),
                pv,
                {
                    "units": "1",
                    "long_name": "PV capacity factor (AC power / DC peak power)",
                    "source": pv_src,
                },
            ),
        },
        coords=coords,
        attrs={
            "source": str(source) if isinstance(resolved, Path) else resolved,
            "source_files": "; ".join(str(f) for f in input_files(resolved)),
            "source_credit": credit,
            "years": np.asarray(wanted, dtype=np.int64),
            "time_convention": "UTC, tz-naive, hour-beginning labels",
            "processing": processing,
            "scaling": scaling,
        },
    )
    ds["time"].attrs["long_name"] = "start of hour (UTC)"
    return ds


def _target_text(target: float | None) -> str:
    return "source profile" if target is None else f"{float(target):g} h/a"
