"""The hydrogen-chain LCOH recomputed from the hourly data and the cost table.

The recomputation below follows the formula of docs/optimisation.md ("Three
LCOH figures") with the cost figures read straight from ``inputs/costs.csv``
(EUR/kW -> EUR/MW, % -> fraction) and the hourly variables of the dispatch
dataset; it calls no cost code of the package.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.dispatch import compute_kpis, simulate
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.solution import weighted_percentile
from nzv_energy.sizing.testing import sliced_inputs
from nzv_energy.system import build_inputs, fixed_capacities
from nzv_energy.technology import COST_TABLE
from tests.conftest import SCENARIOS

KWH_PER_KG = 33.33


def table(year: int) -> dict[tuple[str, str], float]:
    """The cost table's figures in EUR/MW, EUR/MWh, fractions and hours."""
    out = {}
    with open(COST_TABLE, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if int(row["cost_year"]) != year:
                continue
            v = float(row["value"])
            if row["unit"].startswith("EUR/kW"):
                v *= 1000.0
            elif row["unit"].startswith("%"):
                v /= 100.0
            out[(row["technology"], row["parameter"])] = v
    return out


def annual(t: dict, tech: str, r: float) -> float:
    """capex x (CRF + FOM) per unit."""
    n = t[(tech, "lifetime")]
    return t[(tech, "capex")] * (r / (1 - (1 + r) ** -n) + t[(tech, "fom")])


def chain_by_hand(ds, scenario, caps, pipeline_km, on_hours_mw, weights_per_year, kg):
    """Chain LCOH at market value: caps = (electrolysis MW, storage MWh, pipeline MW)."""
    t = table(scenario.economics.cost_year)
    r = scenario.economics.discount_rate
    electrolysis, storage, pipe = caps
    assets = (electrolysis * annual(t, "electrolysis", r)
              + storage * annual(t, "hydrogen_storage", r)
              + pipe * pipeline_km * annual(t, "pipeline", r))
    stack = (t[("electrolysis", "capex")] * t[("electrolysis", "stack_replacement_cost")]
             * on_hours_mw / t[("electrolysis", "stack_lifetime")])
    e = ds["electrolysis_input_mw"].sum("site").values
    market = float(np.sum(e * ds["price_eur_per_mwh"].values * weights_per_year))
    return (assets + stack + market) / kg  # the table has no electrolyser VOM row


def test_chain_lcoh_of_the_rule_based_dispatch():
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    inputs = build_inputs(scenario)
    caps = fixed_capacities(scenario)
    ds = simulate(inputs, caps)
    kpis = compute_kpis(ds, inputs, caps)
    year = ds.isel(time=ds["time"].dt.year == 2019)
    on_hours_mw = float((year["electrolysis_on"].sum("time") * caps["boxberg"].electrolysis_mw)
                        .sum())
    kg = float(year["hydrogen_delivered_mw"].sum()) * 1000.0 / KWH_PER_KG
    hours = year.sizes["time"]
    c = caps["boxberg"]
    expected = chain_by_hand(year, scenario,
                             (c.electrolysis_mw, c.hydrogen_storage_mwh, c.pipeline_mw),
                             float(inputs.pipeline_km[0]), on_hours_mw, np.ones(hours), kg)
    # fixed annual costs of a run are scaled by hours / 8760 (docs/dispatch.md)
    assert hours == 8760
    assert kpis.loc[2019, "lcoh_chain_eur_per_kg"] == pytest.approx(expected, rel=1e-9)
    # the chain figure leaves out the wind, PV, battery and gas backup's capital
    assert kpis.loc[2019, "lcoh_chain_eur_per_kg"] < kpis.loc[
        2019, "system_net_cost_per_kg_h2_eur_per_kg"] + kpis.loc[
        2019, "lcoh_grid_export_revenue_eur_per_kg"] * -1


def test_chain_lcoh_of_the_lp_dispatch():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    inputs = sliced_inputs(build_inputs(scenario), 168, start=24 * 60)
    r = optimise(scenario, inputs, mode="exact")
    ds = r.dataset
    sized = r.scenario
    e = ds["electrolysis_input_mw"].sum("site").values
    on_hours_mw = float(np.sum(e > 1e-6)) * r.capacity("boxberg", "electrolysis_mw")
    kg = float(ds["hydrogen_demand_mw"].sum()) * 1000.0 / KWH_PER_KG
    caps = tuple(r.capacity("boxberg", f)
                 for f in ("electrolysis_mw", "hydrogen_storage_mwh", "pipeline_mw"))
    expected = chain_by_hand(ds, sized, caps, float(inputs.pipeline_km[0]), on_hours_mw,
                             np.ones(len(e)), kg)
    assert r.kpis["lcoh_chain_eur_per_kg"] == pytest.approx(expected, rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 500, allow_nan=False), st.integers(1, 6)),
                min_size=1, max_size=40),
       st.sampled_from([10.0, 50.0, 90.0]))
def test_weighted_percentile_counts_a_segment_as_its_hours(pairs, q):
    values = np.array([p[0] for p in pairs])
    weights = np.array([p[1] for p in pairs], dtype=float)
    repeated = np.repeat(values, weights.astype(int))
    expected = float(np.percentile(repeated, q, method="inverted_cdf"))
    assert weighted_percentile(values, weights, q) == expected
