"""The committed VPP schedule as the project's hourly results dataset.

Adds what the optimiser does not decide but the schema reports: the renewable
(RFNBO) hydrogen of each hour, and the extra variable ``vpp_fallback`` marking
the hours dispatched by the rule-based fallback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.rfnbo import rfnbo_eligible_hours
from nzv_energy.schema import VARIABLES, make_dataset
from nzv_energy.vpp.model import SiteState

MODEL_NAME = "pyomo_vpp"
FALLBACK_VARIABLE = "vpp_fallback"


def rfnbo_hydrogen(
    schedule: Mapping[str, np.ndarray],
    time: pd.DatetimeIndex,
    co2_price_eur_per_t: float,
    monthly: bool,
    battery_counts_renewable: bool,
) -> np.ndarray:
    """Hydrogen counted renewable (RFNBO), MW_H2, shape ``(n_sites, n)``.

    Each hour, non-renewable electricity at a site is grid power bought in an
    hour priced above both criteria of Art. 6 of Delegated Regulation (EU)
    2023/1184 (20 EUR/MWh, 0.36 x the CO2 price), gas-backup power, and, when
    ``battery_counts_renewable`` is false, battery discharge.  It is assigned
    to the site's standby and local load first and the rest to the stack; the
    stack's unmatched share of its input makes the same share of its hydrogen
    non-renewable.  With ``monthly`` matching, unmatched hydrogen of a site and
    month is counted renewable in the ratio of that month's export to its
    unmatched electricity (at most 1), as in the rule-based dispatch.
    """
    price = np.asarray(schedule["price_eur_per_mwh"], float)
    eligible = rfnbo_eligible_hours(price, co2_price_eur_per_t)
    grid = np.where(eligible[None, :], 0.0, schedule["grid_import_mw"])
    non_renewable = grid + schedule["gas_backup_mw"]
    if not battery_counts_renewable:
        non_renewable = non_renewable + schedule["battery_discharge_mw"]
    own_load = schedule["electrolysis_standby_mw"] + schedule["local_demand_mw"]
    stack = schedule["electrolysis_input_mw"] - schedule["electrolysis_standby_mw"]
    unmatched_el = np.clip(non_renewable - own_load, 0.0, np.maximum(stack, 0.0))
    h2 = schedule["hydrogen_output_mw"]
    share = np.divide(unmatched_el, stack, out=np.zeros_like(h2), where=stack > 1e-9)
    unmatched_h2 = h2 * share
    rfnbo = h2 - unmatched_h2
    if monthly:
        months = np.asarray(time.month) - 1
        years = np.asarray(time.year)
        export = schedule["grid_export_mw"]
        for key in set(zip(years, months, strict=True)):
            cols = (years == key[0]) & (months == key[1])
            el = unmatched_el[:, cols].sum(axis=1)
            ratio = np.divide(
                export[:, cols].sum(axis=1), el, out=np.zeros_like(el), where=el > 0
            )
            rfnbo[:, cols] += np.minimum(ratio, 1.0)[:, None] * unmatched_h2[:, cols]
    return rfnbo


def state_attr(
    sites: tuple[str, ...], starts: Mapping[int, SiteState]
) -> str:
    """``dispatch_start_state`` attribute (JSON) in the rule-based dispatch's layout."""
    return json.dumps(
        {
            str(year): {
                site: {
                    "battery_soc_mwh": float(st.battery_soc_mwh[i]),
                    "hydrogen_storage_mwh": float(st.hydrogen_storage_mwh[i]),
                    "electrolysis_on": float(bool(st.electrolysis_on[i])),
                    "stack_hours": float(st.stack_hours[i]),
                }
                for i, site in enumerate(sites)
            }
            for year, st in starts.items()
        }
    )


def to_dataset(
    schedule: Mapping[str, np.ndarray],
    time: pd.DatetimeIndex,
    sites: tuple[str, ...],
    fallback: np.ndarray,
    attrs: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """Hourly results dataset of a schedule (site arrays ``(n_sites, n)``).

    The schema variables come from ``schedule``; ``vpp_fallback`` (1 = hour
    dispatched by the rule-based fallback) is added as an extra variable.
    """
    data = {}
    for name, var in VARIABLES.items():
        values = np.asarray(schedule[name], float)
        data[name] = values.T if var.dims == ("time", "site") else values
    ds = make_dataset(time.to_numpy(), sites, data, {"model": MODEL_NAME, **(attrs or {})})
    ds[FALLBACK_VARIABLE] = xr.Variable(
        ("time",),
        np.asarray(fallback, dtype=np.int8),
        {
            "units": "1",
            "long_name": "hour dispatched by the rule-based fallback (1) or optimised (0)",
        },
    )
    return ds
