"""The shared cost formulas, against closed forms and hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nzv_energy.dispatch.parameters import gas_backup_marginal_cost
from nzv_energy.economics import (
    CHAIN_LCOH_KEYS,
    annuity_factor,
    annuity_factors,
    chain_lcoh_eur_per_kg,
    co2_cost_eur,
    cost_per_kg_eur,
    hydrogen_kg,
    natural_gas_backup_cost,
    stack_replacement_cost_eur,
)
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing.costs import technology_costs
from nzv_energy.vpp.model import Portfolio
from tests.conftest import SCENARIOS


def test_annuity_of_a_textbook_case_and_of_a_zero_rate() -> None:
    # 7 % over 20 years: 0.07 / (1 - 1.07**-20) = 0.0943929...
    assert annuity_factor(0.07, 20) == pytest.approx(0.0943929, abs=1e-7)
    assert annuity_factor(0.0, 25) == 1.0 / 25
    np.testing.assert_allclose(annuity_factors([0.0, 0.07], [25, 20]), [0.04, 0.0943929],
                               atol=1e-7)


@given(st.floats(0.0, 0.3), st.integers(1, 60))
def test_annuity_repays_the_investment(rate: float, years: int) -> None:
    # the discounted sum of the payments over the lifetime is the investment
    f = annuity_factor(rate, years)
    present_value = sum(f / (1.0 + rate) ** t for t in range(1, years + 1))
    assert present_value == pytest.approx(1.0, rel=1e-9)


def test_natural_gas_backup_cost_by_hand() -> None:
    # 40 EUR/MWh gas, 100 EUR/t CO2, 0.2 t/MWh fuel, 50 % efficiency, 3 EUR/MWh VOM:
    # fuel 80, CO2 0.4 t/MWh_el x 100 = 40, total 123 EUR/MWh_el
    cost = natural_gas_backup_cost(40.0, 100.0, 0.2, 0.5, 3.0)
    assert cost.fuel_eur_per_mwh_el == 80.0
    assert cost.co2_t_per_mwh_el == 0.4
    assert cost.co2_eur_per_mwh_el == pytest.approx(40.0)
    assert cost.total_eur_per_mwh_el == pytest.approx(123.0)


@pytest.mark.parametrize("name", ["lausitz_2030_fixed", "lausitz_2040"])
def test_dispatch_lp_and_vpp_price_gas_backup_alike(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    dispatch = gas_backup_marginal_cost(scenario)
    lp = technology_costs(scenario).gas_backup_eur_per_mwh_el
    assert dispatch == lp
    if name.endswith("fixed"):
        assert Portfolio.from_scenario(scenario).gas_cost_eur_per_mwh_el == lp


def test_co2_cost_and_hydrogen_mass() -> None:
    assert co2_cost_eur(2.0, 100.0) == 200.0
    assert hydrogen_kg(33.33) == pytest.approx(1000.0)


def test_cost_per_kg_and_no_hydrogen() -> None:
    # 33.33 MWh is 1000 kg: 1000 EUR over it is 1 EUR/kg
    assert cost_per_kg_eur(1000.0, 33.33) == pytest.approx(1.0)
    assert math.isnan(float(cost_per_kg_eur(1000.0, 0.0)))


def test_stack_replacement_by_hand() -> None:
    # 1 MEUR/MW, 35 % per replacement, 10 MW x 8000 h, 80,000 h lifetime: 35 % of 1 MEUR
    assert stack_replacement_cost_eur(1e6, 0.35, 10 * 8000.0, 80_000.0) == pytest.approx(
        0.35e6)


def test_chain_lcoh_parts_add_up() -> None:
    # 33,330 MWh = 1,000,000 kg: every EUR is 1e-6 EUR/kg
    out = chain_lcoh_eur_per_kg(3e6, 0.5e6, 0.25e6, 2e6, 1e6, 33_330.0)
    assert tuple(out) == CHAIN_LCOH_KEYS
    assert out["lcoh_chain_eur_per_kg"] == pytest.approx(5.75)
    assert out["lcoh_chain_renewables_cost_eur_per_kg"] == pytest.approx(4.75)
    parts = ("assets", "stack_replacement", "variable_om", "electricity_market")
    assert sum(out[f"lcoh_chain_{p}_eur_per_kg"] for p in parts) == pytest.approx(5.75)
