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
from nzv_energy.dispatch.kpis import MARKET_VALUE_COLUMNS
from nzv_energy.dispatch.parameters import CAPACITY_NAMES, COST_INDEX, DISPATCH_INDEX
from nzv_energy.errors import ScenarioError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SiteCapacities, SystemInputs, build_inputs, fixed_capacities
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def inputs() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    scenario = scenario.model_copy(
        update={"weather": scenario.weather.model_copy(update={"years": (2018, 2019)})}
    )
    return build_inputs(scenario, SCENARIOS)


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
