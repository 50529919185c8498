"""The scenario rules PyPSA cannot hold in components, as PyPSA's ``extra_functionality`` hook.

A sizing network (:mod:`nzv_energy.sizing.network`) expresses what PyPSA's
components can: capacities and their ranges, the grid policy (``p_max_pu`` /
``p_min_pu`` of the grid links), the gas backup feeding only the site's local
load (a local-load bus), snapshot weightings, the fixed assets' capital cost.
The remaining rules are stored as parameters in ``n.meta["sizing_rules"]``
(written into ``network.nc``) and :func:`extra_functionality` re-adds them to
PyPSA's linopy model, so that a solved ``network.nc`` re-optimises to the
project's optimum in any process::

    import pypsa
    from nzv_energy.sizing import extra_functionality

    n = pypsa.Network("network.nc")
    n.optimize(solver_name="highs", extra_functionality=extra_functionality)

The project's own PyPSA engine (:func:`nzv_energy.sizing.model.create_model`)
calls the same function.  The rules:

* storage cyclic within each weather year instead of over the whole horizon
  (:func:`add_cyclic_per_year`);
* a sized battery's discharger and charger share one AC rating
  (:func:`add_battery_power_ties`);
* EU RFNBO matching (Delegated Act (EU) 2023/1184, temporal correlation): each
  site's electrolyser consumption at most its renewable generation plus grid
  power bought in hours priced at or below the threshold, every hour or per
  calendar month (:func:`add_rfnbo`);
* a CO2 cap on the natural-gas backup and the grid imports at the hourly grid
  intensity (:func:`add_co2_cap`);
* a limit on the hydrogen's carbon intensity per weather year
  (:func:`add_hydrogen_carbon_limit`);
* a cap on the grid import of all sites (:func:`add_import_cap`);
* a minimum storage-backed share of the demand (:func:`add_storage_share`);
* a firm power delivered to the grid in every hour (:func:`add_firm_commitment`);
* the capital of the fixed assets in the objective when the cost account
  counts it (:func:`add_fixed_capital_constant`).

Every annual quantity is a mean over the weather years: sums over snapshots
are weighted by the hours each snapshot stands for (``snapshot_weightings``
``generators``) and divided by the number of weather years.  Prices, weights,
efficiencies, emission factors and the demand are read from the network
itself, so each number has one source.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import linopy
import numpy as np
import pandas as pd
import pypsa
import xarray as xr

from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG
from nzv_energy.rfnbo import rfnbo_eligible_hours

logger = logging.getLogger(__name__)

#: Key of the rule parameters in ``n.meta``.
RULES_KEY = "sizing_rules"

#: Name of the fixed variable that carries the fixed assets' capital in the objective.
FIXED_CAPITAL_VARIABLE = "fixed_assets_capital"

#: Nominal attribute of each component class whose capital the fixed assets carry.
_NOMINAL = {"Generator": "p_nom", "Link": "p_nom", "Store": "e_nom", "StorageUnit": "p_nom"}


def previous_snapshot(time: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Index of the snapshot before each one, cyclic within each calendar year.

    The storage level before a year's first snapshot is that year's last level, so
    every weather year balances its own storage (none is carried between years).
    """
    years = pd.DatetimeIndex(time).year.to_numpy()
    n = len(years)
    prev = np.arange(n) - 1
    starts = np.flatnonzero(np.r_[True, years[1:] != years[:-1]])
    ends = np.r_[starts[1:], n] - 1
    prev[starts] = ends
    return prev


def rules_of(n: pypsa.Network) -> Mapping[str, Any]:
    """The rule parameters stored in ``n.meta`` (see :func:`extra_functionality`).

    Raises
    ------
    ValueError
        The network has no rule parameters (it was not written by this package).
    """
    rules = n.meta.get(RULES_KEY) if isinstance(n.meta, Mapping) else None
    if not isinstance(rules, Mapping):
        raise ValueError(
            f"network {n.name!r} has no n.meta[{RULES_KEY!r}]: extra_functionality applies "
            "to networks built by nzv_energy.sizing (network.nc of 'optimise' or 'run')"
        )
    return rules


def extra_functionality(n: pypsa.Network, snapshots: pd.Index) -> None:
    """Add the scenario's rules beyond PyPSA's components to ``n.model``.

    PyPSA's hook signature: pass it as ``n.optimize(extra_functionality=...)``;
    the parameters come from ``n.meta["sizing_rules"]``.

    Parameters
    ----------
    n
        A sizing network (e.g. ``pypsa.Network("network.nc")``) whose linopy model
        PyPSA has just created.
    snapshots
        The snapshots being optimised (all of them: the rules hold over the whole
        horizon).

    Raises
    ------
    ValueError
        The network carries no rule parameters, or only part of its snapshots is
        optimised.
    """
    rules = rules_of(n)
    if len(snapshots) != len(n.snapshots):
        raise ValueError(
            f"the sizing rules hold over all {len(n.snapshots)} snapshots; "
            f"{len(snapshots)} were given"
        )
    m = n.model
    add_cyclic_per_year(n, m, rules)
    add_battery_power_ties(n, m, rules)
    if rules["rfnbo"] != "none":
        add_rfnbo(n, m, rules, monthly=rules["rfnbo"] == "monthly")
    if rules["co2_cap_t_per_year"] is not None:
        add_co2_cap(n, m, rules)
    if rules.get("max_hydrogen_carbon_intensity_kg_per_kg") is not None:
        add_hydrogen_carbon_limit(n, m, rules)
    if rules["max_grid_import_mwh_per_year"] is not None:
        add_import_cap(n, m, rules)
    if rules["min_storage_share"] is not None:
        add_storage_share(n, m, rules)
    if float(rules.get("firm_mw", 0.0)) > 0:
        add_firm_commitment(n, m, rules)
    add_fixed_capital_constant(n, m, rules)


def _static(n: pypsa.Network, component: str) -> pd.DataFrame:
    """Static table of a component class (whichever components API the user chose)."""
    return n.components[component].static


def _snapshot_array(n: pypsa.Network, values: np.ndarray | pd.Series) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=np.float64),
                        coords={"snapshot": n.snapshots}, dims="snapshot")


def _hours(n: pypsa.Network) -> xr.DataArray:
    """Hours each snapshot stands for (``snapshot_weightings.generators``)."""
    return _snapshot_array(n, n.snapshot_weightings["generators"])


def _annual_weights(n: pypsa.Network, rules: Mapping[str, Any]) -> xr.DataArray:
    """Hours per snapshot divided by the number of weather years (sums become annual means)."""
    return _hours(n) / float(rules["n_weather_years"])


def add_cyclic_per_year(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Make every storage cyclic within each weather year instead of over the whole horizon.

    PyPSA's cyclic storage wraps the last snapshot to the first; with several
    weather years that would let one year's surplus serve the next.  The energy
    balances are rewritten so each year starts at its own end level (as the
    direct engine does, :func:`previous_snapshot`).  With one weather year
    PyPSA's own cyclic balance is this rule and nothing is changed.
    """
    snapshots = n.snapshots
    if not rules["cyclic_per_weather_year"] or pd.DatetimeIndex(snapshots).year.nunique() <= 1:
        return
    stores, units = _static(n, "Store"), _static(n, "StorageUnit")
    if not bool(stores.e_cyclic.all()) or not bool(units.cyclic_state_of_charge.all()):
        raise ValueError("cyclic storage per weather year needs every store and storage unit "
                         "cyclic")
    prev = previous_snapshot(snapshots)
    w = _snapshot_array(n, n.snapshot_weightings["stores"])

    def kept(table: pd.DataFrame, names: np.ndarray) -> xr.DataArray:
        """(1 - standing_loss) ** hours, as PyPSA's own balance (thermal stores lose heat)."""
        loss = xr.DataArray(table.loc[names, "standing_loss"].to_numpy(dtype=np.float64),
                            coords={"name": names}, dims="name")
        return (1.0 - loss) ** w

    if "Store-energy_balance" in m.constraints:
        e, p = m.variables["Store-e"], m.variables["Store-p"]
        e_prev = e.isel(snapshot=prev).assign_coords(snapshot=snapshots)
        keep = kept(stores, e.coords["name"].values)
        m.remove_constraints("Store-energy_balance")
        m.add_constraints(e - keep * e_prev + w * p == 0, name="Store-energy_balance")
    if "StorageUnit-energy_balance" in m.constraints:
        soc = m.variables["StorageUnit-state_of_charge"]
        names = soc.coords["name"].values
        eta_s = xr.DataArray(units.loc[names, "efficiency_store"].to_numpy(),
                             coords={"name": names}, dims="name")
        eta_d = xr.DataArray(units.loc[names, "efficiency_dispatch"].to_numpy(),
                             coords={"name": names}, dims="name")
        soc_prev = soc.isel(snapshot=prev).assign_coords(snapshot=snapshots)
        keep = kept(units, names)
        m.remove_constraints("StorageUnit-energy_balance")
        m.add_constraints(
            soc - keep * soc_prev - w * eta_s * m.variables["StorageUnit-p_store"]
            + w / eta_d * m.variables["StorageUnit-p_dispatch"] == 0,
            name="StorageUnit-energy_balance",
        )


def add_battery_power_ties(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Tie each sized battery's discharger rating to its charger rating (same AC rating)."""
    links = _static(n, "Link")
    ext = set(links.index[links.p_nom_extendable])
    for site, (charger, discharger) in rules["battery_power_ties"].items():
        if charger not in ext or discharger not in ext:
            continue
        eff = float(links.at[discharger, "efficiency"])
        p_nom = m.variables["Link-p_nom"]
        m.add_constraints(
            p_nom.sel(name=discharger, drop=True) * eff - p_nom.sel(name=charger, drop=True) == 0,
            name=f"battery_power_tie {site}",
        )


def cheap_snapshots(n: pypsa.Network, link: str, co2_price_eur_per_t: float) -> np.ndarray:
    """Boolean per snapshot: grid power bought over ``link`` counts as renewable.

    The RFNBO rule of :mod:`nzv_energy.rfnbo` applied to the import link's price (the
    day-ahead price of the hour).
    """
    price = n.get_switchable_as_dense("Link", "marginal_cost")[link]
    return rfnbo_eligible_hours(price.to_numpy(), co2_price_eur_per_t)


def add_rfnbo(
    n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any], monthly: bool = False
) -> None:
    """Electrolyser consumption ≤ own renewable generation + grid import in cheap hours.

    Parameters
    ----------
    n, m
        Network and model.
    rules
        The rule parameters (``rfnbo_sites``, ``rfnbo_co2_price_eur_per_t``).
    monthly
        Match per calendar month (sums weighted by hours) instead of every hour.
    """
    gen_p = m.variables["Generator-p"]
    link_p = m.variables["Link-p"]
    co2_price = float(rules["rfnbo_co2_price_eur_per_t"])
    for site, parts in rules["rfnbo_sites"].items():
        lhs = link_p.sel(name=parts["electrolysis"], drop=True) * 1.0
        for gen in parts["renewables"]:
            lhs = lhs - gen_p.sel(name=gen, drop=True)
        imp = parts["grid_import"]
        if imp is not None:
            cheap = _snapshot_array(n, cheap_snapshots(n, imp, co2_price).astype(np.float64))
            lhs = lhs - link_p.sel(name=imp, drop=True) * cheap
        if monthly:
            months = pd.DatetimeIndex(n.snapshots).to_period("M").astype(str)
            label = xr.DataArray(np.asarray(months), coords={"snapshot": n.snapshots},
                                 dims="snapshot", name="month")
            grouped = (lhs * _hours(n)).groupby(label).sum()
            m.add_constraints(grouped <= 0, name=f"rfnbo_monthly {site}")
        else:
            m.add_constraints(lhs <= 0, name=f"rfnbo_hourly {site}")


def add_co2_cap(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Mean annual CO2e of the natural-gas backup and grid imports at most ``co2_cap_t_per_year``.

    Emissions per MWh of electric output: the carrier's ``co2_emissions`` (t per
    MWh of fuel) divided by the generator's ``efficiency``, as in PyPSA's
    ``primary_energy`` global constraints (which would cap every emitting
    generator of a coupled network; this rule caps the scenario's own).
    """
    weights = _annual_weights(n, rules)
    expr = _emissions_t(n, m, rules, weights)
    heat_gens: Sequence[str] = rules.get("heat_co2_generators", [])
    if heat_gens:  # natural gas burnt for district heat (nzv_energy.sizing.heat)
        table = _static(n, "Generator").loc[list(heat_gens)]
        factor = xr.DataArray(
            _static(n, "Carrier").loc[table.carrier, "co2_emissions"].to_numpy()
            / table.efficiency.to_numpy(), coords={"name": list(heat_gens)}, dims="name")
        heat = (m.variables["Generator-p"].sel(name=list(heat_gens)) * weights * factor).sum(
            "name")
        expr = heat if expr is None else expr + heat
    if expr is None:
        return
    m.add_constraints(expr.sum() <= float(rules["co2_cap_t_per_year"]), name="co2_cap")


def _emissions_t(
    n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any], weights: xr.DataArray
) -> linopy.LinearExpression | None:
    """Emissions per snapshot, t (times ``weights``).

    Natural gas and, when the rules carry the grid intensity
    (``grid_carbon_t_per_mwh``), the gross grid import.
    """
    terms = []
    gens: Sequence[str] = rules["co2_generators"]
    if gens:
        table = _static(n, "Generator").loc[list(gens)]
        t_per_mwh = (_static(n, "Carrier").loc[table.carrier, "co2_emissions"].to_numpy()
                     / table.efficiency.to_numpy())
        factor = xr.DataArray(t_per_mwh, coords={"name": list(gens)}, dims="name")
        gas_p = m.variables["Generator-p"].sel(name=list(gens))
        terms.append((gas_p * weights * factor).sum("name"))
    links: Sequence[str] = rules["grid_import_links"]
    carbon = rules.get("grid_carbon_t_per_mwh")
    if links and carbon is not None:
        imp = m.variables["Link-p"].sel(name=list(links))
        terms.append((imp * weights * _snapshot_array(n, np.asarray(carbon))).sum("name"))
    if not terms:
        return None
    expr = terms[0]
    for term in terms[1:]:
        expr = expr + term
    return expr


def add_hydrogen_carbon_limit(
    n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]
) -> None:
    """In every weather year: emissions <= limit x hydrogen produced.

    All emissions of the system (natural gas and grid imports) count against the
    hydrogen, an upper bound of the hydrogen's share: a system meeting this
    meets the limit with any split.  Hydrogen in kg = electrolyser output
    (MWh_H2) x 1000 / 33.33.
    """
    limit = float(rules["max_hydrogen_carbon_intensity_kg_per_kg"])
    hours = _hours(n)
    emissions = _emissions_t(n, m, rules, hours)
    links: Sequence[str] = rules["electrolysis_links"]
    if emissions is None or not links:
        return
    eff = xr.DataArray(_static(n, "Link").loc[list(links), "efficiency"].to_numpy(),
                       coords={"name": list(links)}, dims="name")
    h2_t_limit = (m.variables["Link-p"].sel(name=list(links)) * hours * eff).sum("name") * (
        limit / HYDROGEN_LHV_KWH_PER_KG
    )
    year = xr.DataArray(pd.DatetimeIndex(n.snapshots).year.to_numpy(),
                        coords={"snapshot": n.snapshots}, dims="snapshot", name="year")
    lhs = (emissions - h2_t_limit).groupby(year).sum()
    m.add_constraints(lhs <= 0, name="hydrogen_carbon_limit")


def add_import_cap(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Mean annual grid import of all sites at most ``max_grid_import_mwh_per_year``."""
    links: Sequence[str] = rules["grid_import_links"]
    if not links:
        return
    expr = (m.variables["Link-p"].sel(name=list(links)) * _annual_weights(n, rules)).sum()
    m.add_constraints(expr <= float(rules["max_grid_import_mwh_per_year"]),
                      name="grid_import_cap")


def add_storage_share(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Hydrogen storage of all sites able to serve ``min_storage_share`` of the annual demand.

    The storage-backed share is the stored hydrogen that can be released to the
    off-taker without production, as a fraction of the mean annual demand (the
    demand load of the network, design margin included):
    ``sum(storage MWh) ≥ share × annual demand MWh``.
    """
    share = float(rules["min_storage_share"])
    demand = n.get_switchable_as_dense("Load", "p_set")[rules["demand_load"]].to_numpy()
    hours = n.snapshot_weightings["generators"].to_numpy()
    need = share * float(np.sum(demand * hours)) / float(rules["n_weather_years"])
    stores = _static(n, "Store")
    names = list(rules["hydrogen_stores"])
    ext = [s for s in names if bool(stores.at[s, "e_nom_extendable"])]
    fixed = float(sum(stores.at[s, "e_nom"] for s in names if s not in ext))
    if not ext:
        if fixed < need:
            logger.warning("fixed hydrogen storage %.0f MWh is below the required %.0f MWh",
                           fixed, need)
        return
    expr = m.variables["Store-e_nom"].sel(name=ext).sum()
    m.add_constraints(expr >= need - fixed, name="storage_share")


def add_firm_commitment(n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]) -> None:
    """Net export of all sites ≥ ``firm_mw`` in every snapshot (``security.firm_mw``).

    Net export = grid export + gas backup output sent to the grid ("gas to grid"
    links from the local-load buses) - grid import.  Per site, export and gas to
    grid share the connection; in every snapshot the gas sent to the grid is at
    most the firm power; when the sizing sells nothing else
    (``firm_export_only``) the net export equals the firm power.  As the direct
    engine's ``_firm_rows`` (:mod:`nzv_energy.sizing.lp`), docs/security_of_supply.md.
    """
    link_p = m.variables["Link-p"]
    firm = float(rules["firm_mw"])
    net: Any = 0
    gas: Any = 0
    for parts in rules["firm_sites"].values():
        x = parts["gas_to_grid"]
        conn = float(parts["connection_mw"])
        if x is not None:
            px = link_p.sel(name=x, drop=True)
            net = net + px
            gas = gas + px
            if parts["grid"] is not None:
                m.add_constraints(px - link_p.sel(name=parts["grid"], drop=True) <= conn,
                                  name=f"firm_connection {x}")
            elif parts["grid_export"] is not None:
                m.add_constraints(px + link_p.sel(name=parts["grid_export"], drop=True) <= conn,
                                  name=f"firm_connection {x}")
        if parts["grid"] is not None:
            net = net - link_p.sel(name=parts["grid"], drop=True)
        if parts["grid_export"] is not None:
            net = net + link_p.sel(name=parts["grid_export"], drop=True)
        if parts["grid_import"] is not None:
            net = net - link_p.sel(name=parts["grid_import"], drop=True)
    if isinstance(net, int):
        raise ValueError("security.firm_mw: no site has a grid connection")
    if rules["firm_export_only"]:
        m.add_constraints(net == firm, name="firm_delivery")
    else:
        m.add_constraints(net >= firm, name="firm_delivery")
    if not isinstance(gas, int):
        m.add_constraints(gas <= firm, name="firm_gas")


def fixed_capital_eur_per_year(n: pypsa.Network, rules: Mapping[str, Any]) -> float:
    """Annual capital of the scenario's fixed assets: ``capital_cost × p_nom`` (or ``e_nom``)."""
    total = 0.0
    for cls, names in rules["fixed_asset_components"].items():
        if not names:
            continue
        table = _static(n, cls).loc[list(names)]
        total += float((table["capital_cost"] * table[_NOMINAL[cls]]).sum())
    return total


def add_fixed_capital_constant(
    n: pypsa.Network, m: linopy.Model, rules: Mapping[str, Any]
) -> None:
    """Add the capital of the fixed assets to the objective when the cost account counts it.

    PyPSA leaves non-extendable components out of its objective (its
    ``objective_constant`` covers something else: the existing ``p_nom`` of
    *extendable* components, zero here), while ``n.statistics.capex()`` includes
    them.  With ``economics.fixed_assets: annualised`` the project's objective is
    the full annual system cost, so the constant is added, the way PyPSA adds its
    own constant, as a variable fixed at its value; ``n.objective`` then equals
    the project's objective (the direct engine sets the same number as the LP's
    offset).  With ``sunk`` the fixed assets carry no capital cost and nothing is
    added.
    """
    if not rules["fixed_assets_capital_counted"]:
        return
    constant = fixed_capital_eur_per_year(n, rules)
    if constant == 0.0:
        return
    v = m.add_variables(lower=constant, upper=constant, name=FIXED_CAPITAL_VARIABLE)
    m.objective = m.objective.expression + 1.0 * v
