"""District-heating networks fed by the lignite plant sites (``inputs/district_heat_networks.csv``).

One row per network: the plant site that feeds it, the town(s), the annual
heat (MWh_th, with a range), the peak (MW_th), the supply and return
temperatures (°C), until when the lignite plant supplies heat, whether the
figures are ``sourced``, ``derived`` from sourced facts or ``assumed``, the
sources and a note on how each figure was obtained. The figures and their
reasoning are in ``docs/district_heat.md``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from nzv_energy.errors import InputDataError

INPUTS_DIR = Path(__file__).resolve().parent.parent.parent / "inputs"
NETWORKS_FILE = INPUTS_DIR / "district_heat_networks.csv"
"""The shipped table of district-heating networks."""

COLUMNS = (
    "network",
    "site",
    "towns",
    "operator",
    "annual_heat_mwh",
    "annual_heat_mwh_min",
    "annual_heat_mwh_max",
    "peak_mw_th",
    "supply_temperature_c",
    "return_temperature_c",
    "lignite_heat_until",
    "basis",
    "source",
    "note",
)
"""Columns of the table, in order."""

SITES = ("jaenschwalde", "schwarze_pumpe", "boxberg")
"""Plant sites a network may be fed from."""

BASES = ("sourced", "derived", "assumed")
"""How a row's figures were obtained."""

_NUMERIC = {
    "annual_heat_mwh": (1.0, 1e8),
    "annual_heat_mwh_min": (1.0, 1e8),
    "annual_heat_mwh_max": (1.0, 1e8),
    "peak_mw_th": (0.1, 1e5),
    "supply_temperature_c": (40.0, 180.0),
    "return_temperature_c": (10.0, 120.0),
}


def read_networks(path: Path = NETWORKS_FILE) -> pd.DataFrame:
    """Read and check the district-heating network table.

    Parameters
    ----------
    path
        The CSV file (default: the shipped ``inputs/district_heat_networks.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per network, indexed by ``network``; numeric columns float64,
        ``lignite_heat_until`` a timestamp.

    Raises
    ------
    InputDataError
        Missing file or column, duplicate network, unknown site or basis,
        number out of range, range not around the central value, return not
        below supply, empty source.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
            header = tuple(rows[0].keys()) if rows else ()
    except OSError as exc:
        raise InputDataError(path, "file", str(path), "an existing CSV file") from exc
    if header != COLUMNS:
        raise InputDataError(path, "header", ",".join(header), f"the columns {','.join(COLUMNS)}")
    seen: set[str] = set()
    records = []
    for line, row in enumerate(rows, start=2):
        name = row["network"].strip()
        if not name or name in seen:
            raise InputDataError(path, f"line {line} network", name, "a unique, non-empty name")
        seen.add(name)
        if row["site"] not in SITES:
            raise InputDataError(path, f"{name}.site", row["site"], f"one of {', '.join(SITES)}")
        if row["basis"] not in BASES:
            raise InputDataError(path, f"{name}.basis", row["basis"], f"one of {', '.join(BASES)}")
        if not row["source"].strip():
            raise InputDataError(path, f"{name}.source", row["source"], "a non-empty source")
        record: dict[str, object] = dict(row)
        for column, (lo, hi) in _NUMERIC.items():
            try:
                value = float(row[column])
            except ValueError:
                value = float("nan")
            if not lo <= value <= hi:
                raise InputDataError(
                    path, f"{name}.{column}", row[column], f"a number between {lo:g} and {hi:g}"
                )
            record[column] = value
        if not (
            record["annual_heat_mwh_min"]  # type: ignore[operator]
            <= record["annual_heat_mwh"]
            <= record["annual_heat_mwh_max"]
        ):
            raise InputDataError(
                path,
                f"{name}.annual_heat_mwh",
                row["annual_heat_mwh"],
                "a value between annual_heat_mwh_min and annual_heat_mwh_max",
            )
        if record["return_temperature_c"] >= record["supply_temperature_c"]:  # type: ignore[operator]
            raise InputDataError(
                path,
                f"{name}.return_temperature_c",
                row["return_temperature_c"],
                "a return temperature below the supply temperature",
            )
        try:
            record["lignite_heat_until"] = pd.Timestamp(row["lignite_heat_until"])
        except ValueError as exc:
            raise InputDataError(
                path, f"{name}.lignite_heat_until", row["lignite_heat_until"], "a date YYYY-MM-DD"
            ) from exc
        records.append(record)
    if not records:
        raise InputDataError(path, "rows", 0, "at least one network")
    frame = pd.DataFrame.from_records(records).set_index("network")
    frame.attrs["source_file"] = path.name
    return frame
