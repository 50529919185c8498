"""Put several results folders side by side: one table and bar figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nzv_energy.errors import InputDataError
from nzv_energy.report.figures import draw_comparison
from nzv_energy.results_io import atomic_directory

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


def read_run(folder: Path) -> pd.Series:
    """One row of the comparison: capacities summed over sites + mean KPIs."""
    caps_path, kpis_path = folder / "capacities.csv", folder / "kpis.csv"
    for path in (caps_path, kpis_path):
        if not path.exists():
            raise InputDataError(
                folder, path.name, "missing", "a results folder written by 'run' or 'simulate'"
            )
    caps = pd.read_csv(caps_path, index_col=0)
    kpis = pd.read_csv(kpis_path, index_col=0)
    row = caps.sum(axis=0)
    for col in KPI_COLUMNS:
        if col in kpis:
            row[col] = float(kpis[col].mean())
    return row


def compare_results(
    folders: Sequence[str | Path], out_dir: str | Path, force: bool = False
) -> pd.DataFrame:
    """Compare results folders; write ``comparison.csv`` and figures to ``out_dir``.

    Returns
    -------
    pandas.DataFrame
        One row per run (folder name), capacities summed over sites and mean KPIs.
    """
    rows = {Path(f).name: read_run(Path(f)) for f in folders}
    table = pd.DataFrame(rows).T
    table.index.name = "run"
    with atomic_directory(out_dir, force=force) as tmp:
        table.to_csv(tmp / "comparison.csv")
        draw_comparison(table, tmp / "figures")
    return table
