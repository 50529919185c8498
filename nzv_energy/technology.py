"""Technology parameters: one typed definition per parameter, defaults from ``inputs/costs.csv``.

Each parameter is defined once here (type, unit in the name, bounds,
description).  Defaults come from the project's cost table by cost year; a
scenario may override any of them under ``technology:``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# the lower heating value and the annuity are defined with the cost formulas (re-exported)
from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG as HYDROGEN_LHV_KWH_PER_KG
from nzv_energy.economics import annuity_factor as annuity_factor
from nzv_energy.errors import InputDataError
from nzv_energy.heat.costs import HEAT_TECHNOLOGIES

INPUTS_DIR = Path(__file__).resolve().parent.parent / "inputs"
COST_TABLE = INPUTS_DIR / "costs.csv"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GeneratorParameters(_Frozen):
    """Wind or PV plant parameters."""

    capex_eur_per_mw: float = Field(ge=0, le=1e8, description="Overnight investment, EUR/MW")
    fom_fraction_per_year: float = Field(
        ge=0, le=1, description="Fixed O&M, fraction of capex per year"
    )
    vom_eur_per_mwh: float = Field(ge=0, le=1e4, description="Variable O&M, EUR/MWh")
    lifetime_years: float = Field(gt=0, le=100, description="Economic lifetime, years")
    full_load_hours: float = Field(
        gt=0,
        le=8760,
        description="Default site full-load hours, h/a (national profile scaled to it)",
    )


class BatteryParameters(_Frozen):
    """Battery parameters; power (inverter) and energy are sized separately."""

    power_capex_eur_per_mw: float = Field(ge=0, le=1e8, description="Inverter investment, EUR/MW")
    energy_capex_eur_per_mwh: float = Field(ge=0, le=1e8, description="Storage investment, EUR/MWh")
    fom_fraction_per_year: float = Field(ge=0, le=1, description="Fixed O&M, fraction per year")
    lifetime_years: float = Field(gt=0, le=100, description="Economic lifetime, years")
    round_trip_efficiency: float = Field(
        gt=0, le=1, description="AC-AC round-trip efficiency; charge = discharge = sqrt of it"
    )
    min_soc_fraction: float = Field(
        default=0.0, ge=0, le=1, description="Lowest allowed state of charge, fraction of MWh"
    )

    @property
    def charge_efficiency(self) -> float:
        """One-way efficiency (PyPSA-Eur convention: square root of round trip)."""
        return float(self.round_trip_efficiency**0.5)

    @property
    def discharge_efficiency(self) -> float:
        """One-way efficiency (PyPSA-Eur convention: square root of round trip)."""
        return float(self.round_trip_efficiency**0.5)


class ElectrolysisParameters(_Frozen):
    """Electrolyser parameters (efficiencies on hydrogen LHV)."""

    capex_eur_per_mw: float = Field(ge=0, le=1e8, description="Investment, EUR per MW_el")
    fom_fraction_per_year: float = Field(ge=0, le=1, description="Fixed O&M, fraction per year")
    lifetime_years: float = Field(gt=0, le=100, description="Economic lifetime, years")
    efficiency: float = Field(gt=0, le=1, description="Rated efficiency, MWh_H2 (LHV) per MWh_el")
    min_load_fraction: float = Field(
        ge=0, le=1, description="Minimum load, fraction of rating; below it the stack is off"
    )
    part_load_point_fraction: float = Field(
        gt=0, le=1, description="Load (fraction of rating) of the part-load efficiency point"
    )
    part_load_efficiency: float = Field(
        gt=0, le=1, description="Efficiency at the part-load point, MWh_H2 per MWh_el"
    )
    standby_fraction: float = Field(
        ge=0, le=0.2, description="Standby consumption when off, fraction of rating"
    )
    stack_lifetime_hours: float = Field(
        gt=0, le=1e6, description="Stack lifetime, operating hours; stack replaced after it"
    )
    stack_replacement_cost_fraction: float = Field(
        ge=0, le=1, description="Stack replacement cost, fraction of electrolyser capex"
    )
    degradation_fraction_per_1000h: float = Field(
        ge=0, le=0.1, description="Relative efficiency loss per 1,000 operating hours"
    )
    vom_eur_per_mwh_h2: float = Field(default=0.0, ge=0, le=1e4, description="Variable O&M")


class StoreParameters(_Frozen):
    """Hydrogen storage parameters."""

    capex_eur_per_mwh: float = Field(ge=0, le=1e8, description="Investment, EUR per MWh_H2")
    fom_fraction_per_year: float = Field(ge=0, le=1, description="Fixed O&M, fraction per year")
    lifetime_years: float = Field(gt=0, le=200, description="Economic lifetime, years")


class PipelineParameters(_Frozen):
    """Hydrogen pipeline parameters."""

    capex_eur_per_mw_km: float = Field(ge=0, le=1e6, description="Investment, EUR/(MW km)")
    fom_fraction_per_year: float = Field(ge=0, le=1, description="Fixed O&M, fraction per year")
    lifetime_years: float = Field(gt=0, le=200, description="Economic lifetime, years")
    route_factor: float = Field(
        default=1.25,
        ge=1,
        le=3,
        description="Route length / great-circle distance (project assumption)",
    )


class GasBackupParameters(_Frozen):
    """Gas (H2-ready) backup turbine parameters."""

    capex_eur_per_mw: float = Field(ge=0, le=1e8, description="Investment, EUR/MW_el")
    fom_fraction_per_year: float = Field(ge=0, le=1, description="Fixed O&M, fraction per year")
    vom_eur_per_mwh: float = Field(ge=0, le=1e4, description="Variable O&M, EUR/MWh_el")
    lifetime_years: float = Field(gt=0, le=100, description="Economic lifetime, years")
    efficiency: float = Field(gt=0, le=1, description="MWh_el per MWh of fuel (LHV)")
    natural_gas_co2_t_per_mwh: float = Field(
        ge=0, le=1, description="CO2 intensity of natural gas, t per MWh_th"
    )


class TechnologyParameters(_Frozen):
    """All technology parameters of a scenario."""

    wind: GeneratorParameters
    pv: GeneratorParameters
    battery: BatteryParameters
    electrolysis: ElectrolysisParameters
    hydrogen_storage: StoreParameters
    pipeline: PipelineParameters
    gas_backup: GasBackupParameters


#: Default full-load hours for new plants in the Lausitz (shared/data README
#: and lausitz_facts.md: onshore new-build 2,000-2,200 h, ground PV 1,000-1,050 h).
DEFAULT_FULL_LOAD_HOURS = {"wind": 2100.0, "pv": 1025.0}

# cost-table (technology, parameter) -> (section, field, factor to the field's unit)
_MAPPING: dict[tuple[str, str], tuple[str, str, float]] = {
    ("wind", "capex"): ("wind", "capex_eur_per_mw", 1000.0),
    ("wind", "fom"): ("wind", "fom_fraction_per_year", 0.01),
    ("wind", "vom"): ("wind", "vom_eur_per_mwh", 1.0),
    ("wind", "lifetime"): ("wind", "lifetime_years", 1.0),
    ("pv", "capex"): ("pv", "capex_eur_per_mw", 1000.0),
    ("pv", "fom"): ("pv", "fom_fraction_per_year", 0.01),
    ("pv", "vom"): ("pv", "vom_eur_per_mwh", 1.0),
    ("pv", "lifetime"): ("pv", "lifetime_years", 1.0),
    ("battery", "power_capex"): ("battery", "power_capex_eur_per_mw", 1000.0),
    ("battery", "energy_capex"): ("battery", "energy_capex_eur_per_mwh", 1000.0),
    ("battery", "fom"): ("battery", "fom_fraction_per_year", 0.01),
    ("battery", "lifetime"): ("battery", "lifetime_years", 1.0),
    ("battery", "round_trip_efficiency"): ("battery", "round_trip_efficiency", 1.0),
    ("electrolysis", "capex"): ("electrolysis", "capex_eur_per_mw", 1000.0),
    ("electrolysis", "fom"): ("electrolysis", "fom_fraction_per_year", 0.01),
    ("electrolysis", "lifetime"): ("electrolysis", "lifetime_years", 1.0),
    ("electrolysis", "efficiency"): ("electrolysis", "efficiency", 1.0),
    ("electrolysis", "min_load"): ("electrolysis", "min_load_fraction", 0.01),
    ("electrolysis", "part_load_point"): ("electrolysis", "part_load_point_fraction", 0.01),
    ("electrolysis", "part_load_efficiency"): ("electrolysis", "part_load_efficiency", 1.0),
    ("electrolysis", "standby"): ("electrolysis", "standby_fraction", 0.01),
    ("electrolysis", "stack_lifetime"): ("electrolysis", "stack_lifetime_hours", 1.0),
    ("electrolysis", "stack_replacement_cost"): (
        "electrolysis",
        "stack_replacement_cost_fraction",
        0.01,
    ),
    ("electrolysis", "degradation"): ("electrolysis", "degradation_fraction_per_1000h", 0.01),
    ("hydrogen_storage", "capex"): ("hydrogen_storage", "capex_eur_per_mwh", 1000.0),
    ("hydrogen_storage", "fom"): ("hydrogen_storage", "fom_fraction_per_year", 0.01),
    ("hydrogen_storage", "lifetime"): ("hydrogen_storage", "lifetime_years", 1.0),
    ("pipeline", "capex"): ("pipeline", "capex_eur_per_mw_km", 1.0),
    ("pipeline", "fom"): ("pipeline", "fom_fraction_per_year", 0.01),
    ("pipeline", "lifetime"): ("pipeline", "lifetime_years", 1.0),
    ("gas_backup", "capex"): ("gas_backup", "capex_eur_per_mw", 1000.0),
    ("gas_backup", "fom"): ("gas_backup", "fom_fraction_per_year", 0.01),
    ("gas_backup", "vom"): ("gas_backup", "vom_eur_per_mwh", 1.0),
    ("gas_backup", "lifetime"): ("gas_backup", "lifetime_years", 1.0),
    ("gas_backup", "efficiency"): ("gas_backup", "efficiency", 1.0),
    ("natural_gas", "co2_intensity"): ("gas_backup", "natural_gas_co2_t_per_mwh", 1.0),
}


@lru_cache(maxsize=8)
def _read_cost_table(path: Path) -> tuple[tuple[str, str, float, int, str], ...]:
    rows = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    value = float(row["value"])
                    year = int(row["cost_year"])
                except (TypeError, ValueError, KeyError):
                    raise InputDataError(
                        path, f"row {i}", row, "numeric 'value' and integer 'cost_year' columns"
                    ) from None
                rows.append((row["technology"], row["parameter"], value, year, row["source"]))
    except FileNotFoundError:
        raise InputDataError(path, "file", str(path), "an existing cost table") from None
    return tuple(rows)


def available_cost_years(path: Path = COST_TABLE) -> tuple[int, ...]:
    """Cost years present in the cost table."""
    return tuple(sorted({r[3] for r in _read_cost_table(path)}))


def default_technology(cost_year: int, path: Path = COST_TABLE) -> dict[str, dict[str, Any]]:
    """Technology parameters of ``cost_year`` from the cost table, as a nested dict.

    Parameters
    ----------
    cost_year
        Row selector of the cost table (e.g. 2030).
    path
        Cost table (CSV with technology, parameter, value, unit, cost_year, source).

    Returns
    -------
    dict
        ``{section: {field: value}}`` in the units of :class:`TechnologyParameters`.
    """
    out: dict[str, dict[str, Any]] = {
        "wind": {"full_load_hours": DEFAULT_FULL_LOAD_HOURS["wind"]},
        "pv": {"full_load_hours": DEFAULT_FULL_LOAD_HOURS["pv"]},
    }
    for tech, param, value, year, _src in _read_cost_table(path):
        if year != cost_year or tech in HEAT_TECHNOLOGIES:  # heat rows: nzv_energy.heat.costs
            continue
        key = (tech, param)
        if key not in _MAPPING:
            raise InputDataError(path, f"{tech}.{param}", value, "a known technology parameter")
        section, field, factor = _MAPPING[key]
        out.setdefault(section, {})[field] = value * factor
    return out


def cost_sources(cost_year: int, path: Path = COST_TABLE) -> dict[str, str]:
    """``section.field -> source`` citation for each cost-table default of a year."""
    out = {}
    for tech, param, _value, year, src in _read_cost_table(path):
        if year == cost_year and (tech, param) in _MAPPING:
            section, field, _ = _MAPPING[(tech, param)]
            out[f"{section}.{field}"] = src
    return out

