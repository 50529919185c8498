"""Scenario -> the flat arrays the dispatch kernels read (capacities, rule and cost parameters).

Every kernel parameter and every cost parameter has one name here; the arrays
follow the order of :data:`DISPATCH_PARAMETER_NAMES`, :data:`COST_PARAMETER_NAMES`
and :data:`CAPACITY_NAMES`.  Ensemble callers build one vector per member
scenario with :func:`dispatch_parameter_vector` and :func:`cost_parameter_vector`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from nzv_energy.errors import ScenarioError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.scenario import Scenario
from nzv_energy.system import SiteCapacities

#: Columns of a capacity array ``(n_sites, N_CAP)``: the fields of SiteCapacities.
CAPACITY_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(SiteCapacities))

#: RFNBO price criterion of Art. 6 of Delegated Regulation (EU) 2023/1184, EUR/MWh.
RFNBO_PRICE_THRESHOLD_EUR_PER_MWH = 20.0
#: Second price criterion of the same article: below 0.36 x the EU ETS allowance price.
RFNBO_CO2_PRICE_FACTOR = 0.36

#: Entries of a dispatch parameter vector ``(N_PAR,)`` (index = kernel constant ``P_*``).
DISPATCH_PARAMETER_NAMES: tuple[str, ...] = (
    "battery_charge_efficiency",
    "battery_discharge_efficiency",
    "battery_min_soc_fraction",
    "electrolysis_efficiency",
    "electrolysis_min_load_fraction",
    "electrolysis_part_load_point_fraction",
    "electrolysis_part_load_efficiency",
    "electrolysis_standby_fraction",
    "stack_lifetime_hours",
    "degradation_fraction_per_1000h",
    "initial_stack_hours",
    "gas_backup_efficiency",
    "gas_backup_hydrogen_fuel",
    "gas_backup_marginal_cost_eur_per_mwh",
    "grid_import",
    "import_price_threshold_eur_per_mwh",
    "rfnbo_price_threshold_eur_per_mwh",
    "rfnbo_co2_price_threshold_eur_per_mwh",
    "rfnbo_monthly",
    "initial_soc_fraction",
    "initial_hydrogen_storage_fraction",
    "cyclic",
    "price_scale",
    "demand_scale",
    "battery_to_electrolysis",
    "route_by_storage_room",
)
assert len(DISPATCH_PARAMETER_NAMES) == kd.N_PAR

#: Entries of a cost parameter vector (used only for KPIs and the LCOH).
COST_PARAMETER_NAMES: tuple[str, ...] = (
    "discount_rate",
    "wind_capex_eur_per_mw",
    "wind_fom_fraction_per_year",
    "wind_vom_eur_per_mwh",
    "wind_lifetime_years",
    "pv_capex_eur_per_mw",
    "pv_fom_fraction_per_year",
    "pv_vom_eur_per_mwh",
    "pv_lifetime_years",
    "battery_power_capex_eur_per_mw",
    "battery_energy_capex_eur_per_mwh",
    "battery_fom_fraction_per_year",
    "battery_lifetime_years",
    "electrolysis_capex_eur_per_mw",
    "electrolysis_fom_fraction_per_year",
    "electrolysis_vom_eur_per_mwh_h2",
    "electrolysis_lifetime_years",
    "stack_replacement_cost_fraction",
    "hydrogen_storage_capex_eur_per_mwh",
    "hydrogen_storage_fom_fraction_per_year",
    "hydrogen_storage_lifetime_years",
    "pipeline_capex_eur_per_mw_km",
    "pipeline_fom_fraction_per_year",
    "pipeline_lifetime_years",
    "gas_backup_capex_eur_per_mw",
    "gas_backup_fom_fraction_per_year",
    "gas_backup_vom_eur_per_mwh",
    "gas_backup_lifetime_years",
    "gas_price_eur_per_mwh",
    "co2_price_eur_per_t",
    "natural_gas_co2_t_per_mwh",
)
COST_INDEX: dict[str, int] = {name: i for i, name in enumerate(COST_PARAMETER_NAMES)}
DISPATCH_INDEX: dict[str, int] = {name: i for i, name in enumerate(DISPATCH_PARAMETER_NAMES)}


def gas_backup_marginal_cost(scenario: Scenario) -> float:
    """Marginal cost of gas backup power, EUR/MWh_el, for the grid-or-gas merit order.

    Natural gas: ``(gas price + CO2 intensity x CO2 price) / efficiency + VOM``.
    Hydrogen: ``hydrogen value / efficiency + VOM`` when a hydrogen value is set,
    otherwise infinite (own hydrogen is burnt only when the grid cannot supply).
    """
    gas = scenario.technology.gas_backup
    eco = scenario.economics
    if scenario.operation.gas_backup_fuel == "natural_gas":
        fuel = eco.gas_price_eur_per_mwh + gas.natural_gas_co2_t_per_mwh * eco.co2_price_eur_per_t
        return fuel / gas.efficiency + gas.vom_eur_per_mwh
    if eco.hydrogen_value_eur_per_mwh > 0:
        return eco.hydrogen_value_eur_per_mwh / gas.efficiency + gas.vom_eur_per_mwh
    return float("inf")


def dispatch_parameter_vector(
    scenario: Scenario, base_demand_mean_mw: float | None = None
) -> np.ndarray:
    """Rule parameters of a scenario as a kernel vector ``(N_PAR,)``.

    Parameters
    ----------
    scenario
        The (member) scenario.
    base_demand_mean_mw
        Mean demand of the scenario the hourly inputs were built from; the
        member's ``hydrogen.demand.mean_mw`` is applied as a demand scale
        relative to it.  ``None``: scale 1.
    """
    tech = scenario.technology
    op = scenario.operation
    values = {
        "battery_charge_efficiency": tech.battery.charge_efficiency,
        "battery_discharge_efficiency": tech.battery.discharge_efficiency,
        "battery_min_soc_fraction": tech.battery.min_soc_fraction,
        "electrolysis_efficiency": tech.electrolysis.efficiency,
        "electrolysis_min_load_fraction": tech.electrolysis.min_load_fraction,
        "electrolysis_part_load_point_fraction": tech.electrolysis.part_load_point_fraction,
        "electrolysis_part_load_efficiency": tech.electrolysis.part_load_efficiency,
        "electrolysis_standby_fraction": tech.electrolysis.standby_fraction,
        "stack_lifetime_hours": tech.electrolysis.stack_lifetime_hours,
        "degradation_fraction_per_1000h": tech.electrolysis.degradation_fraction_per_1000h,
        "initial_stack_hours": 0.0,
        "gas_backup_efficiency": tech.gas_backup.efficiency,
        "gas_backup_hydrogen_fuel": 1.0 if op.gas_backup_fuel == "hydrogen" else 0.0,
        "gas_backup_marginal_cost_eur_per_mwh": gas_backup_marginal_cost(scenario),
        "grid_import": 1.0 if op.grid_import else 0.0,
        "import_price_threshold_eur_per_mwh": op.import_price_threshold_eur_per_mwh,
        "rfnbo_price_threshold_eur_per_mwh": RFNBO_PRICE_THRESHOLD_EUR_PER_MWH,
        "rfnbo_co2_price_threshold_eur_per_mwh": (
            RFNBO_CO2_PRICE_FACTOR * scenario.economics.co2_price_eur_per_t
        ),
        "rfnbo_monthly": 1.0 if op.rfnbo_matching == "monthly" else 0.0,
        "initial_soc_fraction": op.initial_soc_fraction,
        "initial_hydrogen_storage_fraction": scenario.hydrogen.initial_storage_fraction,
        "cyclic": 1.0 if op.cyclic else 0.0,
        "price_scale": 1.0,
        "demand_scale": 1.0,
        "battery_to_electrolysis": 1.0 if op.battery_to_electrolysis else 0.0,
        "route_by_storage_room": 1.0 if op.hydrogen_routing == "storage_room" else 0.0,
    }
    if base_demand_mean_mw is not None:
        mean = scenario.hydrogen.demand.mean_mw
        values["demand_scale"] = mean / base_demand_mean_mw if base_demand_mean_mw > 0 else 0.0
    return np.array([values[n] for n in DISPATCH_PARAMETER_NAMES], dtype=np.float64)


def cost_parameter_vector(scenario: Scenario) -> np.ndarray:
    """Cost parameters of a scenario as a vector ``(len(COST_PARAMETER_NAMES),)``."""
    t = scenario.technology
    e = scenario.economics
    values = {
        "discount_rate": e.discount_rate,
        "wind_capex_eur_per_mw": t.wind.capex_eur_per_mw,
        "wind_fom_fraction_per_year": t.wind.fom_fraction_per_year,
        "wind_vom_eur_per_mwh": t.wind.vom_eur_per_mwh,
        "wind_lifetime_years": t.wind.lifetime_years,
        "pv_capex_eur_per_mw": t.pv.capex_eur_per_mw,
        "pv_fom_fraction_per_year": t.pv.fom_fraction_per_year,
        "pv_vom_eur_per_mwh": t.pv.vom_eur_per_mwh,
        "pv_lifetime_years": t.pv.lifetime_years,
        "battery_power_capex_eur_per_mw": t.battery.power_capex_eur_per_mw,
        "battery_energy_capex_eur_per_mwh": t.battery.energy_capex_eur_per_mwh,
        "battery_fom_fraction_per_year": t.battery.fom_fraction_per_year,
        "battery_lifetime_years": t.battery.lifetime_years,
        "electrolysis_capex_eur_per_mw": t.electrolysis.capex_eur_per_mw,
        "electrolysis_fom_fraction_per_year": t.electrolysis.fom_fraction_per_year,
        "electrolysis_vom_eur_per_mwh_h2": t.electrolysis.vom_eur_per_mwh_h2,
        "electrolysis_lifetime_years": t.electrolysis.lifetime_years,
        "stack_replacement_cost_fraction": t.electrolysis.stack_replacement_cost_fraction,
        "hydrogen_storage_capex_eur_per_mwh": t.hydrogen_storage.capex_eur_per_mwh,
        "hydrogen_storage_fom_fraction_per_year": t.hydrogen_storage.fom_fraction_per_year,
        "hydrogen_storage_lifetime_years": t.hydrogen_storage.lifetime_years,
        "pipeline_capex_eur_per_mw_km": t.pipeline.capex_eur_per_mw_km,
        "pipeline_fom_fraction_per_year": t.pipeline.fom_fraction_per_year,
        "pipeline_lifetime_years": t.pipeline.lifetime_years,
        "gas_backup_capex_eur_per_mw": t.gas_backup.capex_eur_per_mw,
        "gas_backup_fom_fraction_per_year": t.gas_backup.fom_fraction_per_year,
        "gas_backup_vom_eur_per_mwh": t.gas_backup.vom_eur_per_mwh,
        "gas_backup_lifetime_years": t.gas_backup.lifetime_years,
        "gas_price_eur_per_mwh": e.gas_price_eur_per_mwh,
        "co2_price_eur_per_t": e.co2_price_eur_per_t,
        "natural_gas_co2_t_per_mwh": t.gas_backup.natural_gas_co2_t_per_mwh,
    }
    return np.array([values[n] for n in COST_PARAMETER_NAMES], dtype=np.float64)


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
    for name, lo, hi, lo_open in (
        ("battery_charge_efficiency", 0.0, 1.0, True),
        ("battery_discharge_efficiency", 0.0, 1.0, True),
        ("battery_min_soc_fraction", 0.0, 1.0, False),
        ("electrolysis_efficiency", 0.0, 1.0, True),
        ("electrolysis_min_load_fraction", 0.0, 1.0, False),
        ("electrolysis_part_load_point_fraction", 0.0, 1.0, True),
        ("electrolysis_part_load_efficiency", 0.0, 1.0, True),
        ("electrolysis_standby_fraction", 0.0, 1.0, False),
        ("stack_lifetime_hours", 0.0, np.inf, True),
        ("degradation_fraction_per_1000h", 0.0, 1.0, False),
        ("initial_stack_hours", 0.0, np.inf, False),
        ("gas_backup_efficiency", 0.0, 1.0, True),
        ("initial_soc_fraction", 0.0, 1.0, False),
        ("initial_hydrogen_storage_fraction", 0.0, 1.0, False),
        ("price_scale", -np.inf, np.inf, False),
        ("demand_scale", 0.0, np.inf, False),
    ):
        col = rows[:, DISPATCH_INDEX[name]]
        bad = np.isnan(col) | (col > hi) | ((col <= lo) if lo_open else (col < lo))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            interval = f"{'(' if lo_open else '['}{lo}, {hi}]"
            raise ScenarioError(None, f"{where}[{i}].{name}", float(col[i]), f"in {interval}")
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
