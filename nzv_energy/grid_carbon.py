"""Hourly carbon intensity of grid power and the EU threshold for hydrogen.

The grid intensity of an hour is the *average* intensity of the generation mix:
the generation of every production type times its emission factor, over the
total generation (g CO2e/kWh_el).  The built-in source ``entsoe_de`` applies the
factor table ``inputs/emission_factors.csv`` (one row per production type, with
the kind of factor and its source) to the German generation mix 2017-2020
(``inputs/de_generation_mix_hourly_2017_2020_entsoe.csv``); a user CSV gives the
intensity per hour directly.  Method, factors and the choice of average over
marginal intensity are explained in ``docs/carbon_intensity.md``.

The EU threshold: Commission Delegated Regulation (EU) 2023/1185 (methodology for
greenhouse-gas savings of renewable fuels of non-biological origin) asks for 70 %
savings against the fossil fuel comparator of 94 g CO2e/MJ, i.e. at most
28.2 g CO2e/MJ of fuel (about 3.38 kg CO2e per kg hydrogen, LHV).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG
from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.profiles import read_hourly_csv
from nzv_energy.technology import INPUTS_DIR

if TYPE_CHECKING:
    from nzv_energy.scenario import Scenario
    from nzv_energy.system import SystemInputs

__all__ = [
    "EMISSION_FACTORS_FILE",
    "EU_FOSSIL_COMPARATOR_G_PER_MJ",
    "EU_MIN_SAVINGS_FRACTION",
    "EU_THRESHOLD_G_PER_MJ",
    "GENERATION_MIX_FILE",
    "INTENSITY_COLUMN",
    "GridCarbon",
    "g_per_mj_from_kg_per_kg",
    "import_co2_t",
    "intensity_from_mix",
    "intensity_on",
    "kg_per_kg_from_g_per_mj",
    "load_emission_factors",
    "load_grid_carbon",
]

#: Fossil fuel comparator of Delegated Regulation (EU) 2023/1185, Annex A, g CO2e/MJ.
EU_FOSSIL_COMPARATOR_G_PER_MJ = 94.0
#: Minimum greenhouse-gas savings of RFNBOs, Directive (EU) 2018/2001 Art. 25(2).
EU_MIN_SAVINGS_FRACTION = 0.70
#: The resulting limit, g CO2e/MJ (28.2).
EU_THRESHOLD_G_PER_MJ = EU_FOSSIL_COMPARATOR_G_PER_MJ * (1.0 - EU_MIN_SAVINGS_FRACTION)

#: Hydrogen lower heating value, MJ/kg.
_LHV_MJ_PER_KG = HYDROGEN_LHV_KWH_PER_KG * 3.6

EMISSION_FACTORS_FILE = INPUTS_DIR / "emission_factors.csv"
GENERATION_MIX_FILE = INPUTS_DIR / "de_generation_mix_hourly_2017_2020_entsoe.csv"
#: Column of a user CSV (and of the built-in series' attrs).
INTENSITY_COLUMN = "g_co2e_per_kwh"
#: Built-in source name.
BUILTIN = "entsoe_de"
#: Production types of the mix that are storage, not generation (left out of the average).
STORAGE_TYPES: tuple[str, ...] = ("hydro_pumped_storage",)
#: Largest intensity accepted from a user file, g CO2e/kWh.
MAX_INTENSITY_G_PER_KWH = 2000.0
_FIELD = "economics.grid_carbon_intensity"


def g_per_mj_from_kg_per_kg(kg_per_kg: float | np.ndarray) -> float | np.ndarray:
    """Convert kg CO2e per kg H2 to g CO2e per MJ (LHV, 120 MJ/kg)."""
    return np.asarray(kg_per_kg, dtype=np.float64) * 1000.0 / _LHV_MJ_PER_KG


def kg_per_kg_from_g_per_mj(g_per_mj: float | np.ndarray) -> float | np.ndarray:
    """Convert g CO2e per MJ (LHV) to kg CO2e per kg H2."""
    return np.asarray(g_per_mj, dtype=np.float64) * _LHV_MJ_PER_KG / 1000.0


def load_emission_factors(path: Path = EMISSION_FACTORS_FILE) -> pd.DataFrame:
    """Read the emission factor table.

    Parameters
    ----------
    path
        CSV with columns ``production_type``, ``g_co2e_per_kwh``, ``kind``
        (``life-cycle`` or ``direct``) and ``source``.

    Returns
    -------
    pandas.DataFrame
        Indexed by production type.

    Raises
    ------
    InputDataError
        Missing column, duplicate type, factor not a number in [0, 2000] or
        kind not ``life-cycle``/``direct``.
    """
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise InputDataError(path, "file", str(path), f"a readable CSV ({exc})") from None
    needed = ("production_type", INTENSITY_COLUMN, "kind", "source")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputDataError(path, "columns", list(frame.columns), f"the columns {list(needed)}")
    dup = frame["production_type"].duplicated()
    if dup.any():
        raise InputDataError(path, "production_type", frame["production_type"][dup].iloc[0],
                             "each production type once")
    values = pd.to_numeric(frame[INTENSITY_COLUMN], errors="coerce")
    bad = ~values.between(0.0, MAX_INTENSITY_G_PER_KWH)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(path, f"{INTENSITY_COLUMN} row {i + 2}",
                             frame[INTENSITY_COLUMN].iloc[i], "a number between 0 and 2000")
    kinds = ~frame["kind"].isin(("life-cycle", "direct"))
    if kinds.any():
        i = int(np.flatnonzero(kinds.to_numpy())[0])
        raise InputDataError(path, f"kind row {i + 2}", frame["kind"].iloc[i],
                             "'life-cycle' or 'direct'")
    frame[INTENSITY_COLUMN] = values
    return frame.set_index("production_type")


def intensity_from_mix(mix_mw: pd.DataFrame, factors: pd.DataFrame) -> pd.Series:
    """Average carbon intensity of each hour of a generation mix.

    Parameters
    ----------
    mix_mw
        Generation per production type, columns ``<type>_mw``; NaN = not
        reported (counted as no generation).  Storage types
        (:data:`STORAGE_TYPES`) are left out.
    factors
        :func:`load_emission_factors` table; every generation column needs a row.

    Returns
    -------
    pandas.Series
        ``sum(gen x factor) / sum(gen)`` per hour, g CO2e/kWh.
    """
    columns = [c for c in mix_mw.columns if c.endswith("_mw")
               and c.removesuffix("_mw") not in STORAGE_TYPES]
    types = [c.removesuffix("_mw") for c in columns]
    unknown = [t for t in types if t not in factors.index]
    if unknown:
        raise InputDataError(EMISSION_FACTORS_FILE, "production_type", unknown[0],
                             f"a row for every production type of the mix ({types})")
    gen = mix_mw[columns].fillna(0.0).clip(lower=0.0).to_numpy(np.float64)
    f = factors.loc[types, INTENSITY_COLUMN].to_numpy(np.float64)
    total = gen.sum(axis=1)
    return pd.Series((gen @ f) / total, index=mix_mw.index, name=INTENSITY_COLUMN)


@functools.lru_cache(maxsize=2)
def _builtin_cached(mix_mtime: int, factors_mtime: int) -> pd.Series:
    table = read_hourly_csv(GENERATION_MIX_FILE, None, value_suffixes=("_mw",),
                            bounds=(-1e6, 1e6), allowed_text="generation in MW",
                            allow_missing=True)
    series = intensity_from_mix(table.data, load_emission_factors(EMISSION_FACTORS_FILE))
    full = pd.date_range(series.index[0], series.index[-1] + pd.Timedelta(hours=1), freq="h")
    # the last UTC hour of 2020 lies beyond the file: repeat the hour before (as the profiles)
    return series.reindex(full).ffill(limit=1)


@dataclass(frozen=True)
class GridCarbon:
    """Hourly grid carbon intensity on a scenario's time axis.

    Attributes
    ----------
    g_co2e_per_kwh
        Intensity per hour; NaN in hours the source does not cover.
    files
        Data files read (for provenance hashes).
    description
        Source in words, for reports.
    """

    g_co2e_per_kwh: np.ndarray
    files: tuple[Path, ...]
    description: str


def load_grid_carbon(source: str, time: pd.DatetimeIndex, base_dir: Path | None) -> GridCarbon:
    """The hourly grid carbon intensity of a scenario's hours.

    Parameters
    ----------
    source
        ``entsoe_de`` or a path to a CSV (columns: a timestamp as in the other
        user files, ``g_co2e_per_kwh``).
    time
        Hourly tz-naive UTC time stamps.
    base_dir
        Folder relative paths are resolved against.

    Returns
    -------
    GridCarbon
        NaN where the source has no value (e.g. weather years outside
        2017-2020 for ``entsoe_de``); the caller decides whether that matters.
    """
    if source == BUILTIN:
        series = _builtin_cached(GENERATION_MIX_FILE.stat().st_mtime_ns,
                                 EMISSION_FACTORS_FILE.stat().st_mtime_ns)
        files: tuple[Path, ...] = (GENERATION_MIX_FILE, EMISSION_FACTORS_FILE)
        text = ("average intensity of the German generation mix (ENTSO-E Transparency Platform) "
                "with the life-cycle factors of inputs/emission_factors.csv")
    else:
        path = Path(source)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.exists():
            raise ScenarioError(None, _FIELD, source, f"'{BUILTIN}' or a path to an existing CSV")
        table = read_hourly_csv(path, (INTENSITY_COLUMN,), bounds=(0.0, MAX_INTENSITY_G_PER_KWH),
                                allowed_text="an intensity in g CO2e/kWh between 0 and 2000")
        series = table.data[INTENSITY_COLUMN]
        files = (path,)
        text = f"user file {path.name}"
    values = series.reindex(pd.DatetimeIndex(time)).to_numpy(np.float64)
    return GridCarbon(np.ascontiguousarray(values), files, text)


def check_covered(carbon: GridCarbon, time: pd.DatetimeIndex, source: str) -> None:
    """Refuse a grid intensity with missing hours (needed when grid import is on).

    Raises
    ------
    ScenarioError
        Naming the first hour without a value and the years the source covers.
    """
    missing = np.flatnonzero(~np.isfinite(carbon.g_co2e_per_kwh))
    if missing.size:
        hour = pd.DatetimeIndex(time)[missing[0]]
        years = sorted({int(y) for y in pd.DatetimeIndex(time)[missing].year})
        raise ScenarioError(
            None, _FIELD, source,
            f"a series covering every hour of the weather years with operation.grid_import on "
            f"(no value for {hour:%Y-%m-%d %H:%M} UTC, years {years}; entsoe_de covers "
            "2017-2020)",
        )


def intensity_on(series: pd.Series | None, time: pd.DatetimeIndex, needed_by: str) -> np.ndarray:
    """Grid intensity (g CO2e/kWh) on the given hours, complete.

    Parameters
    ----------
    series
        ``SystemInputs.grid_carbon_g_per_kwh``.
    time
        Hours wanted.
    needed_by
        Scenario field that needs it, named in the error.

    Raises
    ------
    ScenarioError
        No series (inputs aggregated to blocks in fast mode carry none) or an
        hour without a value.
    """
    if series is None:
        raise ScenarioError(
            None, needed_by, "set",
            "optimisation.mode: exact (the grid intensity is hourly; fast mode's blocks "
            "do not carry it)",
        )
    values = series.reindex(pd.DatetimeIndex(time)).to_numpy(np.float64)
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:
        hour = pd.DatetimeIndex(time)[missing[0]]
        raise ScenarioError(
            None, needed_by, "set",
            f"a grid carbon intensity for every hour (none for {hour:%Y-%m-%d %H:%M} UTC; "
            "entsoe_de covers 2017-2020)",
        )
    return values


def import_co2_t(
    series: pd.Series | None, time: pd.DatetimeIndex, import_mw: np.ndarray, weights_h: np.ndarray
) -> float:
    """Emissions of grid imports, t: sum of import x weight x hourly intensity.

    Exactly 0 without imports; NaN when imports meet hours without an intensity
    (or inputs without one, e.g. fast mode's blocks).
    """
    imp = np.asarray(import_mw, dtype=np.float64) * np.asarray(weights_h, dtype=np.float64)
    if not np.any(imp > 0):
        return 0.0
    if series is None:
        return float("nan")
    ci = series.reindex(pd.DatetimeIndex(time)).to_numpy(np.float64)
    return float(np.sum(np.where(imp > 0, imp * ci, 0.0)) / 1000.0)


#: Relative rounding a segment mean of hourly intensities may carry (fast mode).
IMPORT_CARBON_ROUNDING = 1e-12


def import_allowed_hours(scenario: Scenario, inputs: SystemInputs) -> np.ndarray | None:
    """Boolean per snapshot: grid import allowed by the import carbon threshold.

    The threshold is ``operation.import_carbon_threshold_g_per_kwh``; ``None``
    without grid import or without a threshold (no hour is blocked).  A
    snapshot whose grid intensity is above the threshold gets an import bound of
    zero, as in the dispatch rules.  Fast mode's segments never mix hours on both
    sides of the threshold (:mod:`nzv_energy.sizing.aggregation`), so a segment's
    mean is on the side of each of its hours (up to the rounding of the mean).

    Raises
    ------
    ScenarioError
        An hour without a grid intensity.
    """
    threshold = scenario.operation.import_carbon_threshold_g_per_kwh
    if threshold is None or not scenario.operation.grid_import:
        return None
    ci = intensity_on(inputs.grid_carbon_g_per_kwh, inputs.time,
                      "operation.import_carbon_threshold_g_per_kwh")
    return np.asarray(ci <= threshold * (1.0 + IMPORT_CARBON_ROUNDING))
