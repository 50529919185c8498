"""Sizing with PyPSA and HiGHS: the cheapest system that serves the hydrogen demand.

Staged as PyPSA's optimiser: :mod:`~nzv_energy.sizing.network` (build the
network) -> :mod:`~nzv_energy.sizing.model` (linopy model and the scenario's
extra constraints) -> :mod:`~nzv_energy.sizing.solve` (HiGHS, status enums,
infeasibility diagnosis) -> :mod:`~nzv_energy.sizing.solution` (a new sized
scenario, costs, LCOH, duals, hourly dataset).  :func:`optimise` runs them all.
"""

from nzv_energy.sizing.optimise import SizingResult, optimise
from nzv_energy.sizing.solve import SolverLimitError, SolveStatus

__all__ = ["SizingResult", "SolveStatus", "SolverLimitError", "optimise"]
