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
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xarray as xr

from nzv_energy.errors import ModelInfeasibleError
from nzv_energy.scenario import Scenario
from nzv_energy.sizing.optimise import SizingResult, optimise
from nzv_energy.sizing.resimulate import resimulate
from nzv_energy.system import SystemInputs

logger = logging.getLogger(__name__)

#: Smallest raise of the design margin per re-sizing (fraction of demand).
MIN_MARGIN_STEP = 0.005
#: Margin raise per unit of the worst year's shortfall below the target.
SHORTFALL_GAIN = 2.0


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
        Passed to :func:`nzv_energy.sizing.optimise` (``mode``, ``time_limit_s``...).

    Returns
    -------
    VerifiedSizing
        The first sizing that meets the target, or the last one tried (a
        warning is logged then).
    """
    opt = scenario.optimisation
    target = opt.resimulation_target_share
    margin = opt.demand_margin_fraction
    steps: list[MarginStep] = []
    accepted: tuple[SizingResult, pd.DataFrame, xr.Dataset] | None = None
    while True:
        t0 = time.perf_counter()
        try:
            result = optimise(scenario, design_inputs(inputs, margin), **optimise_kwargs)
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
    kpis = {
        **result.kpis,
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
