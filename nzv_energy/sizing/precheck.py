"""Cheap feasibility checks before the solver runs, with messages in scenario terms.

Each ``check_*`` returns a message (or ``None``) for a necessary condition of
feasibility that the largest capacities the scenario allows cannot meet: the
solver would only say "infeasible" after building and solving the whole
model, these say which number is too small.  :func:`precheck` raises
:class:`~nzv_energy.errors.ModelInfeasibleError` (exit status 3) with every
message found.
"""

from __future__ import annotations

import logging

import numpy as np

from nzv_energy.errors import ModelInfeasibleError
from nzv_energy.rfnbo import rfnbo_eligible_hours
from nzv_energy.sizing.network import Bounds, capacity_bounds
from nzv_energy.system import SystemInputs

logger = logging.getLogger(__name__)

#: Relative tolerance of the checks (below it, the solver decides).
TOL = 1e-6


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _max(bounds: dict[tuple[str, str], Bounds], site: str, fld: str) -> float:
    return bounds[(site, fld)].hi


def check_electrolysis(inputs: SystemInputs) -> str | None:
    """Mean demand (peak demand without storage) ≤ Σ max electrolysis × efficiency."""
    sc = inputs.scenario
    bounds = capacity_bounds(sc, inputs)
    eff = sc.technology.electrolysis.efficiency
    connected = [s for s in sc.sites if _max(bounds, s, "pipeline_mw") > 0]
    el_max = sum(_max(bounds, s, "electrolysis_mw") for s in connected)
    storage_max = sum(_max(bounds, s, "hydrogen_storage_mwh") for s in connected)
    demand = inputs.hydrogen_demand_mw
    need, what = (
        (float(demand.mean()), "mean")
        if storage_max > 0
        else (float(demand.max()), "peak (no hydrogen storage allowed)")
    )
    if need > el_max * eff * (1 + TOL):
        unconnected = sorted(set(sc.sites) - set(connected))
        note = f"; sites without a pipeline: {', '.join(unconnected)}" if unconnected else ""
        return (
            f"hydrogen demand {_fmt(need)} MW ({what}) exceeds max electrolysis "
            f"{_fmt(el_max)} MW × efficiency {eff:.3g} = {_fmt(el_max * eff)} MW at every "
            f"site together (sites.*.electrolysis_mw){note}"
        )
    return None


def check_pipelines(inputs: SystemInputs) -> str | None:
    """Peak demand ≤ Σ max pipeline capacity."""
    sc = inputs.scenario
    bounds = capacity_bounds(sc, inputs)
    cap = sum(_max(bounds, s, "pipeline_mw") for s in sc.sites)
    peak = float(inputs.hydrogen_demand_mw.max())
    if peak > cap * (1 + TOL):
        return (
            f"hydrogen demand peak {_fmt(peak)} MW exceeds the largest pipeline capacity to "
            f"{sc.hydrogen.demand.site}, {_fmt(cap)} MW in total (sites.*.pipeline_mw)"
        )
    return None


def _site_electricity_max(inputs: SystemInputs, i: int, site: str, rfnbo: bool) -> np.ndarray:
    """Most electricity a site can have for its electrolyser each hour, MW (upper bound)."""
    sc = inputs.scenario
    bounds = capacity_bounds(sc, inputs)
    s = sc.sites[site]
    power = (
        _max(bounds, site, "wind_mw") * inputs.wind_cf[i]
        + _max(bounds, site, "pv_mw") * inputs.pv_cf[i]
    )
    if sc.operation.grid_import:
        eligible = rfnbo_eligible_hours(inputs.price_eur_per_mwh, sc.economics.co2_price_eur_per_t)
        power = power + s.grid_connection_mw * (eligible if rfnbo else 1.0)
    if not rfnbo:
        power = power + _max(bounds, site, "battery_mw")
        if sc.operation.gas_backup_fuel == "natural_gas":
            power = power + _max(bounds, site, "gas_backup_mw")
    return np.maximum(power - s.local_demand_mw, 0.0)


def check_energy(inputs: SystemInputs) -> str | None:
    """Annual hydrogen demand ≤ what the largest allowed plants can produce in a year."""
    sc = inputs.scenario
    bounds = capacity_bounds(sc, inputs)
    eff = sc.technology.electrolysis.efficiency
    rfnbo = sc.optimisation.rfnbo != "none"
    producible = 0.0
    electricity = 0.0
    for i, site in enumerate(sc.sites):
        if _max(bounds, site, "pipeline_mw") <= 0:
            continue
        el = _site_electricity_max(inputs, i, site, rfnbo)
        usable = np.minimum(el, _max(bounds, site, "electrolysis_mw"))
        electricity += float(el.sum())
        producible += float(usable.sum()) * eff
    demand = float(inputs.hydrogen_demand_mw.sum())
    if demand > producible * (1 + TOL):
        n_years = len(inputs.years)
        sources = "max wind and PV" + (
            ", grid import in the hours the RFNBO rule counts renewable (at or below "
            "20 EUR/MWh or below 0.36 x the CO2 price)" if rfnbo else
            ", battery power, gas backup and grid import as allowed"
        )
        return (
            f"hydrogen demand of {_fmt(demand / n_years)} MWh a year needs at least "
            f"{_fmt(demand / eff / n_years)} MWh of electricity at efficiency {eff:.3g}; "
            f"{sources} give the electrolysers at most {_fmt(producible / eff / n_years)} MWh "
            f"a year (of {_fmt(electricity / n_years)} MWh available at the sites)"
        )
    return None


def check_hourly_without_storage(inputs: SystemInputs) -> str | None:
    """Without hydrogen storage every hour's demand must be produced in that hour."""
    sc = inputs.scenario
    bounds = capacity_bounds(sc, inputs)
    if any(_max(bounds, s, "hydrogen_storage_mwh") > 0 for s in sc.sites):
        return None
    eff = sc.technology.electrolysis.efficiency
    rfnbo = sc.optimisation.rfnbo != "none"
    deliverable = np.zeros(len(inputs.time))
    for i, site in enumerate(sc.sites):
        pipe = _max(bounds, site, "pipeline_mw")
        if pipe <= 0:
            continue
        el = np.minimum(_site_electricity_max(inputs, i, site, rfnbo),
                        _max(bounds, site, "electrolysis_mw"))
        deliverable += np.minimum(el * eff, pipe)
    short = inputs.hydrogen_demand_mw > deliverable * (1 + TOL) + TOL
    if short.any():
        first = int(np.flatnonzero(short)[0])
        return (
            f"without hydrogen storage (hydrogen.storage_mwh) the demand must be produced "
            f"hour by hour, but in {int(short.sum()):,} hours the largest allowed plants "
            f"cannot produce it (first {inputs.time[first]:%Y-%m-%d %H:%M}: at most "
            f"{_fmt(deliverable[first])} MW of hydrogen for a demand of "
            f"{_fmt(inputs.hydrogen_demand_mw[first])} MW)"
        )
    return None


def check_storage_share(inputs: SystemInputs) -> str | None:
    """The storage-backed share needs no more hydrogen storage than the scenario allows."""
    sc = inputs.scenario
    share = sc.optimisation.min_storage_share
    if share is None:
        return None
    bounds = capacity_bounds(sc, inputs)
    allowed = sum(_max(bounds, s, "hydrogen_storage_mwh") for s in sc.sites)
    need = share * float(inputs.hydrogen_demand_mw.sum()) / len(inputs.years)
    if need > allowed * (1 + TOL):
        return (
            f"optimisation.min_storage_share {share:g} needs {_fmt(need)} MWh of hydrogen "
            f"storage ({share:g} × annual demand); hydrogen.storage_mwh allows at most "
            f"{_fmt(allowed)} MWh"
        )
    return None


CHECKS = (
    check_pipelines,
    check_electrolysis,
    check_energy,
    check_hourly_without_storage,
    check_storage_share,
)


def precheck(inputs: SystemInputs) -> None:
    """Run every cheap feasibility check.

    Raises
    ------
    ModelInfeasibleError
        At least one check failed; the message lists every failure.
    """
    problems = [msg for check in CHECKS if (msg := check(inputs)) is not None]
    if problems:
        raise ModelInfeasibleError(
            f"scenario {inputs.scenario.name!r} cannot be sized (checked before solving): "
            + "; ".join(problems)
        )
