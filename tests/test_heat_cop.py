"""Large heat-pump COP from source and sink temperature (nzv_energy.heat.cop)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.errors import ScenarioError
from nzv_energy.heat.cop import (
    ELECTROLYSER_WASTE_HEAT_DEGC,
    MIN_LIFT_K,
    carnot_cop,
    heat_pump_cop,
    lorenz_temperature_k,
)

sources = st.floats(-30.0, 85.0)
supplies = st.floats(50.0, 130.0)
fractions = st.floats(0.05, 1.0)


def test_hand_computed_values():
    # 0 °C air to a 90 °C supply: Carnot 363.15 / 90 = 4.035, half of it 2.0175
    assert float(carnot_cop(0.0, 90.0)) == pytest.approx(363.15 / 90.0)
    assert float(heat_pump_cop(0.0, 90.0, carnot_fraction=0.5)) == pytest.approx(2.0175)
    # Lorenz sink of a 50 -> 90 °C network: (363.15 - 323.15) / ln(363.15 / 323.15) K
    lorenz = 40.0 / math.log(363.15 / 323.15)
    assert float(lorenz_temperature_k(90.0, 50.0)) == pytest.approx(lorenz)
    assert float(heat_pump_cop(0.0, 90.0, 50.0, 0.5)) == pytest.approx(
        0.5 * lorenz / (lorenz - 273.15)
    )
    # electrolyser cooling water at 60 °C lifted to 90 °C: 0.5 * 363.15 / 30
    assert float(heat_pump_cop(ELECTROLYSER_WASTE_HEAT_DEGC, 90.0)) == pytest.approx(
        0.5 * 363.15 / 30.0
    )


@settings(max_examples=200, deadline=None)
@given(source=sources, supply=supplies, eta=fractions, with_return=st.booleans())
def test_cop_never_exceeds_carnot(source, supply, eta, with_return):
    return_degc = supply - 30.0
    if with_return:
        cop = float(heat_pump_cop(source, supply, return_degc, carnot_fraction=eta))
        sink_degc = float(lorenz_temperature_k(supply, return_degc)) - 273.15
    else:
        cop = float(heat_pump_cop(source, supply, carnot_fraction=eta))
        sink_degc = supply
    assert cop <= float(carnot_cop(source, sink_degc)) * (1.0 + 1e-12)
    assert cop > 0.0


@settings(max_examples=200, deadline=None)
@given(a=sources, b=sources, supply=supplies, eta=fractions)
def test_cop_grows_with_source_temperature(a, b, supply, eta):
    low, high = min(a, b), max(a, b)
    cop_low = float(heat_pump_cop(low, supply, carnot_fraction=eta))
    cop_high = float(heat_pump_cop(high, supply, carnot_fraction=eta))
    assert cop_low <= cop_high * (1.0 + 1e-12)
    if high - low > 1e-6 and supply - high > MIN_LIFT_K:
        assert cop_low < cop_high


def test_hourly_arrays_broadcast():
    air = np.array([-10.0, 0.0, 10.0, 20.0])
    cop = heat_pump_cop(air, 90.0, 55.0)
    assert cop.shape == (4,)
    assert (np.diff(cop) > 0).all()


def test_lift_floor_keeps_cop_finite():
    # source warmer than the sink: the lift is floored at 10 K
    assert float(heat_pump_cop(95.0, 90.0)) == pytest.approx(0.5 * 363.15 / MIN_LIFT_K)
    assert math.isinf(float(carnot_cop(95.0, 90.0)))


def test_bad_parameters_name_the_field():
    with pytest.raises(ScenarioError, match="carnot_fraction"):
        heat_pump_cop(0.0, 90.0, carnot_fraction=0.0)
    with pytest.raises(ScenarioError, match="return_temperature_c"):
        heat_pump_cop(0.0, 60.0, 70.0)
    with pytest.raises(ScenarioError, match="source_temperature_c"):
        heat_pump_cop(float("nan"), 90.0)
