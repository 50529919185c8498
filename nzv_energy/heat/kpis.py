"""Heat KPIs per site and weather year: energy, shares by source, CO2, levelised cost of heat.

Reads the heat variables of :data:`nzv_energy.heat.simulate.HEAT_VARIABLES`
from a dataset (the year bridge :func:`~nzv_energy.heat.simulate.heat_from_dispatch`
without a ``site`` dimension, or ``dispatch.nc`` with one) and returns one row
per weather year and site, columns :data:`HEAT_KPI_COLUMNS` (units in names).

Definitions (``docs/district_heat.md``, "Heat KPIs and the cost of heat"):

* heat served = demand - unserved; by source: electrolyser waste heat, CHP
  (heat used: CHP heat less heat dumped), large heat pump, electric boiler,
  peak gas boiler; the thermal store adds its net charge (losses plus the rise
  of its level) as a negative item, so the sources reconcile with the heat
  served exactly;
* CO2 of heat: natural gas burnt in the peak boiler and a natural-gas CHP at the
  project's one natural-gas factor (``technology.gas_backup.natural_gas_co2_t_per_mwh``,
  the row ``natural_gas, co2_intensity`` of ``inputs/costs.csv``, as the gas
  backup), plus grid power bought for heat at the hour's average grid intensity
  (:func:`nzv_energy.grid_carbon.import_co2_t`, as the dispatch KPIs);
* levelised cost of heat = annualised cost of the heat assets and their
  operation / heat served (EUR/MWh_th): capital (overnight cost x
  :func:`~nzv_energy.economics.annuity_factor`), fixed O&M, variable O&M, fuel,
  electricity at the hour's day-ahead price, CO2 at the scenario's price, less
  the CHP's electricity valued at the hour's price (the power credit);
* waste-heat value: the heat cost the electrolyser's waste heat displaces (the
  substitution price principle), i.e. the variable cost of the same year's heat
  supply run without the waste heat less that with it; the hydrogen LCOH net of
  this revenue is :func:`hydrogen_lcoh_with_waste_heat`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.economics import (
    HYDROGEN_LHV_KWH_PER_KG,
    annuity_factor,
    co2_cost_eur,
    cost_per_kg_eur,
    hydrogen_kg,
    safe_divide,
)
from nzv_energy.errors import InputDataError
from nzv_energy.grid_carbon import import_co2_t
from nzv_energy.heat.assets import SiteHeat
from nzv_energy.heat.costs import COST_TABLE, heat_cost_values
from nzv_energy.heat.inputs import heat_capacity_vector
from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.kernels import heat as hk
from nzv_energy.scenario import Scenario

HOURS_PER_YEAR = 8760.0

#: Names of the heat variables a dataset must hold (:data:`HEAT_VARIABLES`).
HEAT_VARIABLE_NAMES: tuple[str, ...] = tuple(name for name, _, _ in HEAT_VARIABLES.values())

#: Heat sources: KPI key -> (label, variables summed (heat used, MW_th), variables subtracted).
HEAT_SOURCES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "waste_heat": ("Electrolyser waste heat", ("heat_from_waste_heat_mw",), ()),
    "chp": ("CHP", ("chp_heat_mw",), ("heat_dumped_mw",)),
    "heat_pump": ("Heat pump", ("heat_pump_heat_mw",), ()),
    "electric_boiler": ("Electric boiler", ("electric_boiler_heat_mw",), ()),
    "peak_boiler": ("Peak gas boiler", ("gas_boiler_heat_mw",), ()),
    "thermal_storage": (
        "Thermal store (net: losses and level change)",
        ("thermal_storage_discharge_mw",),
        ("thermal_storage_charge_mw",),
    ),
}

#: Parts of the levelised cost of heat, in the order they are reported.
COST_OF_HEAT_COMPONENTS: tuple[str, ...] = (
    "capital",
    "fixed_om",
    "variable_om",
    "fuel",
    "electricity",
    "co2",
    "chp_electricity_credit",
)

#: KPI columns (units in names), in table order.
HEAT_KPI_COLUMNS: tuple[str, ...] = (
    "hours",
    "heat_demand_mwh",
    "heat_served_mwh",
    "unserved_heat_mwh",
    "heat_demand_met_share",
    *(f"heat_from_{s}_mwh" for s in HEAT_SOURCES),
    *(f"heat_share_{s}" for s in HEAT_SOURCES),
    "thermal_storage_loss_mwh",
    "thermal_storage_level_change_mwh",
    "heat_dumped_mwh",
    "waste_heat_available_mwh",
    "heat_electricity_mwh",
    "heat_electricity_from_surplus_mwh",
    "heat_electricity_import_mwh",
    "chp_electric_mwh",
    "chp_fuel_mwh",
    "gas_boiler_fuel_mwh",
    "heat_natural_gas_mwh",
    "heat_hydrogen_mwh",
    "heat_natural_gas_co2_t",
    "heat_grid_import_co2_t",
    "heat_co2_t",
    "heat_carbon_intensity_kg_per_mwh_th",
    *(f"heat_{c}_eur" for c in COST_OF_HEAT_COMPONENTS),
    "heat_total_cost_eur",
    "levelised_cost_of_heat_eur_per_mwh_th",
    *(f"cost_of_heat_{c}_eur_per_mwh_th" for c in COST_OF_HEAT_COMPONENTS),
    "waste_heat_value_eur",
    "waste_heat_value_eur_per_mwh_th",
)

#: Asset table columns of :func:`heat_asset_costs`.
ASSET_COLUMNS: tuple[str, ...] = (
    "cost_row",
    "capacity",
    "capacity_unit",
    "capex_eur_per_unit",
    "lifetime_years",
    "annuity_factor_per_year",
    "capital_eur_per_year",
    "fixed_om_eur_per_year",
    "vom_eur_per_mwh",
    "vom_variable",
)


@dataclass(frozen=True)
class SiteHeatEconomics:
    """What the cost of one site's heat needs besides the hourly heat variables.

    Attributes
    ----------
    assets
        :func:`heat_asset_costs` table (index: asset).
    chp_fuel
        ``natural_gas`` or ``hydrogen`` (the CHP's fuel; no CHP: either).
    gas_price_eur_per_mwh
        Natural gas, EUR/MWh_th (LHV).
    co2_price_eur_per_t
        CO2 allowance price, EUR/t (0 where the scenario prices no CO2).
    natural_gas_co2_t_per_mwh
        Combustion factor of natural gas, t CO2/MWh_th.
    hydrogen_value_eur_per_mwh
        Value of hydrogen burnt in a hydrogen CHP, EUR/MWh_H2.
    unserved_heat_penalty_eur_per_mwh
        Cost of heat not served, EUR/MWh_th (only in the waste-heat value).
    """

    assets: pd.DataFrame
    chp_fuel: Literal["natural_gas", "hydrogen"] = "natural_gas"
    gas_price_eur_per_mwh: float = 0.0
    co2_price_eur_per_t: float = 0.0
    natural_gas_co2_t_per_mwh: float = 0.0
    hydrogen_value_eur_per_mwh: float = 0.0
    unserved_heat_penalty_eur_per_mwh: float = 1000.0


def heat_asset_costs(
    block: SiteHeat,
    cost_year: int,
    discount_rate: float,
    path: Path = COST_TABLE,
) -> pd.DataFrame:
    """Capacities and annual fixed costs of one site's heat assets.

    Capital is ``capacity x capex x annuity_factor(discount_rate, lifetime)``,
    fixed O&M ``capacity x capex x fom``; the CHP is costed per MW_el, heat
    sources per MW_th, the store per MWh_th. The booster heat pump of the
    waste-heat recovery is the row ``heat_pump_waste_heat``; the heat exchanger
    of direct recovery has no cost row (``docs/district_heat.md``).

    Returns
    -------
    pandas.DataFrame
        Index: asset (``chp``, ``heat_pump``, ``booster_heat_pump``,
        ``electric_boiler``, ``peak_boiler``, ``thermal_storage``; only those with
        a capacity above 0), columns :data:`ASSET_COLUMNS`.
    """
    rows = heat_cost_values(cost_year, path)
    cap = heat_capacity_vector(block, cost_year, path)
    pump_row = (
        "heat_pump_waste_heat"
        if block.heat_pump is not None and block.heat_pump.source == "electrolyser_heat"
        else "heat_pump_air"
    )
    chp_row = (
        "hydrogen_chp"
        if block.chp is not None and block.chp.technology == "fuel_cell"
        else "gas_chp"
    )
    store_row = (
        "thermal_storage_pit"
        if block.thermal_storage is not None and block.thermal_storage.kind == "pit"
        else "thermal_storage"
    )
    spec = (
        ("chp", chp_row, cap[hk.HC_CHP_MW_EL], "MW_el", "vom_eur_per_mwh_el", "chp_electric_mw"),
        ("heat_pump", pump_row, cap[hk.HC_HEAT_PUMP_MW_TH], "MW_th", "vom_eur_per_mwh_th",
         "heat_pump_heat_mw"),
        ("booster_heat_pump", "heat_pump_waste_heat", cap[hk.HC_BOOSTER_HEAT_PUMP_MW_TH],
         "MW_th", "vom_eur_per_mwh_th", "heat_from_waste_heat_mw"),
        ("electric_boiler", "electric_boiler", cap[hk.HC_ELECTRIC_BOILER_MW_TH], "MW_th",
         "vom_eur_per_mwh_th", "electric_boiler_heat_mw"),
        ("peak_boiler", "gas_boiler", cap[hk.HC_GAS_BOILER_MW_TH], "MW_th", "vom_eur_per_mwh_th",
         "gas_boiler_heat_mw"),
        ("thermal_storage", store_row, cap[hk.HC_STORAGE_MWH], "MWh_th", "", ""),
    )
    table = {}
    for asset, row_name, capacity, unit, vom_field, vom_variable in spec:
        if capacity <= 0.0:
            continue
        row = rows[row_name]
        capex = row.get("capex_eur_per_mw", row.get("capex_eur_per_mwh", 0.0))
        factor = annuity_factor(discount_rate, row["lifetime_years"])
        table[asset] = {
            "cost_row": row_name,
            "capacity": float(capacity),
            "capacity_unit": unit,
            "capex_eur_per_unit": capex,
            "lifetime_years": row["lifetime_years"],
            "annuity_factor_per_year": factor,
            "capital_eur_per_year": float(capacity) * capex * factor,
            "fixed_om_eur_per_year": float(capacity) * capex * row["fom_fraction_per_year"],
            "vom_eur_per_mwh": row.get(vom_field, 0.0) if vom_field else 0.0,
            "vom_variable": vom_variable,
        }
    frame = pd.DataFrame.from_dict(table, orient="index", columns=list(ASSET_COLUMNS))
    frame.index.name = "asset"
    return frame


def site_heat_economics(
    block: SiteHeat,
    *,
    cost_year: int,
    discount_rate: float,
    gas_price_eur_per_mwh: float,
    co2_price_eur_per_t: float,
    natural_gas_co2_t_per_mwh: float,
    hydrogen_value_eur_per_mwh: float = 0.0,
    path: Path = COST_TABLE,
) -> SiteHeatEconomics:
    """The :class:`SiteHeatEconomics` of a site's heat configuration and the scenario's prices."""
    return SiteHeatEconomics(
        assets=heat_asset_costs(block, cost_year, discount_rate, path),
        chp_fuel=block.chp.fuel if block.chp is not None else "natural_gas",
        gas_price_eur_per_mwh=gas_price_eur_per_mwh,
        co2_price_eur_per_t=co2_price_eur_per_t,
        natural_gas_co2_t_per_mwh=natural_gas_co2_t_per_mwh,
        hydrogen_value_eur_per_mwh=hydrogen_value_eur_per_mwh,
        unserved_heat_penalty_eur_per_mwh=block.unserved_heat_penalty_eur_per_mwh,
    )


def has_heat(ds: xr.Dataset) -> bool:
    """True when ``ds`` holds every heat variable (:data:`HEAT_VARIABLE_NAMES`)."""
    return all(name in ds for name in HEAT_VARIABLE_NAMES)


def _one_site(ds: xr.Dataset, site: str | None) -> xr.Dataset:
    missing = [n for n in HEAT_VARIABLE_NAMES if n not in ds]
    if missing:
        raise InputDataError(None, "heat dataset", f"no variable {missing[0]}",
                             "the heat variables of nzv_energy.heat.simulate.HEAT_VARIABLES")
    if "site" in ds.dims:
        if site is None:
            raise InputDataError(None, "site", None, f"one of {list(ds['site'].values)}")
        return ds.sel(site=site)
    return ds


def _price(ds: xr.Dataset, price: np.ndarray | None) -> np.ndarray:
    if price is None:
        if "price_eur_per_mwh" not in ds:
            raise InputDataError(None, "price_eur_per_mwh", None,
                                 "a day-ahead price per hour (in the dataset or given)")
        price = ds["price_eur_per_mwh"].to_numpy()
    out = np.asarray(price, dtype=np.float64)
    if out.shape != (ds.sizes["time"],) or not np.all(np.isfinite(out)):
        raise InputDataError(None, "price_eur_per_mwh", f"shape {out.shape}",
                             f"{ds.sizes['time']} finite prices")
    return out


def _sum(ds: xr.Dataset, name: str) -> float:
    return float(ds[name].to_numpy().astype(np.float64).sum())


def _variable_costs(
    ds: xr.Dataset, price: np.ndarray, econ: SiteHeatEconomics
) -> dict[str, float]:
    """Variable cost parts of one period, EUR (positive = cost; the CHP credit negative)."""
    a = econ.assets
    vom = sum(
        float(row.vom_eur_per_mwh) * _sum(ds, str(row.vom_variable))
        for row in a.itertuples()
        if row.vom_variable
    )
    chp_fuel = _sum(ds, "chp_fuel_mw")
    gas = _sum(ds, "gas_boiler_fuel_mw") + (chp_fuel if econ.chp_fuel == "natural_gas" else 0.0)
    hydrogen = chp_fuel if econ.chp_fuel == "hydrogen" else 0.0
    electricity = (
        ds["booster_electricity_mw"] + ds["heat_pump_electricity_mw"]
        + ds["electric_boiler_electricity_mw"]
    ).to_numpy().astype(np.float64)
    co2_t = gas * econ.natural_gas_co2_t_per_mwh
    return {
        "variable_om": vom,
        "fuel": gas * econ.gas_price_eur_per_mwh + hydrogen * econ.hydrogen_value_eur_per_mwh,
        "electricity": float((electricity * price).sum()),
        "co2": float(co2_cost_eur(co2_t, econ.co2_price_eur_per_t)),
        "chp_electricity_credit": -float(
            (ds["chp_electric_mw"].to_numpy().astype(np.float64) * price).sum()
        ),
    }


def _level_before(ds: xr.Dataset) -> float:
    """Store level before the first hour: end level of hour 0 undone."""
    first = ds.isel(time=0)
    return float(
        first["thermal_storage_mwh"] - first["thermal_storage_charge_mw"]
        + first["thermal_storage_discharge_mw"] + first["thermal_storage_loss_mw"]
    )


def _year_row(
    part: xr.Dataset,
    price: np.ndarray,
    econ: SiteHeatEconomics,
    grid_g_per_kwh: pd.Series | None,
    displaced: xr.Dataset | None,
    displaced_price: np.ndarray | None,
) -> dict[str, float]:
    hours = float(part.sizes["time"])
    demand = _sum(part, "heat_demand_mw")
    unserved = _sum(part, "unserved_heat_mw")
    served = demand - unserved
    row: dict[str, float] = {
        "hours": hours,
        "heat_demand_mwh": demand,
        "heat_served_mwh": served,
        "unserved_heat_mwh": unserved,
        "heat_demand_met_share": float(safe_divide(served, demand)),
    }
    for key, (_, plus, minus) in HEAT_SOURCES.items():
        row[f"heat_from_{key}_mwh"] = sum(_sum(part, v) for v in plus) - sum(
            _sum(part, v) for v in minus
        )
    for key in HEAT_SOURCES:
        row[f"heat_share_{key}"] = float(safe_divide(row[f"heat_from_{key}_mwh"], served))
    row["thermal_storage_loss_mwh"] = _sum(part, "thermal_storage_loss_mw")
    row["thermal_storage_level_change_mwh"] = (
        float(part["thermal_storage_mwh"].isel(time=-1)) - _level_before(part)
    )
    row["heat_dumped_mwh"] = _sum(part, "heat_dumped_mw")
    row["waste_heat_available_mwh"] = _sum(part, "waste_heat_available_mw")
    row["heat_electricity_mwh"] = sum(
        _sum(part, v)
        for v in ("booster_electricity_mw", "heat_pump_electricity_mw",
                  "electric_boiler_electricity_mw")
    )
    row["heat_electricity_from_surplus_mwh"] = _sum(part, "heat_electricity_from_surplus_mw")
    row["heat_electricity_import_mwh"] = _sum(part, "heat_electricity_import_mw")
    row["chp_electric_mwh"] = _sum(part, "chp_electric_mw")
    chp_fuel = _sum(part, "chp_fuel_mw")
    row["chp_fuel_mwh"] = chp_fuel
    row["gas_boiler_fuel_mwh"] = _sum(part, "gas_boiler_fuel_mw")
    gas = row["gas_boiler_fuel_mwh"] + (chp_fuel if econ.chp_fuel == "natural_gas" else 0.0)
    row["heat_natural_gas_mwh"] = gas
    row["heat_hydrogen_mwh"] = chp_fuel if econ.chp_fuel == "hydrogen" else 0.0
    row["heat_natural_gas_co2_t"] = gas * econ.natural_gas_co2_t_per_mwh
    time = pd.DatetimeIndex(part["time"].to_numpy())
    imports = part["heat_electricity_import_mw"].to_numpy().astype(np.float64)
    row["heat_grid_import_co2_t"] = import_co2_t(grid_g_per_kwh, time, imports, np.ones(len(time)))
    row["heat_co2_t"] = row["heat_natural_gas_co2_t"] + row["heat_grid_import_co2_t"]
    row["heat_carbon_intensity_kg_per_mwh_th"] = float(
        safe_divide(row["heat_co2_t"] * 1000.0, served)
    )
    scale = hours / HOURS_PER_YEAR
    costs = {
        "capital": float(econ.assets["capital_eur_per_year"].sum()) * scale,
        "fixed_om": float(econ.assets["fixed_om_eur_per_year"].sum()) * scale,
        **_variable_costs(part, price, econ),
    }
    for c in COST_OF_HEAT_COMPONENTS:
        row[f"heat_{c}_eur"] = costs[c]
        row[f"cost_of_heat_{c}_eur_per_mwh_th"] = float(safe_divide(costs[c], served))
    total = sum(costs[c] for c in COST_OF_HEAT_COMPONENTS)
    row["heat_total_cost_eur"] = total
    row["levelised_cost_of_heat_eur_per_mwh_th"] = float(safe_divide(total, served))
    if displaced is None or displaced_price is None:
        value = float("nan")
    else:
        penalty = econ.unserved_heat_penalty_eur_per_mwh
        without = sum(_variable_costs(displaced, displaced_price, econ).values()) + penalty * (
            _sum(displaced, "unserved_heat_mw")
        )
        with_ = sum(_variable_costs(part, price, econ).values()) + penalty * unserved
        value = without - with_
    row["waste_heat_value_eur"] = value
    row["waste_heat_value_eur_per_mwh_th"] = float(
        safe_divide(value, row["heat_from_waste_heat_mwh"])
    )
    return row


def heat_kpis(
    ds: xr.Dataset,
    econ: SiteHeatEconomics,
    *,
    site: str | None = None,
    price_eur_per_mwh: np.ndarray | None = None,
    grid_g_per_kwh: pd.Series | None = None,
    without_waste_heat: xr.Dataset | None = None,
) -> pd.DataFrame:
    """Heat KPIs of one site per weather year.

    Parameters
    ----------
    ds
        Hourly heat variables (:data:`HEAT_VARIABLE_NAMES`) over ``time``, one or
        more weather years; with a ``site`` dimension ``site`` picks the site.
    econ
        Costs and prices of the site (:func:`site_heat_economics`).
    site
        Site to read where ``ds`` has a ``site`` dimension.
    price_eur_per_mwh
        Day-ahead price per hour of ``ds``; default its ``price_eur_per_mwh``.
    grid_g_per_kwh
        Hourly grid intensity (``SystemInputs.grid_carbon_g_per_kwh``), g CO2e/kWh;
        ``None``: the CO2 of grid power for heat is 0 without imports, else NaN.
    without_waste_heat
        The same hours' heat variables run without the electrolyser's waste heat
        (recoverable share 0, all else equal; same price): gives the waste-heat
        value; ``None`` leaves it NaN.

    Returns
    -------
    pandas.DataFrame
        Index ``weather_year``, columns :data:`HEAT_KPI_COLUMNS`.
    """
    one = _one_site(ds, site)
    price = _price(one, price_eur_per_mwh)
    other = None if without_waste_heat is None else _one_site(without_waste_heat, site)
    if other is not None and not np.array_equal(other["time"].to_numpy(), one["time"].to_numpy()):
        raise InputDataError(None, "without_waste_heat.time", other.sizes["time"],
                             "the hours of the heat dataset")
    times = pd.DatetimeIndex(one["time"].to_numpy())
    rows = {}
    for year in sorted(set(times.year)):
        idx = np.flatnonzero(times.year == year)
        rows[int(year)] = _year_row(
            one.isel(time=idx), price[idx], econ, grid_g_per_kwh,
            None if other is None else other.isel(time=idx),
            None if other is None else price[idx],
        )
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(HEAT_KPI_COLUMNS))
    frame.index.name = "weather_year"
    return frame


def site_heat_kpis(
    ds: xr.Dataset,
    economics: Mapping[str, SiteHeatEconomics],
    *,
    grid_g_per_kwh: pd.Series | None = None,
    without_waste_heat: xr.Dataset | None = None,
) -> pd.DataFrame:
    """:func:`heat_kpis` of every site of ``economics`` (``ds`` with a ``site`` dimension).

    Returns
    -------
    pandas.DataFrame
        Index ``(weather_year, site)``, columns :data:`HEAT_KPI_COLUMNS`.
    """
    parts = []
    for site, econ in economics.items():
        frame = heat_kpis(ds, econ, site=site, grid_g_per_kwh=grid_g_per_kwh,
                          without_waste_heat=without_waste_heat)
        frame["site"] = site
        parts.append(frame.reset_index())
    out = pd.concat(parts).set_index(["weather_year", "site"]).sort_index()
    return out[list(HEAT_KPI_COLUMNS)]


#: Columns of :func:`hydrogen_lcoh_with_waste_heat`.
WASTE_HEAT_LCOH_COLUMNS: tuple[str, ...] = (
    "lcoh_chain_eur_per_kg",
    "waste_heat_value_eur",
    "waste_heat_value_eur_per_kg",
    "lcoh_chain_net_of_waste_heat_eur_per_kg",
)


def hydrogen_lcoh_with_waste_heat(kpis: pd.DataFrame, heat: pd.DataFrame) -> pd.DataFrame:
    """Hydrogen-chain LCOH without and with the revenue of its waste heat, per weather year.

    ``lcoh_chain_net_of_waste_heat_eur_per_kg = lcoh_chain_eur_per_kg -
    waste_heat_value_eur / hydrogen delivered (kg)``, the waste-heat value summed
    over sites (:func:`heat_kpis`, the heat cost the waste heat displaces).

    Parameters
    ----------
    kpis
        Dispatch KPIs per weather year (:func:`nzv_energy.dispatch.kpis.compute_kpis`):
        ``lcoh_chain_eur_per_kg`` and ``hydrogen_delivered_mwh``.
    heat
        Heat KPIs indexed by ``weather_year`` (one site) or ``(weather_year, site)``.

    Returns
    -------
    pandas.DataFrame
        Index ``weather_year``, columns :data:`WASTE_HEAT_LCOH_COLUMNS`.
    """
    value = heat["waste_heat_value_eur"].groupby(level="weather_year").sum(min_count=1)
    value = value.reindex(kpis.index)
    per_kg = cost_per_kg_eur(value.to_numpy(), kpis["hydrogen_delivered_mwh"].to_numpy())
    per_kg = np.where(hydrogen_kg(kpis["hydrogen_delivered_mwh"].to_numpy()) > 0, per_kg, np.nan)
    frame = pd.DataFrame(
        {
            "lcoh_chain_eur_per_kg": kpis["lcoh_chain_eur_per_kg"].to_numpy(),
            "waste_heat_value_eur": value.to_numpy(),
            "waste_heat_value_eur_per_kg": per_kg,
            "lcoh_chain_net_of_waste_heat_eur_per_kg": (
                kpis["lcoh_chain_eur_per_kg"].to_numpy() - per_kg
            ),
        },
        index=kpis.index,
    )
    return frame


def without_waste_heat(par: np.ndarray) -> np.ndarray:
    """A copy of the heat parameters ``HP_*`` with no recoverable electrolyser heat.

    Run the heat rules with it (same demand, COPs, capacities, dispatch) to get
    the ``without_waste_heat`` dataset of :func:`heat_kpis`: with the share 0
    neither the recovery nor a heat pump on electrolyser heat has a source.
    """
    out = np.array(par, dtype=np.float64, copy=True)
    out[hk.HP_RECOVERY_SHARE] = 0.0
    return out


#: Heat KPIs shown in the report (column -> label).
REPORT_ROWS: dict[str, str] = {
    "heat_demand_mwh": "heat demand, MWh_th",
    "heat_served_mwh": "heat served, MWh_th",
    "unserved_heat_mwh": "unserved heat, MWh_th",
    **{f"heat_share_{s}": f"share of heat served: {HEAT_SOURCES[s][0]}" for s in HEAT_SOURCES},
    "heat_electricity_mwh": "electricity for heat, MWh",
    "heat_electricity_import_mwh": "of which bought from the grid, MWh",
    "heat_natural_gas_mwh": "natural gas for heat, MWh_th",
    "heat_hydrogen_mwh": "hydrogen for heat (CHP), MWh_H2",
    "heat_co2_t": "CO2 of heat, t",
    "heat_carbon_intensity_kg_per_mwh_th": "CO2 per MWh_th served, kg",
    "levelised_cost_of_heat_eur_per_mwh_th": "levelised cost of heat, EUR/MWh_th",
    **{f"cost_of_heat_{c}_eur_per_mwh_th": f"  of which {c.replace('_', ' ')}, EUR/MWh_th"
       for c in COST_OF_HEAT_COMPONENTS},
    "waste_heat_value_eur_per_mwh_th": "value of the waste heat (heat cost displaced), "
                                       "EUR/MWh_th",
}


def _cell(column: str, value: float, unserved: float) -> str:
    from nzv_energy.report.formatting import format_mwh, format_share

    if not np.isfinite(value):
        return "–"
    if column == "heat_demand_met_share":
        return format_share(value, unserved)
    if column.startswith("heat_share_"):
        return format_share(value)
    if column.endswith("_mwh"):
        return format_mwh(value)
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def heat_report_section(
    heat: pd.DataFrame,
    figures: Sequence[Path] = (),
    hydrogen: pd.DataFrame | None = None,
) -> list[str]:
    """The report's district-heat section, Markdown lines (the report renders them to HTML).

    Parameters
    ----------
    heat
        :func:`site_heat_kpis` (index ``(weather_year, site)``) or :func:`heat_kpis`.
    figures
        Heat figure files (``figures/<name>``); PNGs are shown.
    hydrogen
        :func:`hydrogen_lcoh_with_waste_heat`, or ``None``.

    Returns
    -------
    list of str
        Lines starting with ``## District heat``; empty without rows.
    """
    from nzv_energy.report.formatting import format_share, markdown_table

    if heat is None or len(heat) == 0:
        return []
    frame = heat if isinstance(heat.index, pd.MultiIndex) else heat.assign(site="site").set_index(
        "site", append=True)
    columns = {}
    for (year, site), row in frame.iterrows():
        unserved = float(row["unserved_heat_mwh"])
        cells = {"share of heat demand met": _cell("heat_demand_met_share",
                                                   float(row["heat_demand_met_share"]), unserved)}
        cells.update({label: _cell(col, float(row[col]), unserved)
                      for col, label in REPORT_ROWS.items()})
        columns[f"{site} {year}"] = cells
    view = pd.DataFrame(columns)
    view.index.name = "KPI (heat rules)"
    met = [
        f"{site} {year}: "
        f"{format_share(float(r['heat_demand_met_share']), float(r['unserved_heat_mwh']))}"
        for (year, site), r in frame.iterrows()
    ]
    lines = [
        "## District heat",
        "",
        "Heat supplied from the plant sites with the heat rules of docs/district_heat.md "
        "(waste heat first, then power-led CHP, heat pump and electric boiler on surplus "
        "power, the store, grid power when cheaper than gas heat, heat-led CHP, peak boiler). "
        "Share of heat demand met: " + "; ".join(met) + ".",
        "",
        "The levelised cost of heat is the annualised cost of the heat assets (capital via the "
        "annuity, fixed O&M) and their operation (variable O&M, fuel, electricity at the hour's "
        "day-ahead price, CO2), less the CHP's electricity at the hour's price, per MWh_th "
        "served; the shares of the sources add up to the heat served, the store's losses as a "
        "negative item (docs/district_heat.md, \"Heat KPIs and the cost of heat\").",
        "",
        markdown_table(view),
        "",
    ]
    if hydrogen is not None and len(hydrogen):
        h = hydrogen.copy()
        h.index = [str(i) for i in h.index]
        lines += [
            "Hydrogen-chain LCOH without and with the revenue of the electrolysers' waste heat "
            "(valued at the heat cost it displaces), EUR/kg:",
            "",
            markdown_table(h[list(_LCOH_ROWS)].rename(columns=_LCOH_ROWS).T, "{:,.3f}"),
            "",
        ]
    for fig in figures:
        if Path(fig).suffix == ".png":
            title = Path(fig).stem.replace("_", " ")
            lines += [f"### {title}", "", f"![{title}](figures/{Path(fig).name})", ""]
    return lines


#: Rows of the report's LCOH table: column of the hydrogen table -> label.
_LCOH_ROWS = {
    "lcoh_chain_eur_per_kg": "hydrogen-chain LCOH (lcoh_chain_eur_per_kg)",
    "waste_heat_value_eur_per_kg": "value of the waste heat per kg (waste_heat_value_eur_per_kg)",
    "lcoh_chain_net_of_waste_heat_eur_per_kg":
        "LCOH net of the waste heat (lcoh_chain_net_of_waste_heat_eur_per_kg)",
}


def heat_run_outputs(
    dispatch: xr.Dataset,
    scenario: Scenario,
    kpis: pd.DataFrame,
    out_dir: Path,
    grid_g_per_kwh: pd.Series | None = None,
    *,
    without_waste_heat: xr.Dataset | None = None,
) -> list[str]:
    """Heat KPIs, figures and report lines of a run whose ``dispatch`` holds heat.

    Writes ``heat_kpis.csv`` (index ``weather_year, site``) and the heat figures
    into ``out_dir / "figures"``; returns :func:`heat_report_section`. A hydrogen
    CHP's fuel is valued at the run's mean hydrogen-chain LCOH. ``without_waste_heat``
    (the same years run with no recoverable electrolyser heat) gives the waste-heat
    value and the hydrogen LCOH net of it; without it they are NaN.
    """
    from nzv_energy.heat.figures import draw_heat_figures

    heat_blocks: Mapping[str, SiteHeat] = getattr(scenario, "heat", None) or {}
    econ = scenario.economics
    gas = scenario.technology.gas_backup
    lcoh = float(np.nanmean(kpis["lcoh_chain_eur_per_kg"])) if len(kpis) else 0.0
    h2_value = lcoh * 1000.0 / HYDROGEN_LHV_KWH_PER_KG if np.isfinite(lcoh) else 0.0
    economics = {
        site: site_heat_economics(
            block, cost_year=econ.cost_year, discount_rate=econ.discount_rate,
            gas_price_eur_per_mwh=econ.gas_price_eur_per_mwh,
            co2_price_eur_per_t=econ.co2_price_eur_per_t,
            natural_gas_co2_t_per_mwh=gas.natural_gas_co2_t_per_mwh,
            hydrogen_value_eur_per_mwh=h2_value,
        )
        for site, block in heat_blocks.items()
    }
    if not economics:
        return []
    table = site_heat_kpis(dispatch, economics, grid_g_per_kwh=grid_g_per_kwh,
                           without_waste_heat=without_waste_heat)
    table.to_csv(out_dir / "heat_kpis.csv", float_format="%.10g")
    stores = {site: float(e.assets.loc["thermal_storage", "capacity"])
              for site, e in economics.items() if "thermal_storage" in e.assets.index}
    written = draw_heat_figures(dispatch, out_dir / "figures", capacities_mwh=stores)
    hydrogen = hydrogen_lcoh_with_waste_heat(kpis, table) if "lcoh_chain_eur_per_kg" in kpis \
        else None
    return heat_report_section(table, written, hydrogen)
