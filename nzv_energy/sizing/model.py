"""Stage 2 of the optimiser: the linopy model of the network plus the scenario's constraints.

PyPSA writes the standard model (capacity limits, bus balances, storage
consistency, objective) from the network's components, which already hold
the capacity ranges, the grid policy, the gas backup serving only the local
load and the snapshot weightings (:mod:`nzv_energy.sizing.network`).  The
scenario's other rules (per-year cyclic storage, battery power ties, RFNBO
matching, CO2 and import caps, the storage-backed share, the fixed assets'
capital) are added by :func:`nzv_energy.sizing.extra.extra_functionality`
from the parameters in ``n.meta``: the same function a PyPSA user passes to
``n.optimize`` for ``network.nc``, so the project's PyPSA engine and a
re-optimised ``network.nc`` are one model.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import linopy

from nzv_energy.sizing.extra import FIXED_CAPITAL_VARIABLE, extra_functionality
from nzv_energy.sizing.network import (
    SizingNetwork,
    cheap_hours,
    storage_share_requirement_mwh,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FIXED_CAPITAL_VARIABLE",
    "ExtraFunctionality",
    "cheap_hours",
    "create_model",
    "storage_share_requirement_mwh",
]

#: Signature of a user hook adding constraints: ``hook(sizing_network, model)``.
ExtraFunctionality = Callable[[SizingNetwork, linopy.Model], None]


def create_model(
    sn: SizingNetwork, extra: ExtraFunctionality | None = None
) -> linopy.Model:
    """Create the linopy model of a sizing network with the scenario's constraints.

    Parameters
    ----------
    sn
        The built network (:func:`nzv_energy.sizing.network.build_network`).
    extra
        Optional hook called last with ``(sn, model)`` to add or change constraints.

    Returns
    -------
    linopy.Model
        The model, also available as ``sn.network.model``.
    """
    n = sn.network
    assert n is not None
    # PyPSA's checks, strict: any finding (unknown carrier, missing bus, bad bounds) raises
    n.consistency_check(strict="all")
    # Every extendable asset is a new build (p_nom = 0), so PyPSA's constant for existing
    # extendable capacity is zero and adds no variable whatever its default (which PyPSA
    # announces will change in 2.0): its notice is silenced and the zero checked instead.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        m = n.optimize.create_model(consistency_check=False)  # checked above
    if n.objective_constant:
        raise RuntimeError(
            f"PyPSA's objective constant is {n.objective_constant} EUR/a: an extendable "
            "asset has existing capacity (p_nom > 0), which the sizing network never builds"
        )
    extra_functionality(n, n.snapshots)
    if extra is not None:
        extra(sn, m)
    return m
