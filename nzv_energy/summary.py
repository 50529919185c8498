"""``validate`` and ``summary`` commands: check a scenario and describe it."""

from __future__ import annotations

import argparse
import logging

import numpy as np

from nzv_energy.scenario import CAPACITY_FIELDS, CapacityRange, Scenario
from nzv_energy.scenario_file import load_scenario
from nzv_energy.validation import pipeline_lengths_km

log = logging.getLogger(__name__)


def _fmt(value: object) -> str:
    if isinstance(value, CapacityRange):
        return f"{value.min:.10g}..{value.max:.10g}"
    if value is None:
        return "auto"
    return f"{float(value):.10g}"  # type: ignore[arg-type]


def capacity_table(scenario: Scenario) -> str:
    """Plain-text table of the capacities per site (ranges shown as ``min..max``).

    Column ``pipeline_km`` is the route length of each site's pipeline to the demand
    location (:func:`~nzv_energy.validation.pipeline_lengths_km`), the length its
    cost is computed for.
    """
    header = ["site", "grid_mw", *CAPACITY_FIELDS, "pipeline_km", "h2_storage_mwh"]
    km = pipeline_lengths_km(scenario)
    rows = [header]
    for name, site in scenario.sites.items():
        rows.append(
            [
                name,
                _fmt(site.grid_connection_mw),
                *(_fmt(getattr(site, f)) for f in CAPACITY_FIELDS),
                f"{km[name]:.1f}",
                _fmt(scenario.hydrogen.storage_mwh.get(name, 0.0)),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def validate_command(args: argparse.Namespace) -> int:
    """Check a scenario file; print one line saying it is valid."""
    scenario = load_scenario(args.scenario)
    # loading the inputs checks weather years, profile CSVs and price files too
    from nzv_energy.system import build_inputs

    build_inputs(scenario, scenario_file=args.scenario)
    n_ranges = len(scenario.ranges()) + len(scenario.heat_ranges())
    heat = "" if not scenario.heat else f", district heat at {len(scenario.heat)} site(s)"
    print(
        f"{args.scenario}: valid scenario '{scenario.name}' with {len(scenario.sites)} site(s), "
        f"weather {scenario.weather.source} {list(scenario.weather.years)}, "
        f"{n_ranges} capacit{'y' if n_ranges == 1 else 'ies'} to size{heat}"
    )
    return 0


def summary_command(args: argparse.Namespace) -> int:
    """Print sites, capacities and the annual full-load hours of each profile."""
    from nzv_energy.system import build_inputs

    scenario = load_scenario(args.scenario)
    inputs = build_inputs(scenario, scenario_file=args.scenario)
    print(f"scenario {scenario.name}: {scenario.description}".strip())
    print(capacity_table(scenario))
    print()
    print("full-load hours of the site profiles (h/a):")
    for year, sl in inputs.year_slices().items():
        for i, name in enumerate(inputs.site_names):
            wind = float(np.sum(inputs.wind_cf[i, sl]))
            pv = float(np.sum(inputs.pv_cf[i, sl]))
            print(f"  {year} {name:>16}: wind {wind:7.0f}  pv {pv:7.0f}")
    d = scenario.hydrogen.demand
    print(
        f"hydrogen demand at {d.site}: mean {d.mean_mw:g} MW_H2 ({d.profile}); price series "
        f"{scenario.economics.electricity_price}, mean "
        f"{float(np.mean(inputs.price_eur_per_mwh)):.2f} EUR/MWh"
    )
    return 0
