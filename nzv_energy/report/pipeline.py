"""The main job: validate, size, re-simulate every weather year, write results, figures, report."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from nzv_energy.dispatch.kpis import LCOH_COMPONENTS, compute_kpis, site_kpis
from nzv_energy.dispatch.simulate import simulate
from nzv_energy.heat.kpis import has_heat, heat_run_outputs
from nzv_energy.hydrogen_carbon import HourlyCarbon
from nzv_energy.report.economics import lp_kpi_columns
from nzv_energy.report.figures import draw_all
from nzv_energy.report.formatting import format_share
from nzv_energy.report.page import write_page
from nzv_energy.report.report import ReportContent, markdown_to_html, render_markdown
from nzv_energy.results_io import atomic_directory, provenance, relative_path, write_netcdf
from nzv_energy.scenario import CAPACITY_FIELDS, Scenario
from nzv_energy.scenario_file import load_scenario, scenario_text_and_hash, scenario_to_yaml
from nzv_energy.system import SiteCapacities, SystemInputs, build_inputs, fixed_capacities

log = logging.getLogger(__name__)

CAPACITY_COLUMNS = (*CAPACITY_FIELDS, "hydrogen_storage_mwh")


@dataclass
class RunOutcome:
    """What a run produced (for the caller and the tests)."""

    out_dir: Path
    scenario: Scenario
    sized: Scenario
    kpis: pd.DataFrame
    dispatch: xr.Dataset
    seconds: float


def capacities_frame(capacities: dict[str, SiteCapacities]) -> pd.DataFrame:
    """Capacities per site (rows) and technology (columns, units in names)."""
    frame = pd.DataFrame(
        {name: {c: getattr(cap, c) for c in CAPACITY_COLUMNS} for name, cap in capacities.items()}
    ).T
    frame.index.name = "site"
    return frame


def lcoh_breakdown_frame(kpis: pd.DataFrame) -> pd.DataFrame:
    """LCOH components (rows, EUR/kg) per weather year (columns)."""
    rows = {
        c: kpis[f"lcoh_{c}_eur_per_kg"] for c in LCOH_COMPONENTS if f"lcoh_{c}_eur_per_kg" in kpis
    }
    frame = pd.DataFrame(rows).T
    frame.columns = [str(y) for y in frame.columns]
    return frame


def _provenance_document(prov: dict[str, str]) -> dict[str, Any]:
    """Provenance for ``provenance.json``: values holding JSON (hashes, versions) as objects.

    The netCDF attributes must be strings; the JSON file nests them instead of
    quoting JSON inside JSON.  The scenario text is left out (``dispatch.nc``
    holds it).
    """
    out: dict[str, Any] = {}
    for key, value in prov.items():
        if key == "scenario_yaml":
            continue
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


def carbon_for_figures(inputs: SystemInputs, dispatch: xr.Dataset) -> HourlyCarbon | None:
    """What the carbon figures need, for a scenario that imports grid power; else ``None``.

    Without grid import the hydrogen's emissions are those of the natural gas
    alone (0 in most scenarios) and the figures would show nothing the KPIs do
    not, so they are not drawn.
    """
    sc = inputs.scenario
    if not sc.operation.grid_import or inputs.grid_carbon_g_per_kwh is None:
        return None
    times = pd.DatetimeIndex(dispatch["time"].values)
    return HourlyCarbon(
        grid_g_per_kwh=inputs.grid_carbon_g_per_kwh.reindex(times).to_numpy(),
        natural_gas_co2_t_per_mwh=sc.technology.gas_backup.natural_gas_co2_t_per_mwh,
        import_threshold_g_per_kwh=getattr(sc.operation, "import_carbon_threshold_g_per_kwh",
                                           None),
    )


def _step(n: int, total: int, text: str) -> None:
    log.info("[%d/%d] %s", n, total, text)


def run_scenario(
    scenario_path: str | Path,
    out_dir: str | Path | None = None,
    force: bool = False,
    mode: str | None = None,
    results_root: Path | None = None,
) -> RunOutcome:
    """Run a scenario end to end and write its results folder atomically.

    Parameters
    ----------
    scenario_path
        Scenario YAML file.
    out_dir
        Results folder; default ``results/<scenario name>/run`` under ``results_root``.
    force
        Replace an existing results folder.
    mode
        Optimiser mode override (``exact`` or ``fast``).
    results_root
        Folder holding the default results folders; default ``results`` in the current
        directory, as on the command line.
    """
    t0 = time.perf_counter()
    total = 5
    scenario = load_scenario(scenario_path)
    scenario_text, scenario_sha = scenario_text_and_hash(scenario_path)
    root = results_root or Path("results")
    target = Path(out_dir) if out_dir is not None else root / scenario.name / "run"
    if target.exists() and not force:
        # fail before any work is done (atomic_directory checks again at the end)
        with atomic_directory(target, force=False):
            pass
    inputs = build_inputs(scenario, scenario_file=scenario_path)
    _step(
        1,
        total,
        f"validated {scenario_path}: {len(scenario.sites)} sites, weather "
        f"{scenario.weather.source} {list(scenario.weather.years)}, "
        f"{len(scenario.ranges()) + len(scenario.heat_ranges())} capacities to size",
    )

    sizing = None
    verified = None
    if scenario.is_fixed:
        sized = scenario
        _step(2, total, "all capacities fixed: no sizing needed")
    else:
        from nzv_energy.sizing import size_and_verify

        _step(
            2,
            total,
            f"sizing {len(scenario.ranges()) + len(scenario.heat_ranges())} capacities with "
            f"PyPSA + HiGHS "
            f"({mode or scenario.optimisation.mode} mode)",
        )
        verified = size_and_verify(scenario, inputs, mode=mode)
        sizing = verified.result
        sized = sizing.scenario
        log.info(
            "      LP optimum: system net cost %.2f EUR/kg H2, total cost %.1f MEUR/a, status %s",
            sizing.system_net_cost_per_kg_h2_eur_per_kg,
            sizing.total_cost_eur_per_year / 1e6,
            sizing.status.name,
        )
    sized_inputs = dataclasses.replace(inputs, scenario=sized)
    capacities = fixed_capacities(sized)

    _step(
        3,
        total,
        f"re-simulating the system hour by hour over {len(inputs.years)} "
        "weather year(s) with the numba kernels",
    )
    # a sized system was already dispatched by the sizing's hour-by-hour check
    dispatch = verified.dispatch if verified is not None else simulate(sized_inputs, capacities)
    kpis = compute_kpis(dispatch, sized_inputs, capacities)
    if sizing is not None:
        kpis = lp_kpi_columns(kpis, sizing)
    for year, row in kpis.iterrows():
        log.info(
            "      %s: demand met %s, chain LCOH %.2f EUR/kg, RFNBO share %s",
            year,
            format_share(row["demand_met_share"], row["unserved_hydrogen_mwh"]),
            row["lcoh_chain_eur_per_kg"],
            format_share(row["rfnbo_share"]),
        )

    prov = provenance(scenario_text, inputs.input_hashes)
    dispatch.attrs.update(prov)
    dispatch.attrs["scenario_file"] = relative_path(scenario_path, target)
    caps = capacities_frame(capacities)
    breakdown = lcoh_breakdown_frame(kpis)

    _step(4, total, f"writing results to {target}")
    with atomic_directory(target, force=force) as tmp:
        write_netcdf(dispatch, tmp / "dispatch.nc")
        kpis.to_csv(tmp / "kpis.csv")
        caps.to_csv(tmp / "capacities.csv")
        site_kpis(dispatch, sized_inputs, capacities).to_csv(
            tmp / "kpis_by_site.csv", float_format="%.10g"
        )
        breakdown.to_csv(tmp / "lcoh_breakdown.csv")
        (tmp / "scenario_sized.yaml").write_text(
            # relative data paths rewritten to work from the results folder
            scenario_to_yaml(sized, scenario_dir=Path(scenario_path).parent, out_dir=target),
            encoding="utf-8",
        )
        (tmp / "provenance.json").write_text(
            json.dumps(_provenance_document(prov), indent=2),
            encoding="utf-8",
        )
        lp_summary: dict[str, Any] = {}
        lp_costs = None
        if sizing is not None and verified is not None:
            from nzv_energy.sizing.command import write_lp_files

            write_lp_files(
                tmp, sizing, prov,
                capacities_file="capacities_optimised.csv", dispatch_file="dispatch_lp.nc",
            )
            verified.steps_frame().to_csv(tmp / "sizing_steps.csv")
            lp_summary = {
                "design_margin_fraction": verified.margin_fraction,
                "target_share": verified.target_share,
                "target_met": verified.target_met,
                "total_cost_eur_per_year": sizing.total_cost_eur_per_year,
                "system_net_cost_per_kg_h2_eur_per_kg": (
                    sizing.system_net_cost_per_kg_h2_eur_per_kg),
                "account": sizing.account,
                "lp_kpis": sizing.kpis,
                "fixed_assets": scenario.economics.fixed_assets,
                "export_revenue": scenario.optimisation.export_revenue,
                "bounds_at_limit": sizing.bounds_at_limit,
                "hydrogen_price_eur_per_mwh": float(sizing.hydrogen_price_eur_per_mwh.mean()),
                "status": sizing.status.name,
                "mode": sizing.mode,
            }
            counted = sizing.costs[sizing.costs["in_total"]]
            lp_costs = counted.groupby("component", sort=False)["eur_per_year"].sum()
        _step(5, total, "drawing figures and writing the report")
        figures = draw_all(dispatch, kpis, caps, breakdown, tmp / "figures",
                           carbon=carbon_for_figures(sized_inputs, dispatch))
        heat_section: list[str] = []
        if has_heat(dispatch) and getattr(sized, "heat", None):
            # district heat: heat_kpis.csv, heat figures, the report's heat section
            # the same year without the electrolysers' waste heat values it by the heat
            # cost it displaces (docs/district_heat.md); without recovery it is the same run
            recovers = any(block.waste_heat_recovery is not None
                           for block in (sized.heat or {}).values())
            without = (simulate(sized_inputs, capacities, waste_heat=False) if recovers
                       else dispatch)
            heat_section = heat_run_outputs(dispatch, sized, kpis, tmp,
                                            sized_inputs.grid_carbon_g_per_kwh,
                                            without_waste_heat=without)
        content = ReportContent(
            scenario=scenario,
            scenario_file=str(scenario_path),
            scenario_sha256=scenario_sha,
            sized_capacities=caps,
            kpis=kpis,
            lcoh_breakdown=breakdown,
            figures=sorted(figures),
            optimised=sizing is not None,
            lp_summary=lp_summary,
            lp_costs=lp_costs,
            sizing_steps=verified.steps_frame() if verified is not None else None,
            created_utc=prov.get("created_utc", ""),
            package_versions=json.loads(prov["package_versions"]),
            heat_section=heat_section,
        )
        markdown = render_markdown(content)
        (tmp / "report.md").write_text(markdown, encoding="utf-8")
        (tmp / "report.html").write_text(
            markdown_to_html(markdown, tmp, f"{scenario.name} report"), encoding="utf-8"
        )
        write_page(tmp)  # explore.html: the interactive page, from the files written above
    seconds = time.perf_counter() - t0
    log.info("done in %.0f s: %s (report.md, report.html, figures/)", seconds, target)
    return RunOutcome(target, scenario, sized, kpis, dispatch, seconds)
