"""`run` on a scenario with district heat: the heat section and the value of the waste heat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nzv_energy.dispatch.simulate import simulate
from nzv_energy.economics import hydrogen_kg
from nzv_energy.report.pipeline import run_scenario
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs

from .conftest import SCENARIOS

HEAT = SCENARIOS / "single_site_heat.yaml"


@pytest.fixture(scope="module")
def heat_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("heat_run") / "run"
    run_scenario(HEAT, out_dir=out)
    return out


def test_the_counterfactual_without_waste_heat_changes_only_the_heat() -> None:
    # the heat rule runs after the electricity and hydrogen rules of the hour (docs/dispatch.md,
    # rule 9), so taking the waste heat away leaves the electrolysers' dispatch as it was
    # and the heat balance must close with the other sources
    inputs = build_inputs(load_scenario(HEAT))
    with_heat = simulate(inputs)
    without = simulate(inputs, waste_heat=False)
    np.testing.assert_array_equal(with_heat["electrolysis_input_mw"].to_numpy(),
                                  without["electrolysis_input_mw"].to_numpy())
    assert float(with_heat["heat_from_waste_heat_mw"].sum()) > 0.0
    assert float(np.abs(without["heat_from_waste_heat_mw"]).max()) == 0.0
    served = without["heat_demand_mw"] - without["unserved_heat_mw"]
    sources = (without["heat_pump_heat_mw"] + without["electric_boiler_heat_mw"]
               + without["chp_heat_mw"] - without["heat_dumped_mw"]
               + without["gas_boiler_heat_mw"] + without["thermal_storage_discharge_mw"]
               - without["thermal_storage_charge_mw"])
    np.testing.assert_allclose(sources.to_numpy(), served.to_numpy(), atol=1e-9)


def test_run_values_the_waste_heat_and_nets_it_from_the_lcoh(heat_run) -> None:
    heat = pd.read_csv(heat_run / "heat_kpis.csv")
    kpis = pd.read_csv(heat_run / "kpis.csv").set_index("weather_year")
    value = float(heat["waste_heat_value_eur"].sum())
    # waste heat supplies a large share of the heat, the counterfactual must buy it
    # from the heat pump, the boilers and the CHP instead: a positive value
    assert np.isfinite(value) and value > 0.0
    report = (heat_run / "report.md").read_text(encoding="utf-8")
    assert "## District heat" in report
    # the net LCOH in the report is the chain LCOH less the value per kg delivered
    row = kpis.iloc[0]
    per_kg = value / float(hydrogen_kg(row["hydrogen_delivered_mwh"]))
    expected = row["lcoh_chain_eur_per_kg"] - per_kg
    assert (f"| LCOH net of the waste heat (lcoh_chain_net_of_waste_heat_eur_per_kg) | "
            f"{expected:.3f} |") in report


def test_electricity_figures_draw_the_heat_s_electricity(heat_run) -> None:
    """The dispatch figures, the monthly balance and the page stack SOURCES above zero and
    SINKS below: with district heat the heat pumps, boosters, electric boilers and the CHP
    are layers, so supply and use close every hour of the run's dispatch.nc."""
    import xarray as xr

    from nzv_energy.report.figures import SINKS, SOURCES

    with xr.open_dataset(heat_run / "dispatch.nc") as ds:
        assert float(ds["heat_pump_electricity_mw"].sum() + ds["booster_electricity_mw"].sum()
                     + ds["electric_boiler_electricity_mw"].sum()) > 0.0
        supply = sum(ds[var] for var, _, _ in SOURCES if var in ds)
        use = sum(ds[var] for var, _, _ in SINKS if var in ds)
        scale = float(np.abs(supply).max())
        np.testing.assert_allclose(supply.values, use.values, atol=1e-9 * scale)
