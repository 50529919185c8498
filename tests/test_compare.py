"""``compare`` over real results folders of every kind, and what ``run`` writes beside them.

The folders are written once per module by the command line itself from the
shipped ``single_site_quick`` scenario (about 20 s in all): ``run`` (fixed
capacities, no sizing), ``simulate`` of a variant with more wind, ``vpp`` over
two days and a 2 x 2 ``sweep``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from nzv_energy.cli import main
from nzv_energy.errors import InputDataError
from nzv_energy.report.compare import (
    KPI_COLUMNS,
    MAX_DIFFERENCES,
    Comparison,
    compare_results,
    comparison_text,
    flatten,
    folder_kind,
    input_differences,
    read_folder,
    run_labels,
)
from nzv_energy.report.report import markdown_to_html
from nzv_energy.sweep.results import DEMAND_MET, LCOH

ROOT = Path(__file__).resolve().parent.parent
QUICK = ROOT / "scenarios" / "single_site_quick.yaml"
WIDTH = 100


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("compare")
    windier = base / "windier.yaml"
    windier.write_text(
        yaml.safe_dump(
            {"extends": str(QUICK), "name": "windier", "sites": {"boxberg": {"wind_mw": 350}}}
        ),
        encoding="utf-8",
    )
    sweep = base / "grid.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "grid",
                "base": str(QUICK),
                "weather_years": [2019],
                "parameters": {
                    "sites.boxberg.electrolysis_mw": [50, 100],
                    "hydrogen.storage_mwh.boxberg": [0, 1000],
                },
            }
        ),
        encoding="utf-8",
    )
    out = {
        "run": base / "quick" / "run",
        "simulate": base / "windier" / "simulate",
        "vpp": base / "quick" / "vpp",
        "sweep": base / "grid" / "sweep",
    }
    for argv in (
        ["-q", "run", str(QUICK), "--out", str(out["run"])],
        ["-q", "simulate", str(windier), "--out", str(out["simulate"])],
        ["-q", "vpp", str(QUICK), "--days", "2", "--out", str(out["vpp"])],
        ["-q", "sweep", str(sweep), "--workers", "1", "--out", str(out["sweep"])],
    ):
        assert main(argv) == 0, argv
    return out


# --------------------------------------------------------------------------- what run writes


def test_run_writes_kpis_by_site(folders: dict[str, Path]) -> None:
    """As ``simulate`` does: per site and year, summing to the system's figures."""
    by_site = pd.read_csv(folders["run"] / "kpis_by_site.csv", index_col=[0, 1])
    kpis = pd.read_csv(folders["run"] / "kpis.csv", index_col=0)
    assert by_site.index.names == ["weather_year", "site"]
    assert list(by_site.index) == [(2019, "boxberg")]
    # one site: its hydrogen output is the system's
    np.testing.assert_allclose(
        by_site["hydrogen_output_mwh"].groupby(level=0).sum(), kpis["hydrogen_output_mwh"],
        rtol=1e-9,
    )
    simulated = pd.read_csv(folders["simulate"] / "kpis_by_site.csv", index_col=[0, 1])
    assert list(by_site.columns) == list(simulated.columns)


def test_provenance_json_nests_objects(folders: dict[str, Path]) -> None:
    """Hashes and versions are JSON objects, not JSON text inside a string."""
    prov = json.loads((folders["run"] / "provenance.json").read_text(encoding="utf-8"))
    for key, value in prov.items():
        assert not (isinstance(value, str) and value.lstrip()[:1] in "{["), key
    assert isinstance(prov["input_sha256"], dict)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in prov["input_sha256"].values())
    assert isinstance(prov["package_versions"], dict) and "numpy" in prov["package_versions"]
    with xr.open_dataset(folders["run"] / "dispatch.nc") as ds:
        assert prov["input_sha256"] == json.loads(ds.attrs["input_sha256"])
    assert "scenario_yaml" not in prov


def test_report_html_has_no_raw_backticks(folders: dict[str, Path]) -> None:
    markdown = (folders["run"] / "report.md").read_text(encoding="utf-8")
    page = (folders["run"] / "report.html").read_text(encoding="utf-8")
    assert "`single_site_quick.yaml`" in markdown
    assert "<code>single_site_quick.yaml</code>" in page
    assert "`" not in page


def test_inline_markdown_to_html(tmp_path: Path) -> None:
    page = markdown_to_html("| `a<b` | **bold** |\n|---|---|\n| 1 | 2 |\nsee `x` & **y**",
                            tmp_path, "t")
    assert "<th><code>a&lt;b</code></th>" in page
    assert "<th><strong>bold</strong></th>" in page
    assert "<p>see <code>x</code> &amp; <strong>y</strong></p>" in page


# --------------------------------------------------------------------------- reading folders


def test_every_kind_of_folder_is_recognised(folders: dict[str, Path]) -> None:
    for kind, path in folders.items():
        assert folder_kind(path) == kind
        assert read_folder(path).kind == kind


def test_run_row_is_the_mean_of_its_tables(folders: dict[str, Path]) -> None:
    row = read_folder(folders["run"]).row
    kpis = pd.read_csv(folders["run"] / "kpis.csv", index_col=0)
    caps = pd.read_csv(folders["run"] / "capacities.csv", index_col=0)
    for column in KPI_COLUMNS:
        assert row[column] == pytest.approx(kpis[column].mean()), column
    # the scenario's capacities: 300 MW wind, 100 MW electrolysis, 1,000 MWh storage
    assert row["wind_mw"] == caps["wind_mw"].sum() == 300.0
    assert row["electrolysis_mw"] == 100.0
    assert row["hydrogen_storage_mwh"] == 1000.0


def test_vpp_row_is_the_optimised_schedule_per_year(folders: dict[str, Path]) -> None:
    """Two days (48 h): energies scaled by 8760 / 48, shares as they are."""
    folder = read_folder(folders["vpp"])
    table = pd.read_csv(folders["vpp"] / "comparison.csv", index_col=0)["optimised"]
    assert folder.hours == 48
    assert folder.row["hydrogen_delivered_mwh"] == pytest.approx(
        table["hydrogen_delivered_mwh"] * 8760 / 48
    )
    assert folder.row["demand_met_share"] == pytest.approx(table["demand_met_share"])
    assert folder.row["wind_mw"] == 300.0  # from the scenario: vpp writes no capacities.csv
    assert "scaled to a year" in folder.note


def test_sweep_row_is_the_cheapest_design_meeting_the_demand(folders: dict[str, Path]) -> None:
    folder = read_folder(folders["sweep"])
    members = xr.load_dataset(folders["sweep"] / "kpis.nc")
    means = members[[LCOH, DEMAND_MET]].mean("weather_year").to_dataframe()
    ok = means[means[DEMAND_MET] >= 0.99]
    expected = ok[LCOH].idxmin() if len(ok) else means[DEMAND_MET].idxmax()
    at = dict(zip(means.index.names, expected, strict=True))
    electrolysis, storage = at["boxberg_electrolysis_mw"], at["boxberg_hydrogen_storage_mwh"]
    assert folder.inputs["sites.boxberg.electrolysis_mw"] == electrolysis
    assert folder.inputs["hydrogen.storage_mwh.boxberg"] == storage
    assert folder.swept == {"sites.boxberg.electrolysis_mw", "hydrogen.storage_mwh.boxberg"}
    assert folder.row[LCOH] == pytest.approx(means.loc[expected, LCOH])
    assert folder.row["electrolysis_mw"] == electrolysis  # one site


# --------------------------------------------------------------------------- differences


def test_input_differences_are_the_keys_that_differ(folders: dict[str, Path], tmp_path) -> None:
    result = compare_results([folders["run"], folders["simulate"]], tmp_path / "cmp")
    diff = result.differences
    assert list(diff.index) == ["name", "sites.boxberg.wind_mw"]
    assert diff.loc["sites.boxberg.wind_mw"].tolist() == ["300", "350"]
    assert diff.loc["name"].tolist() == ["single_site_quick", "windier"]
    assert list(diff.columns) == ["quick/run", "windier/simulate"]
    back = pd.read_csv(tmp_path / "cmp" / "input_differences.csv", index_col=0, dtype=str)
    pd.testing.assert_frame_equal(back, diff, check_names=False)


def test_flatten_and_differences_by_hand() -> None:
    a = flatten({"sites": {"x": {"wind_mw": {"min": 0, "max": 10}, "pv_mw": 5}}, "name": "a"})
    b = flatten({"sites": {"x": {"wind_mw": 10.0, "pv_mw": 5}}, "name": "a", "extra": [1, 2]})
    assert str(a["sites.x.wind_mw"]) == "0 .. 10"
    diff = input_differences({"A": a, "B": b})
    assert diff.to_dict("index") == {
        "extra": {"A": "–", "B": "[1, 2]"},
        "sites.x.wind_mw": {"A": "0 .. 10", "B": "10"},
    }


def test_compare_command_prints_differences_first_within_100_columns(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all"
    paths = [str(folders[k]) for k in ("run", "simulate", "vpp", "sweep")]
    assert main(["-q", "compare", *paths, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert text.index("input differences") < text.index("mean of weather years")
    for label in ("quick/run", "windier/simulate", "quick/vpp", "grid/sweep"):
        assert label in text
    assert "125 (swept)" in text or "(swept)" in text
    table = pd.read_csv(out / "comparison.csv", index_col=0)
    assert list(table.index) == ["quick/run", "windier/simulate", "quick/vpp", "grid/sweep"]
    assert set(KPI_COLUMNS) <= set(table.columns)
    assert (out / "figures" / "compare_lcoh.png").exists()


def test_many_runs_split_into_blocks_of_100_columns(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    copies = []
    for i in range(6):
        copy = tmp_path / f"scenario_variant_with_a_long_name_{i}"
        shutil.copytree(folders["run"], copy)
        copies.append(copy)
    result = compare_results(copies, tmp_path / "cmp")
    text = comparison_text(result, tmp_path / "cmp")
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert "input differences: none" in text
    assert all(f"scenario_variant_with_a_long_name_{i}" in text for i in range(6))


def test_long_differences_point_to_the_csv(tmp_path: Path) -> None:
    n = MAX_DIFFERENCES + 10
    inputs = {
        "a": {f"sites.site_{i:02d}.wind_mw": i for i in range(n)},
        "b": {f"sites.site_{i:02d}.wind_mw": "x" * 60 for i in range(n)},
    }
    diff = input_differences(inputs)
    table = pd.DataFrame({"wind_mw": [1.0, 2.0]}, index=["a", "b"])
    text = comparison_text(Comparison(table, diff, {}), tmp_path)
    assert f"({n} scenario keys, 10 more in {tmp_path / 'input_differences.csv'})" in " ".join(
        text.split()
    )
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert "site_49" not in text and "site_39" in text


def test_run_labels() -> None:
    assert run_labels(["r/lausitz_2030/run", "r/lausitz_2040/run"]) == [
        "lausitz_2030/run", "lausitz_2040/run",
    ]
    assert run_labels(["x/a/res", "y/a/res", "z/b"]) == ["x/a/res", "y/a/res", "b"]


def test_bad_folders_are_refused(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["-q", "compare", str(folders["run"]), str(empty)]) == 2
    err = capsys.readouterr().err
    assert str(empty) in err and "kpis.csv" in err and "'vpp' or 'sweep'" in err
    assert "Traceback" not in err
    with pytest.raises(InputDataError, match="given twice"):
        compare_results([folders["run"], folders["run"]], tmp_path / "twice")
    assert not (tmp_path / "twice").exists()
