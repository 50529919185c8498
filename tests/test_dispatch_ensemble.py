"""Batched ensembles: every member equals a single simulation of the same inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nzv_energy.dispatch import (
    KPI_COLUMNS,
    capacity_array,
    compute_kpis,
    cost_parameter_vector,
    dispatch_parameter_vector,
    run_ensemble,
    simulate,
)
from nzv_energy.dispatch.ensemble import (
    heat_member_kpis,
    heat_member_rows,
    scenario_heat_economics,
)
from nzv_energy.dispatch.heat import HeatArrays, heat_arrays
from nzv_energy.dispatch.kpis import MARKET_VALUE_COLUMNS
from nzv_energy.dispatch.parameters import CAPACITY_NAMES, COST_INDEX, DISPATCH_INDEX
from nzv_energy.dispatch.simulate import hourly_arrays, run_year
from nzv_energy.errors import ScenarioError
from nzv_energy.heat.kpis import HEAT_SOURCES, site_heat_kpis
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import heat as hk
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities
from tests.conftest import shipped_inputs


@pytest.fixture(scope="module")
def inputs() -> SystemInputs:
    return shipped_inputs("lausitz_2030_fixed", (2018, 2019))


def members(inputs: SystemInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    base = capacity_array(fixed_capacities(inputs.scenario), inputs.site_names)
    scales = np.array([1.0, 0.5, 1.5, 1.0])
    cap = np.stack([base * s for s in scales])
    cap[:, :, CAPACITY_NAMES.index("grid_connection_mw")] = base[:, 8]
    year = np.array([0, 1, 1, 0])
    par = np.stack([dispatch_parameter_vector(inputs.scenario)] * 4)
    par[3, DISPATCH_INDEX["grid_import"]] = 1.0
    par[3, DISPATCH_INDEX["import_price_threshold_eur_per_mwh"]] = 35.0
    par[3, DISPATCH_INDEX["import_carbon_threshold_g_per_kwh"]] = 450.0
    par[2, DISPATCH_INDEX["demand_scale"]] = 1.8
    cost = np.stack([cost_parameter_vector(inputs.scenario)] * 4)
    cost[1, COST_INDEX["discount_rate"]] = 0.03
    return cap, year, par, cost


@pytest.mark.parametrize("backend", ["prange", "threads", "serial"])
def test_members_equal_single_simulations(inputs: SystemInputs, backend: str) -> None:
    cap, year, par, cost = members(inputs)
    result = run_ensemble(
        inputs, cap, year_index=year, dispatch_params=par, cost_params=cost, backend=backend,
        n_threads=2,
    )
    assert result.hourly is None
    assert result.site_sums.shape == (4, 3, kd.N_SUM)
    for i in range(4):
        caps = {
            site: SiteCapacities(**dict(zip(CAPACITY_NAMES, map(float, cap[i, s]), strict=True)))
            for s, site in enumerate(inputs.site_names)
        }
        one_year = inputs.select_year(inputs.years[year[i]])
        ds = simulate(one_year, caps, dispatch_params=par[i])
        expected = compute_kpis(ds, one_year, caps, cost_params=cost[i])
        # the price-weighted electrolyser input needs hourly series: NaN from totals; the
        # carbon columns come from the kernel's emission totals and must agree
        cols = [c for c in KPI_COLUMNS if c not in MARKET_VALUE_COLUMNS]
        expected = expected[cols]
        got = result.kpis.loc[[i], cols]
        assert result.kpis.loc[i, "weather_year"] == inputs.years[year[i]]
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    # members differ where their inputs differ
    lcoh = result.kpis["system_net_cost_per_kg_h2_eur_per_kg"]
    assert len(set(np.round(lcoh, 6))) == 4


def test_keep_hourly_returns_the_single_run_datasets(inputs: SystemInputs) -> None:
    cap, year, par, _ = members(inputs)
    result = run_ensemble(inputs, cap[:2], year_index=year[:2], dispatch_params=par[:2],
                          keep_hourly=True)
    assert result.hourly is not None and len(result.hourly) == 2
    for i, ds in enumerate(result.hourly):
        caps = {
            site: SiteCapacities(**dict(zip(CAPACITY_NAMES, map(float, cap[i, s]), strict=True)))
            for s, site in enumerate(inputs.site_names)
        }
        single = simulate(inputs.select_year(inputs.years[year[i]]), caps, dispatch_params=par[i])
        assert ds.sizes["time"] == single.sizes["time"]
        for name in single.data_vars:
            np.testing.assert_array_equal(ds[name].values, single[name].values, err_msg=name)


def test_shared_capacities_broadcast_to_all_members(inputs: SystemInputs) -> None:
    base = capacity_array(fixed_capacities(inputs.scenario), inputs.site_names)
    result = run_ensemble(inputs, base, year_index=np.array([0, 1, 0]), backend="serial")
    k = result.kpis
    assert len(k) == 3
    pd.testing.assert_series_equal(k.loc[0], k.loc[2], check_names=False)
    # another weather year: other generation
    assert k.loc[0, "renewable_generation_mwh"] != k.loc[1, "renewable_generation_mwh"]


def test_bad_members_are_rejected_with_their_position(inputs: SystemInputs) -> None:
    cap, year, par, _ = members(inputs)
    bad = cap.copy()
    bad[2, 1, CAPACITY_NAMES.index("battery_mwh")] = np.nan
    with pytest.raises(ScenarioError, match=r"member 2: sites\.schwarze_pumpe\.battery_mwh"):
        run_ensemble(inputs, bad, year_index=year)
    with pytest.raises(ScenarioError, match="year_index"):
        run_ensemble(inputs, cap, year_index=np.array([0, 1, 2, 0]))
    with pytest.raises(ScenarioError, match="one member count"):
        run_ensemble(inputs, cap, year_index=np.array([0, 1]))
    bad_par = par.copy()
    bad_par[1, DISPATCH_INDEX["electrolysis_efficiency"]] = 1.5
    with pytest.raises(ScenarioError, match=r"\[1\]\.electrolysis_efficiency"):
        run_ensemble(inputs, cap, year_index=year, dispatch_params=bad_par)


@pytest.fixture(scope="module")
def heat_inputs() -> SystemInputs:
    return shipped_inputs("single_site_heat", (2018, 2019))


def heat_members(inputs: SystemInputs) -> tuple[np.ndarray, ...]:
    """Four members: the base, no heat pump, a double heat pump and half the store, the base
    without waste heat and no store, on both weather years."""
    heat = heat_arrays(inputs.scenario, inputs.time, inputs.site_names)
    assert heat is not None
    cap = np.stack([capacity_array(fixed_capacities(inputs.scenario), inputs.site_names)] * 4)
    cap[2, :, CAPACITY_NAMES.index("electrolysis_mw")] *= 0.5
    hcap = np.stack([heat.cap] * 4)
    hcap[1, :, hk.HC_HEAT_PUMP_MW_TH] = 0.0
    hcap[2, :, hk.HC_HEAT_PUMP_MW_TH] *= 2.0
    hcap[2, :, hk.HC_STORAGE_MWH] *= 0.5
    hcap[3, :, hk.HC_STORAGE_MWH] = 0.0
    hpar = np.stack([heat.par] * 4)
    hpar[3, :, hk.HP_RECOVERY_SHARE] = 0.0
    year = np.array([1, 0, 1, 0])
    return cap, hcap, hpar, year


@pytest.mark.parametrize("backend", ["threads", "serial"])
def test_heat_members_equal_single_runs_with_heat(heat_inputs: SystemInputs, backend: str) -> None:
    """Each member with heat gives the totals of a single kernel run of its own year, capacities
    and heat assets (the path of ``simulate``), to 1e-12."""
    heat = heat_arrays(heat_inputs.scenario, heat_inputs.time, heat_inputs.site_names)
    assert heat is not None
    cap, hcap, hpar, year = heat_members(heat_inputs)
    par = dispatch_parameter_vector(heat_inputs.scenario)
    ens = run_ensemble(heat_inputs, cap, year_index=year, heat_capacities=hcap, heat_params=hpar,
                       backend=backend)
    assert ens.heat_sums is not None and ens.heat_tot is not None
    arrays = hourly_arrays(heat_inputs)
    for i in range(4):
        one = HeatArrays(heat.heat_in, hcap[i], hpar[i], heat.site)
        run = run_year(arrays, int(year[i]), cap[i], par, one)
        for got, expected in ((ens.site_sums[i], run.sums), (ens.sys_sums[i], run.sys_sums),
                              (ens.heat_sums[i], run.heat_sums), (ens.heat_tot[i], run.heat_tot),
                              (ens.end_state[i], run.end_state)):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * max(
                1.0, float(np.abs(expected).max())))
        # heat served = the sum of the sources (the store net of its losses), every member
        row = ens.kpis.iloc[i]
        sources = sum(row[f"heat_from_{s}_mwh"] for s in HEAT_SOURCES)
        assert sources == pytest.approx(row["heat_served_mwh"], rel=1e-9)
        assert row["heat_demand_mwh"] == pytest.approx(
            float(heat.heat_in[arrays.year_start[year[i]]:arrays.year_start[year[i] + 1],
                               kd.HI_HEAT_DEMAND_MW].sum()), rel=1e-12)
    # the members differ where their heat assets differ
    assert ens.kpis.loc[1, "heat_from_heat_pump_mwh"] == 0.0
    assert ens.kpis.loc[3, "heat_from_waste_heat_mwh"] == 0.0
    assert ens.kpis.loc[0, "heat_from_waste_heat_mwh"] > 0.0


def test_heat_member_kpis_equal_simulate(heat_inputs: SystemInputs) -> None:
    """The base member's heat KPIs equal those of ``simulate``'s dataset (one weather year each)
    and its hourly dataset holds the same heat variables."""
    ds = simulate(heat_inputs)
    econ = scenario_heat_economics(heat_inputs.scenario)
    table = site_heat_kpis(ds, econ, grid_g_per_kwh=heat_inputs.grid_carbon_g_per_kwh)
    cap = capacity_array(fixed_capacities(heat_inputs.scenario), heat_inputs.site_names)
    ens = run_ensemble(heat_inputs, np.stack([cap, cap]), year_index=np.array([0, 1]),
                       keep_hourly=True, backend="serial")
    assert ens.hourly is not None
    for i, year in enumerate((2018, 2019)):
        expected = heat_member_kpis(table.xs(year, level="weather_year"))
        for name, value in expected.items():
            assert ens.kpis.loc[i, name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
        one = ds.sel(time=str(year))
        for name in ("heat_pump_heat_mw", "heat_from_waste_heat_mw", "thermal_storage_mwh",
                     "unserved_heat_mw"):
            np.testing.assert_array_equal(ens.hourly[i][name].values, one[name].values)


def test_heat_member_rows_equal_the_scenario_heat_arrays(heat_inputs: SystemInputs) -> None:
    heat = heat_arrays(heat_inputs.scenario, heat_inputs.time, heat_inputs.site_names)
    assert heat is not None
    cap, par, site = heat_member_rows(heat_inputs.scenario, heat_inputs.site_names)
    np.testing.assert_array_equal(cap, heat.cap)
    np.testing.assert_array_equal(par, heat.par)
    np.testing.assert_array_equal(site, heat.site)
