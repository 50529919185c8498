"""``python run.py optimise SCENARIO``: size the ranges, re-simulate, write results.

Writes, atomically, into ``results/<scenario name>/optimise/`` under the current folder
(or ``--out``):

``capacities.csv``      site, technology, value, unit, min, max, sized
``costs.csv``           mean annual cost by site, component and kind (EUR/a)
``kpis.csv``            metric, value (objective, total cost, LCOH, marginal price...)
``scenario_sized.yaml`` the scenario with every range replaced by its optimum
``dispatch.nc``         LP hourly dispatch (results schema) with provenance attributes
``network.nc``          the solved PyPSA network (``pypsa.Network("network.nc")``)
``resimulation.csv``    share of demand the rule-based dispatch meets with the sized
                        capacities, per weather year, plus P90 and mean
``sizing_steps.csv``    every sizing tried: design margin on the demand, worst and P90
                        re-simulated share, cost (see :mod:`nzv_energy.sizing.verify`)
``hydrogen_price.csv``  hourly marginal price of hydrogen at the demand site (dual of
                        its balance), EUR/MWh_H2
``cost_account.csv``    the cost account (item, EUR/a counted and left out); the counted
                        column adds up to the LP objective
``bounds_at_limit.csv`` sized capacities held by a bound, with the bound's dual (only
                        when there are any)
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from nzv_energy.cli import default_results
from nzv_energy.results_io import (
    ResultsExistError,
    atomic_directory,
    provenance,
    write_netcdf,
    write_network_netcdf,
)
from nzv_energy.scenario_file import load_scenario, scenario_text_and_hash, scenario_to_yaml
from nzv_energy.sizing.optimise import SizingResult
from nzv_energy.sizing.verify import size_and_verify
from nzv_energy.system import build_inputs

logger = logging.getLogger(__name__)


def kpi_table(result: SizingResult, resim: pd.DataFrame | None) -> pd.DataFrame:
    """The KPIs as a two-column table (metric, value); re-simulation figures appended."""
    rows = dict(result.kpis)
    rows["status"] = result.status.value  # type: ignore[assignment]
    rows["mode"] = result.mode  # type: ignore[assignment]
    rows["engine"] = result.engine  # type: ignore[assignment]
    if resim is not None:
        rows["resimulation_demand_met_share_mean"] = float(resim.loc["mean", "demand_met_share"])
        rows["resimulation_demand_met_share_p90"] = float(resim.loc["P90", "demand_met_share"])
        for col in ("lcoh_chain_eur_per_kg", "system_net_cost_per_kg_h2_eur_per_kg"):
            rows[f"resimulation_{col}_mean"] = float(resim.loc["mean", col])
    return pd.DataFrame({"metric": list(rows), "value": list(rows.values())})


def write_lp_files(
    folder: Path,
    result: SizingResult,
    attrs: dict[str, str],
    capacities_file: str = "capacities.csv",
    dispatch_file: str = "dispatch.nc",
) -> None:
    """The optimiser's own files: capacities, costs, hydrogen price, LP dispatch, network.

    The run pipeline writes them under other names for the capacities and the
    dispatch (its ``capacities.csv`` and ``dispatch.nc`` are the re-simulation's).
    """
    result.capacities.to_csv(folder / capacities_file, index=False)
    result.costs.to_csv(folder / "costs.csv", index=False)
    result.account.to_csv(folder / "cost_account.csv")
    if len(result.bounds_at_limit):
        result.bounds_at_limit.to_csv(folder / "bounds_at_limit.csv", index=False)
    price = result.hydrogen_price_eur_per_mwh.rename("hydrogen_price_eur_per_mwh")
    price.index.name = "time"
    price.to_csv(folder / "hydrogen_price.csv")
    ds = result.dataset.copy()
    ds.attrs.update(attrs)
    ds.attrs["capacities_json"] = json.dumps(
        {f"{r.site}.{r.technology}": r.value for r in result.capacities.itertuples()}
    )
    # the LP served the demand times (1 + margin) (nzv_energy.sizing.verify)
    ds.attrs["design_margin_fraction"] = f"{result.kpis.get('design_margin_fraction', 0.0):g}"
    write_netcdf(ds, folder / dispatch_file)
    network = result.network
    network.meta.update(cost_account_meta(result))
    network.meta.update(provenance_meta(result, attrs))
    # PyPSA's own export orders the variables differently in every process
    write_network_netcdf(network, folder / "network.nc")


def provenance_meta(result: SizingResult, attrs: dict[str, str]) -> dict[str, object]:
    """Scenario, its hash and the design margin of a sizing, for ``network.meta``.

    The loads of the network already carry the design margin (the LP served the
    demand times ``1 + design_margin_fraction``).
    """
    return {
        "scenario": result.input_scenario.name,
        "scenario_sha256": attrs.get("scenario_sha256"),
        "design_margin_fraction": float(result.kpis.get("design_margin_fraction", 0.0)),
        "design_margin_in_loads": True,
    }


def cost_account_meta(result: SizingResult) -> dict[str, object]:
    """The cost treatment and account of a sizing, for ``network.meta``."""
    sc = result.input_scenario
    return {
        "fixed_assets": sc.economics.fixed_assets,
        "export_revenue": sc.optimisation.export_revenue,
        "objective_eur_per_year": result.objective_eur_per_year,
        "cost_account_eur_per_year": {
            str(k): float(v) for k, v in result.account["eur_per_year"].items()
        },
    }


def write_results(
    folder: Path,
    result: SizingResult,
    resim: pd.DataFrame | None,
    attrs: dict[str, str],
    scenario_dir: Path | None = None,
    out_dir: Path | None = None,
) -> None:
    """Write every result file of the optimiser into ``folder``.

    ``scenario_dir`` (the scenario file's folder) and ``out_dir`` (where ``folder``
    ends up) rewrite relative data paths of ``scenario_sized.yaml`` to work from there.
    """
    write_lp_files(folder, result, attrs)
    kpi_table(result, resim).to_csv(folder / "kpis.csv", index=False)
    header = (
        f"# Sized by 'nzv optimise' ({result.mode} mode, {result.status.value}); every range of\n"
        f"# scenario {result.input_scenario.name!r} replaced by its optimal value.\n"
    )
    (folder / "scenario_sized.yaml").write_text(
        header + scenario_to_yaml(result.scenario, scenario_dir=scenario_dir, out_dir=out_dir),
        encoding="utf-8",
    )
    if resim is not None:
        resim.to_csv(folder / "resimulation.csv")


def command(args: argparse.Namespace) -> int:
    """Run ``optimise`` from parsed command-line arguments; returns the exit status."""
    path = Path(args.scenario)
    scenario = load_scenario(path)
    out = Path(args.out) if args.out is not None else default_results(scenario.name, "optimise")
    if out.exists() and not args.force:
        raise ResultsExistError(
            None, "results folder", str(out),
            "a folder that does not exist yet: pass --force to replace it or --out DIR",
        )
    text, _ = scenario_text_and_hash(path)
    inputs = build_inputs(scenario, path.parent)
    mode = args.mode or scenario.optimisation.mode
    logger.info("optimising %s (%s mode, %d weather year(s), %d sites)", scenario.name, mode,
                len(inputs.years), len(inputs.site_names))
    verified = size_and_verify(scenario, inputs, mode=mode, time_limit_s=args.time_limit)
    result, resim = verified.result, verified.resimulation
    logger.info("annual cost %.0f EUR/a (= LP objective; fixed assets %s), chain LCOH %.2f "
                "EUR/kg, system net cost %.2f EUR/kg H2 (%s, %.1f s; demand + %.1f %% design "
                "margin)", result.total_cost_eur_per_year,
                scenario.economics.fixed_assets, result.kpis["lcoh_chain_eur_per_kg"],
                result.system_net_cost_per_kg_h2_eur_per_kg, result.status.value,
                result.timings_s["total"], 100 * verified.margin_fraction)
    for year, row in resim.drop(index=["P90", "mean"]).iterrows():
        logger.info("re-simulation %s: the rule-based dispatch meets %.2f %% of the hydrogen "
                    "demand with these capacities (LP: 100 %%)", year,
                    100 * row["demand_met_share"])
    logger.info("re-simulation over %d weather year(s): P90 %.2f %%, mean %.2f %%",
                len(resim) - 2, 100 * resim.loc["P90", "demand_met_share"],
                100 * resim.loc["mean", "demand_met_share"])
    attrs = provenance(text, inputs.input_hashes)
    attrs["sizing_mode"] = mode
    attrs["sizing_status"] = result.status.value
    with atomic_directory(out, force=args.force) as tmp:
        write_results(tmp, result, resim, attrs, scenario_dir=path.parent, out_dir=out)
        verified.steps_frame().to_csv(tmp / "sizing_steps.csv")
    logger.info("results written to %s", out)
    return 0
