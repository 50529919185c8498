"""Solver calls that Ctrl-C (SIGINT) stops within a fraction of a second.

Python runs signal handlers only in the main thread, between bytecodes: while
the main thread sits inside HiGHS's C++ ``run()``, a SIGINT waits until the
solve returns (tens of seconds on a year's sizing).  :func:`call_interruptibly`
runs the solver call in a worker thread while the main thread waits on a lock
(a signal interrupts the wait); on ``KeyboardInterrupt`` it asks HiGHS to stop
(``Highs.cancelSolve``, checked by HiGHS's interrupt callbacks every few simplex
iterations or MIP nodes), waits for the worker to return and raises
``KeyboardInterrupt`` again, so nothing downstream runs and the command line
exits with status 130.

linopy (the PyPSA engine of the sizing) does the same inside ``Model.solve``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

import highspy

T = TypeVar("T")

#: Longest single wait of the main thread for the worker, s: where a lock wait is not
#: interrupted by signals (Windows), how soon a Ctrl-C is seen.
POLL_S = 0.05


def enable_cancel(h: highspy.Highs) -> None:
    """Let :meth:`highspy.Highs.cancelSolve` stop a running solve of ``h``.

    Registers highspy's handlers of HiGHS's simplex, interior-point and MIP
    interrupt callbacks (``HandleUserInterrupt``); they cost one Python call
    per callback check.
    """
    h.HandleUserInterrupt = True


def call_interruptibly(func: Callable[[], T], cancel: Callable[[], None], name: str) -> T:
    """``func()``, run so that a ``KeyboardInterrupt`` stops it promptly.

    Parameters
    ----------
    func
        The blocking solver call.
    cancel
        Asks the running ``func`` to return early (e.g. ``Highs.cancelSolve``);
        called once, from the main thread, on ``KeyboardInterrupt``.
    name
        Name of the worker thread (shows in debuggers and thread dumps).

    Returns
    -------
    T
        What ``func`` returned.

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C / SIGINT arrived while ``func`` ran (``func`` has returned) or
        before it began (``func`` is not called): the caller never goes on
        while ``func`` still runs.
    BaseException
        Whatever ``func`` raised.

    Notes
    -----
    Outside the main thread (Dask workers, threads of the caller) ``func`` runs
    directly: signals are delivered to the main thread only.
    """
    if threading.current_thread() is not threading.main_thread():
        return func()
    # The main thread waits on a plain lock, never on a ``threading.Event``: a
    # KeyboardInterrupt raised inside ``Event.wait`` or ``Event.set`` can leave the
    # event's internal lock held, and the worker's ``set`` then blocks for ever.
    # A lock's ``acquire`` is interrupted cleanly: it either returns or raises
    # without holding the lock.
    claim: list[str] = []  # the first entry decides: "call" (the worker) or "abandon"
    outcome: dict[str, object] = {}
    finished = threading.Lock()
    finished.acquire()  # released by the worker when it is done

    def target() -> None:
        try:
            claim.append("call")
            if claim[0] == "call":
                outcome["value"] = func()
        except BaseException as exc:  # handed to the main thread below
            outcome["error"] = exc
        finally:
            outcome["done"] = True
            finished.release()

    def wait() -> None:
        while "done" not in outcome:
            finished.acquire(timeout=POLL_S)

    worker = threading.Thread(target=target, name=name, daemon=True)
    try:
        # a Ctrl-C can arrive while ``start`` waits for the new thread: the worker then
        # exists and may have begun the call, which must not go on beside the caller
        worker.start()
        wait()
    except KeyboardInterrupt:
        claim.append("abandon")
        if claim[0] == "call":
            with contextlib.suppress(Exception):
                cancel()
            # the solver stops at its next interrupt check; a second Ctrl-C waits on too,
            # so no solver thread is left running while the interpreter shuts down
            while True:
                try:
                    wait()
                    break
                except KeyboardInterrupt:
                    continue
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
