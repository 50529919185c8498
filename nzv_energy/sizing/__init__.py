"""Sizing with PyPSA and HiGHS: the cheapest system that serves the hydrogen demand.

Staged as PyPSA's optimiser: :mod:`~nzv_energy.sizing.network` (build the
network) -> :mod:`~nzv_energy.sizing.model` (linopy model and the scenario's
extra constraints) -> :mod:`~nzv_energy.sizing.solve` (HiGHS, status enums,
infeasibility diagnosis) -> :mod:`~nzv_energy.sizing.solution` (a new sized
scenario, costs, LCOH, duals, hourly dataset).  :func:`optimise` runs them all;
:func:`size_and_verify` (:mod:`~nzv_energy.sizing.verify`) re-simulates the result
hour by hour with the dispatch kernels and re-sizes with a design margin while
the rule-based dispatch falls short of the target share.

:func:`extra_functionality` (:mod:`~nzv_energy.sizing.extra`) is PyPSA's hook
for the rules a network file cannot hold: a saved ``network.nc`` re-optimises
to the project's optimum with
``n.optimize(solver_name="highs", extra_functionality=extra_functionality)``.
"""

from nzv_energy.sizing.extra import extra_functionality
from nzv_energy.sizing.optimise import SizingResult, optimise
from nzv_energy.sizing.solve import SolverLimitError, SolveStatus
from nzv_energy.sizing.verify import VerifiedSizing, size_and_verify

__all__ = [
    "SizingResult",
    "SolveStatus",
    "SolverLimitError",
    "VerifiedSizing",
    "extra_functionality",
    "optimise",
    "size_and_verify",
]
