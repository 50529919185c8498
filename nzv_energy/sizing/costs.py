"""Annualised capital costs and marginal costs of every sized technology.

One place turns the scenario's technology parameters (overnight capex, fixed
O&M, lifetime, discount rate, fuel and CO2 prices) into the per-unit annual
and per-MWh costs the linear model uses and the cost breakdown reports, so
the optimiser and the reported costs cannot drift apart.

Conventions (PyPSA-Eur): ``capital_cost = (annuity_factor(r, n) + fom) × capex``
per MW (or MWh) and year; marginal costs per MWh of the component's
reference flow (electric output for generators, electric input for the
electrolyser, input fuel for a hydrogen-fired backup link).
"""

from __future__ import annotations

from dataclasses import dataclass

from nzv_energy.economics import GasBackupCost, annuity_factor, natural_gas_backup_cost
from nzv_energy.scenario import Scenario


@dataclass(frozen=True)
class TechnologyCosts:
    """Annualised and marginal costs of one scenario, EUR.

    Attributes
    ----------
    wind_eur_per_mw_year, pv_eur_per_mw_year
        Annualised investment plus fixed O&M per MW of capacity.
    battery_power_eur_per_mw_year, battery_energy_eur_per_mwh_year
        Battery inverter (per MW, AC) and storage (per MWh).
    electrolysis_eur_per_mw_year
        Per MW of electric input.
    hydrogen_storage_eur_per_mwh_year
        Per MWh_H2 (LHV).
    pipeline_eur_per_mw_km_year
        Per MW_H2 and km of route.
    gas_backup_eur_per_mw_year
        Per MW of electric output.
    wind_vom_eur_per_mwh, pv_vom_eur_per_mwh
        Variable O&M per MWh generated.
    electrolysis_vom_eur_per_mwh_el
        Variable O&M per MWh of electricity used (the table gives it per MWh_H2).
    gas_backup_eur_per_mwh_el
        Natural gas: fuel / efficiency + CO2 price × intensity / efficiency + VOM;
        hydrogen-fired: VOM only (the fuel is the site's own hydrogen).
    gas_fuel_eur_per_mwh_el, gas_co2_eur_per_mwh_el, gas_vom_eur_per_mwh_el
        The three parts of ``gas_backup_eur_per_mwh_el``.
    gas_co2_t_per_mwh_el
        CO2 emitted per MWh of electric output (zero when hydrogen-fired).
    """

    wind_eur_per_mw_year: float
    pv_eur_per_mw_year: float
    battery_power_eur_per_mw_year: float
    battery_energy_eur_per_mwh_year: float
    electrolysis_eur_per_mw_year: float
    hydrogen_storage_eur_per_mwh_year: float
    pipeline_eur_per_mw_km_year: float
    gas_backup_eur_per_mw_year: float
    wind_vom_eur_per_mwh: float
    pv_vom_eur_per_mwh: float
    electrolysis_vom_eur_per_mwh_el: float
    gas_fuel_eur_per_mwh_el: float
    gas_co2_eur_per_mwh_el: float
    gas_vom_eur_per_mwh_el: float
    gas_co2_t_per_mwh_el: float

    @property
    def gas_backup_eur_per_mwh_el(self) -> float:
        """Marginal cost of the gas backup per MWh of electric output."""
        return GasBackupCost(
            self.gas_fuel_eur_per_mwh_el, self.gas_co2_eur_per_mwh_el,
            self.gas_vom_eur_per_mwh_el, self.gas_co2_t_per_mwh_el,
        ).total_eur_per_mwh_el


def annual_cost_per_unit(
    capex: float, fom_fraction_per_year: float, lifetime_years: float, discount_rate: float
) -> float:
    """Annualised investment plus fixed O&M per unit of capacity, per year.

    Parameters
    ----------
    capex
        Overnight investment per unit (EUR/MW, EUR/MWh...).
    fom_fraction_per_year
        Fixed O&M as a fraction of capex per year.
    lifetime_years
        Economic lifetime.
    discount_rate
        Real discount rate.
    """
    return capex * (annuity_factor(discount_rate, lifetime_years) + fom_fraction_per_year)


def technology_costs(scenario: Scenario) -> TechnologyCosts:
    """Annualised and marginal costs of a scenario's technologies."""
    tech = scenario.technology
    r = scenario.economics.discount_rate
    gas = tech.gas_backup
    if scenario.operation.gas_backup_fuel == "natural_gas":
        gas_cost = natural_gas_backup_cost(
            scenario.economics.gas_price_eur_per_mwh, scenario.economics.co2_price_eur_per_t,
            gas.natural_gas_co2_t_per_mwh, gas.efficiency, gas.vom_eur_per_mwh,
        )
    else:  # the fuel is the site's own hydrogen: VOM only
        gas_cost = GasBackupCost(0.0, 0.0, gas.vom_eur_per_mwh, 0.0)
    return TechnologyCosts(
        wind_eur_per_mw_year=annual_cost_per_unit(
            tech.wind.capex_eur_per_mw, tech.wind.fom_fraction_per_year,
            tech.wind.lifetime_years, r,
        ),
        pv_eur_per_mw_year=annual_cost_per_unit(
            tech.pv.capex_eur_per_mw, tech.pv.fom_fraction_per_year, tech.pv.lifetime_years, r
        ),
        battery_power_eur_per_mw_year=annual_cost_per_unit(
            tech.battery.power_capex_eur_per_mw, tech.battery.fom_fraction_per_year,
            tech.battery.lifetime_years, r,
        ),
        battery_energy_eur_per_mwh_year=annual_cost_per_unit(
            tech.battery.energy_capex_eur_per_mwh, tech.battery.fom_fraction_per_year,
            tech.battery.lifetime_years, r,
        ),
        electrolysis_eur_per_mw_year=annual_cost_per_unit(
            tech.electrolysis.capex_eur_per_mw, tech.electrolysis.fom_fraction_per_year,
            tech.electrolysis.lifetime_years, r,
        ),
        hydrogen_storage_eur_per_mwh_year=annual_cost_per_unit(
            tech.hydrogen_storage.capex_eur_per_mwh,
            tech.hydrogen_storage.fom_fraction_per_year,
            tech.hydrogen_storage.lifetime_years, r,
        ),
        pipeline_eur_per_mw_km_year=annual_cost_per_unit(
            tech.pipeline.capex_eur_per_mw_km, tech.pipeline.fom_fraction_per_year,
            tech.pipeline.lifetime_years, r,
        ),
        gas_backup_eur_per_mw_year=annual_cost_per_unit(
            gas.capex_eur_per_mw, gas.fom_fraction_per_year, gas.lifetime_years, r
        ),
        wind_vom_eur_per_mwh=tech.wind.vom_eur_per_mwh,
        pv_vom_eur_per_mwh=tech.pv.vom_eur_per_mwh,
        electrolysis_vom_eur_per_mwh_el=(
            tech.electrolysis.vom_eur_per_mwh_h2 * tech.electrolysis.efficiency
        ),
        gas_fuel_eur_per_mwh_el=gas_cost.fuel_eur_per_mwh_el,
        gas_co2_eur_per_mwh_el=gas_cost.co2_eur_per_mwh_el,
        gas_vom_eur_per_mwh_el=gas_cost.vom_eur_per_mwh_el,
        gas_co2_t_per_mwh_el=gas_cost.co2_t_per_mwh_el,
    )
