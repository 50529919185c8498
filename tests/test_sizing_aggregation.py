"""Fast mode's ordered time segments: a partition of the hours that keeps energy sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing.aggregation import adaptive_starts, block_starts, segment
from nzv_energy.sizing.testing import for_scenario, scenario_with
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def two_years():
    sc = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    sc = scenario_with(sc, {"weather": {"years": [2018, 2019]}})
    return build_inputs(sc)


@pytest.mark.parametrize("method", ["adaptive", "blocks"])
def test_segments_partition_hours_and_keep_energy(two_years, method):
    seg = segment(two_years, 3, method=method)
    n = len(two_years.time)
    assert seg.weights_h.sum() == n
    assert seg.starts[0] == 0
    assert np.all(np.diff(seg.starts) > 0)
    # segment means times lengths give back the hourly sums
    for name in ("wind_cf", "pv_cf"):
        agg = getattr(seg.inputs, name)
        np.testing.assert_allclose((agg * seg.weights_h).sum(axis=1),
                                   getattr(two_years, name).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose((seg.inputs.price_eur_per_mwh * seg.weights_h).sum(),
                               two_years.price_eur_per_mwh.sum(), rtol=1e-12)
    # no segment crosses the turn of the year
    year_start = int(np.flatnonzero(two_years.time.year == 2019)[0])
    assert year_start in set(seg.starts.tolist())
    # about one segment per 3 hours
    assert len(seg.starts) == pytest.approx(n / 3, rel=0.01)
    # expand is the inverse of the segment map
    hourly = seg.expand(np.arange(len(seg.starts)))
    assert hourly.shape == (n,)
    np.testing.assert_array_equal(hourly, seg.segment_of_hour())


def test_rfnbo_breaks_at_months_and_threshold(two_years):
    sc = scenario_with(two_years.scenario, {"operation": {"grid_import": True},
                                            "optimisation": {"rfnbo": "monthly"}})
    inputs = for_scenario(two_years, sc)
    seg = segment(inputs, 6)
    idx = seg.segment_of_hour()
    month = inputs.time.month.to_numpy()
    cheap = inputs.price_eur_per_mwh <= sc.operation.import_price_threshold_eur_per_mwh
    for values in (month, cheap):
        # inside one segment the month and the cheap/expensive flag never change
        first = values[seg.starts][idx]
        np.testing.assert_array_equal(values, first)


def test_block_starts_restart_at_breaks():
    brk = np.zeros(10, dtype=bool)
    brk[[0, 4]] = True
    assert block_starts(brk, 3).tolist() == [0, 3, 4, 7]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 120),
    target_frac=st.floats(0.05, 1.0),
    max_len=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_adaptive_starts_properties(n, target_frac, max_len, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    brk = rng.random(n) < 0.1
    brk[0] = True
    target = max(1, int(n * target_frac))
    starts = adaptive_starts(x, brk, target, max_len)
    lengths = np.diff(np.append(starts, n))
    assert starts[0] == 0 and np.all(lengths >= 1)
    assert set(np.flatnonzero(brk)) <= set(starts.tolist())  # hard breaks kept
    assert lengths.max() <= max(max_len, 1)
    # never fewer segments than asked; more only when no neighbours may merge any more
    assert len(starts) >= min(target, n)
    if len(starts) > target:
        for k in range(len(starts) - 1):
            assert brk[starts[k + 1]] or lengths[k] + lengths[k + 1] > max_len


def test_adaptive_merges_identical_hours_first():
    """Hours with identical profiles merge before hours that differ."""
    x = np.array([[0.0], [0.0], [0.0], [5.0], [5.0], [9.0]])
    brk = np.zeros(6, dtype=bool)
    brk[0] = True
    starts = adaptive_starts(x, brk, 3, 10)
    assert starts.tolist() == [0, 3, 5]
