"""Cost and efficiency rows of the heat assets in ``inputs/costs.csv``.

The heat rows share the project's cost table with the electricity and
hydrogen rows (same columns: technology, parameter, value, unit, cost_year,
currency_year, source). :mod:`nzv_energy.technology` reads the rows of the
other technologies and leaves the technologies named in
:data:`HEAT_TECHNOLOGIES` to this module. Figures and sources:
``docs/district_heat.md`` ("Cost rows").
"""

from __future__ import annotations

import csv
from pathlib import Path

from nzv_energy.errors import InputDataError

COST_TABLE = Path(__file__).resolve().parent.parent.parent / "inputs" / "costs.csv"
"""The project's cost table."""

#: parameter -> (field name, factor from the table's unit to the field's unit)
_CAPEX_KW = ("capex_eur_per_mw", 1000.0)
_CAPEX_KWH = ("capex_eur_per_mwh", 1000.0)
_FOM = ("fom_fraction_per_year", 0.01)
_LIFETIME = ("lifetime_years", 1.0)

HEAT_PARAMETERS: dict[str, dict[str, tuple[str, float]]] = {
    "gas_chp": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "vom": ("vom_eur_per_mwh_el", 1.0),
        "lifetime": _LIFETIME,
        "efficiency": ("electric_efficiency", 1.0),
        "c_b": ("c_b", 1.0),
        "c_v": ("c_v", 1.0),
    },
    "hydrogen_chp": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "lifetime": _LIFETIME,
        "efficiency": ("electric_efficiency", 1.0),
        "c_b": ("c_b", 1.0),
    },
    "heat_pump_air": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "vom": ("vom_eur_per_mwh_th", 1.0),
        "lifetime": _LIFETIME,
    },
    "heat_pump_waste_heat": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "vom": ("vom_eur_per_mwh_th", 1.0),
        "lifetime": _LIFETIME,
    },
    "electric_boiler": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "vom": ("vom_eur_per_mwh_th", 1.0),
        "lifetime": _LIFETIME,
        "efficiency": ("efficiency", 1.0),
    },
    "gas_boiler": {
        "capex": _CAPEX_KW,
        "fom": _FOM,
        "vom": ("vom_eur_per_mwh_th", 1.0),
        "lifetime": _LIFETIME,
        "efficiency": ("efficiency", 1.0),
    },
    "thermal_storage": {
        "capex": _CAPEX_KWH,
        "fom": _FOM,
        "lifetime": _LIFETIME,
        "standing_loss": ("standing_loss_fraction_per_hour", 0.01),
        "energy_to_power": ("energy_to_power_h", 1.0),
    },
    "thermal_storage_pit": {
        "capex": _CAPEX_KWH,
        "fom": _FOM,
        "lifetime": _LIFETIME,
        "standing_loss": ("standing_loss_fraction_per_hour", 0.01),
        "energy_to_power": ("energy_to_power_h", 1.0),
    },
    "electrolysis_heat_recovery": {
        "heat_share": ("recoverable_share", 1.0),
        "capex": _CAPEX_KW,
    },
}
"""Every heat row the table may hold: technology -> parameter -> (field, unit factor).

Units after conversion: EUR/MW (EUR/MW_el for CHPs, EUR/MW_th for heat
sources), EUR/MWh_th for stores, fractions for ``%`` rows, MWh per MWh for
efficiencies and the recoverable share, MW_el per MW_th for ``c_b`` / ``c_v``.
"""

HEAT_TECHNOLOGIES: frozenset[str] = frozenset(HEAT_PARAMETERS)
"""Technology names of the heat rows (left alone by :mod:`nzv_energy.technology`)."""


def heat_cost_rows(
    cost_year: int, path: Path = COST_TABLE
) -> dict[str, dict[str, tuple[float, str]]]:
    """Return the heat rows of one cost year in the units of :data:`HEAT_PARAMETERS`.

    Parameters
    ----------
    cost_year
        Row selector of the cost table (e.g. 2030).
    path
        The cost table (default: the shipped ``inputs/costs.csv``).

    Returns
    -------
    dict
        ``{technology: {field: (value, source)}}`` for every heat technology
        with rows in ``cost_year``.

    Raises
    ------
    InputDataError
        Missing file, a non-numeric value or year, an unknown heat parameter, a
        row given twice, or a heat technology of :data:`HEAT_PARAMETERS` lacking
        a parameter in that year.
    """
    path = Path(path)
    out: dict[str, dict[str, tuple[float, str]]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                tech = row.get("technology", "")
                if tech not in HEAT_TECHNOLOGIES:
                    continue
                try:
                    value = float(row["value"])
                    year = int(row["cost_year"])
                except (TypeError, ValueError, KeyError):
                    raise InputDataError(
                        path, f"line {line}", row, "numeric 'value' and integer 'cost_year'"
                    ) from None
                if year != cost_year:
                    continue
                params = HEAT_PARAMETERS[tech]
                param = row.get("parameter", "")
                if param not in params:
                    raise InputDataError(
                        path,
                        f"line {line} {tech}.parameter",
                        param,
                        f"one of {', '.join(params)}",
                    )
                field, factor = params[param]
                section = out.setdefault(tech, {})
                if field in section:
                    raise InputDataError(
                        path, f"line {line} {tech}.{param}", year, "one row per cost year"
                    )
                section[field] = (value * factor, row.get("source", ""))
    except FileNotFoundError:
        raise InputDataError(path, "file", str(path), "an existing cost table") from None
    for tech, section in out.items():
        missing = [p for p, (field, _) in HEAT_PARAMETERS[tech].items() if field not in section]
        if missing:
            raise InputDataError(
                path, f"{tech} in {cost_year}", "no row", f"rows for {', '.join(missing)}"
            )
    return out


def heat_cost_values(cost_year: int, path: Path = COST_TABLE) -> dict[str, dict[str, float]]:
    """Return :func:`heat_cost_rows` without the sources: ``{technology: {field: value}}``."""
    return {
        tech: {field: value for field, (value, _) in section.items()}
        for tech, section in heat_cost_rows(cost_year, path).items()
    }
