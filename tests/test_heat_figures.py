"""Heat figures (nzv_energy/heat/figures.py) on a year of the real heat rules.

The heat of Weißwasser from Boxberg over 2019: demand from the shipped DWD test
reference year (nzv_energy.heat.inputs), the 2019 day-ahead prices of the quick
scenario, an electrolyser running in the hours at or below 50 EUR/MWh and a
surplus of 30 % of the site's 300 MW of wind (the quick scenario's real 2019
profile) left for heat. The tests check what is drawn against the dataset and the heat balance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.heat.assets import heat_config_from_mapping
from nzv_energy.heat.figures import build_heat_figures, draw_heat_figures
from nzv_energy.heat.inputs import heat_capacity_vector, heat_parameter_vector, site_heat_inputs
from nzv_energy.heat.simulate import heat_from_dispatch
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
STORE_MWH = 300.0


@pytest.fixture(scope="module")
def heat() -> xr.Dataset:
    inputs = build_inputs(load_scenario(SCENARIOS / "single_site_quick.yaml"), base_dir=SCENARIOS)
    block = heat_config_from_mapping({"boxberg": {
        "networks": ["weisswasser"],
        "waste_heat_recovery": {"mode": "booster_heat_pump", "booster_heat_pump_mw_th": 8},
        "heat_pump": {"heat_mw_th": 5},
        "electric_boiler": {"heat_mw_th": 10},
        "thermal_storage": {"energy_mwh": STORE_MWH, "power_mw": 15},
        "peak_gas_boiler": {"heat_mw_th": 12},
    }}).sites["boxberg"]
    hin = site_heat_inputs(block, (2019,))
    price = np.asarray(inputs.price_eur_per_mwh, dtype=float)
    n = len(price)
    assert n == len(hin.demand_mw) == 8760
    on = (price <= 50.0).astype(float)
    zero = np.zeros((n, 1))
    surplus = 0.3 * 300.0 * np.asarray(inputs.wind_cf[0], dtype=float)

    def var(values):
        return (("time", "site"), np.asarray(values, dtype=float).reshape(n, 1))

    dispatch = xr.Dataset(
        {"electrolysis_input_mw": var(100.0 * on), "electrolysis_standby_mw": var(zero),
         "electrolysis_on": var(on), "grid_export_mw": var(zero), "curtailment_mw": var(surplus),
         "grid_import_mw": var(zero), "price_eur_per_mwh": (("time",), price)},
        coords={"time": hin.time, "site": ["boxberg"]},
    )
    par = heat_parameter_vector(block, gas_price_eur_per_mwh=35.0, co2_price_eur_per_t=130.0,
                                natural_gas_co2_t_per_mwh=0.198)
    return heat_from_dispatch(dispatch, "boxberg", hin.demand_mw, hin.cop_heat_pump,
                              hin.cop_waste_heat, heat_capacity_vector(block), par,
                              grid_connection_mw=500.0, import_allowed=True,
                              initial_level_mwh=0.5 * STORE_MWH)


@pytest.fixture(scope="module")
def figures(heat: xr.Dataset) -> dict:
    return build_heat_figures(heat, {"boxberg": STORE_MWH})


def test_the_stems(figures: dict) -> None:
    assert set(figures) == {"heat_dispatch_winter_boxberg", "heat_duration_boxberg",
                            "thermal_storage"}


def test_winter_week_stacks_to_demand_plus_charge(heat: xr.Dataset, figures: dict) -> None:
    """Sources (store discharge and unserved included) = demand + store charge every hour, so
    the stack's top is max(demand + charge) of 15-21 Jan; charge below zero; demand line."""
    ax = figures["heat_dispatch_winter_boxberg"].axes[0]
    week = heat.sel(time=slice("2019-01-15", "2019-01-21 23:00"))
    assert week.sizes["time"] == 168
    demand = week.heat_demand_mw.values
    charge = week.thermal_storage_charge_mw.values
    y_max = max(c.get_paths()[0].vertices[:, 1].max() for c in ax.collections)
    y_min = min(c.get_paths()[0].vertices[:, 1].min() for c in ax.collections)
    assert y_max == pytest.approx((demand + charge).max())
    assert y_min == pytest.approx(-charge.max() if charge.max() > 1e-9 else 0.0)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "Heat demand")
    np.testing.assert_allclose(line.get_ydata()[:-1], demand)
    labels = {t.get_text() for t in figures["heat_dispatch_winter_boxberg"].legends[0].get_texts()}
    # a source gets a layer and a legend entry when it supplies heat in the week
    used = {label for variable, label in (
        ("heat_from_waste_heat_mw", "Electrolyser waste heat"), ("heat_pump_heat_mw", "Heat pump"),
        ("electric_boiler_heat_mw", "Electric boiler"), ("gas_boiler_heat_mw", "Peak gas boiler"),
        ("thermal_storage_discharge_mw", "Store discharge"), ("unserved_heat_mw", "Unserved heat"),
        ("thermal_storage_charge_mw", "Store charge"),
    ) if float(week[variable].max()) > 1e-9}
    assert labels - {"Heat demand", "Store level, end of hour (right axis)"} == used
    level = figures["heat_dispatch_winter_boxberg"].axes[1].get_lines()[0]
    np.testing.assert_allclose(level.get_ydata(), week.thermal_storage_mwh.values)
    assert "(MW_th)" in ax.get_ylabel()
    assert "(MWh_th)" in figures["heat_dispatch_winter_boxberg"].axes[1].get_ylabel()
    # the store axis reaches the year's highest level, whatever the week's (a nearly empty
    # store in a winter week reads as nearly empty, not as a full axis of tiny levels)
    assert figures["heat_dispatch_winter_boxberg"].axes[1].get_ylim() == pytest.approx(
        (0.0, 1.05 * float(heat.thermal_storage_mwh.max())))


def test_duration_curve_sorts_demand_and_stacks_the_same_hours(
    heat: xr.Dataset, figures: dict
) -> None:
    ax = figures["heat_duration_boxberg"].axes[0]
    demand = heat.heat_demand_mw.values
    line = ax.get_lines()[0]
    assert np.all(np.diff(line.get_ydata()) <= 0)
    assert (line.get_ydata()[0], line.get_ydata()[-1]) == pytest.approx((demand.max(),
                                                                         demand.min()))
    assert line.get_xdata()[-1] == pytest.approx(8760)
    # stacked in the hours sorted by demand: the top is demand + charge of those hours
    top = max(c.get_paths()[0].vertices[:, 1].max() for c in ax.collections)
    assert top == pytest.approx((demand + heat.thermal_storage_charge_mw.values).max())
    # the hour of the highest demand is the first stacked column: its top is that hour's sum
    first = int(np.argmax(demand))
    tops_at_1 = [v[np.isclose(v[:, 0], 1.0), 1].max() for c in ax.collections
                 for v in [c.get_paths()[0].vertices] if np.any(np.isclose(v[:, 0], 1.0))]
    assert max(tops_at_1) == pytest.approx(demand[first]
                                           + float(heat.thermal_storage_charge_mw[first]))
    assert "(h/a)" in ax.get_xlabel() and "(MW_th)" in ax.get_ylabel()


def test_store_level_and_capacity(heat: xr.Dataset, figures: dict) -> None:
    ax = figures["thermal_storage"].axes[0]
    level, cap = ax.get_lines()[:2]
    np.testing.assert_allclose(level.get_ydata(), heat.thermal_storage_mwh.values)
    assert tuple(cap.get_ydata()) == (STORE_MWH, STORE_MWH)
    assert float(heat.thermal_storage_mwh.max()) <= STORE_MWH + 1e-9
    assert "(MWh_th)" in ax.get_ylabel()


def test_sites_dimension_and_a_site_without_heat(heat: xr.Dataset) -> None:
    """With a site dimension only sites with heat demand get figures."""
    two = xr.concat([heat, heat * 0.0], dim=pd.Index(["boxberg", "schwarze_pumpe"], name="site"))
    stems = set(build_heat_figures(two))
    assert stems == {"heat_dispatch_winter_boxberg", "heat_duration_boxberg", "thermal_storage"}


def test_files_are_written_and_repeat_byte_for_byte(heat: xr.Dataset, tmp_path: Path) -> None:
    first = draw_heat_figures(heat, tmp_path / "a", ("svg",), {"boxberg": STORE_MWH})
    again = draw_heat_figures(heat, tmp_path / "b", ("svg",), {"boxberg": STORE_MWH})
    assert [p.name for p in first] == [p.name for p in again]
    assert len(first) == 3
    for a, b in zip(first, again, strict=True):
        assert a.stat().st_size > 1000
        assert a.read_bytes() == b.read_bytes(), a.name
