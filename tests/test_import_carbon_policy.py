"""Grid import only in hours at or below a carbon-intensity threshold: rules, ensemble and LP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from nzv_energy.dispatch import capacity_array, compute_kpis, run_ensemble, simulate
from nzv_energy.dispatch.parameters import DISPATCH_INDEX, dispatch_parameter_vector
from nzv_energy.dispatch.simulate import hourly_arrays
from nzv_energy.errors import ScenarioError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities
from tests.conftest import SCENARIOS
from tests.test_grid_carbon import _grid_scenario, _hand_intensity_2019

#: g CO2e/kWh: between the 2019 German mix's low and high hours (mean 333)
THRESHOLD = 330.0
LP_HOURS = 168


def _with_threshold(sc, threshold):
    return sc.model_copy(update={"operation": sc.operation.model_copy(
        update={"import_carbon_threshold_g_per_kwh": threshold})})


@pytest.fixture(scope="module")
def grid_2019() -> tuple[SystemInputs, SystemInputs]:
    """single_site_quick 2019 buying at or below 40 EUR/MWh, without and with the threshold."""
    free = build_inputs(_grid_scenario(local_demand_mw=5.0, gas_backup_mw=10.0), SCENARIOS)
    limited = dataclasses.replace(free, scenario=_with_threshold(free.scenario, THRESHOLD))
    return free, limited


def test_rules_import_nothing_in_hours_above_the_threshold(grid_2019) -> None:
    free, limited = grid_2019
    ds = simulate(limited)
    free_ds = simulate(free)
    # the intensity recomputed from the shipped generation mix and factor table
    ci = _hand_intensity_2019().reindex(pd.DatetimeIndex(ds["time"].values)).to_numpy()
    dirty = ci > THRESHOLD
    imports = ds["grid_import_mw"].sum("site").to_numpy()
    free_imports = free_ds["grid_import_mw"].sum("site").to_numpy()
    assert dirty.any() and (~dirty).any()
    assert (imports[dirty] == 0.0).all()
    assert imports[~dirty].sum() > 0  # clean, cheap hours still buy
    assert free_imports[dirty].sum() > 0  # and the threshold binds: without it they buy
    # emissions: every import hour is at or below the threshold
    kpis = compute_kpis(ds, limited)
    emitted = float((imports * ci).sum()) / 1000.0
    assert kpis.loc[2019, "grid_import_co2_t"] == pytest.approx(emitted, rel=1e-9)
    assert emitted <= THRESHOLD / 1000.0 * float(imports.sum()) + 1e-9


def test_without_grid_import_a_threshold_changes_nothing() -> None:
    # the shipped default scenario buys no grid power, so a threshold has nothing to block:
    # the hourly results and every KPI are identical, with zero import emissions
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    assert not scenario.operation.grid_import
    inputs = build_inputs(scenario, SCENARIOS)
    ds = simulate(inputs)
    limited = dataclasses.replace(inputs, scenario=_with_threshold(scenario, 0.0))
    ds_limited = simulate(limited)
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, ds_limited[name].values, err_msg=name)
    kpis = compute_kpis(ds, inputs)
    pd.testing.assert_frame_equal(kpis, compute_kpis(ds_limited, limited))
    assert (kpis["grid_import_mwh"] == 0).all()
    assert (kpis["grid_import_co2_t"] == 0).all()


def test_ensemble_members_apply_their_own_threshold(grid_2019) -> None:
    free, _ = grid_2019
    cap = capacity_array(fixed_capacities(free.scenario), free.site_names)
    par = np.stack([dispatch_parameter_vector(free.scenario)] * 2)
    par[1, DISPATCH_INDEX["import_carbon_threshold_g_per_kwh"]] = THRESHOLD
    ens = run_ensemble(free, np.stack([cap, cap]), dispatch_params=par, keep_hourly=True,
                       backend="serial")
    assert ens.hourly is not None
    ci = _hand_intensity_2019().reindex(pd.DatetimeIndex(ens.hourly[1]["time"].values))
    dirty = ci.to_numpy() > THRESHOLD
    assert (ens.hourly[1]["grid_import_mw"].sum("site").to_numpy()[dirty] == 0).all()
    assert (ens.hourly[0]["grid_import_mw"].sum("site").to_numpy()[dirty] > 0).any()
    # the kernel's emission totals: imports x hourly intensity of the member's own dispatch
    for i in range(2):
        imports = ens.hourly[i]["grid_import_mw"].sum("site").to_numpy()
        expected = float((imports * ci.to_numpy()).sum()) / 1000.0
        assert ens.kpis.loc[i, "grid_import_co2_t"] == pytest.approx(expected, rel=1e-9)


def test_grid_import_in_hours_without_an_intensity_is_refused(grid_2019) -> None:
    free, _ = grid_2019
    arrays = hourly_arrays(free)
    unknown = arrays.grid_co2_g_per_kwh.copy()
    unknown[100] = np.inf
    cap = capacity_array(fixed_capacities(free.scenario), free.site_names)
    with pytest.raises(ScenarioError, match=r"economics\.grid_carbon_intensity"):
        run_ensemble(free, cap, arrays=dataclasses.replace(arrays, grid_co2_g_per_kwh=unknown),
                     backend="serial")


@pytest.fixture(scope="module")
def lp_case():
    from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs

    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    update = {"operation": {"grid_import": True, "import_price_threshold_eur_per_mwh": 60.0},
              "optimisation": {"mode": "exact"}}
    free_sc = scenario_with(scenario, update)
    # March: mixed wind, sun and cheap hours
    inputs = sliced_inputs(build_inputs(scenario), LP_HOURS, start=24 * 60)
    assert inputs.grid_carbon_g_per_kwh is not None
    ci = inputs.grid_carbon_g_per_kwh.reindex(inputs.time).to_numpy()
    threshold = float(np.median(ci))  # blocks the dirtier half of the week
    sc = _with_threshold(free_sc, threshold)
    return free_sc, sc, for_scenario(inputs, sc), threshold


def _imports(result) -> np.ndarray:
    return result.dataset["grid_import_mw"].sum("site").to_numpy()


def test_lp_policy_same_optimum_in_both_engines_and_no_import_above(lp_case) -> None:
    from nzv_energy.sizing import optimise
    from nzv_energy.sizing.testing import for_scenario

    free_sc, sc, inputs, threshold = lp_case
    direct = optimise(sc, inputs, mode="exact", engine="direct")
    ref = optimise(sc, inputs, mode="exact", engine="pypsa")
    assert direct.objective_eur_per_year == pytest.approx(ref.objective_eur_per_year, rel=1e-6)
    ci = inputs.grid_carbon_g_per_kwh.reindex(
        pd.DatetimeIndex(direct.dataset["time"].values)).to_numpy()
    dirty = ci > threshold
    for result in (direct, ref):
        assert np.abs(_imports(result)[dirty]).max() <= 1e-6
    free = optimise(free_sc, for_scenario(inputs, free_sc), mode="exact", engine="direct")
    # the free optimum buys in some dirty hour, so the policy binds and cannot be cheaper
    assert _imports(free)[dirty].max() > 1.0
    assert direct.objective_eur_per_year >= free.objective_eur_per_year * (1 - 1e-9)
    assert direct.objective_eur_per_year > free.objective_eur_per_year


def test_fast_mode_segments_never_mix_hours_on_both_sides(lp_case) -> None:
    from nzv_energy.sizing.aggregation import segment

    _, _, inputs, threshold = lp_case
    clean = inputs.grid_carbon_g_per_kwh.reindex(inputs.time).to_numpy() <= threshold
    seg = segment(inputs, segment_hours=6)
    hour_segment = seg.segment_of_hour()
    for k in range(len(seg.starts)):
        sides = set(clean[hour_segment == k].tolist())
        assert len(sides) == 1, f"segment {k} mixes hours on both sides of the threshold"
    assert len(seg.starts) < len(inputs.time)  # hours were merged
