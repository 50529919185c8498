"""Keep HiGHS's start-up banner off the console when its output is off.

``highspy`` prints ``Running HiGHS <version> ... Copyright ...`` from C++ on the
first construction of a ``highspy.Highs`` object in a process, before any option
(``output_flag``) can be set on it; later objects never print it again.  Linopy
and Pyomo construct their ``Highs`` objects themselves.  :func:`silence_banner`
constructs that first object with the process's standard output (file
descriptor 1) pointed at the null device, so the banner goes nowhere and every
later ``Highs`` object, whoever constructs it, prints only what its
``output_flag`` allows.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading

_lock = threading.Lock()
_constructed = False


def _flush_c_stdout() -> None:
    """Flush the C library's buffered standard output (HiGHS writes through it)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


def silence_banner() -> None:
    """Construct the process's first ``highspy.Highs`` with standard output discarded.

    Call it before HiGHS is used with ``output_flag`` off; it does nothing once
    a ``Highs`` object was constructed through it.  (An object constructed
    earlier elsewhere has already printed the banner.)
    """
    global _constructed
    with _lock:
        if _constructed:
            return
        import highspy

        with contextlib.suppress(Exception):
            sys.stdout.flush()
        _flush_c_stdout()
        saved = os.dup(1)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                highspy.Highs()
                _flush_c_stdout()
            finally:
                os.dup2(saved, 1)
                os.close(null)
        finally:
            os.close(saved)
        _constructed = True
