"""District heat inside the dispatch loop (rule 9): balances, reference, no-heat identity, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nzv_energy.cli import main
from nzv_energy.dispatch.checks import assert_invariants
from nzv_energy.dispatch.ensemble import heat_member_kpis, scenario_heat_economics
from nzv_energy.dispatch.heat import HeatArrays, heat_arrays
from nzv_energy.dispatch.parameters import (
    CAPACITY_NAMES,
    DISPATCH_INDEX,
    DISPATCH_PARAMETER_NAMES,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import simulate, simulate_arrays
from nzv_energy.heat.kpis import site_heat_kpis
from nzv_energy.heat.networks import read_networks
from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import heat as hk
from nzv_energy.scenario_file import load_scenario, scenario_to_yaml
from nzv_energy.sweep.command import execute
from nzv_energy.system import build_inputs, fixed_capacities
from tests.conftest import SCENARIOS
from tests.reference_dispatch import SiteHeatRef, reference_simulate_year
from tests.reference_heat import Caps, Pars
from tests.test_dispatch_invariants import cases

HEAT_SCENARIO = SCENARIOS / "single_site_heat.yaml"
power = st.one_of(st.just(0.0), st.floats(0.5, 500.0))


def no_heat(n_h: int, n_s: int) -> HeatArrays:
    """Heat on, but no demand and no heat assets at any site."""
    heat_in = np.zeros((n_h, kd.N_HEAT_IN, n_s))
    heat_in[:, kd.HI_COP_HEAT_PUMP] = 3.0
    heat_in[:, kd.HI_COP_WASTE_HEAT] = 5.0
    par = np.zeros((n_s, hk.N_HEAT_PAR))
    par[:, [hk.HP_CHP_C_B, hk.HP_ELECTRIC_BOILER_EFFICIENCY, hk.HP_GAS_BOILER_EFFICIENCY]] = 1.0
    return HeatArrays(heat_in, np.zeros((n_s, hk.N_HEAT_CAP)), par, np.zeros((n_s, kd.N_HEAT_SITE)))


@st.composite
def heat_for(draw: st.DrawFn, n_h: int, n_s: int) -> HeatArrays:
    """Random heat demand, COPs, assets and rules for every site."""
    heat_in = np.empty((n_h, kd.N_HEAT_IN, n_s))
    heat_in[:, kd.HI_HEAT_DEMAND_MW] = draw(
        arrays(np.float64, (n_h, n_s), elements=st.floats(0.0, 300.0)))
    heat_in[:, kd.HI_COP_HEAT_PUMP] = draw(
        arrays(np.float64, (n_h, n_s), elements=st.floats(1.0, 6.0)))
    heat_in[:, kd.HI_COP_WASTE_HEAT] = draw(
        arrays(np.float64, (n_h, n_s), elements=st.floats(1.5, 10.0)))
    cap = np.array([[draw(power) for _ in range(hk.N_HEAT_CAP)] for _ in range(n_s)])
    par = np.zeros((n_s, hk.N_HEAT_PAR))
    site = np.zeros((n_s, kd.N_HEAT_SITE))
    for s in range(n_s):
        share = draw(st.floats(0.0, 0.3))
        par[s, hk.HP_RECOVERY_SHARE] = share
        par[s, hk.HP_RECOVERY_BOOSTER] = float(draw(st.booleans()))
        par[s, hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] = float(share > 0 and draw(st.booleans()))
        par[s, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = draw(st.floats(0.9, 1.0))
        par[s, hk.HP_CHP_ELECTRIC_EFFICIENCY] = draw(st.floats(0.3, 0.6))
        par[s, hk.HP_CHP_C_B] = draw(st.floats(0.5, 1.5))
        par[s, hk.HP_CHP_C_V] = draw(st.floats(0.0, 0.2))
        par[s, hk.HP_CHP_BACK_PRESSURE] = float(draw(st.booleans()))
        par[s, hk.HP_CHP_POWER_LED] = float(draw(st.booleans()))
        par[s, hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = draw(
            st.one_of(st.just(math.inf), st.floats(0.0, 300.0)))
        par[s, hk.HP_GAS_BOILER_EFFICIENCY] = draw(st.floats(0.8, 1.05))
        par[s, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = draw(st.floats(0.0, 0.01))
        par[s, hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] = draw(st.floats(0.0, 200.0))
        site[s, kd.HS_CHP_HYDROGEN_FUEL] = float(draw(st.booleans()))
        site[s, kd.HS_INITIAL_STORAGE_FRACTION] = draw(st.floats(0.0, 1.0))
    return HeatArrays(heat_in, cap, par, site)


@st.composite
def heat_cases(draw: st.DrawFn) -> tuple[tuple[np.ndarray, ...], HeatArrays]:
    case = draw(cases())
    n_h, n_s = case[0].shape
    return case, draw(heat_for(n_h, n_s))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(heat_cases())
def test_every_hour_balances_with_heat_on(drawn: tuple[tuple[np.ndarray, ...], HeatArrays]) -> None:
    (wind, pv, price, demand, grid_co2, cap, par), heat = drawn
    ds, run = simulate_arrays(wind, pv, price, demand, cap, par, grid_co2_g_per_kwh=grid_co2,
                              heat=heat)
    # electricity (with CHP power and power for heat), hydrogen (with CHP hydrogen), heat
    # balance and store dynamics, every hour and site, to 1e-9
    assert_invariants(ds, cap, par, tol=1e-9)
    # the thermal store within its capacity and power
    level = ds["thermal_storage_mwh"].values
    assert (level >= -1e-9).all()
    assert (level <= heat.cap[:, hk.HC_STORAGE_MWH] * (1 + 1e-12) + 1e-9).all()
    for flow in ("thermal_storage_charge_mw", "thermal_storage_discharge_mw"):
        assert (ds[flow].values <= heat.cap[:, hk.HC_STORAGE_MW] + 1e-9).all()
    # heat imports only where grid power may be bought, and within the connection
    dirty = grid_co2 > par[DISPATCH_INDEX["import_carbon_threshold_g_per_kwh"]]
    if par[DISPATCH_INDEX["grid_import"]] < 0.5:
        dirty[:] = True
    assert (ds["heat_electricity_import_mw"].values[dirty] == 0.0).all()
    # the totals are the sums of the hours
    for row, (name, _, _) in HEAT_VARIABLES.items():
        if row != hk.HO_STORAGE_MWH:
            np.testing.assert_allclose(run.heat_sums[:, row], ds[name].values.sum(axis=0),
                                       rtol=1e-9, atol=1e-9, err_msg=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_heat_without_demand_or_assets_changes_nothing(case: tuple[np.ndarray, ...]) -> None:
    """Heat switched on with zero demand and no assets gives bit-identical results."""
    wind, pv, price, demand, grid_co2, cap, par = case
    n_h, n_s = wind.shape
    plain, run0 = simulate_arrays(wind, pv, price, demand, cap, par, grid_co2_g_per_kwh=grid_co2)
    heated, run1 = simulate_arrays(wind, pv, price, demand, cap, par, grid_co2_g_per_kwh=grid_co2,
                                   heat=no_heat(n_h, n_s))
    for a, b in ((run0.out, run1.out), (run0.sys_out, run1.sys_out), (run0.sums, run1.sums),
                 (run0.sys_sums, run1.sys_sums), (run0.start_state, run1.start_state),
                 (run0.end_state, run1.end_state)):
        np.testing.assert_array_equal(a, b)
    assert set(heated.data_vars) - set(plain.data_vars) == {v[0] for v in HEAT_VARIABLES.values()}
    assert not any(float(np.abs(heated[v[0]]).max()) for v in HEAT_VARIABLES.values())


def _reference_heat(heat: HeatArrays) -> list[SiteHeatRef]:
    out = []
    for s in range(heat.cap.shape[0]):
        c, p = heat.cap[s], heat.par[s]
        out.append(SiteHeatRef(
            caps=Caps(heat_pump=c[hk.HC_HEAT_PUMP_MW_TH], booster=c[hk.HC_BOOSTER_HEAT_PUMP_MW_TH],
                      electric_boiler=c[hk.HC_ELECTRIC_BOILER_MW_TH], chp_el=c[hk.HC_CHP_MW_EL],
                      gas_boiler=c[hk.HC_GAS_BOILER_MW_TH], store_mwh=c[hk.HC_STORAGE_MWH],
                      store_mw=c[hk.HC_STORAGE_MW]),
            pars=Pars(recovery_share=p[hk.HP_RECOVERY_SHARE],
                      booster=p[hk.HP_RECOVERY_BOOSTER] > 0.5,
                      hp_on_waste=p[hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] > 0.5,
                      eb_eff=p[hk.HP_ELECTRIC_BOILER_EFFICIENCY],
                      chp_eta=p[hk.HP_CHP_ELECTRIC_EFFICIENCY], c_b=p[hk.HP_CHP_C_B],
                      c_v=p[hk.HP_CHP_C_V], back_pressure=p[hk.HP_CHP_BACK_PRESSURE] > 0.5,
                      power_led=p[hk.HP_CHP_POWER_LED] > 0.5,
                      chp_cost=p[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL],
                      gb_eff=p[hk.HP_GAS_BOILER_EFFICIENCY],
                      loss=p[hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR],
                      max_heat_cost=p[hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH]),
            demand=heat.heat_in[:, kd.HI_HEAT_DEMAND_MW, s].tolist(),
            cop=heat.heat_in[:, kd.HI_COP_HEAT_PUMP, s].tolist(),
            cop_waste=heat.heat_in[:, kd.HI_COP_WASTE_HEAT, s].tolist(),
            hydrogen_chp=heat.site[s, kd.HS_CHP_HYDROGEN_FUEL] > 0.5,
            initial_fraction=heat.site[s, kd.HS_INITIAL_STORAGE_FRACTION],
        ))
    return out


REFERENCE_HEAT = {  # kernel row -> attribute of tests.reference_heat.Result
    hk.HO_HEAT_FROM_WASTE_HEAT_MW: "waste_heat", hk.HO_HEAT_PUMP_MW: "heat_pump",
    hk.HO_ELECTRIC_BOILER_MW: "electric_boiler", hk.HO_CHP_HEAT_MW: "chp_heat",
    hk.HO_CHP_ELECTRIC_MW: "chp_el", hk.HO_CHP_FUEL_MW: "chp_fuel",
    hk.HO_GAS_BOILER_MW: "gas_boiler", hk.HO_STORAGE_CHARGE_MW: "charge",
    hk.HO_STORAGE_DISCHARGE_MW: "discharge", hk.HO_STORAGE_MWH: "level",
    hk.HO_UNSERVED_HEAT_MW: "unserved", hk.HO_ELECTRICITY_IMPORT_MW: "imported",
    hk.HO_ELECTRICITY_FROM_SURPLUS_MW: "from_surplus",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(heat_cases())
def test_kernel_with_heat_equals_reference(
    drawn: tuple[tuple[np.ndarray, ...], HeatArrays],
) -> None:
    (wind, pv, price, demand, grid_co2, cap, par), heat = drawn
    ds, _ = simulate_arrays(wind, pv, price, demand, cap, par, grid_co2_g_per_kwh=grid_co2,
                            heat=heat)
    month = ds["time"].dt.month.values - 1
    caps = [dict(zip(CAPACITY_NAMES, map(float, row), strict=True)) for row in cap]
    p = dict(zip(DISPATCH_PARAMETER_NAMES, map(float, par), strict=True))
    ref = reference_simulate_year(wind, pv, price, demand, grid_co2, month, caps, p,
                                  _reference_heat(heat))
    scale = max(1.0, float(np.max(cap)), float(np.max(heat.cap)), float(np.max(demand)))
    for name in ("grid_import_mw", "grid_export_mw", "curtailment_mw", "local_demand_mw",
                 "hydrogen_storage_mwh", "pipeline_flow_mw", "rfnbo_hydrogen_mw"):
        np.testing.assert_allclose(ds[name].values, ref.array(name), rtol=1e-9,
                                   atol=1e-9 * scale, err_msg=name)
    for row, attr in REFERENCE_HEAT.items():
        name = HEAT_VARIABLES[row][0]
        expected = [[getattr(r, attr) for r in hour] for hour in ref.heat]
        np.testing.assert_allclose(ds[name].values, expected, rtol=1e-9, atol=1e-9 * scale,
                                   err_msg=name)


def _one_site(wind_mw: float, load_mw: float, grid_mw: float, grid_import: bool) -> tuple:
    cap = np.zeros((1, kd.N_CAP))
    cap[0, kd.C_WIND_MW] = wind_mw
    cap[0, kd.C_LOCAL_DEMAND_MW] = load_mw
    cap[0, kd.C_GRID_CONNECTION_MW] = grid_mw
    par = dispatch_parameter_vector(load_scenario(SCENARIOS / "single_site_quick.yaml"))
    par[DISPATCH_INDEX["grid_import"]] = float(grid_import)
    par[DISPATCH_INDEX["cyclic"]] = 0.0
    one = np.ones((1, 1))
    return one, np.zeros((1, 1)), np.array([40.0]), np.zeros(1), cap, par


def test_power_for_heat_comes_out_of_the_export() -> None:
    """Hand case: 100 MW wind exported; a 20 MW_th heat pump at COP 4 and a 10 MW_th
    electric boiler (efficiency 0.99) take 5 + 10/0.99 MW of it for 30 MW_th."""
    wind, pv, price, demand, cap, par = _one_site(100.0, 0.0, 100.0, False)
    heat = no_heat(1, 1)
    heat.heat_in[0, kd.HI_HEAT_DEMAND_MW, 0] = 30.0
    heat.heat_in[0, kd.HI_COP_HEAT_PUMP, 0] = 4.0
    heat.cap[0, hk.HC_HEAT_PUMP_MW_TH] = 20.0
    heat.cap[0, hk.HC_ELECTRIC_BOILER_MW_TH] = 10.0
    heat.par[0, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 0.99
    ds, _ = simulate_arrays(wind, pv, price, demand, cap, par, heat=heat)
    one = ds.isel(time=0, site=0)
    assert float(one["heat_pump_heat_mw"]) == pytest.approx(20.0, abs=1e-12)
    assert float(one["electric_boiler_heat_mw"]) == pytest.approx(10.0, abs=1e-12)
    assert float(one["grid_export_mw"]) == pytest.approx(100.0 - 5.0 - 10.0 / 0.99, abs=1e-12)
    assert float(one["curtailment_mw"]) == 0.0


@pytest.mark.parametrize(("heat_mw", "export_mw"), [(20.0, 0.0), (40.0, 10.0)])
def test_chp_power_serves_the_sites_load_then_export(heat_mw: float, export_mw: float) -> None:
    """Hand case: no generation, 10 MW load, no grid import (10 MW unserved). A heat-led
    CHP on its back-pressure line (c_b 0.5) makes 0.5 MW_el per MW_th: 20 MW_th serve the
    load, 40 MW_th serve it and export 10 MW."""
    wind, pv, price, demand, cap, par = _one_site(0.0, 10.0, 100.0, False)
    heat = no_heat(1, 1)
    heat.heat_in[0, kd.HI_HEAT_DEMAND_MW, 0] = heat_mw
    heat.cap[0, hk.HC_CHP_MW_EL] = 50.0
    heat.par[0, hk.HP_CHP_ELECTRIC_EFFICIENCY] = 0.4
    heat.par[0, hk.HP_CHP_C_B] = 0.5
    ds, run = simulate_arrays(wind, pv, price, demand, cap, par, heat=heat)
    one = ds.isel(time=0, site=0)
    assert float(one["chp_heat_mw"]) == pytest.approx(heat_mw)
    assert float(one["chp_electric_mw"]) == pytest.approx(0.5 * heat_mw)
    assert float(one["chp_fuel_mw"]) == pytest.approx(0.5 * heat_mw / 0.4)
    assert float(one["local_demand_mw"]) == pytest.approx(10.0)
    assert run.sums[0, kd.K_UNSERVED_ELECTRICITY_MWH] == pytest.approx(0.0, abs=1e-12)
    assert float(one["grid_export_mw"]) == pytest.approx(export_mw, abs=1e-12)
    assert run.heat_tot[0, kd.HT_NATURAL_GAS_MWH] == pytest.approx(0.5 * heat_mw / 0.4)


@pytest.fixture(scope="module")
def heat_run() -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
    scenario = load_scenario(HEAT_SCENARIO)
    inputs = build_inputs(scenario, SCENARIOS)
    caps = fixed_capacities(scenario)
    ds = simulate(inputs, caps)
    cap = np.array([[getattr(caps[s], n) for n in CAPACITY_NAMES] for s in inputs.site_names])
    return ds, cap, dispatch_parameter_vector(scenario)


def test_heat_scenario_year_balances_and_meets_the_network_demand(
    heat_run: tuple[xr.Dataset, np.ndarray, np.ndarray],
) -> None:
    ds, cap, par = heat_run
    assert_invariants(ds, cap, par, tol=1e-9)
    # the Weißwasser network's annual heat from the network table (one weather year)
    annual = float(read_networks().loc["weisswasser", "annual_heat_mwh"])
    assert float(ds["heat_demand_mw"].sum()) == pytest.approx(annual, rel=1e-9)
    for row, (name, unit, meaning) in HEAT_VARIABLES.items():
        assert ds[name].dims == ("time", "site")
        assert ds[name].attrs == {"units": unit, "long_name": meaning}, row
    assert "test reference year" in ds.attrs["heat_temperature_source"]
    # the waste heat, the heat pump and the store all take part
    for name in ("heat_from_waste_heat_mw", "heat_pump_heat_mw", "thermal_storage_charge_mw"):
        assert float(ds[name].sum()) > 0, name


def test_scenario_without_heat_loads_as_before() -> None:
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    assert scenario.heat is None
    assert "heat" not in scenario_to_yaml(scenario)
    assert heat_arrays(scenario, build_inputs(scenario, SCENARIOS).time, ("boxberg",)) is None


def test_sweep_over_a_heat_scenario_gives_each_members_heat_kpis(tmp_path: Path) -> None:
    """A sweep over the heat scenario runs (varying a heat capacity), and each member's heat
    KPIs equal those of ``simulate`` on the scenario file with the member's value written in
    (an independent path: scenario file -> simulate -> hourly dataset -> heat KPIs)."""
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"name: s\nbase: {HEAT_SCENARIO}\nparameters:\n"
                     "  heat.boxberg.heat_pump.heat_mw_th: [0, 12]\n", encoding="utf-8")
    out = tmp_path / "out"
    execute(sweep, out=out, serial=True, show_progress=False)  # the sweep command, no Dask
    with xr.open_dataset(out / "kpis.nc") as kpis:
        dim = "heat_boxberg_heat_pump_heat_mw_th"
        assert int(kpis.attrs["n_failed"]) == 0
        text = HEAT_SCENARIO.read_text(encoding="utf-8")
        assert "heat_pump: {heat_mw_th: 5," in text
        for value in (0, 12):
            member = tmp_path / f"member_{value}.yaml"
            member.write_text(text.replace("heat_pump: {heat_mw_th: 5,",
                                           f"heat_pump: {{heat_mw_th: {value},"), encoding="utf-8")
            scenario = load_scenario(member)
            inputs = build_inputs(scenario, SCENARIOS)
            table = site_heat_kpis(simulate(inputs), scenario_heat_economics(scenario),
                                   grid_g_per_kwh=inputs.grid_carbon_g_per_kwh)
            expected = heat_member_kpis(table.xs(2019, level="weather_year"))
            got = kpis.sel({dim: float(value), "weather_year": 2019})
            for name, v in expected.items():
                assert float(got[name]) == pytest.approx(v, rel=1e-9, abs=1e-9), (value, name)
        served = kpis["heat_served_mwh"].values
        assert served == pytest.approx(float(read_networks().loc["weisswasser", "annual_heat_mwh"]))
        pump = kpis["heat_from_heat_pump_mwh"].sel({dim: 0.0})
        assert float(pump.max()) == 0.0


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("fuel: natural_gas", "fuel: coal", "heat.boxberg.chp.fuel"),
        ("networks: [weisswasser]", "networks: [cottbus]", "heat.boxberg.networks[0]"),
        ("electric_boiler:", "electric_boilr:", "heat.boxberg.electric_boilr"),
        ("heat_mw_th: 5,", "heat_mw_th: -5,", "heat.boxberg.heat_pump.heat_mw_th"),
    ],
)
def test_bad_heat_values_exit_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, field: str
) -> None:
    text = HEAT_SCENARIO.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: {field}: got" in err
    assert "Traceback" not in err
