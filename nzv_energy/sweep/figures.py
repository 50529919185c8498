"""Figures of a sweep: heatmaps, tornado chart, LCOH distribution, trade-off fronts.

Every function takes the KPI dataset of :mod:`nzv_energy.sweep.results` and a
file path, draws on a matplotlib ``Figure`` (no pyplot state, safe in worker
threads) and returns the path written,
or ``None`` when the sweep has nothing to show for that figure (e.g. no two
swept capacities for a heatmap).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from nzv_energy.report.figures import default_display_name, share_formatter, site_names
from nzv_energy.report.formatting import SHARE_TOLERANCE, format_share
from nzv_energy.sweep.members import DRAW_DIM, YEAR_DIM, ZIP_DIM
from nzv_energy.sweep.results import (
    CO2,
    DEMAND_MET,
    FRONTS,
    LCOH,
    design_means,
)

log = logging.getLogger(__name__)

#: Share of members at each end used for Monte Carlo / zip sensitivities.
TAIL_FRACTION = 0.1


#: Unit endings of scenario field names, cut off in labels (the unit is said apart).
_UNIT_SUFFIX = re.compile(
    r"_(mw|mwh|kw|kwh|eur_per_\w+|eur|t_per_\w+|t|h|pct|share|fraction|years?)$"
)

#: Field names whose words alone do not say what they are.
_FIELD_WORDS: dict[str, str] = {"storage": "hydrogen storage", "pv": "PV", "co2": "CO2"}


def _field_words(name: str) -> str:
    words = _UNIT_SUFFIX.sub("", name)
    return _FIELD_WORDS.get(words, words.replace("_", " "))


def field_label(path: str, units: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """A swept scenario field as words with its unit: ``Boxberg electrolysis (MW)``.

    Parameters
    ----------
    path
        Field path as in the sweep file (``sites.boxberg.electrolysis_mw``,
        ``hydrogen.storage_mwh.boxberg``, ``technology.electrolysis.capex_eur_per_kw``).
    units
        Unit of the values (omitted when ``"1"`` or empty).
    names
        Display name per site key (default :func:`default_display_name`).

    Returns
    -------
    str
        The label; a path of another shape reads as its last parts in words.
    """

    def site(key: str) -> str:
        return (names or {}).get(key) or default_display_name(key)

    parts = [p for p in str(path).split(".") if p]
    if len(parts) == 3 and parts[0] == "sites":
        text = f"{site(parts[1])} {_field_words(parts[2])}"
    elif len(parts) == 3 and parts[0] == "hydrogen" and parts[1] == "storage_mwh":
        text = f"{site(parts[2])} hydrogen storage"
    elif len(parts) >= 3 and parts[0] == "technology":
        text = f"{_field_words(parts[1])} {_field_words(parts[-1])}"
    else:
        text = _field_words(parts[-1]) if parts else str(path)
    text = text[:1].upper() + text[1:]
    return f"{text} ({units})" if units and units != "1" else text


def _label(ds: xr.Dataset, name: str) -> str:
    var = ds[name] if name in ds.variables else None
    units = var.attrs.get("units") if var is not None else None
    path = var.attrs.get("field_path") if var is not None else None
    return field_label(path or name, units, site_names(ds))


#: Bounds of the colour bins of a share of demand met (fractions); the last bin holds
#: only shares of 1 (within round-off), so 99 %, 99.9 % and 100 % get different colours.
SHARE_BOUNDS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0 - SHARE_TOLERANCE)


def share_norm(values: np.ndarray) -> BoundaryNorm:
    """Colour bins for shares of demand met: fine near 100 %, coarse below.

    The lowest bound is the smallest share rounded down to 10 % (at most 50 %),
    the highest is just above 1, so every value of ``values`` falls in a bin.
    """
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    low = float(np.floor(10.0 * finite.min()) / 10.0) if finite.size else 0.5
    bounds = [min(low, SHARE_BOUNDS[0]), *SHARE_BOUNDS, 1.0 + SHARE_TOLERANCE]
    bounds = sorted(set(bounds))
    return BoundaryNorm(bounds, ncolors=256)


def _share_tick(bound: float) -> str:
    if bound >= 1.0 - 2 * SHARE_TOLERANCE:
        return "100 %"
    return f"{100.0 * bound:g} %"


def _kpi_label(ds: xr.Dataset, name: str) -> str:
    units = ds[name].attrs.get("units", "")
    nice = {LCOH: "LCOH", DEMAND_MET: "Share of hydrogen demand met", CO2: "CO2 emissions"}
    text = nice.get(name, name)
    return f"{text} ({units})" if units and units != "1" else text


def grid_dims(ds: xr.Dataset) -> list[str]:
    """Numeric grid dimensions (swept fields), capacities first."""
    out = []
    for d in ds.dims:
        if d in (YEAR_DIM, DRAW_DIM, ZIP_DIM) or d not in ds.coords:
            continue
        if ds[d].dtype.kind in "fiu" and ds.sizes[d] > 1:
            out.append(str(d))
    return sorted(out, key=lambda d: ds[d].attrs.get("units") not in ("MW", "MWh"))


def _central_index(ds: xr.Dataset, dim: str) -> int:
    return int(ds.sizes[dim] // 2)


def _reduce_to(
    ds: xr.Dataset, name: str, keep: list[str], skipna: bool = False
) -> tuple[xr.DataArray, str]:
    """Average over weather years and draws, take the middle of other grid axes."""
    da = ds[name]
    notes = []
    for d in list(da.dims):
        if d in keep:
            continue
        if d in (YEAR_DIM, DRAW_DIM, ZIP_DIM):
            if da.sizes[d] > 1:
                notes.append(f"mean over {da.sizes[d]} {d.replace('_', ' ')}s")
            da = da.mean(d, skipna=skipna)
        else:
            i = _central_index(ds, str(d))
            notes.append(f"{_label(ds, str(d))} = {ds[d].values[i]:g}")
            da = da.isel({d: i})
    return da, "; ".join(notes)


def heatmaps(ds: xr.Dataset, path: Path) -> Path | None:
    """LCOH and demand-met share over the first two swept capacities, written to ``path``."""
    fig = heatmaps_figure(ds)
    if fig is None:
        return None
    fig.savefig(path, dpi=120)
    return path


def heatmaps_figure(ds: xr.Dataset) -> Figure | None:
    """The figure of :func:`heatmaps` (``None`` without two swept capacities or the KPIs).

    The share of demand met is coloured in bins (:func:`share_norm`) that
    tell 99 %, 99.9 % and 100 % apart; axes name the swept fields in words.
    """
    dims = grid_dims(ds)
    kpis = [k for k in (LCOH, DEMAND_MET) if k in ds]
    if len(dims) < 2 or not kpis:
        return None
    x, y = dims[0], dims[1]
    fig = Figure(figsize=(6.2 * len(kpis), 4.8))
    axes = fig.subplots(1, len(kpis), squeeze=False)
    for ax, name in zip(axes[0], kpis, strict=True):
        da, note = _reduce_to(ds, name, [x, y])
        da = da.transpose(y, x)
        cmap = "viridis_r" if name == LCOH else "viridis"
        norm = share_norm(da.values) if name == DEMAND_MET else None
        mesh = ax.pcolormesh(
            ds[x].values,
            ds[y].values,
            np.ma.masked_invalid(da.values),
            shading="nearest",
            cmap=cmap,
            norm=norm,
        )
        bar = fig.colorbar(mesh, ax=ax, label=_kpi_label(ds, name))
        if norm is not None:
            # a tick at every bin edge below 100 %, and "100 %" in the bin of shares of 1
            ticks = [*np.asarray(norm.boundaries)[:-2], 1.0]
            bar.set_ticks(ticks)
            bar.ax.set_yticklabels([_share_tick(t) for t in ticks])
            bar.ax.minorticks_off()
        ax.set_xlabel(_label(ds, x))
        ax.set_ylabel(_label(ds, y))
        ax.set_title(
            _kpi_label(ds, name).split(" (")[0] + (f"\n({note})" if note else ""), fontsize=10
        )
    fig.tight_layout()
    return fig


def _sampled_rows(ds: xr.Dataset, name: str, dim: str) -> list[tuple[str, float, float, float]]:
    """Sensitivities of the KPI to the fields drawn (or zipped) along ``dim``.

    A linear least-squares fit of the KPI (mean over the other dimensions) on
    every numeric field along ``dim`` separates each field's effect from the
    others' (tails of one field alone would carry the noise of the others);
    a field's bar spans its 10th to 90th percentile with the others at their
    mean.  With too few members for a fit, the mean KPI of the members in a
    field's lowest and highest 10 % is shown instead.
    """
    da = ds[name]
    other = [d for d in da.dims if d != dim]
    y = (da.mean(other, skipna=True) if other else da).values
    names = [
        str(c) for c, coord in ds[dim].coords.items() if c != dim and coord.dtype.kind in "fiu"
    ]
    if not names:
        return []
    x = np.column_stack([ds[c].values.astype(np.float64) for c in names])
    ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    x, y = x[ok], y[ok]
    lo_q = np.quantile(x, TAIL_FRACTION, axis=0) if len(x) else np.full(len(names), np.nan)
    hi_q = np.quantile(x, 1 - TAIL_FRACTION, axis=0) if len(x) else lo_q
    pct = round(100 * TAIL_FRACTION)
    rows = []
    if len(y) >= len(names) + 2:
        mean = x.mean(axis=0)
        # centred and scaled columns: the fit's conditioning no longer depends on
        # the fields' units (EUR/MW next to a discount rate)
        spread = x.std(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        design = np.column_stack([np.ones(len(y)), (x - mean) / spread])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        centre = float(coef[0])
        slope = coef[1:] / spread
        for k, c in enumerate(names):
            lo = centre + slope[k] * (lo_q[k] - mean[k])
            hi = centre + slope[k] * (hi_q[k] - mean[k])
            label = f"{_label(ds, c)}: P{pct} .. P{100 - pct} ({lo_q[k]:.3g} .. {hi_q[k]:.3g})"
            rows.append((label, float(lo), float(hi), centre))
        return rows
    for k, c in enumerate(names):
        order = np.argsort(x[:, k], kind="stable")
        n = max(1, round(TAIL_FRACTION * len(y)))
        lo, hi = float(np.mean(y[order[:n]])), float(np.mean(y[order[-n:]]))
        label = f"{_label(ds, c)}: lowest vs highest {pct} % of members"
        rows.append((label, lo, hi, float(np.mean(y))))
    return rows


def sensitivities(ds: xr.Dataset, name: str = LCOH) -> list[tuple[str, float, float, float]]:
    """Low and high KPI value per varied field, for a tornado chart.

    Grid axes: the KPI at the axis's smallest and largest value with the other
    grid axes at their middle position, averaged over weather years and draws.
    Drawn (and zipped) fields: from a linear fit of the KPI on all of them,
    the KPI at each field's 10th and 90th percentile with the others at their
    mean (see :func:`_sampled_rows`).

    Returns
    -------
    list of (label, kpi at low value, kpi at high value, centre)
        Sorted by swing, largest first.
    """
    out: list[tuple[str, float, float, float]] = []
    if name not in ds:
        return out
    for d in grid_dims(ds):
        da, _ = _reduce_to(ds, name, [d], skipna=True)
        lo, hi = float(da.isel({d: 0})), float(da.isel({d: -1}))
        centre = float(da.isel({d: _central_index(ds, d)}))
        out.append(
            (f"{_label(ds, d)}: {ds[d].values[0]:g} .. {ds[d].values[-1]:g}", lo, hi, centre)
        )
    for dim in (DRAW_DIM, ZIP_DIM):
        if dim in ds.dims and ds.sizes[dim] >= 2:
            out.extend(_sampled_rows(ds, name, dim))
    out.sort(key=lambda t: -abs(t[2] - t[1]) if np.isfinite(t[2] - t[1]) else 0.0)
    return out


def tornado(ds: xr.Dataset, path: Path, name: str = LCOH) -> Path | None:
    """Tornado chart of the KPI's sensitivity to every varied field."""
    rows = sensitivities(ds, name)
    if not rows:
        return None
    fig = Figure(figsize=(9.5, 0.6 * len(rows) + 2.2))
    ax = fig.subplots()
    centre = float(np.nanmean([r[3] for r in rows]))
    styles = {"lo": ("tab:blue", "at the low value"), "hi": ("tab:orange", "at the high value")}
    for i, (_label_text, lo, hi, _c) in enumerate(rows):
        # the longer bar first, so a shorter one on the same side stays visible
        ends = sorted((("lo", lo), ("hi", hi)), key=lambda e: -abs(e[1] - centre))
        for which, value in ends:
            color, label = styles[which]
            ax.barh(
                i,
                value - centre,
                left=centre,
                color=color,
                height=0.6,
                label=label if i == 0 else None,
            )
    ax.axvline(centre, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(_kpi_label(ds, name))
    ax.set_title(
        f"Sensitivity of {_kpi_label(ds, name).split(' (')[0]} (line: {centre:.3g})", fontsize=10
    )
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(t) for _, t in styles.values() if t in labels]
    fig.legend(
        [handles[k] for k in order],
        [labels[k] for k in order],
        loc="lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=120)
    return path


def lcoh_distribution(ds: xr.Dataset, path: Path, name: str = LCOH) -> Path | None:
    """Distribution of LCOH across weather years and Monte Carlo draws (all members)."""
    if name not in ds:
        return None
    da = ds[name]
    years = ds[YEAR_DIM].values if YEAR_DIM in ds.dims else np.array([])
    groups, labels = [], []
    for y in years:
        v = da.sel({YEAR_DIM: y}).values.ravel()
        groups.append(v[np.isfinite(v)])
        labels.append(str(int(y)))
    everything = da.values.ravel()
    everything = everything[np.isfinite(everything)]
    if everything.size == 0:
        return None
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    bins = np.histogram_bin_edges(everything, bins=min(60, max(10, everything.size // 20)))
    if len(groups) > 1:
        for g, lab in zip(groups, labels, strict=True):
            ax1.hist(g, bins=bins, histtype="step", lw=1.4, label=f"weather year {lab}")
    ax1.hist(everything, bins=bins, color="0.75", label="all members", zorder=0)
    ax1.set_xlabel(_kpi_label(ds, name))
    ax1.set_ylabel("members")
    ax1.legend(fontsize=8)
    data = [g for g in groups if g.size] + [everything]
    names = [lab for g, lab in zip(groups, labels, strict=True) if g.size] + ["all"]
    ax2.boxplot(data, whis=(5, 95), showfliers=False)
    ax2.set_xticks(range(1, len(names) + 1), names)
    ax2.set_ylabel(_kpi_label(ds, name))
    ax2.set_xlabel("weather year (whiskers 5-95 %)")
    n_draws = ds.sizes.get(DRAW_DIM, 1)
    fig.suptitle(
        f"{_kpi_label(ds, name).split(' (')[0]} across {everything.size:,} members"
        + (f" ({n_draws:,} Monte Carlo draws)" if n_draws > 1 else ""),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def pareto_fronts(ds: xr.Dataset, path: Path) -> Path | None:
    """LCOH against CO2 emissions and against demand met, non-dominated designs marked.

    Designs are the positions of the grid (or zipped list), with KPIs averaged over
    weather years and Monte Carlo draws.  A KPI that is the same for every design
    leaves no trade-off; its panel says so.
    """
    fronts = [(f, pair) for f, pair in FRONTS.items() if f in ds]
    if not fronts:
        return None
    fig = Figure(figsize=(6 * len(fronts), 4.6))
    axes = fig.subplots(1, len(fronts), squeeze=False)
    for ax, (flag, ((a, _), (b, _))) in zip(axes[0], fronts, strict=True):
        means = design_means(ds, (a, b))
        xb, ya = means[b].values.ravel(), means[a].values.ravel()
        mask = ds[flag].values.ravel()
        ax.scatter(xb, ya, s=6, color="0.6", alpha=0.6, label="designs", rasterized=True)
        order = np.argsort(xb[mask], kind="stable")
        ax.plot(
            xb[mask][order],
            ya[mask][order],
            "-o",
            color="tab:red",
            ms=4,
            lw=1.2,
            label=f"non-dominated ({int(mask.sum())})",
        )
        finite = xb[np.isfinite(xb)]
        if finite.size and np.ptp(finite) == 0:
            ax.text(
                0.5,
                0.5,
                f"{_kpi_label(ds, b).split(' (')[0]} is "
                f"{format_share(finite[0]) if b == DEMAND_MET else f'{finite[0]:g}'} for every "
                "design:\nno trade-off in this sweep",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "0.7"},
            )
        ax.set_xlabel(_kpi_label(ds, b))
        if b == DEMAND_MET:
            ax.xaxis.set_major_formatter(share_formatter())
        ax.set_ylabel(_kpi_label(ds, a))
        ax.legend(fontsize=8)
    over = [
        f"{ds.sizes[d]} {label}"
        for d, label in ((YEAR_DIM, "weather years"), (DRAW_DIM, "draws"))
        if d in ds.dims
    ]
    fig.suptitle(
        "Trade-off fronts" + (f" (means over {' and '.join(over)})" if over else ""),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def draw_all(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Every figure that applies to the sweep, as PNG files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    made = [
        heatmaps(ds, folder / "heatmap_lcoh_demand_met.png"),
        tornado(ds, folder / "tornado_lcoh.png"),
        lcoh_distribution(ds, folder / "lcoh_distribution.png"),
        pareto_fronts(ds, folder / "pareto_fronts.png"),
    ]
    return [p for p in made if p is not None]
