"""Benchmark of the numba dispatch kernels (run: ``python benchmarks/bench_dispatch.py``).

Prints, from one run on the shipped inputs of ``scenarios/lausitz_2030_fixed.yaml``
(3 sites, 8,760 hours):

* compile time: a cold compile in a fresh process with an empty numba cache, and the
  first call of this process (loads the ``cache=True`` machine code);
* ns per site-hour of the full rule set with every hourly output written, and with
  totals only (one pass each);
* the same with the district heat rule on (every site with a heat network and heat
  assets, ``heat_scenario``), side by side with the run without heat;
* system-years per second (and per minute) of a 1,000-member ensemble (4 weather years
  x 250 capacity variants, KPIs only) on all cores and on one core, and the ns per
  site-hour per core it takes (both passes of a cyclic year counted);
* a serial KPI-only ensemble of ``--lanes-members`` members run one member at a time and
  in blocks of SIMD lanes (``kernels/lanes.py``), alternating, with a bit-for-bit check;
* the ratio against the plain-Python reference of the same rules on the same inputs
  (the reference and the kernel with hourly outputs in interleaved pairs of about the same
  time, mean CPU time of each: :func:`reference_side_by_side`);
* with ``--baseline DIR`` (a copy of an earlier ``kernels/`` folder), that kernel and this
  one side by side in this process: alternating pairs of the one-pass kernel with hourly
  outputs and with totals only (CPU time of this thread, best of 3 each), whether every
  output, total and state is bit-identical (and the largest difference), and a serial
  KPI-only ensemble of ``--baseline-members`` members of both, and (a baseline with
  ``kernels/lanes.py``) the ``--lanes-members`` members in blocks of lanes of both.  Kernels
  from before the
  compile-time variants (their API: ``simulate_year_heat``, hourly rows first, a ``write``
  flag) are called with their own arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from nzv_energy.dispatch import (  # noqa: E402
    CAPACITY_NAMES,
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    dispatch_parameter_vector,
    run_ensemble,
)
from nzv_energy.dispatch.ensemble import Backend, lane_blocks  # noqa: E402
from nzv_energy.dispatch.heat import heat_arrays  # noqa: E402
from nzv_energy.dispatch.simulate import hourly_arrays, simulate  # noqa: E402
from nzv_energy.heat.assets import heat_config_from_mapping  # noqa: E402
from nzv_energy.kernels import dispatch as kd  # noqa: E402
from nzv_energy.kernels import ensemble as ke  # noqa: E402
from nzv_energy.kernels import heat as hk  # noqa: E402
from nzv_energy.kernels import lanes as kl  # noqa: E402
from nzv_energy.scenario_file import load_scenario  # noqa: E402
from nzv_energy.system import build_inputs, fixed_capacities  # noqa: E402
from tests.reference_dispatch import reference_simulate_year  # noqa: E402

SCENARIO = ROOT / "scenarios" / "lausitz_2030_fixed.yaml"
COLD_COMPILE = """
import time, numpy as np
t0 = time.perf_counter()
from nzv_energy.kernels import dispatch as kd, ensemble as ke
n_h, n_s = 24, 2
w = np.zeros((n_h, n_s)); p = np.zeros(n_h); mo = np.zeros(n_h, np.int64)
hourly = (w, w, p, p, p, mo)
cap = np.ones((n_s, kd.N_CAP)); par = np.full(kd.N_PAR, 0.5)
par[kd.P_RFNBO_MONTHLY] = par[kd.P_FIRM_MW] = par[kd.P_GRID_IMPORT] = 0.0
opts = kd.pass_options(par)
t1 = time.perf_counter()
kd.simulate_year(hourly, cap, par, np.zeros((n_s, kd.N_SUM)), np.zeros(kd.N_SYS_SUM),
                 np.zeros((n_s, kd.N_STATE)), np.zeros((n_s, kd.N_STATE)),
                 np.zeros((n_h, n_s, kd.N_OUT)), np.zeros((n_h, kd.N_SYS_OUT)), None, opts)
t2 = time.perf_counter()
m = 2
members = (np.zeros(m, np.int64), np.ones((m, n_s, kd.N_CAP)), np.stack([par] * m),
           np.zeros((m, n_s, kd.N_SUM)), np.zeros((m, kd.N_SYS_SUM)),
           np.zeros((m, n_s, kd.N_STATE)), np.zeros((m, n_s, kd.N_STATE)))
args = (hourly, np.array([0, n_h]), members, None, None, None, opts)
ke.run_members_serial(0, m, *args)
t3 = time.perf_counter()
ke.run_members_parallel(*args)
t4 = time.perf_counter()
from nzv_energy.kernels import lanes as kl
m = kl.LANE_WIDTH
members = (np.zeros(m, np.int64), np.ones((m, n_s, kd.N_CAP)), np.stack([par] * m),
           np.zeros((m, n_s, kd.N_SUM)), np.zeros((m, kd.N_SYS_SUM)),
           np.zeros((m, n_s, kd.N_STATE)), np.zeros((m, n_s, kd.N_STATE)))
ke.run_blocks_serial(0, 1, np.arange(m).reshape(1, m), hourly, np.array([0, n_h]), members,
                     tuple(range(n_s)))
t5 = time.perf_counter()
print(f"{t2 - t1:.2f} {t3 - t2:.2f} {t4 - t3:.2f} {t5 - t4:.2f}")
"""


#: District heat of the three plant sites for the heat case: the networks each site feeds
#: (inputs/district_heat_networks.csv) and every kind of heat asset, fixed sizes.
HEAT = {
    "jaenschwalde": {
        "networks": ["cottbus", "peitz"],
        "chp": {"electric_mw": 60, "fuel": "hydrogen", "operation": "power_led"},
        "waste_heat_recovery": {"mode": "booster_heat_pump", "booster_heat_pump_mw_th": 20},
        "heat_pump": {"heat_mw_th": 35}, "electric_boiler": {"heat_mw_th": 30},
        "thermal_storage": {"energy_mwh": 1000, "power_mw": 50},
        "peak_gas_boiler": {"heat_mw_th": 120},
    },
    "schwarze_pumpe": {
        "networks": ["spremberg", "hoyerswerda"],
        "chp": {"electric_mw": 20},
        "waste_heat_recovery": {"mode": "direct"},
        "heat_pump": {"heat_mw_th": 20}, "electric_boiler": {"heat_mw_th": 10},
        "thermal_storage": {"energy_mwh": 300, "power_mw": 20},
        "peak_gas_boiler": {"heat_mw_th": 45},
    },
    "boxberg": {
        "networks": ["weisswasser"],
        "chp": {"electric_mw": 2.5},
        "waste_heat_recovery": {"mode": "booster_heat_pump", "booster_heat_pump_mw_th": 8},
        "heat_pump": {"heat_mw_th": 5}, "electric_boiler": {"heat_mw_th": 10},
        "thermal_storage": {"energy_mwh": 300, "power_mw": 15},
        "peak_gas_boiler": {"heat_mw_th": 25},
    },
}


def cpu_model() -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def llvm_host_cpu() -> str:
    """The CPU name numba's LLVM compiles for (its tuning, e.g. the preferred vector width)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    return str(llvm.get_host_cpu_name())


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cpu_best_of(fn, repeats: int) -> float:
    """Best CPU time of this thread (a shared machine's waits are not counted)."""
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return min(times)


def alternate(f_a: Callable[[], None], f_b: Callable[[], None], pairs: int,
              repeats: int) -> tuple[list[float], list[float]]:
    """CPU times of ``f_a`` and ``f_b`` (best of ``repeats`` each) in alternating pairs.

    Which of the two runs first alternates from pair to pair too.
    """
    t_a, t_b = [], []
    for i in range(pairs):
        first, second = (f_a, f_b) if i % 2 == 0 else (f_b, f_a)
        x, y = cpu_best_of(first, repeats), cpu_best_of(second, repeats)
        t_a.append(x if i % 2 == 0 else y)
        t_b.append(y if i % 2 == 0 else x)
    return t_a, t_b


def load_baseline(folder: Path) -> types.ModuleType:
    """Import ``folder/dispatch.py`` (a copy of an earlier ``kernels/``) as a private package.

    The package takes the folder's name (numba's cache of the copy records it), which must
    not be the name of an imported module, e.g. ``/tmp/baseline/oldkernels``.
    """
    name = folder.name
    if name in sys.modules:
        raise SystemExit(f"--baseline {folder}: the folder name {name!r} is an imported module; "
                         "copy the kernels to a folder of another name")
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.dispatch")


def _runner(k: types.ModuleType, hourly: tuple, cap: np.ndarray, par: np.ndarray,
            write: bool) -> tuple[Callable[[], None], list[np.ndarray]]:
    """A one-pass call of kernel module ``k`` and its results in this kernel's layout.

    Kernels from before the compile-time variants (``simulate_year_heat`` beside
    ``simulate_year``, hourly outputs as rows ``(N_OUT, n_h, n_s)``, a ``write`` flag)
    are called with their own arguments.
    """
    n_h, n_s = hourly[0].shape
    h = n_h if write else 0
    totals = [np.zeros((n_s, k.N_SUM)), np.zeros(k.N_SYS_SUM), np.zeros((n_s, k.N_STATE)),
              np.zeros((n_s, k.N_STATE))]
    if hasattr(k, "simulate_year_heat"):  # the earlier kernel API
        out, sys_out = np.zeros((k.N_OUT, h, n_s)), np.zeros((k.N_SYS_OUT, h))
        call = partial(k.simulate_year, *hourly, cap, par, out, sys_out, *totals, write)
        return call, [np.moveaxis(out, 0, 2), sys_out.T, *totals]
    out, sys_out = np.zeros((h, n_s, k.N_OUT)), np.zeros((h, k.N_SYS_OUT))
    call = partial(k.simulate_year, hourly, cap, par, *totals, out if write else None,
                   sys_out if write else None, None, k.pass_options(par))
    return call, [out, sys_out, *totals]


def _serial_members(k: types.ModuleType, arrays: Any, cap: np.ndarray, par: np.ndarray,
                    m: int) -> tuple[Callable[[], None], np.ndarray]:
    """A serial KPI-only ensemble of ``m`` members (weather years in turn) of module ``k``."""
    n_s = cap.shape[0]
    yidx = np.arange(m, dtype=np.int64) % len(arrays.years)
    caps, pars = np.stack([cap] * m), np.stack([par] * m)
    rest = _member_results(k, m, n_s)
    sums = rest[0]
    hourly = arrays.kernel_hourly()
    kens = importlib.import_module(k.__name__.rsplit(".", 1)[0] + ".ensemble")
    if hasattr(k, "simulate_year_heat"):  # the earlier kernel API
        call = partial(kens.run_members_serial, 0, m, *hourly, arrays.year_start, yidx, caps, pars,
                       np.zeros((m, k.N_OUT, 0, n_s)), np.zeros((m, k.N_SYS_OUT, 0)), *rest)
    else:
        call = partial(kens.run_members_serial, 0, m, hourly, arrays.year_start,
                       (yidx, caps, pars, *rest), None, None, None, k.pass_options(pars))
    return call, sums


def side_by_side(
    old: types.ModuleType, hourly: tuple, cap: np.ndarray, par: np.ndarray, arrays: Any,
    members: int, pairs: int = 25,
) -> None:
    """The baseline kernel against this one, alternating, on the same inputs.

    One pass with hourly outputs and with totals only (``pairs`` pairs), then a serial
    KPI-only ensemble of ``members`` members, cyclic (every pass counted).
    """
    n_h, n_s = hourly[0].shape
    for write, label in ((True, "hourly outputs written"), (False, "totals only")):
        (f_old, b_old), (f_new, b_new) = (_runner(old, hourly, cap, par, write),
                                          _runner(kd, hourly, cap, par, write))
        f_old()
        f_new()
        same = all(np.array_equal(x, y) for x, y in zip(b_old, b_new, strict=True))
        worst = max((float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y)))) if x.size else 0.0)
                    for x, y in zip(b_old, b_new, strict=True))
        t_old, t_new = alternate(f_old, f_new, pairs, 3)
        ratio = statistics.median(n / o for n, o in zip(t_new, t_old, strict=True))
        unit = 1e9 / (n_h * n_s)
        print(f"baseline vs this kernel, {label}: {min(t_old) * unit:.1f} "
              f"({statistics.median(t_old) * unit:.1f}) -> {min(t_new) * unit:.1f} "
              f"({statistics.median(t_new) * unit:.1f}) ns per site-hour best (median), "
              f"new/old median of {pairs} pairs {ratio:.3f}; bit-identical: {same} "
              f"(largest difference {worst:.1e}, relative above 1)")
    cyclic = par.copy()
    cyclic[kd.P_CYCLIC] = 1.0
    (e_old, s_old), (e_new, s_new) = (_serial_members(old, arrays, cap, cyclic, members),
                                      _serial_members(kd, arrays, cap, cyclic, members))
    e_old()
    e_new()
    t_old, t_new = alternate(e_old, e_new, max(pairs // 5, 3), 1)
    site_hours = 2 * n_s * float(np.diff(arrays.year_start)[np.arange(members) % len(arrays.years)]
                                 .sum())
    worst = float(np.max(np.abs(s_old - s_new) / np.maximum(1.0, np.abs(s_new))))
    print(f"baseline vs this kernel, serial ensemble of {members} members (cyclic, KPIs only): "
          f"{min(t_old) * 1e9 / site_hours:.1f} -> {min(t_new) * 1e9 / site_hours:.1f} ns per "
          f"site-hour per pass, best of {len(t_old)}; new/old median "
          f"{statistics.median(n / o for n, o in zip(t_new, t_old, strict=True)):.3f}; totals "
          f"largest difference {worst:.1e} (relative above 1)")


def baseline_lanes_side_by_side(old: types.ModuleType, arrays: Any, cap: np.ndarray,
                                par: np.ndarray, members: int, pairs: int = 9) -> None:
    """The baseline's blocks of SIMD lanes against this kernel's, alternating.

    For a baseline that has them (``kernels/lanes.py``): the KPI-only members of
    :func:`lanes_side_by_side` (cyclic as ``par``), every block through each kernel's
    ``run_blocks_serial``; CPU time of this thread, best (median) of ``pairs``.
    """
    old_ens = importlib.import_module(old.__name__.rsplit(".", 1)[0] + ".ensemble")
    if not hasattr(old_ens, "run_blocks_serial"):
        return
    old_lanes = importlib.import_module(old.__name__.rsplit(".", 1)[0] + ".lanes")
    caps, pars, yidx = _lane_members(arrays, cap, par, members)
    n_s = cap.shape[0]
    hourly = arrays.kernel_hourly()
    results = [_member_results(kd, members, n_s) for _ in range(2)]
    blocks_old = lane_blocks(yidx, pars, width=old_lanes.LANE_WIDTH)
    blocks = lane_blocks(yidx, pars)
    calls = [partial(k.run_blocks_serial, 0, len(b), b, hourly, arrays.year_start,
                     (yidx, caps, pars, *r), tuple(range(n_s)))
             for k, b, r in ((old_ens, blocks_old, results[0]), (ke, blocks, results[1]))]
    for call in calls:
        call()
    t_old, t_new = alternate(calls[0], calls[1], pairs, 1)
    same = all(x.tobytes() == y.tobytes() for x, y in zip(*results, strict=True))
    passes = 2 if par[kd.P_CYCLIC] > 0.5 else 1
    unit = 1e9 / (passes * n_s * float(np.diff(arrays.year_start)[yidx].sum()))
    print(f"baseline vs this kernel, serial ensemble of {members} members in SIMD lanes (KPIs "
          f"only, {passes} pass(es) each): {min(t_old) * unit:.2f} "
          f"({statistics.median(t_old) * unit:.2f}) -> {min(t_new) * unit:.2f} "
          f"({statistics.median(t_new) * unit:.2f}) ns per site-hour per pass, best (median) of "
          f"{pairs}; new/old median "
          f"{statistics.median(n / o for n, o in zip(t_new, t_old, strict=True)):.3f}; "
          f"bit-identical: {same}")


def _member_results(k: types.ModuleType, m: int, n_s: int) -> list[np.ndarray]:
    """Zeroed ``sums, sys_sums, start_state, end_state`` of ``m`` members (module ``k``)."""
    return [np.zeros((m, n_s, k.N_SUM)), np.zeros((m, k.N_SYS_SUM)),
            np.zeros((m, n_s, k.N_STATE)), np.zeros((m, n_s, k.N_STATE))]


def _lane_members(arrays: Any, cap: np.ndarray, par: np.ndarray, members: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacities (scaled 0.5-1.5 at random), parameters and weather years of ``members``."""
    n_s = cap.shape[0]
    rng = np.random.default_rng(1)
    scale = rng.uniform(0.5, 1.5, size=(members, n_s, kd.N_CAP))
    scale[:, :, CAPACITY_NAMES.index("grid_connection_mw")] = 1.0
    return (cap[None] * scale, np.stack([par] * members),
            np.arange(members, dtype=np.int64) % len(arrays.years))


def lanes_side_by_side(arrays: Any, cap: np.ndarray, par: np.ndarray, members: int,
                       pairs: int = 7) -> None:
    """A KPI-only ensemble one member at a time and in blocks of SIMD lanes, alternating.

    ``members`` members over the weather years of ``arrays`` (capacities scaled 0.5-1.5
    at random, as in the 1,000-member ensemble), parameters ``par`` (cyclic as given); CPU
    time of this thread, best of ``pairs`` each, and whether every total and state is
    bit-identical.
    """
    n_s = cap.shape[0]
    caps, pars, yidx = _lane_members(arrays, cap, par, members)
    hourly = arrays.kernel_hourly()
    results = [_member_results(kd, members, n_s) for _ in range(2)]
    one = (yidx, caps, pars, *results[0])
    lanes = (yidx, caps, pars, *results[1])
    blocks = lane_blocks(yidx, pars)

    def one_by_one() -> None:
        ke.run_members_serial(0, members, hourly, arrays.year_start, one, None, None, None,
                              kd.pass_options(pars))

    def in_lanes() -> None:
        ke.run_blocks_serial(0, len(blocks), blocks, hourly, arrays.year_start, lanes,
                             tuple(range(n_s)))

    one_by_one()
    in_lanes()
    t_one, t_lanes = alternate(one_by_one, in_lanes, pairs, 1)
    same = all(x.tobytes() == y.tobytes() for x, y in zip(*results, strict=True))
    passes = 2 if par[kd.P_CYCLIC] > 0.5 else 1
    site_hours = passes * n_s * float(np.diff(arrays.year_start)[yidx].sum())
    per_block = (blocks >= 0).sum(axis=1)
    used = int(per_block[per_block >= kl.MIN_BLOCK_MEMBERS].sum())
    print(f"serial ensemble of {members} members (KPIs only, {passes} pass(es) each; "
          f"{used} in blocks of {kl.LANE_WIDTH} lanes), one member at a time vs SIMD lanes: "
          f"{min(t_one) * 1e9 / site_hours:.1f} ({statistics.median(t_one) * 1e9 / site_hours:.1f})"
          f" -> {min(t_lanes) * 1e9 / site_hours:.1f} "
          f"({statistics.median(t_lanes) * 1e9 / site_hours:.1f}) ns per site-hour per pass, "
          f"best (median) of {pairs}; lanes/one-by-one median "
          f"{statistics.median(n / o for n, o in zip(t_lanes, t_one, strict=True)):.3f}; "
          f"bit-identical: {same}")


def reference_side_by_side(hourly: tuple, cap: np.ndarray, par: np.ndarray,
                           ref_caps: list[dict[str, float]], ref_par: dict[str, float],
                           pairs: int = 6) -> tuple[list[float], float, float]:
    """The plain-Python reference against the kernel with hourly outputs, interleaved.

    ``pairs`` pairs, each the reference once over the year and the kernel (the same
    year, hourly outputs written) as many times back to back as takes about as long;
    which goes first alternates.  Both sides sample the same stretch of the machine's
    time, whose speed moves between seconds and minutes, and both are the mean CPU time
    of this thread per run (a best-of on one side only would favour that side).

    Returns
    -------
    tuple
        Each pair's reference/kernel ratio, and the ns per site-hour of the reference and
        of the kernel over all pairs.
    """
    n_h, n_s = hourly[0].shape
    rest = (np.zeros((n_s, kd.N_SUM)), np.zeros(kd.N_SYS_SUM), np.zeros((n_s, kd.N_STATE)),
            np.zeros((n_s, kd.N_STATE)), np.zeros((n_h, n_s, kd.N_OUT)),
            np.zeros((n_h, kd.N_SYS_OUT)))
    call = partial(kd.simulate_year, hourly, cap, par, *rest, None, kd.pass_options(par))
    call()

    wind_cf, pv_cf, price, demand, grid_co2, month = hourly

    def reference() -> float:
        t0 = time.thread_time()
        reference_simulate_year(wind_cf, pv_cf, price, demand, grid_co2, month, ref_caps, ref_par)
        return time.thread_time() - t0

    def kernel_runs(n: int) -> float:
        t0 = time.thread_time()
        for _ in range(n):
            call()
        return (time.thread_time() - t0) / n

    repeats = max(1, round(reference() / kernel_runs(20)))  # about the reference's time
    ratios, ref_times, kernel_times = [], [], []
    for i in range(pairs):
        if i % 2:
            t_kernel = kernel_runs(repeats)
            t_ref = reference()
        else:
            t_ref = reference()
            t_kernel = kernel_runs(repeats)
        ratios.append(t_ref / t_kernel)
        ref_times.append(t_ref)
        kernel_times.append(t_kernel)
    unit = 1e9 / (n_h * n_s)
    return ratios, statistics.mean(ref_times) * unit, statistics.mean(kernel_times) * unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--skip-cold-compile", action="store_true")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a copy of an earlier kernels/ folder to measure against")
    parser.add_argument("--lanes-members", type=int, default=256,
                        help="members of the serial ensemble run one by one and in SIMD lanes")
    parser.add_argument("--baseline-members", type=int, default=100,
                        help="members of the serial ensemble measured against the baseline")
    args = parser.parse_args()

    threads = os.environ.get("NUMBA_NUM_THREADS", "default")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cpu_model()} (LLVM: {llvm_host_cpu()}), {os.cpu_count()} cores, numba "
          f"threads {threads}, load average before the run {load:.2f}")
    if not args.skip_cold_compile:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
            res = subprocess.run([sys.executable, "-c", COLD_COMPILE], env=env, check=True,
                                 capture_output=True, text=True)
            single, serial, parallel, lanes = (float(x) for x in res.stdout.split())
        print(f"cold compile (empty cache): simulate_year {single:.1f} s, ensemble serial "
              f"{serial:.1f} s, ensemble prange {parallel:.1f} s, ensemble in SIMD lanes "
              f"{lanes:.1f} s")

    scenario = load_scenario(SCENARIO)
    scenario = scenario.model_copy(
        update={"weather": scenario.weather.model_copy(update={"years": (2017, 2018, 2019, 2020)})}
    )
    inputs = build_inputs(scenario, SCENARIO.parent)
    arrays = hourly_arrays(inputs)
    caps = fixed_capacities(scenario)
    cap = capacity_array(caps, inputs.site_names)
    par = dispatch_parameter_vector(scenario)
    par[kd.P_CYCLIC] = 0.0  # one pass: every site-hour counted once
    y = list(arrays.years).index(2019)
    a, b = int(arrays.year_start[y]), int(arrays.year_start[y + 1])
    n_h, n_s = b - a, cap.shape[0]
    hourly = arrays.kernel_hourly(a, b)
    out = np.zeros((n_h, n_s, kd.N_OUT))
    sys_out = np.zeros((n_h, kd.N_SYS_OUT))
    sums = np.zeros((n_s, kd.N_SUM))
    sys_sums = np.zeros(kd.N_SYS_SUM)
    st0, st1 = np.zeros((n_s, kd.N_STATE)), np.zeros((n_s, kd.N_STATE))
    options = kd.pass_options(par)

    def kernel() -> None:
        kd.simulate_year(hourly, cap, par, sums, sys_sums, st0, st1, out, sys_out, None, options)

    def kernel_totals() -> None:
        kd.simulate_year(hourly, cap, par, sums, sys_sums, st0, st1, None, None, None, options)

    t0 = time.perf_counter()
    kernel()
    first_call = time.perf_counter() - t0
    print(f"first call in this process (cached machine code): {first_call:.2f} s")
    baseline = None if args.baseline is None else load_baseline(args.baseline.resolve())
    if baseline is not None:
        side_by_side(baseline, hourly, cap, par, arrays, args.baseline_members)

    site_hours = n_h * n_s
    kernel_s = best_of(kernel, 30)
    print(f"full rule set, hourly outputs written: {kernel_s * 1e9 / site_hours:.1f} ns per "
          f"site-hour ({n_s} sites x {n_h} h = {kernel_s * 1e3:.2f} ms per system-year, one pass)")
    kernel_totals()
    totals_s = best_of(kernel_totals, 30)
    print(f"full rule set, totals only: {totals_s * 1e9 / site_hours:.1f} ns per site-hour")
    # district heat on, side by side with the same pass without it (interleaved repeats)
    config = heat_config_from_mapping(HEAT, site_names=tuple(inputs.site_names))
    heated = scenario.model_copy(update={"heat": config.sites})
    heat = heat_arrays(heated, inputs.time, inputs.site_names)
    assert heat is not None
    heat_in = np.ascontiguousarray(heat.heat_in[a:b])
    h_state = np.zeros((n_s, kd.N_HEAT_STATE))
    h_out = np.zeros((hk.N_HEAT_OUT, n_h, n_s))
    h_sums = np.zeros((n_s, hk.N_HEAT_OUT))
    h_tot = np.zeros((n_s, kd.N_HEAT_TOT))

    def kernel_heat() -> None:
        kd.simulate_year(hourly, cap, par, sums, sys_sums, st0, st1, out, sys_out,
                         (heat_in, heat.cap, heat.par, heat.site, h_state, h_out, h_sums, h_tot),
                         options)

    kernel_heat()
    plain, with_heat = [], []
    for _ in range(15):
        plain.append(best_of(kernel, 2))
        with_heat.append(best_of(kernel_heat, 2))
    plain_ns = min(plain) * 1e9 / site_hours
    heat_ns = min(with_heat) * 1e9 / site_hours
    print(f"district heat: without {plain_ns:.1f} ns, with {heat_ns:.1f} ns per site-hour "
          f"(+{heat_ns - plain_ns:.1f} ns, x{heat_ns / plain_ns:.2f}; heat served "
          f"{h_sums[:, hk.HO_HEAT_DEMAND_MW].sum() - h_sums[:, hk.HO_UNSERVED_HEAT_MW].sum():,.0f}"
          f" of {h_sums[:, hk.HO_HEAT_DEMAND_MW].sum():,.0f} MWh_th)")

    one_year = inputs.select_year(2019)
    wrapper_s = best_of(lambda: simulate(one_year, caps, dispatch_params=par), 5)
    print(f"simulate() incl. checks and xarray dataset: {wrapper_s * 1e3:.1f} ms per system-year")

    # ensemble: 4 weather years x (members / 4) capacity variants, cyclic as in the scenario
    rng = np.random.default_rng(0)
    m = args.members
    scale = rng.uniform(0.5, 1.5, size=(m, n_s, kd.N_CAP))
    scale[:, :, CAPACITY_NAMES.index("grid_connection_mw")] = 1.0
    members_cap = cap[None] * scale
    year_index = np.arange(m) % len(arrays.years)
    members_par = dispatch_parameter_vector(scenario)
    cyclic = bool(members_par[kd.P_CYCLIC])
    run_ensemble(inputs, members_cap[:4], year_index=year_index[:4], arrays=arrays)  # warm up
    rates = {}
    runs: tuple[tuple[Backend, int], ...] = (("prange", os.cpu_count() or 1), ("serial", 1))
    for backend, cores in runs:
        walls, cpus = [], []
        for _ in range(3):
            c0, t0 = time.process_time(), time.perf_counter()
            run_ensemble(inputs, members_cap, year_index=year_index, dispatch_params=members_par,
                         arrays=arrays, backend=backend, n_threads=cores)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        t = min(walls)
        rates[backend] = m / t
        n_years = len(arrays.years)
        passes = 2 if cyclic else 1
        member_hours = float(np.diff(arrays.year_start)[year_index].sum()) * n_s * passes
        print(f"ensemble of {m} members ({n_years} weather years x {m // n_years} "
              f"capacity variants, cyclic={cyclic}, KPIs only), {backend} on {cores} core(s): "
              f"{t:.2f} s = {m / t:,.0f} system-years/s = {60 * m / t:,.0f} per minute; "
              f"{t * cores * 1e9 / member_hours:.1f} ns per site-hour per core, each pass "
              f"counted (cores busy on average: {cpus[walls.index(t)] / t:.2f})")
    print(f"parallel speed-up over one core: {rates['prange'] / rates['serial']:.2f}x")
    lanes_side_by_side(arrays, cap, members_par, args.lanes_members)
    if baseline is not None:
        baseline_lanes_side_by_side(baseline, arrays, cap, members_par, args.lanes_members)

    # plain-Python reference of the same rules on the same inputs (one pass, hourly results)
    ref_caps = [dict(zip(CAPACITY_NAMES, map(float, row), strict=True)) for row in cap]
    ref_par = dict(zip(DISPATCH_PARAMETER_NAMES, map(float, par), strict=True))
    ref = reference_simulate_year(*hourly, ref_caps, ref_par)  # the whole year, for the check
    ratios, ref_ns, kernel_ns = reference_side_by_side(hourly, cap, par, ref_caps, ref_par)
    factor = statistics.median(ratios)
    kernel()  # ``out`` holds the last run with district heat: the run without it again
    worst = max(
        float(np.max(np.abs(ref.array("hydrogen_output_mw")
                            - out[:, :, kd.O_HYDROGEN_OUTPUT_MW]))),
        float(np.max(np.abs(ref.array("grid_export_mw") - out[:, :, kd.O_GRID_EXPORT_MW]))),
    )
    print(f"pure-Python reference: {ref_ns:,.0f} ns per site-hour, the kernel with hourly "
          f"outputs {kernel_ns:.1f} ns in the same stretches of time: {factor:,.0f}x faster "
          f"(median of {len(ratios)} side-by-side pairs over the year; from "
          f"{min(ratios):,.0f}x to {max(ratios):,.0f}x; largest hourly difference "
          f"{worst:.1e} MW)")
    print(f"median of kernel repeats for reference: "
          f"{statistics.median([best_of(kernel, 1) for _ in range(9)]) * 1e9 / site_hours:.1f} ns "
          "per site-hour")


if __name__ == "__main__":
    main()
