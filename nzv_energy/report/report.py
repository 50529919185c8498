"""The run report: Markdown for reading in a repository, HTML with the figures embedded."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nzv_energy.grid_carbon import EU_THRESHOLD_G_PER_MJ
from nzv_energy.prices import describe_price_years
from nzv_energy.report.economics import economics_section
from nzv_energy.report.formatting import (
    format_cell,
    format_frame,
    format_rows,
    format_share,
    markdown_table,
)
from nzv_energy.scenario import Scenario
from nzv_energy.summary import capacity_table


@dataclass
class ReportContent:
    """Everything the report shows; built by the run pipeline."""

    scenario: Scenario
    scenario_file: str
    scenario_sha256: str
    sized_capacities: pd.DataFrame
    kpis: pd.DataFrame
    lcoh_breakdown: pd.DataFrame
    figures: list[Path]
    optimised: bool
    lp_summary: dict[str, Any] = field(default_factory=dict)
    lp_costs: pd.Series | None = None
    sizing_steps: pd.DataFrame | None = None
    created_utc: str = ""
    package_versions: dict[str, str] = field(default_factory=dict)
    #: Markdown lines of the district-heat section (nzv_energy.heat.kpis.heat_report_section);
    #: empty for a run without heat.
    heat_section: list[str] = field(default_factory=list)


def _sizing_steps_section(c: ReportContent) -> list[str]:
    """How the design margin was found: one row per sizing and its re-simulation."""
    steps = c.sizing_steps
    assert steps is not None
    target = c.lp_summary.get("target_share")
    view = pd.DataFrame(
        {
            "design margin on demand": [format_share(m) for m in steps["margin_fraction"]],
            "worst weather year, demand met": [
                format_share(v) for v in steps["worst_demand_met_share"]
            ],
            "P90, demand met": [format_share(v) for v in steps["p90_demand_met_share"]],
            "total cost, MEUR/a": [
                format_cell("total_cost_eur_per_year", v) for v in steps["total_cost_eur_per_year"]
            ],
        }
    )
    view.index = pd.Index(range(1, len(view) + 1), name="sizing")
    if target is None:
        text = (
            "The sizing was not checked against a target share "
            "(`resimulation_target_share: null`)."
        )
    else:
        text = (
            f"The sizing is accepted when the rule-based re-simulation meets at least "
            f"{format_share(float(target))} of the hydrogen demand in every weather year "
            "(`optimisation.resimulation_target_share`); while it falls short, the LP is solved "
            "again for the demand plus a design margin. The costs above are those of the last "
            "sizing, at its design demand."
        )
        if not c.lp_summary.get("target_met", True):
            text += " **The target was not reached within `max_margin_iterations`.**"
    return ["### Design margin", "", text, "", markdown_table(view), ""]


def percentile_table(kpis: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """P10 / P50 / P90 across weather years of the chosen KPI columns."""
    rows = {}
    for col, label in columns.items():
        if col in kpis:
            values = kpis[col].to_numpy(dtype=float)
            rows[label] = {
                "P10": float(np.percentile(values, 10)),
                "P50": float(np.percentile(values, 50)),
                "P90": float(np.percentile(values, 90)),
            }
    out = pd.DataFrame(rows).T
    out.index.name = "across weather years"
    return out


KPI_LABELS = {
    "hydrogen_delivered_mwh": "hydrogen delivered, MWh_H2",
    "demand_met_share": "share of hydrogen demand met",
    "lcoh_chain_eur_per_kg": "hydrogen-chain LCOH (electricity at market value), EUR/kg",
    "system_net_cost_per_kg_h2_eur_per_kg": "system net cost per kg H2, EUR/kg",
    "rfnbo_share": "RFNBO share of hydrogen delivered",
    "curtailment_share": "curtailment share of renewable generation",
    "co2_emissions_t": "CO2 emissions, t",
    "grid_import_co2_t": "CO2e of grid imports, t",
    "hydrogen_carbon_intensity_kg_per_kg": "hydrogen carbon intensity, kg CO2e/kg",
    "hydrogen_carbon_intensity_g_per_mj": "hydrogen carbon intensity, g CO2e/MJ",
    "unserved_hydrogen_mwh": "unserved hydrogen, MWh_H2",
    "electrolysis_full_load_hours_h": "electrolyser full-load hours, h",
    "electrolysis_starts": "electrolyser starts",
    "battery_equivalent_cycles": "battery equivalent full cycles",
    "grid_import_mwh": "grid import, MWh",
    "grid_export_mwh": "grid export, MWh",
}


def hydrogen_carbon_lines(kpis: pd.DataFrame) -> list[str]:
    """Pass/fail of each weather year against the EU 28.2 g CO2e/MJ threshold."""
    col = "hydrogen_carbon_intensity_g_per_mj"
    if col not in kpis or len(kpis) == 0:
        return []
    years = []
    for year, value in kpis[col].items():
        if pd.isna(value):
            years.append(f"{year}: not available")
        else:
            verdict = "PASS" if value <= EU_THRESHOLD_G_PER_MJ else "FAIL"
            years.append(f"{year}: {value:.1f} g CO2e/MJ, **{verdict}**")
    return [
        f"**Hydrogen carbon intensity vs the EU threshold of {EU_THRESHOLD_G_PER_MJ:.1f} "
        "g CO2e/MJ** (70 % savings against the fossil comparator of 94 g CO2e/MJ, Delegated "
        "Regulation (EU) 2023/1185; grid imports at the hourly average grid intensity and "
        "natural gas burnt, see docs/carbon_intensity.md): " + "; ".join(years) + ".",
        "",
        "The figures *hydrogen carbon monthly* (intensity per month against the threshold) "
        "and *electrolysis vs grid carbon* (hours of electrolyser load against the grid "
        "intensity) are drawn for scenarios with operation.grid_import on; without imports "
        "the hydrogen carries only the natural gas burnt, shown in the table above.",
        "",
    ]


def firm_commitment_lines(c: ReportContent) -> list[str]:
    """The firm commitment of a sizing (``security.firm_mw``): cost, sources, hours short.

    Empty without a commitment or without an optimiser run (docs/security_of_supply.md).
    """
    lp = c.lp_summary.get("lp_kpis", {})
    firm = c.scenario.security.firm_mw
    if firm <= 0 or "firm_marginal_cost_eur_per_mw_year" not in lp:
        return []
    export = lp.get("firm_lp_grid_export_mwh_per_year", float("nan"))
    gas = lp.get("firm_lp_gas_to_grid_mwh_per_year", float("nan"))
    imp = lp.get("firm_lp_grid_import_mwh_per_year", float("nan"))
    prefix = "firm_hours_short_rules_h_"
    years = [f"{k.removeprefix(prefix)}: {v:,.0f} h ("
             f"{lp.get('firm_energy_short_rules_mwh_' + k.removeprefix(prefix), 0.0):,.0f} MWh)"
             for k, v in lp.items() if k.startswith(prefix)]
    return [
        "## Firm commitment",
        "",
        f"The portfolio commits {firm:,.0f} MW to the grid in every hour on top of the hydrogen "
        "supply (`security.firm_mw`). One more MW of commitment adds "
        f"{lp['firm_marginal_cost_eur_per_mw_year']:,.0f} EUR/a to the annual cost at the "
        f"optimum ({lp.get('firm_marginal_cost_eur_per_kg_per_mw', float('nan')):.4f} EUR/kg "
        "H2 per MW; the dual of the commitment, exact for small changes only).",
        "",
        "What delivers it in the LP (mean per year): "
        f"{export:,.0f} MWh to the grid, of which {gas:,.0f} MWh from the gas backup and "
        f"{export - gas:,.0f} MWh from renewables and batteries; {imp:,.0f} MWh bought from "
        "the grid.",
        "",
        "Hours short in the rule-based re-simulation (allowed "
        f"{c.scenario.security.hours_short_max} h per year, `security.hours_short_max`): "
        + ("; ".join(years) if years else "not available") + ".",
        "",
    ]


def render_markdown(c: ReportContent) -> str:
    """The report as Markdown; figures referenced relative to the results folder."""
    s = c.scenario
    d = s.hydrogen.demand
    parts = [
        f"# {s.name}: hydrogen supply for {d.site}",
        "",
        s.description,
        "",
        f"Scenario file `{Path(c.scenario_file).name}` "
        f"(SHA-256 `{c.scenario_sha256[:16]}…`), weather "
        f"`{s.weather.source}` {list(s.weather.years)}, prices "
        f"{describe_price_years(s, c.scenario_file)}, "
        f"cost year {s.economics.cost_year}, discount rate {s.economics.discount_rate:.0%}."
        # a creation time only when asked for (nzv_energy.results_io.creation_time)
        + (f" Written {c.created_utc}." if c.created_utc else ""),
        "",
        "## Scenario",
        "",
        f"Hydrogen demand: mean {d.mean_mw:g} MW_H2 (LHV), profile `{d.profile}`. Gas price "
        f"{s.economics.gas_price_eur_per_mwh:g} EUR/MWh_th, CO2 price "
        f"{s.economics.co2_price_eur_per_t:g} EUR/t. Capacities as given (`a..b` = sized "
        "by the optimiser):",
        "",
        "```",
        capacity_table(s),
        "```",
        "",
        "## Capacities",
        "",
        "Sized by the PyPSA/HiGHS optimiser (cheapest system meeting the hydrogen demand "
        "every hour)."
        if c.optimised
        else "Fixed in the scenario.",
        "",
        markdown_table(c.sized_capacities.round(1)),
        "",
    ]
    if c.optimised and c.lp_summary:
        lp = c.lp_summary
        total_meur = lp.get("total_cost_eur_per_year", float("nan")) / 1e6
        parts += [
            "## Costs (optimiser)",
            "",
            f"Total annual system cost {total_meur:,.1f} "
            f"MEUR/a (fixed assets {lp.get('fixed_assets', 'annualised')}); system net cost "
            f"{lp.get('system_net_cost_per_kg_h2_eur_per_kg', float('nan')):.2f} EUR/kg H2 "
            "(not the hydrogen-chain LCOH, see below); mean hydrogen "
            f"marginal price (dual of the demand balance) "
            f"{lp.get('hydrogen_price_eur_per_mwh', float('nan')):.1f} EUR/MWh_H2 "
            f"({lp.get('hydrogen_price_eur_per_mwh', float('nan')) * 0.03333:.2f} EUR/kg). "
            f"Solver status: {lp.get('status', '')}, mode {lp.get('mode', '')}."
            + (f" Fast-mode error estimate: the sized capacities operated hour by hour cost "
               f"{fk['fast_mode_hourly_cost_eur_per_year'] / 1e6:,.1f} MEUR/a, an upper bound "
               f"of the exact optimum unless hydrogen was left unserved (as sized: "
               f"{fk['fast_mode_hourly_unserved_share']:.3%}; enlarged to serve every hour: "
               f"{'yes' if fk.get('fast_mode_capacities_repaired') else 'no'}); the fast "
               f"objective is {fk['fast_mode_cost_gap_fraction']:+.2%} from it."
               if "fast_mode_cost_gap_fraction" in (fk := lp.get("lp_kpis", {})) else ""),
            "",
        ]
        if c.lp_costs is not None and len(c.lp_costs):
            costs = (c.lp_costs / 1e6).to_frame("MEUR per year")
            costs.index.name = "component"
            parts += [markdown_table(costs, "{:,.1f}"), ""]
        if c.sizing_steps is not None and len(c.sizing_steps):
            parts += _sizing_steps_section(c)
        parts += economics_section(lp, c.kpis)
        parts += firm_commitment_lines(c)
    kpi_cols = [k for k in KPI_LABELS if k in c.kpis]
    kpi_view = format_frame(c.kpis)[kpi_cols].rename(columns=KPI_LABELS).T
    kpi_view.index.name = "KPI (rule-based re-simulation)"
    parts += [
        "## Hour-by-hour check: rule-based re-simulation",
        "",
        "The capacities above were re-simulated with the numba dispatch kernels over every "
        "weather year, with the operating rules of docs/dispatch.md (minimum load, part-load "
        "efficiency, standby, stack degradation). The optimiser's linear model meets 100 % "
        "of the demand by construction; the rule-based dispatch shows what an operator "
        "without perfect foresight achieves.",
        "",
        markdown_table(kpi_view),
        "",
        *hydrogen_carbon_lines(c.kpis),
    ]
    pct_columns = {
        "hydrogen_delivered_mwh": "hydrogen delivered, MWh_H2",
        "demand_met_share": "share of demand met",
        "unserved_hydrogen_mwh": "unserved hydrogen, MWh_H2",
        "lcoh_chain_eur_per_kg": "hydrogen-chain LCOH, EUR/kg",
        "system_net_cost_per_kg_h2_eur_per_kg": "system net cost per kg H2, EUR/kg",
    }
    pct = percentile_table(c.kpis, pct_columns)
    if len(c.kpis) > 0 and len(pct):
        pct_text = format_rows(pct, {v: k for k, v in pct_columns.items()})
        parts += ["Spread across weather years:", "", markdown_table(pct_text), ""]
    if len(c.lcoh_breakdown):
        lb = c.lcoh_breakdown.copy()
        lb.index.name = "component, EUR/kg"
        parts += [
            "## Breakdown of the system net cost per kg (c)",
            "",
            "Every asset of the system (planned batteries and gas backup included) and its "
            "operation, net of export revenue, per kg delivered (`lcoh_<component>_eur_per_kg` "
            "in kpis.csv); the hydrogen-chain LCOH (a) above is the figure to compare with "
            "studies.",
            "",
            markdown_table(lb, "{:,.2f}"),
            "",
        ]
    parts += c.heat_section
    parts += ["## Figures", ""]
    for fig in c.figures:
        if fig.suffix == ".png":
            title = fig.stem.replace("_", " ")
            parts += [f"### {title}", "", f"![{title}](figures/{fig.name})", ""]
    if c.package_versions:
        versions = ", ".join(f"{k} {v}" for k, v in c.package_versions.items())
        parts += [
            "## Provenance",
            "",
            f"Package versions: {versions}. Input file hashes and the "
            "full scenario text are stored in the attributes of `dispatch.nc`.",
            "",
        ]
    return "\n".join(parts)


_IMG = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    """Escaped text with Markdown's inline code (`` `x` ``) and bold (``**x**``) as HTML."""
    escaped = html.escape(text)
    return _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", escaped))


def markdown_to_html(markdown: str, base_dir: Path, title: str) -> str:
    """Minimal Markdown-to-HTML for the report (headings, tables, code, images).

    Images are embedded as data URIs so the HTML file stands alone.
    """
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
        "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
        "img{max-width:100%}pre{background:#f4f4f4;padding:8px;overflow-x:auto}</style>",
        "</head><body>",
    ]
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(html.escape(lines[i]))
                i += 1
            out.append("<pre>" + "\n".join(block) + "</pre>")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            i -= 1
            cells = [[_inline(c.strip()) for c in r.strip("|").split("|")] for r in rows]
            body = cells[2:] if len(cells) > 1 else []
            out.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in cells[0]) + "</tr>")
            for r in body:
                out.append("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
            out.append("</table>")
        elif _IMG.search(line):
            alt, src = _IMG.search(line).groups()  # type: ignore[union-attr]
            data = base64.b64encode((base_dir / src).read_bytes()).decode("ascii")
            out.append(f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>')
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    out.append("</body></html>")
    return "\n".join(out)
