"""Sweeps on real Dask clusters equal the serial run; failures, resume, the command line.

The clusters are real: a ``distributed.LocalCluster`` with two single-threaded
worker processes, and a scheduler plus two workers started as separate
``dask scheduler`` / ``dask worker`` processes on loopback, reached through
``run.py sweep ... --scheduler ADDRESS``.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nzv_energy.dispatch import compute_kpis, simulate
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sweep import evaluate as evaluate_module
from nzv_energy.sweep.command import (
    SweepIncompleteError,
    execute,
    prepare,
    run_key,
    work_folder,
)
from nzv_energy.sweep.engine import run_dask
from nzv_energy.sweep.evaluate import evaluate_batch, shared_inputs
from nzv_energy.sweep.members import batch_bounds
from nzv_energy.sweep.results import DEMAND_MET, LCOH
from nzv_energy.sweep.serial import run_serial
from nzv_energy.sweep.store import BatchStore
from nzv_energy.system import build_inputs

from .sweep_helpers import ROOT, SCENARIOS, SWEEPS, write_sweep

EL = "sites.boxberg.electrolysis_mw"
ST = "hydrogen.storage_mwh.boxberg"
BATTERY_MWH = "sites.boxberg.battery_mwh"

#: 2 x 2 x 2 members on one site and one weather year; battery_mwh 0 with the base's
#: 50 MW battery is an invalid combination: 4 members fail, 4 run.
SMALL = {
    "weather_years": [2019],
    "parameters": {EL: [50, 150], ST: [0, 2000], BATTERY_MWH: [0, 200]},
    "batch_size": 3,
}


def _run_serial(spec, table, folder: Path, evaluate=evaluate_batch):
    inputs = build_inputs(spec.base, spec.base_file.parent)
    shared = shared_inputs(spec, inputs)
    bounds = batch_bounds(table.n_members, spec.model.batch_size or 3)
    store = BatchStore(folder, "k")
    report = run_serial(shared, table, bounds, store, evaluate)
    return store, bounds, report, shared


def _assert_same(a: tuple[dict, np.ndarray], b: tuple[dict, np.ndarray]) -> None:
    kpis_a, err_a = a
    kpis_b, err_b = b
    assert set(kpis_a) == set(kpis_b)
    for name in kpis_a:
        np.testing.assert_array_equal(kpis_a[name], kpis_b[name], err_msg=name)
    assert list(err_a) == list(err_b)


@pytest.fixture(scope="module")
def local_client() -> Iterator[object]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0"
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_local_cluster_equals_serial(local_client, tmp_path: Path) -> None:
    spec, table = prepare(write_sweep(tmp_path, SMALL))
    store_s, bounds, report_s, shared = _run_serial(spec, table, tmp_path / "serial")
    assert report_s.finished == len(bounds) == 3
    store_d = BatchStore(tmp_path / "dask", "k")
    report_d = run_dask(local_client, shared, table, bounds, store_d, evaluate_batch)
    assert report_d.workers == 2 and report_d.finished == 3 and not report_d.failures
    serial = store_s.read_all(bounds, table.n_members)
    dask = store_d.read_all(bounds, table.n_members)
    _assert_same(serial, dask)
    kpis, errors = dask
    bad = table.values[BATTERY_MWH] == 0
    assert [bool(e) for e in errors] == list(bad)
    assert np.all(np.isfinite(kpis[LCOH][~bad])) and np.all(np.isnan(kpis[LCOH][bad]))
    assert all("battery_mwh" in e for e in errors[bad])


def test_member_kpis_equal_a_scenario_file_run(tmp_path: Path) -> None:
    """A member's KPIs = the dispatch of a scenario file written with its values."""
    spec, table = prepare(write_sweep(tmp_path, SMALL))
    store, bounds, _report, _shared = _run_serial(spec, table, tmp_path / "s")
    kpis, errors = store.read_all(bounds, table.n_members)
    for m in (1, 7):  # members with battery_mwh = 200 (valid)
        values = table.describe(m)
        assert not errors[m]
        text = (
            f"extends: {SCENARIOS / 'single_site_quick.yaml'}\n"
            f"weather: {{years: [{values['weather_year']}]}}\n"
            f"sites: {{boxberg: {{electrolysis_mw: {values[EL]}, "
            f"battery_mwh: {values[BATTERY_MWH]}}}}}\n"
            f"hydrogen: {{storage_mwh: {{boxberg: {values[ST]}}}}}\n"
        )
        path = tmp_path / f"member{m}.yaml"
        path.write_text(text, encoding="utf-8")
        scenario = load_scenario(path)
        inputs = build_inputs(scenario, path.parent)
        ref = compute_kpis(simulate(inputs), inputs)
        for name in (
            LCOH,
            DEMAND_MET,
            "co2_emissions_t",
            "hydrogen_delivered_mwh",
            "curtailment_mwh",
        ):
            np.testing.assert_allclose(kpis[name][m], ref[name].iloc[0], rtol=1e-9, err_msg=name)


def test_failing_kernel_member_is_isolated(tmp_path: Path) -> None:
    # a part-load point at 99 % with 70 % efficiency makes hydrogen output fall with load:
    # the kernel wrapper rejects that member; the batch still runs the other three
    content = {
        "parameters": {
            "technology.electrolysis.part_load_point_fraction": [0.2, 0.99],
            "technology.electrolysis.part_load_efficiency": [0.57, 0.7],
        },
        "batch_size": 4,
    }
    spec, table = prepare(write_sweep(tmp_path, content))
    store, bounds, _report, shared = _run_serial(spec, table, tmp_path / "s")
    kpis, errors = store.read_all(bounds, table.n_members)
    failed = [i for i, e in enumerate(errors) if e]
    assert failed == [3]
    assert "part_load_efficiency" in errors[3]
    for i in range(3):  # the same member run alone gives the same KPIs
        alone = evaluate_batch(shared, table.batch(i, i + 1))
        assert alone.kpis[LCOH][0] == kpis[LCOH][i]


def test_resume_skips_finished_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    calls: list[int] = []

    def broken(shared, batch):
        calls.append(batch.start)
        if batch.start == 3:
            raise RuntimeError("worker lost")
        return evaluate_batch(shared, batch)

    monkeypatch.setattr(evaluate_module, "evaluate_batch", broken)
    with pytest.raises(SweepIncompleteError, match="1 of 3 batches failed"):
        execute(path, out=out, serial=True, show_progress=False)
    assert sorted(calls) == [0, 3, 6]
    assert not out.exists()
    work = work_folder(out)
    assert len(list((work / "batches").glob("batch_*.npz"))) == 2

    calls.clear()

    def counting(shared, batch):
        calls.append(batch.start)
        return evaluate_batch(shared, batch)

    monkeypatch.setattr(evaluate_module, "evaluate_batch", counting)
    execute(path, out=out, serial=True, show_progress=False)
    assert calls == [3]  # only the missing batch ran
    assert not work.exists()
    resumed = xr.load_dataset(out / "kpis.nc")

    monkeypatch.setattr(evaluate_module, "evaluate_batch", evaluate_batch)
    execute(path, out=tmp_path / "clean", serial=True, show_progress=False)
    clean = xr.load_dataset(tmp_path / "clean" / "kpis.nc")
    xr.testing.assert_identical(resumed.drop_attrs(), clean.drop_attrs())
    with (out / "failed_members.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["member"]) for r in rows] == [0, 2, 4, 6]
    assert all(float(r[BATTERY_MWH]) == 0 and "battery_mwh" in r["error"] for r in rows)


def test_changed_sweep_file_starts_afresh(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    spec, _ = prepare(path)
    inputs = build_inputs(spec.base, spec.base_file.parent)
    work = work_folder(out)
    # a work folder of this very sweep with one (corrupt) batch file: the same sweep
    # would pick it up, so the run below fails if the changed sweep did too
    store = BatchStore(work, run_key(spec, 3, False, inputs.input_hashes))
    (store.batches / "batch_000000000000_000000000003.npz").write_bytes(b"stale")
    with pytest.raises((ValueError, OSError)):
        execute(path, out=out, serial=True, show_progress=False)
    assert (store.batches / "batch_000000000000_000000000003.npz").read_bytes() == b"stale"
    changed = write_sweep(tmp_path, {**SMALL, "weather_years": [2018]}, name="sweep.yaml")
    execute(changed, out=out, serial=True, show_progress=False)
    assert xr.load_dataset(out / "kpis.nc")["weather_year"].values.tolist() == [2018]


def test_existing_results_need_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nzv_energy.cli import main

    out = tmp_path / "out"
    out.mkdir()
    code = main(["sweep", str(write_sweep(tmp_path, SMALL)), "--out", str(out)])
    assert code == 2
    assert "--force" in capsys.readouterr().err


# --------------------------------------------------------------------------- external cluster


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def external_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask_cluster")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    dask = [sys.executable, "-m", "dask"]
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = (folder / "scheduler.log").open("w")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [
                    *dask,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--dashboard-address",
                    "127.0.0.1:0",
                    "--scheduler-file",
                    str(scheduler_file),
                    "--idle-timeout",
                    "600",
                ],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 60
        address = None
        while address is None:
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "dask scheduler did not start:\n" + (folder / "scheduler.log").read_text()
                )
            try:
                address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            log = (folder / f"worker{i}.log").open("w")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                        "--death-timeout",
                        "60",
                        "--local-directory",
                        str(folder),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def test_external_cluster_through_the_command_line(external_scheduler: str, tmp_path: Path) -> None:
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "cluster"
    proc = _run_cli(["sweep", str(path), "--scheduler", external_scheduler, "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert "2 Dask workers" in proc.stderr
    execute(path, out=tmp_path / "serial", serial=True, show_progress=False)
    got = xr.load_dataset(out / "kpis.nc")
    want = xr.load_dataset(tmp_path / "serial" / "kpis.nc")
    xr.testing.assert_identical(got.drop_attrs(), want.drop_attrs())
    assert got.attrs["engine"] == f"dask {external_scheduler}"
    assert got.attrs["workers"] == 2
    for name in (
        "heatmap_lcoh_demand_met.png",
        "pareto_fronts.png",
        "tornado_lcoh.png",
        "lcoh_distribution.png",
    ):
        assert (out / "figures" / name).stat().st_size > 10_000


def test_unreachable_scheduler_exits_2(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, SMALL)
    # Dask's connect timeout (30 s by default) shortened through its environment config
    proc = _run_cli(
        ["sweep", str(path), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")],
        DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s",
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr


@pytest.mark.slow
def test_shipped_sweep_on_external_cluster(external_scheduler: str, tmp_path: Path) -> None:
    """``sweeps/electrolyser_vs_storage.yaml`` itself on the separately started cluster."""
    path = SWEEPS / "electrolyser_vs_storage.yaml"
    out = tmp_path / "evs"
    proc = _run_cli(["sweep", str(path), "--scheduler", external_scheduler, "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    ds = xr.load_dataset(out / "kpis.nc")
    spec, table = prepare(path)
    assert ds[LCOH].shape == (41, 16, 4)
    assert not ds["failed"].any()
    # spot-check members against this process's serial evaluation of the same batches
    shared = shared_inputs(spec, build_inputs(spec.base, spec.base_file.parent))
    for start in (0, 1000, table.n_members - 5):
        res = evaluate_batch(shared, table.batch(start, start + 5))
        for k in range(5):
            sel = table.index(start + k)
            got = ds[LCOH].isel({d: sel[d] for d in ds[LCOH].dims})
            assert float(got) == res.kpis[LCOH][k]
