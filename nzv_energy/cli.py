"""Command line: ``python run.py COMMAND ...`` (also installed as ``nzv``).

Every command is a function ``command(args) -> int`` in the module that owns
the capability; this module parses arguments, configures logging and turns
project errors into one message and an exit status (2 bad input, 3 infeasible,
130 interrupted by Ctrl-C / SIGINT, with nothing written).  A scenario is given by
path or by the name of a shipped scenario; each command writes its own results folder,
``results/<name>/<command>/`` under the current folder (:func:`default_results`).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import importlib.metadata
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from nzv_energy.errors import NzvError
from nzv_energy.results_io import set_timestamp

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "lausitz_2030.yaml"
#: Parent of the default results folders, relative to the current directory.
RESULTS_ROOT = Path("results")

log = logging.getLogger("nzv_energy")

# command name -> "module:function"
COMMANDS = {
    "validate": "nzv_energy.summary:validate_command",
    "summary": "nzv_energy.summary:summary_command",
    "scenarios": "nzv_energy.templates:scenarios_command",
    "new": "nzv_energy.templates:new_command",
    "simulate": "nzv_energy.dispatch.command:command",
    "optimise": "nzv_energy.sizing.command:command",
    "run": "nzv_energy.report.command:run_command",
    "compare": "nzv_energy.report.command:compare_command",
    "vpp": "nzv_energy.vpp.command:command",
    "sweep": "nzv_energy.sweep.command:command",
    "export": "nzv_energy.export:command",
}


def default_results(name: str, command: str) -> Path:
    """The default results folder of ``command`` run on scenario (or sweep) ``name``.

    Each command has its own folder, ``results/<name>/<command>``, relative to the
    current directory, so ``simulate``, ``optimise``, ``run`` and ``vpp`` of one
    scenario never collide.
    """
    return RESULTS_ROOT / name / command


def version() -> str:
    """The installed version of nzv-energy (the package's own when not installed)."""
    try:
        return importlib.metadata.version("nzv-energy")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout only
        from nzv_energy import __version__

        return __version__


SCENARIO_HELP = (
    "scenario: a YAML file (e.g. my_case.yaml, scenarios/lausitz_2030.yaml) or the name of a "
    "shipped scenario (e.g. lausitz_2030; 'nzv scenarios' lists them)"
)


def _add_output(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR",
        help=f"results folder, written exactly there (default {default} under the current "
        "folder)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing results folder")
    p.add_argument(
        "--timestamp",
        action="store_true",
        help="record the creation time in the results (default: only from SOURCE_DATE_EPOCH, "
        "so the same inputs give the same bytes)",
    )


#: Options that may stand before the command.
_GLOBAL_FLAGS = ("-q", "--quiet", "-v", "--verbose")
#: Options answered by the top-level parser itself.
_TOP_LEVEL_ONLY = ("-h", "--help", "--version")


def with_default_command(argv: Sequence[str]) -> list[str]:
    """The arguments with ``run`` inserted where no command is named.

    ``python run.py --out DIR`` is ``python run.py run --out DIR``; help
    and version options stay with the top-level parser.
    """
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in _GLOBAL_FLAGS:
            continue
        if arg in _TOP_LEVEL_ONLY or arg in COMMANDS:
            return args
        return [*args[:i], "run", *args[i:]]
    return [*args, "run"]


def mistyped_command(argv: Sequence[str]) -> str | None:
    """A message when the first argument looks like a misspelt command, else ``None``.

    Without a command the arguments go to ``run`` (``nzv lausitz_2030`` runs that
    scenario), so a word is only taken for a misspelt command when it is no
    file, no shipped scenario and close to a command name.
    """
    for arg in argv:
        if arg in _GLOBAL_FLAGS:
            continue
        if arg.startswith("-") or arg in COMMANDS or Path(arg).exists():
            return None
        from nzv_energy.scenario_file import shipped_scenarios

        if arg in shipped_scenarios():
            return None
        close = difflib.get_close_matches(arg, list(COMMANDS), n=1, cutoff=0.6)
        if not close:
            return None
        return (
            f"unknown command {arg!r} — did you mean {close[0]!r}? "
            f"Commands: {', '.join(COMMANDS)} ('nzv --help' describes them)"
        )
    return None


def _command(
    sub: argparse._SubParsersAction,
    name: str,
    summary: str,
    description: str,
    examples: Sequence[tuple[str, str]],
) -> argparse.ArgumentParser:
    """Add one command: a one-line summary, a description and worked examples."""
    width = max(len(cmd) for cmd, _ in examples)
    epilog = "examples:\n" + "\n".join(
        f"  {cmd.ljust(width)}  {what}" if what else f"  {cmd}" for cmd, what in examples
    )
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="nzv",
        description=(
            "nzv-energy: wind, PV, batteries, electrolysers and gas backup at the former\n"
            "Lausitz lignite sites, supplying hydrogen to BASF Schwarzheide. Without a command\n"
            "the default scenario (lausitz_2030) runs end to end ('nzv run').\n\n"
            "SCENARIO is a scenario file (YAML; every field: docs/scenarios.md) or the name of\n"
            "a shipped scenario ('nzv scenarios' lists them, 'nzv new NAME' starts one).\n"
            "Results go to results/<scenario name>/<command>/ under the current folder (e.g.\n"
            "results/lausitz_2030/run/); an existing folder is replaced only with --force.\n"
            "'nzv COMMAND --help' describes a command."
        ),
        epilog=(
            "examples:\n"
            "  nzv                                   run lausitz_2030 end to end\n"
            "  nzv scenarios                         list the shipped scenarios\n"
            "  nzv new my_case                       write my_case.yaml from a template\n"
            "  nzv validate my_case.yaml             check it\n"
            "  nzv simulate lausitz_2030_fixed       hourly dispatch of fixed capacities\n"
            "  nzv -q run lausitz_2030 --mode fast   size, re-simulate, report; warnings only"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nzv-energy {version()}")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors (no solver banner)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug output, including the solver log"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(
        sub, "validate", "check a scenario file and the data it names",
        "Check a scenario file: every field, its bounds and the cross-field rules, then\n"
        "load the weather years, profiles and price series it names. Prints one line\n"
        "when valid; otherwise one error naming the file, the field, the value and what is\n"
        "allowed (exit status 2).",
        [("nzv validate lausitz_2030", "a shipped scenario, by name"),
         ("nzv validate my_case.yaml", "a file")],
    )
    p.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)

    p = _command(
        sub, "summary", "sites, capacities and profile full-load hours",
        "Describe a scenario: capacities per site (ranges as min..max), pipeline lengths,\n"
        "the annual full-load hours of each site's wind and PV profile, the hydrogen\n"
        "demand and the mean electricity price. Writes nothing.",
        [("nzv summary", "the default scenario (lausitz_2030)"),
         ("nzv summary lausitz_2040", "")],
    )
    p.add_argument(
        "scenario", metavar="SCENARIO", nargs="?", default=str(DEFAULT_SCENARIO),
        help=SCENARIO_HELP + "; default lausitz_2030",
    )

    p = _command(
        sub, "scenarios", "list the shipped scenarios",
        "List the scenarios shipped in scenarios/: name, sites, weather years, how many\n"
        "capacities are left to the optimiser, and the description. Each name can stand\n"
        "for SCENARIO in the other commands.",
        [("nzv scenarios", "")],
    )

    p = _command(
        sub, "new", "start a scenario from a commented template",
        "Write NAME.yaml (or --out FILE): a complete, commented scenario of one site with\n"
        "fixed capacities on real inputs, that validates as written. Edit it, then run\n"
        "'nzv validate NAME.yaml'; turn a capacity into {min: ..., max: ...} to let the\n"
        "optimiser size it.",
        [("nzv new my_case", "writes my_case.yaml"),
         ("nzv new my_case --out studies/my_case.yaml", "writes that file"),
         ("nzv simulate my_case.yaml", "then simulate it")],
    )
    p.add_argument("name", metavar="NAME", help="scenario name: letters, digits, _ . -")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="file to write (default NAME.yaml in the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = _command(
        sub, "simulate", "hourly numba dispatch of a fixed-capacity scenario",
        "Simulate every hour of every weather year with the rule-based dispatch; every\n"
        "capacity must be a number (no {min, max} ranges). Writes dispatch.nc, kpis.csv,\n"
        "kpis_by_site.csv and capacities.csv to results/<scenario name>/simulate/.",
        [("nzv simulate lausitz_2030_fixed", "results/lausitz_2030_fixed/simulate/"),
         ("nzv simulate my_case.yaml --out my_results", "writes my_results/")],
    )
    p.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    _add_output(p, "results/<scenario name>/simulate")

    p = _command(
        sub, "optimise", "size the {min, max} ranges with PyPSA and HiGHS",
        "Size every capacity given as {min, max} at least cost with a PyPSA/linopy LP\n"
        "solved by HiGHS, re-simulate the sized system with the rule-based dispatch and\n"
        "raise the design margin until it meets the target share of the hydrogen demand.\n"
        "Writes capacities, costs, KPIs, the sized scenario, dispatch.nc and network.nc to\n"
        "results/<scenario name>/optimise/.",
        [("nzv optimise single_site_sizing", "results/single_site_sizing/optimise/"),
         ("nzv optimise lausitz_2030 --mode fast --time-limit 600", "")],
    )
    p.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    p.add_argument("--mode", choices=["exact", "fast"], default=None,
                   help="override optimisation.mode (fast: blocks of segment_hours)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="HiGHS time limit, s")
    _add_output(p, "results/<scenario name>/optimise")

    p = _command(
        sub, "run", "validate, optimise, re-simulate, write figures and report",
        "The main job: validate the scenario, size its ranges (when it has any), simulate\n"
        "every weather year hour by hour, and write results, figures, report.md,\n"
        "report.html and the interactive explore.html to results/<scenario name>/run/.",
        [("nzv", "the default scenario: results/lausitz_2030/run/"),
         ("nzv run lausitz_2040 --mode fast", "results/lausitz_2040/run/"),
         ("nzv run my_case.yaml --out my_results --force", "")],
    )
    p.add_argument(
        "scenario", metavar="SCENARIO", nargs="?", default=str(DEFAULT_SCENARIO),
        help=SCENARIO_HELP + "; default lausitz_2030",
    )
    p.add_argument("--mode", choices=["exact", "fast"], default=None,
                   help="override optimisation.mode")
    _add_output(p, "results/<scenario name>/run")

    p = _command(
        sub, "compare", "put several results folders side by side",
        "Compare results folders written by run, simulate, vpp and sweep: the scenario\n"
        "keys that differ, then the key figures side by side (wide tables to CSV).",
        [("nzv compare results/lausitz_2030/run results/lausitz_2040/run", ""),
         ("nzv compare results/a/run results/b/run --out my_comparison", "")],
    )
    p.add_argument("results", type=Path, nargs="+", metavar="RESULTS",
                   help="results folders (two or more)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for the comparison (default beside the first folder)")
    p.add_argument("--force", action="store_true", help="replace an existing comparison folder")
    p.add_argument("--timestamp", action="store_true", help="record the creation time")

    p = _command(
        sub, "vpp", "rolling-horizon Pyomo scheduling against market prices",
        "Schedule a fixed-capacity scenario window by window with Pyomo and HiGHS against\n"
        "the day-ahead prices, dispatch the same hours with the rule-based kernel, and\n"
        "compare profit, hydrogen and CO2. Writes to results/<scenario name>/vpp/.",
        [("nzv vpp lausitz_2030_fixed --days 7", "one week: results/lausitz_2030_fixed/vpp/"),
         ("nzv vpp my_case.yaml --out my_vpp --force", "")],
    )
    p.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    p.add_argument("--days", type=int, default=None, metavar="N",
                   help="schedule only the first N days (default vpp.days, else all)")
    _add_output(p, "results/<scenario name>/vpp")

    p = _command(
        sub, "sweep", "scenario sweep or Monte Carlo on Dask",
        "Run a sweep file (docs/sweeps.md): a base scenario and the fields that vary, as\n"
        "a grid or random samples, every member on a Dask cluster. Writes kpis.nc,\n"
        "members.csv and figures to results/<sweep name>/sweep/; an interrupted sweep\n"
        "resumes with the same command.",
        [("nzv sweep sweeps/electrolyser_vs_storage.yaml", ""),
         ("nzv sweep my_sweep.yaml --workers 2 --out my_sweep_results", ""),
         ("nzv sweep my_sweep.yaml --scheduler tcp://10.0.0.5:8786", "on a running cluster")],
    )
    p.add_argument("sweep", type=Path, metavar="SWEEP", help="sweep file (YAML)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes")
    p.add_argument("--optimise", action="store_true", help="PyPSA sizing per member (slow)")
    _add_output(p, "results/<sweep name>/sweep")

    p = _command(
        sub, "export", "hourly results and KPIs of a results folder as xlsx, CSV or Parquet",
        "Write the hourly results (one table per site and one system-wide) and the KPIs\n"
        "of a results folder with units in the headers.",
        [("nzv export results/lausitz_2030/run --to xlsx", "results/lausitz_2030/run/export/"),
         ("nzv export results/lausitz_2030/run --to csv --out tables", "")],
    )
    p.add_argument("results", type=Path, metavar="RESULTS",
                   help="results folder (holds dispatch.nc)")
    p.add_argument("--to", required=True, metavar="FORMAT", help="xlsx, csv or parquet")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default RESULTS/export)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    mistyped = mistyped_command(arguments)
    if mistyped is not None:
        print(f"error: {mistyped}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(with_default_command(arguments))
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in (
        "pypsa",
        "linopy",
        "numba",
        "distributed",
        "pyomo",
        "h5py",
        "matplotlib",
        "numexpr",
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    set_timestamp(bool(getattr(args, "timestamp", False)))
    module_name, func_name = COMMANDS[args.command].split(":")
    try:
        if getattr(args, "scenario", None) is not None:
            from nzv_energy.scenario_file import resolve_scenario

            args.scenario = resolve_scenario(args.scenario)
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args))
    except NzvError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        # solver calls run in worker threads and are cancelled (nzv_energy.solver_interrupt);
        # a results folder is only renamed into place when complete (results_io)
        print("interrupted; no results were written", file=sys.stderr)
        if argv is None and args.command not in _OWNS_CHILD_PROCESSES:
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


#: Exit status after Ctrl-C / SIGINT (128 + signal number 2, the shell convention).
EXIT_INTERRUPTED = 130
#: Commands that start worker processes (a local Dask cluster): they shut down normally.
_OWNS_CHILD_PROCESSES = ("sweep",)


def _exit_now(status: int) -> None:
    """End the program at once, after flushing the log and the standard streams.

    Tearing down the interpreter after PyPSA, numba and Pyomo were imported takes
    about a second; after Ctrl-C there is nothing left to finish (no solver thread
    runs, no results folder is open), so the program exits without it.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
