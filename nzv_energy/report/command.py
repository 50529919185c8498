"""``run`` and ``compare`` commands."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from nzv_energy.report.compare import compare_results, comparison_text, default_out

log = logging.getLogger(__name__)


def run_command(args: argparse.Namespace) -> int:
    """``run.py run [SCENARIO]``: the main job end to end.

    Writes ``results/<scenario name>/run/`` under the current folder, or ``--out``.
    """
    from nzv_energy.cli import default_results
    from nzv_energy.report.pipeline import run_scenario
    from nzv_energy.scenario_file import declared_name

    out = args.out
    if out is None:
        # an invalid name stops in run_scenario's validation, before anything is written
        name = declared_name(args.scenario)
        out = default_results(name, "run") if name is not None else None
    outcome = run_scenario(args.scenario, out_dir=out, force=args.force, mode=args.mode)
    print(f"results written to {outcome.out_dir} (open report.md or report.html)")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """``run.py compare DIR DIR ...``: input differences, then results side by side.

    Folders written by ``run``, ``simulate``, ``vpp`` and ``sweep`` are accepted.
    """
    out = Path(args.out) if args.out else default_out(args.results)
    comparison = compare_results(args.results, out, force=args.force)
    print(comparison_text(comparison, out))
    print(f"comparison written to {out}")
    return 0
