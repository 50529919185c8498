"""District-heat rules of one site-hour, compiled with numba.

:func:`heat_step` serves one site's heat demand in one hour after the
electricity and hydrogen rules of :mod:`nzv_energy.kernels.dispatch` have run:
it takes the electrolyser's power of the hour (its waste heat), the site's
electric surplus that is left (power that would be exported or curtailed), the
import the site may still make, the hour's price and heat-pump COPs, and the
thermal store's level; it writes the hour's heat flows into a small output
array and returns the store's new level. :func:`heat_year` runs it over the
hours of a year. The merit order and every equation are documented in
``docs/district_heat.md`` ("Heat rules"); the kernels trust their arguments
(checks: :mod:`nzv_energy.heat.inputs`, :mod:`nzv_energy.heat.simulate`).

Array layouts
-------------
cap : (N_HEAT_CAP,)
    Heat capacities of the site, entries ``HC_*``.
par : (N_HEAT_PAR,)
    Heat rule parameters, entries ``HP_*``.
out : (N_HEAT_OUT,)
    The hour's results, entries ``HO_*`` (MW; MWh for the store level).

All quantities are hourly averages (MW = MWh in the hour).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# --- capacities (entries of ``cap``) -------------------------------------------------------
HC_HEAT_PUMP_MW_TH = 0  # large heat pump, heat output
HC_BOOSTER_HEAT_PUMP_MW_TH = 1  # booster heat pump of the waste-heat recovery, heat output
HC_ELECTRIC_BOILER_MW_TH = 2
HC_CHP_MW_EL = 3  # CHP electric output in full condensing operation (= efficiency x fuel cap)
HC_GAS_BOILER_MW_TH = 4
HC_STORAGE_MWH = 5
HC_STORAGE_MW = 6  # charge and discharge limit
N_HEAT_CAP = 7

# --- rule parameters (entries of ``par``) --------------------------------------------------
HP_RECOVERY_SHARE = 0  # recoverable waste heat per MWh_el of electrolyser input
HP_RECOVERY_BOOSTER = 1  # 1: waste heat through the booster heat pump; 0: direct
HP_HEAT_PUMP_SOURCE_ELECTROLYSER = 2  # 1: the large heat pump draws on leftover waste heat
HP_ELECTRIC_BOILER_EFFICIENCY = 3
HP_CHP_ELECTRIC_EFFICIENCY = 4  # MWh_el per MWh fuel, condensing
HP_CHP_C_B = 5  # back-pressure line: power / heat
HP_CHP_C_V = 6  # power lost per heat extracted (0 for back-pressure units)
HP_CHP_BACK_PRESSURE = 7  # 1: heat fixed at power / c_b
HP_CHP_POWER_LED = 8  # 1: runs for power when price >= marginal cost; 0: heat-led
HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL = 9
HP_GAS_BOILER_EFFICIENCY = 10
HP_STORAGE_LOSS_FRACTION_PER_HOUR = 11
HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH = 12  # grid power for heat only below this heat cost
N_HEAT_PAR = 13

# --- outputs (entries of ``out``) ----------------------------------------------------------
HO_HEAT_DEMAND_MW = 0
HO_WASTE_HEAT_AVAILABLE_MW = 1  # recoverable waste heat of the hour (share x input)
HO_HEAT_FROM_WASTE_HEAT_MW = 2  # heat delivered by the recovery (incl. booster electricity)
HO_HEAT_PUMP_MW = 3
HO_ELECTRIC_BOILER_MW = 4
HO_CHP_HEAT_MW = 5
HO_CHP_ELECTRIC_MW = 6
HO_CHP_FUEL_MW = 7
HO_GAS_BOILER_MW = 8
HO_GAS_BOILER_FUEL_MW = 9
HO_STORAGE_CHARGE_MW = 10
HO_STORAGE_DISCHARGE_MW = 11
HO_STORAGE_LOSS_MW = 12
HO_STORAGE_MWH = 13  # end of hour
HO_UNSERVED_HEAT_MW = 14
HO_HEAT_DUMPED_MW = 15  # power-led back-pressure CHP heat neither used nor stored
HO_ELECTRICITY_FROM_SURPLUS_MW = 16
HO_ELECTRICITY_IMPORT_MW = 17
HO_BOOSTER_ELECTRICITY_MW = 18
HO_HEAT_PUMP_ELECTRICITY_MW = 19
HO_ELECTRIC_BOILER_ELECTRICITY_MW = 20
HO_WASTE_HEAT_SOURCE_USED_MW = 21  # electrolyser heat taken by recovery and heat pump
N_HEAT_OUT = 22


@njit(cache=True, nogil=True, inline="always")
def heat_pump_heat(
    power_mw: float,
    cop: float,
    room_mw_th: float,
    limit_mw_th: float,
    from_waste: bool,
    waste_left_mw: float,
    source_per_heat: float,
) -> float:
    """Heat (MW_th) the heat pump makes from ``power_mw`` at ``cop``.

    Within its free rating ``room_mw_th``, the electrolyser heat left as its source
    (``from_waste``: each MW_th takes ``source_per_heat`` MW of it) and ``limit_mw_th``
    (the heat still needed, or the store's room).
    """
    q = power_mw * cop
    if q > room_mw_th:
        q = room_mw_th
    if from_waste and q > waste_left_mw / source_per_heat:
        q = waste_left_mw / source_per_heat
    if q > limit_mw_th:
        q = limit_mw_th
    return q


@njit(cache=True, nogil=True, inline="always")
def waste_heat_left(waste_left_mw: float, heat_mw_th: float, from_waste: bool,
                    source_per_heat: float) -> float:
    """Electrolyser heat left after a heat pump on it made ``heat_mw_th`` (not below 0)."""
    if from_waste:
        waste_left_mw -= heat_mw_th * source_per_heat
        if waste_left_mw < 0.0:
            waste_left_mw = 0.0
    return waste_left_mw


@njit(cache=True, nogil=True, inline="always")
def boiler_heat(power_mw: float, efficiency: float, room_mw_th: float,
                limit_mw_th: float) -> float:
    """Heat (MW_th) the electric boiler makes from ``power_mw`` within its room and the limit."""
    q = power_mw * efficiency
    if q > room_mw_th:
        q = room_mw_th
    if q > limit_mw_th:
        q = limit_mw_th
    return q


@njit(cache=True, nogil=True, inline="always")
def heat_from_surplus(
    surplus_mw: float,
    limit_mw_th: float,
    cop: float,
    hp_room_mw_th: float,
    boiler_efficiency: float,
    boiler_room_mw_th: float,
    from_waste: bool,
    waste_left_mw: float,
    source_per_heat: float,
) -> tuple[float, float, float, float]:
    """Heat from surplus power: the heat pump first, then the electric boiler, up to the limit.

    Returns
    -------
    tuple
        Heat-pump heat and boiler heat (MW_th), the surplus and the electrolyser heat
        left (MW).
    """
    q_hp = 0.0
    q_eb = 0.0
    if limit_mw_th > 0.0 and surplus_mw > 0.0 and hp_room_mw_th > 0.0:
        q_hp = heat_pump_heat(surplus_mw, cop, hp_room_mw_th, limit_mw_th, from_waste,
                              waste_left_mw, source_per_heat)
        surplus_mw -= q_hp / cop
        waste_left_mw = waste_heat_left(waste_left_mw, q_hp, from_waste, source_per_heat)
        limit_mw_th -= q_hp
    if limit_mw_th > 0.0 and surplus_mw > 0.0 and boiler_room_mw_th > 0.0:
        q_eb = boiler_heat(surplus_mw, boiler_efficiency, boiler_room_mw_th, limit_mw_th)
        surplus_mw -= q_eb / boiler_efficiency
    return q_hp, q_eb, surplus_mw, waste_left_mw


@njit(cache=True, nogil=True, inline="always")
def heat_step(
    demand_mw: float,
    electrolysis_mw: float,
    surplus_mw: float,
    import_ok: bool,
    import_room_mw: float,
    price: float,
    cop_heat_pump: float,
    cop_waste_heat: float,
    chp_fuel_limit_mw: float,
    chp_power_outlet_mw: float,
    level_mwh: float,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
) -> float:
    """Serve one site's heat demand in one hour; write ``out``, return the new store level.

    Parameters
    ----------
    demand_mw
        Heat demand of the hour, MW_th (>= 0).
    electrolysis_mw
        Electrolyser input while running, MW_el (0 when off; standby makes no heat).
    surplus_mw
        Electric surplus left after the electricity and hydrogen rules (power that
        would be exported or curtailed), MW_el (>= 0).
    import_ok
        Grid power may be bought for heat in this hour (policy and carbon rule).
    import_room_mw
        Grid connection left for imports, MW_el (>= 0).
    price
        Day-ahead price, EUR/MWh_el.
    cop_heat_pump
        COP of the large heat pump in this hour (>= 1).
    cop_waste_heat
        COP of a heat pump lifting electrolyser waste heat (> 1).
    chp_fuel_limit_mw
        Fuel the CHP may burn this hour, MW (``inf`` for natural gas; hydrogen
        at hand for a hydrogen-fired CHP).
    chp_power_outlet_mw
        Electric output the CHP may deliver this hour, MW_el (own deficit plus free
        export room).
    level_mwh
        Thermal store level at the start of the hour, MWh_th.
    cap, par
        Capacities ``HC_*`` and parameters ``HP_*``.
    out
        The hour's results ``HO_*`` (written).

    Returns
    -------
    float
        Store level at the end of the hour, MWh_th.
    """
    need = demand_mw
    surplus = surplus_mw
    imp_room = import_room_mw if import_ok else 0.0
    max_heat_cost = par[HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH]

    # thermal store: standing loss first, then at most one of charge / discharge
    loss = level_mwh * par[HP_STORAGE_LOSS_FRACTION_PER_HOUR]
    level = level_mwh - loss
    store_mwh = cap[HC_STORAGE_MWH]
    store_mw = cap[HC_STORAGE_MW]

    # ---- 1. electrolyser waste heat ---------------------------------------------------------
    waste = par[HP_RECOVERY_SHARE] * electrolysis_mw
    waste_left = waste
    heat_waste = 0.0
    el_boost = 0.0
    boost_imp = 0.0
    booster = par[HP_RECOVERY_BOOSTER] > 0.5
    boost_room = cap[HC_BOOSTER_HEAT_PUMP_MW_TH]
    if booster:
        # heat out q = source heat + electricity, electricity = q / COP
        if cop_waste_heat > 1.0 and waste > 0.0:
            per_source = cop_waste_heat / (cop_waste_heat - 1.0)  # heat per MW of source heat
            q = waste * per_source
            if q > boost_room:
                q = boost_room
            if q > need:
                q = need
            e = q / cop_waste_heat
            e_sur = e if e < surplus else surplus
            e_imp = 0.0
            if e > e_sur:
                if price <= max_heat_cost * cop_waste_heat:
                    e_imp = e - e_sur
                    if e_imp > imp_room:
                        e_imp = imp_room
                q = (e_sur + e_imp) * cop_waste_heat
            surplus -= e_sur
            imp_room -= e_imp
            boost_imp = e_imp
            el_boost = e_sur + e_imp
            heat_waste = q
            waste_left -= q - el_boost
            if waste_left < 0.0:  # rounding of q - q / COP
                waste_left = 0.0
            boost_room -= q
            need -= q
    else:
        q = waste if waste < need else need
        heat_waste = q
        waste_left -= q
        need -= q

    # ---- 2. power-led CHP (runs for power; its heat is a by-product) -----------------------
    eta_chp = par[HP_CHP_ELECTRIC_EFFICIENCY]
    c_b = par[HP_CHP_C_B]
    back_pressure = par[HP_CHP_BACK_PRESSURE] > 0.5
    c_v = 0.0 if back_pressure else par[HP_CHP_C_V]
    fuel_cap = 0.0
    if cap[HC_CHP_MW_EL] > 0.0 and eta_chp > 0.0:
        fuel_cap = cap[HC_CHP_MW_EL] / eta_chp
        if fuel_cap > chp_fuel_limit_mw:
            fuel_cap = chp_fuel_limit_mw
    outlet = chp_power_outlet_mw if chp_power_outlet_mw > 0.0 else 0.0
    chp_heat = 0.0
    chp_el = 0.0
    chp_fuel = 0.0
    forced_left = 0.0  # power-led back-pressure heat not yet placed
    power_led = par[HP_CHP_POWER_LED] > 0.5
    if power_led and fuel_cap > 0.0 and price >= par[HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL]:
        if back_pressure:
            chp_fuel = fuel_cap
            if eta_chp * chp_fuel > outlet:
                chp_fuel = outlet / eta_chp
            chp_el = eta_chp * chp_fuel
            produced = chp_el / c_b
            used = produced if produced < need else need
            need -= used
            chp_heat = produced  # what is not used goes to the store or is dumped (rule 9)
            forced_left = produced - used
        else:
            # extraction at full fuel: heat up to the back-pressure line, each MW_th costs c_v
            q = eta_chp * fuel_cap / (c_b + c_v)
            if q > need:
                q = need
            chp_fuel = fuel_cap
            chp_el = eta_chp * chp_fuel - c_v * q
            if chp_el > outlet:
                # less fuel: power at the outlet, heat within the back-pressure line
                if q > outlet / c_b:
                    q = outlet / c_b
                chp_el = outlet
                chp_fuel = (outlet + c_v * q) / eta_chp
            chp_heat = q
            need -= q

    # ---- 3. heat pump and electric boiler on surplus power ---------------------------------
    cop = cop_heat_pump
    hp_room = cap[HC_HEAT_PUMP_MW_TH]
    hp_from_waste = par[HP_HEAT_PUMP_SOURCE_ELECTROLYSER] > 0.5
    if hp_from_waste:
        cop = cop_waste_heat
    # source heat per MW_th of a heat pump on electrolyser heat: 1 - 1/COP
    src_per_heat = 1.0 - 1.0 / cop if cop > 1.0 else 1.0
    eb_room = cap[HC_ELECTRIC_BOILER_MW_TH]
    eta_eb = par[HP_ELECTRIC_BOILER_EFFICIENCY]
    hp_heat = 0.0
    hp_el = 0.0
    eb_heat = 0.0
    eb_el = 0.0
    q_hp, q_eb, surplus, waste_left = heat_from_surplus(
        surplus, need, cop, hp_room, eta_eb, eb_room, hp_from_waste, waste_left, src_per_heat)
    hp_heat += q_hp
    hp_el += q_hp / cop
    hp_room -= q_hp
    eb_heat += q_eb
    eb_el += q_eb / eta_eb
    eb_room -= q_eb
    need -= q_hp
    need -= q_eb

    # ---- 4. store discharge in deficit --------------------------------------------------------
    discharge = 0.0
    if need > 0.0 and level > 0.0 and store_mw > 0.0:
        discharge = level if level < store_mw else store_mw
        if discharge > need:
            discharge = need
        level -= discharge
        need -= discharge

    # ---- 5. heat pump and electric boiler on grid power, when cheaper than the fuel ----------
    el_import = 0.0
    if need > 0.0 and imp_room > 0.0 and hp_room > 0.0 and price <= max_heat_cost * cop:
        q = heat_pump_heat(imp_room, cop, hp_room, need, hp_from_waste, waste_left, src_per_heat)
        hp_heat += q
        hp_el += q / cop
        imp_room -= q / cop
        el_import += q / cop
        waste_left = waste_heat_left(waste_left, q, hp_from_waste, src_per_heat)
        hp_room -= q
        need -= q
    if need > 0.0 and imp_room > 0.0 and eb_room > 0.0 and price <= max_heat_cost * eta_eb:
        q = boiler_heat(imp_room, eta_eb, eb_room, need)
        eb_heat += q
        eb_el += q / eta_eb
        imp_room -= q / eta_eb
        el_import += q / eta_eb
        eb_room -= q
        need -= q

    # ---- 6. heat-led CHP: on the back-pressure line (least fuel and power per heat) ----------
    if not power_led and need > 0.0 and fuel_cap > 0.0:
        q = eta_chp * fuel_cap / (c_b + c_v)
        if q > need:
            q = need
        if c_b * q > outlet:
            q = outlet / c_b
        if q > 0.0:
            chp_heat = q
            chp_el = c_b * q
            chp_fuel = (c_b + c_v) * q / eta_chp
            need -= q

    # ---- 7. peak gas boiler ------------------------------------------------------------------
    gb_heat = 0.0
    gb_fuel = 0.0
    if need > 0.0 and cap[HC_GAS_BOILER_MW_TH] > 0.0:
        gb_heat = cap[HC_GAS_BOILER_MW_TH] if cap[HC_GAS_BOILER_MW_TH] < need else need
        gb_fuel = gb_heat / par[HP_GAS_BOILER_EFFICIENCY]
        need -= gb_heat

    # ---- 8. unserved heat ---------------------------------------------------------------------
    unserved = need if need > 0.0 else 0.0

    # ---- 9. store charging from by-product heat and surplus power (not in a discharge hour) --
    charge = 0.0
    dumped = 0.0
    if discharge <= 0.0:
        room = store_mwh - level
        if room > store_mw:
            room = store_mw
        if room < 0.0:
            room = 0.0
        # power-led back-pressure CHP heat
        x = forced_left if forced_left < room else room
        charge += x
        room -= x
        dumped = forced_left - x
        # leftover waste heat: direct, or through the booster on surplus power
        if room > 0.0 and waste_left > 0.0:
            if booster:
                if cop_waste_heat > 1.0 and boost_room > 0.0 and surplus > 0.0:
                    q = waste_left * cop_waste_heat / (cop_waste_heat - 1.0)
                    if q > boost_room:
                        q = boost_room
                    if q > room:
                        q = room
                    if q > surplus * cop_waste_heat:
                        q = surplus * cop_waste_heat
                    e = q / cop_waste_heat
                    surplus -= e
                    el_boost += e
                    heat_waste += q
                    waste_left -= q - e
                    if waste_left < 0.0:
                        waste_left = 0.0
                    boost_room -= q
                    charge += q
                    room -= q
            else:
                x = waste_left if waste_left < room else room
                heat_waste += x
                waste_left -= x
                charge += x
                room -= x
        # surplus power: heat pump, then electric boiler
        q_hp, q_eb, surplus, waste_left = heat_from_surplus(
            surplus, room, cop, hp_room, eta_eb, eb_room, hp_from_waste, waste_left,
            src_per_heat)
        hp_heat += q_hp
        hp_el += q_hp / cop
        eb_heat += q_eb
        eb_el += q_eb / eta_eb
        charge += q_hp
        charge += q_eb
        level += charge
    else:
        dumped = forced_left

    waste_used = waste - waste_left
    el_surplus_used = surplus_mw - surplus

    out[HO_HEAT_DEMAND_MW] = demand_mw
    out[HO_WASTE_HEAT_AVAILABLE_MW] = waste
    out[HO_HEAT_FROM_WASTE_HEAT_MW] = heat_waste
    out[HO_HEAT_PUMP_MW] = hp_heat
    out[HO_ELECTRIC_BOILER_MW] = eb_heat
    out[HO_CHP_HEAT_MW] = chp_heat
    out[HO_CHP_ELECTRIC_MW] = chp_el
    out[HO_CHP_FUEL_MW] = chp_fuel
    out[HO_GAS_BOILER_MW] = gb_heat
    out[HO_GAS_BOILER_FUEL_MW] = gb_fuel
    out[HO_STORAGE_CHARGE_MW] = charge
    out[HO_STORAGE_DISCHARGE_MW] = discharge
    out[HO_STORAGE_LOSS_MW] = loss
    out[HO_STORAGE_MWH] = level
    out[HO_UNSERVED_HEAT_MW] = unserved
    out[HO_HEAT_DUMPED_MW] = dumped
    out[HO_ELECTRICITY_FROM_SURPLUS_MW] = el_surplus_used
    out[HO_ELECTRICITY_IMPORT_MW] = el_import + boost_imp
    out[HO_BOOSTER_ELECTRICITY_MW] = el_boost
    out[HO_HEAT_PUMP_ELECTRICITY_MW] = hp_el
    out[HO_ELECTRIC_BOILER_ELECTRICITY_MW] = eb_el
    out[HO_WASTE_HEAT_SOURCE_USED_MW] = waste_used
    return level


@njit(cache=True, nogil=True)
def heat_year(
    demand_mw: np.ndarray,
    electrolysis_mw: np.ndarray,
    surplus_mw: np.ndarray,
    import_ok: np.ndarray,
    import_room_mw: np.ndarray,
    price: np.ndarray,
    cop_heat_pump: np.ndarray,
    cop_waste_heat: np.ndarray,
    chp_fuel_limit_mw: np.ndarray,
    chp_power_outlet_mw: np.ndarray,
    level_mwh: float,
    cap: np.ndarray,
    par: np.ndarray,
    out: np.ndarray,
) -> float:
    """Run :func:`heat_step` over ``n_h`` hours of one site; return the final store level.

    The hourly arrays are ``(n_h,)`` float64 (``import_ok`` 0/1); ``out`` is
    ``(N_HEAT_OUT, n_h)`` and receives each hour's results.
    """
    row = np.empty(N_HEAT_OUT)
    level = level_mwh
    for t in range(demand_mw.shape[0]):
        level = heat_step(
            demand_mw[t], electrolysis_mw[t], surplus_mw[t], import_ok[t] > 0.5,
            import_room_mw[t], price[t], cop_heat_pump[t], cop_waste_heat[t],
            chp_fuel_limit_mw[t], chp_power_outlet_mw[t], level, cap, par, row,
        )
        for k in range(N_HEAT_OUT):
            out[k, t] = row[k]
    return level
