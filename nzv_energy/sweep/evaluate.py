"""Evaluate one batch of members: scenario values -> kernel arrays -> batched dispatch -> KPIs.

:func:`evaluate_batch` is what every Dask task (and the serial runner) calls.
For each member it applies the member's values to the base scenario
(:func:`nzv_energy.sweep.apply.member_scenario`), turns the result into the
kernel's capacity, rule-parameter and cost-parameter rows, then runs all
members of the batch in one call of the batched kernel
(:func:`nzv_energy.dispatch.run_ensemble`, ``backend="serial"``: the
parallelism comes from the Dask workers).  Only the KPI columns come back
(plus the hourly datasets when the sweep asks for them).

A base scenario with district heat runs every member with the heat rule: the
hourly heat demand and COPs of the base are computed once and shared, each
member's heat capacities, rule parameters and cost data come from its own
values (fields that would change the hourly heat inputs cannot be swept,
:data:`nzv_energy.sweep.fields.INPUT_FIELDS`), and its heat KPIs
(:data:`nzv_energy.dispatch.ensemble.HEAT_MEMBER_KPIS`) follow the dispatch KPIs.

A member that cannot run (a combination of values the scenario checks reject,
a kernel parameter out of range) gets NaN KPIs and its error message; the
other members of the batch still run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from nzv_energy.dispatch import (
    COST_PARAMETER_NAMES,
    KPI_COLUMNS,
    capacity_array,
    cost_parameter_vector,
    dispatch_parameter_vector,
    run_ensemble,
)
from nzv_energy.dispatch.ensemble import (
    HEAT_MEMBER_KPIS,
    heat_member_rows,
    scenario_heat_economics,
)
from nzv_energy.dispatch.heat import HeatArrays, heat_arrays
from nzv_energy.dispatch.simulate import HourlyArrays, hourly_arrays
from nzv_energy.errors import NzvError
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import heat as hk
from nzv_energy.scenario import Scenario
from nzv_energy.sweep.apply import member_scenario, member_scenario_validated
from nzv_energy.sweep.fields import FieldRef
from nzv_energy.sweep.members import MemberBatch
from nzv_energy.sweep.optimise import extra_kpi_names, size_member
from nzv_energy.sweep.spec import SweepSpec
from nzv_energy.sweep.store import BatchResult
from nzv_energy.system import SystemInputs, fixed_capacities

log = logging.getLogger(__name__)

#: KPI columns every batch returns (those of the dispatch KPI table).
KPI_NAMES: tuple[str, ...] = tuple(KPI_COLUMNS)


@dataclass(frozen=True)
class SharedInputs:
    """Everything a batch needs besides its members; sent to each worker once.

    Attributes
    ----------
    base
        The validated base scenario (all weather years).
    base_raw
        Its raw mapping (for members validated like scenario files).
    fields
        Field path -> resolved field of every varying field.
    inputs
        Hourly inputs of all weather years.
    arrays
        The same inputs checked and in kernel layout.
    file
        The sweep file (named in member errors).
    hourly
        Return each member's hourly dataset.
    optimise
        Size each member's capacity ranges with the optimiser first.
    kpi_names
        KPIs each batch returns: the dispatch KPIs, plus the sized capacities
        and the optimiser's LCOH when optimising.
    heat
        The base scenario's heat arrays (hourly demand and COPs shared by every
        member), ``None`` without heat.
    """

    base: Scenario
    base_raw: dict[str, Any]
    fields: dict[str, FieldRef]
    inputs: SystemInputs
    arrays: HourlyArrays
    file: str
    hourly: bool = False
    optimise: bool = False
    kpi_names: tuple[str, ...] = KPI_NAMES
    heat: HeatArrays | None = None

    @property
    def base_demand_mean_mw(self) -> float:
        """Mean hydrogen demand the hourly demand series was built for, MW."""
        return float(self.base.hydrogen.demand.mean_mw)


def shared_inputs(
    spec: SweepSpec, inputs: SystemInputs, hourly: bool = False, optimise: bool = False
) -> SharedInputs:
    """Bundle a sweep's base scenario and loaded inputs for the workers."""
    names = KPI_NAMES
    heat = heat_arrays(spec.base, inputs.time, inputs.site_names)
    if heat is not None:
        names = (*names, *HEAT_MEMBER_KPIS)
    if optimise:
        names = (*names, *extra_kpi_names(spec.base, {f.path for f in spec.fields}))
    return SharedInputs(
        base=spec.base,
        base_raw=spec.base_raw,
        fields={f.path: f for f in spec.fields},
        inputs=inputs,
        arrays=hourly_arrays(inputs),
        file=str(spec.file),
        hourly=hourly,
        optimise=optimise,
        kpi_names=names,
        heat=heat,
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, NzvError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@dataclass
class _Rows:
    """Kernel rows of a batch's members (heat rows empty without heat)."""

    cap: np.ndarray
    par: np.ndarray
    cost: np.ndarray
    errors: np.ndarray
    sized: dict[int, Any]
    heat_cap: np.ndarray
    heat_par: np.ndarray
    heat_site: np.ndarray
    heat_economics: list[Any]


def _member_rows(shared: SharedInputs, batch: MemberBatch) -> _Rows:
    """Kernel rows of every member; error messages of those that cannot be built."""
    m = len(batch)
    sites = shared.base.site_names
    n_hs = len(sites) if shared.heat is not None else 0
    rows = _Rows(
        cap=np.zeros((m, len(sites), kd.N_CAP)),
        par=np.zeros((m, kd.N_PAR)),
        cost=np.zeros((m, len(COST_PARAMETER_NAMES))),
        errors=np.full(m, "", dtype=object),
        sized={},
        heat_cap=np.zeros((m, n_hs, hk.N_HEAT_CAP)),
        heat_par=np.zeros((m, n_hs, hk.N_HEAT_PAR)),
        heat_site=np.zeros((m, n_hs, kd.N_HEAT_SITE)),
        heat_economics=[{}] * m,
    )
    for i in range(m):
        values = batch.member_values(i)
        try:
            if shared.optimise:
                scenario = member_scenario_validated(
                    shared.base_raw, shared.fields, values, shared.file
                )
                scenario, rows.sized[i] = _size(shared, scenario, int(batch.weather_year[i]))
            else:
                scenario = member_scenario(shared.base, shared.fields, values, shared.file)
            rows.cap[i] = capacity_array(fixed_capacities(scenario, shared.file), sites)
            rows.par[i] = dispatch_parameter_vector(scenario, shared.base_demand_mean_mw)
            rows.cost[i] = cost_parameter_vector(scenario)
            if shared.heat is not None:
                rows.heat_cap[i], rows.heat_par[i], rows.heat_site[i] = heat_member_rows(
                    scenario, sites)
                rows.heat_economics[i] = scenario_heat_economics(scenario)
        except Exception as exc:
            rows.errors[i] = _message(exc)
    return rows


def _size(shared: SharedInputs, scenario: Scenario, year: int) -> tuple[Scenario, Any]:
    """Size the member's ranges with the optimiser on its weather year."""
    return size_member(shared.inputs, shared.base_demand_mean_mw, scenario, year)


def _run(shared: SharedInputs, idx: np.ndarray, rows: _Rows, year_pos: np.ndarray) -> Any:
    heat = shared.heat
    return run_ensemble(
        shared.inputs,
        rows.cap[idx],
        year_index=year_pos[idx],
        dispatch_params=rows.par[idx],
        cost_params=rows.cost[idx],
        keep_hourly=shared.hourly,
        backend="serial",
        arrays=shared.arrays,
        heat=heat,
        heat_capacities=None if heat is None else rows.heat_cap[idx],
        heat_params=None if heat is None else rows.heat_par[idx],
        heat_site=None if heat is None else rows.heat_site[idx],
        heat_economics=None if heat is None else [rows.heat_economics[i] for i in idx],
    )


def evaluate_batch(shared: SharedInputs, batch: MemberBatch) -> BatchResult:
    """KPIs of a batch of members (the batched kernel on all members at once).

    Parameters
    ----------
    shared
        Base scenario and hourly inputs (from :func:`shared_inputs`).
    batch
        The members.

    Returns
    -------
    BatchResult
        KPI columns of ``shared.kpi_names`` per member (NaN for failed members)
        and an error message per member ("" when it ran).
    """
    m = len(batch)
    rows = _member_rows(shared, batch)
    errors, sized = rows.errors, rows.sized
    years = list(shared.arrays.years)
    year_pos = np.array([years.index(int(y)) for y in batch.weather_year], dtype=np.int64)
    kpis = {name: np.full(m, np.nan) for name in shared.kpi_names}
    hourly: list[Any] | None = [None] * m if shared.hourly else None
    ok = np.flatnonzero(errors == "")
    if ok.size:
        try:
            groups = [(ok, _run(shared, ok, rows, year_pos))]
        except Exception:
            groups = []
            for i in ok:
                one = np.array([i])
                try:
                    groups.append((one, _run(shared, one, rows, year_pos)))
                except Exception as exc:
                    errors[i] = _message(exc)
        for idx, res in groups:
            for name in res.kpis.columns.intersection(shared.kpi_names):
                kpis[name][idx] = res.kpis[name].to_numpy()
            if hourly is not None and res.hourly is not None:
                for j, ds in zip(idx, res.hourly, strict=True):
                    ds.attrs["member"] = int(batch.start + j)
                    ds.attrs["member_values"] = json.dumps(
                        {**batch.member_values(int(j)), "weather_year": int(batch.weather_year[j])}
                    )
                    hourly[j] = ds
    for member, extra in sized.items():
        if not errors[member]:
            for name, value in extra.items():
                kpis[name][member] = value
    return BatchResult(
        start=batch.start,
        stop=batch.stop,
        kpis=kpis,
        errors=errors.astype(str),
        hourly=hourly,
    )
