"""User CSV time series: local time with daylight saving, helpful messages, files used as given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.cli import main
from nzv_energy.errors import InputDataError
from nzv_energy.prices import load_prices
from nzv_energy.profiles import read_hourly_csv, year_index
from nzv_energy.scenario import ElectricityPrice
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs

BERLIN = "Europe/Berlin"


def _local_price_file(tmp_path: Path, year: int = 2019) -> tuple[Path, pd.DataFrame]:
    """Prices of every UTC hour of ``year`` written with Berlin local timestamps.

    The price of UTC hour k of the year is k, so each value says which UTC hour
    it belongs to.
    """
    utc = year_index(year)
    local = utc.tz_localize("UTC").tz_convert(BERLIN).strftime("%Y-%m-%d %H:%M")
    frame = pd.DataFrame({"time": local, "price_eur_per_mwh": np.arange(len(utc), dtype=float)})
    path = tmp_path / "local_prices.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_local_time_price_csv_autumn_and_spring(tmp_path: Path) -> None:
    path, frame = _local_price_file(tmp_path)
    # the file is what a utility exports: 02:00 twice on 27 October, none on 31 March
    assert (frame["time"] == "2019-10-27 02:00").sum() == 2
    assert (frame["time"] == "2019-03-31 02:00").sum() == 0
    prices = load_prices(ElectricityPrice(source=str(path), timezone=BERLIN), year_index(2019))
    np.testing.assert_array_equal(prices.values, np.arange(8760, dtype=float))
    at = prices.to_series()
    # CEST = UTC+2 until 2019-10-27 01:00 UTC: the first 02:00 is 00:00 UTC, the second 01:00
    first, second = frame.index[frame["time"] == "2019-10-27 02:00"]
    assert at[pd.Timestamp("2019-10-27 00:00")] == frame["price_eur_per_mwh"][first]
    assert at[pd.Timestamp("2019-10-27 01:00")] == frame["price_eur_per_mwh"][second]
    # spring: local 03:00 (CEST) on 31 March is 01:00 UTC, local 01:00 (CET) is 00:00 UTC
    row = frame.index[frame["time"] == "2019-03-31 03:00"][0]
    assert at[pd.Timestamp("2019-03-31 01:00")] == frame["price_eur_per_mwh"][row]
    assert "Europe/Berlin" in prices.attrs["processing"]


def test_documented_example_of_a_local_time_price_file(tmp_path: Path) -> None:
    # the example of docs/scenarios.md ("Day-ahead prices")
    path = tmp_path / "my_prices.csv"
    path.write_text(
        "time,price_eur_per_mwh\n2019-10-27 01:00,38.10\n2019-10-27 02:00,36.52\n"
        "2019-10-27 02:00,35.07\n2019-10-27 03:00,34.90\n"
    )
    table = read_hourly_csv(path, ("price_eur_per_mwh",), bounds=(-1e4, 1e4), timezone=BERLIN)
    expected = pd.DatetimeIndex(
        ["2019-10-26 23:00", "2019-10-27 00:00", "2019-10-27 01:00", "2019-10-27 02:00"]
    )
    assert table.data.index.equals(expected)


def test_local_file_with_the_skipped_spring_hour_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spring.csv"
    path.write_text(
        "time,price_eur_per_mwh\n2019-03-31 01:00,30\n2019-03-31 02:00,31\n2019-03-31 03:00,32\n"
    )
    with pytest.raises(InputDataError) as err:
        read_hourly_csv(path, ("price_eur_per_mwh",), bounds=(-1e4, 1e4), timezone=BERLIN)
    message = str(err.value)
    assert "spring.csv" in message and "line 3" in message
    assert "2019-03-31 02:00" in message and "skip" in message


def test_local_file_with_the_doubled_hour_once_names_the_missing_utc_hour(tmp_path: Path) -> None:
    path = tmp_path / "once.csv"
    path.write_text(
        "time,price_eur_per_mwh\n2019-10-27 01:00,30\n2019-10-27 02:00,31\n2019-10-27 03:00,32\n"
    )
    with pytest.raises(InputDataError) as err:
        read_hourly_csv(path, ("price_eur_per_mwh",), bounds=(-1e4, 1e4), timezone=BERLIN)
    # 02:00 read once (summer time, 00:00 UTC); 03:00 CET is 02:00 UTC: 01:00 UTC lacks a row
    assert "no row for 2019-10-27 01:00 UTC = 2019-10-27 02:00 CET" in str(err.value)


def test_utc_file_in_local_time_says_so(tmp_path: Path) -> None:
    path, _ = _local_price_file(tmp_path)
    with pytest.raises(InputDataError) as err:
        load_prices(str(path), year_index(2019))
    message = str(err.value)
    assert "2019-10-27 02:00" in message and "appears twice" in message
    assert "looks like local time" in message
    assert "economics.electricity_price.timezone: Europe/Berlin" in message

    spring = tmp_path / "spring_utc.csv"
    spring.write_text("time,wind_cf,pv_cf\n2019-03-31 01:00,0.1,0\n2019-03-31 03:00,0.1,0\n")
    with pytest.raises(InputDataError) as err:
        read_hourly_csv(spring, ("wind_cf", "pv_cf"), timezone_field="weather.timezone")
    message = str(err.value)
    assert "no row for 2019-03-31 02:00 UTC" in message and "looks like local time" in message
    assert "weather.timezone: Europe/Berlin" in message


def test_local_calendar_year_names_the_missing_last_utc_hour(tmp_path: Path) -> None:
    # calendar year 2020 in CET written in UTC: 2019-12-31 23:00 .. 2020-12-31 22:00,
    # 8,784 rows of which 8,783 lie in UTC 2020
    utc = pd.date_range("2019-12-31 23:00", "2020-12-31 22:00", freq="h")
    assert len(utc) == 8784 and (utc.year == 2020).sum() == 8783
    path = tmp_path / "year2020.csv"
    pd.DataFrame(
        {"utc_timestamp": utc.strftime("%Y-%m-%dT%H:%MZ"), "price_eur_per_mwh": 40.0}
    ).to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        load_prices(str(path), year_index(2020))
    message = str(err.value)
    assert "year2020.csv" in message
    assert "no row for its last hour, 2020-12-31 23:00 UTC" in message
    assert "calendar year 2020 in local time" in message
    assert "2020-01-01 00:00" not in message  # the old, misleading first hour


def test_swapped_rows_are_reported_out_of_order(tmp_path: Path) -> None:
    time = year_index(2019).strftime("%Y-%m-%d %H:%M").to_numpy().copy()
    time[[1420, 1421]] = time[[1421, 1420]]
    path = tmp_path / "swapped.csv"
    pd.DataFrame({"time": time, "price_eur_per_mwh": 50.0}).to_csv(path, index=False)
    with pytest.raises(InputDataError) as err:
        load_prices(str(path), year_index(2019))
    message = str(err.value)
    assert "out of order" in message and "lines 1422-1423" in message
    assert "2019-03-01 05:00 then 2019-03-01 04:00" in message
    assert "no row for" not in message


def _profile_file(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    time = year_index(2019)
    hour = time.hour.to_numpy()
    frame = pd.DataFrame(
        {
            "time": time.strftime("%Y-%m-%d %H:%M"),
            "wind_cf": np.round(0.2 + 0.1 * np.sin(np.arange(8760) / 40.0), 4),
            "pv_cf": np.round(np.clip(np.sin((hour - 5) / 14 * np.pi), 0, None) * 0.5, 4),
        }
    )
    path = tmp_path / "profile.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_user_weather_csv_used_as_given(tmp_path: Path, write_scenario) -> None:
    csv, frame = _profile_file(tmp_path)
    path = write_scenario({"weather": {"source": str(csv), "years": [2019]}})
    scenario = load_scenario(path)
    assert scenario.technology.wind.full_load_hours is not None  # a default exists
    inputs = build_inputs(scenario, scenario_file=path)
    np.testing.assert_array_equal(inputs.wind_cf[0], frame["wind_cf"].to_numpy())
    np.testing.assert_array_equal(inputs.pv_cf[0], frame["pv_cf"].to_numpy())

    # scaled only when asked for: then to the technology default full-load hours
    path = write_scenario(
        {"weather": {"source": str(csv), "years": [2019], "scale_csv_to_full_load_hours": True}},
        name="scaled.yaml",
    )
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, scenario_file=path)
    assert inputs.wind_cf[0].sum() == pytest.approx(scenario.technology.wind.full_load_hours)
    assert not np.array_equal(inputs.wind_cf[0], frame["wind_cf"].to_numpy())


def test_site_target_with_unscaled_csv_is_refused(tmp_path: Path, write_scenario, capsys) -> None:
    csv, _ = _profile_file(tmp_path)
    path = write_scenario(
        {
            "weather": {"source": str(csv), "years": [2019]},
            "sites": {"boxberg": {"wind_full_load_hours": 2100}},
        }
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sites.boxberg.wind_full_load_hours" in err and "2100" in err
    assert "scale_csv_to_full_load_hours: true" in err


def test_local_time_weather_csv(tmp_path: Path, write_scenario) -> None:
    utc = year_index(2019)
    local = utc.tz_localize("UTC").tz_convert(BERLIN).strftime("%Y-%m-%d %H:%M")
    wind = np.round(np.linspace(0.0, 1.0, 8760), 6)
    csv = tmp_path / "local_profile.csv"
    pd.DataFrame({"time": local, "wind_cf": wind, "pv_cf": 0.0}).to_csv(csv, index=False)
    path = write_scenario({"weather": {"source": str(csv), "years": [2019], "timezone": BERLIN}})
    inputs = build_inputs(load_scenario(path), scenario_file=path)
    np.testing.assert_array_equal(inputs.wind_cf[0], wind)
