"""The interactive results page (``explore.html``) of a results folder.

One self-contained HTML file that opens from disk without a server or an
internet connection: the plotting library (Plotly.js, MIT licence) is inlined
once and every chart is a Plotly figure built here from the files of the
folder (``dispatch.nc``, ``kpis.csv``, ``capacities.csv``,
``scenario_sized.yaml``), so the page can be written again for an existing
folder (:func:`write_page`).

Charts (element ids in brackets, fixed so the same results give the same
bytes):

* map of the sites, the off-taker and the pipelines with their route lengths
  (``map``), on longitude/latitude axes scaled so that a kilometre east reads
  as long as a kilometre north at the mean latitude; no background map;
* hourly electricity dispatch of one site at a time with a site menu and
  zoom buttons (``dispatch``), the day-ahead price on a second axis;
* battery and hydrogen storage levels of every site (``storage``);
* duration curves: electrolyser input and net grid exchange per site, price
  (``duration``);
* the system LCOH components per weather year (``lcoh``);
* tables: every column of ``kpis.csv`` (label and unit from the column name),
  ``kpis_by_site.csv`` when present, capacities and pipelines.

Every hour is plotted; nothing is downsampled.  Hourly values are stored in
the page as 32-bit floats (about 7 significant digits), Plotly's compact
binary array encoding; series that are zero in every hour are left out.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
import plotly.io as pio
import xarray as xr
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from nzv_energy.errors import NzvInputError
from nzv_energy.report.figures import LCOH_COMPONENTS, SINKS, SOURCES
from nzv_energy.report.formatting import format_cell, format_frame, label
from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import resolve_extends, scenario_from_mapping
from nzv_energy.validation import pipeline_lengths_km

#: File name of the page inside a results folder.
PAGE_NAME = "explore.html"

#: Files the page is built from (all must exist in the folder).
REQUIRED_FILES = ("dispatch.nc", "kpis.csv", "capacities.csv", "scenario_sized.yaml")

#: Ids of the chart elements, in page order.
CHART_IDS = ("map", "dispatch", "storage", "duration", "lcoh")

#: System LCOH components in ``kpis.csv``: ``lcoh_<component>_eur_per_kg``; the
#: hydrogen-chain figures (``lcoh_chain...``) are totals of another cost boundary.
_COMPONENT = re.compile(r"^lcoh_(?!chain)(?P<name>[a-z0-9_]+)_eur_per_kg$")

#: Colours of the site lines (storage, duration curves) and of the map.
_SITE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_PRICE_COLOUR = "#444444"
_OFFTAKER_COLOUR = "#17becf"
_PIPELINE_COLOUR = "#17becf"

_PLOT_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
_TEMPLATE = "plotly_white"


# --------------------------------------------------------------------------- inputs


def _require(folder: Path) -> None:
    if not folder.is_dir():
        raise NzvInputError(folder, "results folder", "missing", "an existing results folder")
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise NzvInputError(
                folder, name, "missing",
                f"a results folder written by run ({', '.join(REQUIRED_FILES)})",
            )


def _load_scenario(folder: Path) -> Scenario:
    path = folder / "scenario_sized.yaml"
    return scenario_from_mapping(resolve_extends(path), path)


def site_label(site: str) -> str:
    """Readable name of a site id (``schwarze_pumpe`` -> ``Schwarze Pumpe``)."""
    return site.replace("_", " ").title()


def _is_hourly(time: pd.DatetimeIndex) -> bool:
    return time.size > 1 and bool(np.all(np.diff(time.asi8) == 3_600_000_000_000))


def _time_kwargs(time: pd.DatetimeIndex) -> dict[str, Any]:
    """The x of an hourly series: start and step when regular (compact), else every time stamp."""
    if _is_hourly(time):
        return {"x0": time[0].strftime("%Y-%m-%d %H:%M"), "dx": 3_600_000}
    return {"x": [t.strftime("%Y-%m-%d %H:%M") for t in time]}


def _f32(values: np.ndarray) -> np.ndarray:
    """Values as 32-bit floats with ``-0.0`` written as ``0.0`` (same bytes for the same data)."""
    out = np.asarray(values, dtype=np.float32)
    return out + np.float32(0.0)


def _site_values(ds: xr.Dataset, name: str, site: str) -> np.ndarray:
    return np.asarray(ds[name].sel(site=site).values, dtype=np.float64)


def _site_colour(i: int) -> str:
    return _SITE_COLOURS[i % len(_SITE_COLOURS)]


# --------------------------------------------------------------------------- charts


def map_figure(
    scenario: Scenario, capacities: pd.DataFrame, ds: xr.Dataset
) -> go.Figure:
    """Sites, the hydrogen off-taker and the pipelines on longitude/latitude axes.

    Pipeline lengths are the route lengths the pipeline costs are computed for
    (:func:`nzv_energy.validation.pipeline_lengths_km`).  The latitude axis is
    stretched by ``1 / cos(mean latitude)`` so distances read alike in both
    directions (equirectangular projection about the mean latitude).
    """
    demand = scenario.hydrogen.demand
    km = pipeline_lengths_km(scenario)
    fig = go.Figure()
    lats = [demand.location.lat]
    lons = [demand.location.lon]
    hours_per_year = max(ds.sizes["time"] / max(len(scenario.weather.years), 1), 1.0)
    for i, (name, site) in enumerate(scenario.sites.items()):
        lat, lon = site.location.lat, site.location.lon
        lats.append(lat)
        lons.append(lon)
        pipe_mw = float(capacities.loc[name, "pipeline_mw"]) if "pipeline_mw" in capacities else 0.0
        flow_gwh = (
            float(ds["pipeline_flow_mw"].sel(site=name).sum()) / 1e3 * 8760.0 / hours_per_year
            if "pipeline_flow_mw" in ds
            else float("nan")
        )
        if pipe_mw > 0:
            fig.add_trace(
                go.Scatter(
                    x=[lon, demand.location.lon], y=[lat, demand.location.lat],
                    mode="lines", name=f"pipeline {site_label(name)}",
                    line={"color": _PIPELINE_COLOUR, "width": 2 + 4 * min(pipe_mw / 500.0, 1.0)},
                    hovertemplate=(
                        f"pipeline {html.escape(site_label(name))}: {km[name]:.1f} km, "
                        f"{pipe_mw:,.0f} MW_H2, {flow_gwh:,.0f} GWh_H2/a<extra></extra>"
                    ),
                    meta={"site": name, "pipeline_km": km[name]},
                    showlegend=False,
                )
            )
            fig.add_annotation(
                x=(lon + demand.location.lon) / 2, y=(lat + demand.location.lat) / 2,
                text=f"{km[name]:.1f} km", showarrow=False, bgcolor="rgba(255,255,255,0.8)",
                font={"size": 12},
            )
        caps = capacities.loc[name] if name in capacities.index else pd.Series(dtype=float)
        hover = "<br>".join(
            f"{label(str(c))}: {format_cell(str(c), v)}" for c, v in caps.items() if v
        )
        fig.add_trace(
            go.Scatter(
                x=[lon], y=[lat], mode="markers+text", name=site_label(name),
                text=[site_label(name)], textposition="top center",
                marker={"size": 16, "color": _site_colour(i),
                        "line": {"width": 1, "color": "#222"}},
                hovertemplate=(
                    f"<b>{html.escape(site_label(name))}</b> ({lat:.3f} °N, {lon:.3f} °E)<br>"
                    f"{hover}<extra></extra>"
                ),
                meta={"site": name},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[demand.location.lon], y=[demand.location.lat], mode="markers+text",
            name=f"off-taker {site_label(demand.site)}", text=[site_label(demand.site)],
            textposition="bottom center",
            marker={"size": 18, "symbol": "diamond", "color": _OFFTAKER_COLOUR,
                    "line": {"width": 1, "color": "#222"}},
            hovertemplate=(
                f"<b>{html.escape(site_label(demand.site))}</b> (hydrogen off-taker, "
                f"{demand.location.lat:.3f} °N, {demand.location.lon:.3f} °E)<br>"
                f"mean demand {demand.mean_mw:,.0f} MW_H2<extra></extra>"
            ),
            meta={"site": demand.site},
        )
    )
    mean_lat = float(np.mean(lats))
    pad = 0.1
    fig.update_layout(
        template=_TEMPLATE, height=520, margin={"l": 60, "r": 20, "t": 40, "b": 50},
        title={"text": "Sites, off-taker and pipelines (route lengths)"},
        xaxis={"title": {"text": "longitude, °E"},
               "range": [min(lons) - 2 * pad, max(lons) + 2 * pad],
               "constrain": "domain"},
        yaxis={"title": {"text": "latitude, °N"}, "range": [min(lats) - pad, max(lats) + pad],
               "scaleanchor": "x", "scaleratio": 1.0 / math.cos(math.radians(mean_lat)),
               "constrain": "domain"},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def _dispatch_traces(ds: xr.Dataset, site: str, time: pd.DatetimeIndex) -> list[go.Scatter]:
    traces = []
    for group, sign, series in (("supply", 1.0, SOURCES), ("use", -1.0, SINKS)):
        for name, text, colour in series:
            if name not in ds:
                continue
            values = _site_values(ds, name, site)
            if not np.any(values != 0.0):
                continue
            traces.append(
                go.Scatter(
                    y=_f32(sign * values), **_time_kwargs(time), name=text,
                    legendgroup=name, stackgroup=group, mode="lines",
                    line={"width": 0.5, "color": colour}, fillcolor=colour,
                    hovertemplate=f"{text}: %{{y:,.1f}} MW<extra></extra>",
                    meta={"site": site, "variable": name, "sign": sign},
                )
            )
    return traces


def dispatch_figure(ds: xr.Dataset) -> go.Figure:
    """Hourly electricity supply (above zero) and use (below zero) of one site at a time.

    A menu switches the site; buttons and the range slider-free x axis zoom to
    a week, a month or the whole period.  The day-ahead price (one series for
    all sites) is on the right axis.
    """
    time = pd.DatetimeIndex(ds["time"].values)
    sites = [str(s) for s in ds["site"].values]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    owner: list[str | None] = []
    for site in sites:
        for trace in _dispatch_traces(ds, site, time):
            trace.visible = site == sites[0]
            fig.add_trace(trace, secondary_y=False)
            owner.append(site)
    if "price_eur_per_mwh" in ds:
        fig.add_trace(
            go.Scatter(
                y=_f32(ds["price_eur_per_mwh"].values), **_time_kwargs(time),
                name="day-ahead price", mode="lines",
                line={"width": 0.8, "color": _PRICE_COLOUR}, opacity=0.6,
                hovertemplate="price: %{y:,.1f} EUR/MWh<extra></extra>",
                meta={"variable": "price_eur_per_mwh"},
            ),
            secondary_y=True,
        )
        owner.append(None)
    buttons = [
        {
            "label": site_label(site),
            "method": "update",
            "args": [
                {"visible": [o is None or o == site for o in owner]},
                {"title.text": f"Hourly dispatch: {site_label(site)}"},
            ],
        }
        for site in sites
    ]
    fig.update_layout(
        template=_TEMPLATE, height=560, hovermode="x unified",
        margin={"l": 70, "r": 70, "t": 90, "b": 40},
        title={"text": f"Hourly dispatch: {site_label(sites[0])}", "y": 0.97},
        updatemenus=[{
            "type": "dropdown", "buttons": buttons, "active": 0, "direction": "down",
            "x": 0.0, "xanchor": "left", "y": 1.13, "yanchor": "top", "showactive": True,
        }],
        legend={"orientation": "h", "y": -0.08},
        annotations=[{
            "text": "site:", "x": 0.0, "xref": "paper", "xanchor": "right", "y": 1.11,
            "yref": "paper", "showarrow": False,
        }],
    )
    fig.update_xaxes(
        rangeselector={"buttons": [
            {"count": 7, "label": "week", "step": "day", "stepmode": "backward"},
            {"count": 1, "label": "month", "step": "month", "stepmode": "backward"},
            {"step": "all", "label": "all"},
        ], "x": 0.25, "y": 1.13, "yanchor": "top"},
        type="date",
    )
    fig.update_yaxes(title_text="supply (+) and use (−), MW", secondary_y=False)
    fig.update_yaxes(title_text="price, EUR/MWh", secondary_y=True, showgrid=False)
    return fig


def storage_figure(ds: xr.Dataset) -> go.Figure:
    """Battery state of charge and hydrogen storage level of every site with storage."""
    time = pd.DatetimeIndex(ds["time"].values)
    panels = (
        ("battery_soc_mwh", "battery state of charge, MWh"),
        ("hydrogen_storage_mwh", "hydrogen storage level, MWh_H2"),
    )
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[p[1] for p in panels])
    shown: set[str] = set()
    for row, (name, unit) in enumerate(panels, start=1):
        if name not in ds:
            continue
        for i, site in enumerate(str(s) for s in ds["site"].values):
            values = _site_values(ds, name, site)
            if not np.any(values != 0.0):
                continue
            fig.add_trace(
                go.Scatter(
                    y=_f32(values), **_time_kwargs(time), name=site_label(site),
                    legendgroup=site, showlegend=site not in shown,
                    mode="lines", line={"width": 1, "color": _site_colour(i)},
                    hovertemplate=f"{html.escape(site_label(site))}: %{{y:,.0f}} "
                    f"{unit.rsplit(', ', 1)[1]}<extra></extra>",
                    meta={"site": site, "variable": name},
                ),
                row=row, col=1,
            )
            shown.add(site)
    fig.update_layout(template=_TEMPLATE, height=620, hovermode="x unified",
                      margin={"l": 70, "r": 20, "t": 50, "b": 40},
                      title={"text": "Storage levels, end of hour"})
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="MWh", row=1, col=1)
    fig.update_yaxes(title_text="MWh_H2", row=2, col=1)
    return fig


def duration_figure(ds: xr.Dataset, n_years: int) -> go.Figure:
    """Duration curves: electrolyser input and net grid exchange per site, and the price.

    The x axis is hours per year (sorted values of ``n_years`` weather years,
    each hour counting ``1 / n_years``).
    """
    sites = [str(s) for s in ds["site"].values]
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07, subplot_titles=(
        "electrolyser input, MW", "grid export − import, MW", "day-ahead price, EUR/MWh"))
    step = 1.0 / n_years
    for i, site in enumerate(sites):
        curves = [("electrolysis_input_mw", 1, _site_values(ds, "electrolysis_input_mw", site)
                   if "electrolysis_input_mw" in ds else None)]
        if "grid_export_mw" in ds and "grid_import_mw" in ds:
            curves.append(("grid_exchange_mw", 2, _site_values(ds, "grid_export_mw", site)
                           - _site_values(ds, "grid_import_mw", site)))
        for variable, col, values in curves:
            if values is None or not np.any(values != 0.0):
                continue
            fig.add_trace(
                go.Scatter(
                    y=_f32(np.sort(values)[::-1]), x0=step, dx=step, name=site_label(site),
                    legendgroup=site, showlegend=col == 1, mode="lines",
                    line={"width": 1.5, "color": _site_colour(i)},
                    hovertemplate=f"{html.escape(site_label(site))}: %{{y:,.1f}} MW for "
                    "%{x:,.0f} h/a<extra></extra>",
                    meta={"site": site, "variable": variable},
                ),
                row=1, col=col,
            )
    if "price_eur_per_mwh" in ds:
        fig.add_trace(
            go.Scatter(
                y=_f32(np.sort(ds["price_eur_per_mwh"].values)[::-1]), x0=step, dx=step,
                name="day-ahead price", mode="lines", line={"width": 1.5, "color": _PRICE_COLOUR},
                hovertemplate="%{y:,.1f} EUR/MWh for %{x:,.0f} h/a<extra></extra>",
                meta={"variable": "price_eur_per_mwh"},
            ),
            row=1, col=3,
        )
    fig.update_layout(template=_TEMPLATE, height=440, hovermode="closest",
                      margin={"l": 60, "r": 20, "t": 70, "b": 50},
                      title={"text": "Duration curves (values sorted, largest first)"},
                      legend={"orientation": "h", "y": -0.18})
    fig.update_xaxes(title_text="hours per year, sorted (h/a)")
    return fig


def _component_style(component: str, shade: int) -> tuple[str, str]:
    if component in LCOH_COMPONENTS:
        return LCOH_COMPONENTS[component]
    if component.startswith("capex_") and component[6:] in LCOH_COMPONENTS:
        text, colour = LCOH_COMPONENTS[component[6:]]
        return f"{text} capital", colour
    grey = 90 + (shade * 37) % 120
    return component.replace("_", " "), f"rgb({grey},{grey},{grey})"


def lcoh_components(kpis: pd.DataFrame) -> list[str]:
    """Columns of ``kpis`` that are system LCOH components (``lcoh_<c>_eur_per_kg``)."""
    return [str(c) for c in kpis.columns if _COMPONENT.match(str(c))]


def lcoh_figure(kpis: pd.DataFrame) -> go.Figure:
    """System LCOH components per weather year, stacked (revenues below zero), total marked."""
    columns = lcoh_components(kpis)
    years = [str(y) for y in kpis.index]
    fig = go.Figure()
    shade = 0
    for column in columns:
        component = _COMPONENT.match(column)["name"]  # type: ignore[index]
        values = kpis[column].to_numpy(dtype=np.float64)
        if not np.any(values != 0.0):
            continue
        text, colour = _component_style(component, shade)
        shade += component not in LCOH_COMPONENTS
        fig.add_trace(go.Bar(
            x=years, y=values, name=text, marker={"color": colour},
            hovertemplate=f"{html.escape(text)}: %{{y:.2f}} EUR/kg<extra></extra>",
            meta={"variable": column},
        ))
    if columns:
        total = kpis[columns].sum(axis=1).to_numpy(dtype=np.float64)
        fig.add_trace(go.Scatter(
            x=years, y=total, mode="markers+text", name="total of the components",
            text=[f"{t:.2f}" for t in total], textposition="middle right",
            marker={"symbol": "line-ew-open", "size": 40, "color": "#000",
                    "line": {"width": 3}},
            hovertemplate="total: %{y:.2f} EUR/kg<extra></extra>",
        ))
    fig.update_layout(
        template=_TEMPLATE, barmode="relative", height=520,
        margin={"l": 70, "r": 20, "t": 50, "b": 40},
        title={"text": "System LCOH by cost component (all assets, net of export revenue)"},
        xaxis={"title": {"text": "weather year"}, "type": "category"},
        yaxis={"title": {"text": "EUR/kg H2"}},
    )
    return fig


# --------------------------------------------------------------------------- tables


def _html_table(frame: pd.DataFrame, index_title: str, names: Sequence[str] | None = None) -> str:
    """An HTML table of text cells; ``names`` adds a column with the file's column names."""
    head = [index_title, *([] if names is None else ["column"]), *map(str, frame.columns)]
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for i, (idx, row) in enumerate(frame.iterrows()):
        cells = [f"<th>{html.escape(str(idx))}</th>"]
        if names is not None:
            cells.append(f"<td><code>{html.escape(names[i])}</code></td>")
        cells += [f"<td>{html.escape(str(v))}</td>" for v in row]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def kpi_table(kpis: pd.DataFrame) -> str:
    """Every KPI column (rows) per weather year (columns): label with unit, file name, value."""
    text = format_frame(kpis).T
    text.columns = [str(c) for c in kpis.index]
    names = [str(c) for c in kpis.columns]
    text.index = [label(c) for c in names]
    return _html_table(text, "KPI", names)


def _by_site_table(frame: pd.DataFrame) -> str:
    text = format_frame(frame)
    text.columns = [label(str(c)) for c in frame.columns]
    text.index = [" ".join(site_label(str(p)) for p in np.atleast_1d(i)) for i in frame.index]
    return _html_table(text, " / ".join(str(n) for n in frame.index.names if n) or "site")


def pipeline_table(scenario: Scenario, capacities: pd.DataFrame) -> pd.DataFrame:
    """Route length and capacity of each site's pipeline to the off-taker."""
    km = pipeline_lengths_km(scenario)
    return pd.DataFrame(
        {
            "pipeline_km": [km[s] for s in scenario.sites],
            "pipeline_mw": [
                float(capacities.loc[s, "pipeline_mw"]) if "pipeline_mw" in capacities else 0.0
                for s in scenario.sites
            ],
        },
        index=pd.Index(list(scenario.sites), name="site"),
    )


# --------------------------------------------------------------------------- page

_CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px;
       color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
tr > th:first-child { text-align: left; }
td code { font-size: 0.85em; color: #555; }
.note { color: #555; font-size: 0.92em; }
.chart { width: 100%; }
"""


def _chart_html(fig: go.Figure, div_id: str) -> str:
    return str(pio.to_html(
        fig, include_plotlyjs=False, full_html=False, div_id=div_id, config=_PLOT_CONFIG,
        validate=True,
    ))


def build_page(folder: str | Path) -> str:
    """The interactive page of a results folder as HTML text.

    Parameters
    ----------
    folder
        A results folder of ``run`` (holds ``dispatch.nc``, ``kpis.csv``,
        ``capacities.csv`` and ``scenario_sized.yaml``).

    Returns
    -------
    str
        The page; the same folder contents give the same text (fixed element
        ids, no time stamps, no paths of the machine).

    Raises
    ------
    NzvInputError
        When the folder or one of its files is missing.
    """
    folder = Path(folder)
    _require(folder)
    scenario = _load_scenario(folder)
    kpis = pd.read_csv(folder / "kpis.csv", index_col=0)
    capacities = pd.read_csv(folder / "capacities.csv", index_col=0)
    with xr.open_dataset(folder / "dispatch.nc") as opened:
        ds = opened.load()
    n_years = max(len(kpis.index), 1)
    time = pd.DatetimeIndex(ds["time"].values)
    charts = {
        "map": map_figure(scenario, capacities, ds),
        "dispatch": dispatch_figure(ds),
        "storage": storage_figure(ds),
        "duration": duration_figure(ds, n_years),
        "lcoh": lcoh_figure(kpis),
    }
    by_site = folder / "kpis_by_site.csv"
    site_section = ""
    if by_site.is_file():
        frame = pd.read_csv(by_site)
        keys = [c for c in ("weather_year", "site") if c in frame.columns]
        if keys:
            frame = frame.set_index(keys)
        site_section = "<h3>Per site (<code>kpis_by_site.csv</code>)</h3>\n" + _by_site_table(
            frame.select_dtypes("number")
        )
    title = f"{scenario.name}: interactive results"
    description = f"<p>{html.escape(scenario.description)}</p>" if scenario.description else ""
    period = f"{time[0]:%Y-%m-%d %H:%M} to {time[-1]:%Y-%m-%d %H:%M}" if time.size else "empty"
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        description,
        f'<p class="note">Built from the files of this results folder ({", ".join(REQUIRED_FILES)})'
        f" with <code>nzv_energy.report.page</code>. {ds.sizes['time']:,} hours, {period}, "
        "time stamps as written in <code>dispatch.nc</code>. Every hour is plotted; nothing is "
        "downsampled. Hourly values are stored in this page "
        "as 32-bit floats (about 7 significant digits; the files keep full precision); series "
        "that are zero in every hour are left out. The page needs no server and no internet: "
        f"Plotly.js {esc(plotly.__version__)} (plotly.py; MIT licence) is included in it. "
        "Drag to zoom, double-click to zoom out, click a legend entry to hide a series.</p>",
        "<h2>Map</h2>",
        '<p class="note">Longitude and latitude of the scenario on plain axes, the latitude '
        "axis stretched by 1/cos(mean latitude) so a kilometre east and a kilometre north have "
        "the same length on screen; no background map (the page works offline). Pipeline "
        "lengths are the route lengths the pipeline costs use: great-circle distance times "
        "<code>technology.pipeline.route_factor</code> "
        f"({scenario.technology.pipeline.route_factor:g}). Line width grows with the pipeline "
        "capacity.</p>",
        _chart_html(charts["map"], "map"),
        _html_table(
            format_frame(pipeline_table(scenario, capacities)).rename(columns=label).rename(
                index=site_label
            ),
            "pipeline to " + site_label(scenario.hydrogen.demand.site),
        ),
        "<h2>Hourly dispatch</h2>",
        '<p class="note">Electricity supplied (above zero) and used (below zero) at one site, '
        "every hour; choose the site in the menu, zoom with the week / month / all buttons or "
        "by dragging. The day-ahead price is on the right axis.</p>",
        _chart_html(charts["dispatch"], "dispatch"),
        "<h2>Storage levels</h2>",
        _chart_html(charts["storage"], "storage"),
        "<h2>Duration curves</h2>",
        _chart_html(charts["duration"], "duration"),
        "<h2>LCOH breakdown</h2>",
        '<p class="note">The system LCOH components of <code>kpis.csv</code> '
        "(columns <code>lcoh_&lt;component&gt;_eur_per_kg</code>): every asset of the system "
        "and the grid export revenue (below zero) per kg of hydrogen delivered. The "
        "hydrogen-chain figures (<code>lcoh_chain_*</code>) are in the KPI table.</p>",
        _chart_html(charts["lcoh"], "lcoh"),
        "<h2>Key figures</h2>",
        "<h3>Per weather year (<code>kpis.csv</code>)</h3>",
        '<p class="note">Every column of the file; label and unit from the column name, money '
        "in MEUR.</p>",
        kpi_table(kpis),
        site_section,
        "<h3>Capacities (<code>capacities.csv</code>)</h3>",
        _by_site_table(capacities),
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(p for p in parts if p)


def write_page(folder: str | Path, name: str = PAGE_NAME) -> Path:
    """Write the interactive page into a results folder.

    Parameters
    ----------
    folder
        Results folder of ``run``.
    name
        File name of the page inside ``folder``.

    Returns
    -------
    Path
        The page written.
    """
    folder = Path(folder)
    text = build_page(folder)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def page_facts(path: str | Path) -> dict[str, Any]:
    """Size of a written page and of its parts (for the documentation), bytes."""
    text = Path(path).read_text(encoding="utf-8")
    library = len(get_plotlyjs().encode("utf-8"))
    total = len(text.encode("utf-8"))
    return {"total_bytes": total, "plotly_js_bytes": library, "data_bytes": total - library,
            "plotly_version": plotly.__version__}
