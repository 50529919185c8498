"""Yearly KPIs and the levelised cost of hydrogen (LCOH) with its breakdown.

Two ways in, one set of formulas:

* :func:`compute_kpis` reads an hourly results dataset (any model that writes
  the :mod:`nzv_energy.schema` variables) and returns one row per weather year;
* :func:`kpi_frame` turns the kernel's per-site totals directly into the same
  columns, vectorised over ensemble members (no hourly series needed).

Two cost-per-kg figures (formulas in ``docs/optimisation.md``, "Three LCOH figures"):

* ``system_net_cost_per_kg_h2_eur_per_kg``: every annual cost of the system
  (annualised capex of all assets including pipelines, fixed and variable O&M,
  natural gas, CO2, grid purchases, stack replacements) net of grid export
  revenue, divided by the hydrogen delivered, with its components
  ``lcoh_<component>_eur_per_kg``.  Not the LCOH studies quote.
* ``lcoh_chain_eur_per_kg``: the hydrogen-chain LCOH (electrolysers with stack
  replacement and O&M, hydrogen storage, pipelines, plus the electrolysers'
  electricity at the day-ahead price of each hour), and
  ``lcoh_chain_renewables_cost_eur_per_kg`` with the electricity at the average
  cost of the system's wind and PV.  The market-value figure needs the hourly
  price-weighted electrolyser input, which the kernels' totals do not carry: the
  hourly path (:func:`compute_kpis`) supplies it, the ensemble path leaves it NaN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch.parameters import (
    COST_INDEX,
    DISPATCH_INDEX,
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    cost_parameter_vector,
    dispatch_parameter_vector,
)
from nzv_energy.economics import (
    CHAIN_LCOH_KEYS,
    HYDROGEN_LHV_KWH_PER_KG,
    annuity_factors,
    chain_lcoh_eur_per_kg,
    co2_cost_eur,
    cost_per_kg_eur,
    safe_divide,
    stack_replacement_cost_eur,
)
from nzv_energy.errors import InputDataError
from nzv_energy.grid_carbon import EU_THRESHOLD_G_PER_MJ, g_per_mj_from_kg_per_kg
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import layout
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities

HOURS_PER_YEAR = 8760.0

#: LCOH components (column ``lcoh_<name>_eur_per_kg``), in the order they are reported.
LCOH_COMPONENTS: tuple[str, ...] = (
    "capex_wind",
    "capex_pv",
    "capex_battery",
    "capex_electrolysis",
    "capex_hydrogen_storage",
    "capex_pipeline",
    "capex_gas_backup",
    "fixed_om",
    "variable_om",
    "stack_replacement",
    "natural_gas",
    "co2",
    "grid_import",
    "grid_export_revenue",
)

#: Carbon accounting columns (``docs/carbon_intensity.md``).  ``co2_emissions_t`` stays the
#: natural gas burnt in the gas backup; grid imports count at the hour's average grid
#: intensity.  The hourly path computes them from the dataset (:func:`carbon_totals`), the
#: ensemble from the kernel's emission totals; :func:`kpi_frame` without ``carbon`` gives
#: exact zeros without imports and natural gas, else NaN.
CARBON_COLUMNS: tuple[str, ...] = (
    "grid_import_co2_t",
    "total_co2_emissions_t",
    "hydrogen_co2_t",
    "hydrogen_carbon_intensity_kg_per_kg",
    "hydrogen_carbon_intensity_g_per_mj",
    "hydrogen_eu_threshold_met",
    "electrolysis_low_carbon_hours_share",
    "grid_carbon_intensity_mean_g_per_kwh",
)

#: KPI columns (units in names), in table order.
KPI_COLUMNS: tuple[str, ...] = (
    "hours",
    "hydrogen_demand_mwh",
    "hydrogen_delivered_mwh",
    "hydrogen_delivered_t",
    "unserved_hydrogen_mwh",
    "demand_met_share",
    "hydrogen_output_mwh",
    "electrolysis_input_mwh",
    "electrolysis_standby_mwh",
    "electrolysis_full_load_hours_h",
    "electrolysis_starts",
    "stack_replacements",
    "renewable_generation_mwh",
    "curtailment_mwh",
    "curtailment_share",
    "battery_discharge_mwh",
    "battery_equivalent_cycles",
    "grid_import_mwh",
    "grid_import_cost_eur",
    "grid_export_mwh",
    "grid_export_revenue_eur",
    "gas_backup_mwh",
    "gas_backup_natural_gas_mwh",
    "gas_backup_hydrogen_fuel_mwh",
    "co2_emissions_t",
    *CARBON_COLUMNS,
    "local_demand_served_mwh",
    "unserved_electricity_mwh",
    "rfnbo_hydrogen_mwh",
    "rfnbo_share",
    "system_cost_eur",
    "system_net_cost_per_kg_h2_eur_per_kg",
    *(f"lcoh_{c}_eur_per_kg" for c in LCOH_COMPONENTS),
    *CHAIN_LCOH_KEYS,
    "renewables_average_cost_eur_per_mwh",
    "electrolysis_electricity_market_value_eur",
)

#: Columns that need the hourly price-weighted electrolyser input: NaN from kernel totals
#: alone (ensembles, sweeps), filled by the hourly path (:func:`compute_kpis`).
MARKET_VALUE_COLUMNS: tuple[str, ...] = (
    "lcoh_chain_eur_per_kg",
    "lcoh_chain_electricity_market_eur_per_kg",
    "electrolysis_electricity_market_value_eur",
)

#: Technologies whose annual cost is part of the hydrogen chain.
CHAIN_TECHNOLOGIES: tuple[str, ...] = ("electrolysis", "hydrogen_storage", "pipeline")


def kpi_frame(
    site_sums: np.ndarray,
    sys_sums: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    cost: np.ndarray,
    pipeline_km: np.ndarray,
    hours: np.ndarray,
    electrolysis_electricity_market_value_eur: np.ndarray | None = None,
    carbon: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """KPIs of many runs (years or ensemble members) from kernel totals.

    Parameters
    ----------
    site_sums
        ``(n, n_sites, N_SUM)`` per-site totals (``K_*`` columns).
    sys_sums
        ``(n, N_SYS_SUM)`` system totals (``Z_*``).
    cap
        ``(n, n_sites, N_CAP)`` capacities (or ``(n_sites, N_CAP)`` for all rows).
    par
        ``(n, N_PAR)`` or ``(N_PAR,)`` dispatch parameters.
    cost
        ``(n, n_cost)`` or ``(n_cost,)`` cost parameters (``COST_PARAMETER_NAMES``).
    pipeline_km
        ``(n_sites,)`` pipeline route lengths, km.
    hours
        ``(n,)`` or scalar: hours of each run; fixed annual costs are scaled by
        ``hours / 8760``.
    electrolysis_electricity_market_value_eur
        ``(n,)``: sum over hours and sites of electrolyser input x day-ahead price;
        ``None`` (the kernels' totals do not carry it) leaves the market-value chain
        LCOH NaN.
    carbon
        ``(n,)`` arrays from the hourly series (:func:`carbon_totals`): keys
        ``grid_import_co2_t``, ``hydrogen_co2_t``, ``electrolysis_low_carbon_hours_share``,
        ``grid_carbon_intensity_mean_g_per_kwh``; ``None``: exact zeros where a run has
        neither grid imports nor natural gas, else NaN.

    Returns
    -------
    pandas.DataFrame
        One row per run, columns :data:`KPI_COLUMNS`.
    """
    ss = np.asarray(site_sums, dtype=np.float64)
    n = ss.shape[0]
    zs = np.asarray(sys_sums, dtype=np.float64).reshape(n, kd.N_SYS_SUM)
    cap = np.broadcast_to(np.asarray(cap, dtype=np.float64), (n, *ss.shape[1:2], kd.N_CAP))
    par = np.broadcast_to(np.asarray(par, dtype=np.float64), (n, kd.N_PAR))
    cost = np.asarray(cost, dtype=np.float64)
    cost = np.broadcast_to(cost, (n, cost.shape[-1]))
    km = np.asarray(pipeline_km, dtype=np.float64)
    scale = np.broadcast_to(np.asarray(hours, dtype=np.float64), (n,)) / HOURS_PER_YEAR

    def total(col: int) -> np.ndarray:
        return ss[:, :, col].sum(axis=1)

    def c(name: str) -> np.ndarray:
        return cost[:, COST_INDEX[name]]

    def capsum(col: int, weight: np.ndarray | None = None) -> np.ndarray:
        v = cap[:, :, col] if weight is None else cap[:, :, col] * weight
        return v.sum(axis=1)

    r = c("discount_rate")
    invest = {
        "wind": capsum(kd.C_WIND_MW) * c("wind_capex_eur_per_mw"),
        "pv": capsum(kd.C_PV_MW) * c("pv_capex_eur_per_mw"),
        "battery": capsum(kd.C_BATTERY_MW) * c("battery_power_capex_eur_per_mw")
        + capsum(kd.C_BATTERY_MWH) * c("battery_energy_capex_eur_per_mwh"),
        "electrolysis": capsum(kd.C_ELECTROLYSIS_MW) * c("electrolysis_capex_eur_per_mw"),
        "hydrogen_storage": capsum(kd.C_HYDROGEN_STORAGE_MWH)
        * c("hydrogen_storage_capex_eur_per_mwh"),
        "pipeline": capsum(kd.C_PIPELINE_MW, km[None, :]) * c("pipeline_capex_eur_per_mw_km"),
        "gas_backup": capsum(kd.C_GAS_BACKUP_MW) * c("gas_backup_capex_eur_per_mw"),
    }
    costs: dict[str, np.ndarray] = {}
    fixed_om = np.zeros(n)
    fom: dict[str, np.ndarray] = {}
    for tech, inv in invest.items():
        costs[f"capex_{tech}"] = inv * annuity_factors(r, c(f"{tech}_lifetime_years")) * scale
        fom[tech] = inv * c(f"{tech}_fom_fraction_per_year") * scale
        fixed_om = fixed_om + fom[tech]
    costs["fixed_om"] = fixed_om

    wind = total(kd.K_WIND_MWH)
    pv = total(kd.K_PV_MWH)
    h2_out = total(kd.K_HYDROGEN_OUTPUT_MWH)
    gas_el = total(kd.K_GAS_BACKUP_MWH)
    gas_fuel = total(kd.K_GAS_BACKUP_FUEL_MWH)
    gas_h2 = total(kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH)
    natural_gas = gas_fuel - gas_h2
    costs["variable_om"] = (
        wind * c("wind_vom_eur_per_mwh")
        + pv * c("pv_vom_eur_per_mwh")
        + gas_el * c("gas_backup_vom_eur_per_mwh")
        + h2_out * c("electrolysis_vom_eur_per_mwh_h2")
    )
    stack_life = par[:, DISPATCH_INDEX["stack_lifetime_hours"]]
    stack_mw_hours = (cap[:, :, kd.C_ELECTROLYSIS_MW] * ss[:, :, kd.K_OPERATING_HOURS]).sum(axis=1)
    costs["stack_replacement"] = stack_replacement_cost_eur(
        c("electrolysis_capex_eur_per_mw"), c("stack_replacement_cost_fraction"),
        stack_mw_hours, stack_life,
    )
    co2_t = natural_gas * c("natural_gas_co2_t_per_mwh")
    costs["natural_gas"] = natural_gas * c("gas_price_eur_per_mwh")
    costs["co2"] = co2_cost_eur(co2_t, c("co2_price_eur_per_t"))
    costs["grid_import"] = total(kd.K_GRID_IMPORT_COST_EUR)
    costs["grid_export_revenue"] = -total(kd.K_GRID_EXPORT_REVENUE_EUR)
    system_cost = np.sum([costs[k] for k in LCOH_COMPONENTS], axis=0)

    demand = zs[:, kd.Z_HYDROGEN_DEMAND_MWH]
    delivered = zs[:, kd.Z_HYDROGEN_DELIVERED_MWH]
    ely_in = total(kd.K_ELECTROLYSIS_INPUT_MWH)
    standby = total(kd.K_ELECTROLYSIS_STANDBY_MWH)
    gen = wind + pv
    rfnbo = total(kd.K_RFNBO_HYDROGEN_MWH)
    frame: dict[str, np.ndarray] = {
        "hours": np.broadcast_to(np.asarray(hours, dtype=np.float64), (n,)).copy(),
        "hydrogen_demand_mwh": demand,
        "hydrogen_delivered_mwh": delivered,
        "hydrogen_delivered_t": delivered / HYDROGEN_LHV_KWH_PER_KG,
        "unserved_hydrogen_mwh": zs[:, kd.Z_UNSERVED_HYDROGEN_MWH],
        "demand_met_share": safe_divide(delivered, demand),
        "hydrogen_output_mwh": h2_out,
        "electrolysis_input_mwh": ely_in,
        "electrolysis_standby_mwh": standby,
        "electrolysis_full_load_hours_h": safe_divide(
            ely_in - standby, capsum(kd.C_ELECTROLYSIS_MW)
        ),
        "electrolysis_starts": total(kd.K_STARTS),
        "stack_replacements": total(kd.K_STACK_REPLACEMENTS),
        "renewable_generation_mwh": gen,
        "curtailment_mwh": total(kd.K_CURTAILMENT_MWH),
        "curtailment_share": safe_divide(total(kd.K_CURTAILMENT_MWH), gen),
        "battery_discharge_mwh": total(kd.K_BATTERY_DISCHARGE_MWH),
        "battery_equivalent_cycles": safe_divide(
            total(kd.K_BATTERY_DISCHARGE_MWH), capsum(kd.C_BATTERY_MWH)
        ),
        "grid_import_mwh": total(kd.K_GRID_IMPORT_MWH),
        "grid_import_cost_eur": total(kd.K_GRID_IMPORT_COST_EUR),
        "grid_export_mwh": total(kd.K_GRID_EXPORT_MWH),
        "grid_export_revenue_eur": total(kd.K_GRID_EXPORT_REVENUE_EUR),
        "gas_backup_mwh": gas_el,
        "gas_backup_natural_gas_mwh": natural_gas,
        "gas_backup_hydrogen_fuel_mwh": gas_h2,
        "co2_emissions_t": co2_t,
        "local_demand_served_mwh": total(kd.K_LOCAL_DEMAND_MWH),
        "unserved_electricity_mwh": total(kd.K_UNSERVED_ELECTRICITY_MWH),
        "rfnbo_hydrogen_mwh": rfnbo,
        "rfnbo_share": safe_divide(rfnbo, h2_out),
        "system_cost_eur": system_cost,
        "system_net_cost_per_kg_h2_eur_per_kg": cost_per_kg_eur(system_cost, delivered),
    }
    for comp in LCOH_COMPONENTS:
        frame[f"lcoh_{comp}_eur_per_kg"] = cost_per_kg_eur(costs[comp], delivered)

    # hydrogen chain: its assets, stack replacement and O&M, plus its electricity
    chain_assets = np.sum([costs[f"capex_{t}"] + fom[t] for t in CHAIN_TECHNOLOGIES], axis=0)
    chain_vom = h2_out * c("electrolysis_vom_eur_per_mwh_h2")
    re_cost = (costs["capex_wind"] + fom["wind"] + costs["capex_pv"] + fom["pv"]
               + wind * c("wind_vom_eur_per_mwh") + pv * c("pv_vom_eur_per_mwh"))
    re_price = safe_divide(re_cost, gen - total(kd.K_CURTAILMENT_MWH))
    if electrolysis_electricity_market_value_eur is None:
        market = np.full(n, np.nan)
    else:
        market = np.broadcast_to(
            np.asarray(electrolysis_electricity_market_value_eur, dtype=np.float64), (n,)
        ).copy()
    frame.update(chain_lcoh_eur_per_kg(
        chain_assets, costs["stack_replacement"], chain_vom, market, ely_in * re_price, delivered
    ))
    frame.update(_carbon_kpis(carbon, total(kd.K_GRID_IMPORT_MWH), natural_gas, co2_t, h2_out))
    frame["renewables_average_cost_eur_per_mwh"] = re_price
    frame["electrolysis_electricity_market_value_eur"] = market
    return pd.DataFrame({col: frame[col] for col in KPI_COLUMNS})


def _carbon_kpis(
    carbon: Mapping[str, np.ndarray] | None,
    import_mwh: np.ndarray,
    natural_gas_mwh: np.ndarray,
    gas_co2_t: np.ndarray,
    hydrogen_output_mwh: np.ndarray,
) -> dict[str, np.ndarray]:
    n = import_mwh.shape[0]
    if carbon is None:
        # without the hourly series only runs with no imports and no natural gas are exact
        clean = (import_mwh == 0.0) & (natural_gas_mwh == 0.0)
        imp_co2 = np.where(import_mwh == 0.0, 0.0, np.nan)
        h2_co2 = np.where(clean, 0.0, np.nan)
        low = np.full(n, np.nan)
        mean = np.full(n, np.nan)
    else:
        def get(key: str) -> np.ndarray:
            return np.broadcast_to(np.asarray(carbon[key], dtype=np.float64), (n,)).copy()

        imp_co2 = get("grid_import_co2_t")
        h2_co2 = get("hydrogen_co2_t")
        low = get("electrolysis_low_carbon_hours_share")
        mean = get("grid_carbon_intensity_mean_g_per_kwh")
    h2_kg = hydrogen_output_mwh * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
    kg_per_kg = safe_divide(h2_co2 * 1000.0, h2_kg)
    kg_per_kg = np.where(h2_kg > 0, kg_per_kg, np.nan)
    g_per_mj = np.asarray(g_per_mj_from_kg_per_kg(kg_per_kg))
    met = np.where(np.isfinite(g_per_mj), (g_per_mj <= EU_THRESHOLD_G_PER_MJ).astype(float), np.nan)
    return {
        "grid_import_co2_t": imp_co2,
        "total_co2_emissions_t": gas_co2_t + imp_co2,
        "hydrogen_co2_t": h2_co2,
        "hydrogen_carbon_intensity_kg_per_kg": kg_per_kg,
        "hydrogen_carbon_intensity_g_per_mj": g_per_mj,
        "hydrogen_eu_threshold_met": met,
        "electrolysis_low_carbon_hours_share": low,
        "grid_carbon_intensity_mean_g_per_kwh": mean,
    }


def carbon_totals(
    ds: xr.Dataset,
    grid_g_per_kwh: np.ndarray,
    natural_gas_co2_t_per_mwh: float,
    low_carbon_threshold_g_per_kwh: float,
) -> dict[str, float]:
    """Emissions of one year's hourly dataset, by source and attributed to hydrogen.

    Grid imports count at the hour's average grid intensity; natural gas at its
    combustion factor.  Each site-hour's emissions (imports and natural gas) are
    shared among the site's electricity consumers in proportion to their use:
    the electrolyser (input including standby) and the local load.  Battery
    charging and grid export happen only from renewable surplus in the rules, so
    they carry none.

    Parameters
    ----------
    ds
        Hourly results of one weather year.
    grid_g_per_kwh
        Grid intensity per hour of ``ds``, g CO2e/kWh (NaN allowed in hours without
        imports).
    natural_gas_co2_t_per_mwh
        Combustion factor of natural gas, t CO2/MWh_th.
    low_carbon_threshold_g_per_kwh
        Grid intensity below which an electrolyser hour counts as low-carbon.

    Returns
    -------
    dict
        ``grid_import_co2_t``, ``hydrogen_co2_t``, ``electrolysis_low_carbon_hours_share``
        (share of the site-hours with the electrolyser on),
        ``grid_carbon_intensity_mean_g_per_kwh``.
    """
    def v(name: str) -> np.ndarray:
        return np.asarray(ds[name].transpose("time", "site").values, dtype=np.float64)

    ci = np.asarray(grid_g_per_kwh, dtype=np.float64)[:, None]
    imp = v("grid_import_mw")
    # MWh x g/kWh = kg; hours without imports count 0 even where the intensity is unknown
    imp_t = np.where(imp > 0.0, imp * ci, 0.0) / 1000.0
    gas_t = (v("gas_backup_fuel_mw") - v("gas_backup_hydrogen_fuel_mw")) * natural_gas_co2_t_per_mwh
    if "firm_delivery_mw" in ds:
        # under a firm commitment the gas power sent to the grid serves no site consumer
        gas = v("gas_backup_mw")
        on_site = gas - np.minimum(gas, v("grid_export_mw"))
        gas_t = gas_t * np.divide(on_site, gas, out=np.zeros_like(gas), where=gas > 0.0)
    ely = v("electrolysis_input_mw")
    use = ely + v("local_demand_mw")
    share = np.divide(ely, use, out=np.zeros_like(ely), where=use > 0.0)
    on = v("electrolysis_on") > 0.5
    n_on = int(on.sum())
    low = float((on & (ci < low_carbon_threshold_g_per_kwh)).sum() / n_on) if n_on else np.nan
    finite = np.isfinite(ci[:, 0])
    return {
        "grid_import_co2_t": float(imp_t.sum()),
        "hydrogen_co2_t": float(((imp_t + gas_t) * share).sum()),
        "electrolysis_low_carbon_hours_share": low,
        "grid_carbon_intensity_mean_g_per_kwh": (
            float(ci[finite, 0].mean()) if finite.all() else np.nan
        ),
    }


def _start_state(ds: xr.Dataset) -> dict[str, dict[str, dict[str, float]]]:
    raw = ds.attrs.get("dispatch_start_state")
    if not raw:
        return {}
    return json.loads(raw)


def sums_from_dataset(
    ds: xr.Dataset,
    cap: np.ndarray,
    par: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-site totals ``(n_sites, N_SUM)`` and system totals of one year's hourly dataset.

    Starts count off-to-on transitions, the hour before the first one taken from
    the attribute ``dispatch_start_state`` when present (else off).  Stack
    replacements follow from the operating hours and the stack hours at the start.
    The electrolyser's share of grid imports and the emission totals (which need the
    grid intensity, see :func:`carbon_totals`) are not in the schema and are NaN.
    """
    sites = [str(s) for s in ds["site"].values]
    year = str(pd.DatetimeIndex(ds["time"].values)[0].year)
    start = _start_state(ds).get(year, {})

    def v(name: str) -> np.ndarray:
        return np.asarray(ds[name].transpose("time", "site").values, dtype=np.float64)

    n_s = len(sites)
    sums = np.zeros((n_s, kd.N_SUM))
    on = v("electrolysis_on") > 0.5
    prior = np.array([start.get(s, {}).get("electrolysis_on", 0.0) > 0.5 for s in sites])
    previous = np.vstack([prior[None, :], on[:-1]])
    hours0 = np.array(
        [start.get(s, {}).get("stack_hours", par[kd.P_INITIAL_STACK_HOURS]) for s in sites]
    )
    life = par[kd.P_STACK_LIFETIME_HOURS]
    rating = cap[:, kd.C_ELECTROLYSIS_MW]
    standby_nominal = np.where(
        (~on) & (rating[None, :] > 0), par[kd.P_ELECTROLYSIS_STANDBY_FRACTION] * rating, 0.0
    )
    price = np.asarray(ds["price_eur_per_mwh"].values, dtype=np.float64)[:, None]
    for col, entry in enumerate(layout.SITE_SUMS):  # totals that are sums of an hourly variable
        if not entry.derived:
            sums[:, col] = v(entry.source).sum(axis=0)
    sums[:, kd.K_GRID_IMPORT_COST_EUR] = (v("grid_import_mw") * price).sum(axis=0)
    sums[:, kd.K_GRID_EXPORT_REVENUE_EUR] = (v("grid_export_mw") * price).sum(axis=0)
    sums[:, kd.K_OPERATING_HOURS] = on.sum(axis=0)
    sums[:, kd.K_STARTS] = (on & ~previous).sum(axis=0)
    sums[:, kd.K_STACK_REPLACEMENTS] = np.floor((hours0 + on.sum(axis=0)) / life)
    local_nominal = cap[:, kd.C_LOCAL_DEMAND_MW][None, :]
    sums[:, kd.K_UNSERVED_ELECTRICITY_MWH] = (
        (local_nominal - v("local_demand_mw")) + (standby_nominal - v("electrolysis_standby_mw"))
    ).sum(axis=0)
    sums[:, kd.K_ELECTROLYSIS_GRID_MWH] = np.nan
    for col in (kd.K_GRID_IMPORT_CO2_T, kd.K_ELECTROLYSIS_GRID_IMPORT_CO2_T,
                kd.K_ELECTROLYSIS_NATURAL_GAS_MWH, kd.K_LOW_CARBON_OPERATING_HOURS):
        sums[:, col] = np.nan  # need the grid intensity: see carbon_totals
    sys_sums = np.zeros(kd.N_SYS_SUM)
    sys_sums[kd.Z_HYDROGEN_DEMAND_MWH] = float(ds["hydrogen_demand_mw"].sum())
    sys_sums[kd.Z_HYDROGEN_DELIVERED_MWH] = float(ds["hydrogen_delivered_mw"].sum())
    sys_sums[kd.Z_UNSERVED_HYDROGEN_MWH] = float(ds["unserved_hydrogen_mw"].sum())
    if "firm_shortfall_mw" in ds:  # a firm commitment (schema.FIRM_VARIABLES)
        short = ds["firm_shortfall_mw"].values
        sys_sums[kd.Z_FIRM_DELIVERY_MWH] = float(ds["firm_delivery_mw"].sum())
        sys_sums[kd.Z_FIRM_SHORTFALL_MWH] = float(short.sum())
        sys_sums[kd.Z_FIRM_HOURS_SHORT] = float((short > 0.0).sum())
    return sums, sys_sums


def compute_kpis(
    ds: xr.Dataset,
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None = None,
    *,
    dispatch_params: np.ndarray | None = None,
    cost_params: np.ndarray | None = None,
) -> pd.DataFrame:
    """KPIs per weather year of an hourly results dataset.

    Parameters
    ----------
    ds
        Hourly results (schema of :mod:`nzv_energy.schema`), one or more
        weather years concatenated along ``time``.
    inputs
        The inputs the dataset was computed from (scenario, pipeline lengths).
    capacities
        Capacities per site; ``None`` = the scenario's fixed capacities.
    dispatch_params, cost_params
        Parameter vectors; ``None`` = from the scenario (the dataset attribute
        ``dispatch_parameters`` is used for the dispatch vector when present).

    Returns
    -------
    pandas.DataFrame
        Index ``weather_year``, columns :data:`KPI_COLUMNS` (units in names).
    """
    scenario = inputs.scenario
    sites = [str(s) for s in ds["site"].values]
    if capacities is None:
        capacities = fixed_capacities(scenario)
    cap = capacity_array(capacities, sites)
    if dispatch_params is None:
        from_attrs = ds.attrs.get("dispatch_parameters")
        if from_attrs:
            values = json.loads(from_attrs)
            dispatch_params = np.array([values[n] for n in DISPATCH_PARAMETER_NAMES])
        else:
            dispatch_params = dispatch_parameter_vector(scenario)
    par = np.asarray(dispatch_params, dtype=np.float64)
    cost = cost_parameter_vector(scenario) if cost_params is None else np.asarray(cost_params)
    km = np.asarray(inputs.pipeline_km, dtype=np.float64)
    if km.shape != (len(sites),):
        raise InputDataError(None, "pipeline_km", km.shape, f"one length per site ({len(sites)})")
    times = pd.DatetimeIndex(ds["time"].values)
    years = sorted(set(times.year))
    site_sums, sys_sums, hours, ely_value = [], [], [], []
    carbon: dict[str, list[float]] = {}
    grid_ci = _grid_intensity(inputs, times)
    for year in years:
        part = ds.isel(time=np.flatnonzero(times.year == year))
        s, z = sums_from_dataset(part, cap, par)
        site_sums.append(s)
        sys_sums.append(z)
        hours.append(part.sizes["time"])
        ely_value.append(float(
            (part["electrolysis_input_mw"] * part["price_eur_per_mwh"]).sum()
        ))
        totals = carbon_totals(
            part, grid_ci[times.year == year],
            scenario.technology.gas_backup.natural_gas_co2_t_per_mwh,
            scenario.economics.low_carbon_grid_threshold_g_per_kwh,
        )
        for key, value in totals.items():
            carbon.setdefault(key, []).append(value)
    frame = kpi_frame(
        np.array(site_sums), np.array(sys_sums), cap, par, cost, km, np.array(hours, float),
        electrolysis_electricity_market_value_eur=np.array(ely_value),
        carbon={k: np.array(v) for k, v in carbon.items()},
    )
    frame.index = pd.Index(years, name="weather_year")
    return frame


def _grid_intensity(inputs: SystemInputs, times: pd.DatetimeIndex) -> np.ndarray:
    """The inputs' grid intensity on the dataset's hours (NaN where it has none)."""
    if inputs.grid_carbon_g_per_kwh is None:
        return np.full(len(times), np.nan)
    return inputs.grid_carbon_g_per_kwh.reindex(times).to_numpy(np.float64)


#: Per-site KPI columns of :func:`site_kpis`.
SITE_KPI_COLUMNS: tuple[str, ...] = (
    "renewable_generation_mwh",
    "curtailment_mwh",
    "curtailment_share",
    "hydrogen_output_mwh",
    "pipeline_flow_mwh",
    "electrolysis_full_load_hours_h",
    "electrolysis_starts",
    "stack_replacements",
    "battery_equivalent_cycles",
    "grid_import_mwh",
    "grid_import_cost_eur",
    "grid_export_mwh",
    "grid_export_revenue_eur",
    "gas_backup_mwh",
    "co2_emissions_t",
    "unserved_electricity_mwh",
    "rfnbo_share",
)


def site_kpis(
    ds: xr.Dataset,
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None = None,
) -> pd.DataFrame:
    """Energy KPIs per weather year and site (no costs: the LCOH is a system figure).

    Returns
    -------
    pandas.DataFrame
        Index ``(weather_year, site)``, columns :data:`SITE_KPI_COLUMNS`.
    """
    sites = [str(s) for s in ds["site"].values]
    if capacities is None:
        capacities = fixed_capacities(inputs.scenario)
    cap = capacity_array(capacities, sites)
    from_attrs = ds.attrs.get("dispatch_parameters")
    if from_attrs:
        values = json.loads(from_attrs)
        par = np.array([values[n] for n in DISPATCH_PARAMETER_NAMES])
    else:
        par = dispatch_parameter_vector(inputs.scenario)
    co2 = inputs.scenario.technology.gas_backup.natural_gas_co2_t_per_mwh
    times = pd.DatetimeIndex(ds["time"].values)
    rows = []
    for year in sorted(set(times.year)):
        s, _ = sums_from_dataset(ds.isel(time=np.flatnonzero(times.year == year)), cap, par)
        gen = s[:, kd.K_WIND_MWH] + s[:, kd.K_PV_MWH]
        running = s[:, kd.K_ELECTROLYSIS_INPUT_MWH] - s[:, kd.K_ELECTROLYSIS_STANDBY_MWH]
        natural_gas = s[:, kd.K_GAS_BACKUP_FUEL_MWH] - s[:, kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH]
        table = {
            "renewable_generation_mwh": gen,
            "curtailment_mwh": s[:, kd.K_CURTAILMENT_MWH],
            "curtailment_share": safe_divide(s[:, kd.K_CURTAILMENT_MWH], gen),
            "hydrogen_output_mwh": s[:, kd.K_HYDROGEN_OUTPUT_MWH],
            "pipeline_flow_mwh": s[:, kd.K_PIPELINE_FLOW_MWH],
            "electrolysis_full_load_hours_h": safe_divide(running, cap[:, kd.C_ELECTROLYSIS_MW]),
            "electrolysis_starts": s[:, kd.K_STARTS],
            "stack_replacements": s[:, kd.K_STACK_REPLACEMENTS],
            "battery_equivalent_cycles": safe_divide(
                s[:, kd.K_BATTERY_DISCHARGE_MWH], cap[:, kd.C_BATTERY_MWH]
            ),
            "grid_import_mwh": s[:, kd.K_GRID_IMPORT_MWH],
            "grid_import_cost_eur": s[:, kd.K_GRID_IMPORT_COST_EUR],
            "grid_export_mwh": s[:, kd.K_GRID_EXPORT_MWH],
            "grid_export_revenue_eur": s[:, kd.K_GRID_EXPORT_REVENUE_EUR],
            "gas_backup_mwh": s[:, kd.K_GAS_BACKUP_MWH],
            "co2_emissions_t": natural_gas * co2,
            "unserved_electricity_mwh": s[:, kd.K_UNSERVED_ELECTRICITY_MWH],
            "rfnbo_share": safe_divide(
                s[:, kd.K_RFNBO_HYDROGEN_MWH], s[:, kd.K_HYDROGEN_OUTPUT_MWH]
            ),
        }
        for i, site in enumerate(sites):
            rows.append({"weather_year": year, "site": site,
                         **{c: float(table[c][i]) for c in SITE_KPI_COLUMNS}})
    return pd.DataFrame(rows).set_index(["weather_year", "site"])
