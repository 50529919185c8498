"""Optimised schedule vs rule-based dispatch: one table, the same formulas for both.

:func:`summarise` and :func:`summary_markdown` put the profit beside what it
may have been bought with (hydrogen delivered, CO2, RFNBO share, natural gas)
for both schedules, and name every trade-off.

Energy, KPI and LCOH figures come from :func:`nzv_energy.dispatch.compute_kpis`
(the project's single definition); the operating profit is the VPP objective
(without the end-of-window storage values) evaluated on each schedule, so the
two columns differ only by how the hours were dispatched.  It includes the
capacity revenue of reserves held (zero for the rules, which offer none).

Emissions count natural gas burnt and grid imports at the hour's grid carbon
intensity (:func:`nzv_energy.dispatch.kpis.carbon_totals`, the project's one
attribution rule); the hydrogen's carbon intensity is its share of them per kg
(LHV), beside the EU limit of 28.2 g CO2e/MJ (``docs/carbon_intensity.md``).

With district heat (a ``heat:`` block and the heat variables in both datasets) the
table gains :data:`HEAT_METRICS` from :func:`nzv_energy.heat.kpis.site_heat_kpis`
(summed over sites and weather years): heat served and unserved, CHP power, fuel and
starts, natural gas and CO2 of heat, the variable cost and the levelised cost of heat.
The operating profit then also pays the heat's natural gas, its CO2, the heat
sources' variable O&M, the CHPs' starts and the unserved-heat penalty (the heat's
electricity is already in the market revenue: it is bought or not sold).  A hydrogen
CHP's fuel is valued at 0 here: the hydrogen it burns is missing from the hydrogen
delivered or stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.dispatch import compute_kpis
from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG
from nzv_energy.grid_carbon import EU_THRESHOLD_G_PER_MJ, g_per_mj_from_kg_per_kg
from nzv_energy.heat.kpis import has_heat, site_heat_economics, site_heat_kpis
from nzv_energy.kernels import heat as hk
from nzv_energy.report.formatting import (
    format_cell,
    format_energy,
    format_meur,
    label,
    share_percent,
    summary_line,
    tradeoffs,
)
from nzv_energy.system import SystemInputs
from nzv_energy.vpp.dataset import (
    FALLBACK_VARIABLE,
    RESERVE_VARIABLE,
    reserve_revenue_eur,
)
from nzv_energy.vpp.model import Portfolio

#: Output above which a gas unit counts as running, MW.
GAS_ON_MW = 1e-6

#: Rows of the comparison table, with their units.
METRICS: dict[str, str] = {
    "operating_profit_eur": "EUR",
    "market_revenue_eur": "EUR",
    "reserve_revenue_eur": "EUR",
    "grid_export_revenue_eur": "EUR",
    "grid_import_cost_eur": "EUR",
    "natural_gas_cost_eur": "EUR",
    "co2_cost_eur": "EUR",
    "variable_om_eur": "EUR",
    "start_cost_eur": "EUR",
    "battery_cycle_cost_eur": "EUR",
    "unserved_hydrogen_penalty_eur": "EUR",
    "unserved_electricity_penalty_eur": "EUR",
    "hydrogen_delivered_mwh": "MWh_H2",
    "unserved_hydrogen_mwh": "MWh_H2",
    "unserved_electricity_mwh": "MWh",
    "demand_met_share": "1",
    "rfnbo_share": "1",
    "electrolysis_starts": "1",
    "gas_backup_starts": "1",
    "battery_equivalent_cycles": "1",
    "co2_emissions_t": "t",
    "grid_import_co2_t": "t",
    "total_co2_emissions_t": "t",
    "hydrogen_co2_t": "t",
    "hydrogen_carbon_intensity_kg_per_kg": "kg CO2e/kg H2",
    "hydrogen_carbon_intensity_g_per_mj": "g CO2e/MJ",
    "hydrogen_eu_threshold_met": "1",
    "reserve_fcr_mean_mw": "MW",
    "reserve_afrr_pos_mean_mw": "MW",
    "reserve_afrr_neg_mean_mw": "MW",
    "grid_export_mwh": "MWh",
    "grid_import_mwh": "MWh",
    "gas_backup_mwh": "MWh",
    "gas_backup_natural_gas_mwh": "MWh_th",
    "curtailment_mwh": "MWh",
    "battery_storage_change_mwh": "MWh",
    "hydrogen_storage_change_mwh": "MWh_H2",
    "system_net_cost_per_kg_h2_eur_per_kg": "EUR/kg",
    "fallback_hours": "h",
}

#: Rows added with district heat, with their units.
HEAT_METRICS: dict[str, str] = {
    "heat_demand_mwh": "MWh_th",
    "heat_served_mwh": "MWh_th",
    "unserved_heat_mwh": "MWh_th",
    "heat_demand_met_share": "1",
    "heat_from_waste_heat_mwh": "MWh_th",
    "heat_from_chp_mwh": "MWh_th",
    "heat_from_heat_pump_mwh": "MWh_th",
    "heat_from_electric_boiler_mwh": "MWh_th",
    "heat_from_peak_boiler_mwh": "MWh_th",
    "heat_electricity_mwh": "MWh",
    "chp_electric_mwh": "MWh",
    "chp_fuel_mwh": "MWh_th",
    "chp_starts": "1",
    "heat_natural_gas_mwh": "MWh_th",
    "heat_co2_t": "t",
    "heat_variable_cost_eur": "EUR",
    "levelised_cost_of_heat_eur_per_mwh_th": "EUR/MWh_th",
    "chp_start_cost_eur": "EUR",
    "unserved_heat_penalty_eur": "EUR",
}

_SUMMED_KPIS = (
    "grid_export_revenue_eur",
    "grid_import_cost_eur",
    "hydrogen_delivered_mwh",
    "hydrogen_demand_mwh",
    "unserved_hydrogen_mwh",
    "unserved_electricity_mwh",
    "electrolysis_starts",
    "battery_discharge_mwh",
    "co2_emissions_t",
    "grid_export_mwh",
    "grid_import_mwh",
    "gas_backup_mwh",
    "gas_backup_natural_gas_mwh",
    "curtailment_mwh",
    "hydrogen_output_mwh",
    "rfnbo_hydrogen_mwh",
    "system_cost_eur",
    "hydrogen_delivered_t",
)

#: Carbon KPIs summed over weather years without skipping NaN (an hour with imports
#: but no grid intensity makes the total unknown, not smaller).
_CARBON_SUMS = ("grid_import_co2_t", "total_co2_emissions_t", "hydrogen_co2_t")


def gas_starts(ds: xr.Dataset) -> int:
    """Off-to-on transitions of the gas units (each weather year starts off)."""
    on = ds["gas_backup_mw"].transpose("time", "site").values > GAS_ON_MW
    years = pd.DatetimeIndex(ds["time"].values).year
    total = 0
    for year in np.unique(years):
        part = on[years == year]
        prev = np.vstack([np.zeros((1, part.shape[1]), bool), part[:-1]])
        total += int((part & ~prev).sum())
    return total


def _storage_change(ds: xr.Dataset, variable: str, state_key: str) -> float:
    """Sum over weather years of (level at the end - level at the start)."""
    raw = ds.attrs.get("dispatch_start_state")
    starts = json.loads(raw) if raw else {}
    level = ds[variable].transpose("time", "site").values
    years = pd.DatetimeIndex(ds["time"].values).year
    sites = [str(s) for s in ds["site"].values]
    change = 0.0
    for year in np.unique(years):
        idx = np.flatnonzero(years == year)
        start = starts.get(str(year), {})
        first = np.array([start.get(s, {}).get(state_key, np.nan) for s in sites])
        change += float(np.nansum(level[idx[-1]] - first))
    return change


def renewable_vom_eur(ds: xr.Dataset, portfolio: Portfolio) -> float:
    """Variable O&M of the renewable generation used (curtailment taken from wind first)."""
    wind = ds["wind_mw"].values
    pv = ds["pv_mw"].values
    curt = ds["curtailment_mw"].values
    wind_curt = np.minimum(curt, wind)
    pv_curt = curt - wind_curt
    return float(
        portfolio.wind_vom_eur_per_mwh * (wind - wind_curt).sum()
        + portfolio.pv_vom_eur_per_mwh * (pv - pv_curt).sum()
    )


def schedule_metrics(ds: xr.Dataset, inputs: SystemInputs, portfolio: Portfolio) -> pd.Series:
    """The :data:`METRICS` of one hourly results dataset.

    Parameters
    ----------
    ds
        Hourly results (schema variables; ``vpp_fallback`` optional).
    inputs
        Inputs the dataset was computed from (scenario, pipeline lengths).
    portfolio
        Assets and VPP cost constants (start costs, penalty) applied to the schedule.
    """
    kpis = compute_kpis(ds, inputs)
    tot = kpis[list(_SUMMED_KPIS)].sum()
    carbon = kpis[list(_CARBON_SUMS)].sum(skipna=False)
    h2_kg = tot["hydrogen_output_mwh"] * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
    kg_per_kg = carbon["hydrogen_co2_t"] * 1000.0 / h2_kg if h2_kg > 0 else np.nan
    g_per_mj = float(g_per_mj_from_kg_per_kg(kg_per_kg))
    reserves = reserve_revenue_eur(ds)
    p = portfolio
    rating = pd.Series(p.electrolysis_mw, index=list(p.sites))
    on = ds["electrolysis_on"].transpose("time", "site").values > 0.5
    raw = ds.attrs.get("dispatch_start_state")
    starts_attr = json.loads(raw) if raw else {}
    years = pd.DatetimeIndex(ds["time"].values).year
    el_start_mw = 0.0
    for year in np.unique(years):
        part = on[years == year]
        prior = np.array(
            [
                starts_attr.get(str(year), {}).get(s, {}).get("electrolysis_on", 0.0) > 0.5
                for s in p.sites
            ]
        )
        prev = np.vstack([prior[None, :], part[:-1]])
        el_start_mw += float(((part & ~prev) * rating.values[None, :]).sum())
    gas_on = ds["gas_backup_mw"].transpose("time", "site").values > GAS_ON_MW
    gas_start_mw = 0.0
    for year in np.unique(years):
        part = gas_on[years == year]
        prev = np.vstack([np.zeros((1, part.shape[1]), bool), part[:-1]])
        gas_start_mw += float(((part & ~prev) * p.gas_backup_mw[None, :]).sum())
    start_cost = (
        p.electrolysis_start_cost_eur_per_mw * el_start_mw
        + p.gas_start_cost_eur_per_mw * gas_start_mw
    )
    natural_gas_cost = tot["gas_backup_natural_gas_mwh"] * p.gas_price_eur_per_mwh
    co2_cost = tot["co2_emissions_t"] * p.co2_price_eur_per_t
    vom = (
        renewable_vom_eur(ds, p)
        + p.gas_vom_eur_per_mwh * tot["gas_backup_mwh"]
        + p.electrolysis_vom_eur_per_mwh_h2 * tot["hydrogen_output_mwh"]
    )
    penalty_price = p.unserved_hydrogen_penalty_eur_per_mwh
    penalty = (
        float("nan") if penalty_price is None else penalty_price * tot["unserved_hydrogen_mwh"]
    )
    lost_load = p.unserved_electricity_penalty_eur_per_mwh * tot["unserved_electricity_mwh"]
    wear = p.battery_cycle_cost_eur_per_mwh * tot["battery_discharge_mwh"]
    market = tot["grid_export_revenue_eur"] - tot["grid_import_cost_eur"]
    profit = market + reserves - natural_gas_cost - co2_cost - vom - start_cost - wear - (
        lost_load
    ) - (0.0 if penalty_price is None else penalty)
    heat = heat_metrics(ds, inputs, portfolio)
    if heat:
        profit -= (heat["heat_natural_gas_cost_eur"] + heat["heat_co2_cost_eur"]
                   + heat["heat_variable_om_eur"] + heat["chp_start_cost_eur"]
                   + heat["unserved_heat_penalty_eur"])
    fallback = int(ds[FALLBACK_VARIABLE].sum()) if FALLBACK_VARIABLE in ds else 0
    demand = tot["hydrogen_demand_mwh"]
    out = {
        "operating_profit_eur": profit,
        "market_revenue_eur": market,
        "reserve_revenue_eur": reserves,
        "grid_export_revenue_eur": tot["grid_export_revenue_eur"],
        "grid_import_cost_eur": tot["grid_import_cost_eur"],
        "natural_gas_cost_eur": natural_gas_cost,
        "co2_cost_eur": co2_cost,
        "variable_om_eur": vom,
        "start_cost_eur": start_cost,
        "battery_cycle_cost_eur": wear,
        "unserved_hydrogen_penalty_eur": penalty,
        "unserved_electricity_penalty_eur": lost_load,
        "hydrogen_delivered_mwh": tot["hydrogen_delivered_mwh"],
        "unserved_hydrogen_mwh": tot["unserved_hydrogen_mwh"],
        "unserved_electricity_mwh": tot["unserved_electricity_mwh"],
        "demand_met_share": tot["hydrogen_delivered_mwh"] / demand if demand > 0 else np.nan,
        "rfnbo_share": (
            tot["rfnbo_hydrogen_mwh"] / tot["hydrogen_output_mwh"]
            if tot["hydrogen_output_mwh"] > 0
            else np.nan
        ),
        "electrolysis_starts": tot["electrolysis_starts"],
        "gas_backup_starts": float(gas_starts(ds)),
        "battery_equivalent_cycles": (
            tot["battery_discharge_mwh"] / p.battery_mwh.sum() if p.battery_mwh.sum() > 0
            else np.nan
        ),
        "co2_emissions_t": tot["co2_emissions_t"],
        "grid_import_co2_t": carbon["grid_import_co2_t"],
        "total_co2_emissions_t": carbon["total_co2_emissions_t"],
        "hydrogen_co2_t": carbon["hydrogen_co2_t"],
        "hydrogen_carbon_intensity_kg_per_kg": kg_per_kg,
        "hydrogen_carbon_intensity_g_per_mj": g_per_mj,
        "hydrogen_eu_threshold_met": (
            float(g_per_mj <= EU_THRESHOLD_G_PER_MJ) if np.isfinite(g_per_mj) else np.nan
        ),
        **_mean_reserves(ds),
        "grid_export_mwh": tot["grid_export_mwh"],
        "grid_import_mwh": tot["grid_import_mwh"],
        "gas_backup_mwh": tot["gas_backup_mwh"],
        "gas_backup_natural_gas_mwh": tot["gas_backup_natural_gas_mwh"],
        "curtailment_mwh": tot["curtailment_mwh"],
        "battery_storage_change_mwh": _storage_change(ds, "battery_soc_mwh", "battery_soc_mwh"),
        "hydrogen_storage_change_mwh": _storage_change(
            ds, "hydrogen_storage_mwh", "hydrogen_storage_mwh"
        ),
        "system_net_cost_per_kg_h2_eur_per_kg": (
            tot["system_cost_eur"] / (tot["hydrogen_delivered_t"] * 1000.0)
            if tot["hydrogen_delivered_t"] > 0
            else np.nan
        ),
        "fallback_hours": float(fallback),
        **heat,
    }
    keys = [*METRICS, *(HEAT_METRICS if heat else ())]
    return pd.Series({k: float(out[k]) for k in keys}, name=ds.attrs.get("model", ""))


def heat_metrics(ds: xr.Dataset, inputs: SystemInputs, portfolio: Portfolio) -> dict[str, float]:
    """The :data:`HEAT_METRICS` of a dataset with heat, and the heat's cost parts (EUR).

    Empty without a ``heat:`` block or without the heat variables.  Energy, CO2 and
    costs come from :func:`nzv_energy.heat.kpis.site_heat_kpis` (summed over sites and
    weather years; the levelised cost is the total over the heat served); CHP starts
    are off-to-on transitions of its fuel use (every weather year starts off).
    """
    scenario = inputs.scenario
    blocks = scenario.heat
    if not blocks or portfolio.heat is None or not has_heat(ds):
        return {}
    eco = scenario.economics
    economics = {
        site: site_heat_economics(
            block, cost_year=eco.cost_year, discount_rate=eco.discount_rate,
            gas_price_eur_per_mwh=eco.gas_price_eur_per_mwh,
            co2_price_eur_per_t=eco.co2_price_eur_per_t,
            natural_gas_co2_t_per_mwh=scenario.technology.gas_backup.natural_gas_co2_t_per_mwh,
        )
        for site, block in blocks.items()
    }
    kpis = site_heat_kpis(ds, economics, grid_g_per_kwh=inputs.grid_carbon_g_per_kwh)
    tot = kpis.sum(min_count=1)
    on = ds["chp_fuel_mw"].transpose("time", "site").values > GAS_ON_MW
    years = pd.DatetimeIndex(ds["time"].values).year
    starts_mw = 0.0
    rating = portfolio.heat.cap[:, hk.HC_CHP_MW_EL]
    n_starts = 0
    for year in np.unique(years):
        part = on[years == year]
        prev = np.vstack([np.zeros((1, part.shape[1]), bool), part[:-1]])
        started = part & ~prev
        n_starts += int(started.sum())
        starts_mw += float((started * rating[None, :]).sum())
    penalty = sum(
        float(kpis.xs(site, level="site")["unserved_heat_mwh"].sum())
        * economics[site].unserved_heat_penalty_eur_per_mwh
        for site in economics
    )
    variable = sum(float(tot[f"heat_{c}_eur"]) for c in (
        "variable_om", "fuel", "electricity", "co2", "chp_electricity_credit"))
    served = float(tot["heat_served_mwh"])
    total = float(tot["heat_total_cost_eur"])
    out = {k: float(tot[k]) for k in HEAT_METRICS if k in tot.index}
    out.update({
        "heat_demand_met_share": served / float(tot["heat_demand_mwh"])
        if float(tot["heat_demand_mwh"]) > 0 else np.nan,
        "chp_starts": float(n_starts),
        "heat_variable_cost_eur": variable,
        "levelised_cost_of_heat_eur_per_mwh_th": total / served if served > 0 else np.nan,
        "chp_start_cost_eur": portfolio.heat.chp_start_cost_eur_per_mw * starts_mw,
        "unserved_heat_penalty_eur": penalty,
        "heat_natural_gas_cost_eur": float(tot["heat_natural_gas_mwh"])
        * eco.gas_price_eur_per_mwh,
        "heat_co2_cost_eur": float(tot["heat_co2_eur"]),
        "heat_variable_om_eur": float(tot["heat_variable_om_eur"]),
    })
    return out


def _mean_reserves(ds: xr.Dataset) -> dict[str, float]:
    """Mean capacity held per product over the hours, MW (all sites and units); 0 without."""
    out = {f"reserve_{k}_mean_mw": 0.0 for k in ("fcr", "afrr_pos", "afrr_neg")}
    if RESERVE_VARIABLE in ds:
        held = ds[RESERVE_VARIABLE].sum(("site", "reserve_unit")).mean("time")
        for k in held["reserve_product"].values:
            out[f"reserve_{k}_mean_mw"] = float(held.sel(reserve_product=k))
    return out


def comparison_table(
    optimised: xr.Dataset,
    rule_based: xr.Dataset,
    inputs: SystemInputs,
    portfolio: Portfolio,
) -> pd.DataFrame:
    """Side-by-side metrics: ``optimised``, ``rule_based``, their ``difference`` and ``unit``.

    Index ``metric`` (:data:`METRICS`); difference = optimised - rule_based.
    """
    a = schedule_metrics(optimised, inputs, portfolio)
    b = schedule_metrics(rule_based, inputs, portfolio)
    table = pd.DataFrame({"optimised": a, "rule_based": b})
    table["difference"] = table["optimised"] - table["rule_based"]
    table["unit"] = pd.Series({**METRICS, **HEAT_METRICS})
    table.index.name = "metric"
    return table


#: Labels of the metrics the project's formatting does not name.
LABELS: dict[str, str] = {
    "reserve_revenue_eur": "reserve capacity revenue, MEUR",
    "grid_import_co2_t": "CO2e of grid imports, t",
    "total_co2_emissions_t": "CO2e of natural gas and grid imports, t",
    "hydrogen_co2_t": "CO2e attributed to hydrogen, t",
    "hydrogen_carbon_intensity_kg_per_kg": "hydrogen carbon intensity, kg CO2e/kg",
    "hydrogen_carbon_intensity_g_per_mj": (
        f"hydrogen carbon intensity, g CO2e/MJ (EU limit {EU_THRESHOLD_G_PER_MJ:.1f})"
    ),
    "hydrogen_eu_threshold_met": "hydrogen within the EU limit (1 = yes)",
    "reserve_fcr_mean_mw": "FCR held, mean MW",
    "reserve_afrr_pos_mean_mw": "aFRR+ held, mean MW",
    "reserve_afrr_neg_mean_mw": "aFRR- held, mean MW",
}

#: What every summary shows for both schedules, in this order.
SUMMARY_METRICS = (
    "operating_profit_eur",
    "demand_met_share",
    "co2_emissions_t",
    "rfnbo_share",
    "gas_backup_natural_gas_mwh",
)

#: Names of the two schedules in summaries.
NAMES = {"optimised": "the optimised schedule", "rule_based": "the rule-based dispatch"}


@dataclass(frozen=True)
class Summary:
    """The comparison in sentences: one line per schedule, the difference, the trade-offs.

    Attributes
    ----------
    optimised, rule_based
        ``operating profit ...; hydrogen demand met ...; CO2 ...; RFNBO ...;
        natural gas ...`` of each schedule.
    difference
        Profit difference, followed by every trade-off, or a statement that
        there is none.
    tradeoffs
        What the optimised schedule gives up against the rule-based dispatch
        (less hydrogen, more CO2, lower RFNBO share, hydrogen or electricity
        taken from storage); empty when it gives up nothing.
    """

    optimised: str
    rule_based: str
    difference: str
    tradeoffs: tuple[str, ...]

    def lines(self) -> list[str]:
        """The summary as three lines of text."""
        return [
            f"optimised schedule: {self.optimised}",
            f"rule-based dispatch: {self.rule_based}",
            f"optimised - rule-based: {self.difference}",
        ]


def summarise(table: pd.DataFrame) -> Summary:
    """Profit beside hydrogen delivered, CO2, RFNBO share and gas, for both schedules.

    Parameters
    ----------
    table
        :func:`comparison_table` (or ``comparison.csv`` read back with index ``metric``).
    """
    opt, ref = table["optimised"], table["rule_based"]
    notes = tradeoffs(opt, ref, NAMES["optimised"], NAMES["rule_based"])
    for stored, unit, what in (
        ("hydrogen_storage_change_mwh", "MWh_H2", "hydrogen in storage"),
        ("battery_storage_change_mwh", "MWh", "electricity in its batteries"),
    ):
        if stored in table.index and ref[stored] - opt[stored] > 1e-6:
            notes.append(
                f"{NAMES['optimised']} ends with {format_energy(ref[stored] - opt[stored], unit)} "
                f"less {what} than {NAMES['rule_based']}"
            )
    profit = format_meur(opt["operating_profit_eur"] - ref["operating_profit_eur"], signed=True)
    if notes:
        difference = f"operating profit {profit}, but " + "; ".join(notes)
    else:
        difference = (
            f"operating profit {profit}, with no less hydrogen, no more CO2 and no lower "
            "RFNBO share"
        )
    return Summary(
        optimised=summary_line(opt, SUMMARY_METRICS, like=ref),
        rule_based=summary_line(ref, SUMMARY_METRICS, like=opt),
        difference=difference,
        tradeoffs=tuple(notes),
    )


def _difference_cell(metric: str, a: float, b: float) -> str:
    """Optimised minus rule-based as shown; shares in percentage points of the shown values."""
    if metric.endswith("_share"):
        points = share_percent(a) - share_percent(b)
        return "–" if not np.isfinite(points) else f"{points:+.2f} points"
    text = format_cell(metric, a - b)
    return text if text.startswith(("-", "–")) or a - b == 0 else "+" + text


def summary_markdown(table: pd.DataFrame, title: str, notes: list[str] | None = None) -> str:
    """``summary.md`` of a VPP run: the summary lines and every metric, formatted.

    Parameters
    ----------
    table
        :func:`comparison_table`.
    title
        Heading of the file.
    notes
        Extra paragraphs (days, windows, fallback) placed after the heading.
    """
    summary = summarise(table)
    lines = [f"# {title}", "", *(notes or [])]
    lines += [f"- {line}" for line in summary.lines()] + [""]
    if summary.tradeoffs:
        lines += [
            "**What the profit was traded for:** " + "; ".join(summary.tradeoffs) + ".",
            "",
        ]
    order = [
        "operating_profit_eur",
        "demand_met_share",
        "unserved_hydrogen_mwh",
        "hydrogen_delivered_mwh",
        "co2_emissions_t",
        "grid_import_co2_t",
        "hydrogen_carbon_intensity_g_per_mj",
        "rfnbo_share",
        "gas_backup_natural_gas_mwh",
        "reserve_revenue_eur",
    ]
    metrics = [*order, *(m for m in table.index if m not in order)]
    lines += ["| metric | optimised | rule-based | optimised - rule-based |", "|---|---|---|---|"]
    for metric in metrics:
        if metric not in table.index:
            continue
        a, b = float(table.at[metric, "optimised"]), float(table.at[metric, "rule_based"])
        lines.append(
            f"| {LABELS.get(metric, label(metric))} | {format_cell(metric, a)} | "
            f"{format_cell(metric, b)} | "
            f"{_difference_cell(metric, a, b)} |"
        )
    lines += [
        "",
        "Money in MEUR, shares in % (never rounded up to 100.00 % while something is "
        "unserved); full precision in `comparison.csv`.",
        "",
    ]
    return "\n".join(lines)
