"""Price years match weather years: refused when they differ, unless the scenario says so."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nzv_energy.cli import main
from nzv_energy.errors import ScenarioError
from nzv_energy.prices import describe_price_years, load_prices
from nzv_energy.prices import input_files as price_input_files
from nzv_energy.profiles import INPUTS_DIR, year_index
from nzv_energy.scenario import ElectricityPrice
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs

from .conftest import ROOT, SCENARIOS, SHIPPED_SCENARIOS

DAY_AHEAD = INPUTS_DIR / "de_day_ahead_prices_2017_2020.csv"
SMARD = INPUTS_DIR / "de_day_ahead_prices_2015_2018_smard.csv"


def _raw_prices(path: Path) -> dict[str, float]:
    """The file's prices by its own timestamp text, read with the csv module (NaN = empty)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return {
            row["utc_timestamp"]: float(row["price_eur_per_mwh"] or "nan")
            for row in csv.DictReader(fh)
        }


def _key(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d %H:%M}:00+00:00"


def _scenario(tmp_path: Path, economics: dict, weather: dict | None = None) -> Path:
    data: dict = {"extends": str(SCENARIOS / "lausitz_2030.yaml"), "economics": economics}
    if weather is not None:
        data["weather"] = weather
    path = tmp_path / "prices_case.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_validate_refuses_2018_prices_on_2019_weather(tmp_path: Path) -> None:
    path = _scenario(tmp_path, {"electricity_price": "smard_2018"})
    proc = _run_validate(path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "economics.electricity_price" in err
    assert "weather year 2019" in err and "smard_2018 covers 2018" in err
    assert "{source: smard_2018, align: hour_of_year}" in err


def test_explicit_alignment_is_accepted_and_recorded(tmp_path: Path) -> None:
    economics = {"electricity_price": {"source": "smard_2018", "align": "hour_of_year"}}
    path = _scenario(tmp_path, economics)
    proc = _run_validate(path)
    assert proc.returncode == 0, proc.stderr
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, scenario_file=path)
    # 2019 weather gets the 2018 prices hour by hour; the last UTC hour of 2018 lies
    # outside the SMARD file and takes the price of the same hour one week earlier
    raw = _raw_prices(SMARD)
    hours_2018 = year_index(2018)
    expected = [raw.get(_key(t), np.nan) for t in hours_2018]
    expected[-1] = raw[_key(pd.Timestamp("2018-12-24 23:00"))]
    np.testing.assert_array_equal(inputs.price_eur_per_mwh, expected)
    text = describe_price_years(scenario, path)
    assert "weather 2019: prices 2018, laid on by hour of year" in text


def test_typical_weather_year_needs_explicit_alignment(tmp_path: Path, capsys) -> None:
    weather = {"source": "dwd_try2010", "years": [2010]}
    path = _scenario(tmp_path, {"electricity_price": "day_ahead_de"}, weather)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "typical year" in err and "2010" in err and "align: hour_of_year" in err
    scenario = load_scenario(
        _scenario(
            tmp_path,
            {
                "electricity_price": {
                    "source": "day_ahead_de",
                    "align": "hour_of_year",
                    "year": 2019,
                }
            },
            weather,
        )
    )
    assert describe_price_years(scenario).endswith(
        "(weather 2010: prices 2019, laid on by hour of year)"
    )


@pytest.mark.parametrize("command", ["summary", "simulate"])
def test_every_command_refuses_the_mismatch(command, write_scenario, tmp_path, capsys) -> None:
    path = write_scenario({"economics": {"electricity_price": "smard_2018"}})
    args = [command, str(path)] + (
        ["--out", str(tmp_path / "out")] if command == "simulate" else []
    )
    assert main(args) == 2
    assert "economics.electricity_price" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_four_weather_years_each_get_their_own_prices() -> None:
    path = SCENARIOS / "lausitz_2030_4years.yaml"
    scenario = load_scenario(path)
    inputs = build_inputs(scenario, scenario_file=path)
    raw = _raw_prices(DAY_AHEAD)
    for year, sl in inputs.year_slices().items():
        hours = inputs.time[sl]
        expected = np.array([raw.get(_key(t), np.nan) for t in hours])
        got = inputs.price_eur_per_mwh[sl]
        filled = np.isnan(expected)
        np.testing.assert_array_equal(got[~filled], expected[~filled])
        # the empty autumn hours of 2020 take the same hour one week later, the last UTC
        # hour of 2020 (beyond the file) the same hour one week earlier
        for t in hours[filled]:
            week = pd.Timedelta(days=7)
            later = raw.get(_key(t + week), np.nan)
            assert got[hours.get_loc(t)] == (later if np.isfinite(later) else raw[_key(t - week)])
        assert list(hours[filled].strftime("%Y-%m-%d %H:%M")) == (
            ["2020-10-25 00:00", "2020-10-25 01:00", "2020-12-31 23:00"] if year == 2020 else []
        )
        # what a one-year consumer (sweep member, per-year sizing check) sees
        np.testing.assert_array_equal(inputs.select_year(year).price_eur_per_mwh, got)
    # means of the delivery years as published with the file (README): 2017 34.19 ..
    # UTC years differ from them by one hour at each end
    means = {
        y: float(np.mean(inputs.price_eur_per_mwh[sl])) for y, sl in inputs.year_slices().items()
    }
    assert means[2017] == pytest.approx(34.19, abs=0.01)
    assert means[2018] == pytest.approx(44.47, abs=0.01)
    assert means[2019] == pytest.approx(37.67, abs=0.01)
    assert means[2020] == pytest.approx(30.48, abs=0.02)
    assert "own year's prices: 2017-2020" in describe_price_years(scenario, path)


def test_csv_of_another_year_needs_alignment(tmp_path: Path) -> None:
    hours = year_index(2016)
    path = tmp_path / "p2016.csv"
    pd.DataFrame(
        {"time": hours.strftime("%Y-%m-%d %H:%M"), "price_eur_per_mwh": np.arange(8784.0)}
    ).to_csv(path, index=False)
    with pytest.raises(ScenarioError) as err:
        load_prices(str(path), year_index(2019))
    assert "weather year 2019" in str(err.value) and "covers 2016" in str(err.value)
    aligned = load_prices(
        ElectricityPrice(source=str(path), align="hour_of_year"), year_index(2019)
    )
    np.testing.assert_array_equal(aligned.values, np.arange(8760.0))
    assert list(aligned.attrs["price_years"]) == [2016]


def test_shipped_scenarios_use_matched_years() -> None:
    for name in SHIPPED_SCENARIOS:
        path = SCENARIOS / f"{name}.yaml"
        scenario = load_scenario(path)
        assert scenario.economics.price_series.align == "same_year", path.name
        assert scenario.economics.price_series.source == "day_ahead_de", path.name


def test_provenance_hashes_only_the_price_files_read() -> None:
    # day_ahead_de draws 2015 from the SMARD file and 2017-2020 from the day-ahead file
    hashed = build_inputs(load_scenario(SCENARIOS / "lausitz_2030.yaml")).input_hashes
    assert "de_day_ahead_prices_2017_2020.csv" in hashed
    assert "de_day_ahead_prices_2015_2018_smard.csv" not in hashed
    aligned = ElectricityPrice(source="day_ahead_de", align="hour_of_year", year=2015)
    assert [p.name for p in price_input_files(aligned, None, [2019])] == [
        "de_day_ahead_prices_2015_2018_smard.csv"
    ]
