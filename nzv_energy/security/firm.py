"""Firm capacity of a fixed portfolio, LP bound (perfect foresight).

Definitions and sources: ``docs/security_of_supply.md``.  For each weather year
the *firm capacity* is the largest constant power F (MW) the sites can deliver
to the grid (net export: grid export + gas backup output sent to the grid -
grid import) in every hour, while the hydrogen supply keeps its priority: the
hydrogen not delivered is first minimised, and F is maximised without raising
it.  For a commitment C the *energy short* (EENS, MWh/a) is the least energy
below C over the year and the *hours short* (LOLE, h/a) are the hours short in
that schedule.

Both are linear programs on the fixed capacities, solved by HiGHS on the
direct model of :mod:`nzv_energy.sizing.lp` (the sizing's physics: balances,
storage cyclic within each weather year, efficiencies, the grid connection and
import policy).  Weather years are independent blocks of one LP with one F per
year, so one solve gives every year's F.  Perfect foresight makes every figure
a bound on what operating rules achieve: no rule delivers a larger firm power
or a smaller energy short in the same year.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

from nzv_energy.errors import ModelInfeasibleError, NzvError
from nzv_energy.highs_banner import silence_banner
from nzv_energy.security.rules import RulesShortfall
from nzv_energy.sizing.lp import DirectModel, FirmRequirement, build_direct_model
from nzv_energy.sizing.network import SizingNetwork, plan_network
from nzv_energy.system import SystemInputs

logger = logging.getLogger(__name__)

#: A shortfall below this (MW) does not count as an hour short (solver tolerance).
SHORT_TOLERANCE_MW = 1e-4
#: Hydrogen the firm-power LP may leave undelivered above the least possible: this
#: fraction of the year's demand plus :data:`UNSERVED_TOLERANCE_MWH` (solver tolerance).
UNSERVED_TOLERANCE_FRACTION = 1e-9
UNSERVED_TOLERANCE_MWH = 1e-6
#: Commitment levels of the capacity-credit curve, as multiples of the largest firm capacity.
CURVE_FACTORS = (1.1, 1.25, 1.5, 2.0)

_OPTIONS: dict[str, str | bool] = {"solver": "simplex", "presolve": "on", "output_flag": False}


@dataclass(frozen=True)
class FirmBound:
    """LP bound of the firm capacity, per weather year.

    Attributes
    ----------
    years
        Weather years, in order.
    firm_mw
        Firm capacity (LP bound) per year, MW.
    unserved_hydrogen_mwh
        Least hydrogen the portfolio cannot deliver in the year (kept by the firm LP), MWh.
    installed_mw
        Installed power of the electricity sources (wind, PV, battery, gas backup), MW.
    commitment_mw
        The commitment of the shortfall figures, MW (``None``: none computed).
    energy_short_mwh, hours_short_h
        Per year for the commitment: least energy short (EENS bound), MWh, and the
        hours short in that schedule, h (``None`` without a commitment).
    """

    years: tuple[int, ...]
    firm_mw: np.ndarray
    unserved_hydrogen_mwh: np.ndarray
    installed_mw: float
    commitment_mw: float | None = None
    energy_short_mwh: np.ndarray | None = None
    hours_short_h: np.ndarray | None = None


def installed_power_mw(inputs: SystemInputs) -> float:
    """Installed power of the electricity sources of a fixed scenario, MW."""
    total = 0.0
    for site in inputs.scenario.sites.values():
        for fld in ("wind_mw", "pv_mw", "battery_mw", "gas_backup_mw"):
            value = getattr(site, fld)
            if not isinstance(value, int | float):
                raise ValueError(f"firm capacity needs fixed capacities; {fld} is a range")
            total += float(value)
    return total


def _year_index(sn: SizingNetwork) -> np.ndarray:
    _, idx = np.unique(pd.DatetimeIndex(sn.inputs.time).year.to_numpy(), return_inverse=True)
    return np.asarray(idx)


class _Lp:
    """One direct model on a HiGHS object, re-solved with other costs and bounds."""

    def __init__(self, sn: SizingNetwork, firm: FirmRequirement) -> None:
        self.sn = sn
        self.dm: DirectModel = build_direct_model(sn, 0.0, firm=firm)
        self.dm.lp.offset_ = 0.0
        self.year = _year_index(sn)
        self.n_years = int(self.year.max()) + 1
        silence_banner()
        self.h = highspy.Highs()
        for key, value in _OPTIONS.items():
            self.h.setOptionValue(key, value)
        self.h.passModel(self.dm.lp)
        self.n_col = self.dm.lp.num_col_

    def costs(self, cols: np.ndarray, values: np.ndarray) -> None:
        """Objective = Σ values × x[cols] (every other cost zero)."""
        cost = np.zeros(self.n_col)
        cost[cols] = values
        self.h.changeColsCost(self.n_col, np.arange(self.n_col, dtype=np.int32), cost)

    def row_bounds(self, rows: np.ndarray, lo: float, hi: float) -> None:
        """Set the bounds of ``rows`` to ``[lo, hi]``."""
        n = len(rows)
        change = self.h.changeRowsBounds  # type: ignore[attr-defined]  # missing in the stubs
        change(n, rows.astype(np.int32), np.full(n, lo), np.full(n, hi))

    def solve(self, what: str) -> np.ndarray:
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            text = self.h.modelStatusToString(status)
            if status == highspy.HighsModelStatus.kInfeasible:
                raise ModelInfeasibleError(
                    f"scenario {self.sn.scenario.name!r}: the {what} LP is infeasible ({text})")
            raise NzvError(f"HiGHS failed on the {what} LP: {text}")
        return np.asarray(self.h.getSolution().col_value)

    def keep_hydrogen(self) -> np.ndarray:
        """Minimise the hydrogen not delivered, then keep each year's total at that minimum."""
        u = self.dm.unserved_cols
        assert u is not None
        w = self.sn.weights_h
        self.costs(u, w)
        x = self.solve("least unserved hydrogen")
        per_year = np.bincount(self.year, weights=w * x[u], minlength=self.n_years)
        demand = np.bincount(self.year, weights=w * self.sn.inputs.hydrogen_demand_mw,
                             minlength=self.n_years)
        slack = UNSERVED_TOLERANCE_MWH + UNSERVED_TOLERANCE_FRACTION * demand
        for y in range(self.n_years):
            cols = u[self.year == y].astype(np.int32)
            self.h.addRow(-highspy.kHighsInf, float(per_year[y] + slack[y]),
                          len(cols), cols, w[self.year == y])
        return per_year


def firm_capacity_bound(
    inputs: SystemInputs, commitment_mw: float | None = None
) -> FirmBound:
    """Firm capacity (LP bound) per weather year and, optionally, the shortfall of a commitment.

    Parameters
    ----------
    inputs
        Hourly inputs of a fixed-capacity scenario.
    commitment_mw
        A firm commitment C, MW; when given, the least energy short and the hours
        short for C per year are computed too.

    Returns
    -------
    FirmBound

    Raises
    ------
    ModelInfeasibleError
        The LP has no solution (it always has one for a fixed portfolio with
        hydrogen allowed to go undelivered; kept for solver failures).
    """
    sn = plan_network(inputs, export_allowed=True)
    lp = _Lp(sn, FirmRequirement("maximise"))
    unserved = lp.keep_hydrogen()
    assert lp.dm.firm_cols is not None
    lp.costs(lp.dm.firm_cols, -np.ones(lp.n_years))
    x = lp.solve("firm capacity")
    firm = np.maximum(x[lp.dm.firm_cols], 0.0)
    logger.info("firm capacity (LP bound) per weather year: %s MW",
                ", ".join(f"{v:,.1f}" for v in firm))
    energy = hours = None
    if commitment_mw is not None:
        energy, hours = shortfall(inputs, [commitment_mw], _sn=sn)[0]
    return FirmBound(
        years=tuple(inputs.years),
        firm_mw=firm,
        unserved_hydrogen_mwh=unserved,
        installed_mw=installed_power_mw(inputs),
        commitment_mw=commitment_mw,
        energy_short_mwh=energy,
        hours_short_h=hours,
    )


def shortfall(
    inputs: SystemInputs, commitments_mw: Sequence[float], *, _sn: SizingNetwork | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Least energy short (MWh) and hours short (h) per weather year for each commitment.

    The hydrogen supply keeps its priority as in :func:`firm_capacity_bound`.  One LP
    is built and re-solved for each commitment (warm start).
    """
    sn = _sn if _sn is not None else plan_network(inputs, export_allowed=True)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    if not commitments_mw:
        return out
    first = float(commitments_mw[0])
    lp = _Lp(sn, FirmRequirement("shortfall", first))
    lp.keep_hydrogen()
    short = lp.dm.firm_cols
    assert short is not None and lp.dm.firm_rows is not None
    gas_rows = lp.dm.row_groups.get("firm_gas")
    w = sn.weights_h
    lp.costs(short, w)
    T = len(short)
    for c_mw in commitments_mw:
        c_mw = float(c_mw)
        lp.row_bounds(lp.dm.firm_rows, c_mw, highspy.kHighsInf)
        if gas_rows is not None:
            lp.row_bounds(gas_rows, -highspy.kHighsInf, c_mw)
        lp.h.changeColsBounds(T, short.astype(np.int32), np.zeros(T), np.full(T, c_mw))
        x = lp.solve(f"energy short for {c_mw:,.0f} MW")
        s = x[short]
        energy = np.bincount(lp.year, weights=w * s, minlength=lp.n_years)
        hours = np.bincount(lp.year, weights=w * (s > SHORT_TOLERANCE_MW), minlength=lp.n_years)
        logger.info("commitment %.0f MW: energy short %s MWh, hours short %s h", c_mw,
                    ", ".join(f"{v:,.0f}" for v in energy), ", ".join(f"{v:.0f}" for v in hours))
        out.append((energy, hours))
    return out


def capacity_credit_curve(
    inputs: SystemInputs, bound: FirmBound, factors: Sequence[float] = CURVE_FACTORS
) -> pd.DataFrame:
    """Commitment vs energy and hours short per weather year (LP bound).

    Commitments at or below a year's firm capacity are met in every hour (zero
    short, no solve); the others are ``factors`` × the largest firm capacity.

    Returns
    -------
    pandas.DataFrame
        Rows ``(weather_year, commitment_mw)``; columns ``energy_short_mwh``,
        ``hours_short_h``, ``capacity_credit`` (commitment / installed power).
    """
    top = float(np.max(bound.firm_mw))
    levels = sorted({round(top * f, 3) for f in factors if top * f > 0})
    results = shortfall(inputs, levels)
    rows = []
    for j, year in enumerate(bound.years):
        rows.append((year, float(bound.firm_mw[j]), 0.0, 0.0))
        for c_mw, (energy, hours) in zip(levels, results, strict=True):
            rows.append((year, c_mw, float(energy[j]), float(hours[j])))
    df = pd.DataFrame(rows, columns=["weather_year", "commitment_mw", "energy_short_mwh",
                                     "hours_short_h"])
    df["capacity_credit"] = df["commitment_mw"] / bound.installed_mw if bound.installed_mw else 0.0
    return df.set_index(["weather_year", "commitment_mw"])


def p90_short(values: np.ndarray) -> float:
    """P90 over weather years of a shortfall: not exceeded in 90 % of the years.

    The 90th percentile with linear interpolation between years (``numpy.percentile``);
    with one year, that year.
    """
    return float(np.percentile(np.asarray(values, dtype=np.float64), 90))


def p90_firm(values: np.ndarray) -> float:
    """P90 over weather years of the firm capacity: reached in 90 % of the years.

    The 10th percentile (linear interpolation, ``numpy.percentile``).
    """
    return float(np.percentile(np.asarray(values, dtype=np.float64), 10))


def firm_table(
    bound: FirmBound,
    rules_firm_mw: np.ndarray | None = None,
    rules_short: RulesShortfall | None = None,
) -> pd.DataFrame:
    """One row per weather year: ``firm_capacity.csv`` of ``simulate``.

    Parameters
    ----------
    bound
        The LP bound (perfect foresight).
    rules_firm_mw
        The rules' firm capacity per year (:func:`~nzv_energy.security.rules.rules_firm_capacity`).
    rules_short
        Hours and energy short of the commitment under the rules.
    """
    df = pd.DataFrame({
        "firm_capacity_lp_bound_mw": bound.firm_mw,
        "installed_power_mw": bound.installed_mw,
        "capacity_credit_lp_bound": (bound.firm_mw / bound.installed_mw
                                     if bound.installed_mw else 0.0),
        "unserved_hydrogen_lp_bound_mwh": bound.unserved_hydrogen_mwh,
    }, index=pd.Index(bound.years, name="weather_year"))
    if bound.commitment_mw is not None:
        assert bound.energy_short_mwh is not None and bound.hours_short_h is not None
        df["commitment_mw"] = bound.commitment_mw
        df["energy_short_lp_bound_mwh"] = bound.energy_short_mwh
        df["hours_short_lp_bound_h"] = bound.hours_short_h
    if rules_firm_mw is not None:
        df.insert(0, "firm_capacity_rules_mw", rules_firm_mw)
        df["capacity_credit_rules"] = (rules_firm_mw / bound.installed_mw
                                       if bound.installed_mw else 0.0)
    if rules_short is not None:
        df["energy_short_rules_mwh"] = rules_short.energy_short_mwh
        df["hours_short_rules_h"] = rules_short.hours_short_h
    return df


def summary_lines(
    bound: FirmBound,
    hours_short_max: int = 0,
    rules_firm_mw: np.ndarray | None = None,
    rules_short: RulesShortfall | None = None,
) -> list[str]:
    """Lines for ``summary.md`` / the log: firm capacity and shortfall of the commitment.

    The LP bound (perfect foresight) and, when given, the dispatch rules (operation).
    """
    lines = [
        f"{year}: firm capacity (LP bound, perfect foresight) {f:,.0f} MW "
        f"({f / bound.installed_mw:.1%} of {bound.installed_mw:,.0f} MW installed)"
        if bound.installed_mw else f"{year}: firm capacity (LP bound) {f:,.0f} MW"
        for year, f in zip(bound.years, bound.firm_mw, strict=True)
    ]
    lines.append(f"firm capacity P90 over weather years (LP bound): "
                 f"{p90_firm(bound.firm_mw):,.0f} MW")
    if bound.commitment_mw is not None:
        assert bound.energy_short_mwh is not None and bound.hours_short_h is not None
        lole, eens = p90_short(bound.hours_short_h), p90_short(bound.energy_short_mwh)
        verdict = "met" if lole <= hours_short_max else "NOT met"
        lines.append(
            f"commitment {bound.commitment_mw:,.0f} MW (LP bound): hours short P90 {lole:,.0f} "
            f"h/a, energy short P90 {eens:,.0f} MWh/a; at most {hours_short_max} h/a allowed: "
            f"{verdict}"
        )
    if rules_firm_mw is not None:
        lines += [
            f"{year}: firm capacity (dispatch rules, operation) {f:,.0f} MW"
            for year, f in zip(bound.years, rules_firm_mw, strict=True)
        ]
        lines.append(f"firm capacity P90 over weather years (dispatch rules): "
                     f"{p90_firm(rules_firm_mw):,.0f} MW")
    if rules_short is not None:
        for year, h, e in zip(bound.years, rules_short.hours_short_h,
                              rules_short.energy_short_mwh, strict=True):
            lines.append(f"{year}: commitment {rules_short.commitment_mw:,.0f} MW (dispatch "
                         f"rules): {h:,.0f} h short, {e:,.0f} MWh short")
        lole = p90_short(rules_short.hours_short_h)
        verdict = "met" if lole <= hours_short_max else "NOT met"
        lines.append(
            f"commitment {rules_short.commitment_mw:,.0f} MW (dispatch rules): hours short P90 "
            f"{lole:,.0f} h/a, energy short P90 {p90_short(rules_short.energy_short_mwh):,.0f} "
            f"MWh/a; at most {hours_short_max} h/a allowed: {verdict}"
        )
    return lines
