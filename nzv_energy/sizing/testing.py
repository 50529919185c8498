"""Helpers for tests of the optimiser: small inputs cut from the real ones, closed-form profiles.

Tests use the shipped inputs; these helpers only cut them to a few hours or
replace the profiles with constants so the optimum can be derived by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import deep_merge, scenario_from_mapping
from nzv_energy.system import SystemInputs


def sliced_inputs(inputs: SystemInputs, hours: int, start: int = 0) -> SystemInputs:
    """The first ``hours`` hours (from ``start``) of the first weather year."""
    one = inputs.select_year(inputs.years[0])
    sl = slice(start, start + hours)
    return dataclasses.replace(
        one,
        time=one.time[sl],
        wind_cf=np.ascontiguousarray(one.wind_cf[:, sl]),
        pv_cf=np.ascontiguousarray(one.pv_cf[:, sl]),
        price_eur_per_mwh=np.ascontiguousarray(one.price_eur_per_mwh[sl]),
        hydrogen_demand_mw=np.ascontiguousarray(one.hydrogen_demand_mw[sl]),
    )


def with_profiles(
    inputs: SystemInputs,
    *,
    wind_cf: object | None = None,
    pv_cf: object | None = None,
    price_eur_per_mwh: object | None = None,
    hydrogen_demand_mw: object | None = None,
) -> SystemInputs:
    """The same inputs with some hourly series replaced (scalars broadcast to every hour).

    Capacity factors may be given per site as an array ``(n_sites, n_hours)`` or
    ``(n_sites, 1)``.
    """
    n_s, n_t = inputs.wind_cf.shape
    update: dict[str, Any] = {}
    for name, value, shape in (
        ("wind_cf", wind_cf, (n_s, n_t)),
        ("pv_cf", pv_cf, (n_s, n_t)),
        ("price_eur_per_mwh", price_eur_per_mwh, (n_t,)),
        ("hydrogen_demand_mw", hydrogen_demand_mw, (n_t,)),
    ):
        if value is not None:
            arr = np.asarray(value, dtype=np.float64)
            update[name] = np.ascontiguousarray(np.broadcast_to(arr, shape)).copy()
    return dataclasses.replace(inputs, **update)


def scenario_with(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with a nested mapping of overrides merged in."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return scenario_from_mapping(deep_merge(data, overrides))


def for_scenario(inputs: SystemInputs, scenario: Scenario) -> SystemInputs:
    """The same hourly inputs attached to another scenario with the same sites.

    The demand series is rescaled to the scenario's ``hydrogen.demand.mean_mw``.
    """
    if tuple(scenario.sites) != inputs.site_names:
        raise ValueError("the scenario has other sites than the inputs")
    old = inputs.scenario.hydrogen.demand.mean_mw
    new = scenario.hydrogen.demand.mean_mw
    demand = inputs.hydrogen_demand_mw * (new / old) if old > 0 else np.full_like(
        inputs.hydrogen_demand_mw, new)
    return dataclasses.replace(inputs, scenario=scenario, hydrogen_demand_mw=demand)
