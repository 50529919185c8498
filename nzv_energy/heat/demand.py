"""Hourly district-heat demand from hourly air temperature.

The demand of a district-heating network in hour ``h`` of calendar year ``y``
is the sum of two parts (method and sources in ``docs/district_heat.md``):

``base``
    Domestic hot water and network heat losses, which hardly depend on the
    weather: a constant ``base_share * annual_mwh / n_hours(y)`` MW.
``space``
    Space heating, proportional to the heating degrees of the hour,
    ``max(0, threshold_degc - T_ref(h))``, scaled so that the year's space
    heat is ``(1 - base_share) * annual_mwh``.

So every calendar year sums to ``annual_mwh`` exactly, hours at or above the
heating threshold carry the base load only, and the space part never rises
when the temperature rises.

Two reference temperatures ``T_ref`` are offered:

``"reference_day"`` (default)
    The building-inertia reference temperature of the BDEW/BGW standard load
    profiles as used by when2heat (Ruhnau et al. 2019, Sci. Data 6:189): the
    daily mean air temperature of the day and the three days before, weighted
    1, 1/2, 1/4, 1/8 (divided by their sum 1.875). Every hour of a day gets
    its day's value, i.e. the space heat is flat within the day. Days before
    the first day of the series take the first day's mean (as when2heat does).
``"degree_hours"``
    The hourly air temperature itself (heating degree hours): no inertia, the
    night is colder than the day.

The default heating threshold, 14 °C, is when2heat's threshold for Germany
(13.98 °C, ``input/heating_thresholds/heating_thresholds.csv``).

Time axis: hourly, tz-naive UTC, hour-beginning labels, whole calendar years
(8,760 or 8,784 h) without gaps, as the other profiles of the toolkit; days
for the reference temperature are UTC calendar days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from nzv_energy.errors import InputDataError, ScenarioError

logger = logging.getLogger(__name__)

HEATING_THRESHOLD_DEGC = 14.0
"""Default heating threshold, °C (when2heat, Germany: 13.98 °C)."""

REFERENCE_DAY_WEIGHTS = (1.0, 0.5, 0.25, 0.125)
"""Weights of the daily means of the day and the 1, 2, 3 days before (BDEW / when2heat)."""

DEFAULT_BASE_SHARE = 0.2
"""Default share of the annual heat that is weather-independent (hot water + network losses).

See ``docs/district_heat.md``: hot water about 10-15 % of the heat sold to
households and network losses about 10-15 % of the heat fed in; assumed
range 0.15-0.30.
"""

METHODS = ("reference_day", "degree_hours")
"""Names of the reference-temperature methods."""

TEMPERATURE_RANGE_DEGC = (-60.0, 60.0)
"""Air temperatures accepted, °C."""

Method = Literal["reference_day", "degree_hours"]


@dataclass(frozen=True)
class HeatDemandModel:
    """Parameters of the temperature-driven district-heat demand.

    Parameters
    ----------
    threshold_degc
        Heating threshold, °C: no space heat at or above it.
    base_share
        Share of the annual heat that is weather-independent (hot water and
        network losses), in [0, 1).
    method
        ``"reference_day"`` or ``"degree_hours"`` (see the module docstring).
    """

    threshold_degc: float = HEATING_THRESHOLD_DEGC
    base_share: float = DEFAULT_BASE_SHARE
    method: Method = "reference_day"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.threshold_degc) and 0.0 <= self.threshold_degc <= 25.0):
            raise ScenarioError(
                None, "heat.threshold_degc", self.threshold_degc, "a number between 0 and 25 °C"
            )
        if not (np.isfinite(self.base_share) and 0.0 <= self.base_share < 1.0):
            raise ScenarioError(None, "heat.base_share", self.base_share, "a fraction in [0, 1)")
        if self.method not in METHODS:
            raise ScenarioError(None, "heat.method", self.method, f"one of {', '.join(METHODS)}")


def _check_temperature(temperature_degc: pd.Series, field: str) -> None:
    """Refuse a temperature series that is not whole hourly UTC calendar years of finite °C."""
    if not isinstance(temperature_degc, pd.Series):
        raise InputDataError(
            None, field, type(temperature_degc).__name__, "a pandas Series of air temperature, °C"
        )
    index = temperature_degc.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is not None:
        raise InputDataError(
            None, f"{field} index", type(index).__name__, "a tz-naive (UTC) DatetimeIndex"
        )
    if len(index) == 0:
        raise InputDataError(None, field, "no values", "at least one whole calendar year")
    start = pd.Timestamp(year=index[0].year, month=1, day=1)
    end = pd.Timestamp(year=index[-1].year + 1, month=1, day=1)
    expected = pd.date_range(start, end, freq="h", inclusive="left")
    if len(index) != len(expected) or not (index == expected).all():
        raise InputDataError(
            None,
            f"{field} index",
            f"{len(index)} hours from {index[0]} to {index[-1]}",
            "hourly hour-beginning labels filling whole calendar years without gaps",
        )
    values = temperature_degc.to_numpy(dtype=np.float64)
    lo, hi = TEMPERATURE_RANGE_DEGC
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputDataError(
            None,
            f"{field} at {index[i]}",
            float(values[i]),
            f"a temperature between {lo} and {hi} °C",
        )


def reference_temperature_degc(temperature_degc: pd.Series) -> pd.Series:
    """Return the BDEW / when2heat reference temperature for every hour.

    Parameters
    ----------
    temperature_degc
        Hourly air temperature, °C, whole UTC calendar years (see module docstring).

    Returns
    -------
    pandas.Series
        Same index; each hour holds its day's reference temperature
        ``(T_d + T_{d-1}/2 + T_{d-2}/4 + T_{d-3}/8) / 1.875`` from the daily
        means ``T``, °C.
    """
    _check_temperature(temperature_degc, "temperature_degc")
    return _reference_temperature(temperature_degc)


def _reference_temperature(temperature_degc: pd.Series) -> pd.Series:
    days = temperature_degc.index.normalize()
    daily = temperature_degc.groupby(days).mean()
    weights = np.asarray(REFERENCE_DAY_WEIGHTS)
    daily_values = daily.to_numpy(dtype=np.float64)
    padded = np.concatenate([np.full(len(weights) - 1, daily_values[0]), daily_values])
    reference = np.zeros_like(daily_values)
    for lag, weight in enumerate(weights):
        reference += weight * padded[len(weights) - 1 - lag : len(padded) - lag]
    reference /= weights.sum()
    by_day = pd.Series(reference, index=daily.index)
    return pd.Series(
        by_day.reindex(days).to_numpy(), index=temperature_degc.index, name="reference_degc"
    )


def heating_degrees(temperature_degc: pd.Series, model: HeatDemandModel) -> pd.Series:
    """Return the heating degrees of every hour, K: ``max(0, threshold - T_ref)``.

    Parameters
    ----------
    temperature_degc
        Hourly air temperature, °C, whole UTC calendar years.
    model
        Threshold and reference-temperature method.

    Returns
    -------
    pandas.Series
        Heating degrees per hour (K), same index.
    """
    _check_temperature(temperature_degc, "temperature_degc")
    return _heating_degrees(temperature_degc, model)


def _heating_degrees(temperature_degc: pd.Series, model: HeatDemandModel) -> pd.Series:
    if model.method == "reference_day":
        reference = _reference_temperature(temperature_degc)
    else:
        reference = temperature_degc.astype(np.float64)
    degrees = np.maximum(0.0, model.threshold_degc - reference.to_numpy(dtype=np.float64))
    return pd.Series(degrees, index=temperature_degc.index, name="heating_degrees_k")


def heat_demand_mw(
    temperature_degc: pd.Series,
    annual_mwh: float,
    model: HeatDemandModel | None = None,
) -> pd.Series:
    """Return the hourly district-heat demand, MW_th, scaled to ``annual_mwh`` per year.

    Parameters
    ----------
    temperature_degc
        Hourly air temperature, °C: tz-naive UTC hour-beginning labels filling
        whole calendar years without gaps.
    annual_mwh
        Heat demand of every calendar year, MWh_th (> 0).
    model
        Threshold, weather-independent share and method; default
        :class:`HeatDemandModel` ().

    Returns
    -------
    pandas.Series
        ``heat_demand_mw`` per hour; each calendar year sums to ``annual_mwh``
        (MWh, hourly steps). ``attrs`` record unit, method and parameters.

    Raises
    ------
    InputDataError
        Temperature series not whole hourly years, or values not finite or
        outside -60..60 °C, or a year without any heating degree.
    ScenarioError
        ``annual_mwh`` not a positive finite number.
    """
    model = HeatDemandModel() if model is None else model
    if not (np.isfinite(annual_mwh) and 0.0 < annual_mwh <= 1e9):
        raise ScenarioError(None, "heat.annual_mwh", annual_mwh, "a positive number up to 1e9 MWh")
    _check_temperature(temperature_degc, "temperature_degc")
    degrees = _heating_degrees(temperature_degc, model)
    years = temperature_degc.index.year
    demand = np.empty(len(temperature_degc), dtype=np.float64)
    for year in np.unique(years):
        mask = np.asarray(years == year)
        year_degrees = degrees.to_numpy()[mask]
        total = float(year_degrees.sum())
        if total <= 0.0:
            raise InputDataError(
                None,
                f"temperature_degc in {year}",
                "no hour below the heating threshold",
                f"a year with heating degrees below {model.threshold_degc:g} °C",
            )
        base_mw = model.base_share * annual_mwh / mask.sum()
        demand[mask] = base_mw + (1.0 - model.base_share) * annual_mwh * year_degrees / total
    result = pd.Series(demand, index=temperature_degc.index, name="heat_demand_mw")
    result.attrs.update(
        {
            "units": "MW",
            "long_name": "district heat demand",
            "method": model.method,
            "threshold_degc": model.threshold_degc,
            "base_share": model.base_share,
            "annual_mwh": float(annual_mwh),
        }
    )
    return result
