"""``run.py simulate``: results folder, provenance, KPI table, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.dispatch import KPI_COLUMNS, SITE_KPI_COLUMNS
from nzv_energy.schema import VARIABLES
from tests.conftest import SCENARIOS


def test_simulate_writes_dataset_and_kpi_table(tmp_path: Path) -> None:
    out = tmp_path / "quick"
    assert main(["simulate", str(SCENARIOS / "single_site_quick.yaml"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "capacities.csv", "dispatch.nc", "kpis.csv", "kpis_by_site.csv"
    ]
    with xr.open_dataset(out / "dispatch.nc") as ds:
        assert set(VARIABLES) <= set(ds.data_vars)
        for name, var in VARIABLES.items():
            assert ds[name].attrs["units"] == var.units
        assert ds.sizes["time"] == 8760 and list(ds["site"].values) == ["boxberg"]
        assert ds.attrs["model"] == "numba_dispatch"
        assert "name: single_site_quick" in ds.attrs["scenario_yaml"]
        hashes = json.loads(ds.attrs["input_sha256"])
        assert any(name.endswith(".csv") for name in hashes)
        delivered = float(ds["hydrogen_delivered_mw"].sum())
    kpis = pd.read_csv(out / "kpis.csv", index_col="weather_year")
    assert list(kpis.index) == [2019]
    assert list(kpis.columns) == list(KPI_COLUMNS)
    assert kpis.loc[2019, "hydrogen_delivered_mwh"] == pytest.approx(delivered, rel=1e-9)
    by_site = pd.read_csv(out / "kpis_by_site.csv", index_col=["weather_year", "site"])
    assert list(by_site.columns) == list(SITE_KPI_COLUMNS)
    assert by_site.loc[(2019, "boxberg"), "hydrogen_output_mwh"] == pytest.approx(
        kpis.loc[2019, "hydrogen_output_mwh"], rel=1e-9
    )
    caps = pd.read_csv(out / "capacities.csv", index_col="site")
    assert caps.loc["boxberg", "electrolysis_mw"] == 100
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary folder left behind


def test_existing_results_need_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(SCENARIOS / "single_site_quick.yaml")
    out = tmp_path / "quick"
    out.mkdir()
    (out / "old.txt").write_text("keep")
    assert main(["simulate", scenario, "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "old.txt").exists()
    assert main(["simulate", scenario, "--out", str(out), "--force"]) == 0
    assert not (out / "old.txt").exists()
    assert (out / "dispatch.nc").exists()


def test_scenario_with_ranges_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sizing"
    assert main(["simulate", str(SCENARIOS / "single_site_sizing.yaml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "single_site_sizing.yaml" in err and "sites." in err
    assert not out.exists()


def test_operating_policy_from_the_scenario_file_reaches_the_dispatch(
    tmp_path: Path, write_scenario: Callable[..., Path]
) -> None:
    path = write_scenario(
        {
            "name": "quick_import",
            "operation": {"grid_import": True, "import_price_threshold_eur_per_mwh": 30.0,
                          "cyclic": False},
        }
    )
    out = tmp_path / "import"
    assert main(["simulate", str(path), "--out", str(out)]) == 0
    with xr.open_dataset(out / "dispatch.nc") as ds:
        price = ds["price_eur_per_mwh"].values
        imports = ds["grid_import_mw"].values[:, 0]
        running = (ds["electrolysis_input_mw"] - ds["electrolysis_standby_mw"]).values[:, 0]
    # imports happen, and the electrolyser never imports in hours above the threshold:
    # there, imports only cover the site's own loads (5 MW local demand plus standby)
    assert imports[price <= 30].sum() > 0
    assert np.all(imports[price > 30] <= 5.0 + 0.5 + 1e-9)
    assert running[price <= 30].mean() > running[price > 30].mean()
