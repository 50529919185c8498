"""``run.py sweep SWEEP.yaml``: validate, expand, run on Dask, assemble, draw, write.

Results go to ``results/<sweep name>/sweep/`` under the current folder (or ``--out``),
written atomically:

``kpis.nc`` (or ``kpis.zarr``)
    The KPI dataset over the swept dimensions (:mod:`nzv_energy.sweep.results`).
``members.csv``
    One row per member: parameters, weather year, headline KPIs.
``failed_members.csv``
    Members that raised, with their parameters and the error.
``figures/*.png``
    Heatmaps, tornado chart, LCOH distribution, trade-off fronts.
``sweep.yaml``, ``base_scenario.yaml``
    The sweep file and the merged base scenario as run.
``hourly/member_*.nc``
    Hourly results per member, when the sweep file sets ``output: {hourly: true}``.

Finished batches are kept beside the results folder, in ``.<folder name>.partial/``
(``results/<sweep name>/.sweep.partial/``), until the results folder is complete,
so an interrupted or failed run resumes with the same command.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nzv_energy.errors import NzvError, ScenarioError
from nzv_energy.results_io import ResultsExistError, atomic_directory, provenance, write_netcdf
from nzv_energy.sweep.checks import check_member_values
from nzv_energy.sweep.members import (
    MemberTable,
    batch_bounds,
    default_batch_size,
    expand_members,
)
from nzv_energy.sweep.spec import SweepSpec, load_sweep
from nzv_energy.sweep.store import BatchResult, BatchStore, fingerprint

log = logging.getLogger(__name__)

#: Largest sweep for which hourly results of every member may be written.
MAX_HOURLY_MEMBERS = 1000
#: Largest sweep for which members.csv is written (one row per member).
MAX_MEMBER_CSV_ROWS = 200_000
#: Headline KPIs of members.csv.
MEMBER_CSV_KPIS = (
    "system_net_cost_per_kg_h2_eur_per_kg",
    "demand_met_share",
    "co2_emissions_t",
    "hydrogen_delivered_t",
    "rfnbo_share",
    "electrolysis_full_load_hours_h",
    "curtailment_share",
)


class SweepIncompleteError(NzvError):
    """Some batches failed; the finished ones are kept for a re-run."""

    exit_code = 1


def default_out(spec: SweepSpec) -> Path:
    """``results/<sweep name>/sweep`` under the current folder."""
    from nzv_energy.cli import default_results

    return default_results(spec.name, "sweep")


def work_folder(out: Path) -> Path:
    """The resumable work folder next to the results folder."""
    return out.parent / f".{out.name}.partial"


def prepare(sweep: Path, optimise: bool = False) -> tuple[SweepSpec, MemberTable]:
    """Load, expand and check a sweep file (everything before any member runs)."""
    spec = load_sweep(sweep, optimise=optimise)
    table = expand_members(spec)
    check_member_values(spec, table)
    out = spec.model.output
    if out.hourly and table.n_members > MAX_HOURLY_MEMBERS:
        raise ScenarioError(
            spec.file,
            "output.hourly",
            True,
            f"false for a sweep of {table.n_members:,} members (hourly results are written for "
            f"at most {MAX_HOURLY_MEMBERS:,} members)",
        )
    if out.format == "zarr":
        try:
            import zarr  # noqa: F401
        except ImportError:
            raise ScenarioError(
                spec.file, "output.format", "zarr", "netcdf, or install the zarr package first"
            ) from None
    return spec, table


def run_key(
    spec: SweepSpec,
    batch_size: int,
    optimise: bool,
    input_hashes: dict[str, str] | None = None,
) -> str:
    """Fingerprint of what decides a sweep's batch results."""
    return fingerprint(
        {
            "sweep": spec.model.model_dump(mode="json", by_alias=True),
            "base": yaml.safe_dump(spec.base_raw, sort_keys=True),
            "inputs": dict(sorted((input_hashes or {}).items())),
            "batch_size": batch_size,
            "n_members": spec.n_members,
            "optimise": optimise,
        }
    )


class _Progress:
    """Members done: a tqdm bar on a terminal, else a log line every 10 % of the members.

    Used as a context manager around the run; while the bar is shown, log
    records are printed above it.
    """

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.next_log = 0.1
        self.enabled = enabled
        self.bar: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _Progress:
        if self.enabled and sys.stderr.isatty():
            from tqdm.auto import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._stack.enter_context(logging_redirect_tqdm())
            self.bar = self._stack.enter_context(
                tqdm(total=self.total, unit="member", desc="sweep", smoothing=0.1, file=sys.stderr)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and self.done >= self.next_log * self.total:
            log.info("%s of %s members done", f"{self.done:,}", f"{self.total:,}")
            while self.next_log * self.total <= self.done:
                self.next_log += 0.1


def _hourly_writer(folder: Path) -> Callable[[BatchResult], None]:
    def write(result: BatchResult) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for ds in result.hourly or []:
            if ds is not None:
                write_netcdf(ds, folder / f"member_{int(ds.attrs['member']):08d}.nc")

    return write


@contextlib.contextmanager
def _engine(scheduler: str | None, workers: int | None, serial: bool) -> Iterator[Any]:
    """A Dask client (local cluster or ``scheduler``), or ``None`` for a serial run."""
    if serial:
        yield None
        return
    from nzv_energy.sweep.engine import dask_client

    with dask_client(scheduler, workers) as client:
        yield client


def run_batches(
    client: Any,
    table: MemberTable,
    store: BatchStore,
    bounds: list[tuple[int, int]],
    shared: Any,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """Evaluate the missing batches on Dask (``client``) or serially (``None``) into ``store``."""
    from nzv_energy.sweep.evaluate import evaluate_batch

    on_hourly = _hourly_writer(store.folder / "hourly")
    if client is None:
        from nzv_energy.sweep.serial import run_serial

        return run_serial(shared, table, bounds, store, evaluate_batch, progress, on_hourly)
    from nzv_energy.sweep.engine import run_dask

    return run_dask(client, shared, table, bounds, store, evaluate_batch, progress, on_hourly)


def _headline(ds: Any) -> str | None:
    """One line for the log: the cheapest design meeting the demand, or LCOH percentiles."""
    from nzv_energy.sweep.results import DEMAND_MET, LCOH, design_dims, design_means

    if LCOH not in ds or DEMAND_MET not in ds:
        return None
    if not design_dims(ds):
        v = ds[LCOH].values.ravel()
        v = v[np.isfinite(v)]
        if not v.size:
            return None
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        return f"LCOH over all members: P10 {p10:.2f}, P50 {p50:.2f}, P90 {p90:.2f} EUR/kg"
    means = design_means(ds, (LCOH, DEMAND_MET))
    lcoh = means[LCOH].where(means[DEMAND_MET] >= 0.99)
    if not np.isfinite(lcoh.values).any():
        return "no design meets 99 % of the hydrogen demand"
    best = lcoh.isel(lcoh.fillna(np.inf).argmin(...))
    where = ", ".join(f"{name}={best[name].values.item()}" for name in best.coords)
    return f"lowest LCOH meeting >= 99 % of demand: {float(best):.2f} EUR/kg at {where}"


def execute(
    sweep: Path,
    out: Path | None = None,
    force: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    optimise: bool = False,
    serial: bool = False,
    show_progress: bool = True,
) -> Path:
    """Run a sweep file end to end and write its results folder.

    Parameters
    ----------
    sweep
        The sweep file.
    out
        Results folder (default ``results/<sweep name>/sweep``).
    force
        Replace an existing results folder.
    scheduler
        Address or scheduler file of a running Dask scheduler; ``None`` = local cluster.
    workers
        Worker processes of the local cluster (default: cores).
    optimise
        Size each member's capacity ranges with the optimiser first.
    serial
        Run the batches in this process without Dask.
    show_progress
        Show a progress bar (a terminal) or log progress lines.

    Returns
    -------
    Path
        The results folder.

    Raises
    ------
    ScenarioError
        Invalid sweep file or base scenario (before anything runs).
    ResultsExistError
        The results folder exists and ``force`` is false.
    SweepIncompleteError
        Some batches failed; the finished ones are kept for a re-run.
    """
    from nzv_energy.dispatch.heat import heat_input_hashes
    from nzv_energy.sweep import figures, results
    from nzv_energy.sweep.evaluate import shared_inputs
    from nzv_energy.system import build_inputs

    t0 = time.perf_counter()
    spec, table = prepare(sweep, optimise)
    out = Path(out) if out is not None else default_out(spec)
    if out.exists() and not force:
        raise ResultsExistError(
            None,
            "results folder",
            str(out),
            "a folder that does not exist yet: pass --force to replace it or --out DIR",
        )
    n = table.n_members
    batch_size = spec.model.batch_size or default_batch_size(n)
    bounds = batch_bounds(n, batch_size)
    log.info(
        "sweep %s: %s members (%s) in %d batches of up to %d",
        spec.name,
        f"{n:,}",
        " x ".join(f"{a.size} {a.dim}" for a in table.axes),
        len(bounds),
        batch_size,
    )
    work = work_folder(out)
    try:
        # connect first: an unreachable scheduler fails before the inputs are loaded
        with _engine(scheduler, workers, serial) as client:
            inputs = build_inputs(spec.base, spec.base_file.parent, scenario_file=spec.base_file)
            shared = shared_inputs(spec, inputs, hourly=spec.model.output.hourly, optimise=optimise)
            # the heat inputs' files (weather, networks, cost rows) next to the others
            hashes = {**inputs.input_hashes, **heat_input_hashes(spec.base)}
            store = BatchStore(work, run_key(spec, batch_size, optimise, hashes))
            with _Progress(n, show_progress) as progress:
                report = run_batches(client, table, store, bounds, shared, progress)
    except KeyboardInterrupt:
        log.warning(
            "interrupted: finished batches are kept in %s; run the same command again to resume",
            work,
        )
        raise
    if report.failures:
        first = report.failures[0]
        raise SweepIncompleteError(
            f"{len(report.failures)} of {report.n_batches} batches failed (first: members "
            f"{first.start}-{first.stop - 1}: {first.error}); the {len(store.done())} finished "
            f"batches are kept in {work}: run the same command again to retry the others"
        )
    kpis, errors = store.read_all(bounds, n)
    elapsed = time.perf_counter() - t0
    attrs: dict[str, Any] = provenance(
        yaml.safe_dump(spec.base_raw, sort_keys=True, allow_unicode=True), hashes
    )
    attrs.update(
        {
            "title": f"KPIs of sweep {spec.name}",
            "sweep_name": spec.name,
            "sweep_description": spec.model.description,
            "sweep_yaml": spec.text,
            "base_scenario": spec.base.name,
            "n_members": n,
            "n_failed": int(sum(1 for e in errors if e)),
            "batch_size": batch_size,
            "engine": "serial"
            if serial
            else (f"dask {scheduler}" if scheduler else "dask local cluster"),
            "workers": report.workers,
            "optimise": int(optimise),
        }
    )
    ds = results.assemble(
        table, {k: kpis[k] for k in shared.kpi_names if k in kpis}, errors, attrs=attrs
    )
    with atomic_directory(out, force=force) as tmp:
        path = results.write_dataset(ds, tmp, spec.model.output.format)
        n_failed = results.write_failed_members(tmp / "failed_members.csv", table, errors)
        if n <= MAX_MEMBER_CSV_ROWS:
            results.write_member_table(
                tmp / "members.csv", table, {k: kpis[k] for k in MEMBER_CSV_KPIS if k in kpis}
            )
        (tmp / "sweep.yaml").write_text(spec.text, encoding="utf-8")
        (tmp / "base_scenario.yaml").write_text(attrs["scenario_yaml"], encoding="utf-8")
        made = figures.draw_all(ds, tmp / "figures")
        hourly = work / "hourly"
        if hourly.is_dir():
            shutil.move(str(hourly), str(tmp / "hourly"))
    store.remove()
    rate = n / report.seconds if report.seconds > 0 else float("nan")
    log.info(
        "wrote %s: %s (%d figures); %s members in %.1f s (%.0f members/s on %d workers)%s",
        out,
        path.name,
        len(made),
        f"{n:,}",
        elapsed,
        rate,
        report.workers,
        f"; resumed {report.skipped} batches" if report.skipped else "",
    )
    if n_failed:
        log.warning("%d members failed; see %s", n_failed, out / "failed_members.csv")
    best = _headline(ds)
    if best:
        log.info(best)
    return out


def command(args: argparse.Namespace) -> int:
    """``run.py sweep SWEEP.yaml [--scheduler ADDRESS] [--workers N] [--optimise] [--out DIR]``."""
    if args.scheduler and args.workers:
        log.warning("--workers applies to the local cluster only; ignored with --scheduler")
    execute(
        Path(args.sweep),
        out=args.out,
        force=args.force,
        scheduler=args.scheduler,
        workers=None if args.scheduler else args.workers,
        optimise=args.optimise,
        show_progress=not getattr(args, "quiet", False),
    )
    return 0


__all__ = ["SweepIncompleteError", "command", "execute", "prepare"]
