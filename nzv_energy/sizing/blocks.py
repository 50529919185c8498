"""A weather year's operation LP in blocks of whole months, linked by their store levels.

Within one weather year the hours of the operation LP are coupled only through the
levels of the stores (hydrogen stores, batteries, thermal stores): each store's balance
row of an hour holds its level at the end of that hour and at the end of the hour
before (cyclic within the year, :func:`nzv_energy.sizing.lp.previous_snapshot`).  With
the capacities *and* the levels at the block boundaries fixed, every block of hours is
an independent LP, so the year's least operating cost is

    φ(x) = min over boundary levels ℓ of  Σ_k φ_k(x, ℓ_k, ℓ_{k+1})

with ``φ_k`` the least operating cost of block ``k`` from level ``ℓ_k`` at its start
to ``ℓ_{k+1}`` at its end (``ℓ_K = ℓ_0``: the year stays cyclic).  The decomposition
(:mod:`nzv_energy.sizing.decompose`) then takes the boundary levels as master columns
next to the capacities and cuts each block separately (one cut per block and
evaluation instead of one per year): the same optimum, in fewer and cheaper
evaluations of smaller LPs that run in parallel (docs/PERFORMANCE.md, docs/optimisation.md).

A block's LP is the year LP of its hours (:func:`nzv_energy.sizing.lp.build_direct_model`
on :meth:`~nzv_energy.system.SystemInputs.select_hours`) with two changes per store: the
first hour's balance takes the start level from a fixed column instead of the block's
own last hour, and a row ties the last hour's level to a fixed end-level column, with
penalised slacks both ways so that every boundary the master proposes can be operated.
The reduced costs of the two fixed columns are the cut's slopes in the boundary levels.

Rows over more than one hour other than the store balances (annual CO2 and grid-import
caps, the hydrogen carbon limit, monthly or annual RFNBO matching) would couple the
blocks too; a year LP with any of them is not split (:func:`splittable`).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from nzv_energy.sizing.lp import DirectModel

__all__ = ["LEVEL_CAPACITIES", "THERMAL_LEVEL", "YEAR_ROW_PREFIXES", "BoundaryColumns", "Store",
           "block_starts", "level_columns", "link_boundaries", "splittable", "stores"]

#: Row groups of the direct LP over more than one hour, besides the store balances.
YEAR_ROW_PREFIXES = ("co2_cap", "grid_import_cap", "hydrogen_carbon_limit", "rfnbo")

#: Level columns of the direct LP (``DirectModel.flow_cols`` name) -> the capacity that
#: bounds the level (field of the site's capacities).
LEVEL_CAPACITIES = {
    "hydrogen_storage_level": "hydrogen_storage_mwh",
    "battery_level": "battery_mwh",
}
#: Name of a site's thermal-store level (a district-heat column of the direct LP).
THERMAL_LEVEL = "thermal_storage_level"


@dataclass(frozen=True)
class Store:
    """A store whose level links consecutive blocks.

    Attributes
    ----------
    site
        Site name.
    name
        Its level columns: ``hydrogen_storage_level``, ``battery_level`` or
        ``thermal_storage_level``.
    capacity
        ``(site, field)`` of the energy capacity that bounds the level, MWh.
    min_fraction
        Lowest level as a share of that capacity (the battery's minimum state of charge).
    """

    site: str
    name: str
    capacity: tuple[str, str]
    min_fraction: float


def stores(dm: DirectModel, min_soc_fraction: float) -> list[Store]:
    """The stores of a direct LP, in a fixed order (sites, then kinds)."""
    out = []
    for (site, name) in dm.flow_cols:
        if name in LEVEL_CAPACITIES:
            frac = min_soc_fraction if name == "battery_level" else 0.0
            out.append(Store(site, name, (site, LEVEL_CAPACITIES[name]), frac))
    for site, cols in dm.heat_cols.items():
        if "storage_level" in cols.cols:
            out.append(Store(site, THERMAL_LEVEL, (site, "thermal_storage_mwh"), 0.0))
    return out


def level_columns(dm: DirectModel, store: Store) -> np.ndarray:
    """Column of the store's level in each hour of the LP."""
    if store.name == THERMAL_LEVEL:
        return np.asarray(dm.heat_cols[store.site].cols["storage_level"])
    return np.asarray(dm.flow_cols[(store.site, store.name)])


def splittable(dm: DirectModel) -> bool:
    """Whether the year LP ``dm`` has no row over several hours but the store balances."""
    return not any(group.startswith(YEAR_ROW_PREFIXES) for group in dm.row_groups)


def block_starts(time: pd.DatetimeIndex, n_blocks: int) -> list[int]:
    """First hour of each block: month starts nearest to equal shares of the hours.

    Fewer blocks than ``n_blocks`` when the hours span fewer months; always starts at 0.
    """
    t = pd.DatetimeIndex(time)
    n = len(t)
    months = np.flatnonzero(np.r_[True, (t.month[1:] != t.month[:-1])
                                  | (t.year[1:] != t.year[:-1])])
    starts = {int(months[np.argmin(np.abs(months - k * n / n_blocks))])
              for k in range(n_blocks)}
    return sorted(starts)


@dataclass(frozen=True)
class BoundaryColumns:
    """Columns a block LP gained from :func:`link_boundaries` (one per store each)."""

    start: np.ndarray  # fixed column: the level at the block's start, MWh
    end: np.ndarray  # fixed column: the level its last hour must end at, MWh
    slack: np.ndarray  # penalised columns of the end rows (both directions)


def link_boundaries(h: highspy.Highs, dm: DirectModel, block_stores: list[Store],
                    penalty_eur_per_mwh: float) -> BoundaryColumns:
    """Turn the block LP loaded in ``h`` (built as ``dm``) into one with fixed boundary levels.

    For each store: its first hour's balance row takes the level before the block from a
    new fixed column (coefficient of the block's own last level there, which is removed:
    the cyclic wrap), and a new row ``level_last − end + s⁺ − s⁻ = 0`` ties the last
    hour's level to a new fixed column ``end``, with slacks ``s±`` at
    ``penalty_eur_per_mwh``.  The fixed columns start at 0; the caller sets their bounds.
    """
    a = dm.lp.a_matrix_
    if a.format_ != highspy.MatrixFormat.kColwise:
        raise ValueError("block LP: column-wise constraint matrix expected")
    csc = sparse.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                            shape=(dm.lp.num_row_, dm.lp.num_col_))
    start, end, slack = [], [], []
    inf = highspy.kHighsInf
    for store in block_stores:
        level = level_columns(dm, store)
        first, last = int(level[0]), int(level[-1])
        rows_first = set(csc.indices[csc.indptr[first]:csc.indptr[first + 1]].tolist())
        last_rows = csc.indices[csc.indptr[last]:csc.indptr[last + 1]]
        last_vals = csc.data[csc.indptr[last]:csc.indptr[last + 1]]
        wrap = [(int(r), float(v)) for r, v in zip(last_rows, last_vals, strict=True)
                if int(r) in rows_first]
        if len(wrap) != 1:
            raise ValueError(f"block LP: no unique balance row wrapping {store.site} "
                             f"{store.name} (found {len(wrap)})")
        row, coef = wrap[0]
        h.changeCoeff(row, last, 0.0)
        col = h.getNumCol()
        h.addCol(0.0, 0.0, 0.0, 1, np.array([row], dtype=np.int32), np.array([coef]))
        start.append(col)
        col = h.getNumCol()
        h.addCol(0.0, 0.0, 0.0, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        for _ in range(2):
            h.addCol(penalty_eur_per_mwh, 0.0, inf, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        h.addRow(0.0, 0.0, 4, np.array([last, col, col + 1, col + 2], dtype=np.int32),
                 np.array([1.0, -1.0, 1.0, -1.0]))
        end.append(col)
        slack += [col + 1, col + 2]
    return BoundaryColumns(np.array(start, dtype=np.int64), np.array(end, dtype=np.int64),
                           np.array(slack, dtype=np.int64))
