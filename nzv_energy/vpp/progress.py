"""Progress of the rolling horizon: a bar on a terminal, log lines otherwise.

:class:`WindowProgress` is called once per solved window.  On a terminal it
redraws one line on standard error (``vpp  37/365 windows [###-------] 10 %,
1 min 20 s left``); elsewhere (a log file, a pipe, a job) it logs a line at
every tenth of the windows.  The time left is the mean time per window so far
times the windows left.  Nothing it shows enters the results.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger(__name__)

#: Width of the bar, characters.
BAR_WIDTH = 30
#: Shortest interval between two redraws of the bar, s.
REDRAW_S = 0.2


def format_duration(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 05 s`` or ``42 s``."""
    s = max(round(seconds), 0)
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


class WindowProgress:
    """Windows done and time left of a schedule of ``total`` windows.

    Parameters
    ----------
    total
        Windows of the whole schedule.
    stream
        Where the bar is drawn (standard error by default).
    bar
        Draw a bar (True) or log lines (False); None = a bar when ``stream`` is a
        terminal and INFO messages are shown.
    clock
        Seconds counter (``time.perf_counter``; replaceable in tests).
    """

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        bar: bool | None = None,
        clock: object = time.perf_counter,
    ) -> None:
        self.total = max(int(total), 1)
        self.stream = stream if stream is not None else sys.stderr
        if bar is None:
            bar = bool(getattr(self.stream, "isatty", lambda: False)()) and log.isEnabledFor(
                logging.INFO
            )
        self.bar = bar
        self._clock = clock
        self._start = self._now()
        self._last_draw = -float("inf")
        self._next_log = 1
        self.done = 0

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def seconds_left(self) -> float | None:
        """Estimated seconds to the last window (None before the first is done)."""
        if self.done == 0:
            return None
        per_window = (self._now() - self._start) / self.done
        return per_window * (self.total - self.done)

    def text(self) -> str:
        """``37/365 windows (10 %), 1 min 20 s left``."""
        left = self.seconds_left()
        pct = 100 * self.done // self.total
        tail = "" if left is None else f", {format_duration(left)} left"
        if self.done >= self.total:
            tail = f", {format_duration(self._now() - self._start)}"
        return f"{self.done}/{self.total} windows ({pct} %){tail}"

    def __call__(self) -> None:
        """One more window is done."""
        self.done += 1
        if self.bar:
            now = self._now()
            if now - self._last_draw >= REDRAW_S or self.done >= self.total:
                self._last_draw = now
                filled = BAR_WIDTH * self.done // self.total
                bar = "#" * filled + "-" * (BAR_WIDTH - filled)
                end = "\n" if self.done >= self.total else ""
                self.stream.write(f"\rvpp [{bar}] {self.text()}\x1b[K{end}")
                self.stream.flush()
            return
        # log lines at every tenth of the windows
        if self.done * 10 >= self._next_log * self.total:
            while self.done * 10 >= self._next_log * self.total:
                self._next_log += 1
            log.info("%s", self.text())

    def close(self) -> None:
        """End the bar's line if the schedule stopped before its last window."""
        if self.bar and 0 < self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
