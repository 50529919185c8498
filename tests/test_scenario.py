"""Scenario files: the shipped ones validate, inheritance and overrides work, YAML round-trips."""

from __future__ import annotations

import logging

import pytest
import yaml

from nzv_energy.errors import ScenarioError
from nzv_energy.scenario import CapacityRange, distance_km
from nzv_energy.scenario_file import load_scenario, scenario_from_mapping, scenario_to_yaml
from nzv_energy.technology import annuity_factor, default_technology

from .conftest import SCENARIOS, SHIPPED_SCENARIOS

SHIPPED = SHIPPED_SCENARIOS


@pytest.mark.parametrize("stem", SHIPPED)
def test_shipped_scenarios_validate_without_plausibility_warnings(stem: str, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="nzv_energy"):
        scenario = load_scenario(SCENARIOS / f"{stem}.yaml")
    # the README lists the shipped scenarios by name; results go to results/<name>/
    assert scenario.name == stem
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_a_scenario_name_need_not_match_its_file_name(write_scenario) -> None:
    # results are written to results/<name>/ (README); the file name plays no part
    path = write_scenario({"name": "my_study"}, name="another_file.yaml")
    assert load_scenario(path).name == "my_study"


def test_default_scenario_has_the_announced_plans() -> None:
    s = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    # GigaBattery Jaenschwalde 1,000 MW / 4,000 MWh (lausitz_facts.md)
    assert s.sites["jaenschwalde"].battery_mw == 1000
    assert s.sites["jaenschwalde"].battery_mwh == 4000
    # grid connections = net block capacities (BNetzA): 2790, 1500, 2427 MW
    assert [site.grid_connection_mw for site in s.sites.values()] == [2790, 1500, 2427]
    # the optimiser decides wind, PV, electrolysis and hydrogen storage
    assert isinstance(s.sites["boxberg"].electrolysis_mw, CapacityRange)
    assert "hydrogen.storage_mwh.boxberg" in s.ranges()
    assert not s.is_fixed


def test_fixed_variant_extends_default_and_overrides_few_keys() -> None:
    base = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    fixed = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    assert fixed.is_fixed
    # keys not overridden come from the parent file
    assert fixed.sites["jaenschwalde"].battery_mwh == base.sites["jaenschwalde"].battery_mwh
    assert fixed.economics == base.economics
    assert fixed.sites["boxberg"].wind_mw == 1000


def test_extends_takes_a_shipped_scenario_by_name(tmp_path) -> None:
    # the command line takes shipped scenarios by name; so does extends: (docs/scenarios.md)
    path = tmp_path / "mine.yaml"
    path.write_text("extends: lausitz_2030\nname: mine\nsites: {boxberg: {wind_mw: 123}}\n")
    mine = load_scenario(path)
    base = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    assert mine.sites["boxberg"].wind_mw == 123
    assert mine.sites["jaenschwalde"] == base.sites["jaenschwalde"]
    assert mine.economics == base.economics


def test_extends_prefers_a_file_next_to_the_scenario_over_a_shipped_name(tmp_path) -> None:
    (tmp_path / "lausitz_2030").write_text(
        (SCENARIOS / "single_site_quick.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "mine.yaml"
    path.write_text("extends: lausitz_2030\nname: mine\n")
    assert list(load_scenario(path).sites) == ["boxberg"]


def test_extends_with_an_unknown_name_lists_the_shipped_ones(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("extends: lausitz_2031\nname: mine\n")
    with pytest.raises(ScenarioError, match=r"extends.*lausitz_2031.*lausitz_2030"):
        load_scenario(path)


def test_cost_year_selects_cost_table_rows() -> None:
    s30 = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    s40 = load_scenario(SCENARIOS / "lausitz_2040.yaml")
    # PyPSA technology-data v0.14: electrolysis 1886.0019 EUR/kW (2030), 1508.8015 (2040)
    assert s30.technology.electrolysis.capex_eur_per_mw == pytest.approx(1_886_001.9)
    assert s40.technology.electrolysis.capex_eur_per_mw == pytest.approx(1_508_801.5)
    assert s40.technology.electrolysis.efficiency == pytest.approx(0.6532)


def test_technology_override_replaces_only_that_parameter(write_scenario) -> None:
    path = write_scenario({"technology": {"electrolysis": {"min_load_fraction": 0.15}}})
    s = load_scenario(path)
    assert s.technology.electrolysis.min_load_fraction == 0.15
    assert s.technology.electrolysis.efficiency == pytest.approx(0.6217)


def test_range_replaces_fixed_number_through_extends(write_scenario) -> None:
    path = write_scenario({"sites": {"boxberg": {"pv_mw": {"min": 10, "max": 20}}}})
    s = load_scenario(path)
    assert s.sites["boxberg"].pv_mw == CapacityRange(min=10, max=20)
    assert s.sites["boxberg"].wind_mw == 300


def test_sized_scenario_yaml_round_trips() -> None:
    s = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    again = scenario_from_mapping(yaml.safe_load(scenario_to_yaml(s)))
    assert again == s


def test_unknown_cost_year_is_rejected(write_scenario) -> None:
    with pytest.raises(ScenarioError, match=r"economics\.cost_year: got 2035.*2030, 2040"):
        load_scenario(write_scenario({"economics": {"cost_year": 2035}}))


def test_annuity_factor_matches_textbook_values() -> None:
    # capital recovery factor r/(1-(1+r)^-n): 7 %, 25 years = 0.08581 (standard tables)
    assert annuity_factor(0.07, 25) == pytest.approx(0.085811, rel=1e-4)
    assert annuity_factor(0.0, 20) == pytest.approx(0.05)


def test_distance_between_boxberg_and_schwarzheide() -> None:
    s = load_scenario(SCENARIOS / "lausitz_2030.yaml")
    km = distance_km(s.sites["boxberg"].location, s.hydrogen.demand.location)
    # 0.06 deg latitude and 0.673 deg longitude at 51.4 N: about 47 km as the crow flies
    assert 45 < km < 49


def test_every_cost_default_has_a_cited_source() -> None:
    from nzv_energy.technology import cost_sources

    for year in (2030, 2040):
        sources = cost_sources(year)
        tech = default_technology(year)
        for section, fields in tech.items():
            for field in fields:
                if field == "full_load_hours":
                    continue
                assert sources.get(f"{section}.{field}"), f"{year} {section}.{field} has no source"


def test_field_reference_is_generated_from_the_definitions() -> None:
    from nzv_energy.docgen import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m nzv_energy.docgen"


def test_selecting_one_weather_year_keeps_only_that_year() -> None:
    from nzv_energy.system import build_inputs

    path = SCENARIOS / "single_site_quick.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["weather"]["years"] = [2018, 2019]
    inputs = build_inputs(scenario_from_mapping(raw), base_dir=SCENARIOS)
    assert inputs.years == (2018, 2019)
    one = inputs.select_year(2019)
    assert one.years == (2019,)
    assert len(one.time) == 8760
    assert one.wind_cf.shape == (1, 8760)
