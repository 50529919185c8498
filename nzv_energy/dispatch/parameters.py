"""Scenario -> the flat arrays the dispatch kernels read (capacities, rule and cost parameters).

Every kernel parameter has one row (name, scenario field, unit, bounds) in the
layout tables of :mod:`nzv_energy.kernels.layout`, every cost parameter one in
:data:`COST_PARAMETERS`; the names, the vectors and their checks are built from
them.  The arrays follow the order of :data:`DISPATCH_PARAMETER_NAMES`,
:data:`COST_PARAMETER_NAMES` and :data:`CAPACITY_NAMES`.  Ensemble callers build
one vector per member scenario with :func:`dispatch_parameter_vector` and
:func:`cost_parameter_vector`.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Mapping

import numpy as np

from nzv_energy.economics import natural_gas_backup_cost
from nzv_energy.errors import ScenarioError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import layout
from nzv_energy.rfnbo import rfnbo_price_thresholds
from nzv_energy.scenario import Scenario
from nzv_energy.system import SiteCapacities

#: Columns of a capacity array ``(n_sites, N_CAP)`` (table ``layout.CAPACITIES``).
CAPACITY_NAMES: tuple[str, ...] = layout.names(layout.CAPACITIES)
if CAPACITY_NAMES != tuple(f.name for f in dataclasses.fields(SiteCapacities)):
    raise layout.LayoutError("layout.CAPACITIES is not the field order of SiteCapacities")

#: Entries of a dispatch parameter vector ``(N_PAR,)`` (table ``layout.PARAMETERS``).
DISPATCH_PARAMETER_NAMES: tuple[str, ...] = layout.names(layout.PARAMETERS)

#: Cost parameters (used only for KPIs and the LCOH): name, scenario field, unit.
COST_PARAMETERS: tuple[layout.Entry, ...] = tuple(
    layout.Entry(name, source, unit)
    for name, source, unit in (
        ("discount_rate", "economics.discount_rate", "fraction/a"),
        ("wind_capex_eur_per_mw", "technology.wind.capex_eur_per_mw", "EUR/MW"),
        ("wind_fom_fraction_per_year", "technology.wind.fom_fraction_per_year", "fraction/a"),
        ("wind_vom_eur_per_mwh", "technology.wind.vom_eur_per_mwh", "EUR/MWh"),
        ("wind_lifetime_years", "technology.wind.lifetime_years", "a"),
        ("pv_capex_eur_per_mw", "technology.pv.capex_eur_per_mw", "EUR/MW"),
        ("pv_fom_fraction_per_year", "technology.pv.fom_fraction_per_year", "fraction/a"),
        ("pv_vom_eur_per_mwh", "technology.pv.vom_eur_per_mwh", "EUR/MWh"),
        ("pv_lifetime_years", "technology.pv.lifetime_years", "a"),
        ("battery_power_capex_eur_per_mw",
         "technology.battery.power_capex_eur_per_mw", "EUR/MW"),
        ("battery_energy_capex_eur_per_mwh",
         "technology.battery.energy_capex_eur_per_mwh", "EUR/MWh"),
        ("battery_fom_fraction_per_year",
         "technology.battery.fom_fraction_per_year", "fraction/a"),
        ("battery_lifetime_years", "technology.battery.lifetime_years", "a"),
        ("electrolysis_capex_eur_per_mw",
         "technology.electrolysis.capex_eur_per_mw", "EUR/MW_el"),
        ("electrolysis_fom_fraction_per_year",
         "technology.electrolysis.fom_fraction_per_year", "fraction/a"),
        ("electrolysis_vom_eur_per_mwh_h2",
         "technology.electrolysis.vom_eur_per_mwh_h2", "EUR/MWh_H2"),
        ("electrolysis_lifetime_years", "technology.electrolysis.lifetime_years", "a"),
        ("stack_replacement_cost_fraction",
         "technology.electrolysis.stack_replacement_cost_fraction", "fraction of capex"),
        ("hydrogen_storage_capex_eur_per_mwh",
         "technology.hydrogen_storage.capex_eur_per_mwh", "EUR/MWh_H2"),
        ("hydrogen_storage_fom_fraction_per_year",
         "technology.hydrogen_storage.fom_fraction_per_year", "fraction/a"),
        ("hydrogen_storage_lifetime_years", "technology.hydrogen_storage.lifetime_years", "a"),
        ("pipeline_capex_eur_per_mw_km",
         "technology.pipeline.capex_eur_per_mw_km", "EUR/(MW km)"),
        ("pipeline_fom_fraction_per_year",
         "technology.pipeline.fom_fraction_per_year", "fraction/a"),
        ("pipeline_lifetime_years", "technology.pipeline.lifetime_years", "a"),
        ("gas_backup_capex_eur_per_mw", "technology.gas_backup.capex_eur_per_mw", "EUR/MW_el"),
        ("gas_backup_fom_fraction_per_year",
         "technology.gas_backup.fom_fraction_per_year", "fraction/a"),
        ("gas_backup_vom_eur_per_mwh", "technology.gas_backup.vom_eur_per_mwh", "EUR/MWh_el"),
        ("gas_backup_lifetime_years", "technology.gas_backup.lifetime_years", "a"),
        ("gas_price_eur_per_mwh", "economics.gas_price_eur_per_mwh", "EUR/MWh"),
        ("co2_price_eur_per_t", "economics.co2_price_eur_per_t", "EUR/t"),
        ("natural_gas_co2_t_per_mwh",
         "technology.gas_backup.natural_gas_co2_t_per_mwh", "t/MWh"),
    )
)
#: Entries of a cost parameter vector.
COST_PARAMETER_NAMES: tuple[str, ...] = layout.names(COST_PARAMETERS)
COST_INDEX: dict[str, int] = {name: i for i, name in enumerate(COST_PARAMETER_NAMES)}
DISPATCH_INDEX: dict[str, int] = {name: i for i, name in enumerate(DISPATCH_PARAMETER_NAMES)}


def gas_backup_marginal_cost(scenario: Scenario) -> float:
    """Marginal cost of gas backup power, EUR/MWh_el, for the grid-or-gas merit order.

    Natural gas: fuel, CO2 and VOM per MWh_el
    (:func:`nzv_energy.economics.natural_gas_backup_cost`, as in the sizing LP).
    Hydrogen: ``hydrogen value / efficiency + VOM`` when a hydrogen value is set,
    otherwise infinite (own hydrogen is burnt only when the grid cannot supply).
    """
    gas = scenario.technology.gas_backup
    eco = scenario.economics
    if scenario.operation.gas_backup_fuel == "natural_gas":
        return natural_gas_backup_cost(
            eco.gas_price_eur_per_mwh, eco.co2_price_eur_per_t, gas.natural_gas_co2_t_per_mwh,
            gas.efficiency, gas.vom_eur_per_mwh,
        ).total_eur_per_mwh_el
    if eco.hydrogen_value_eur_per_mwh > 0:
        return eco.hydrogen_value_eur_per_mwh / gas.efficiency + gas.vom_eur_per_mwh
    return float("inf")


def _field(scenario: Scenario, path: str) -> float:
    """The value of a dotted scenario field (``technology.battery.charge_efficiency``)."""
    return float(operator.attrgetter(path)(scenario))


def _derived_parameters(scenario: Scenario) -> dict[str, float]:
    """The rule parameters computed from several fields (``derived:`` in the layout)."""
    op = scenario.operation
    rfnbo_at_or_below, rfnbo_below = rfnbo_price_thresholds(scenario.economics.co2_price_eur_per_t)
    return {
        "initial_stack_hours": 0.0,
        "gas_backup_hydrogen_fuel": 1.0 if op.gas_backup_fuel == "hydrogen" else 0.0,
        "gas_backup_marginal_cost_eur_per_mwh": gas_backup_marginal_cost(scenario),
        "grid_import": 1.0 if op.grid_import else 0.0,
        "import_carbon_threshold_g_per_kwh": (
            float("inf") if op.import_carbon_threshold_g_per_kwh is None
            else op.import_carbon_threshold_g_per_kwh
        ),
        "rfnbo_price_threshold_eur_per_mwh": rfnbo_at_or_below,
        "rfnbo_co2_price_threshold_eur_per_mwh": rfnbo_below,
        "rfnbo_monthly": 1.0 if op.rfnbo_matching == "monthly" else 0.0,
        "cyclic": 1.0 if op.cyclic else 0.0,
        "price_scale": 1.0,
        "demand_scale": 1.0,
        "battery_to_electrolysis": 1.0 if op.battery_to_electrolysis else 0.0,
        "route_by_storage_room": 1.0 if op.hydrogen_routing == "storage_room" else 0.0,
    }


def dispatch_parameter_vector(
    scenario: Scenario, base_demand_mean_mw: float | None = None
) -> np.ndarray:
    """Rule parameters of a scenario as a kernel vector ``(N_PAR,)``.

    Each entry comes from the scenario field the layout table names
    (:data:`nzv_energy.kernels.layout.PARAMETERS`), or from the rule of a derived one.

    Parameters
    ----------
    scenario
        The (member) scenario.
    base_demand_mean_mw
        Mean demand of the scenario the hourly inputs were built from; the
        member's ``hydrogen.demand.mean_mw`` is applied as a demand scale
        relative to it.  ``None``: scale 1.
    """
    derived = _derived_parameters(scenario)
    if base_demand_mean_mw is not None:
        mean = scenario.hydrogen.demand.mean_mw
        derived["demand_scale"] = mean / base_demand_mean_mw if base_demand_mean_mw > 0 else 0.0
    return np.array(
        [derived[e.name] if e.derived else _field(scenario, e.source)
         for e in layout.PARAMETERS],
        dtype=np.float64,
    )


def cost_parameter_vector(scenario: Scenario) -> np.ndarray:
    """Cost parameters of a scenario as a vector ``(len(COST_PARAMETER_NAMES),)``."""
    return np.array([_field(scenario, e.source) for e in COST_PARAMETERS], dtype=np.float64)


def capacity_array(
    capacities: Mapping[str, SiteCapacities], sites: tuple[str, ...] | list[str]
) -> np.ndarray:
    """Capacities as a kernel array ``(n_sites, N_CAP)`` in site order.

    Raises
    ------
    ScenarioError
        A site of ``sites`` has no capacities.
    """
    rows = []
    for name in sites:
        if name not in capacities:
            raise ScenarioError(
                None, f"capacities.{name}", sorted(capacities), f"capacities for site '{name}'"
            )
        c = capacities[name]
        rows.append([float(getattr(c, field)) for field in CAPACITY_NAMES])
    return np.array(rows, dtype=np.float64).reshape(len(sites), kd.N_CAP)


def check_dispatch_parameters(par: np.ndarray, where: str = "dispatch parameters") -> None:
    """Reject parameter vectors the kernel cannot run (shape, NaN, ranges).

    Raises
    ------
    ScenarioError
        Naming the entry, its value and what is allowed.
    """
    par = np.asarray(par)
    if par.shape[-1:] != (kd.N_PAR,):
        raise ScenarioError(None, where, par.shape, f"a last axis of length {kd.N_PAR}")
    rows = par.reshape(-1, kd.N_PAR)
    for k, entry in enumerate(layout.PARAMETERS):
        col = rows[:, k]
        too_low = (col <= entry.lower) if entry.lower_open else (col < entry.lower)
        bad = np.isnan(col) | (col > entry.upper) | too_low
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ScenarioError(
                None, f"{where}[{i}].{entry.name}", float(col[i]), f"in {entry.interval()}"
            )
    eff = rows[:, DISPATCH_INDEX["electrolysis_efficiency"]]
    knee = rows[:, DISPATCH_INDEX["electrolysis_part_load_point_fraction"]]
    knee_eff = rows[:, DISPATCH_INDEX["electrolysis_part_load_efficiency"]]
    rising = (knee >= 1.0) | (eff > knee * knee_eff)
    if not rising.all():
        i = int(np.flatnonzero(~rising)[0])
        raise ScenarioError(
            None,
            f"{where}[{i}].electrolysis_part_load_efficiency",
            float(knee_eff[i]),
            "a part-load point whose hydrogen output (point x efficiency) is below the rated "
            f"efficiency {eff[i]} (hydrogen output must rise with load)",
        )
    life = rows[:, DISPATCH_INDEX["stack_lifetime_hours"]]
    deg = rows[:, DISPATCH_INDEX["degradation_fraction_per_1000h"]]
    worst = deg * np.maximum(life, rows[:, DISPATCH_INDEX["initial_stack_hours"]]) / 1000.0
    if (worst >= 1.0).any():
        i = int(np.flatnonzero(worst >= 1.0)[0])
        raise ScenarioError(
            None,
            f"{where}[{i}].degradation_fraction_per_1000h",
            float(deg[i]),
            "a degradation that leaves efficiency above zero within the stack lifetime "
            "(degradation x lifetime / 1000 < 1)",
        )


def check_capacities(cap: np.ndarray, sites: tuple[str, ...] | list[str]) -> None:
    """Reject capacity arrays the kernel cannot run (shape, NaN, negative values).

    Raises
    ------
    ScenarioError
        Naming the site, the capacity, its value and what is allowed.
    """
    cap = np.asarray(cap)
    if cap.ndim < 2 or cap.shape[-2:] != (len(sites), kd.N_CAP):
        raise ScenarioError(
            None, "capacities", cap.shape, f"a trailing shape ({len(sites)}, {kd.N_CAP})"
        )
    rows = cap.reshape(-1, len(sites), kd.N_CAP)
    bad = ~np.isfinite(rows) | (rows < 0)
    if bad.any():
        m, s, c = (int(x) for x in np.argwhere(bad)[0])
        member = f"member {m}: " if cap.ndim > 2 else ""
        raise ScenarioError(
            None,
            f"{member}sites.{sites[s]}.{CAPACITY_NAMES[c]}",
            float(rows[m, s, c]),
            "a finite number >= 0",
        )
