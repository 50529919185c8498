"""The command line: result folders per command, scenario names, help, did-you-mean, templates.

Most checks call :func:`nzv_energy.cli.main` in this process; the HiGHS banner is
printed from C++ once per process, so the ``-q`` / ``-v`` checks run real processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nzv_energy.cli import COMMANDS, build_parser, main, mistyped_command
from tests.conftest import ROOT, SCENARIOS, SHIPPED_SCENARIOS

#: What HiGHS prints on the first construction of a ``Highs`` object in a process.
BANNER = "Running HiGHS"

SHIPPED = sorted(SHIPPED_SCENARIOS)


def _subparsers() -> dict[str, object]:
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


# --- results folders ---------------------------------------------------------------------


def test_simulate_then_run_on_the_same_scenario_both_succeed_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "simulate", "single_site_quick"]) == 0
    simulated = tmp_path / "results" / "single_site_quick" / "simulate"
    assert sorted(p.name for p in simulated.iterdir()) == [
        "capacities.csv", "dispatch.nc", "kpis.csv", "kpis_by_site.csv"
    ]
    before = _tree(simulated)
    assert main(["-q", "run", "single_site_quick"]) == 0
    ran = tmp_path / "results" / "single_site_quick" / "run"
    assert (ran / "report.md").is_file() and (ran / "dispatch.nc").is_file()
    # each command has its own folder: the run left the simulation alone
    assert _tree(simulated) == before
    assert sorted(p.name for p in (tmp_path / "results" / "single_site_quick").iterdir()) == [
        "run", "simulate"
    ]
    # both dispatched the same fixed capacities with the same rules and inputs (simulate
    # writes 10 significant digits: a relative rounding of at most 5e-10)
    sim = pd.read_csv(simulated / "kpis.csv", index_col="weather_year")
    run = pd.read_csv(ran / "kpis.csv", index_col="weather_year")
    assert run.loc[2019, "hydrogen_delivered_mwh"] == pytest.approx(
        sim.loc[2019, "hydrogen_delivered_mwh"], rel=1e-9
    )
    # an existing folder is still never replaced without --force
    capsys.readouterr()
    assert main(["-q", "simulate", "single_site_quick"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and str(Path("results", "single_site_quick", "simulate")) in err
    assert _tree(simulated) == before


def test_out_writes_exactly_there_and_nothing_under_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere" / "mine"
    assert main(["-q", "simulate", "single_site_quick", "--out", str(out)]) == 0
    assert (out / "kpis.csv").is_file()
    assert not (tmp_path / "results").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["mine"]


def test_sweep_results_and_work_folder_sit_in_the_sweep_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nzv_energy.sweep.command import default_out, work_folder
    from nzv_energy.sweep.spec import load_sweep

    monkeypatch.chdir(tmp_path)
    spec = load_sweep(ROOT / "sweeps" / "electrolyser_vs_storage.yaml")
    out = default_out(spec)
    assert out == Path("results", "electrolyser_vs_storage", "sweep")
    assert not out.is_absolute()  # relative to the current folder, not the repository's
    assert work_folder(out).parent == out.parent


def test_sweep_out_help_speaks_of_the_sweep() -> None:
    helps = {a.dest: a.help or "" for a in _subparsers()["sweep"]._actions}  # type: ignore[attr-defined]
    assert "sweep name" in helps["out"] and "scenario" not in helps["out"]
    assert "results/<sweep name>/sweep" in helps["out"]


# --- scenario by name, version ---------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_validate_takes_a_shipped_scenario_by_name(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no file of that name here
    assert main(["validate", name]) == 0
    declared = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))["name"]
    assert f"valid scenario '{declared}'" in capsys.readouterr().out


def test_unknown_scenario_name_exits_2_listing_the_shipped_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "single_site_quik"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "'single_site_quik'" in err and "did you mean 'single_site_quick'" in err
    for name in SHIPPED:
        assert name in err
    assert "Traceback" not in err


def test_a_file_wins_over_a_shipped_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (SCENARIOS / "single_site_quick.yaml").read_text(encoding="utf-8")
    Path("lausitz_2030").write_text(text.replace("name: single_site_quick", "name: mine"))
    assert main(["validate", "lausitz_2030"]) == 0
    assert "valid scenario 'mine'" in capsys.readouterr().out


def test_missing_path_is_reported_as_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "lausitz_2030.yaml")]) == 2
    err = capsys.readouterr().err
    assert "lausitz_2030.yaml" in err and "an existing scenario file" in err


def test_version_is_the_project_version(capsys: pytest.CaptureFixture[str]) -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"nzv-energy {expected}\n"


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_description_and_examples(command: str) -> None:
    parser = _subparsers()[command]
    text = parser.format_help()  # type: ignore[attr-defined]
    assert parser.description and len(parser.description) > 40  # type: ignore[attr-defined]
    examples = text.split("examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith("  nzv ") for line in examples)
    assert any(f"{line} ".startswith(f"  nzv {command} ") for line in examples)
    assert max(len(line) for line in text.splitlines()) <= 100


@pytest.mark.parametrize(
    "command", sorted(c for c in COMMANDS if any(
        a.dest == "scenario" for a in _subparsers()[c]._actions))  # type: ignore[attr-defined]
)
def test_scenario_argument_is_explained(command: str) -> None:
    text = " ".join(_subparsers()[command].format_help().split())  # type: ignore[attr-defined]
    assert "SCENARIO" in text
    assert "shipped scenario" in text and "nzv scenarios" in text


def test_top_level_help_lists_every_command_and_explains_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command} " in out or f"    {command}\n" in out, command
    assert "SCENARIO is a scenario file" in out and "results/<scenario name>/<command>/" in out


# --- did you mean ----------------------------------------------------------------------------


def _rename_key(data: dict, path: tuple[str, ...], new: str) -> dict:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[new] = parent.pop(path[-1])
    return data


MISSPELT = {
    # a required key misspelt: reported as the unknown key it is, with the key meant
    "top_level_required": (("hydrogen",), "hydorgen", "hydorgen", "hydrogen"),
    "top_level_sites": (("sites",), "sitse", "sitse", "sites"),
    "top_level_optional": (("optimisation",), "optimization", "optimization", "optimisation"),
    "second_level_required": (("hydrogen", "demand"), "demnd", "hydrogen.demnd", "demand"),
    "site_level_required": (("sites", "boxberg", "location"), "locaton",
                            "sites.boxberg.locaton", "location"),
    "third_level_required": (("hydrogen", "demand", "mean_mw"), "mean_mv",
                             "hydrogen.demand.mean_mv", "mean_mw"),
}


@pytest.mark.parametrize("case", sorted(MISSPELT))
def test_misspelt_key_gets_a_did_you_mean_at_every_level(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, typo, field, meant = MISSPELT[case]
    data = yaml.safe_load((SCENARIOS / "single_site_quick.yaml").read_text(encoding="utf-8"))
    file = tmp_path / "case.yaml"
    file.write_text(yaml.safe_dump(_rename_key(data, path, typo)), encoding="utf-8")
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"case.yaml: {field}: got '{typo}'" in err
    assert f"did you mean '{meant}'" in err


def test_misspelt_command_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simualte", "single_site_quick"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'simualte'" in err and "did you mean 'simulate'" in err


def test_a_word_is_a_mistyped_command_only_when_nothing_else(tmp_path: Path) -> None:
    assert mistyped_command(["-q", "scenario"]) is not None  # close to 'scenarios'
    for argv in (["single_site_quick"], ["run", "x"], ["--out", "d"], [str(tmp_path)],
                 ["totally_different_words"]):
        assert mistyped_command(argv) is None, argv


# --- shipped scenarios and templates ---------------------------------------------------------


def test_scenarios_lists_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[1:] if line and line[0] != " "}
    assert set(SHIPPED) <= set(rows)
    assert all(len(line) <= 100 for line in lines)
    for name in SHIPPED:
        raw = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
        if "sites" in raw and "extends" not in raw:
            assert rows[name][1] == str(len(raw["sites"])), name
    # counted by hand in the files: every capacity of the quick case is a number; the
    # sizing case makes wind, PV, electrolysis and the hydrogen storage ranges
    assert rows["single_site_quick"][3] == "fixed"
    assert rows["single_site_sizing"][3] == "4"
    assert rows["lausitz_2030_4years"][2] == "2017-2020"


def test_new_writes_a_commented_template_that_validates_and_simulates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "my_case"]) == 0
    file = tmp_path / "my_case.yaml"
    text = file.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["name"] == "my_case"
    comments = [line for line in text.splitlines() if "#" in line]
    assert len(comments) >= 20
    assert main(["validate", "my_case.yaml"]) == 0
    assert "valid scenario 'my_case'" in capsys.readouterr().out
    assert main(["summary", "my_case.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("scenario my_case:") and "boxberg" in out
    assert main(["-q", "simulate", "my_case.yaml"]) == 0
    assert (tmp_path / "results" / "my_case" / "simulate" / "kpis.csv").is_file()
    # never overwritten without --force
    file.write_text(text + "# my notes\n", encoding="utf-8")
    assert main(["new", "my_case"]) == 2
    assert "--force" in capsys.readouterr().err
    assert file.read_text(encoding="utf-8").endswith("# my notes\n")
    assert main(["new", "my_case", "--force"]) == 0
    assert file.read_text(encoding="utf-8") == text
    assert main(["new", "other", "--out", "studies/o.yaml"]) == 0
    assert yaml.safe_load((tmp_path / "studies" / "o.yaml").read_text())["name"] == "other"


def test_new_refuses_an_invalid_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "my case"]) == 2
    assert "'my case'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --- solver banner ---------------------------------------------------------------------------


def _nzv(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True, text=True, cwd=cwd, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def tiny_sizing(tmp_path: Path) -> Path:
    """``single_site_sizing`` cut down: day-long segments, sized once (a few seconds)."""
    file = tmp_path / "tiny.yaml"
    file.write_text(yaml.safe_dump({
        "extends": str(SCENARIOS / "single_site_sizing.yaml"),
        "name": "tiny_sizing",
        "optimisation": {"mode": "fast", "segment_hours": 24, "demand_margin_fraction": 0.0,
                         "resimulation_target_share": None},
    }), encoding="utf-8")
    return file


@pytest.mark.parametrize(("flag", "banner"), [("-q", False), ("-v", True)])
def test_quiet_optimise_prints_no_solver_banner(
    flag: str, banner: bool, tiny_sizing: Path, tmp_path: Path
) -> None:
    proc = _nzv([flag, "optimise", str(tiny_sizing)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "tiny_sizing" / "optimise" / "kpis.csv").is_file()
    assert (BANNER in proc.stdout + proc.stderr) is banner
    if flag == "-q":
        assert proc.stdout == ""


def test_quiet_vpp_prints_no_solver_banner(tmp_path: Path) -> None:
    proc = _nzv(["-q", "vpp", "single_site_quick", "--days", "1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "single_site_quick" / "vpp" / "summary.md").is_file()
    assert BANNER not in proc.stdout + proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("silenced", [True, False])
def test_banner_silenced_before_linopy_constructs_highs(silenced: bool, tmp_path: Path) -> None:
    code = (
        "import linopy\n"
        "from nzv_energy.highs_banner import silence_banner\n"
        + ("silence_banner()\n" if silenced else "")
        + "m = linopy.Model()\n"
        "x = m.add_variables(lower=0, name='x')\n"
        "m.add_constraints(x >= 1)\n"
        "m.add_objective(2 * x)\n"
        "m.solve(solver_name='highs', io_api='direct', output_flag=False)\n"
        "print('objective', m.objective.value)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "objective 2.0" in proc.stdout
    assert (BANNER in proc.stdout) is not silenced
