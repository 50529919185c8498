"""``run.py vpp``: results folder, comparison table, windows table, figures, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.schema import VARIABLES
from nzv_energy.vpp.compare import METRICS

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def vpp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vpp") / "quick_vpp"
    code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "3",
                 "--out", str(out)])
    assert code == 0
    return out


def test_writes_dataset_tables_and_figures(vpp_run: Path) -> None:
    names = sorted(p.name for p in vpp_run.iterdir())
    assert names == ["comparison.csv", "dispatch.nc", "dispatch_rule_based.nc", "figures",
                     "windows.csv"]
    figures = sorted(p.name for p in (vpp_run / "figures").iterdir())
    for stem in ("vpp_price_schedule", "vpp_profit_comparison", "vpp_storage", "vpp_windows"):
        assert f"{stem}.png" in figures
    assert all((vpp_run / "figures" / f).stat().st_size > 5000 for f in figures)
    assert not list(vpp_run.parent.glob(".quick_vpp.tmp-*"))


def test_dataset_has_the_schema_the_fallback_marks_and_provenance(vpp_run: Path) -> None:
    with xr.open_dataset(vpp_run / "dispatch.nc", engine="h5netcdf") as ds:
        assert set(VARIABLES) <= set(ds.data_vars)
        assert ds.sizes == {"time": 72, "site": 1}
        for name, var in VARIABLES.items():
            assert ds[name].attrs["units"] == var.units
        assert ds["vpp_fallback"].values.tolist() == [0] * 72
        assert ds.attrs["model"] == "pyomo_vpp"
        for key in ("scenario_yaml", "scenario_sha256", "input_sha256", "package_versions"):
            assert ds.attrs[key]
        assert "smard" in ds.attrs["input_sha256"]
    with xr.open_dataset(vpp_run / "dispatch_rule_based.nc", engine="h5netcdf") as ref:
        assert ref.attrs["model"] == "numba_dispatch"
        assert ref.sizes == {"time": 72, "site": 1}


def test_comparison_and_windows_tables(vpp_run: Path) -> None:
    table = pd.read_csv(vpp_run / "comparison.csv", index_col="metric")
    assert list(table.index) == list(METRICS)
    assert list(table.columns) == ["optimised", "rule_based", "difference", "unit"]
    diff = table["optimised"] - table["rule_based"]
    np.testing.assert_allclose(table["difference"], diff, rtol=1e-8, atol=1e-6)
    with xr.open_dataset(vpp_run / "dispatch.nc", engine="h5netcdf") as ds:
        delivered = float(ds["hydrogen_delivered_mw"].sum())
        price = ds["price_eur_per_mwh"].values
        revenue = float((price * (ds["grid_export_mw"] - ds["grid_import_mw"]).sum("site")).sum())
    assert table.loc["hydrogen_delivered_mwh", "optimised"] == pytest.approx(delivered)
    assert table.loc["market_revenue_eur", "optimised"] == pytest.approx(revenue)
    windows = pd.read_csv(vpp_run / "windows.csv")
    assert len(windows) == 3
    assert windows["start"].tolist() == ["2019-01-01", "2019-01-02", "2019-01-03"]
    assert set(windows["status"]) == {"optimal"}
    assert (windows["solve_time_s"] > 0).all()
    assert windows["objective_eur"].notna().all()


def test_refuses_to_overwrite_without_force(vpp_run: Path) -> None:
    before = (vpp_run / "comparison.csv").stat().st_mtime_ns
    code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "1",
                 "--out", str(vpp_run)])
    assert code == 2
    assert (vpp_run / "comparison.csv").stat().st_mtime_ns == before


def test_bad_days_and_ranges_are_input_errors(
    tmp_path: Path, write_scenario: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "0",
                 "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--days" in capsys.readouterr().err
    ranged = write_scenario({"sites": {"boxberg": {"pv_mw": {"min": 0, "max": 300}}}})
    code = main(["-q", "vpp", str(ranged), "--out", str(tmp_path / "y")])
    assert code == 2
    assert "sites.boxberg.pv_mw" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
