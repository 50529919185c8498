"""Firm capacity in operation: the firm commitment as a rule of the dispatch kernels.

Definitions: ``docs/security_of_supply.md`` ("Rules view").  With ``firm_mw`` = C
the kernel (:func:`nzv_energy.kernels.dispatch.firm_top_up`, rule 8 of
``docs/dispatch.md``) tops the net export of all sites up to C every hour after the
hydrogen rules; what it cannot reach is the hour's shortfall.  Here:

* :func:`rules_shortfall`: hours and energy short of a commitment per weather year;
* :func:`rules_firm_capacity`: the rules' firm capacity per weather year, the largest
  C with zero hours short, by bisection on C with the kernel (1 MW tolerance).

Each evaluation is one kernel run per weather year without hourly outputs (about a
millisecond per system-year), so a bisection of ~15 steps costs well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nzv_energy.dispatch.parameters import (
    capacity_array,
    check_capacities,
    check_dispatch_parameters,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import HourlyArrays, check_grid_carbon, hourly_arrays
from nzv_energy.kernels import dispatch as kd
from nzv_energy.system import SiteCapacities, SystemInputs, fixed_capacities

#: Bisection tolerance of the rules' firm capacity, MW.
FIRM_TOLERANCE_MW = 1.0


@dataclass(frozen=True)
class RulesShortfall:
    """Hours and energy short of a commitment under the dispatch rules, per weather year.

    Attributes
    ----------
    commitment_mw
        The commitment C, MW.
    energy_short_mwh
        Energy below C per year (EENS of the rules), MWh.
    hours_short_h
        Hours with a shortfall per year (LOLE of the rules), h.
    """

    commitment_mw: float
    energy_short_mwh: np.ndarray
    hours_short_h: np.ndarray


def _year_totals(
    arrays: HourlyArrays, cap: np.ndarray, par: np.ndarray, commitment_mw: float
) -> np.ndarray:
    """System totals ``(n_years, N_SYS_SUM)`` of every weather year with commitment C."""
    p = par.copy()
    p[kd.P_FIRM_MW] = commitment_mw
    n_s = cap.shape[0]
    totals = np.zeros((len(arrays.years), kd.N_SYS_SUM))
    for y in range(len(arrays.years)):
        a, b = int(arrays.year_start[y]), int(arrays.year_start[y + 1])
        kd.simulate_year(
            arrays.kernel_hourly(a, b), cap, p, np.zeros((n_s, kd.N_SUM)), totals[y],
            np.zeros((n_s, kd.N_STATE)), np.zeros((n_s, kd.N_STATE)), None, None, None,
            kd.pass_options(p),
        )
    return totals


def _prepare(
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None,
    dispatch_params: np.ndarray | None,
) -> tuple[HourlyArrays, np.ndarray, np.ndarray]:
    sites = inputs.site_names
    cap = capacity_array(capacities if capacities is not None
                         else fixed_capacities(inputs.scenario), sites)
    check_capacities(cap, sites)
    par = (dispatch_parameter_vector(inputs.scenario) if dispatch_params is None
           else np.array(dispatch_params, dtype=np.float64))
    check_dispatch_parameters(par)
    arrays = hourly_arrays(inputs)
    check_grid_carbon(arrays, par)
    return arrays, np.ascontiguousarray(cap), np.ascontiguousarray(par)


def rules_shortfall(
    inputs: SystemInputs,
    commitment_mw: float,
    capacities: Mapping[str, SiteCapacities] | None = None,
    *,
    dispatch_params: np.ndarray | None = None,
) -> RulesShortfall:
    """Hours and energy short of a commitment under the dispatch rules, per weather year.

    Parameters
    ----------
    inputs
        Hourly inputs (:func:`nzv_energy.system.build_inputs`).
    commitment_mw
        The commitment C, MW (> 0); replaces ``security.firm_mw`` of the scenario.
    capacities
        Capacities per site; ``None``: the scenario's fixed capacities.
    dispatch_params
        Rule parameters; ``None``: from the scenario.

    Returns
    -------
    RulesShortfall
    """
    arrays, cap, par = _prepare(inputs, capacities, dispatch_params)
    totals = _year_totals(arrays, cap, par, float(commitment_mw))
    return RulesShortfall(
        float(commitment_mw), totals[:, kd.Z_FIRM_SHORTFALL_MWH].copy(),
        totals[:, kd.Z_FIRM_HOURS_SHORT].copy(),
    )


def firm_capacity_of_arrays(
    arrays: HourlyArrays, cap: np.ndarray, par: np.ndarray,
    tolerance_mw: float = FIRM_TOLERANCE_MW,
) -> np.ndarray:
    """Rules' firm capacity per weather year of checked kernel arrays.

    See :func:`rules_firm_capacity`; ``cap`` and ``par`` must be contiguous float64.
    """
    upper = float(cap[:, kd.C_GRID_CONNECTION_MW].sum())  # net export never exceeds it
    result = np.zeros(len(arrays.years))
    for y, year in enumerate(arrays.years):
        part = HourlyArrays(
            arrays.wind_cf, arrays.pv_cf, arrays.price_eur_per_mwh, arrays.hydrogen_demand_mw,
            arrays.month, arrays.year_start[y:y + 2], (year,), arrays.grid_co2_g_per_kwh,
        )

        def met(c_mw: float, part: HourlyArrays = part) -> bool:
            return bool(_year_totals(part, cap, par, c_mw)[0, kd.Z_FIRM_HOURS_SHORT] == 0.0)

        lo, hi = 0.0, upper
        if upper > 0.0 and met(upper):
            result[y] = upper
            continue
        # lo: met in every hour (0 trivially), hi: missed in at least one hour
        while hi - lo > tolerance_mw:
            mid = 0.5 * (lo + hi)
            if met(mid):
                lo = mid
            else:
                hi = mid
        result[y] = lo
    return result


def rules_firm_capacity(
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None = None,
    *,
    dispatch_params: np.ndarray | None = None,
    tolerance_mw: float = FIRM_TOLERANCE_MW,
) -> np.ndarray:
    """The rules' firm capacity per weather year: the largest commitment met in every hour.

    Bisection on C between 0 and the sum of the grid connections (no net export can
    exceed it): each step runs the kernel on the year with commitment C.  The value
    returned was checked to have zero hours short and lies within ``tolerance_mw`` of a
    commitment that has some.  (The rules do not guarantee that every smaller
    commitment is met too; the bisection assumes it, and each returned value is
    itself verified.)

    Parameters
    ----------
    inputs
        Hourly inputs.
    capacities
        Capacities per site; ``None``: the scenario's fixed capacities.
    dispatch_params
        Rule parameters; ``None``: from the scenario (its ``firm_mw`` is replaced).
    tolerance_mw
        Width of the final bracket, MW.

    Returns
    -------
    numpy.ndarray
        ``(n_years,)`` firm capacity of the rules, MW.
    """
    arrays, cap, par = _prepare(inputs, capacities, dispatch_params)
    return firm_capacity_of_arrays(arrays, cap, par, tolerance_mw)


def curve_with_rules(
    curve: pd.DataFrame,
    inputs: SystemInputs,
    capacities: Mapping[str, SiteCapacities] | None = None,
) -> pd.DataFrame:
    """The capacity-credit curve (LP bound) with the rules' hours and energy short beside it.

    Parameters
    ----------
    curve
        :func:`~nzv_energy.security.firm.capacity_credit_curve`: index ``(weather_year,
        commitment_mw)``.
    inputs, capacities
        As for :func:`rules_shortfall`.

    Returns
    -------
    pandas.DataFrame
        ``curve`` with columns ``energy_short_rules_mwh`` and ``hours_short_rules_h``.
    """
    arrays, cap, par = _prepare(inputs, capacities, None)
    position = {year: y for y, year in enumerate(arrays.years)}
    cache: dict[float, np.ndarray] = {}
    energy, hours = [], []
    for year, c_mw in curve.index:
        c_mw = float(c_mw)
        if c_mw not in cache:
            cache[c_mw] = _year_totals(arrays, cap, par, c_mw) if c_mw > 0 else np.zeros(
                (len(arrays.years), kd.N_SYS_SUM))
        row = cache[c_mw][position[int(year)]]
        energy.append(float(row[kd.Z_FIRM_SHORTFALL_MWH]))
        hours.append(float(row[kd.Z_FIRM_HOURS_SHORT]))
    out = curve.copy()
    out["energy_short_rules_mwh"] = energy
    out["hours_short_rules_h"] = hours
    return out
