"""Property tests: every optimised window obeys the physical invariants of the schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nzv_energy.dispatch.checks import invariant_violations
from nzv_energy.dispatch.parameters import CAPACITY_NAMES, DISPATCH_PARAMETER_NAMES
from nzv_energy.vpp.dataset import state_attr, to_dataset
from nzv_energy.vpp.model import Portfolio, SiteState, WindowData
from nzv_energy.vpp.rolling import HourlyInputs, RollingOptions, run_rolling
from tests.test_vpp_model import make_portfolio

N_HOURS = 12
TOL = 1e-6


def _cap(p: Portfolio) -> np.ndarray:
    cols = {n: getattr(p, n) for n in CAPACITY_NAMES if hasattr(p, n)}
    return np.array([[cols[n][s] for n in CAPACITY_NAMES] for s in range(p.n_sites)])


def _par(p: Portfolio) -> np.ndarray:
    values = dict.fromkeys(DISPATCH_PARAMETER_NAMES, 0.0)
    values.update(
        battery_charge_efficiency=p.battery_charge_efficiency,
        battery_discharge_efficiency=p.battery_discharge_efficiency,
        battery_min_soc_fraction=p.battery_min_soc_fraction,
        electrolysis_efficiency=p.electrolysis_efficiency,
        electrolysis_min_load_fraction=p.electrolysis_min_load_fraction,
        electrolysis_part_load_efficiency=p.electrolysis_part_load_efficiency,
        electrolysis_standby_fraction=p.electrolysis_standby_fraction,
        gas_backup_efficiency=p.gas_efficiency,
    )
    return np.array([values[n] for n in DISPATCH_PARAMETER_NAMES])


capacity = st.floats(0, 200, allow_nan=False).map(lambda x: round(x, 1))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Portfolio, HourlyInputs, SiteState, RollingOptions]:
    n_sites = draw(st.integers(1, 2))

    def per_site(strategy: st.SearchStrategy[float]) -> list[float]:
        return [draw(strategy) for _ in range(n_sites)]

    p = make_portfolio(
        n_sites,
        wind_mw=per_site(capacity),
        pv_mw=per_site(capacity),
        battery_mw=per_site(capacity),
        battery_mwh=per_site(capacity),
        electrolysis_mw=per_site(capacity),
        gas_backup_mw=per_site(capacity),
        pipeline_mw=per_site(capacity),
        hydrogen_storage_mwh=per_site(capacity),
        grid_connection_mw=per_site(st.floats(5, 300).map(lambda x: round(x, 1))),
        local_demand_mw=per_site(st.floats(0, 5).map(lambda x: round(x, 2))),
        battery_charge_efficiency=draw(st.floats(0.8, 0.99)),
        battery_discharge_efficiency=draw(st.floats(0.8, 0.99)),
        battery_min_soc_fraction=draw(st.floats(0, 0.2)),
        electrolysis_efficiency=0.62,
        electrolysis_part_load_point_fraction=0.2,
        electrolysis_part_load_efficiency=0.57,
        electrolysis_min_load_fraction=draw(st.floats(0.05, 0.5)),
        electrolysis_standby_fraction=draw(st.floats(0, 0.02)),
        electrolysis_start_cost_eur_per_mw=draw(st.floats(0, 20)),
        gas_min_load_fraction=draw(st.floats(0, 0.6)),
        gas_start_cost_eur_per_mw=draw(st.floats(0, 50)),
        gas_fuel=draw(st.sampled_from(["natural_gas", "hydrogen"])),
        wind_vom_eur_per_mwh=1.8,
        unserved_hydrogen_penalty_eur_per_mwh=draw(st.sampled_from([300.0, 1000.0])),
    )
    n = N_HOURS
    grid = st.lists(st.floats(0, 1), min_size=n * n_sites, max_size=n * n_sites)
    inputs = HourlyInputs(
        time=pd.date_range("2019-03-01", periods=n, freq="h"),
        price_eur_per_mwh=np.round(
            np.array(draw(st.lists(st.floats(-80, 250), min_size=n, max_size=n))), 2
        ),
        wind_cf=np.array(draw(grid)).reshape(n_sites, n),
        pv_cf=np.array(draw(grid)).reshape(n_sites, n),
        hydrogen_demand_mw=np.full(n, draw(st.floats(0, 80))),
    )
    state = SiteState.initial(p, draw(st.floats(0, 1)), draw(st.floats(0, 1)))
    options = RollingOptions(
        horizon_h=draw(st.sampled_from([6, 8])), commit_h=draw(st.sampled_from([3, 4])),
        import_policy=draw(st.sampled_from(["operation", "market"])),
        grid_import=draw(st.booleans()), mip_gap=1e-4,
    )
    return p, inputs, state, options


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_rolling_schedule_obeys_balances_bounds_and_dynamics(
    case: tuple[Portfolio, HourlyInputs, SiteState, RollingOptions],
) -> None:
    p, inputs, state, options = case
    result = run_rolling(p, inputs, options, state)
    assert result.windows["status"].isin(["optimal"]).all()
    ds = to_dataset(
        result.schedule, inputs.time, p.sites, result.fallback,
        {"dispatch_start_state": state_attr(p.sites, {2019: state})},
    )
    bad = {k: v for k, v in invariant_violations(ds, _cap(p), _par(p)).items() if v > TOL}
    assert not bad, bad
    # the schedule's own efficiency line: hydrogen never exceeds the rated efficiency
    running = result.schedule["electrolysis_input_mw"] - result.schedule["electrolysis_standby_mw"]
    assert (result.schedule["hydrogen_output_mw"] <= 0.62 * running + TOL).all()


def test_window_data_shapes_are_checked() -> None:
    from nzv_energy.vpp.model import build_model, set_window

    p = make_portfolio(battery_mw=1, battery_mwh=1, grid_connection_mw=1)
    model = build_model(p, 4)
    data = WindowData(np.zeros(3), np.zeros((1, 3)), np.zeros((1, 3)), np.zeros(3),
                      np.zeros((1, 3)))
    try:
        set_window(model, p, data, SiteState.initial(p, 0, 0))
    except ValueError as err:
        assert "3 h" in str(err)
    else:  # pragma: no cover - the call must fail
        raise AssertionError("a 3 h window was loaded into a 4 h model")
