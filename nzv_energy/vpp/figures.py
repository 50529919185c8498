"""Figures of a VPP run: schedule against price, profit comparison, storage, solve times.

Built on :class:`matplotlib.figure.Figure` without pyplot and saved through
:func:`nzv_energy.report.figures.save_figures` (fixed metadata, same style as
the project's other figures).  File stems:

``vpp_price_schedule``
    The week with the widest price range: price, and the optimised and
    rule-based schedules (net export, battery, electrolysis, gas) below it,
    both on one power scale.
``vpp_profit_comparison``
    Revenue and operating profit, and beside them on their own scale the
    costs, optimised vs rule-based, each bar labelled in MEUR; below, what
    the profit may be bought with: share of hydrogen demand met (zoomed
    percent axis, unserved MWh beside), CO2 emissions and natural gas used.
``vpp_storage``
    Hydrogen storage and battery energy of all sites, optimised vs rule-based;
    over more than :data:`HOURLY_DAYS` days as the daily range and mean.
``vpp_windows``
    Solve time of every window; fallback windows marked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from nzv_energy.carriers import CARRIERS
from nzv_energy.report.figures import DPI, build_figures, save_figures, share_points, zero_axis
from nzv_energy.report.formatting import format_count, format_mwh

COLOURS = {
    "optimised": "#1a9e77",
    "rule_based": "#8c8c8c",
    "price": "#333333",
    "export": CARRIERS["grid export"].color,
    "battery": CARRIERS["battery"].color,
    "electrolysis": CARRIERS["electrolysis"].color,
    "gas": CARRIERS["gas backup"].color,
    "fallback": "#c0392b",
}

#: Longest period, days, whose storage levels are drawn hour by hour (longer: daily range).
HOURLY_DAYS = 21

#: Components of the operating profit drawn in the comparison (sign: + adds to profit).
PROFIT_PARTS: tuple[tuple[str, str, float], ...] = (
    ("grid_export_revenue_eur", "Export revenue", 1.0),
    ("grid_import_cost_eur", "Import cost", -1.0),
    ("natural_gas_cost_eur", "Natural gas", -1.0),
    ("co2_cost_eur", "CO2", -1.0),
    ("variable_om_eur", "Variable O&M", -1.0),
    ("start_cost_eur", "Start costs", -1.0),
    ("battery_cycle_cost_eur", "Battery wear", -1.0),
    ("unserved_hydrogen_penalty_eur", "Unserved H2 penalty", -1.0),
    ("unserved_electricity_penalty_eur", "Lost load", -1.0),
    ("operating_profit_eur", "Operating profit", 1.0),
)


def _date_axis(ax: object) -> None:
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)  # type: ignore[attr-defined]
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[attr-defined]


def widest_price_week(price: np.ndarray, hours: int = 168) -> slice:
    """The ``hours``-long slice (starting at midnight) with the largest price range."""
    n = len(price)
    if n <= hours:
        return slice(0, n)
    best, best_range = 0, -np.inf
    for start in range(0, n - hours + 1, 24):
        part = price[start:start + hours]
        spread = float(np.max(part) - np.min(part))
        if spread > best_range:
            best, best_range = start, spread
    return slice(best, best + hours)


def _total(ds: xr.Dataset, name: str, window: slice) -> np.ndarray:
    return ds[name].isel(time=window).sum("site").values


def price_schedule_figure(optimised: xr.Dataset, rule_based: xr.Dataset) -> Figure:
    """Price and both schedules over the week with the widest price range."""
    price = optimised["price_eur_per_mwh"].values
    window = widest_price_week(price)
    time = pd.DatetimeIndex(optimised["time"].values[window])
    fig = Figure(figsize=(13.0, 8.0), dpi=DPI, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True, height_ratios=[1, 2, 2])
    axes[2].sharey(axes[1])  # both schedules on one scale, so their sizes compare
    axes[0].step(time, price[window], where="post", color=COLOURS["price"])
    axes[0].axhline(0, color="black", linewidth=0.6)
    axes[0].set_ylabel("EUR/MWh")
    axes[0].set_title("Day-ahead price")
    for ax, ds, label in (
        (axes[1], optimised, "Optimised schedule"),
        (axes[2], rule_based, "Rule-based dispatch"),
    ):
        net_export = _total(ds, "grid_export_mw", window) - _total(ds, "grid_import_mw", window)
        battery = _total(ds, "battery_discharge_mw", window) - _total(
            ds, "battery_charge_mw", window
        )
        ax.step(time, net_export, where="post", color=COLOURS["export"], label="Net export")
        ax.step(time, battery, where="post", color=COLOURS["battery"],
                label="Battery (discharge +)")
        ax.step(time, -_total(ds, "electrolysis_input_mw", window), where="post",
                color=COLOURS["electrolysis"], label="Electrolysis (-)")
        ax.step(time, _total(ds, "gas_backup_mw", window), where="post",
                color=COLOURS["gas"], label="Gas backup")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("MW, all sites")
        ax.set_title(label)
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside right upper")
    if "vpp_fallback" in optimised:
        marks = optimised["vpp_fallback"].values[window] > 0
        if marks.any():
            axes[1].fill_between(time, 0, 1, where=marks, step="post", alpha=0.15,
                                 color=COLOURS["fallback"], transform=axes[1].get_xaxis_transform(),
                                 label="Fallback hours")
    _date_axis(axes[2])
    return fig


#: Panels below the profit: metric, title, unit as drawn, scale from the table's unit.
TRADED_PANELS: tuple[tuple[str, str, str, float], ...] = (
    ("co2_emissions_t", "CO2 emissions", "t", 1.0),
    ("gas_backup_natural_gas_mwh", "Natural gas used", "MWh_th", 1.0),
)


def _traded_panels(axes: np.ndarray, table: pd.DataFrame) -> None:
    """Share of demand met, CO2 and natural gas of both schedules, one panel each."""
    columns = ("optimised", "rule_based")
    labels = ["Optimised", "Rule-based"]
    colours = [COLOURS[c] for c in columns]
    share_ax, *bar_axes = axes
    if "demand_met_share" in table.index:
        unserved = (
            table.loc["unserved_hydrogen_mwh", list(columns)].to_numpy(float)
            if "unserved_hydrogen_mwh" in table.index else None
        )
        share_points(
            share_ax, table.loc["demand_met_share", list(columns)].to_numpy(float), unserved,
            colours,
        )
    share_ax.set_title("Hydrogen demand met")
    share_ax.set_ylabel("% of demand")
    for ax, (metric, title, unit, scale) in zip(bar_axes, TRADED_PANELS, strict=True):
        values = (
            table.loc[metric, list(columns)].to_numpy(float) * scale
            if metric in table.index else np.full(2, np.nan)
        )
        bars = ax.bar(np.arange(2), np.nan_to_num(values), 0.6, color=colours)
        fmt = format_count if unit == "t" else format_mwh
        ax.bar_label(bars, labels=[fmt(v) for v in values], padding=2, fontsize=8)
        ax.set_title(title)
        ax.set_ylabel(unit)
        if not zero_axis(ax, values, "0 in both schedules"):
            ax.margins(y=0.15)
    for ax in axes:
        ax.set_xticks(np.arange(2), labels)
        ax.grid(axis="x", visible=False)


def profit_comparison_figure(table: pd.DataFrame) -> Figure:
    """Operating profit and its parts (sign as they enter the profit), both schedules.

    Below it, what the profit may be bought with: share of hydrogen demand met,
    CO2 emissions and natural gas used by each schedule.
    """
    fig = Figure(figsize=(11.0, 8.5), dpi=DPI, layout="constrained")
    parts = fig.subfigures(2, 1, squeeze=False, height_ratios=[5.0, 3.5])
    top, bottom = parts[0, 0], parts[1, 0]
    gains = [(n, lbl) for n, lbl, sign in PROFIT_PARTS if n in table.index and sign > 0]
    costs = [(n, lbl) for n, lbl, sign in PROFIT_PARTS if n in table.index and sign < 0]
    # costs on their own scale: beside a revenue of tens of MEUR they would be invisible
    panels = [(items, title) for items, title in (
        (gains, "Revenue and operating profit"), (costs, "Costs (paid)"),
    ) if items]
    axes = top.subplots(
        1, len(panels), squeeze=False, width_ratios=[len(i) for i, _ in panels]
    )[0]
    width = 0.38
    for ax, (items, title) in zip(axes, panels, strict=True):
        x = np.arange(len(items))
        for offset, column, label in ((-width / 2, "optimised", "Optimised"),
                                      (width / 2, "rule_based", "Rule-based")):
            values = table.loc[[n for n, _ in items], column].to_numpy(float) / 1e6
            bars = ax.bar(x + offset, np.nan_to_num(values), width, label=label,
                          color=COLOURS[column])
            ax.bar_label(bars, labels=[_meur(v) for v in values], padding=2, fontsize=7,
                         rotation=90 if len(items) > 4 else 0)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, [lbl for _, lbl in items], rotation=20, ha="right")
        ax.set_ylabel("MEUR over the period")
        ax.set_title(title)
        ax.margins(y=0.2)
        ax.grid(axis="x", visible=False)
    top.suptitle("Operating profit: optimised schedule vs rule-based dispatch (same prices)")
    top.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper")
    _traded_panels(bottom.subplots(1, 1 + len(TRADED_PANELS)), table)
    return fig


def _meur(value: float) -> str:
    """A bar label in MEUR: one decimal, two significant digits below 1 MEUR, ``0`` for none."""
    if not np.isfinite(value):
        return "–"
    if abs(value) < 5e-7:
        return "0"
    return f"{value:,.1f}" if abs(value) >= 1.0 else f"{value:.2g}"


def storage_figure(optimised: xr.Dataset, rule_based: xr.Dataset) -> Figure:
    """Hydrogen storage and battery energy summed over sites, both schedules."""
    fig = Figure(figsize=(12.0, 6.0), dpi=DPI, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    time = pd.DatetimeIndex(optimised["time"].values)
    daily = len(time) > HOURLY_DAYS * 24
    for ax, name, unit in ((axes[0], "hydrogen_storage_mwh", "MWh_H2"),
                           (axes[1], "battery_soc_mwh", "MWh")):
        for ds, column, label in ((optimised, "optimised", "Optimised"),
                                  (rule_based, "rule_based", "Rule-based")):
            values = pd.Series(ds[name].sum("site").values, index=time)
            if daily:
                # a battery cycling every day drawn hour by hour over months is a solid block
                days = values.groupby(time.floor("D"))
                low, high, mean = days.min(), days.max(), days.mean()
                ax.fill_between(low.index, low.to_numpy(), high.to_numpy(), step="post",
                                color=COLOURS[column], alpha=0.25, linewidth=0,
                                label=f"{label}: daily range")
                ax.step(mean.index, mean.to_numpy(), where="post", color=COLOURS[column],
                        linewidth=1.0, label=f"{label}: daily mean")
            else:
                ax.plot(time, values.to_numpy(), color=COLOURS[column], label=label,
                        linewidth=0.9)
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
    axes[0].set_title("Hydrogen storage, all sites")
    axes[1].set_title(
        "Battery state of charge, all sites" + (" (daily range and mean)" if daily else "")
    )
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper")
    _date_axis(axes[1])
    return fig


def windows_figure(windows: pd.DataFrame) -> Figure:
    """Simplex iterations per window (a load-independent measure of effort), fallback in red."""
    fig = Figure(figsize=(12.0, 4.0), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(windows))
    failed = windows["fallback"].to_numpy(bool)
    colours = np.where(failed, COLOURS["fallback"], COLOURS["optimised"])
    ax.bar(x, windows["simplex_iterations"].to_numpy(float), color=colours, width=1.0)
    ax.set_xlabel("window")
    ax.set_ylabel("simplex iterations")
    ax.set_title(
        f"{len(windows)} windows, {int(windows['simplex_iterations'].sum()):,} simplex "
        f"iterations, {int(windows['mip_nodes'].sum()):,} MIP nodes, "
        f"{int(failed.sum())} fallback"
    )
    return fig


def draw_vpp_figures(
    optimised: xr.Dataset,
    rule_based: xr.Dataset,
    table: pd.DataFrame,
    windows: pd.DataFrame,
    out_dir: Path,
    formats: tuple[str, ...] = ("png",),
) -> list[Path]:
    """Write the VPP figures and the project's standard figures of the optimised schedule.

    Returns
    -------
    list of pathlib.Path
        The written files.
    """
    figures = build_figures(optimised, None, None, None)
    figures.update(
        {
            "vpp_price_schedule": price_schedule_figure(optimised, rule_based),
            "vpp_profit_comparison": profit_comparison_figure(table),
            "vpp_storage": storage_figure(optimised, rule_based),
            "vpp_windows": windows_figure(windows),
        }
    )
    return save_figures(figures, out_dir, formats)
