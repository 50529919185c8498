"""One RFNBO rule (Delegated Regulation (EU) 2023/1184, Art. 6) for the dispatch and the LP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nzv_energy.dispatch.parameters import capacity_array, dispatch_parameter_vector
from nzv_energy.dispatch.simulate import dispatch_from_state
from nzv_energy.rfnbo import rfnbo_eligible_hours, rfnbo_price_thresholds
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing.model import cheap_hours
from nzv_energy.sizing.network import plan_network
from nzv_energy.sizing.testing import scenario_with, sliced_inputs
from nzv_energy.system import SiteCapacities, build_inputs
from tests.conftest import SCENARIOS

#: A grid purchase threshold above both limits of the rule at a CO2 price of 130 EUR/t
#: (20 and 0.36 x 130 = 46.8 EUR/MWh): the purchase threshold must not decide what counts.
PURCHASE_THRESHOLD = 60.0


def test_the_two_limits_by_hand() -> None:
    # CO2 at 130 EUR/t: 0.36 x 130 = 46.8 EUR/MWh (strictly below), 20 EUR/MWh (at or below)
    price = np.array([-5.0, 20.0, 20.01, 46.79, 46.8, 50.0])
    assert rfnbo_eligible_hours(price, 130.0).tolist() == [True, True, True, True, False, False]
    # no CO2 price: only the 20 EUR/MWh limit
    assert rfnbo_eligible_hours(price, 0.0).tolist() == [True, True, False, False, False, False]
    assert rfnbo_price_thresholds(130.0) == (20.0, pytest.approx(46.8))


@given(
    st.floats(-500, 5000, allow_nan=False),
    st.floats(-500, 5000, allow_nan=False),
    st.floats(0, 1000, allow_nan=False),
    st.floats(0, 1000, allow_nan=False),
)
def test_cheaper_hours_and_dearer_co2_never_lose_eligibility(p1, p2, co2_a, co2_b) -> None:
    lo, hi = sorted((p1, p2))
    c_lo, c_hi = sorted((co2_a, co2_b))
    if rfnbo_eligible_hours(hi, c_lo):
        assert rfnbo_eligible_hours(lo, c_lo)
        assert rfnbo_eligible_hours(hi, c_hi)


@pytest.fixture(scope="module")
def grid_only():
    """A one-site sizing scenario whose electrolyser may buy grid power above both limits."""
    base = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    scenario = scenario_with(base, {
        "operation": {"grid_import": True,
                      "import_price_threshold_eur_per_mwh": PURCHASE_THRESHOLD},
        "optimisation": {"rfnbo": "hourly"},
    })
    return scenario, sliced_inputs(build_inputs(scenario), 24 * 28)


def dispatch_rfnbo_hours(scenario, inputs) -> np.ndarray:
    """The hours in which the compiled dispatch counts grid-made hydrogen as RFNBO.

    An electrolyser with no wind, PV, battery or storage runs on grid power every hour
    in every hour priced at or below the purchase threshold; its hydrogen is RFNBO exactly
    in the hours the kernel's rule accepts.
    """
    price = np.asarray(inputs.price_eur_per_mwh, dtype=np.float64)
    site = next(iter(scenario.sites))
    caps = {site: SiteCapacities(
        wind_mw=0.0, pv_mw=0.0, battery_mw=0.0, battery_mwh=0.0, electrolysis_mw=10.0,
        gas_backup_mw=0.0, pipeline_mw=10.0, hydrogen_storage_mwh=0.0, grid_connection_mw=20.0,
        local_demand_mw=0.0,
    )}
    par = dispatch_parameter_vector(scenario)
    n_h = price.size
    month = inputs.time.month.to_numpy() - 1
    out = dispatch_from_state(
        np.zeros((n_h, 1)), np.zeros((n_h, 1)), price, np.full(n_h, 5.0), month,
        capacity_array(caps, [site]), par, np.zeros(1), np.zeros(1), np.ones(1), np.zeros(1),
    )
    bought = out["grid_import_mw"][0] > 0
    rfnbo = out["rfnbo_hydrogen_mw"][0] > 0
    assert not (rfnbo & ~bought).any()
    # hours priced above the purchase threshold buy nothing and tell nothing about the rule
    return rfnbo[bought], bought


def test_the_kernel_applies_the_one_rule(grid_only) -> None:
    scenario, inputs = grid_only
    rfnbo, bought = dispatch_rfnbo_hours(scenario, inputs)
    co2_price = scenario.economics.co2_price_eur_per_t
    expected = rfnbo_eligible_hours(inputs.price_eur_per_mwh, co2_price)
    assert bought.sum() > 100
    # the stretch has hours on both sides of the rule, and between it and the purchase limit
    price = np.asarray(inputs.price_eur_per_mwh)[bought]
    assert expected[bought].any() and not expected[bought].all()
    assert ((price >= 46.8) & (price <= PURCHASE_THRESHOLD)).any()
    np.testing.assert_array_equal(rfnbo, expected[bought])


def test_lp_and_dispatch_count_the_same_rfnbo_hours(grid_only) -> None:
    """The LP's RFNBO constraint and the rule-based dispatch accept the same hours."""
    scenario, inputs = grid_only
    rfnbo, bought = dispatch_rfnbo_hours(scenario, inputs)
    lp_hours = np.asarray(cheap_hours(plan_network(inputs)))
    np.testing.assert_array_equal(lp_hours[bought], rfnbo)
