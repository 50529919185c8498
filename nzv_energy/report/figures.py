"""Figures of a results folder: dispatch weeks, storage, duration curves, costs, balances.

Every figure is built on a :class:`matplotlib.figure.Figure` without pyplot (no
global figure registry, no interactive backend) and saved with fixed metadata,
so the same results give byte-identical SVG and PNG files.

File stems written by :func:`draw_all` (one file per stem and format):

``dispatch_winter_<site>``, ``dispatch_summer_<site>``
    Hourly supply (above zero) and use (below zero) of each site for seven
    days from 15 January and 15 July of the first weather year, with the
    day-ahead price on a second axis.
``hydrogen_storage``
    Hydrogen storage level of each site that has storage over the whole
    period, and unserved hydrogen per day (bars) if there is any.
``duration_curves``
    Residual load of all sites and electrolyser load factor per site, sorted;
    legends below the panels, off the curves.
``capacities``
    Installed capacity per technology, stacked by site (MW and MWh panels).
``lcoh_breakdown``
    Levelised cost of hydrogen by cost component (one bar per weather year if
    given per year), export revenue below zero, total marked.
``monthly_energy_balance``
    Monthly electricity generation by source against use by sink, all sites.
``hydrogen_carbon_monthly``, ``electrolysis_vs_grid_carbon``
    Only with the grid intensity given (``carbon``, a run with
    ``operation.grid_import`` on): the hydrogen's carbon intensity per month
    and weather year against the EU threshold of 28.2 g CO2e/MJ, and the
    hours of electrolyser load against the grid intensity (hexagonal bins).
``weather_year_kpis``
    Key figures per weather year (whichever of the known columns exist); the
    share of hydrogen demand met as points on a zoomed percent axis
    (:func:`share_points`), so a shortfall of 0.05 % stays visible.

:func:`draw_comparison` writes ``compare_capacities``, ``compare_lcoh``,
``compare_emissions`` and ``compare_hydrogen`` (share of demand met and
unserved hydrogen per run).

Numbers written on figures follow :mod:`nzv_energy.report.formatting`; colours of
technologies and flows come from :mod:`nzv_energy.carriers`; sites are named by their
``display_name`` in the scenario (:func:`site_names`); a panel whose values are all
zero gets an axis from 0 with one tick (:func:`zero_axis`), never a ±0.05 axis of
"-0" ticks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
import yaml
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from nzv_energy.carriers import CARRIERS
from nzv_energy.grid_carbon import EU_THRESHOLD_G_PER_MJ
from nzv_energy.hydrogen_carbon import HourlyCarbon, monthly_hydrogen_intensity
from nzv_energy.report.formatting import format_mwh, format_share

log = logging.getLogger(__name__)

#: Resolution of raster output, dots per inch.
DPI = 150

#: Figure sizes in inches (width, height) by file stem (dispatch figures share one size).
FIGURE_SIZES_IN: dict[str, tuple[float, float]] = {
    "dispatch": (13.0, 5.5),
    "hydrogen_storage": (12.0, 5.0),
    "duration_curves": (12.0, 5.6),
    "capacities": (12.0, 5.0),
    "lcoh_breakdown": (9.0, 5.5),
    "monthly_energy_balance": (13.0, 5.5),
    "weather_year_kpis": (12.0, 6.5),
    "compare_capacities": (12.0, 5.0),
    "compare_lcoh": (8.0, 5.0),
    "compare_emissions": (8.0, 5.0),
    "compare_hydrogen": (12.0, 4.8),
    "hydrogen_carbon_monthly": (12.0, 5.0),
    "electrolysis_vs_grid_carbon": (12.0, 5.0),
}

#: Output formats and the metadata that keeps each file free of dates and versions.
_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

_STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    # reproducible files: fixed id salt, glyphs as paths, no embedded dates
    "svg.hashsalt": "nzv-energy",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "path.simplify": True,
}

def _colour(carrier: str) -> str:
    return CARRIERS[carrier].color


#: Electricity sources (above zero) and sinks (below zero): variable, label, colour
#: (colours from :data:`nzv_energy.carriers.CARRIERS`).
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("wind_mw", "Wind", _colour("wind")),
    ("pv_mw", "PV", _colour("solar")),
    ("battery_discharge_mw", "Battery discharge", _colour("battery")),
    ("grid_import_mw", "Grid import", _colour("grid")),
    ("gas_backup_mw", "Gas backup", _colour("gas backup")),
    ("chp_electric_mw", "District-heat CHP", _colour("chp")),
)
SINKS: tuple[tuple[str, str, str], ...] = (
    ("local_demand_mw", "Local demand", _colour("local demand")),
    ("electrolysis_input_mw", "Electrolysis", _colour("electrolysis")),
    ("battery_charge_mw", "Battery charge", _colour("battery charge")),
    # the district heat's electricity (absent without heat: no layer then)
    ("heat_pump_electricity_mw", "Heat pumps", _colour("heat pump")),
    ("booster_electricity_mw", "Waste-heat boosters", _colour("waste heat booster")),
    ("electric_boiler_electricity_mw", "Electric boilers", _colour("electric boiler")),
    ("grid_export_mw", "Grid export", _colour("grid export")),
    ("curtailment_mw", "Curtailment", _colour("curtailment")),
)

#: Capacity columns: label and colour (MW and MWh columns are drawn in separate panels).
TECHNOLOGIES: dict[str, tuple[str, str]] = {
    "wind_mw": ("Wind", _colour("wind")),
    "pv_mw": ("PV", _colour("solar")),
    "battery_mw": ("Battery", _colour("battery")),
    "electrolysis_mw": ("Electrolysis", _colour("electrolysis")),
    "gas_backup_mw": ("Gas backup", _colour("gas backup")),
    "pipeline_mw": ("H2 pipeline", _colour("pipeline")),
    "grid_connection_mw": ("Grid connection", _colour("grid")),
    "battery_mwh": ("Battery", _colour("battery")),
    "hydrogen_storage_mwh": ("H2 storage", _colour("hydrogen storage")),
}

#: LCOH components: label and colour (``capex_<name>`` is drawn as "<label> capital" in the
#: colour of ``<name>``); unknown components get a grey shade.  No two components share
#: a colour (:data:`nzv_energy.carriers.MIN_COLOUR_DISTANCE`).
LCOH_COMPONENTS: dict[str, tuple[str, str]] = {
    "wind": ("Wind", _colour("wind")),
    "pv": ("PV", _colour("solar")),
    "battery": ("Battery", _colour("battery")),
    "electrolysis": ("Electrolysis", _colour("electrolysis")),
    "stack_replacement": ("Stack replacement", _colour("stack replacement")),
    "hydrogen_storage": ("H2 storage", _colour("hydrogen storage")),
    "pipeline": ("H2 pipeline", _colour("pipeline")),
    "gas_backup": ("Gas backup", _colour("gas backup")),
    "fixed_om": ("Fixed O&M", _colour("fixed O&M")),
    "variable_om": ("Variable O&M", _colour("variable O&M")),
    "fuel": ("Fuel", _colour("natural gas")),
    "natural_gas": ("Natural gas", _colour("natural gas")),
    "co2": ("CO2 price", _colour("co2")),
    "grid_import": ("Grid import", _colour("grid")),
    "grid_export_revenue": ("Grid export revenue", _colour("grid export")),
}

#: KPI columns drawn per weather year (those present): label, scale factor, unit as drawn.
KPIS: dict[str, tuple[str, float, str]] = {
    "hydrogen_delivered_mwh": ("Hydrogen delivered", 1e-3, "GWh_H2"),
    "demand_met_share": ("Hydrogen demand met", 100.0, "%"),
    "lcoh_eur_per_kg": ("LCOH", 1.0, "EUR/kg"),
    "lcoh_chain_eur_per_kg": ("Hydrogen-chain LCOH", 1.0, "EUR/kg"),
    "system_net_cost_per_kg_h2_eur_per_kg": ("System net cost per kg H2", 1.0, "EUR/kg"),
    "co2_t": ("CO2 emissions", 1e-3, "kt CO2"),
    "co2_emissions_t": ("CO2 emissions", 1e-3, "kt CO2"),
    "curtailment_share": ("Curtailment", 100.0, "% of renewables"),
    "rfnbo_share": ("RFNBO share of hydrogen", 100.0, "%"),
    "electrolysis_full_load_hours_h": ("Electrolyser full-load hours", 1.0, "h"),
    "unserved_hydrogen_mwh": ("Unserved hydrogen", 1.0, "MWh_H2"),
}

#: Share columns drawn as points on a zoomed percent axis (a bar from 0 hides a shortfall).
ZOOMED_SHARES = ("demand_met_share",)

#: Smallest span of a zoomed percent axis, percentage points.
MIN_SHARE_SPAN_PCT = 0.05

#: Cost-per-kg columns drawn in ``compare_lcoh`` (first present is used) and their names.
PER_KG_COLUMNS: dict[str, str] = {
    "lcoh_chain_eur_per_kg": "Hydrogen-chain LCOH",
    "lcoh_eur_per_kg": "Levelised cost of hydrogen",
    "system_net_cost_per_kg_h2_eur_per_kg": "System net cost per kg H2",
}

#: Column names accepted for CO2 emissions, tonnes (first present is used).
CO2_COLUMNS = ("co2_t", "co2_emissions_t")

_EPS = 1e-9


def _fmt_number(value: float) -> str:
    """Short label for a bar value: no decimals from 100 on, two below 10."""
    size = abs(value)
    return f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}"

def _no_minus_zero(text: str) -> str:
    """``-0``, ``−0.0`` ... read ``0`` (a value that rounds to zero has no sign)."""
    return text[1:] if text[:1] in ("-", "\u2212") and not text.strip("-\u22120.,") else text


_THOUSANDS = FuncFormatter(lambda x, _pos: _no_minus_zero(f"{x:,.0f}"))


def zero_axis(ax: Axes, values: np.ndarray, note: str = "0 in every case") -> bool:
    """Give an axis of values that are all zero (or missing) a 0 .. 1 range and a note.

    Autoscaling a flat zero line gives an axis of -0.05 .. 0.05 whose ticks all
    read 0 (or -0); a quantity that is zero gets the range from 0 and one tick.

    Returns
    -------
    bool
        True when every finite value is zero (and the axis was set).
    """
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size and np.any(np.abs(finite) > _EPS):
        return False
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_locator(FixedLocator([0.0]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda _x, _pos: "0"))
    ax.text(0.5, 0.55, note, transform=ax.transAxes, ha="center", va="center", color="0.35")
    return True


def site_names(ds: xr.Dataset) -> dict[str, str]:
    """Display name of each site of a results dataset.

    A site's ``display_name`` in the scenario (read from the dataset's
    ``scenario_yaml`` attribute) if given, else its key with spaces and
    capitals (``schwarze_pumpe`` -> ``Schwarze Pumpe``).
    """
    given: dict[str, str] = {}
    text = ds.attrs.get("scenario_yaml")
    if isinstance(text, str) and text:
        try:
            sites = (yaml.safe_load(text) or {}).get("sites") or {}
        except yaml.YAMLError:
            sites = {}
        if isinstance(sites, dict):
            given = {
                str(k): str(v["display_name"]) for k, v in sites.items()
                if isinstance(v, dict) and v.get("display_name")
            }
    keys = [str(s) for s in ds["site"].values] if "site" in ds.coords else list(given)
    return {k: given.get(k, default_display_name(k)) for k in keys}


def default_display_name(key: str) -> str:
    """A site key as a name: ``schwarze_pumpe`` -> ``Schwarze Pumpe``."""
    return " ".join(w[:1].upper() + w[1:] for w in str(key).replace("-", "_").split("_") if w)


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        yield


def _new_figure(size_key: str) -> Figure:
    return Figure(figsize=FIGURE_SIZES_IN[size_key], dpi=DPI, layout="constrained")


def _safe_name(text: str) -> str:
    """File-name-safe version of a site name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_") or "site"


def _date_axis(ax: Axes) -> None:
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _site_values(ds: xr.Dataset, name: str, site: str | None = None) -> np.ndarray:
    """Hourly values of a variable (one site, or the sum over sites); zeros if absent."""
    if name not in ds:
        return np.zeros(ds.sizes["time"])
    da = ds[name]
    if "site" in da.dims:
        da = da.sel(site=site) if site is not None else da.sum("site")
    return np.nan_to_num(np.asarray(da.values, dtype=np.float64))


def _with_gaps(time: pd.DatetimeIndex, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN where the time axis jumps (non-consecutive weather years) to break lines."""
    t = time.to_numpy()
    if t.size < 2:
        return t, values
    step = np.median(np.diff(t))
    gaps = np.flatnonzero(np.diff(t) > step) + 1
    if gaps.size == 0:
        return t, values
    t_out = np.insert(t, gaps, t[gaps - 1] + step)
    v_out = np.insert(values.astype(np.float64), gaps, np.nan)
    return t_out, v_out


def _year_count(time: pd.DatetimeIndex) -> int:
    return max(1, len(np.unique(time.year)))


# --------------------------------------------------------------------------- dispatch


def week_slice(time: pd.DatetimeIndex, year: int, month: int, days: int = 7) -> slice | None:
    """Index range of the dispatch week shown for one month.

    The week starts at 15 ``month`` 00:00 of ``year``; if the data end earlier
    in that month the window is moved back so it stays inside the month.

    Parameters
    ----------
    time
        Hourly time stamps.
    year, month
        Calendar year and month of the week.
    days
        Length of the window in days.

    Returns
    -------
    slice or None
        Positions in ``time``, or ``None`` if the data hold no hour of that month.
    """
    in_month = np.flatnonzero((time.year == year) & (time.month == month))
    if in_month.size == 0:
        return None
    n_hours = days * 24
    first, last = int(in_month[0]), int(in_month[-1])
    start = int(np.searchsorted(time.to_numpy(), np.datetime64(f"{year}-{month:02d}-15")))
    start = min(max(start, first), max(first, last + 1 - n_hours))
    return slice(start, min(start + n_hours, last + 1))


def _stack_steps(
    ax: Axes, x: np.ndarray, layers: Sequence[tuple[str, str, np.ndarray]], sign: float
) -> None:
    """Stacked hourly steps above (``sign=1``) or below (``sign=-1``) zero."""
    base = np.zeros(x.size)
    for label, colour, values in layers:
        if not np.any(values > _EPS):
            continue
        values = np.append(values, values[-1])  # the last hour needs its right edge
        top = base + sign * values
        ax.fill_between(
            x, base, top, step="post", color=colour, label=label, linewidth=0, alpha=0.95
        )
        base = top


def _dispatch_figure(
    ds: xr.Dataset, site: str, window: slice, season: str, name: str | None = None
) -> Figure:
    time = pd.DatetimeIndex(ds["time"].values[window])
    step = time[1] - time[0] if len(time) > 1 else pd.Timedelta(hours=1)
    x = np.append(time.to_numpy(), (time[-1] + step).to_datetime64())
    sub = ds.isel(time=window)
    fig = _new_figure("dispatch")
    ax = fig.add_subplot()
    sources = [(lbl, col, _site_values(sub, var, site)) for var, lbl, col in SOURCES]
    sinks = [(lbl, col, _site_values(sub, var, site)) for var, lbl, col in SINKS]
    _stack_steps(ax, x, sources, 1.0)
    _stack_steps(ax, x, sinks, -1.0)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("Electric power (MW)\nsupply above zero, use below zero")
    ax.set_xlabel("Time (UTC)")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    price = _site_values(sub, "price_eur_per_mwh")
    if "price_eur_per_mwh" in sub and np.any(price != 0):
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.grid(False)
        (line,) = ax2.step(
            x, np.append(price, price[-1]), where="post", color="#111111", linewidth=0.9,
            alpha=0.85,
        )
        line.set_label("Day-ahead price (right axis)")
        ax2.set_ylabel("Day-ahead price (EUR/MWh)")
        handles.append(line)
        labels.append(line.get_label())
    first, last = time[0], time[-1]
    ax.set_title(
        f"Hourly electricity dispatch at {name or site}, {season} week "
        f"{first:%d %b} to {last:%d %b %Y}"
    )
    fig.legend(handles, labels, loc="outside right upper", title="Supply / use")
    return fig


def dispatch_figures(ds: xr.Dataset) -> dict[str, Figure]:
    """Winter and summer dispatch weeks of the first weather year, per site."""
    time = pd.DatetimeIndex(ds["time"].values)
    if time.size == 0:
        return {}
    year = int(time[0].year)
    names = site_names(ds)
    out = {}
    for season, month in (("winter", 1), ("summer", 7)):
        window = week_slice(time, year, month)
        if window is None:
            log.info("no %s week in the data (no hours of month %d of %d)", season, month, year)
            continue
        for site in ds["site"].values:
            stem = f"dispatch_{season}_{_safe_name(site)}"
            out[stem] = _dispatch_figure(ds, str(site), window, season, names[str(site)])
    return out


# --------------------------------------------------------------------------- hydrogen


def hydrogen_storage_figure(ds: xr.Dataset, capacities: pd.DataFrame | None = None) -> Figure:
    """Hydrogen storage level per site, and unserved hydrogen if any."""
    time = pd.DatetimeIndex(ds["time"].values)
    unserved = _site_values(ds, "unserved_hydrogen_mw")
    has_unserved = bool(np.any(unserved > _EPS))
    fig = _new_figure("hydrogen_storage")
    if has_unserved:
        ax, ax_u = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    else:
        ax, ax_u = fig.add_subplot(), None
    colours = mpl.colormaps["tab10"]
    names = site_names(ds)
    drawn = False
    for i, site in enumerate(ds["site"].values):
        colour = colours(i % 10)
        level = _site_values(ds, "hydrogen_storage_mwh", str(site))
        cap = _capacity(capacities, str(site), "hydrogen_storage_mwh")
        if cap <= 0 and not np.any(level > _EPS):
            continue  # a site without storage has no line and no legend entry
        name = names[str(site)]
        ax.plot(*_with_gaps(time, level), color=colour, linewidth=1.0, label=f"{name} level")
        if cap > 0:
            ax.axhline(cap, color=colour, linestyle="--", linewidth=0.9, label=f"{name} capacity")
        drawn = True
    if not drawn:
        zero_axis(ax, np.zeros(1), "no hydrogen storage at any site")
    ax.set_ylabel("Hydrogen storage level (MWh_H2)")
    if drawn:
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_ylim(bottom=0)
    ax.set_title(
        "Hydrogen storage level per site (LHV, end of hour)"
        + ("" if has_unserved else "; all hydrogen demand served")
    )
    if ax_u is not None:
        # daily sums: hourly spikes a year wide are hairlines, a day's bar is visible
        daily = unserved_per_day(time, unserved)
        ax_u.bar(
            daily.index, daily.to_numpy(), width=1.0, align="edge",
            color=CARRIERS["unserved hydrogen"].color, linewidth=0,
            label="Unserved hydrogen per day",
        )
        ax_u.set_ylabel("Unserved\n(MWh_H2 per day)")
        ax_u.yaxis.set_major_formatter(_THOUSANDS)
        ax_u.set_ylim(bottom=0)
        total_mwh = float(unserved.sum())
        ax_u.set_title(
            f"Unserved hydrogen demand: {format_mwh(total_mwh)} MWh_H2 in total "
            f"on {int((daily > _EPS).sum())} days"
        )
        ax_u.set_xlabel("Time (UTC)")
        _date_axis(ax_u)
    else:
        ax.set_xlabel("Time (UTC)")
        _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    if ax_u is not None:
        extra = ax_u.get_legend_handles_labels()
        handles, labels = handles + extra[0], labels + extra[1]
    fig.legend(handles, labels, loc="outside right upper")
    return fig


def unserved_per_day(time: pd.DatetimeIndex, unserved_mw: np.ndarray) -> pd.Series:
    """Unserved hydrogen per calendar day, MWh (hourly MW summed; days without data left out).

    Parameters
    ----------
    time
        Hourly time stamps.
    unserved_mw
        Unserved hydrogen of each hour, MW (all sites).

    Returns
    -------
    pandas.Series
        Index: the days' midnights; values: MWh_H2 per day.
    """
    series = pd.Series(np.asarray(unserved_mw, dtype=np.float64), index=time)
    return series.groupby(time.floor("D")).sum()


def _capacity(capacities: pd.DataFrame | None, site: str, column: str) -> float:
    if capacities is None or column not in capacities.columns or site not in capacities.index:
        return 0.0
    value = pd.to_numeric(capacities.at[site, column], errors="coerce")
    return float(value) if np.isfinite(value) else 0.0


#: Legend under an axes, outside the data (constrained layout makes room for it).
_LEGEND_BELOW: dict[str, Any] = {
    "loc": "upper center", "bbox_to_anchor": (0.5, -0.17), "ncol": 2, "frameon": False,
}

#: Points drawn per duration curve (a sorted curve loses nothing visible when thinned).
DURATION_POINTS = 2000


def duration_curve(values: np.ndarray, n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """Values sorted descending against hours per year, thinned to :data:`DURATION_POINTS`.

    Parameters
    ----------
    values
        Hourly values over ``n_years`` weather years.
    n_years
        Number of weather years the values span (the x axis is hours per year).

    Returns
    -------
    hours, sorted_values
        The first and last hour are always kept, so the extremes are exact.
    """
    curve = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    keep = np.unique(np.linspace(0, curve.size - 1, min(curve.size, DURATION_POINTS)).round())
    keep = keep.astype(np.intp)
    return (keep + 1) / n_years, curve[keep]


def duration_curves_figure(ds: xr.Dataset, capacities: pd.DataFrame | None = None) -> Figure:
    """Residual-load duration curve (all sites) and electrolyser load-duration curves."""
    time = pd.DatetimeIndex(ds["time"].values)
    n_years = _year_count(time)
    renewables = _site_values(ds, "wind_mw") + _site_values(ds, "pv_mw")
    before_electrolysis = _site_values(ds, "local_demand_mw") - renewables
    residual = before_electrolysis + _site_values(ds, "electrolysis_input_mw")
    fig = _new_figure("duration_curves")
    ax_r, ax_e = fig.subplots(1, 2)
    hours, curve = duration_curve(residual, n_years)
    ax_r.plot(hours, curve, color="#333333", linewidth=1.3, label="residual load")
    ax_r.plot(
        *duration_curve(before_electrolysis, n_years), color="#333333", linewidth=1.0,
        linestyle="--", label="same without electrolysis",
    )
    ax_r.axhline(0.0, color="black", linewidth=0.8)
    ax_r.fill_between(
        hours, 0, curve, where=curve > 0, interpolate=True,
        color="#c0392b", alpha=0.25, linewidth=0, label="shortfall (import, backup, storage)",
    )
    ax_r.fill_between(
        hours, 0, curve, where=curve < 0, interpolate=True,
        color="#1a9e77", alpha=0.25, linewidth=0, label="surplus (export, storage, curtailment)",
    )
    ax_r.set_ylabel("Residual load (MW)")
    ax_r.set_xlabel("Hours per year, sorted (h/a)")
    ax_r.set_title("Residual load: local demand + electrolysis − wind − PV, all sites")
    ax_r.yaxis.set_major_formatter(_THOUSANDS)
    ax_r.xaxis.set_major_formatter(_THOUSANDS)
    x_max = max(time.size / n_years, 1.0)
    ax_r.set_xlim(0, x_max)
    # legends below the panels: inside, they cover the curves' plateaus at either end
    ax_r.legend(**_LEGEND_BELOW)
    colours = mpl.colormaps["tab10"]
    names = site_names(ds)
    drawn = False
    for i, site in enumerate(ds["site"].values):
        cap = _capacity(capacities, str(site), "electrolysis_mw")
        if cap <= 0:
            continue
        lf = _site_values(ds, "electrolysis_input_mw", str(site)) / cap
        flh = float(lf.mean()) * 8760.0
        ax_e.plot(
            *duration_curve(lf * 100.0, n_years), color=colours(i % 10), linewidth=1.3,
            label=f"{names[str(site)]} ({cap:,.0f} MW, {flh:,.0f} full-load h/a)",
        )
        drawn = True
    if drawn:
        ax_e.legend(**{**_LEGEND_BELOW, "ncol": 1})
    else:
        ax_e.text(0.5, 0.5, "no electrolysis capacity", ha="center", transform=ax_e.transAxes)
    ax_e.set_ylim(0, 105)
    ax_e.set_xlim(0, x_max)
    ax_e.yaxis.set_major_formatter(PercentFormatter())
    ax_e.xaxis.set_major_formatter(_THOUSANDS)
    ax_e.set_ylabel("Electrolyser load (% of rated MW)")
    ax_e.set_xlabel("Hours per year, sorted (h/a)")
    ax_e.set_title("Electrolyser load-duration curve per site")
    return fig


# --------------------------------------------------------------------------- capacities


def _split_units(columns: Iterable[str]) -> tuple[list[str], list[str]]:
    cols = [str(c) for c in columns]
    known = [c for c in TECHNOLOGIES if c in cols]
    extra = [c for c in cols if c not in TECHNOLOGIES]
    ordered = known + extra
    mw = [c for c in ordered if c.endswith("_mw")]
    mwh = [c for c in ordered if c.endswith("_mwh")]
    return mw, mwh


def _tech_label(column: str) -> str:
    return TECHNOLOGIES.get(column, (column.rsplit("_", 1)[0].replace("_", " "), ""))[0]


def _annotate_totals(ax: Axes, x: np.ndarray, totals: np.ndarray) -> None:
    top = float(np.nanmax(totals)) if totals.size else 0.0
    for xi, total in zip(x, totals, strict=True):
        ax.annotate(
            f"{total:,.0f}", (xi, total), xytext=(0, 2), textcoords="offset points",
            ha="center", va="bottom", fontsize=8,
        )
    if top > 0:
        ax.set_ylim(0, top * 1.12)


def capacities_figure(
    capacities: pd.DataFrame, names: Mapping[str, str] | None = None
) -> Figure:
    """Installed capacity per technology, stacked by site; MW and MWh in separate panels.

    ``names``: display name per site key (default :func:`default_display_name`).
    """
    data = capacities.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    mw, mwh = _split_units(data.columns)
    fig = _new_figure("capacities")
    panels = [(cols, unit) for cols, unit in ((mw, "MW"), (mwh, "MWh")) if cols]
    if not panels:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no capacities", ha="center", transform=ax.transAxes)
        ax.set_ylabel("Capacity (MW)")
        ax.set_title("Installed capacity per technology")
        return fig
    axes = fig.subplots(1, len(panels), width_ratios=[len(c) for c, _ in panels], squeeze=False)[0]
    colours = mpl.colormaps["tab10"]
    for ax, (cols, unit) in zip(axes, panels, strict=True):
        x = np.arange(len(cols))
        bottom = np.zeros(len(cols))
        for i, site in enumerate(data.index):
            values = data.loc[site, cols].to_numpy(np.float64)
            name = (names or {}).get(str(site)) or default_display_name(str(site))
            ax.bar(x, values, 0.65, bottom=bottom, color=colours(i % 10), label=name)
            bottom += values
        _annotate_totals(ax, x, bottom)
        ax.set_xticks(x, [_tech_label(c) for c in cols])
        ax.set_ylabel(f"Capacity ({unit})" if unit == "MW" else "Energy capacity (MWh)")
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_title("Power capacity per technology" if unit == "MW" else "Storage capacity")
        ax.grid(axis="x", visible=False)
    fig.legend(*axes[0].get_legend_handles_labels(), title="Site", loc="outside right upper")
    fig.suptitle("Installed capacity per technology, stacked by site (total on top)")
    return fig


# --------------------------------------------------------------------------- LCOH


def _component_style(name: str, greys: Iterator[str]) -> tuple[str, str]:
    """Legend label and colour of an LCOH component."""
    if name in LCOH_COMPONENTS:
        return LCOH_COMPONENTS[name]
    base = name.removeprefix("capex_")
    if base != name and base in LCOH_COMPONENTS:
        label, colour = LCOH_COMPONENTS[base]
        return f"{label} capital", colour
    return name.replace("_", " ").capitalize(), next(greys)


def lcoh_breakdown_figure(lcoh_breakdown: pd.Series | pd.DataFrame) -> Figure:
    """Stacked LCOH by component (EUR/kg); one bar per column if a DataFrame."""
    if isinstance(lcoh_breakdown, pd.Series):
        name = lcoh_breakdown.name
        frame = lcoh_breakdown.to_frame(name="all years" if name is None else str(name))
    else:
        frame = lcoh_breakdown.copy()
    frame = frame.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    frame = frame.loc[(frame.abs() > _EPS).any(axis=1)]
    fig = _new_figure("lcoh_breakdown")
    ax = fig.add_subplot()
    x = np.arange(frame.shape[1])
    pos_base = np.zeros(x.size)
    neg_base = np.zeros(x.size)
    greys = iter(["#bdbdbd", "#969696", "#737373", "#d9d9d9", "#525252"] * 10)
    costs: list[tuple[Any, str]] = []  # (legend handle, label)
    revenues: list[tuple[Any, str]] = []
    for component, row in frame.iterrows():
        label, colour = _component_style(str(component), greys)
        values = row.to_numpy(np.float64)
        pos, neg = np.clip(values, 0, None), np.clip(values, None, 0)
        handle = ax.bar(
            x, pos, 0.6, bottom=pos_base, color=colour, edgecolor="white", linewidth=0.5
        )
        if np.any(neg < 0):
            ax.bar(x, neg, 0.6, bottom=neg_base, color=colour, edgecolor="white", linewidth=0.5)
        (costs if values.sum() >= 0 else revenues).append((handle, label))
        pos_base += pos
        neg_base += neg
    total = pos_base + neg_base
    marker = ax.scatter(x, total, marker="D", s=40, color="black", zorder=5)
    for xi, t, top in zip(x, total, pos_base, strict=True):
        ax.annotate(
            f"{t:.2f} EUR/kg", (xi, top), xytext=(0, 4), textcoords="offset points",
            ha="center", va="bottom", fontweight="bold",
        )
    ax.axhline(0.0, color="black", linewidth=0.8)
    span = float(max(pos_base.max(initial=0.0), 1e-6))
    ax.set_ylim(min(neg_base.min(initial=0.0) * 1.15, 0.0), span * 1.15)
    ax.set_xticks(x, [str(c) for c in frame.columns])
    ax.set_xlim(-0.8, x.size - 0.2)
    ax.set_ylabel("Levelised cost of hydrogen (EUR/kg H2)")
    ax.set_xlabel("Weather year" if frame.shape[1] > 1 else "")
    ax.set_title("Levelised cost of hydrogen by component (revenues below zero)")
    ax.grid(axis="x", visible=False)
    # legend from the top of the stack down: costs, then revenues, then the total
    entries = [*costs[::-1], *revenues, (marker, "Total (net)")]
    fig.legend(
        [h for h, _ in entries], [lbl for _, lbl in entries],
        loc="outside right upper", title="Component",
    )
    return fig


# --------------------------------------------------------------------------- balance


def monthly_balance(ds: xr.Dataset) -> pd.DataFrame:
    """Monthly electricity of all sites by source (positive) and sink (negative), GWh.

    Parameters
    ----------
    ds
        Hourly results dataset (:mod:`nzv_energy.schema`); each time step is one hour.

    Returns
    -------
    pandas.DataFrame
        Index: calendar months (``Period``); columns: source and sink labels.
    """
    time = pd.DatetimeIndex(ds["time"].values)
    data = {lbl: _site_values(ds, var) / 1e3 for var, lbl, _ in SOURCES}
    data.update({lbl: -_site_values(ds, var) / 1e3 for var, lbl, _ in SINKS})
    frame = pd.DataFrame(data, index=time)
    return frame.groupby(time.to_period("M")).sum()


def monthly_balance_figure(ds: xr.Dataset) -> Figure:
    """Monthly generation by source against use by sink, all sites, GWh."""
    balance = monthly_balance(ds)
    fig = _new_figure("monthly_energy_balance")
    ax = fig.add_subplot()
    x = np.arange(len(balance))
    colours = {lbl: col for _, lbl, col in (*SOURCES, *SINKS)}
    for sign in (1.0, -1.0):
        base = np.zeros(x.size)
        for label in balance.columns:
            values = balance[label].to_numpy(np.float64)
            if not np.any(sign * values > _EPS):
                continue
            ax.bar(x, values, 0.8, bottom=base, color=colours[label], label=label, linewidth=0)
            base += values
    ax.axhline(0.0, color="black", linewidth=0.8)
    periods = list(balance.index)
    ticks = [
        f"{p.strftime('%b')}\n{p.year}" if (p.month == 1 or i == 0) else p.strftime("%b")
        for i, p in enumerate(periods)
    ]
    step = max(1, len(ticks) // 24 + (len(ticks) % 24 > 0))
    ax.set_xticks(x[::step], ticks[::step])
    ax.set_ylabel("Electricity per month (GWh)\ngeneration above zero, use below zero")
    ax.set_xlabel("Month")
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.grid(axis="x", visible=False)
    ax.set_title("Monthly electricity balance of all sites: generation by source, use by sink")
    fig.legend(loc="outside right upper", title="Source / sink")
    return fig


# --------------------------------------------------------------------------- KPIs


def share_points(
    ax: Axes,
    shares: np.ndarray,
    unserved_mwh: np.ndarray | None = None,
    colours: Sequence[Any] | None = None,
) -> None:
    """Shares as points on a percent axis zoomed to them and 100 %, labelled as in the report.

    A bar from 0 to 99.95 % looks like a full bar; here the axis spans the
    values and 100 % (at least :data:`MIN_SHARE_SPAN_PCT` points), its tick
    labels get as many decimals as the span needs, and every point carries
    its share as :func:`~nzv_energy.report.formatting.format_share` writes it
    (never 100.00 % when something is short), with the unserved MWh if given.

    Parameters
    ----------
    ax
        Axes to draw on; x positions are ``0 .. len(shares) - 1``.
    shares
        Shares as fractions (1 = all).
    unserved_mwh
        Unserved energy beside each share, MWh (optional).
    colours
        Marker colour per point (default one colour).
    """
    shares = np.asarray(shares, dtype=np.float64)
    pct = 100.0 * shares
    x = np.arange(shares.size)
    finite = pct[np.isfinite(pct)]
    lo = float(min(finite.min(initial=100.0), 100.0))
    hi = float(max(finite.max(initial=100.0), 100.0))
    span = max(hi - lo, MIN_SHARE_SPAN_PCT)
    ax.axhline(100.0, color="black", linewidth=0.8, linestyle="--")
    ax.scatter(x, pct, s=36, color=list(colours) if colours is not None else "#3274b8", zorder=3)
    for i, (xi, share, value) in enumerate(zip(x, shares, pct, strict=True)):
        if not np.isfinite(value):
            continue
        text = format_share(share)
        if unserved_mwh is not None and np.isfinite(unserved_mwh[i]):
            text += f"\n{format_mwh(unserved_mwh[i])} MWh unserved"
        ax.annotate(
            text, (xi, value), xytext=(0, -6), textcoords="offset points", ha="center",
            va="top", fontsize=8,
        )
    ax.set_ylim(lo - 0.9 * span, hi + 0.25 * span)
    ax.set_xlim(-0.6, max(shares.size - 0.4, 0.6))
    ax.yaxis.set_major_formatter(share_formatter(100.0))


def share_formatter(xmax: float = 1.0) -> PercentFormatter:
    """Tick labels of a share axis in percent, with as many decimals as the axis span needs.

    ``xmax`` is the value drawn for 100 % (1 for fractions, 100 for percent).
    """
    return PercentFormatter(xmax=xmax, decimals=None, symbol=" %")


def _share_bar_label(value_pct: float) -> str:
    return format_share(value_pct / 100.0)


def weather_year_kpis_figure(kpis: pd.DataFrame) -> Figure | None:
    """One small bar chart per known key figure (:data:`KPIS`), one bar per weather year.

    Returns ``None`` if none of the known columns holds a number.
    """
    numeric = kpis.apply(pd.to_numeric, errors="coerce")
    columns = [c for c in KPIS if c in numeric.columns and numeric[c].notna().any()]
    co2 = [c for c in CO2_COLUMNS if c in columns]
    columns = [c for c in columns if c not in co2[1:]]  # one CO2 panel
    if not columns:
        return None
    n_cols = min(3, len(columns))
    n_rows = -(-len(columns) // n_cols)
    fig = _new_figure("weather_year_kpis")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    x = np.arange(len(numeric))
    names = [str(i) for i in numeric.index]
    for ax, column in zip(axes, columns, strict=False):
        label, scale, unit = KPIS[column]
        values = numeric[column].to_numpy(np.float64) * scale
        if column in ZOOMED_SHARES:
            share_points(ax, values / scale)
        else:
            bars = ax.bar(x, values, 0.6, color="#3274b8")
            fmt = (
                _share_bar_label if column.endswith("_share")
                else format_mwh if unit.startswith("MWh") and scale == 1.0
                else "{:.2f}" if unit == "EUR/kg"
                else _fmt_number
            )
            ax.bar_label(bars, fmt=fmt, fontsize=8, padding=2)
        ax.set_xticks(x, names)
        ax.set_ylabel(f"({unit})")
        ax.set_title(label)
        ax.grid(axis="x", visible=False)
        if column in ZOOMED_SHARES:
            continue
        if zero_axis(ax, values, "0 in every year"):
            continue
        if np.nanmax(np.abs(values), initial=0.0) >= 1000:
            ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.margins(y=0.15)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    axis_name = numeric.index.name or "weather year"
    fig.suptitle(f"Key figures per {str(axis_name).replace('_', ' ')}")
    return fig


# --------------------------------------------------------------------------- comparison


def _grouped_bars(ax: Axes, data: pd.DataFrame, cols: list[str]) -> None:
    """Bars grouped by technology, one bar per run (row of ``data``)."""
    colours = mpl.colormaps["tab10"]
    n_runs = max(1, len(data))
    width = 0.8 / n_runs
    x = np.arange(len(cols))
    for i, run in enumerate(data.index):
        offset = (i - (n_runs - 1) / 2) * width
        ax.bar(x + offset, data.loc[run, cols].to_numpy(np.float64), width,
               color=colours(i % 10), label=str(run))
    ax.set_xticks(x, [_tech_label(c) for c in cols])
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(_THOUSANDS)


def _run_bars(ax: Axes, data: pd.Series, fmt: str | Callable[[float], str]) -> None:
    colours = mpl.colormaps["tab10"]
    x = np.arange(len(data))
    bars = ax.bar(x, data.to_numpy(np.float64), 0.6,
                  color=[colours(i % 10) for i in range(len(data))])
    ax.bar_label(bars, fmt=fmt, padding=2)
    ax.set_xticks(x, [str(i) for i in data.index], rotation=20 if len(data) > 3 else 0,
                  ha="right" if len(data) > 3 else "center")
    ax.set_xlabel("Run")
    ax.grid(axis="x", visible=False)
    ax.margins(y=0.12)


def comparison_figures(table: pd.DataFrame) -> dict[str, Figure]:
    """Capacities, LCOH and CO2 of several runs side by side (what the table holds)."""
    data = table.apply(pd.to_numeric, errors="coerce")
    out: dict[str, Figure] = {}
    mw, mwh = _split_units(c for c in data.columns if c in TECHNOLOGIES)
    panels = [(cols, unit) for cols, unit in ((mw, "MW"), (mwh, "MWh")) if cols]
    if panels:
        fig = _new_figure("compare_capacities")
        axes = fig.subplots(
            1, len(panels), width_ratios=[len(c) for c, _ in panels], squeeze=False
        )[0]
        for ax, (cols, unit) in zip(axes, panels, strict=True):
            _grouped_bars(ax, data[cols].fillna(0.0), cols)
            ax.set_ylabel(f"Capacity, all sites ({unit})")
            ax.set_title("Power capacity" if unit == "MW" else "Storage capacity")
        fig.legend(*axes[0].get_legend_handles_labels(), title="Run", loc="outside right upper")
        fig.suptitle("Installed capacity per technology and run (sum over sites)")
        out["compare_capacities"] = fig
    per_kg = next((c for c in PER_KG_COLUMNS if c in data and data[c].notna().any()), None)
    if per_kg is not None:
        name = PER_KG_COLUMNS[per_kg]
        fig = _new_figure("compare_lcoh")
        ax = fig.add_subplot()
        _run_bars(ax, data[per_kg], "{:.2f}")
        ax.set_ylabel(f"{name} (EUR/kg H2)")
        ax.set_title(f"{name} per run")
        out["compare_lcoh"] = fig
    co2_column = next((c for c in CO2_COLUMNS if c in data and data[c].notna().any()), None)
    if co2_column is not None:
        co2 = data[co2_column]
        large = float(co2.abs().max()) >= 1e4
        fig = _new_figure("compare_emissions")
        ax = fig.add_subplot()
        _run_bars(ax, co2 / 1e3 if large else co2, "{:,.1f}" if large else "{:,.0f}")
        unit = "kt CO2/a" if large else "t CO2/a"
        ax.set_ylabel(f"CO2 emissions per weather year ({unit})")
        if not zero_axis(ax, co2.to_numpy(np.float64), "no CO2 emitted in any run"):
            ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_title("CO2 emissions per run")
        out["compare_emissions"] = fig
    if "demand_met_share" in data and data["demand_met_share"].notna().any():
        out["compare_hydrogen"] = _compare_hydrogen_figure(data)
    return out


def _compare_hydrogen_figure(data: pd.DataFrame) -> Figure:
    """Share of hydrogen demand met per run (zoomed percent axis) and unserved MWh."""
    colours = mpl.colormaps["tab10"]
    runs = [str(i) for i in data.index]
    unserved = (
        data["unserved_hydrogen_mwh"].to_numpy(np.float64)
        if "unserved_hydrogen_mwh" in data else None
    )
    fig = _new_figure("compare_hydrogen")
    axes = fig.subplots(1, 2 if unserved is not None else 1, squeeze=False)[0]
    share_points(
        axes[0], data["demand_met_share"].to_numpy(np.float64), unserved,
        [colours(i % 10) for i in range(len(runs))],
    )
    axes[0].set_ylabel("Hydrogen demand met (% of demand)")
    axes[0].set_title("Share of hydrogen demand met (mean over weather years)")
    for ax in axes:
        ax.set_xticks(np.arange(len(runs)), runs, rotation=20 if len(runs) > 3 else 0,
                      ha="right" if len(runs) > 3 else "center")
        ax.set_xlabel("Run")
        ax.grid(axis="x", visible=False)
    if unserved is not None:
        _run_bars(axes[1], data["unserved_hydrogen_mwh"], format_mwh)
        axes[1].set_ylabel("Unserved hydrogen per weather year (MWh_H2)")
        if not zero_axis(axes[1], unserved, "all hydrogen demand served in every run"):
            axes[1].yaxis.set_major_formatter(_THOUSANDS)
        axes[1].set_title("Unserved hydrogen demand")
    fig.suptitle("Hydrogen delivered per run")
    return fig


# --------------------------------------------------------------------------- entry points


# --------------------------------------------------------------------------- carbon


def hydrogen_carbon_monthly_figure(ds: xr.Dataset, carbon: HourlyCarbon) -> Figure:
    """Carbon intensity of the hydrogen per month, one line per weather year, g CO2e/MJ.

    The EU threshold (28.2 g CO2e/MJ) is drawn as a dashed line; a month without
    hydrogen leaves a gap.
    """
    monthly = monthly_hydrogen_intensity(ds, carbon)
    fig = _new_figure("hydrogen_carbon_monthly")
    ax = fig.add_subplot()
    years = sorted({int(y) for y in monthly.index.get_level_values("weather_year")})
    shades = _year_shades(len(years))
    values = monthly["hydrogen_carbon_intensity_g_per_mj"].to_numpy(np.float64)
    for year, colour in zip(years, shades, strict=True):
        part = monthly.loc[year, "hydrogen_carbon_intensity_g_per_mj"]
        series = part.reindex(range(1, 13))
        ax.plot(series.index, series.to_numpy(np.float64), marker="o", color=colour,
                label=str(year))
    ax.axhline(EU_THRESHOLD_G_PER_MJ, color="black", linestyle="--", linewidth=1.0,
               label=f"EU threshold {EU_THRESHOLD_G_PER_MJ:.1f} g CO2e/MJ")
    if not zero_axis(ax, values, "no emissions counted against the hydrogen"):
        top = max(float(np.nanmax(values)) if np.isfinite(values).any() else 0.0,
                  EU_THRESHOLD_G_PER_MJ)
        ax.set_ylim(0.0, top * 1.1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _no_minus_zero(f"{x:,.0f}")))
    ax.set_xticks(range(1, 13), [pd.Timestamp(2001, m, 1).strftime("%b") for m in range(1, 13)])
    ax.set_xlabel("Month")
    ax.set_ylabel("Hydrogen carbon intensity (g CO2e/MJ, LHV)")
    ax.set_title("Carbon intensity of the hydrogen per month (grid imports at the hourly "
                 "grid intensity, natural gas)")
    fig.legend(loc="outside right upper", title="Weather year")
    return fig


def _year_shades(n: int) -> list[str]:
    """One shade of the hydrogen colour per weather year, light to dark."""
    base = np.asarray(mpl.colors.to_rgb(_colour("hydrogen")))
    mix = np.linspace(0.55, 0.0, n) if n > 1 else np.zeros(1)
    return [mpl.colors.to_hex(base + (1.0 - base) * m) for m in mix]


def electrolysis_carbon_figure(ds: xr.Dataset, carbon: HourlyCarbon) -> Figure:
    """Hours of electrolyser load (all sites, MW) against the grid intensity, pooled years.

    Hexagonal bins coloured by the number of hours; the import threshold of the
    rules (``operation.import_carbon_threshold_g_per_kwh``) as a vertical line
    when one is set.
    """
    ci = np.asarray(carbon.grid_g_per_kwh, dtype=np.float64)
    load = _site_values(ds, "electrolysis_input_mw")
    ok = np.isfinite(ci)
    fig = _new_figure("electrolysis_vs_grid_carbon")
    ax = fig.add_subplot()
    cmap = mpl.colors.LinearSegmentedColormap.from_list(
        "electrolysis", ["#dff2eb", _colour("electrolysis"), "#00261a"])
    bins = ax.hexbin(ci[ok], load[ok], gridsize=(40, 20), cmap=cmap, mincnt=1, linewidths=0.2)
    fig.colorbar(bins, ax=ax, label="Hours", pad=0.01)
    if carbon.import_threshold_g_per_kwh is not None:
        ax.axvline(carbon.import_threshold_g_per_kwh, color=_colour("grid"), linestyle="--",
                   label=f"import threshold {carbon.import_threshold_g_per_kwh:g} g CO2e/kWh")
        fig.legend(loc="outside lower center")
    if not zero_axis(ax, load[ok], "the electrolysers never ran"):
        ax.set_ylim(0.0, float(load[ok].max()) * 1.05)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    years = sorted({int(y) for y in pd.DatetimeIndex(ds["time"].values).year})
    ax.set_xlabel("Grid carbon intensity (g CO2e/kWh, average of the hour's mix)")
    ax.set_ylabel("Electrolyser load, all sites (MW)")
    ax.set_title("Electrolyser load against grid carbon intensity, every hour of "
                 + ", ".join(str(y) for y in years))
    return fig


def build_figures(
    ds: xr.Dataset,
    kpis: pd.DataFrame | None,
    capacities: pd.DataFrame | None,
    lcoh_breakdown: pd.Series | pd.DataFrame | None,
    carbon: HourlyCarbon | None = None,
) -> dict[str, Figure]:
    """Build the figures of one run without writing them (file stem -> Figure).

    Arguments as in :func:`draw_all`; ``None`` or empty tables skip their figures.
    """
    with _style():
        figures = dispatch_figures(ds)
        figures["hydrogen_storage"] = hydrogen_storage_figure(ds, capacities)
        figures["duration_curves"] = duration_curves_figure(ds, capacities)
        if capacities is not None and not capacities.empty:
            figures["capacities"] = capacities_figure(capacities, site_names(ds))
        if lcoh_breakdown is not None and len(lcoh_breakdown):
            figures["lcoh_breakdown"] = lcoh_breakdown_figure(lcoh_breakdown)
        figures["monthly_energy_balance"] = monthly_balance_figure(ds)
        if kpis is not None and not kpis.empty:
            fig = weather_year_kpis_figure(kpis)
            if fig is not None:
                figures["weather_year_kpis"] = fig
        if carbon is not None:
            figures["hydrogen_carbon_monthly"] = hydrogen_carbon_monthly_figure(ds, carbon)
            figures["electrolysis_vs_grid_carbon"] = electrolysis_carbon_figure(ds, carbon)
    return figures


def build_comparison_figures(table: pd.DataFrame) -> dict[str, Figure]:
    """Build the comparison figures without writing them (file stem -> Figure)."""
    with _style():
        return comparison_figures(table)


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    out = tuple(str(f).lower().lstrip(".") for f in formats)
    bad = [f for f in out if f not in _METADATA]
    if bad:
        raise ValueError(f"figure format(s) {bad} not supported; allowed: {sorted(_METADATA)}")
    return out


def save_figures(
    figures: dict[str, Figure], out_dir: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Write each figure as ``<out_dir>/<stem>.<format>`` with fixed metadata, then free it.

    Parameters
    ----------
    figures
        File stem -> figure.
    out_dir
        Folder, created if missing.
    formats
        Any of ``png``, ``svg``, ``pdf``.

    Returns
    -------
    list of pathlib.Path
        Written files, in the order of ``figures`` and ``formats``.
    """
    fmts = _check_formats(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with _style():
        for stem, fig in figures.items():
            # Lay out once (Agg renderer at DPI, as for PNG), then freeze the layout, so every
            # format gets the same positions whichever formats are asked for (constrained
            # layout starts from the previous state).  A PNG is itself that layout pass.
            if fmts[0] != "png":
                fig.draw_without_rendering()
                fig.set_layout_engine("none")
            for fmt in fmts:
                path = out_dir / f"{stem}.{fmt}"
                fig.savefig(path, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
                fig.set_layout_engine("none")
                written.append(path)
            fig.clear()
    log.debug("wrote %d figure files to %s", len(written), out_dir)
    return written


def draw_all(
    ds: xr.Dataset,
    kpis: pd.DataFrame,
    capacities: pd.DataFrame,
    lcoh_breakdown: pd.Series | pd.DataFrame,
    out_dir: Path,
    formats: Sequence[str] = ("png", "svg"),
    carbon: HourlyCarbon | None = None,
) -> list[Path]:
    """Draw every figure of one run into ``out_dir``.

    Parameters
    ----------
    ds
        Hourly results dataset (:mod:`nzv_energy.schema`), dims ``time`` and
        ``site``; may hold several weather years one after the other.
    kpis
        Key figures, one row per weather year (index ``weather_year``); the
        columns listed in :data:`KPIS` that are present are drawn, others ignored.
    capacities
        Index: site; columns: capacity names such as ``wind_mw`` or
        ``battery_mwh`` (MW and MWh columns are drawn in separate panels).
    lcoh_breakdown
        LCOH by component, EUR/kg (negative for revenues); a Series, or a
        DataFrame with one column per weather year (one bar each).  Component
        names as in :data:`LCOH_COMPONENTS`, optionally prefixed ``capex_``.
    out_dir
        Folder, created if missing.
    formats
        File formats, any of ``png``, ``svg``, ``pdf``.
    carbon
        Grid intensity on the dataset's hours and the natural gas factor: draws
        the two carbon figures (the run pipeline passes it when
        ``operation.grid_import`` is on; without imports they show nothing new).

    Returns
    -------
    list of pathlib.Path
        The written files (stems listed in the module docstring).
    """
    fmts = _check_formats(formats)
    return save_figures(build_figures(ds, kpis, capacities, lcoh_breakdown, carbon), out_dir,
                        fmts)


def draw_comparison(
    table: pd.DataFrame, out_dir: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Draw capacities, LCOH and CO2 of several runs side by side.

    Parameters
    ----------
    table
        Index: run name; columns may include capacities summed over sites
        (``wind_mw`` ...), a cost per kg (:data:`PER_KG_COLUMNS`) and annual CO2 emissions
        (``co2_t`` or ``co2_emissions_t``).  Figures whose columns are missing
        are skipped.
    out_dir
        Folder, created if missing.
    formats
        File formats, any of ``png``, ``svg``, ``pdf``.

    Returns
    -------
    list of pathlib.Path
        The written files (``compare_capacities``, ``compare_lcoh``,
        ``compare_emissions``, ``compare_hydrogen`` when the table has
        ``demand_met_share``).
    """
    fmts = _check_formats(formats)
    return save_figures(build_comparison_figures(table), out_dir, fmts)
