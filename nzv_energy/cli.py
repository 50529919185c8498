"""Command line: ``python run.py COMMAND ...`` (also installed as ``nzv``).

Every command is a function ``command(args) -> int`` in the module that owns
the capability; this module parses arguments, configures logging and turns
project errors into one message and an exit status (2 bad input, 3 infeasible,
130 interrupted by Ctrl-C / SIGINT, with nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from nzv_energy.errors import NzvError
from nzv_energy.results_io import set_timestamp

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "lausitz_2030.yaml"
DEFAULT_RESULTS = Path(__file__).resolve().parent.parent / "results"

log = logging.getLogger("nzv_energy")

# command name -> "module:function"
COMMANDS = {
    "validate": "nzv_energy.summary:validate_command",
    "summary": "nzv_energy.summary:summary_command",
    "simulate": "nzv_energy.dispatch.command:command",
    "optimise": "nzv_energy.sizing.command:command",
    "run": "nzv_energy.report.command:run_command",
    "compare": "nzv_energy.report.command:compare_command",
    "vpp": "nzv_energy.vpp.command:command",
    "sweep": "nzv_energy.sweep.command:command",
    "export": "nzv_energy.export:command",
}


def _add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", type=Path, default=None, help="results folder (default results/<scenario name>)"
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


def with_default_command(argv: Sequence[str]) -> list[str]:
    """The arguments with ``run`` inserted where no command is named.

    ``python run.py --out DIR`` is ``python run.py run --out DIR``; help
    options stay with the top-level parser.
    """
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in _GLOBAL_FLAGS:
            continue
        if arg in ("-h", "--help") or arg in COMMANDS:
            return args
        return [*args[:i], "run", *args[i:]]
    return [*args, "run"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="nzv",
        description=(
            "nzv-energy: wind, PV, batteries, electrolysers and gas backup at the former "
            "Lausitz lignite sites, supplying hydrogen to BASF Schwarzheide. Without a command "
            "the default scenario runs end to end."
        ),
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("validate", help="check a scenario file")
    p.add_argument("scenario", type=Path)

    p = sub.add_parser("summary", help="sites, capacities and profile full-load hours")
    p.add_argument("scenario", type=Path, nargs="?", default=DEFAULT_SCENARIO)

    p = sub.add_parser("simulate", help="hourly numba dispatch of a fixed-capacity scenario")
    p.add_argument("scenario", type=Path)
    _add_output(p)

    p = sub.add_parser("optimise", help="size the ranges with PyPSA and HiGHS")
    p.add_argument("scenario", type=Path)
    p.add_argument("--mode", choices=["exact", "fast"], default=None, help="override the mode")
    p.add_argument("--time-limit", type=float, default=None, help="HiGHS time limit, s")
    _add_output(p)

    p = sub.add_parser("run", help="validate, optimise, re-simulate, write figures and report")
    p.add_argument("scenario", type=Path, nargs="?", default=DEFAULT_SCENARIO)
    p.add_argument("--mode", choices=["exact", "fast"], default=None, help="override the mode")
    _add_output(p)

    p = sub.add_parser("compare", help="put several results folders side by side")
    p.add_argument("results", type=Path, nargs="+")
    p.add_argument("--out", type=Path, default=None, help="folder for the comparison")
    p.add_argument("--force", action="store_true", help="replace an existing comparison folder")
    p.add_argument("--timestamp", action="store_true", help="record the creation time")

    p = sub.add_parser("vpp", help="rolling-horizon Pyomo scheduling against market prices")
    p.add_argument("scenario", type=Path)
    p.add_argument("--days", type=int, default=None, help="schedule only the first N days")
    _add_output(p)

    p = sub.add_parser("sweep", help="scenario sweep or Monte Carlo on Dask")
    p.add_argument("sweep", type=Path)
    p.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    p.add_argument("--workers", type=int, default=None, help="local worker processes")
    p.add_argument("--optimise", action="store_true", help="PyPSA sizing per member (slow)")
    _add_output(p)

    p = sub.add_parser(
        "export",
        help="hourly results and KPIs of a results folder as xlsx, CSV or Parquet",
        description="Write the hourly results (one table per site and one system-wide) and "
        "the KPIs of a results folder with units in the headers, e.g. "
        "'nzv export results/lausitz_2030 --to xlsx'.",
    )
    p.add_argument("results", type=Path, help="results folder (holds dispatch.nc)")
    p.add_argument("--to", required=True, metavar="FORMAT", help="xlsx, csv or parquet")
    p.add_argument("--out", type=Path, default=None, help="output folder (default RESULTS/export)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(with_default_command(sys.argv[1:] if argv is None else argv))
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
