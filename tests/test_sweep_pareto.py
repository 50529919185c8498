"""Non-dominated members: a hand-made set and a brute-force reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nzv_energy.sweep.pareto import non_dominated


def reference(points: np.ndarray, minimise: list[bool]) -> np.ndarray:
    """Obvious O(n^2) definition: nobody is at least as good everywhere and better somewhere."""
    sign = np.array([1.0 if m else -1.0 for m in minimise])
    p = points * sign
    n = len(p)
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        if not np.all(np.isfinite(p[i])):
            continue
        dominated = False
        for j in range(n):
            if j == i or not np.all(np.isfinite(p[j])):
                continue
            if np.all(p[j] <= p[i]) and np.any(p[j] < p[i]):
                dominated = True
                break
        out[i] = not dominated
    return out


def test_hand_made_lcoh_against_co2() -> None:
    # columns: LCOH (EUR/kg), CO2 (t); both minimised
    pts = np.array(
        [
            [5.0, 100.0],  # 0 front: cheapest
            [6.0, 50.0],  # 1 front
            [7.0, 10.0],  # 2 front
            [8.0, 10.0],  # 3 dominated by 2 (same CO2, dearer)
            [6.5, 60.0],  # 4 dominated by 1
            [9.0, 0.0],  # 5 front: cleanest
            [7.0, 10.0],  # 6 duplicate of 2: neither dominates the other
            [np.nan, 0.0],  # 7 failed member: never on the front
        ]
    )
    got = non_dominated(pts, [True, True])
    assert got.tolist() == [True, True, True, False, False, True, True, False]


def test_hand_made_lcoh_against_share_met() -> None:
    # LCOH minimised, share of demand met maximised
    pts = np.array([[4.0, 0.5], [5.0, 0.9], [5.0, 0.8], [6.0, 1.0], [7.0, 1.0], [3.0, 0.2]])
    got = non_dominated(pts, [True, False])
    assert got.tolist() == [True, True, False, True, False, True]


@settings(max_examples=200, deadline=None)
@given(
    pts=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(2, 3)),
        elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan]),
    ),
    senses=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_matches_brute_force(pts: np.ndarray, senses: list[bool]) -> None:
    minimise = senses[: pts.shape[1]]
    assert np.array_equal(non_dominated(pts, minimise), reference(pts, minimise))


def reference_vectorised(points: np.ndarray) -> np.ndarray:
    """The same definition by broadcasting (finite points, all minimised)."""
    le = np.all(points[None, :, :] <= points[:, None, :], axis=2)
    lt = np.any(points[None, :, :] < points[:, None, :], axis=2)
    return ~np.any(le & lt, axis=1)


@settings(max_examples=50, deadline=None)
@given(
    pts=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 300), st.just(2)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    )
)
def test_front_of_continuous_values(pts: np.ndarray) -> None:
    mask = non_dominated(pts, [True, True])
    assert mask.any()  # a finite, non-empty set always has a front
    assert np.array_equal(mask, reference_vectorised(pts))
    # no front member dominates another
    front = pts[mask]
    assert np.array_equal(reference_vectorised(front), np.ones(len(front), dtype=bool))
