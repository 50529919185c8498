"""Rule-based fallback for windows the optimiser cannot schedule.

The committed hours of a failed window are dispatched by the project's numba
rule kernel (:func:`nzv_energy.kernels.dispatch.dispatch_pass`), started from
the rolling horizon's current state so storage stays continuous.
"""

from __future__ import annotations

import numpy as np

from nzv_energy.dispatch.parameters import (
    DISPATCH_INDEX,
    capacity_array,
    check_capacities,
    check_dispatch_parameters,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import SITE_OUTPUTS, SYSTEM_OUTPUTS
from nzv_energy.kernels import dispatch as K  # noqa: N812 - the kernel's own alias
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

    def __call__(self, start: int, stop: int, state: SiteState) -> dict[str, np.ndarray]:
        """Dispatch hours ``[start, stop)`` from ``state``; schedule arrays ``(n_sites, n)``."""
        n_h, n_s = stop - start, self.cap.shape[0]
        kstate = np.zeros((n_s, K.N_STATE))
        kstate[:, K.S_BATTERY_SOC_MWH] = state.battery_soc_mwh
        kstate[:, K.S_HYDROGEN_STORAGE_MWH] = state.hydrogen_storage_mwh
        kstate[:, K.S_ELECTROLYSIS_ON] = np.asarray(state.electrolysis_on, float)
        kstate[:, K.S_STACK_HOURS] = state.stack_hours
        out = np.zeros((K.N_OUT, n_h, n_s))
        sys_out = np.zeros((K.N_SYS_OUT, n_h))
        monthly = self.par[DISPATCH_INDEX["rfnbo_monthly"]] > 0.5
        K.dispatch_pass(
            self._wind[start:stop], self._pv[start:stop], self._price[start:stop],
            self._demand[start:stop], self._month[start:stop], self.cap, self.par, kstate,
            out, sys_out, np.zeros((n_s, K.N_SUM)), np.zeros(K.N_SYS_SUM),
            np.zeros((n_s, K.N_MONTHS, K.N_MONTH_ACC)),
            np.zeros((n_h if monthly else 0, n_s)), True,
        )
        schedule = {name: out[row].T.copy() for row, name in SITE_OUTPUTS.items()}
        schedule.update({name: sys_out[row].copy() for row, name in SYSTEM_OUTPUTS.items()})
        schedule["price_eur_per_mwh"] = self._price[start:stop].copy()
        return schedule


def kernel_fallback(
    scenario: Scenario, capacities: dict[str, SiteCapacities], inputs: HourlyInputs
) -> Fallback:
    """The rule-based fallback of a scenario (see :class:`KernelFallback`)."""
    return KernelFallback(scenario, capacities, inputs)
