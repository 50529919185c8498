"""Ensemble members run as SIMD lanes give bit for bit the results of running them one by one."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit

from nzv_energy.dispatch import capacity_array, dispatch_parameter_vector, run_ensemble
from nzv_energy.dispatch.ensemble import lane_blocks
from nzv_energy.dispatch.simulate import HourlyArrays, hourly_arrays
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import ensemble as ke
from nzv_energy.kernels import lanes as kl
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import SystemInputs, fixed_capacities
from tests.conftest import SCENARIOS, shipped_inputs

W = kl.LANE_WIDTH


@pytest.fixture(scope="module")
def inputs() -> SystemInputs:
    return shipped_inputs("lausitz_2030_fixed", (2018, 2019))


@pytest.fixture(scope="module")
def arrays(inputs: SystemInputs) -> HourlyArrays:
    return hourly_arrays(inputs)


def _both_ways(arrays: HourlyArrays, hourly: tuple[np.ndarray, ...], year_start: np.ndarray,
               year_index: np.ndarray, cap: np.ndarray, par: np.ndarray
               ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """The members through the lanes (blocks) and one by one: (lanes, one by one, blocks)."""
    m, n_s = cap.shape[:2]
    results = []
    for lanes in (True, False):
        out = [np.full((m, n_s, kd.N_SUM), np.nan), np.full((m, kd.N_SYS_SUM), np.nan),
               np.full((m, n_s, kd.N_STATE), np.nan), np.full((m, n_s, kd.N_STATE), np.nan)]
        members = (year_index, cap, par, *out)
        if lanes:
            blocks = lane_blocks(year_index, par)
            ke.run_blocks_serial(0, len(blocks), blocks, hourly, year_start, members,
                                 tuple(range(n_s)))
        else:
            ke.run_members_serial(0, m, hourly, year_start, members, None, None, None,
                                  (None, None, None))
        results.append(out)
    return results[0], results[1], blocks


def _assert_same_bits(lanes: list[np.ndarray], alone: list[np.ndarray]) -> None:
    for name, a, b in zip(("sums", "sys_sums", "start_state", "end_state"), lanes, alone,
                          strict=True):
        assert not np.isnan(a).any(), name
        assert a.tobytes() == b.tobytes(), (name, np.argwhere(a != b)[:5])


@st.composite
def ensembles(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """Random members of one to three sites: capacities, every rule switch, cyclic or not."""
    n_s = draw(st.sampled_from([1, 3]))  # the site counts of the shipped scenarios
    m = draw(st.integers(kl.MIN_BLOCK_MEMBERS, W + 6))
    seed = draw(st.integers(0, 2**32 - 1))
    hours = draw(st.sampled_from([200, 700]))
    rng = np.random.default_rng(seed)
    base = np.array([1500.0, 1500, 400, 1600, 1000, 600, 170, 4000, 2800, 20])
    cap = base[None, None, :] * rng.uniform(0.0, 2.0, (m, n_s, kd.N_CAP))
    cap[rng.random((m, n_s)) < 0.2, kd.C_BATTERY_MWH] = 0.0
    cap[rng.random((m, n_s)) < 0.15, kd.C_ELECTROLYSIS_MW] = 0.0
    cap[rng.random((m, n_s)) < 0.15, kd.C_HYDROGEN_STORAGE_MWH] = 0.0
    par = np.empty((m, kd.N_PAR))
    par[:] = dispatch_parameter_vector(load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml"))
    for flag in (kd.P_BATTERY_TO_ELECTROLYSIS, kd.P_ROUTE_BY_STORAGE_ROOM,
                 kd.P_GAS_BACKUP_HYDROGEN_FUEL, kd.P_CYCLIC):
        par[:, flag] = rng.integers(0, 2, m)
    par[:, kd.P_STACK_LIFETIME_HOURS] = rng.choice([150.0, 90000.0], m)  # replacements
    par[:, kd.P_DEMAND_SCALE] = rng.uniform(0.2, 2.0, m)
    par[:, kd.P_PRICE_SCALE] = rng.uniform(0.5, 2.0, m)
    par[:, kd.P_BATTERY_MIN_SOC_FRACTION] = rng.uniform(0.0, 0.3, m)
    par[:, kd.P_ELECTROLYSIS_EFFICIENCY] = rng.uniform(0.55, 0.75, m)
    par[:, kd.P_ELECTROLYSIS_MIN_LOAD_FRACTION] = rng.uniform(0.0, 0.4, m)
    par[:, kd.P_ELECTROLYSIS_PART_LOAD_POINT_FRACTION] = rng.choice([0.2, 1.0], m)
    par[:, kd.P_INITIAL_HYDROGEN_STORAGE_FRACTION] = rng.uniform(0.0, 1.0, m)
    par[:, kd.P_GAS_BACKUP_MARGINAL_COST_EUR_PER_MWH] = rng.uniform(0.0, 300.0, m)
    year_index = rng.integers(0, 2, m)
    return n_s, cap, par, year_index, hours


@given(ensembles())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
def test_lanes_equal_members_run_one_by_one(
    arrays: HourlyArrays, case: tuple[int, np.ndarray, np.ndarray, np.ndarray, int]
) -> None:
    n_s, cap, par, year_index, hours = case
    # two short "years" cut from the shipped hourly inputs, the first n_s sites
    hourly = tuple(x[:2 * hours, :n_s] if x.ndim == 2 else x[:2 * hours]
                   for x in arrays.kernel_hourly())
    hourly = tuple(np.ascontiguousarray(x) for x in hourly)
    year_start = np.array([0, hours, 2 * hours], dtype=np.int64)
    lanes, alone, _ = _both_ways(arrays, hourly, year_start, year_index, cap, par)
    _assert_same_bits(lanes, alone)


def test_lanes_follow_the_routing_order_as_it_changes(inputs: SystemInputs,
                                                      arrays: HourlyArrays) -> None:
    """Members whose sites change places in the routing order many times in the year."""
    base = capacity_array(fixed_capacities(inputs.scenario), inputs.site_names)
    rng = np.random.default_rng(3)
    m = 2 * W
    cap = base[None] * rng.uniform(0.4, 1.6, (m, 3, kd.N_CAP))
    cap[:, :, kd.C_GRID_CONNECTION_MW] = base[None, :, kd.C_GRID_CONNECTION_MW]
    par = np.stack([dispatch_parameter_vector(inputs.scenario)] * m)
    year_index = np.zeros(m, dtype=np.int64)
    hourly = arrays.kernel_hourly()
    lanes, alone, blocks = _both_ways(arrays, hourly, arrays.year_start, year_index, cap, par)
    assert blocks.shape == (2, W) and (blocks >= 0).all()  # every member ran in a lane
    _assert_same_bits(lanes, alone)
    # the order changed: count the hours in which a member's order of free room differs
    # from the hour before (from its hourly store levels, run alone)
    n_h = int(arrays.year_start[1])
    changes = 0
    for i in range(4):
        out = np.zeros((n_h, 3, kd.N_OUT))
        kd.simulate_year(tuple(x[:n_h] for x in hourly), cap[i], par[i],
                         np.zeros((3, kd.N_SUM)), np.zeros(kd.N_SYS_SUM),
                         np.zeros((3, kd.N_STATE)), np.zeros((3, kd.N_STATE)), out,
                         np.zeros((n_h, kd.N_SYS_OUT)), None, (None, None, None))
        room = cap[i, :, kd.C_HYDROGEN_STORAGE_MWH] - out[:, :, kd.O_HYDROGEN_STORAGE_MWH]
        order = np.argsort(room, axis=1, kind="stable")
        changes += int(np.any(order[1:] != order[:-1], axis=1).sum())
    assert changes > 20


def test_blocks_hold_one_weather_year_and_one_cycle_setting() -> None:
    year_index = np.array([1, 0, 1, 0, 0, 1] * 6)
    par = np.zeros((36, kd.N_PAR))
    par[::4, kd.P_CYCLIC] = 1.0
    blocks = lane_blocks(year_index, par)
    members = blocks[blocks >= 0]
    assert sorted(members) == list(range(36))  # each member once
    for row in blocks:
        used = row[row >= 0]
        assert len(set(year_index[used])) == 1
        assert len(set(par[used, kd.P_CYCLIC])) == 1
        assert list(used) == sorted(used)  # member order within a block
        assert (row[len(used):] == -1).all()  # unused lanes last


def test_run_ensemble_in_lanes_equals_run_ensemble_one_by_one(inputs: SystemInputs,
                                                              arrays: HourlyArrays) -> None:
    """The public entry point: 2 weather years x 20 members (a full block and a rest that
    runs one by one), KPIs equal to those of the members run alone, serial and prange."""
    base = capacity_array(fixed_capacities(inputs.scenario), inputs.site_names)
    rng = np.random.default_rng(11)
    m = 40
    cap = base[None] * rng.uniform(0.5, 1.5, (m, 3, kd.N_CAP))
    cap[:, :, kd.C_GRID_CONNECTION_MW] = base[None, :, kd.C_GRID_CONNECTION_MW]
    year_index = np.arange(m) % 2
    results = {
        backend: run_ensemble(inputs, cap, year_index=year_index, arrays=arrays,
                              backend=backend)
        for backend in ("serial", "prange")
    }
    par = np.stack([dispatch_parameter_vector(inputs.scenario)] * m)
    hourly = arrays.kernel_hourly()
    alone = [np.zeros((m, 3, kd.N_SUM)), np.zeros((m, kd.N_SYS_SUM)),
             np.zeros((m, 3, kd.N_STATE)), np.zeros((m, 3, kd.N_STATE))]
    ke.run_members_serial(0, m, hourly, arrays.year_start, (year_index, cap, par, *alone), None,
                          None, None, (None, None, None))
    assert (lane_blocks(year_index, par) >= 0).sum(axis=1).max() == W  # lanes were used
    for result in results.values():
        assert result.site_sums.tobytes() == alone[0].tobytes()
        assert result.sys_sums.tobytes() == alone[1].tobytes()
        assert result.end_state.tobytes() == alone[3].tobytes()
    np.testing.assert_array_equal(results["serial"].kpis.to_numpy(),
                                  results["prange"].kpis.to_numpy())


def test_threads_take_no_further_block_after_a_failure() -> None:
    """A block that fails (or a Ctrl-C in the caller) stops the pool from starting others."""
    import threading

    from nzv_energy.dispatch import ensemble as ens

    started: list[int] = []
    lock = threading.Lock()

    def block(first: int, stop: int, *args: object) -> None:
        with lock:
            started.append(first)
        if first == 0:
            raise KeyboardInterrupt
        threading.Event().wait(0.01)

    with pytest.raises(KeyboardInterrupt):
        ens._on_threads(2, 200, block, (), 1)
    assert 0 in started
    assert len(started) < 20  # the other thread stopped soon after, not after all 200


def _function_attributes(ir: str, name: str) -> str:
    """The attributes of the compiled function ``name`` (not its wrappers) in LLVM IR text."""
    definition = next(line for line in ir.splitlines()
                      if line.startswith("define") and "@_ZN" in line and name in line)
    group = re.search(r"#(\d+) \{$", definition)
    assert group is not None, definition
    return next(line for line in ir.splitlines()
                if line.startswith(f"attributes #{group.group(1)} ="))


def test_full_width_vectors_sets_the_vector_width_of_the_calling_function() -> None:
    # the lane stages call it so that LLVM's 256-bit tuning of Intel CPUs with AVX-512 does
    # not halve the lanes per instruction: the attribute must land on the caller's code
    def scale_lanes(x: np.ndarray, factor: float) -> None:
        for lane in range(x.shape[0]):
            x[lane] *= factor

    def scale_lanes_wide(x: np.ndarray, factor: float) -> None:
        kl.full_width_vectors()
        for lane in range(x.shape[0]):
            x[lane] *= factor

    for fn, expected in ((scale_lanes, False), (scale_lanes_wide, True)):
        compiled = njit(fn)
        x = np.arange(16.0)
        compiled(x, 2.0)
        assert np.array_equal(x, 2.0 * np.arange(16.0))
        attributes = _function_attributes(compiled.inspect_llvm(compiled.signatures[0]),
                                          fn.__name__)
        assert ('"prefer-vector-width"="512"' in attributes) is expected, attributes
