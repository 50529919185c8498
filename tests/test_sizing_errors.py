"""Infeasible, unbounded and time-limited models: exit status 3, messages in scenario terms."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nzv_energy.cli import main
from nzv_energy.errors import EXIT_INFEASIBLE, ModelInfeasibleError
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import SolverLimitError, SolveStatus, optimise
from nzv_energy.sizing.precheck import precheck
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs, with_profiles
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS

TOO_LITTLE_ELECTROLYSIS = {
    "sites": {"boxberg": {"electrolysis_mw": {"min": 0, "max": 300}}},
    "hydrogen": {"demand": {"mean_mw": 500}, "storage_mwh": {"boxberg": {"min": 0, "max": 1000}}},
}


@pytest.fixture(scope="module")
def sizing():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return scenario, build_inputs(scenario)


def test_precheck_names_demand_and_electrolysis(sizing):
    scenario, inputs = sizing
    sc = scenario_with(scenario, TOO_LITTLE_ELECTROLYSIS)
    with pytest.raises(ModelInfeasibleError) as err:
        precheck(for_scenario(inputs, sc))
    eff = sc.technology.electrolysis.efficiency
    msg = str(err.value)
    assert "hydrogen demand 500 MW" in msg
    assert "max electrolysis 300 MW" in msg
    assert f"efficiency {eff:.3g}" in msg
    assert f"{300 * eff:,.0f} MW" in msg
    assert err.value.exit_code == EXIT_INFEASIBLE


def test_precheck_stops_before_the_solver(sizing, monkeypatch):
    scenario, inputs = sizing
    sc = scenario_with(scenario, TOO_LITTLE_ELECTROLYSIS)

    def no_solver(*args, **kwargs):
        raise AssertionError("the solver must not run")

    monkeypatch.setattr(sys.modules["nzv_energy.sizing.optimise"], "solve_direct", no_solver)
    with pytest.raises(ModelInfeasibleError, match="exceeds max electrolysis"):
        optimise(sc, for_scenario(inputs, sc), mode="exact")


def test_precheck_pipeline_and_storage_share(sizing):
    scenario, inputs = sizing
    sc = scenario_with(scenario, {"sites": {"boxberg": {"pipeline_mw": 30}},
                                  "optimisation": {"min_storage_share": 0.9}})
    with pytest.raises(ModelInfeasibleError) as err:
        precheck(for_scenario(inputs, sc))
    msg = str(err.value)
    assert "demand peak 40 MW exceeds the largest pipeline capacity" in msg
    assert "min_storage_share 0.9 needs" in msg


def test_precheck_hourly_without_storage(sizing):
    scenario, inputs = sizing
    sc = scenario_with(scenario, {"hydrogen": {"demand": {"mean_mw": 60},
                                               "storage_mwh": {"boxberg": 0}}})
    short = with_profiles(for_scenario(sliced_inputs(inputs, 48), sc), wind_cf=0.0, pv_cf=0.0)
    with pytest.raises(ModelInfeasibleError, match="without hydrogen storage"):
        precheck(short)


def test_infeasible_after_solving_names_the_co2_cap(sizing):
    """Passes the cheap checks; HiGHS proves it infeasible and the IIS names the CO2 cap."""
    scenario, inputs = sizing
    # 24 windless hours of a 25 MW local load: 20 MW gas + the 200 MWh battery cover them,
    # so only the cap (no gas at all) makes it infeasible (at 30 MW it is infeasible anyway)
    sc = scenario_with(scenario, {
        "sites": {"boxberg": {"local_demand_mw": 25, "pv_mw": 0}},
        "optimisation": {"co2_cap_t_per_year": 0.0},
    })
    cf = np.r_[np.zeros(24), np.full(24, 0.5)][None, :]
    small = with_profiles(for_scenario(sliced_inputs(inputs, 48), sc), wind_cf=cf, pv_cf=0.0)
    precheck(small)  # the cheap checks cannot see it
    for engine in ("direct", "pypsa"):
        with pytest.raises(ModelInfeasibleError) as err:
            optimise(sc, small, mode="exact", engine=engine)
        msg = str(err.value)
        assert "infeasible" in msg
        assert "CO2 cap 0 t/a" in msg


def test_iteration_limit_without_solution_is_exit_3_not_a_time_limit(sizing):
    scenario, inputs = sizing
    small = sliced_inputs(inputs, 168)
    options = {"solver": "simplex", "presolve": "off", "simplex_iteration_limit": 1}
    with pytest.raises(SolverLimitError, match="iteration limit") as err:
        optimise(scenario, small, mode="fast", solver_options=options)
    assert err.value.exit_code == EXIT_INFEASIBLE
    assert "time limit" not in str(err.value)


def test_time_limit_without_solution_is_exit_3_in_fast_mode(sizing):
    scenario, inputs = sizing
    small = sliced_inputs(inputs, 168)
    with pytest.raises(SolverLimitError, match="time limit") as err:
        optimise(scenario, small, mode="fast", time_limit_s=1e-9)
    assert err.value.exit_code == EXIT_INFEASIBLE


def test_exact_time_limit_returns_fast_sizing_with_warning(sizing, caplog):
    scenario, inputs = sizing
    small = sliced_inputs(inputs, 168)
    with caplog.at_level("WARNING", logger="nzv_energy.sizing"):
        r = optimise(scenario, small, mode="exact", time_limit_s=1e-9)
    # the exact solve stopped without a point; the fast sizing is feasible, not proven optimal
    assert r.status is SolveStatus.FEASIBLE
    assert r.mode == "fast"
    assert "NOT the exact optimum" in caplog.text
    reference = optimise(scenario, small, mode="fast")
    assert r.objective_eur_per_year == pytest.approx(reference.objective_eur_per_year, rel=1e-9)


def test_cli_exit_status_3_with_message(write_scenario, tmp_path, capsys):
    path = write_scenario(TOO_LITTLE_ELECTROLYSIS, base="single_site_sizing.yaml")
    status = main(["optimise", str(path), "--out", str(tmp_path / "out")])
    assert status == 3
    err = capsys.readouterr().err
    assert "exceeds max electrolysis 300 MW" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
