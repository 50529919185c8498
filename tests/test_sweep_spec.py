"""Sweep files: parsing, field paths checked against the Scenario model, exit 2 on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nzv_energy.cli import main
from nzv_energy.errors import ScenarioError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sweep.command import prepare
from nzv_energy.sweep.fields import FieldPathError, resolve_field
from nzv_energy.sweep.spec import RangeValues, load_sweep

from .sweep_helpers import SCENARIOS, SWEEPS, write_sweep

GRID = {"parameters": {"sites.boxberg.electrolysis_mw": [50, 100]}}

# content -> fragments the one-line message must contain (file, field, value, allowed)
BAD = {
    "unknown_site_suggests": (
        {"parameters": {"sites.boxbrg.electrolysis_mw": [1, 2]}},
        ["parameters.sites.boxbrg.electrolysis_mw", "'boxbrg'", "did you mean 'boxberg'"],
    ),
    "unknown_field_suggests": (
        {"parameters": {"sites.boxberg.electrolyser_mw": [1, 2]}},
        ["parameters.sites.boxberg.electrolyser_mw", "did you mean 'electrolysis_mw'"],
    ),
    "unknown_section_suggests": (
        {"parameters": {"economy.discount_rate": [0.05]}},
        ["parameters.economy.discount_rate", "did you mean 'economics'"],
    ),
    "storage_of_unknown_site": (
        {"parameters": {"hydrogen.storage_mwh.jaenschwalde": [0, 10]}},
        ["hydrogen.storage_mwh.jaenschwalde", "a site of the base scenario (boxberg)"],
    ),
    "section_not_value": (
        {"parameters": {"technology.electrolysis": [1]}},
        ["parameters.technology.electrolysis", "technology.electrolysis.capex_eur_per_mw"],
    ),
    "input_field": (
        {"parameters": {"weather.years": [[2018], [2019]]}},
        ["parameters.weather.years", "weather_years"],
    ),
    "location_field": (
        {"parameters": {"sites.boxberg.location.lat": [51, 52]}},
        ["sites.boxberg.location.lat", "shared inputs"],
    ),
    "heat_input_field": (
        {"parameters": {"heat.boxberg.heat_pump.carnot_fraction": [0.4, 0.5]}},
        ["heat.boxberg.heat_pump.carnot_fraction", "the hourly heat demand and COPs"],
    ),
    "unknown_top_key": ({"parametrs": {}}, ["parametrs", "did you mean 'parameters'"]),
    "range_without_step": (
        {"parameters": {"sites.boxberg.electrolysis_mw": {"from": 0, "to": 10}}},
        ["parameters.sites.boxberg.electrolysis_mw", "exactly one of step or num"],
    ),
    "range_backwards": (
        {"parameters": {"sites.boxberg.electrolysis_mw": {"from": 10, "to": 0, "step": 1}}},
        ["to (0) must not be below from (10)"],
    ),
    "range_unknown_key": (
        {"parameters": {"sites.boxberg.electrolysis_mw": {"from": 0, "to": 10, "stpe": 1}}},
        ["parameters.sites.boxberg.electrolysis_mw.stpe", "did you mean 'step'"],
    ),
    "scalar_not_list": (
        {"parameters": {"sites.boxberg.electrolysis_mw": 5}},
        ["parameters.sites.boxberg.electrolysis_mw", "got 5", "a non-empty list"],
    ),
    "text_in_number_list": (
        {"parameters": {"sites.boxberg.electrolysis_mw": [5, "lots"]}},
        ["parameters.sites.boxberg.electrolysis_mw[1]", "'lots'", "a number"],
    ),
    "bad_choice": (
        {"parameters": {"operation.gas_backup_fuel": ["natural_gas", "coal"]}},
        ["parameters.operation.gas_backup_fuel[1]", "'coal'", "natural_gas, hydrogen"],
    ),
    "duplicate_value": (
        {"parameters": {"sites.boxberg.electrolysis_mw": [5, 5]}},
        ["parameters.sites.boxberg.electrolysis_mw", "distinct values"],
    ),
    "zip_lengths_differ": (
        {
            "combine": "zip",
            "parameters": {
                "sites.boxberg.electrolysis_mw": [1, 2],
                "sites.boxberg.pv_mw": [1, 2, 3],
            },
        },
        ["parameters", "equal length"],
    ),
    "value_below_field_bound": (
        {"parameters": {"sites.boxberg.electrolysis_mw": {"from": -100, "to": 100, "step": 100}}},
        ["parameters.sites.boxberg.electrolysis_mw", "-100", "greater than or equal to 0"],
    ),
    "value_above_field_bound": (
        {"parameters": {"economics.discount_rate": [0.05, 0.5]}},
        ["parameters.economics.discount_rate", "0.5", "less than or equal to 0.3"],
    ),
    "drawn_value_beyond_bound": (
        {
            "monte_carlo": {
                "draws": 2000,
                "seed": 1,
                "parameters": {
                    "economics.discount_rate": {
                        "distribution": "normal",
                        "mean": 0.05,
                        "std": 0.05,
                    },
                },
            }
        },
        [
            "monte_carlo.parameters.economics.discount_rate",
            "greater than or equal to 0",
            "bound the distribution",
        ],
    ),
    "unknown_distribution": (
        {
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {"economics.discount_rate": {"distribution": "gamma", "mean": 0.05}},
            }
        },
        ["monte_carlo.parameters.economics.discount_rate", "uniform, normal or triangular"],
    ),
    "distribution_key_typo": (
        {
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {
                    "economics.discount_rate": {"distribution": "uniform", "low": 0.03, "hihg": 0.1}
                },
            }
        },
        ["monte_carlo.parameters.economics.discount_rate.hihg", "did you mean 'high'"],
    ),
    "triangular_mode_outside": (
        {
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {
                    "economics.discount_rate": {
                        "distribution": "triangular",
                        "low": 0.03,
                        "mode": 0.2,
                        "high": 0.1,
                    }
                },
            }
        },
        ["monte_carlo.parameters.economics.discount_rate", "low <= mode <= high"],
    ),
    "normal_bounds_far_out": (
        {
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {
                    "economics.discount_rate": {
                        "distribution": "normal",
                        "mean": 0.05,
                        "std": 0.001,
                        "low": 0.2,
                        "high": 0.3,
                    }
                },
            }
        },
        ["monte_carlo.parameters.economics.discount_rate", "move them towards the mean"],
    ),
    "drawn_choice_field": (
        {
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {
                    "operation.grid_import": {"distribution": "uniform", "low": 0, "high": 1}
                },
            }
        },
        ["monte_carlo.parameters.operation.grid_import", "a numeric field"],
    ),
    "same_field_twice": (
        {
            "parameters": {"economics.discount_rate": [0.05, 0.07]},
            "monte_carlo": {
                "draws": 3,
                "seed": 1,
                "parameters": {
                    "economics.discount_rate": {"distribution": "uniform", "low": 0.03, "high": 0.1}
                },
            },
        },
        ["monte_carlo.parameters.economics.discount_rate", "not already swept"],
    ),
    "weather_year_not_covered": ({"weather_years": [2012]}, ["weather_years", "2012", "2017"]),
    "missing_base": ({"base": "nowhere.yaml"}, ["base", "nowhere.yaml", "existing scenario"]),
    "bad_override": (
        {"overrides": {"sites": {"boxberg": {"pv_mw": -5}}}},
        ["overrides.sites.boxberg.pv_mw", "-5", "greater than or equal to 0"],
    ),
    "base_with_ranges": (
        {"base": str(SCENARIOS / "single_site_sizing.yaml")},
        ["single_site_sizing.yaml", "sites.boxberg.wind_mw", "--optimise"],
    ),
    "hourly_too_many": (
        {
            "parameters": {"sites.boxberg.electrolysis_mw": {"from": 0, "to": 2000, "step": 1}},
            "output": {"hourly": True},
        },
        ["output.hourly", "at most 1,000"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sweep_exits_2_with_message(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, fragments = BAD[case]
    path = write_sweep(tmp_path, content)
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    if case not in ("base_with_ranges",):
        assert str(path) in line  # the sweep file is named
    assert not (tmp_path / "out").exists()


def test_missing_sweep_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", str(tmp_path / "none.yaml")])
    assert code == 2
    assert "none.yaml" in capsys.readouterr().err


def test_yaml_syntax_error_names_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sweep(tmp_path, "name: t\nparameters: {a: [1\n")
    assert main(["sweep", str(path)]) == 2
    assert "line" in capsys.readouterr().err


def test_combination_rules_are_not_checked_against_the_base(tmp_path: Path) -> None:
    # battery power 0 with the base's 200 MWh would fail the battery-pair check, but the
    # sweep also sets the energy: such combinations are judged per member, not up front
    path = write_sweep(
        tmp_path,
        {
            "parameters": {
                "sites.boxberg.battery_mw": [0, 50],
                "sites.boxberg.battery_mwh": [0, 200],
            }
        },
    )
    _spec, table = prepare(path)
    assert table.n_members == 4


def test_shipped_sweeps_are_valid() -> None:
    for path in sorted(SWEEPS.glob("*.yaml")):
        spec, table = prepare(path)
        assert table.n_members == spec.n_members > 0


def test_range_values_inclusive_and_clean() -> None:
    r = RangeValues.model_validate({"from": 0, "to": 1000, "step": 50})
    v = r.values()
    assert v.size == 21 and v[0] == 0 and v[-1] == 1000
    assert np.all(np.diff(v) == 50)
    tenths = RangeValues.model_validate({"from": 0, "to": 1, "step": 0.1}).values()
    assert tenths.size == 11
    assert list(tenths) == [round(0.1 * k, 10) for k in range(11)]  # no 0.30000000000000004
    # a step that does not reach 'to' stops below it
    assert RangeValues.model_validate({"from": 0, "to": 10, "step": 4}).values().tolist() == [
        0,
        4,
        8,
    ]
    assert RangeValues.model_validate({"from": 2, "to": 3, "num": 5}).values().tolist() == [
        2,
        2.25,
        2.5,
        2.75,
        3,
    ]


def test_integer_field_range_needs_whole_steps(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path, {"parameters": {"vpp.horizon_h": {"from": 24, "to": 25, "step": 0.5}}}
    )
    with pytest.raises(ScenarioError, match="whole-number"):
        load_sweep(path)


def test_field_kinds_and_dim_names() -> None:
    base = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    cases = {
        "sites.boxberg.electrolysis_mw": ("number", "boxberg_electrolysis_mw", "boxberg"),
        "hydrogen.storage_mwh.jaenschwalde": (
            "number",
            "jaenschwalde_hydrogen_storage_mwh",
            "jaenschwalde",
        ),
        "technology.electrolysis.capex_eur_per_mw": (
            "number",
            "electrolysis_capex_eur_per_mw",
            None,
        ),
        "economics.discount_rate": ("number", "discount_rate", None),
        "operation.gas_backup_fuel": ("choice", "gas_backup_fuel", None),
        "operation.grid_import": ("boolean", "grid_import", None),
        "vpp.horizon_h": ("integer", "horizon_h", None),
        "hydrogen.demand.mean_mw": ("number", "hydrogen_demand_mean_mw", None),
    }
    for path, (kind, dim, site) in cases.items():
        ref = resolve_field(path, base)
        assert (ref.kind, ref.dim_name, ref.site) == (kind, dim, site), path
    assert resolve_field("optimisation.co2_cap_t_per_year", base).nullable
    with pytest.raises(FieldPathError):
        resolve_field("sites.boxberg", base)


def test_zarr_output_needs_zarr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import zarr  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("zarr is installed: the zarr format is available")
    path = write_sweep(tmp_path, {**GRID, "output": {"format": "zarr"}})
    assert main(["sweep", str(path)]) == 2
    assert "output.format" in capsys.readouterr().err
