"""Heat configuration of the plant sites (nzv_energy/heat/assets.py) and its cost rows."""

from __future__ import annotations

import csv

import pytest

from nzv_energy.errors import EXIT_BAD_INPUT, InputDataError, ScenarioError
from nzv_energy.heat.assets import CapacityRange, heat_config_from_mapping
from nzv_energy.heat.costs import COST_TABLE, HEAT_PARAMETERS, heat_cost_rows, heat_cost_values
from nzv_energy.technology import available_cost_years, default_technology

JAENSCHWALDE = {
    "networks": ["cottbus", "peitz"],
    "annual_demand_mwh": {"peitz": 8000},
    "chp": {"electric_mw": 100, "fuel": "hydrogen", "operation": "power_led"},
    "waste_heat_recovery": {"booster_heat_pump_mw_th": {"min": 0, "max": 20}},
    "heat_pump": {"heat_mw_th": 35, "source": "air"},
    "thermal_storage": {"energy_mwh": 1000},
    "peak_gas_boiler": {"heat_mw_th": 120},
}


def test_a_full_site_block_validates_with_fixed_numbers_and_ranges():
    config = heat_config_from_mapping({"jaenschwalde": JAENSCHWALDE}, site_names=("jaenschwalde",))
    block = config.sites["jaenschwalde"]
    assert block.networks == ("cottbus", "peitz")
    assert block.chp is not None and block.chp.fuel == "hydrogen"
    assert block.chp.behaviour == "extraction"  # the default
    assert block.waste_heat_recovery is not None
    assert isinstance(block.waste_heat_recovery.booster_heat_pump_mw_th, CapacityRange)
    assert block.unserved_heat_penalty_eur_per_mwh == 1000.0


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        ({"networks": ["cotbus"]}, "heat.jaenschwalde.networks[0]", "did you mean 'cottbus'"),
        ({"networks": ["weisswasser"]}, "heat.jaenschwalde.networks[0]", "fed from boxberg"),
        ({"chp": {"electric_mw": -5}}, "heat.jaenschwalde.chp.electric_mw",
         "greater than or equal"),
        ({"chp": {"electric_mw": 5, "fuel": "coal"}}, "heat.jaenschwalde.chp.fuel", "natural_gas"),
        ({"chp": {"electric_mw": 5, "technology": "fuel_cell"}}, "heat.jaenschwalde.chp",
         "burns hydrogen"),
        ({"waste_heat_recovery": {}}, "heat.jaenschwalde.waste_heat_recovery",
         "booster_heat_pump_mw_th above 0"),
        ({"waste_heat_recovery": {"mode": "direct", "recoverable_share": 0.9}},
         "heat.jaenschwalde.waste_heat_recovery.recoverable_share", "less than or equal to 0.5"),
        ({"heat_pump": {"heat_mw_th": 10, "source": "electrolyser_heat"}}, "heat.jaenschwalde",
         "needs a waste_heat_recovery block"),
        ({"thermal_storage": {"energy_mwh": 10, "standing_los": 0.01}},
         "heat.jaenschwalde.thermal_storage.standing_los", "did you mean 'standing_loss_fraction"),
        ({"annual_demand_mwh": {"spremberg": 100}}, "heat.jaenschwalde", "not in networks"),
        ({"supply_temperature_c": 70, "return_temperature_c": 75}, "heat.jaenschwalde",
         "below supply_temperature_c"),
    ],
)
def test_bad_values_name_field_value_and_what_is_allowed(change, field, allowed):
    raw = {"networks": ["cottbus"], **change}
    with pytest.raises(ScenarioError) as err:
        heat_config_from_mapping({"jaenschwalde": raw}, file="s.yaml")
    assert err.value.field == field
    assert allowed in err.value.allowed
    assert err.value.exit_code == EXIT_BAD_INPUT
    assert err.value.message.startswith("s.yaml: heat.")


def test_a_site_not_in_the_scenario_is_refused():
    with pytest.raises(ScenarioError) as err:
        heat_config_from_mapping({"boxbreg": {"networks": ["weisswasser"]}},
                                 site_names=("boxberg",))
    assert err.value.field == "heat.boxbreg" and "did you mean 'boxberg'" in err.value.allowed


# ---- cost rows --------------------------------------------------------------------------------


def test_every_heat_technology_has_its_rows_in_both_cost_years_with_a_source():
    for year in (2030, 2040):
        rows = heat_cost_rows(year)
        assert set(rows) == set(HEAT_PARAMETERS)
        for tech, section in rows.items():
            assert len(section) == len(HEAT_PARAMETERS[tech])
            assert all(source for _, source in section.values()), tech


def test_heat_rows_are_converted_to_the_field_units():
    # docs/district_heat.md, from technology-data v0.14 (DEA): CCGT 2030 1108.7166 EUR/kW,
    # FOM 3.3494 %/a; tank 3.8174 EUR/kWh, 0.0077 %/h; AEC 100 MW recoverable heat 0.2228 (2030),
    # 0.1849 (2040)
    v30, v40 = heat_cost_values(2030), heat_cost_values(2040)
    assert v30["gas_chp"]["capex_eur_per_mw"] == pytest.approx(1_108_716.6)
    assert v30["gas_chp"]["fom_fraction_per_year"] == pytest.approx(0.033494)
    assert v30["thermal_storage"]["capex_eur_per_mwh"] == pytest.approx(3817.4)
    assert v30["thermal_storage"]["standing_loss_fraction_per_hour"] == pytest.approx(7.7e-5)
    assert v30["electrolysis_heat_recovery"]["recoverable_share"] == pytest.approx(0.2228)
    assert v40["electrolysis_heat_recovery"]["recoverable_share"] == pytest.approx(0.1849)


def test_every_row_names_a_currency_year_where_it_carries_money():
    with open(COST_TABLE, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["technology"] in HEAT_PARAMETERS and row["unit"].startswith("EUR"):
                if float(row["value"]) > 0:
                    assert row["currency_year"] in {"2015", "2020"}, row


def test_the_technology_defaults_ignore_the_heat_rows():
    # the electricity/hydrogen reader still finds its years and sections only
    assert available_cost_years() == (2030, 2040)
    assert "gas_chp" not in default_technology(2030)


def test_an_unknown_heat_parameter_is_refused(tmp_path):
    table = tmp_path / "costs.csv"
    table.write_text(
        "technology,parameter,value,unit,cost_year,currency_year,source\n"
        "gas_boiler,colour,1,-,2030,,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError) as err:
        heat_cost_rows(2030, table)
    assert err.value.field == "line 2 gas_boiler.parameter" and "capex" in err.value.allowed


def test_heat_ranges_are_counted_among_the_capacities_to_size(capsys):
    """single_site_heat_sizing.yaml sizes, by reading the file: wind, PV, electrolysis and the
    hydrogen store, and the CHP, the waste-heat booster, the heat pump and the thermal store.
    A scenario whose only ranges are heat capacities is not a fixed one."""
    from pathlib import Path

    from nzv_energy.cli import main
    from nzv_energy.scenario_file import load_scenario

    path = Path(__file__).parent.parent / "scenarios" / "single_site_heat_sizing.yaml"
    scenario = load_scenario(path)
    assert sorted(scenario.heat_ranges()) == [
        "heat.boxberg.chp.electric_mw",
        "heat.boxberg.heat_pump.heat_mw_th",
        "heat.boxberg.thermal_storage.energy_mwh",
        "heat.boxberg.waste_heat_recovery.booster_heat_pump_mw_th",
    ]
    assert main(["validate", str(path)]) == 0
    assert "8 capacities to size, district heat at 1 site(s)" in capsys.readouterr().out
    only_heat = load_scenario(Path(__file__).parent.parent / "scenarios" / "single_site_heat.yaml")
    assert only_heat.is_fixed
    sites = dict(only_heat.heat or {})
    boxberg = sites["boxberg"]
    assert boxberg.heat_pump is not None
    sized_pump = boxberg.heat_pump.model_copy(update={"heat_mw_th": CapacityRange(min=0, max=9)})
    one_range = only_heat.model_copy(
        update={"heat": {"boxberg": boxberg.model_copy(update={"heat_pump": sized_pump})}})
    assert not one_range.is_fixed
    assert list(one_range.heat_ranges()) == ["heat.boxberg.heat_pump.heat_mw_th"]
