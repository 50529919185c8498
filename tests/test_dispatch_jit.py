"""Compiled kernels and the same functions run as Python (NUMBA_DISABLE_JIT=1) agree exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from nzv_energy.dispatch.parameters import DISPATCH_INDEX, dispatch_parameter_vector
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import ensemble as ke
from nzv_energy.kernels import heat as hk
from nzv_energy.kernels import lanes as kl
from nzv_energy.scenario_file import load_scenario
from tests.conftest import ROOT, SCENARIOS

N_HOURS = 24 * 40  # crosses a month boundary (monthly matching)


def small_case() -> tuple[np.ndarray, ...]:
    """A small deterministic case that exercises grid import, gas, storage and monthly RFNBO."""
    rng = np.random.default_rng(7)
    n_s = 2
    hours = np.arange(N_HOURS)
    wind = np.clip(0.15 + 0.35 * np.sin(hours / 17.0)[:, None] + 0.1 * rng.random((N_HOURS, n_s)),
                   0, 1)
    pv = np.clip(np.sin((hours % 24 - 6) / 12 * np.pi), 0, None)[:, None] * np.array([0.7, 0.6])
    price = 45 + 40 * np.sin(hours / 9.0) + 10 * rng.standard_normal(N_HOURS)
    demand = np.full(N_HOURS, 70.0)
    grid_co2 = 330 + 150 * np.sin(hours / 11.0)  # g CO2e/kWh
    month = ((hours // 24) >= 31).astype(np.int64)  # January, then February
    cap = np.array(
        [
            [150.0, 120, 30, 90, 100, 20, 80, 600, 120, 30],
            [60.0, 80, 10, 20, 50, 15, 40, 0, 90, 15],
        ]
    )
    par = dispatch_parameter_vector(load_scenario(SCENARIOS / "single_site_quick.yaml"))
    par[DISPATCH_INDEX["grid_import"]] = 1.0
    par[DISPATCH_INDEX["import_price_threshold_eur_per_mwh"]] = 50.0
    par[DISPATCH_INDEX["rfnbo_monthly"]] = 1.0
    par[DISPATCH_INDEX["gas_backup_hydrogen_fuel"]] = 1.0
    par[DISPATCH_INDEX["stack_lifetime_hours"]] = 100.0
    par[DISPATCH_INDEX["gas_backup_marginal_cost_eur_per_mwh"]] = 60.0  # gas before dear grid
    par[DISPATCH_INDEX["import_carbon_threshold_g_per_kwh"]] = 400.0  # blocks some hours
    par[DISPATCH_INDEX["low_carbon_grid_threshold_g_per_kwh"]] = 250.0
    return (np.ascontiguousarray(wind), np.ascontiguousarray(pv), price, demand, grid_co2, month,
            cap, par)


def run_all() -> dict[str, np.ndarray]:
    """simulate_year (cyclic and not) and both ensemble kernels on the small case."""
    wind, pv, price, demand, grid_co2, month, cap, par = small_case()
    hourly = (wind, pv, price, demand, grid_co2, month)
    n_s = cap.shape[0]
    results: dict[str, np.ndarray] = {}
    # (cyclic, firm commitment MW): the commitment's rule 8 runs in the last two
    for cyclic, firm in ((0.0, 0.0), (1.0, 0.0), (0.0, 5.0), (1.0, 20.0)):
        p = par.copy()
        p[kd.P_CYCLIC] = cyclic
        p[kd.P_FIRM_MW] = firm
        out = np.zeros((N_HOURS, n_s, kd.N_OUT))
        sys_out = np.zeros((N_HOURS, kd.N_SYS_OUT))
        sums = np.zeros((n_s, kd.N_SUM))
        sys_sums = np.zeros(kd.N_SYS_SUM)
        start = np.zeros((n_s, kd.N_STATE))
        end = np.zeros((n_s, kd.N_STATE))
        kd.simulate_year(hourly, cap, p, sums, sys_sums, start, end, out, sys_out, None,
                         kd.pass_options(p))
        for name, arr in (("out", out), ("sys_out", sys_out), ("sums", sums),
                          ("sys_sums", sys_sums), ("start", start), ("end", end)):
            results[f"{name}_{int(cyclic)}_{int(firm)}"] = arr
    # district heat (rule 9) on both sites: site 0 a hydrogen CHP (power-led, extraction),
    # booster on waste heat, air heat pump, store; site 1 a heat-led natural-gas CHP,
    # electric boiler and peak boiler
    hours = np.arange(N_HOURS)
    heat_in = np.empty((N_HOURS, kd.N_HEAT_IN, n_s))
    heat_in[:, kd.HI_HEAT_DEMAND_MW, 0] = 25 + 15 * np.cos(hours / 30.0)
    heat_in[:, kd.HI_HEAT_DEMAND_MW, 1] = 12 + 8 * np.sin(hours / 13.0)
    heat_in[:, kd.HI_COP_HEAT_PUMP, :] = (2.5 + 0.5 * np.sin(hours / 24.0))[:, None]
    heat_in[:, kd.HI_COP_WASTE_HEAT, :] = 5.5
    heat_cap = np.array([[8.0, 6.0, 0.0, 20.0, 0.0, 150.0, 20.0],
                         [0.0, 0.0, 10.0, 8.0, 15.0, 40.0, 10.0]])
    heat_par = np.zeros((n_s, hk.N_HEAT_PAR))
    heat_par[:, hk.HP_RECOVERY_SHARE] = (0.22, 0.0)
    heat_par[:, hk.HP_RECOVERY_BOOSTER] = (1.0, 0.0)
    heat_par[:, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 0.99
    heat_par[:, hk.HP_CHP_ELECTRIC_EFFICIENCY] = (0.5, 0.45)
    heat_par[:, hk.HP_CHP_C_B] = (1.0, 0.9)
    heat_par[:, hk.HP_CHP_C_V] = (0.15, 0.1)
    heat_par[:, hk.HP_CHP_POWER_LED] = (1.0, 0.0)
    heat_par[:, hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = (70.0, 90.0)
    heat_par[:, hk.HP_GAS_BOILER_EFFICIENCY] = 0.95
    heat_par[:, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = 0.001
    heat_par[:, hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] = 60.0
    heat_site = np.array([[1.0, 0.5], [0.0, 0.2]])
    for cyclic in (0.0, 1.0):
        p = par.copy()
        p[kd.P_CYCLIC] = cyclic
        arrays_ = {
            "sums": np.zeros((n_s, kd.N_SUM)), "sys_sums": np.zeros(kd.N_SYS_SUM),
            "start": np.zeros((n_s, kd.N_STATE)), "end": np.zeros((n_s, kd.N_STATE)),
            "out": np.zeros((N_HOURS, n_s, kd.N_OUT)), "sys_out": np.zeros((N_HOURS, kd.N_SYS_OUT)),
            "heat_state": np.zeros((n_s, kd.N_HEAT_STATE)),
            "heat_out": np.zeros((hk.N_HEAT_OUT, N_HOURS, n_s)),
            "heat_sums": np.zeros((n_s, hk.N_HEAT_OUT)), "heat_tot": np.zeros((n_s, kd.N_HEAT_TOT)),
        }
        a = list(arrays_.values())
        kd.simulate_year(hourly, cap, p, *a[:6], (heat_in, heat_cap, heat_par, heat_site, *a[6:]),
                         kd.pass_options(p))
        for name, arr in arrays_.items():
            results[f"heat_{name}_{int(cyclic)}"] = arr
    m = 3
    year_start = np.array([0, N_HOURS // 2, N_HOURS], dtype=np.int64)
    year_index = np.array([0, 1, 0], dtype=np.int64)
    caps = np.stack([cap, cap * 0.5, cap * 1.5])
    pars = np.stack([par, par, par])
    pars[1, kd.P_GRID_IMPORT] = 0.0
    pars[1, kd.P_FIRM_MW] = 10.0
    pars[2, kd.P_GAS_BACKUP_HYDROGEN_FUEL] = 0.0  # natural gas: its emissions are shared too
    # members with heat: site 0's heat assets halved in the second member
    heat_caps = np.stack([heat_cap, heat_cap * np.array([[0.5], [1.0]]), heat_cap])
    for name, kernel in (("serial", ke.run_members_serial), ("parallel", ke.run_members_parallel)):
        for with_heat in (False, True):
            sums = np.zeros((m, n_s, kd.N_SUM))
            sys_sums = np.zeros((m, kd.N_SYS_SUM))
            members = (year_index, caps, pars, sums, sys_sums, np.zeros((m, n_s, kd.N_STATE)),
                       np.zeros((m, n_s, kd.N_STATE)))
            heat = None
            if with_heat:
                heat = (heat_in, heat_caps, np.stack([heat_par] * m), np.stack([heat_site] * m),
                        np.zeros((m, n_s, kd.N_HEAT_STATE)), np.zeros((m, hk.N_HEAT_OUT, 0, n_s)),
                        np.zeros((m, n_s, hk.N_HEAT_OUT)), np.zeros((m, n_s, kd.N_HEAT_TOT)))
            args = (hourly, year_start, members, None, None, heat, kd.pass_options(pars))
            if name == "serial":
                kernel(0, m, *args)
            else:
                kernel(*args)
            label = f"ensemble_{name}{'_heat' if with_heat else ''}"
            results[f"{label}_sums"] = sums
            results[f"{label}_sys_sums"] = sys_sums
            if heat is not None:
                results[f"{label}_heat_sums"] = heat[6]
    # a block of SIMD lanes (kernels/lanes.py): members without the optional rules, cyclic,
    # routed by free storage room, with and without the battery feed and hydrogen-fired gas
    m = kl.LANE_WIDTH - 2
    rng = np.random.default_rng(5)
    caps = cap[None] * rng.uniform(0.3, 1.7, (m, n_s, kd.N_CAP))
    pars = np.stack([par] * m)
    pars[:, [kd.P_GRID_IMPORT, kd.P_RFNBO_MONTHLY, kd.P_FIRM_MW]] = 0.0
    pars[:, kd.P_CYCLIC] = 1.0
    pars[:, kd.P_ROUTE_BY_STORAGE_ROOM] = 1.0
    pars[:, kd.P_BATTERY_TO_ELECTROLYSIS] = rng.integers(0, 2, m)
    pars[:, kd.P_GAS_BACKUP_HYDROGEN_FUEL] = rng.integers(0, 2, m)
    lanes = [np.zeros((m, n_s, kd.N_SUM)), np.zeros((m, kd.N_SYS_SUM)),
             np.zeros((m, n_s, kd.N_STATE)), np.zeros((m, n_s, kd.N_STATE))]
    blocks = np.full((1, kl.LANE_WIDTH), -1, dtype=np.int64)
    blocks[0, :m] = np.arange(m)
    ke.run_blocks_serial(0, 1, blocks, hourly, year_start,
                         (np.zeros(m, dtype=np.int64), caps, pars, *lanes), tuple(range(n_s)))
    for name, arr in zip(("sums", "sys_sums", "start", "end"), lanes, strict=True):
        results[f"lanes_{name}"] = arr
    return results


def test_compiled_and_python_kernels_agree_exactly(tmp_path: Path) -> None:
    compiled = run_all()
    target = tmp_path / "python.npz"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT)}
    code = (
        "import numpy as np, numba, sys; assert numba.config.DISABLE_JIT; "
        "from tests.test_dispatch_jit import run_all; "
        f"np.savez({str(target)!r}, **run_all())"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=600)
    python = dict(np.load(target))
    assert sorted(python) == sorted(compiled)
    # the case must exercise the rules whose code paths differ most
    sums = compiled["sums_0_0"]
    assert sums[:, kd.K_GRID_IMPORT_MWH].sum() > 0
    assert sums[:, kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH].sum() > 0
    assert sums[:, kd.K_STACK_REPLACEMENTS].sum() > 0
    assert sums[:, kd.K_STARTS].sum() > 0
    assert sums[:, kd.K_GRID_IMPORT_CO2_T].sum() > 0
    assert sums[:, kd.K_LOW_CARBON_OPERATING_HOURS].sum() > 0
    assert compiled["ensemble_serial_sums"][2, :, kd.K_ELECTROLYSIS_NATURAL_GAS_MWH].sum() > 0
    assert compiled["sys_sums_0_0"][kd.Z_UNSERVED_HYDROGEN_MWH] > 0
    # the commitment is met in some hours and missed in others, and rule 8 burns hydrogen
    for key in ("sys_sums_0_5", "sys_sums_1_20"):
        assert 0 < compiled[key][kd.Z_FIRM_HOURS_SHORT] < N_HOURS
        assert compiled[key][kd.Z_FIRM_DELIVERY_MWH] > 0
    assert (compiled["sums_1_20"][:, kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH].sum()
            > compiled["sums_1_0"][:, kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH].sum())
    assert compiled["ensemble_serial_sys_sums"][1, kd.Z_FIRM_DELIVERY_MWH] > 0
    # the heat case runs every heat source, the hydrogen CHP and heat imports
    heat_sums = compiled["heat_heat_sums_0"]
    for row in (hk.HO_HEAT_FROM_WASTE_HEAT_MW, hk.HO_HEAT_PUMP_MW, hk.HO_ELECTRIC_BOILER_MW,
                hk.HO_CHP_HEAT_MW, hk.HO_GAS_BOILER_MW, hk.HO_STORAGE_DISCHARGE_MW,
                hk.HO_ELECTRICITY_IMPORT_MW):
        assert heat_sums[:, row].sum() > 0, row
    assert heat_sums[0, hk.HO_CHP_FUEL_MW] > 0  # site 0 burns hydrogen
    assert compiled["heat_heat_tot_0"][0, kd.HT_HYDROGEN_FUEL_MWH] > 0
    for key, value in compiled.items():
        np.testing.assert_array_equal(python[key], value, err_msg=key)
    # the serial and the prange runner give every member the same bits
    for suffix in ("sums", "heat_sums", "heat_heat_sums"):
        np.testing.assert_array_equal(
            compiled[f"ensemble_serial_{suffix}"], compiled[f"ensemble_parallel_{suffix}"]
        )
    assert compiled["ensemble_serial_heat_heat_sums"][1, 0, hk.HO_HEAT_PUMP_MW] > 0
    # the block of lanes ran its members (every lane used its totals) through gas and stores
    assert (compiled["lanes_sums"][:, :, kd.K_HYDROGEN_OUTPUT_MWH].sum(axis=1) > 0).all()
    assert compiled["lanes_sums"][:, :, kd.K_GAS_BACKUP_HYDROGEN_FUEL_MWH].sum() > 0
    assert compiled["lanes_sums"][:, :, kd.K_HYDROGEN_STORAGE_DISCHARGE_MWH].sum() > 0


def test_variants_without_a_rule_equal_the_rule_switched_off() -> None:
    """A compile-time variant that leaves out monthly matching, the commitment and grid import
    (options ``None``) gives the same bits as the variant that has them, with their parameters
    off; the totals-only variant gives the totals of the one that writes hourly results."""
    wind, pv, price, demand, grid_co2, month, cap, par = small_case()
    hourly = (wind, pv, price, demand, grid_co2, month)
    n_s = cap.shape[0]
    p = par.copy()
    p[kd.P_RFNBO_MONTHLY] = 0.0
    p[kd.P_FIRM_MW] = 0.0
    p[kd.P_GRID_IMPORT] = 0.0
    p[kd.P_CYCLIC] = 1.0
    assert kd.pass_options(p) == (None, None, None)
    assert kd.pass_options(par) == (True, True, True)

    def run(options: tuple[bool | None, ...], write: bool) -> list[np.ndarray]:
        bufs = [np.zeros((n_s, kd.N_SUM)), np.zeros(kd.N_SYS_SUM), np.zeros((n_s, kd.N_STATE)),
                np.zeros((n_s, kd.N_STATE))]
        out = np.zeros((N_HOURS, n_s, kd.N_OUT)) if write else None
        sys_out = np.zeros((N_HOURS, kd.N_SYS_OUT)) if write else None
        kd.simulate_year(hourly, cap, p, *bufs, out, sys_out, None, options)
        return bufs + ([out, sys_out] if write else [])  # type: ignore[list-item]

    general = run((True, True, True), True)
    assert general[0][:, kd.K_HYDROGEN_OUTPUT_MWH].sum() > 0
    for got, expected in zip(run((None, None, None), True), general, strict=True):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(run((None, None, None), False), general[:4], strict=True):
        np.testing.assert_array_equal(got, expected)
