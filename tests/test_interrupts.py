"""Ctrl-C (SIGINT) and SIGKILL at several stages of a real ``python run.py`` process.

SIGINT during a HiGHS solve ends the process promptly with exit status 130 and
nothing written; SIGINT while the results are written leaves nothing either;
SIGKILL while writing leaves a hidden temporary folder that the next run
writing into the same parent folder removes.  No test waits for a full solve.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nzv_energy.results_io import atomic_directory, remove_leftovers
from nzv_energy.solver_interrupt import call_interruptibly

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
QUICK = SCENARIOS / "single_site_quick.yaml"
FIXED_VPP = SCENARIOS / "lausitz_2030_fixed.yaml"

#: Exit status of a command stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: The issue's requirement: SIGINT during the default run's solve ends it within 2 s.
SOLVE_INTERRUPT_S = 2.0
#: Generous bound for anything that is not the measured requirement (a loaded machine).
STARTUP_S = 300.0


class Run:
    """A ``python run.py ...`` subprocess whose stderr lines are collected as they come."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.proc.stderr is not None
        stream = self.proc.stderr
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = STARTUP_S) -> None:
        """Block until a stderr line contains ``text`` (fail if the process ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return
        pytest.fail(f"no line with {text!r}; stderr so far:\n{''.join(self.seen)}")

    def stderr(self) -> str:
        self._reader.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """Processes started by a test; killed at the end if a failed test left them running."""
    started: list[Run] = []
    yield started
    for run in started:
        run.kill()


def _wait_for_temp_folder(parent: Path, name: str, proc: subprocess.Popen[str]) -> Path:
    """Poll until ``atomic_directory``'s hidden ``.NAME.tmp-<pid>-<hex>`` folder appears."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and proc.poll() is None:
        found = sorted(parent.glob(f".{name}.tmp-{proc.pid}-*"))
        if found:
            return found[0]
        time.sleep(0.005)
    pytest.fail(f"no temporary folder of {name} appeared (exit status {proc.poll()})")


def test_sigint_during_the_default_sizing_solve_exits_130_promptly_with_nothing_written(
    tmp_path: Path, runs: list[Run]
) -> None:
    out = tmp_path / "out"
    run = Run("--out", str(out), cwd=tmp_path)
    runs.append(run)
    run.wait_for("HiGHS: solving the sizing LP")
    time.sleep(1.0)  # well inside the solve (about 20 s on an idle machine)
    assert run.proc.poll() is None, "the solve ended before the signal"
    run.proc.send_signal(signal.SIGINT)
    try:
        status = run.proc.wait(timeout=SOLVE_INTERRUPT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {SOLVE_INTERRUPT_S} s after SIGINT during the solve")
    assert status == EXIT_INTERRUPTED
    assert "interrupted; no results were written" in run.stderr()
    assert list(tmp_path.iterdir()) == [], "something was written"


def test_sigkill_during_the_solve_leaves_nothing(tmp_path: Path, runs: list[Run]) -> None:
    out = tmp_path / "results" / "out"
    run = Run("--out", str(out), cwd=tmp_path)
    runs.append(run)
    run.wait_for("HiGHS: solving the sizing LP")
    run.proc.kill()
    run.proc.wait()
    assert list(tmp_path.iterdir()) == []


def test_sigint_during_a_vpp_window_solve_exits_130_with_nothing_written(
    tmp_path: Path, runs: list[Run]
) -> None:
    out = tmp_path / "vpp"
    run = Run("vpp", str(FIXED_VPP), "--days", "60", "--out", str(out), cwd=tmp_path)
    runs.append(run)
    run.wait_for("scheduling 2019")
    time.sleep(2.0)  # a few windows in (each about 0.5 s, mostly inside HiGHS)
    assert run.proc.poll() is None, "the scheduling ended before the signal"
    run.proc.send_signal(signal.SIGINT)
    status = run.proc.wait(timeout=STARTUP_S)
    assert status == EXIT_INTERRUPTED, run.stderr()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_signal_while_writing_leaves_nothing_the_next_run_does_not_clean(
    tmp_path: Path, runs: list[Run], sig: signal.Signals
) -> None:
    parent = tmp_path / "results"
    out = parent / "quick"
    run = Run("run", str(QUICK), "--out", str(out), cwd=tmp_path)
    runs.append(run)
    tmp = _wait_for_temp_folder(parent, "quick", run.proc)
    run.proc.send_signal(sig)
    status = run.proc.wait(timeout=STARTUP_S)
    assert not out.exists()
    if sig == signal.SIGINT:
        assert status == EXIT_INTERRUPTED
        assert list(parent.iterdir()) == [], "SIGINT left a temporary folder"
        return
    assert status == -signal.SIGKILL
    assert tmp.is_dir(), "SIGKILL cannot clean up: the partial folder stays until the next run"
    # the next run writing into the same parent folder removes it and says so
    nxt = Run("simulate", str(QUICK), "--out", str(parent / "other"), cwd=tmp_path)
    runs.append(nxt)
    assert nxt.proc.wait(timeout=STARTUP_S) == 0, nxt.stderr()
    assert not tmp.exists()
    assert tmp.name in nxt.stderr()
    assert sorted(p.name for p in parent.iterdir()) == ["other"]


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_processes_are_removed_and_a_replaced_folder_restored(
    tmp_path: Path,
) -> None:
    dead = _dead_pid()
    partial = tmp_path / f".a.tmp-{dead}-0badcafe"
    (partial / "figures").mkdir(parents=True)
    (partial / "dispatch.nc").write_bytes(b"partial")
    # killed between moving the old "b" aside and renaming the new one into place
    old_b = tmp_path / f".b.old-{dead}-12345678"
    old_b.mkdir()
    (old_b / "kpis.csv").write_text("previous result")
    # a replaced folder whose successor made it into place
    (tmp_path / "c").mkdir()
    old_c = tmp_path / f".c.old-{dead}-87654321"
    old_c.mkdir()
    # a live writer (this process) and an unrelated hidden folder are left alone
    live = tmp_path / f".d.tmp-{os.getpid()}-aaaaaaaa"
    live.mkdir()
    other = tmp_path / ".git"
    other.mkdir()

    handled = remove_leftovers(tmp_path)

    assert sorted(p.name for p in handled) == sorted([partial.name, old_b.name, old_c.name])
    assert (tmp_path / "b" / "kpis.csv").read_text() == "previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".git", live.name, "b", "c"]
    )


def test_atomic_directory_cleans_the_parent_before_writing(tmp_path: Path) -> None:
    partial = tmp_path / f".x.tmp-{_dead_pid()}-0000abcd"
    partial.mkdir()
    with atomic_directory(tmp_path / "y") as tmp:
        (tmp / "f.txt").write_text("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y"]


def test_call_interruptibly_cancels_the_call_and_raises_after_it_returned() -> None:
    cancelled = threading.Event()
    returned = threading.Event()

    def blocking_call() -> str:
        # stands for HiGHS: runs until asked to stop (at most a minute)
        cancelled.wait(60)
        returned.set()
        return "stopped"

    # Python's own Ctrl-C handler, as a ``run.py`` process has it: a library used by an earlier
    # test in this process may have replaced it (also at the C level, where Python's
    # handler table does not show it); ``signal.signal`` installs it at both levels
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call_interruptibly(blocking_call, cancelled.set, "test-solver")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert cancelled.is_set()
    assert returned.is_set(), "the call was still running when KeyboardInterrupt was raised"


def test_a_ctrl_c_while_the_worker_thread_starts_never_leaves_the_call_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SIGINT can land while ``Thread.start`` waits for the new thread; the caller then
    # unwinds (and e.g. restores HiGHS bounds): the call must either not run at all or
    # have returned, never run beside it
    began = threading.Event()
    ended = threading.Event()
    workers: list[threading.Thread] = []
    start = threading.Thread.start

    def start_then_interrupted(self: threading.Thread) -> None:
        start(self)
        workers.append(self)
        raise KeyboardInterrupt

    def solve() -> None:
        began.set()
        time.sleep(0.5)
        ended.set()

    monkeypatch.setattr(threading.Thread, "start", start_then_interrupted)
    for _ in range(5):  # the worker and the interrupt race: either may come first
        began.clear()
        ended.clear()
        with pytest.raises(KeyboardInterrupt):
            call_interruptibly(solve, lambda: None, "test-solver")
        began_before = began.is_set()
        assert began_before == ended.is_set(), "the call still ran after KeyboardInterrupt"
        workers[-1].join(timeout=10)
        assert not workers[-1].is_alive(), "the worker thread did not end"
        assert began.is_set() == began_before, "the call began after KeyboardInterrupt"


#: Calls interrupted at random moments by real SIGINTs, in a process of their own (a
#: deadlock then fails the test instead of hanging the suite).
_RANDOM_SIGINTS = """
import os, random, signal, sys, threading, time
from nzv_energy.solver_interrupt import call_interruptibly

seen = [0]

def handler(signum, frame):
    seen[0] += 1
    raise KeyboardInterrupt

signal.signal(signal.SIGINT, handler)
rng = random.Random(int(sys.argv[1]))
calls, interrupted, left_running = int(sys.argv[2]), 0, 0
for i in range(calls):
    running = [False]
    stop = threading.Event()

    def solve():
        running[0] = True
        stop.wait(rng.uniform(0.0, 0.002))
        running[0] = False

    timer = threading.Timer(rng.uniform(0.0, 0.002), os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        call_interruptibly(solve, stop.set, "test-solver")
    except KeyboardInterrupt:
        interrupted += 1
        left_running += running[0]
    while seen[0] <= i:  # this call's signal is handled before the next call begins
        try:
            time.sleep(0.0005)
        except KeyboardInterrupt:
            pass
print(interrupted, left_running)
"""


def test_sigints_at_random_moments_never_leave_the_call_running_or_hang() -> None:
    # SIGINT lands anywhere: in ``Thread.start``, in the wait, as the call returns; each
    # interrupted call must have returned (or never begun) when KeyboardInterrupt is raised
    calls = 2000
    done = subprocess.run(
        [sys.executable, "-c", _RANDOM_SIGINTS, "7", str(calls)],
        cwd=ROOT, capture_output=True, text=True, timeout=STARTUP_S,
    )
    assert done.returncode == 0, done.stderr
    interrupted, left_running = map(int, done.stdout.split())
    assert interrupted > calls // 4, "too few calls were interrupted to test anything"
    assert left_running == 0, f"{left_running} interrupted calls were still running"


def test_call_interruptibly_returns_the_value_and_passes_errors_on() -> None:
    assert call_interruptibly(lambda: 42, lambda: None, "test") == 42

    def fails() -> None:
        raise ValueError("solver failed")

    with pytest.raises(ValueError, match="solver failed"):
        call_interruptibly(fails, lambda: None, "test")
