"""Tests of nzv_energy.profiles and nzv_energy.weather_try on the shipped data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.errors import InputDataError, NzvInputError, ScenarioError
from nzv_energy.profiles import (
    ENTSOE_FILE,
    INPUTS_DIR,
    PROFILE_SOURCES,
    TRY_FILE,
    SiteProfileSpec,
    available_years,
    file_sha256,
    input_files,
    load_capacity_factors,
    scale_to_full_load_hours,
)
from nzv_energy.weather_try import read_try

# Approximate coordinates of the three former lignite sites.
SITES = {
    "jaenschwalde": SiteProfileSpec(lat=51.835, lon=14.460),
    "schwarze_pumpe": SiteProfileSpec(lat=51.535, lon=14.354),
    "boxberg": SiteProfileSpec(lat=51.416, lon=14.565),
}
SCALED = {
    "jaenschwalde": SiteProfileSpec(51.835, 14.460, wind_full_load_hours=2100.0),
    "schwarze_pumpe": SiteProfileSpec(51.535, 14.354, 1500.0, 1020.0),
    "boxberg": SiteProfileSpec(51.416, 14.565, None, 1050.0),
}


def _flh(ds, var: str, site: str) -> pd.Series:
    return ds[var].sel(site=site).groupby("time.year").sum().to_series()


def _check_layout(ds, years, sites) -> None:
    assert list(ds["site"].values) == list(sites)
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    assert ds["wind_cf"].dims == ("time", "site")
    index = pd.DatetimeIndex(ds["time"].values)
    assert index.tz is None
    assert (np.diff(index.asi8) > 0).all()
    assert sorted(set(index.year)) == sorted(years)
    for year in years:
        n = 8784 if pd.Timestamp(year=year, month=1, day=1).is_leap_year else 8760
        assert (index.year == year).sum() == n
        assert index[index.year == year][0] == pd.Timestamp(year=year, month=1, day=1)
    for var in ("wind_cf", "pv_cf"):
        values = ds[var].values
        assert values.dtype == np.float64
        assert np.isfinite(values).all()
        assert values.min() >= 0.0 and values.max() <= 1.0
        assert ds[var].attrs["units"] == "1"
        assert ds[var].attrs["long_name"]
        assert ds[var].attrs["source"]
    assert ds.attrs["source"]
    assert ds.attrs["scaling"]


# ---------------------------------------------------------------- ENTSO-E


def test_entsoe_2019_national_flh_matches_readme_range() -> None:
    ds = load_capacity_factors("entsoe_de", [2019], SITES)
    _check_layout(ds, [2019], SITES)
    wind = float(ds["wind_cf"].sel(site="boxberg").sum())
    pv = float(ds["pv_cf"].sel(site="boxberg").sum())
    assert 1714.0 <= wind <= 1932.0
    assert 859.0 <= pv <= 937.0
    # Unscaled sites all carry the national profile.
    assert np.array_equal(ds["wind_cf"].values[:, 0], ds["wind_cf"].values[:, 2])


def test_entsoe_all_years_in_readme_range_and_complete() -> None:
    years = [2017, 2018, 2019, 2020]
    ds = load_capacity_factors("entsoe_de", years, SITES)
    _check_layout(ds, years, SITES)
    assert ds.sizes["time"] == 35064
    wind = _flh(ds, "wind_cf", "boxberg")
    pv = _flh(ds, "pv_cf", "boxberg")
    assert wind.between(1714.0 - 1.0, 1932.0 + 1.0).all()
    assert pv.between(859.0 - 1.0, 937.0 + 1.0).all()
    # The file ends at 2020-12-31 22:00 UTC; the last UTC hour is filled and documented.
    assert "2020-12-31 23:00" in ds.attrs["processing"]


def test_entsoe_scaling_hits_targets_each_year() -> None:
    years = [2018, 2020]
    national = load_capacity_factors("entsoe_de", years, SITES)
    ds = load_capacity_factors("entsoe_de", years, SCALED)
    _check_layout(ds, years, SCALED)
    np.testing.assert_allclose(_flh(ds, "wind_cf", "jaenschwalde"), 2100.0, atol=0.1)
    np.testing.assert_allclose(_flh(ds, "wind_cf", "schwarze_pumpe"), 1500.0, atol=0.1)
    np.testing.assert_allclose(_flh(ds, "pv_cf", "schwarze_pumpe"), 1020.0, atol=0.1)
    np.testing.assert_allclose(_flh(ds, "pv_cf", "boxberg"), 1050.0, atol=0.1)
    # No target -> national profile unchanged.
    np.testing.assert_array_equal(
        ds["wind_cf"].sel(site="boxberg"), national["wind_cf"].sel(site="boxberg")
    )
    # Monotone: the scaled value never decreases where the national value increases.
    base = national["wind_cf"].sel(site="jaenschwalde", time="2018").values
    scaled = ds["wind_cf"].sel(site="jaenschwalde", time="2018").values
    order = np.argsort(base, kind="stable")
    assert (np.diff(scaled[order]) >= -1e-12).all()
    assert "2100" in ds.attrs["scaling"]


def test_scale_to_full_load_hours_exact_on_random_profiles() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        cf = np.clip(rng.beta(0.8, 3.0, 8760) * (rng.random(8760) > 0.1), 0, 1)
        for target in (100.0, cf.sum(), 3000.0, 7000.0, float(np.count_nonzero(cf))):
            out = scale_to_full_load_hours(cf, target)
            assert abs(out.sum() - target) < 1e-6, target
            assert out.min() >= 0.0 and out.max() <= 1.0
    with pytest.raises(ValueError):
        scale_to_full_load_hours(np.array([0.0, 0.5, 0.5]), 2.5)


def test_unreachable_full_load_hours_raise_scenario_error() -> None:
    sites = {"boxberg": SiteProfileSpec(51.4, 14.6, pv_full_load_hours=8000.0)}
    with pytest.raises(ScenarioError) as err:
        load_capacity_factors("entsoe_de", [2019], sites)
    assert "sites.boxberg.pv_full_load_hours" in str(err.value)
    assert "8000" in str(err.value)


def test_entsoe_one_year_is_fast_when_cached() -> None:
    import time

    load_capacity_factors("entsoe_de", [2019], SITES)
    start = time.perf_counter()
    load_capacity_factors("entsoe_de", [2019], SITES)
    assert time.perf_counter() - start < 0.5


# ---------------------------------------------------------------- DWD TRY


def test_try_reader_time_axis_and_values() -> None:
    weather = read_try(INPUTS_DIR / TRY_FILE)
    assert len(weather) == 8760
    assert weather.index[0] == pd.Timestamp("2010-01-01 00:00")
    assert weather.index[-1] == pd.Timestamp("2010-12-31 23:00")
    # First file row (1 Jan, hour 1 CET) ends up in the last UTC hour (cyclic shift).
    assert weather["wind_speed_10m_m_per_s"].iloc[-1] == pytest.approx(5.7)
    assert weather["temp_air_degc"].iloc[-1] == pytest.approx(-2.6)
    # Second file row (hour 2 CET = 00:00-01:00 UTC) is the first UTC hour.
    assert weather["temp_air_degc"].iloc[0] == pytest.approx(-3.9)


def test_try_profiles_plausible_and_scalable() -> None:
    ds = load_capacity_factors("dwd_try2010", (2010,), SITES)
    _check_layout(ds, [2010], SITES)
    for site in SITES:
        pv = float(ds["pv_cf"].sel(site=site).sum())
        wind = float(ds["wind_cf"].sel(site=site).sum())
        assert 800.0 <= pv <= 1200.0
        assert 1500.0 <= wind <= 3500.0
    # PV is zero at night and peaks near solar noon (about 11 UTC in the Lausitz).
    pv = ds["pv_cf"].sel(site="boxberg").to_series()
    by_hour = pv.groupby(pv.index.hour).mean()
    assert by_hour.loc[[0, 1, 2, 20, 21, 22, 23]].max() == 0.0
    assert by_hour.idxmax() in (10, 11, 12)
    scaled = load_capacity_factors("dwd_try2010", [2010], SCALED)
    np.testing.assert_allclose(_flh(scaled, "wind_cf", "jaenschwalde"), 2100.0, atol=0.1)
    np.testing.assert_allclose(_flh(scaled, "pv_cf", "boxberg"), 1050.0, atol=0.1)


def test_try_only_offers_2010() -> None:
    assert available_years("dwd_try2010") == (2010,)
    with pytest.raises(InputDataError) as err:
        load_capacity_factors("dwd_try2010", [2019], SITES)
    assert "weather.years" in str(err.value)
    assert "2010" in str(err.value)


# ---------------------------------------------------------------- sources and provenance


def test_builtin_sources_years_and_files() -> None:
    assert PROFILE_SOURCES == ("entsoe_de", "dwd_try2010")
    assert available_years("entsoe_de") == (2017, 2018, 2019, 2020)
    assert input_files("entsoe_de") == [INPUTS_DIR / ENTSOE_FILE]
    assert input_files("dwd_try2010") == [INPUTS_DIR / TRY_FILE]
    path = INPUTS_DIR / TRY_FILE
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("years", [[2016], [2019, 2021], [2019, 2019], []])
def test_entsoe_years_outside_source(years) -> None:
    with pytest.raises(InputDataError) as err:
        load_capacity_factors("entsoe_de", years, SITES)
    assert "weather.years" in str(err.value)
    assert "2017..2020 for entsoe_de" in str(err.value)


def test_unknown_source_names_allowed_names() -> None:
    with pytest.raises(InputDataError) as err:
        load_capacity_factors("era5", [2019], SITES)
    message = str(err.value)
    assert "weather.source" in message and "'era5'" in message
    assert "entsoe_de" in message and "dwd_try2010" in message


# ---------------------------------------------------------------- user CSV


def _good_frame(year: int = 2019, tz: bool = False) -> pd.DataFrame:
    time = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    hour = time.hour.to_numpy()
    pv = np.clip(np.sin((hour - 5) / 14 * np.pi), 0, None) * 0.6
    wind = 0.25 + 0.2 * np.sin(np.arange(len(time)) / 50.0)
    stamps = time.strftime("%Y-%m-%d %H:%M" + ("+00:00" if tz else ""))
    return pd.DataFrame({"time": stamps, "wind_cf": wind.round(4), "pv_cf": pv.round(4)})


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "profile.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_csv_profile_used_as_given_with_site_override(tmp_path: Path) -> None:
    frame = _good_frame()
    frame["boxberg_wind_cf"] = 0.5
    _write(tmp_path, frame)
    sites = {
        "boxberg": SiteProfileSpec(51.4, 14.6),
        "jaenschwalde": SiteProfileSpec(51.8, 14.5, pv_full_load_hours=900.0),
    }
    ds = load_capacity_factors("profile.csv", [2019], sites, base_dir=tmp_path)
    _check_layout(ds, [2019], sites)
    assert available_years(tmp_path / "profile.csv") == (2019,)
    assert input_files("profile.csv", base_dir=tmp_path) == [(tmp_path / "profile.csv").resolve()]
    np.testing.assert_array_equal(ds["wind_cf"].sel(site="boxberg"), 0.5)
    np.testing.assert_array_equal(ds["wind_cf"].sel(site="jaenschwalde"), frame["wind_cf"])
    np.testing.assert_array_equal(ds["pv_cf"].sel(site="boxberg"), frame["pv_cf"])
    # a CSV is used as given, the site's target is not applied unless asked for
    np.testing.assert_array_equal(ds["pv_cf"].sel(site="jaenschwalde"), frame["pv_cf"])
    scaled = load_capacity_factors("profile.csv", [2019], sites, tmp_path, scale_csv=True)
    assert float(scaled["pv_cf"].sel(site="jaenschwalde").sum()) == pytest.approx(900.0, abs=0.1)


def test_csv_with_utc_offsets_and_leap_year(tmp_path: Path) -> None:
    path = _write(tmp_path, _good_frame(2020, tz=True).rename(columns={"time": "utc_timestamp"}))
    ds = load_capacity_factors(path, [2020], SITES)
    assert ds.sizes["time"] == 8784


def _bad_cases() -> list[tuple[str, object, tuple[str, ...]]]:
    """(case id, how to spoil the good frame, strings the message must contain)."""
    row = 1420  # 2019-03-01 04:00 in a 2019 file

    def set_cell(col: str, value: str):
        def spoil(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame.astype({col: object})
            frame.loc[row, col] = value
            return frame

        return spoil

    return [
        ("empty", set_cell("wind_cf", ""), ("wind_cf at 2019-03-01 04:00", "''")),
        ("nan", set_cell("pv_cf", "NaN"), ("pv_cf at 2019-03-01 04:00", "'NaN'")),
        ("text", set_cell("wind_cf", "high"), ("wind_cf at 2019-03-01 04:00", "'high'")),
        ("above_one", set_cell("wind_cf", "1.5"), ("wind_cf at 2019-03-01 04:00", "1.5")),
        ("negative", set_cell("pv_cf", "-0.02"), ("pv_cf at 2019-03-01 04:00", "-0.02")),
        ("bad_time", set_cell("time", "2019-03-01 4 o'clock"), ("time at line 1422", "4 o'clock")),
        ("off_hour", set_cell("time", "2019-03-01 04:30"), ("time at line 1422", "04:30")),
        (
            "duplicate",
            lambda f: pd.concat([f.iloc[: row + 1], f.iloc[row:]]),
            ("time at line 1423", "2019-03-01 04:00", "twice"),
        ),
        (
            "gap",
            lambda f: f.drop(index=row),
            ("time at line 1422", "2019-03-01 05:00", "step 2 h"),
        ),
        (
            "missing_column",
            lambda f: f.drop(columns="pv_cf"),
            ("column 'pv_cf'", "'wind_cf'"),
        ),
        (
            "site_column",
            lambda f: f.assign(boxberg_wind_cf=np.where(f.index == row, 2.0, 0.3)),
            ("boxberg_wind_cf at 2019-03-01 04:00", "2.0"),
        ),
        (
            "partial_year",
            lambda f: f.iloc[:-24],
            ("weather.years", "(2019,)", "2019: no row for 2019-12-31 00:00", "24 of 8,760"),
        ),
    ]


@pytest.mark.parametrize(("case", "spoil", "expected"), _bad_cases(), ids=lambda c: str(c)[:20])
def test_bad_csv_profile_raises(tmp_path: Path, case: str, spoil, expected) -> None:
    path = _write(tmp_path, spoil(_good_frame()), name=f"bad_{case}.csv")
    with pytest.raises(InputDataError) as err:
        load_capacity_factors(path, [2019], SITES)
    message = str(err.value)
    assert f"bad_{case}.csv" in message
    for text in expected:
        assert text in message, message


def test_csv_requested_year_not_in_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _good_frame(), name="only2019.csv")
    with pytest.raises(InputDataError) as err:
        load_capacity_factors(path, [2019, 2020], SITES)
    message = str(err.value)
    assert "only2019.csv" in message and "weather.years" in message and "2020" in message


def test_unparsable_csv(tmp_path: Path) -> None:
    path = tmp_path / "garbled.csv"
    path.write_text("time,wind_cf,pv_cf\n2019-01-01 00:00,0.1,0.0\n2019-01-01 01:00,0.1,0,7,8\n")
    with pytest.raises(InputDataError) as err:
        load_capacity_factors(path, [2019], SITES)
    assert "garbled.csv" in str(err.value) and "line 3" in str(err.value)


def test_missing_csv_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as err:
        load_capacity_factors("nowhere/profile.csv", [2019], SITES, base_dir=tmp_path)
    message = str(err.value)
    assert "profile.csv" in message and "weather.source" in message and "entsoe_de" in message
    assert isinstance(err.value, NzvInputError)
