"""Compile the dispatch kernels' common variants once per test run, split across workers.

numba compiles each variant of the dispatch pass (hourly outputs or totals only, with or
without district heat, with or without the rarer rules; ``docs/dispatch.md``, "The compiled
kernels") on first use, in seconds, and caches it in ``kernels/__pycache__``.  In a parallel
test run every worker process - and every ``python run.py`` subprocess a test starts before
the cache holds a variant - would compile the same variants at the same time.  Here the
workers share out the common variants (one file lock per group: a worker compiles the groups
no other worker has taken, then waits for the rest, which it then loads from the cache).
Each group runs the project's own code paths on shipped inputs, so the compiled types are
the ones the tests use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from nzv_energy.dispatch import (
    capacity_array,
    dispatch_parameter_vector,
    run_ensemble,
    simulate,
)
from nzv_energy.dispatch.parameters import DISPATCH_INDEX
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs, fixed_capacities

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _case(name: str, firm_mw: float = 0.0) -> tuple:
    path = SCENARIOS / f"{name}.yaml"
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, path.parent)
    inputs = inputs.select_year(inputs.years[0])
    caps = fixed_capacities(scenario)
    par = dispatch_parameter_vector(scenario)
    par[DISPATCH_INDEX["firm_mw"]] = firm_mw
    cap = capacity_array(caps, inputs.site_names)
    return inputs, caps, par, np.stack([cap, cap])


def _runs(name: str, firm_mw: float = 0.0) -> Callable[[], None]:
    def run() -> None:
        inputs, caps, par, members = _case(name, firm_mw)
        simulate(inputs, caps, dispatch_params=par)
        for backend in ("serial", "prange"):
            run_ensemble(inputs, members, dispatch_params=par, backend=backend)
    return run


def _lanes(name: str) -> Callable[[], None]:
    """A KPI-only ensemble large enough for a block of SIMD lanes (kernels/lanes.py)."""
    def run() -> None:
        inputs, _, par, members = _case(name)
        run_ensemble(inputs, np.concatenate([members] * 8), dispatch_params=par,
                     backend="serial")
    return run


#: Groups of variants: the rules without heat (plain and with the firm commitment, the
#: variant of the rarer rules), with district heat, and ensemble members as SIMD lanes
#: (one variant per number of sites: 3 and 1).
GROUPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("plain", _runs("lausitz_2030_fixed")),
    ("general", _runs("lausitz_2030_fixed", firm_mw=100.0)),
    ("heat", _runs("single_site_heat")),
    ("lanes-3", _lanes("lausitz_2030_fixed")),
    ("lanes-1", _lanes("single_site_quick")),
)


@contextlib.contextmanager
def _lock(path: Path, wait: bool) -> Iterator[bool]:
    with open(path, "a+b") as handle:
        if fcntl is None:
            yield True
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def warm_kernels(lock_dir: Path) -> None:
    """Compile (or load from the cache) every group, sharing the work with other processes."""
    pending = []
    for name, run in GROUPS:
        with _lock(lock_dir / f"nzv-kernels-{name}.lock", wait=False) as mine:
            if mine:
                run()
            else:
                pending.append((name, run))
    for name, run in pending:  # taken by another process: wait for it, then load the cache
        with _lock(lock_dir / f"nzv-kernels-{name}.lock", wait=True):
            run()
