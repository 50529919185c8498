"""``export`` command: hourly results and key figures of a results folder as xlsx, CSV or Parquet.

The tables (the same in every format):

``hourly_<site>``
    One row per hour (``time``), one column per site variable of
    ``dispatch.nc``, headed ``<variable> [<unit>]`` (e.g. ``wind_mw [MW]``).
``hourly_system``
    The variables without a site dimension (demand, delivery, price).
``kpis``
    ``kpis.csv`` (one row per weather year), when the folder has it.
``capacities``
    ``capacities.csv`` (one row per site), when the folder has it.

Units in the headers: from the ``units`` attribute of each netCDF variable; for
the columns of ``kpis.csv`` and ``capacities.csv`` from the ending of the
column name (``_mwh`` -> ``MWh``, ``_eur_per_kg`` -> ``EUR/kg``, ``_share`` ->
``1``, ...).  Values are written with pandas' own writers (openpyxl for xlsx, pyarrow for
Parquet): CSV and Parquet keep every bit of the netCDF values; openpyxl writes
16 significant digits (one more than Excel shows), so xlsx values agree to
1e-15 relative.  ``xlsx`` writes one workbook with a
sheet per table; ``csv`` and ``parquet`` write one file per table.  The output
folder (``RESULTS/export`` unless ``--out``) is written atomically; the same
results give the same bytes (the workbook's dates are fixed).
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import xarray as xr

from nzv_energy.errors import NzvInputError
from nzv_energy.results_io import atomic_directory

log = logging.getLogger(__name__)

#: Formats and the file each table goes to (``{table}``) or the single file.
FORMATS: dict[str, str] = {
    "xlsx": "results.xlsx", "csv": "{table}.csv", "parquet": "{table}.parquet"
}

#: Column-name endings and the unit they stand for, first match wins (files keep SI-like units:
#: EUR, not MEUR).
UNIT_ENDINGS: tuple[tuple[str, str], ...] = (
    ("_eur_per_kg", "EUR/kg"),
    ("_eur_per_mwh", "EUR/MWh"),
    ("_eur_per_year", "EUR/a"),
    ("_eur", "EUR"),
    ("_mwh", "MWh"),
    ("_mw", "MW"),
    ("_share", "1"),
    ("_t", "t"),
    ("_h", "h"),
    ("_km", "km"),
    ("hours", "h"),
)

#: Date written into the workbook's properties and zip entries (reproducible bytes).
_FIXED_DATE = datetime(2000, 1, 1)

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

#: Longest sheet name Excel accepts.
_SHEET_CHARS = 31


def unit_of(column: str) -> str:
    """Unit of a table column from its name's ending; ``1`` for counts and ratios."""
    for ending, unit in UNIT_ENDINGS:
        if column.endswith(ending):
            return unit
    return "1"


def header(name: str, unit: str) -> str:
    """Column header with its unit: ``wind_mw [MW]``."""
    return f"{name} [{unit}]"


def hourly_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """One hourly table per site and one of the system-wide variables.

    Parameters
    ----------
    ds
        Hourly results (``time`` and ``site`` dimensions, ``units`` attributes).

    Returns
    -------
    dict
        Table name -> frame indexed by ``time``, columns ``<variable> [<unit>]``.
    """
    time = pd.DatetimeIndex(ds["time"].values, name="time")
    tables: dict[str, pd.DataFrame] = {}
    site_vars = [n for n, v in ds.data_vars.items() if v.dims == ("time", "site")]
    system_vars = [n for n, v in ds.data_vars.items() if v.dims == ("time",)]
    for site in ds["site"].values if "site" in ds.dims else []:
        tables[f"hourly_{site}"] = pd.DataFrame(
            {
                header(str(n), str(ds[n].attrs.get("units", "1"))): ds[n].sel(site=site).values
                for n in site_vars
            },
            index=time,
        )
    if system_vars:
        tables["hourly_system"] = pd.DataFrame(
            {header(str(n), str(ds[n].attrs.get("units", "1"))): ds[n].values for n in system_vars},
            index=time,
        )
    return tables


def _csv_table(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col=0)
    frame.columns = [header(str(c), unit_of(str(c))) for c in frame.columns]
    return frame


def results_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every table an export writes, read from a results folder.

    Raises
    ------
    NzvInputError
        When the folder or its ``dispatch.nc`` is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NzvInputError(
            None, "RESULTS", str(folder), "an existing results folder (written by run or simulate)"
        )
    nc = folder / "dispatch.nc"
    if not nc.is_file():
        raise NzvInputError(
            folder, "dispatch.nc", "missing",
            "a results folder with hourly results in dispatch.nc (written by run or simulate)",
        )
    with xr.open_dataset(nc) as opened:
        tables = hourly_tables(opened.load())
    for name in ("kpis", "capacities"):
        if (folder / f"{name}.csv").is_file():
            tables[name] = _csv_table(folder / f"{name}.csv")
    return tables


def _sheet_names(names: list[str]) -> dict[str, str]:
    """Table -> sheet name of at most 31 characters, unique."""
    sheets: dict[str, str] = {}
    for name in names:
        sheet = name[:_SHEET_CHARS]
        n = 2
        while sheet in sheets.values():
            suffix = f"_{n}"
            sheet = name[: _SHEET_CHARS - len(suffix)] + suffix
            n += 1
        sheets[name] = sheet
    return sheets


def _fixed_zip_dates(data: bytes) -> bytes:
    """The zip archive with every entry dated :data:`_FIXED_DATE` (same data, same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time as the modification date
                content = _MODIFIED.sub(
                    rb"\g<1>" + _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    content,
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One workbook, one sheet per table (index in the first column)."""
    buffer = io.BytesIO()
    sheets = _sheet_names(list(tables))
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=sheets[name])
        props = writer.book.properties
        props.created = props.modified = _FIXED_DATE
        props.creator = "nzv-energy"
        props.lastModifiedBy = None
    path.write_bytes(_fixed_zip_dates(buffer.getvalue()))


def write_csv(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """One CSV file per table, full precision."""
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", lineterminator="\n")


def write_parquet(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """One Parquet file per table (pyarrow), index kept as a column."""
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", engine="pyarrow", index=True)


_WRITERS: dict[str, Callable[[dict[str, pd.DataFrame], Path], None]] = {
    "xlsx": lambda tables, folder: write_xlsx(tables, folder / FORMATS["xlsx"]),
    "csv": write_csv,
    "parquet": write_parquet,
}


def check_format(value: str) -> str:
    """The export format, checked (``--to``)."""
    fmt = str(value).lower().lstrip(".")
    if fmt not in FORMATS:
        raise NzvInputError(None, "--to", value, f"one of {', '.join(FORMATS)}")
    return fmt


def export_results(
    folder: str | Path, fmt: str, out: str | Path | None = None, force: bool = False
) -> Path:
    """Write the tables of a results folder in one format.

    Parameters
    ----------
    folder
        Results folder (``dispatch.nc``; ``kpis.csv`` and ``capacities.csv`` if present).
    fmt
        ``xlsx``, ``csv`` or ``parquet``.
    out
        Output folder; default ``<folder>/export``.
    force
        Replace an existing output folder.

    Returns
    -------
    Path
        The output folder.
    """
    fmt = check_format(fmt)
    tables = results_tables(folder)
    target = Path(out) if out is not None else Path(folder) / "export"
    with atomic_directory(target, force=force) as tmp:
        _WRITERS[fmt](tables, tmp)
    log.info("exported %d tables as %s to %s", len(tables), fmt, target)
    return target


def command(args: argparse.Namespace) -> int:
    """``export RESULTS --to FORMAT``: write hourly results and KPIs for other tools."""
    fmt = check_format(args.to)
    target = export_results(args.results, fmt, out=args.out, force=args.force)
    files = sorted(p.name for p in target.iterdir())
    print(f"exported {args.results} as {fmt} to {target}: {', '.join(files)}")
    return 0


__all__ = [
    "FORMATS",
    "command",
    "export_results",
    "header",
    "hourly_tables",
    "results_tables",
    "unit_of",
    "write_csv",
    "write_parquet",
    "write_xlsx",
]
