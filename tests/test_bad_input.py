"""Bad input gets exit status 2 and one message naming file, field, value and what is allowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nzv_energy.cli import main

from .conftest import ROOT, SCENARIOS


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    return code, err


CASES = {
    "yaml_syntax": ("name: x\nsites: [a\n", ["case.yaml", "line", "valid YAML"]),
    "unknown_key_suggests": (
        {"sites": {"boxberg": {"battery_mwhh": 3}}},
        ["sites.boxberg.battery_mwhh", "did you mean 'battery_mwh'"],
    ),
    "unknown_top_key": ({"economy": {}}, ["economy", "did you mean 'economics'"]),
    "missing_required": (
        "name: x\nsites: {a: {grid_connection_mw: 3}}\nhydrogen: {demand: {mean_mw: 1}}\n",
        ["sites.a.location", "required"],
    ),
    "wrong_type": ({"sites": {"boxberg": {"wind_mw": "lots"}}}, ["sites.boxberg.wind_mw", "lots"]),
    "negative_capacity": (
        {"sites": {"boxberg": {"battery_mwh": -5}}},
        ["sites.boxberg.battery_mwh", "-5", "greater than or equal to 0"],
    ),
    "absurd_capacity": (
        {"sites": {"boxberg": {"pv_mw": 1.0e9}}},
        ["sites.boxberg.pv_mw", "less than or equal to 50000"],
    ),
    "min_above_max": (
        {"sites": {"boxberg": {"pv_mw": {"min": 500, "max": 100}}}},
        ["sites.boxberg.pv_mw", "min (500.0) must not exceed max (100.0)"],
    ),
    "fraction_above_one": (
        {"hydrogen": {"initial_storage_fraction": 1.5}},
        ["hydrogen.initial_storage_fraction", "1.5", "less than or equal to 1"],
    ),
    "technology_fraction": (
        {"technology": {"electrolysis": {"min_load_fraction": -0.1}}},
        ["technology.electrolysis.min_load_fraction", "-0.1"],
    ),
    "unknown_storage_site": (
        {"hydrogen": {"storage_mwh": {"boxbrg": 100}}},
        ["hydrogen.storage_mwh.boxbrg", "did you mean 'boxberg'"],
    ),
    "weather_year_not_in_data": (
        {"weather": {"source": "entsoe_de", "years": [2012]}},
        ["weather.years", "2012", "2017"],
    ),
    "unknown_weather_source": (
        {"weather": {"source": "meteo_mars", "years": [2019]}},
        ["weather.source", "meteo_mars", "entsoe_de"],
    ),
    "unknown_price_series": (
        {"economics": {"electricity_price": "smard_1999"}},
        ["economics.electricity_price", "smard_1999"],
    ),
    "price_year_differs_from_weather_year": (
        {"economics": {"electricity_price": "smard_2015"}},
        ["economics.electricity_price", "weather year 2019", "2015", "align: hour_of_year"],
    ),
    "price_alignment_typo": (
        {"economics": {"electricity_price": {"source": "smard_2018", "align": "hour_of_yaer"}}},
        ["economics.electricity_price.align", "hour_of_yaer", "same_year", "hour_of_year"],
    ),
    "price_year_without_alignment": (
        {"economics": {"electricity_price": {"source": "day_ahead_de", "year": 2018}}},
        ["economics.electricity_price", "year (2018)", "align: hour_of_year"],
    ),
    "price_timezone_unknown": (
        {"economics": {"electricity_price": {"source": "p.csv", "timezone": "Berlin"}}},
        ["economics.electricity_price.timezone", "'Berlin'", "IANA"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_exits_2_with_clear_message(case, write_scenario, capsys) -> None:
    content, expected = CASES[case]
    path = write_scenario(content)
    code, err = _validate(path, capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert str(path) in err or path.name in err
    for fragment in expected:
        assert fragment in err, (fragment, err)


def _profile_csv(tmp_path: Path, mutate) -> Path:
    import pandas as pd

    time = pd.date_range("2019-01-01", periods=8760, freq="h")
    frame = pd.DataFrame({"time": time.strftime("%Y-%m-%d %H:%M"), "wind_cf": 0.3, "pv_cf": 0.1})
    frame = mutate(frame)
    path = tmp_path / "profile.csv"
    frame.to_csv(path, index=False)
    return path


PROFILE_CASES = {
    "nan": (lambda f: f.assign(wind_cf=f.wind_cf.where(f.index != 100)), ["wind_cf", "nan"]),
    "gap": (lambda f: f.drop(index=[200, 201]), ["time", "2019-01-09"]),
    "duplicate_hour": (
        lambda f: f.assign(time=f.time.where(f.index != 301, f.time.iloc[300])),
        ["time", "2019-01-13 12:00"],
    ),
    "outside_unit_interval": (
        lambda f: f.assign(pv_cf=f.pv_cf.where(f.index != 400, 1.7)),
        ["pv_cf", "1.7"],
    ),
}


@pytest.mark.parametrize("case", sorted(PROFILE_CASES))
def test_bad_profile_csv_exits_2_naming_file_column_value(case, tmp_path, write_scenario, capsys):
    mutate, expected = PROFILE_CASES[case]
    csv = _profile_csv(tmp_path, mutate)
    path = write_scenario({"weather": {"source": str(csv), "years": [2019]}})
    code, err = _validate(path, capsys)
    assert code == 2
    assert "profile.csv" in err
    assert len(err.strip().splitlines()) == 1, err
    for fragment in expected:
        assert fragment.lower() in err.lower(), (fragment, err)


def test_valid_user_profile_csv_is_accepted(tmp_path, write_scenario, capsys) -> None:
    csv = _profile_csv(tmp_path, lambda f: f)
    path = write_scenario({"weather": {"source": str(csv), "years": [2019]}})
    code, _ = _validate(path, capsys)
    assert code == 0


def test_shipped_default_validates_from_the_command_line(capsys) -> None:
    code = main(["validate", str(SCENARIOS / "lausitz_2030.yaml")])
    assert code == 0
    assert "valid scenario 'lausitz_2030'" in capsys.readouterr().out


def test_real_process_prints_no_traceback(write_scenario) -> None:
    path = write_scenario({"sites": {"boxberg": {"battery_mwh": -5}}})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "sites.boxberg.battery_mwh" in proc.stderr
    assert proc.stdout == ""


def test_relative_profile_csv_is_hashed_from_the_scenario_folder(tmp_path, monkeypatch) -> None:
    from nzv_energy.scenario_file import load_scenario
    from nzv_energy.system import build_inputs

    _profile_csv(tmp_path, lambda f: f)  # writes tmp_path/profile.csv
    path = tmp_path / "rel.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'single_site_quick.yaml'}\n"
        "weather: {source: profile.csv, years: [2019]}\n"
    )
    monkeypatch.chdir(ROOT)  # the CSV is not in the working directory
    inputs = build_inputs(load_scenario(path), scenario_file=path)
    assert "profile.csv" in inputs.input_hashes
