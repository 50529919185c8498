"""Rule-based fallback for windows the optimiser cannot schedule.

The committed hours of a failed window are dispatched by the project's numba
rules (:func:`nzv_energy.dispatch.simulate.dispatch_from_state`), started from
the rolling horizon's current state so storage stays continuous.  The rules read
the hours' grid intensity, so they apply ``operation.import_carbon_threshold_g_per_kwh``
there as everywhere else.
"""

from __future__ import annotations

import numpy as np

from nzv_energy.dispatch.parameters import (
    capacity_array,
    check_capacities,
    check_dispatch_parameters,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import dispatch_from_state
from nzv_energy.scenario import Scenario
from nzv_energy.system import SiteCapacities
from nzv_energy.vpp.model import SiteState
from nzv_energy.vpp.rolling import Fallback, HourlyInputs


class KernelFallback:
    """A :data:`~nzv_energy.vpp.rolling.Fallback` running the rule-based dispatch.

    Parameters
    ----------
    scenario
        Scenario whose operating rules apply.
    capacities
        Capacities per site.
    inputs
        Actual hourly inputs of the period scheduled.
    """

    def __init__(
        self, scenario: Scenario, capacities: dict[str, SiteCapacities], inputs: HourlyInputs
    ) -> None:
        sites = scenario.site_names
        self.cap = capacity_array(capacities, sites)
        check_capacities(self.cap, sites)
        par = dispatch_parameter_vector(scenario)
        check_dispatch_parameters(par)
        self.par = np.ascontiguousarray(par)
        self.inputs = inputs
        self._wind = np.ascontiguousarray(inputs.wind_cf.T, dtype=np.float64)
        self._pv = np.ascontiguousarray(inputs.pv_cf.T, dtype=np.float64)
        self._price = np.ascontiguousarray(inputs.price_eur_per_mwh, dtype=np.float64)
        self._demand = np.ascontiguousarray(inputs.hydrogen_demand_mw, dtype=np.float64)
        self._month = np.ascontiguousarray(inputs.time.month.to_numpy() - 1, dtype=np.int64)
        self._co2 = (
            None if inputs.grid_co2_g_per_kwh is None
            else np.ascontiguousarray(inputs.grid_co2_g_per_kwh, dtype=np.float64)
        )

    def __call__(self, start: int, stop: int, state: SiteState) -> dict[str, np.ndarray]:
        """Dispatch hours ``[start, stop)`` from ``state``; schedule arrays ``(n_sites, n)``."""
        schedule = dispatch_from_state(
            self._wind[start:stop], self._pv[start:stop], self._price[start:stop],
            self._demand[start:stop], self._month[start:stop], self.cap, self.par,
            battery_soc_mwh=np.asarray(state.battery_soc_mwh, dtype=np.float64),
            hydrogen_storage_mwh=np.asarray(state.hydrogen_storage_mwh, dtype=np.float64),
            electrolysis_on=np.asarray(state.electrolysis_on, dtype=np.float64),
            stack_hours=np.asarray(state.stack_hours, dtype=np.float64),
            grid_co2_g_per_kwh=None if self._co2 is None else self._co2[start:stop],
        )
        schedule["price_eur_per_mwh"] = self._price[start:stop].copy()
        return schedule


def kernel_fallback(
    scenario: Scenario, capacities: dict[str, SiteCapacities], inputs: HourlyInputs
) -> Fallback:
    """The rule-based fallback of a scenario (see :class:`KernelFallback`)."""
    return KernelFallback(scenario, capacities, inputs)
