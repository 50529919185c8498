"""Hourly heat inputs of a site (nzv_energy/heat/inputs.py) and the year bridge (simulate.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.heat.assets import heat_config_from_mapping
from nzv_energy.heat.inputs import (
    TRY_FILE,
    heat_capacity_vector,
    heat_parameter_vector,
    read_temperature_csv,
    site_heat_inputs,
    try_temperature_for_years,
)
from nzv_energy.heat.simulate import heat_from_dispatch, run_heat
from nzv_energy.kernels import heat as hk
from nzv_energy.weather_try import read_try


def block(**assets):
    raw = {"networks": ["weisswasser"], **assets}
    return heat_config_from_mapping({"boxberg": raw}).sites["boxberg"]


def test_the_try_is_laid_on_each_year_and_says_so():
    t = try_temperature_for_years((2019, 2020))
    base = read_try(TRY_FILE)["temp_air_degc"].to_numpy()
    assert len(t) == 8760 + 8784
    np.testing.assert_array_equal(t.loc["2019"].to_numpy(), base)
    leap = t.loc["2020"].to_numpy()
    # 29 Feb 2020 repeats the TRY's 28 Feb (day 59 of 2010), 1 Mar 2020 = 1 Mar 2010
    np.testing.assert_array_equal(leap[59 * 24 : 60 * 24], base[58 * 24 : 59 * 24])
    np.testing.assert_array_equal(leap[60 * 24 :], base[59 * 24 :])
    assert "test reference year" in t.attrs["temperature_source"]
    assert "not the weather year" in t.attrs["temperature_source"]


def test_a_temperature_csv_replaces_the_try(tmp_path):
    index = pd.date_range("2019-01-01", periods=8760, freq="h")
    values = np.linspace(-10, 25, 8760)
    path = tmp_path / "t.csv"
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M"), "temperature_c": values}).to_csv(
        path, index=False)
    t = read_temperature_csv(path, (2019,))
    np.testing.assert_array_equal(t.to_numpy(), values)
    assert t.attrs["temperature_source"] == "CSV t.csv"
    with pytest.raises(InputDataError) as err:
        read_temperature_csv(path, (2019, 2020))
    assert err.value.field == "timestamp of 2020" and "8784 hours missing" in str(err.value.value)


def test_site_inputs_sum_each_year_to_the_networks_heat():
    b = block(annual_demand_mwh={"weisswasser": 50_000})
    inputs = site_heat_inputs(b, (2019, 2020))
    year = pd.Series(inputs.demand_mw, index=inputs.time).groupby(inputs.time.year).sum()
    assert year.to_numpy() == pytest.approx([50_000, 50_000])
    # no heat pump given: the default air-source COP at 90 / 55 °C (table) with eta 0.5;
    # waste heat 60 °C to 90 °C supply: 0.5 x 363.15 / 30 = 6.0525
    assert inputs.cop_waste_heat == pytest.approx(np.full(len(inputs.time), 0.5 * 363.15 / 30))
    assert inputs.attrs["supply_temperature_c"] == 90.0
    assert "test reference year" in str(inputs.attrs["temperature_source"])


def test_vectors_take_the_cost_table_unless_given():
    b = block(
        chp={"electric_mw": 50, "c_b": 1.5},
        thermal_storage={"energy_mwh": 603.448},
        peak_gas_boiler={"heat_mw_th": 20},
    )
    cap = heat_capacity_vector(b, 2030)
    # tank: E/P ratio 60.3448 h (technology-data): 603.448 MWh -> 10 MW
    assert cap[hk.HC_STORAGE_MW] == pytest.approx(10.0)
    assert cap[hk.HC_CHP_MW_EL] == 50.0
    par = heat_parameter_vector(b, 2030, gas_price_eur_per_mwh=35.0, co2_price_eur_per_t=130.0,
                                natural_gas_co2_t_per_mwh=0.198)
    assert par[hk.HP_CHP_C_B] == 1.5  # given
    assert par[hk.HP_CHP_C_V] == pytest.approx(0.15)  # CCGT row
    # CHP: (35 + 130 x 0.198) / 0.58 + 5.6104 EUR/MWh_el; boiler: (35 + 25.74) / 1.04 + 1.3358
    assert par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] == pytest.approx(60.74 / 0.58 + 5.6104)
    assert par[hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] == pytest.approx(60.74 / 1.04 + 1.3358)
    assert par[hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] == pytest.approx(7.7e-5)


def test_a_range_is_refused_by_the_rules():
    b = block(peak_gas_boiler={"heat_mw_th": {"min": 0, "max": 30}})
    with pytest.raises(ScenarioError) as err:
        heat_capacity_vector(b)
    assert err.value.field == "heat.peak_gas_boiler.heat_mw_th"


def test_the_year_run_checks_its_arrays():
    one = np.ones(3)
    with pytest.raises(InputDataError) as err:
        run_heat(np.array([1.0, -1.0, 1.0]), one, one, one, one, one, one, 2 * one,
                 np.zeros(hk.N_HEAT_CAP), np.zeros(hk.N_HEAT_PAR))
    assert err.value.field == "heat_demand_mw at hour 1"


def test_waste_heat_follows_the_electrolyser_of_a_dispatch_dataset():
    # a two-hour dataset: the electrolyser runs at 10 MW in hour 0 and is off (standby 0.1)
    # in hour 1. Direct recovery at 20 %: 2 MW of heat in hour 0, none in hour 1.
    import xarray as xr

    time = pd.date_range("2019-01-01", periods=2, freq="h")
    site = ["boxberg"]

    def var(values):
        return (("time", "site"), np.asarray(values, dtype=float).reshape(2, 1))

    ds = xr.Dataset(
        {
            "electrolysis_input_mw": var([10.0, 0.1]),
            "electrolysis_standby_mw": var([0.0, 0.1]),
            "electrolysis_on": var([1.0, 0.0]),
            "grid_export_mw": var([0.0, 0.0]),
            "curtailment_mw": var([0.0, 0.0]),
            "grid_import_mw": var([0.0, 0.0]),
            "price_eur_per_mwh": (("time",), np.array([50.0, 50.0])),
        },
        coords={"time": time, "site": site},
    )
    par = np.zeros(hk.N_HEAT_PAR)
    par[hk.HP_RECOVERY_SHARE] = 0.2
    par[hk.HP_CHP_C_B] = 1.0
    par[hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 1.0
    par[hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
    res = heat_from_dispatch(ds, "boxberg", np.array([5.0, 5.0]), np.full(2, 3.0),
                             np.full(2, 6.0), np.zeros(hk.N_HEAT_CAP), par,
                             grid_connection_mw=100.0, import_allowed=False)
    np.testing.assert_allclose(res["heat_from_waste_heat_mw"].to_numpy(), [2.0, 0.0])
    np.testing.assert_allclose(res["unserved_heat_mw"].to_numpy(), [3.0, 5.0])
    assert res["heat_from_waste_heat_mw"].attrs["units"] == "MW_th"
