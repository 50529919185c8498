"""``run`` and ``compare`` commands."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from nzv_energy.report.compare import KPI_COLUMNS, compare_results
from nzv_energy.report.formatting import runs_text

log = logging.getLogger(__name__)


def run_command(args: argparse.Namespace) -> int:
    """``run.py run [SCENARIO]``: the main job end to end."""
    from nzv_energy.report.pipeline import run_scenario

    outcome = run_scenario(args.scenario, out_dir=args.out, force=args.force, mode=args.mode)
    print(f"results written to {outcome.out_dir} (open report.md or report.html)")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """``run.py compare DIR DIR ...``: several results side by side."""
    out = args.out or Path(args.results[0]).parent / (
        "compare_" + "_vs_".join(Path(p).name for p in args.results)
    )
    table = compare_results(args.results, out, force=args.force)
    print(runs_text(table, KPI_COLUMNS))
    print(f"comparison written to {out}")
    return 0
