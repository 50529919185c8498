"""Firm capacity (LP bound) of fixed portfolios: hand cases with closed forms.

Each expected value is derived from the physics of the case, not from the
code: with no storage and no hydrogen, the firm power is the least hourly
available power (gas backup plus renewables, capped by the grid connection);
a battery moves energy from the day to the night with its efficiencies; the
hydrogen supply takes its electricity first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nzv_energy.cli import main
from nzv_energy.errors import ScenarioError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.security.firm import (
    capacity_credit_curve,
    firm_capacity_bound,
    firm_table,
    p90_firm,
    p90_short,
    shortfall,
    summary_lines,
)
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs, with_profiles
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 168
CONN = 500.0
GAS = 120.0

#: No hydrogen, no storage: only gas backup, wind and PV deliver to the grid.
NO_H2 = {
    "sites": {"boxberg": {"battery_mw": 0, "battery_mwh": 0, "electrolysis_mw": 0,
                          "gas_backup_mw": GAS, "local_demand_mw": 0,
                          "grid_connection_mw": CONN}},
    "hydrogen": {"demand": {"mean_mw": 0}, "storage_mwh": {"boxberg": 0}},
}


@pytest.fixture(scope="module")
def base():
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    # March: wind and sun vary over the week
    return scenario, sliced_inputs(build_inputs(scenario), HOURS, start=24 * 60)


def _inputs(base, overrides, **profiles):
    scenario, inputs = base
    sc = scenario_with(scenario, overrides)
    out = for_scenario(inputs, sc)
    return with_profiles(out, **profiles) if profiles else out


def _available(inputs):
    s = inputs.scenario.sites["boxberg"]
    return s.wind_mw * inputs.wind_cf[0] + s.pv_mw * inputs.pv_cf[0]


def test_gas_and_pv_firm_capacity_is_the_gas_unit(base):
    # PV alone is zero at night: the gas unit is the firm capacity, exactly
    inputs = _inputs(base, {**NO_H2, "sites": {"boxberg": {**NO_H2["sites"]["boxberg"],
                                                            "wind_mw": 0}}})
    assert np.min(inputs.pv_cf[0]) == 0.0
    bound = firm_capacity_bound(inputs)
    assert bound.firm_mw[0] == pytest.approx(GAS, abs=lp_tol(GAS))
    assert bound.unserved_hydrogen_mwh[0] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("conn", [CONN, 150.0])
def test_firm_capacity_is_least_available_power_on_real_profiles(base, conn):
    # no storage, no hydrogen: F = min over hours of min(connection, gas + wind + PV)
    over = {**NO_H2, "sites": {"boxberg": {**NO_H2["sites"]["boxberg"],
                                           "grid_connection_mw": conn}}}
    inputs = _inputs(base, over)
    expected = float(np.min(np.minimum(conn, GAS + _available(inputs))))
    assert expected > GAS  # wind blows all week: the renewables add to the gas unit
    bound = firm_capacity_bound(inputs)
    assert bound.firm_mw[0] == pytest.approx(expected, abs=lp_tol(conn, 3))


def test_shortfall_of_a_commitment_is_the_hourly_deficit(base):
    # no storage: the energy short is the sum of the hourly deficits, hours short their count
    inputs = _inputs(base, NO_H2)
    avail = np.minimum(CONN, GAS + _available(inputs))
    firm = float(np.min(avail))
    commitments = [firm + 10.0, firm + 100.0]
    results = shortfall(inputs, commitments)
    for c_mw, (energy, hours) in zip(commitments, results, strict=True):
        deficit = np.maximum(c_mw - avail, 0.0)
        assert energy[0] == pytest.approx(deficit.sum(), abs=lp_tol(c_mw, HOURS))
        assert hours[0] == np.count_nonzero(deficit > 1e-3)
    # a commitment at the firm capacity is met in every hour
    (energy, hours), = shortfall(inputs, [firm])
    assert energy[0] == pytest.approx(0.0, abs=lp_tol(firm, HOURS))
    assert hours[0] == 0


def _day_night(hours: int) -> np.ndarray:
    """PV capacity factor 1 for 12 h, 0 for 12 h (a constructed sun)."""
    return (np.arange(hours) % 24 < 12).astype(np.float64)[None, :]


@pytest.mark.parametrize(("power_mw", "energy_mwh"), [(100.0, 240.0), (10.0, 2400.0)])
def test_battery_adds_what_it_can_move_into_the_night(base, power_mw, energy_mwh):
    # 12 h of sun, 12 h of night: the battery delivers d over the night with
    # d <= its power rating, 12 d / eta <= its energy, 12 d / eta^2 <= 12 h of charging
    over = {**NO_H2, "sites": {"boxberg": {**NO_H2["sites"]["boxberg"], "wind_mw": 0,
                                           "pv_mw": 1000, "grid_connection_mw": 2000,
                                           "battery_mw": power_mw,
                                           "battery_mwh": energy_mwh}}}
    inputs = _inputs(base, over, pv_cf=_day_night(HOURS))
    battery = inputs.scenario.technology.battery
    eta = battery.charge_efficiency
    usable = energy_mwh * (1.0 - battery.min_soc_fraction)
    added = min(power_mw, eta * usable / 12.0, eta**2 * power_mw)
    bound = firm_capacity_bound(inputs)
    assert bound.firm_mw[0] == pytest.approx(GAS + added, abs=lp_tol(2000, 3))


def test_hydrogen_keeps_its_priority(base):
    # a flat hydrogen demand D takes D / eta_el of the wind every hour before any export
    demand = 40.0
    over = {"sites": {"boxberg": {"battery_mw": 0, "battery_mwh": 0, "electrolysis_mw": 100,
                                  "gas_backup_mw": GAS, "local_demand_mw": 0, "pv_mw": 0,
                                  "wind_mw": 1000, "grid_connection_mw": 1500}},
            "hydrogen": {"demand": {"mean_mw": demand}, "storage_mwh": {"boxberg": 0}}}
    inputs = _inputs(base, over)
    eta = inputs.scenario.technology.electrolysis.efficiency
    wind = _available(inputs)
    # the constructed case must serve the demand every hour from wind alone
    assert np.min(wind) > demand / eta
    expected = float(np.min(np.minimum(1500, GAS + wind - demand / eta)))
    bound = firm_capacity_bound(inputs)
    assert bound.unserved_hydrogen_mwh[0] == pytest.approx(0.0, abs=1e-3)
    assert bound.firm_mw[0] == pytest.approx(expected, abs=lp_tol(1500, 3))


def test_hydrogen_short_hours_stay_short_only_as_much_as_unavoidable(base):
    # wind below the electrolyser's need in some hours: that hydrogen cannot be made
    # (no storage, gas never feeds the electrolyser), and no more is left undelivered
    demand = 40.0
    over = {"sites": {"boxberg": {"battery_mw": 0, "battery_mwh": 0, "electrolysis_mw": 100,
                                  "gas_backup_mw": GAS, "local_demand_mw": 0, "pv_mw": 0,
                                  "wind_mw": 300, "grid_connection_mw": CONN}},
            "hydrogen": {"demand": {"mean_mw": demand}, "storage_mwh": {"boxberg": 0}}}
    wind_cf = np.where(np.arange(HOURS) % 24 < 6, 0.1, 0.8)[None, :]
    inputs = _inputs(base, over, wind_cf=wind_cf)
    eta = inputs.scenario.technology.electrolysis.efficiency
    wind = 300 * wind_cf[0]
    made = np.minimum(wind * eta, demand)  # hydrogen the wind can make each hour
    unserved = float(np.sum(demand - made))
    assert unserved > 0
    bound = firm_capacity_bound(inputs)
    assert bound.unserved_hydrogen_mwh[0] == pytest.approx(unserved, abs=1e-2)
    # in the short hours all wind goes to hydrogen: only the gas unit is firm
    assert bound.firm_mw[0] == pytest.approx(GAS, abs=lp_tol(CONN, 3))


def test_tables_and_lines(base):
    inputs = _inputs(base, NO_H2)
    avail = np.minimum(CONN, GAS + _available(inputs))
    firm = float(np.min(avail))
    bound = firm_capacity_bound(inputs, commitment_mw=firm + 50.0)
    table = firm_table(bound)
    assert list(table.index) == list(inputs.years)
    deficit = np.maximum(firm + 50.0 - avail, 0.0)
    assert table["energy_short_lp_bound_mwh"].iloc[0] == pytest.approx(
        deficit.sum(), abs=lp_tol(firm, HOURS))
    installed = 300 + 200 + GAS  # wind + PV + gas backup, no battery
    assert table["capacity_credit_lp_bound"].iloc[0] == pytest.approx(firm / installed, rel=1e-6)
    lines = summary_lines(bound, hours_short_max=0)
    assert "NOT met" in lines[-1]
    assert "met" in summary_lines(bound, hours_short_max=HOURS)[-1]
    curve = capacity_credit_curve(inputs, bound, factors=(1.5,))
    levels = curve.index.get_level_values("commitment_mw")
    assert levels[0] == pytest.approx(firm, abs=lp_tol(firm, 3))
    assert curve["hours_short_h"].iloc[1] == np.count_nonzero(1.5 * firm - avail > 1e-3)


def test_p90_over_years():
    # 10 years of values 1..10: P90 short = 9.1 (linear), firm P90 = 1.9
    values = np.arange(1.0, 11.0)
    assert p90_short(values) == pytest.approx(9.1)
    assert p90_firm(values) == pytest.approx(1.9)


@pytest.mark.parametrize(("security", "field"), [
    ({"firm_mw": -5}, "security.firm_mw"),
    ({"hours_short_max": 1.5}, "security.hours_short_max"),
    ({"firm": 10}, "security.firm"),
])
def test_bad_security_fields_name_the_field(write_scenario, security, field):
    path = write_scenario({"security": security})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.exit_code == 2
    assert err.value.field == field
    assert str(path) in str(err.value)


def test_simulate_writes_firm_capacity_and_its_lines(write_scenario, tmp_path):
    # one site, no hydrogen, no storage: the LP bound is the least hourly available power,
    # and the commitment's hours short are the hours below it, over a whole year
    path = write_scenario({**NO_H2, "name": "firm_case", "security": {"firm_mw": 300}})
    out = tmp_path / "out"
    assert main(["simulate", str(path), "--out", str(out)]) == 0
    sc = load_scenario(path)
    inputs = build_inputs(sc)
    avail = np.minimum(CONN, GAS + _available(inputs))
    table = pd.read_csv(out / "firm_capacity.csv", index_col="weather_year")
    assert table.loc[2019, "firm_capacity_lp_bound_mw"] == pytest.approx(
        avail.min(), abs=lp_tol(CONN, 3))
    assert table.loc[2019, "hours_short_lp_bound_h"] == np.count_nonzero(300 - avail > 1e-3)
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "firm capacity (LP bound" in text and "commitment 300 MW" in text
    curve = pd.read_csv(out / "firm_capacity_curve.csv")
    assert len(curve) == 1 + 4  # the firm capacity and the four curve levels
