"""Firm capacity under the dispatch rules (operation) beside the LP bound (perfect foresight)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.dispatch import simulate
from nzv_energy.scenario_file import load_scenario
from nzv_energy.security.firm import firm_capacity_bound
from nzv_energy.security.rules import FIRM_TOLERANCE_MW, rules_firm_capacity, rules_shortfall
from nzv_energy.sizing.testing import for_scenario, scenario_with
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS
from tests.test_security import CONN, GAS, NO_H2, _available, _inputs, base  # noqa: F401


def test_rules_firm_capacity_is_the_least_available_power_without_storage(base):  # noqa: F811
    # no storage, no hydrogen: the rules run the gas unit for the grid whenever the wind
    # and sun fall short, so the firm capacity is min over hours of min(connection, gas +
    # wind + PV), the closed form of the LP bound too
    inputs = _inputs(base, NO_H2)
    avail = np.minimum(CONN, GAS + _available(inputs))
    firm = rules_firm_capacity(inputs)
    assert avail.min() - FIRM_TOLERANCE_MW <= firm[0] <= avail.min()
    # a commitment above it is short by the hourly deficit
    c_mw = float(avail.min()) + 50.0
    short = rules_shortfall(inputs, c_mw)
    deficit = np.maximum(c_mw - avail, 0.0)
    assert short.energy_short_mwh[0] == pytest.approx(deficit.sum(), rel=1e-9)
    assert short.hours_short_h[0] == np.count_nonzero(deficit > 0)


@pytest.fixture(scope="module")
def quick_year():
    # the quick scenario's whole 2019 with its battery, wind, PV, gas and local load, no
    # hydrogen: the LP bound and the rules serve the same (zero) hydrogen
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    inputs = build_inputs(scenario)
    sc = scenario_with(scenario, {"hydrogen": {"demand": {"mean_mw": 0}},
                                  "sites": {"boxberg": {"electrolysis_mw": 0}}})
    return inputs, for_scenario(inputs, sc)


def test_rules_stay_below_the_lp_bound_on_a_real_year(quick_year):
    # perfect foresight can only do better: a larger firm capacity, less energy short
    _, inputs = quick_year
    c_mw = 60.0
    bound = firm_capacity_bound(inputs, commitment_mw=c_mw)
    rules = rules_firm_capacity(inputs)
    assert rules[0] <= bound.firm_mw[0] + 1e-6
    # at least the gas unit (20 MW) less the local load (5 MW) every hour
    assert rules[0] >= 20.0 - 5.0 - FIRM_TOLERANCE_MW
    short = rules_shortfall(inputs, c_mw)
    assert bound.energy_short_mwh is not None and bound.hours_short_h is not None
    assert short.energy_short_mwh[0] >= bound.energy_short_mwh[0] - 1e-3
    # a commitment at the rules' firm capacity is met in every hour, 1 MW more is not
    assert rules_shortfall(inputs, float(rules[0])).hours_short_h[0] == 0
    assert rules_shortfall(inputs, float(rules[0]) + FIRM_TOLERANCE_MW).hours_short_h[0] > 0


def test_rules_beat_the_bound_only_by_leaving_hydrogen_undelivered(quick_year):
    # with the hydrogen demand, the LP bound keeps the least undelivered hydrogen; rules
    # that deliver less hydrogen can deliver more firm power than that bound, never
    # otherwise: the bound holds for operations that serve at least the LP's hydrogen
    inputs, _ = quick_year
    bound = firm_capacity_bound(inputs)
    rules = rules_firm_capacity(inputs)
    undelivered = float(simulate(inputs)["unserved_hydrogen_mw"].sum())
    if rules[0] > bound.firm_mw[0] + 1e-6:
        assert undelivered > bound.unserved_hydrogen_mwh[0] + 1.0


def test_simulate_writes_the_rules_view_beside_the_lp_bound(write_scenario, tmp_path):
    # one site, no hydrogen, no storage (closed form as above) over the whole year
    path = write_scenario({**NO_H2, "name": "firm_rules", "security": {"firm_mw": 300}})
    out = tmp_path / "out"
    assert main(["simulate", str(path), "--out", str(out)]) == 0
    inputs = build_inputs(load_scenario(path))
    avail = np.minimum(CONN, GAS + _available(inputs))
    deficit = np.maximum(300.0 - avail, 0.0)
    table = pd.read_csv(out / "firm_capacity.csv", index_col="weather_year")
    row = table.loc[2019]
    assert avail.min() - FIRM_TOLERANCE_MW <= row["firm_capacity_rules_mw"] <= avail.min()
    assert row["firm_capacity_rules_mw"] <= row["firm_capacity_lp_bound_mw"] + 1e-6
    assert row["hours_short_rules_h"] == np.count_nonzero(deficit > 0)
    assert row["energy_short_rules_mwh"] == pytest.approx(deficit.sum(), rel=1e-9)
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "firm capacity (dispatch rules" in text and "300 MW (dispatch rules)" in text
    curve = pd.read_csv(out / "firm_capacity_curve.csv")
    assert {"energy_short_rules_mwh", "hours_short_rules_h"} <= set(curve.columns)
    ds = xr.open_dataset(out / "dispatch.nc")
    try:
        assert ds["firm_shortfall_mw"].attrs["units"] == "MW"
        np.testing.assert_allclose(ds["firm_shortfall_mw"].values, deficit, atol=1e-9)
        np.testing.assert_allclose(ds["firm_delivery_mw"].values, 300.0 - deficit, atol=1e-9)
    finally:
        ds.close()
