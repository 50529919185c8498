"""The sweep's KPI dataset: assembled from the batch files over the swept dimensions.

Dimensions: one per grid parameter (named readably, e.g.
``boxberg_electrolysis_mw``), ``member`` for zipped lists, ``draw`` for Monte
Carlo draws (each drawn field a coordinate along it) and ``weather_year``.
Every KPI is a variable over these dimensions with ``units`` and ``long_name``;
``failed`` marks members that raised (their KPIs are NaN, the reasons are in
``failed_members.csv``).  The non-dominated designs of the two trade-offs
(LCOH against CO2 emissions, LCOH against the share of demand met) are flagged
in ``pareto_lcoh_co2`` and ``pareto_lcoh_demand_met``; a design is a position
on the grid (or zipped list) and its KPIs are means over weather years and
Monte Carlo draws.  A pure Monte Carlo sweep has no designs and no fronts.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nzv_energy.errors import ScenarioError
from nzv_energy.results_io import write_netcdf
from nzv_energy.sweep.members import DRAW_DIM, YEAR_DIM, MemberTable
from nzv_energy.sweep.pareto import non_dominated

log = logging.getLogger(__name__)

#: KPI names the figures and trade-off fronts use.
LCOH = "system_net_cost_per_kg_h2_eur_per_kg"
DEMAND_MET = "demand_met_share"
CO2 = "co2_emissions_t"

#: Trade-off fronts: flag name -> ((KPI, minimise), (KPI, minimise)).
FRONTS: dict[str, tuple[tuple[str, bool], tuple[str, bool]]] = {
    "pareto_lcoh_co2": ((LCOH, True), (CO2, True)),
    "pareto_lcoh_demand_met": ((LCOH, True), (DEMAND_MET, False)),
}

_UNIT_TOKENS = {
    "eur": "EUR",
    "mw": "MW",
    "mwh": "MWh",
    "kg": "kg",
    "t": "t",
    "km": "km",
    "h": "h",
    "hours": "h",
    "1000h": "1000 h",
    "year": "a",
    "years": "a",
    "fraction": "1",
    "share": "1",
}


def _unit_group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The unit token at ``i``; two tokens (``mw_km`` -> MW km) when they follow ``per``."""
    if i < 0 or tokens[i] not in _UNIT_TOKENS:
        return [], i
    if i >= 2 and tokens[i - 1] in _UNIT_TOKENS and tokens[i - 2] == "per":
        return [_UNIT_TOKENS[tokens[i - 1]], _UNIT_TOKENS[tokens[i]]], i - 2
    return [_UNIT_TOKENS[tokens[i]]], i - 1


def units_from_name(name: str) -> str:
    """Units spelled by a name's suffix: ``capex_eur_per_mw`` -> ``EUR/MW``; ``1`` if none.

    The suffix is a chain ``<unit>(_per_<unit>)*`` of the tokens in
    ``_UNIT_TOKENS``; a trailing ``_h2`` marks hydrogen energy (``MWh_H2``), a trailing
    ``_th`` heat (``MWh_th``, ``EUR/MWh_th``).
    """
    tokens = name.lower().split("_")
    qualifier = ""
    if len(tokens) > 1 and tokens[-1] in ("h2", "th") and tokens[-2] in ("mw", "mwh"):
        qualifier = "_H2" if tokens[-1] == "h2" else "_th"
        tokens = tokens[:-1]
    group, i = _unit_group(tokens, len(tokens) - 1)
    if not group:
        return "1"
    groups = [group]
    while i >= 1 and tokens[i] == "per":
        group, j = _unit_group(tokens, i - 1)
        if not group:
            break
        groups.insert(0, group)
        i = j
    texts = [" ".join(u for u in g if u != "1" or len(g) == 1) for g in groups]
    out = texts[0]
    for t in texts[1:]:
        out += "/" + (f"({t})" if " " in t else t)
    return out + qualifier


def assemble(
    table: MemberTable,
    kpis: Mapping[str, np.ndarray],
    errors: np.ndarray,
    kpi_attrs: Mapping[str, Mapping[str, str]] | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """One dataset of KPIs over the sweep's dimensions.

    Parameters
    ----------
    table
        The sweep's members.
    kpis
        KPI name -> value per member (flat member order).
    errors
        Error message per member (empty when it succeeded).
    kpi_attrs
        KPI name -> ``{"units": ..., "long_name": ...}``; units default to the
        name's suffix.
    attrs
        Dataset attributes (provenance, sweep file).

    Returns
    -------
    xarray.Dataset
        Dims: the sweep's axes with ``weather_year`` last.
    """
    shape = table.shape
    dims = table.dims
    coords: dict[str, Any] = {}
    for axis in table.axes:
        for name, values in axis.coords.items():
            cattrs: dict[str, str] = {}
            ref = next((f for f in axis.fields if f.dim_name == name), None)
            if ref is not None:
                cattrs = {"field_path": ref.path, "units": units_from_name(ref.dim_name)}
                if ref.nullable and ref.numeric:
                    cattrs["comment"] = "NaN stands for null (field not set)"
            coords[name] = xr.Variable((axis.dim,), values, cattrs)
    data: dict[str, xr.Variable] = {}
    meta = kpi_attrs or {}
    for name, values in kpis.items():
        vattrs = dict(meta.get(name, {}))
        vattrs.setdefault("units", units_from_name(name))
        vattrs.setdefault("long_name", name.replace("_", " "))
        data[name] = xr.Variable(dims, np.asarray(values, np.float64).reshape(shape), vattrs)
    failed = np.array([bool(e) for e in errors], dtype=bool).reshape(shape)
    data["failed"] = xr.Variable(
        dims, failed, {"long_name": "member raised an error (see failed_members.csv)"}
    )
    ds = xr.Dataset(data, coords=coords, attrs=dict(attrs or {}))
    order = [d for d in dims if d != YEAR_DIM] + [YEAR_DIM]
    ds = ds.transpose(*order)
    for flag, ((a, sense_a), (b, sense_b)) in FRONTS.items():
        if a in ds and b in ds and design_dims(ds):
            ds[flag] = pareto_flags(ds, (a, b), (sense_a, sense_b))
    return ds


def design_dims(ds: xr.Dataset) -> list[str]:
    """Dimensions that describe designs: every swept dimension but weather years and draws."""
    return [str(d) for d in ds.dims if d not in (YEAR_DIM, DRAW_DIM)]


def design_means(ds: xr.Dataset, names: tuple[str, ...]) -> xr.Dataset:
    """The named KPIs of each design: means over weather years and Monte Carlo draws.

    A design that failed in any year or draw has a NaN mean.
    """
    sub = ds[list(names)]
    over = [d for d in (YEAR_DIM, DRAW_DIM) if d in sub.dims]
    return sub.mean(over, skipna=False) if over else sub


def pareto_flags(
    ds: xr.Dataset, names: tuple[str, str], minimise: tuple[bool, bool]
) -> xr.DataArray:
    """Non-dominated designs of two KPIs (means over weather years and draws).

    A design that failed in any weather year or draw is not on the front.
    """
    means = design_means(ds, names)
    dims = means[names[0]].dims
    pts = np.column_stack([means[n].values.ravel() for n in names])
    mask = non_dominated(pts, minimise).reshape(means[names[0]].shape)
    senses = ", ".join(
        f"{n} {'minimised' if m else 'maximised'}" for n, m in zip(names, minimise, strict=True)
    )
    return xr.DataArray(
        mask,
        dims=dims,
        attrs={
            "long_name": f"non-dominated design ({senses}; means over weather years and draws)",
            "units": "1",
        },
    )


def write_dataset(ds: xr.Dataset, folder: Path, fmt: str) -> Path:
    """Write the KPI dataset as ``kpis.nc`` (netCDF4) or ``kpis.zarr``."""
    if fmt == "zarr":
        try:
            import zarr  # noqa: F401
        except ImportError:
            raise ScenarioError(
                None, "output.format", "zarr", "netcdf, or install the zarr package"
            ) from None
        path = folder / "kpis.zarr"
        ds.to_zarr(path, mode="w")
        return path
    path = folder / "kpis.nc"
    write_netcdf(ds, path)
    return path


def write_failed_members(
    path: Path, table: MemberTable, errors: np.ndarray, limit: int | None = None
) -> int:
    """Write ``failed_members.csv`` (member, weather year, every field, error); return the count."""
    failed = np.flatnonzero(np.array([bool(e) for e in errors], dtype=bool))
    fields = [f.path for f in table.fields]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["member", YEAR_DIM, *fields, "error"])
        for m in failed[:limit]:
            d = table.describe(int(m))
            writer.writerow([int(m), d[YEAR_DIM], *(d[f] for f in fields), errors[m]])
    return int(failed.size)


def write_member_table(path: Path, table: MemberTable, kpis: Mapping[str, np.ndarray]) -> None:
    """Write every member's parameters and KPIs as one CSV row (for spreadsheets)."""
    fields = [f.path for f in table.fields]
    names = list(kpis)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["member", YEAR_DIM, *fields, *names])
        cols = [table.values[f] for f in fields]
        kcols = [kpis[k] for k in names]
        for m in range(table.n_members):
            writer.writerow(
                [
                    m,
                    int(table.weather_year[m]),
                    *(c[m] for c in cols),
                    *(f"{float(k[m]):.6g}" for k in kcols),
                ]
            )
