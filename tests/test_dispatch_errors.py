"""Bad arrays and parameters are refused before the kernels run, naming what is wrong."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nzv_energy.dispatch import dispatch_parameter_vector, simulate
from nzv_energy.dispatch.parameters import DISPATCH_INDEX
from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SiteCapacities, SystemInputs, build_inputs, fixed_capacities
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def quick() -> SystemInputs:
    return build_inputs(load_scenario(SCENARIOS / "single_site_quick.yaml"), SCENARIOS)


def test_nan_capacity_factor_is_named_with_site_and_time(quick: SystemInputs) -> None:
    wind = quick.wind_cf.copy()
    wind[0, 5] = np.nan
    bad = dataclasses.replace(quick, wind_cf=wind)
    with pytest.raises(InputDataError, match=r"wind_cf\[site 0\] at 2019-01-01 05:00"):
        simulate(bad)


def test_capacity_factor_above_one_and_negative_demand_are_refused(quick: SystemInputs) -> None:
    pv = quick.pv_cf.copy()
    pv[0, 12] = 1.2
    with pytest.raises(InputDataError, match=r"pv_cf.*\[0.0, 1.0\]"):
        simulate(dataclasses.replace(quick, pv_cf=pv))
    demand = quick.hydrogen_demand_mw.copy()
    demand[3] = -1.0
    with pytest.raises(InputDataError, match="hydrogen_demand_mw at 2019-01-01 03:00"):
        simulate(dataclasses.replace(quick, hydrogen_demand_mw=demand))


def test_wrong_shapes_are_refused(quick: SystemInputs) -> None:
    with pytest.raises(InputDataError, match="price_eur_per_mwh"):
        simulate(dataclasses.replace(quick, price_eur_per_mwh=quick.price_eur_per_mwh[:-1]))


def test_negative_capacity_and_missing_site_are_named(quick: SystemInputs) -> None:
    caps = fixed_capacities(quick.scenario)
    bad = {k: dataclasses.replace(v, battery_mwh=-5.0) for k, v in caps.items()}
    with pytest.raises(ScenarioError, match=r"sites\.boxberg\.battery_mwh: got -5\.0"):
        simulate(quick, bad)
    other: dict[str, SiteCapacities] = {"jaenschwalde": caps["boxberg"]}
    with pytest.raises(ScenarioError, match="capacities for site 'boxberg'"):
        simulate(quick, other)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("electrolysis_efficiency", 0.0, r"electrolysis_efficiency: got 0\.0"),
        ("battery_charge_efficiency", np.nan, "battery_charge_efficiency: got nan"),
        ("electrolysis_part_load_efficiency", 0.99, "hydrogen output must rise with load"),
        ("degradation_fraction_per_1000h", 0.05, "degradation x lifetime"),
    ],
)
def test_impossible_parameters_are_refused(
    quick: SystemInputs, name: str, value: float, message: str
) -> None:
    par = dispatch_parameter_vector(quick.scenario)
    par[DISPATCH_INDEX[name]] = value
    if name == "electrolysis_part_load_efficiency":
        # a part-load point at 90 % load with 0.99 efficiency would make more hydrogen than
        # the rated point: output would fall between the two
        par[DISPATCH_INDEX["electrolysis_part_load_point_fraction"]] = 0.9
    with pytest.raises(ScenarioError, match=message):
        simulate(quick, dispatch_params=par)


# --- one validator for every kernel entry point: a 1-based month or a NaN exits 2 ------------

def _stretch(quick: SystemInputs, hours: int = 48) -> dict[str, np.ndarray]:
    """The first hours of the quick scenario in kernel layout (hours first)."""
    from nzv_energy.dispatch.parameters import capacity_array

    return {
        "wind_cf": np.ascontiguousarray(quick.wind_cf[:, :hours].T).copy(),
        "pv_cf": np.ascontiguousarray(quick.pv_cf[:, :hours].T).copy(),
        "price_eur_per_mwh": quick.price_eur_per_mwh[:hours].copy(),
        "hydrogen_demand_mw": quick.hydrogen_demand_mw[:hours].copy(),
        "month": (quick.time.month.to_numpy()[:hours] - 1).astype(np.int64),
        "cap": capacity_array(fixed_capacities(quick.scenario), quick.site_names),
        "par": dispatch_parameter_vector(quick.scenario),
    }


def _from_state(a: dict[str, np.ndarray], **state: np.ndarray) -> dict[str, np.ndarray]:
    from nzv_energy.dispatch.simulate import dispatch_from_state

    n_s = a["cap"].shape[0]
    start = {"battery_soc_mwh": np.zeros(n_s), "hydrogen_storage_mwh": np.zeros(n_s),
             "electrolysis_on": np.zeros(n_s), "stack_hours": np.zeros(n_s), **state}
    return dispatch_from_state(
        a["wind_cf"], a["pv_cf"], a["price_eur_per_mwh"], a["hydrogen_demand_mw"], a["month"],
        a["cap"], a["par"], start["battery_soc_mwh"], start["hydrogen_storage_mwh"],
        start["electrolysis_on"], start["stack_hours"],
    )


def _simulate_arrays(a: dict[str, np.ndarray], time=None):
    from nzv_energy.dispatch.simulate import simulate_arrays

    return simulate_arrays(a["wind_cf"], a["pv_cf"], a["price_eur_per_mwh"],
                           a["hydrogen_demand_mw"], a["cap"], a["par"], time=time)


def _ensemble(quick: SystemInputs, **change: np.ndarray):
    from nzv_energy.dispatch import run_ensemble
    from nzv_energy.dispatch.simulate import hourly_arrays

    arrays = dataclasses.replace(hourly_arrays(quick), **change)
    cap = _stretch(quick)["cap"]
    return run_ensemble(quick, cap, arrays=arrays, backend="serial")


def test_dispatch_from_state_refuses_a_one_based_month(quick: SystemInputs) -> None:
    a = _stretch(quick)
    a["month"] = a["month"] + 1  # January = 1 ... December = 12 would index past month 11
    a["month"][-1] = 12
    message = r"month at hour 47: got 12; a calendar month 0\.\.11"
    with pytest.raises(InputDataError, match=message) as err:
        _from_state(a)
    assert err.value.exit_code == 2


def test_dispatch_from_state_refuses_nan_in_series_and_state(quick: SystemInputs) -> None:
    a = _stretch(quick)
    a["price_eur_per_mwh"][7] = np.nan
    with pytest.raises(InputDataError, match=r"price_eur_per_mwh at hour 7: got nan") as err:
        _from_state(a)
    assert err.value.exit_code == 2
    a = _stretch(quick)
    with pytest.raises(InputDataError, match=r"start state: site 0 hydrogen_storage_mwh"):
        _from_state(a, hydrogen_storage_mwh=np.array([np.nan]))
    with pytest.raises(InputDataError, match=r"start state: site 0 electrolysis_on: got 0\.5"):
        _from_state(a, electrolysis_on=np.array([0.5]))
    store = a["cap"][0, 7]  # more hydrogen than the store holds
    with pytest.raises(InputDataError, match=r"start state: site 0 hydrogen_storage_mwh"):
        _from_state(a, hydrogen_storage_mwh=np.array([2 * store + 1.0]))


def test_simulate_arrays_refuses_nan(quick: SystemInputs) -> None:
    a = _stretch(quick)
    a["wind_cf"][3, 0] = np.nan
    with pytest.raises(InputDataError, match=r"wind_cf\[site 0\] at 2019-01-01 03:00") as err:
        _simulate_arrays(a)
    assert err.value.exit_code == 2


def test_ensemble_with_caller_arrays_refuses_a_one_based_month_and_nan(
    quick: SystemInputs,
) -> None:
    from nzv_energy.dispatch.simulate import hourly_arrays

    arrays = hourly_arrays(quick)
    with pytest.raises(InputDataError, match=r"month at hour 0: got 12") as err:
        _ensemble(quick, month=np.where(arrays.month == 0, 12, arrays.month))
    assert err.value.exit_code == 2
    demand = arrays.hydrogen_demand_mw.copy()
    demand[100] = np.nan
    with pytest.raises(InputDataError, match=r"hydrogen_demand_mw at hour 100: got nan"):
        _ensemble(quick, hydrogen_demand_mw=demand)
    with pytest.raises(InputDataError, match="year_start"):
        _ensemble(quick, year_start=np.array([0, 10], dtype=np.int64))


def test_single_run_refuses_nan_price(quick: SystemInputs) -> None:
    price = quick.price_eur_per_mwh.copy()
    price[30] = np.nan
    with pytest.raises(InputDataError, match=r"price_eur_per_mwh at 2019-01-02 06:00") as err:
        simulate(dataclasses.replace(quick, price_eur_per_mwh=price))
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    "name", ["gas_backup_hydrogen_fuel", "rfnbo_co2_price_threshold_eur_per_mwh", "cyclic"]
)
def test_every_parameter_is_checked_for_nan(quick: SystemInputs, name: str) -> None:
    par = dispatch_parameter_vector(quick.scenario)
    par[DISPATCH_INDEX[name]] = np.nan
    with pytest.raises(ScenarioError, match=rf"\[0\]\.{name}: got nan"):
        simulate(quick, dispatch_params=par)
