"""One cost account: its rows add up to the LP objective for both engines and both treatments.

The fixed capital is recomputed by hand from the cost table's figures (capex x
(annuity factor + FOM)); export modes and bound duals are checked against their
definitions (no export in ``none``; ``surplus_only`` keeps the ``none``
capacities; the dual of a binding bound equals the objective's change when the
bound moves).
"""

from __future__ import annotations

import warnings

import pypsa
import pytest

from nzv_energy.report.economics import reconciliation_table
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.command import cost_account_meta
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 168
ENGINES = ("direct", "pypsa")


@pytest.fixture(scope="module")
def base():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return scenario, sliced_inputs(build_inputs(scenario), HOURS, start=24 * 60)


def _run(base, overrides, engine):
    scenario, inputs = base
    sc = scenario_with(scenario, overrides)
    return optimise(sc, for_scenario(inputs, sc), mode="exact", engine=engine)


def _hand_fixed_capital(scenario) -> float:
    """Fixed battery (50 MW / 200 MWh) and gas backup (20 MW) of single_site_sizing."""
    t, r = scenario.technology, scenario.economics.discount_rate

    def crf(n: float) -> float:
        return r / (1 - (1 + r) ** -n)

    site = scenario.sites["boxberg"]
    bat = t.battery
    gas = t.gas_backup
    return (
        site.battery_mw * bat.power_capex_eur_per_mw * (crf(bat.lifetime_years)
                                                        + bat.fom_fraction_per_year)
        + site.battery_mwh * bat.energy_capex_eur_per_mwh * (crf(bat.lifetime_years)
                                                             + bat.fom_fraction_per_year)
        + site.gas_backup_mw * gas.capex_eur_per_mw * (crf(gas.lifetime_years)
                                                       + gas.fom_fraction_per_year)
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("treatment", ["annualised", "sunk"])
def test_account_adds_up_to_the_lp_objective(base, engine, treatment):
    r = _run(base, {"economics": {"fixed_assets": treatment}}, engine)
    account = r.account
    assert abs(account["eur_per_year"].sum() - r.objective_eur_per_year) <= 1e-9 * abs(
        r.objective_eur_per_year)
    assert r.total_cost_eur_per_year == pytest.approx(r.objective_eur_per_year, rel=1e-9)
    hand = _hand_fixed_capital(base[0])
    fixed_row = account.loc["fixed_assets"]
    if treatment == "annualised":
        assert fixed_row["eur_per_year"] == pytest.approx(hand, rel=1e-12)
        assert fixed_row["not_counted_eur_per_year"] == 0.0
    else:
        assert fixed_row["eur_per_year"] == 0.0
        assert fixed_row["not_counted_eur_per_year"] == pytest.approx(hand, rel=1e-12)
    rec = reconciliation_table(account)
    assert abs(rec.loc["difference, relative", "counted_meur_per_year"]) <= 1e-9


def test_treatments_differ_by_the_fixed_capital_only(base):
    annual = _run(base, {}, "direct")
    sunk = _run(base, {"economics": {"fixed_assets": "sunk"}}, "direct")
    # a constant in the objective moves no capacity
    values = annual.capacities["value"]
    assert values.tolist() == pytest.approx(
        sunk.capacities["value"].tolist(), abs=lp_tol(float(values.abs().max())))
    assert annual.objective_eur_per_year - sunk.objective_eur_per_year == pytest.approx(
        _hand_fixed_capital(base[0]), rel=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("treatment", ["annualised", "sunk"])
def test_network_file_states_the_same_totals(base, engine, treatment, tmp_path):
    r = _run(base, {"economics": {"fixed_assets": treatment}}, engine)
    n = r.network
    n.meta.update(cost_account_meta(r))
    path = tmp_path / "network.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyPSA's pandas deprecation notices on file I/O
        n.export_to_netcdf(path)
        back = pypsa.Network(path)
    stated = back.meta["objective_eur_per_year"]
    assert stated == pytest.approx(r.total_cost_eur_per_year, rel=1e-12)
    if engine == "pypsa":  # PyPSA's own objective exists only where PyPSA solved the model
        assert back.objective == pytest.approx(stated, rel=1e-12)
    assert back.meta["fixed_assets"] == treatment
    assert sum(back.meta["cost_account_eur_per_year"].values()) == pytest.approx(
        stated, rel=1e-9)
    gas = back.generators.at["boxberg gas backup", "capital_cost"]
    battery = back.storage_units.at["boxberg battery", "capital_cost"]
    if treatment == "annualised":
        assert gas > 0 and battery > 0  # batteries and gas backup alike
    else:
        assert gas == 0.0 and battery == 0.0
    assert f"{r.total_cost_eur_per_year:,.0f} EUR/a" in r.scenario.description


@pytest.mark.parametrize("engine", ENGINES)
def test_export_revenue_none_sells_nothing(base, engine):
    market = _run(base, {}, engine)
    none = _run(base, {"optimisation": {"export_revenue": "none"}}, engine)
    assert float(none.dataset["grid_export_mw"].max()) == 0.0
    assert none.account.loc["market_revenue", "eur_per_year"] == 0.0
    # revenue can only lower the cost of the same feasible systems
    assert market.objective_eur_per_year <= none.objective_eur_per_year * (1 + 1e-12)


def test_export_modes_same_optimum_in_both_engines(base):
    for mode in ("none", "surplus_only"):
        d = _run(base, {"optimisation": {"export_revenue": mode}}, "direct")
        p = _run(base, {"optimisation": {"export_revenue": mode}}, "pypsa")
        assert d.objective_eur_per_year == pytest.approx(p.objective_eur_per_year, rel=1e-9)
        assert d.capacities["value"].tolist() == pytest.approx(
            p.capacities["value"].tolist(), rel=1e-6, abs=1e-6)


def test_surplus_only_keeps_the_capacities_sized_without_sales(base):
    none = _run(base, {"optimisation": {"export_revenue": "none"}}, "direct")
    surplus = _run(base, {"optimisation": {"export_revenue": "surplus_only"}}, "direct")
    assert surplus.capacities["value"].tolist() == pytest.approx(
        none.capacities["value"].tolist(), abs=1e-9)
    # selling the surplus of the same system can only lower its cost
    assert surplus.objective_eur_per_year <= none.objective_eur_per_year * (1 + 1e-12)
    assert float(surplus.dataset["grid_export_mw"].sum()) > 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_binding_upper_bound_reported_with_its_dual(base, engine, caplog):
    tight = {"sites": {"boxberg": {"wind_mw": {"min": 0, "max": 80}}}}
    with caplog.at_level("WARNING"):
        r = _run(base, tight, engine)
    rows = r.bounds_at_limit
    wind = rows[rows.technology == "wind_mw"]
    assert len(wind) == 1 and wind["bound"].iloc[0] == "upper"
    assert "boxberg.wind_mw ends at its upper bound 80 MW: one MW more would save" in caplog.text
    # the dual is the objective's slope in the bound: one more MW saves that much
    step = 0.01
    wider = _run(base, {"sites": {"boxberg": {"wind_mw": {"min": 0, "max": 80 + step}}}},
                 "direct")
    slope = (r.objective_eur_per_year - wider.objective_eur_per_year) / step
    assert float(wind["dual_eur_per_unit_year"].iloc[0]) == pytest.approx(slope, rel=1e-6)
    # an unset pipeline at the demand peak is not held by its bound: not reported
    assert "pipeline_mw" not in set(rows.technology)
