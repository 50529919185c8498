"""Hour by hour and month by month: the emissions attributed to the hydrogen.

The yearly figures are the KPIs of :func:`nzv_energy.dispatch.kpis.carbon_totals`;
this module keeps the same attribution per hour, for the monthly intensity
figure and for naming the months and hours that drive a re-simulated system
above a carbon limit (:mod:`nzv_energy.sizing.verify`).  Attribution (as in
``docs/carbon_intensity.md``): each site-hour's emissions, grid imports at the
hour's grid intensity and natural gas at its combustion factor, are shared
among the site's electricity consumers in proportion to their use: the
electrolyser (input including standby) and the local load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.grid_carbon import g_per_mj_from_kg_per_kg
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

__all__ = ["HourlyCarbon", "hourly_hydrogen_co2_t", "monthly_hydrogen_intensity"]


@dataclass(frozen=True)
class HourlyCarbon:
    """What the carbon figures need beside a dispatch dataset.

    Attributes
    ----------
    grid_g_per_kwh
        Grid intensity on the dataset's hours, g CO2e/kWh (NaN allowed in
        hours without imports).
    natural_gas_co2_t_per_mwh
        Combustion factor of natural gas, t CO2/MWh_th.
    import_threshold_g_per_kwh
        Grid intensity at or below which the rules buy power
        (``operation.import_carbon_threshold_g_per_kwh``); ``None``: no such policy.
    """

    grid_g_per_kwh: np.ndarray
    natural_gas_co2_t_per_mwh: float
    import_threshold_g_per_kwh: float | None = None


def _site_hours(ds: xr.Dataset, name: str) -> np.ndarray:
    return np.asarray(ds[name].transpose("time", "site").values, dtype=np.float64)


def hourly_hydrogen_co2_t(ds: xr.Dataset, carbon: HourlyCarbon) -> pd.DataFrame:
    """Emissions per hour (all sites), t CO2e: of the grid imports and attributed to hydrogen.

    Parameters
    ----------
    ds
        Hourly dispatch in the results schema (``dispatch.nc``).
    carbon
        Grid intensity on the dataset's hours and the natural gas factor.

    Returns
    -------
    pandas.DataFrame
        Index ``time``; columns ``grid_import_co2_t``, ``hydrogen_co2_t``,
        ``hydrogen_output_kg``.
    """
    ci = np.asarray(carbon.grid_g_per_kwh, dtype=np.float64)
    time = pd.DatetimeIndex(ds["time"].values)
    if ci.shape != (len(time),):
        raise ValueError(f"grid intensity of shape {ci.shape} for {len(time)} hours")
    imp = _site_hours(ds, "grid_import_mw")
    # MWh x g/kWh = kg; hours without imports count 0 even where the intensity is unknown
    imp_t = np.where(imp > 0.0, imp * ci[:, None], 0.0) / 1000.0
    gas_t = (_site_hours(ds, "gas_backup_fuel_mw") - _site_hours(ds, "gas_backup_hydrogen_fuel_mw")
             ) * carbon.natural_gas_co2_t_per_mwh
    ely = _site_hours(ds, "electrolysis_input_mw")
    use = ely + _site_hours(ds, "local_demand_mw")
    share = np.divide(ely, use, out=np.zeros_like(ely), where=use > 0.0)
    h2_kg = _site_hours(ds, "hydrogen_output_mw").sum(axis=1) * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
    return pd.DataFrame(
        {
            "grid_import_co2_t": imp_t.sum(axis=1),
            "hydrogen_co2_t": ((imp_t + gas_t) * share).sum(axis=1),
            "hydrogen_output_kg": h2_kg,
        },
        index=pd.Index(time, name="time"),
    )


def monthly_hydrogen_intensity(ds: xr.Dataset, carbon: HourlyCarbon) -> pd.DataFrame:
    """Carbon intensity of the hydrogen per month of every weather year.

    Returns
    -------
    pandas.DataFrame
        Index ``(weather_year, month)``; columns ``hydrogen_co2_t``,
        ``hydrogen_output_kg``, ``hydrogen_carbon_intensity_kg_per_kg`` and
        ``hydrogen_carbon_intensity_g_per_mj`` (NaN in a month without hydrogen).
        The intensity of a year is the hydrogen-weighted mean of its months.
    """
    hourly = hourly_hydrogen_co2_t(ds, carbon)
    time = pd.DatetimeIndex(hourly.index)
    sums = hourly[["hydrogen_co2_t", "hydrogen_output_kg"]].groupby(
        [time.year.rename("weather_year"), time.month.rename("month")]
    ).sum()
    kg = sums["hydrogen_output_kg"].to_numpy()
    kg_per_kg = np.divide(sums["hydrogen_co2_t"].to_numpy() * 1000.0, kg,
                          out=np.full(len(kg), np.nan), where=kg > 0.0)
    sums["hydrogen_carbon_intensity_kg_per_kg"] = kg_per_kg
    sums["hydrogen_carbon_intensity_g_per_mj"] = np.asarray(g_per_mj_from_kg_per_kg(kg_per_kg))
    return sums
