"""``nzv export``: values read back from xlsx, CSV and Parquet equal the netCDF and CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.report.pipeline import run_scenario

from .conftest import SCENARIOS

QUICK = SCENARIOS / "single_site_quick.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_scenario(QUICK, out_dir=tmp_path_factory.mktemp("export") / "quick").out_dir


def _assert_same(read: pd.Series, expected: np.ndarray, fmt: str) -> None:
    """CSV and Parquet keep every bit; openpyxl writes 16 significant digits ("%.16g", one
    more than Excel shows): xlsx values agree to 1e-15 relative (half a unit of the 16th
    digit is at most 5e-16 of the value, plus the rounding of the read-back float)."""
    values = read.to_numpy(np.float64)
    if fmt == "xlsx":
        np.testing.assert_allclose(values, expected, rtol=1e-15, atol=0)
    else:
        np.testing.assert_array_equal(values, expected)


def _read_back(folder: Path, fmt: str) -> dict[str, pd.DataFrame]:
    if fmt == "xlsx":
        return pd.read_excel(folder / "results.xlsx", sheet_name=None, index_col=0)
    if fmt == "csv":
        return {p.stem: pd.read_csv(p, index_col=0) for p in folder.glob("*.csv")}
    return {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")}


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_export_round_trips_hourly_values_and_kpis(results: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    assert main(["-q", "export", str(results), "--to", fmt, "--out", str(out)]) == 0
    tables = _read_back(out, fmt)
    with xr.open_dataset(results / "dispatch.nc") as ds:
        sites = [str(s) for s in ds["site"].values]
        assert set(tables) == {*(f"hourly_{s}" for s in sites), "hourly_system", "kpis",
                               "capacities"}
        time = pd.DatetimeIndex(ds["time"].values)
        for name, var in ds.data_vars.items():
            unit = var.attrs["units"]
            column = f"{name} [{unit}]"
            if var.dims == ("time", "site"):
                for site in sites:
                    table = tables[f"hourly_{site}"]
                    _assert_same(table[column], var.sel(site=site).values, fmt)
            else:
                table = tables["hourly_system"]
                _assert_same(table[column], var.values, fmt)
            assert pd.DatetimeIndex(table.index).equals(time)
    kpis = pd.read_csv(results / "kpis.csv", index_col=0)
    read = tables["kpis"]
    assert len(read.columns) == len(kpis.columns)
    for column, header in zip(kpis.columns, read.columns, strict=True):
        assert header.startswith(f"{column} [") and header.endswith("]")
        _assert_same(read[header], kpis[column].to_numpy(np.float64), fmt)
    # units from the column names, as a reader of kpis.csv would read them
    for header in ("hydrogen_delivered_mwh [MWh]", "demand_met_share [1]",
                   "system_cost_eur [EUR]", "co2_emissions_t [t]",
                   "electrolysis_full_load_hours_h [h]"):
        assert header in read.columns
    caps = tables["capacities"]
    assert "wind_mw [MW]" in caps.columns and "battery_mwh [MWh]" in caps.columns
    assert caps.loc["boxberg", "wind_mw [MW]"] == 300.0  # single_site_quick.yaml


def test_export_gives_the_same_bytes_twice(results: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["-q", "export", str(results), "--to", "xlsx", "--out",
                     str(tmp_path / name)]) == 0
    assert (tmp_path / "a" / "results.xlsx").read_bytes() == (
        tmp_path / "b" / "results.xlsx").read_bytes()


def test_export_refuses_bad_input_with_status_2(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "export", str(results), "--to", "docx", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--to: got 'docx'; one of xlsx, csv, parquet" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()

    missing = tmp_path / "nowhere"
    assert main(["-q", "export", str(missing), "--to", "csv"]) == 2
    assert f"RESULTS: got '{missing}'" in capsys.readouterr().err

    assert main(["-q", "export", str(tmp_path), "--to", "csv", "--out", str(tmp_path / "y")]) == 2
    assert "dispatch.nc: got 'missing'" in capsys.readouterr().err

    out = tmp_path / "csv"
    assert main(["-q", "export", str(results), "--to", "csv", "--out", str(out)]) == 0
    assert main(["-q", "export", str(results), "--to", "csv", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["-q", "export", str(results), "--to", "csv", "--out", str(out), "--force"]) == 0
