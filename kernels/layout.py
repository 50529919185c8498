"""The array layouts of the dispatch kernels, in one table per array.

Each row names one entry (a capacity column, a rule parameter, a state column,
an output row or a total), where its value comes from, its unit and, for
inputs, the values the kernels can run with - in the spirit of PyPSA's
``component_attrs`` tables.  Everything else is generated from these tables:

* the index constants ``C_*``, ``P_*``, ``S_*``, ``O_*``, ``Y_*``, ``K_*``, ``Z_*``
  and the district-heat ``HI_*``, ``HS_*``, ``HL_*``, ``HT_*`` (the heat step's own
  ``HC_*``, ``HP_*``, ``HO_*`` are in :mod:`nzv_energy.kernels.heat`) of
  :mod:`nzv_energy.kernels.dispatch` are checked against them when it is
  imported (:func:`check_indices`): position ``i`` of a table is the constant
  ``<prefix>_<NAME>`` and the count is ``N_<...>``;
* the name tuples, the parameter and capacity vector builders and the checks
  of parameter vectors in :mod:`nzv_energy.dispatch.parameters`;
* the names of the hourly outputs in the results schema
  (:mod:`nzv_energy.dispatch.simulate`) and the totals of an hourly dataset
  (:func:`nzv_energy.dispatch.kpis.sums_from_dataset`).

Plain Python: no numba, no NumPy arrays, nothing the kernels compile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Entry:
    """One entry of a kernel array.

    Attributes
    ----------
    name
        Name (lower case; the index constant is its upper-case form with the
        table's prefix).
    source
        Where the value comes from: a dotted scenario field
        (``technology.battery.charge_efficiency``), ``derived: <rule>`` for a value
        computed from several fields, or, for outputs and totals, the hourly
        variable of the results schema it is (or sums).
    unit
        Unit of the value.
    lower, upper
        Values the kernel can run with (inputs only); NaN is never allowed.
    lower_open
        ``lower`` itself is not allowed.
    """

    name: str
    source: str
    unit: str
    lower: float = -INF
    upper: float = INF
    lower_open: bool = False

    @property
    def derived(self) -> bool:
        """True when the value is computed from several scenario fields."""
        return self.source.startswith("derived:")

    def interval(self) -> str:
        """The allowed values in interval notation, e.g. ``(0.0, 1.0]``."""
        return f"{'(' if self.lower_open else '['}{self.lower}, {self.upper}]"


def _fraction(name: str, source: str, *, open_zero: bool = False) -> Entry:
    return Entry(name, source, "fraction", 0.0, 1.0, open_zero)


def _flag(name: str, source: str) -> Entry:
    return Entry(name, f"derived: {source}", "0/1", 0.0, 1.0)


#: Capacity columns ``C_*`` (fields of ``nzv_energy.system.SiteCapacities``, in order).
CAPACITIES: tuple[Entry, ...] = tuple(
    Entry(name, f"sites.<site>.{name}", unit, 0.0, INF)
    for name, unit in (
        ("wind_mw", "MW"),
        ("pv_mw", "MW"),
        ("battery_mw", "MW"),
        ("battery_mwh", "MWh"),
        ("electrolysis_mw", "MW_el"),
        ("gas_backup_mw", "MW"),
        ("pipeline_mw", "MW_H2"),
        ("hydrogen_storage_mwh", "MWh_H2"),
        ("grid_connection_mw", "MW"),
        ("local_demand_mw", "MW"),
    )
)

_EL = "technology.electrolysis"
#: Rule parameters ``P_*``.
PARAMETERS: tuple[Entry, ...] = (
    _fraction("battery_charge_efficiency", "technology.battery.charge_efficiency",
              open_zero=True),
    _fraction("battery_discharge_efficiency", "technology.battery.discharge_efficiency",
              open_zero=True),
    _fraction("battery_min_soc_fraction", "technology.battery.min_soc_fraction"),
    _fraction("electrolysis_efficiency", f"{_EL}.efficiency", open_zero=True),
    _fraction("electrolysis_min_load_fraction", f"{_EL}.min_load_fraction"),
    _fraction("electrolysis_part_load_point_fraction", f"{_EL}.part_load_point_fraction",
              open_zero=True),
    _fraction("electrolysis_part_load_efficiency", f"{_EL}.part_load_efficiency",
              open_zero=True),
    _fraction("electrolysis_standby_fraction", f"{_EL}.standby_fraction"),
    Entry("stack_lifetime_hours", f"{_EL}.stack_lifetime_hours", "h", 0.0, INF, True),
    _fraction("degradation_fraction_per_1000h", f"{_EL}.degradation_fraction_per_1000h"),
    Entry("initial_stack_hours", "derived: 0 (new stacks)", "h", 0.0, INF),
    _fraction("gas_backup_efficiency", "technology.gas_backup.efficiency", open_zero=True),
    _flag("gas_backup_hydrogen_fuel", "operation.gas_backup_fuel == 'hydrogen'"),
    Entry("gas_backup_marginal_cost_eur_per_mwh",
          "derived: gas backup merit-order cost (nzv_energy.economics)", "EUR/MWh_el"),
    _flag("grid_import", "operation.grid_import"),
    Entry("import_price_threshold_eur_per_mwh", "operation.import_price_threshold_eur_per_mwh",
          "EUR/MWh"),
    Entry("import_carbon_threshold_g_per_kwh",
          "derived: operation.import_carbon_threshold_g_per_kwh (None: inf, no limit)",
          "g CO2e/kWh", 0.0, INF),
    Entry("low_carbon_grid_threshold_g_per_kwh", "economics.low_carbon_grid_threshold_g_per_kwh",
          "g CO2e/kWh", 0.0, INF),
    Entry("rfnbo_price_threshold_eur_per_mwh",
          "derived: RFNBO price limit (nzv_energy.rfnbo)", "EUR/MWh"),
    Entry("rfnbo_co2_price_threshold_eur_per_mwh",
          "derived: 0.36 x economics.co2_price_eur_per_t (nzv_energy.rfnbo)", "EUR/MWh"),
    _flag("rfnbo_monthly", "operation.rfnbo_matching == 'monthly'"),
    _fraction("initial_soc_fraction", "operation.initial_soc_fraction"),
    _fraction("initial_hydrogen_storage_fraction", "hydrogen.initial_storage_fraction"),
    _flag("cyclic", "operation.cyclic"),
    Entry("price_scale", "derived: 1 (ensemble members scale the price)", "factor"),
    Entry("demand_scale", "derived: member demand / base demand", "factor", 0.0, INF),
    _flag("battery_to_electrolysis", "operation.battery_to_electrolysis"),
    _flag("route_by_storage_room", "operation.hydrogen_routing == 'storage_room'"),
    Entry("firm_mw", "security.firm_mw", "MW", 0.0, INF),
)

#: State columns ``S_*`` (carried from hour to hour and between runs).
STATE: tuple[Entry, ...] = (
    Entry("battery_soc_mwh", "battery_soc_mwh", "MWh", 0.0, INF),
    Entry("hydrogen_storage_mwh", "hydrogen_storage_mwh", "MWh_H2", 0.0, INF),
    Entry("electrolysis_on", "electrolysis_on", "1", 0.0, 1.0),
    Entry("stack_hours", "stack_hours", "h", 0.0, INF),
)

#: Hourly site outputs ``O_*`` (rows of ``out``); the source is the schema variable
#: (:mod:`nzv_energy.schema`, whose units these are).
SITE_OUTPUTS: tuple[Entry, ...] = tuple(
    Entry(name, name, unit)
    for name, unit in (
        ("wind_mw", "MW"),
        ("pv_mw", "MW"),
        ("curtailment_mw", "MW"),
        ("local_demand_mw", "MW"),
        ("electrolysis_input_mw", "MW"),
        ("electrolysis_standby_mw", "MW"),
        ("hydrogen_output_mw", "MW_H2"),
        ("electrolysis_on", "1"),
        ("battery_charge_mw", "MW"),
        ("battery_discharge_mw", "MW"),
        ("battery_soc_mwh", "MWh"),
        ("grid_import_mw", "MW"),
        ("grid_export_mw", "MW"),
        ("gas_backup_mw", "MW"),
        ("gas_backup_fuel_mw", "MW_th"),
        ("gas_backup_hydrogen_fuel_mw", "MW_H2"),
        ("hydrogen_storage_charge_mw", "MW_H2"),
        ("hydrogen_storage_discharge_mw", "MW_H2"),
        ("hydrogen_storage_mwh", "MWh_H2"),
        ("pipeline_flow_mw", "MW_H2"),
        ("rfnbo_hydrogen_mw", "MW_H2"),
    )
)

#: Hourly system outputs ``Y_*`` (rows of ``sys_out``).
SYSTEM_OUTPUTS: tuple[Entry, ...] = tuple(
    Entry(name, name, unit) for name, unit in (
        ("hydrogen_demand_mw", "MW_H2"), ("hydrogen_delivered_mw", "MW_H2"),
        ("unserved_hydrogen_mw", "MW_H2"), ("firm_delivery_mw", "MW"), ("firm_shortfall_mw", "MW"),
    )
)

#: Per-site totals ``K_*`` (columns of ``sums``); the source is the hourly variable
#: summed, or ``derived: ...`` for totals an hourly sum does not give directly.
SITE_SUMS: tuple[Entry, ...] = (
    Entry("wind_mwh", "wind_mw", "MWh"),
    Entry("pv_mwh", "pv_mw", "MWh"),
    Entry("curtailment_mwh", "curtailment_mw", "MWh"),
    Entry("local_demand_mwh", "local_demand_mw", "MWh"),
    Entry("electrolysis_input_mwh", "electrolysis_input_mw", "MWh"),
    Entry("electrolysis_standby_mwh", "electrolysis_standby_mw", "MWh"),
    Entry("hydrogen_output_mwh", "hydrogen_output_mw", "MWh_H2"),
    Entry("operating_hours", "derived: hours with electrolysis_on", "h"),
    Entry("starts", "derived: off-to-on changes of electrolysis_on", "count"),
    Entry("battery_charge_mwh", "battery_charge_mw", "MWh"),
    Entry("battery_discharge_mwh", "battery_discharge_mw", "MWh"),
    Entry("grid_import_mwh", "grid_import_mw", "MWh"),
    Entry("grid_export_mwh", "grid_export_mw", "MWh"),
    Entry("grid_import_cost_eur", "derived: grid_import_mw x price", "EUR"),
    Entry("grid_export_revenue_eur", "derived: grid_export_mw x price", "EUR"),
    Entry("gas_backup_mwh", "gas_backup_mw", "MWh"),
    Entry("gas_backup_fuel_mwh", "gas_backup_fuel_mw", "MWh_th"),
    Entry("gas_backup_hydrogen_fuel_mwh", "gas_backup_hydrogen_fuel_mw", "MWh_H2"),
    Entry("hydrogen_storage_charge_mwh", "hydrogen_storage_charge_mw", "MWh_H2"),
    Entry("hydrogen_storage_discharge_mwh", "hydrogen_storage_discharge_mw", "MWh_H2"),
    Entry("pipeline_flow_mwh", "pipeline_flow_mw", "MWh_H2"),
    Entry("rfnbo_hydrogen_mwh", "rfnbo_hydrogen_mw", "MWh_H2"),
    Entry("unserved_electricity_mwh", "derived: local and standby load not served", "MWh"),
    Entry("stack_replacements", "derived: stack hours / stack lifetime", "count"),
    Entry("electrolysis_grid_mwh", "derived: grid power used by the electrolyser", "MWh_el"),
    Entry("grid_import_co2_t", "derived: grid_import_mw x hourly grid intensity", "t CO2e"),
    Entry("electrolysis_grid_import_co2_t",
          "derived: grid import emissions x electrolyser share of the site's use", "t CO2e"),
    Entry("electrolysis_natural_gas_mwh",
          "derived: natural gas fuel x electrolyser share of the site's use", "MWh_th"),
    Entry("low_carbon_operating_hours",
          "derived: hours with electrolysis_on and grid intensity below the low-carbon threshold",
          "h"),
)

#: System totals ``Z_*`` (entries of ``sys_sums``): each hourly system output summed over
#: the hours (``<name>h``, MW -> MWh), then the hours short of the firm commitment.
SYSTEM_SUMS: tuple[Entry, ...] = (
    *(Entry(f"{e.name}h", e.name, e.unit.replace("MW", "MWh", 1)) for e in SYSTEM_OUTPUTS),
    Entry("firm_hours_short", "derived: hours with firm_shortfall_mw > 0", "h"),
)

#: District heat, hourly inputs ``HI_*`` (middle axis of ``heat_in``), per site and hour.
HEAT_INPUTS: tuple[Entry, ...] = (
    Entry("heat_demand_mw", "derived: heat.<site>.networks (nzv_energy.heat.inputs)", "MW_th",
          0.0, INF),
    Entry("cop_heat_pump", "derived: heat.<site>.heat_pump (nzv_energy.heat.cop)", "1", 1.0, INF),
    Entry("cop_waste_heat", "derived: heat.<site>.waste_heat_recovery (nzv_energy.heat.cop)",
          "1", 1.0, INF, True),
)

#: District heat, per-site settings ``HS_*`` (columns of ``heat_site``).
HEAT_SITE: tuple[Entry, ...] = (
    _flag("chp_hydrogen_fuel", "heat.<site>.chp.fuel == 'hydrogen'"),
    _fraction("initial_storage_fraction", "heat.<site>.thermal_storage.initial_fraction"),
)

#: District heat, thermal store state ``HL_*`` (columns of ``heat_state``).
HEAT_STATE: tuple[Entry, ...] = (
    Entry("level_mwh", "thermal_storage_mwh", "MWh_th", 0.0, INF),
    Entry("start_mwh", "derived: level at the start of the reported pass", "MWh_th", 0.0, INF),
)

#: District heat, per-site totals ``HT_*`` (columns of ``heat_tot``).
HEAT_TOTALS: tuple[Entry, ...] = (
    Entry("natural_gas_mwh", "derived: CHP fuel (natural gas) + peak gas boiler fuel", "MWh_th"),
    Entry("hydrogen_fuel_mwh", "derived: CHP fuel (hydrogen)", "MWh_H2"),
    Entry("grid_import_co2_t",
          "derived: grid import emissions x heat's share of the site's use", "t CO2e"),
    Entry("electricity_mwh", "derived: booster, heat pump and electric boiler power", "MWh"),
)

#: Each table with the prefix of its index constants and the name of its count.
TABLES: dict[str, tuple[tuple[Entry, ...], str]] = {
    "C": (CAPACITIES, "N_CAP"),
    "P": (PARAMETERS, "N_PAR"),
    "S": (STATE, "N_STATE"),
    "O": (SITE_OUTPUTS, "N_OUT"),
    "Y": (SYSTEM_OUTPUTS, "N_SYS_OUT"),
    "K": (SITE_SUMS, "N_SUM"),
    "Z": (SYSTEM_SUMS, "N_SYS_SUM"),
    "HI": (HEAT_INPUTS, "N_HEAT_IN"),
    "HS": (HEAT_SITE, "N_HEAT_SITE"),
    "HL": (HEAT_STATE, "N_HEAT_STATE"),
    "HT": (HEAT_TOTALS, "N_HEAT_TOT"),
}


class LayoutError(AssertionError):
    """An index constant of the kernels does not match its table (a programming error)."""


def names(table: tuple[Entry, ...]) -> tuple[str, ...]:
    """The names of a table, in index order."""
    return tuple(e.name for e in table)


def check_indices(namespace: Mapping[str, object]) -> None:
    """Check that every index constant of a kernel module matches its table.

    Parameters
    ----------
    namespace
        The module's globals: ``<prefix>_<NAME>`` must be the position of
        ``name`` in the table of that prefix, ``N_<...>`` its length, and no
        other constant may use the prefix.

    Raises
    ------
    LayoutError
        Naming the constant, its value and the table's position.
    """
    for prefix, (table, count) in TABLES.items():
        expected = {f"{prefix}_{e.name.upper()}": i for i, e in enumerate(table)}
        if len(expected) != len(table):
            raise LayoutError(f"table {prefix}_*: duplicate names")
        if namespace.get(count) != len(table):
            raise LayoutError(f"{count} = {namespace.get(count)!r}, table has {len(table)} entries")
        for const, position in expected.items():
            if namespace.get(const) != position:
                raise LayoutError(
                    f"{const} = {namespace.get(const)!r}, but '{table[position].name}' is "
                    f"entry {position} of the {prefix}_* table"
                )
        extra = sorted(k for k in namespace if k.startswith(f"{prefix}_") and k.isupper()
                       and k not in expected)
        if extra:
            raise LayoutError(f"constants {extra} are not in the {prefix}_* table")
