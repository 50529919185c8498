"""Put several results folders side by side: what differs in their inputs, then their results.

``compare`` reads the folders written by ``run``, ``simulate``, ``vpp`` and
``sweep`` (each recognised by its files, whatever the folder is called):

========== ======================================= =========================================
kind       key figures from                        scenario from
========== ======================================= =========================================
run        ``kpis.csv`` (mean over weather years)  ``dispatch.nc`` attribute ``scenario_yaml``
simulate   ``kpis.csv`` (mean over weather years)  ``dispatch.nc`` attribute ``scenario_yaml``
vpp        ``comparison.csv`` (optimised schedule) ``dispatch.nc`` attribute ``scenario_yaml``
sweep      ``kpis.nc``: the design with the lowest ``base_scenario.yaml`` with the design's
           system net cost per kg meeting 99 % of  swept values
           demand, means over weather years/draws
========== ======================================= =========================================

Capacities are summed over sites (``capacities.csv``, or the scenario's fixed
capacities where a folder has none).  The input differences are the scenario
keys whose values differ between the folders (dotted paths such as
``sites.boxberg.electrolysis_mw``).  Everything is written to the comparison
folder in full (``comparison.csv``, ``input_differences.csv``); the text
printed stays within 100 columns and points to those files for what it leaves out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from nzv_energy.errors import InputDataError
from nzv_energy.report.figures import draw_comparison
from nzv_energy.report.formatting import runs_text, text_table
from nzv_energy.results_io import atomic_directory
from nzv_energy.scenario import CAPACITY_FIELDS

#: KPI columns compared (mean over weather years).
KPI_COLUMNS = (
    "system_net_cost_per_kg_h2_eur_per_kg",
    "demand_met_share",
    "unserved_hydrogen_mwh",
    "hydrogen_delivered_mwh",
    "co2_emissions_t",
    "gas_backup_natural_gas_mwh",
    "rfnbo_share",
    "curtailment_share",
    "grid_import_mwh",
    "grid_export_mwh",
)

#: Capacity columns summed over sites from the scenario where ``capacities.csv`` lacks them.
SITE_CAPACITIES = (*CAPACITY_FIELDS, "grid_connection_mw", "local_demand_mw")

#: Key figures that grow with the hours simulated (scaled to a year for shorter runs).
PER_PERIOD = (
    "unserved_hydrogen_mwh",
    "hydrogen_delivered_mwh",
    "co2_emissions_t",
    "gas_backup_natural_gas_mwh",
    "grid_import_mwh",
    "grid_export_mwh",
)

#: Hours of a year, the period the key figures of ``kpis.csv`` cover.
HOURS_PER_YEAR = 8760.0

#: Folder names that only say which command wrote a folder (the parent names the run).
COMMAND_NAMES = frozenset({"run", "simulate", "optimise", "vpp", "sweep"})

#: Share of hydrogen demand a sweep design must meet to be the one compared.
SWEEP_DEMAND_MET = 0.99

#: Widest cell of the input differences in the printed text, characters.
MAX_CELL = 28

#: Most input differences printed (all are in ``input_differences.csv``).
MAX_DIFFERENCES = 40

#: Scenario keys left out of the differences (free text).
IGNORED_KEYS = frozenset({"description"})

_ALLOWED = "a results folder written by 'run', 'simulate', 'vpp' or 'sweep'"


@dataclass
class ResultsFolder:
    """What ``compare`` reads from one results folder.

    Attributes
    ----------
    path
        The folder.
    kind
        ``run``, ``simulate``, ``vpp`` or ``sweep``.
    row
        Capacities summed over sites and mean key figures.
    inputs
        The scenario as run, flattened to dotted keys (sweeps: with the
        compared design's values).
    hours
        Hours simulated per weather year (NaN if unknown).
    note
        What the row stands for, e.g. the design a sweep is compared by.
    swept
        Keys of ``inputs`` that a sweep varied (their value is the design's).
    """

    path: Path
    kind: str
    row: pd.Series
    inputs: dict[str, Any]
    hours: float = math.nan
    note: str = ""
    swept: set[str] = field(default_factory=set)


@dataclass
class Comparison:
    """Result of :func:`compare_results`.

    Attributes
    ----------
    table
        One row per folder (index: its label): capacities and key figures.
    differences
        One row per scenario key that differs (index: dotted key), one
        column per folder label; values as text, ``–`` where a key is absent.
    folders
        The folders read, by label.
    """

    table: pd.DataFrame
    differences: pd.DataFrame
    folders: dict[str, ResultsFolder] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def folder_kind(folder: Path) -> str:
    """Which command wrote a results folder, from the files it holds.

    Raises
    ------
    InputDataError
        The folder does not exist or holds none of the known file sets.
    """
    if not folder.is_dir():
        raise InputDataError(folder, "folder", "missing", _ALLOWED)
    if (folder / "sweep.yaml").exists() and any(
        (folder / n).exists() for n in ("kpis.nc", "kpis.zarr")
    ):
        return "sweep"
    if (folder / "dispatch_rule_based.nc").exists() and (folder / "comparison.csv").exists():
        return "vpp"
    if (folder / "kpis.csv").exists() and (folder / "capacities.csv").exists():
        written_by_run = any((folder / n).exists() for n in ("report.md", "scenario_sized.yaml"))
        return "run" if written_by_run else "simulate"
    missing = "kpis.csv" if not (folder / "kpis.csv").exists() else "capacities.csv"
    raise InputDataError(folder, missing, "missing", _ALLOWED)


@dataclass(frozen=True)
class Range:
    """A capacity given as ``{min, max}``: sized by the optimiser, no fixed value."""

    low: Any
    high: Any

    def __str__(self) -> str:
        return f"{_text(self.low)} .. {_text(self.high)}"


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys; ``{min, max}`` ranges stay one value."""
    if not isinstance(tree, Mapping):
        return {prefix: tree} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and set(value) == {"min", "max"}:
            out[path] = Range(value["min"], value["max"])
        elif isinstance(value, Mapping) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def _scenario_from_netcdf(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with xr.open_dataset(path) as ds:
        text = ds.attrs.get("scenario_yaml", "")
    return _scenario_from_text(text, path)


def _scenario_from_text(text: str, source: Path) -> dict[str, Any]:
    if not text:
        return {}
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InputDataError(
            source, "scenario_yaml", "not YAML", f"the scenario as YAML ({err})"
        ) from None
    return flatten(tree) if isinstance(tree, Mapping) else {}


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def capacities_from_inputs(inputs: Mapping[str, Any]) -> pd.Series:
    """Fixed capacities summed over sites from a flattened scenario (NaN where sized).

    A capacity given as a range (``{min, max}``) is sized by the optimiser and
    has no fixed value; its sum is NaN.
    """
    sites = sorted(
        {k.split(".")[1] for k in inputs if k.startswith("sites.") and k.count(".") >= 2}
    )
    row = {}
    for column in SITE_CAPACITIES:
        # a pipeline not given is derived from the electrolyser: no value in the scenario
        default = None if column == "pipeline_mw" else 0.0
        values = [_number(inputs.get(f"sites.{s}.{column}", default)) for s in sites]
        if sites and not (column == "pipeline_mw" and np.isnan(values).all()):
            row[column] = float(np.sum(values))  # NaN when one site's value is a range
    storage = [_number(v) for k, v in inputs.items() if k.startswith("hydrogen.storage_mwh.")]
    if storage:
        row["hydrogen_storage_mwh"] = float(np.sum(storage))
    return pd.Series(row, dtype=np.float64)


def _kpi_means(frame: pd.DataFrame) -> pd.Series:
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    return pd.Series(
        {c: float(numeric[c].mean()) for c in KPI_COLUMNS if c in numeric}, dtype=np.float64
    )


def _read_run(folder: Path, kind: str) -> ResultsFolder:
    caps = pd.read_csv(folder / "capacities.csv", index_col=0)
    kpis = pd.read_csv(folder / "kpis.csv", index_col=0)
    row = caps.apply(pd.to_numeric, errors="coerce").sum(axis=0)
    hours = (
        float(pd.to_numeric(kpis["hours"], errors="coerce").mean()) if "hours" in kpis
        else math.nan
    )
    inputs = _scenario_from_netcdf(folder / "dispatch.nc")
    extra = capacities_from_inputs(inputs)
    row = pd.concat([row, extra.drop([c for c in extra.index if c in row.index]),
                     _kpi_means(kpis)])
    return ResultsFolder(folder, kind, row, inputs, hours)


def _read_vpp(folder: Path) -> ResultsFolder:
    table = pd.read_csv(folder / "comparison.csv", index_col=0)
    if "optimised" not in table.columns:
        raise InputDataError(folder / "comparison.csv", "optimised", "missing column", _ALLOWED)
    values = pd.to_numeric(table["optimised"], errors="coerce")
    inputs = _scenario_from_netcdf(folder / "dispatch.nc")
    kpis = pd.Series({c: float(values[c]) for c in KPI_COLUMNS if c in values.index}, dtype=float)
    hours = math.nan
    if (folder / "dispatch.nc").exists():
        with xr.open_dataset(folder / "dispatch.nc") as ds:
            hours = float(ds.sizes.get("time", math.nan))
    note = "optimised schedule"
    if math.isfinite(hours) and hours > 0 and hours != HOURS_PER_YEAR:
        # the other folders give energies per weather year: the same rate here
        scale = HOURS_PER_YEAR / hours
        scaled = [c for c in PER_PERIOD if c in kpis.index]
        kpis[scaled] = kpis[scaled] * scale
        note += f"; energies and CO2 of its {hours:,.0f} h scaled to a year (x {scale:.3g})"
    row = pd.concat([capacities_from_inputs(inputs), kpis])
    return ResultsFolder(folder, "vpp", row, inputs, hours, note)


def _read_sweep(folder: Path) -> ResultsFolder:
    from nzv_energy.sweep.members import DRAW_DIM, YEAR_DIM
    from nzv_energy.sweep.results import DEMAND_MET, LCOH

    path = folder / "kpis.nc"
    ds = xr.open_dataset(path) if path.exists() else xr.open_zarr(folder / "kpis.zarr")
    inputs = flatten(yaml.safe_load((folder / "base_scenario.yaml").read_text("utf-8")) or {})
    with ds:
        kpis = [c for c in KPI_COLUMNS if c in ds]
        means = ds[kpis].mean([d for d in (YEAR_DIM, DRAW_DIM) if d in ds.dims]).load()
        hours = float(ds["hours"].mean()) if "hours" in ds else math.nan
        designs = [str(d) for d in means.dims]
        swept: set[str] = set()
        note = "mean of all members"
        values = {c: float(means[c].mean()) for c in kpis}
        if designs and LCOH in means and DEMAND_MET in means:
            cost = means[LCOH].where(means[DEMAND_MET] >= SWEEP_DEMAND_MET).transpose(*designs)
            if np.isfinite(cost.values).any():
                flat = int(np.argmin(np.nan_to_num(cost.values, nan=np.inf)))
                note = (
                    "design with the lowest system net cost meeting "
                    f"{100 * SWEEP_DEMAND_MET:g} % of demand"
                )
            else:
                met = means[DEMAND_MET].transpose(*designs).values
                flat = int(np.argmax(np.nan_to_num(met, nan=-np.inf)))
                note = "design with the most hydrogen demand met (none meets 99 %)"
            at = dict(zip(designs, np.unravel_index(flat, cost.shape), strict=True))
            values = {c: float(means[c].isel(at)) for c in kpis}
            # the design's swept values replace the base scenario's
            for coord in ds.coords.values():
                path_attr = coord.attrs.get("field_path")
                if path_attr and set(coord.dims) <= set(designs):
                    value = coord.isel({d: at[d] for d in coord.dims}).values.item()
                    inputs[str(path_attr)] = value
                    swept.add(str(path_attr))
    row = pd.concat([capacities_from_inputs(inputs), pd.Series(values, dtype=np.float64)])
    return ResultsFolder(folder, "sweep", row, inputs, hours, note, swept)


def read_folder(folder: str | Path) -> ResultsFolder:
    """One results folder of any kind (:func:`folder_kind`) as ``compare`` reads it."""
    path = Path(folder)
    kind = folder_kind(path)
    if kind == "sweep":
        return _read_sweep(path)
    if kind == "vpp":
        return _read_vpp(path)
    return _read_run(path, kind)


def read_run(folder: Path) -> pd.Series:
    """One row of the comparison: capacities summed over sites + mean KPIs."""
    return read_folder(folder).row


# --------------------------------------------------------------------------- comparing


def run_labels(folders: Sequence[str | Path]) -> list[str]:
    """Short, distinct names of the folders: the last path parts that tell them apart.

    A folder named after its command (``results/lausitz_2030/run``) is named
    with its parent (``lausitz_2030/run``).
    """
    parts = [Path(f).resolve().parts for f in folders]
    depth = [2 if p and p[-1] in COMMAND_NAMES and len(p) > 1 else 1 for p in parts]
    while True:
        labels = ["/".join(p[-d:]) for p, d in zip(parts, depth, strict=True)]
        clashes = {lbl for lbl in labels if labels.count(lbl) > 1}
        grow = [i for i, lbl in enumerate(labels) if lbl in clashes and depth[i] < len(parts[i])]
        if not grow:
            return labels
        for i in grow:
            depth[i] += 1


def _text(value: Any) -> str:
    """A scenario value as one short piece of text (numbers without trailing zeros)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)  # Range reads "low .. high"


def input_differences(inputs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Scenario keys whose values differ between runs.

    Parameters
    ----------
    inputs
        Run label -> flattened scenario (:func:`flatten`).

    Returns
    -------
    pandas.DataFrame
        Index: the dotted keys that differ (absent in some run counts as a
        difference), sorted; one column per run; values as text, ``–`` where
        a run has no such key.
    """
    keys = sorted({k for flat in inputs.values() for k in flat} - IGNORED_KEYS)
    rows = {}
    for key in keys:
        cells = [_text(flat[key]) if key in flat else "–" for flat in inputs.values()]
        if len(set(cells)) > 1:
            rows[key] = cells
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(inputs))
    frame.index.name = "scenario key"
    return frame


def default_out(folders: Sequence[str | Path]) -> Path:
    """Default comparison folder: beside the first folder, named after all of them."""
    labels = [lbl.replace("/", "-") for lbl in run_labels(folders)]
    first = Path(folders[0]).resolve()
    parent = first.parent.parent if first.name in COMMAND_NAMES else first.parent
    return parent / ("compare_" + "_vs_".join(labels))


def compare_results(
    folders: Sequence[str | Path], out_dir: str | Path, force: bool = False
) -> Comparison:
    """Compare results folders; write the tables and figures to ``out_dir``.

    Writes ``comparison.csv`` (one row per folder: capacities summed over
    sites and mean key figures), ``input_differences.csv`` (scenario keys that
    differ, one column per folder), ``folders.csv`` (label, path, kind, hours,
    what the row stands for) and ``figures/``.

    Returns
    -------
    Comparison
        The tables written.
    """
    seen: dict[Path, str] = {}
    for folder in folders:
        key = Path(folder).resolve()
        if key in seen:
            raise InputDataError(folder, "folder", "given twice", "each results folder once")
        seen[key] = str(folder)
    if len(folders) < 2:
        raise InputDataError(None, "folders", [str(f) for f in folders], "two or more folders")
    labels = run_labels(folders)
    read = {lbl: read_folder(f) for lbl, f in zip(labels, folders, strict=True)}
    table = pd.DataFrame({lbl: r.row for lbl, r in read.items()}).T
    table.index.name = "run"
    capacity_columns = [c for c in table.columns if c not in KPI_COLUMNS]
    table = table[capacity_columns + [c for c in KPI_COLUMNS if c in table.columns]]
    differences = input_differences({
        lbl: {k: _text(v) + (" (swept)" if k in r.swept else "") for k, v in r.inputs.items()}
        for lbl, r in read.items()
    })
    listing = pd.DataFrame(
        {
            "path": [str(r.path) for r in read.values()],
            "kind": [r.kind for r in read.values()],
            "hours": [r.hours for r in read.values()],
            "row": [r.note for r in read.values()],
        },
        index=pd.Index(labels, name="run"),
    )
    with atomic_directory(out_dir, force=force) as tmp:
        table.to_csv(tmp / "comparison.csv", float_format="%.10g")
        differences.to_csv(tmp / "input_differences.csv")
        listing.to_csv(tmp / "folders.csv", float_format="%.10g")
        draw_comparison(table, tmp / "figures")
    return Comparison(table, differences, read)


# --------------------------------------------------------------------------- text


def _short(text: str, width: int = MAX_CELL) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def comparison_text(comparison: Comparison, out_dir: str | Path, max_width: int = 100) -> str:
    """The comparison as text no wider than ``max_width``: folders, input differences, results.

    Long values are shortened and at most :data:`MAX_DIFFERENCES` keys are
    listed; the text says where the full tables are.
    """
    out = Path(out_dir)
    lines = [_wrap_title(
        f"runs compared (full tables: {out / 'comparison.csv'}, "
        f"{out / 'input_differences.csv'}):", max_width,
    )]
    for label, folder in comparison.folders.items():
        hours = f", {folder.hours:,.0f} h" if math.isfinite(folder.hours) else ""
        note = f"; {folder.note}" if folder.note else ""
        lines.append(_wrap_title(f"- {label}: {folder.kind} results in {folder.path}{hours}{note}",
                                 max_width))
    parts = ["\n".join(lines)]
    diff = comparison.differences
    if diff.empty:
        parts.append("input differences: none (the scenarios are the same)")
    else:
        shown = diff.iloc[:MAX_DIFFERENCES].map(_short)
        shown.index = [_short(str(k), 40) for k in shown.index]
        more = len(diff) - len(shown)
        title = f"input differences ({len(diff)} scenario keys"
        title += f", {more} more in {out / 'input_differences.csv'})" if more else ")"
        parts.append(_wrap_title(title, max_width) + "\n" + text_table(
            shown, max_width, index_title="scenario key"
        ))
    parts.append(runs_text(comparison.table, KPI_COLUMNS, max_width))
    return "\n\n".join(parts)


def _wrap_title(text: str, width: int) -> str:
    import textwrap

    return textwrap.fill(text, width, subsequent_indent="  ", break_on_hyphens=False,
                         break_long_words=True)
