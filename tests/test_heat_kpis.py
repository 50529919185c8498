"""Heat KPIs, the levelised cost of heat and the waste-heat value (nzv_energy/heat/kpis.py).

Datasets come from the real heat rules (``heat_from_dispatch`` / ``run_heat``) on
small constructed dispatch results, or are written by hand; every expected
number is derived by hand in the test from the rules in docs/district_heat.md
and the cost rows of inputs/costs.csv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.errors import InputDataError
from nzv_energy.heat.assets import heat_config_from_mapping
from nzv_energy.heat.costs import heat_cost_values
from nzv_energy.heat.inputs import heat_capacity_vector, heat_parameter_vector
from nzv_energy.heat.kpis import (
    COST_OF_HEAT_COMPONENTS,
    HEAT_SOURCES,
    HEAT_VARIABLE_NAMES,
    SiteHeatEconomics,
    has_heat,
    heat_asset_costs,
    heat_kpis,
    hydrogen_lcoh_with_waste_heat,
    site_heat_economics,
    site_heat_kpis,
    without_waste_heat,
)
from nzv_energy.heat.simulate import HEAT_VARIABLES, heat_from_dispatch, run_heat
from nzv_energy.kernels import heat as hk

GAS, CO2_PRICE, CO2_FACTOR = 30.0, 100.0, 0.198  # EUR/MWh_th, EUR/t, t/MWh_th


def block(**assets):
    return heat_config_from_mapping(
        {"boxberg": {"networks": ["weisswasser"], **assets}}
    ).sites["boxberg"]


def dispatch(electrolysis_mw, on, price, start="2019-01-01"):
    """A one-site dispatch result holding what heat_from_dispatch reads."""
    n = len(electrolysis_mw)
    time = pd.date_range(start, periods=n, freq="h")

    def var(values):
        return (("time", "site"), np.asarray(values, dtype=float).reshape(n, 1))

    zero = np.zeros(n)
    return xr.Dataset(
        {
            "electrolysis_input_mw": var(electrolysis_mw),
            "electrolysis_standby_mw": var(zero),
            "electrolysis_on": var(on),
            "grid_export_mw": var(zero),
            "curtailment_mw": var(zero),
            "grid_import_mw": var(zero),
            "price_eur_per_mwh": (("time",), np.asarray(price, dtype=float)),
        },
        coords={"time": time, "site": ["boxberg"]},
    )


def by_hand(n, start="2019-01-01", price=None, **values):
    """A heat dataset written by hand: every heat variable 0 unless given."""
    time = pd.date_range(start, periods=n, freq="h")
    data = {name: ("time", np.asarray(values.get(name, np.zeros(n)), dtype=float))
            for name in HEAT_VARIABLE_NAMES}
    ds = xr.Dataset(data, coords={"time": time})
    ds["price_eur_per_mwh"] = ("time", np.zeros(n) if price is None else np.asarray(price, float))
    return ds


def econ(**kw):
    base = {"assets": heat_asset_costs(block(), 2030, 0.07)}
    return SiteHeatEconomics(**{**base, **kw})


# ------------------------------------------------------------------ energy, shares, cost


BOILER_SITE = {
    "waste_heat_recovery": {"mode": "direct", "recoverable_share": 0.2},
    "peak_gas_boiler": {"heat_mw_th": 10},
}


def boiler_case(recovery=True):
    """4 h of 5 MW_th demand; electrolyser 10 MW on in hours 0, 1, 3; direct recovery 20 %."""
    b = block(**BOILER_SITE)
    cap = heat_capacity_vector(b)
    par = heat_parameter_vector(b, gas_price_eur_per_mwh=GAS, co2_price_eur_per_t=CO2_PRICE,
                                natural_gas_co2_t_per_mwh=CO2_FACTOR)
    if not recovery:
        par = without_waste_heat(par)
    d = dispatch([10.0, 10.0, 0.0, 10.0], [1, 1, 0, 1], [40.0, 40.0, 40.0, 40.0])
    heat = heat_from_dispatch(d, "boxberg", np.full(4, 5.0), np.full(4, 3.0), np.full(4, 6.0),
                              cap, par, grid_connection_mw=100.0, import_allowed=False)
    return b, d, heat


def test_waste_heat_then_peak_boiler_by_hand():
    """Waste heat 2 + 2 + 0 + 2 = 6 MWh_th, the boiler the other 14; costs from the rows."""
    b, d, heat = boiler_case()
    _, _, without = boiler_case(recovery=False)
    e = site_heat_economics(b, cost_year=2030, discount_rate=0.07, gas_price_eur_per_mwh=GAS,
                            co2_price_eur_per_t=CO2_PRICE, natural_gas_co2_t_per_mwh=CO2_FACTOR)
    k = heat_kpis(heat, e, price_eur_per_mwh=d["price_eur_per_mwh"].to_numpy(),
                  without_waste_heat=without).loc[2019]
    assert k["heat_demand_mwh"] == pytest.approx(20.0)
    assert k["heat_served_mwh"] == pytest.approx(20.0)
    assert k["heat_demand_met_share"] == 1.0
    assert k["heat_from_waste_heat_mwh"] == pytest.approx(6.0)
    assert k["heat_from_peak_boiler_mwh"] == pytest.approx(14.0)
    assert k["heat_share_waste_heat"] == pytest.approx(0.3)
    assert k["heat_share_peak_boiler"] == pytest.approx(0.7)
    row = heat_cost_values(2030)["gas_boiler"]
    eff, vom = row["efficiency"], row["vom_eur_per_mwh_th"]
    gas = 14.0 / eff
    assert k["heat_natural_gas_mwh"] == pytest.approx(gas)
    assert k["heat_co2_t"] == pytest.approx(gas * CO2_FACTOR)
    assert k["heat_carbon_intensity_kg_per_mwh_th"] == pytest.approx(gas * CO2_FACTOR * 1000 / 20)
    r, n = 0.07, row["lifetime_years"]
    crf = r * (1 + r) ** n / ((1 + r) ** n - 1)  # capital recovery factor, closed form
    capital = 10.0 * row["capex_eur_per_mw"] * crf * 4 / 8760
    fom = 10.0 * row["capex_eur_per_mw"] * row["fom_fraction_per_year"] * 4 / 8760
    parts = {"capital": capital, "fixed_om": fom, "variable_om": 14.0 * vom,
             "fuel": gas * GAS, "electricity": 0.0, "co2": gas * CO2_FACTOR * CO2_PRICE,
             "chp_electricity_credit": 0.0}
    for name, eur in parts.items():
        assert k[f"heat_{name}_eur"] == pytest.approx(eur, abs=1e-9), name
        assert k[f"cost_of_heat_{name}_eur_per_mwh_th"] == pytest.approx(eur / 20.0, abs=1e-9)
    assert k["levelised_cost_of_heat_eur_per_mwh_th"] == pytest.approx(sum(parts.values()) / 20)
    # without waste heat the boiler makes 6 MWh_th more: that is what the waste heat displaces
    per_mwh = (GAS + CO2_PRICE * CO2_FACTOR) / eff + vom
    assert k["waste_heat_value_eur"] == pytest.approx(6.0 * per_mwh)
    assert k["waste_heat_value_eur_per_mwh_th"] == pytest.approx(per_mwh)


def test_unserved_heat_and_a_share_below_one():
    """No assets: 2 + 2 + 0 + 2 MWh_th of waste heat serve 6 of 20; 14 unserved."""
    b = block(waste_heat_recovery={"mode": "direct", "recoverable_share": 0.2})
    d = dispatch([10.0, 10.0, 0.0, 10.0], [1, 1, 0, 1], [0.0] * 4)
    heat = heat_from_dispatch(d, "boxberg", np.full(4, 5.0), np.full(4, 3.0), np.full(4, 6.0),
                              heat_capacity_vector(b),
                              heat_parameter_vector(b, gas_price_eur_per_mwh=GAS,
                                                    co2_price_eur_per_t=0.0,
                                                    natural_gas_co2_t_per_mwh=CO2_FACTOR),
                              grid_connection_mw=100.0, import_allowed=False)
    k = heat_kpis(heat, econ(assets=heat_asset_costs(b, 2030, 0.07)),
                  price_eur_per_mwh=np.zeros(4)).loc[2019]
    assert (k["unserved_heat_mwh"], k["heat_served_mwh"]) == pytest.approx((14.0, 6.0))
    assert k["heat_demand_met_share"] == pytest.approx(0.3)
    assert k["heat_share_waste_heat"] == pytest.approx(1.0)
    assert np.isnan(k["waste_heat_value_eur"])  # no run without waste heat given


def test_electricity_at_the_hours_price_chp_credit_and_grid_co2():
    """Hand dataset, 3 h: HP power 1, 2, 0 MW at 10, 20, 5 EUR/MWh; CHP power 3, 0, 4 MW."""
    ds = by_hand(
        3, price=[10.0, 20.0, 5.0],
        heat_demand_mw=[4.0, 6.0, 4.0], heat_pump_heat_mw=[3.0, 6.0, 0.0],
        heat_pump_electricity_mw=[1.0, 2.0, 0.0], heat_electricity_import_mw=[1.0, 0.0, 0.0],
        heat_electricity_from_surplus_mw=[0.0, 2.0, 0.0],
        chp_heat_mw=[1.0, 0.0, 4.0], chp_electric_mw=[3.0, 0.0, 4.0],
        chp_fuel_mw=[8.0, 0.0, 10.0],
    )
    grid = pd.Series([300.0, np.nan, 100.0], index=pd.DatetimeIndex(ds["time"].to_numpy()))
    e = econ(gas_price_eur_per_mwh=GAS, co2_price_eur_per_t=CO2_PRICE,
             natural_gas_co2_t_per_mwh=CO2_FACTOR)
    k = heat_kpis(ds, e, grid_g_per_kwh=grid).loc[2019]
    assert k["heat_electricity_eur"] == pytest.approx(1 * 10 + 2 * 20)
    assert k["heat_chp_electricity_credit_eur"] == pytest.approx(-(3 * 10 + 4 * 5))
    assert k["heat_fuel_eur"] == pytest.approx(18.0 * GAS)
    assert k["heat_grid_import_co2_t"] == pytest.approx(1.0 * 300.0 / 1000.0)  # MWh x g/kWh
    assert k["heat_co2_t"] == pytest.approx(0.3 + 18.0 * CO2_FACTOR)
    assert k["heat_share_heat_pump"] == pytest.approx(9.0 / 14.0)
    assert k["heat_share_chp"] == pytest.approx(5.0 / 14.0)
    # a hydrogen CHP burns no natural gas: no fuel CO2, fuel at the hydrogen value
    h2 = heat_kpis(ds, econ(chp_fuel="hydrogen", hydrogen_value_eur_per_mwh=150.0,
                            natural_gas_co2_t_per_mwh=CO2_FACTOR),
                   grid_g_per_kwh=grid).loc[2019]
    assert (h2["heat_natural_gas_co2_t"], h2["heat_hydrogen_mwh"]) == (0.0, 18.0)
    assert h2["heat_fuel_eur"] == pytest.approx(18.0 * 150.0)
    # imports without a grid intensity: unknown, not zero
    assert np.isnan(heat_kpis(ds, e).loc[2019, "heat_grid_import_co2_t"])


def test_years_are_split_and_fixed_costs_scaled_by_hours():
    """Two hours in 2019 and three in 2020: capital 2/8760 and 3/8760 of the annual figure."""
    t = pd.DatetimeIndex(["2019-12-31 22:00", "2019-12-31 23:00", "2020-01-01 00:00",
                          "2020-01-01 01:00", "2020-01-01 02:00"])
    ds = by_hand(5, heat_demand_mw=[1.0] * 5, gas_boiler_heat_mw=[1.0] * 5).assign_coords(time=t)
    e = econ(assets=heat_asset_costs(block(peak_gas_boiler={"heat_mw_th": 10}), 2030, 0.07))
    k = heat_kpis(ds, e)
    annual = float(e.assets["capital_eur_per_year"].sum())
    assert list(k.index) == [2019, 2020]
    assert k["heat_capital_eur"].to_numpy() == pytest.approx([annual * 2 / 8760,
                                                              annual * 3 / 8760])
    assert k["heat_served_mwh"].to_numpy() == pytest.approx([2.0, 3.0])


def test_a_dataset_with_sites_and_the_hydrogen_lcoh_net_of_waste_heat():
    one = by_hand(2, heat_demand_mw=[2.0, 2.0], heat_from_waste_heat_mw=[2.0, 2.0])
    two = by_hand(2, heat_demand_mw=[1.0, 1.0], gas_boiler_heat_mw=[1.0, 1.0])
    ds = xr.concat([one, two], dim=pd.Index(["a", "b"], name="site"))
    ds["price_eur_per_mwh"] = one["price_eur_per_mwh"]
    frame = site_heat_kpis(ds, {"a": econ(), "b": econ()})
    assert list(frame.index) == [(2019, "a"), (2019, "b")]
    assert frame["heat_served_mwh"].to_numpy() == pytest.approx([4.0, 2.0])
    # 3,333 MWh_H2 = 100,000 kg (33.33 kWh/kg); 20,000 EUR of waste heat = 0.20 EUR/kg
    heat = frame.assign(waste_heat_value_eur=[15_000.0, 5_000.0])
    kpis = pd.DataFrame({"lcoh_chain_eur_per_kg": [5.0], "hydrogen_delivered_mwh": [3333.0]},
                        index=pd.Index([2019], name="weather_year"))
    out = hydrogen_lcoh_with_waste_heat(kpis, heat).loc[2019]
    assert out["waste_heat_value_eur_per_kg"] == pytest.approx(0.2)
    assert out["lcoh_chain_net_of_waste_heat_eur_per_kg"] == pytest.approx(4.8)
    assert out["lcoh_chain_eur_per_kg"] == 5.0


def test_missing_variables_are_refused():
    ds = by_hand(2).drop_vars("chp_heat_mw")
    assert not has_heat(ds)
    assert has_heat(by_hand(2))
    with pytest.raises(InputDataError) as err:
        heat_kpis(ds, econ())
    assert "chp_heat_mw" in str(err.value)


def test_asset_costs_follow_the_rows():
    """The CHP is costed per MW_el on gas_chp, a heat pump on electrolyser heat on its row."""
    b = block(chp={"electric_mw": 20}, waste_heat_recovery={"booster_heat_pump_mw_th": 4},
              heat_pump={"heat_mw_th": 5, "source": "electrolyser_heat"},
              thermal_storage={"energy_mwh": 100})
    a = heat_asset_costs(b, 2040, 0.05)
    rows = heat_cost_values(2040)
    assert list(a.index) == ["chp", "heat_pump", "booster_heat_pump", "thermal_storage"]
    assert a.loc["heat_pump", "cost_row"] == "heat_pump_waste_heat"
    chp = rows["gas_chp"]
    crf = 0.05 / (1 - 1.05 ** -chp["lifetime_years"])
    assert a.loc["chp", "capital_eur_per_year"] == pytest.approx(20 * chp["capex_eur_per_mw"] * crf)
    assert a.loc["thermal_storage", "fixed_om_eur_per_year"] == pytest.approx(
        100 * rows["thermal_storage"]["capex_eur_per_mwh"]
        * rows["thermal_storage"]["fom_fraction_per_year"])


# ------------------------------------------------------------------ reconciliation (property)


def _wrap(out: np.ndarray, n: int) -> xr.Dataset:
    time = pd.date_range("2019-03-01", periods=n, freq="h")
    return xr.Dataset({name: ("time", out[row]) for row, (name, _, _) in HEAT_VARIABLES.items()},
                      coords={"time": time})


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 30),
    store=st.floats(0.0, 50.0),
    loss=st.floats(0.0, 0.05),
    power_led=st.booleans(),
    back_pressure=st.booleans(),
)
def test_sources_reconcile_with_heat_served(data, n, store, loss, power_led, back_pressure):
    """Sum of sources (store net) = served = demand - unserved; shares sum to 1; store net =
    -(losses + level change), on random capacities and hours of the real rules."""
    arr = st.lists(st.floats(0.0, 30.0), min_size=n, max_size=n)
    demand, ely, surplus = (np.array(data.draw(arr)) for _ in range(3))
    price = np.array(data.draw(st.lists(st.floats(-50.0, 200.0), min_size=n, max_size=n)))
    cap = np.array([data.draw(st.floats(0.0, 20.0)) for _ in range(hk.N_HEAT_CAP)])
    cap[hk.HC_STORAGE_MWH] = store
    par = np.zeros(hk.N_HEAT_PAR)
    par[hk.HP_RECOVERY_SHARE] = 0.2
    par[hk.HP_RECOVERY_BOOSTER] = float(data.draw(st.booleans()))
    par[hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 0.99
    par[hk.HP_CHP_ELECTRIC_EFFICIENCY] = 0.5
    par[hk.HP_CHP_C_B] = 1.0
    par[hk.HP_CHP_C_V] = 0.0 if back_pressure else 0.15
    par[hk.HP_CHP_BACK_PRESSURE] = float(back_pressure)
    par[hk.HP_CHP_POWER_LED] = float(power_led)
    par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = 60.0
    par[hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
    par[hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = loss
    par[hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] = 50.0
    out, _ = run_heat(demand, ely, surplus, np.ones(n), np.full(n, 10.0), price,
                      np.full(n, 3.0), np.full(n, 5.0), cap, par,
                      initial_level_mwh=0.5 * store)
    ds = _wrap(out, n)
    k = heat_kpis(ds, econ(), price_eur_per_mwh=price).iloc[0]
    sources = sum(k[f"heat_from_{s}_mwh"] for s in HEAT_SOURCES)
    scale = max(1.0, float(demand.sum()))
    assert sources == pytest.approx(k["heat_served_mwh"], abs=1e-9 * scale)
    assert k["heat_served_mwh"] + k["unserved_heat_mwh"] == pytest.approx(demand.sum(),
                                                                          abs=1e-9 * scale)
    assert k["heat_from_thermal_storage_mwh"] == pytest.approx(
        -(k["thermal_storage_loss_mwh"] + k["thermal_storage_level_change_mwh"]),
        abs=1e-9 * scale)
    if k["heat_served_mwh"] > 1e-6:
        shares = sum(k[f"heat_share_{s}"] for s in HEAT_SOURCES)
        assert shares == pytest.approx(1.0, abs=1e-9 * scale / k["heat_served_mwh"])
    parts = sum(k[f"heat_{c}_eur"] for c in COST_OF_HEAT_COMPONENTS)
    assert k["heat_total_cost_eur"] == pytest.approx(parts)


# ------------------------------------------------------------------ report section


def _content(**extra):
    from nzv_energy.report.report import ReportContent
    from nzv_energy.scenario_file import load_scenario

    root = __import__("pathlib").Path(__file__).resolve().parent.parent / "scenarios"
    kpis = pd.DataFrame({"hydrogen_delivered_mwh": [1000.0], "demand_met_share": [1.0]},
                        index=pd.Index([2019], name="weather_year"))
    return ReportContent(
        scenario=load_scenario(root / "single_site_quick.yaml"),
        scenario_file="single_site_quick.yaml", scenario_sha256="0" * 64,
        sized_capacities=pd.DataFrame({"electrolysis_mw": [100.0]}, index=["boxberg"]),
        kpis=kpis, lcoh_breakdown=pd.DataFrame(), figures=[], optimised=False, **extra,
    )


def test_report_without_heat_has_no_heat_section_and_with_heat_shows_99_95_percent():
    from nzv_energy.heat.kpis import heat_report_section
    from nzv_energy.report.report import render_markdown

    plain = render_markdown(_content())
    assert "heat" not in plain.lower()
    # 10,000 MWh_th demand, 5 unserved: 99.95 %, not 100.0 %
    n = 4
    ds = by_hand(n, heat_demand_mw=[2500.0] * n, gas_boiler_heat_mw=[2500.0, 2500.0, 2500.0,
                                                                     2495.0],
                 unserved_heat_mw=[0.0, 0.0, 0.0, 5.0])
    table = site_heat_kpis(ds.expand_dims(site=["boxberg"]).transpose("time", "site")
                           .assign(price_eur_per_mwh=ds["price_eur_per_mwh"]),
                           {"boxberg": econ()})
    lines = heat_report_section(table, [__import__("pathlib").Path("heat_duration_boxberg.png")])
    assert lines[0] == "## District heat"
    assert any("boxberg 2019: 99.95 % (5.0 MWh unserved)" in line for line in lines)
    assert "| share of heat demand met | 99.95 % (5.0 MWh unserved) |" in "\n".join(lines)
    assert "![heat duration boxberg](figures/heat_duration_boxberg.png)" in lines
    with_heat = render_markdown(_content(heat_section=lines))
    head, _, tail = with_heat.partition("## District heat")
    assert head == plain.partition("## Figures")[0]
    assert tail.split("\n## Figures", 1)[1] == plain.split("\n## Figures", 1)[1]
