"""Benchmark of sweeps on Dask (run: ``python benchmarks/bench_sweep.py``).

A grid sweep on ``scenarios/single_site_quick.yaml`` (Boxberg alone, one weather
year, 2019): electrolysis 0-990 MW in 100 steps x hydrogen storage in N/100
steps.  Prints, from one run:

* 10,000 members evaluated serially (this process, the same batches) and on a
  local Dask cluster (2 single-threaded worker processes): wall time, members
  per second and the speed-up of Dask over serial, measured side by side (best
  of ``--repeats`` runs each, alternating; cluster start and the workers' first
  kernel load are timed separately), and the cores each run actually obtained
  (CPU seconds / wall seconds), which shows when other jobs share the machine.
  Both runs must give identical KPIs.  A plain ``ProcessPoolExecutor`` over the
  same batches is timed alongside as the parallelism the machine offers at the time.
* The whole command (``execute``: validation, inputs, Dask run, dataset,
  figures, CSV) at 10,000 and 100,000 members, each in a fresh process: wall
  time, members per second and the peak memory of the process tree (this
  process plus scheduler-side and worker processes, sampled every 0.1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nzv_energy.sweep.command import execute, prepare  # noqa: E402
from nzv_energy.sweep.engine import dask_client, run_dask  # noqa: E402
from nzv_energy.sweep.evaluate import evaluate_batch, shared_inputs  # noqa: E402
from nzv_energy.sweep.members import batch_bounds, default_batch_size  # noqa: E402
from nzv_energy.sweep.serial import run_serial  # noqa: E402
from nzv_energy.sweep.store import BatchStore  # noqa: E402
from nzv_energy.system import build_inputs  # noqa: E402


def write_sweep(folder: Path, members: int) -> Path:
    """A grid of ``members`` members (a multiple of 100) on single_site_quick.yaml."""
    if members % 100:
        raise SystemExit("members must be a multiple of 100")
    data = {
        "name": f"bench_{members}",
        "base": str(ROOT / "scenarios" / "single_site_quick.yaml"),
        "weather_years": [2019],
        "parameters": {
            "sites.boxberg.electrolysis_mw": {"from": 0, "to": 990, "num": 100},
            "hydrogen.storage_mwh.boxberg": {"from": 0, "to": 20000, "num": members // 100},
        },
    }
    path = folder / f"bench_{members}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _warm(shared: object) -> float:
    """Load the compiled kernels in a worker (first call) and return the seconds it took."""
    from nzv_energy.sweep.members import MemberBatch

    t0 = time.perf_counter()
    values = {p: np.array([0.0]) for p in shared.fields}  # type: ignore[attr-defined]
    batch = MemberBatch(0, 1, values, np.array([shared.arrays.years[0]]))  # type: ignore[attr-defined]
    evaluate_batch(shared, batch)  # type: ignore[arg-type]
    return time.perf_counter() - t0


_POOL: dict[str, object] = {}


def _pool_init(shared: object, table: object) -> None:
    _POOL["shared"], _POOL["table"] = shared, table
    _warm(shared)


def _pool_batch(bounds: tuple[int, int]) -> int:
    start, stop = bounds
    evaluate_batch(_POOL["shared"], _POOL["table"].batch(start, stop))  # type: ignore[arg-type, attr-defined]
    return stop - start


def speed(members: int, workers: int, repeats: int, folder: Path) -> dict[str, float]:
    """Serial and Dask-local runs of the same batches, side by side."""
    spec, table = prepare(write_sweep(folder, members))
    shared = shared_inputs(spec, build_inputs(spec.base, spec.base_file.parent))
    bounds = batch_bounds(table.n_members, default_batch_size(table.n_members))
    first_call = _warm(shared)
    serial_s, dask_s = [], []
    serial_kpis = dask_kpis = None
    t0 = time.perf_counter()
    pool = ProcessPoolExecutor(workers, initializer=_pool_init, initargs=(shared, table))
    list(pool.map(_pool_batch, bounds[:workers]))  # start and warm the processes
    pool_s = []
    with pool, dask_client(None, workers) as client:
        start_s = time.perf_counter() - t0
        fut = client.scatter(shared, broadcast=True, hash=False)
        warm_s = max(
            client.gather(
                [
                    client.submit(_warm, fut, pure=False, workers=[w])
                    for w in client.scheduler_info(n_workers=-1)["workers"]
                ]
            )
        )
        serial_cores, dask_cores = [], []
        for r in range(repeats):
            store = BatchStore(folder / f"serial_{r}", "k")
            c0 = _cpu_s()
            rep = run_serial(shared, table, bounds, store, evaluate_batch)
            serial_cores.append((_cpu_s() - c0) / rep.seconds)
            serial_s.append(rep.seconds)
            serial_kpis = store.read_all(bounds, table.n_members)
            store.remove()
            store = BatchStore(folder / f"dask_{r}", "k")
            c0 = _cluster_cpu_s(client)
            rep = run_dask(client, shared, table, bounds, store, evaluate_batch)
            dask_cores.append((_cluster_cpu_s(client) - c0) / rep.seconds)
            dask_s.append(rep.seconds)
            dask_kpis = store.read_all(bounds, table.n_members)
            store.remove()
            t1 = time.perf_counter()
            assert sum(pool.map(_pool_batch, bounds)) == table.n_members
            pool_s.append(time.perf_counter() - t1)
    assert serial_kpis is not None and dask_kpis is not None
    for name, values in serial_kpis[0].items():
        if not np.array_equal(values, dask_kpis[0][name], equal_nan=True):
            raise SystemExit(f"Dask and serial KPIs differ: {name}")
    return {
        "members": members,
        "batches": len(bounds),
        "first_call_s": first_call,
        "cluster_start_s": start_s,
        "worker_first_call_s": warm_s,
        "serial_s": min(serial_s),
        "dask_s": min(dask_s),
        "serial_all_s": serial_s,
        "dask_all_s": dask_s,
        "pool_s": min(pool_s),
        "serial_cores": serial_cores[int(np.argmin(serial_s))],
        "dask_cores": dask_cores[int(np.argmin(dask_s))],
    }


def _cpu_s() -> float:
    """CPU seconds used by this process so far."""
    return time.process_time()


def _worker_cpu_s() -> float:
    return time.process_time()


def _cluster_cpu_s(client: object) -> float:
    """CPU seconds used so far by the Dask workers and this process (scheduler, client)."""
    per_worker = client.run(_worker_cpu_s)  # type: ignore[attr-defined]
    return float(sum(per_worker.values())) + _cpu_s()


class _TreeMemory:
    """Peak resident memory of this process and all its descendants, sampled."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)

    def _run(self, interval_s: float) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(interval_s)

    def __enter__(self) -> _TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def command_run(members: int, workers: int) -> dict[str, float]:
    """The whole command at ``members`` members, with the process tree's peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_sweep(folder, members)
        with _TreeMemory() as mem:
            t0 = time.perf_counter()
            execute(path, out=folder / "out", workers=workers, show_progress=False)
            wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (folder / "out").rglob("*") if f.is_file())
    return {
        "members": members,
        "wall_s": wall,
        "peak_mb": mem.peak / 2**20,
        "results_mb": size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="members of the memory run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--command-run", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.command_run is not None:
        print(json.dumps(command_run(args.command_run, args.workers)))
        return

    print(
        f"machine: {os.cpu_count()} cores, load average before the run "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        s = speed(args.members, args.workers, args.repeats, Path(tmp))
    n = s["members"]
    print(f"\n{n:,} members (single site, one weather year) in {s['batches']} batches")
    print(f"  first kernel call in a process (cached machine code): {s['first_call_s']:.2f} s")
    print(
        f"  local cluster start ({args.workers} workers): {s['cluster_start_s']:.2f} s; "
        f"first call per worker: {s['worker_first_call_s']:.2f} s"
    )
    print(
        f"  serial:     {s['serial_s']:7.2f} s  {n / s['serial_s']:8.0f} members/s  "
        f"cores obtained {s['serial_cores']:.2f}  "
        f"(runs: {', '.join(f'{x:.2f}' for x in s['serial_all_s'])})"
    )
    print(
        f"  dask local: {s['dask_s']:7.2f} s  {n / s['dask_s']:8.0f} members/s  "
        f"cores obtained {s['dask_cores']:.2f}  "
        f"(runs: {', '.join(f'{x:.2f}' for x in s['dask_all_s'])})"
    )
    print(
        f"  reference, plain process pool ({args.workers} processes, same batches, results "
        f"discarded): {s['pool_s']:.2f} s, {s['serial_s'] / s['pool_s']:.2f}x serial"
    )
    ratio = s["serial_s"] / s["dask_s"]
    print(
        f"  speed-up dask/serial: {ratio:.2f}x on {args.workers} workers (identical KPIs); "
        f"per core obtained: {ratio * s['serial_cores'] / s['dask_cores']:.2f}"
    )
    medians = float(np.median(s["serial_all_s"]) / np.median(s["dask_all_s"]))
    print(f"  speed-up of the median runs: {medians:.2f}x")
    print(
        "  (cores obtained = CPU seconds of the run's processes / wall seconds: below the "
        "worker count when other jobs share the machine)"
    )

    print("\nwhole command (execute: Dask local cluster, dataset, figures), fresh process each:")
    for members in (args.members, args.big):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--command-run",
                str(members),
                "--workers",
                str(args.workers),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  {r['members']:>9,} members: {r['wall_s']:7.1f} s  "
            f"{r['members'] / r['wall_s']:6.0f} members/s  peak memory "
            f"{r['peak_mb']:7.0f} MB (process tree)  results {r['results_mb']:.1f} MB"
        )


if __name__ == "__main__":
    main()
