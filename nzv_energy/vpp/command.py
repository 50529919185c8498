"""``python run.py vpp SCENARIO [--days N] [--out DIR] [--force]``.

Schedules a fixed-capacity scenario window by window with Pyomo and HiGHS,
dispatches the same inputs with the rule-based kernel, and writes (atomically)
to ``results/<scenario name>/vpp/`` under the current folder (or ``--out``):

``dispatch.nc``
    Hourly results of the optimised schedule (schema variables plus
    ``vpp_fallback``), with provenance attributes.
``dispatch_rule_based.nc``
    The rule-based dispatch of the same hours, for the comparison.
``comparison.csv``
    Optimised vs rule-based: profit and its parts, hydrogen, starts, cycles,
    emissions (see :mod:`nzv_energy.vpp.compare`).
``summary.md``
    Operating profit beside hydrogen delivered (share of demand, unserved
    MWh), CO2, RFNBO share and natural gas of both schedules, what the
    optimised schedule traded for its profit, and every metric formatted
    (see :func:`nzv_energy.vpp.compare.summary_markdown`).
``windows.csv``
    One row per window: dates, status, solve time, objective, fallback.
``reserves.csv``
    With ``vpp.reserves``: capacity held by block, site, unit and product, its
    price and revenue (``docs/vpp_reserves.md``).  The year is then scheduled a
    second time without reserves, and the comparison gains the hydrogen delivered
    and operating profit of that energy-only schedule: the effect of the reserves.
``figures/*.png``
    VPP figures and the project's standard figures of the optimised schedule.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from nzv_energy.cli import default_results
from nzv_energy.errors import ScenarioError
from nzv_energy.profiles import file_sha256
from nzv_energy.results_io import atomic_directory, provenance, write_netcdf
from nzv_energy.scenario_file import load_scenario, scenario_text_and_hash
from nzv_energy.system import SiteCapacities, SystemInputs, build_inputs, fixed_capacities
from nzv_energy.vpp.compare import comparison_table, schedule_metrics, summarise, summary_markdown
from nzv_energy.vpp.dataset import reserve_table
from nzv_energy.vpp.figures import draw_vpp_figures
from nzv_energy.vpp.progress import WindowProgress
from nzv_energy.vpp.rolling import RollingOptions
from nzv_energy.vpp.scheduler import VppRun, first_days, rule_based, schedule, window_count

log = logging.getLogger(__name__)


def command(args: argparse.Namespace) -> int:
    """Run the VPP scheduling of a scenario and write its results folder.

    Parameters
    ----------
    args
        ``scenario`` (path), ``days`` (int or None = ``vpp.days`` or all),
        ``out`` (folder or None = ``results/<scenario name>/vpp``), ``force``.

    Returns
    -------
    int
        0 on success (errors are raised as project errors).
    """
    path = Path(args.scenario)
    scenario = load_scenario(path)
    capacities = fixed_capacities(scenario, path)
    days = getattr(args, "days", None)
    if days is not None and days < 1:
        raise ScenarioError(None, "--days", days, "a whole number of days >= 1")
    target = Path(args.out) if args.out is not None else default_results(scenario.name, "vpp")
    if target.exists() and not args.force:
        # fail before the (slower) scheduling; atomic_directory raises the same error
        with atomic_directory(target, force=False):
            pass
    base_dir = path.resolve().parent
    inputs = build_inputs(scenario, base_dir=base_dir)
    options = RollingOptions.from_scenario(scenario)
    run = _scheduled(inputs, capacities, days, options, base_dir, "")
    reference = rule_based(run.inputs, capacities)
    table = comparison_table(run.dataset, reference, run.inputs, run.portfolio)
    hashes = dict(inputs.input_hashes)
    reserve_notes: list[str] = []
    if run.reserve_prices is not None:
        hashes[run.reserve_prices.file.name] = file_sha256(run.reserve_prices.file)
        energy_only = _scheduled(inputs, capacities, days, replace(options, reserves=None),
                                 base_dir, " without reserves")
        table = with_energy_only(table, schedule_metrics(
            energy_only.dataset, energy_only.inputs, energy_only.portfolio))
        reserve_notes = reserve_summary(table, run.reserve_prices.file.name)
    text, _ = scenario_text_and_hash(path)
    stamp = provenance(text, hashes, command=" ".join(sys.argv))
    run.dataset.attrs.update(stamp)
    reference.attrs.update(stamp)
    n_days = len(run.inputs.time) / 24
    windows = run.windows
    failed = windows[windows["fallback"]]
    summary_notes = [
        f"{n_days:.0f} days of `{path.name}` in {len(windows)} windows, {len(failed)} "
        "fallback window(s); both schedules see the same prices, weather and capacities.",
        "",
    ]
    stops = json.loads(run.dataset.attrs.get("early_stops", "[]"))
    summary_notes += (
        [f"Windows stopped before the MIP gap was reached: {len(stops)} "
         "(each listed in `windows.csv` with its stop reason and gap).", ""]
        if stops else ["Every window was solved to its MIP gap.", ""]
    )
    summary_notes += reserve_notes
    with atomic_directory(target, force=args.force) as tmp:
        write_netcdf(run.dataset, tmp / "dispatch.nc")
        write_netcdf(reference, tmp / "dispatch_rule_based.nc")
        table.to_csv(tmp / "comparison.csv", float_format="%.10g")
        windows.to_csv(tmp / "windows.csv", index=False, float_format="%.10g")
        if run.reserve_prices is not None:
            reserve_table(run.dataset).to_csv(tmp / "reserves.csv", index=False,
                                              float_format="%.10g")
        (tmp / "summary.md").write_text(
            summary_markdown(
                table, f"{scenario.name}: optimised schedule vs rule-based dispatch",
                summary_notes,
            ),
            encoding="utf-8",
        )
        draw_vpp_figures(run.dataset, reference, table, windows, tmp / "figures")
    log.info(
        "scheduled %.0f days in %d windows: %.1f s (%.2f s per day), %d fallback window(s)",
        n_days, len(windows), run.wall_seconds, run.wall_seconds / max(n_days, 1e-9),
        len(failed),
    )
    for _, row in failed.iterrows():
        log.warning("fallback: window %d %s .. %s (%s)", row["window"], row["start"],
                    row["commit_end"], row["status"])
    summary = summarise(table)
    *schedules, difference = summary.lines()
    for line in schedules:
        log.info("%s", line)
    # a profit bought with less hydrogen or more CO2 is said even with --quiet
    log.log(logging.WARNING if summary.tradeoffs else logging.INFO, "%s", difference)
    log.info("results written to %s", target)
    return 0


#: Rows the energy-only schedule adds to the comparison (reserves on), with their units.
ENERGY_ONLY_METRICS: dict[str, str] = {
    "hydrogen_delivered_mwh": "MWh_H2",
    "operating_profit_eur": "EUR",
    "unserved_hydrogen_mwh": "MWh_H2",
}


def _scheduled(
    inputs: SystemInputs, capacities: dict[str, SiteCapacities], days: int | None,
    options: RollingOptions, base_dir: Path, what: str,
) -> VppRun:
    """Schedule with a progress bar (terminal) or progress log lines."""
    limit = days if days is not None else inputs.scenario.vpp.days
    total = window_count(first_days(inputs, limit), options.commit_h)
    log.info("scheduling%s: %d windows", what, total)
    progress = WindowProgress(total)
    try:
        return schedule(inputs, capacities, days=days, options=options, base_dir=base_dir,
                        progress=progress)
    finally:
        progress.close()


def with_energy_only(table: pd.DataFrame, energy_only: pd.Series) -> pd.DataFrame:
    """The comparison with the energy-only schedule's rows and the reserves' effect.

    Adds ``<quantity>_without_reserves_<unit>`` (the optimised schedule without
    reserves, in the ``optimised`` column) and ``reserve_effect_on_<metric>`` (with
    minus without reserves) for each of :data:`ENERGY_ONLY_METRICS`, e.g.
    ``hydrogen_delivered_without_reserves_mwh`` and
    ``reserve_effect_on_hydrogen_delivered_mwh``; the rule-based column is NaN.
    """
    rows = {}
    for metric, unit in ENERGY_ONLY_METRICS.items():
        base = float(energy_only[metric])
        stem, suffix = metric.rsplit("_", 1)
        rows[f"{stem}_without_reserves_{suffix}"] = (base, unit)
        rows[f"reserve_effect_on_{metric}"] = (
            float(table.at[metric, "optimised"]) - base, unit
        )
    extra = pd.DataFrame(
        {
            "optimised": [v for v, _ in rows.values()],
            "rule_based": [float("nan")] * len(rows),
            "difference": [float("nan")] * len(rows),
            "unit": [u for _, u in rows.values()],
        },
        index=pd.Index(list(rows), name="metric"),
    )
    return pd.concat([table, extra])


def reserve_summary(table: pd.DataFrame, price_file: str) -> list[str]:
    """Paragraph of ``summary.md`` on the reserves: revenue and the effect on hydrogen."""
    opt = table["optimised"]
    revenue = opt["reserve_revenue_eur"] / 1e6
    dh = opt["reserve_effect_on_hydrogen_delivered_mwh"]
    dp = opt["reserve_effect_on_operating_profit_eur"] / 1e6
    return [
        f"Reserves (capacity prices from `{price_file}`): capacity revenue {revenue:,.2f} MEUR; "
        f"against the same schedule without reserves, operating profit {dp:+,.2f} MEUR and "
        f"hydrogen delivered {dh:+,.1f} MWh_H2 (mean held: FCR "
        f"{opt['reserve_fcr_mean_mw']:,.1f} MW, aFRR+ {opt['reserve_afrr_pos_mean_mw']:,.1f} MW, "
        f"aFRR- {opt['reserve_afrr_neg_mean_mw']:,.1f} MW).",
        "",
    ]

