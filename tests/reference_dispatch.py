"""A slow, plain-Python reference of the dispatch rules in docs/dispatch.md.

Written for reading, not speed: one function per rule, dictionaries keyed by
names, Python floats.  The tests compare the compiled kernels against it on
parameter grids, and ``benchmarks/bench_dispatch.py`` times it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tests.reference_heat import Caps, Hour, Pars, Result, reference_step

SITE_VARIABLES = (
    "wind_mw",
    "pv_mw",
    "curtailment_mw",
    "local_demand_mw",
    "electrolysis_input_mw",
    "electrolysis_standby_mw",
    "hydrogen_output_mw",
    "electrolysis_on",
    "battery_charge_mw",
    "battery_discharge_mw",
    "battery_soc_mwh",
    "grid_import_mw",
    "grid_export_mw",
    "gas_backup_mw",
    "gas_backup_fuel_mw",
    "gas_backup_hydrogen_fuel_mw",
    "hydrogen_storage_charge_mw",
    "hydrogen_storage_discharge_mw",
    "hydrogen_storage_mwh",
    "pipeline_flow_mw",
    "rfnbo_hydrogen_mw",
)


@dataclass
class SiteState:
    """What a site carries from one hour to the next."""

    soc_mwh: float
    hydrogen_mwh: float
    on: bool
    stack_hours: float


@dataclass
class SiteHeatRef:
    """District heat of one site for the reference: assets, rules, hourly inputs.

    ``demand``, ``cop`` and ``cop_waste`` are per hour; ``hydrogen_chp`` says the CHP
    burns the site's hydrogen; ``initial_fraction`` is the store's start level.
    """

    caps: Caps
    pars: Pars
    demand: Sequence[float]
    cop: Sequence[float]
    cop_waste: Sequence[float]
    hydrogen_chp: bool = False
    initial_fraction: float = 0.0
    level: float = 0.0


def heat_hour(
    heat: SiteHeatRef,
    t: int,
    power: float,
    flows: dict[str, float],
    grid_mw: float,
    grid_clean: bool,
    price: float,
    stored_h2: float,
) -> Result:
    """Rule 9 for one site-hour: run the heat rules and settle their electricity.

    ``flows`` (export, curtail, imported, grid_ely, unserved, stored, from_storage) is
    updated: power for heat comes out of curtailment, then export; heat imports add to
    the imports; CHP power serves the unserved load, then the imports that are not the
    electrolyser's, then goes to export; a hydrogen CHP burns this hour's store charge,
    then the store (``stored_h2`` is the store level after rule 6).
    """
    outlet = flows["unserved"] + flows["imported"] - flows["grid_ely"]
    if flows["grid_ely"] <= 0 and grid_mw > flows["export"]:
        outlet += grid_mw - flows["export"]
    hour = Hour(
        demand=heat.demand[t],
        ely=power,
        surplus=flows["export"] + flows["curtail"],
        import_ok=grid_clean,
        import_room=max(grid_mw - flows["imported"], 0.0) if grid_clean else 0.0,
        price=price,
        cop=heat.cop[t],
        cop_waste=heat.cop_waste[t],
        fuel_limit=stored_h2 if heat.hydrogen_chp else math.inf,
        outlet=outlet,
    )
    r = reference_step(hour, heat.level, heat.caps, heat.pars)
    heat.level = r.level
    from_curtail = min(r.from_surplus, flows["curtail"])
    flows["curtail"] -= from_curtail
    flows["export"] = max(flows["export"] - (r.from_surplus - from_curtail), 0.0)
    flows["imported"] += r.imported
    chp = r.chp_el
    to_load = min(chp, flows["unserved"])
    flows["unserved"] -= to_load
    chp -= to_load
    to_imports = max(min(chp, flows["imported"] - flows["grid_ely"]), 0.0)
    flows["imported"] -= to_imports
    flows["export"] += chp - to_imports
    if heat.hydrogen_chp:
        from_charge = min(r.chp_fuel, flows["stored"])
        flows["stored"] -= from_charge
        flows["from_storage"] += r.chp_fuel - from_charge
    return r


@dataclass
class Counters:
    """Per-site counts over a pass."""

    starts: int = 0
    replacements: int = 0
    operating_hours: int = 0


@dataclass
class ReferenceResult:
    """Hourly results (lists per variable, [hour][site]) and counters."""

    site: dict[str, list[list[float]]]
    hydrogen_demand_mw: list[float]
    hydrogen_delivered_mw: list[float]
    unserved_hydrogen_mw: list[float]
    counters: list[Counters]
    firm_delivery_mw: list[float] = field(default_factory=list)
    firm_shortfall_mw: list[float] = field(default_factory=list)
    start_state: list[SiteState] = field(default_factory=list)
    #: District heat: each hour's heat result per site ([hour][site]), when heat is on.
    heat: list[list[Result]] = field(default_factory=list)

    def array(self, name: str) -> np.ndarray:
        """One site variable as an array (hours, sites)."""
        return np.array(self.site[name], dtype=float)


def electrolyser_curve(p: Mapping[str, float]) -> tuple[float, float, float]:
    """Part-load point (fraction), its efficiency and the slope above it."""
    x = p["electrolysis_part_load_point_fraction"]
    eta_x = p["electrolysis_part_load_efficiency"]
    eta = p["electrolysis_efficiency"]
    if x >= 1.0:
        return 1.0, eta, eta
    return x, eta_x, (eta - x * eta_x) / (1.0 - x)


def hydrogen_output(power: float, rating: float, p: Mapping[str, float], factor: float) -> float:
    """Hydrogen (MW) at electric power ``power``: constant efficiency below the part-load
    point, then linear to the rated point; times the degradation factor."""
    x, eta_x, slope = electrolyser_curve(p)
    if power <= x * rating:
        return factor * power * eta_x
    return factor * (x * rating * eta_x + (power - x * rating) * slope)


def power_needed(hydrogen: float, rating: float, p: Mapping[str, float], factor: float) -> float:
    """Electric power that yields ``hydrogen`` (inverse of :func:`hydrogen_output`)."""
    if factor <= 0:
        return 0.0
    x, eta_x, slope = electrolyser_curve(p)
    undegraded = hydrogen / factor
    if undegraded <= x * rating * eta_x:
        return undegraded / eta_x
    return x * rating + (undegraded - x * rating * eta_x) / slope


#: Rooms that differ by at most this fraction of the system's hydrogen scale are tied.
ROOM_TIE_FRACTION = 1e-9


def room_tie_tolerance(caps: Sequence[Mapping[str, float]]) -> float:
    """Tie tolerance of the routing, MWh: 1e-9 x the largest store capacity (MWh) or
    pipeline or electrolyser rating (MW x 1 h), at least 1e-9 MWh (docs/dispatch.md)."""
    scale = max(
        [1.0]
        + [c[k] for c in caps for k in ("hydrogen_storage_mwh", "pipeline_mw", "electrolysis_mw")]
    )
    return ROOM_TIE_FRACTION * scale


def routing_order(rooms: Sequence[float], tolerance: float) -> list[int]:
    """Sites by free storage room, least first; rooms within ``tolerance`` keep scenario order.

    Each site in turn is placed after every site already placed whose room is not larger
    than its own by more than ``tolerance`` (an insertion sort).
    """
    order: list[int] = []
    for s, room in enumerate(rooms):
        j = len(order)
        while j > 0 and rooms[order[j - 1]] > room + tolerance:
            j -= 1
        order.insert(j, s)
    return order


def decide_electrolyser(
    cap: Mapping[str, float],
    p: Mapping[str, float],
    st: SiteState,
    renewable_left: float,
    hydrogen_room: float,
    cheap_grid: bool,
    local_shortfall: float,
) -> dict[str, float]:
    """Rule 2: how much power the electrolyser takes and where it comes from.

    ``local_shortfall``: what the site's own load lacks from its renewables this hour
    (the battery keeps that much for it before feeding the electrolyser).
    """
    none = {"renewable": 0.0, "grid": 0.0, "battery": 0.0}
    rating = cap["electrolysis_mw"]
    if rating <= 0:
        return none
    factor = 1.0 - p["degradation_fraction_per_1000h"] * st.stack_hours / 1000.0
    wanted = min(rating, power_needed(hydrogen_room, rating, p, factor))
    minimum = p["electrolysis_min_load_fraction"] * rating
    if wanted <= 0 or wanted < minimum:
        return none
    renewable = min(renewable_left, wanted)
    grid = min(wanted - renewable, cap["grid_connection_mw"]) if cheap_grid else 0.0
    soc_min = p["battery_min_soc_fraction"] * cap["battery_mwh"]
    if p["battery_to_electrolysis"] > 0.5:
        # rule 2b: the battery supplies the rest of what the electrolyser can use
        battery = 0.0
        if st.soc_mwh > soc_min and renewable + grid < wanted:
            battery = max(
                0.0,
                min(
                    wanted - (renewable + grid),
                    cap["battery_mw"] - local_shortfall,
                    (st.soc_mwh - soc_min) * p["battery_discharge_efficiency"] - local_shortfall,
                ),
            )
        if renewable + grid + battery >= minimum:
            return {"renewable": renewable, "grid": grid, "battery": battery}
        return none
    if renewable + grid >= minimum:
        return {"renewable": renewable, "grid": grid, "battery": 0.0}
    # rule 3a: a running electrolyser is kept at minimum load from the battery
    battery_can = 0.0
    if st.on and st.soc_mwh > soc_min:
        battery_can = min(
            cap["battery_mw"], (st.soc_mwh - soc_min) * p["battery_discharge_efficiency"]
        )
    missing = minimum - (renewable + grid)
    if battery_can >= missing:
        return {"renewable": renewable, "grid": grid, "battery": missing}
    return none


def run_pass(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    caps: Sequence[Mapping[str, float]],
    p: Mapping[str, float],
    states: list[SiteState],
    heat: Sequence[SiteHeatRef] | None = None,
) -> ReferenceResult:
    """All hours once from ``states`` (modified); ``grid_co2`` in g CO2e/kWh.

    ``heat`` (one entry per site, levels carried in it) switches rule 9 on.
    """
    n_h, n_s = wind_cf.shape
    res = ReferenceResult(
        site={name: [[0.0] * n_s for _ in range(n_h)] for name in SITE_VARIABLES},
        hydrogen_demand_mw=[],
        hydrogen_delivered_mw=[],
        unserved_hydrogen_mw=[],
        counters=[Counters() for _ in range(n_s)],
    )
    monthly_rows = []
    gas_fuel_is_hydrogen = p["gas_backup_hydrogen_fuel"] > 0.5
    grid_allowed = p["grid_import"] > 0.5
    tie_tolerance = room_tie_tolerance(caps)
    for t in range(n_h):
        if heat is not None:
            res.heat.append([Result() for _ in range(n_s)])
        hour_price = float(price[t]) * p["price_scale"]
        hour_demand = float(demand[t]) * p["demand_scale"]
        demand_left = hour_demand
        # import policy: no grid power at all in hours above the carbon threshold; the
        # electrolyser buys only at or below the price threshold
        grid_clean = grid_allowed and float(grid_co2[t]) <= p["import_carbon_threshold_g_per_kwh"]
        cheap_grid = grid_clean and hour_price <= p["import_price_threshold_eur_per_mwh"]
        rfnbo_price = (
            hour_price <= p["rfnbo_price_threshold_eur_per_mwh"]
            or hour_price < p["rfnbo_co2_price_threshold_eur_per_mwh"]
        )
        # the sites' production serves the demand with the least free storage room first
        # (rooms within the tie tolerance keep scenario order), or in scenario order
        sites = list(range(n_s))
        if p["route_by_storage_room"] > 0.5:
            rooms = [caps[i]["hydrogen_storage_mwh"] - states[i].hydrogen_mwh for i in sites]
            sites = routing_order(rooms, tie_tolerance)
        for s in sites:
            cap, st, out = caps[s], states[s], res.site
            wind = float(wind_cf[t, s]) * cap["wind_mw"]
            pv = float(pv_cf[t, s]) * cap["pv_mw"]
            load = cap["local_demand_mw"]
            soc_min = p["battery_min_soc_fraction"] * cap["battery_mwh"]
            # rule 1: the site's own load takes renewable power first
            renewable_left = max(wind + pv - load, 0.0)
            # rule 2: the electrolyser, limited by where its hydrogen can go
            room = min(cap["pipeline_mw"], demand_left) + max(
                cap["hydrogen_storage_mwh"] - st.hydrogen_mwh, 0.0
            )
            ely = decide_electrolyser(
                cap, p, st, renewable_left, room, cheap_grid, max(load - wind - pv, 0.0)
            )
            power = ely["renewable"] + ely["grid"] + ely["battery"]
            on = power > 0
            factor = 1.0 - p["degradation_fraction_per_1000h"] * st.stack_hours / 1000.0
            hydrogen = hydrogen_output(power, cap["electrolysis_mw"], p, factor) if on else 0.0
            standby = (
                p["electrolysis_standby_fraction"] * cap["electrolysis_mw"]
                if (not on and cap["electrolysis_mw"] > 0)
                else 0.0
            )
            st.soc_mwh -= ely["battery"] / p["battery_discharge_efficiency"]
            # rules 3-5: surplus to battery, export, curtailment; deficit from battery,
            # grid or gas (cheaper first), else unserved
            balance = wind + pv - load - ely["renewable"] - standby
            charge = export = curtail = discharge = imported = gas = unserved = 0.0
            if balance > 0:
                charge = max(
                    0.0,
                    min(
                        balance,
                        cap["battery_mw"],
                        (cap["battery_mwh"] - st.soc_mwh) / p["battery_charge_efficiency"],
                    ),
                )
                st.soc_mwh += charge * p["battery_charge_efficiency"]
                export = min(balance - charge, cap["grid_connection_mw"])
                curtail = balance - charge - export
            elif balance < 0:
                short = -balance
                discharge = max(
                    0.0,
                    min(
                        short,
                        cap["battery_mw"] - ely["battery"],
                        (st.soc_mwh - soc_min) * p["battery_discharge_efficiency"],
                    ),
                )
                st.soc_mwh -= discharge / p["battery_discharge_efficiency"]
                short -= discharge
                grid_can = cap["grid_connection_mw"] - ely["grid"] if grid_clean else 0.0
                gas_can = cap["gas_backup_mw"]
                if gas_fuel_is_hydrogen:
                    gas_can = min(
                        gas_can, (hydrogen + st.hydrogen_mwh) * p["gas_backup_efficiency"]
                    )
                order = (
                    ("grid", "gas")
                    if hour_price <= p["gas_backup_marginal_cost_eur_per_mwh"]
                    else ("gas", "grid")
                )
                for source in order:
                    if source == "grid":
                        imported = min(short, grid_can)
                        short -= imported
                    else:
                        gas = min(short, gas_can)
                        short -= gas
                unserved = short
            st.soc_mwh = min(max(st.soc_mwh, soc_min), cap["battery_mwh"])
            standby_served = standby - min(unserved, standby)
            load_served = load - (unserved - min(unserved, standby))
            # rule 6: hydrogen: gas fuel, then pipeline, then own storage
            fuel = gas / p["gas_backup_efficiency"]
            hydrogen_fuel = fuel if gas_fuel_is_hydrogen else 0.0
            from_production = min(hydrogen_fuel, hydrogen)
            from_storage = hydrogen_fuel - from_production
            left = hydrogen - from_production
            flow = min(left, cap["pipeline_mw"], demand_left)
            demand_left -= flow
            stored = left - flow
            st.hydrogen_mwh = max(st.hydrogen_mwh - from_storage + stored, 0.0)
            if heat is not None:
                # rule 9: district heat after the site's electricity and hydrogen rules
                flows = {"export": export, "curtail": curtail, "imported": imported + ely["grid"],
                         "grid_ely": ely["grid"], "unserved": unserved, "stored": stored,
                         "from_storage": from_storage}
                r = heat_hour(heat[s], t, power if on else 0.0, flows, cap["grid_connection_mw"],
                              grid_clean, hour_price, st.hydrogen_mwh)
                res.heat[t][s] = r
                export, curtail = flows["export"], flows["curtail"]
                imported = flows["imported"] - ely["grid"]
                stored, from_storage = flows["stored"], flows["from_storage"]
                if heat[s].hydrogen_chp:
                    st.hydrogen_mwh = max(st.hydrogen_mwh - r.chp_fuel, 0.0)
                unserved = flows["unserved"]
                standby_served = standby - min(unserved, standby)
                load_served = load - (unserved - min(unserved, standby))
            # RFNBO: the input matched in the same hour (own renewables, battery, cheap grid)
            matched = ely["renewable"] + ely["battery"] + (ely["grid"] if rfnbo_price else 0.0)
            rfnbo = hydrogen * matched / power if on else 0.0
            monthly_rows.append(
                {
                    "t": t,
                    "site": s,
                    "month": int(month[t]),
                    "export": export,
                    "unmatched_el": (power - matched) if on else 0.0,
                    "unmatched_h2": (hydrogen - rfnbo) if on else 0.0,
                }
            )
            # stack hours and starts
            c = res.counters[s]
            if on:
                c.operating_hours += 1
                if not st.on:
                    c.starts += 1
                st.stack_hours += 1
                if st.stack_hours >= p["stack_lifetime_hours"]:
                    st.stack_hours = 0.0
                    c.replacements += 1
            st.on = on
            for name, value in (
                ("wind_mw", wind),
                ("pv_mw", pv),
                ("curtailment_mw", curtail),
                ("local_demand_mw", load_served),
                ("electrolysis_input_mw", power + standby_served),
                ("electrolysis_standby_mw", standby_served),
                ("hydrogen_output_mw", hydrogen),
                ("electrolysis_on", 1.0 if on else 0.0),
                ("battery_charge_mw", charge),
                ("battery_discharge_mw", discharge + ely["battery"]),
                ("battery_soc_mwh", st.soc_mwh),
                ("grid_import_mw", imported + ely["grid"]),
                ("grid_export_mw", export),
                ("gas_backup_mw", gas),
                ("gas_backup_fuel_mw", fuel),
                ("gas_backup_hydrogen_fuel_mw", hydrogen_fuel),
                ("hydrogen_storage_charge_mw", stored),
                ("hydrogen_storage_discharge_mw", from_storage),
                ("pipeline_flow_mw", flow),
                ("rfnbo_hydrogen_mw", rfnbo),
            ):
                out[name][t][s] = value
        # rule 7: storages serve what production left unserved, sites in order
        for s in range(n_s):
            if demand_left <= 0:
                break
            st = states[s]
            spare_pipe = caps[s]["pipeline_mw"] - res.site["pipeline_flow_mw"][t][s]
            take = min(st.hydrogen_mwh, spare_pipe, demand_left)
            if take > 0:
                res.site["pipeline_flow_mw"][t][s] += take
                res.site["hydrogen_storage_discharge_mw"][t][s] += take
                st.hydrogen_mwh -= take
                demand_left -= take
        firm_commitment(t, caps, p, states, res)
        delivered = sum(res.site["pipeline_flow_mw"][t])
        for s in range(n_s):
            res.site["hydrogen_storage_mwh"][t][s] = states[s].hydrogen_mwh
        res.hydrogen_demand_mw.append(hour_demand)
        res.hydrogen_delivered_mw.append(delivered)
        shortfall = hour_demand - delivered
        # a shortfall below 1e-12 of the demand is rounding of the sum of flows
        res.unserved_hydrogen_mw.append(shortfall if shortfall >= 1e-12 * hour_demand else 0.0)
    if p["rfnbo_monthly"] > 0.5:
        _monthly_matching(res, pd.DataFrame(monthly_rows))
    return res


def firm_commitment(
    t: int,
    caps: Sequence[Mapping[str, float]],
    p: Mapping[str, float],
    states: list[SiteState],
    res: ReferenceResult,
) -> None:
    """Rule 8: top the net export of all sites up to ``firm_mw`` after the hydrogen rules.

    First every site's battery charge of the hour goes to the grid instead, then the
    batteries discharge, then the gas backups run, each step over the sites in
    scenario order and within each site's grid connection; a site buying grid
    power in the hour adds nothing.
    """
    firm = p["firm_mw"]
    if firm <= 0:
        res.firm_delivery_mw.append(0.0)
        res.firm_shortfall_mw.append(0.0)
        return
    out = res.site
    n_s = len(caps)
    missing = firm - sum(out["grid_export_mw"][t][s] - out["grid_import_mw"][t][s]
                         for s in range(n_s))
    hydrogen_fuel = p["gas_backup_hydrogen_fuel"] > 0.5
    eff = p["gas_backup_efficiency"]
    for step in ("surplus", "battery", "gas"):
        for s in range(n_s):
            if missing <= 0:
                break
            cap, st = caps[s], states[s]
            room = cap["grid_connection_mw"] - out["grid_export_mw"][t][s]
            if out["grid_import_mw"][t][s] > 0 or room <= 0:
                continue
            soc_min = p["battery_min_soc_fraction"] * cap["battery_mwh"]
            if step == "surplus":
                extra = min(out["battery_charge_mw"][t][s], room, missing)
                if extra <= 0:
                    continue
                out["battery_charge_mw"][t][s] -= extra
                st.soc_mwh = max(st.soc_mwh - extra * p["battery_charge_efficiency"], soc_min)
            elif step == "battery":
                if out["battery_charge_mw"][t][s] > 0:
                    continue
                extra = min(
                    (st.soc_mwh - soc_min) * p["battery_discharge_efficiency"],
                    cap["battery_mw"] - out["battery_discharge_mw"][t][s],
                    room,
                    missing,
                )
                if extra <= 0:
                    continue
                out["battery_discharge_mw"][t][s] += extra
                st.soc_mwh = max(st.soc_mwh - extra / p["battery_discharge_efficiency"], soc_min)
            else:
                can = cap["gas_backup_mw"] - out["gas_backup_mw"][t][s]
                if hydrogen_fuel:
                    can = min(can, st.hydrogen_mwh * eff)
                extra = min(can, room, missing)
                if extra <= 0:
                    continue
                fuel = extra / eff
                out["gas_backup_mw"][t][s] += extra
                out["gas_backup_fuel_mw"][t][s] = out["gas_backup_mw"][t][s] / eff
                if hydrogen_fuel:
                    # fuel from the hour's production that went to the store, then the store
                    from_production = min(fuel, out["hydrogen_storage_charge_mw"][t][s])
                    out["hydrogen_storage_charge_mw"][t][s] -= from_production
                    out["hydrogen_storage_discharge_mw"][t][s] += fuel - from_production
                    out["gas_backup_hydrogen_fuel_mw"][t][s] = out["gas_backup_fuel_mw"][t][s]
                    st.hydrogen_mwh = max(st.hydrogen_mwh - fuel, 0.0)
            out["grid_export_mw"][t][s] += extra
            out["battery_soc_mwh"][t][s] = st.soc_mwh
            missing -= extra
    # at most the commitment: a portfolio that imports delivers nothing
    short = min(missing, firm) if missing > 1e-12 * firm else 0.0
    res.firm_delivery_mw.append(firm - short)
    res.firm_shortfall_mw.append(short)


def _monthly_matching(res: ReferenceResult, rows: pd.DataFrame) -> None:
    """Monthly option: unmatched grid hydrogen counts as far as the same month's export covers
    the unmatched electricity (same share for every hour of the month)."""
    per_month = rows.groupby(["site", "month"])[["export", "unmatched_el"]].sum()
    for row in rows.itertuples():
        total = per_month.loc[(row.site, row.month)]
        if total.unmatched_el > 0:
            share = min(1.0, total.export / total.unmatched_el)
            res.site["rfnbo_hydrogen_mw"][row.t][row.site] += share * row.unmatched_h2


def reference_simulate_year(
    wind_cf: np.ndarray,
    pv_cf: np.ndarray,
    price: np.ndarray,
    demand: np.ndarray,
    grid_co2: np.ndarray,
    month: np.ndarray,
    caps: Sequence[Mapping[str, float]],
    p: Mapping[str, float],
    heat: Sequence[SiteHeatRef] | None = None,
) -> ReferenceResult:
    """One year from the initial levels, or twice when cyclic (second pass reported).

    ``heat`` (one entry per site) switches the district heat rule on; each entry's
    ``level`` starts at ``initial_fraction`` of its store and ends at the final level.
    """

    def initial() -> list[SiteState]:
        return [
            SiteState(
                soc_mwh=max(p["initial_soc_fraction"], p["battery_min_soc_fraction"])
                * c["battery_mwh"],
                hydrogen_mwh=p["initial_hydrogen_storage_fraction"] * c["hydrogen_storage_mwh"],
                on=False,
                stack_hours=p["initial_stack_hours"],
            )
            for c in caps
        ]

    states = initial()
    for h in heat or ():
        h.level = h.initial_fraction * h.caps.store_mwh
    if p["cyclic"] > 0.5:
        run_pass(wind_cf, pv_cf, price, demand, grid_co2, month, caps, p, states, heat)
        for st in states:
            st.stack_hours = p["initial_stack_hours"]
    start = [SiteState(s.soc_mwh, s.hydrogen_mwh, s.on, s.stack_hours) for s in states]
    res = run_pass(wind_cf, pv_cf, price, demand, grid_co2, month, caps, p, states, heat)
    res.start_state = start
    return res


def isclose(a: float, b: float) -> bool:
    """Helper for hand checks."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
