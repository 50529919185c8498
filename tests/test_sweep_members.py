"""Member expansion: grid order, zip, weather years, Monte Carlo draws (seeded, bounded)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.sweep.members import (
    DRAW_DIM,
    YEAR_DIM,
    ZIP_DIM,
    batch_bounds,
    default_batch_size,
    draw,
    expand_members,
    field_seed,
)
from nzv_energy.sweep.spec import Normal, Triangular, Uniform, load_sweep

from .sweep_helpers import write_sweep

EL = "sites.boxberg.electrolysis_mw"
ST = "hydrogen.storage_mwh.boxberg"
CAPEX = "technology.electrolysis.capex_eur_per_mw"
RATE = "economics.discount_rate"


def _table(tmp_path: Path, content: dict) -> object:
    return expand_members(load_sweep(write_sweep(tmp_path, content)))


def test_product_grid_order_and_positions(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        {
            "weather_years": [2018, 2019],
            "parameters": {EL: [0, 100, 200], ST: [0, 500]},
        },
    )
    assert t.dims == (YEAR_DIM, "boxberg_electrolysis_mw", "boxberg_hydrogen_storage_mwh")
    assert t.shape == (2, 3, 2) and t.n_members == 12
    # every combination exactly once
    combos = {(int(t.weather_year[i]), t.values[EL][i], t.values[ST][i]) for i in range(12)}
    assert combos == {(y, e, s) for y in (2018, 2019) for e in (0, 100, 200) for s in (0, 500)}
    # C order with the weather year outermost: consecutive members share a year
    assert list(t.weather_year) == [2018] * 6 + [2019] * 6
    for i in range(12):
        pos = t.index(i)
        assert (
            t.axes[1].coords["boxberg_electrolysis_mw"][pos["boxberg_electrolysis_mw"]]
            == (t.values[EL][i])
        )
        assert t.axes[0].coords[YEAR_DIM][pos[YEAR_DIM]] == t.weather_year[i]


def test_zip_pairs_values_by_position(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        {"combine": "zip", "parameters": {EL: [10, 20, 30], ST: [100, 200, 300]}},
    )
    assert t.dims == (YEAR_DIM, ZIP_DIM)
    assert list(t.values[EL]) == [10, 20, 30]
    assert list(t.values[ST]) == [100, 200, 300]
    zip_axis = t.axes[1]
    assert set(zip_axis.coords) == {
        ZIP_DIM,
        "boxberg_electrolysis_mw",
        "boxberg_hydrogen_storage_mwh",
    }


def test_default_weather_years_are_the_base_scenarios(tmp_path: Path) -> None:
    t = _table(tmp_path, {"parameters": {EL: [1, 2]}})
    assert set(t.weather_year) == {2019}  # single_site_quick.yaml names 2019


def _mc(tmp_path: Path, seed: int, params: dict, draws: int = 400, name: str = "s.yaml"):
    content = {"monte_carlo": {"draws": draws, "seed": seed, "parameters": params}}
    return expand_members(load_sweep(write_sweep(tmp_path, content, name=name)))


MC = {
    CAPEX: {"distribution": "triangular", "low": 1.2e6, "mode": 1.9e6, "high": 2.6e6},
    RATE: {"distribution": "uniform", "low": 0.04, "high": 0.1},
}


def test_monte_carlo_reproducible_with_seed(tmp_path: Path) -> None:
    a = _mc(tmp_path, 7, MC, name="a.yaml")
    b = _mc(tmp_path, 7, MC, name="b.yaml")
    c = _mc(tmp_path, 8, MC, name="c.yaml")
    for path in (CAPEX, RATE):
        assert np.array_equal(a.values[path], b.values[path])
        assert not np.array_equal(a.values[path], c.values[path])
    assert a.dims == (YEAR_DIM, DRAW_DIM)


def test_draws_of_a_field_do_not_depend_on_other_fields(tmp_path: Path) -> None:
    both = _mc(tmp_path, 3, MC, name="both.yaml")
    alone = _mc(tmp_path, 3, {RATE: MC[RATE]}, name="alone.yaml")
    assert np.array_equal(both.values[RATE], alone.values[RATE])


def test_monte_carlo_within_bounds(tmp_path: Path) -> None:
    t = _mc(tmp_path, 11, MC)
    cap = t.values[CAPEX]
    assert cap.min() >= 1.2e6 and cap.max() <= 2.6e6
    rate = t.values[RATE]
    assert rate.min() >= 0.04 and rate.max() <= 0.1


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@pytest.mark.parametrize(
    ("dist", "mean", "var"),
    [
        (Uniform(distribution="uniform", low=2.0, high=5.0), 3.5, 9 / 12),
        (
            Triangular(distribution="triangular", low=1.0, mode=2.0, high=6.0),
            3.0,
            (1 + 4 + 36 - 2 - 6 - 12) / 18,
        ),
    ],
)
def test_draw_moments_match_closed_form(dist: object, mean: float, var: float) -> None:
    n = 200_000
    x = draw(dist, n, field_seed(1, "x"))
    se = math.sqrt(var / n)
    assert abs(x.mean() - mean) < 4 * se
    assert abs(x.var() - var) < 0.02 * var


def test_truncated_normal_mean_matches_closed_form() -> None:
    mu, sigma, lo, hi = 35.0, 12.0, 15.0, 80.0
    dist = Normal(distribution="normal", mean=mu, std=sigma, low=lo, high=hi)
    x = draw(dist, 200_000, field_seed(5, "gas"))
    a, b = (lo - mu) / sigma, (hi - mu) / sigma
    z = _normal_cdf(b) - _normal_cdf(a)
    expected = mu + sigma * (_normal_pdf(a) - _normal_pdf(b)) / z
    var = sigma**2 * (
        1
        + (a * _normal_pdf(a) - b * _normal_pdf(b)) / z
        - ((_normal_pdf(a) - _normal_pdf(b)) / z) ** 2
    )
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.mean() - expected) < 4 * math.sqrt(var / x.size)
    assert abs(dist.mass_inside() - z) < 1e-12


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-100, 100),
    std=st.floats(0.01, 50),
    lo_off=st.floats(-3, 1),
    width=st.floats(0.5, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_truncated_normal_stays_in_bounds(
    mean: float, std: float, lo_off: float, width: float, seed: int
) -> None:
    lo = mean + lo_off * std
    hi = lo + width * std
    dist = Normal(distribution="normal", mean=mean, std=std, low=lo, high=hi)
    x = draw(dist, 500, np.random.default_rng(seed))
    assert x.shape == (500,)
    assert np.all((x >= lo) & (x <= hi))


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(-1e6, 1e6),
    span=st.floats(1e-3, 1e6),
    frac=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_uniform_and_triangular_stay_in_bounds(
    low: float, span: float, frac: float, seed: int
) -> None:
    high = low + span
    if not low < high:
        return
    rng = np.random.default_rng(seed)
    u = draw(Uniform(distribution="uniform", low=low, high=high), 300, rng)
    tri = draw(
        Triangular(distribution="triangular", low=low, mode=low + frac * (high - low), high=high),
        300,
        rng,
    )
    for x in (u, tri):
        assert np.all((x >= low) & (x <= high))


def test_grid_times_draws_times_years(tmp_path: Path) -> None:
    content = {
        "weather_years": [2017, 2019],
        "parameters": {EL: [0, 100]},
        "monte_carlo": {"draws": 3, "seed": 1, "parameters": {RATE: MC[RATE]}},
    }
    t = expand_members(load_sweep(write_sweep(tmp_path, content)))
    assert t.dims == (YEAR_DIM, "boxberg_electrolysis_mw", DRAW_DIM)
    assert t.n_members == 12
    # the same draws for every design and year (common random numbers)
    rate = t.values[RATE].reshape(t.shape)
    assert np.array_equal(rate[0, 0], rate[1, 1])


@given(n=st.integers(1, 100_000), size=st.integers(1, 5000))
def test_batches_cover_every_member_once(n: int, size: int) -> None:
    bounds = batch_bounds(n, size)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(b - a <= size and b > a for a, b in bounds)
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    assert 1 <= default_batch_size(n) <= 2000
