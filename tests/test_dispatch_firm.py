"""The firm commitment as a dispatch rule (rule 8, docs/security_of_supply.md "Rules view")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nzv_energy.dispatch.checks import assert_invariants
from nzv_energy.dispatch.parameters import DISPATCH_INDEX
from nzv_energy.dispatch.simulate import HourlyArrays, simulate_arrays
from nzv_energy.kernels import dispatch as kd
from nzv_energy.security.rules import FIRM_TOLERANCE_MW, firm_capacity_of_arrays
from tests.test_dispatch_cases import params, site
from tests.test_dispatch_invariants import cases

TOL = 1e-9
HYDROGEN = ("hydrogen_output_mw", "pipeline_flow_mw", "electrolysis_input_mw", "electrolysis_on")


def with_firm(par: np.ndarray, firm_mw: float) -> np.ndarray:
    p = par.copy()
    p[DISPATCH_INDEX["firm_mw"]] = firm_mw
    return p


def net_export(ds) -> np.ndarray:  # type: ignore[no-untyped-def]
    return (ds["grid_export_mw"] - ds["grid_import_mw"]).sum("site").values


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.floats(0.5, 3000.0))
def test_firm_delivery_balances_and_is_short_only_when_resources_are_spent(
    case: tuple[np.ndarray, ...], firm_mw: float
) -> None:
    wind, pv, price, demand, grid_co2, cap, par = case
    par = with_firm(par, firm_mw)
    ds, run = simulate_arrays(wind, pv, price, demand, cap, par, grid_co2_g_per_kwh=grid_co2)
    # every balance and storage equation of docs/dispatch.md still holds every hour
    assert_invariants(ds, cap, par, tol=TOL)
    delivery = ds["firm_delivery_mw"].values
    short = ds["firm_shortfall_mw"].values
    scale = TOL * max(1.0, firm_mw)
    assert (delivery <= firm_mw + scale).all() and (delivery >= -scale).all()
    assert (short >= 0.0).all()
    np.testing.assert_allclose(delivery + short, firm_mw, rtol=0, atol=scale)
    # the delivery is the net export of all sites (the net export reaches C where not short)
    net = net_export(ds)
    met = short == 0.0
    assert (net[met] >= firm_mw - scale * len(cap)).all()
    partly = ~met & (net > 0.0)
    np.testing.assert_allclose(net[partly], delivery[partly], rtol=0, atol=scale * len(cap))
    # short only when no site could give more: each site imports, or its connection is full,
    # or its battery neither charges nor has energy and power left, and its gas backup is
    # at its rating (hydrogen-fired: or its store is empty)
    eta_dis = par[kd.P_BATTERY_DISCHARGE_EFFICIENCY]
    soc_min = par[kd.P_BATTERY_MIN_SOC_FRACTION] * cap[:, kd.C_BATTERY_MWH]
    eps = 1e-7 * max(1.0, float(cap.max()))
    for t in np.flatnonzero(~met):
        for s in range(cap.shape[0]):
            if ds["grid_import_mw"].values[t, s] > 0.0:
                continue
            if ds["grid_export_mw"].values[t, s] >= cap[s, kd.C_GRID_CONNECTION_MW] - eps:
                continue
            assert ds["battery_charge_mw"].values[t, s] <= eps
            battery_left = min(
                (ds["battery_soc_mwh"].values[t, s] - soc_min[s]) * eta_dis,
                cap[s, kd.C_BATTERY_MW] - ds["battery_discharge_mw"].values[t, s],
            )
            assert battery_left <= eps
            gas_left = cap[s, kd.C_GAS_BACKUP_MW] - ds["gas_backup_mw"].values[t, s]
            if par[kd.P_GAS_BACKUP_HYDROGEN_FUEL] > 0.5:
                gas_left = min(gas_left, ds["hydrogen_storage_mwh"].values[t, s])
            assert gas_left <= eps
    # the totals are the sums of the hourly series
    assert run.sys_sums[kd.Z_FIRM_HOURS_SHORT] == float((short > 0.0).sum())
    np.testing.assert_allclose(run.sys_sums[kd.Z_FIRM_SHORTFALL_MWH], short.sum(),
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(run.sys_sums[kd.Z_FIRM_DELIVERY_MWH], delivery.sum(),
                               rtol=1e-12, atol=1e-9)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.floats(0.5, 3000.0))
def test_hydrogen_is_unchanged_until_the_commitment_draws_on_a_store(
    case: tuple[np.ndarray, ...], firm_mw: float
) -> None:
    # What holds: rule 8 runs after the hydrogen rules of each hour, so an hour's hydrogen
    # is decided as without the commitment as long as the storage levels it starts from are
    # the same.  The commitment changes them only by taking from the battery (or its charge)
    # and, for hydrogen-fired backup, from the hydrogen store; from the first such hour on,
    # the hydrogen may differ (a drained battery can later miss the electrolyser).
    wind, pv, price, demand, grid_co2, cap, par = case
    base = par.copy()
    base[DISPATCH_INDEX["firm_mw"]] = 0.0
    ds0, _ = simulate_arrays(wind, pv, price, demand, cap, base, grid_co2_g_per_kwh=grid_co2)
    ds1, _ = simulate_arrays(wind, pv, price, demand, cap, with_firm(base, firm_mw),
                             grid_co2_g_per_kwh=grid_co2)
    if par[kd.P_CYCLIC] > 0.5:
        # a cyclic year starts from the end of a first pass that had the commitment too
        same_start = ds0.attrs["dispatch_start_state"] == ds1.attrs["dispatch_start_state"]
        if not same_start:
            return
    changed = (
        (ds0["battery_soc_mwh"].values != ds1["battery_soc_mwh"].values)
        | (ds0["hydrogen_storage_mwh"].values != ds1["hydrogen_storage_mwh"].values)
    ).any(axis=1)
    first = int(np.argmax(changed)) if changed.any() else len(price) - 1
    for name in HYDROGEN:
        np.testing.assert_array_equal(ds0[name].values[: first + 1], ds1[name].values[: first + 1],
                                      err_msg=name)
    # in that hour itself rule 8 may burn the hydrogen the store was to take
    np.testing.assert_array_equal(ds0["hydrogen_storage_charge_mw"].values[:first],
                                  ds1["hydrogen_storage_charge_mw"].values[:first])
    np.testing.assert_array_equal(ds0["hydrogen_delivered_mw"].values[: first + 1],
                                  ds1["hydrogen_delivered_mw"].values[: first + 1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.floats(0.5, 3000.0))
def test_natural_gas_and_no_battery_leave_the_hydrogen_identical(
    case: tuple[np.ndarray, ...], firm_mw: float
) -> None:
    # without a battery and with natural gas, rule 8 touches no storage: every hydrogen
    # output of every hour is the same with and without the commitment
    wind, pv, price, demand, grid_co2, cap, par = case
    cap = cap.copy()
    cap[:, kd.C_BATTERY_MW] = 0.0
    cap[:, kd.C_BATTERY_MWH] = 0.0
    base = par.copy()
    base[DISPATCH_INDEX["firm_mw"]] = 0.0
    base[DISPATCH_INDEX["gas_backup_hydrogen_fuel"]] = 0.0
    ds0, _ = simulate_arrays(wind, pv, price, demand, cap, base, grid_co2_g_per_kwh=grid_co2)
    ds1, _ = simulate_arrays(wind, pv, price, demand, cap, with_firm(base, firm_mw),
                             grid_co2_g_per_kwh=grid_co2)
    for name in (*HYDROGEN, "hydrogen_storage_charge_mw", "hydrogen_storage_mwh",
                 "rfnbo_hydrogen_mw"):
        np.testing.assert_array_equal(ds0[name].values, ds1[name].values, err_msg=name)
    np.testing.assert_array_equal(ds0["unserved_hydrogen_mw"].values,
                                  ds1["unserved_hydrogen_mw"].values)


def test_firm_off_writes_no_firm_variables_and_no_totals() -> None:
    cap = np.array([site(wind=100.0, gas=20.0)])
    ds, run = simulate_arrays(np.full((24, 1), 0.3), np.zeros((24, 1)), np.full(24, 50.0),
                              np.zeros(24), cap, params())
    assert "firm_delivery_mw" not in ds and "firm_shortfall_mw" not in ds
    assert run.sys_sums[kd.Z_FIRM_DELIVERY_MWH] == 0.0
    assert run.sys_sums[kd.Z_FIRM_HOURS_SHORT] == 0.0


# ---- hand cases ---------------------------------------------------------------------------


def arrays_of(wind: np.ndarray, pv: np.ndarray | None = None) -> HourlyArrays:
    n_h, n_s = wind.shape
    return HourlyArrays(
        np.ascontiguousarray(wind, dtype=np.float64),
        np.zeros((n_h, n_s)) if pv is None else np.ascontiguousarray(pv, dtype=np.float64),
        np.full(n_h, 50.0), np.zeros(n_h), np.zeros(n_h, dtype=np.int64),
        np.array([0, n_h], dtype=np.int64), (2019,), np.zeros(n_h),
    )


WIND_CF = np.array([0.6, 0.25, 0.9, 0.4, 0.15, 0.7, 0.3, 0.5])


@pytest.mark.parametrize(("gas_mw", "grid_mw"), [(40.0, 1000.0), (40.0, 60.0), (0.0, 1000.0)])
def test_gas_backup_and_wind_hand_case(gas_mw: float, grid_mw: float) -> None:
    # one site, 200 MW wind, natural-gas backup G, no electrolyser, no hydrogen demand, no
    # battery: the net export can be wind + G in every hour, within the connection, so the
    # firm capacity is min(G + least wind, connection) = min(G + 200 x 0.15, connection)
    cap = np.ascontiguousarray([site(wind=200.0, gas=gas_mw, grid=grid_mw)])
    par = params()
    expected = min(gas_mw + 200.0 * WIND_CF.min(), grid_mw)
    firm = firm_capacity_of_arrays(arrays_of(WIND_CF[:, None]), cap, par)
    assert expected - FIRM_TOLERANCE_MW <= firm[0] <= expected
    # a commitment C above it: each hour is short by C - (wind + G), within the connection
    c_mw = 100.0
    ds, run = simulate_arrays(WIND_CF[:, None], np.zeros((8, 1)), np.full(8, 50.0),
                              np.zeros(8), cap, with_firm(par, c_mw))
    possible = np.minimum(200.0 * WIND_CF + gas_mw, grid_mw)
    short = np.maximum(c_mw - possible, 0.0)
    np.testing.assert_allclose(ds["firm_shortfall_mw"].values, short, atol=1e-9)
    assert run.sys_sums[kd.Z_FIRM_HOURS_SHORT] == float((short > 0).sum())
    np.testing.assert_allclose(run.sys_sums[kd.Z_FIRM_SHORTFALL_MWH], short.sum(), atol=1e-9)
    # the gas runs only for the part the wind leaves: min(G, max(C - wind, 0)) when not short
    gas = np.minimum(gas_mw, np.maximum(np.minimum(c_mw, grid_mw) - 200.0 * WIND_CF, 0.0))
    np.testing.assert_allclose(ds["gas_backup_mw"].values[:, 0], gas, atol=1e-9)


def test_battery_hand_case() -> None:
    # one site, a full 10 MW / 40 MWh battery (discharge efficiency 0.9, no minimum), no
    # wind, no gas, not cyclic: it can give C in every one of n hours while C <= 10 MW and
    # C x n <= 40 x 0.9 MWh; over 8 hours: C = 36 / 8 = 4.5 MW
    cap = np.ascontiguousarray([site(bat_mw=10.0, bat_mwh=40.0)])
    par = params(initial_soc_fraction=1.0, battery_discharge_efficiency=0.9,
                 battery_min_soc_fraction=0.0)
    firm = firm_capacity_of_arrays(arrays_of(np.zeros((8, 1))), cap, par)
    assert 4.5 - FIRM_TOLERANCE_MW <= firm[0] <= 4.5
    firm4 = firm_capacity_of_arrays(arrays_of(np.zeros((4, 1))), cap, par)
    assert 9.0 - FIRM_TOLERANCE_MW <= firm4[0] <= 9.0  # 36 / 4
    firm2 = firm_capacity_of_arrays(arrays_of(np.zeros((2, 1))), cap, par)
    assert 10.0 - FIRM_TOLERANCE_MW <= firm2[0] <= 10.0  # the power limit
    # C = 6 MW over 8 hours: 6 hours met (36 MWh / 6 MW), then the battery is empty
    ds, run = simulate_arrays(np.zeros((8, 1)), np.zeros((8, 1)), np.full(8, 50.0), np.zeros(8),
                              cap, with_firm(par, 6.0))
    np.testing.assert_allclose(ds["firm_delivery_mw"].values, [6.0] * 6 + [0.0, 0.0], atol=1e-9)
    assert run.sys_sums[kd.Z_FIRM_HOURS_SHORT] == 2.0
    np.testing.assert_allclose(ds["battery_soc_mwh"].values[:, 0],
                               40.0 - np.minimum(np.arange(1, 9) * 6.0 / 0.9, 40.0), atol=1e-9)


def test_surplus_charge_is_exported_before_the_battery_discharges() -> None:
    # 100 MW wind at 0.3: 30 MW surplus; the battery (20 MW) takes 20, 10 are exported.
    # A commitment of 25 MW takes 15 MW of the charge first (the battery keeps 5 MW of
    # charge, never discharges in that hour); a commitment of 45 MW takes all 20 MW of the
    # charge, then 15 MW of discharge in the same hour is not allowed to coexist with a
    # charge, so: charge 0, discharge 15
    cap = np.ascontiguousarray([site(wind=100.0, bat_mw=20.0, bat_mwh=100.0)])
    par = params(initial_soc_fraction=0.5, battery_charge_efficiency=1.0,
                 battery_discharge_efficiency=1.0, battery_min_soc_fraction=0.0)
    wind = np.full((1, 1), 0.3)
    ds, _ = simulate_arrays(wind, np.zeros((1, 1)), np.full(1, 50.0), np.zeros(1), cap,
                            with_firm(par, 25.0))
    assert ds["battery_charge_mw"].values[0, 0] == pytest.approx(5.0)
    assert ds["battery_discharge_mw"].values[0, 0] == 0.0
    assert ds["grid_export_mw"].values[0, 0] == pytest.approx(25.0)
    assert ds["battery_soc_mwh"].values[0, 0] == pytest.approx(55.0)
    ds, _ = simulate_arrays(wind, np.zeros((1, 1)), np.full(1, 50.0), np.zeros(1), cap,
                            with_firm(par, 45.0))
    assert ds["battery_charge_mw"].values[0, 0] == 0.0
    assert ds["battery_discharge_mw"].values[0, 0] == pytest.approx(15.0)
    assert ds["battery_soc_mwh"].values[0, 0] == pytest.approx(35.0)
    assert ds["firm_shortfall_mw"].values[0] == 0.0


def test_sites_are_topped_up_in_scenario_order_one_resource_after_another() -> None:
    # two sites, each with a full battery (10 MW) and 10 MW gas; a 25 MW commitment in a
    # calm hour: both batteries first (20 MW, scenario order), then 5 MW of gas at site 0
    cap = np.ascontiguousarray([site(bat_mw=10.0, bat_mwh=50.0, gas=10.0)] * 2)
    par = params(initial_soc_fraction=1.0, battery_min_soc_fraction=0.0)
    ds, _ = simulate_arrays(np.zeros((1, 2)), np.zeros((1, 2)), np.full(1, 50.0), np.zeros(1),
                            cap, with_firm(par, 25.0))
    np.testing.assert_allclose(ds["battery_discharge_mw"].values[0], [10.0, 10.0])
    np.testing.assert_allclose(ds["gas_backup_mw"].values[0], [5.0, 0.0])
    np.testing.assert_allclose(ds["gas_backup_fuel_mw"].values[0], [5.0 / 0.4, 0.0])


def test_hydrogen_fired_backup_burns_the_store_for_the_commitment() -> None:
    # hydrogen-fired backup (efficiency 0.4), 10 MWh of hydrogen in store, no demand: a
    # 3 MW commitment burns 7.5 MWh_H2 in the first hour; the second hour has 2.5 MWh_H2
    # left = 1 MW of power: 2 MW short
    cap = np.ascontiguousarray([site(gas=50.0, store=10.0)])
    par = params(gas_backup_hydrogen_fuel=1.0, initial_hydrogen_storage_fraction=1.0)
    ds, run = simulate_arrays(np.zeros((2, 1)), np.zeros((2, 1)), np.full(2, 50.0), np.zeros(2),
                              cap, with_firm(par, 3.0))
    np.testing.assert_allclose(ds["gas_backup_hydrogen_fuel_mw"].values[:, 0], [7.5, 2.5])
    np.testing.assert_allclose(ds["hydrogen_storage_mwh"].values[:, 0], [2.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(ds["firm_shortfall_mw"].values, [0.0, 2.0])
    assert run.sys_sums[kd.Z_FIRM_HOURS_SHORT] == 1.0


def test_kpis_count_the_gas_sent_to_the_grid_outside_the_hydrogen() -> None:
    # gas for the commitment is not part of the hydrogen's emissions (carbon_totals)
    from nzv_energy.dispatch.kpis import carbon_totals

    cap = np.ascontiguousarray([site(ely=10.0, gas=50.0, load=0.0)])
    par = params()
    ds, _ = simulate_arrays(np.zeros((3, 1)), np.zeros((3, 1)), np.full(3, 50.0), np.zeros(3),
                            cap, with_firm(par, 20.0),
                            time=pd.date_range("2019-01-01", periods=3, freq="h"))
    # the electrolyser is off (no power), its standby (0.01 x 10) is served by gas
    totals = carbon_totals(ds, np.zeros(3), 0.2, 100.0)
    standby_gas = ds["electrolysis_standby_mw"].values.sum() / 0.4
    assert totals["hydrogen_co2_t"] == pytest.approx(standby_gas * 0.2)
