"""The committed VPP schedule as the project's hourly results dataset.

Adds what the optimiser does not decide but the schema reports: the renewable
(RFNBO) hydrogen of each hour, and the extra variable ``vpp_fallback`` marking
the hours dispatched by the rule-based fallback.  With reserves, the capacity
held (``reserve_capacity_mw``, by site, unit and product) and its price
(``reserve_capacity_price_eur_per_mw``) are added too; :func:`reserve_table`
lists them by block (``reserves.csv``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.rfnbo import rfnbo_eligible_hours
from nzv_energy.schema import VARIABLES, make_dataset
from nzv_energy.vpp.model import SiteState, reserve_key
from nzv_energy.vpp.reserves import UNITS, ReservePrices

MODEL_NAME = "pyomo_vpp"
FALLBACK_VARIABLE = "vpp_fallback"
RESERVE_VARIABLE = "reserve_capacity_mw"
RESERVE_PRICE_VARIABLE = "reserve_capacity_price_eur_per_mw"


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
    non-renewable.  With district heat (``chp_electric_mw`` in ``schedule``) the CHP's
    power is non-renewable too, and what is left after the own load is shared
    between the stack and the heat's electricity in proportion to their use.  With
    ``monthly`` matching, unmatched hydrogen of a site and
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
    left = non_renewable - own_load
    if "chp_electric_mw" in schedule:
        heat_el = (schedule["booster_electricity_mw"] + schedule["heat_pump_electricity_mw"]
                   + schedule["electric_boiler_electricity_mw"])
        left = left + schedule["chp_electric_mw"]
        use = np.maximum(stack, 0.0) + heat_el
        left = np.divide(left * np.maximum(stack, 0.0), use, out=np.zeros_like(left),
                         where=use > 1e-12)
    unmatched_el = np.clip(left, 0.0, np.maximum(stack, 0.0))
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
    reserve_prices: ReservePrices | None = None,
    block_hours: int | None = None,
) -> xr.Dataset:
    """Hourly results dataset of a schedule (site arrays ``(n_sites, n)``).

    The schema variables come from ``schedule``; ``vpp_fallback`` (1 = hour
    dispatched by the rule-based fallback) is added as an extra variable, with
    ``reserve_prices`` the reserve capacity held and its price (see the module), and
    when ``schedule`` holds them the district heat variables, named, dimensioned and
    with the units of ``dispatch.nc`` (:data:`nzv_energy.heat.simulate.HEAT_VARIABLES`).
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
    for name, unit, meaning in HEAT_VARIABLES.values():
        if name in schedule:
            ds[name] = xr.Variable(("time", "site"), np.asarray(schedule[name], float).T.copy(),
                                   {"units": unit, "long_name": meaning})
    if reserve_prices is not None:
        products = list(reserve_prices.products)
        held = np.stack(
            [np.stack([np.asarray(schedule[reserve_key(k, u)], float) for k in products], -1)
             for u in UNITS], -2,
        )  # (n_sites, n, unit, product)
        ds = ds.assign_coords(reserve_unit=list(UNITS), reserve_product=products)
        ds[RESERVE_VARIABLE] = xr.Variable(
            ("time", "site", "reserve_unit", "reserve_product"), held.transpose(1, 0, 2, 3),
            {"units": "MW", "long_name": "reserve capacity held (the same in every hour of "
             "its block)", "block_hours": int(block_hours or 0)},
        )
        ds[RESERVE_PRICE_VARIABLE] = xr.Variable(
            ("time", "reserve_product"), reserve_prices.capacity_eur_per_mw.T.copy(),
            {"units": "EUR/MW", "long_name": "capacity price of the hour's block, per MW "
             "and block", "block_hours": int(block_hours or 0),
             "source": reserve_prices.file.name},
        )
    return ds


def reserve_revenue_eur(ds: xr.Dataset) -> float:
    """Capacity revenue of the reserves held: sum over hours of price / block hours x MW.

    Over a whole block this is price x MW; 0 without reserves.
    """
    if RESERVE_VARIABLE not in ds:
        return 0.0
    hours = int(ds[RESERVE_PRICE_VARIABLE].attrs["block_hours"])
    held = ds[RESERVE_VARIABLE].sum(("site", "reserve_unit"))
    return float((held * ds[RESERVE_PRICE_VARIABLE]).sum()) / hours


def reserve_table(ds: xr.Dataset) -> pd.DataFrame:
    """Reserve capacity by block, site, unit and product (``reserves.csv``).

    Columns ``block_start``, ``site``, ``unit``, ``product``, ``reserved_mw``,
    ``capacity_price_eur_per_mw``, ``revenue_eur`` (price x MW x the share of the
    block scheduled); rows with nothing held are left out.  Empty without reserves.
    """
    columns = ["block_start", "site", "unit", "product", "reserved_mw",
               "capacity_price_eur_per_mw", "revenue_eur"]
    if RESERVE_VARIABLE not in ds:
        return pd.DataFrame(columns=columns)
    hours = int(ds[RESERVE_PRICE_VARIABLE].attrs["block_hours"])
    time = pd.DatetimeIndex(ds["time"].values)
    starts = time.floor(f"{hours}h")
    held = ds[RESERVE_VARIABLE].transpose("time", "site", "reserve_unit", "reserve_product")
    price = ds[RESERVE_PRICE_VARIABLE].transpose("time", "reserve_product").values
    rows = []
    for block in pd.unique(starts):
        idx = np.flatnonzero(starts == block)
        share = len(idx) / hours
        first = held.values[idx[0]]
        for i, site in enumerate(ds["site"].values):
            for j, unit in enumerate(ds["reserve_unit"].values):
                for k, product in enumerate(ds["reserve_product"].values):
                    mw = float(first[i, j, k])
                    if mw <= 0.0:
                        continue
                    rows.append((pd.Timestamp(block), str(site), str(unit), str(product), mw,
                                 float(price[idx[0], k]), float(price[idx[0], k]) * mw * share))
    return pd.DataFrame(rows, columns=columns)
