"""Generate the scenario field reference (docs/scenarios.md) from the typed definitions.

``python -m nzv_energy.docgen`` rewrites the file; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from nzv_energy.scenario import (
    Economics,
    HydrogenDemand,
    Location,
    Operation,
    Optimisation,
    Site,
    Vpp,
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
    ("sites.<name>", Site),
    ("sites.<name>.location", Location),
    ("hydrogen.demand", HydrogenDemand),
    ("operation", Operation),
    ("optimisation", Optimisation),
    ("vpp", Vpp),
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
    return text.replace("typing.", "").replace("nzv_energy.scenario.", "").replace("|", "or")


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
        "A file may start with `extends: other.yaml` (a path relative to the file): the keys",
        "given override the other file's, nested mappings key by key.",
        "",
        "Top level: `name` (required; letters, digits, `_.-`), `description`, `weather`,",
        "`economics`, `sites` (required, one or more), `hydrogen` (required: `demand`,",
        "`storage_mwh` per site, `initial_storage_fraction`), `operation`, `optimisation`,",
        "`vpp`, `technology`.",
        "",
    ]
    for title, model in SECTIONS:
        out += [f"## `{title}`", "", *field_table(model), ""]
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
