"""The compiled kernels agree with the slow plain-Python reference of the same rules."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.dispatch.parameters import (
    CAPACITY_NAMES,
    DISPATCH_INDEX,
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import simulate_arrays
from nzv_energy.kernels import dispatch as kd
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities
from tests.conftest import SCENARIOS
from tests.reference_dispatch import SITE_VARIABLES, reference_simulate_year
from tests.test_dispatch_invariants import cases


@pytest.fixture(scope="module")
def lausitz() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    return build_inputs(scenario, SCENARIOS)


def compare_with_reference(
    wind: np.ndarray,
    pv: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    cap: np.ndarray,
    par: np.ndarray,
    time: pd.DatetimeIndex | None = None,
    grid_co2: np.ndarray | None = None,
) -> None:
    ds, run = simulate_arrays(wind, pv, price, demand, cap, par, time=time,
                              grid_co2_g_per_kwh=grid_co2)
    if time is None:
        time = pd.DatetimeIndex(ds["time"].values)
    if grid_co2 is None:
        grid_co2 = np.zeros(len(price))
    month = time.month.to_numpy() - 1
    caps = [dict(zip(CAPACITY_NAMES, map(float, row), strict=True)) for row in cap]
    p = dict(zip(DISPATCH_PARAMETER_NAMES, map(float, par), strict=True))
    ref = reference_simulate_year(wind, pv, price, demand, grid_co2, month, caps, p)
    scale = max(1.0, float(np.max(cap)), float(np.max(demand, initial=0.0)))
    for name in SITE_VARIABLES:
        np.testing.assert_allclose(
            ds[name].values, ref.array(name), rtol=1e-9, atol=1e-9 * scale, err_msg=name
        )
    firm = ("firm_delivery_mw", "firm_shortfall_mw") if par[kd.P_FIRM_MW] > 0 else ()
    assert all(name in ds for name in firm)
    for name in ("hydrogen_demand_mw", "hydrogen_delivered_mw", "unserved_hydrogen_mw", *firm):
        np.testing.assert_allclose(
            ds[name].values, getattr(ref, name), rtol=1e-9, atol=1e-9 * scale, err_msg=name
        )
    assert run.sums[:, kd.K_STARTS].tolist() == [c.starts for c in ref.counters]
    assert run.sums[:, kd.K_STACK_REPLACEMENTS].tolist() == [c.replacements for c in ref.counters]
    np.testing.assert_allclose(
        run.start_state[:, kd.S_BATTERY_SOC_MWH], [s.soc_mwh for s in ref.start_state],
        rtol=1e-9, atol=1e-9 * scale,
    )


GRID = list(
    itertools.product(
        [False, True],  # grid import
        ["natural_gas", "hydrogen"],  # gas backup fuel
        ["hourly", "monthly"],  # RFNBO matching
        [False, True],  # cyclic
        [0.0, 0.1, 0.6],  # electrolyser minimum load
        [False, True],  # battery feeds the electrolyser
    )
)
# the order of the sites' production: by free storage room, and scenario order once
ROUTING = [(*case, "storage_room") for case in GRID] + [
    (False, "natural_gas", "hourly", True, 0.1, True, "site_order")
]


@pytest.mark.parametrize(
    ("grid_import", "fuel", "matching", "cyclic", "min_load", "battery_feed", "routing"), ROUTING
)
def test_kernel_matches_reference_on_real_inputs(
    lausitz: SystemInputs,
    grid_import: bool,
    fuel: str,
    matching: str,
    cyclic: bool,
    min_load: float,
    battery_feed: bool,
    routing: str,
) -> None:
    # three weeks (May-June) of the shipped 2019 profiles and 2018 prices with less wind and
    # PV, a local load, smaller grid connections and demand above supply at times, so that
    # every rule is exercised (gas backup, starts, unserved hydrogen and electricity, imports)
    sl = slice(24 * 130, 24 * 152)
    time = lausitz.time[sl]
    scenario = lausitz.scenario.model_copy(
        update={
            "operation": lausitz.scenario.operation.model_copy(
                update={
                    "grid_import": grid_import,
                    "gas_backup_fuel": fuel,
                    "rfnbo_matching": matching,
                    "cyclic": cyclic,
                    "battery_to_electrolysis": battery_feed,
                    "hydrogen_routing": routing,
                    "import_price_threshold_eur_per_mwh": 60.0,
                }
            )
        }
    )
    par = dispatch_parameter_vector(scenario)
    par[DISPATCH_INDEX["electrolysis_min_load_fraction"]] = min_load
    par[DISPATCH_INDEX["stack_lifetime_hours"]] = 40.0  # several replacements in the slice
    # the German grid's hourly intensity of the slice; with one of the minimum loads the
    # import policy blocks the dirtier half of the hours
    assert lausitz.grid_carbon_g_per_kwh is not None
    grid_co2 = lausitz.grid_carbon_g_per_kwh.to_numpy()[sl]
    if min_load == 0.1:
        par[DISPATCH_INDEX["import_carbon_threshold_g_per_kwh"]] = float(np.median(grid_co2))
    par[DISPATCH_INDEX["demand_scale"]] = 2.5
    cap = capacity_array(fixed_capacities(lausitz.scenario), lausitz.site_names)
    cap[:, kd.C_LOCAL_DEMAND_MW] = [60.0, 10.0, 25.0]
    cap[:, kd.C_GAS_BACKUP_MW] = [50.0, 0.0, 15.0]
    cap[:, kd.C_GRID_CONNECTION_MW] = [900.0, 300.0, 150.0]
    cap[:, kd.C_WIND_MW] *= 0.15
    cap[:, kd.C_PV_MW] *= 0.4
    compare_with_reference(
        np.ascontiguousarray(lausitz.wind_cf[:, sl].T),
        np.ascontiguousarray(lausitz.pv_cf[:, sl].T),
        lausitz.price_eur_per_mwh[sl],
        lausitz.hydrogen_demand_mw[sl],
        cap,
        par,
        time=time,
        grid_co2=grid_co2,
    )


@pytest.mark.parametrize(
    ("grid_import", "fuel", "battery_feed", "firm_mw"),
    [(g, f, b, c) for g, f, b in itertools.product([False, True], ["natural_gas", "hydrogen"],
                                                 [False, True]) for c in (120.0, 700.0)],
)
def test_kernel_matches_reference_with_a_firm_commitment(
    lausitz: SystemInputs, grid_import: bool, fuel: str, battery_feed: bool, firm_mw: float
) -> None:
    # the slice of the grid above with a commitment the portfolio meets in some hours
    # (120 MW) or rarely (700 MW): every step of rule 8 runs, batteries and stores drain
    sl = slice(24 * 130, 24 * 152)
    scenario = lausitz.scenario.model_copy(
        update={
            "operation": lausitz.scenario.operation.model_copy(
                update={"grid_import": grid_import, "gas_backup_fuel": fuel,
                        "battery_to_electrolysis": battery_feed, "cyclic": True,
                        "import_price_threshold_eur_per_mwh": 60.0}
            )
        }
    )
    par = dispatch_parameter_vector(scenario)
    par[DISPATCH_INDEX["demand_scale"]] = 2.5
    par[DISPATCH_INDEX["firm_mw"]] = firm_mw
    cap = capacity_array(fixed_capacities(lausitz.scenario), lausitz.site_names)
    cap[:, kd.C_LOCAL_DEMAND_MW] = [60.0, 10.0, 25.0]
    cap[:, kd.C_GAS_BACKUP_MW] = [50.0, 0.0, 15.0]
    cap[:, kd.C_GRID_CONNECTION_MW] = [900.0, 300.0, 150.0]
    cap[:, kd.C_WIND_MW] *= 0.15
    cap[:, kd.C_PV_MW] *= 0.4
    assert lausitz.grid_carbon_g_per_kwh is not None
    compare_with_reference(
        np.ascontiguousarray(lausitz.wind_cf[:, sl].T),
        np.ascontiguousarray(lausitz.pv_cf[:, sl].T),
        lausitz.price_eur_per_mwh[sl], lausitz.hydrogen_demand_mw[sl], cap, par,
        time=lausitz.time[sl], grid_co2=lausitz.grid_carbon_g_per_kwh.to_numpy()[sl],
    )


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(0, 11))
def test_kernel_matches_reference_on_random_cases(
    case: tuple[np.ndarray, ...], start_month: int
) -> None:
    wind, pv, price, demand, grid_co2, cap, par = case
    # start late in a month so that monthly matching sees two months
    time = pd.date_range(f"2019-{start_month + 1:02d}-28", periods=len(price), freq="h")
    compare_with_reference(wind, pv, price, demand, cap, par, time=time, grid_co2=grid_co2)


@pytest.mark.parametrize(
    ("levels", "stores"),
    [
        ([1000.0, 1e-12, 0.0], [1000.0, 0.0, 0.0]),  # full store vs rounding in a 0 MWh store
        ([400.0, 400.0 + 1e-10, 400.0 - 1e-10], [1000.0] * 3),  # rooms within the tolerance
        ([1000.0 - 1e-3, 1e-12, 0.0], [1000.0, 0.0, 0.0]),  # 1 kWh of room: not a tie
    ],
)
def test_reference_breaks_near_ties_of_storage_room_as_the_kernel(levels, stores) -> None:
    from nzv_energy.dispatch.simulate import dispatch_from_state
    from tests.reference_dispatch import SiteState, run_pass

    rng = np.random.default_rng(5)
    wind, pv = rng.uniform(0.3, 1.0, (6, 3)), np.zeros((6, 3))
    price, demand, month = np.full(6, 50.0), np.full(6, 120.0), np.zeros(6, dtype=np.int64)
    cap = np.zeros((3, kd.N_CAP))
    cap[:, kd.C_WIND_MW] = 400.0
    cap[:, kd.C_ELECTROLYSIS_MW] = 100.0
    cap[:, kd.C_PIPELINE_MW] = 80.0
    cap[:, kd.C_GRID_CONNECTION_MW] = 500.0
    cap[:, kd.C_HYDROGEN_STORAGE_MWH] = stores
    par = dispatch_parameter_vector(load_scenario(SCENARIOS / "single_site_quick.yaml"))
    par[DISPATCH_INDEX["route_by_storage_room"]] = 1.0
    kernel = dispatch_from_state(
        wind, pv, price, demand, month, cap, par, battery_soc_mwh=np.zeros(3),
        hydrogen_storage_mwh=np.array(levels), electrolysis_on=np.zeros(3),
        stack_hours=np.zeros(3),
    )
    caps = [dict(zip(CAPACITY_NAMES, map(float, row), strict=True)) for row in cap]
    p = dict(zip(DISPATCH_PARAMETER_NAMES, map(float, par), strict=True))
    states = [SiteState(0.0, level, False, 0.0) for level in levels]
    ref = run_pass(wind, pv, price, demand, np.zeros(6), month, caps, p, states)
    for name in ("pipeline_flow_mw", "hydrogen_output_mw", "hydrogen_storage_mwh"):
        # (sites, hours) vs (hours, sites); flows up to 80 MW, levels up to 1,000 MWh
        np.testing.assert_allclose(kernel[name].T, ref.array(name), rtol=1e-12, atol=1e-9,
                                   err_msg=name)
