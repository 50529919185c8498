"""Plain-Python reference of the heat rules of one site-hour (docs/district_heat.md).

Written from the documented merit order, not from the kernel: each source is a
small function that returns what it delivers, and the hour is a list of
named steps. Slow and obvious; the tests compare the numba kernel with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Caps:
    heat_pump: float = 0.0
    booster: float = 0.0
    electric_boiler: float = 0.0
    chp_el: float = 0.0
    gas_boiler: float = 0.0
    store_mwh: float = 0.0
    store_mw: float = 0.0


@dataclass
class Pars:
    recovery_share: float = 0.0
    booster: bool = False
    hp_on_waste: bool = False
    eb_eff: float = 0.99
    chp_eta: float = 0.5
    c_b: float = 1.0
    c_v: float = 0.0
    back_pressure: bool = False
    power_led: bool = False
    chp_cost: float = 0.0
    gb_eff: float = 1.0
    loss: float = 0.0
    max_heat_cost: float = 0.0


@dataclass
class Hour:
    demand: float
    ely: float = 0.0
    surplus: float = 0.0
    import_ok: bool = False
    import_room: float = 0.0
    price: float = 0.0
    cop: float = 3.0
    cop_waste: float = 6.0
    fuel_limit: float = float("inf")
    outlet: float = float("inf")


@dataclass
class Result:
    waste_available: float = 0.0
    waste_heat: float = 0.0
    heat_pump: float = 0.0
    electric_boiler: float = 0.0
    chp_heat: float = 0.0
    chp_el: float = 0.0
    chp_fuel: float = 0.0
    gas_boiler: float = 0.0
    gas_boiler_fuel: float = 0.0
    charge: float = 0.0
    discharge: float = 0.0
    loss: float = 0.0
    level: float = 0.0
    unserved: float = 0.0
    dumped: float = 0.0
    from_surplus: float = 0.0
    imported: float = 0.0
    booster_el: float = 0.0
    hp_el: float = 0.0
    eb_el: float = 0.0
    waste_source_used: float = 0.0
    log: list[str] = field(default_factory=list)


def reference_step(h: Hour, level: float, c: Caps, p: Pars) -> Result:
    """One site-hour of the heat rules, step by step."""
    r = Result()
    r.loss = level * p.loss
    lvl = level - r.loss
    need = h.demand
    power = {"surplus": h.surplus, "import": h.import_room if h.import_ok else 0.0}
    waste = p.recovery_share * h.ely
    r.waste_available = waste
    waste_left = waste
    booster_room = c.booster
    hp_room = c.heat_pump
    eb_room = c.electric_boiler
    cop_hp = h.cop_waste if p.hp_on_waste else h.cop
    src = 1.0 - 1.0 / cop_hp if cop_hp > 1.0 else 1.0

    def take(pool: str, amount: float) -> float:
        got = min(amount, power[pool])
        power[pool] -= got
        return got

    # 1 waste heat
    if p.booster:
        if h.cop_waste > 1.0 and waste > 0.0:
            q = min(waste * h.cop_waste / (h.cop_waste - 1.0), booster_room, need)
            e_need = q / h.cop_waste
            e = take("surplus", e_need)
            imp = 0.0
            if e < e_need and h.price <= p.max_heat_cost * h.cop_waste:
                imp = take("import", e_need - e)
            q = (e + imp) * h.cop_waste
            r.booster_el += e + imp
            r.from_surplus += e
            r.imported += imp
            r.waste_heat += q
            waste_left = max(waste_left - (q - (e + imp)), 0.0)
            booster_room -= q
            need -= q
    else:
        q = min(waste, need)
        r.waste_heat += q
        waste_left -= q
        need -= q

    # 2 power-led CHP
    fuel_cap = min(c.chp_el / p.chp_eta, h.fuel_limit) if c.chp_el > 0 else 0.0
    c_v = 0.0 if p.back_pressure else p.c_v
    outlet = max(h.outlet, 0.0)
    forced = 0.0
    if p.power_led and fuel_cap > 0 and h.price >= p.chp_cost:
        if p.back_pressure:
            fuel = min(fuel_cap, outlet / p.chp_eta)
            el = p.chp_eta * fuel
            produced = el / p.c_b
            used = min(produced, need)
            need -= used
            r.chp_fuel, r.chp_el, r.chp_heat = fuel, el, produced
            forced = produced - used
        else:
            q = min(p.chp_eta * fuel_cap / (p.c_b + c_v), need)
            fuel = fuel_cap
            el = p.chp_eta * fuel - c_v * q
            if el > outlet:
                q = min(q, outlet / p.c_b)
                el = outlet
                fuel = (outlet + c_v * q) / p.chp_eta
            r.chp_fuel, r.chp_el, r.chp_heat = fuel, el, q
            need -= q

    def heat_pump(pool: str, limit: float) -> float:
        nonlocal hp_room, waste_left
        if limit <= 0 or power[pool] <= 0 or hp_room <= 0:
            return 0.0
        q = min(power[pool] * cop_hp, hp_room, limit)
        if p.hp_on_waste:
            q = min(q, waste_left / src)
        power[pool] -= q / cop_hp
        r.hp_el += q / cop_hp
        if pool == "surplus":
            r.from_surplus += q / cop_hp
        else:
            r.imported += q / cop_hp
        if p.hp_on_waste:
            waste_left = max(waste_left - q * src, 0.0)
        hp_room -= q
        r.heat_pump += q
        return q

    def boiler(pool: str, limit: float) -> float:
        nonlocal eb_room
        if limit <= 0 or power[pool] <= 0 or eb_room <= 0:
            return 0.0
        q = min(power[pool] * p.eb_eff, eb_room, limit)
        power[pool] -= q / p.eb_eff
        r.eb_el += q / p.eb_eff
        if pool == "surplus":
            r.from_surplus += q / p.eb_eff
        else:
            r.imported += q / p.eb_eff
        eb_room -= q
        r.electric_boiler += q
        return q

    # 3 electric heat on surplus power
    need -= heat_pump("surplus", need)
    need -= boiler("surplus", need)
    # 4 store discharge
    if need > 0 and lvl > 0 and c.store_mw > 0:
        r.discharge = min(lvl, c.store_mw, need)
        lvl -= r.discharge
        need -= r.discharge
    # 5 electric heat on grid power when cheaper than the peak boiler
    if h.price <= p.max_heat_cost * cop_hp:
        need -= heat_pump("import", need)
    if h.price <= p.max_heat_cost * p.eb_eff:
        need -= boiler("import", need)
    # 6 heat-led CHP on its back-pressure line
    if not p.power_led and need > 0 and fuel_cap > 0:
        q = min(p.chp_eta * fuel_cap / (p.c_b + c_v), need, outlet / p.c_b)
        if q > 0:
            r.chp_heat, r.chp_el, r.chp_fuel = q, p.c_b * q, (p.c_b + c_v) * q / p.chp_eta
            need -= q
    # 7 peak boiler
    if need > 0 and c.gas_boiler > 0:
        r.gas_boiler = min(c.gas_boiler, need)
        r.gas_boiler_fuel = r.gas_boiler / p.gb_eff
        need -= r.gas_boiler
    # 8 unserved
    r.unserved = max(need, 0.0)
    # 9 charging from by-product heat and surplus power
    if r.discharge <= 0:
        room = max(min(c.store_mwh - lvl, c.store_mw), 0.0)
        x = min(forced, room)
        r.charge += x
        room -= x
        r.dumped = forced - x
        if room > 0 and waste_left > 0:
            if p.booster:
                if h.cop_waste > 1 and booster_room > 0 and power["surplus"] > 0:
                    q = min(waste_left * h.cop_waste / (h.cop_waste - 1), booster_room, room,
                            power["surplus"] * h.cop_waste)
                    e = q / h.cop_waste
                    power["surplus"] -= e
                    r.booster_el += e
                    r.from_surplus += e
                    r.waste_heat += q
                    waste_left = max(waste_left - (q - e), 0.0)
                    r.charge += q
                    room -= q
            else:
                x = min(waste_left, room)
                r.waste_heat += x
                waste_left -= x
                r.charge += x
                room -= x
        room -= (q := heat_pump("surplus", room))
        r.charge += q
        room -= (q := boiler("surplus", room))
        r.charge += q
        lvl += r.charge
    else:
        r.dumped = forced
    r.level = lvl
    r.waste_source_used = waste - waste_left
    return r
