"""Run a sweep's batches one after another in this process (no Dask).

The same batches and the same evaluator as :func:`nzv_energy.sweep.engine.run_dask`:
the test suite checks both give identical results, and the benchmark measures
the speed-up of the Dask run against this one.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from nzv_energy.sweep.engine import (
    BatchFailure,
    Evaluator,
    Progress,
    RunReport,
    _evaluate_task,
    pending,
    write_result,
)
from nzv_energy.sweep.members import MemberTable
from nzv_energy.sweep.store import BatchStore

log = logging.getLogger(__name__)


def run_serial(
    shared: Any,
    table: MemberTable,
    bounds: Sequence[tuple[int, int]],
    store: BatchStore,
    evaluate: Evaluator,
    progress: Progress | None = None,
    on_hourly: Callable[..., None] | None = None,
) -> RunReport:
    """Evaluate the batches not yet in ``store``, in order, in this process.

    Parameters are those of :func:`nzv_energy.sweep.engine.run_dask` without the client.
    """
    t0 = time.perf_counter()
    todo = pending(store, bounds)
    skipped = len(bounds) - len(todo)
    if progress is not None and skipped:
        progress(sum(b - a for a, b in bounds) - sum(b - a for a, b in todo))
    failures = []
    finished = 0
    for start, stop in todo:
        try:
            result = _evaluate_task(evaluate, shared, table.batch(start, stop))
        except Exception as exc:
            failures.append(
                BatchFailure(start, stop, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            )
            log.error(
                "batch of members %d-%d failed: %s: %s", start, stop - 1, type(exc).__name__, exc
            )
        else:
            write_result(store, result, on_hourly)
            finished += 1
        if progress is not None:
            progress(stop - start)
    return RunReport(len(bounds), skipped, finished, tuple(failures), time.perf_counter() - t0, 1)
