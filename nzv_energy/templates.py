"""Starting points for scenarios: the shipped ones (``nzv scenarios``) and a template (``nzv new``).

The template is one site with fixed capacities on the shipped inputs (ENTSO-E
weather 2019, German day-ahead prices of the same year), so a new file
validates, simulates and runs as written; its comments name every section and
how to turn a capacity into a range for the optimiser.
"""

from __future__ import annotations

import argparse
import logging
import re
import textwrap
from pathlib import Path

from nzv_energy.errors import ScenarioError
from nzv_energy.results_io import ResultsExistError
from nzv_energy.scenario_file import load_scenario, shipped_scenarios

log = logging.getLogger(__name__)

#: Allowed scenario names (as ``Scenario.name``).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

#: Widest line printed by ``nzv scenarios``, characters.
MAX_WIDTH = 100

#: The scenario template; ``__NAME__`` is replaced by the scenario's name.
SCENARIO_TEMPLATE = """\
# Scenario __NAME__ (every field, its unit, default and bounds: docs/scenarios.md).
# A capacity is a number (fixed: planned or built) or a range {min: ..., max: ...} that
# 'nzv optimise' / 'nzv run' size at least cost, e.g.  wind_mw: {min: 0, max: 2000}.
# Check the file with 'nzv validate', describe it with 'nzv summary', then
# 'nzv simulate' (fixed capacities only), 'nzv run' or 'nzv vpp'.
name: __NAME__                     # letters, digits, _ . -; names the results folder
description: One site with fixed capacities supplying hydrogen by pipeline.
# extends: lausitz_2030                 # or start from a shipped scenario (by name) or another
#                                        # file (path relative to this one) and override only
#                                        # the keys given here

weather:
  source: entsoe_de                # ENTSO-E capacity factors 2017-2020; dwd_try2010; or a CSV
  years: [2019]                    # one or more weather years, simulated one after another

economics:
  cost_year: 2030                  # row set of inputs/costs.csv (2030, 2040, ...)
  discount_rate: 0.07              # real, per year
  electricity_price: day_ahead_de  # German day-ahead prices of each weather year
  gas_price_eur_per_mwh: 35
  co2_price_eur_per_t: 130

sites:                             # one or more supply sites; the key is the site's name
  boxberg:
    location: {lat: 51.416, lon: 14.562}   # degrees north / east
    grid_connection_mw: 500        # import and export limit, MW
    wind_mw: 300                   # onshore wind, MW
    pv_mw: 200                     # ground-mounted PV, MW_AC
    battery_mw: 50                 # battery inverter, MW
    battery_mwh: 200               # battery energy, MWh
    electrolysis_mw: 100           # electrolysers, MW_el
    gas_backup_mw: 20              # H2-ready gas turbine, MW_el
    local_demand_mw: 5             # flat electric load of the site, MW
  # schwarze_pumpe:                # a second site: the same keys
  #   location: {lat: 51.535, lon: 14.353}
  #   grid_connection_mw: 1500
  #   wind_mw: {min: 0, max: 1500} # a range: sized by the optimiser

hydrogen:
  demand:                          # the off-taker, served by a pipeline from every site
    site: schwarzheide
    location: {lat: 51.476, lon: 13.889}
    mean_mw: 40                    # mean hydrogen demand, MW_H2 (LHV)
    profile: flat                  # or a CSV with a column demand_fraction (mean 1)
  storage_mwh: {boxberg: 1000}     # hydrogen storage per site, MWh_H2 (a number or a range)

optimisation:
  mode: exact                      # exact: every hour; fast: blocks of segment_hours
"""


def scenario_template(name: str) -> str:
    """The commented template of a new scenario called ``name``.

    Raises
    ------
    ScenarioError
        ``name`` is not a valid scenario name.
    """
    if not NAME_PATTERN.match(name):
        raise ScenarioError(
            None, "NAME", name, "a scenario name of letters, digits, _ . - (1 to 100 characters)"
        )
    return SCENARIO_TEMPLATE.replace("__NAME__", name)


def new_command(args: argparse.Namespace) -> int:
    """``nzv new NAME [--out FILE] [--force]``: write a scenario template.

    Parameters
    ----------
    args
        ``name`` (scenario name), ``out`` (file or ``None`` for ``NAME.yaml`` in the
        current folder), ``force`` (replace an existing file).

    Returns
    -------
    int
        0 on success (errors are raised as project errors, exit status 2).
    """
    text = scenario_template(args.name)
    target = Path(args.out) if args.out is not None else Path(f"{args.name}.yaml")
    if target.exists() and not args.force:
        raise ResultsExistError(
            None, "scenario file", str(target),
            "a file that does not exist yet: pass --force to replace it or --out FILE",
        )
    if target.is_dir():
        raise ResultsExistError(None, "scenario file", str(target), "a file, not a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: edit it, then 'nzv validate {target}'")
    return 0


def scenarios_table() -> list[str]:
    """One line per shipped scenario: name, sites, weather years, ranges, description."""
    rows = [("name", "sites", "weather", "sized", "description")]
    for name, path in shipped_scenarios().items():
        scenario = load_scenario(path)
        years = scenario.weather.years
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
        n_ranges = len(scenario.ranges())
        rows.append(
            (
                name,
                str(len(scenario.sites)),
                span,
                str(n_ranges) if n_ranges else "fixed",
                " ".join(scenario.description.split()),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for row in rows:
        head = "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True))
        room = max(MAX_WIDTH - len(head) - 2, 20)
        lines.append(f"{head}  {textwrap.shorten(row[4], room, placeholder=' ...')}".rstrip())
    return lines


def scenarios_command(args: argparse.Namespace) -> int:
    """``nzv scenarios``: print the shipped scenarios (each name works as SCENARIO)."""
    for line in scenarios_table():
        print(line)
    print("\nsized: capacities left to the optimiser ({min, max} ranges); fixed: none.")
    print("Each name works as SCENARIO, e.g. 'nzv summary lausitz_2040'.")
    return 0
