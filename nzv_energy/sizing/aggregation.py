"""Time aggregation for the fast mode: ordered segments of adjacent hours.

Hours are merged into contiguous segments (the order of hours is kept, so
storage still carries energy from one segment to the next; each segment's
snapshot weighting is its length in hours).  Two methods:

``blocks``
    Fixed blocks of ``segment_hours``.
``adaptive`` (default)
    The same number of segments, but of varying length: adjacent segments
    whose profiles (wind and PV capacity factors per site, price, demand;
    each standardised) differ least are merged first (Ward's criterion on a
    chain, as in the segmentation of tsam).  Calm nights become long
    segments, fast-changing hours stay short, so the same model size loses
    less accuracy than fixed blocks.

Segments never cross a weather-year boundary, nor (when the scenario's
constraints need them) a calendar-month boundary or a change between hours
priced above and at-or-below the RFNBO threshold, nor (with
``operation.import_carbon_threshold_g_per_kwh``) between hours above and
at-or-below the import carbon threshold.
Segment values are hour means, so every energy sum over a segment is exact.
The grid carbon intensity is a segment mean too: an import constant within a
segment then emits exactly the sum of its hourly emissions.  When a carbon rule
counts grid imports (a CO2 cap or a limit on the hydrogen's intensity) the
intensity is one more merging feature, so hours of very different intensity
stay in different segments.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from nzv_energy.grid_carbon import intensity_on
from nzv_energy.system import SystemInputs

Method = Literal["blocks", "adaptive"]


@dataclass(frozen=True)
class Segmentation:
    """Aggregated inputs and the map back to hours.

    Attributes
    ----------
    inputs
        Inputs with one time step per segment (values are segment means; the
        time stamp is the segment's first hour).
    weights_h
        Length of each segment, hours.
    starts
        Index of each segment's first hour in the hourly inputs.
    n_hours
        Number of hours of the hourly inputs.
    """

    inputs: SystemInputs
    weights_h: np.ndarray
    starts: np.ndarray
    n_hours: int

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Repeat per-segment values (first axis) to hourly values."""
        return np.repeat(np.asarray(values), self.weights_h.astype(np.int64), axis=0)

    def segment_of_hour(self) -> np.ndarray:
        """Segment index of every hour."""
        return np.repeat(np.arange(len(self.starts)), self.weights_h.astype(np.int64))


def _hard_breaks(inputs: SystemInputs) -> np.ndarray:
    """Boolean per hour: a segment must start here."""
    sc = inputs.scenario
    time = pd.DatetimeIndex(inputs.time)
    n = len(time)
    brk = np.zeros(n, dtype=bool)
    brk[0] = True
    brk[1:] |= time.year[1:] != time.year[:-1]
    if sc.optimisation.rfnbo == "monthly":
        brk[1:] |= time.month[1:] != time.month[:-1]
    if sc.optimisation.rfnbo != "none" and sc.operation.grid_import:
        cheap = inputs.price_eur_per_mwh <= sc.operation.import_price_threshold_eur_per_mwh
        brk[1:] |= cheap[1:] != cheap[:-1]
    threshold = sc.operation.import_carbon_threshold_g_per_kwh
    if threshold is not None and sc.operation.grid_import:
        # import policy: no segment mixes hours above and at-or-below the carbon threshold
        clean = intensity_on(inputs.grid_carbon_g_per_kwh, inputs.time,
                             "operation.import_carbon_threshold_g_per_kwh") <= threshold
        brk[1:] |= clean[1:] != clean[:-1]
    return brk


#: Weight of each feature group in the merging distance (wind, PV, price, demand,
#: grid carbon intensity).  Price weighs more: averaging prices inside a segment loses
#: battery and export arbitrage, the largest error source on the 3-site default
#: (docs/PERFORMANCE.md).  The carbon intensity counts only when a carbon rule counts
#: grid imports (:func:`carbon_feature`); it weighs as the price, for the same reason
#: (the LP chooses import hours by it).
FEATURE_WEIGHTS = {"wind": 1.0, "pv": 1.0, "price": 1.5, "demand": 1.0, "carbon": 1.5}


def carbon_feature(inputs: SystemInputs) -> np.ndarray | None:
    """Hourly grid intensity (g CO2e/kWh) when a carbon rule of the LP counts grid imports.

    ``None`` without grid import, without a CO2 cap or hydrogen carbon limit, or
    without a complete hourly series (the LP then refuses the rule itself).
    """
    sc = inputs.scenario
    opt = sc.optimisation
    series = inputs.grid_carbon_g_per_kwh
    if series is None or not sc.operation.grid_import or (
        opt.co2_cap_t_per_year is None and opt.max_hydrogen_carbon_intensity_kg_per_kg is None
    ):
        return None
    values = series.reindex(pd.DatetimeIndex(inputs.time)).to_numpy(np.float64)
    return values if np.all(np.isfinite(values)) else None


def _features(inputs: SystemInputs, weights: dict[str, float] | None = None) -> np.ndarray:
    """Standardised hourly features, shape ``(n_hours, n_features)``.

    Each group (wind of all sites, PV of all sites, price, demand) carries the
    same total weight whatever the number of sites: a site's column is scaled
    by ``1 / sqrt(n_sites)`` so squared distances add up to one group's share.
    """
    wts = {**FEATURE_WEIGHTS, **(weights or {})}
    n_sites = inputs.wind_cf.shape[0]
    groups = [
        (inputs.wind_cf, wts["wind"] / np.sqrt(n_sites)),
        (inputs.pv_cf, wts["pv"] / np.sqrt(n_sites)),
        (inputs.price_eur_per_mwh[None, :], wts["price"]),
        (inputs.hydrogen_demand_mw[None, :], wts["demand"]),
    ]
    carbon = carbon_feature(inputs)
    if carbon is not None:
        groups.append((carbon[None, :], wts["carbon"]))
    cols = []
    for block, weight in groups:
        for col in np.atleast_2d(block):
            std = col.std()
            if std > 0 and weight > 0:
                cols.append((col - col.mean()) / std * weight)
    if not cols:
        return np.zeros((len(inputs.time), 1))
    return np.column_stack(cols)


def block_starts(brk: np.ndarray, segment_hours: int) -> np.ndarray:
    """Starts of fixed blocks of ``segment_hours``, restarting at every hard break."""
    n = len(brk)
    starts = []
    run_start = 0
    for i in range(n):
        if brk[i]:
            run_start = i
        if (i - run_start) % segment_hours == 0:
            starts.append(i)
    return np.asarray(starts, dtype=np.int64)


def adaptive_starts(
    x: np.ndarray, brk: np.ndarray, n_segments: int, max_length: int
) -> np.ndarray:
    """Starts of ``n_segments`` contiguous segments merged by Ward's criterion.

    Parameters
    ----------
    x
        Features per hour, shape ``(n_hours, n_features)``.
    brk
        Hours where a segment must start (never merged across).
    n_segments
        Target number of segments (at least the number of hard breaks).
    max_length
        Longest segment, hours.
    """
    n = len(x)
    size = np.ones(n, dtype=np.int64)
    mean = x.copy()
    nxt = np.arange(1, n + 1)
    prv = np.arange(-1, n - 1)
    alive = np.ones(n, dtype=bool)
    version = np.zeros(n, dtype=np.int64)

    def cost(a: int, b: int) -> float:
        na, nb = size[a], size[b]
        d = mean[a] - mean[b]
        return float(na * nb / (na + nb) * (d @ d))

    heap: list[tuple[float, int, int, int]] = []
    for a in range(n - 1):
        if not brk[a + 1] and size[a] + size[a + 1] <= max_length:
            heap.append((cost(a, a + 1), a, version[a], version[a + 1]))
    heapq.heapify(heap)
    count = n
    while count > n_segments and heap:
        _, a, va, vb = heapq.heappop(heap)
        b = nxt[a]
        if not alive[a] or b >= n or va != version[a] or vb != version[b]:
            continue
        # merge b into a
        total = size[a] + size[b]
        mean[a] = (mean[a] * size[a] + mean[b] * size[b]) / total
        size[a] = total
        alive[b] = False
        nxt[a] = nxt[b]
        if nxt[a] < n:
            prv[nxt[a]] = a
        version[a] += 1
        count -= 1
        p, q = prv[a], nxt[a]
        if p >= 0 and not brk[a] and size[p] + size[a] <= max_length:
            heapq.heappush(heap, (cost(p, a), p, version[p], version[a]))
        if q < n and not brk[q] and size[a] + size[q] <= max_length:
            heapq.heappush(heap, (cost(a, q), a, version[a], version[q]))
    return np.flatnonzero(alive).astype(np.int64)


def _aggregate(inputs: SystemInputs, starts: np.ndarray) -> Segmentation:
    n = len(inputs.time)
    lengths = np.diff(np.append(starts, n)).astype(np.float64)

    def seg_mean(a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a, starts, axis=-1) / lengths

    time = pd.DatetimeIndex(inputs.time[starts])
    carbon = None
    if inputs.grid_carbon_g_per_kwh is not None:
        # segment means, indexed by the segments' first hours as the other inputs
        hourly = inputs.grid_carbon_g_per_kwh.reindex(pd.DatetimeIndex(inputs.time))
        carbon = pd.Series(seg_mean(hourly.to_numpy(np.float64)), index=time,
                           name=inputs.grid_carbon_g_per_kwh.name)
    agg = SystemInputs(
        scenario=inputs.scenario,
        time=time,
        wind_cf=np.ascontiguousarray(seg_mean(inputs.wind_cf)),
        pv_cf=np.ascontiguousarray(seg_mean(inputs.pv_cf)),
        price_eur_per_mwh=seg_mean(inputs.price_eur_per_mwh),
        hydrogen_demand_mw=seg_mean(inputs.hydrogen_demand_mw),
        pipeline_km=inputs.pipeline_km,
        input_hashes=inputs.input_hashes,
        grid_carbon_g_per_kwh=carbon,
    )
    return Segmentation(inputs=agg, weights_h=lengths, starts=starts, n_hours=n)


def segment(
    inputs: SystemInputs,
    segment_hours: int | None = None,
    method: Method = "adaptive",
    max_length_h: int | None = None,
    feature_weights: dict[str, float] | None = None,
) -> Segmentation:
    """Aggregate hourly inputs into ordered segments.

    Parameters
    ----------
    inputs
        Hourly inputs.
    segment_hours
        Mean segment length (``blocks``: the block length); the scenario's
        ``optimisation.segment_hours`` when ``None``.
    method
        ``adaptive`` (Ward merging of similar neighbours) or ``blocks``.
    max_length_h
        Longest adaptive segment; ``4 × segment_hours`` (at most 24 h) when ``None``.
    feature_weights
        Weights of the feature groups (see :data:`FEATURE_WEIGHTS`).

    Returns
    -------
    Segmentation
    """
    hours = segment_hours or inputs.scenario.optimisation.segment_hours
    brk = _hard_breaks(inputs)
    if hours <= 1:
        starts = np.arange(len(inputs.time), dtype=np.int64)
    elif method == "blocks":
        starts = block_starts(brk, hours)
    elif method == "adaptive":
        n_target = max(round(len(inputs.time) / hours), int(brk.sum()))
        max_len = max_length_h or min(4 * hours, 24)
        starts = adaptive_starts(_features(inputs, feature_weights), brk, n_target,
                                 max(max_len, hours))
    else:
        raise ValueError(f"unknown aggregation method {method!r}")
    return _aggregate(inputs, starts)
