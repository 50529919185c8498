"""Non-dominated (Pareto-optimal) members of a sweep.

Member ``a`` dominates member ``b`` when ``a`` is at least as good in every
objective and strictly better in at least one.  Members that no other member
dominates form the trade-off (Pareto) front.  Members with a NaN objective
(failed members) take no part.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_minimised(points: np.ndarray, minimise: Sequence[bool]) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2:
        raise ValueError(f"points must be (n_members, n_criteria), got shape {pts.shape}")
    if len(minimise) != pts.shape[1]:
        raise ValueError(f"{len(minimise)} senses for {pts.shape[1]} objectives")
    signs = np.array([1.0 if m else -1.0 for m in minimise])
    return pts * signs


def _front_2d(p: np.ndarray) -> np.ndarray:
    """Non-dominated rows of a finite (n, 2) array, both objectives minimised."""
    n = p.shape[0]
    order = np.lexsort((p[:, 1], p[:, 0]))  # by first, then second objective
    a, b = p[order, 0], p[order, 1]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = a[1:] != a[:-1]
    group = np.cumsum(new_group) - 1
    group_min = b[new_group]  # rows are sorted by b within a group: first row is its minimum
    best_before = np.empty_like(group_min)
    best_before[0] = np.inf
    if group_min.size > 1:
        best_before[1:] = np.minimum.accumulate(group_min)[:-1]
    keep_sorted = (b == group_min[group]) & (best_before[group] > group_min[group])
    out = np.zeros(n, dtype=bool)
    out[order] = keep_sorted
    return out


def _front_nd(p: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Non-dominated rows of a finite (n, k) array by pairwise comparison (chunked)."""
    n = p.shape[0]
    dominated = np.zeros(n, dtype=bool)
    for s in range(0, n, chunk):
        block = p[s : s + chunk]
        le = np.all(p[None, :, :] <= block[:, None, :], axis=2)
        lt = np.any(p[None, :, :] < block[:, None, :], axis=2)
        dominated[s : s + chunk] = np.any(le & lt, axis=1)
    return ~dominated


def non_dominated(points: np.ndarray, minimise: Sequence[bool]) -> np.ndarray:
    """Which members lie on the trade-off front.

    Parameters
    ----------
    points
        Objective values, shape ``(n_members, n_criteria)``.
    minimise
        Per objective: True when smaller is better (LCOH, CO2), False when
        larger is better (share of demand met).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True for non-dominated members; False for members with
        a NaN objective.
    """
    p = _as_minimised(points, minimise)
    finite = np.all(np.isfinite(p), axis=1)
    out = np.zeros(p.shape[0], dtype=bool)
    if not finite.any():
        return out
    q = p[finite]
    out[finite] = _front_2d(q) if q.shape[1] == 2 else _front_nd(q)
    return out
