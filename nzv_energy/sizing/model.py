"""Stage 2 of the optimiser: the linopy model of the network plus the scenario's constraints.

PyPSA writes the standard model (capacity limits, bus balances, storage
consistency, objective); this module adds, through one hook, what the
scenario asks for beyond it:

* battery power: discharger and charger share one AC rating when the power
  is sized (:func:`add_battery_power_ties`);
* gas backup serves only the site's own load, never the electrolyser (as in
  the dispatch rules; :func:`add_gas_backup_for_local_load`);
* EU RFNBO compliance (Delegated Act (EU) 2023/1184, temporal correlation):
  each site's electrolyser consumption at most the site's renewable
  generation plus grid power bought in hours priced at or below the
  threshold, every hour or summed per calendar month (:func:`add_rfnbo`);
* a CO2 cap on the natural-gas backup (:func:`add_co2_cap`);
* a cap on the grid import of all sites (:func:`add_import_cap`);
* a minimum storage-backed share of the demand (:func:`add_storage_share`).

Every annual quantity is a mean over the weather years: sums over snapshots
are weighted by the hours each snapshot stands for and divided by the number
of years.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.sizing.network import SizingNetwork

logger = logging.getLogger(__name__)

#: Signature of a user hook adding constraints: ``hook(sizing_network, model)``.
ExtraFunctionality = Callable[[SizingNetwork, linopy.Model], None]


def create_model(
    sn: SizingNetwork, extra_functionality: ExtraFunctionality | None = None
) -> linopy.Model:
    """Create the linopy model of a sizing network with the scenario's constraints.

    Parameters
    ----------
    sn
        The built network (:func:`nzv_energy.sizing.network.build_network`).
    extra_functionality
        Optional hook called last with ``(sn, model)`` to add or change constraints.

    Returns
    -------
    linopy.Model
        The model, also available as ``sn.network.model``.
    """
    n = sn.network
    m = n.optimize.create_model(consistency_check=False, include_objective_constant=False)
    add_cyclic_per_year(sn, m)
    add_battery_power_ties(sn, m)
    add_gas_backup_for_local_load(sn, m)
    opt = sn.scenario.optimisation
    if opt.rfnbo != "none":
        add_rfnbo(sn, m, monthly=opt.rfnbo == "monthly")
    if opt.co2_cap_t_per_year is not None:
        add_co2_cap(sn, m, opt.co2_cap_t_per_year)
    if opt.max_grid_import_mwh_per_year is not None:
        add_import_cap(sn, m, opt.max_grid_import_mwh_per_year)
    if opt.min_storage_share is not None:
        add_storage_share(sn, m, opt.min_storage_share)
    if extra_functionality is not None:
        extra_functionality(sn, m)
    add_fixed_capital_constant(sn, m)
    return m


#: Name of the fixed variable that carries the objective constant.
FIXED_CAPITAL_VARIABLE = "fixed_assets_capital"


def add_fixed_capital_constant(sn: SizingNetwork, m: linopy.Model) -> None:
    """Add the capital of the fixed capacities to the objective when they count.

    PyPSA leaves non-extendable components out of its objective (and its own
    ``objective_constant`` covers something else: existing capacity of
    *extendable* components, subtracted).  With ``economics.fixed_assets:
    annualised`` the objective is the full annual system cost, so the constant is
    added, as PyPSA does, through a variable fixed at its value; the direct
    engine sets the same number as the LP's objective offset.
    """
    constant = sn.objective_constant_eur_per_year
    if constant == 0.0:
        return
    v = m.add_variables(lower=constant, upper=constant, name=FIXED_CAPITAL_VARIABLE)
    m.add_objective(m.objective.expression + 1.0 * v, overwrite=True)


def _snapshot_array(sn: SizingNetwork, values: np.ndarray) -> xr.DataArray:
    return xr.DataArray(values, coords={"snapshot": sn.network.snapshots}, dims="snapshot")


def _annual_weights(sn: SizingNetwork) -> xr.DataArray:
    """Hours per snapshot divided by the number of years (sums become annual means)."""
    return _snapshot_array(sn, sn.weights_h / sn.n_years)


def add_cyclic_per_year(sn: SizingNetwork, m: linopy.Model) -> None:
    """Make every storage cyclic within each weather year instead of over the whole horizon.

    PyPSA's cyclic storage wraps the last snapshot to the first; with several
    weather years that would let one year's surplus serve the next.  The energy
    balances are rewritten so each year starts at its own end level (as the
    direct engine does, see :func:`nzv_energy.sizing.lp.previous_snapshot`).
    """
    if sn.n_years <= 1:
        return
    from nzv_energy.sizing.lp import previous_snapshot

    n = sn.network
    snapshots = n.snapshots
    prev = previous_snapshot(snapshots)
    w = xr.DataArray(sn.weights_h, coords={"snapshot": snapshots}, dims="snapshot")
    if "Store-energy_balance" in m.constraints:
        e, p = m.variables["Store-e"], m.variables["Store-p"]
        e_prev = e.isel(snapshot=prev).assign_coords(snapshot=snapshots)
        m.remove_constraints("Store-energy_balance")
        m.add_constraints(e - e_prev + w * p == 0, name="Store-energy_balance")
    if "StorageUnit-energy_balance" in m.constraints:
        units = n.storage_units
        soc = m.variables["StorageUnit-state_of_charge"]
        names = soc.coords["name"].values
        eta_s = xr.DataArray(units.loc[names, "efficiency_store"].to_numpy(),
                             coords={"name": names}, dims="name")
        eta_d = xr.DataArray(units.loc[names, "efficiency_dispatch"].to_numpy(),
                             coords={"name": names}, dims="name")
        soc_prev = soc.isel(snapshot=prev).assign_coords(snapshot=snapshots)
        m.remove_constraints("StorageUnit-energy_balance")
        m.add_constraints(
            soc - soc_prev - w * eta_s * m.variables["StorageUnit-p_store"]
            + w / eta_d * m.variables["StorageUnit-p_dispatch"] == 0,
            name="StorageUnit-energy_balance",
        )


def add_battery_power_ties(sn: SizingNetwork, m: linopy.Model) -> None:
    """Tie each sized battery's discharger rating to its charger rating (same AC rating)."""
    n = sn.network
    ext = set(n.links.index[n.links.p_nom_extendable])
    for comps in sn.sites.values():
        ch, dis = comps.battery_charger, comps.battery_discharger
        if ch is None or dis is None or ch not in ext:
            continue
        eff = float(n.links.at[dis, "efficiency"])
        p_nom = m.variables["Link-p_nom"]
        m.add_constraints(
            p_nom.sel(name=dis, drop=True) * eff - p_nom.sel(name=ch, drop=True) == 0,
            name=f"battery_power_tie {comps.site}",
        )


def add_gas_backup_for_local_load(sn: SizingNetwork, m: linopy.Model) -> None:
    """Gas backup output at most the site's local load in every snapshot.

    Gas-fired power feeding the electrolyser would make hydrogen that is
    neither renewable nor cheap (about 0.4 x 0.66 of the fuel); the dispatch
    rules use the gas backup only for the site's own load, and so does the LP.
    """
    eff = sn.scenario.technology.gas_backup.efficiency
    for comps in sn.sites.values():
        local = float(sn.scenario.sites[comps.site].local_demand_mw)
        if comps.gas_generator is not None:
            p = m.variables["Generator-p"].sel(name=comps.gas_generator, drop=True)
            m.add_constraints(p <= local, name=f"gas_backup_local_load {comps.site}")
        if comps.gas_link is not None:
            # the link's p is its hydrogen input: electric output = p x efficiency
            p = m.variables["Link-p"].sel(name=comps.gas_link, drop=True)
            m.add_constraints(p * eff <= local, name=f"gas_backup_local_load {comps.site}")


def cheap_hours(sn: SizingNetwork) -> np.ndarray:
    """Boolean per snapshot: price at or below the scenario's RFNBO price threshold."""
    thr = sn.scenario.operation.import_price_threshold_eur_per_mwh
    return np.asarray(sn.inputs.price_eur_per_mwh <= thr)


def add_rfnbo(sn: SizingNetwork, m: linopy.Model, monthly: bool = False) -> None:
    """Electrolyser consumption ≤ own renewable generation + grid import in cheap hours.

    Parameters
    ----------
    sn, m
        Network and model.
    monthly
        Match per calendar month (sums weighted by hours) instead of every hour.
    """
    gen_p = m.variables["Generator-p"]
    link_p = m.variables["Link-p"]
    cheap = _snapshot_array(sn, cheap_hours(sn).astype(np.float64))
    for comps in sn.sites.values():
        if comps.electrolysis is None:
            continue
        lhs = link_p.sel(name=comps.electrolysis, drop=True) * 1.0
        for gen in (comps.wind, comps.pv):
            if gen is not None:
                lhs = lhs - gen_p.sel(name=gen, drop=True)
        if comps.grid_import is not None:
            lhs = lhs - link_p.sel(name=comps.grid_import, drop=True) * cheap
        if monthly:
            w = _snapshot_array(sn, sn.weights_h)
            months = pd.DatetimeIndex(sn.network.snapshots).to_period("M").astype(str)
            label = xr.DataArray(np.asarray(months), coords={"snapshot": sn.network.snapshots},
                                 dims="snapshot", name="month")
            grouped = (lhs * w).groupby(label).sum()
            m.add_constraints(grouped <= 0, name=f"rfnbo_monthly {comps.site}")
        else:
            m.add_constraints(lhs <= 0, name=f"rfnbo_hourly {comps.site}")


def add_co2_cap(sn: SizingNetwork, m: linopy.Model, cap_t_per_year: float) -> None:
    """Mean annual CO2 of the natural-gas backup at most ``cap_t_per_year``."""
    gens = [c.gas_generator for c in sn.sites.values() if c.gas_generator is not None]
    if not gens:
        return
    t_per_mwh = sn.costs.gas_co2_t_per_mwh_el
    gas_p = m.variables["Generator-p"].sel(name=gens, drop=True)
    expr = (gas_p * _annual_weights(sn) * t_per_mwh).sum()
    m.add_constraints(expr <= cap_t_per_year, name="co2_cap")


def add_import_cap(sn: SizingNetwork, m: linopy.Model, cap_mwh_per_year: float) -> None:
    """Mean annual grid import of all sites at most ``cap_mwh_per_year``."""
    links = [c.grid_import for c in sn.sites.values() if c.grid_import is not None]
    if not links:
        return
    expr = (m.variables["Link-p"].sel(name=links, drop=True) * _annual_weights(sn)).sum()
    m.add_constraints(expr <= cap_mwh_per_year, name="grid_import_cap")


def storage_share_requirement_mwh(sn: SizingNetwork, share: float) -> float:
    """Hydrogen storage (MWh) needed to back ``share`` of the mean annual demand."""
    annual = float(np.sum(sn.inputs.hydrogen_demand_mw * sn.weights_h)) / sn.n_years
    return share * annual


def add_storage_share(sn: SizingNetwork, m: linopy.Model, share: float) -> None:
    """Hydrogen storage of all sites able to serve ``share`` of the annual demand.

    The storage-backed share is the stored hydrogen that can be released to the
    off-taker without production, as a fraction of the mean annual demand:
    ``sum(storage MWh) ≥ share × annual demand MWh``.
    """
    need = storage_share_requirement_mwh(sn, share)
    stores = sn.network.stores
    names = [c.hydrogen_storage for c in sn.sites.values() if c.hydrogen_storage is not None]
    ext = [s for s in names if bool(stores.at[s, "e_nom_extendable"])]
    fixed = float(sum(stores.at[s, "e_nom"] for s in names if s not in ext))
    if not ext:
        if fixed < need:
            logger.warning("fixed hydrogen storage %.0f MWh is below the required %.0f MWh",
                           fixed, need)
        return
    expr = m.variables["Store-e_nom"].sel(name=ext, drop=True).sum()
    m.add_constraints(expr >= need - fixed, name="storage_share")
