"""Stage 4 of the optimiser: read the solved network into results.

Nothing is written back into the input scenario: :func:`sized_scenario`
returns a NEW scenario with every range replaced by its optimal value.
Costs are recomputed from the capacities and the dispatch with the same unit
costs the model used (:func:`cost_breakdown`); they form one cost account
(:func:`cost_account`) whose counted rows add up to the LP objective, with the
fixed capacities counted or not as ``economics.fixed_assets`` says.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pypsa
import xarray as xr

from nzv_energy.economics import (
    chain_lcoh_eur_per_kg,
    cost_per_kg_eur,
    stack_replacement_cost_eur,
)
from nzv_energy.scenario import CapacityRange, Scenario
from nzv_energy.schema import make_dataset
from nzv_energy.sizing.aggregation import Segmentation
from nzv_energy.sizing.heat import (
    heat_capacities_rows,
    heat_capacity_values,
    heat_cost_rows,
    heat_solution_pypsa,
    sized_heat,
)
from nzv_energy.sizing.lp import FLOWS, LpSolution
from nzv_energy.sizing.network import SizingNetwork, cheap_hours
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

logger = logging.getLogger(__name__)

#: Capacities of the results table, in order, with units.
TECHNOLOGIES: dict[str, str] = {
    "wind_mw": "MW",
    "pv_mw": "MW",
    "battery_mw": "MW",
    "battery_mwh": "MWh",
    "electrolysis_mw": "MW_el",
    "gas_backup_mw": "MW_el",
    "pipeline_mw": "MW_H2",
    "hydrogen_storage_mwh": "MWh_H2",
}

#: Decimals kept in the sized scenario (MW / MWh): 1 kW.
SIZED_DECIMALS = 3


def _value(df: pd.DataFrame, name: str | None, col: str) -> float:
    if name is None:
        return 0.0
    return float(df.at[name, col])


def _series(df: pd.DataFrame, name: str | None, n_t: int) -> np.ndarray:
    if name is None or name not in df.columns:
        return np.zeros(n_t)
    return df[name].to_numpy(dtype=np.float64)


def solution_from_network(sn: SizingNetwork) -> LpSolution:
    """Plain arrays of a network solved by PyPSA (the linopy engine)."""
    n = sn.network
    assert n is not None
    eff_gas = sn.scenario.technology.gas_backup.efficiency
    T = len(n.snapshots)
    gp, lp0, lp1 = n.generators_t.p, n.links_t.p0, n.links_t.p1
    caps: dict[tuple[str, str], float] = {}
    cols: dict[str, list[np.ndarray]] = {name: [] for name in FLOWS}
    for site, c in sn.sites.items():
        vals = {
            "wind_mw": _value(n.generators, c.wind, "p_nom_opt"),
            "pv_mw": _value(n.generators, c.pv, "p_nom_opt"),
            "electrolysis_mw": _value(n.links, c.electrolysis, "p_nom_opt"),
            "pipeline_mw": _value(n.links, c.pipeline, "p_nom_opt"),
            "hydrogen_storage_mwh": _value(n.stores, c.hydrogen_storage, "e_nom_opt"),
            "gas_backup_mw": (
                _value(n.generators, c.gas_generator, "p_nom_opt")
                + _value(n.links, c.gas_link, "p_nom_opt") * eff_gas
            ),
        }
        if c.battery_unit is not None:
            p = _value(n.storage_units, c.battery_unit, "p_nom_opt")
            vals["battery_mw"] = p
            vals["battery_mwh"] = p * _value(n.storage_units, c.battery_unit, "max_hours")
            ch = _series(n.storage_units_t.p_store, c.battery_unit, T)
            dis = _series(n.storage_units_t.p_dispatch, c.battery_unit, T)
            lvl = _series(n.storage_units_t.state_of_charge, c.battery_unit, T)
        else:
            vals["battery_mw"] = _value(n.links, c.battery_charger, "p_nom_opt")
            vals["battery_mwh"] = _value(n.stores, c.battery_store, "e_nom_opt")
            ch = _series(lp0, c.battery_charger, T)
            dis = -_series(lp1, c.battery_discharger, T)
            lvl = _series(n.stores_t.e, c.battery_store, T)
        caps.update({(site, k): v for k, v in vals.items()})
        if c.grid is not None:
            g = _series(lp0, c.grid, T)
            imp, exp = np.maximum(g, 0.0), np.maximum(-g, 0.0)
        else:
            imp, exp = _series(lp0, c.grid_import, T), _series(lp0, c.grid_export, T)
        gas = _series(gp, c.gas_generator, T) - _series(lp1, c.gas_link, T)
        to_grid = _series(lp0, c.gas_to_grid, T)  # gas sent to the grid is grid export
        values = {
            "wind": _series(gp, c.wind, T),
            "pv": _series(gp, c.pv, T),
            "electrolysis": _series(lp0, c.electrolysis, T),
            "pipeline": _series(lp0, c.pipeline, T),
            "hydrogen_storage_level": _series(n.stores_t.e, c.hydrogen_storage, T),
            "hydrogen_storage_net_discharge": _series(n.stores_t.p, c.hydrogen_storage, T),
            "battery_charge": ch,
            "battery_discharge": dis,
            "battery_level": lvl,
            "gas_backup": gas,
            "grid_import": imp,
            "grid_export": exp + to_grid,
            "gas_to_grid": to_grid,
        }
        for name in FLOWS:
            cols[name].append(values[name])
    mp = n.buses_t.marginal_price
    price = (mp[sn.demand_bus].to_numpy(dtype=np.float64) if sn.demand_bus in mp.columns
             else np.full(T, np.nan))
    heat_caps, heat_flows = heat_solution_pypsa(sn)
    caps.update(heat_caps)
    return LpSolution(
        capacities=caps,
        flows={k: np.column_stack(v) for k, v in cols.items()},
        hydrogen_price_eur_per_mwh=price,
        objective=float(n.objective),  # type: ignore[arg-type]  # set by the solve
        capacity_reduced_costs=_bound_duals_pypsa(sn),
        firm_marginal_eur_per_mw_year=_firm_dual_pypsa(sn),
        heat_flows=heat_flows,
    )


def _firm_dual_pypsa(sn: SizingNetwork) -> float | None:
    """``d objective / d security.firm_mw`` from the duals of the firm rows (None without)."""
    n = sn.network
    assert n is not None
    cons = n.model.constraints
    if "firm_delivery" not in cons:
        return None
    total = float(cons["firm_delivery"].dual.sum())
    if "firm_gas" in cons:
        total += float(cons["firm_gas"].dual.sum())
    return total


def _bound_duals_pypsa(sn: SizingNetwork) -> dict[tuple[str, str], float]:
    """Derivative of the objective by each sized capacity, from PyPSA's bound constraints.

    PyPSA states ``p_nom_min ≤ p_nom ≤ p_nom_max`` as constraints
    (``<Component>-ext-<attr>-lower/upper``); their duals are the derivative of
    the objective with respect to the bound.  Components rated on another side
    than the scenario's capacity are scaled back (gas link: hydrogen input =
    output / efficiency; battery discharger: AC rating / efficiency).
    """
    n = sn.network
    assert n is not None and n.model is not None
    m = n.model
    eff_gas = sn.scenario.technology.gas_backup.efficiency
    eff_bat = sn.scenario.technology.battery.charge_efficiency

    def dual(component: str, attr: str, name: str | None) -> float:
        if name is None:
            return 0.0
        total = 0.0
        for side in ("lower", "upper"):
            key = f"{component}-ext-{attr}-{side}"
            if key not in m.constraints:
                continue
            d = m.constraints[key].dual
            names = [str(x) for x in d.coords[d.dims[0]].values]
            if name in names:
                total += float(d.values[names.index(name)])
        return total

    out: dict[tuple[str, str], float] = {}
    for site, c in sn.sites.items():
        for fld, value in (
            ("wind_mw", dual("Generator", "p_nom", c.wind)),
            ("pv_mw", dual("Generator", "p_nom", c.pv)),
            ("electrolysis_mw", dual("Link", "p_nom", c.electrolysis)),
            ("pipeline_mw", dual("Link", "p_nom", c.pipeline)),
            ("hydrogen_storage_mwh", dual("Store", "e_nom", c.hydrogen_storage)),
            ("gas_backup_mw", dual("Generator", "p_nom", c.gas_generator)
             + dual("Link", "p_nom", c.gas_link) / eff_gas),
            ("battery_mw", dual("Link", "p_nom", c.battery_charger)
             + dual("Link", "p_nom", c.battery_discharger) / eff_bat),
            ("battery_mwh", dual("Store", "e_nom", c.battery_store)),
        ):
            if sn.bounds[(site, fld)].extendable:
                out[(site, fld)] = value
    return out


def capacity_values(sn: SizingNetwork, lps: LpSolution) -> dict[tuple[str, str], float]:
    """Optimal capacity of every (site, technology), clipped to its scenario bounds."""
    out = {}
    for key, b in sn.bounds.items():
        v = lps.capacities.get(key, 0.0)
        # + 0.0 turns the solver's -0.0 into 0.0 (it would print as "-0.0" in the tables)
        out[key] = 0.0 if b.is_zero else float(np.clip(v, b.lo, b.hi)) + 0.0
    out.update(heat_capacity_values(sn, lps.capacities))  # district heat, if any
    return out


def capacities_table(sn: SizingNetwork, values: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Capacities as a table: site, technology, value, unit, min, max, sized."""
    rows = []
    for site in sn.sites:
        for fld, unit in TECHNOLOGIES.items():
            b = sn.bounds[(site, fld)]
            rows.append({
                "site": site, "technology": fld, "value": values[(site, fld)], "unit": unit,
                "min": b.lo, "max": b.hi, "sized": b.extendable,
            })
    rows += heat_capacities_rows(sn, values)
    return pd.DataFrame(rows)


def sized_scenario(scenario: Scenario, values: dict[tuple[str, str], float],
                   note: str = "") -> Scenario:
    """A new scenario with every range (and unset pipeline) replaced by its optimal value.

    Parameters
    ----------
    scenario
        The input scenario (left unchanged).
    values
        ``(site, technology) -> value`` from :func:`capacity_values`.
    note
        Appended to the description.
    """
    def pick(value: object, site: str, fld: str) -> object:
        if value is None or isinstance(value, CapacityRange):
            v = round(values[(site, fld)], SIZED_DECIMALS)
            if isinstance(value, CapacityRange):
                v = min(max(v, value.min), value.max)
            return v
        return value

    sites = {}
    for name, site in scenario.sites.items():
        update = {
            fld: pick(getattr(site, fld), name, fld)
            for fld in ("wind_mw", "pv_mw", "battery_mw", "battery_mwh", "electrolysis_mw",
                        "gas_backup_mw", "pipeline_mw")
        }
        sites[name] = site.model_copy(update=update)
    storage = {
        name: pick(value, name, "hydrogen_storage_mwh")
        for name, value in scenario.hydrogen.storage_mwh.items()
    }
    data = scenario.model_dump(mode="python")
    data["sites"] = {k: v.model_dump(mode="python") for k, v in sites.items()}
    data["hydrogen"]["storage_mwh"] = storage
    if scenario.heat is not None:
        data["heat"] = sized_heat(scenario, values, SIZED_DECIMALS)
    data["name"] = f"{scenario.name}_sized"
    text = scenario.description.strip()
    data["description"] = (text + " " if text else "") + note
    return Scenario.model_validate(data)


def dispatch_arrays(sn: SizingNetwork, lps: LpSolution) -> dict[str, np.ndarray]:
    """Per-snapshot flows in the results schema (site variables shaped (time, site))."""
    inputs = sn.inputs
    T = len(inputs.time)
    eff_el = sn.scenario.technology.electrolysis.efficiency
    eff_gas = sn.scenario.technology.gas_backup.efficiency
    hydrogen_fired = sn.scenario.operation.gas_backup_fuel == "hydrogen"
    cheap = cheap_hours(sn)[:, None]
    f = lps.flows
    sites = list(sn.sites)
    wind_cap = np.array([lps.capacities.get((s, "wind_mw"), 0.0) for s in sites])
    pv_cap = np.array([lps.capacities.get((s, "pv_mw"), 0.0) for s in sites])
    wind_av = inputs.wind_cf.T * wind_cap
    pv_av = inputs.pv_cf.T * pv_cap
    local = np.tile([sn.scenario.sites[s].local_demand_mw for s in sites], (T, 1)).astype(float)
    elec = f["electrolysis"]
    gas = f["gas_backup"]
    net = f["hydrogen_storage_net_discharge"]
    renewable = f["wind"] + f["pv"] + cheap * f["grid_import"]
    out = {
        "wind_mw": wind_av,
        "pv_mw": pv_av,
        "curtailment_mw": np.maximum(wind_av + pv_av - f["wind"] - f["pv"], 0.0),
        "local_demand_mw": local,
        "electrolysis_input_mw": elec,
        "hydrogen_output_mw": elec * eff_el,
        "electrolysis_on": (elec > 1e-6).astype(np.float64),
        "battery_charge_mw": f["battery_charge"],
        "battery_discharge_mw": f["battery_discharge"],
        "battery_soc_mwh": f["battery_level"],
        "grid_import_mw": f["grid_import"],
        "grid_export_mw": f["grid_export"],
        "gas_backup_mw": gas,
        "gas_backup_fuel_mw": gas / eff_gas,
        "gas_backup_hydrogen_fuel_mw": gas / eff_gas if hydrogen_fired else np.zeros_like(gas),
        "hydrogen_storage_charge_mw": np.maximum(-net, 0.0),
        "hydrogen_storage_discharge_mw": np.maximum(net, 0.0),
        "hydrogen_storage_mwh": f["hydrogen_storage_level"],
        "pipeline_flow_mw": f["pipeline"],
        "rfnbo_hydrogen_mw": np.minimum(elec, np.maximum(renewable, 0.0)) * eff_el,
    }
    demand = inputs.hydrogen_demand_mw.astype(np.float64)
    delivered = out["pipeline_flow_mw"].sum(axis=1)
    out["hydrogen_demand_mw"] = demand
    out["hydrogen_delivered_mw"] = delivered
    out["unserved_hydrogen_mw"] = np.maximum(demand - delivered, 0.0)
    out["price_eur_per_mwh"] = inputs.price_eur_per_mwh.astype(np.float64)
    return out


def hourly_dataset(
    sn: SizingNetwork,
    arrays: dict[str, np.ndarray],
    segmentation: Segmentation | None,
    hourly_time: pd.DatetimeIndex,
    attrs: dict[str, object] | None = None,
) -> xr.Dataset:
    """The results-schema dataset at hourly resolution (segments repeated in fast mode)."""
    data = dict(arrays)
    if segmentation is not None:
        # every hour of a segment gets the segment's flows (and its mean inputs), so
        # the balances of the schema hold hour by hour
        data = {k: segmentation.expand(v) for k, v in data.items()}
    return make_dataset(np.asarray(hourly_time), list(sn.sites), data, attrs)


#: Items of the cost account (:func:`cost_account`), in report order.
ACCOUNT_ITEMS: dict[str, str] = {
    "sized_assets": "newly sized assets (annuity + fixed O&M)",
    "fixed_assets": "fixed (planned or existing) assets (annuity + fixed O&M)",
    "variable_om": "variable O&M",
    "fuel": "fuel (natural gas)",
    "co2": "CO2",
    "grid_purchases": "grid purchases",
    "market_revenue": "market revenue (grid export)",
}
#: Items only a scenario with district heat has (in the account only then).
HEAT_ACCOUNT_ITEMS: dict[str, str] = {
    "unserved_heat": "district heat not served (at the heat block's penalty)",
}

#: Component of each capacity field in the cost tables.
_COMPONENT = {
    "wind_mw": "wind", "pv_mw": "pv", "battery_mw": "battery", "battery_mwh": "battery",
    "electrolysis_mw": "electrolysis", "hydrogen_storage_mwh": "hydrogen_storage",
    "pipeline_mw": "pipeline", "gas_backup_mw": "gas_backup",
}


def cost_breakdown(sn: SizingNetwork, values: dict[tuple[str, str], float],
                   arrays: dict[str, np.ndarray], lps: LpSolution) -> pd.DataFrame:
    """Mean annual cost by site, component and kind, each row tied to its account item.

    Capital = annuity + fixed O&M per capacity, sized and fixed ones (a fixed
    capacity's row has ``in_total`` false when ``economics.fixed_assets`` is
    ``sunk``).  Export revenue is the LP's: zero when export revenue does not
    count (``optimisation.export_revenue: none``: nothing is sold).

    Returns
    -------
    pandas.DataFrame
        Columns site, component, kind, capacity, eur_per_year, account, in_total;
        the ``in_total`` rows add up to the LP objective.
    """
    c = sn.costs
    w = sn.weights_h / sn.n_years  # hours per year each snapshot stands for
    price = sn.inputs.price_eur_per_mwh
    rows: list[tuple[str, str, str, str, float, str, bool]] = []
    for i, site in enumerate(sn.sites):
        for fld in TECHNOLOGIES:
            b = sn.bounds[(site, fld)]
            if b.is_zero:
                continue
            item = "sized_assets" if b.extendable else "fixed_assets"
            counted = b.extendable or sn.count_fixed_assets
            rows.append((site, _COMPONENT[fld], "capital", fld,
                         values[(site, fld)] * sn.unit_capital_cost(site, fld), item, counted))

        def energy(var: str, i: int = i) -> float:
            return float(np.sum(arrays[var][:, i] * w))

        gas = energy("gas_backup_mw")
        rows += [
            (site, "wind", "variable_om", "", float(np.sum(lps.flows["wind"][:, i] * w))
             * c.wind_vom_eur_per_mwh, "variable_om", True),
            (site, "pv", "variable_om", "", float(np.sum(lps.flows["pv"][:, i] * w))
             * c.pv_vom_eur_per_mwh, "variable_om", True),
            (site, "electrolysis", "variable_om", "",
             energy("electrolysis_input_mw") * c.electrolysis_vom_eur_per_mwh_el,
             "variable_om", True),
            (site, "gas_backup", "variable_om", "", gas * c.gas_vom_eur_per_mwh_el,
             "variable_om", True),
            (site, "gas_backup", "fuel", "", gas * c.gas_fuel_eur_per_mwh_el, "fuel", True),
            (site, "gas_backup", "co2", "", gas * c.gas_co2_eur_per_mwh_el, "co2", True),
            (site, "grid", "import", "", float(np.sum(arrays["grid_import_mw"][:, i] * price * w)),
             "grid_purchases", True),
            (site, "grid", "export_revenue", "",
             -float(np.sum(arrays["grid_export_mw"][:, i] * price * w)), "market_revenue", True),
        ]
    if sn.heat is not None:
        rows += heat_cost_rows(sn, values, lps.heat_flows)
    return pd.DataFrame(rows, columns=["site", "component", "kind", "capacity", "eur_per_year",
                                       "account", "in_total"])


def cost_account(costs: pd.DataFrame, objective_eur_per_year: float) -> pd.DataFrame:
    """The cost account: one row per item, the counted ones adding up to the LP objective.

    Parameters
    ----------
    costs
        :func:`cost_breakdown`.
    objective_eur_per_year
        The LP objective (checked against, not used in the rows).

    Returns
    -------
    pandas.DataFrame
        Index ``item`` (:data:`ACCOUNT_ITEMS`), columns ``description``,
        ``eur_per_year`` (counted part), ``not_counted_eur_per_year`` (fixed capital
        left out as sunk); attribute ``objective_eur_per_year`` and
        ``difference_eur_per_year`` (sum of the counted rows minus the objective).
    """
    counted = costs[costs["in_total"]].groupby("account")["eur_per_year"].sum()
    left_out = costs[~costs["in_total"]].groupby("account")["eur_per_year"].sum()
    items = {**ACCOUNT_ITEMS, **{k: v for k, v in HEAT_ACCOUNT_ITEMS.items()
                                 if k in set(costs["account"])}}
    frame = pd.DataFrame(
        {
            "description": list(items.values()),
            "eur_per_year": [float(counted.get(k, 0.0)) for k in items],
            "not_counted_eur_per_year": [float(left_out.get(k, 0.0)) for k in items],
        },
        index=pd.Index(list(items), name="item"),
    )
    frame.attrs["objective_eur_per_year"] = float(objective_eur_per_year)
    frame.attrs["difference_eur_per_year"] = float(frame["eur_per_year"].sum()
                                                   - objective_eur_per_year)
    return frame


def fixed_capital_cost(sn: SizingNetwork, values: dict[tuple[str, str], float]) -> float:
    """Annualised capital of the capacities the optimiser could not change (counted or not)."""
    return float(sum(values[(site, fld)] * sn.unit_capital_cost(site, fld)
                     for (site, fld), b in sn.bounds.items()
                     if not b.extendable and not b.is_zero))


#: Smallest |dual| (EUR/a per MW or MWh) of a bound reported as binding.
DUAL_TOLERANCE = 1e-3


def bound_report(sn: SizingNetwork, values: dict[tuple[str, str], float],
                 lps: LpSolution, tolerance_mw: float = 1e-6) -> pd.DataFrame:
    """Sized capacities that end at a binding bound, with the bound's dual value.

    A capacity is reported when it equals its upper bound, or a positive lower
    bound, and the bound binds: its dual is non-zero (more than
    :data:`DUAL_TOLERANCE`), so moving it would change the optimum.  A capacity
    that merely sits at a bound it does not need (e.g. an unset pipeline at the
    demand peak) is not reported.  The dual
    value is ``-d objective / d capacity``: EUR/a saved per extra MW (or MWh) of
    the bound (positive at an upper bound; negative at a lower bound, the cost
    of the last forced MW).

    District-heat capacities (:mod:`nzv_energy.sizing.heat`) are reported alike.

    Returns
    -------
    pandas.DataFrame
        Columns site, technology, value, bound (``upper``/``lower``), limit,
        dual_eur_per_unit_year.
    """
    rows = []
    heat_bounds = [] if sn.heat is None else [
        ((site, fld), b) for site, m in sn.heat.sites.items() for fld, b in m.bounds.items()]
    for key, b in [*sn.bounds.items(), *heat_bounds]:
        if not b.extendable or b.is_zero or key not in values:
            continue
        v = values[key]
        d = lps.capacity_reduced_costs.get(key, float("nan"))
        tol = tolerance_mw * max(1.0, abs(b.hi))
        if not abs(d) > DUAL_TOLERANCE:  # at the bound but not held by it (or unknown)
            continue
        if v >= b.hi - tol and b.hi > b.lo:
            rows.append((*key, v, "upper", b.hi, -d))
        elif b.lo > 0 and v <= b.lo + tol and b.hi > b.lo:
            rows.append((*key, v, "lower", b.lo, -d))
    return pd.DataFrame(rows, columns=["site", "technology", "value", "bound", "limit",
                                       "dual_eur_per_unit_year"])


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Percentile ``q`` (0..100) of ``values`` weighted by ``weights`` (inverse of the CDF).

    The smallest value whose cumulative weight reaches ``q`` % of the total, so a
    snapshot standing for three hours counts as three equal hours.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if v.size == 0:
        return math.nan
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, q / 100.0 * cum[-1] * (1 - 1e-12), side="left"))
    return float(v[order][min(k, v.size - 1)])


def marginal_cost_kpis(price_eur_per_mwh: np.ndarray, weights_h: np.ndarray) -> dict[str, float]:
    """Mean and P10/P50/P90 of the hydrogen marginal cost over the hours, EUR/kg.

    The dual of the demand balance per MWh_H2 (LHV) times 33.33 kWh/kg / 1000;
    each snapshot weighted by the hours it stands for.
    """
    kg = HYDROGEN_LHV_KWH_PER_KG / 1000.0
    p = np.asarray(price_eur_per_mwh, dtype=np.float64) * kg
    w = np.asarray(weights_h, dtype=np.float64)
    ok = np.isfinite(p)
    mean = float(np.sum(p[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else math.nan
    return {
        "hydrogen_marginal_cost_mean_eur_per_kg": mean,
        "hydrogen_marginal_cost_p10_eur_per_kg": weighted_percentile(p, w, 10.0),
        "hydrogen_marginal_cost_p50_eur_per_kg": weighted_percentile(p, w, 50.0),
        "hydrogen_marginal_cost_p90_eur_per_kg": weighted_percentile(p, w, 90.0),
    }


def chain_lcoh(sn: SizingNetwork, values: dict[tuple[str, str], float],
               arrays: dict[str, np.ndarray], lps: LpSolution) -> dict[str, float]:
    """Hydrogen-chain LCOH of the LP solution (docs/optimisation.md, "Three LCOH figures").

    Electrolysers (annuity + fixed O&M, stack replacement spread over operating
    hours, variable O&M), hydrogen storage and pipelines, all of them whether
    fixed or sized, plus the electrolysers' electricity valued (1) at the
    day-ahead price of the hour it was used and (2) at the average cost of the
    system's wind and PV (annual cost / energy not curtailed), per kg delivered.
    """
    tech = sn.scenario.technology
    c = sn.costs
    w = sn.weights_h / sn.n_years
    e = arrays["electrolysis_input_mw"]
    sites = list(sn.sites)
    capital = sum(values[(s, f)] * sn.unit_capital_cost(s, f) for s in sites
                  for f in ("electrolysis_mw", "hydrogen_storage_mwh", "pipeline_mw"))
    on_hours = ((e > 1e-6) * w[:, None]).sum(axis=0)
    rating = np.array([values[(s, "electrolysis_mw")] for s in sites])
    stack = float(stack_replacement_cost_eur(
        tech.electrolysis.capex_eur_per_mw, tech.electrolysis.stack_replacement_cost_fraction,
        float(np.sum(rating * on_hours)), tech.electrolysis.stack_lifetime_hours,
    ))
    e_mwh = float(np.sum(e * w[:, None]))
    vom = e_mwh * c.electrolysis_vom_eur_per_mwh_el
    market = float(np.sum(e * sn.inputs.price_eur_per_mwh[:, None] * w[:, None]))
    re_cost = (sum(values[(s, f)] * sn.unit_capital_cost(s, f) for s in sites
                   for f in ("wind_mw", "pv_mw"))
               + float(np.sum(lps.flows["wind"] * w[:, None])) * c.wind_vom_eur_per_mwh
               + float(np.sum(lps.flows["pv"] * w[:, None])) * c.pv_vom_eur_per_mwh)
    re_used = float(np.sum((lps.flows["wind"] + lps.flows["pv"]) * w[:, None]))
    re_price = re_cost / re_used if re_used > 0 else math.nan
    out = chain_lcoh_eur_per_kg(capital, stack, vom, market, e_mwh * re_price,
                                annual_hydrogen_mwh(sn))
    return {
        **{k: float(v) for k, v in out.items()},
        "renewables_average_cost_eur_per_mwh": re_price,
        "electrolysis_input_mwh_per_year": e_mwh,
    }


def annual_hydrogen_mwh(sn: SizingNetwork) -> float:
    """Mean annual hydrogen demand served, MWh_H2."""
    return float(np.sum(sn.inputs.hydrogen_demand_mw * sn.weights_h)) / sn.n_years


def firm_kpis(sn: SizingNetwork, lps: LpSolution) -> dict[str, float]:
    """What a firm commitment (``security.firm_mw``) adds at the margin; empty without one.

    ``firm_marginal_cost_eur_per_mw_year`` is d(annual cost)/d(firm_mw), the dual of
    the commitment rows; ``firm_marginal_cost_eur_per_kg_per_mw`` divides it by the
    hydrogen delivered per year (kg). Marginal figures: the total the commitment
    adds is the difference of two sizings (docs/security_of_supply.md).
    """
    d = lps.firm_marginal_eur_per_mw_year
    if d is None:
        return {}
    kg = annual_hydrogen_mwh(sn) * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
    return {
        "firm_commitment_mw": float(sn.scenario.security.firm_mw),
        "firm_marginal_cost_eur_per_mw_year": d,
        "firm_marginal_cost_eur_per_kg_per_mw": d / kg if kg > 0 else float("nan"),
    }


def lcoh_eur_per_kg(total_cost_eur_per_year: float, hydrogen_mwh_per_year: float) -> float:
    """Annual cost per kg of hydrogen delivered, EUR/kg (LHV).

    Applied to the account total this is the *system net cost per kg*
    (``system_net_cost_per_kg_h2_eur_per_kg``), not the hydrogen-chain LCOH.
    """
    return float(cost_per_kg_eur(total_cost_eur_per_year, hydrogen_mwh_per_year))


def network_with_solution(sn: SizingNetwork, lps: LpSolution) -> pypsa.Network:
    """The PyPSA network of ``sn`` with a solution written into its output tables.

    Used for the direct engine, whose LP is solved without PyPSA: the exported
    network then reads like one PyPSA optimised itself (``p_nom_opt``, ``_t.p``,
    ``stores_t.e``, the demand bus's ``marginal_price``, ``objective``).
    """
    from nzv_energy.sizing.network import GRID_MARKET, pypsa_network

    n = sn.network if sn.network is not None else pypsa_network(sn)
    snapshots = n.snapshots
    sites = list(sn.sites)
    eff_el = sn.scenario.technology.electrolysis.efficiency
    eff_bat = sn.scenario.technology.battery.charge_efficiency
    eff_gas = sn.scenario.technology.gas_backup.efficiency
    f = lps.flows

    def frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
        return pd.DataFrame(data, index=snapshots) if data else pd.DataFrame(index=snapshots)

    gen_p: dict[str, np.ndarray] = {}
    link_p0: dict[str, np.ndarray] = {}
    link_p1: dict[str, np.ndarray] = {}
    store_e: dict[str, np.ndarray] = {}
    store_p: dict[str, np.ndarray] = {}
    for j, site in enumerate(sites):
        c = sn.sites[site]
        cap = lps.capacities

        def setcap(df: pd.DataFrame, name: str | None, attr: str, value: float) -> None:
            if name is not None:
                df.loc[name, attr] = value

        setcap(n.generators, c.wind, "p_nom_opt", cap.get((site, "wind_mw"), 0.0))
        setcap(n.generators, c.pv, "p_nom_opt", cap.get((site, "pv_mw"), 0.0))
        setcap(n.links, c.electrolysis, "p_nom_opt", cap.get((site, "electrolysis_mw"), 0.0))
        setcap(n.links, c.pipeline, "p_nom_opt", cap.get((site, "pipeline_mw"), 0.0))
        setcap(n.stores, c.hydrogen_storage, "e_nom_opt",
               cap.get((site, "hydrogen_storage_mwh"), 0.0))
        gas_mw = cap.get((site, "gas_backup_mw"), 0.0)
        setcap(n.generators, c.gas_generator, "p_nom_opt", gas_mw)
        setcap(n.links, c.gas_link, "p_nom_opt", gas_mw / eff_gas)
        for name, key in ((c.wind, "wind"), (c.pv, "pv"), (c.gas_generator, "gas_backup")):
            if name is not None:
                gen_p[name] = f[key][:, j]
        if c.electrolysis is not None:
            link_p0[c.electrolysis] = f["electrolysis"][:, j]
            link_p1[c.electrolysis] = -f["electrolysis"][:, j] * eff_el
        if c.pipeline is not None:
            link_p0[c.pipeline] = f["pipeline"][:, j]
            link_p1[c.pipeline] = -f["pipeline"][:, j]
        if c.gas_link is not None:
            link_p0[c.gas_link] = f["gas_backup"][:, j] / eff_gas
            link_p1[c.gas_link] = -f["gas_backup"][:, j]
        if c.local_supply is not None:
            # the site's own load less what the gas backup covers on the local-load bus
            supply = (sn.scenario.sites[site].local_demand_mw - f["gas_backup"][:, j]
                      + f["gas_to_grid"][:, j])
            link_p0[c.local_supply], link_p1[c.local_supply] = supply, -supply
        to_grid = f["gas_to_grid"][:, j]
        if c.gas_to_grid is not None:
            link_p0[c.gas_to_grid], link_p1[c.gas_to_grid] = to_grid, -to_grid
        exported = f["grid_export"][:, j] - to_grid  # from the electricity bus
        net = f["grid_import"][:, j] - exported
        for name, p in ((c.grid, net), (c.grid_import, f["grid_import"][:, j]),
                        (c.grid_export, -exported)):
            if name is not None:
                link_p0[name] = p if name != c.grid_export else -p
                link_p1[name] = -link_p0[name]
        if c.hydrogen_storage is not None:
            store_e[c.hydrogen_storage] = f["hydrogen_storage_level"][:, j]
            store_p[c.hydrogen_storage] = f["hydrogen_storage_net_discharge"][:, j]
        if c.battery_unit is not None:
            n.storage_units.loc[c.battery_unit, "p_nom_opt"] = cap.get((site, "battery_mw"), 0.0)
            ch, dis = f["battery_charge"][:, j], f["battery_discharge"][:, j]
            n.storage_units_t.p_store[c.battery_unit] = ch
            n.storage_units_t.p_dispatch[c.battery_unit] = dis
            n.storage_units_t.p[c.battery_unit] = dis - ch
            n.storage_units_t.state_of_charge[c.battery_unit] = f["battery_level"][:, j]
        elif c.battery_store is not None:
            # a battery store always comes with its charger and discharger links
            assert c.battery_charger is not None and c.battery_discharger is not None
            bp = cap.get((site, "battery_mw"), 0.0)
            n.links.loc[c.battery_charger, "p_nom_opt"] = bp
            n.links.loc[c.battery_discharger, "p_nom_opt"] = bp / eff_bat
            n.stores.loc[c.battery_store, "e_nom_opt"] = cap.get((site, "battery_mwh"), 0.0)
            ch, dis = f["battery_charge"][:, j], f["battery_discharge"][:, j]
            link_p0[c.battery_charger], link_p1[c.battery_charger] = ch, -ch * eff_bat
            link_p0[c.battery_discharger] = dis / eff_bat
            link_p1[c.battery_discharger] = -dis
            store_e[c.battery_store] = f["battery_level"][:, j]
            store_p[c.battery_store] = (ch * eff_bat - dis / eff_bat) * -1.0
    if GRID_MARKET in n.generators.index:
        # the market supplies the sites' net import (negative: absorbs their export)
        gen_p[GRID_MARKET] = (f["grid_import"] - f["grid_export"]).sum(axis=1)
    n.generators_t.p = frame(gen_p)
    n.links_t.p0 = frame(link_p0)
    n.links_t.p1 = frame(link_p1)
    n.stores_t.e = frame(store_e)
    n.stores_t.p = frame(store_p)
    fixed_gen = n.generators.index[~n.generators.p_nom_extendable]
    n.generators.loc[fixed_gen, "p_nom_opt"] = n.generators.loc[fixed_gen, "p_nom"]
    fixed_link = n.links.index[~n.links.p_nom_extendable]
    n.links.loc[fixed_link, "p_nom_opt"] = n.links.loc[fixed_link, "p_nom"]
    fixed_store = n.stores.index[~n.stores.e_nom_extendable]
    n.stores.loc[fixed_store, "e_nom_opt"] = n.stores.loc[fixed_store, "e_nom"]
    n.buses_t.marginal_price = frame({sn.demand_bus: lps.hydrogen_price_eur_per_mwh})
    # PyPSA sets ``n.objective`` only when it solves the model itself; the direct engine's
    # objective (fixed capital included when counted) goes into n.meta with the cost account
    # when the network is written (nzv_energy.sizing.command.cost_account_meta)
    return n
