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
``figures/*.png``
    VPP figures and the project's standard figures of the optimised schedule.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from nzv_energy.cli import default_results
from nzv_energy.errors import ScenarioError
from nzv_energy.results_io import atomic_directory, provenance, write_netcdf
from nzv_energy.scenario_file import load_scenario, scenario_text_and_hash
from nzv_energy.system import build_inputs, fixed_capacities
from nzv_energy.vpp.compare import comparison_table, summarise, summary_markdown
from nzv_energy.vpp.figures import draw_vpp_figures
from nzv_energy.vpp.scheduler import rule_based, schedule

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
    inputs = build_inputs(scenario, base_dir=path.resolve().parent)
    run = schedule(inputs, capacities, days=days)
    reference = rule_based(run.inputs, capacities)
    table = comparison_table(run.dataset, reference, run.inputs, run.portfolio)
    text, _ = scenario_text_and_hash(path)
    stamp = provenance(text, inputs.input_hashes, command=" ".join(sys.argv))
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
    with atomic_directory(target, force=args.force) as tmp:
        write_netcdf(run.dataset, tmp / "dispatch.nc")
        write_netcdf(reference, tmp / "dispatch_rule_based.nc")
        table.to_csv(tmp / "comparison.csv", float_format="%.10g")
        windows.to_csv(tmp / "windows.csv", index=False, float_format="%.10g")
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
