"""Generate the scenario field reference (docs/scenarios.md) from the typed definitions.

``python -m nzv_energy.docgen`` rewrites the file; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from nzv_energy.heat.assets import (
    Chp,
    ElectricBoiler,
    HeatPump,
    PeakGasBoiler,
    SiteHeat,
    ThermalStorage,
    WasteHeatRecovery,
)
from nzv_energy.scenario import (
    Economics,
    ElectricityPrice,
    HydrogenDemand,
    Location,
    Operation,
    Optimisation,
    Security,
    Site,
    Vpp,
    VppReserves,
    Weather,
)
from nzv_energy.technology import (
    BatteryParameters,
    ElectrolysisParameters,
    GasBackupParameters,
    GeneratorParameters,
    PipelineParameters,
    StoreParameters,
    cost_sources,
    default_technology,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("weather", Weather),
    ("economics", Economics),
    ("economics.electricity_price (mapping form)", ElectricityPrice),
    ("sites.<name>", Site),
    ("sites.<name>.location", Location),
    ("hydrogen.demand", HydrogenDemand),
    ("operation", Operation),
    ("optimisation", Optimisation),
    ("vpp", Vpp),
    ("vpp.reserves", VppReserves),
    ("security", Security),
    ("heat.<site> (optional; `heat: null` leaves it out of an extended scenario)", SiteHeat),
    ("heat.<site>.chp", Chp),
    ("heat.<site>.waste_heat_recovery", WasteHeatRecovery),
    ("heat.<site>.heat_pump", HeatPump),
    ("heat.<site>.electric_boiler", ElectricBoiler),
    ("heat.<site>.thermal_storage", ThermalStorage),
    ("heat.<site>.peak_gas_boiler", PeakGasBoiler),
]

TECH_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("wind", GeneratorParameters),
    ("pv", GeneratorParameters),
    ("battery", BatteryParameters),
    ("electrolysis", ElectrolysisParameters),
    ("hydrogen_storage", StoreParameters),
    ("pipeline", PipelineParameters),
    ("gas_backup", GasBackupParameters),
]


def _type_name(ann: Any) -> str:
    text = getattr(ann, "__name__", None) or str(ann)
    return (text.replace("typing.", "").replace("nzv_energy.scenario.", "")
            .replace("nzv_energy.heat.assets.", "").replace("|", "or"))


def _bounds(field: Any) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if hasattr(meta, attr):
                parts.append(f"{sym} {getattr(meta, attr):g}")
    return ", ".join(parts)


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    if field.default_factory is not None:
        return "{}"
    value = field.default
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{value}`"


def field_table(model: type[BaseModel]) -> list[str]:
    """Markdown table rows of a model's fields."""
    lines = ["| field | type | default | bounds | meaning |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        ann = field.annotation
        type_name = (
            "number or {min, max}"
            if "CapacityRange" in str(ann) or "EnergyRange" in str(ann)
            else _type_name(ann)
        )
        lines.append(
            f"| `{name}` | {type_name} | {_default(field)} | {_bounds(field)} | "
            f"{field.description or ''} |"
        )
    return lines


PRICE_YEARS_TEXT = """\
## Price years and weather years

Prices fall in windy, sunny hours, so a price year must match the weather year it is
used with. `electricity_price: day_ahead_de` (the default) gives each weather year the
German day-ahead prices of the same UTC calendar year (2015, 2017-2020; see
inputs/README.md). A weather year without prices of its own year is refused (exit 2)
unless the scenario allows another year explicitly, e.g.

```yaml
economics:
  electricity_price: {source: smard_2018, align: hour_of_year}   # 2018 prices on 2019 weather
```

`align: hour_of_year` lays the price year on the weather year hour by hour of the year;
weekdays and holidays then do not line up. The typical year of `dwd_try2010` matches no
real price year and always needs it (with `year:` when the series holds several years).
The report's first paragraph states which price year served which weather year.
"""

CSV_FORMATS_TEXT = """\
## User CSV files

Comma-separated, one header row, UTF-8. Timestamps (column `time`, `timestamp` or
`utc_timestamp`) are ISO 8601 hour-beginning labels, e.g. `2019-03-01 04:00` or
`2019-03-01T04:00+01:00`. Without an offset they are UTC, unless the file's `timezone`
names an IANA time zone (`weather.timezone`, `economics.electricity_price.timezone`):
then they are local time, converted to UTC the standard way. A local-time file lists the
doubled autumn hour twice (first in summer time, then in standard time) and has no row
for the hour skipped in spring. Rows must be hourly, in increasing time, without gaps or
duplicates; every problem is reported with file, line, hour and value (a UTC file that
looks like local time is said to be so). Nothing in a user file is filled or repaired.

### Capacity factors (`weather.source: my_profiles.csv`)

Columns `wind_cf` and `pv_cf` (0..1, power / rated power), optionally
`<site>_wind_cf` / `<site>_pv_cf` for one site. Every weather year must be complete
(8,760 or 8,784 UTC hours). The file is used as given; set
`weather.scale_csv_to_full_load_hours: true` to scale it per site and year to the sites'
full-load hours (site fields, else `technology.wind` / `technology.pv`).

```csv
time,wind_cf,pv_cf,boxberg_wind_cf
2019-01-01 00:00,0.412,0.0,0.455
2019-01-01 01:00,0.398,0.0,0.441
```

### Day-ahead prices (`economics.electricity_price: my_prices.csv`)

Column `price_eur_per_mwh` (EUR/MWh, between -10,000 and 10,000). Each weather year
takes the file's hours of the same UTC year, all of which must be present; with
`align: hour_of_year` a full UTC year of the file is laid on other weather years. A
local-time file of one calendar year (e.g. `2019-01-01 00:00` .. `2019-12-31 23:00`
Europe/Berlin) ends at 2019-12-31 22:00 UTC: add the next local hour to complete UTC 2019.

```csv
time,price_eur_per_mwh
2019-10-27 01:00,38.10
2019-10-27 02:00,36.52
2019-10-27 02:00,35.07
2019-10-27 03:00,34.90
```

with `electricity_price: {source: my_prices.csv, timezone: Europe/Berlin}` (the two
02:00 rows are 00:00 and 01:00 UTC).

### Grid carbon intensity (`economics.grid_carbon_intensity: my_grid_co2.csv`)

Column `g_co2e_per_kwh` (g CO2e per kWh of grid power, between 0 and 2,000), with
timestamps as above and every hour of each weather year (no gaps, nothing filled). The
value is what one MWh bought in that hour counts as (an average intensity by default:
see `docs/carbon_intensity.md`). The built-in `entsoe_de` covers 2017-2020; with
`operation.grid_import` on, weather years outside the series are refused.

```csv
time,g_co2e_per_kwh
2019-01-01 00:00,412.5
2019-01-01 01:00,405.0
```

### Hydrogen demand profile (`hydrogen.demand.profile: my_demand.csv`)

Column `demand_fraction` (>= 0), one row per hour and no timestamps: 8,760 rows (one
year, row k = hour k of each UTC weather year; a leap year repeats the last row for its
last day) or one row per hour of all weather years. It is rescaled to mean 1 and
multiplied by `mean_mw`.

```csv
demand_fraction
0.95
1.05
```
"""


def render() -> str:
    """The whole reference as Markdown."""
    out = [
        "# Scenario file reference",
        "",
        "Generated from the typed definitions in `nzv_energy/scenario.py` and",
        "`nzv_energy/technology.py` by `python -m nzv_energy.docgen`; do not edit by hand.",
        "",
        "Capacities are a number (fixed) or `{min: ..., max: ...}` (sized by the optimiser).",
        "Units are in the field names (`_mw`, `_mwh`, `_eur_per_mwh`, `_fraction` = 0..1).",
        "A file may start with `extends: other.yaml` (a path relative to the file) or",
        "`extends: lausitz_2030` (a shipped scenario, by name): the keys given override the",
        "other file's, nested mappings key by key.",
        "",
        "Top level: `name` (required; letters, digits, `_.-`), `description`, `weather`,",
        "`economics`, `sites` (required, one or more), `hydrogen` (required: `demand`,",
        "`storage_mwh` per site, `initial_storage_fraction`), `operation`, `optimisation`,",
        "`vpp`, `technology`, `heat` (optional: district heat per plant site,",
        "docs/district_heat.md; `validate` and `simulate` only so far, the other commands",
        "refuse a scenario with it).",
        "",
    ]
    for title, model in SECTIONS:
        out += [f"## `{title}`", "", *field_table(model), ""]
    out += [PRICE_YEARS_TEXT, CSV_FORMATS_TEXT]
    out += [
        "## `technology.<section>`: defaults from inputs/costs.csv",
        "",
        "Any parameter can be overridden per scenario, e.g.",
        "`technology: {electrolysis: {min_load_fraction: 0.2}}`.",
        "",
    ]
    d30, d40 = default_technology(2030), default_technology(2040)
    src = cost_sources(2030)
    for section, model in TECH_SECTIONS:
        out += [
            f"### `technology.{section}`",
            "",
            "| field | 2030 | 2040 | bounds | meaning | source (2030 row) |",
            "|---|---|---|---|---|---|",
        ]
        for name, field in model.model_fields.items():
            v30 = d30.get(section, {}).get(name, field.default)
            v40 = d40.get(section, {}).get(name, field.default)
            source = src.get(f"{section}.{name}", "")
            if name == "full_load_hours":
                source = (
                    "shared data README: new onshore wind 2,000-2,200 h, ground PV 1,000-1,050 h"
                )
            if not source and field.default is not PydanticUndefined:
                source = "project default"
            out.append(
                f"| `{name}` | {v30:g} | {v40:g} | {_bounds(field)} | "
                f"{field.description or ''} | {source} |"
            )
        out.append("")
    return "\n".join(out)


def main() -> int:
    """Write docs/scenarios.md."""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
