"""Shared fixtures: paths to the shipped scenarios and a scenario-file writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml

from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SystemInputs, build_inputs

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
#: The scenarios shipped with the project, by file name (not a glob of the folder: users keep
#: their own scenarios there, and those are not tests). Their names are those the README lists.
SHIPPED_SCENARIOS = (
    "lausitz_2030",
    "lausitz_2030_4years",
    "lausitz_2030_fixed",
    "lausitz_2040",
    "single_site_heat",
    "single_site_heat_sizing",
    "single_site_quick",
    "single_site_sizing",
)

#: Machine epsilon of float64: the relative rounding of one operation is at most half of it.
EPS = float(np.finfo(np.float64).eps)
#: HiGHS's default ``primal_feasibility_tolerance``: the absolute violation a solution may
#: leave in each row of the (scaled) model, so LP results carry errors of this order times
#: the size of the numbers in the row, whatever the BLAS or solver version.
HIGHS_FEASIBILITY_TOLERANCE = 1e-7


def shipped_inputs(name: str, years: tuple[int, ...]) -> SystemInputs:
    """The inputs of shipped scenario ``name`` with its weather years set to ``years``."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    scenario = scenario.model_copy(
        update={"weather": scenario.weather.model_copy(update={"years": years})}
    )
    return build_inputs(scenario, SCENARIOS)


def rounding_tol(magnitude: float, n_ops: int = 1) -> float:
    """Absolute tolerance for ``n_ops`` floating-point operations on numbers of ``magnitude``.

    Each operation rounds by at most ``EPS / 2`` of its result; a factor 4 covers the
    worse case of errors adding up with cancellation (a sum of terms of that magnitude).
    """
    return 4.0 * n_ops * EPS * max(abs(magnitude), 1.0)


def lp_tol(magnitude: float, n_rows: int = 1) -> float:
    """Absolute tolerance for an LP result of ``magnitude`` summed over ``n_rows`` rows.

    HiGHS's feasibility tolerance times the magnitude (at least 1) per row: a real error
    of the model (a MWh in the wrong hour, a constraint missing) is orders of magnitude
    larger.
    """
    return HIGHS_FEASIBILITY_TOLERANCE * max(abs(magnitude), 1.0) * n_rows


#: Test runs of at least this many tests compile the common kernel variants first.
WARM_KERNELS_FROM_TESTS = 50


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """In a large test run, the dispatch kernels' common variants are compiled before the
    tests start, shared out between the worker processes (tests/kernel_warmup.py)."""
    if request.session.testscollected < WARM_KERNELS_FROM_TESTS:
        return
    from tests.kernel_warmup import warm_kernels

    # the parent of each worker's base temporary folder is shared by all workers of the run
    warm_kernels(tmp_path_factory.getbasetemp().parent)


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario extending ``single_site_quick.yaml`` with the given overrides."""

    def _write(overrides: dict | str, name: str = "case.yaml", base: str | None = None) -> Path:
        path = tmp_path / name
        if isinstance(overrides, str):
            path.write_text(overrides, encoding="utf-8")
            return path
        data = {"extends": str(SCENARIOS / (base or "single_site_quick.yaml")), **overrides}
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return path

    return _write
