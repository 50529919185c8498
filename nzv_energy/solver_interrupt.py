"""Solver calls that Ctrl-C (SIGINT) stops within a fraction of a second.

Python runs signal handlers only in the main thread, between bytecodes: while
the main thread sits inside HiGHS's C++ ``run()``, a SIGINT waits until the
solve returns (tens of seconds on a year's sizing).  :func:`call_interruptibly`
runs the solver call in a worker thread while the main thread waits in short
steps; on ``KeyboardInterrupt`` it asks HiGHS to stop (``Highs.cancelSolve``,
checked by HiGHS's interrupt callbacks every few simplex iterations or MIP
nodes), waits for the worker to return and raises ``KeyboardInterrupt`` again,
so nothing downstream runs and the command line exits with status 130.

linopy (the PyPSA engine of the sizing) does the same inside ``Model.solve``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

import highspy

T = TypeVar("T")

#: How often the waiting main thread lets Python run its signal handlers, s.
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
        Ctrl-C / SIGINT arrived while ``func`` ran; ``func`` has returned.
    BaseException
        Whatever ``func`` raised.

    Notes
    -----
    Outside the main thread (Dask workers, threads of the caller) ``func`` runs
    directly: signals are delivered to the main thread only.
    """
    if threading.current_thread() is not threading.main_thread():
        return func()
    done = threading.Event()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # handed to the main thread below
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    try:
        while not done.wait(POLL_S):
            pass
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            cancel()
        # the solver stops at its next interrupt check; a second Ctrl-C waits on too,
        # so no solver thread is left running while the interpreter shuts down
        while True:
            try:
                if done.wait(POLL_S):
                    break
            except KeyboardInterrupt:
                continue
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
