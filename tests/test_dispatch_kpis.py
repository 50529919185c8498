"""KPIs and LCOH: hand-computed costs, and the dataset path agrees with the kernel totals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.dispatch import (
    KPI_COLUMNS,
    LCOH_COMPONENTS,
    capacity_array,
    compute_kpis,
    run_ensemble,
    simulate,
    site_kpis,
)
from nzv_energy.dispatch.kpis import CARBON_COLUMNS, MARKET_VALUE_COLUMNS
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SiteCapacities, SystemInputs, build_inputs, fixed_capacities
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG, annuity_factor
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def quick_two_years() -> SystemInputs:
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    scenario = scenario.model_copy(
        update={"weather": scenario.weather.model_copy(update={"years": (2019, 2020)})}
    )
    return build_inputs(scenario, SCENARIOS)


def hand_lcoh(ds, inputs: SystemInputs, caps: dict[str, SiteCapacities]) -> dict[str, float]:
    """The LCOH written out term by term from the scenario (independent of kpis.py)."""
    sc = inputs.scenario
    t = sc.technology
    r = sc.economics.discount_rate
    c = next(iter(caps.values()))
    km = float(inputs.pipeline_km[0])
    years = ds.sizes["time"] / 8760

    def capex(invest: float, life: float, fom: float) -> tuple[float, float]:
        return invest * annuity_factor(r, life) * years, invest * fom * years

    parts = {
        "wind": capex(c.wind_mw * t.wind.capex_eur_per_mw, t.wind.lifetime_years,
                      t.wind.fom_fraction_per_year),
        "pv": capex(c.pv_mw * t.pv.capex_eur_per_mw, t.pv.lifetime_years,
                    t.pv.fom_fraction_per_year),
        "battery": capex(
            c.battery_mw * t.battery.power_capex_eur_per_mw
            + c.battery_mwh * t.battery.energy_capex_eur_per_mwh,
            t.battery.lifetime_years, t.battery.fom_fraction_per_year,
        ),
        "electrolysis": capex(c.electrolysis_mw * t.electrolysis.capex_eur_per_mw,
                              t.electrolysis.lifetime_years,
                              t.electrolysis.fom_fraction_per_year),
        "hydrogen_storage": capex(c.hydrogen_storage_mwh * t.hydrogen_storage.capex_eur_per_mwh,
                                  t.hydrogen_storage.lifetime_years,
                                  t.hydrogen_storage.fom_fraction_per_year),
        "pipeline": capex(c.pipeline_mw * km * t.pipeline.capex_eur_per_mw_km,
                          t.pipeline.lifetime_years, t.pipeline.fom_fraction_per_year),
        "gas_backup": capex(c.gas_backup_mw * t.gas_backup.capex_eur_per_mw,
                            t.gas_backup.lifetime_years, t.gas_backup.fom_fraction_per_year),
    }
    total = {k: float(ds[k].sum()) for k in ds.data_vars if k != "price_eur_per_mwh"}
    price = ds["price_eur_per_mwh"]
    natural_gas = total["gas_backup_fuel_mw"] - total["gas_backup_hydrogen_fuel_mw"]
    on_hours = float(ds["electrolysis_on"].sum())
    cost = {f"capex_{k}": v[0] for k, v in parts.items()}
    cost["fixed_om"] = sum(v[1] for v in parts.values())
    cost["variable_om"] = (
        total["wind_mw"] * t.wind.vom_eur_per_mwh + total["pv_mw"] * t.pv.vom_eur_per_mwh
        + total["gas_backup_mw"] * t.gas_backup.vom_eur_per_mwh
        + total["hydrogen_output_mw"] * t.electrolysis.vom_eur_per_mwh_h2
    )
    cost["stack_replacement"] = (
        t.electrolysis.stack_replacement_cost_fraction * t.electrolysis.capex_eur_per_mw
        * c.electrolysis_mw * on_hours / t.electrolysis.stack_lifetime_hours
    )
    cost["natural_gas"] = natural_gas * sc.economics.gas_price_eur_per_mwh
    co2_t = natural_gas * t.gas_backup.natural_gas_co2_t_per_mwh
    cost["co2"] = co2_t * sc.economics.co2_price_eur_per_t
    cost["grid_import"] = float((ds["grid_import_mw"] * price).sum())
    cost["grid_export_revenue"] = -float((ds["grid_export_mw"] * price).sum())
    kg = total["hydrogen_delivered_mw"] * 1000 / HYDROGEN_LHV_KWH_PER_KG
    return {k: v / kg for k, v in cost.items()}


def test_lcoh_and_breakdown_match_a_term_by_term_calculation(
    quick_two_years: SystemInputs,
) -> None:
    inputs = quick_two_years
    caps = fixed_capacities(inputs.scenario)
    ds = simulate(inputs, caps)
    kpis = compute_kpis(ds, inputs, caps)
    assert list(kpis.index) == [2019, 2020]
    assert list(kpis.columns) == list(KPI_COLUMNS)
    for year in (2019, 2020):
        part = ds.sel(time=str(year))
        expected = hand_lcoh(part, inputs, caps)
        row = kpis.loc[year]
        for comp in LCOH_COMPONENTS:
            assert row[f"lcoh_{comp}_eur_per_kg"] == pytest.approx(expected[comp], rel=1e-9,
                                                                   abs=1e-12), comp
        assert row["system_net_cost_per_kg_h2_eur_per_kg"] == pytest.approx(
            sum(expected.values()), rel=1e-9)
    # the leap year has 8,784 hours and pays 8,784/8,760 of a year's fixed costs
    assert kpis.loc[2020, "hours"] == 8784
    ratio = kpis.loc[2020, "lcoh_capex_wind_eur_per_kg"] * kpis.loc[2020, "hydrogen_delivered_t"]
    ratio /= kpis.loc[2019, "lcoh_capex_wind_eur_per_kg"] * kpis.loc[2019, "hydrogen_delivered_t"]
    assert ratio == pytest.approx(8784 / 8760, rel=1e-12)


def test_energy_kpis_follow_their_definitions(quick_two_years: SystemInputs) -> None:
    inputs = quick_two_years
    caps = fixed_capacities(inputs.scenario)
    ds = simulate(inputs, caps).sel(time="2019")
    row = compute_kpis(ds, inputs, caps).loc[2019]
    c = caps["boxberg"]
    tech = inputs.scenario.technology
    delivered = float(ds["hydrogen_delivered_mw"].sum())
    assert row["hydrogen_delivered_t"] == pytest.approx(delivered / 33.33)
    assert row["demand_met_share"] == pytest.approx(
        delivered / float(ds["hydrogen_demand_mw"].sum())
    )
    running = float((ds["electrolysis_input_mw"] - ds["electrolysis_standby_mw"]).sum())
    assert row["electrolysis_full_load_hours_h"] == pytest.approx(running / c.electrolysis_mw)
    on = ds["electrolysis_on"].values[:, 0] > 0.5
    # cyclic year: the hour before the first is the end of the first pass, recorded in attrs
    before = json.loads(ds.attrs["dispatch_start_state"])["2019"]["boxberg"]["electrolysis_on"]
    previous = np.r_[before > 0.5, on[:-1]]
    assert row["electrolysis_starts"] == int(np.sum(on & ~previous))
    gen = float((ds["wind_mw"] + ds["pv_mw"]).sum())
    assert row["curtailment_share"] == pytest.approx(float(ds["curtailment_mw"].sum()) / gen)
    assert row["battery_equivalent_cycles"] == pytest.approx(
        float(ds["battery_discharge_mw"].sum()) / c.battery_mwh
    )
    natural_gas = float((ds["gas_backup_fuel_mw"] - ds["gas_backup_hydrogen_fuel_mw"]).sum())
    assert row["co2_emissions_t"] == pytest.approx(
        natural_gas * tech.gas_backup.natural_gas_co2_t_per_mwh
    )
    assert row["rfnbo_share"] == pytest.approx(
        float(ds["rfnbo_hydrogen_mw"].sum()) / float(ds["hydrogen_output_mw"].sum())
    )


def test_kpis_from_the_dataset_equal_kpis_from_kernel_totals(
    quick_two_years: SystemInputs,
) -> None:
    inputs = quick_two_years
    caps = fixed_capacities(inputs.scenario)
    from_ds = compute_kpis(simulate(inputs, caps), inputs, caps)
    cap = capacity_array(caps, inputs.site_names)
    ens = run_ensemble(inputs, np.stack([cap, cap]), year_index=np.array([0, 1]))
    from_sums = ens.kpis.set_index("weather_year")
    # the kernels' totals carry no price-weighted electrolyser input: those columns are NaN
    both = [c for c in KPI_COLUMNS if c not in MARKET_VALUE_COLUMNS]
    pd.testing.assert_frame_equal(
        from_sums[both], from_ds[both], check_names=False, rtol=1e-9, atol=1e-9
    )
    assert (from_ds["grid_import_mwh"] == 0).all()
    assert (from_sums["hydrogen_co2_t"] > 0).all()  # natural gas burnt for the standby
    assert from_sums[list(MARKET_VALUE_COLUMNS)].isna().all().all()
    assert from_ds[list(MARKET_VALUE_COLUMNS)].notna().all().all()


def test_ensemble_carbon_kpis_equal_the_hourly_accounting_with_imports() -> None:
    # grid power bought at or below 40 EUR/MWh and only at or below 330 g CO2e/kWh: the
    # ensemble's emissions (kernel totals) equal those of the hourly dataset
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    scenario = scenario.model_copy(update={
        "weather": scenario.weather.model_copy(update={"years": (2017, 2020)}),
        "operation": scenario.operation.model_copy(update={
            "grid_import": True, "import_price_threshold_eur_per_mwh": 40.0,
            "import_carbon_threshold_g_per_kwh": 330.0}),
    })
    inputs = build_inputs(scenario, SCENARIOS)
    caps = fixed_capacities(scenario)
    from_ds = compute_kpis(simulate(inputs, caps), inputs, caps)
    cap = capacity_array(caps, inputs.site_names)
    ens = run_ensemble(inputs, np.stack([cap, cap]), year_index=np.array([0, 1]),
                       backend="serial")
    from_sums = ens.kpis.set_index("weather_year")
    assert (from_ds["grid_import_mwh"] > 0).all()
    assert (from_ds["grid_import_co2_t"] > 0).all()
    pd.testing.assert_frame_equal(
        from_sums[list(CARBON_COLUMNS)], from_ds[list(CARBON_COLUMNS)], check_names=False,
        rtol=1e-9, atol=1e-9,
    )


def test_no_delivery_gives_nan_lcoh_not_a_division_error(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    inputs = build_inputs(scenario, SCENARIOS)
    caps = {
        k: SiteCapacities(**{**vars(v), "electrolysis_mw": 0.0, "hydrogen_storage_mwh": 0.0})
        for k, v in fixed_capacities(scenario).items()
    }
    kpis = compute_kpis(simulate(inputs, caps), inputs, caps)
    assert kpis.loc[2019, "hydrogen_delivered_mwh"] == 0
    assert np.isnan(kpis.loc[2019, "system_net_cost_per_kg_h2_eur_per_kg"])
    assert kpis.loc[2019, "unserved_hydrogen_mwh"] == pytest.approx(40 * 8760)


def test_site_kpis_add_up_to_the_system_kpis() -> None:
    scenario = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    inputs = build_inputs(scenario, SCENARIOS)
    ds = simulate(inputs)
    system = compute_kpis(ds, inputs).loc[2019]
    sites = site_kpis(ds, inputs).loc[2019]
    assert list(sites.index) == list(inputs.site_names)
    for col in ("hydrogen_output_mwh", "grid_export_revenue_eur", "electrolysis_starts",
                "curtailment_mwh", "renewable_generation_mwh"):
        assert sites[col].sum() == pytest.approx(system[col], rel=1e-12), col
    assert sites["pipeline_flow_mwh"].sum() == pytest.approx(
        system["hydrogen_delivered_mwh"], rel=1e-12
    )
    caps = fixed_capacities(scenario)
    for site, row in sites.iterrows():
        running = float(
            (ds["electrolysis_input_mw"] - ds["electrolysis_standby_mw"]).sel(site=site).sum()
        )
        assert row["electrolysis_full_load_hours_h"] == pytest.approx(
            running / caps[site].electrolysis_mw
        )
