"""The main job end to end: results folder contents, round trips, atomic writes, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from nzv_energy.cli import main
from nzv_energy.report import pipeline
from nzv_energy.report.pipeline import run_scenario
from nzv_energy.scenario_file import load_scenario, scenario_from_mapping
from nzv_energy.schema import VARIABLES

from .conftest import SCENARIOS

QUICK = SCENARIOS / "single_site_quick.yaml"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("runs") / "quick"
    return run_scenario(QUICK, out_dir=out)


@pytest.fixture(scope="module")
def other_run(tmp_path_factory: pytest.TempPathFactory):
    """The quick scenario with twice the PV: different data, same shapes."""
    folder = tmp_path_factory.mktemp("other")
    path = folder / "more_pv.yaml"
    path.write_text(
        yaml.safe_dump(
            {"extends": str(QUICK), "name": "more_pv", "sites": {"boxberg": {"pv_mw": 400}}}
        )
    )
    return run_scenario(path, out_dir=folder / "more_pv")


EXPECTED_FILES = [
    "dispatch.nc",
    "kpis.csv",
    "capacities.csv",
    "lcoh_breakdown.csv",
    "scenario_sized.yaml",
    "provenance.json",
    "report.md",
    "report.html",
]


def test_results_folder_holds_every_file(quick_run) -> None:
    for name in EXPECTED_FILES:
        path = quick_run.out_dir / name
        assert path.exists() and path.stat().st_size > 0, name
    figures = sorted((quick_run.out_dir / "figures").glob("*.png"))
    stems = {p.stem for p in figures}
    for stem in (
        "hydrogen_storage",
        "duration_curves",
        "capacities",
        "lcoh_breakdown",
        "monthly_energy_balance",
        "dispatch_winter_boxberg",
        "dispatch_summer_boxberg",
    ):
        assert stem in stems
        assert (quick_run.out_dir / "figures" / f"{stem}.svg").exists()
    # nothing temporary left next to the folder
    assert not [p for p in quick_run.out_dir.parent.iterdir() if p.name.startswith(".")]


def test_dispatch_netcdf_round_trips_with_units_and_provenance(quick_run) -> None:
    with xr.open_dataset(quick_run.out_dir / "dispatch.nc") as ds:
        for name, var in VARIABLES.items():
            np.testing.assert_array_equal(ds[name].values, quick_run.dispatch[name].values)
            assert ds[name].attrs["units"] == var.units
        text = ds.attrs["scenario_yaml"]
        assert ds.attrs["scenario_sha256"]
        assert "inputs" not in ds.attrs or ds.attrs["inputs"]
        assert "de_wind_solar_hourly_2017_2020_entsoe.csv" in ds.attrs["input_sha256"]
        assert "numba" in ds.attrs["package_versions"]
    # the stored scenario text is the scenario that ran
    again = yaml.safe_load(text)
    assert again["name"] == "single_site_quick"


def test_tables_round_trip(quick_run) -> None:
    kpis = pd.read_csv(quick_run.out_dir / "kpis.csv", index_col=0)
    pd.testing.assert_frame_equal(kpis, quick_run.kpis, check_dtype=False, check_names=False)
    caps = pd.read_csv(quick_run.out_dir / "capacities.csv", index_col=0)
    scenario = load_scenario(QUICK)
    site = scenario.sites["boxberg"]
    assert caps.loc["boxberg", "wind_mw"] == site.wind_mw
    assert caps.loc["boxberg", "battery_mwh"] == site.battery_mwh
    assert caps.loc["boxberg", "hydrogen_storage_mwh"] == scenario.hydrogen.storage_mwh["boxberg"]


def test_sized_scenario_loads_back_as_the_same_scenario(quick_run) -> None:
    raw = yaml.safe_load((quick_run.out_dir / "scenario_sized.yaml").read_text())
    assert scenario_from_mapping(raw) == quick_run.sized


def test_report_states_capacities_kpis_and_spread(quick_run) -> None:
    md = (quick_run.out_dir / "report.md").read_text()
    for fragment in (
        "## Capacities",
        "share of hydrogen demand met",
        "LCOH, EUR/kg",
        "RFNBO share",
        "P10",
        "P90",
        "figures/lcoh_breakdown.png",
    ):
        assert fragment in md, fragment
    lcoh = quick_run.kpis["system_net_cost_per_kg_h2_eur_per_kg"].iloc[0]
    assert f"{lcoh:,.2f}" in md
    html = (quick_run.out_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == md.count("![")


def test_existing_folder_is_not_overwritten_without_force(quick_run, capsys) -> None:
    before = (quick_run.out_dir / "kpis.csv").read_bytes()
    code = main(["run", str(QUICK), "--out", str(quick_run.out_dir)])
    assert code == 2
    assert "--force" in capsys.readouterr().err
    assert (quick_run.out_dir / "kpis.csv").read_bytes() == before


def test_interrupted_run_leaves_no_partial_folder_and_keeps_the_old_one(
    tmp_path, monkeypatch, quick_run
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(pipeline, "draw_all", broken)
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError):
        run_scenario(QUICK, out_dir=fresh)
    assert not fresh.exists()
    assert list(tmp_path.iterdir()) == []
    # with --force over a good folder: the good folder survives a failure
    good = tmp_path / "good"
    good.mkdir()
    (good / "kpis.csv").write_text("good")
    with pytest.raises(RuntimeError):
        run_scenario(QUICK, out_dir=good, force=True)
    assert (good / "kpis.csv").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]


def test_two_runs_give_identical_numbers(quick_run, tmp_path) -> None:
    second = run_scenario(QUICK, out_dir=tmp_path / "again")
    with (
        xr.open_dataset(quick_run.out_dir / "dispatch.nc") as a,
        xr.open_dataset(second.out_dir / "dispatch.nc") as b,
    ):
        xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
        assert a.attrs["scenario_sha256"] == b.attrs["scenario_sha256"]
        assert a.attrs["input_sha256"] == b.attrs["input_sha256"]
    pd.testing.assert_frame_equal(
        pd.read_csv(quick_run.out_dir / "kpis.csv"), pd.read_csv(second.out_dir / "kpis.csv")
    )


@pytest.mark.parametrize("stem", ["capacities", "dispatch_summer_boxberg", "lcoh_breakdown"])
def test_figures_change_when_the_data_changes(quick_run, other_run, stem) -> None:
    a = (quick_run.out_dir / "figures" / f"{stem}.png").read_bytes()
    b = (other_run.out_dir / "figures" / f"{stem}.png").read_bytes()
    assert a != b


def test_compare_puts_runs_side_by_side(quick_run, other_run, tmp_path) -> None:
    out = tmp_path / "cmp"
    code = main(["compare", str(quick_run.out_dir), str(other_run.out_dir), "--out", str(out)])
    assert code == 0
    table = pd.read_csv(out / "comparison.csv", index_col=0)
    assert table.loc["more_pv", "pv_mw"] == 400
    assert table.loc["quick", "pv_mw"] == 200
    assert table.loc["more_pv", "system_net_cost_per_kg_h2_eur_per_kg"] == pytest.approx(
        other_run.kpis["system_net_cost_per_kg_h2_eur_per_kg"].mean()
    )
    for stem in ("compare_capacities", "compare_lcoh", "compare_emissions"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 0
