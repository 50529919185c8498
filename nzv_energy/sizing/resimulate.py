"""Re-simulate a sized scenario with the rule-based numba dispatch, year by year.

The linear model serves the demand in every hour (100 %) with perfect
foresight, linear electrolyser efficiency and no minimum load; the
rule-based dispatch of :mod:`nzv_energy.dispatch` operates the same
capacities without foresight and with the electrolyser's minimum load,
part-load efficiency and standby.  The share of demand it meets per weather
year (and the P90 over years) shows how much the sizing relies on the LP's
idealisations.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.scenario import Scenario
from nzv_energy.system import SystemInputs, fixed_capacities

logger = logging.getLogger(__name__)

#: Columns of the re-simulation table taken from the dispatch KPIs.
RESIM_COLUMNS = (
    "demand_met_share",
    "hydrogen_demand_mwh",
    "hydrogen_delivered_mwh",
    "unserved_hydrogen_mwh",
    "rfnbo_share",
    "lcoh_chain_eur_per_kg",
    "system_net_cost_per_kg_h2_eur_per_kg",
    "grid_import_co2_t",
    "hydrogen_carbon_intensity_kg_per_kg",
    "hydrogen_carbon_intensity_g_per_mj",
)
#: Columns of a firm commitment (``security.firm_mw > 0``), from the hourly
#: ``firm_shortfall_mw`` of the re-simulation: energy and hours the rules fall short.
FIRM_COLUMNS = ("firm_energy_short_mwh", "firm_hours_short_h")
#: Columns where less is better: their ``P90`` row is the level *not* exceeded in
#: 90 % of the weather years (the 90th percentile).
LOWER_IS_BETTER = (
    "grid_import_co2_t",
    "hydrogen_carbon_intensity_kg_per_kg",
    "hydrogen_carbon_intensity_g_per_mj",
    *FIRM_COLUMNS,
    "unserved_heat_mwh",
)
#: Columns of a scenario with district heat: share of the heat demand the rules meet.
HEAT_COLUMNS = ("heat_demand_met_share", "heat_demand_mwh", "unserved_heat_mwh")


def p90(values: np.ndarray, lower_is_better: bool = False) -> float:
    """Level met or exceeded in 90 % of the weather years (the 10th percentile).

    Energy-yield convention: P90 is exceeded with 90 % probability.  For a
    quantity where less is better (emissions, carbon intensity) the level not
    exceeded in 90 % of the years (the 90th percentile).  Years with NaN (e.g.
    no hydrogen produced) are left out.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, 90.0 if lower_is_better else 10.0)) if v.size else float("nan")


def resimulate(
    sized: Scenario, inputs: SystemInputs
) -> tuple[pd.DataFrame, xr.Dataset]:
    """Run the rule-based dispatch of the sized capacities over every weather year.

    Parameters
    ----------
    sized
        The sized scenario (all capacities fixed numbers).
    inputs
        Hourly inputs of the original scenario (same sites, years, prices).

    Returns
    -------
    table
        One row per weather year with :data:`RESIM_COLUMNS` (and :data:`FIRM_COLUMNS`
        under a firm commitment), then a row ``P90``
        (10th percentile over years; 90th for :data:`LOWER_IS_BETTER`) and a row
        ``mean``.
    dataset
        The hourly dispatch dataset of the re-simulation.
    """
    # imported here: the LP part of the package does not need the numba kernels
    from nzv_energy.dispatch import compute_kpis, simulate

    sized_inputs = dataclasses.replace(inputs, scenario=sized)
    capacities = fixed_capacities(sized)
    ds = simulate(sized_inputs, capacities)
    kpis = compute_kpis(ds, sized_inputs, capacities)
    table = kpis[list(RESIM_COLUMNS)].copy()
    table.index = table.index.astype(str)
    if "firm_shortfall_mw" in ds:  # a firm commitment: what the rules miss of it
        short = ds["firm_shortfall_mw"].to_series()
        year = pd.DatetimeIndex(short.index).year.astype(str)
        table["firm_energy_short_mwh"] = short.groupby(year).sum().reindex(table.index)
        table["firm_hours_short_h"] = (short > 0.0).astype(float).groupby(year).sum().reindex(
            table.index)
    if "unserved_heat_mw" in ds and "heat_demand_mw" in ds:  # district heat: share met per year
        demand = ds["heat_demand_mw"].sum("site").to_series()
        unserved = ds["unserved_heat_mw"].sum("site").to_series()
        year = pd.DatetimeIndex(demand.index).year.astype(str)
        d, u = demand.groupby(year).sum(), unserved.groupby(year).sum()
        table["heat_demand_met_share"] = ((d - u) / d.where(d > 0)).reindex(table.index)
        table["heat_demand_mwh"] = d.reindex(table.index)
        table["unserved_heat_mwh"] = u.reindex(table.index)
    summary = pd.DataFrame(
        [
            {c: p90(table[c].to_numpy(), c in LOWER_IS_BETTER) for c in table.columns},
            {c: float(table[c].mean()) for c in table.columns},
        ],
        index=["P90", "mean"],
    )
    out = pd.concat([table, summary])
    out.index.name = "weather_year"
    return out, ds
