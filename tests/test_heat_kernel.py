"""The heat rules of one site-hour (kernels/heat.py): hand cases, invariants, reference, JIT.

Hand cases derive every figure from the rules in docs/district_heat.md; the
property tests check the physical invariants over random capacities,
parameters and hours; the reference of tests/reference_heat.py is an
independent plain-Python reading of the same rules.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.kernels import heat as hk
from tests.reference_heat import Caps, Hour, Pars, reference_step

TOL = 1e-9


def vectors(c: Caps, p: Pars) -> tuple[np.ndarray, np.ndarray]:
    cap = np.zeros(hk.N_HEAT_CAP)
    cap[hk.HC_HEAT_PUMP_MW_TH] = c.heat_pump
    cap[hk.HC_BOOSTER_HEAT_PUMP_MW_TH] = c.booster
    cap[hk.HC_ELECTRIC_BOILER_MW_TH] = c.electric_boiler
    cap[hk.HC_CHP_MW_EL] = c.chp_el
    cap[hk.HC_GAS_BOILER_MW_TH] = c.gas_boiler
    cap[hk.HC_STORAGE_MWH] = c.store_mwh
    cap[hk.HC_STORAGE_MW] = c.store_mw
    par = np.zeros(hk.N_HEAT_PAR)
    par[hk.HP_RECOVERY_SHARE] = p.recovery_share
    par[hk.HP_RECOVERY_BOOSTER] = float(p.booster)
    par[hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] = float(p.hp_on_waste)
    par[hk.HP_ELECTRIC_BOILER_EFFICIENCY] = p.eb_eff
    par[hk.HP_CHP_ELECTRIC_EFFICIENCY] = p.chp_eta
    par[hk.HP_CHP_C_B] = p.c_b
    par[hk.HP_CHP_C_V] = p.c_v
    par[hk.HP_CHP_BACK_PRESSURE] = float(p.back_pressure)
    par[hk.HP_CHP_POWER_LED] = float(p.power_led)
    par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = p.chp_cost
    par[hk.HP_GAS_BOILER_EFFICIENCY] = p.gb_eff
    par[hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = p.loss
    par[hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] = p.max_heat_cost
    return cap, par


def step(h: Hour, level: float, c: Caps, p: Pars, fn=hk.heat_step) -> tuple[np.ndarray, float]:
    cap, par = vectors(c, p)
    out = np.zeros(hk.N_HEAT_OUT)
    end = fn(h.demand, h.ely, h.surplus, h.import_ok, h.import_room, h.price, h.cop,
             h.cop_waste, h.fuel_limit, h.outlet, level, cap, par, out)
    return out, end


# ---- hand cases -------------------------------------------------------------------------------


def test_direct_waste_heat_serves_demand_then_charges_the_store():
    # 20 % of 50 MW = 10 MW waste heat; 6 MW to the demand, 4 MW into the empty store
    out, level = step(Hour(demand=6.0, ely=50.0), 0.0, Caps(store_mwh=100.0, store_mw=20.0),
                      Pars(recovery_share=0.2))
    assert out[hk.HO_WASTE_HEAT_AVAILABLE_MW] == pytest.approx(10.0)
    assert out[hk.HO_HEAT_FROM_WASTE_HEAT_MW] == pytest.approx(10.0)
    assert out[hk.HO_STORAGE_CHARGE_MW] == pytest.approx(4.0)
    assert level == pytest.approx(4.0)
    assert out[hk.HO_UNSERVED_HEAT_MW] == 0.0


def test_booster_lifts_waste_heat_with_surplus_then_cheap_grid_power():
    # 4 MW waste heat, COP 5: 5 MW heat for 1 MW power (source 4 = 5 x (1 - 1/5));
    # 0.5 MW from the surplus, 0.5 MW bought (price 100 <= 40 EUR/MWh_th x COP 5 = 200)
    hour = Hour(demand=10.0, ely=20.0, surplus=0.5, import_ok=True, import_room=10.0,
                price=100.0, cop_waste=5.0)
    caps = Caps(booster=10.0, gas_boiler=3.0)
    pars = Pars(recovery_share=0.2, booster=True, max_heat_cost=40.0)
    out, _ = step(hour, 0.0, caps, pars)
    assert out[hk.HO_HEAT_FROM_WASTE_HEAT_MW] == pytest.approx(5.0)
    assert out[hk.HO_ELECTRICITY_FROM_SURPLUS_MW] == pytest.approx(0.5)
    assert out[hk.HO_ELECTRICITY_IMPORT_MW] == pytest.approx(0.5)
    assert out[hk.HO_GAS_BOILER_MW] == pytest.approx(3.0)
    assert out[hk.HO_UNSERVED_HEAT_MW] == pytest.approx(2.0)
    # price 250 > 200: only the surplus runs the booster: 0.5 MW x 5 = 2.5 MW heat, 2 MW source
    out, _ = step(Hour(**{**hour.__dict__, "price": 250.0}), 0.0, caps, pars)
    assert out[hk.HO_HEAT_FROM_WASTE_HEAT_MW] == pytest.approx(2.5)
    assert out[hk.HO_WASTE_HEAT_SOURCE_USED_MW] == pytest.approx(2.0)
    assert out[hk.HO_ELECTRICITY_IMPORT_MW] == 0.0
    assert out[hk.HO_UNSERVED_HEAT_MW] == pytest.approx(10.0 - 2.5 - 3.0)


def test_heat_led_extraction_chp_runs_on_its_back_pressure_line():
    # 100 MW_el, eta 0.5 -> fuel cap 200 MW; c_b 2, c_v 0.15: at most 0.5 x 200 / 2.15 MW_th.
    # 30 MW_th: power c_b x 30 = 60 MW, fuel (2 + 0.15) x 30 / 0.5 = 129 MW
    caps = Caps(chp_el=100.0, gas_boiler=50.0)
    pars = Pars(chp_eta=0.5, c_b=2.0, c_v=0.15)
    out, _ = step(Hour(demand=30.0), 0.0, caps, pars)
    assert out[hk.HO_CHP_HEAT_MW] == pytest.approx(30.0)
    assert out[hk.HO_CHP_ELECTRIC_MW] == pytest.approx(60.0)
    assert out[hk.HO_CHP_FUEL_MW] == pytest.approx(129.0)
    assert out[hk.HO_GAS_BOILER_MW] == 0.0
    # 80 MW_th: the CHP gives 100 / 2.15 = 46.51 MW_th, the peak boiler the rest
    out, _ = step(Hour(demand=80.0), 0.0, caps, pars)
    assert out[hk.HO_CHP_HEAT_MW] == pytest.approx(100.0 / 2.15)
    assert out[hk.HO_CHP_FUEL_MW] == pytest.approx(200.0)
    assert out[hk.HO_GAS_BOILER_MW] == pytest.approx(80.0 - 100.0 / 2.15)
    # power outlet 40 MW: heat 40 / c_b = 20 MW_th, fuel 2.15 x 20 / 0.5 = 86 MW
    out, _ = step(Hour(demand=30.0, outlet=40.0), 0.0, caps, pars)
    assert out[hk.HO_CHP_HEAT_MW] == pytest.approx(20.0)
    assert out[hk.HO_CHP_FUEL_MW] == pytest.approx(86.0)
    assert out[hk.HO_GAS_BOILER_MW] == pytest.approx(10.0)


def test_power_led_back_pressure_chp_stores_then_dumps_its_heat():
    # price 80 >= cost 60: full output, fuel 100 / 0.4 = 250 MW, heat 100 / c_b(1) = 100 MW_th;
    # 30 MW_th to the demand, 40 MW into the store (its power), 30 MW dumped
    caps = Caps(chp_el=100.0, store_mwh=50.0, store_mw=40.0)
    pars = Pars(chp_eta=0.4, c_b=1.0, back_pressure=True, power_led=True, chp_cost=60.0)
    out, level = step(Hour(demand=30.0, price=80.0), 0.0, caps, pars)
    assert out[hk.HO_CHP_FUEL_MW] == pytest.approx(250.0)
    assert out[hk.HO_CHP_HEAT_MW] == pytest.approx(100.0)
    assert out[hk.HO_STORAGE_CHARGE_MW] == pytest.approx(40.0)
    assert out[hk.HO_HEAT_DUMPED_MW] == pytest.approx(30.0)
    assert level == pytest.approx(40.0)
    # price 50 < 60: the CHP stays off, the demand is unserved (no other source)
    out, _ = step(Hour(demand=30.0, price=50.0), 0.0, caps, pars)
    assert out[hk.HO_CHP_FUEL_MW] == 0.0
    assert out[hk.HO_UNSERVED_HEAT_MW] == pytest.approx(30.0)


def test_store_loses_its_standing_loss_before_discharging():
    # 100 MWh x 1 %/h = 1 MWh lost; 10 MW discharged; 89 MWh left
    out, level = step(Hour(demand=10.0), 100.0, Caps(store_mwh=200.0, store_mw=20.0),
                      Pars(loss=0.01))
    assert out[hk.HO_STORAGE_LOSS_MW] == pytest.approx(1.0)
    assert out[hk.HO_STORAGE_DISCHARGE_MW] == pytest.approx(10.0)
    assert level == pytest.approx(89.0)


def test_electric_heat_on_surplus_then_grid_only_below_the_boiler_cost():
    # surplus 1 MW x COP 3 = 3 MW_th; grid: heat pump 90 <= 50 x 3 -> 3 more MW_th (6 MW cap);
    # electric boiler 90 > 50 x 0.99 -> not on grid power; 4 MW_th unserved
    hour = Hour(demand=10.0, surplus=1.0, import_ok=True, import_room=100.0, price=90.0, cop=3.0)
    out, _ = step(hour, 0.0, Caps(heat_pump=6.0, electric_boiler=10.0),
                  Pars(max_heat_cost=50.0))
    assert out[hk.HO_HEAT_PUMP_MW] == pytest.approx(6.0)
    assert out[hk.HO_ELECTRICITY_FROM_SURPLUS_MW] == pytest.approx(1.0)
    assert out[hk.HO_ELECTRICITY_IMPORT_MW] == pytest.approx(1.0)
    assert out[hk.HO_ELECTRIC_BOILER_MW] == 0.0
    assert out[hk.HO_UNSERVED_HEAT_MW] == pytest.approx(4.0)
    # import not allowed: only the surplus' 3 MW_th
    out, _ = step(Hour(**{**hour.__dict__, "import_ok": False}), 0.0,
                  Caps(heat_pump=6.0, electric_boiler=10.0), Pars(max_heat_cost=50.0))
    assert out[hk.HO_HEAT_PUMP_MW] == pytest.approx(3.0)
    assert out[hk.HO_ELECTRICITY_IMPORT_MW] == 0.0


def test_heat_pump_on_electrolyser_heat_is_bounded_by_the_waste_heat_left():
    # direct recovery: the demand of 20 MW takes all 4 MW of waste heat through the heat
    # exchanger, nothing is left as the heat pump's source, so it makes nothing
    caps = Caps(heat_pump=50.0)
    pars = Pars(recovery_share=0.2, hp_on_waste=True)
    out, _ = step(Hour(demand=20.0, ely=20.0, surplus=100.0, cop_waste=4.0), 0.0, caps, pars)
    assert out[hk.HO_HEAT_FROM_WASTE_HEAT_MW] == pytest.approx(4.0)
    assert out[hk.HO_HEAT_PUMP_MW] == 0.0
    # booster mode with no booster capacity: all 4 MW are source for the heat pump (COP 4):
    # heat 4 / (1 - 1/4) = 16/3 MW_th for 4/3 MW power
    pars = Pars(recovery_share=0.2, hp_on_waste=True, booster=True)
    out, _ = step(Hour(demand=20.0, ely=20.0, surplus=100.0, cop_waste=4.0), 0.0, caps, pars)
    assert out[hk.HO_HEAT_PUMP_MW] == pytest.approx(16.0 / 3.0)
    assert out[hk.HO_HEAT_PUMP_ELECTRICITY_MW] == pytest.approx(4.0 / 3.0)
    assert out[hk.HO_WASTE_HEAT_SOURCE_USED_MW] == pytest.approx(4.0)


# ---- random hours -----------------------------------------------------------------------------

finite = st.floats(0.0, 200.0, allow_nan=False)


@st.composite
def cases(draw):
    c = Caps(
        heat_pump=draw(finite), booster=draw(finite), electric_boiler=draw(finite),
        chp_el=draw(finite), gas_boiler=draw(finite), store_mwh=draw(st.floats(0.0, 1000.0)),
        store_mw=draw(finite),
    )
    p = Pars(
        recovery_share=draw(st.floats(0.0, 0.5)), booster=draw(st.booleans()),
        hp_on_waste=draw(st.booleans()), eb_eff=draw(st.floats(0.5, 1.0)),
        chp_eta=draw(st.floats(0.2, 0.6)), c_b=draw(st.floats(0.5, 3.0)),
        c_v=draw(st.floats(0.0, 0.3)), back_pressure=draw(st.booleans()),
        power_led=draw(st.booleans()), chp_cost=draw(st.floats(-50.0, 300.0)),
        gb_eff=draw(st.floats(0.8, 1.1)), loss=draw(st.floats(0.0, 0.01)),
        max_heat_cost=draw(st.floats(0.0, 200.0)),
    )
    h = Hour(
        demand=draw(finite), ely=draw(st.one_of(st.just(0.0), finite)), surplus=draw(finite),
        import_ok=draw(st.booleans()), import_room=draw(finite),
        price=draw(st.floats(-100.0, 500.0)), cop=draw(st.floats(1.0, 8.0)),
        cop_waste=draw(st.floats(1.01, 10.0)),
        fuel_limit=draw(st.one_of(st.just(math.inf), finite)),
        outlet=draw(st.one_of(st.just(math.inf), finite)),
    )
    level = draw(st.floats(0.0, 1.0)) * c.store_mwh
    return h, level, c, p


@settings(max_examples=400, deadline=None)
@given(cases())
def test_heat_balance_bounds_and_limits_hold_every_hour(case):
    h, level, c, p = case
    o, end = step(h, level, c, p)
    assert np.all(o >= -TOL)
    sources = (o[hk.HO_HEAT_FROM_WASTE_HEAT_MW] + o[hk.HO_HEAT_PUMP_MW]
               + o[hk.HO_ELECTRIC_BOILER_MW] + o[hk.HO_CHP_HEAT_MW] + o[hk.HO_GAS_BOILER_MW]
               + o[hk.HO_STORAGE_DISCHARGE_MW] + o[hk.HO_UNSERVED_HEAT_MW])
    sinks = h.demand + o[hk.HO_STORAGE_CHARGE_MW] + o[hk.HO_HEAT_DUMPED_MW]
    assert sources == pytest.approx(sinks, abs=TOL)
    # store: equation, bounds, power, never both directions
    assert end == pytest.approx(level - o[hk.HO_STORAGE_LOSS_MW] + o[hk.HO_STORAGE_CHARGE_MW]
                                - o[hk.HO_STORAGE_DISCHARGE_MW], abs=TOL)
    assert o[hk.HO_STORAGE_LOSS_MW] == pytest.approx(level * p.loss, abs=TOL)
    assert -TOL <= end <= c.store_mwh + TOL
    assert o[hk.HO_STORAGE_CHARGE_MW] <= c.store_mw + TOL
    assert o[hk.HO_STORAGE_DISCHARGE_MW] <= c.store_mw + TOL
    assert o[hk.HO_STORAGE_CHARGE_MW] == 0.0 or o[hk.HO_STORAGE_DISCHARGE_MW] == 0.0
    # electricity: what the heat sources use = surplus taken + imports, each within its limit
    used = (o[hk.HO_BOOSTER_ELECTRICITY_MW] + o[hk.HO_HEAT_PUMP_ELECTRICITY_MW]
            + o[hk.HO_ELECTRIC_BOILER_ELECTRICITY_MW])
    assert used == pytest.approx(o[hk.HO_ELECTRICITY_FROM_SURPLUS_MW]
                                 + o[hk.HO_ELECTRICITY_IMPORT_MW], abs=TOL)
    assert o[hk.HO_ELECTRICITY_FROM_SURPLUS_MW] <= h.surplus + TOL
    assert o[hk.HO_ELECTRICITY_IMPORT_MW] <= (h.import_room if h.import_ok else 0.0) + TOL
    # capacities and conversions
    assert o[hk.HO_HEAT_PUMP_MW] <= c.heat_pump + TOL
    assert o[hk.HO_ELECTRIC_BOILER_MW] <= c.electric_boiler + TOL
    assert o[hk.HO_ELECTRIC_BOILER_MW] == pytest.approx(
        p.eb_eff * o[hk.HO_ELECTRIC_BOILER_ELECTRICITY_MW], abs=TOL)
    assert o[hk.HO_GAS_BOILER_MW] <= c.gas_boiler + TOL
    assert o[hk.HO_GAS_BOILER_FUEL_MW] == pytest.approx(o[hk.HO_GAS_BOILER_MW] / p.gb_eff, abs=TOL)
    cop_hp = h.cop_waste if p.hp_on_waste else h.cop
    assert o[hk.HO_HEAT_PUMP_MW] == pytest.approx(cop_hp * o[hk.HO_HEAT_PUMP_ELECTRICITY_MW],
                                                  abs=1e-8)
    fuel, el, q = o[hk.HO_CHP_FUEL_MW], o[hk.HO_CHP_ELECTRIC_MW], o[hk.HO_CHP_HEAT_MW]
    assert fuel <= min(c.chp_el / p.chp_eta, h.fuel_limit) + TOL
    assert el <= c.chp_el + TOL and el <= h.outlet + TOL
    if p.back_pressure:
        assert el == pytest.approx(p.chp_eta * fuel, abs=1e-8)
        assert q == pytest.approx(el / p.c_b, abs=1e-8)
    else:
        assert el == pytest.approx(p.chp_eta * fuel - p.c_v * q, abs=1e-8)
        assert q <= el / p.c_b + 1e-8
    # waste heat: none from a stopped electrolyser, never more than recoverable
    if h.ely == 0.0:
        assert o[hk.HO_WASTE_HEAT_AVAILABLE_MW] == 0.0
        assert o[hk.HO_HEAT_FROM_WASTE_HEAT_MW] == 0.0
        assert o[hk.HO_WASTE_HEAT_SOURCE_USED_MW] == 0.0
        if p.hp_on_waste:
            assert o[hk.HO_HEAT_PUMP_MW] == 0.0
    assert o[hk.HO_WASTE_HEAT_SOURCE_USED_MW] <= o[hk.HO_WASTE_HEAT_AVAILABLE_MW] + TOL
    if p.booster:
        assert o[hk.HO_HEAT_FROM_WASTE_HEAT_MW] <= c.booster + TOL
    # merit order: heat is unserved only with the peak boiler at its limit
    if o[hk.HO_UNSERVED_HEAT_MW] > TOL:
        assert o[hk.HO_GAS_BOILER_MW] == pytest.approx(c.gas_boiler, abs=TOL)
        assert o[hk.HO_STORAGE_CHARGE_MW] == 0.0


@settings(max_examples=400, deadline=None)
@given(cases())
def test_kernel_matches_the_plain_python_reference(case):
    h, level, c, p = case
    o, end = step(h, level, c, p)
    r = reference_step(h, level, c, p)
    expected = {
        hk.HO_WASTE_HEAT_AVAILABLE_MW: r.waste_available,
        hk.HO_HEAT_FROM_WASTE_HEAT_MW: r.waste_heat,
        hk.HO_HEAT_PUMP_MW: r.heat_pump,
        hk.HO_ELECTRIC_BOILER_MW: r.electric_boiler,
        hk.HO_CHP_HEAT_MW: r.chp_heat,
        hk.HO_CHP_ELECTRIC_MW: r.chp_el,
        hk.HO_CHP_FUEL_MW: r.chp_fuel,
        hk.HO_GAS_BOILER_MW: r.gas_boiler,
        hk.HO_GAS_BOILER_FUEL_MW: r.gas_boiler_fuel,
        hk.HO_STORAGE_CHARGE_MW: r.charge,
        hk.HO_STORAGE_DISCHARGE_MW: r.discharge,
        hk.HO_STORAGE_LOSS_MW: r.loss,
        hk.HO_UNSERVED_HEAT_MW: r.unserved,
        hk.HO_HEAT_DUMPED_MW: r.dumped,
        hk.HO_ELECTRICITY_FROM_SURPLUS_MW: r.from_surplus,
        hk.HO_ELECTRICITY_IMPORT_MW: r.imported,
        hk.HO_BOOSTER_ELECTRICITY_MW: r.booster_el,
        hk.HO_HEAT_PUMP_ELECTRICITY_MW: r.hp_el,
        hk.HO_ELECTRIC_BOILER_ELECTRICITY_MW: r.eb_el,
        hk.HO_WASTE_HEAT_SOURCE_USED_MW: r.waste_source_used,
    }
    for row, value in expected.items():
        assert o[row] == pytest.approx(value, abs=1e-8), row
    assert end == pytest.approx(r.level, abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_compiled_year_equals_the_uncompiled_step(case, n, seed):
    _, level, c, p = case
    rng = np.random.default_rng(seed)
    cap, par = vectors(c, p)
    arrays = [
        rng.uniform(0, 100, n), rng.uniform(0, 100, n) * (rng.random(n) > 0.3),
        rng.uniform(0, 50, n), (rng.random(n) > 0.5).astype(float), rng.uniform(0, 50, n),
        rng.uniform(-50, 300, n), rng.uniform(1, 6, n), rng.uniform(1.5, 9, n),
        np.full(n, np.inf), rng.uniform(0, 200, n),
    ]
    out = np.zeros((hk.N_HEAT_OUT, n))
    end = hk.heat_year(*arrays, level, cap, par, out)
    # uncompiled: the Python function behind the compiled step, hour by hour
    py_out = np.zeros((hk.N_HEAT_OUT, n))
    row = np.zeros(hk.N_HEAT_OUT)
    py_level = level
    for t in range(n):
        py_level = hk.heat_step.py_func(
            arrays[0][t], arrays[1][t], arrays[2][t], arrays[3][t] > 0.5, arrays[4][t],
            arrays[5][t], arrays[6][t], arrays[7][t], arrays[8][t], arrays[9][t], py_level,
            cap, par, row)
        py_out[:, t] = row
    np.testing.assert_allclose(out, py_out, rtol=0, atol=1e-12)
    assert end == pytest.approx(py_level, abs=1e-12)
