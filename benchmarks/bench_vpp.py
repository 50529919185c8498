"""Benchmark of the rolling-horizon VPP scheduling (run: ``python benchmarks/bench_vpp.py``).

Prints, from one run on the shipped inputs of ``scenarios/lausitz_2030_fixed.yaml``
(3 sites, 2019 weather, 2018 SMARD prices; 48 h windows committed 24 h at a time), or
of ``--scenario FILE``, e.g. the sized default scenario::

    python run.py optimise scenarios/lausitz_2030.yaml --out /tmp/sized
    python benchmarks/bench_vpp.py --scenario /tmp/sized/scenario_sized.yaml \
        --skip-relaxed-year --compare-days 0   # --highs-defaults: HiGHS's own options,
                                               # --cold-start: no warm start

(``lausitz_2030`` carries district heat since 2026-12-01, so its sized file schedules the
heat too; the sized-default figures in docs/PERFORMANCE.md before that date are of the
electricity and hydrogen system: size a file with ``heat: null`` to repeat them.)

* the full year (or ``--days N``): wall time, seconds per simulated day, solve-time
  percentiles per window, windows stopped early or handed to the fallback; then the
  same year with the other look-ahead (relaxed or binary, whichever the scenario does not
  use; ``--skip-relaxed-year`` to skip it);
* measured side by side on the first ``--compare-days`` days (default 28):
  - persistent model (built once per window length, parameters updated) vs a new
    Pyomo model and solver instance for every window: time ratio, same objective;
  - look-ahead on/off decisions binary (default) vs relaxed to [0, 1]: time ratio and
    the operating profit of both;
* the rule-based kernel on the same hours, for reference.

The machine's load average is printed with the figures: on a shared machine
solve times scale with the CPU share this process gets.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nzv_energy.scenario_file import load_scenario  # noqa: E402
from nzv_energy.system import build_inputs, fixed_capacities  # noqa: E402
from nzv_energy.vpp import rolling  # noqa: E402
from nzv_energy.vpp.compare import comparison_table, schedule_metrics  # noqa: E402
from nzv_energy.vpp.dataset import state_attr, to_dataset  # noqa: E402
from nzv_energy.vpp.model import Portfolio, SiteState, build_model  # noqa: E402
from nzv_energy.vpp.progress import WindowProgress  # noqa: E402
from nzv_energy.vpp.rolling import RollingOptions, run_rolling  # noqa: E402
from nzv_energy.vpp.scheduler import (  # noqa: E402
    first_days,
    hourly,
    rule_based,
    schedule,
    window_count,
)
from nzv_energy.vpp.solve import WindowSolver  # noqa: E402

SCENARIO = ROOT / "scenarios" / "lausitz_2030_fixed.yaml"


class _FreshModels:
    """Drop-in for the rolling horizon's model cache that rebuilds for every window."""

    def __init__(self, portfolio: Portfolio, options: RollingOptions) -> None:
        self.portfolio = portfolio
        self.options = options

    def get(self, n_hours: int) -> WindowSolver:
        integer = self.options.commit_h if self.options.relax_lookahead else None
        model = build_model(self.portfolio, n_hours, integer_hours=integer)
        return WindowSolver(model, self.options.mip_gap, self.options.time_limit_s,
                            highs_options=self.options.highs_options)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min), {os.cpu_count()} cores"


def _profit(result: rolling.RollingResult, period: object, part: object,
            portfolio: Portfolio, start: SiteState) -> tuple[float, float]:
    """Operating profit (the comparison's formula) and hydrogen storage change of a run."""
    ds = to_dataset(result.schedule, period.time, portfolio.sites,  # type: ignore[attr-defined]
                    result.fallback,
                    {"dispatch_start_state": state_attr(portfolio.sites, {2019: start})})
    metrics = schedule_metrics(ds, part, portfolio)  # type: ignore[arg-type]
    return metrics["operating_profit_eur"], metrics["hydrogen_storage_change_mwh"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="days of the full run")
    parser.add_argument("--compare-days", type=int, default=28,
                        help="days of the side-by-side comparisons (0 = skip)")
    parser.add_argument("--scenario", type=Path, default=SCENARIO,
                        help="fixed-capacity scenario file (default: lausitz_2030_fixed)")
    parser.add_argument("--mip-start", action="store_true",
                        help="start each MIP from the rounded LP relaxation (RollingOptions)")
    parser.add_argument("--cold-start", action="store_true",
                        help="no warm start from the previous window's plan (RollingOptions)")
    parser.add_argument("--skip-relaxed-year", action="store_true",
                        help="do not repeat the full run with the other look-ahead")
    parser.add_argument("--highs-defaults", action="store_true",
                        help="HiGHS's own MIP options (RINS, RENS, restart on) instead of "
                             "WINDOW_HIGHS_OPTIONS, for a before/after comparison")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    inputs = build_inputs(scenario, args.scenario.resolve().parent)
    capacities = fixed_capacities(scenario)
    print(f"scenario {scenario.name}: {len(scenario.sites)} sites; {_load()}")

    # ---- full run --------------------------------------------------------------------------
    progress = WindowProgress(window_count(first_days(inputs, args.days), scenario.vpp.commit_h),
                              bar=sys.stderr.isatty())
    options_full = replace(RollingOptions.from_scenario(scenario),
                           mip_start=args.mip_start, warm_start=not args.cold_start)
    if args.highs_defaults:
        options_full = replace(options_full, highs_options=())
    cpu = time.process_time()
    run = schedule(inputs, capacities, days=args.days, options=options_full, progress=progress)
    cpu = time.process_time() - cpu
    progress.close()
    days = len(run.inputs.time) / 24
    w = run.windows
    seconds = np.asarray(run.window_solve_seconds)
    q = np.percentile(seconds, [50, 90, 99, 100])
    print(f"\nfull run: {days:.0f} days, {len(w)} windows of {scenario.vpp.horizon_h} h "
          f"({scenario.vpp.commit_h} h committed)")
    print(f"  wall {run.wall_seconds:.1f} s = {run.wall_seconds / days:.3f} s per simulated day "
          f"(target: 365 days < 120 s on the idle machine); CPU time {cpu:.1f} s (all threads); "
          f"MIP start {'on' if args.mip_start else 'off'}; warm start "
          f"{'off' if args.cold_start else 'on'}; look-ahead "
          f"{'relaxed' if options_full.relax_lookahead else 'binary'}; HiGHS options "
          f"{dict(options_full.highs_options) or 'HiGHS defaults'}")
    print(f"  solve time per window: median {q[0]:.3f} s, p90 {q[1]:.3f} s, "
          f"p99 {q[2]:.3f} s, max {q[3]:.3f} s; total {seconds.sum():.1f} s")
    print(f"  statuses: {w['status'].value_counts().to_dict()}, fallback windows "
          f"{int(w['fallback'].sum())}")
    tick = time.perf_counter()
    reference = rule_based(run.inputs, capacities)
    kernel_s = time.perf_counter() - tick
    table = comparison_table(run.dataset, reference, run.inputs, run.portfolio)
    print(f"  rule-based kernel on the same hours: {kernel_s:.3f} s (incl. dataset)")
    for metric in ("operating_profit_eur", "market_revenue_eur", "hydrogen_delivered_mwh",
                   "electrolysis_starts", "gas_backup_starts", "battery_equivalent_cycles",
                   "co2_emissions_t"):
        row = table.loc[metric]
        print(f"  {metric:28s} optimised {row['optimised']:16,.1f}  "
              f"rule-based {row['rule_based']:16,.1f}")
    print(f"  ({_load()})")
    if not args.skip_relaxed_year:
        relaxed = schedule(inputs, capacities, days=args.days,
                           options=replace(options_full,
                                           relax_lookahead=not options_full.relax_lookahead))
        rt = comparison_table(relaxed.dataset, reference, relaxed.inputs, relaxed.portfolio)
        other = "binary" if options_full.relax_lookahead else "relaxed"
        print(f"  same with the look-ahead {other}: wall {relaxed.wall_seconds:.1f} s "
              f"(default / this: {run.wall_seconds / relaxed.wall_seconds:.2f}); operating "
              f"profit "
              f"{rt.loc['operating_profit_eur', 'optimised']:,.0f} vs "
              f"{table.loc['operating_profit_eur', 'optimised']:,.0f} EUR; unserved hydrogen "
              f"{rt.loc['unserved_hydrogen_mwh', 'optimised']:,.1f} vs "
              f"{table.loc['unserved_hydrogen_mwh', 'optimised']:,.1f} MWh ({_load()})")

    if args.compare_days <= 0:
        return
    # ---- side by side: persistent vs rebuilt, relaxed look-ahead vs binary -----------------
    n = 24 * args.compare_days
    part = first_days(inputs, args.compare_days)
    period = hourly(part, slice(0, n))
    portfolio = Portfolio.from_capacities(scenario, capacities)
    options = RollingOptions.from_scenario(scenario)
    start = SiteState.initial(portfolio, scenario.operation.initial_soc_fraction,
                              scenario.hydrogen.initial_storage_fraction)

    def timed(opts: RollingOptions, fresh: bool = False) -> tuple[float, rolling.RollingResult]:
        original = rolling._Models
        if fresh:
            rolling._Models = _FreshModels  # type: ignore[misc, assignment]
        try:
            t0 = time.perf_counter()
            res = run_rolling(portfolio, period, opts, start)
            return time.perf_counter() - t0, res
        finally:
            rolling._Models = original  # type: ignore[misc]

    print(f"\nside by side, first {args.compare_days} days ({_load()}):")
    t_p, r_p = timed(options)
    t_f, r_f = timed(options, fresh=True)
    p_p, _ = _profit(r_p, period, part, portfolio, start)
    p_f, _ = _profit(r_f, period, part, portfolio, start)
    print(f"  persistent model, parameters updated: {t_p:.1f} s; new model every window: "
          f"{t_f:.1f} s; ratio {t_f / t_p:.2f}x; operating profit {p_p:,.0f} vs {p_f:,.0f} EUR")
    t_b, r_b = timed(replace(options, relax_lookahead=False))
    t_r, r_r = timed(replace(options, relax_lookahead=True))
    p_b, h_b = _profit(r_b, period, part, portfolio, start)
    p_r, h_r = _profit(r_r, period, part, portfolio, start)
    print(f"  look-ahead binary: {t_b:.1f} s, relaxed: {t_r:.1f} s; ratio {t_b / t_r:.2f}x; "
          f"operating profit {p_b:,.0f} vs {p_r:,.0f} EUR ({(p_r / p_b - 1) * 100:+.3f} %); "
          f"hydrogen storage change {h_b:,.0f} vs {h_r:,.0f} MWh")
    print(f"  ({_load()})")


if __name__ == "__main__":
    main()
