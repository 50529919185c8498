"""Sizing for a firm commitment (``security.firm_mw``): both engines, the rows hold.

The direct LP and PyPSA's model (with :func:`nzv_energy.sizing.extra.add_firm_commitment`)
are independent implementations of the commitment: they must reach the same
optimum, the sized dispatch must deliver the firm power every hour, and the
dual of the commitment must equal the cost difference of a second solve.
"""

from __future__ import annotations

import numpy as np
import pytest

from nzv_energy.errors import EXIT_INFEASIBLE, ModelInfeasibleError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise
from nzv_energy.sizing.lp import build_direct_model
from nzv_energy.sizing.model import create_model
from nzv_energy.sizing.network import build_network, plan_network
from nzv_energy.sizing.solution import firm_kpis, solution_from_network
from nzv_energy.sizing.solve import solve, solve_direct
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 72
FIRM = 150.0


@pytest.fixture(scope="module")
def base():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return scenario, sliced_inputs(build_inputs(scenario), HOURS, start=24 * 60)


CASES = {
    "market": {},
    "no_export_revenue": {"optimisation": {"export_revenue": "none"}},
    "split_grid": {"operation": {"grid_import": True},
                   "optimisation": {"max_grid_import_mwh_per_year": 2000.0}},
    "hydrogen_fired": {"operation": {"gas_backup_fuel": "hydrogen"},
                       "sites": {"boxberg": {"gas_backup_mw": {"min": 0, "max": 100}}}},
}


def _case(base, name, firm=FIRM):
    scenario, inputs = base
    sc = scenario_with(scenario, {**CASES[name], "security": {"firm_mw": firm}})
    return sc, for_scenario(inputs, sc)


def _net_export(ds):
    return (ds.grid_export_mw - ds.grid_import_mw).sum("site")


@pytest.mark.parametrize("name", list(CASES))
def test_engines_agree_and_the_firm_power_is_delivered_every_hour(base, name):
    sc, inputs = _case(base, name)
    direct = optimise(sc, inputs, mode="exact", engine="direct")
    ref = optimise(sc, inputs, mode="exact", engine="pypsa")
    assert direct.objective_eur_per_year == pytest.approx(ref.objective_eur_per_year, rel=1e-6)
    for result in (direct, ref):
        net = _net_export(result.dataset).to_numpy()
        assert net.min() >= FIRM - lp_tol(FIRM, 3)
        if name == "no_export_revenue":  # nothing is sold beyond the commitment
            np.testing.assert_allclose(net, FIRM, atol=lp_tol(FIRM, 3))
        # the energy balance of the site still closes with gas sent to the grid
        ds = result.dataset
        sources = (ds.wind_mw + ds.pv_mw - ds.curtailment_mw + ds.battery_discharge_mw
                   + ds.grid_import_mw + ds.gas_backup_mw)
        sinks = (ds.electrolysis_input_mw + ds.battery_charge_mw + ds.grid_export_mw
                 + ds.local_demand_mw)
        np.testing.assert_allclose((sources - sinks).to_numpy(), 0.0, atol=1e-4)
    # the commitment costs something over the plain sizing
    plain_sc = scenario_with(sc, {"security": {"firm_mw": 0}})
    plain = optimise(plain_sc, for_scenario(inputs, plain_sc), mode="exact", engine="direct")
    assert direct.objective_eur_per_year > plain.objective_eur_per_year


def test_gas_reaches_the_grid_only_within_the_commitment(base):
    sc, inputs = _case(base, "hydrogen_fired")
    ds = optimise(sc, inputs, mode="exact", engine="direct").dataset
    local = sc.sites["boxberg"].local_demand_mw
    # gas output beyond the local load leaves as part of the firm delivery only
    assert float((ds.gas_backup_mw - local).max()) <= FIRM + lp_tol(FIRM)


def _marginals(sc, inputs):
    plan = plan_network(inputs)
    dm = build_direct_model(plan)
    _, lps = solve_direct(plan, dm)
    sn = build_network(inputs)
    solve(sn, create_model(sn))
    return lps, solution_from_network(sn)


def test_dual_is_the_cost_of_one_more_firm_mw(base):
    sc, inputs = _case(base, "market")
    direct, pypsa_ = _marginals(sc, inputs)
    assert direct.firm_marginal_eur_per_mw_year is not None
    assert direct.firm_marginal_eur_per_mw_year > 0
    assert pypsa_.firm_marginal_eur_per_mw_year == pytest.approx(
        direct.firm_marginal_eur_per_mw_year, rel=1e-5)
    # independent: a second solve with a slightly larger commitment (the LP is piecewise
    # linear in the commitment; a step of 0.01 MW stays within one piece here)
    step = 0.01
    _, inputs2 = _case(base, "market", FIRM + step)
    plan2 = plan_network(inputs2)
    _, lps2 = solve_direct(plan2, build_direct_model(plan2))
    slope = (lps2.objective - direct.objective) / step
    assert slope == pytest.approx(direct.firm_marginal_eur_per_mw_year, rel=1e-3)
    # per kg: 40 MW of hydrogen for 72 h in the one (sliced) weather year, 33.33 kWh/kg
    kpis = firm_kpis(plan_network(inputs), direct)
    kg = 40.0 * HOURS * 1000.0 / 33.33
    assert kpis["firm_commitment_mw"] == FIRM
    assert kpis["firm_marginal_cost_eur_per_kg_per_mw"] == pytest.approx(
        direct.firm_marginal_eur_per_mw_year / kg, rel=1e-3)
    assert firm_kpis(plan_network(_case(base, "market", 0.0)[1]), _plain_lps(base)) == {}


def _plain_lps(base):
    _, inputs = _case(base, "market", 0.0)
    plan = plan_network(inputs)
    return solve_direct(plan, build_direct_model(plan))[1]


@pytest.mark.parametrize("engine", ["direct", "pypsa"])
def test_a_commitment_beyond_the_grid_connection_is_infeasible(base, engine):
    # 500 MW connection: no portfolio delivers 600 MW to the grid
    sc, inputs = _case(base, "market", firm=600.0)
    with pytest.raises(ModelInfeasibleError) as err:
        optimise(sc, inputs, mode="exact", engine=engine)
    assert err.value.exit_code == EXIT_INFEASIBLE
    message = str(err.value)
    assert "single_site_sizing" in message
    # the conflict is named in scenario words: the commitment and its field
    assert "firm delivery of 600 MW" in message and "security.firm_mw" in message


def test_default_has_no_firm_rows(base):
    _, inputs = base
    dm = build_direct_model(plan_network(inputs))
    assert dm.firm_rows is None
    assert not any(name.startswith("firm") for name in dm.row_groups)
