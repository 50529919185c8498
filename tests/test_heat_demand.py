"""Hourly district-heat demand from air temperature (nzv_energy.heat.demand)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.errors import InputDataError, NzvInputError, ScenarioError
from nzv_energy.heat.demand import (
    HEATING_THRESHOLD_DEGC,
    METHODS,
    HeatDemandModel,
    heat_demand_mw,
    heating_degrees,
    reference_temperature_degc,
)
from nzv_energy.weather_try import read_try

TRY_FILE = Path(__file__).resolve().parent.parent / "inputs" / "TRY2010_04_Jahr.dat"


@pytest.fixture(scope="module")
def try_temperature() -> pd.Series:
    """Air temperature of the DWD test reference year, region 4 (UTC 2010)."""
    return read_try(TRY_FILE)["temp_air_degc"]


def _year(year: int, value: float) -> pd.Series:
    index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    return pd.Series(value, index=index, dtype=np.float64)


# ------------------------------------------------------------------ annual sum


@pytest.mark.parametrize("method", METHODS)
def test_every_year_sums_to_the_requested_mwh(try_temperature, method):
    # two real calendar years: the TRY laid on 2019 and on 2020 (leap year: one more day,
    # filled with 31 December again) -- each year must sum to the request on its own
    t2019 = pd.Series(try_temperature.to_numpy(), index=_year(2019, 0.0).index)
    leap = np.concatenate([try_temperature.to_numpy(), try_temperature.to_numpy()[-24:]])
    t2020 = pd.Series(leap, index=_year(2020, 0.0).index)
    demand = heat_demand_mw(pd.concat([t2019, t2020]), 123_456.0, HeatDemandModel(method=method))
    sums = demand.groupby(demand.index.year).sum()
    assert sums.loc[2019] == pytest.approx(123_456.0, rel=1e-12)
    assert sums.loc[2020] == pytest.approx(123_456.0, rel=1e-12)
    assert demand.attrs["units"] == "MW"


@settings(max_examples=25, deadline=None)
@given(
    offset=st.floats(-8.0, 4.0),
    annual=st.floats(1.0, 1e7),
    base=st.floats(0.0, 0.9),
    method=st.sampled_from(METHODS),
)
def test_annual_sum_for_warmer_and_colder_climates(try_temperature, offset, annual, base, method):
    demand = heat_demand_mw(
        try_temperature + offset, annual, HeatDemandModel(base_share=base, method=method)
    )
    assert demand.sum() == pytest.approx(annual, rel=1e-10)
    assert (demand >= 0.0).all()


# ------------------------------------------------------------------ monotone in temperature


@settings(max_examples=30, deadline=None)
@given(hour=st.integers(0, 8759), warmer=st.floats(0.1, 15.0))
def test_warmer_hour_never_needs_more_heat_degree_hours(try_temperature, hour, warmer):
    model = HeatDemandModel(method="degree_hours")
    before = heat_demand_mw(try_temperature, 1e5, model)
    changed = try_temperature.copy()
    changed.iloc[hour] += warmer
    after = heat_demand_mw(changed, 1e5, model)
    assert after.iloc[hour] <= before.iloc[hour] + 1e-12


@settings(max_examples=20, deadline=None)
@given(day=st.integers(0, 364), warmer=st.floats(0.1, 10.0))
def test_warmer_day_never_needs_more_heat_reference_day(try_temperature, day, warmer):
    model = HeatDemandModel(method="reference_day")
    before = heat_demand_mw(try_temperature, 1e5, model)
    changed = try_temperature.copy()
    changed.iloc[day * 24 : day * 24 + 24] += warmer
    after = heat_demand_mw(changed, 1e5, model)
    assert (
        after.iloc[day * 24 : day * 24 + 24] <= before.iloc[day * 24 : day * 24 + 24] + 1e-12
    ).all()


def test_colder_hours_of_a_year_carry_at_least_as_much_heat(try_temperature):
    # within one year and one scaling, demand is a non-increasing function of temperature
    demand = heat_demand_mw(try_temperature, 1e5, HeatDemandModel(method="degree_hours"))
    order = np.argsort(try_temperature.to_numpy(), kind="stable")
    assert (np.diff(demand.to_numpy()[order]) <= 1e-12).all()
    assert demand.idxmax() == try_temperature.idxmin()


# ------------------------------------------------------------------ base load


@pytest.mark.parametrize("method", METHODS)
def test_summer_base_load_is_the_hot_water_share(try_temperature, method):
    model = HeatDemandModel(base_share=0.2, method=method)
    demand = heat_demand_mw(try_temperature, 87_600.0, model)
    warm = heating_degrees(try_temperature, model) == 0.0
    assert warm.sum() > 1000  # the TRY has a summer
    # 20 % of 87,600 MWh spread evenly over 8,760 hours = 2 MW
    assert np.allclose(demand[warm], 2.0, rtol=0, atol=1e-12)
    assert (demand[~warm] > 2.0).all()


def test_no_base_share_means_no_heat_in_warm_hours(try_temperature):
    demand = heat_demand_mw(try_temperature, 1e5, HeatDemandModel(base_share=0.0))
    july = demand[demand.index.month == 7]
    assert july.max() == 0.0


# ------------------------------------------------------------------ hand-computed examples


def test_hand_computed_degree_hours():
    # a year at 20 °C except three hours at 10, 4 and -2 °C; threshold 14 °C:
    # degrees 4, 10, 16 (sum 30). 8,760 MWh/a, base share 0.2: base 0.2 MW in every hour,
    # space heat 0.8 * 8,760 = 7,008 MWh split 4:10:16.
    temperature = _year(2018, 20.0)
    temperature.iloc[[100, 200, 300]] = [10.0, 4.0, -2.0]
    demand = heat_demand_mw(
        temperature,
        8760.0,
        HeatDemandModel(threshold_degc=14.0, base_share=0.2, method="degree_hours"),
    )
    assert demand.iloc[100] == pytest.approx(0.2 + 7008.0 * 4 / 30)
    assert demand.iloc[200] == pytest.approx(0.2 + 7008.0 * 10 / 30)
    assert demand.iloc[300] == pytest.approx(0.2 + 7008.0 * 16 / 30)
    assert demand.iloc[0] == pytest.approx(0.2)


def test_try_profile_matches_a_plain_recomputation(try_temperature):
    # degree hours recomputed with a plain loop over the TRY hours
    values = [float(v) for v in try_temperature.to_numpy()]
    degrees = [max(0.0, HEATING_THRESHOLD_DEGC - v) for v in values]
    total = math.fsum(degrees)
    annual, base = 50_000.0, 0.25
    expected = [base * annual / 8760 + (1 - base) * annual * d / total for d in degrees]
    demand = heat_demand_mw(
        try_temperature, annual, HeatDemandModel(base_share=base, method="degree_hours")
    )
    assert np.allclose(demand.to_numpy(), expected, rtol=1e-12, atol=1e-12)
    # the coldest TRY hour (-13.4 °C) carries 27.4 K of the year's heating degrees
    assert max(degrees) == pytest.approx(14.0 + 13.4)


def test_reference_temperature_of_a_try_day_by_hand(try_temperature):
    # the reference of day d is (T_d + T_{d-1}/2 + T_{d-2}/4 + T_{d-3}/8) / 1.875 of daily means
    values = try_temperature.to_numpy()
    means = [sum(values[24 * d : 24 * d + 24]) / 24 for d in range(365)]
    day = 40
    hand = (means[day] + means[day - 1] / 2 + means[day - 2] / 4 + means[day - 3] / 8) / 1.875
    reference = reference_temperature_degc(try_temperature)
    assert np.allclose(reference.iloc[24 * day : 24 * day + 24], hand, rtol=0, atol=1e-12)
    # day 0 has no earlier days: they take day 0's own mean, so the reference is that mean
    assert reference.iloc[0] == pytest.approx(means[0])


def test_reference_day_is_smoother_than_degree_hours(try_temperature):
    # building inertia lowers the peak: the reference-day peak is below the degree-hour peak
    smooth = heat_demand_mw(try_temperature, 1e5, HeatDemandModel(method="reference_day"))
    raw = heat_demand_mw(try_temperature, 1e5, HeatDemandModel(method="degree_hours"))
    assert smooth.max() < raw.max()
    # flat within each day
    assert (smooth.groupby(smooth.index.normalize()).nunique() == 1).all()


# ------------------------------------------------------------------ bad input


def test_bad_input_names_the_field(try_temperature):
    gap = try_temperature.drop(try_temperature.index[5])
    with pytest.raises(InputDataError, match="whole calendar years"):
        heat_demand_mw(gap, 1e5)
    hot = try_temperature.copy()
    hot.iloc[3] = float("nan")
    with pytest.raises(InputDataError, match="2010-01-01 03:00"):
        heat_demand_mw(hot, 1e5)
    with pytest.raises(ScenarioError, match=r"heat\.annual_mwh"):
        heat_demand_mw(try_temperature, -1.0)
    with pytest.raises(ScenarioError, match=r"heat\.base_share"):
        HeatDemandModel(base_share=1.0)
    with pytest.raises(ScenarioError, match=r"heat\.method"):
        HeatDemandModel(method="bdew")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="no hour below the heating threshold"):
        heat_demand_mw(_year(2018, 20.0), 1e5)
    with pytest.raises(NzvInputError):
        heat_demand_mw(try_temperature.to_numpy(), 1e5)
