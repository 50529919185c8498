"""Hand-checkable dispatch cases: every expected number is derived in the comment beside it."""

from __future__ import annotations

import numpy as np
import pytest

from nzv_energy.dispatch.parameters import DISPATCH_PARAMETER_NAMES
from nzv_energy.dispatch.simulate import simulate_arrays
from nzv_energy.kernels import dispatch as kd

# A simple, round parameter set (not the cost table) so that numbers can be checked by hand.
HAND = {
    "battery_charge_efficiency": 0.9,
    "battery_discharge_efficiency": 0.8,
    "battery_min_soc_fraction": 0.0,
    "electrolysis_efficiency": 0.7,
    "electrolysis_min_load_fraction": 0.1,
    "electrolysis_part_load_point_fraction": 0.2,
    "electrolysis_part_load_efficiency": 0.6,
    "electrolysis_standby_fraction": 0.01,
    "stack_lifetime_hours": 1e5,
    "degradation_fraction_per_1000h": 0.0,
    "initial_stack_hours": 0.0,
    "gas_backup_efficiency": 0.4,
    "gas_backup_hydrogen_fuel": 0.0,
    "gas_backup_marginal_cost_eur_per_mwh": 150.0,
    "grid_import": 0.0,
    "import_price_threshold_eur_per_mwh": 20.0,
    "import_carbon_threshold_g_per_kwh": np.inf,
    "low_carbon_grid_threshold_g_per_kwh": 100.0,
    "rfnbo_price_threshold_eur_per_mwh": 20.0,
    "rfnbo_co2_price_threshold_eur_per_mwh": 0.0,
    "rfnbo_monthly": 0.0,
    "initial_soc_fraction": 0.0,
    "initial_hydrogen_storage_fraction": 0.0,
    "cyclic": 0.0,
    "price_scale": 1.0,
    "demand_scale": 1.0,
    "battery_to_electrolysis": 0.0,
    "route_by_storage_room": 0.0,
    "firm_mw": 0.0,
}


def params(**overrides: float) -> np.ndarray:
    values = {**HAND, **overrides}
    return np.array([values[n] for n in DISPATCH_PARAMETER_NAMES])


def site(**caps: float) -> list[float]:
    row = np.zeros(kd.N_CAP)
    row[kd.C_PIPELINE_MW] = 1000.0
    row[kd.C_GRID_CONNECTION_MW] = 1000.0
    names = {
        "wind": kd.C_WIND_MW, "pv": kd.C_PV_MW, "bat_mw": kd.C_BATTERY_MW,
        "bat_mwh": kd.C_BATTERY_MWH, "ely": kd.C_ELECTROLYSIS_MW, "gas": kd.C_GAS_BACKUP_MW,
        "pipe": kd.C_PIPELINE_MW, "store": kd.C_HYDROGEN_STORAGE_MWH,
        "grid": kd.C_GRID_CONNECTION_MW, "load": kd.C_LOCAL_DEMAND_MW,
    }
    for key, value in caps.items():
        row[names[key]] = value
    return list(row)


def run(wind_cf, cap, par=None, demand=1000.0, price=50.0, pv_cf=None, time=None,
        grid_co2=None):
    wind = np.asarray(wind_cf, dtype=float)
    if wind.ndim == 1:
        wind = wind[:, None]
    n_h, n_s = wind.shape
    pv = np.zeros_like(wind) if pv_cf is None else np.asarray(pv_cf, float).reshape(n_h, n_s)
    return simulate_arrays(
        wind, pv, np.broadcast_to(np.asarray(price, float), (n_h,)).copy(),
        np.broadcast_to(np.asarray(demand, float), (n_h,)).copy(),
        np.array(cap, dtype=float).reshape(n_s, kd.N_CAP), params() if par is None else par,
        time=time, grid_co2_g_per_kwh=None if grid_co2 is None else np.asarray(grid_co2, float),
    )


def test_constant_capacity_factor_without_storage_gives_closed_form_hydrogen() -> None:
    # 200 MW wind at cf 0.5 = 100 MW, a 50 MW electrolyser at full load: 50 x 0.7 = 35 MW_H2
    # every hour; with 0.2 %/1000 h degradation the output of hour t (0-based) is
    # 35 x (1 - 0.002 x t / 1000); the sum over n hours is 35 x (n - 0.002 x n (n - 1) / 2000).
    n = 500
    par = params(degradation_fraction_per_1000h=0.002)
    ds, run_ = run(np.full(n, 0.5), site(wind=200, ely=50), par)
    t = np.arange(n)
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], 35 * (1 - 0.002 * t / 1000))
    assert run_.sums[0, kd.K_HYDROGEN_OUTPUT_MWH] == pytest.approx(
        35 * (n - 0.002 * n * (n - 1) / 2000), rel=1e-12
    )
    np.testing.assert_allclose(ds["grid_export_mw"][:, 0], 50.0)  # 100 - 50
    np.testing.assert_allclose(ds["pipeline_flow_mw"][:, 0], ds["hydrogen_output_mw"][:, 0])
    assert run_.sums[0, kd.K_STARTS] == 1


@pytest.mark.parametrize(
    ("power_mw", "hydrogen_mw"),
    [
        (100.0, 70.0),  # rated: 100 x 0.7
        (60.0, 41.0),  # 20 x 0.6 + 40 x (0.7 - 0.2 x 0.6) / 0.8 = 12 + 29
        (20.0, 12.0),  # the part-load point: 20 x 0.6
        (15.0, 9.0),  # below the point, above minimum load: 15 x 0.6
    ],
)
def test_part_load_curve(power_mw: float, hydrogen_mw: float) -> None:
    ds, _ = run([power_mw / 1000.0], site(wind=1000, ely=100))
    assert float(ds["electrolysis_input_mw"][0, 0]) == pytest.approx(power_mw)
    assert float(ds["hydrogen_output_mw"][0, 0]) == pytest.approx(hydrogen_mw, rel=1e-12)


def test_below_minimum_load_the_stack_is_off_and_draws_standby() -> None:
    # 5 MW of wind < 10 % of 100 MW: off; standby 1 % x 100 = 1 MW; 4 MW exported
    ds, run_ = run([0.005], site(wind=1000, ely=100))
    assert float(ds["electrolysis_on"][0, 0]) == 0
    assert float(ds["hydrogen_output_mw"][0, 0]) == 0
    assert float(ds["electrolysis_standby_mw"][0, 0]) == pytest.approx(1.0)
    assert float(ds["electrolysis_input_mw"][0, 0]) == pytest.approx(1.0)
    assert float(ds["grid_export_mw"][0, 0]) == pytest.approx(4.0)
    assert run_.sums[0, kd.K_STARTS] == 0


def test_without_battery_feed_the_battery_only_keeps_a_running_stack_at_minimum_load() -> None:
    # hour 0: 50 MW wind, electrolyser runs at 50 MW. hour 1: 4 MW wind < 10 MW minimum load:
    # the battery (40 MWh full, discharge efficiency 0.8) gives 6 MW and takes 6 / 0.8 = 7.5 MWh
    par = params(initial_soc_fraction=1.0)
    ds, _ = run([0.05, 0.004], site(wind=1000, ely=100, bat_mw=20, bat_mwh=40), par)
    assert float(ds["electrolysis_input_mw"][1, 0]) == pytest.approx(10.0)
    assert float(ds["battery_discharge_mw"][1, 0]) == pytest.approx(6.0)
    assert float(ds["battery_soc_mwh"][1, 0]) == pytest.approx(40.0 - 7.5)
    # the same hour starting from off: no support, the stack stays off
    ds_off, _ = run([0.004], site(wind=1000, ely=100, bat_mw=20, bat_mwh=40), par)
    assert float(ds_off["electrolysis_on"][0, 0]) == 0


def test_battery_feeds_the_electrolyser_at_night_until_it_is_empty() -> None:
    # no wind; battery 20 MW / 40 MWh full, discharge efficiency 0.8; electrolyser 100 MW.
    # hour 0: 20 MW (power limit) -> 20 x 0.6 = 12 MW_H2, SOC 40 - 20 / 0.8 = 15 MWh.
    # hour 1: 15 x 0.8 = 12 MW >= 10 MW minimum load -> 12 x 0.6 = 7.2 MW_H2, SOC 0.
    # hour 2: empty -> off (standby 1 MW unserved: no grid import, no gas).
    par = params(initial_soc_fraction=1.0, battery_to_electrolysis=1.0)
    ds, _ = run([0.0, 0.0, 0.0], site(ely=100, bat_mw=20, bat_mwh=40), par)
    np.testing.assert_allclose(ds["electrolysis_input_mw"][:2, 0], [20.0, 12.0])
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], [12.0, 7.2, 0.0], rtol=1e-12)
    np.testing.assert_allclose(ds["battery_soc_mwh"][:, 0], [15.0, 0.0, 0.0], atol=1e-12)
    assert float(ds["electrolysis_on"][2, 0]) == 0
    # a stack that was off starts on battery power alone (hour 0 above); without the option
    # the same night makes no hydrogen
    ds_old, _ = run([0.0], site(ely=100, bat_mw=20, bat_mwh=40), params(initial_soc_fraction=1.0))
    assert float(ds_old["hydrogen_output_mw"][0, 0]) == 0


def test_battery_keeps_the_site_load_before_feeding_the_electrolyser() -> None:
    # no wind, 5 MW local load; battery 20 MW / 40 MWh full: 5 MW stay for the load, the
    # electrolyser gets 15 MW (15 x 0.6 = 9 MW_H2); discharge 20 MW, SOC 40 - 25 = 15 MWh
    par = params(initial_soc_fraction=1.0, battery_to_electrolysis=1.0)
    ds, _ = run([0.0], site(ely=100, bat_mw=20, bat_mwh=40, load=5), par)
    assert float(ds["electrolysis_input_mw"][0, 0]) == pytest.approx(15.0)
    assert float(ds["local_demand_mw"][0, 0]) == pytest.approx(5.0)
    assert float(ds["battery_discharge_mw"][0, 0]) == pytest.approx(20.0)
    assert float(ds["battery_soc_mwh"][0, 0]) == pytest.approx(15.0)


def test_battery_feed_stops_where_the_hydrogen_has_no_sink() -> None:
    # demand 7 MW_H2, no hydrogen storage: the electrolyser needs 7 / 0.6 = 11.67 MW
    # (below the part-load point); the battery gives exactly that, not its 20 MW
    par = params(initial_soc_fraction=1.0, battery_to_electrolysis=1.0)
    ds, _ = run([0.0], site(ely=100, bat_mw=20, bat_mwh=40), par, demand=7.0)
    assert float(ds["battery_discharge_mw"][0, 0]) == pytest.approx(7.0 / 0.6)
    assert float(ds["pipeline_flow_mw"][0, 0]) == pytest.approx(7.0)


def test_cheap_grid_feeds_the_electrolyser_before_the_battery() -> None:
    # price 10 <= threshold 20 and grid import allowed: 30 MW of the electrolyser's 100 MW come
    # from the grid connection (30 MW); the battery fills only the rest (20 MW limit)
    par = params(initial_soc_fraction=1.0, battery_to_electrolysis=1.0, grid_import=1.0)
    ds, _ = run([0.0], site(ely=100, bat_mw=20, bat_mwh=40, grid=30), par, price=10.0)
    assert float(ds["grid_import_mw"][0, 0]) == pytest.approx(30.0)
    assert float(ds["battery_discharge_mw"][0, 0]) == pytest.approx(20.0)
    assert float(ds["electrolysis_input_mw"][0, 0]) == pytest.approx(50.0)


def test_surplus_charges_the_battery_then_exports_then_curtails() -> None:
    # 300 MW wind, no electrolyser: battery 50 MW (room 40 MWh / 0.9 = 44.4 MW), then export up
    # to the 200 MW connection, the rest (55.6 MW) curtailed
    ds, _ = run([0.3], site(wind=1000, bat_mw=50, bat_mwh=40, grid=200))
    assert float(ds["battery_charge_mw"][0, 0]) == pytest.approx(40 / 0.9)
    assert float(ds["battery_soc_mwh"][0, 0]) == pytest.approx(40.0)
    assert float(ds["grid_export_mw"][0, 0]) == pytest.approx(200.0)
    assert float(ds["curtailment_mw"][0, 0]) == pytest.approx(300 - 40 / 0.9 - 200)


def test_electrolyser_throttles_to_what_demand_and_storage_can_take() -> None:
    # demand 20 MW_H2, no storage: 20 MW_H2 lies above the part-load point (20 MW -> 12 MW_H2),
    # so power = 20 + (20 - 12) / 0.725 = 31.034 MW
    ds, _ = run([1.0], site(wind=500, ely=100), demand=20.0)
    assert float(ds["hydrogen_output_mw"][0, 0]) == pytest.approx(20.0, rel=1e-12)
    assert float(ds["electrolysis_input_mw"][0, 0]) == pytest.approx(20 + 8 / 0.725)
    assert float(ds["unserved_hydrogen_mw"][0]) == pytest.approx(0.0, abs=1e-12)


def test_storage_fills_then_electrolyser_stops_when_nothing_can_take_hydrogen() -> None:
    # no demand, 30 MWh storage empty: hour 0 stores 30 MW_H2, hour 1 the store is full: off
    ds, _ = run([1.0, 1.0], site(wind=500, ely=100, store=30), demand=0.0)
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], [30.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(ds["hydrogen_storage_mwh"][:, 0], [30.0, 30.0])
    np.testing.assert_allclose(ds["electrolysis_standby_mw"][:, 0], [0.0, 1.0])


def test_storage_serves_demand_within_pipeline_capacity_and_records_unserved() -> None:
    # no wind; storage 100 MWh at 50 %; demand 20, pipeline 15: 15 delivered, 5 unserved per
    # hour until the store holds only 5 MWh in hour 3 (5 delivered, 15 unserved)
    par = params(initial_hydrogen_storage_fraction=0.5)
    ds, run_ = run([0.0] * 4, site(ely=100, store=100, pipe=15), par, demand=20.0)
    np.testing.assert_allclose(ds["pipeline_flow_mw"][:, 0], [15.0, 15.0, 15.0, 5.0])
    np.testing.assert_allclose(ds["unserved_hydrogen_mw"], [5.0, 5.0, 5.0, 15.0])
    np.testing.assert_allclose(ds["hydrogen_storage_mwh"][:, 0], [35.0, 20.0, 5.0, 0.0])
    assert run_.sys_sums[kd.Z_UNSERVED_HYDROGEN_MWH] == pytest.approx(4 * 20 - 50)


def test_sites_serve_the_demand_in_scenario_order() -> None:
    # both sites could make 35 MW_H2; demand 40: site 0 sends 35, site 1 the remaining 5 and
    # stores 10 in its 10 MWh storage: it makes 15 MW_H2
    cap = [site(wind=500, ely=50), site(wind=500, ely=50, store=10)]
    ds, _ = run(np.ones((1, 2)), cap, demand=40.0)
    np.testing.assert_allclose(ds["pipeline_flow_mw"][0], [35.0, 5.0])
    np.testing.assert_allclose(ds["hydrogen_output_mw"][0], [35.0, 15.0])
    np.testing.assert_allclose(ds["hydrogen_storage_charge_mw"][0], [0.0, 10.0])


def test_cheap_grid_power_runs_the_electrolyser_and_counts_as_rfnbo_at_or_below_20() -> None:
    # no renewables, import allowed up to 30 EUR/MWh: hours at 20 and 25 EUR/MWh import 100 MW;
    # only the 20 EUR/MWh hour meets the RFNBO price rule; 40 EUR/MWh: no import, off
    par = params(grid_import=1.0, import_price_threshold_eur_per_mwh=30.0)
    ds, run_ = run([0.0] * 3, site(ely=100), par, price=[20.0, 25.0, 40.0])
    np.testing.assert_allclose(ds["grid_import_mw"][:, 0], [100.0, 100.0, 1.0])  # 1 = standby
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], [70.0, 70.0, 0.0])
    np.testing.assert_allclose(ds["rfnbo_hydrogen_mw"][:, 0], [70.0, 0.0, 0.0])
    assert run_.sums[0, kd.K_GRID_IMPORT_COST_EUR] == pytest.approx(100 * 20 + 100 * 25 + 40)


def test_monthly_matching_counts_grid_hydrogen_covered_by_the_months_export() -> None:
    # hour 0 wind 130 MW on a 100 MW electrolyser -> 30 MW exported; hour 1 no wind,
    # 100 MW imported at 25 EUR/MWh (not RFNBO hourly). Monthly: 30 of the 100 MWh are matched,
    # so 30 % of hour 1's 70 MW_H2 = 21 MW_H2 count as RFNBO.
    par = params(grid_import=1.0, import_price_threshold_eur_per_mwh=30.0, rfnbo_monthly=1.0)
    ds, run_ = run([0.13, 0.0], site(wind=1000, ely=100), par, price=[25.0, 25.0])
    np.testing.assert_allclose(ds["grid_export_mw"][:, 0], [30.0, 0.0])
    np.testing.assert_allclose(ds["rfnbo_hydrogen_mw"][:, 0], [70.0, 21.0])
    assert run_.sums[0, kd.K_RFNBO_HYDROGEN_MWH] == pytest.approx(91.0)
    hourly, _ = run([0.13, 0.0], site(wind=1000, ely=100),
                    params(grid_import=1.0, import_price_threshold_eur_per_mwh=30.0),
                    price=[25.0, 25.0])
    np.testing.assert_allclose(hourly["rfnbo_hydrogen_mw"][:, 0], [70.0, 0.0])


def test_gas_backup_covers_the_local_load_and_burns_natural_gas() -> None:
    # no wind, local load 10 MW, gas backup 20 MW at 40 %: 10 MW gas, 25 MW fuel
    ds, _ = run([0.0], site(gas=20, load=10))
    assert float(ds["gas_backup_mw"][0, 0]) == pytest.approx(10.0)
    assert float(ds["gas_backup_fuel_mw"][0, 0]) == pytest.approx(25.0)
    assert float(ds["gas_backup_hydrogen_fuel_mw"][0, 0]) == 0.0
    assert float(ds["local_demand_mw"][0, 0]) == pytest.approx(10.0)


def test_hydrogen_fired_backup_takes_fuel_from_storage() -> None:
    # same, hydrogen-fired: 25 MW_H2 from the 100 MWh store at 50 % -> level 25
    par = params(gas_backup_hydrogen_fuel=1.0, initial_hydrogen_storage_fraction=0.5)
    ds, _ = run([0.0], site(gas=20, load=10, store=100), par, demand=0.0)
    assert float(ds["gas_backup_hydrogen_fuel_mw"][0, 0]) == pytest.approx(25.0)
    assert float(ds["hydrogen_storage_discharge_mw"][0, 0]) == pytest.approx(25.0)
    assert float(ds["hydrogen_storage_mwh"][0, 0]) == pytest.approx(25.0)
    # with only 2 MWh of hydrogen left, the backup makes 0.8 MW and 9.2 MW stay unserved
    par = params(gas_backup_hydrogen_fuel=1.0, initial_hydrogen_storage_fraction=0.02)
    ds, run_ = run([0.0], site(gas=20, load=10, store=100), par, demand=0.0)
    assert float(ds["gas_backup_mw"][0, 0]) == pytest.approx(0.8)
    assert float(ds["local_demand_mw"][0, 0]) == pytest.approx(0.8)
    assert run_.sums[0, kd.K_UNSERVED_ELECTRICITY_MWH] == pytest.approx(9.2)


def test_grid_import_serves_the_load_before_dearer_gas() -> None:
    # import allowed; price 100 < gas marginal cost 150: the load imports; at 200 gas runs
    par = params(grid_import=1.0)
    ds, _ = run([0.0, 0.0], site(gas=20, load=10), par, price=[100.0, 200.0])
    np.testing.assert_allclose(ds["grid_import_mw"][:, 0], [10.0, 0.0])
    np.testing.assert_allclose(ds["gas_backup_mw"][:, 0], [0.0, 10.0])


def test_carbon_threshold_stops_every_import_in_dirtier_hours() -> None:
    # no wind, a 50 MW electrolyser, 10 MW local load, 20 MW gas; power at 10 EUR/MWh is
    # cheap every hour; grid intensity 300, 500, 400 g/kWh against a threshold of 400:
    # hours 0 and 2 (at the threshold) buy 50 MW for the stack + 10 MW for the load; hour 1
    # buys nothing: the stack stays off (standby 0.01 x 50 = 0.5 MW) and gas serves 10.5 MW
    ci = [300.0, 500.0, 400.0]
    par = params(grid_import=1.0, import_carbon_threshold_g_per_kwh=400.0,
                 low_carbon_grid_threshold_g_per_kwh=350.0)
    ds, run_ = run([0.0] * 3, site(ely=50, gas=20, load=10), par, price=10.0, grid_co2=ci)
    np.testing.assert_allclose(ds["grid_import_mw"][:, 0], [60.0, 0.0, 60.0])
    np.testing.assert_allclose(ds["gas_backup_mw"][:, 0], [0.0, 10.5, 0.0])
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], [35.0, 0.0, 35.0])
    sums = run_.sums[0]
    # 60 MWh x 300 g/kWh + 60 MWh x 400 g/kWh = 18 + 24 t
    assert sums[kd.K_GRID_IMPORT_CO2_T] == pytest.approx(42.0, rel=1e-12)
    # the electrolyser uses 50 of the 60 MW those hours
    assert sums[kd.K_ELECTROLYSIS_GRID_IMPORT_CO2_T] == pytest.approx(35.0, rel=1e-12)
    # hour 1: 10.5 MW / 0.4 = 26.25 MWh gas, of which standby 0.5 of 10.5 MW
    assert sums[kd.K_ELECTROLYSIS_NATURAL_GAS_MWH] == pytest.approx(1.25, rel=1e-12)
    # running hours 0 and 2; only hour 0 (300 g/kWh) is below 350
    assert sums[kd.K_LOW_CARBON_OPERATING_HOURS] == 1.0
    # without the threshold every hour buys 60 MW: 60 x (300 + 500 + 400) / 1000 t
    ds, run_ = run([0.0] * 3, site(ely=50, gas=20, load=10), params(grid_import=1.0),
                   price=10.0, grid_co2=ci)
    np.testing.assert_allclose(ds["grid_import_mw"][:, 0], [60.0, 60.0, 60.0])
    assert run_.sums[0, kd.K_GRID_IMPORT_CO2_T] == pytest.approx(72.0, rel=1e-12)


def test_starts_count_off_to_on_transitions() -> None:
    # on, on, off, on, off, off, on: three starts
    cf = [0.5, 0.5, 0.0, 0.5, 0.0, 0.0, 0.5]
    _, run_ = run(cf, site(wind=200, ely=100))
    assert run_.sums[0, kd.K_STARTS] == 3
    assert run_.sums[0, kd.K_OPERATING_HOURS] == 4


def test_stack_is_replaced_after_its_lifetime_and_degradation_resets() -> None:
    # lifetime 3 operating hours, degradation 100 % per 1000 h = 0.001 per operating hour:
    # stack hours before each of 7 hours: 0, 1, 2, 0, 1, 2, 0 -> replacements after hours 3, 6
    par = params(stack_lifetime_hours=3.0, degradation_fraction_per_1000h=1.0)
    ds, run_ = run([1.0] * 7, site(wind=500, ely=100), par)
    factor = 1 - 0.001 * np.array([0, 1, 2, 0, 1, 2, 0])
    np.testing.assert_allclose(ds["hydrogen_output_mw"][:, 0], 70.0 * factor, rtol=1e-13)
    assert run_.sums[0, kd.K_STACK_REPLACEMENTS] == 2


def test_cyclic_run_starts_from_the_end_of_a_first_pass() -> None:
    rng = np.random.default_rng(3)
    cf = rng.random(48)
    cap = site(wind=200, ely=60, bat_mw=20, bat_mwh=80, store=200, pipe=30)
    par = params(initial_soc_fraction=0.3, initial_hydrogen_storage_fraction=0.7)
    _, once = run(cf, cap, par, demand=25.0)
    _, cyclic = run(cf, cap, params(initial_soc_fraction=0.3,
                                    initial_hydrogen_storage_fraction=0.7, cyclic=1.0),
                    demand=25.0)
    np.testing.assert_array_equal(cyclic.start_state[:, :3], once.end_state[:, :3])
    # stack hours restart in the reported pass
    assert cyclic.start_state[0, kd.S_STACK_HOURS] == 0.0


def test_grid_power_below_036_times_the_co2_price_also_counts_as_rfnbo() -> None:
    # Art. 6 price criterion, second branch: price below 0.36 x 130 EUR/t = 46.8 EUR/MWh.
    # Hours at 40 and 46.8 EUR/MWh import 100 MW; only 40 (strictly below) counts.
    par = params(grid_import=1.0, import_price_threshold_eur_per_mwh=50.0,
                 rfnbo_co2_price_threshold_eur_per_mwh=0.36 * 130)
    ds, _ = run([0.0, 0.0], site(ely=100), par, price=[40.0, 46.8])
    np.testing.assert_allclose(ds["grid_import_mw"][:, 0], [100.0, 100.0])
    np.testing.assert_allclose(ds["rfnbo_hydrogen_mw"][:, 0], [70.0, 0.0])


def test_scenario_sets_the_co2_price_criterion() -> None:
    from nzv_energy.dispatch import dispatch_parameter_vector
    from nzv_energy.scenario_file import load_scenario
    from tests.conftest import SCENARIOS

    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    par = dispatch_parameter_vector(scenario)
    assert par[kd.P_RFNBO_PRICE_THRESHOLD_EUR_PER_MWH] == 20.0
    assert par[kd.P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH] == pytest.approx(
        0.36 * scenario.economics.co2_price_eur_per_t
    )


def test_dispatch_from_state_continues_a_run_exactly() -> None:
    # 48 h of two sites run at once; then hours 24-47 again, started from the state the first
    # run reached after hour 23: every hourly output must be identical (same rules, same state)
    from nzv_energy.dispatch.simulate import dispatch_from_state

    rng = np.random.default_rng(7)
    wind, pv = rng.uniform(0, 1, (48, 2)), rng.uniform(0, 0.6, (48, 2))
    price = rng.uniform(-10, 120, 48)
    cap = np.array(
        [site(wind=150, pv=100, bat_mw=30, bat_mwh=90, ely=80, store=300, pipe=60, load=5),
         site(wind=80, ely=40, store=100, pipe=30, gas=10, load=3)]
    )
    par = params(battery_to_electrolysis=1.0, grid_import=1.0, initial_soc_fraction=0.5)
    ds, _ = run(wind, cap, par, demand=70.0, price=price, pv_cf=pv)
    before = ds.isel(time=23)
    stack_hours = ds["electrolysis_on"].isel(time=slice(0, 24)).sum("time").to_numpy()
    schedule = dispatch_from_state(
        wind[24:], pv[24:], price[24:], np.full(24, 70.0),
        ds.time.to_index()[24:].month.to_numpy() - 1, cap, par,
        battery_soc_mwh=before["battery_soc_mwh"].to_numpy(),
        hydrogen_storage_mwh=before["hydrogen_storage_mwh"].to_numpy(),
        electrolysis_on=before["electrolysis_on"].to_numpy(),
        stack_hours=stack_hours,
    )
    later = ds.isel(time=slice(24, 48))
    for name in ("electrolysis_input_mw", "battery_soc_mwh", "hydrogen_storage_mwh",
                 "pipeline_flow_mw", "grid_import_mw", "gas_backup_mw"):
        np.testing.assert_array_equal(schedule[name], later[name].to_numpy().T, err_msg=name)
    np.testing.assert_array_equal(
        schedule["unserved_hydrogen_mw"], later["unserved_hydrogen_mw"].to_numpy()
    )


@pytest.mark.parametrize("by_room", [True, False])
def test_production_serves_the_demand_from_the_site_without_storage_room_first(by_room) -> None:
    # Two sites with 1,000 MW wind at cf 1 and a 100 MW electrolyser (0.7 rated; part-load
    # point 20 MW at 0.6, slope (0.7 - 0.12) / 0.8 = 0.725); demand 50 MW_H2. Site 0 has an
    # empty 1,000 MWh store, site 1 none.
    # By storage room: site 1 (no room) serves the demand: 20 + (50 - 12) / 0.725 = 72.41 MW
    # -> 50 MW_H2; site 0 runs at 100 MW and stores its 70 MW_H2: 120 MW_H2 made.
    # In scenario order: site 0 sends 50 and stores 20; site 1's hydrogen has nowhere to go.
    cap = np.array([site(wind=1000, ely=100, store=1000), site(wind=1000, ely=100)])
    par = params(route_by_storage_room=1.0 if by_room else 0.0)
    ds, _ = run(np.ones((1, 2)), cap, par, demand=50.0)
    h2, flow = ds["hydrogen_output_mw"][0].to_numpy(), ds["pipeline_flow_mw"][0].to_numpy()
    level = ds["hydrogen_storage_mwh"][0].to_numpy()
    if by_room:
        np.testing.assert_allclose(h2, [70.0, 50.0], rtol=1e-12)
        np.testing.assert_allclose(flow, [0.0, 50.0], atol=1e-12)
        np.testing.assert_allclose(level, [70.0, 0.0], rtol=1e-12)
        assert float(ds["electrolysis_input_mw"][0, 1]) == pytest.approx(20 + 38 / 0.725)
    else:
        np.testing.assert_allclose(h2, [70.0, 0.0], rtol=1e-12)
        np.testing.assert_allclose(flow, [50.0, 0.0], rtol=1e-12)
        np.testing.assert_allclose(level, [20.0, 0.0], rtol=1e-12)


def _route_one_hour(levels: list[float], stores: list[float]) -> dict[str, np.ndarray]:
    # Two sites with 1,000 MW wind at cf 1 and a 100 MW electrolyser (rated 0.7; part-load
    # point 20 MW at 0.6, slope 0.725 above it), demand 50 MW_H2, routed by storage room,
    # one hour from the given store levels
    cap = np.array([site(wind=1000, ely=100, store=stores[0]),
                    site(wind=1000, ely=100, store=stores[1])])
    from nzv_energy.dispatch.simulate import dispatch_from_state

    return dispatch_from_state(
        np.ones((1, 2)), np.zeros((1, 2)), np.array([50.0]), np.array([50.0]),
        np.array([0]), cap, params(route_by_storage_room=1.0),
        battery_soc_mwh=np.zeros(2), hydrogen_storage_mwh=np.array(levels),
        electrolysis_on=np.zeros(2), stack_hours=np.zeros(2),
    )


def test_routing_tie_tolerance_is_1e9_of_the_largest_hydrogen_quantity() -> None:
    # largest of store 1,000 MWh, pipeline 1,000 MW (site() default), electrolyser 100 MW
    cap = np.array([site(ely=100, store=1000), site(ely=100)])
    assert kd.room_tie_tolerance(cap) == pytest.approx(1e-6, rel=1e-15)
    # nothing above 1 MWh (no store, pipeline or electrolyser): the floor 1e-9 MWh
    assert kd.room_tie_tolerance(np.zeros((2, kd.N_CAP))) == 1e-9


def test_a_rounding_difference_of_storage_room_keeps_scenario_order() -> None:
    # Site 0's 1,000 MWh store is full (room 0); site 1 has no store but holds 1e-12 MWh of
    # rounding (room -1e-12, "smaller" by 1e-12 << the 1e-6 MWh tolerance): a tie, so site 0
    # goes first. Its store is full, so its sink is the demand alone: 50 MW_H2 lies above the
    # part-load point (12 MW_H2 at 20 MW), power 20 + (50 - 12) / 0.725 = 72.41 MW; it sends
    # all 50 MW_H2. Site 1 then has no sink (demand met, no room) and stays off (standby 1 MW).
    # Sorting on the raw rooms would put site 1 first and swap the two results.
    r = _route_one_hour([1000.0, 1e-12], [1000.0, 0.0])
    np.testing.assert_allclose(r["pipeline_flow_mw"][:, 0], [50.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(r["hydrogen_output_mw"][:, 0], [50.0, 0.0], rtol=1e-12)
    assert r["electrolysis_input_mw"][0, 0] == pytest.approx(20 + 38 / 0.725, rel=1e-12)
    assert r["electrolysis_standby_mw"][1, 0] == pytest.approx(1.0)


def test_a_near_tie_between_half_full_stores_keeps_scenario_order() -> None:
    # Both stores 1,000 MWh at 400 MWh; site 1 holds 1e-10 MWh more (room smaller by 1e-10 <
    # tolerance 1e-6): site 0 first. Site 0 runs at 100 MW (sink 50 + 600 >= 70 MW_H2), sends
    # 50 and stores 20 (level 420); site 1 runs at 100 MW and stores all 70 (level 470).
    r = _route_one_hour([400.0, 400.0 + 1e-10], [1000.0, 1000.0])
    np.testing.assert_allclose(r["pipeline_flow_mw"][:, 0], [50.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(r["hydrogen_storage_mwh"][:, 0], [420.0, 470.0 + 1e-10],
                               rtol=1e-12)


def test_a_storage_room_difference_above_the_tolerance_reorders_the_sites() -> None:
    # Site 0's store has 1e-3 MWh of room left (> tolerance 1e-6 MWh more than site 1's
    # -1e-12): site 1 goes first and sends the 50 MW_H2. Site 0 can then put only 1e-3 MW_H2
    # anywhere: 1e-3 / 0.6 = 0.0017 MW, below the 10 MW minimum load: off.
    r = _route_one_hour([1000.0 - 1e-3, 1e-12], [1000.0, 0.0])
    np.testing.assert_allclose(r["pipeline_flow_mw"][:, 0], [0.0, 50.0], rtol=1e-12)
    np.testing.assert_allclose(r["hydrogen_output_mw"][:, 0], [0.0, 50.0], rtol=1e-12)
