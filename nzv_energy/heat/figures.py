"""Figures of district heat: a winter week of heat dispatch, heat duration curves, store level.

Drawn like the other figures of a results folder (:mod:`nzv_energy.report.figures`:
same style, no pyplot, fixed metadata, so the same data give the same files).
The dataset holds the heat variables of
:data:`nzv_energy.heat.simulate.HEAT_VARIABLES` over ``time``, with a ``site``
dimension (``dispatch.nc``) or for one site (the year bridge, site in
``attrs["site"]``).

File stems written by :func:`draw_heat_figures`:

``heat_dispatch_winter_<site>``
    Heat supply by source, stacked, for seven days from 15 January of the
    first weather year; store charging below zero; the heat demand as a line;
    the store level on a second axis.
``heat_duration_<site>``
    Heat demand sorted from the highest hour down, and the supply of those same
    hours stacked by source (a load-duration curve with its dispatch).
``thermal_storage``
    Store level of every site with a store over the whole period, capacity dashed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from nzv_energy.report.figures import (
    _THOUSANDS,
    DPI,
    _date_axis,
    _safe_name,
    _stack_steps,
    _style,
    _with_gaps,
    _year_count,
    default_display_name,
    duration_curve,
    save_figures,
    site_names,
    week_slice,
    zero_axis,
)

#: Figure sizes in inches by kind.
HEAT_FIGURE_SIZES_IN: dict[str, tuple[float, float]] = {
    "heat_dispatch": (13.0, 5.5),
    "heat_duration": (12.0, 5.5),
    "thermal_storage": (12.0, 5.0),
}

#: Heat supply drawn above zero: variable(s) summed less subtracted, label, colour.
HEAT_SUPPLY: tuple[tuple[tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (("heat_from_waste_heat_mw",), (), "Electrolyser waste heat", "#1a9e77"),
    (("chp_heat_mw",), ("heat_dumped_mw",), "CHP", "#d95f02"),
    (("heat_pump_heat_mw",), (), "Heat pump", "#1f78b4"),
    (("electric_boiler_heat_mw",), (), "Electric boiler", "#f2b701"),
    (("gas_boiler_heat_mw",), (), "Peak gas boiler", "#e8837a"),
    (("thermal_storage_discharge_mw",), (), "Store discharge", "#9edae5"),
    (("unserved_heat_mw",), (), "Unserved heat", "#d62728"),
)
#: Store charging, drawn below zero.
STORE_CHARGE = ("thermal_storage_charge_mw", "Store charge", "#6a51a3")
DEMAND_COLOUR = "#111111"
LEVEL_COLOUR = "#5b5b5b"


def _values(ds: xr.Dataset, name: str, site: str | None) -> np.ndarray:
    if name not in ds:
        return np.zeros(ds.sizes["time"])
    da = ds[name]
    if "site" in da.dims:
        da = da.sel(site=site)
    return np.nan_to_num(da.to_numpy().astype(np.float64))


def supply_layers(ds: xr.Dataset, site: str | None) -> list[tuple[str, str, np.ndarray]]:
    """The hourly heat supply of a site by source (label, colour, MW_th), in stacking order."""
    return [
        (label, colour,
         sum((_values(ds, v, site) for v in plus), np.zeros(ds.sizes["time"]))
         - sum((_values(ds, v, site) for v in minus), np.zeros(ds.sizes["time"])))
        for plus, minus, label, colour in HEAT_SUPPLY
    ]


def heat_sites(ds: xr.Dataset) -> list[str | None]:
    """Sites with heat demand (``None`` for a dataset of one site without a ``site`` dim)."""
    if "site" not in ds["heat_demand_mw"].dims:
        return [None]
    demand = ds["heat_demand_mw"].sum("time")
    return [str(s) for s in ds["site"].values if float(demand.sel(site=s)) > 0.0]


def _name(ds: xr.Dataset, site: str | None) -> str:
    if site is None:
        return default_display_name(str(ds.attrs.get("site", "site")))
    return site_names(ds).get(site, default_display_name(site))


def _figure(kind: str) -> Figure:
    return Figure(figsize=HEAT_FIGURE_SIZES_IN[kind], dpi=DPI, layout="constrained")


def heat_dispatch_figure(ds: xr.Dataset, site: str | None, window: slice) -> Figure:
    """Heat supply by source of the hours ``window``, demand line, store level (right axis)."""
    time = pd.DatetimeIndex(ds["time"].values[window])
    step = time[1] - time[0] if len(time) > 1 else pd.Timedelta(hours=1)
    x = np.append(time.to_numpy(), (time[-1] + step).to_datetime64())
    sub = ds.isel(time=window)
    fig = _figure("heat_dispatch")
    ax = fig.add_subplot()
    _stack_steps(ax, x, supply_layers(sub, site), 1.0)
    charge = _values(sub, STORE_CHARGE[0], site)
    _stack_steps(ax, x, [(STORE_CHARGE[1], STORE_CHARGE[2], charge)], -1.0)
    demand = _values(sub, "heat_demand_mw", site)
    ax.step(x, np.append(demand, demand[-1]), where="post", color=DEMAND_COLOUR, linewidth=1.2,
            label="Heat demand")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("Heat (MW_th)\nsupply above zero, store charge below")
    ax.set_xlabel("Time (UTC)")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    level = _values(sub, "thermal_storage_mwh", site)
    year_top = float(np.max(_values(ds, "thermal_storage_mwh", site), initial=0.0))
    if year_top > 0.0:
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.grid(False)
        (line,) = ax2.plot(time.to_numpy() + step, level, color=LEVEL_COLOUR, linewidth=1.0,
                           linestyle="--", label="Store level, end of hour (right axis)")
        ax2.set_ylabel("Store level (MWh_th)")
        # the highest level of the whole period: a week with the store nearly empty reads so
        ax2.set_ylim(0.0, 1.05 * year_top)
        ax2.yaxis.set_major_formatter(_THOUSANDS)
        handles.append(line)
        labels.append(line.get_label())
    ax.set_title(f"Hourly heat dispatch at {_name(ds, site)}, winter week "
                 f"{time[0]:%d %b} to {time[-1]:%d %b %Y}")
    fig.legend(handles, labels, loc="outside right upper", title="Heat supply / use")
    return fig


def heat_duration_figure(ds: xr.Dataset, site: str | None) -> Figure:
    """Heat demand sorted (descending) and the supply of the same hours stacked by source."""
    time = pd.DatetimeIndex(ds["time"].values)
    n_years = _year_count(time)
    demand = _values(ds, "heat_demand_mw", site)
    order = np.argsort(-demand, kind="stable")
    hours = (np.arange(demand.size) + 1) / n_years
    fig = _figure("heat_duration")
    ax = fig.add_subplot()
    base = np.zeros(demand.size)
    for label, colour, values in supply_layers(ds, site):
        if not np.any(values > 1e-9):
            continue
        top = base + values[order]
        ax.fill_between(hours, base, top, color=colour, label=label, linewidth=0, alpha=0.95)
        base = top
    ax.plot(*duration_curve(demand, n_years), color=DEMAND_COLOUR, linewidth=1.3,
            label="Heat demand, sorted")
    ax.set_xlim(0, max(demand.size / n_years, 1.0))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Heat (MW_th)")
    ax.set_xlabel("Hours per year, sorted by heat demand (h/a)")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_title(f"Heat duration curve at {_name(ds, site)}: demand and supply by source "
                 "in the same hours")
    fig.legend(loc="outside right upper", title="Heat supply")
    return fig


def thermal_storage_figure(
    ds: xr.Dataset, capacities_mwh: Mapping[str, float] | None = None
) -> Figure:
    """Store level of every site with a store over the whole period; capacity dashed."""
    time = pd.DatetimeIndex(ds["time"].values)
    fig = _figure("thermal_storage")
    ax = fig.add_subplot()
    colours = mpl.colormaps["tab10"]
    drawn = False
    for i, site in enumerate(heat_sites(ds)):
        level = _values(ds, "thermal_storage_mwh", site)
        key = str(ds.attrs.get("site", "")) if site is None else site
        cap = float((capacities_mwh or {}).get(key, 0.0))
        if cap <= 0.0 and not np.any(level > 0.0):
            continue
        name = _name(ds, site)
        ax.plot(*_with_gaps(time, level), color=colours(i % 10), linewidth=1.0,
                label=f"{name} level")
        if cap > 0.0:
            ax.axhline(cap, color=colours(i % 10), linestyle="--", linewidth=0.9,
                       label=f"{name} capacity")
        drawn = True
    if drawn:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_THOUSANDS)
    else:
        zero_axis(ax, np.zeros(1), "no thermal store at any site")
    ax.set_ylabel("Thermal store level (MWh_th)")
    ax.set_xlabel("Time (UTC)")
    _date_axis(ax)
    ax.set_title("Thermal store level per site (end of hour)")
    if drawn:
        fig.legend(loc="outside right upper")
    return fig


def build_heat_figures(
    ds: xr.Dataset, capacities_mwh: Mapping[str, float] | None = None
) -> dict[str, Figure]:
    """The heat figures of a dataset (file stem -> Figure), not yet written."""
    time = pd.DatetimeIndex(ds["time"].values)
    out: dict[str, Figure] = {}
    if time.size == 0:
        return out
    with _style():
        window = week_slice(time, int(time[0].year), 1)
        for site in heat_sites(ds):
            stem = _safe_name(ds.attrs.get("site", "site") if site is None else site)
            if window is not None:
                out[f"heat_dispatch_winter_{stem}"] = heat_dispatch_figure(ds, site, window)
            out[f"heat_duration_{stem}"] = heat_duration_figure(ds, site)
        out["thermal_storage"] = thermal_storage_figure(ds, capacities_mwh)
    return out


def draw_heat_figures(
    ds: xr.Dataset,
    out_dir: Path,
    formats: Sequence[str] = ("png", "svg"),
    capacities_mwh: Mapping[str, float] | None = None,
) -> list[Path]:
    """Draw the heat figures into ``out_dir`` (stems in the module docstring).

    Parameters
    ----------
    ds
        Hourly heat variables, with or without a ``site`` dimension.
    out_dir
        Folder, created if missing.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    capacities_mwh
        Thermal store capacity per site, MWh_th (dashed line); default none drawn.

    Returns
    -------
    list of pathlib.Path
        The written files.
    """
    return save_figures(build_heat_figures(ds, capacities_mwh), out_dir, formats)
