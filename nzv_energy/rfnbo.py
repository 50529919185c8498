"""The one rule for hours whose grid power counts as renewable (RFNBO hydrogen).

Commission Delegated Regulation (EU) 2023/1184, Art. 6 (temporal correlation),
last subparagraph: hydrogen produced in an hour whose day-ahead clearing price
in the bidding zone is **at or below 20 EUR/MWh**, or **below 0.36 x the price
of an EU ETS allowance** (EUR per t CO2-eq), meets the temporal correlation
requirement with grid power.

:func:`rfnbo_price_thresholds` gives the two numbers (the dispatch kernel receives
them in its parameter vector and applies :func:`rfnbo_eligible_hours`'s comparison
hour by hour); :func:`rfnbo_eligible_hours` selects the hours of a price series.
The sizing LP's RFNBO constraint, its reported RFNBO hydrogen, the precheck, the
dispatch and the VPP's RFNBO accounting all use these.  The grid *purchase*
threshold ``operation.import_price_threshold_eur_per_mwh`` is a different thing:
when the dispatch buys, not whether what it bought counts as renewable.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "RFNBO_CO2_PRICE_FACTOR",
    "RFNBO_PRICE_THRESHOLD_EUR_PER_MWH",
    "rfnbo_eligible_hours",
    "rfnbo_price_thresholds",
]

#: Day-ahead price at or below which an hour qualifies, EUR/MWh.
RFNBO_PRICE_THRESHOLD_EUR_PER_MWH = 20.0
#: An hour priced below this factor x the CO2 allowance price (EUR/t) qualifies too.
RFNBO_CO2_PRICE_FACTOR = 0.36


def rfnbo_price_thresholds(co2_price_eur_per_t: float) -> tuple[float, float]:
    """The two price limits of the rule, EUR/MWh.

    Parameters
    ----------
    co2_price_eur_per_t
        EU ETS allowance price.

    Returns
    -------
    (float, float)
        ``at_or_below``: 20 EUR/MWh; ``below``: 0.36 x the CO2 price.  An hour
        qualifies when ``price <= at_or_below or price < below``.
    """
    return RFNBO_PRICE_THRESHOLD_EUR_PER_MWH, RFNBO_CO2_PRICE_FACTOR * co2_price_eur_per_t


def rfnbo_eligible_hours(price_eur_per_mwh: ArrayLike, co2_price_eur_per_t: float) -> np.ndarray:
    """Boolean per hour: grid power bought in this hour counts as renewable.

    Parameters
    ----------
    price_eur_per_mwh
        Day-ahead prices, EUR/MWh (any shape).
    co2_price_eur_per_t
        EU ETS allowance price.

    Returns
    -------
    numpy.ndarray
        ``price <= 20`` or ``price < 0.36 x co2_price``, element-wise.
    """
    at_or_below, below = rfnbo_price_thresholds(co2_price_eur_per_t)
    price = np.asarray(price_eur_per_mwh, dtype=np.float64)
    return (price <= at_or_below) | (price < below)
