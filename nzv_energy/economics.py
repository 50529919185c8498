"""The cost formulas every engine shares: annuity, gas backup, CO2, cost per kg, chain LCOH.

The rule-based dispatch (its KPIs, vectorised over ensemble members), the
sizing LP (its cost coefficients and solution KPIs), the VPP and the report
call these functions, so a formula is written once.  Every function works on
plain floats and on NumPy arrays (element-wise).  Definitions of the three
cost-per-kg figures: ``docs/optimisation.md``, "Three LCOH figures".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "CHAIN_LCOH_KEYS",
    "HYDROGEN_LHV_KWH_PER_KG",
    "GasBackupCost",
    "annuity_factor",
    "annuity_factors",
    "chain_lcoh_eur_per_kg",
    "co2_cost_eur",
    "cost_per_kg_eur",
    "hydrogen_kg",
    "natural_gas_backup_cost",
    "safe_divide",
    "stack_replacement_cost_eur",
]


#: Lower heating value of hydrogen, kWh per kg (= MWh per t).
HYDROGEN_LHV_KWH_PER_KG = 33.33

#: Discount rates below which :func:`annuity_factors` uses the cancellation-free form.
SMALL_RATE = 1e-4


def annuity_factors(discount_rate: ArrayLike, lifetime_years: ArrayLike) -> np.ndarray:
    """Capital recovery factor, element-wise: annual payment per unit of overnight investment.

    ``r / (1 - (1 + r)**-n)``; ``1 / n`` where ``r`` is zero; for rates below
    :data:`SMALL_RATE` the denominator is computed as ``-expm1(-n log1p(r))``.

    Parameters
    ----------
    discount_rate
        Real discount rate ``r`` (fraction per year).
    lifetime_years
        Economic lifetime ``n``, years.

    Returns
    -------
    numpy.ndarray
        The factors, 1/year, broadcast over the inputs.
    """
    r = np.asarray(discount_rate, dtype=np.float64)
    n = np.asarray(lifetime_years, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = r / (1.0 - (1.0 + r) ** -n)
        # below SMALL_RATE ``1 - (1 + r)**-n`` cancels (to 0 for r near 1e-16): the same
        # quantity without the cancellation
        stable = r / -np.expm1(-n * np.log1p(r))
    return np.where(r == 0, 1.0 / n, np.where(np.abs(r) < SMALL_RATE, stable, plain))


def annuity_factor(discount_rate: float, lifetime_years: float) -> float:
    """:func:`annuity_factors` of one rate and one lifetime, as a float."""
    return float(annuity_factors(discount_rate, lifetime_years))


@dataclass(frozen=True)
class GasBackupCost:
    """Marginal cost of gas backup power per MWh of electric output, by part.

    Attributes
    ----------
    fuel_eur_per_mwh_el
        Fuel price / efficiency.
    co2_eur_per_mwh_el
        CO2 price x CO2 emitted per MWh_el.
    vom_eur_per_mwh_el
        Variable O&M.
    co2_t_per_mwh_el
        CO2 intensity of the fuel / efficiency.
    """

    fuel_eur_per_mwh_el: float
    co2_eur_per_mwh_el: float
    vom_eur_per_mwh_el: float
    co2_t_per_mwh_el: float

    @property
    def total_eur_per_mwh_el(self) -> float:
        """Fuel + CO2 + VOM, EUR/MWh_el: the merit-order cost of an hour on gas."""
        return self.fuel_eur_per_mwh_el + self.co2_eur_per_mwh_el + self.vom_eur_per_mwh_el


def natural_gas_backup_cost(
    gas_price_eur_per_mwh: float,
    co2_price_eur_per_t: float,
    co2_t_per_mwh_fuel: float,
    efficiency: float,
    vom_eur_per_mwh_el: float,
) -> GasBackupCost:
    """Marginal cost of natural-gas-fired backup power, EUR/MWh_el.

    Parameters
    ----------
    gas_price_eur_per_mwh
        Natural gas price per MWh of fuel.
    co2_price_eur_per_t
        CO2 allowance price.
    co2_t_per_mwh_fuel
        CO2 emitted per MWh of fuel burnt.
    efficiency
        Electric output / fuel input.
    vom_eur_per_mwh_el
        Variable O&M per MWh of electric output.
    """
    co2_t = co2_t_per_mwh_fuel / efficiency
    return GasBackupCost(
        fuel_eur_per_mwh_el=gas_price_eur_per_mwh / efficiency,
        co2_eur_per_mwh_el=float(co2_cost_eur(co2_t, co2_price_eur_per_t)),
        vom_eur_per_mwh_el=vom_eur_per_mwh_el,
        co2_t_per_mwh_el=co2_t,
    )


def co2_cost_eur(co2_t: ArrayLike, co2_price_eur_per_t: ArrayLike) -> np.ndarray:
    """Cost of CO2 emissions: tonnes x allowance price, EUR (element-wise)."""
    return np.multiply(co2_t, co2_price_eur_per_t)


def hydrogen_kg(hydrogen_mwh: ArrayLike) -> np.ndarray:
    """Hydrogen mass of an energy quantity, kg (LHV 33.33 kWh/kg)."""
    return np.asarray(hydrogen_mwh, dtype=np.float64) * 1000.0 / HYDROGEN_LHV_KWH_PER_KG


def cost_per_kg_eur(cost_eur: ArrayLike, hydrogen_mwh: ArrayLike) -> np.ndarray:
    """Cost per kg of hydrogen, EUR/kg: ``cost / hydrogen_kg(hydrogen_mwh)``; NaN without hydrogen.

    Applied to the system's total annual cost this is the *system net cost per kg*
    (``system_net_cost_per_kg_h2_eur_per_kg``), not the hydrogen-chain LCOH.
    """
    return safe_divide(cost_eur, hydrogen_kg(hydrogen_mwh))


def stack_replacement_cost_eur(
    capex_eur_per_mw: ArrayLike,
    replacement_cost_fraction: ArrayLike,
    rated_mw_operating_hours: ArrayLike,
    stack_lifetime_hours: ArrayLike,
) -> np.ndarray:
    """Stack replacements spread over operating hours, EUR.

    ``capex x replacement fraction x (rating x operating hours) / stack lifetime``.
    """
    return (np.multiply(capex_eur_per_mw, replacement_cost_fraction)
            * np.asarray(rated_mw_operating_hours, dtype=np.float64)
            / np.asarray(stack_lifetime_hours, dtype=np.float64))


#: Keys of :func:`chain_lcoh_eur_per_kg`, in the order they are reported.
CHAIN_LCOH_KEYS: tuple[str, ...] = (
    "lcoh_chain_eur_per_kg",
    "lcoh_chain_renewables_cost_eur_per_kg",
    "lcoh_chain_assets_eur_per_kg",
    "lcoh_chain_stack_replacement_eur_per_kg",
    "lcoh_chain_variable_om_eur_per_kg",
    "lcoh_chain_electricity_market_eur_per_kg",
    "lcoh_chain_electricity_renewables_eur_per_kg",
)


def chain_lcoh_eur_per_kg(
    assets_eur: ArrayLike,
    stack_replacement_eur: ArrayLike,
    variable_om_eur: ArrayLike,
    electricity_market_eur: ArrayLike,
    electricity_renewables_eur: ArrayLike,
    hydrogen_mwh: ArrayLike,
) -> dict[str, np.ndarray]:
    """The hydrogen-chain LCOH and its parts, EUR/kg (:data:`CHAIN_LCOH_KEYS`).

    Parameters
    ----------
    assets_eur
        Annualised capital and fixed O&M of electrolysers, hydrogen storage and pipelines.
    stack_replacement_eur
        Stack replacements (:func:`stack_replacement_cost_eur`).
    variable_om_eur
        Electrolyser variable O&M.
    electricity_market_eur
        Electrolyser input valued at the day-ahead price of each hour (NaN: unknown).
    electricity_renewables_eur
        Electrolyser input valued at the average cost of the system's wind and PV.
    hydrogen_mwh
        Hydrogen delivered.

    Returns
    -------
    dict
        ``lcoh_chain_eur_per_kg`` (market-valued electricity), the renewables-cost
        variant and the five parts, each per kg delivered.
    """
    assets, stack, vom, market, renewables = (
        np.asarray(x, dtype=np.float64)
        for x in (assets_eur, stack_replacement_eur, variable_om_eur, electricity_market_eur,
                  electricity_renewables_eur)
    )
    base = assets + stack + vom
    values = (base + market, base + renewables, assets, stack, vom, market, renewables)
    return {key: cost_per_kg_eur(v, hydrogen_mwh) for key, v in zip(CHAIN_LCOH_KEYS, values,
                                                                   strict=True)}


def safe_divide(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``a / b`` where ``b > 0``, NaN elsewhere (element-wise): shares and costs per unit."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out
