"""Stage after the solve: check the sized system hour by hour, re-size with a margin if short.

The LP sizes with perfect foresight and a linear electrolyser; the numba
dispatch kernels operate the same capacities by rules, without foresight,
with minimum load, part-load efficiency, standby and degradation.  A sizing
is accepted when the rule-based re-simulation meets at least
``optimisation.resimulation_target_share`` of the hydrogen demand in *every*
weather year.  Otherwise the LP is solved again for a higher design demand,
``demand x (1 + margin)``, and checked again, up to
``optimisation.max_margin_iterations`` times.  Each step raises the margin by
twice the worst year's shortfall below the target, at least 0.5 percentage
points (a uniform margin has to cover a shortfall that is concentrated in a
few winter days).

The re-simulation always uses the scenario's own demand; the sized scenario
keeps it too.  The LP figures of the result (cost, LCOH, hydrogen price) are
those of the design demand.

With ``optimisation.max_hydrogen_carbon_intensity_kg_per_kg`` the accepted
sizing must also meet the limit in the re-simulation of every weather year
(the hydrogen's intensity as ``kpis.csv`` reports it).  The LP chooses its
import hours with foresight and counts their emissions; the rules buy grid
power by price (and, when set, by ``operation.import_carbon_threshold_g_per_kwh``),
so they can import in dirtier hours.  A year above the limit ends the run with
:class:`~nzv_energy.errors.ModelInfeasibleError` (exit status 3), naming the
years, the intensity reached, the months and hours whose imports drive it, the
intensity of the hours the LP bought in, and the operation settings to change
(:func:`check_carbon_limit`).

With ``security.firm_mw`` the accepted sizing must also hold the firm commitment
when the rules operate it: a weather year whose re-simulation misses it in more
than ``security.hours_short_max`` hours ends the run with
:class:`~nzv_energy.errors.ModelInfeasibleError` (exit status 3), naming the
year, the hours and energy short, the worst hours and what would help
(:func:`check_firm_commitment`).  The LP holds the commitment every hour with
perfect foresight; the rules (rule 8 of ``docs/dispatch.md``) only top the
export up from the battery and the gas backup after the hydrogen rules of the hour.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import ModelInfeasibleError
from nzv_energy.grid_carbon import g_per_mj_from_kg_per_kg
from nzv_energy.hydrogen_carbon import HourlyCarbon, hourly_hydrogen_co2_t
from nzv_energy.scenario import Scenario
from nzv_energy.sizing.optimise import SizingResult, optimise, with_error_estimate
from nzv_energy.sizing.resimulate import resimulate
from nzv_energy.system import SystemInputs
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

logger = logging.getLogger(__name__)

#: Smallest raise of the design margin per re-sizing (fraction of demand).
MIN_MARGIN_STEP = 0.005
#: Margin raise per unit of the worst year's shortfall below the target.
SHORTFALL_GAIN = 2.0
#: Relative tolerance of the re-simulation's carbon check (the LP meets its row only
#: to the solver's accuracy).
CARBON_TOL = 1e-6
#: Months and hours named per year in the message of a failed carbon check.
CARBON_NAMED = 3
#: Worst hours named per year in the message of a failed firm-commitment check.
FIRM_NAMED = 3


@dataclass(frozen=True)
class MarginStep:
    """One sizing and its re-simulation.

    Attributes
    ----------
    margin_fraction
        Design margin on the hydrogen demand the LP sized for.
    worst_demand_met_share
        Lowest share of demand met over the weather years (re-simulation).
    p90_demand_met_share
        Share of demand met in at least 90 % of the weather years.
    total_cost_eur_per_year
        The LP's mean annual system cost.
    seconds
        Wall time of the sizing and its re-simulation (logged; not in
        :meth:`VerifiedSizing.steps_frame`, so result files hold no wall-clock values).
    """

    margin_fraction: float
    worst_demand_met_share: float
    p90_demand_met_share: float
    total_cost_eur_per_year: float
    seconds: float


@dataclass(frozen=True)
class VerifiedSizing:
    """The accepted (or last) sizing with its hour-by-hour check.

    Attributes
    ----------
    result
        The LP sizing (its ``scenario`` is the sized scenario, with the
        scenario's own demand).
    resimulation
        Re-simulation per weather year plus ``P90`` and ``mean`` rows
        (:func:`nzv_energy.sizing.resimulate.resimulate`).
    dispatch
        Hourly dataset of the re-simulation.
    target_share
        The target (``None``: no check was asked for).
    steps
        Every sizing tried, in order.
    """

    result: SizingResult
    resimulation: pd.DataFrame
    dispatch: xr.Dataset
    target_share: float | None
    steps: tuple[MarginStep, ...]

    @property
    def margin_fraction(self) -> float:
        """Design margin of the accepted sizing."""
        return self.steps[-1].margin_fraction

    @property
    def worst_share(self) -> float:
        """Lowest share of demand met over the weather years."""
        return self.steps[-1].worst_demand_met_share

    @property
    def target_met(self) -> bool:
        """True when every weather year meets the target (or no target was set)."""
        return self.target_share is None or self.worst_share >= self.target_share

    def steps_frame(self) -> pd.DataFrame:
        """The steps as a table (one row per sizing), without the wall-clock ``seconds``."""
        rows = [dataclasses.asdict(s) for s in self.steps]
        return pd.DataFrame(rows).drop(columns="seconds").rename_axis("step")


def next_margin(margin: float, worst_share: float, target: float) -> float:
    """Design margin of the next sizing after a re-simulation short of ``target``."""
    return margin + max(SHORTFALL_GAIN * (target - worst_share), MIN_MARGIN_STEP)


def design_inputs(inputs: SystemInputs, margin: float) -> SystemInputs:
    """The inputs with the hydrogen demand raised by the design margin."""
    if margin == 0.0:
        return inputs
    return dataclasses.replace(inputs, hydrogen_demand_mw=inputs.hydrogen_demand_mw * (1 + margin))


def size_and_verify(
    scenario: Scenario, inputs: SystemInputs, **optimise_kwargs: Any
) -> VerifiedSizing:
    """Size the scenario, re-simulate every weather year, re-size with a margin while short.

    Parameters
    ----------
    scenario
        The validated scenario; ``optimisation.demand_margin_fraction``,
        ``resimulation_target_share`` and ``max_margin_iterations`` steer the loop.
    inputs
        Hourly inputs of the scenario (all weather years).
    **optimise_kwargs
        Passed to :func:`nzv_energy.sizing.optimise` (``mode``, ``time_limit_s``...), except
        ``error_estimate``: fast mode's estimate is computed for the sizing returned only
        (:func:`~nzv_energy.sizing.optimise.with_error_estimate`), not for the sizings
        the design margin replaced.

    Returns
    -------
    VerifiedSizing
        The first sizing that meets the target, or the last one tried (a
        warning is logged then).
    """
    opt = scenario.optimisation
    target = opt.resimulation_target_share
    margin = opt.demand_margin_fraction
    # fast mode's error estimate (an hourly LP) only for the sizing that is kept
    estimate = optimise_kwargs.pop("error_estimate", None) or opt.fast_mode_error_estimate
    steps: list[MarginStep] = []
    accepted: tuple[SizingResult, pd.DataFrame, xr.Dataset] | None = None
    while True:
        t0 = time.perf_counter()
        try:
            result = optimise(scenario, design_inputs(inputs, margin), error_estimate="none",
                              **optimise_kwargs)
        except ModelInfeasibleError as exc:
            if accepted is None:
                raise
            logger.warning(
                "the ranges cannot serve the demand + %.1f %% design margin (%s); keeping the "
                "sizing for + %.1f %%", 100 * margin, exc, 100 * steps[-1].margin_fraction,
            )
            break
        table, dispatch = resimulate(result.scenario, inputs)
        accepted = (result, table, dispatch)
        years = table.drop(index=["P90", "mean"])["demand_met_share"]
        worst = float(years.min())
        steps.append(
            MarginStep(
                margin_fraction=margin,
                worst_demand_met_share=worst,
                p90_demand_met_share=float(table.loc["P90", "demand_met_share"]),
                total_cost_eur_per_year=result.total_cost_eur_per_year,
                seconds=time.perf_counter() - t0,
            )
        )
        logger.info(
            "sizing for demand + %.1f %%: the rule-based re-simulation meets %.3f %% in the "
            "worst weather year (target %s); %.1f s",
            100 * margin,
            100 * worst,
            "none" if target is None else f"{100 * target:.1f} %",
            steps[-1].seconds,
        )
        if target is None or worst >= target:
            break
        if len(steps) > opt.max_margin_iterations:
            logger.warning(
                "after %d sizing(s) the rule-based dispatch meets only %.3f %% of the hydrogen "
                "demand in the worst weather year (target %.1f %%); raise "
                "optimisation.max_margin_iterations or demand_margin_fraction",
                len(steps),
                100 * worst,
                100 * target,
            )
            break
        margin = next_margin(margin, worst, target)
    result, table, dispatch = accepted
    result = with_error_estimate(result, estimate)
    check_carbon_limit(result, inputs, table, dispatch)
    check_firm_commitment(result, table, dispatch)
    kpis = {
        **result.kpis,
        **firm_kpis(result, table),
        "design_margin_fraction": steps[-1].margin_fraction,
        "sizings": float(len(steps)),
    }
    return VerifiedSizing(
        result=dataclasses.replace(result, kpis=kpis),
        resimulation=table,
        dispatch=dispatch,
        target_share=target,
        steps=tuple(steps),
    )


def _fmt_g(value: float) -> str:
    return f"{value:,.0f}"


def _year_text(
    year: int,
    row: pd.Series,
    limit_kg_per_kg: float,
    hourly: pd.DataFrame,
    ci: np.ndarray,
    import_mw: np.ndarray,
) -> str:
    """One failing weather year in words: intensity, emissions, the months and hours behind."""
    g_per_mj = float(row["hydrogen_carbon_intensity_g_per_mj"])
    limit_g = float(g_per_mj_from_kg_per_kg(limit_kg_per_kg))
    h2_t = float(hourly["hydrogen_co2_t"].sum())
    imp_t = float(hourly["grid_import_co2_t"].sum())
    on = import_mw > 0.0
    text = (
        f"weather year {year}: the re-simulated hydrogen carries {g_per_mj:.1f} g CO2e/MJ "
        f"({float(row['hydrogen_carbon_intensity_kg_per_kg']):.2f} kg CO2e/kg), above the "
        f"limit of {limit_g:.1f} g CO2e/MJ ({limit_kg_per_kg:g} kg CO2e/kg); "
        f"{_fmt_g(h2_t)} t CO2e counted against the hydrogen"
    )
    if on.any():
        mean_ci = float(np.sum(import_mw[on] * ci[on]) / np.sum(import_mw[on]))
        text += (
            f", {_fmt_g(imp_t)} t CO2e from {_fmt_g(float(import_mw.sum()))} MWh of grid "
            f"imports in {int(on.sum()):,} hours at {mean_ci:.0f} g CO2e/kWh on average"
        )
    time = pd.DatetimeIndex(hourly.index)
    by_month = hourly["hydrogen_co2_t"].groupby(time.month).sum().sort_values(ascending=False)
    if h2_t > 0:
        months = [f"{year}-{m:02d} {100 * v / h2_t:.0f} %"
                  for m, v in by_month.head(CARBON_NAMED).items() if v > 0]
        text += "; most in " + ", ".join(months)
    top = hourly["grid_import_co2_t"].to_numpy().argsort()[::-1][:CARBON_NAMED]
    hours = [f"{time[i]:%Y-%m-%d %H:%M} ({import_mw[i]:,.0f} MWh at {ci[i]:.0f} g CO2e/kWh)"
             for i in top if import_mw[i] > 0]
    if hours:
        text += "; the hours with the most import emissions: " + ", ".join(hours)
    return text


def _advice(
    scenario: Scenario, lp_ci: np.ndarray, lp_import_mw: np.ndarray, n_years: int,
    grid_min_g_per_kwh: float,
) -> str:
    """What the LP did differently and which operation settings bring the rules to the limit."""
    op = scenario.operation
    limit = scenario.optimisation.max_hydrogen_carbon_intensity_kg_per_kg
    assert limit is not None
    carbon_threshold = getattr(op, "import_carbon_threshold_g_per_kwh", None)
    bought = lp_import_mw > 1e-6
    price = op.import_price_threshold_eur_per_mwh
    rules = ("the rule-based dispatch buys grid power in every hour priced at or below "
             f"operation.import_price_threshold_eur_per_mwh = {price:g} EUR/MWh")
    if carbon_threshold is not None:
        rules += (" with a grid intensity at or below operation.import_carbon_threshold_g_per_kwh"
                  f" = {carbon_threshold:g} g CO2e/kWh")
    if bought.any():
        mean = float(np.sum(lp_import_mw[bought] * lp_ci[bought]) / lp_import_mw[bought].sum())
        lp = (f"The LP met the limit importing {float(lp_import_mw.sum()) / n_years:,.0f} MWh a "
              f"year in hours it chose with foresight ({mean:.0f} g CO2e/kWh on average)")
    else:
        lp = "The LP met the limit without grid imports"
    # grid power alone, at the rated efficiency, meets the limit at or below this intensity
    kwh_per_kg = HYDROGEN_LHV_KWH_PER_KG / scenario.technology.electrolysis.efficiency
    safe = limit * 1000.0 / kwh_per_kg
    verb = "set" if carbon_threshold is None else "lower"
    knob = (f"{verb} operation.import_carbon_threshold_g_per_kwh (at or below {safe:.0f} "
            "g CO2e/kWh, where grid power alone meets the limit at the rated efficiency, "
            f"any import meets it; the grid of these years falls to {grid_min_g_per_kwh:.0f} "
            "at the lowest)")
    return (f"{lp}; {rules}. To make the rules meet it: {knob}, lower the price threshold, or "
            "turn operation.grid_import off.")


def check_carbon_limit(
    result: SizingResult, inputs: SystemInputs, table: pd.DataFrame, dispatch: xr.Dataset
) -> None:
    """Check the re-simulation of every weather year against the hydrogen carbon limit.

    Parameters
    ----------
    result
        The accepted LP sizing (its hourly dataset shows where the LP imported).
    inputs
        Hourly inputs of the scenario (grid intensity).
    table
        Re-simulation per weather year (:func:`nzv_energy.sizing.resimulate.resimulate`).
    dispatch
        Hourly dataset of the re-simulation.

    Raises
    ------
    ModelInfeasibleError
        A weather year's re-simulated hydrogen intensity (``kpis.csv``'s
        ``hydrogen_carbon_intensity_kg_per_kg``) lies above
        ``optimisation.max_hydrogen_carbon_intensity_kg_per_kg``; the message
        names every such year, the months and hours driving it and what to change.
    """
    scenario = result.input_scenario
    limit = scenario.optimisation.max_hydrogen_carbon_intensity_kg_per_kg
    if limit is None:
        return
    years = table.drop(index=["P90", "mean"])
    values = years["hydrogen_carbon_intensity_kg_per_kg"].to_numpy(np.float64)
    over = np.isfinite(values) & (values > limit * (1.0 + CARBON_TOL))
    for year, value in zip(years.index, values, strict=True):
        logger.info("re-simulation %s: hydrogen carbon intensity %.3f kg CO2e/kg (limit %g)",
                    year, value, limit)
    if not over.any():
        return
    times = pd.DatetimeIndex(dispatch["time"].values)
    series = inputs.grid_carbon_g_per_kwh
    ci_all = (np.full(len(times), np.nan) if series is None
              else series.reindex(times).to_numpy(np.float64))
    gas = scenario.technology.gas_backup.natural_gas_co2_t_per_mwh
    parts = []
    for year, row in years[over].iterrows():
        sel = np.flatnonzero(times.year == int(str(year)))
        part = dispatch.isel(time=sel)
        hourly = hourly_hydrogen_co2_t(part, HourlyCarbon(ci_all[sel], gas))
        imp = np.asarray(part["grid_import_mw"].sum("site").values, dtype=np.float64)
        parts.append(_year_text(int(str(year)), row, limit, hourly, ci_all[sel], imp))
    lp_times = pd.DatetimeIndex(result.dataset["time"].values)
    lp_ci = (np.full(len(lp_times), np.nan) if series is None
             else series.reindex(lp_times).to_numpy(np.float64))
    lp_imp = np.asarray(result.dataset["grid_import_mw"].sum("site").values, dtype=np.float64)
    advice = _advice(scenario, lp_ci, lp_imp, len(years), float(np.nanmin(ci_all)))
    raise ModelInfeasibleError(
        f"scenario {scenario.name!r}: the sized system meets "
        "optimisation.max_hydrogen_carbon_intensity_kg_per_kg in the LP but not when the "
        f"rule-based dispatch operates it in {int(over.sum())} of {len(years)} weather "
        "year(s): " + "; ".join(parts) + ". " + advice
    )


def _lp_gas_to_grid_mwh(result: SizingResult) -> float:
    """Mean annual gas-fired power the LP sent to the grid, MWh/a (its "gas to grid" links)."""
    n = result.network
    cols = [c for c in n.links.index if str(c).endswith(" gas to grid")]
    if not cols:
        return 0.0
    p0 = n.links_t.p0.reindex(columns=cols, fill_value=0.0).sum(axis=1)
    weights = n.snapshot_weightings["generators"].reindex(p0.index)
    return float((p0 * weights).sum()) / max(len(result.input_scenario.weather.years), 1)


def firm_kpis(result: SizingResult, table: pd.DataFrame) -> dict[str, float]:
    """What delivers a firm commitment in the LP, and the rules' hours short per year.

    Empty without a commitment.  LP figures are means per year of the hourly LP
    dispatch: ``firm_lp_gas_to_grid_mwh_per_year`` (gas backup output sent to the
    grid), ``firm_lp_grid_export_mwh_per_year`` (all energy to the grid, the gas
    included) and ``firm_lp_grid_import_mwh_per_year``; the rest of the export comes
    from the renewables and the batteries.  ``firm_hours_short_rules_h_<year>`` and
    ``firm_energy_short_rules_mwh_<year>`` are the re-simulation's (the rules').
    """
    security = result.input_scenario.security
    if security.firm_mw <= 0:
        return {}
    ds = result.dataset
    n_years = max(len(result.input_scenario.weather.years), 1)
    out = {
        "firm_lp_grid_export_mwh_per_year": float(ds["grid_export_mw"].sum()) / n_years,
        "firm_lp_grid_import_mwh_per_year": float(ds["grid_import_mw"].sum()) / n_years,
        "firm_lp_gas_to_grid_mwh_per_year": _lp_gas_to_grid_mwh(result),
        "firm_hours_short_max_h": float(security.hours_short_max),
    }
    if "firm_hours_short_h" in table:
        for year, row in table.drop(index=["P90", "mean"]).iterrows():
            out[f"firm_hours_short_rules_h_{year}"] = float(row["firm_hours_short_h"])
            out[f"firm_energy_short_rules_mwh_{year}"] = float(row["firm_energy_short_mwh"])
    return out


def _firm_year_text(
    year: str, short_mw: np.ndarray, times: pd.DatetimeIndex, lp_gas_mw: float | None
) -> str:
    """One weather year that misses the commitment: hours, energy and the worst hours."""
    hours = int((short_mw > 0.0).sum())
    worst = np.argsort(-short_mw, kind="stable")[:FIRM_NAMED]
    named = [f"{times[i]:%Y-%m-%d %H:%M} ({short_mw[i]:,.1f} MW short)"
             for i in worst if short_mw[i] > 0.0]
    text = (f"weather year {year}: {hours:,} hours short ({_fmt_g(float(short_mw.sum()))} MWh "
            "short); the worst hours " + ", ".join(named))
    if lp_gas_mw is not None:
        text += f" (in these hours the LP ran the gas backup at {lp_gas_mw:,.1f} MW on average)"
    return text


def check_firm_commitment(
    result: SizingResult, table: pd.DataFrame, dispatch: xr.Dataset
) -> None:
    """Check the re-simulation of every weather year against the firm commitment.

    Logs one line per weather year (hours short against ``security.hours_short_max``).

    Parameters
    ----------
    result
        The accepted LP sizing (its input scenario carries ``security``).
    table
        Re-simulation per weather year (:func:`nzv_energy.sizing.resimulate.resimulate`),
        with ``firm_hours_short_h`` under a commitment.
    dispatch
        Hourly dataset of the re-simulation (``firm_shortfall_mw``).

    Raises
    ------
    ModelInfeasibleError
        A weather year where the rule-based dispatch misses ``security.firm_mw`` in
        more than ``security.hours_short_max`` hours; the message names every such
        year, its hours and energy short, its worst hours and what would help.
    """
    scenario = result.input_scenario
    security = scenario.security
    if security.firm_mw <= 0 or "firm_shortfall_mw" not in dispatch:
        return
    allowed = security.hours_short_max
    years = table.drop(index=["P90", "mean"])
    for year, row in years.iterrows():
        logger.info("re-simulation %s: firm commitment of %g MW missed in %d hours (%.0f MWh); "
                    "allowed %d hours", year, security.firm_mw, int(row["firm_hours_short_h"]),
                    float(row["firm_energy_short_mwh"]), allowed)
    over = years[years["firm_hours_short_h"] > allowed]
    if over.empty:
        return
    times = pd.DatetimeIndex(dispatch["time"].values)
    short_all = np.asarray(dispatch["firm_shortfall_mw"].values, dtype=np.float64)
    lp = result.dataset
    lp_times = pd.DatetimeIndex(lp["time"].values)
    gas_lp = lp["gas_backup_mw"].sum("site").to_series() if "gas_backup_mw" in lp else None
    parts = []
    for year in over.index:
        sel = np.flatnonzero(times.year == int(str(year)))
        short = short_all[sel]
        share = None
        if gas_lp is not None and lp_times.equals(times):
            worst = sel[np.argsort(-short, kind="stable")[:FIRM_NAMED]]
            worst = worst[short_all[worst] > 0.0]
            share = float(gas_lp.to_numpy()[worst].mean()) if worst.size else None
        parts.append(_firm_year_text(str(year), short, times[sel], share))
    local_mw = sum(site.local_demand_mw for site in scenario.sites.values())
    gas_knob = (
        "a gas backup that alone covers the commitment: the sum of sites.*.gas_backup_mw "
        f"(or of their minimum, where sized: the LP sizes gas only as far as foresight needs "
        f"it) at least security.firm_mw plus the local demand, {security.firm_mw + local_mw:g} "
        "MW"
    )
    # fast mode holds the commitment in each segment (hours averaged), exact mode in each hour
    step = "hour" if result.mode == "exact" else "segment of hours (fast mode)"
    raise ModelInfeasibleError(
        f"scenario {scenario.name!r}: the sized system holds the firm commitment of "
        f"{security.firm_mw:g} MW (security.firm_mw) in the LP but not when the rule-based "
        f"dispatch operates it: more than security.hours_short_max = {allowed} hours short in "
        f"{len(over)} of {len(years)} weather year(s): " + "; ".join(parts) + ". The LP holds "
        f"the commitment in every {step} with perfect foresight (it can turn the electrolysers "
        "down and save battery energy for the calm hours ahead); the rules serve the hydrogen "
        "first and then top the export up only from the battery (down to its minimum charge, "
        "drained earlier) and the gas backup within its rating, and a site buying grid power adds "
        "nothing. What would help: " + gas_knob + ", a larger grid connection "
        "(sites.*.grid_connection_mw) where the export is at its limit, a lower "
        "security.firm_mw, or more allowed hours (security.hours_short_max)."
    )
