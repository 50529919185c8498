"""Same inputs, same bytes: the three-site run twice, provenance without wall-clock values.

The byte comparison runs ``python run.py run S --out A`` and ``--out B`` as real processes,
so each has its own string-hash seed: anything that follows set or dict-of-set order
(PyPSA's component walk) shows up as a difference. ``S`` is the default scenario without
its district heat, on 12-hour segments and with at most one design-margin re-sizing
(``extends: lausitz_2030``): the same steps and files as the default run (sizing, a
re-sizing where the rules fall short of the target, re-simulation, network file, figures,
report, page) in about 35 s each side by side on the 2-core machine, against 141 s with
the default's 3-hour segments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from nzv_energy.errors import NzvInputError
from nzv_energy.results_io import (
    creation_time,
    lock_file_status,
    provenance,
    reproducible_command,
    set_timestamp,
)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 1800


#: The default scenario without its district heat, on 12-hour segments and with one
#: design-margin re-sizing at most, written next to the two results folders.
SCENARIO_FILE = "three_sites.yaml"
SCENARIO_TEXT = (
    "extends: lausitz_2030\nname: three_sites\nheat: null\n"
    "optimisation: {segment_hours: 12, max_margin_iterations: 1}\n"
)


def _run_twice(parent: Path, scenario: str, seeds: tuple[str, str]) -> tuple[Path, Path]:
    """``python run.py run SCENARIO --out A`` and ``--out B`` in ``parent``, side by side.

    Each process has its own string-hash seed and no SOURCE_DATE_EPOCH; both must succeed.
    """
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    outs = (parent / "A", parent / "B")
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "-q", "run", scenario, "--out", str(out)],
            cwd=parent, env={**env, "PYTHONHASHSEED": seed}, stdout=subprocess.DEVNULL,
        )
        for out, seed in zip(outs, seeds, strict=True)
    ]
    try:
        codes = [p.wait(timeout=TIMEOUT_S) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert codes == [0, 0]
    return outs


@pytest.fixture(scope="session")
def default_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two results folders of the three sites, ``python run.py run S --out A`` and ``B``.

    The two processes run side by side (one per core), each with its own hash seed.
    """
    parent = tmp_path_factory.mktemp("reproducible")
    (parent / SCENARIO_FILE).write_text(SCENARIO_TEXT, encoding="utf-8")
    return _run_twice(parent, SCENARIO_FILE, ("1", "2"))


@pytest.fixture(scope="session")
def default_run_a(default_runs: tuple[Path, Path]) -> Path:
    """The three-site results folder, written by ``python run.py run S --out A``."""
    return default_runs[0]


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_two_default_runs_write_identical_bytes(default_runs: tuple[Path, Path]) -> None:
    default_run_a, b = default_runs
    names = _files(default_run_a)
    assert names == _files(b)
    # the files the issue found differing are among those compared
    for name in ("dispatch.nc", "network.nc", "report.md", "report.html", "sizing_steps.csv",
                 "provenance.json"):
        assert name in names
    differing = [n for n in names if (default_run_a / n).read_bytes() != (b / n).read_bytes()]
    assert differing == []


def test_the_default_run_records_no_wall_clock_and_no_output_path(default_run_a: Path) -> None:
    prov = json.loads((default_run_a / "provenance.json").read_text())
    assert "created_utc" not in prov
    assert prov["command"] == f"run.py run {SCENARIO_FILE}"
    assert "seconds" not in (default_run_a / "sizing_steps.csv").read_text().splitlines()[0]
    report = (default_run_a / "report.md").read_text()
    assert "Written" not in report
    assert str(default_run_a.parent) not in report
    assert str(ROOT) not in report


def test_network_file_reads_back_as_a_pypsa_network(default_run_a: Path) -> None:
    import pypsa

    n = pypsa.Network(default_run_a / "network.nc")
    assert set(n.generators.index) and set(n.links.index) and set(n.stores.index)
    assert len(n.snapshots) > 0


def test_no_creation_time_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    set_timestamp(False)
    assert creation_time() is None
    assert "created_utc" not in provenance("name: x\n", {})
    set_timestamp(True)
    try:
        stamp = provenance("name: x\n", {})["created_utc"]
    finally:
        set_timestamp(False)
    assert stamp.endswith("Z") and stamp[4] == "-" and stamp[10] == "T"


def test_source_date_epoch_sets_the_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # 86,400 s after the epoch is the start of 2 January 1970
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert provenance("name: x\n", {})["created_utc"] == "1970-01-02T00:00:00Z"
    # it wins over the wall clock
    set_timestamp(True)
    try:
        assert creation_time() == "1970-01-02T00:00:00Z"
    finally:
        set_timestamp(False)


def test_a_malformed_source_date_epoch_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(NzvInputError, match=r"SOURCE_DATE_EPOCH.*yesterday"):
        creation_time()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/opt/venv/bin/nzv", "run", "s.yaml", "--out", "/tmp/A", "--force"], "nzv run s.yaml"),
        (["run.py", "-q", "--out=/tmp/B", "optimise", "s.yaml", "--mode", "fast"],
         "run.py optimise s.yaml --mode fast"),
        (["run.py", "vpp", "my scenario.yaml", "--days", "3", "--timestamp"],
         "run.py vpp 'my scenario.yaml' --days 3"),
    ],
)
def test_the_recorded_command_leaves_out_where_the_results_went(
    argv: list[str], expected: str
) -> None:
    assert reproducible_command(argv) == expected


def test_an_explicit_command_is_recorded_without_the_output_folder() -> None:
    prov = provenance("name: x\n", {}, command="run.py vpp s.yaml --out /tmp/x --days 2")
    assert prov["command"] == "run.py vpp s.yaml --days 2"


def test_lock_file_status_compares_installed_versions(tmp_path: Path) -> None:
    numpy_version = metadata.version("numpy")
    lock = tmp_path / "lock.txt"
    lock.write_text(f"# comment\nnumpy=={numpy_version}\n", encoding="utf-8")
    status = lock_file_status(lock)
    assert status["lock_file_match"] == "yes"
    assert len(status["lock_file_sha256"]) == 64
    lock.write_text("numpy==0.0.1\nno-such-package-nzv==1.0\n", encoding="utf-8")
    status = lock_file_status(lock)
    assert status["lock_file_match"].startswith("no: ")
    assert f"numpy installed {numpy_version}, locked 0.0.1" in status["lock_file_match"]
    assert "no-such-package-nzv installed not installed" in status["lock_file_match"]
    assert lock_file_status(tmp_path / "missing.txt")["lock_file_match"] == "no lock file"


def test_the_shipped_lock_file_pins_every_direct_dependency() -> None:
    lock = ROOT / "requirements-lock.txt"
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in lock.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    requires = metadata.requires("nzv-energy") or []
    direct = {
        r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower().replace("_", "-")
        for r in requires
        if "extra ==" not in r or "extra == \"test\"" in r
    }
    assert direct - pinned == set()


def test_two_runs_with_district_heat_write_identical_bytes(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same for a run with district heat (single_site_heat: heat rules, the run without
    waste heat for its value, heat_kpis.csv, heat figures and report section)."""
    a, b = _run_twice(tmp_path_factory.mktemp("reproducible_heat"), "single_site_heat",
                      ("3", "4"))
    names = _files(a)
    assert names == _files(b)
    assert "heat_kpis.csv" in names and "figures/heat_duration_boxberg.png" in names
    assert [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()] == []
