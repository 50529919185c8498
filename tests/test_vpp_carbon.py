"""The VPP under the import carbon threshold: the optimised windows and the rule fallback."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from nzv_energy.sizing.testing import sliced_inputs
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities
from nzv_energy.vpp.fallback import KernelFallback
from nzv_energy.vpp.model import Portfolio, SiteState
from nzv_energy.vpp.rolling import RollingOptions, run_rolling
from nzv_energy.vpp.scheduler import hourly, schedule
from nzv_energy.vpp.solve import SolveStatus, WindowSolver
from tests.conftest import SCENARIOS
from tests.test_grid_carbon import _grid_scenario, _hand_intensity_2019
from tests.test_import_carbon_policy import _with_threshold
from tests.test_vpp_model import make_portfolio, make_window

#: g CO2e/kWh: between the 2019 German mix's low and high hours (mean 333)
THRESHOLD = 330.0
#: 16-18 February 2019: hours priced at or below 40 EUR/MWh on both sides of the
#: threshold (15 clean, 26 dirty in the shipped prices and mix), so the threshold binds
START_H = 24 * 46
HOURS = 72


@pytest.fixture(scope="module")
def february() -> tuple[SystemInputs, SystemInputs]:
    """single_site_quick, 5 MW own load, 10 MW gas backup, buying at or below 40 EUR/MWh:
    three days of 2019 without and with the threshold."""
    full = build_inputs(_grid_scenario(local_demand_mw=5.0, gas_backup_mw=10.0), SCENARIOS)
    free = sliced_inputs(full, HOURS, start=START_H)
    limited = dataclasses.replace(free, scenario=_with_threshold(free.scenario, THRESHOLD))
    return free, limited


def _dirty(time: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Hours above the threshold, from the intensity recomputed from the shipped files."""
    ci = _hand_intensity_2019().reindex(pd.DatetimeIndex(time)).to_numpy()
    assert np.isfinite(ci).all()
    return ci > THRESHOLD


def _with_policy(inputs: SystemInputs, policy: str) -> SystemInputs:
    sc = inputs.scenario
    vpp = sc.vpp.model_copy(update={"import_policy": policy})
    return dataclasses.replace(inputs, scenario=sc.model_copy(update={"vpp": vpp}))


@pytest.mark.parametrize("policy", ["operation", "market"])
def test_schedule_imports_nothing_in_hours_above_the_threshold(february, policy) -> None:
    free, limited = (_with_policy(x, policy) for x in february)
    run = schedule(limited)
    free_run = schedule(free)
    dirty = _dirty(run.dataset["time"].values)
    assert dirty.any() and (~dirty).any()
    imports = run.dataset["grid_import_mw"].sum("site").to_numpy()
    free_imports = free_run.dataset["grid_import_mw"].sum("site").to_numpy()
    assert not run.dataset["vpp_fallback"].values.any()
    # not even the 5 MW own load is bought in a dirty hour
    assert (imports[dirty] == 0.0).all()
    assert imports[~dirty].sum() > 0  # clean hours still buy
    # the threshold binds: without it the schedule buys in dirty hours, and beyond the
    # own load (the electrolyser's purchases in cheap hours, or any hour under 'market')
    assert free_imports[dirty].max() > 5.0 + 1.0
    # a closed grid can only cost profit: the free schedule may do everything the
    # limited one does (same window data otherwise)
    assert free_run.windows["objective_eur"].sum() >= run.windows["objective_eur"].sum() - 1e-6 * (
        abs(run.windows["objective_eur"].sum())
    )


def test_closed_hours_block_the_own_loads_purchases() -> None:
    # 2 MW own load, nothing to make power with: it is bought in the open hours and
    # unserved (at the value of lost load) in the closed one
    p = make_portfolio(local_demand_mw=2.0, grid_connection_mw=10.0)
    data = dataclasses.replace(make_window(p, [40.0, 40.0, 40.0]),
                               grid_open=np.array([True, False, True]))
    from nzv_energy.vpp.model import build_model, read_schedule, set_window

    model = build_model(p, 3)
    set_window(model, p, data, SiteState.initial(p, 0.0, 0.0))
    assert WindowSolver(model, mip_gap=1e-9).solve().status is SolveStatus.OPTIMAL
    sched = read_schedule(model, p, data)
    assert sched["grid_import_mw"][0].tolist() == pytest.approx([2.0, 0.0, 2.0])
    assert sched["local_demand_mw"][0].tolist() == pytest.approx([2.0, 0.0, 2.0])
    # the same model re-used for a window with every hour open buys in all three
    set_window(model, p, make_window(p, [40.0, 40.0, 40.0]), SiteState.initial(p, 0.0, 0.0))
    assert WindowSolver(model, mip_gap=1e-9).solve().status is SolveStatus.OPTIMAL
    assert read_schedule(model, p, data)["grid_import_mw"][0].tolist() == pytest.approx([2.0] * 3)


def test_fallback_windows_apply_the_threshold(february) -> None:
    # A hard hydrogen obligation of 500 MW (the pipeline carries 62 MW) in the first two
    # days: those windows are infeasible and the rules dispatch their committed hours.
    results = {}
    for name, inputs in zip(("free", "limited"), february, strict=True):
        scenario = inputs.scenario
        capacities = fixed_capacities(scenario)
        portfolio = dataclasses.replace(Portfolio.from_capacities(scenario, capacities),
                                        unserved_hydrogen_penalty_eur_per_mwh=None)
        base = hourly(inputs, slice(0, HOURS))
        demand = base.hydrogen_demand_mw.copy()
        demand[:48] = 500.0
        period = dataclasses.replace(base, hydrogen_demand_mw=demand)
        results[name] = run_rolling(
            portfolio, period, RollingOptions.from_scenario(scenario),
            SiteState.initial(portfolio, 0.5, 0.5),
            fallback=KernelFallback(scenario, capacities, period),
        )
    limited, free = results["limited"], results["free"]
    assert limited.fallback[:48].all() and free.fallback[:48].all()
    dirty = _dirty(february[0].time)[:48]
    assert dirty.any() and (~dirty).any()
    imports = limited.schedule["grid_import_mw"].sum(axis=0)[:48]
    free_imports = free.schedule["grid_import_mw"].sum(axis=0)[:48]
    assert (imports[dirty] == 0.0).all()
    assert imports[~dirty].sum() > 0
    # the rules without the threshold buy in the same dirty hours (it binds)
    assert free_imports[dirty].sum() > 0
