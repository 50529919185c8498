"""Stage 1 of the optimiser: build a PyPSA network from the scenario's inputs.

Buses per site (electricity, hydrogen, a battery bus when power and energy
are sized separately, a local-load bus when the site has a gas backup), a
hydrogen bus at the demand site, an external grid bus.  Components:

* wind and PV: extendable ``Generator`` with the site's hourly capacity factor;
* grid connection: a ``Link`` between the grid bus and the site, rated at the
  connection, whose marginal cost is the hour's price (import cost; negative
  flow = export revenue).  The grid policy is in its ``p_max_pu`` (0 when
  ``operation.grid_import`` is false) and ``p_min_pu`` (0 when power may not be
  sold).  When a constraint needs the gross import (RFNBO, import cap) import
  and export are two links;
* battery: a ``StorageUnit`` when power and energy are both fixed, else a
  ``Store`` with charger and discharger links whose AC ratings are tied
  (power and energy sized separately);
* electrolyser: a ``Link`` electricity -> hydrogen with the rated efficiency;
* hydrogen storage: a cyclic ``Store`` on the site's hydrogen bus;
* pipeline: a ``Link`` to the demand bus, capital cost and ``length`` by route
  length (:attr:`~nzv_energy.system.SystemInputs.pipeline_km`);
* gas backup: a ``Generator`` (natural gas: fuel, CO2 and VOM in the marginal
  cost, electric ``efficiency`` and the carrier's ``co2_emissions`` as PyPSA's
  primary-energy convention has them) or a ``Link`` from the site's hydrogen bus
  (hydrogen-fired).  It feeds the site's *local-load bus*, which holds the
  site's own load and is supplied from the site's electricity bus by a one-way
  ``Link`` rated at that load: gas-fired power serves the local load only,
  never the electrolyser (as in the dispatch rules);
* hydrogen demand: a ``Load`` at the demand bus, served every hour.

Capacities given as numbers are fixed (``p_nom``, not extendable); ``{min,
max}`` ranges become ``p_nom_min``/``p_nom_max`` of extendable components with
``p_nom = 0`` (no existing capacity: the minimum is a floor of the new build,
costed as sized).  Snapshot weightings carry the hours each snapshot stands for
(1 at full resolution, the segment length in fast mode); the objective
weighting is divided by the number of weather years so the objective is the
mean annual cost.

Buses sit at the scenario's coordinates (``x`` = longitude, ``y`` = latitude),
the grid bus at the mean of the sites' coordinates (it stands for the market,
not a place); carriers carry the nice names and colours of
:mod:`nzv_energy.carriers`.  The rules PyPSA cannot hold in components are
stored in ``n.meta`` (:func:`network_meta`) and re-added by
:func:`nzv_energy.sizing.extra.extra_functionality`.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pypsa

from nzv_energy.carriers import carrier_table
from nzv_energy.grid_carbon import import_allowed_hours, intensity_on
from nzv_energy.rfnbo import rfnbo_eligible_hours
from nzv_energy.scenario import Capacity, CapacityRange, Scenario
from nzv_energy.sizing.costs import TechnologyCosts, technology_costs
from nzv_energy.sizing.extra import RULES_KEY
from nzv_energy.sizing.heat import (
    HeatPlan,
    add_heat_pypsa,
    electrolysis_waste_heat,
    heat_plan,
)
from nzv_energy.system import SystemInputs

logger = logging.getLogger(__name__)

GRID_BUS = "grid"
GRID_MARKET = "grid market"


@dataclass(frozen=True)
class Bounds:
    """A capacity of the model: fixed (``lo == hi`` and not extendable) or a range."""

    extendable: bool
    lo: float
    hi: float

    @classmethod
    def of(cls, value: Capacity | None, default_hi: float | None = None) -> Bounds:
        """Bounds of a scenario capacity; ``None`` becomes ``[0, default_hi]``."""
        if value is None:
            if default_hi is None:
                raise ValueError("no default for an unset capacity")
            return cls(True, 0.0, float(default_hi))
        if isinstance(value, CapacityRange):
            return cls(True, float(value.min), float(value.max))
        return cls(False, float(value), float(value))

    @property
    def is_zero(self) -> bool:
        """True when the capacity can only be zero (the component is left out)."""
        return self.hi <= 0.0

    def scaled(self, factor: float) -> Bounds:
        """The same bounds multiplied by ``factor`` (e.g. output to input rating)."""
        return Bounds(self.extendable, self.lo * factor, self.hi * factor)


@dataclass(frozen=True)
class SiteComponents:
    """Names of one site's components in the network (``None`` = not in the model)."""

    site: str
    electricity_bus: str
    hydrogen_bus: str
    wind: str | None = None
    pv: str | None = None
    electrolysis: str | None = None
    pipeline: str | None = None
    hydrogen_storage: str | None = None
    battery_unit: str | None = None
    battery_store: str | None = None
    battery_charger: str | None = None
    battery_discharger: str | None = None
    gas_generator: str | None = None
    gas_link: str | None = None
    grid: str | None = None
    grid_import: str | None = None
    grid_export: str | None = None
    local_demand: str | None = None
    local_bus: str | None = None
    local_supply: str | None = None
    gas_to_grid: str | None = None


@dataclass(frozen=True)
class SizingNetwork:
    """A built network with the bookkeeping the later stages need.

    Attributes
    ----------
    network
        The PyPSA network (``None`` for a plan not yet built, see :func:`plan_network`).
    inputs
        The inputs the network was built from (hourly or aggregated).
    weights_h
        Hours each snapshot stands for.
    n_years
        Number of weather years in the snapshots.
    sites
        Component names per site.
    bounds
        ``(site, technology) -> Bounds`` of every capacity in the model.
    costs
        Unit costs used.
    grid_import_allowed
        Whether the sites may buy grid power (``operation.grid_import``).
    demand_bus, demand_load
        Names of the demand bus and load.
    count_fixed_assets
        Whether the capital of fixed capacities is in the objective
        (``economics.fixed_assets: annualised``) as a constant.
    export_allowed
        Whether the sites may sell power (``False`` for ``optimisation.export_revenue:
        none`` and the first stage of ``surplus_only``: the surplus is curtailed).
    """

    network: pypsa.Network | None
    inputs: SystemInputs
    weights_h: np.ndarray
    n_years: int
    sites: dict[str, SiteComponents]
    bounds: dict[tuple[str, str], Bounds]
    costs: TechnologyCosts
    grid_import_allowed: bool
    demand_bus: str
    demand_load: str
    count_fixed_assets: bool = True
    export_allowed: bool = True
    heat: HeatPlan | None = None

    @property
    def scenario(self) -> Scenario:
        """The scenario of the inputs."""
        return self.inputs.scenario

    def unit_capital_cost(self, site: str, fld: str) -> float:
        """Annualised investment plus fixed O&M per unit of a capacity, EUR/(MW or MWh)/a."""
        c = self.costs
        if fld == "pipeline_mw":
            i = list(self.sites).index(site)
            return c.pipeline_eur_per_mw_km_year * float(self.inputs.pipeline_km[i])
        return {
            "wind_mw": c.wind_eur_per_mw_year,
            "pv_mw": c.pv_eur_per_mw_year,
            "battery_mw": c.battery_power_eur_per_mw_year,
            "battery_mwh": c.battery_energy_eur_per_mwh_year,
            "electrolysis_mw": c.electrolysis_eur_per_mw_year,
            "gas_backup_mw": c.gas_backup_eur_per_mw_year,
            "hydrogen_storage_mwh": c.hydrogen_storage_eur_per_mwh_year,
        }[fld]

    def fixed_capital_eur_per_year(self) -> float:
        """Annualised capital (annuity + fixed O&M) of the fixed capacities, counted or not."""
        heat = 0.0 if self.heat is None else self.heat.fixed_capital_eur_per_year()
        return heat + float(sum(
            b.lo * self.unit_capital_cost(site, fld)
            for (site, fld), b in self.bounds.items() if not b.extendable and not b.is_zero
        ))

    def bound(self, key: tuple[str, str]) -> Bounds:
        """Bounds of a capacity, heat capacities (:mod:`nzv_energy.sizing.heat`) included."""
        if key in self.bounds or self.heat is None:
            return self.bounds[key]
        return self.heat.sites[key[0]].bounds[key[1]]

    @property
    def objective_constant_eur_per_year(self) -> float:
        """The constant of the objective: fixed capital when counted, else zero."""
        return self.fixed_capital_eur_per_year() if self.count_fixed_assets else 0.0


def needs_gross_import(scenario: Scenario) -> bool:
    """Whether a constraint refers to the gross grid import (so import and export are split)."""
    opt = scenario.optimisation
    return scenario.operation.grid_import and (
        opt.rfnbo != "none" or opt.max_grid_import_mwh_per_year is not None
        or opt.co2_cap_t_per_year is not None
        or opt.max_hydrogen_carbon_intensity_kg_per_kg is not None
    )


def capacity_bounds(scenario: Scenario, inputs: SystemInputs) -> dict[tuple[str, str], Bounds]:
    """Bounds of every capacity of the scenario, by ``(site, field name)``.

    A pipeline left unset is sized between zero and the demand peak (no pipeline
    ever carries more than the whole demand).
    """
    peak = float(np.max(inputs.hydrogen_demand_mw)) if inputs.hydrogen_demand_mw.size else 0.0
    out: dict[tuple[str, str], Bounds] = {}
    for name, site in scenario.sites.items():
        for fld in ("wind_mw", "pv_mw", "battery_mw", "battery_mwh", "electrolysis_mw",
                    "gas_backup_mw"):
            out[(name, fld)] = Bounds.of(getattr(site, fld))
        out[(name, "pipeline_mw")] = Bounds.of(site.pipeline_mw, default_hi=peak)
        out[(name, "hydrogen_storage_mwh")] = Bounds.of(
            scenario.hydrogen.storage_mwh.get(name, 0.0)
        )
    return out


def _nom(b: Bounds, attr: str = "p") -> dict[str, Any]:
    """Nominal attributes: fixed ``p_nom``, or a range of a new build (no existing capacity)."""
    if b.extendable:
        return {
            f"{attr}_nom_extendable": True,
            f"{attr}_nom_min": b.lo,
            f"{attr}_nom_max": b.hi,
            f"{attr}_nom": 0.0,
        }
    return {f"{attr}_nom": b.lo, f"{attr}_nom_extendable": False}


def _site_components(
    scenario: Scenario, bounds: dict[tuple[str, str], Bounds], split_grid: bool
) -> dict[str, SiteComponents]:
    """Names of the components each site gets (``None`` where a capacity can only be zero)."""
    import_allowed = scenario.operation.grid_import
    hydrogen_fired = scenario.operation.gas_backup_fuel == "hydrogen"
    min_soc = scenario.technology.battery.min_soc_fraction
    out = {}
    for name, site in scenario.sites.items():

        def has(fld: str, name: str = name) -> bool:
            return not bounds[(name, fld)].is_zero

        names: dict[str, str | None] = {
            "wind": f"{name} wind" if has("wind_mw") else None,
            "pv": f"{name} solar" if has("pv_mw") else None,
            "electrolysis": f"{name} electrolysis" if has("electrolysis_mw") else None,
            "pipeline": f"{name} pipeline" if has("pipeline_mw") else None,
            "hydrogen_storage": (
                f"{name} hydrogen storage" if has("hydrogen_storage_mwh") else None
            ),
        }
        if has("gas_backup_mw"):
            names["gas_link" if hydrogen_fired else "gas_generator"] = f"{name} gas backup"
            names["local_bus"] = f"{name} local load"
            if site.local_demand_mw > 0:
                names["local_supply"] = f"{name} local supply"
            if scenario.security.firm_mw > 0 and site.grid_connection_mw > 0:
                # gas-fired power reaches the grid only for a firm commitment
                names["gas_to_grid"] = f"{name} gas to grid"
        bp, be = bounds[(name, "battery_mw")], bounds[(name, "battery_mwh")]
        if not (bp.is_zero or be.is_zero):
            if not bp.extendable and not be.extendable and min_soc == 0.0:
                names["battery_unit"] = f"{name} battery"
            else:
                names["battery_store"] = f"{name} battery"
                names["battery_charger"] = f"{name} battery charger"
                names["battery_discharger"] = f"{name} battery discharger"
        if site.grid_connection_mw > 0:
            if split_grid:
                if import_allowed:
                    names["grid_import"] = f"{name} grid import"
                names["grid_export"] = f"{name} grid export"
            else:
                names["grid"] = f"{name} grid"
        if site.local_demand_mw > 0:
            names["local_demand"] = f"{name} local demand"
        out[name] = SiteComponents(site=name, electricity_bus=f"{name} electricity",
                                   hydrogen_bus=f"{name} hydrogen", **names)
    return out


def plan_network(
    inputs: SystemInputs,
    weights_h: np.ndarray | None = None,
    *,
    export_allowed: bool | None = None,
    bounds: dict[tuple[str, str], Bounds] | None = None,
) -> SizingNetwork:
    """Everything about the model except the PyPSA objects: bounds, costs, component names.

    Parameters
    ----------
    inputs
        Hourly inputs (or the aggregated inputs of fast mode).
    weights_h
        Hours each time step stands for; ones when ``None``.
    export_allowed
        Whether power may be sold; ``None``: unless ``optimisation.export_revenue``
        is ``none`` or ``surplus_only`` (whose first stage sizes without sales).
    bounds
        Capacity bounds replacing the scenario's (the second stage of
        ``surplus_only`` pins the sized capacities, still counted as sized).
    """
    scenario = inputs.scenario
    n_t = len(inputs.time)
    weights = np.ones(n_t) if weights_h is None else np.asarray(weights_h, dtype=np.float64)
    if weights.shape != (n_t,):
        raise ValueError(f"weights_h: shape {weights.shape}, expected ({n_t},)")
    if bounds is None:
        bounds = capacity_bounds(scenario, inputs)
    if export_allowed is None:
        export_allowed = scenario.optimisation.export_revenue == "market"
    demand_site = scenario.hydrogen.demand.site
    return SizingNetwork(
        network=None,
        inputs=inputs,
        weights_h=weights,
        n_years=len(inputs.years),
        sites=_site_components(scenario, bounds, needs_gross_import(scenario)),
        bounds=bounds,
        costs=technology_costs(scenario),
        grid_import_allowed=scenario.operation.grid_import,
        demand_bus=f"{demand_site} hydrogen",
        demand_load=f"{demand_site} hydrogen demand",
        count_fixed_assets=scenario.economics.fixed_assets == "annualised",
        export_allowed=export_allowed,
        heat=heat_plan(inputs, weights),
    )


def build_network(
    inputs: SystemInputs,
    weights_h: np.ndarray | None = None,
    *,
    export_allowed: bool | None = None,
    bounds: dict[tuple[str, str], Bounds] | None = None,
) -> SizingNetwork:
    """Build the sizing network of a scenario as PyPSA components.

    Parameters
    ----------
    inputs
        Hourly inputs (or the aggregated inputs of fast mode).
    weights_h
        Hours each time step stands for; ones when ``None``.
    export_allowed, bounds
        As :func:`plan_network`.

    Returns
    -------
    SizingNetwork
        The plan with its PyPSA network.
    """
    plan = plan_network(inputs, weights_h, export_allowed=export_allowed, bounds=bounds)
    return dataclasses.replace(plan, network=pypsa_network(plan))


def grid_carbon_t_per_mwh(scenario: Scenario, inputs: SystemInputs) -> np.ndarray | None:
    """Grid intensity per snapshot, t CO2e/MWh, when a carbon rule counts grid imports.

    ``None`` when no rule needs it (no grid import, or neither a CO2 cap nor a limit
    on the hydrogen's carbon intensity).
    """
    opt = scenario.optimisation
    field = ("optimisation.max_hydrogen_carbon_intensity_kg_per_kg"
             if opt.max_hydrogen_carbon_intensity_kg_per_kg is not None
             else "optimisation.co2_cap_t_per_year")
    if not needs_gross_import(scenario) or (
        opt.co2_cap_t_per_year is None and opt.max_hydrogen_carbon_intensity_kg_per_kg is None
    ):
        return None
    return intensity_on(inputs.grid_carbon_g_per_kwh, inputs.time, field) / 1000.0


def _grid_carbon_rule(plan: SizingNetwork) -> list[float] | None:
    values = grid_carbon_t_per_mwh(plan.scenario, plan.inputs)
    return None if values is None else [float(v) for v in values]


def cheap_hours(sn: SizingNetwork) -> np.ndarray:
    """Boolean per snapshot: grid power of the hour counts as renewable (RFNBO rule)."""
    return rfnbo_eligible_hours(
        sn.inputs.price_eur_per_mwh, sn.scenario.economics.co2_price_eur_per_t
    )


def storage_share_requirement_mwh(sn: SizingNetwork, share: float) -> float:
    """Hydrogen storage (MWh) needed to back ``share`` of the mean annual demand."""
    annual = float(np.sum(sn.inputs.hydrogen_demand_mw * sn.weights_h)) / sn.n_years
    return share * annual


#: Carriers of the network (nice names and colours from :mod:`nzv_energy.carriers`).
NETWORK_CARRIERS = (
    "electricity", "hydrogen", "battery", "wind", "solar", "grid", "electrolysis", "pipeline",
    "hydrogen storage", "gas backup", "natural gas", "local demand",
)


def network_meta(plan: SizingNetwork) -> dict[str, object]:
    """``n.meta`` of a sizing network: the scenario and the rules beyond PyPSA's components.

    The ``sizing_rules`` entry holds what
    :func:`nzv_energy.sizing.extra.extra_functionality` re-adds to PyPSA's model
    (component names and parameters, JSON types only: ``network.nc`` stores
    ``n.meta`` as JSON); the other entries describe the network.
    """
    sc = plan.scenario
    opt = sc.optimisation
    sites = plan.sites
    co2_gens = [c.gas_generator for c in sites.values() if c.gas_generator is not None]
    imports = [c.grid_import for c in sites.values() if c.grid_import is not None]
    stores = [c.hydrogen_storage for c in sites.values() if c.hydrogen_storage is not None]
    ties = {
        site: [c.battery_charger, c.battery_discharger]
        for site, c in sites.items()
        if c.battery_charger is not None and c.battery_discharger is not None
        and plan.bounds[(site, "battery_mw")].extendable
    }
    rfnbo_sites = {
        site: {
            "electrolysis": c.electrolysis,
            "renewables": [g for g in (c.wind, c.pv) if g is not None],
            "grid_import": c.grid_import,
        }
        for site, c in sites.items() if c.electrolysis is not None
    }
    rules: dict[str, object] = {
        "n_weather_years": plan.n_years,
        "cyclic_per_weather_year": True,
        "battery_power_ties": ties,
        "rfnbo": opt.rfnbo,
        "rfnbo_co2_price_eur_per_t": sc.economics.co2_price_eur_per_t,
        "rfnbo_sites": rfnbo_sites,
        "co2_cap_t_per_year": opt.co2_cap_t_per_year,
        "co2_generators": co2_gens,
        "max_hydrogen_carbon_intensity_kg_per_kg": opt.max_hydrogen_carbon_intensity_kg_per_kg,
        "electrolysis_links": [c.electrolysis for c in sites.values()
                               if c.electrolysis is not None],
        "grid_carbon_t_per_mwh": _grid_carbon_rule(plan),
        "max_grid_import_mwh_per_year": opt.max_grid_import_mwh_per_year,
        "grid_import_links": imports,
        "min_storage_share": opt.min_storage_share,
        "hydrogen_stores": stores,
        "demand_load": plan.demand_load,
        "fixed_assets_capital_counted": plan.count_fixed_assets,
        "fixed_asset_components": _fixed_components(plan),
        "firm_mw": sc.security.firm_mw,
        "firm_export_only": not plan.export_allowed,
        "firm_sites": {
            site: {"gas_to_grid": c.gas_to_grid, "grid": c.grid, "grid_import": c.grid_import,
                   "grid_export": c.grid_export,
                   "connection_mw": float(sc.sites[site].grid_connection_mw)}
            for site, c in sites.items()
        },
    }
    return {
        "model": "nzv_energy.sizing",
        "scenario": sc.name,
        "weather_years": [int(y) for y in plan.inputs.years],
        "fixed_assets": sc.economics.fixed_assets,
        "export_revenue": sc.optimisation.export_revenue,
        "grid_import_allowed": plan.grid_import_allowed,
        "export_allowed": plan.export_allowed,
        "fixed_capital_eur_per_year": plan.fixed_capital_eur_per_year(),
        "objective_constant_eur_per_year": plan.objective_constant_eur_per_year,
        "components": {
            site: {k: v for k, v in dataclasses.asdict(c).items() if v is not None}
            for site, c in sites.items()
        },
        RULES_KEY: rules,
    }


def _fixed_components(plan: SizingNetwork) -> dict[str, list[str]]:
    """Non-extendable components of the scenario's capacities, by PyPSA component class."""
    out: dict[str, list[str]] = {"Generator": [], "Link": [], "Store": [], "StorageUnit": []}
    for site, c in plan.sites.items():
        fixed = {fld for (s, fld), b in plan.bounds.items()
                 if s == site and not b.extendable and not b.is_zero}
        for cls, name, fld in (
            ("Generator", c.wind, "wind_mw"), ("Generator", c.pv, "pv_mw"),
            ("Generator", c.gas_generator, "gas_backup_mw"), ("Link", c.gas_link, "gas_backup_mw"),
            ("Link", c.electrolysis, "electrolysis_mw"), ("Link", c.pipeline, "pipeline_mw"),
            ("Store", c.hydrogen_storage, "hydrogen_storage_mwh"),
            ("StorageUnit", c.battery_unit, "battery_mw"),
            ("Link", c.battery_charger, "battery_mw"),
            ("Link", c.battery_discharger, "battery_mw"),
            ("Store", c.battery_store, "battery_mwh"),
        ):
            if name is not None and fld in fixed:
                out[cls].append(name)
    return out


def pypsa_network(plan: SizingNetwork) -> pypsa.Network:
    """The PyPSA network of a plan (see the module docstring for the components).

    Fixed capacities carry their ``capital_cost`` when the plan counts them
    (``economics.fixed_assets: annualised``) and zero when they are sunk, every
    component alike (batteries, gas backup, renewables...), so
    ``n.statistics.capex()`` reports the cost account's capital.  PyPSA never
    puts the capital of non-extendable components into its objective; the
    project's objective adds it as one constant
    (:func:`nzv_energy.sizing.extra.add_fixed_capital_constant`).
    """
    inputs, scenario, costs, bounds = plan.inputs, plan.scenario, plan.costs, plan.bounds

    def cap_cost(site: str, fld: str, unit_cost: float) -> float:
        b = bounds[(site, fld)]
        return unit_cost if (b.extendable or plan.count_fixed_assets) else 0.0

    tech = scenario.technology
    weights = plan.weights_h
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        n = pypsa.Network(name=scenario.name)
    snapshots = pd.DatetimeIndex(inputs.time, name="snapshot")
    n.set_snapshots(snapshots)
    n.snapshot_weightings["objective"] = weights / plan.n_years
    n.snapshot_weightings["stores"] = weights
    n.snapshot_weightings["generators"] = weights

    carriers = carrier_table(list(NETWORK_CARRIERS))
    n.add("Carrier", carriers.index, nice_name=carriers["nice_name"], color=carriers["color"])
    n.carriers.loc["natural gas", "co2_emissions"] = tech.gas_backup.natural_gas_co2_t_per_mwh
    demand_loc = scenario.hydrogen.demand.location
    n.add("Bus", plan.demand_bus, carrier="hydrogen", x=demand_loc.lon, y=demand_loc.lat)
    n.add("Load", plan.demand_load, bus=plan.demand_bus, carrier="hydrogen",
          p_set=pd.Series(inputs.hydrogen_demand_mw, index=snapshots))

    price = pd.Series(inputs.price_eur_per_mwh, index=snapshots)
    allowed = import_allowed_hours(scenario, inputs)
    # per-unit import bound: 0 in hours above the import carbon threshold
    import_pu: float | pd.Series = (
        1.0 if allowed is None else pd.Series(allowed.astype(np.float64), index=snapshots)
    )
    total_connection = sum(s.grid_connection_mw for s in scenario.sites.values())
    if total_connection > 0:
        n.add("Bus", GRID_BUS, carrier="electricity",
              x=float(np.mean([s.location.lon for s in scenario.sites.values()])),
              y=float(np.mean([s.location.lat for s in scenario.sites.values()])))
        n.add("Generator", GRID_MARKET, bus=GRID_BUS, carrier="grid", p_nom=total_connection,
              p_min_pu=-1.0, p_max_pu=1.0)

    eff_el = tech.electrolysis.efficiency
    eff_bat = tech.battery.charge_efficiency
    eff_gas = tech.gas_backup.efficiency
    for i, (name, site) in enumerate(scenario.sites.items()):
        c = plan.sites[name]
        el_bus, h2_bus = c.electricity_bus, c.hydrogen_bus
        xy: dict[str, Any] = {"x": site.location.lon, "y": site.location.lat}
        n.add("Bus", el_bus, carrier="electricity", **xy)
        n.add("Bus", h2_bus, carrier="hydrogen", **xy)
        for comp, fld, carrier, cf, cost, vom in (
            (c.wind, "wind_mw", "wind", inputs.wind_cf[i], costs.wind_eur_per_mw_year,
             costs.wind_vom_eur_per_mwh),
            (c.pv, "pv_mw", "solar", inputs.pv_cf[i], costs.pv_eur_per_mw_year,
             costs.pv_vom_eur_per_mwh),
        ):
            if comp is not None:
                n.add("Generator", comp, bus=el_bus, carrier=carrier,
                      p_max_pu=pd.Series(cf, index=snapshots),
                      capital_cost=cap_cost(name, fld, cost),
                      marginal_cost=vom, **_nom(bounds[(name, fld)]))
        waste_heat = electrolysis_waste_heat(plan, name)  # district heat: recoverable share
        if c.electrolysis is not None and waste_heat:
            n.add("Bus", waste_heat["bus2"], carrier="waste heat", **xy)
        if c.electrolysis is not None:
            n.add("Link", c.electrolysis, bus0=el_bus, bus1=h2_bus, carrier="electrolysis",
                  efficiency=eff_el, **waste_heat,
                  capital_cost=cap_cost(name, "electrolysis_mw",
                                        costs.electrolysis_eur_per_mw_year),
                  marginal_cost=costs.electrolysis_vom_eur_per_mwh_el,
                  **_nom(bounds[(name, "electrolysis_mw")]))
        if c.pipeline is not None:
            n.add("Link", c.pipeline, bus0=h2_bus, bus1=plan.demand_bus, carrier="pipeline",
                  length=float(inputs.pipeline_km[i]),
                  capital_cost=cap_cost(
                      name, "pipeline_mw",
                      costs.pipeline_eur_per_mw_km_year * float(inputs.pipeline_km[i])),
                  **_nom(bounds[(name, "pipeline_mw")]))
        if c.hydrogen_storage is not None:
            n.add("Store", c.hydrogen_storage, bus=h2_bus, carrier="hydrogen storage",
                  e_cyclic=True,
                  capital_cost=cap_cost(name, "hydrogen_storage_mwh",
                                        costs.hydrogen_storage_eur_per_mwh_year),
                  **_nom(bounds[(name, "hydrogen_storage_mwh")], "e"))
        _add_battery(n, c, bounds, costs, eff_bat, tech.battery.min_soc_fraction,
                     plan.count_fixed_assets, xy)
        local = float(site.local_demand_mw)
        load_bus = el_bus
        if c.local_bus is not None:
            # gas-fired power reaches the site's own load only: the local-load bus holds
            # the load, the gas backup and a one-way supply from the site's electricity bus
            load_bus = c.local_bus
            n.add("Bus", c.local_bus, carrier="electricity", **xy)
            if c.local_supply is not None:
                n.add("Link", c.local_supply, bus0=el_bus, bus1=c.local_bus,
                      carrier="electricity", p_nom=local)
        gas_b = bounds[(name, "gas_backup_mw")]
        if c.gas_link is not None:
            n.add("Link", c.gas_link, bus0=h2_bus, bus1=load_bus, carrier="gas backup",
                  efficiency=eff_gas,
                  capital_cost=cap_cost(name, "gas_backup_mw",
                                        costs.gas_backup_eur_per_mw_year * eff_gas),
                  marginal_cost=costs.gas_vom_eur_per_mwh_el * eff_gas,
                  **_nom(gas_b.scaled(1.0 / eff_gas)))
        if c.gas_generator is not None:
            n.add("Generator", c.gas_generator, bus=load_bus, carrier="natural gas",
                  efficiency=eff_gas,
                  capital_cost=cap_cost(name, "gas_backup_mw", costs.gas_backup_eur_per_mw_year),
                  marginal_cost=costs.gas_backup_eur_per_mwh_el, **_nom(gas_b))
        conn = float(site.grid_connection_mw)
        firm = scenario.security.firm_mw > 0  # a firm delivery is sold in any case
        if c.gas_to_grid is not None:
            n.add("Link", c.gas_to_grid, bus0=load_bus, bus1=GRID_BUS, carrier="grid",
                  p_nom=conn, marginal_cost=-price)
        if c.grid_import is not None:
            n.add("Link", c.grid_import, bus0=GRID_BUS, bus1=el_bus, carrier="grid", p_nom=conn,
                  p_max_pu=import_pu, marginal_cost=price)
        if c.grid_export is not None:
            n.add("Link", c.grid_export, bus0=el_bus, bus1=GRID_BUS, carrier="grid", p_nom=conn,
                  p_max_pu=1.0 if (plan.export_allowed or firm) else 0.0, marginal_cost=-price)
        if c.grid is not None:
            n.add("Link", c.grid, bus0=GRID_BUS, bus1=el_bus, carrier="grid", p_nom=conn,
                  p_min_pu=-1.0 if (plan.export_allowed or firm) else 0.0,
                  p_max_pu=import_pu if plan.grid_import_allowed else 0.0,
                  marginal_cost=price)
        if c.local_demand is not None:
            n.add("Load", c.local_demand, bus=load_bus, carrier="local demand", p_set=local)
    heat_parts = add_heat_pypsa(n, plan)  # district heat (nzv_energy.sizing.heat)
    n.meta = network_meta(plan)
    rules = cast("dict[str, Any]", n.meta[RULES_KEY])
    rules["heat_co2_generators"] = heat_parts["co2_generators"]
    for cls, listed in rules["fixed_asset_components"].items():
        listed.extend(heat_parts[f"fixed {cls}"])
    logger.debug("built network: %d snapshots, %d sites", len(snapshots), len(plan.sites))
    return n


def _add_battery(
    n: pypsa.Network,
    c: SiteComponents,
    bounds: dict[tuple[str, str], Bounds],
    costs: TechnologyCosts,
    eff: float,
    min_soc: float,
    count_fixed: bool,
    xy: dict[str, Any],
) -> None:
    """Add a site's battery (a StorageUnit when fixed, else Store + charger + discharger)."""
    bp, be = bounds[(c.site, "battery_mw")], bounds[(c.site, "battery_mwh")]
    if c.battery_unit is not None:
        # fixed power and energy: capital per MW of the unit = power + hours x energy cost
        hours = be.lo / bp.lo
        unit_cost = (costs.battery_power_eur_per_mw_year
                     + hours * costs.battery_energy_eur_per_mwh_year) if count_fixed else 0.0
        n.add("StorageUnit", c.battery_unit, bus=c.electricity_bus, carrier="battery",
              p_nom=bp.lo, max_hours=hours, capital_cost=unit_cost, efficiency_store=eff,
              efficiency_dispatch=eff, cyclic_state_of_charge=True)
        return
    if c.battery_store is None or c.battery_charger is None or c.battery_discharger is None:
        return
    bat_bus = f"{c.site} battery"
    n.add("Bus", bat_bus, carrier="battery", **xy)
    e_cost = costs.battery_energy_eur_per_mwh_year if (be.extendable or count_fixed) else 0.0
    p_cost = costs.battery_power_eur_per_mw_year if (bp.extendable or count_fixed) else 0.0
    n.add("Store", c.battery_store, bus=bat_bus, carrier="battery", e_cyclic=True,
          e_min_pu=min_soc, capital_cost=e_cost, **_nom(be, "e"))
    n.add("Link", c.battery_charger, bus0=c.electricity_bus, bus1=bat_bus, carrier="battery",
          efficiency=eff, capital_cost=p_cost, **_nom(bp))
    # The discharger's rating is on its battery side: AC output rating / efficiency.
    n.add("Link", c.battery_discharger, bus0=bat_bus, bus1=c.electricity_bus, carrier="battery",
          efficiency=eff, **_nom(bp.scaled(1.0 / eff)))
