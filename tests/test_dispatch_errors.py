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
