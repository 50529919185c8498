"""Tests of nzv_energy.prices on the shipped SMARD data and on user CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.errors import InputDataError
from nzv_energy.prices import (
    DAY_AHEAD_FILE,
    PRICE_SOURCES,
    SMARD_FILE,
    input_files,
    load_prices,
    map_by_hour_of_year,
    price_year,
)
from nzv_energy.profiles import INPUTS_DIR, SiteProfileSpec, load_capacity_factors, year_index
from nzv_energy.scenario import ElectricityPrice

#: 2018 prices laid on other weather years, as a scenario must say explicitly.
SMARD_2018_ALIGNED = ElectricityPrice(source="smard_2018", align="hour_of_year")


def _hours(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="h").as_unit("ns")


def test_readme_mean_prices() -> None:
    # README: means 2015 31.83 (non-missing hours), 2018 44.47 EUR/MWh.
    p2015 = load_prices("smard_2015", year_index(2015))
    observed_2015 = p2015.sel(time=slice("2015-01-04 23:00", "2015-12-31 22:00"))
    assert observed_2015.size == 8760 - 96
    assert abs(float(observed_2015.mean()) - 31.83) <= 0.01
    p2018 = load_prices("smard_2018", year_index(2018))
    assert abs(float(p2018.sel(time=slice(None, "2018-12-31 22:00")).mean()) - 44.47) <= 0.01
    assert abs(float(p2018.mean()) - 44.47) <= 0.01


def test_layout_and_attrs() -> None:
    time = year_index(2019)
    prices = load_prices(SMARD_2018_ALIGNED, time)
    assert prices.dims == ("time",)
    assert prices.dtype == np.float64
    assert prices["time"].dtype == np.dtype("datetime64[ns]")
    assert prices.attrs["units"] == "EUR/MWh"
    assert prices.attrs["source"] == "smard_2018"
    assert np.isfinite(prices.values).all()
    np.testing.assert_array_equal(prices["time"].values, time.values)
    # Hour of year mapping: 2019 gets the UTC 2018 prices hour by hour, and says so.
    np.testing.assert_array_equal(prices.values, price_year("smard_2018")[0].values)
    assert list(prices.attrs["price_years"]) == [2018]
    assert list(prices.attrs["aligned_by_hour_of_year"]) == [1]
    assert "weather 2019: prices 2018, laid on by hour of year" in prices.attrs["price_years_text"]


def test_2015_gap_filled_from_next_week() -> None:
    series, note = price_year("smard_2015")
    assert len(series) == 8760 and series.notna().all()
    first = series.loc["2015-01-01 00:00":"2015-01-04 22:00"].to_numpy()
    week_later = series.loc["2015-01-08 00:00":"2015-01-11 22:00"].to_numpy()
    assert first.size == 95
    np.testing.assert_array_equal(first, week_later)
    assert series.loc["2015-12-31 23:00"] == series.loc["2015-12-24 23:00"]
    assert "2015-01-01 00:00..2015-01-04 22:00" in note


def test_leap_weather_year_reuses_last_day() -> None:
    prices = load_prices(SMARD_2018_ALIGNED, year_index(2020))
    assert prices.size == 8784
    year = price_year("smard_2018")[0].to_numpy()
    np.testing.assert_array_equal(prices.values[:8760], year)
    np.testing.assert_array_equal(prices.values[8760:], year[-24:])


def test_aligned_to_multi_year_weather_axis() -> None:
    sites = {"boxberg": SiteProfileSpec(51.4, 14.6)}
    weather = load_capacity_factors("entsoe_de", [2017, 2018, 2019, 2020], sites)
    prices = load_prices(
        ElectricityPrice(source="smard_2015", align="hour_of_year"), weather["time"].values
    )
    assert prices.sizes["time"] == weather.sizes["time"] == 35064
    assert (prices["time"].values == weather["time"].values).all()


def test_tz_aware_time_and_off_hour_time() -> None:
    aware = _hours("2019-01-01", "2019-12-31 23:00").tz_localize("UTC")
    np.testing.assert_array_equal(
        load_prices("day_ahead_de", aware).values,
        load_prices("day_ahead_de", year_index(2019)).values,
    )
    with pytest.raises(ValueError, match="full hours"):
        load_prices("day_ahead_de", pd.DatetimeIndex(["2019-01-01 00:30"]))


def test_map_by_hour_of_year_leap_price_year() -> None:
    year = np.arange(8784, dtype=float)
    out = map_by_hour_of_year(year, year_index(2019))
    np.testing.assert_array_equal(out, year[:8760])


def test_input_files_and_sources() -> None:
    assert PRICE_SOURCES == ("day_ahead_de", "smard_2015", "smard_2018")
    assert input_files("smard_2015") == [INPUTS_DIR / SMARD_FILE]
    both = {INPUTS_DIR / SMARD_FILE, INPUTS_DIR / DAY_AHEAD_FILE}
    assert set(input_files("day_ahead_de")) == both


def test_unknown_source() -> None:
    with pytest.raises(InputDataError) as err:
        load_prices("epex_2030", year_index(2019))
    message = str(err.value)
    assert "economics.electricity_price" in message and "'epex_2030'" in message
    assert "smard_2015" in message and "smard_2018" in message


def test_missing_price_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as err:
        load_prices("prices/none.csv", year_index(2019), base_dir=tmp_path)
    assert "none.csv" in str(err.value) and "economics.electricity_price" in str(err.value)


# ---------------------------------------------------------------- user CSV


def _price_frame(start: str, end: str) -> pd.DataFrame:
    time = _hours(start, end)
    price = 50.0 + 20.0 * np.sin(np.arange(len(time)) / 24.0 * 2 * np.pi)
    return pd.DataFrame({"timestamp": time.strftime("%Y-%m-%dT%H:%M"), "price_eur_per_mwh": price})


def test_csv_covering_weather_hours_used_as_is(tmp_path: Path) -> None:
    frame = _price_frame("2018-12-31 00:00", "2020-01-01 05:00")
    frame.to_csv(tmp_path / "p.csv", index=False)
    prices = load_prices("p.csv", year_index(2019), base_dir=tmp_path)
    np.testing.assert_allclose(prices.values, frame["price_eur_per_mwh"].to_numpy()[24 : 24 + 8760])
    assert "as given" in prices.attrs["processing"]


def test_csv_one_year_mapped_by_hour_of_year(tmp_path: Path) -> None:
    frame = _price_frame("2016-01-01 00:00", "2016-12-31 23:00")
    path = tmp_path / "p2016.csv"
    frame.to_csv(path, index=False)
    prices = load_prices(
        ElectricityPrice(source=str(path), align="hour_of_year"),
        _hours("2019-01-01", "2020-12-31 23:00"),
    )
    values = frame["price_eur_per_mwh"].to_numpy()
    assert prices.size == 8760 + 8784
    np.testing.assert_allclose(prices.values[:8760], values[:8760])
    np.testing.assert_allclose(prices.values[8760:], values)


def _bad_price_cases() -> list[tuple[str, object, tuple[str, ...]]]:
    row = 1420  # 2019-03-01 04:00

    def set_cell(col: str, value: str):
        def spoil(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame.astype({col: object})
            frame.loc[row, col] = value
            return frame

        return spoil

    at = "price_eur_per_mwh at 2019-03-01 04:00"
    return [
        ("empty", set_cell("price_eur_per_mwh", ""), (at, "''")),
        ("nan", set_cell("price_eur_per_mwh", "nan"), (at, "'nan'")),
        ("text", set_cell("price_eur_per_mwh", "12,5 EUR"), (at, "'12,5 EUR'")),
        ("absurd", set_cell("price_eur_per_mwh", "45000"), (at, "45000.0", "10,000")),
        ("bad_time", set_cell("timestamp", "01.03.2019 04:00"), ("timestamp at line 1422",)),
        (
            "duplicate",
            lambda f: pd.concat([f.iloc[: row + 1], f.iloc[row:]]),
            ("timestamp at line 1423", "2019-03-01T04:00", "twice"),
        ),
        ("gap", lambda f: f.drop(index=row), ("timestamp at line 1422", "step 2 h")),
        (
            "missing_column",
            lambda f: f.rename(columns={"price_eur_per_mwh": "price"}),
            ("column 'price_eur_per_mwh'", "'price'"),
        ),
        (
            "short",
            lambda f: f.iloc[:-1],
            ("timestamp column", "every hour of UTC year 2019", "last hour, 2019-12-31 23:00"),
        ),
    ]


@pytest.mark.parametrize(
    ("case", "spoil", "expected"), _bad_price_cases(), ids=lambda c: str(c)[:20]
)
def test_bad_price_csv_raises(tmp_path: Path, case: str, spoil, expected) -> None:
    path = tmp_path / f"bad_{case}.csv"
    spoil(_price_frame("2019-01-01", "2019-12-31 23:00")).to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        load_prices(path, year_index(2019))
    message = str(err.value)
    assert f"bad_{case}.csv" in message
    for text in expected:
        assert text in message, message
