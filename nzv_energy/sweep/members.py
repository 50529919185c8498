"""Expand a sweep into its members: the grid (product), zipped lists, Monte Carlo draws, years.

Members are numbered ``0 .. n-1`` in C order over the sweep's axes with the
weather year outermost, so consecutive members (one batch) mostly share a
weather year.  Every value is computed up front into flat numpy arrays (a few
bytes per member and field), deterministic for a given sweep file: Monte Carlo
draws come from a generator seeded with the file's ``seed`` and a hash of the
field path, so adding or reordering fields does not change the draws of the
others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from nzv_energy.sweep.fields import FieldRef
from nzv_energy.sweep.spec import Normal, SweepSpec, Triangular, Uniform

#: Name of the weather-year dimension.
YEAR_DIM = "weather_year"
#: Dimension of zipped parameter lists.
ZIP_DIM = "member"
#: Dimension of Monte Carlo draws.
DRAW_DIM = "draw"


@dataclass(frozen=True)
class Axis:
    """One dimension of the sweep.

    Attributes
    ----------
    dim
        Dimension name (``boxberg_electrolysis_mw``, ``member``, ``draw``, ``weather_year``).
    size
        Number of positions.
    coords
        Coordinate name -> values along the dimension.  A grid axis has one
        coordinate named like the dimension; ``member`` and ``draw`` carry one
        coordinate per zipped or drawn field.
    fields
        The fields varying along this axis, in coordinate order.
    """

    dim: str
    size: int
    coords: dict[str, np.ndarray]
    fields: tuple[FieldRef, ...] = ()


@dataclass(frozen=True)
class MemberBatch:
    """A contiguous run of members ``start .. stop-1`` and their values."""

    start: int
    stop: int
    values: dict[str, np.ndarray]
    weather_year: np.ndarray

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def ids(self) -> np.ndarray:
        """Member numbers."""
        return np.arange(self.start, self.stop, dtype=np.int64)

    def member_values(self, i: int) -> dict[str, Any]:
        """Field path -> value of the ``i``-th member of the batch (Python scalars)."""
        return {path: _scalar(arr[i]) for path, arr in self.values.items()}


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass(frozen=True)
class MemberTable:
    """Every member of a sweep.

    Attributes
    ----------
    axes
        The sweep's dimensions in flat (C) order, weather year first.
    fields
        Every varying field.
    values
        Field path -> value of each member, shape ``(n_members,)``; float64 for
        numeric fields (NaN = null for nullable ones), object otherwise.
    weather_year
        Weather year of each member.
    """

    axes: tuple[Axis, ...]
    fields: tuple[FieldRef, ...]
    values: dict[str, np.ndarray]
    weather_year: np.ndarray

    @property
    def n_members(self) -> int:
        """Number of members."""
        return int(self.weather_year.size)

    @property
    def dims(self) -> tuple[str, ...]:
        """Dimension names in flat order."""
        return tuple(a.dim for a in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Sizes of the dimensions in flat order."""
        return tuple(a.size for a in self.axes)

    def batch(self, start: int, stop: int) -> MemberBatch:
        """Members ``start .. stop-1``."""
        stop = min(stop, self.n_members)
        return MemberBatch(
            start=start,
            stop=stop,
            values={k: v[start:stop] for k, v in self.values.items()},
            weather_year=self.weather_year[start:stop],
        )

    def describe(self, member: int) -> dict[str, Any]:
        """Field path -> value, plus ``weather_year``, of one member."""
        out = {path: _scalar(arr[member]) for path, arr in self.values.items()}
        out[YEAR_DIM] = int(self.weather_year[member])
        return out

    def index(self, member: int) -> dict[str, int]:
        """Position of a member along each dimension."""
        pos = np.unravel_index(member, self.shape)
        return {a.dim: int(p) for a, p in zip(self.axes, pos, strict=True)}


def _column(ref: FieldRef, values: tuple[Any, ...] | np.ndarray) -> np.ndarray:
    if ref.numeric:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _coord(column: np.ndarray) -> np.ndarray:
    """A coordinate array netCDF can store (strings for choices, bools as bool)."""
    if column.dtype == object:
        if all(isinstance(v, bool) for v in column):
            return column.astype(bool)
        return column.astype(str)
    return column


def field_seed(seed: int, path: str) -> np.random.Generator:
    """Random generator of one drawn field: seeded by the sweep seed and the field path."""
    return np.random.default_rng([int(seed), zlib.crc32(path.encode("utf-8"))])


def draw(dist: Uniform | Normal | Triangular, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of a distribution (a truncated normal by rejection).

    Parameters
    ----------
    dist
        The distribution.
    n
        Number of draws.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        float64 draws, shape ``(n,)``.
    """
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    if isinstance(dist, Triangular):
        if dist.low == dist.high:  # pragma: no cover - excluded by validation
            return np.full(n, dist.low)
        return rng.triangular(dist.low, dist.mode, dist.high, n)
    out = rng.normal(dist.mean, dist.std, n)
    lo = -np.inf if dist.low is None else dist.low
    hi = np.inf if dist.high is None else dist.high
    bad = (out < lo) | (out > hi)
    while bad.any():
        k = int(bad.sum())
        # draw a generous block so the loop ends quickly even at low acceptance
        fresh = rng.normal(dist.mean, dist.std, max(2 * k, int(k / dist.mass_inside()) + 16))
        fresh = fresh[(fresh >= lo) & (fresh <= hi)][:k]
        idx = np.flatnonzero(bad)[: fresh.size]
        out[idx] = fresh
        bad = (out < lo) | (out > hi)
    return out


def _axes(spec: SweepSpec) -> list[tuple[Axis, dict[str, np.ndarray]]]:
    """Axes in flat order, each with its fields' values along the axis."""
    out: list[tuple[Axis, dict[str, np.ndarray]]] = []
    years = np.array(spec.weather_years, dtype=np.int64)
    out.append((Axis(YEAR_DIM, years.size, {YEAR_DIM: years}), {}))
    if spec.parameters and spec.combine == "product":
        for p in spec.parameters:
            col = _column(p.field, p.values)
            out.append(
                (
                    Axis(p.field.dim_name, col.size, {p.field.dim_name: _coord(col)}, (p.field,)),
                    {p.field.path: col},
                )
            )
    elif spec.parameters:
        cols = {p.field.path: _column(p.field, p.values) for p in spec.parameters}
        n = len(spec.parameters[0].values)
        coords: dict[str, np.ndarray] = {ZIP_DIM: np.arange(n, dtype=np.int64)}
        coords.update({p.field.dim_name: _coord(cols[p.field.path]) for p in spec.parameters})
        fields = tuple(p.field for p in spec.parameters)
        out.append((Axis(ZIP_DIM, n, coords, fields), cols))
    mc = spec.model.monte_carlo
    if mc is not None:
        cols = {
            d.field.path: draw(d.distribution, mc.draws, field_seed(mc.seed, d.field.path))
            for d in spec.drawn
        }
        for d in spec.drawn:
            if d.field.kind == "integer":
                cols[d.field.path] = np.round(cols[d.field.path])
        coords = {DRAW_DIM: np.arange(mc.draws, dtype=np.int64)}
        coords.update({d.field.dim_name: cols[d.field.path] for d in spec.drawn})
        fields = tuple(d.field for d in spec.drawn)
        out.append((Axis(DRAW_DIM, mc.draws, coords, fields), cols))
    return out


def expand_members(spec: SweepSpec) -> MemberTable:
    """Every member of a sweep, deterministic for a given sweep file.

    Parameters
    ----------
    spec
        A validated sweep.

    Returns
    -------
    MemberTable
        Axes, per-member field values and weather years.
    """
    axes = _axes(spec)
    shape = tuple(a.size for a, _ in axes)
    n = int(np.prod(shape, dtype=np.int64))
    values: dict[str, np.ndarray] = {}
    weather_year = np.empty(0, dtype=np.int64)
    for k, (axis, cols) in enumerate(axes):
        # repeat each position by the product of the inner sizes, tile by the outer ones
        inner = int(np.prod(shape[k + 1 :], dtype=np.int64))
        outer = int(np.prod(shape[:k], dtype=np.int64))
        pos = np.tile(np.repeat(np.arange(axis.size), inner), outer)
        if axis.dim == YEAR_DIM:
            weather_year = axis.coords[YEAR_DIM][pos]
        for path, col in cols.items():
            values[path] = col[pos]
    assert weather_year.size == n
    return MemberTable(
        axes=tuple(a for a, _ in axes),
        fields=spec.fields,
        values=values,
        weather_year=weather_year,
    )


def batch_bounds(n_members: int, batch_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each batch of at most ``batch_size`` members."""
    return [(s, min(s + batch_size, n_members)) for s in range(0, n_members, batch_size)]


def default_batch_size(n_members: int) -> int:
    """Members per task when the sweep file does not say.

    Aims at about 32 tasks (enough to balance load on a few dozen workers and
    to resume at fine grain) with 16 to 2,000 members each, so each task runs
    many kernel calls and the per-task cost on the client (scheduling, the
    result's transfer, its batch file) stays small next to the kernel work:
    measured on 2 cores with 10,000 members, 64 tasks took 10-15 % longer
    than 32 (docs/PERFORMANCE.md).  It does not depend on the number of
    workers, so a sweep resumed with a different cluster finds its finished
    batches.
    """
    return int(min(2000, max(16, -(-n_members // 32))))
