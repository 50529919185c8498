"""Hourly rule-based dispatch of the multi-site system, compiled with numba.

The kernels are plain loops over float64 arrays that write into preallocated
outputs; they do no validation (see :mod:`nzv_energy.dispatch.simulate`).  The index
constants below are described (name, source, unit, bounds) and checked at import by
the tables of :mod:`nzv_energy.kernels.layout`.  The
rules, in the order applied every hour, are documented in ``docs/dispatch.md``.

Array layouts (``n_h`` hours, ``n_s`` sites)
--------------------------------------------
wind_cf, pv_cf : (n_h, n_s)
    Capacity factors.
price, demand : (n_h,)
    Day-ahead price (EUR/MWh) and hydrogen demand at the off-taker (MW_H2).
grid_co2 : (n_h,)
    Average carbon intensity of grid power, g CO2e/kWh (``inf``: unknown; such hours
    never import when the caller has checked that grid import is off there).
month : (n_h,) int64
    Calendar month 0..11 of each hour (for monthly RFNBO matching).
cap : (n_s, N_CAP)
    Capacities per site, columns ``C_*`` (the field order of ``SiteCapacities``).
par : (N_PAR,)
    Rule parameters, entries ``P_*``.
state : (n_s, N_STATE)
    Battery state of charge, hydrogen storage level, electrolyser on (0/1) and
    stack operating hours; updated in place.
out : (n_h, n_s, N_OUT) or None
    Hourly site results, columns ``O_*`` (the outputs of a site-hour are contiguous);
    ``None``: not written (totals only).
sys_out : (n_h, N_SYS_OUT) or None
    Hourly system results, columns ``Y_*``.
sums : (n_s, N_SUM)
    Per-site totals over the pass, columns ``K_*`` (MWh, EUR, counts).
sys_sums : (N_SYS_SUM,)
    System totals, entries ``Z_*``.

District heat (optional: ``heat`` is the tuple of these arrays, or ``None``)
----------------------------------------------------------------------------
heat = (heat_in, heat_cap, heat_par, heat_site, heat_state, heat_out, heat_sums, heat_tot)

heat_in : (n_h, N_HEAT_IN, n_hs)
    Hourly heat demand and heat-pump COPs of each site, entries ``HI_*``.
heat_cap : (n_hs, N_HEAT_CAP); heat_par : (n_hs, N_HEAT_PAR)
    Heat capacities ``HC_*`` and rule parameters ``HP_*`` of :mod:`.heat` per site.
heat_site : (n_hs, N_HEAT_SITE)
    Per-site heat settings the dispatch needs, entries ``HS_*``.
heat_state : (n_hs, N_HEAT_STATE)
    Thermal store level (carried from hour to hour) and its value at the start of the
    reported pass, entries ``HL_*``.
heat_out : (N_HEAT_OUT, n_h, n_hs) or (N_HEAT_OUT, 0, n_hs)
    Hourly heat results, rows ``HO_*`` of :mod:`.heat` (written when ``out`` is).
heat_sums : (n_hs, N_HEAT_OUT)
    Sum over the pass of each ``HO_*`` row (MWh); column ``HO_STORAGE_MWH`` holds
    the store level at the end of the pass instead.
heat_tot : (n_hs, N_HEAT_TOT)
    Heat totals an hourly sum does not give directly, entries ``HT_*``.

``n_hs`` = ``n_s``.

Compile-time variants
---------------------
``out`` / ``sys_out`` and ``heat`` are arrays or ``None``, and ``options``
(:func:`pass_options`) holds ``True`` or ``None`` for each rule that only some
scenarios use: monthly RFNBO matching, the firm commitment, grid import (``pass_options``
gives all three ``None`` or all ``True``).  numba
compiles one machine-code variant per combination of these types (on first use, then
cached); in a variant the parts that are ``None`` do not exist, so a run without
hourly outputs, heat, monthly matching, a commitment or grid import does no per-hour
work for them.  Where an option is ``True`` the rule still follows its parameter.  A
cyclic year's warm-up pass gives :func:`dispatch_pass` ``sums=None``: it keeps no per-site
totals, only the state it ends in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .heat import HC_STORAGE_MWH as _HC_STORAGE_MWH
from .heat import HO_BOOSTER_ELECTRICITY_MW as _HO_BOOSTER_EL_MW
from .heat import HO_CHP_ELECTRIC_MW as _HO_CHP_ELECTRIC_MW
from .heat import HO_CHP_FUEL_MW as _HO_CHP_FUEL_MW
from .heat import HO_ELECTRIC_BOILER_ELECTRICITY_MW as _HO_EB_EL_MW
from .heat import HO_ELECTRICITY_FROM_SURPLUS_MW as _HO_FROM_SURPLUS_MW
from .heat import HO_ELECTRICITY_IMPORT_MW as _HO_IMPORT_MW
from .heat import HO_GAS_BOILER_FUEL_MW as _HO_GAS_BOILER_FUEL_MW
from .heat import HO_HEAT_PUMP_ELECTRICITY_MW as _HO_HP_EL_MW
from .heat import HO_STORAGE_MWH as _HO_STORAGE_MWH
from .heat import N_HEAT_OUT, heat_step
from .layout import check_indices

# --- capacity columns (order of nzv_energy.system.SiteCapacities) ---------------------------
C_WIND_MW = 0
C_PV_MW = 1
C_BATTERY_MW = 2
C_BATTERY_MWH = 3
C_ELECTROLYSIS_MW = 4
C_GAS_BACKUP_MW = 5
C_PIPELINE_MW = 6
C_HYDROGEN_STORAGE_MWH = 7
C_GRID_CONNECTION_MW = 8
C_LOCAL_DEMAND_MW = 9
N_CAP = 10

# --- rule parameters -----------------------------------------------------------------------
P_BATTERY_CHARGE_EFFICIENCY = 0
P_BATTERY_DISCHARGE_EFFICIENCY = 1
P_BATTERY_MIN_SOC_FRACTION = 2
P_ELECTROLYSIS_EFFICIENCY = 3
P_ELECTROLYSIS_MIN_LOAD_FRACTION = 4
P_ELECTROLYSIS_PART_LOAD_POINT_FRACTION = 5
P_ELECTROLYSIS_PART_LOAD_EFFICIENCY = 6
P_ELECTROLYSIS_STANDBY_FRACTION = 7
P_STACK_LIFETIME_HOURS = 8
P_DEGRADATION_FRACTION_PER_1000H = 9
P_INITIAL_STACK_HOURS = 10
P_GAS_BACKUP_EFFICIENCY = 11
P_GAS_BACKUP_HYDROGEN_FUEL = 12
P_GAS_BACKUP_MARGINAL_COST_EUR_PER_MWH = 13
P_GRID_IMPORT = 14
P_IMPORT_PRICE_THRESHOLD_EUR_PER_MWH = 15
P_IMPORT_CARBON_THRESHOLD_G_PER_KWH = 16
P_LOW_CARBON_GRID_THRESHOLD_G_PER_KWH = 17
P_RFNBO_PRICE_THRESHOLD_EUR_PER_MWH = 18
P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH = 19
P_RFNBO_MONTHLY = 20
P_INITIAL_SOC_FRACTION = 21
P_INITIAL_HYDROGEN_STORAGE_FRACTION = 22
P_CYCLIC = 23
P_PRICE_SCALE = 24
P_DEMAND_SCALE = 25
P_BATTERY_TO_ELECTROLYSIS = 26
P_ROUTE_BY_STORAGE_ROOM = 27
P_FIRM_MW = 28
N_PAR = 29

# --- state columns ---------------------------------------------------------------------------
S_BATTERY_SOC_MWH = 0
S_HYDROGEN_STORAGE_MWH = 1
S_ELECTROLYSIS_ON = 2
S_STACK_HOURS = 3
N_STATE = 4

# --- hourly site outputs (rows of ``out``) -----------------------------------------------------
O_WIND_MW = 0
O_PV_MW = 1
O_CURTAILMENT_MW = 2
O_LOCAL_DEMAND_MW = 3
O_ELECTROLYSIS_INPUT_MW = 4
O_ELECTROLYSIS_STANDBY_MW = 5
O_HYDROGEN_OUTPUT_MW = 6
O_ELECTROLYSIS_ON = 7
O_BATTERY_CHARGE_MW = 8
O_BATTERY_DISCHARGE_MW = 9
O_BATTERY_SOC_MWH = 10
O_GRID_IMPORT_MW = 11
O_GRID_EXPORT_MW = 12
O_GAS_BACKUP_MW = 13
O_GAS_BACKUP_FUEL_MW = 14
O_GAS_BACKUP_HYDROGEN_FUEL_MW = 15
O_HYDROGEN_STORAGE_CHARGE_MW = 16
O_HYDROGEN_STORAGE_DISCHARGE_MW = 17
O_HYDROGEN_STORAGE_MWH = 18
O_PIPELINE_FLOW_MW = 19
O_RFNBO_HYDROGEN_MW = 20
N_OUT = 21

# --- hourly system outputs (rows of ``sys_out``) ----------------------------------------------
Y_HYDROGEN_DEMAND_MW = 0
Y_HYDROGEN_DELIVERED_MW = 1
Y_UNSERVED_HYDROGEN_MW = 2
Y_FIRM_DELIVERY_MW = 3
Y_FIRM_SHORTFALL_MW = 4
N_SYS_OUT = 5

# --- per-site totals (columns of ``sums``) ---------------------------------------------------
K_WIND_MWH = 0
K_PV_MWH = 1
K_CURTAILMENT_MWH = 2
K_LOCAL_DEMAND_MWH = 3
K_ELECTROLYSIS_INPUT_MWH = 4
K_ELECTROLYSIS_STANDBY_MWH = 5
K_HYDROGEN_OUTPUT_MWH = 6
K_OPERATING_HOURS = 7
K_STARTS = 8
K_BATTERY_CHARGE_MWH = 9
K_BATTERY_DISCHARGE_MWH = 10
K_GRID_IMPORT_MWH = 11
K_GRID_EXPORT_MWH = 12
K_GRID_IMPORT_COST_EUR = 13
K_GRID_EXPORT_REVENUE_EUR = 14
K_GAS_BACKUP_MWH = 15
K_GAS_BACKUP_FUEL_MWH = 16
K_GAS_BACKUP_HYDROGEN_FUEL_MWH = 17
K_HYDROGEN_STORAGE_CHARGE_MWH = 18
K_HYDROGEN_STORAGE_DISCHARGE_MWH = 19
K_PIPELINE_FLOW_MWH = 20
K_RFNBO_HYDROGEN_MWH = 21
K_UNSERVED_ELECTRICITY_MWH = 22
K_STACK_REPLACEMENTS = 23
K_ELECTROLYSIS_GRID_MWH = 24
K_GRID_IMPORT_CO2_T = 25
K_ELECTROLYSIS_GRID_IMPORT_CO2_T = 26
K_ELECTROLYSIS_NATURAL_GAS_MWH = 27
K_LOW_CARBON_OPERATING_HOURS = 28
N_SUM = 29

# --- system totals (entries of ``sys_sums``) ---------------------------------------------------
Z_HYDROGEN_DEMAND_MWH = 0
Z_HYDROGEN_DELIVERED_MWH = 1
Z_UNSERVED_HYDROGEN_MWH = 2
Z_FIRM_DELIVERY_MWH = 3
Z_FIRM_SHORTFALL_MWH = 4
Z_FIRM_HOURS_SHORT = 5
N_SYS_SUM = 6

# --- monthly RFNBO accumulators (last axis of ``month_acc``) -----------------------------------
M_EXPORT_MWH = 0
M_UNMATCHED_ELECTRICITY_MWH = 1
M_UNMATCHED_HYDROGEN_MWH = 2
N_MONTH_ACC = 3
N_MONTHS = 12

# --- district heat: hourly inputs (middle axis of ``heat_in``) ---------------------------------
HI_HEAT_DEMAND_MW = 0
HI_COP_HEAT_PUMP = 1
HI_COP_WASTE_HEAT = 2
N_HEAT_IN = 3

# --- district heat: per-site settings (columns of ``heat_site``) -------------------------------
HS_CHP_HYDROGEN_FUEL = 0
HS_INITIAL_STORAGE_FRACTION = 1
N_HEAT_SITE = 2

# --- district heat: thermal store state (columns of ``heat_state``) ----------------------------
HL_LEVEL_MWH = 0
HL_START_MWH = 1
N_HEAT_STATE = 2

# --- district heat: totals (columns of ``heat_tot``) -------------------------------------------
HT_NATURAL_GAS_MWH = 0
HT_HYDROGEN_FUEL_MWH = 1
HT_GRID_IMPORT_CO2_T = 2
HT_ELECTRICITY_MWH = 3
N_HEAT_TOT = 4

# every index above is checked against the layout tables (names, units, bounds) at import
check_indices(globals())

#: Shortfalls below this fraction of the hour's demand are rounding of the flow sum.
UNSERVED_ROUNDING = 1e-12

#: Free storage rooms that differ by at most this fraction of the system's hydrogen scale
#: (:func:`room_tie_tolerance`) count as tied when the sites are ordered by room.
ROOM_TIE_FRACTION = 1e-9


@njit(cache=True, nogil=True)
def hydrogen_from_power(
    power_mw: float,
    rating_mw: float,
    knee_fraction: float,
    knee_efficiency: float,
    slope: float,
    factor: float,
) -> float:
    """Hydrogen output (MW_H2) of an electrolyser at ``power_mw`` (piecewise-linear curve).

    Up to the part-load point (``knee_fraction`` of the rating) the efficiency is
    ``knee_efficiency``; above it the output rises linearly with ``slope`` to the
    rated point.  ``factor`` is the degradation multiplier.
    """
    knee_mw = rating_mw * knee_fraction
    if power_mw <= knee_mw:
        return factor * power_mw * knee_efficiency
    return factor * (knee_mw * knee_efficiency + (power_mw - knee_mw) * slope)


@njit(cache=True, nogil=True)
def power_for_hydrogen(
    hydrogen_mw: float,
    rating_mw: float,
    knee_fraction: float,
    knee_efficiency: float,
    inv_knee_efficiency: float,
    inv_slope: float,
    factor: float,
) -> float:
    """Inverse of :func:`hydrogen_from_power` (may exceed the rating; the caller clips).

    Takes the reciprocals of the part-load efficiency and of the slope (computed once
    per pass): multiplications keep this on the hourly critical path short, where
    divisions would be several times slower.
    """
    if factor <= 0.0:
        return 0.0
    target = hydrogen_mw / factor
    knee_mw = rating_mw * knee_fraction
    knee_h2 = knee_mw * knee_efficiency
    if target <= knee_h2:
        return target * inv_knee_efficiency
    return knee_mw + (target - knee_h2) * inv_slope


@njit(cache=True, nogil=True)
def room_tie_tolerance(cap: np.ndarray) -> float:
    """Difference of free hydrogen-storage room (MWh) below which two sites are tied.

    ``ROOM_TIE_FRACTION`` times the largest hydrogen quantity of the system: a store
    capacity (MWh) or an hour at the rating of a pipeline or an electrolyser (MW x 1 h),
    at least 1 MWh.  A store level is a running sum of hourly flows no larger than these,
    so its rounding error after a cyclic year (2 x 8,784 hours, a few operations each) is
    at most about 1e-11 of this scale; 1e-9 of it is far above that rounding and far below
    any energy that matters (50 Wh for a 50 GWh store).
    """
    scale = 1.0
    for s in range(cap.shape[0]):
        scale = max(
            scale, cap[s, C_HYDROGEN_STORAGE_MWH], cap[s, C_PIPELINE_MW], cap[s, C_ELECTROLYSIS_MW]
        )
    return ROOM_TIE_FRACTION * scale


class RuleConstants(NamedTuple):
    """A parameter row in the form the hour step uses (:func:`rule_constants`).

    Efficiencies and fractions as in the ``P_*`` entries; ``inv_*`` are their
    reciprocals, ``knee``/``eta_knee``/``slope`` the electrolyser's part-load curve
    (:func:`hydrogen_from_power`), ``degradation`` the output loss per operating hour;
    ``gas_h2`` and ``battery_to_ely`` are flags (1.0 on, 0.0 off).  All floats, so that
    an ensemble keeps one row per member in an array (:mod:`nzv_energy.kernels.lanes`).
    """

    min_soc_fraction: float
    eta_ch: float
    inv_eta_ch: float
    eta_dis: float
    inv_eta_dis: float
    eta_rated: float
    min_load: float
    knee: float
    eta_knee: float
    inv_eta_knee: float
    slope: float
    inv_slope: float
    standby_fraction: float
    degradation: float
    gas_eff: float
    inv_gas_eff: float
    gas_h2: float
    gas_cost: float
    battery_to_ely: float


@njit(cache=True, nogil=True, inline="always")
def rule_constants(par: np.ndarray) -> RuleConstants:
    """The :class:`RuleConstants` of the parameter row ``par`` (computed once per pass)."""
    eta_ch = par[P_BATTERY_CHARGE_EFFICIENCY]
    eta_dis = par[P_BATTERY_DISCHARGE_EFFICIENCY]
    eta_rated = par[P_ELECTROLYSIS_EFFICIENCY]
    knee = par[P_ELECTROLYSIS_PART_LOAD_POINT_FRACTION]
    eta_knee = par[P_ELECTROLYSIS_PART_LOAD_EFFICIENCY]
    if knee >= 1.0:
        knee = 1.0
        eta_knee = eta_rated
        slope = eta_rated
    else:
        slope = (eta_rated - knee * eta_knee) / (1.0 - knee)
    gas_eff = par[P_GAS_BACKUP_EFFICIENCY]
    return RuleConstants(
        par[P_BATTERY_MIN_SOC_FRACTION], eta_ch, 1.0 / eta_ch, eta_dis, 1.0 / eta_dis, eta_rated,
        par[P_ELECTROLYSIS_MIN_LOAD_FRACTION], knee, eta_knee, 1.0 / eta_knee, slope, 1.0 / slope,
        par[P_ELECTROLYSIS_STANDBY_FRACTION], par[P_DEGRADATION_FRACTION_PER_1000H] / 1000.0,
        gas_eff, 1.0 / gas_eff, 1.0 if par[P_GAS_BACKUP_HYDROGEN_FUEL] > 0.5 else 0.0,
        par[P_GAS_BACKUP_MARGINAL_COST_EUR_PER_MWH],
        1.0 if par[P_BATTERY_TO_ELECTROLYSIS] > 0.5 else 0.0,
    )


class SiteHour(NamedTuple):
    """What rules 1-6 give for one site and hour (:func:`site_hour`), MW unless stated.

    The names are those of the ``O_*`` outputs where one exists: ``ren_ely``,
    ``grid_ely`` and ``bat_ely`` are the electrolyser's power from renewables, the grid
    and the battery, ``p_el`` its input without standby, ``on`` whether it runs,
    ``h2`` its hydrogen, ``soc`` and ``level`` (MWh) the battery and hydrogen store
    after the hour, ``fuel``/``h2_fuel`` the gas backup's fuel (hydrogen-fired: the
    second), ``f`` the site's pipeline flow, ``d_rem`` the demand still open after it,
    ``fuel_store`` the hydrogen fuel taken out of the store.
    """

    wind: float
    pv: float
    ren_ely: float
    grid_ely: float
    bat_ely: float
    p_el: float
    on: bool
    standby: float
    h2: float
    soc: float
    charge: float
    discharge: float
    imp: float
    export: float
    curtail: float
    gas: float
    unserved: float
    standby_served: float
    load_served: float
    fuel: float
    h2_fuel: float
    f: float
    d_rem: float
    h2_charge: float
    level: float
    fuel_store: float


@njit(cache=True, nogil=True, inline="always")
def site_hour(
    k: RuleConstants,
    wind_cf: float,
    pv_cf: float,
    wind_mw: float,
    pv_mw: float,
    local_demand_mw: float,
    electrolysis_mw: float,
    battery_mw: float,
    battery_mwh: float,
    grid_connection_mw: float,
    pipeline_mw: float,
    hydrogen_storage_mwh: float,
    gas_backup_mw: float,
    battery_soc_mwh: float,
    hydrogen_storage_level_mwh: float,
    was_on: bool,
    stack_hours: float,
    d_rem: float,
    p: float,
    cheap: bool,
    grid_ok: bool,
) -> SiteHour:
    """Rules 1-6 of one site in one hour: the hour step every pass calls.

    Single runs (:func:`dispatch_pass`) and the lanes of an ensemble
    (:mod:`nzv_energy.kernels.lanes`) call this one function; it reads and writes no
    array, so a loop over ensemble members around it compiles to SIMD code.  Inputs:
    the rule constants, the hour's capacity factors, the site's capacities, its state
    at the start of the hour, the hydrogen demand still open (``d_rem``, MW_H2), the
    price (EUR/MWh) and the hour's import policy (``cheap``: the electrolyser may
    import; ``grid_ok``: any import is allowed).
    """
    wind = wind_cf * wind_mw
    pv = pv_cf * pv_mw
    gen = wind + pv
    load = local_demand_mw
    rating = electrolysis_mw
    bat_mw = battery_mw
    bat_mwh = battery_mwh
    grid_mw = grid_connection_mw
    pipe_mw = pipeline_mw
    store_mwh = hydrogen_storage_mwh
    soc_min = k.min_soc_fraction * bat_mwh
    soc = battery_soc_mwh
    level = hydrogen_storage_level_mwh
    factor = 1.0 - k.degradation * stack_hours

    # rule 1-2: local load first, then the electrolyser takes renewable power
    ren_avail = gen - load if gen > load else 0.0
    ren_ely = 0.0
    grid_ely = 0.0
    bat_ely = 0.0
    p_el = 0.0
    if rating > 0.0:
        headroom = store_mwh - level if store_mwh > level else 0.0
        sink = (pipe_mw if pipe_mw < d_rem else d_rem) + headroom
        if sink >= factor * rating * k.eta_rated:
            p_cap = rating  # every MW_H2 the stack can make has somewhere to go
        else:
            p_cap = power_for_hydrogen(sink, rating, k.knee, k.eta_knee, k.inv_eta_knee,
                                       k.inv_slope, factor)
            if p_cap > rating:
                p_cap = rating
        p_min = k.min_load * rating
        if p_cap > 0.0 and p_cap >= p_min:
            ren_ely = ren_avail if ren_avail < p_cap else p_cap
            if cheap:
                gap = p_cap - ren_ely
                grid_ely = gap if gap < grid_mw else grid_mw
            p_el = ren_ely + grid_ely
            if k.battery_to_ely > 0.5 and soc > soc_min and p_el < p_cap:
                # rule 2b: the battery fills the rest of the electrolyser's sink,
                # keeping what the site's own load needs this hour
                local_deficit = load - gen if load > gen else 0.0
                bat_ely = (soc - soc_min) * k.eta_dis - local_deficit
                if bat_ely > bat_mw - local_deficit:
                    bat_ely = bat_mw - local_deficit
                if bat_ely > p_cap - p_el:
                    bat_ely = p_cap - p_el
                if bat_ely < 0.0:
                    bat_ely = 0.0
                p_el += bat_ely
            if p_el < p_min:
                need = p_min - p_el
                bat_avail = 0.0
                if was_on and soc > soc_min and not k.battery_to_ely > 0.5:
                    bat_avail = (soc - soc_min) * k.eta_dis
                    if bat_avail > bat_mw:
                        bat_avail = bat_mw
                if bat_avail >= need:
                    bat_ely = need
                    p_el = p_min
                else:
                    p_el = 0.0
                    ren_ely = 0.0
                    grid_ely = 0.0
                    bat_ely = 0.0
    on = p_el > 0.0
    standby = k.standby_fraction * rating if (not on and rating > 0.0) else 0.0
    h2 = hydrogen_from_power(p_el, rating, k.knee, k.eta_knee, k.slope, factor) if on else 0.0
    if bat_ely > 0.0:
        soc -= bat_ely * k.inv_eta_dis

    # rule 3-5: the electric balance of the rest of the site
    residual = gen - load - ren_ely - standby
    charge = 0.0
    discharge = bat_ely
    imp = grid_ely
    export = 0.0
    curtail = 0.0
    gas = 0.0
    unserved = 0.0
    if residual > 0.0:
        room = (bat_mwh - soc) * k.inv_eta_ch
        charge = residual
        if charge > bat_mw:
            charge = bat_mw
        if charge > room:
            charge = room
        if charge < 0.0:
            charge = 0.0
        soc += charge * k.eta_ch
        rest = residual - charge
        export = rest if rest < grid_mw else grid_mw
        curtail = rest - export
    elif residual < 0.0:
        deficit = -residual
        dis = (soc - soc_min) * k.eta_dis
        if dis > bat_mw - bat_ely:
            dis = bat_mw - bat_ely
        if dis > deficit:
            dis = deficit
        if dis < 0.0:
            dis = 0.0
        soc -= dis * k.inv_eta_dis
        discharge += dis
        deficit -= dis
        grid_room = grid_mw - grid_ely if grid_ok else 0.0
        gas_room = gas_backup_mw
        if k.gas_h2 > 0.5:
            fuel_room = (h2 + level) * k.gas_eff
            if fuel_room < gas_room:
                gas_room = fuel_room
        if p <= k.gas_cost:
            take = deficit if deficit < grid_room else grid_room
            imp += take
            deficit -= take
            gas = deficit if deficit < gas_room else gas_room
            deficit -= gas
        else:
            gas = deficit if deficit < gas_room else gas_room
            deficit -= gas
            take = deficit if deficit < grid_room else grid_room
            imp += take
            deficit -= take
        unserved = deficit
    if soc < soc_min:
        soc = soc_min
    elif soc > bat_mwh:
        soc = bat_mwh
    standby_short = unserved if unserved < standby else standby
    standby_served = standby - standby_short
    load_served = load - (unserved - standby_short)

    # rule 6: hydrogen from production: gas fuel, pipeline, then own storage
    fuel = gas * k.inv_gas_eff
    h2_fuel = fuel if k.gas_h2 > 0.5 else 0.0
    fuel_prod = h2_fuel if h2_fuel < h2 else h2
    fuel_store = h2_fuel - fuel_prod
    level -= fuel_store
    h2_rest = h2 - fuel_prod
    f = h2_rest
    if f > pipe_mw:
        f = pipe_mw
    if f > d_rem:
        f = d_rem
    d_rem -= f
    h2_charge = h2_rest - f
    level += h2_charge
    if level < 0.0:
        level = 0.0
    return SiteHour(
        wind, pv, ren_ely, grid_ely, bat_ely, p_el, on, standby, h2, soc, charge, discharge, imp,
        export, curtail, gas, unserved, standby_served, load_served, fuel, h2_fuel, f, d_rem,
        h2_charge, level, fuel_store,
    )


@njit(cache=True, nogil=True, inline="always")
def rfnbo_hydrogen(
    on: bool, h2: float, p_el: float, ren_ely: float, bat_ely: float, grid_ely: float,
    rfnbo_price: bool,
) -> tuple[float, float]:
    """RFNBO hydrogen of a site-hour (MW_H2) and the electrolyser input matched (MW).

    Delegated Regulation (EU) 2023/1184: input from the site's renewables and battery
    counts, grid power only in hours of a low price (``rfnbo_price``); the hydrogen is
    RFNBO in that share.  All of the input matched (always without grid power): the
    hydrogen itself, the same value as ``h2 * (p_el / p_el)`` without a division.
    """
    if not on:
        return 0.0, 0.0
    matched = ren_ely + bat_ely + (grid_ely if rfnbo_price else 0.0)
    return (h2 if matched == p_el else h2 * (matched / p_el)), matched


@njit(cache=True, nogil=True, inline="always")
def stack_hours_after(on: bool, hours: float, stack_life: float) -> tuple[float, bool]:
    """Stack operating hours after an hour, and whether the stack was replaced in it."""
    if not on:
        return hours, False
    hours += 1.0
    if hours >= stack_life:
        return 0.0, True
    return hours, False


@njit(cache=True, nogil=True, inline="always")
def add_site_hour_sums(
    tot: np.ndarray, base: int, width: int, on: bool, was_on: bool, replaced: bool,
    low_hour: bool, p: float, ci: float, wind: float, pv: float, curtail: float,
    load_served: float, ely_in: float, standby_served: float, h2: float, rfnbo_h2: float,
    charge: float, discharge: float, imp: float, export: float, grid_ely: float, gas: float,
    fuel: float, h2_fuel: float, h2_charge: float, unserved: float, heat_el: float,
) -> None:
    """Add one site-hour to a site's totals.

    ``tot`` is flat: total ``K_x`` of the site is ``tot[base + K_x * width]`` (a single
    run: ``base = s * N_SUM``, ``width = 1``; a block of lanes: the lane's entry of the
    site's first total and the block's lane width).

    Every per-site total ``K_*`` except the pipeline flow and the store's discharge (known
    only after rule 7 and added there).  Emissions: imports at the hour's grid intensity
    (MWh x g/kWh = kg), shared with natural gas among the site's consumers (electrolyser,
    local load and, with district heat, heat's electricity) in proportion to their use.
    Single runs and the lanes of an ensemble (:mod:`nzv_energy.kernels.lanes`) call it.

    Totals that are zero in most hours are added only when their value is not: a running
    sum from +0.0 keeps its bits when an exact zero is added, so skipping the zeros gives
    the same totals for fewer loads and stores.
    """
    tot[base + K_WIND_MWH * width] += wind
    tot[base + K_PV_MWH * width] += pv
    tot[base + K_CURTAILMENT_MWH * width] += curtail
    tot[base + K_LOCAL_DEMAND_MWH * width] += load_served
    tot[base + K_ELECTROLYSIS_INPUT_MWH * width] += ely_in
    tot[base + K_BATTERY_CHARGE_MWH * width] += charge
    tot[base + K_BATTERY_DISCHARGE_MWH * width] += discharge
    tot[base + K_GRID_EXPORT_MWH * width] += export
    tot[base + K_GRID_EXPORT_REVENUE_EUR * width] += export * p
    tot[base + K_HYDROGEN_STORAGE_CHARGE_MWH * width] += h2_charge
    if on:  # off: no hydrogen; on: no standby
        tot[base + K_HYDROGEN_OUTPUT_MWH * width] += h2
        tot[base + K_RFNBO_HYDROGEN_MWH * width] += rfnbo_h2
        tot[base + K_OPERATING_HOURS * width] += 1.0
        if not was_on:
            tot[base + K_STARTS * width] += 1.0
        if replaced:
            tot[base + K_STACK_REPLACEMENTS * width] += 1.0
        if low_hour:
            tot[base + K_LOW_CARBON_OPERATING_HOURS * width] += 1.0
    elif standby_served != 0.0:
        tot[base + K_ELECTROLYSIS_STANDBY_MWH * width] += standby_served
    if imp != 0.0:
        tot[base + K_GRID_IMPORT_MWH * width] += imp
        tot[base + K_GRID_IMPORT_COST_EUR * width] += imp * p
    if grid_ely != 0.0:
        tot[base + K_ELECTROLYSIS_GRID_MWH * width] += grid_ely
    if gas != 0.0:  # zero gas: zero fuel
        tot[base + K_GAS_BACKUP_MWH * width] += gas
        tot[base + K_GAS_BACKUP_FUEL_MWH * width] += fuel
        tot[base + K_GAS_BACKUP_HYDROGEN_FUEL_MWH * width] += h2_fuel
    if unserved != 0.0:
        tot[base + K_UNSERVED_ELECTRICITY_MWH * width] += unserved
    natural_gas = fuel - h2_fuel
    if imp > 0.0 or natural_gas > 0.0:
        imp_co2 = imp * ci * 0.001 if imp > 0.0 else 0.0
        use = ely_in + load_served + heat_el
        share = ely_in / use if use > 0.0 else 0.0
        tot[base + K_GRID_IMPORT_CO2_T * width] += imp_co2
        tot[base + K_ELECTROLYSIS_GRID_IMPORT_CO2_T * width] += imp_co2 * share
        tot[base + K_ELECTROLYSIS_NATURAL_GAS_MWH * width] += natural_gas * share


@njit(cache=True, nogil=True, inline="always")
def storage_take(pipeline_mw: float, flow: float, level: float, d_rem: float) -> float:
    """Rule 7: hydrogen a site's store adds to its pipeline flow for the open demand (MW_H2).

    At most the pipeline's free capacity, the store's level and the demand still open
    (``d_rem``); zero or less: nothing.
    """
    take = pipeline_mw - flow
    take = level if take > level else take
    return d_rem if take > d_rem else take


@njit(cache=True, nogil=True, inline="always")
def unserved_hydrogen(demand_mw: float, delivered_mw: float) -> float:
    """Hydrogen demand not delivered in an hour (MW_H2); rounding of the flow sum is zero."""
    unserved = demand_mw - delivered_mw
    if unserved < UNSERVED_ROUNDING * demand_mw:  # rounding of the sum, not a shortfall
        return 0.0
    return unserved


@njit(cache=True, nogil=True)
def initial_state(cap: np.ndarray, par: np.ndarray, state: np.ndarray) -> None:
    """Fill ``state`` with the scenario's initial storage levels (electrolysers off)."""
    min_soc = par[P_BATTERY_MIN_SOC_FRACTION]
    soc_fraction = max(par[P_INITIAL_SOC_FRACTION], min_soc)
    for s in range(cap.shape[0]):
        state[s, S_BATTERY_SOC_MWH] = soc_fraction * cap[s, C_BATTERY_MWH]
        state[s, S_HYDROGEN_STORAGE_MWH] = (
            par[P_INITIAL_HYDROGEN_STORAGE_FRACTION] * cap[s, C_HYDROGEN_STORAGE_MWH]
        )
        state[s, S_ELECTROLYSIS_ON] = 0.0
        state[s, S_STACK_HOURS] = par[P_INITIAL_STACK_HOURS]


@njit(cache=True, nogil=True)
def firm_top_up(
    gap: float,
    p: float,
    cap: np.ndarray,
    par: np.ndarray,
    state: np.ndarray,
    flows: tuple,
    h2_discharge: np.ndarray,
    sums: np.ndarray | None,
    out: np.ndarray | None,
    t: int,
) -> float:
    """Rule 8: raise the sites' export by ``gap`` MW; return what is still missing.

    Three passes, each over the sites in scenario order, each site within its grid
    connection: (a) renewable surplus the battery took this hour is exported instead,
    (b) battery discharge down to the minimum state of charge, within its power,
    (c) gas backup within its rating (hydrogen-fired: fuel from the hour's production
    that went to the store, then the store).  A site that imports in the hour adds
    nothing.  The site's flows (``flows``: battery charge, discharge, export, import,
    gas backup and hydrogen-store charge, each ``(n_s,)``), its state, its totals
    (``sums``, flat: ``sums[s * N_SUM + k]``) and (``out``) its hourly outputs are updated
    in place.
    """
    f_charge, f_discharge, f_export, f_import, f_gas, f_h2_charge = flows
    n_s = cap.shape[0]
    eta_ch = par[P_BATTERY_CHARGE_EFFICIENCY]
    eta_dis = par[P_BATTERY_DISCHARGE_EFFICIENCY]
    min_soc_fraction = par[P_BATTERY_MIN_SOC_FRACTION]
    gas_eff = par[P_GAS_BACKUP_EFFICIENCY]
    gas_h2 = par[P_GAS_BACKUP_HYDROGEN_FUEL] > 0.5
    for step in range(3):
        for s in range(n_s):
            if gap <= 0.0:
                return 0.0
            room = cap[s, C_GRID_CONNECTION_MW] - f_export[s]
            if f_import[s] > 0.0 or room <= 0.0:
                continue
            soc = state[s, S_BATTERY_SOC_MWH]
            soc_min = min_soc_fraction * cap[s, C_BATTERY_MWH]
            x = 0.0
            if step == 0:
                # (a) the battery's charge this hour goes to the grid instead
                x = min(f_charge[s], room, gap)
                if x <= 0.0:
                    continue
                f_charge[s] -= x
                soc -= x * eta_ch
                if soc < soc_min:
                    soc = soc_min
                if sums is not None:
                    sums[s * N_SUM + K_BATTERY_CHARGE_MWH] -= x
            elif step == 1:
                # (b) battery discharge, never in an hour it still charges
                if f_charge[s] > 0.0:
                    continue
                x = min((soc - soc_min) * eta_dis, cap[s, C_BATTERY_MW] - f_discharge[s], room,
                        gap)
                if x <= 0.0:
                    continue
                f_discharge[s] += x
                soc -= x / eta_dis
                if soc < soc_min:
                    soc = soc_min
                if sums is not None:
                    sums[s * N_SUM + K_BATTERY_DISCHARGE_MWH] += x
            else:
                # (c) gas backup
                level = state[s, S_HYDROGEN_STORAGE_MWH]
                gas_room = cap[s, C_GAS_BACKUP_MW] - f_gas[s]
                if gas_h2 and level * gas_eff < gas_room:
                    gas_room = level * gas_eff
                x = min(gas_room, room, gap)
                if x <= 0.0:
                    continue
                fuel = x / gas_eff
                f_gas[s] += x
                if sums is not None:
                    sums[s * N_SUM + K_GAS_BACKUP_MWH] += x
                    sums[s * N_SUM + K_GAS_BACKUP_FUEL_MWH] += fuel
                if gas_h2:
                    from_charge = fuel if fuel < f_h2_charge[s] else f_h2_charge[s]
                    f_h2_charge[s] -= from_charge
                    h2_discharge[s] += fuel - from_charge
                    level -= fuel
                    if level < 0.0:
                        level = 0.0
                    state[s, S_HYDROGEN_STORAGE_MWH] = level
                    if sums is not None:
                        sums[s * N_SUM + K_GAS_BACKUP_HYDROGEN_FUEL_MWH] += fuel
                        sums[s * N_SUM + K_HYDROGEN_STORAGE_CHARGE_MWH] -= from_charge
            state[s, S_BATTERY_SOC_MWH] = soc
            f_export[s] += x
            gap -= x
            if sums is not None:
                sums[s * N_SUM + K_GRID_EXPORT_MWH] += x
                sums[s * N_SUM + K_GRID_EXPORT_REVENUE_EUR] += x * p
            if out is not None:
                out[t, s, O_BATTERY_CHARGE_MW] = f_charge[s]
                out[t, s, O_BATTERY_DISCHARGE_MW] = f_discharge[s]
                out[t, s, O_BATTERY_SOC_MWH] = soc
                out[t, s, O_GRID_EXPORT_MW] = f_export[s]
                out[t, s, O_GAS_BACKUP_MW] = f_gas[s]
                out[t, s, O_GAS_BACKUP_FUEL_MW] = f_gas[s] / gas_eff
                out[t, s, O_GAS_BACKUP_HYDROGEN_FUEL_MW] = (
                    f_gas[s] / gas_eff if gas_h2 else 0.0
                )
                out[t, s, O_HYDROGEN_STORAGE_CHARGE_MW] = f_h2_charge[s]
    return gap if gap > 0.0 else 0.0


@njit(cache=True, nogil=True)
def heat_rule(
    s: int,
    t: int,
    p: float,
    grid_ok: bool,
    grid_mw: float,
    electrolysis_mw: float,
    export: float,
    curtail: float,
    imp: float,
    grid_ely: float,
    unserved: float,
    h2_charge: float,
    level: float,
    heat_in: np.ndarray,
    heat_cap: np.ndarray,
    heat_par: np.ndarray,
    heat_site: np.ndarray,
    heat_state: np.ndarray,
    heat_out: np.ndarray,
    heat_sums: np.ndarray,
    heat_tot: np.ndarray,
    hrow: np.ndarray,
    write: bool,
) -> tuple[float, float, float, float, float, float, float, float]:
    """Rule 9: site ``s``'s district heat in hour ``t``, after its electricity and hydrogen.

    Runs :func:`~nzv_energy.kernels.heat.heat_step` on the site's surplus
    (``export + curtail``), import room (``grid_ok``: policy and carbon rule of the
    hour) and CHP outlet (unserved load, imports other than the electrolyser's, then
    the export room unless the electrolyser imports), and settles the electricity:
    power for heat comes out of curtailment, then export; heat imports add to the
    imports; CHP power serves the unserved load, then those imports, then export. A
    hydrogen CHP burns this hour's store charge, then the store.  Updates the heat
    state, totals and (``write``) hourly rows.

    Returns
    -------
    tuple
        ``export, curtail, imp, unserved, h2_charge, level`` after the rule, the
        electricity the heat used (MW) and the hydrogen taken out of the store (MW_H2).
    """
    h2_chp = heat_site[s, HS_CHP_HYDROGEN_FUEL] > 0.5
    imp_room = grid_mw - imp if grid_ok else 0.0
    if imp_room < 0.0:
        imp_room = 0.0
    outlet = unserved + (imp - grid_ely)
    if grid_ely <= 0.0 and grid_mw > export:
        outlet += grid_mw - export
    heat_state[s, HL_LEVEL_MWH] = heat_step(
        heat_in[t, HI_HEAT_DEMAND_MW, s], electrolysis_mw, export + curtail, grid_ok, imp_room,
        p, heat_in[t, HI_COP_HEAT_PUMP, s], heat_in[t, HI_COP_WASTE_HEAT, s],
        level if h2_chp else np.inf, outlet, heat_state[s, HL_LEVEL_MWH], heat_cap[s],
        heat_par[s], hrow,
    )
    x = hrow[_HO_FROM_SURPLUS_MW]
    if x > 0.0:
        y = x if x < curtail else curtail
        curtail -= y
        export -= x - y
        if export < 0.0:
            export = 0.0
    imp += hrow[_HO_IMPORT_MW]
    x = hrow[_HO_CHP_ELECTRIC_MW]
    if x > 0.0:
        y = x if x < unserved else unserved
        unserved -= y
        x -= y
        y = imp - grid_ely
        if y > x:
            y = x
        if y > 0.0:
            imp -= y
            x -= y
        if x > 0.0:
            export += x
    x = hrow[_HO_CHP_FUEL_MW]
    from_store = 0.0
    if h2_chp:
        if x > 0.0:
            y = x if x < h2_charge else h2_charge
            h2_charge -= y
            from_store = x - y
            level -= x
            if level < 0.0:
                level = 0.0
        heat_tot[s, HT_HYDROGEN_FUEL_MWH] += x
        heat_tot[s, HT_NATURAL_GAS_MWH] += hrow[_HO_GAS_BOILER_FUEL_MW]
    else:
        heat_tot[s, HT_NATURAL_GAS_MWH] += x + hrow[_HO_GAS_BOILER_FUEL_MW]
    heat_el = hrow[_HO_BOOSTER_EL_MW] + hrow[_HO_HP_EL_MW] + hrow[_HO_EB_EL_MW]
    heat_tot[s, HT_ELECTRICITY_MWH] += heat_el
    for k in range(N_HEAT_OUT):
        heat_sums[s, k] += hrow[k]
    heat_sums[s, _HO_STORAGE_MWH] = heat_state[s, HL_LEVEL_MWH]
    if write:
        for k in range(N_HEAT_OUT):
            heat_out[k, t, s] = hrow[k]
    return export, curtail, imp, unserved, h2_charge, level, heat_el, from_store


@njit(cache=True, nogil=True)
def dispatch_pass(
    hourly: tuple,
    cap: np.ndarray,
    par: np.ndarray,
    state: np.ndarray,
    sums: np.ndarray | None,
    sys_sums: np.ndarray,
    out: np.ndarray | None,
    sys_out: np.ndarray | None,
    heat: tuple | None,
    options: tuple,
) -> None:
    """Run the dispatch rules over all hours once, starting from ``state``.

    ``hourly`` is ``(wind_cf, pv_cf, price, demand, grid_co2, month)``.  ``sums``,
    ``sys_sums`` and the heat's ``heat_sums`` and ``heat_tot`` are added to (the
    caller zeroes them); the monthly RFNBO accumulators belong to the pass.  The
    district heat rule runs with ``heat`` (one row per site), after each site's
    electricity and hydrogen rules.  See "Compile-time variants" in the module
    docstring for the ``None`` arguments and ``options``.
    """
    wind_cf, pv_cf, price, demand, grid_co2, month = hourly
    monthly_rule, firm_rule, grid_rule = options
    n_h = wind_cf.shape[0]
    n_s = wind_cf.shape[1]

    rules = rule_constants(par)
    stack_life = par[P_STACK_LIFETIME_HOURS]
    grid_allowed = grid_rule is not None and par[P_GRID_IMPORT] > 0.5
    import_threshold = par[P_IMPORT_PRICE_THRESHOLD_EUR_PER_MWH]
    carbon_threshold = par[P_IMPORT_CARBON_THRESHOLD_G_PER_KWH]
    low_carbon = par[P_LOW_CARBON_GRID_THRESHOLD_G_PER_KWH]
    rfnbo_threshold = par[P_RFNBO_PRICE_THRESHOLD_EUR_PER_MWH]
    rfnbo_co2_threshold = par[P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH]
    monthly = monthly_rule is not None and par[P_RFNBO_MONTHLY] > 0.5
    price_scale = par[P_PRICE_SCALE]
    demand_scale = par[P_DEMAND_SCALE]
    by_room = par[P_ROUTE_BY_STORAGE_ROOM] > 0.5
    room_tol = room_tie_tolerance(cap)
    keep_unmatched = out is not None and monthly
    month_acc = np.zeros((n_s if monthly else 0, N_MONTHS, N_MONTH_ACC))
    unmatched = np.empty((n_h if keep_unmatched else 0, n_s))
    firm = par[P_FIRM_MW] if firm_rule is not None else 0.0
    firm_on = firm > 0.0

    flow = np.zeros(n_s)
    h2_discharge = np.zeros(n_s)
    order = np.zeros(n_s, dtype=np.uint64)  # unsigned: no negative-index wraparound checks
    store_room = np.zeros(n_s)
    # the hour's flows of each site that the firm rule (rule 8) may change
    n_firm = n_s if firm_on else 0
    f_charge = np.zeros(n_firm)
    f_discharge = np.zeros(n_firm)
    f_export = np.zeros(n_firm)
    f_import = np.zeros(n_firm)
    f_gas = np.zeros(n_firm)
    f_h2_charge = np.zeros(n_firm)
    flows = (f_charge, f_discharge, f_export, f_import, f_gas, f_h2_charge)
    if heat is not None:
        heat_in, heat_cap, heat_par, heat_site, heat_state, heat_out, heat_sums, heat_tot = heat
        hrow = np.zeros(N_HEAT_OUT)
    # the per-site totals run in a private copy (no aliasing with the caller's arrays, so
    # the compiler need not reload or store them around every other array write); the
    # same additions in the same order, copied back after the pass
    if sums is not None:
        tot = np.empty(n_s * N_SUM)  # flat: tot[s * N_SUM + k] (add_site_hour_sums)
        for s in range(n_s):
            for k in range(N_SUM):
                tot[s * N_SUM + k] = sums[s, k]
    # the same for the capacities and the state: a write to the state then need not make the
    # compiler reload capacities (the state is copied back after the pass)
    own_cap = np.empty((n_s, N_CAP))
    own_state = np.empty((n_s, N_STATE))
    for s in range(n_s):
        for k in range(N_CAP):
            own_cap[s, k] = cap[s, k]
        for k in range(N_STATE):
            own_state[s, k] = state[s, k]

    for t in range(n_h):
        p = price[t] * price_scale
        demand_t = demand[t] * demand_scale
        d_rem = demand_t
        ci = grid_co2[t]
        # import policy: any grid power only in hours at or below the carbon threshold,
        # the electrolyser's also only at or below the price threshold
        grid_ok = grid_allowed and ci <= carbon_threshold
        cheap = grid_ok and p <= import_threshold
        low_hour = ci < low_carbon
        rfnbo_price = p <= rfnbo_threshold or p < rfnbo_co2_threshold
        m = month[t]

        # ---- the order in which the sites' production serves the demand --------------------
        # least free hydrogen-storage room first: what cannot be stored is delivered, and
        # the sites with room keep the surplus (an insertion sort in which a site moves ahead
        # of an earlier one only when its room is smaller by more than ``room_tol``: rooms
        # that differ by rounding keep scenario order)
        for s in range(n_s):
            order[s] = s
        if by_room:
            for s in range(n_s):
                store_room[s] = (own_cap[s, C_HYDROGEN_STORAGE_MWH]
                                 - own_state[s, S_HYDROGEN_STORAGE_MWH])
            for i in range(1, n_s):
                o = order[i]
                j = i
                while j > 0 and store_room[order[j - 1]] > store_room[o] + room_tol:
                    order[j] = order[j - 1]
                    j -= 1
                order[j] = o

        # ---- per site: electricity, electrolyser, hydrogen from production --------------
        for k_site in range(n_s):
            s = order[k_site]
            was_on = own_state[s, S_ELECTROLYSIS_ON] > 0.5
            hours = own_state[s, S_STACK_HOURS]
            grid_mw = own_cap[s, C_GRID_CONNECTION_MW]
            load = own_cap[s, C_LOCAL_DEMAND_MW]
            (wind, pv, ren_ely, grid_ely, bat_ely, p_el, on, standby, h2, soc, charge, discharge,
             imp, export, curtail, gas, unserved, standby_served, load_served, fuel, h2_fuel, f,
             d_rem, h2_charge, level, fuel_store) = site_hour(
                rules, wind_cf[t, s], pv_cf[t, s], own_cap[s, C_WIND_MW], own_cap[s, C_PV_MW],
                load, own_cap[s, C_ELECTROLYSIS_MW], own_cap[s, C_BATTERY_MW],
                own_cap[s, C_BATTERY_MWH], grid_mw, own_cap[s, C_PIPELINE_MW],
                own_cap[s, C_HYDROGEN_STORAGE_MWH], own_cap[s, C_GAS_BACKUP_MW],
                own_state[s, S_BATTERY_SOC_MWH], own_state[s, S_HYDROGEN_STORAGE_MWH],
                was_on, hours, d_rem, p, cheap, grid_ok,
            )
            flow[s] = f
            h2_discharge[s] = fuel_store

            # rule 9: district heat of the site (docs/dispatch.md, docs/district_heat.md)
            heat_el = 0.0
            if heat is not None:
                (export, curtail, imp, unserved, h2_charge, level, heat_el,
                 from_store) = heat_rule(
                    s, t, p, grid_ok, grid_mw, p_el if on else 0.0, export, curtail, imp,
                    grid_ely, unserved, h2_charge, level, heat_in, heat_cap, heat_par,
                    heat_site, heat_state, heat_out, heat_sums, heat_tot, hrow,
                    out is not None,
                )
                h2_discharge[s] += from_store
                standby_short = unserved if unserved < standby else standby
                standby_served = standby - standby_short
                load_served = load - (unserved - standby_short)

            # RFNBO (Delegated Regulation (EU) 2023/1184): renewable share of electrolyser input
            rfnbo_h2, matched = rfnbo_hydrogen(on, h2, p_el, ren_ely, bat_ely, grid_ely,
                                               rfnbo_price)
            if monthly:
                if on:
                    month_acc[s, m, M_UNMATCHED_ELECTRICITY_MWH] += p_el - matched
                    month_acc[s, m, M_UNMATCHED_HYDROGEN_MWH] += h2 - rfnbo_h2
                if keep_unmatched:
                    unmatched[t, s] = h2 - rfnbo_h2
                month_acc[s, m, M_EXPORT_MWH] += export

            hours, replaced = stack_hours_after(on, hours, stack_life)
            own_state[s, S_BATTERY_SOC_MWH] = soc
            own_state[s, S_HYDROGEN_STORAGE_MWH] = level
            own_state[s, S_ELECTROLYSIS_ON] = 1.0 if on else 0.0
            own_state[s, S_STACK_HOURS] = hours
            if firm_on:
                f_charge[s] = charge
                f_discharge[s] = discharge
                f_export[s] = export
                f_import[s] = imp
                f_gas[s] = gas
                f_h2_charge[s] = h2_charge

            ely_in = p_el + standby_served
            if sums is not None:  # (a warm-up pass keeps no totals)
                add_site_hour_sums(
                    tot, s * N_SUM, 1, on, was_on, replaced, low_hour, p, ci, wind, pv,
                    curtail, load_served, ely_in, standby_served, h2, rfnbo_h2, charge,
                    discharge, imp, export, grid_ely, gas, fuel, h2_fuel, h2_charge, unserved,
                    heat_el,
                )
                if heat is not None and heat_el > 0.0 and imp > 0.0:
                    # heat's share of the imports' emissions (as the electrolyser's share in
                    # add_site_hour_sums)
                    heat_tot[s, HT_GRID_IMPORT_CO2_T] += (
                        imp * ci * 0.001 * heat_el / (ely_in + load_served + heat_el)
                    )
            if out is not None:  # the site-hour's row, one statement
                (out[t, s, O_WIND_MW], out[t, s, O_PV_MW], out[t, s, O_CURTAILMENT_MW],
                 out[t, s, O_LOCAL_DEMAND_MW], out[t, s, O_ELECTROLYSIS_INPUT_MW],
                 out[t, s, O_ELECTROLYSIS_STANDBY_MW], out[t, s, O_HYDROGEN_OUTPUT_MW],
                 out[t, s, O_ELECTROLYSIS_ON], out[t, s, O_BATTERY_CHARGE_MW],
                 out[t, s, O_BATTERY_DISCHARGE_MW], out[t, s, O_BATTERY_SOC_MWH],
                 out[t, s, O_GRID_IMPORT_MW], out[t, s, O_GRID_EXPORT_MW],
                 out[t, s, O_GAS_BACKUP_MW], out[t, s, O_GAS_BACKUP_FUEL_MW],
                 out[t, s, O_GAS_BACKUP_HYDROGEN_FUEL_MW], out[t, s, O_HYDROGEN_STORAGE_CHARGE_MW],
                 out[t, s, O_RFNBO_HYDROGEN_MW]) = (
                    wind, pv, curtail, load_served, ely_in, standby_served, h2, 1.0 if on else 0.0,
                    charge, discharge, soc, imp, export, gas, fuel, h2_fuel, h2_charge, rfnbo_h2)

        # ---- rule 7: storages serve the rest of the demand, in site order ---------------------
        if d_rem > 0.0:
            for s in range(n_s):
                level = own_state[s, S_HYDROGEN_STORAGE_MWH]
                take = storage_take(own_cap[s, C_PIPELINE_MW], flow[s], level, d_rem)
                if take > 0.0:
                    flow[s] += take
                    h2_discharge[s] += take
                    own_state[s, S_HYDROGEN_STORAGE_MWH] = level - take
                    d_rem -= take
                    if d_rem <= 0.0:
                        break

        # ---- rule 8: the firm commitment tops the net export of all sites up to firm_mw ------
        shortfall = 0.0
        if firm_on:
            net = 0.0
            for s in range(n_s):
                net += f_export[s] - f_import[s]
            gap = firm - net
            if gap > 0.0:
                if sums is not None:
                    gap = firm_top_up(gap, p, own_cap, par, own_state, flows, h2_discharge,
                                      tot, out, t)
                else:
                    gap = firm_top_up(gap, p, own_cap, par, own_state, flows, h2_discharge,
                                      None, out, t)
                # smaller: rounding of the sum over sites; at most the commitment (a portfolio
                # that imports delivers nothing, as in the LP bound)
                if gap > UNSERVED_ROUNDING * firm:
                    shortfall = gap if gap < firm else firm
            sys_sums[Z_FIRM_DELIVERY_MWH] += firm - shortfall
            sys_sums[Z_FIRM_SHORTFALL_MWH] += shortfall
            if shortfall > 0.0:
                sys_sums[Z_FIRM_HOURS_SHORT] += 1.0
        if sys_out is not None:
            sys_out[t, Y_FIRM_DELIVERY_MW] = firm - shortfall
            sys_out[t, Y_FIRM_SHORTFALL_MW] = shortfall
        delivered = 0.0
        for s in range(n_s):
            delivered += flow[s]
            if sums is not None:
                tot[s * N_SUM + K_PIPELINE_FLOW_MWH] += flow[s]
                tot[s * N_SUM + K_HYDROGEN_STORAGE_DISCHARGE_MWH] += h2_discharge[s]
            if out is not None:
                out[t, s, O_PIPELINE_FLOW_MW] = flow[s]
                out[t, s, O_HYDROGEN_STORAGE_DISCHARGE_MW] = h2_discharge[s]
                out[t, s, O_HYDROGEN_STORAGE_MWH] = own_state[s, S_HYDROGEN_STORAGE_MWH]
        unserved_h2 = unserved_hydrogen(demand_t, delivered)
        sys_sums[Z_HYDROGEN_DEMAND_MWH] += demand_t
        sys_sums[Z_HYDROGEN_DELIVERED_MWH] += delivered
        sys_sums[Z_UNSERVED_HYDROGEN_MWH] += unserved_h2
        if sys_out is not None:
            sys_out[t, Y_HYDROGEN_DEMAND_MW] = demand_t
            sys_out[t, Y_HYDROGEN_DELIVERED_MW] = delivered
            sys_out[t, Y_UNSERVED_HYDROGEN_MW] = unserved_h2

    # ---- monthly matching: grid hydrogen matched by the same month's renewable export ----------
    if monthly:
        ratio = np.zeros((n_s, N_MONTHS))
        for s in range(n_s):
            for mm in range(N_MONTHS):
                grid_el = month_acc[s, mm, M_UNMATCHED_ELECTRICITY_MWH]
                if grid_el > 0.0:
                    r = month_acc[s, mm, M_EXPORT_MWH] / grid_el
                    ratio[s, mm] = r if r < 1.0 else 1.0
                    if sums is not None:
                        tot[s * N_SUM + K_RFNBO_HYDROGEN_MWH] += (
                            ratio[s, mm] * month_acc[s, mm, M_UNMATCHED_HYDROGEN_MWH]
                        )
        if out is not None:
            for t in range(n_h):
                mm = month[t]
                for s in range(n_s):
                    out[t, s, O_RFNBO_HYDROGEN_MW] += unmatched[t, s] * ratio[s, mm]
    for s in range(n_s):
        for k in range(N_STATE):
            state[s, k] = own_state[s, k]
    if sums is not None:
        for s in range(n_s):
            for k in range(N_SUM):
                sums[s, k] = tot[s * N_SUM + k]


def pass_options(par: np.ndarray) -> tuple[bool | None, bool | None, bool | None]:
    """The ``options`` of :func:`simulate_year` for parameters ``par`` (plain Python).

    ``(monthly, firm, grid)``: all ``None`` when no parameter row (one run, or any
    member of an ensemble) uses monthly RFNBO matching, a firm commitment or grid
    import - the variant without these rules -, otherwise all ``True`` (each rule then
    follows its parameter).  Two variants rather than one per combination: each variant
    of the pass takes seconds to compile, and most runs use none of the three.  The
    kernel itself takes any combination.
    """
    rows = np.asarray(par, dtype=np.float64).reshape(-1, N_PAR)
    used = bool(
        (rows[:, P_RFNBO_MONTHLY] > 0.5).any() or (rows[:, P_FIRM_MW] > 0.0).any()
        or (rows[:, P_GRID_IMPORT] > 0.5).any()
    )
    return (True, True, True) if used else (None, None, None)


@njit(cache=True, nogil=True)
def simulate_year(
    hourly: tuple, cap: np.ndarray, par: np.ndarray, sums: np.ndarray, sys_sums: np.ndarray,
    start_state: np.ndarray, end_state: np.ndarray, out: np.ndarray | None,
    sys_out: np.ndarray | None, heat: tuple | None, options: tuple,
) -> None:
    """One weather year from the scenario's initial state, or cyclic (two passes).

    With ``par[P_CYCLIC]`` the year runs once without output to reach its end
    state, then again from that state; only the second pass is reported.
    ``start_state`` receives the state the reported pass starts from,
    ``end_state`` the state after it.  ``sums`` and ``sys_sums`` are overwritten,
    and so are the heat's sums and totals: its ``heat_state`` ends with the store
    level after the reported pass and the level it started from.  ``hourly``,
    ``heat`` and ``options`` as in :func:`dispatch_pass`; ``out`` and ``sys_out``
    (``None``: totals only) hold the reported pass.
    """
    n_s = cap.shape[0]
    state = np.empty((n_s, N_STATE))
    initial_state(cap, par, state)
    if heat is not None:
        heat_cap, heat_site, heat_state = heat[1], heat[3], heat[4]
        heat_sums, heat_tot = heat[6], heat[7]
        for s in range(n_s):
            heat_state[s, HL_LEVEL_MWH] = (
                heat_site[s, HS_INITIAL_STORAGE_FRACTION] * heat_cap[s, _HC_STORAGE_MWH]
            )
    if par[P_CYCLIC] > 0.5:
        # the first pass only brings the state to the year's end: no hourly outputs, no
        # per-site totals (the variant without them)
        dispatch_pass(hourly, cap, par, state, None, sys_sums, None, None, heat, options)
        for s in range(n_s):
            state[s, S_STACK_HOURS] = par[P_INITIAL_STACK_HOURS]
    for s in range(n_s):
        for k in range(N_SUM):
            sums[s, k] = 0.0
        for k in range(N_STATE):
            start_state[s, k] = state[s, k]
    for k in range(N_SYS_SUM):
        sys_sums[k] = 0.0
    if heat is not None:
        for s in range(n_s):
            heat_state[s, HL_START_MWH] = heat_state[s, HL_LEVEL_MWH]
            for k in range(N_HEAT_OUT):
                heat_sums[s, k] = 0.0
            for k in range(N_HEAT_TOT):
                heat_tot[s, k] = 0.0
    dispatch_pass(hourly, cap, par, state, sums, sys_sums, out, sys_out, heat, options)
    for s in range(n_s):
        for k in range(N_STATE):
            end_state[s, k] = state[s, k]
