"""District heat in the sizing LP: a heat bus per site, in both engines.

For every site with a ``heat:`` block (:class:`nzv_energy.heat.assets.SiteHeat`)
the sizing model gets a heat bus whose balance holds every snapshot::

    heat pump + booster + waste heat (direct) + electric boiler + CHP heat
        + peak gas boiler + store discharge + unserved = demand + store charge

Components (PyPSA names ``"<site> ..."``; the direct engine has the same
columns and rows, :func:`add_heat_direct`):

* heat demand: a ``Load`` (snapshot means of the hourly demand of
  :func:`nzv_energy.heat.inputs.site_heat_inputs`, averaged over fast-mode
  segments like the other series); unserved heat: a ``Generator`` at the
  block's ``unserved_heat_penalty_eur_per_mwh`` up to the demand;
* large heat pump, booster heat pump, electric boiler: ``Link`` electricity ->
  heat with the hour's ``efficiency`` (COP, or the boiler efficiency), rated on
  the heat side (``p_nom`` = MW_th, ``p_max_pu`` = 1 / efficiency); the booster
  and a heat pump on ``electrolyser_heat`` also draw their source heat
  ``(COP - 1)`` per MWh_el from the waste-heat bus (``bus2``,
  negative ``efficiency2``);
* electrolyser waste heat: a second output of the electrolysis link
  (``bus2`` = the site's waste-heat bus, ``efficiency2`` = recoverable share);
  in ``direct`` mode a heat exchanger link (efficiency 1, no cost row) feeds
  the heat bus; what nobody takes is vented;
* CHP: a fuel bus fed at most at the fuel cap ``electric_mw / efficiency``
  (natural gas: a ``Generator`` at gas price + CO2 price x intensity; hydrogen:
  a ``Link`` from the site's hydrogen bus) and a multi-output ``Link`` fuel ->
  electricity + heat on the back-pressure line: ``efficiency`` =
  ``eta c_b / (c_b + c_v)``, ``efficiency2`` = ``eta / (c_b + c_v)``.  An
  extraction unit adds a condensing ``Link`` fuel -> electricity at ``eta``:
  together they span exactly the extraction unit's operating region
  ``power = eta x fuel - c_v x heat >= c_b x heat``, ``fuel <= cap`` (the
  linearisation of PyPSA-Eur's ``c_b`` / ``c_v`` CHP constraints, with one
  fuel variable per mode instead of the iso-fuel-line constraint).  The CHP's
  power goes to the site's electricity bus;
* peak gas boiler: a ``Generator`` on the heat bus at (gas + CO2) / efficiency
  + VOM per MWh_th;
* thermal storage: a ``StorageUnit`` (``standing_loss``, ``max_hours`` = energy
  / power) when the power follows the energy (``power_mw`` unset: the cost
  table's energy-to-power ratio) or both are fixed; else a ``Store`` with
  charger and discharger links (efficiency 1).  The store's cost row is per
  MWh; power has no cost of its own.

Capital costs: annuity + fixed O&M of the heat cost rows
(:mod:`nzv_energy.heat.costs`, :func:`nzv_energy.sizing.costs.annual_cost_per_unit`).
CO2 of natural gas burnt for heat counts in ``optimisation.co2_cap_t_per_year``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nzv_energy.heat.assets import SiteHeat
from nzv_energy.heat.costs import heat_cost_values
from nzv_energy.heat.inputs import site_heat_inputs
from nzv_energy.scenario import Capacity, CapacityRange, Scenario
from nzv_energy.sizing.costs import annual_cost_per_unit

if TYPE_CHECKING:
    import pypsa

    from nzv_energy.sizing.network import Bounds, SizingNetwork
    from nzv_energy.system import SystemInputs

INF = float("inf")

#: Heat capacities of the sizing and their units.
HEAT_CAPACITIES: dict[str, str] = {
    "chp_mw": "MW_el",
    "heat_pump_mw_th": "MW_th",
    "booster_heat_pump_mw_th": "MW_th",
    "electric_boiler_mw_th": "MW_th",
    "peak_gas_boiler_mw_th": "MW_th",
    "thermal_storage_mwh": "MWh_th",
    "thermal_storage_mw": "MW_th",
}

#: Heat flows of a solution (arrays ``(n_snapshots, n_sites)``, MW; level in MWh).
HEAT_FLOWS = (
    "heat_demand", "unserved_heat", "heat_pump_heat", "heat_pump_electricity",
    "booster_heat", "booster_electricity", "waste_heat_direct", "waste_heat_available",
    "electric_boiler_heat", "electric_boiler_electricity", "chp_heat", "chp_electricity",
    "chp_fuel", "gas_boiler_heat", "storage_charge", "storage_discharge", "storage_level",
)

#: Carriers the heat components add to a network.
HEAT_CARRIERS = {
    "heat": ("District heat", "#d62728"),
    "waste heat": ("Electrolyser waste heat", "#ff9896"),
    "heat pump": ("Heat pump", "#9467bd"),
    "electric boiler": ("Electric boiler", "#8c564b"),
    "chp": ("CHP", "#7f7f7f"),
    "chp fuel": ("CHP fuel", "#bcbd22"),
    "gas boiler": ("Peak gas boiler", "#c7c7c7"),
    "thermal storage": ("Thermal storage", "#e377c2"),
    "unserved heat": ("Unserved heat", "#000000"),
}


@dataclass(frozen=True)
class SiteHeatModel:
    """One site's heat inputs per snapshot, capacities, costs and parameters.

    Attributes
    ----------
    site, block
        The site and its heat block.
    demand_mw, cop_heat_pump, cop_waste_heat
        Heat demand (MW_th) and COPs per snapshot (segment means in fast mode).
    bounds
        Capacity field of :data:`HEAT_CAPACITIES` -> bounds, assets present only.
    unit_cost
        Annuity + fixed O&M per unit of each capacity, EUR/(MW or MWh)/a.
    params
        Efficiencies, coefficients and marginal costs (see :func:`heat_plan`).
    """

    site: str
    block: SiteHeat
    demand_mw: np.ndarray
    cop_heat_pump: np.ndarray
    cop_waste_heat: np.ndarray
    bounds: dict[str, Bounds]
    unit_cost: dict[str, float]
    params: dict[str, float]

    def has(self, fld: str) -> bool:
        """Whether the capacity is in the model (present and not only zero)."""
        b = self.bounds.get(fld)
        return b is not None and not b.is_zero

    @property
    def storage_tied(self) -> bool:
        """Store power = energy / ratio (no ``power_mw`` given)."""
        st = self.block.thermal_storage
        return st is not None and st.power_mw is None

    @property
    def storage_unit(self) -> bool:
        """The store is a PyPSA StorageUnit (tied power, or both fixed)."""
        if not self.has("thermal_storage_mwh"):
            return False
        be, bp = self.bounds["thermal_storage_mwh"], self.bounds["thermal_storage_mw"]
        return self.storage_tied or not (be.extendable or bp.extendable)


@dataclass(frozen=True)
class HeatPlan:
    """The heat part of a sizing network: one :class:`SiteHeatModel` per heat site."""

    sites: dict[str, SiteHeatModel] = field(default_factory=dict)

    def fixed_capital_eur_per_year(self) -> float:
        """Annual capital of the fixed heat capacities (counted or not)."""
        return float(sum(
            b.lo * m.unit_cost[fld]
            for m in self.sites.values() for fld, b in m.bounds.items()
            if not b.extendable and not b.is_zero and not _tied_power(m, fld)
        ))


def _tied_power(m: SiteHeatModel, fld: str) -> bool:
    return fld == "thermal_storage_mw" and m.storage_tied


def _segment_means(hourly: np.ndarray, hourly_time: pd.DatetimeIndex,
                   time: pd.DatetimeIndex, weights_h: np.ndarray) -> np.ndarray:
    """Means of ``hourly`` over each snapshot's hours (its first hour and length)."""
    start = hourly_time.get_indexer(time)
    if (start < 0).any():
        raise ValueError(f"heat inputs do not cover {time[int(np.flatnonzero(start < 0)[0])]}")
    length = np.asarray(weights_h, dtype=np.int64)
    csum = np.concatenate([[0.0], np.cumsum(hourly)])
    return (csum[start + length] - csum[start]) / length


def _bounds_of(value: Capacity | None) -> Bounds:
    from nzv_energy.sizing.network import Bounds

    if value is None:
        return Bounds(False, 0.0, 0.0)
    return Bounds.of(value)


def heat_plan(inputs: SystemInputs, weights_h: np.ndarray) -> HeatPlan | None:
    """The heat part of a sizing model of ``inputs`` (``None`` without a heat block).

    Parameters
    ----------
    inputs
        The model's inputs (hourly, or the segment inputs of fast mode).
    weights_h
        Hours each snapshot stands for.
    """
    sc = inputs.scenario
    if sc.heat is None:
        return None
    eco = sc.economics
    r = eco.discount_rate
    costs = heat_cost_values(eco.cost_year)
    intensity = sc.technology.gas_backup.natural_gas_co2_t_per_mwh
    gas_eur = eco.gas_price_eur_per_mwh + eco.co2_price_eur_per_t * intensity
    time = pd.DatetimeIndex(inputs.time)
    years = tuple(sorted({int(y) for y in time.year}))
    out: dict[str, SiteHeatModel] = {}
    for site in sc.sites:
        block = sc.heat.get(site)
        if block is None:
            continue
        hourly = site_heat_inputs(block, years)
        htime = pd.DatetimeIndex(hourly.time)

        def means(a: np.ndarray, htime: pd.DatetimeIndex = htime) -> np.ndarray:
            return _segment_means(a, htime, time, weights_h)

        def annual(row: str, unit: str = "capex_eur_per_mw") -> float:
            c = costs[row]
            return annual_cost_per_unit(c[unit], c["fom_fraction_per_year"],
                                        c["lifetime_years"], r)

        bounds: dict[str, Bounds] = {}
        unit: dict[str, float] = {}
        p: dict[str, float] = {"gas_eur_per_mwh": gas_eur, "co2_t_per_mwh_gas": intensity,
                               "penalty": block.unserved_heat_penalty_eur_per_mwh}
        if block.chp is not None:
            chp = block.chp
            row = costs["gas_chp" if chp.technology == "gas_turbine" else "hydrogen_chp"]
            bounds["chp_mw"] = _bounds_of(chp.electric_mw)
            unit["chp_mw"] = annual("gas_chp" if chp.technology == "gas_turbine"
                                    else "hydrogen_chp")
            p["chp_eta"] = row["electric_efficiency"] if chp.electric_efficiency is None \
                else chp.electric_efficiency
            p["chp_c_b"] = row["c_b"] if chp.c_b is None else chp.c_b
            c_v = row.get("c_v", 0.0) if chp.c_v is None else chp.c_v
            p["chp_c_v"] = 0.0 if chp.behaviour == "back_pressure" else c_v
            p["chp_vom_eur_per_mwh_el"] = row.get("vom_eur_per_mwh_el", 0.0)
            p["chp_hydrogen"] = 1.0 if chp.fuel == "hydrogen" else 0.0
        rec = block.waste_heat_recovery
        if rec is not None:
            share = rec.recoverable_share
            p["recovery_share"] = (costs["electrolysis_heat_recovery"]["recoverable_share"]
                                   if share is None else share)
            p["booster"] = 1.0 if rec.mode == "booster_heat_pump" else 0.0
            if rec.mode == "booster_heat_pump":
                bounds["booster_heat_pump_mw_th"] = _bounds_of(rec.booster_heat_pump_mw_th)
                unit["booster_heat_pump_mw_th"] = annual("heat_pump_waste_heat")
                p["booster_vom"] = costs["heat_pump_waste_heat"]["vom_eur_per_mwh_th"]
        if block.heat_pump is not None:
            hp_row = ("heat_pump_waste_heat" if block.heat_pump.source == "electrolyser_heat"
                      else "heat_pump_air")
            bounds["heat_pump_mw_th"] = _bounds_of(block.heat_pump.heat_mw_th)
            unit["heat_pump_mw_th"] = annual(hp_row)
            p["heat_pump_vom"] = costs[hp_row]["vom_eur_per_mwh_th"]
            p["heat_pump_on_waste"] = 1.0 if block.heat_pump.source == "electrolyser_heat" else 0.0
        if block.electric_boiler is not None:
            eb = block.electric_boiler
            bounds["electric_boiler_mw_th"] = _bounds_of(eb.heat_mw_th)
            unit["electric_boiler_mw_th"] = annual("electric_boiler")
            p["eb_eff"] = costs["electric_boiler"]["efficiency"] if eb.efficiency is None \
                else eb.efficiency
            p["eb_vom"] = costs["electric_boiler"]["vom_eur_per_mwh_th"]
        if block.peak_gas_boiler is not None:
            gb = block.peak_gas_boiler
            bounds["peak_gas_boiler_mw_th"] = _bounds_of(gb.heat_mw_th)
            unit["peak_gas_boiler_mw_th"] = annual("gas_boiler")
            p["gb_eff"] = costs["gas_boiler"]["efficiency"] if gb.efficiency is None \
                else gb.efficiency
            p["gb_vom"] = costs["gas_boiler"]["vom_eur_per_mwh_th"]
        if block.thermal_storage is not None:
            st = block.thermal_storage
            row_name = "thermal_storage" if st.kind == "tank" else "thermal_storage_pit"
            row = costs[row_name]
            be = _bounds_of(st.energy_mwh)
            bounds["thermal_storage_mwh"] = be
            unit["thermal_storage_mwh"] = annual(row_name, "capex_eur_per_mwh")
            ratio = row["energy_to_power_h"]
            p["storage_ratio_h"] = ratio
            bounds["thermal_storage_mw"] = (be.scaled(1.0 / ratio) if st.power_mw is None
                                            else _bounds_of(st.power_mw))
            unit["thermal_storage_mw"] = 0.0  # the cost row is per MWh only
            loss = st.standing_loss_fraction_per_hour
            p["storage_loss"] = row["standing_loss_fraction_per_hour"] if loss is None else loss
        out[site] = SiteHeatModel(
            site=site, block=block,
            demand_mw=means(hourly.demand_mw), cop_heat_pump=means(hourly.cop_heat_pump),
            cop_waste_heat=means(hourly.cop_waste_heat),
            bounds=bounds, unit_cost=unit, params=p,
        )
    return HeatPlan(out)


# --------------------------------------------------------------------------- PyPSA engine


def names(site: str) -> dict[str, str]:
    """PyPSA component names of a site's heat model."""
    return {k: f"{site} {v}" for k, v in {
        "bus": "heat", "load": "heat demand", "unserved": "unserved heat",
        "waste_bus": "waste heat", "vent": "waste heat vent",
        "exchanger": "waste heat exchanger", "booster": "booster heat pump",
        "heat_pump": "heat pump", "electric_boiler": "electric boiler",
        "fuel_bus": "chp fuel", "fuel": "chp fuel supply", "chp": "chp back-pressure",
        "chp_condensing": "chp condensing", "gas_boiler": "peak gas boiler",
        "store_unit": "thermal storage", "store_bus": "thermal storage bus",
        "store": "thermal storage", "charger": "thermal storage charger",
        "discharger": "thermal storage discharger",
    }.items()}


def electrolysis_waste_heat(sn: SizingNetwork, site: str) -> dict[str, Any]:
    """Extra output of a site's electrolysis link: its recoverable waste heat (or nothing)."""
    m = None if sn.heat is None else sn.heat.sites.get(site)
    share = 0.0 if m is None else m.params.get("recovery_share", 0.0)
    if share <= 0.0:
        return {}
    return {"bus2": names(site)["waste_bus"], "efficiency2": share}


def _nom(b: Bounds, count: bool, unit: float, attr: str = "p",
         scale: float = 1.0) -> dict[str, Any]:
    from nzv_energy.sizing.network import _nom as nom

    b = b.scaled(scale)
    return {**nom(b, attr), "capital_cost": unit / scale if (b.extendable or count) else 0.0}


def add_heat_pypsa(n: pypsa.Network, sn: SizingNetwork) -> dict[str, list[str]]:
    """Add the heat components of ``sn`` to ``n``.

    Returns
    -------
    dict
        ``fixed``: component class -> fixed components with capital
        (for ``n.meta``); ``co2_generators``: natural-gas generators of heat.
    """
    plan = sn.heat
    fixed: dict[str, list[str]] = {"Generator": [], "Link": [], "Store": [], "StorageUnit": []}
    co2: list[str] = []
    if plan is None:
        return {"co2_generators": co2, **{f"fixed {k}": v for k, v in fixed.items()}}
    snaps = n.snapshots
    n.add("Carrier", list(HEAT_CARRIERS), nice_name=[v[0] for v in HEAT_CARRIERS.values()],
          color=[v[1] for v in HEAT_CARRIERS.values()])
    count = sn.count_fixed_assets
    for site, m in plan.sites.items():
        nm = names(site)
        comps = sn.sites[site]
        xy: dict[str, Any] = {"x": float(n.buses.at[comps.electricity_bus, "x"]),
              "y": float(n.buses.at[comps.electricity_bus, "y"])}
        p = m.params

        def series(a: np.ndarray) -> pd.Series:
            return pd.Series(np.asarray(a, dtype=np.float64), index=snaps)

        def note_fixed(cls: str, name: str, fld: str, m: SiteHeatModel = m) -> None:
            b = m.bounds[fld]
            if not b.extendable and not b.is_zero and m.unit_cost[fld] > 0:
                fixed[cls].append(name)

        n.add("Bus", nm["bus"], carrier="heat", **xy)
        peak = float(np.max(m.demand_mw)) if m.demand_mw.size else 0.0
        if peak > 0:
            n.add("Load", nm["load"], bus=nm["bus"], carrier="heat", p_set=series(m.demand_mw))
            n.add("Generator", nm["unserved"], bus=nm["bus"], carrier="unserved heat",
                  p_nom=peak, p_max_pu=series(m.demand_mw / peak), marginal_cost=p["penalty"])
        share = p.get("recovery_share", 0.0)
        waste = comps.electrolysis is not None and share > 0
        cop_w = m.cop_waste_heat
        if waste:  # the electrolysis link's bus2 (electrolysis_waste_heat)
            el_hi = sn.bounds[(site, "electrolysis_mw")].hi
            if nm["waste_bus"] not in n.buses.index:  # added with the electrolysis link
                n.add("Bus", nm["waste_bus"], carrier="waste heat", **xy)
            n.add("Generator", nm["vent"], bus=nm["waste_bus"], carrier="waste heat",
                  p_nom=share * el_hi, p_max_pu=0.0, p_min_pu=-1.0)
            if p.get("booster", 0.0) == 0.0:
                n.add("Link", nm["exchanger"], bus0=nm["waste_bus"], bus1=nm["bus"],
                      carrier="waste heat", p_nom=share * el_hi)
        if m.has("booster_heat_pump_mw_th") and waste:
            n.add("Link", nm["booster"], bus0=comps.electricity_bus, bus1=nm["bus"],
                  bus2=nm["waste_bus"], carrier="heat pump",
                  efficiency=series(cop_w), efficiency2=series(-(cop_w - 1.0)),
                  p_max_pu=series(1.0 / cop_w), marginal_cost=series(p["booster_vom"] * cop_w),
                  **_nom(m.bounds["booster_heat_pump_mw_th"], count,
                         m.unit_cost["booster_heat_pump_mw_th"]))
            note_fixed("Link", nm["booster"], "booster_heat_pump_mw_th")
        on_waste = p.get("heat_pump_on_waste", 0.0) > 0
        if m.has("heat_pump_mw_th") and (waste or not on_waste):
            cop = m.cop_heat_pump
            extra: dict[str, Any] = ({"bus2": nm["waste_bus"], "efficiency2": series(-(cop - 1.0))}
                                     if on_waste else {})
            n.add("Link", nm["heat_pump"], bus0=comps.electricity_bus, bus1=nm["bus"],
                  carrier="heat pump", efficiency=series(cop), p_max_pu=series(1.0 / cop),
                  marginal_cost=series(p["heat_pump_vom"] * cop), **extra,
                  **_nom(m.bounds["heat_pump_mw_th"], count, m.unit_cost["heat_pump_mw_th"]))
            note_fixed("Link", nm["heat_pump"], "heat_pump_mw_th")
        if m.has("electric_boiler_mw_th"):
            eff = p["eb_eff"]
            n.add("Link", nm["electric_boiler"], bus0=comps.electricity_bus, bus1=nm["bus"],
                  carrier="electric boiler", efficiency=eff, p_max_pu=1.0 / eff,
                  marginal_cost=p["eb_vom"] * eff,
                  **_nom(m.bounds["electric_boiler_mw_th"], count,
                         m.unit_cost["electric_boiler_mw_th"]))
            note_fixed("Link", nm["electric_boiler"], "electric_boiler_mw_th")
        if m.has("peak_gas_boiler_mw_th"):
            eff = p["gb_eff"]
            n.add("Generator", nm["gas_boiler"], bus=nm["bus"], carrier="natural gas",
                  efficiency=eff, marginal_cost=p["gas_eur_per_mwh"] / eff + p["gb_vom"],
                  **_nom(m.bounds["peak_gas_boiler_mw_th"], count,
                         m.unit_cost["peak_gas_boiler_mw_th"]))
            note_fixed("Generator", nm["gas_boiler"], "peak_gas_boiler_mw_th")
            co2.append(nm["gas_boiler"])
        if m.has("chp_mw"):
            eta, c_b, c_v = p["chp_eta"], p["chp_c_b"], p["chp_c_v"]
            b_el = m.bounds["chp_mw"]
            fuel_hi = b_el.hi / eta
            n.add("Bus", nm["fuel_bus"], carrier="chp fuel", **xy)
            nom = _nom(b_el, count, m.unit_cost["chp_mw"], scale=1.0 / eta)
            if p["chp_hydrogen"]:
                n.add("Link", nm["fuel"], bus0=comps.hydrogen_bus, bus1=nm["fuel_bus"],
                      carrier="chp fuel", **nom)
                note_fixed("Link", nm["fuel"], "chp_mw")
            else:
                n.add("Generator", nm["fuel"], bus=nm["fuel_bus"], carrier="natural gas",
                      efficiency=1.0, marginal_cost=p["gas_eur_per_mwh"], **nom)
                note_fixed("Generator", nm["fuel"], "chp_mw")
                co2.append(nm["fuel"])
            vom = p["chp_vom_eur_per_mwh_el"]
            e_bp = eta * c_b / (c_b + c_v)
            n.add("Link", nm["chp"], bus0=nm["fuel_bus"], bus1=comps.electricity_bus,
                  bus2=nm["bus"], carrier="chp", efficiency=e_bp,
                  efficiency2=eta / (c_b + c_v), p_nom=fuel_hi, marginal_cost=vom * e_bp)
            if c_v > 0:
                n.add("Link", nm["chp_condensing"], bus0=nm["fuel_bus"],
                      bus1=comps.electricity_bus, carrier="chp", efficiency=eta,
                      p_nom=fuel_hi, marginal_cost=vom * eta)
        if m.has("thermal_storage_mwh"):
            be, bp = m.bounds["thermal_storage_mwh"], m.bounds["thermal_storage_mw"]
            loss = p["storage_loss"]
            if m.storage_unit:
                hours = p["storage_ratio_h"] if m.storage_tied else be.lo / bp.lo
                # capital per MW of the unit = hours x energy cost (power has no cost row)
                n.add("StorageUnit", nm["store_unit"], bus=nm["bus"], carrier="thermal storage",
                      max_hours=hours, standing_loss=loss, cyclic_state_of_charge=True,
                      **_nom(be, count, m.unit_cost["thermal_storage_mwh"], scale=1.0 / hours))
                note_fixed("StorageUnit", nm["store_unit"], "thermal_storage_mwh")
            else:
                n.add("Bus", nm["store_bus"], carrier="thermal storage", **xy)
                n.add("Store", nm["store"], bus=nm["store_bus"], carrier="thermal storage",
                      e_cyclic=True, standing_loss=loss,
                      **_nom(be, count, m.unit_cost["thermal_storage_mwh"], attr="e"))
                note_fixed("Store", nm["store"], "thermal_storage_mwh")
                for key, b0, b1 in (("charger", nm["bus"], nm["store_bus"]),
                                    ("discharger", nm["store_bus"], nm["bus"])):
                    n.add("Link", nm[key], bus0=b0, bus1=b1, carrier="thermal storage",
                          **_nom(bp, count, 0.0))
    return {"co2_generators": co2, **{f"fixed {k}": v for k, v in fixed.items()}}


def heat_solution_pypsa(sn: SizingNetwork) -> tuple[dict[tuple[str, str], float],
                                                      dict[str, np.ndarray]]:
    """Heat capacities and flows of a network solved by PyPSA."""
    n = sn.network
    assert n is not None
    T = len(n.snapshots)
    sites = list(sn.sites)
    flows = {k: np.zeros((T, len(sites))) for k in HEAT_FLOWS}
    caps: dict[tuple[str, str], float] = {}
    if sn.heat is None:
        return caps, flows

    def col(df: pd.DataFrame, name: str) -> np.ndarray:
        return df[name].to_numpy(dtype=np.float64) if name in df.columns else np.zeros(T)

    def nom(df: pd.DataFrame, name: str, attr: str = "p_nom_opt") -> float:
        return float(df.at[name, attr]) if name in df.index else 0.0

    gp, l0, l1 = n.generators_t.p, n.links_t.p0, n.links_t.p1
    for site, m in sn.heat.sites.items():
        j = sites.index(site)
        nm = names(site)
        el = sn.sites[site].electrolysis
        f = {k: flows[k][:, j] for k in HEAT_FLOWS}
        f["heat_demand"][:] = m.demand_mw
        f["unserved_heat"][:] = col(gp, nm["unserved"])
        f["heat_pump_electricity"][:] = col(l0, nm["heat_pump"])
        f["heat_pump_heat"][:] = -col(l1, nm["heat_pump"])
        f["booster_electricity"][:] = col(l0, nm["booster"])
        f["booster_heat"][:] = -col(l1, nm["booster"])
        f["waste_heat_direct"][:] = col(l0, nm["exchanger"])
        if el is not None and "p2" in n.links_t and nm["waste_bus"] in n.buses.index:
            f["waste_heat_available"][:] = -col(n.links_t.p2, el)
        f["electric_boiler_electricity"][:] = col(l0, nm["electric_boiler"])
        f["electric_boiler_heat"][:] = -col(l1, nm["electric_boiler"])
        f["gas_boiler_heat"][:] = col(gp, nm["gas_boiler"])
        f["chp_fuel"][:] = col(l0, nm["chp"]) + col(l0, nm["chp_condensing"])
        f["chp_electricity"][:] = -col(l1, nm["chp"]) - col(l1, nm["chp_condensing"])
        if "p2" in n.links_t:
            f["chp_heat"][:] = -col(n.links_t.p2, nm["chp"])
        su = n.storage_units_t
        if nm["store_unit"] in n.storage_units.index:
            f["storage_charge"][:] = col(su.p_store, nm["store_unit"])
            f["storage_discharge"][:] = col(su.p_dispatch, nm["store_unit"])
            f["storage_level"][:] = col(su.state_of_charge, nm["store_unit"])
            p_nom = nom(n.storage_units, nm["store_unit"])
            hours = nom(n.storage_units, nm["store_unit"], "max_hours")
            caps[(site, "thermal_storage_mwh")] = p_nom * hours
            caps[(site, "thermal_storage_mw")] = p_nom
        elif nm["store"] in n.stores.index:
            f["storage_charge"][:] = col(l0, nm["charger"])
            f["storage_discharge"][:] = col(l0, nm["discharger"])
            f["storage_level"][:] = col(n.stores_t.e, nm["store"])
            caps[(site, "thermal_storage_mwh")] = nom(n.stores, nm["store"], "e_nom_opt")
            caps[(site, "thermal_storage_mw")] = nom(n.links, nm["charger"])
        caps[(site, "heat_pump_mw_th")] = nom(n.links, nm["heat_pump"])
        caps[(site, "booster_heat_pump_mw_th")] = nom(n.links, nm["booster"])
        caps[(site, "electric_boiler_mw_th")] = nom(n.links, nm["electric_boiler"])
        caps[(site, "peak_gas_boiler_mw_th")] = nom(n.generators, nm["gas_boiler"])
        fuel = (nom(n.links, nm["fuel"]) if nm["fuel"] in n.links.index
                else nom(n.generators, nm["fuel"]))
        caps[(site, "chp_mw")] = fuel * m.params.get("chp_eta", 0.0)
    return caps, flows


# --------------------------------------------------------------------------- direct engine


@dataclass
class DirectHeatColumns:
    """Where a site's heat quantities live in the direct LP (arrays of column indices)."""

    cols: dict[str, np.ndarray] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)


def add_heat_direct(
    sn: SizingNetwork,
    b: Any,
    site: str,
    t: np.ndarray,
    w: np.ndarray,
    ow: np.ndarray,
    prev: np.ndarray,
    electrolysis: np.ndarray | None,
    cap_cols: dict[tuple[str, str], int],
) -> tuple[list[tuple[Any, Any, Any]], list[tuple[Any, Any, Any]], DirectHeatColumns]:
    """Add a site's heat columns and rows to the direct LP builder ``b``.

    Same components as :func:`add_heat_pypsa`: electric links by their
    electricity input (heat = efficiency x input), the CHP by its fuel in
    back-pressure and (extraction) condensing mode, the store by charge,
    discharge and level.

    Returns
    -------
    el_terms, h2_terms
        Terms for the site's electricity and hydrogen balances.
    DirectHeatColumns
        The columns (for reading the solution).
    """
    assert sn.heat is not None
    m = sn.heat.sites[site]
    p = m.params
    T = len(t)
    out = DirectHeatColumns()
    el: list[tuple[Any, Any, Any]] = []
    h2: list[tuple[Any, Any, Any]] = []
    heat: list[tuple[Any, Any, Any]] = []
    waste: list[tuple[Any, Any, Any]] = []

    def capacity(fld: str) -> Bounds:
        bd = m.bounds[fld]
        if bd.extendable:
            col = int(b.cols(1, bd.lo, bd.hi, m.unit_cost[fld])[0])
            cap_cols[(site, fld)] = col
            out.caps[fld] = col
        return bd

    def rated(fld: str, name: str, per_unit: np.ndarray, cost: Any) -> np.ndarray:
        """Input column limited by per_unit x capacity (a bound when fixed)."""
        bd = capacity(fld)
        pu = np.broadcast_to(np.asarray(per_unit, dtype=np.float64), (T,))
        if bd.extendable:
            cols = b.cols(T, 0.0, INF, cost)
            b.rows(f"{name}_limit {site}", T, [(t, cols, 1.0), (t, out.caps[fld], -pu)],
                   -INF, 0.0)
        else:
            cols = b.cols(T, 0.0, pu * bd.lo, cost)
        out.cols[name] = cols
        return cols

    if float(np.max(m.demand_mw, initial=0.0)) > 0:
        un = b.cols(T, 0.0, m.demand_mw, ow * p["penalty"])
        heat.append((t, un, 1.0))
        out.cols["unserved_heat"] = un
    share = p.get("recovery_share", 0.0)
    has_waste = electrolysis is not None and share > 0
    cop_w = m.cop_waste_heat
    if has_waste:
        waste.append((t, electrolysis, -share))
        if p.get("booster", 0.0) == 0.0:
            d = b.cols(T)
            out.cols["waste_heat_direct"] = d
            heat.append((t, d, 1.0))
            waste.append((t, d, 1.0))
    if m.has("booster_heat_pump_mw_th") and has_waste:
        cols = rated("booster_heat_pump_mw_th", "booster_electricity", 1.0 / cop_w,
                     ow * p["booster_vom"] * cop_w)
        el.append((t, cols, -1.0))
        heat.append((t, cols, cop_w))
        waste.append((t, cols, cop_w - 1.0))
    on_waste = p.get("heat_pump_on_waste", 0.0) > 0
    if m.has("heat_pump_mw_th") and (has_waste or not on_waste):
        cop = m.cop_heat_pump
        cols = rated("heat_pump_mw_th", "heat_pump_electricity", 1.0 / cop,
                     ow * p["heat_pump_vom"] * cop)
        el.append((t, cols, -1.0))
        heat.append((t, cols, cop))
        if on_waste:
            waste.append((t, cols, cop - 1.0))
    if m.has("electric_boiler_mw_th"):
        eff = p["eb_eff"]
        cols = rated("electric_boiler_mw_th", "electric_boiler_electricity",
                     np.full(T, 1.0 / eff), ow * p["eb_vom"] * eff)
        el.append((t, cols, -1.0))
        heat.append((t, cols, eff))
    if m.has("peak_gas_boiler_mw_th"):
        eff = p["gb_eff"]
        cols = rated("peak_gas_boiler_mw_th", "gas_boiler_heat", np.ones(T),
                     ow * (p["gas_eur_per_mwh"] / eff + p["gb_vom"]))
        heat.append((t, cols, 1.0))
    if m.has("chp_mw"):
        eta, c_b, c_v = p["chp_eta"], p["chp_c_b"], p["chp_c_v"]
        vom = p["chp_vom_eur_per_mwh_el"]
        fuel_cost = 0.0 if p["chp_hydrogen"] else p["gas_eur_per_mwh"]
        e_bp = eta * c_b / (c_b + c_v)
        bp = b.cols(T, 0.0, INF, ow * (fuel_cost + vom * e_bp))
        fuel_terms = [(t, bp, 1.0)]
        el.append((t, bp, e_bp))
        heat.append((t, bp, eta / (c_b + c_v)))
        out.cols["chp_back_pressure_fuel"] = bp
        if c_v > 0:
            cond = b.cols(T, 0.0, INF, ow * (fuel_cost + vom * eta))
            fuel_terms.append((t, cond, 1.0))
            el.append((t, cond, eta))
            out.cols["chp_condensing_fuel"] = cond
        bd = capacity("chp_mw")
        if bd.extendable:
            b.rows(f"chp_fuel_limit {site}", T, [*fuel_terms, (t, out.caps["chp_mw"], -1.0 / eta)],
                   -INF, 0.0)
        else:
            b.rows(f"chp_fuel_limit {site}", T, fuel_terms, -INF, bd.lo / eta)
        if p["chp_hydrogen"]:
            h2 += [(r, c, -w) for r, c, _ in fuel_terms]
    if m.has("thermal_storage_mwh"):
        be, bp_ = capacity("thermal_storage_mwh"), m.bounds["thermal_storage_mw"]
        ratio = p["storage_ratio_h"]
        if m.storage_tied:
            if be.extendable:
                ch, dis = b.cols(T), b.cols(T)
                for nme, cc in (("charge", ch), ("discharge", dis)):
                    b.rows(f"heat_storage_{nme}_limit {site}", T,
                           [(t, cc, 1.0), (t, out.caps["thermal_storage_mwh"], -1.0 / ratio)],
                           -INF, 0.0)
            else:
                ch, dis = b.cols(T, 0.0, be.lo / ratio), b.cols(T, 0.0, be.lo / ratio)
        else:
            bdp = capacity("thermal_storage_mw")
            if bdp.extendable:
                ch, dis = b.cols(T), b.cols(T)
                for nme, cc in (("charge", ch), ("discharge", dis)):
                    b.rows(f"heat_storage_{nme}_limit {site}", T,
                           [(t, cc, 1.0), (t, out.caps["thermal_storage_mw"], -1.0)], -INF, 0.0)
            else:
                ch, dis = b.cols(T, 0.0, bp_.lo), b.cols(T, 0.0, bp_.lo)
        if be.extendable:
            lvl = b.cols(T)
            b.rows(f"heat_storage_level_limit {site}", T,
                   [(t, lvl, 1.0), (t, out.caps["thermal_storage_mwh"], -1.0)], -INF, 0.0)
        else:
            lvl = b.cols(T, 0.0, be.lo)
        keep = (1.0 - p["storage_loss"]) ** w
        b.rows(f"heat_storage_balance {site}", T,
               [(t, lvl, 1.0), (t, lvl[prev], -keep), (t, ch, -w), (t, dis, w)], 0.0, 0.0)
        heat += [(t, ch, -1.0), (t, dis, 1.0)]
        out.cols.update(storage_charge=ch, storage_discharge=dis, storage_level=lvl)
    if waste and has_waste:
        b.rows(f"waste_heat_balance {site}", T, waste, -INF, 0.0)
    b.rows(f"heat_balance {site}", T, heat, m.demand_mw, m.demand_mw)
    return el, h2, out


def heat_co2_terms_direct(sn: SizingNetwork, cols: dict[str, DirectHeatColumns],
                          weights: np.ndarray, rows: np.ndarray) -> list[tuple[Any, Any, Any]]:
    """CO2 terms (t per row) of natural gas burnt for heat, weighted by ``weights``."""
    terms: list[tuple[Any, Any, Any]] = []
    if sn.heat is None:
        return terms
    for site, dc in cols.items():
        p = sn.heat.sites[site].params
        k = p["co2_t_per_mwh_gas"]
        if "gas_boiler_heat" in dc.cols:
            terms.append((rows, dc.cols["gas_boiler_heat"], weights * k / p["gb_eff"]))
        if not p.get("chp_hydrogen", 1.0):
            for key in ("chp_back_pressure_fuel", "chp_condensing_fuel"):
                if key in dc.cols:
                    terms.append((rows, dc.cols[key], weights * k))
    return terms


def heat_solution_direct(sn: SizingNetwork, cols: dict[str, DirectHeatColumns],
                         electrolysis: dict[str, np.ndarray], x: np.ndarray
                         ) -> tuple[dict[tuple[str, str], float], dict[str, np.ndarray]]:
    """Heat capacities and flows of a solved direct model (``x``: column values)."""
    T = len(sn.inputs.time)
    sites = list(sn.sites)
    flows = {k: np.zeros((T, len(sites))) for k in HEAT_FLOWS}
    caps: dict[tuple[str, str], float] = {}
    if sn.heat is None:
        return caps, flows
    for site, m in sn.heat.sites.items():
        j = sites.index(site)
        dc = cols.get(site, DirectHeatColumns())
        p = m.params

        def v(key: str, dc: DirectHeatColumns = dc) -> np.ndarray:
            return x[dc.cols[key]] if key in dc.cols else np.zeros(T)

        f = {k: flows[k][:, j] for k in HEAT_FLOWS}
        f["heat_demand"][:] = m.demand_mw
        f["unserved_heat"][:] = v("unserved_heat")
        f["heat_pump_electricity"][:] = v("heat_pump_electricity")
        f["heat_pump_heat"][:] = v("heat_pump_electricity") * m.cop_heat_pump
        f["booster_electricity"][:] = v("booster_electricity")
        f["booster_heat"][:] = v("booster_electricity") * m.cop_waste_heat
        f["waste_heat_direct"][:] = v("waste_heat_direct")
        if site in electrolysis:
            f["waste_heat_available"][:] = p.get("recovery_share", 0.0) * x[electrolysis[site]]
        f["electric_boiler_electricity"][:] = v("electric_boiler_electricity")
        f["electric_boiler_heat"][:] = v("electric_boiler_electricity") * p.get("eb_eff", 1.0)
        f["gas_boiler_heat"][:] = v("gas_boiler_heat")
        if m.has("chp_mw"):
            eta, c_b, c_v = p["chp_eta"], p["chp_c_b"], p["chp_c_v"]
            bp, cond = v("chp_back_pressure_fuel"), v("chp_condensing_fuel")
            f["chp_fuel"][:] = bp + cond
            f["chp_electricity"][:] = bp * eta * c_b / (c_b + c_v) + cond * eta
            f["chp_heat"][:] = bp * eta / (c_b + c_v)
        for key in ("storage_charge", "storage_discharge", "storage_level"):
            f[key][:] = v(key)
        for fld, bd in m.bounds.items():
            caps[(site, fld)] = float(x[dc.caps[fld]]) if fld in dc.caps else (
                0.0 if bd.is_zero else bd.lo)
        if m.storage_tied and "thermal_storage_mwh" in m.bounds:
            caps[(site, "thermal_storage_mw")] = (caps[(site, "thermal_storage_mwh")]
                                                  / p["storage_ratio_h"])
    return caps, flows


# --------------------------------------------------------------------------- results


def heat_capacity_values(sn: SizingNetwork, caps: dict[tuple[str, str], float]
                         ) -> dict[tuple[str, str], float]:
    """Heat capacities clipped to their bounds (``-0.0`` as ``0.0``)."""
    out: dict[tuple[str, str], float] = {}
    if sn.heat is None:
        return out
    for site, m in sn.heat.sites.items():
        for fld, b in m.bounds.items():
            v = caps.get((site, fld), 0.0)
            out[(site, fld)] = 0.0 if b.is_zero else float(np.clip(v, b.lo, b.hi)) + 0.0
    return out


def heat_cost_rows(sn: SizingNetwork, values: dict[tuple[str, str], float],
                   flows: dict[str, np.ndarray]) -> list[tuple[str, str, str, str, float, str,
                                                               bool]]:
    """Rows of :func:`nzv_energy.sizing.solution.cost_breakdown` for the heat assets."""
    rows: list[tuple[str, str, str, str, float, str, bool]] = []
    if sn.heat is None:
        return rows
    w = sn.weights_h / sn.n_years
    sites = list(sn.sites)
    for site, m in sn.heat.sites.items():
        j = sites.index(site)
        p = m.params
        for fld, b in m.bounds.items():
            if b.is_zero or _tied_power(m, fld):
                continue
            item = "sized_assets" if b.extendable else "fixed_assets"
            rows.append((site, f"heat {fld.rsplit('_m', 1)[0]}", "capital", fld,
                         values[(site, fld)] * m.unit_cost[fld], item,
                         b.extendable or sn.count_fixed_assets))

        def energy(key: str, j: int = j) -> float:
            return float(np.sum(flows[key][:, j] * w))

        gas_mwh = energy("gas_boiler_heat") / p["gb_eff"] if "gb_eff" in p else 0.0
        if not p.get("chp_hydrogen", 1.0):
            gas_mwh += energy("chp_fuel")
        vom = (energy("heat_pump_heat") * p.get("heat_pump_vom", 0.0)
               + energy("booster_heat") * p.get("booster_vom", 0.0)
               + energy("electric_boiler_heat") * p.get("eb_vom", 0.0)
               + energy("gas_boiler_heat") * p.get("gb_vom", 0.0)
               + energy("chp_electricity") * p.get("chp_vom_eur_per_mwh_el", 0.0))
        gas_price = sn.scenario.economics.gas_price_eur_per_mwh
        rows += [
            (site, "heat operation", "variable_om", "", vom, "variable_om", True),
            (site, "heat operation", "fuel", "", gas_mwh * gas_price, "fuel", True),
            (site, "heat operation", "co2", "", gas_mwh * (p["gas_eur_per_mwh"] - gas_price),
             "co2", True),
            (site, "heat operation", "unserved_heat", "", energy("unserved_heat") * p["penalty"],
             "unserved_heat", True),
        ]
    return rows


def heat_system_cost_eur_per_year(costs: pd.DataFrame) -> float:
    """Counted annual cost of the district heat in a cost breakdown, EUR/a.

    The rows :func:`heat_cost_rows` adds (component ``heat ...``: capital of the heat assets,
    their variable O&M, natural gas, CO2 and unserved heat); 0 without heat.
    """
    heat = costs["component"].str.startswith("heat") & costs["in_total"].astype(bool)
    return float(costs.loc[heat, "eur_per_year"].sum())


def heat_co2_t_per_year(sn: SizingNetwork, flows: dict[str, np.ndarray]) -> float:
    """Mean annual CO2 of natural gas burnt for heat (peak boilers, gas CHPs), t."""
    if sn.heat is None:
        return 0.0
    w = sn.weights_h / sn.n_years
    sites = list(sn.sites)
    total = 0.0
    for site, m in sn.heat.sites.items():
        j = sites.index(site)
        p = m.params
        gas = flows["gas_boiler_heat"][:, j] / p["gb_eff"] if "gb_eff" in p else 0.0
        if not p.get("chp_hydrogen", 1.0):
            gas = gas + flows["chp_fuel"][:, j]
        total += float(np.sum(np.asarray(gas) * w)) * p["co2_t_per_mwh_gas"]
    return total


def heat_kpis(sn: SizingNetwork, flows: dict[str, np.ndarray]) -> dict[str, float]:
    """Annual heat figures of the LP (mean over weather years)."""
    if sn.heat is None:
        return {}
    w = (sn.weights_h / sn.n_years)[:, None]

    def total(key: str) -> float:
        return float(np.sum(flows[key] * w))

    demand = total("heat_demand")
    served = demand - total("unserved_heat")
    return {
        "heat_demand_mwh_per_year": demand,
        "heat_unserved_mwh_per_year": total("unserved_heat"),
        "lp_heat_demand_met_share": served / demand if demand > 0 else float("nan"),
        "heat_from_waste_heat_mwh_per_year": total("waste_heat_direct") + total("booster_heat"),
        "heat_from_heat_pump_mwh_per_year": total("heat_pump_heat"),
        "heat_from_electric_boiler_mwh_per_year": total("electric_boiler_heat"),
        "heat_from_chp_mwh_per_year": total("chp_heat"),
        "heat_from_gas_boiler_mwh_per_year": total("gas_boiler_heat"),
        "heat_co2_t_per_year": heat_co2_t_per_year(sn, flows),
    }


def sized_heat(scenario: Scenario, values: dict[tuple[str, str], float],
               decimals: int = 3) -> dict[str, Any] | None:
    """The scenario's ``heat:`` block (as a mapping) with every range replaced by its value."""
    if scenario.heat is None:
        return None

    def pick(value: object, site: str, fld: str) -> object:
        if isinstance(value, CapacityRange):
            v = round(values.get((site, fld), value.min), decimals)
            return min(max(v, value.min), value.max)
        return value

    out: dict[str, Any] = {}
    for site, block in scenario.heat.items():
        data = block.model_dump(mode="python")
        for key, sub, fld in (
            ("chp", "electric_mw", "chp_mw"),
            ("heat_pump", "heat_mw_th", "heat_pump_mw_th"),
            ("waste_heat_recovery", "booster_heat_pump_mw_th", "booster_heat_pump_mw_th"),
            ("electric_boiler", "heat_mw_th", "electric_boiler_mw_th"),
            ("peak_gas_boiler", "heat_mw_th", "peak_gas_boiler_mw_th"),
            ("thermal_storage", "energy_mwh", "thermal_storage_mwh"),
            ("thermal_storage", "power_mw", "thermal_storage_mw"),
        ):
            part = getattr(block, key)
            if part is not None:
                data[key][sub] = pick(getattr(part, sub), site, fld)
        rec = data.get("waste_heat_recovery")
        if rec is not None and rec["mode"] == "booster_heat_pump" and not (
                float(rec["booster_heat_pump_mw_th"]) > 0):
            # no booster built: nothing recovered; a heat pump on electrolyser heat still
            # needs the block (its share), so it keeps a 1 kW booster (the sizing's rounding)
            if block.heat_pump is not None and block.heat_pump.source == "electrolyser_heat":
                rec["booster_heat_pump_mw_th"] = 10.0 ** -decimals
            else:
                data["waste_heat_recovery"] = None
        out[site] = data
    return out


def heat_capacities_rows(sn: SizingNetwork, values: dict[tuple[str, str], float]
                         ) -> list[dict[str, object]]:
    """Rows of the capacities table for the heat capacities."""
    rows: list[dict[str, object]] = []
    if sn.heat is None:
        return rows
    for site, m in sn.heat.sites.items():
        for fld, b in m.bounds.items():
            if b.is_zero:
                continue
            rows.append({"site": site, "technology": fld, "value": values[(site, fld)],
                         "unit": HEAT_CAPACITIES[fld], "min": b.lo, "max": b.hi,
                         "sized": b.extendable})
    return rows


__all__ = ["HEAT_CAPACITIES", "HEAT_FLOWS", "DirectHeatColumns", "HeatPlan", "SiteHeatModel",
           "add_heat_direct", "add_heat_pypsa", "heat_capacity_values", "heat_co2_t_per_year",
           "heat_co2_terms_direct", "heat_cost_rows", "heat_kpis", "heat_plan",
           "heat_solution_direct", "heat_solution_pypsa", "sized_heat"]
