"""``run.py simulate SCENARIO [--out DIR] [--force]``: hourly dispatch of fixed capacities.

Writes ``results/<scenario name>/simulate/`` (under the current folder; or ``--out``)
atomically:

* ``dispatch.nc`` - the hourly results dataset (schema variables, provenance attrs; with a
  ``heat:`` block also the district heat variables per site, docs/dispatch.md rule 9);
* ``kpis.csv`` - one row per weather year, KPI columns with units in their names;
* ``kpis_by_site.csv`` - energy KPIs per weather year and site;
* ``capacities.csv`` - the capacities simulated, one row per site;
* with ``security.firm_mw > 0`` or ``security.report_firm_capacity``:
  ``firm_capacity.csv`` (firm capacity per weather year, dispatch rules and LP bound, and
  the hours and energy short of the commitment under both), ``firm_capacity_curve.csv``
  (capacity-credit curve, LP bound with the rules' shortfall beside it)
  and ``summary.md`` (docs/security_of_supply.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from nzv_energy.cli import default_results
from nzv_energy.dispatch.heat import heat_input_hashes
from nzv_energy.dispatch.kpis import compute_kpis, site_kpis
from nzv_energy.dispatch.simulate import simulate
from nzv_energy.results_io import atomic_directory, provenance, write_netcdf
from nzv_energy.scenario_file import load_scenario, scenario_text_and_hash
from nzv_energy.security import (
    capacity_credit_curve,
    firm_capacity_bound,
    firm_table,
    rules_firm_capacity,
    rules_shortfall,
)
from nzv_energy.security import summary_lines as firm_summary_lines
from nzv_energy.security.rules import curve_with_rules
from nzv_energy.system import build_inputs, fixed_capacities

log = logging.getLogger(__name__)


def _summary(kpis: pd.DataFrame) -> list[str]:
    lines = []
    for year, row in kpis.iterrows():
        lines.append(
            f"{year}: hydrogen delivered {row['hydrogen_delivered_mwh']:,.0f} MWh "
            f"({row['demand_met_share']:.1%} of demand), system net cost "
            f"{row['system_net_cost_per_kg_h2_eur_per_kg']:.2f} EUR/kg H2, "
            f"electrolysis {row['electrolysis_full_load_hours_h']:,.0f} full-load h / "
            f"{row['electrolysis_starts']:.0f} starts, curtailment {row['curtailment_share']:.1%}, "
            f"RFNBO share {row['rfnbo_share']:.1%}, CO2 {row['co2_emissions_t']:,.0f} t"
        )
    return lines


def command(args: argparse.Namespace) -> int:
    """Simulate a fixed-capacity scenario and write its results folder.

    Parameters
    ----------
    args
        ``scenario`` (path), ``out`` (folder or ``None`` for
        ``results/<scenario name>/simulate``), ``force`` (replace an existing folder).

    Returns
    -------
    int
        0 on success (errors are raised as project errors, exit status 2).
    """
    path = Path(args.scenario)
    scenario = load_scenario(path)
    capacities = fixed_capacities(scenario, path)
    target = Path(args.out) if args.out is not None else default_results(scenario.name, "simulate")
    if target.exists() and not args.force:
        # fail before the (slower) simulation; atomic_directory raises the same error
        with atomic_directory(target, force=False):
            pass
    started = time.perf_counter()
    inputs = build_inputs(scenario, base_dir=path.resolve().parent)
    loaded = time.perf_counter()
    ds = simulate(inputs, capacities)
    kpis = compute_kpis(ds, inputs, capacities)
    log.info(
        "inputs loaded in %.2f s; dispatch of %d sites x %d hours and KPIs in %.2f s",
        loaded - started, len(inputs.site_names), len(inputs.time),
        time.perf_counter() - loaded,
    )
    security = scenario.security
    firm = curve = rules_firm = rules_short = None
    if security.firm_mw > 0 or security.report_firm_capacity:
        firm = firm_capacity_bound(inputs, security.firm_mw if security.firm_mw > 0 else None)
        # the rules' view beside the LP bound (docs/security_of_supply.md)
        rules_firm = rules_firm_capacity(inputs, capacities)
        if security.firm_mw > 0:
            rules_short = rules_shortfall(inputs, security.firm_mw, capacities)
        curve = curve_with_rules(capacity_credit_curve(inputs, firm), inputs, capacities)
    text, _ = scenario_text_and_hash(path)
    hashes = {**inputs.input_hashes, **heat_input_hashes(scenario)}
    ds.attrs.update(provenance(text, hashes, command=" ".join(sys.argv)))
    caps = pd.DataFrame(
        {name: vars(c) for name, c in capacities.items()}
    ).T.rename_axis("site")
    with atomic_directory(target, force=args.force) as tmp:
        write_netcdf(ds, tmp / "dispatch.nc")
        kpis.to_csv(tmp / "kpis.csv", float_format="%.10g")
        site_kpis(ds, inputs, capacities).to_csv(tmp / "kpis_by_site.csv", float_format="%.10g")
        caps.to_csv(tmp / "capacities.csv", float_format="%.10g")
        lines = _summary(kpis)
        if firm is not None and curve is not None:
            firm_table(firm, rules_firm, rules_short).to_csv(
                tmp / "firm_capacity.csv", float_format="%.10g")
            curve.to_csv(tmp / "firm_capacity_curve.csv", float_format="%.10g")
            lines += firm_summary_lines(firm, security.hours_short_max, rules_firm, rules_short)
            (tmp / "summary.md").write_text(
                f"# {scenario.name}: simulate\n\n" + "".join(f"- {x}\n" for x in lines),
                encoding="utf-8")
    for line in lines:
        log.info(line)
    log.info("results written to %s", target)
    return 0
