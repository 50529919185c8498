"""District heat in the VPP window model: hand-derived optima, invariants, the command."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nzv_energy.cli import main
from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.kernels import heat as hk
from nzv_energy.vpp.heat import HeatPortfolio
from nzv_energy.vpp.model import Portfolio, SiteState, WindowData, build_model
from nzv_energy.vpp.rolling import HourlyInputs, RollingOptions, run_rolling
from tests.test_vpp_model import make_portfolio, make_window, solve_window

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TOL = 1e-6


def heat_portfolio(
    *, chp_mw_el: float = 10.0, eta: float = 0.5, c_b: float = 1.0, c_v: float = 0.15,
    back_pressure: bool = False, store_mwh: float = 0.0, store_mw: float = 0.0,
    loss: float = 0.0, boiler_mw: float = 0.0, share: float = 0.0, booster_mw: float = 0.0,
    min_load: float = 0.0, start_cost: float = 0.0, gas: float = 20.0,
    hydrogen: bool = False,
) -> HeatPortfolio:
    """One heat site (index 0) with the given assets; efficiencies 1 where unused, no O&M."""
    cap = np.zeros((1, hk.N_HEAT_CAP))
    par = np.zeros((1, hk.N_HEAT_PAR))
    cap[0, hk.HC_CHP_MW_EL] = chp_mw_el
    cap[0, hk.HC_STORAGE_MWH] = store_mwh
    cap[0, hk.HC_STORAGE_MW] = store_mw
    cap[0, hk.HC_GAS_BOILER_MW_TH] = boiler_mw
    cap[0, hk.HC_BOOSTER_HEAT_PUMP_MW_TH] = booster_mw
    par[0, hk.HP_CHP_ELECTRIC_EFFICIENCY] = eta
    par[0, hk.HP_CHP_C_B] = c_b
    par[0, hk.HP_CHP_C_V] = c_v
    par[0, hk.HP_CHP_BACK_PRESSURE] = float(back_pressure)
    par[0, hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
    par[0, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 1.0
    par[0, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = loss
    par[0, hk.HP_RECOVERY_SHARE] = share
    par[0, hk.HP_RECOVERY_BOOSTER] = float(booster_mw > 0)
    zero = np.zeros(1)
    return HeatPortfolio(
        sites=(0,), cap=cap, par=par, chp_hydrogen=np.array([hydrogen]),
        initial_storage_fraction=zero, unserved_heat_penalty_eur_per_mwh=np.array([1000.0]),
        vom_chp_eur_per_mwh_el=zero, vom_heat_pump_eur_per_mwh_th=zero,
        vom_booster_eur_per_mwh_th=zero, vom_electric_boiler_eur_per_mwh_th=zero,
        vom_peak_boiler_eur_per_mwh_th=zero, natural_gas_cost_eur_per_mwh=gas,
        chp_min_load_fraction=min_load, chp_start_cost_eur_per_mw=start_cost,
    )


def with_heat(
    portfolio: Portfolio, data: WindowData, demand: float | np.ndarray, cop: float = 3.0,
    cop_w: float = 5.0,
) -> WindowData:
    n = data.n_hours
    return replace(
        data,
        heat_demand_mw=np.broadcast_to(np.asarray(demand, float), (1, n)).copy(),
        cop_heat_pump=np.full((1, n), cop), cop_waste_heat=np.full((1, n), cop_w),
        heat_value_eur_per_mwh=np.zeros(1),
    )


def start(portfolio: Portfolio, level_mwh: float = 0.0) -> SiteState:
    return replace(SiteState.initial(portfolio, 0.0, 0.0),
                   thermal_storage_mwh=np.array([level_mwh]))


def test_extraction_chp_at_full_fuel_with_a_store_to_empty() -> None:
    # 24 h at 100 EUR/MWh, gas 20 EUR/MWh, CHP 10 MW_el at eta 0.5 (fuel cap 20 MW),
    # c_b 1, c_v 0.15; heat demand 4 MW_th; a 20 MWh store (5 MW, no loss) starts full and
    # is worth nothing at the end.  By hand: power sells for 100 > 20 / 0.5 = 40, so the
    # CHP burns its fuel cap every hour and makes P = 10 - 0.15 Q; each MWh_th from the
    # store saves 0.15 MWh_el (15 EUR), so the store empties: CHP heat 96 - 20 = 76 MWh,
    # power 240 - 0.15 x 76 = 228.6 MWh, profit 22,860 - 480 x 20 = 13,260 EUR.
    p = replace(make_portfolio(grid_connection_mw=100),
                heat=heat_portfolio(store_mwh=20, store_mw=5))
    data = with_heat(p, make_window(p, [100.0] * 24), 4.0)
    sched, objective = solve_window(p, data, start(p, 20.0))
    assert objective == pytest.approx(13_260.0, rel=1e-9)
    assert sched["chp_fuel_mw"][0] == pytest.approx(np.full(24, 20.0), abs=TOL)
    assert sched["chp_heat_mw"][0].sum() == pytest.approx(76.0, abs=TOL)
    assert sched["chp_electric_mw"][0].sum() == pytest.approx(228.6, abs=TOL)
    # a lossless store may also shift heat between hours at no cost: only its net is unique
    net = sched["thermal_storage_discharge_mw"][0] - sched["thermal_storage_charge_mw"][0]
    assert net.sum() == pytest.approx(20.0, abs=TOL)
    assert sched["thermal_storage_mwh"][0, -1] == pytest.approx(0.0, abs=TOL)
    assert sched["grid_export_mw"][0].sum() == pytest.approx(228.6, abs=TOL)


def test_back_pressure_chp_against_a_peak_boiler_by_price() -> None:
    # Back-pressure CHP (P = c_b Q = eta F, c_b 1, eta 0.5: F = 2 Q, fuel cap 20 MW) beside
    # a 10 MW peak boiler (efficiency 1), gas 20 EUR/MWh, demand 4 MW_th.  Heat from the
    # CHP costs 2 x 20 - price (the power credit): at 0 EUR/MWh 40 > 20 (boiler), at 100
    # it is -60 < 20, and power alone earns 100 - 40 > 0 per MWh_el, so the CHP runs at its
    # fuel cap (P = Q = 10) and dumps the 6 MW_th not needed.  By hand: boiler in the 12
    # cheap hours (12 x 4 x 20 = 960 EUR), CHP in the 12 dear ones (12 x (1,000 - 400) =
    # 7,200 EUR): 6,240 EUR; the CHP is off (no fuel, power or heat) in the cheap hours.
    p = replace(make_portfolio(grid_connection_mw=100),
                heat=heat_portfolio(back_pressure=True, boiler_mw=10))
    price = [0.0] * 12 + [100.0] * 12
    sched, objective = solve_window(p, with_heat(p, make_window(p, price), 4.0), start(p))
    assert objective == pytest.approx(6_240.0, rel=1e-9)
    assert sched["chp_heat_mw"][0, :12] == pytest.approx(np.zeros(12), abs=TOL)
    assert sched["chp_fuel_mw"][0, :12] == pytest.approx(np.zeros(12), abs=TOL)
    assert sched["gas_boiler_heat_mw"][0, :12] == pytest.approx(np.full(12, 4.0), abs=TOL)
    assert sched["chp_electric_mw"][0, 12:] == pytest.approx(np.full(12, 10.0), abs=TOL)
    assert sched["chp_fuel_mw"][0, 12:] == pytest.approx(np.full(12, 20.0), abs=TOL)
    assert sched["heat_dumped_mw"][0, 12:] == pytest.approx(np.full(12, 6.0), abs=TOL)
    assert sched["gas_boiler_heat_mw"][0, 12:] == pytest.approx(np.zeros(12), abs=TOL)


def test_min_load_and_start_cost_keep_the_chp_off_for_one_dear_hour() -> None:
    # Back-pressure CHP 10 MW_el, eta 0.5, c_b 1, min load 0.5 of the 20 MW fuel cap,
    # start cost 100 EUR/MW_el (1,000 EUR a start); no demand, price 50 in hour 5 only
    # (else 0).  Running that hour at least at min load (F = 10, P = Q = 5, heat dumped)
    # earns 250 - 200 = 50 at most at any load (P x (50 - 40)) < 1,000: the CHP stays off.
    # Without the start cost it runs at full fuel that hour: 10 x (50 - 40) = 100 EUR.
    base = heat_portfolio(back_pressure=True, min_load=0.5, start_cost=100.0)
    price = [0.0] * 5 + [50.0] + [0.0] * 6
    for cost, expect in ((100.0, 0.0), (0.0, 100.0)):
        p = replace(make_portfolio(grid_connection_mw=100),
                    heat=replace(base, chp_start_cost_eur_per_mw=cost))
        sched, objective = solve_window(p, with_heat(p, make_window(p, price), 0.0), start(p))
        assert objective == pytest.approx(expect, abs=1e-6)
        assert sched["chp_fuel_mw"][0, 5] == pytest.approx(0.0 if cost else 20.0, abs=TOL)
        assert sched["heat_dumped_mw"][0] == pytest.approx(sched["chp_heat_mw"][0], abs=TOL)


def test_waste_heat_only_while_the_stack_runs() -> None:
    # Electrolyser 10 MW (efficiency 0.5), hydrogen worth 100 EUR/MWh_H2 through a 1000
    # EUR/MWh penalty on a 5 MW demand in hours 0-5 only; recoverable share 0.2, direct.
    # Demand 1 MW_th; no other heat source: heat in hours 6-11 (stack off: price 1000)
    # is unserved, in hours 0-5 the 2 MW_th of waste heat cover it.
    p = replace(
        make_portfolio(electrolysis_mw=10, grid_connection_mw=100, pipeline_mw=10),
        heat=heat_portfolio(chp_mw_el=0.0, share=0.2),
    )
    price = [10.0] * 6 + [1000.0] * 6
    demand = np.array([5.0] * 6 + [0.0] * 6)
    data = with_heat(p, make_window(p, price, demand=demand), 1.0)
    sched, _ = solve_window(p, data, start(p))
    on = sched["electrolysis_on"][0] > 0.5
    assert on[:6].all() and not on[6:].any()
    assert sched["heat_from_waste_heat_mw"][0, :6] == pytest.approx(np.ones(6), abs=TOL)
    assert sched["heat_from_waste_heat_mw"][0, 6:] == pytest.approx(np.zeros(6), abs=TOL)
    assert sched["unserved_heat_mw"][0, 6:] == pytest.approx(np.ones(6), abs=TOL)
    stack = sched["electrolysis_input_mw"][0] - sched["electrolysis_standby_mw"][0]
    assert (sched["waste_heat_source_used_mw"][0] <= 0.2 * stack + TOL).all()


def test_hydrogen_chp_burns_the_sites_hydrogen() -> None:
    # A hydrogen CHP (back-pressure, eta 0.5) and a full 100 MWh hydrogen store, no
    # electrolyser, no hydrogen demand, no other heat source: 2 MW_th of demand for 6 h
    # needs F = 2 x 2 = 4 MW_H2 an hour, 24 MWh_H2 in all, out of the store.
    p = replace(make_portfolio(hydrogen_storage_mwh=100, grid_connection_mw=100),
                heat=heat_portfolio(back_pressure=True, hydrogen=True))
    data = with_heat(p, make_window(p, [0.0] * 6), 2.0)
    state = replace(start(p), hydrogen_storage_mwh=np.array([100.0]))
    sched, _ = solve_window(p, data, state)
    assert sched["chp_fuel_mw"][0] == pytest.approx(np.full(6, 4.0), abs=TOL)
    assert sched["hydrogen_storage_mwh"][0, -1] == pytest.approx(76.0, abs=TOL)
    assert sched["unserved_heat_mw"][0] == pytest.approx(np.zeros(6), abs=TOL)


def test_a_portfolio_without_heat_builds_no_heat_component() -> None:
    # the model of a scenario without heat: not one heat set, parameter, variable or
    # constraint (the rest of the model is the one of the tests in test_vpp_model.py)
    p = make_portfolio(battery_mw=5, battery_mwh=10, electrolysis_mw=10, gas_backup_mw=5,
                       hydrogen_storage_mwh=10, pipeline_mw=10, grid_connection_mw=50)
    m = build_model(p, 12)
    heat_names = {"HT", "HC", "heat_demand", "inv_cop_hp", "inv_cop_w", "store0", "chp_on0",
                  "heat_value", "waste_heat", "booster_el", "hp_heat", "hp_power", "eb_heat",
                  "gb_heat", "heat_charge", "heat_discharge", "heat_level", "unserved_heat",
                  "chp_on", "chp_start", "chp_fuel", "chp_el", "chp_heat", "heat_dumped",
                  "heat_balance"}
    names = {c.local_name for c in m.component_objects()}
    assert not names & heat_names
    assert SiteState.initial(p, 0.5, 0.5).thermal_storage_mwh is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.lists(st.floats(-20, 150), min_size=8, max_size=8),
    demand=st.lists(st.floats(0, 12), min_size=8, max_size=8),
    level=st.floats(0, 30),
    loss=st.floats(0, 0.05),
    back=st.booleans(),
)
def test_heat_balance_store_and_chp_region_every_hour(
    price: list[float], demand: list[float], level: float, loss: float, back: bool
) -> None:
    # invariants of any optimal window: heat balance every hour, store within [0, E] and
    # its power, the store's level equation, CHP inside its feasible region, CHP off =>
    # no fuel, power or heat
    h = heat_portfolio(back_pressure=back, store_mwh=30, store_mw=6, loss=loss, boiler_mw=5,
                       min_load=0.3, start_cost=10.0)
    p = replace(make_portfolio(grid_connection_mw=100), heat=h)
    data = with_heat(p, make_window(p, price), np.asarray(demand))
    s, _ = solve_window(p, data, start(p, level), gap=1e-6)
    g = {k: v[0] for k, v in s.items() if np.ndim(v) == 2}
    balance = (g["heat_from_waste_heat_mw"] + g["chp_heat_mw"] - g["heat_dumped_mw"]
               + g["heat_pump_heat_mw"] + g["electric_boiler_heat_mw"] + g["gas_boiler_heat_mw"]
               + g["thermal_storage_discharge_mw"] + g["unserved_heat_mw"]
               - g["heat_demand_mw"] - g["thermal_storage_charge_mw"])
    assert np.abs(balance).max() <= TOL
    lv = g["thermal_storage_mwh"]
    assert (lv >= -TOL).all() and (lv <= 30 + TOL).all()
    assert (g["thermal_storage_charge_mw"] <= 6 + TOL).all()
    assert (g["thermal_storage_discharge_mw"] <= 6 + TOL).all()
    prev = np.concatenate([[level], lv[:-1]])
    expect = (1 - loss) * prev + g["thermal_storage_charge_mw"] - g["thermal_storage_discharge_mw"]
    assert lv == pytest.approx(expect, abs=TOL)
    fuel, el, q = g["chp_fuel_mw"], g["chp_electric_mw"], g["chp_heat_mw"]
    on = g["chp_on"] > 0.5
    assert (fuel <= 20 * on + TOL).all() and (fuel >= 0.3 * 20 * on - TOL).all()
    c_v = 0.0 if back else 0.15
    assert el == pytest.approx(0.5 * fuel - c_v * q, abs=TOL)
    assert (el >= 1.0 * q - TOL).all()
    if back:
        assert el == pytest.approx(q, abs=TOL)
    assert (np.abs(np.concatenate([fuel, el, q])[np.tile(~on, 3)]) <= TOL).all()


def test_rolling_carries_the_store_and_the_chp_state() -> None:
    # two 12-h windows of 6 h committed: the store level and CHP state at each commit end
    # start the next window (the level path is continuous through the boundary)
    h = heat_portfolio(store_mwh=30, store_mw=6, loss=0.01, boiler_mw=10)
    p = replace(make_portfolio(grid_connection_mw=100), heat=h)
    n = 24
    rng = np.random.default_rng(3)
    inputs = HourlyInputs(
        time=pd.date_range("2019-01-01", periods=n, freq="h"),
        price_eur_per_mwh=rng.uniform(0, 120, n), wind_cf=np.zeros((1, n)),
        pv_cf=np.zeros((1, n)), hydrogen_demand_mw=np.zeros(n),
        heat_demand_mw=rng.uniform(0, 8, (1, n)), cop_heat_pump=np.full((1, n), 3.0),
        cop_waste_heat=np.full((1, n), 5.0),
    )
    opts = RollingOptions(horizon_h=12, commit_h=6, mip_gap=1e-6, import_policy="market")
    result = run_rolling(p, inputs, opts, start(p, 15.0))
    sch = result.schedule
    lv = sch["thermal_storage_mwh"][0]
    prev = np.concatenate([[15.0], lv[:-1]])
    expect = 0.99 * prev + sch["thermal_storage_charge_mw"][0] - (
        sch["thermal_storage_discharge_mw"][0])
    assert lv == pytest.approx(expect, abs=TOL)
    assert sch["thermal_storage_loss_mw"][0] == pytest.approx(0.01 * prev, abs=TOL)


def test_vpp_command_schedules_heat_and_compares_it(tmp_path: Path) -> None:
    # the one-site heat scenario: vpp runs (no refusal), its dataset has every heat
    # variable of dispatch.nc with the same units, the heat balance closes every hour and
    # the comparison has the heat rows for both schedules
    out = tmp_path / "vpp"
    assert main(["--quiet", "vpp", str(SCENARIOS / "single_site_heat.yaml"), "--days", "2",
                 "--out", str(out)]) == 0
    ds = xr.open_dataset(out / "dispatch.nc")
    rules = xr.open_dataset(out / "dispatch_rule_based.nc")
    for name, unit, _ in HEAT_VARIABLES.values():
        assert ds[name].dims == rules[name].dims == ("time", "site")
        assert ds[name].attrs["units"] == rules[name].attrs["units"] == unit
    one = ds.sel(site="boxberg")
    balance = (one.heat_from_waste_heat_mw + one.chp_heat_mw - one.heat_dumped_mw
               + one.heat_pump_heat_mw + one.electric_boiler_heat_mw + one.gas_boiler_heat_mw
               + one.thermal_storage_discharge_mw + one.unserved_heat_mw
               - one.heat_demand_mw - one.thermal_storage_charge_mw)
    assert float(np.abs(balance).max()) <= TOL
    assert ds.heat_demand_mw.values == pytest.approx(rules.heat_demand_mw.values, rel=1e-12)
    table = pd.read_csv(out / "comparison.csv", index_col="metric")
    for row in ("heat_served_mwh", "unserved_heat_mwh", "chp_electric_mwh", "chp_fuel_mwh",
                "heat_variable_cost_eur", "levelised_cost_of_heat_eur_per_mwh_th"):
        assert np.isfinite(table.loc[row, ["optimised", "rule_based"]].astype(float)).all()
    served = table.loc["heat_served_mwh", "optimised"] + table.loc["unserved_heat_mwh",
                                                                   "optimised"]
    assert served == pytest.approx(float(ds.heat_demand_mw.sum()), rel=1e-9)
