"""Hourly grid carbon intensity and the carbon intensity of the hydrogen."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.dispatch import compute_kpis, simulate
from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.grid_carbon import (
    EU_THRESHOLD_G_PER_MJ,
    g_per_mj_from_kg_per_kg,
    intensity_from_mix,
    kg_per_kg_from_g_per_mj,
    load_emission_factors,
)
from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS

INPUTS = Path(__file__).resolve().parent.parent / "inputs"


def _grid_scenario(local_demand_mw: float = 0.0, gas_backup_mw: float = 0.0, **economics: object
                   ) -> Scenario:
    """single_site_quick, 2019, buying grid power at or below 40 EUR/MWh."""
    sc = load_scenario(SCENARIOS / "single_site_quick.yaml")
    site = sc.sites["boxberg"].model_copy(
        update={"local_demand_mw": local_demand_mw, "gas_backup_mw": gas_backup_mw}
    )
    return sc.model_copy(update={
        "sites": {"boxberg": site},
        "operation": sc.operation.model_copy(
            update={"grid_import": True, "import_price_threshold_eur_per_mwh": 40.0}
        ),
        "economics": sc.economics.model_copy(update=economics),
    })


def _hand_intensity_2019() -> pd.Series:
    """Grid intensity of UTC 2019 straight from the shipped files, with the csv module."""
    with open(INPUTS / "emission_factors.csv", newline="") as fh:
        factor = {r["production_type"]: float(r["g_co2e_per_kwh"]) for r in csv.DictReader(fh)}
    stamps, values = [], []
    with open(INPUTS / "de_generation_mix_hourly_2017_2020_entsoe.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["utc_timestamp"].startswith("2019-"):
                continue
            emitted = generated = 0.0
            for col, text in row.items():
                kind = col.removesuffix("_mw")
                if col == "utc_timestamp" or kind == "hydro_pumped_storage" or text == "":
                    continue
                emitted += float(text) * factor[kind]
                generated += float(text)
            stamps.append(pd.Timestamp(row["utc_timestamp"]).tz_convert(None))
            values.append(emitted / generated)
    return pd.Series(values, index=pd.DatetimeIndex(stamps))


def test_hydrogen_intensity_recomputed_from_the_hourly_mix_and_factor_table() -> None:
    # no local load and no gas backup: every import feeds the electrolyser, so all import
    # emissions belong to the hydrogen
    inputs = build_inputs(_grid_scenario(), SCENARIOS)
    ds = simulate(inputs)
    kpis = compute_kpis(ds, inputs).loc[2019]
    ci = _hand_intensity_2019().reindex(pd.DatetimeIndex(ds["time"].values))
    imports = ds["grid_import_mw"].sel(site="boxberg").to_series()
    assert imports.sum() > 10_000  # the policy buys a meaningful amount
    co2_kg = float((imports.to_numpy() * ci.to_numpy()).sum())  # MWh x g/kWh = kg
    h2_kg = float(ds["hydrogen_output_mw"].sum()) * 1000 / 33.33
    assert kpis["grid_import_co2_t"] == pytest.approx(co2_kg / 1000, rel=1e-9)
    assert kpis["hydrogen_co2_t"] == pytest.approx(co2_kg / 1000, rel=1e-9)
    assert kpis["hydrogen_carbon_intensity_kg_per_kg"] == pytest.approx(co2_kg / h2_kg, rel=1e-9)
    # 120 MJ/kg (LHV): g/MJ = kg/kg x 1000 / 120
    assert kpis["hydrogen_carbon_intensity_g_per_mj"] == pytest.approx(
        co2_kg / h2_kg * 1000 / (33.33 * 3.6), rel=1e-9
    )
    assert kpis["hydrogen_eu_threshold_met"] == float(
        co2_kg / h2_kg * 1000 / (33.33 * 3.6) <= 28.2
    )


def test_constant_user_intensity_gives_the_closed_form(tmp_path: Path) -> None:
    hours = pd.date_range("2019-01-01", periods=8760, freq="h")
    path = tmp_path / "ci.csv"
    pd.DataFrame({"time": hours.strftime("%Y-%m-%d %H:%M"), "g_co2e_per_kwh": 250.0}).to_csv(
        path, index=False
    )
    inputs = build_inputs(_grid_scenario(grid_carbon_intensity=str(path)), SCENARIOS)
    ds = simulate(inputs)
    kpis = compute_kpis(ds, inputs).loc[2019]
    imports_mwh = float(ds["grid_import_mw"].sum())
    assert kpis["grid_import_co2_t"] == pytest.approx(imports_mwh * 250 / 1000, rel=1e-12)
    assert kpis["grid_carbon_intensity_mean_g_per_kwh"] == pytest.approx(250.0)
    # every hour is above 100 g/kWh: no electrolyser hour is low-carbon
    assert kpis["electrolysis_low_carbon_hours_share"] == 0.0
    assert path.name in inputs.input_hashes


def test_local_load_takes_its_share_of_the_emissions() -> None:
    inputs = build_inputs(_grid_scenario(local_demand_mw=20.0), SCENARIOS)
    ds = simulate(inputs)
    kpis = compute_kpis(ds, inputs).loc[2019]
    # each site-hour's emissions are split by use: electrolyser input vs local load
    assert inputs.grid_carbon_g_per_kwh is not None
    ci = inputs.grid_carbon_g_per_kwh.to_numpy()
    imp = ds["grid_import_mw"].sel(site="boxberg").to_numpy()
    ely = ds["electrolysis_input_mw"].sel(site="boxberg").to_numpy()
    load = ds["local_demand_mw"].sel(site="boxberg").to_numpy()
    expected_t = float((imp * ci * ely / (ely + load)).sum()) / 1000
    assert 0 < kpis["hydrogen_co2_t"] < kpis["grid_import_co2_t"]
    assert kpis["hydrogen_co2_t"] == pytest.approx(expected_t, rel=1e-9)


def test_without_imports_the_grid_adds_no_emissions() -> None:
    # the default policy buys nothing, so import emissions are exactly zero and the total
    # is the natural gas alone, as before the grid was counted
    sc = load_scenario(SCENARIOS / "single_site_quick.yaml")
    inputs = build_inputs(sc, SCENARIOS)
    kpis = compute_kpis(simulate(inputs), inputs)
    assert (kpis["grid_import_mwh"] == 0).all()
    assert (kpis["grid_import_co2_t"] == 0).all()
    assert (kpis["total_co2_emissions_t"] == kpis["co2_emissions_t"]).all()
    assert (kpis["hydrogen_co2_t"] <= kpis["co2_emissions_t"]).all()


def test_grid_import_outside_the_data_years_is_refused() -> None:
    # the typical DWD year 2010 has prices laid on it, but no grid mix
    data = _grid_scenario().model_dump()
    data["weather"] = {"source": "dwd_try2010", "years": [2010]}
    data["economics"]["electricity_price"] = {"source": "smard_2018", "align": "hour_of_year"}
    sc = Scenario.model_validate(data)
    with pytest.raises(ScenarioError, match=r"economics\.grid_carbon_intensity"):
        build_inputs(sc, SCENARIOS)


def test_bad_factor_table_names_file_row_and_value(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("production_type,g_co2e_per_kwh,kind,source\ngas,-3,direct,x\n")
    with pytest.raises(InputDataError, match="g_co2e_per_kwh row 2") as err:
        load_emission_factors(path)
    assert "-3" in str(err.value) and "f.csv" in str(err.value)


def test_every_factor_names_its_kind_and_source() -> None:
    table = load_emission_factors()
    assert set(table["kind"]) <= {"life-cycle", "direct"}
    assert table["source"].str.len().min() > 10


def test_eu_threshold_and_unit_conversion() -> None:
    assert EU_THRESHOLD_G_PER_MJ == pytest.approx(94.0 * 0.3)
    # 28.2 g/MJ x 120 MJ/kg = 3.384 kg/kg
    assert float(kg_per_kg_from_g_per_mj(28.2)) == pytest.approx(28.2 * 33.33 * 3.6 / 1000)
    assert float(g_per_mj_from_kg_per_kg(kg_per_kg_from_g_per_mj(17.0))) == pytest.approx(17.0)


def test_mix_intensity_by_hand() -> None:
    factors = pd.DataFrame(
        {"g_co2e_per_kwh": [820.0, 11.0, 24.0]},
        index=pd.Index(["brown_coal_lignite", "wind_onshore", "hydro_pumped_storage"]),
    )
    mix = pd.DataFrame({"brown_coal_lignite_mw": [1000.0, np.nan],
                        "wind_onshore_mw": [1000.0, 500.0],
                        "hydro_pumped_storage_mw": [5000.0, 5000.0]})
    # pumped storage is storage, not generation; an empty cell is no generation
    np.testing.assert_allclose(intensity_from_mix(mix, factors), [(820 + 11) / 2, 11.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 20_000), min_size=3, max_size=3).filter(lambda g: sum(g) > 1))
def test_mix_intensity_lies_between_the_factors(gen: list[float]) -> None:
    factors = pd.DataFrame({"g_co2e_per_kwh": [820.0, 490.0, 12.0]},
                           index=pd.Index(["hard_coal", "gas", "nuclear"]))
    mix = pd.DataFrame([gen], columns=["hard_coal_mw", "gas_mw", "nuclear_mw"])
    value = float(intensity_from_mix(mix, factors).iloc[0])
    used = [f for f, g in zip((820.0, 490.0, 12.0), gen, strict=True) if g > 0]
    assert min(used) - 1e-9 <= value <= max(used) + 1e-9


# --- the sizing LP ------------------------------------------------------------------------

LP_HOURS = 168


@pytest.fixture(scope="module")
def lp_base():
    from nzv_energy.sizing.testing import sliced_inputs

    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    # March: mixed wind, sun and cheap hours
    return scenario, sliced_inputs(build_inputs(scenario), LP_HOURS, start=24 * 60)


def _lp_case(lp_base, update):
    from nzv_energy.sizing.testing import for_scenario, scenario_with

    scenario, inputs = lp_base
    sc = scenario_with(scenario, update)
    return sc, for_scenario(inputs, sc)


def _lp_emissions_t(ds, inputs, sc) -> float:
    """Grid import x hourly intensity + natural gas, from the LP's dispatch and the inputs."""
    ci = inputs.grid_carbon_g_per_kwh.reindex(pd.DatetimeIndex(ds["time"].values)).to_numpy()
    imp = float((ds["grid_import_mw"].sum("site").to_numpy() * ci).sum()) / 1000
    gas_el = float(ds["gas_backup_mw"].sum())
    tech = sc.technology.gas_backup
    return imp + gas_el / tech.efficiency * tech.natural_gas_co2_t_per_mwh


@pytest.mark.parametrize("limit", [1.0, 2.0])
def test_hydrogen_carbon_limit_same_optimum_in_both_engines_and_holds(lp_base, limit) -> None:
    from nzv_energy.sizing import optimise

    update = {"operation": {"grid_import": True, "import_price_threshold_eur_per_mwh": 60.0},
              "optimisation": {"mode": "exact", "max_hydrogen_carbon_intensity_kg_per_kg": limit}}
    sc, inputs = _lp_case(lp_base, update)
    direct = optimise(sc, inputs, mode="exact", engine="direct")
    ref = optimise(sc, inputs, mode="exact", engine="pypsa")
    assert direct.objective_eur_per_year == pytest.approx(ref.objective_eur_per_year, rel=1e-6)
    ds = direct.dataset
    h2_kg = float(ds["hydrogen_output_mw"].sum()) * 1000 / 33.33
    emitted_t = _lp_emissions_t(ds, inputs, sc)
    assert float(ds["grid_import_mw"].sum()) > 0  # imports are used, within the limit
    assert emitted_t * 1000 <= limit * h2_kg * (1 + 1e-6) + 1e-3
    # without the limit the cheapest system is dirtier, so the limit binds and costs money
    free_sc, _ = _lp_case(lp_base, {**update, "optimisation": {"mode": "exact"}})
    free = optimise(free_sc, inputs, mode="exact", engine="direct")
    free_kg = float(free.dataset["hydrogen_output_mw"].sum()) * 1000 / 33.33
    assert _lp_emissions_t(free.dataset, inputs, free_sc) * 1000 / free_kg > 2 * limit
    assert emitted_t * 1000 == pytest.approx(limit * h2_kg, rel=1e-4)
    assert free.objective_eur_per_year < direct.objective_eur_per_year


def test_co2_cap_counts_grid_imports_in_both_engines(lp_base) -> None:
    from nzv_energy.sizing import optimise

    update = {"operation": {"grid_import": True, "import_price_threshold_eur_per_mwh": 60.0},
              "optimisation": {"mode": "exact"}}
    sc_free, inputs = _lp_case(lp_base, update)
    free = optimise(sc_free, inputs, mode="exact", engine="direct")
    # per-year mean over the slice's one weather year: cap at half of what it emits freely
    cap = 0.5 * _lp_emissions_t(free.dataset, inputs, sc_free)
    assert cap > 0
    sc, _ = _lp_case(lp_base, {**update, "optimisation": {"mode": "exact",
                                                          "co2_cap_t_per_year": cap}})
    direct = optimise(sc, inputs, mode="exact", engine="direct")
    ref = optimise(sc, inputs, mode="exact", engine="pypsa")
    assert direct.objective_eur_per_year == pytest.approx(ref.objective_eur_per_year, rel=1e-6)
    assert _lp_emissions_t(direct.dataset, inputs, sc) <= cap * (1 + 1e-6) + 1e-6
    ds = direct.dataset
    ci = inputs.grid_carbon_g_per_kwh.reindex(pd.DatetimeIndex(ds["time"].values)).to_numpy()
    assert direct.kpis["grid_import_co2_t_per_year"] == pytest.approx(
        float((ds["grid_import_mw"].sum("site").to_numpy() * ci).sum()) / 1000, rel=1e-9
    )


def test_report_states_pass_or_fail_per_weather_year() -> None:
    from nzv_energy.report.report import hydrogen_carbon_lines

    kpis = pd.DataFrame({"hydrogen_carbon_intensity_g_per_mj": [30.6, 28.2, np.nan]},
                        index=pd.Index([2017, 2018, 2019], name="weather_year"))
    text = " ".join(hydrogen_carbon_lines(kpis))
    assert "2017: 30.6 g CO2e/MJ, **FAIL**" in text
    assert "2018: 28.2 g CO2e/MJ, **PASS**" in text  # at most 28.2 passes
    assert "2019: not available" in text
    assert "2023/1185" in text
