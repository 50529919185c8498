"""Run a sweep's batches on Dask: a local cluster by default, or any running scheduler.

The shared hourly inputs are sent to every worker once
(``client.scatter(..., broadcast=True)``); each task evaluates one batch of
members (many kernel calls) and sends back only its KPIs (and hourly results
when asked for).  Results are written per batch as they arrive, so an
interrupted sweep resumes where it stopped; a batch whose task fails is
reported and the others go on.

Clusters
--------
Local (default): :class:`distributed.LocalCluster` with one single-threaded
worker process per core (the kernels hold the GIL only briefly, but processes
keep numba's and NumPy's own threads out of each other's way).

Existing: ``--scheduler tcp://host:8786`` connects to a scheduler started with
``dask scheduler`` and workers started with ``dask worker tcp://host:8786``
(or ``--scheduler-file``); dask-jobqueue starts such workers through SLURM or
PBS.  Workers need nzv-energy installed and the same ``inputs/`` data are not
needed there: the inputs travel with the scatter.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from nzv_energy.errors import NzvError
from nzv_energy.sweep.members import MemberBatch, MemberTable
from nzv_energy.sweep.store import BatchResult, BatchStore

log = logging.getLogger(__name__)

#: Evaluates one batch: ``(shared inputs, batch) -> BatchResult``.
Evaluator = Callable[[Any, MemberBatch], BatchResult]
#: Called with the number of members just finished.
Progress = Callable[[int], None]

#: Environment of local worker processes: one thread each for numba/BLAS.
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


class SchedulerConnectError(NzvError):
    """The Dask scheduler given with ``--scheduler`` cannot be reached."""

    exit_code = 2


@dataclass(frozen=True)
class BatchFailure:
    """A batch whose task raised (its members are not written; a re-run retries it)."""

    start: int
    stop: int
    error: str
    traceback: str = ""


@dataclass(frozen=True)
class RunReport:
    """What a run did.

    Attributes
    ----------
    n_batches
        Batches of the sweep.
    skipped
        Batches found already written (resumed).
    finished
        Batches evaluated and written in this run.
    failures
        Batches whose task raised.
    seconds
        Wall time of the run.
    workers
        Number of workers (1 for a serial run).
    """

    n_batches: int
    skipped: int
    finished: int
    failures: tuple[BatchFailure, ...]
    seconds: float
    workers: int


def _evaluate_task(evaluate: Evaluator, shared: Any, batch: MemberBatch) -> BatchResult:
    """Run on a worker: evaluate one batch and time it."""
    t0 = time.perf_counter()
    result = evaluate(shared, batch)
    result.seconds = time.perf_counter() - t0
    return result


def pending(store: BatchStore, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Batches not yet written."""
    done = store.done()
    return [b for b in bounds if b not in done]


def write_result(
    store: BatchStore, result: BatchResult, on_hourly: Callable[..., None] | None
) -> None:
    """Write a finished batch (hourly files first: the batch file marks completion)."""
    if result.hourly is not None and on_hourly is not None:
        on_hourly(result)
    store.write(result)


def _import_distributed() -> Any:
    """Import ``distributed`` without letting it reset the caller's log levels.

    On first import, distributed applies its own logging configuration (INFO on
    its loggers); the level the command line chose for ``distributed`` is put back.
    """
    logger = logging.getLogger("distributed")
    level = logger.level
    import distributed

    if level:
        logger.setLevel(level)
    return distributed


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Any]:
    """A Dask client: connected to ``scheduler``, or to a new local cluster.

    Parameters
    ----------
    scheduler
        Address (``tcp://host:port``) or a scheduler JSON file (``--scheduler-file``
        of ``dask scheduler``); ``None`` starts a :class:`~distributed.LocalCluster`.
    n_workers
        Worker processes of the local cluster (default: the number of cores).

    Raises
    ------
    SchedulerConnectError
        The scheduler does not answer within Dask's connect timeout
        (``distributed.comm.timeouts.connect``, 30 s unless configured).
    """
    distributed = _import_distributed()
    Client, LocalCluster = distributed.Client, distributed.LocalCluster

    if scheduler is not None:
        kwargs: dict[str, Any] = {}
        if os.path.isfile(scheduler):
            kwargs["scheduler_file"] = scheduler
        else:
            kwargs["address"] = scheduler
        try:
            client = Client(**kwargs)
        except (OSError, TimeoutError) as exc:
            raise SchedulerConnectError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                "'dask scheduler' and workers with 'dask worker ADDRESS'"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = n_workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",  # HTTP routes on a free loopback port
        env=WORKER_ENV,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def n_workers_of(client: Any, wait_s: float = 30.0) -> int:
    """Number of workers connected to the client's scheduler (waits for at least one)."""
    deadline = time.monotonic() + wait_s
    while True:
        n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        if n or time.monotonic() > deadline:
            return n
        time.sleep(0.2)


def run_dask(
    client: Any,
    shared: Any,
    table: MemberTable,
    bounds: Sequence[tuple[int, int]],
    store: BatchStore,
    evaluate: Evaluator,
    progress: Progress | None = None,
    on_hourly: Callable[..., None] | None = None,
) -> RunReport:
    """Evaluate the batches not yet in ``store`` on a Dask cluster.

    Parameters
    ----------
    client
        A :class:`distributed.Client`.
    shared
        Inputs every batch needs (scattered once to every worker).
    table
        The sweep's members.
    bounds
        ``(start, stop)`` of every batch.
    store
        Where finished batches are written (and found when resuming).
    evaluate
        The batch evaluator (a module-level function: it travels by reference).
    progress
        Called with the number of members of each finished (or skipped) batch.
    on_hourly
        Writes a batch's hourly results (when it carries any).

    Returns
    -------
    RunReport
    """
    from distributed import as_completed

    t0 = time.perf_counter()
    todo = pending(store, bounds)
    skipped = len(bounds) - len(todo)
    if progress is not None and skipped:
        progress(sum(b - a for a, b in bounds) - sum(b - a for a, b in todo))
    workers = n_workers_of(client)
    failures: list[BatchFailure] = []
    finished = 0
    if todo:
        if workers == 0:
            raise SchedulerConnectError("the Dask scheduler has no workers; start 'dask worker'")
        shared_future = client.scatter(shared, broadcast=True, hash=False)
        token = uuid.uuid4().hex[:8]
        live: dict[str, Any] = {}
        where: dict[str, tuple[int, int]] = {}
        for start, stop in todo:
            fut = client.submit(
                _evaluate_task,
                evaluate,
                shared_future,
                table.batch(start, stop),
                key=f"nzv-sweep-{token}-{start}-{stop}",
                pure=False,
            )
            live[fut.key] = fut
            where[fut.key] = (start, stop)
        log.info(
            "%d batches (%d members) on %d Dask workers%s",
            len(todo),
            sum(b - a for a, b in todo),
            workers,
            f"; {skipped} batches already done" if skipped else "",
        )
        try:
            for fut in as_completed(list(live.values())):
                start, stop = where[fut.key]
                if fut.status == "error":
                    exc = fut.exception()
                    tb = fut.traceback()
                    text = "".join(traceback.format_tb(tb)) if tb is not None else ""
                    failures.append(BatchFailure(start, stop, f"{type(exc).__name__}: {exc}", text))
                    log.error(
                        "batch of members %d-%d failed: %s: %s",
                        start,
                        stop - 1,
                        type(exc).__name__,
                        exc,
                    )
                else:
                    write_result(store, fut.result(), on_hourly)
                    finished += 1
                del live[fut.key]  # drop the reference: the cluster frees the result
                if progress is not None:
                    progress(stop - start)
        finally:
            if live:
                client.cancel(list(live.values()))
            live.clear()
            client.cancel([shared_future])
    return RunReport(
        len(bounds), skipped, finished, tuple(failures), time.perf_counter() - t0, workers
    )
