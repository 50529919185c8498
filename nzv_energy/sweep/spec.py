"""Sweep files: the typed model of the YAML format and its validation.

A sweep file names a base scenario and what varies::

    name: electrolyser_vs_storage
    base: ../scenarios/lausitz_2030_fixed.yaml     # relative to the sweep file
    weather_years: [2017, 2018, 2019, 2020]        # default: the base scenario's years
    overrides:                                     # fixed changes to the base (deep-merged)
      economics: {co2_price_eur_per_t: 150}
    parameters:                                    # what varies, by scenario field path
      sites.boxberg.electrolysis_mw: {from: 0, to: 1000, step: 50}
      hydrogen.storage_mwh.boxberg: [0, 4000, 8000, 16000]
    combine: product                               # or zip (lists of equal length)
    monte_carlo:                                   # optional random draws
      draws: 500
      seed: 42
      parameters:
        technology.electrolysis.capex_eur_per_mw: {distribution: triangular,
                                                   low: 1.2e6, mode: 1.9e6, high: 2.6e6}
    batch_size: 200                                # members per task (default: automatic)
    output: {hourly: false, format: netcdf}        # netcdf or zarr

Every mistake raises :class:`~nzv_energy.errors.ScenarioError` naming the
sweep file, the field (``parameters.sites.boxbrg.electrolysis_mw``), the value
and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import deep_merge, read_yaml, resolve_extends, scenario_from_mapping
from nzv_energy.sweep.fields import FieldPathError, FieldRef, resolve_field

#: Largest number of members a sweep may expand to.
MAX_MEMBERS = 10_000_000
#: Largest number of values one range may produce.
MAX_RANGE_VALUES = 1_000_000
#: Smallest accepted probability that a truncated normal draw lies inside its bounds.
MIN_TRUNCATED_MASS = 1e-3


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RangeValues(_Strict):
    """Evenly spaced values ``from .. to`` (inclusive) by ``step`` or in ``num`` points."""

    start: float = Field(alias="from", description="First value")
    to: float = Field(description="Last value (included when reached by whole steps)")
    step: float | None = Field(default=None, gt=0, description="Spacing")
    num: int | None = Field(default=None, ge=1, le=MAX_RANGE_VALUES, description="Points")

    @model_validator(mode="after")
    def _one_spacing(self) -> RangeValues:
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of step or num")
        if self.to < self.start:
            raise ValueError(f"to ({self.to:g}) must not be below from ({self.start:g})")
        if self.step is not None and (self.to - self.start) / self.step + 1 > MAX_RANGE_VALUES:
            raise ValueError(f"at most {MAX_RANGE_VALUES:,} values per range")
        return self

    def values(self) -> np.ndarray:
        """The values as float64, rounded to 12 significant digits (no 0.30000000000000004)."""
        if self.num is not None:
            raw = np.linspace(self.start, self.to, self.num)
        else:
            assert self.step is not None
            n = math.floor((self.to - self.start) / self.step + 1e-9) + 1
            raw = self.start + self.step * np.arange(n, dtype=np.float64)
        return np.array([float(f"{v:.12g}") for v in raw], dtype=np.float64)


class Uniform(_Strict):
    """Uniform between ``low`` and ``high``."""

    distribution: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class Normal(_Strict):
    """Normal with ``mean`` and ``std``, optionally truncated to ``[low, high]``."""

    distribution: Literal["normal"]
    mean: float
    std: float = Field(gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        if not lo < hi:
            raise ValueError(f"low ({lo:g}) must be below high ({hi:g})")
        if self.mass_inside() < MIN_TRUNCATED_MASS:
            raise ValueError(
                f"the bounds [{lo:g}, {hi:g}] hold less than {MIN_TRUNCATED_MASS:g} of the "
                f"distribution N({self.mean:g}, {self.std:g}); move them towards the mean"
            )
        return self

    def mass_inside(self) -> float:
        """Probability that an untruncated draw lies within ``[low, high]``."""

        def cdf(x: float | None, default: float) -> float:
            if x is None:
                return default
            return 0.5 * (1.0 + math.erf((x - self.mean) / (self.std * math.sqrt(2.0))))

        return cdf(self.high, 1.0) - cdf(self.low, 0.0)


class Triangular(_Strict):
    """Triangular between ``low`` and ``high`` with its peak at ``mode``."""

    distribution: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"low <= mode <= high with low < high (got {self.low:g}, {self.mode:g}, "
                f"{self.high:g})"
            )
        return self


Distribution = Annotated[Uniform | Normal | Triangular, Field(discriminator="distribution")]


class MonteCarlo(_Strict):
    """Random draws of uncertain parameters."""

    draws: int = Field(ge=1, le=MAX_MEMBERS, description="Number of draws")
    seed: int = Field(ge=0, description="Seed of the random generator (same seed, same draws)")
    parameters: dict[str, Distribution] = Field(min_length=1)


class OutputOptions(_Strict):
    """What is written besides the KPI dataset."""

    hourly: bool = Field(
        default=False, description="Also write the hourly results of every member (small sweeps)"
    )
    format: Literal["netcdf", "zarr"] = Field(
        default="netcdf", description="File format of the KPI dataset (zarr needs the zarr package)"
    )


class SweepFile(_Strict):
    """The YAML sweep file, as written by the user."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = Field(min_length=1, description="Base scenario, relative to the sweep file")
    overrides: dict[str, Any] = Field(default_factory=dict)
    weather_years: list[int] | None = Field(default=None, min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    combine: Literal["product", "zip"] = "product"
    monte_carlo: MonteCarlo | None = None
    batch_size: int | None = Field(default=None, ge=1, le=100_000)
    output: OutputOptions = OutputOptions()

    @field_validator("weather_years")
    @classmethod
    def _distinct_years(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError("weather years must be distinct")
        return v


@dataclass(frozen=True)
class SweptParameter:
    """A field that takes listed or ranged values (a grid axis or a zipped column)."""

    field: FieldRef
    values: tuple[Any, ...]


@dataclass(frozen=True)
class DrawnParameter:
    """A field drawn from a distribution."""

    field: FieldRef
    distribution: Uniform | Normal | Triangular


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base scenario, what varies, and options.

    Attributes
    ----------
    file
        The sweep file.
    model
        The file's content as parsed.
    base_file
        The base scenario file.
    base_raw
        Raw base scenario mapping (``extends`` and ``overrides`` merged, weather
        years set to the sweep's years).
    base
        The validated base scenario (over all weather years).
    parameters
        Listed or ranged fields, in file order.
    drawn
        Monte Carlo fields, in file order.
    weather_years
        Weather years every member runs.
    text
        The sweep file's text (for provenance).
    """

    file: Path
    model: SweepFile
    base_file: Path
    base_raw: dict[str, Any]
    base: Scenario
    parameters: tuple[SweptParameter, ...]
    drawn: tuple[DrawnParameter, ...]
    weather_years: tuple[int, ...]
    text: str = field(repr=False, default="")

    @property
    def name(self) -> str:
        """Sweep name (results folder name)."""
        return self.model.name

    @property
    def combine(self) -> Literal["product", "zip"]:
        """How listed parameters combine."""
        return self.model.combine

    @property
    def fields(self) -> tuple[FieldRef, ...]:
        """Every varying field: listed ones, then drawn ones."""
        return tuple(p.field for p in self.parameters) + tuple(d.field for d in self.drawn)

    @property
    def n_members(self) -> int:
        """Number of members (every combination times every weather year)."""
        return _count(self.parameters, self.combine, self.model.monte_carlo, self.weather_years)


def _count(
    params: tuple[SweptParameter, ...],
    combine: str,
    mc: MonteCarlo | None,
    years: tuple[int, ...],
) -> int:
    n = len(years)
    if params:
        n *= (
            math.prod(len(p.values) for p in params)
            if combine == "product"
            else len(params[0].values)
        )
    if mc is not None:
        n *= mc.draws
    return n


# --------------------------------------------------------------------------- errors


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The sweep-file model holding the last key of ``loc``."""
    current: Any = SweepFile
    parts = list(loc[:-1])
    i = 0
    while i < len(parts):
        part = str(parts[i])
        if current is MonteCarlo and part == "parameters":
            # loc: parameters, <field path>, <distribution tag>, <key>
            tag = str(parts[i + 2]) if i + 2 < len(parts) else ""
            by_tag = {"uniform": Uniform, "normal": Normal, "triangular": Triangular}
            if tag not in by_tag:
                return None
            current = by_tag[tag]
            i += 3
            continue
        nxt = {
            (SweepFile, "monte_carlo"): MonteCarlo,
            (SweepFile, "output"): OutputOptions,
        }.get((current, part))
        if nxt is None:
            return None
        current = nxt
        i += 1
    return current


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(p for p in loc if p not in ("uniform", "normal", "triangular"))


def _error_from_validation(
    err: ValidationError, file: Path, prefix: str = "", model: type[BaseModel] | None = None
) -> ScenarioError:
    import difflib

    errors = err.errors(include_url=False)
    # a misspelt key gives "unknown" and "missing" together: report the misspelling
    e = next(
        (c for kind in ("extra_forbidden", "missing") for c in errors if c["type"] == kind),
        errors[0],
    )
    loc = tuple(e["loc"])
    where = ".".join(str(p) for p in (prefix.split(".") if prefix else []) + list(_clean(loc)))
    where = where or "(top level)"
    if e["type"] == "extra_forbidden":
        holder = model if model is not None and len(loc) == 1 else _model_for(loc)
        if holder is None and model is not None:
            holder = model
        valid = sorted(f.alias or n for n, f in holder.model_fields.items()) if holder else []
        key = str(loc[-1])
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        return ScenarioError(file, where, key, f"a known key{hint} Allowed: {', '.join(valid)}")
    if e["type"] == "missing":
        from nzv_energy.errors import MISSING

        return ScenarioError(file, where, MISSING, "this key is required")
    if e["type"] == "union_tag_invalid" or e["type"] == "union_tag_not_found":
        return ScenarioError(
            file, where, e.get("input"), "a distribution: uniform, normal or triangular"
        )
    msg = str(e["msg"]).removeprefix("Value error, ")
    return ScenarioError(file, where, e.get("input"), msg[:1].lower() + msg[1:])


# --------------------------------------------------------------------------- values


def _check_scalar(ref: FieldRef, value: Any) -> str | None:
    """Why ``value`` cannot be a value of the field, or None when it can."""
    if value is None:
        return None if ref.nullable else "a value (null is not allowed for this field)"
    if ref.kind == "boolean":
        return None if isinstance(value, bool) else "true or false"
    if ref.kind == "choice":
        return None if value in ref.choices else f"one of {', '.join(map(str, ref.choices))}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "a number"
    if not math.isfinite(float(value)):
        return "a finite number"
    if ref.kind == "integer" and float(value) != int(value):
        return "a whole number"
    return None


def _parameter_values(
    path: str, raw: Any, ref: FieldRef, file: Path, where: str
) -> tuple[Any, ...]:
    if isinstance(raw, Mapping):
        if not ref.numeric:
            raise ScenarioError(
                file, where, dict(raw), "a list of values (the field is not numeric)"
            )
        try:
            rng = RangeValues.model_validate(raw)
        except ValidationError as err:
            raise _error_from_validation(err, file, where, RangeValues) from None
        values = rng.values()
        if ref.kind == "integer":
            if not np.all(values == np.round(values)):
                raise ScenarioError(file, where, dict(raw), "whole-number steps (integer field)")
            return tuple(int(v) for v in values)
        return tuple(float(v) for v in values)
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(
            file,
            where,
            raw,
            "a non-empty list of values or a range {from: ..., to: ..., step: ...}",
        )
    out = []
    for i, v in enumerate(raw):
        problem = _check_scalar(ref, v)
        if problem is not None:
            raise ScenarioError(file, f"{where}[{i}]", v, problem)
        if ref.kind == "number" and v is not None:
            v = float(v)
        elif ref.kind == "integer" and v is not None:
            v = int(v)
        out.append(v)
    return tuple(out)


def _resolve(path: str, base: Scenario, file: Path, where: str) -> FieldRef:
    try:
        return resolve_field(path, base)
    except FieldPathError as err:
        raise ScenarioError(file, where, err.value, err.allowed) from None


def _validated_base(
    base_file: Path, sweep_file: Path, overrides: Mapping[str, Any], years: list[int] | None
) -> tuple[dict[str, Any], Scenario]:
    raw = resolve_extends(base_file)
    scenario_from_mapping(raw, base_file)  # errors of the base name the base file
    if overrides:
        merged = deep_merge(raw, overrides)
        try:
            scenario_from_mapping(merged, sweep_file)
        except ScenarioError as err:
            raise ScenarioError(
                sweep_file, f"overrides.{err.field}", err.value, err.allowed
            ) from None
        raw = merged
    if years is not None:
        raw = deep_merge(raw, {"weather": {"years": list(years)}})
    base = scenario_from_mapping(raw, sweep_file)
    _check_years(base, base_file, sweep_file, years is not None)
    return raw, base


def _check_years(base: Scenario, base_file: Path, sweep_file: Path, from_sweep: bool) -> None:
    from nzv_energy.profiles import available_years

    try:
        available = available_years(
            base.weather.source, base_file.parent, base.weather.timezone
        )
    except InputDataError as err:
        raise ScenarioError(base_file, err.field, err.value, err.allowed) from None
    missing = [y for y in base.weather.years if y not in available]
    if missing:
        raise ScenarioError(
            sweep_file if from_sweep else base_file,
            "weather_years" if from_sweep else "weather.years",
            missing[0],
            f"years the profile source {base.weather.source} covers: "
            f"{', '.join(map(str, available))}",
        )


def parse_sweep(
    data: Mapping[str, Any], file: Path, text: str = "", optimise: bool = False
) -> SweepSpec:
    """Validate a raw sweep mapping.

    Parameters
    ----------
    data
        The sweep file's YAML content.
    file
        The sweep file (relative ``base`` paths resolve against its folder).
    text
        The file's text, kept for provenance.
    optimise
        Members will be sized by the optimiser: capacities given as ranges in
        the base scenario are allowed.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ScenarioError
        On any invalid content of the sweep file or its base scenario.
    """
    try:
        model = SweepFile.model_validate(dict(data))
    except ValidationError as err:
        raise _error_from_validation(err, file) from None
    base_file = (file.parent / model.base).resolve()
    if not base_file.is_file():
        raise ScenarioError(
            file, "base", model.base, "a path (relative to the sweep file) to an existing scenario"
        )
    base_raw, base = _validated_base(base_file, file, model.overrides, model.weather_years)

    params = []
    seen: dict[str, str] = {}
    for path, raw in model.parameters.items():
        where = f"parameters.{path}"
        ref = _resolve(path, base, file, where)
        values = _parameter_values(path, raw, ref, file, where)
        if model.combine == "product" and len(set(values)) != len(values):
            dup = next(v for v in values if values.count(v) > 1)
            raise ScenarioError(file, where, dup, "distinct values (listed twice)")
        if ref.dim_name in seen:
            raise ScenarioError(
                file, where, path, f"a field not already swept ({seen[ref.dim_name]})"
            )
        seen[ref.dim_name] = where
        params.append(SweptParameter(ref, values))
    if model.combine == "zip" and params:
        lengths = {p.field.path: len(p.values) for p in params}
        if len(set(lengths.values())) > 1:
            raise ScenarioError(
                file,
                "parameters",
                lengths,
                "lists of equal length when combine is zip (one member per position)",
            )

    drawn = []
    if model.monte_carlo is not None:
        for path, dist in model.monte_carlo.parameters.items():
            where = f"monte_carlo.parameters.{path}"
            ref = _resolve(path, base, file, where)
            if not ref.numeric:
                raise ScenarioError(file, where, path, "a numeric field (draws are numbers)")
            if ref.dim_name in seen:
                raise ScenarioError(
                    file, where, path, f"a field not already swept ({seen[ref.dim_name]})"
                )
            seen[ref.dim_name] = where
            drawn.append(DrawnParameter(ref, dist))

    swept_paths = {p.field.path for p in params} | {d.field.path for d in drawn}
    if not optimise:
        for path, rng in base.ranges().items():
            if path not in swept_paths:
                raise ScenarioError(
                    base_file,
                    path,
                    rng.model_dump(),
                    "a fixed number for a dispatch sweep (or sweep this field, fix it under "
                    "overrides:, or pass --optimise to size it per member)",
                )
    spec = SweepSpec(
        file=file,
        model=model,
        base_file=base_file,
        base_raw=base_raw,
        base=base,
        parameters=tuple(params),
        drawn=tuple(drawn),
        weather_years=tuple(base.weather.years),
        text=text,
    )
    n = spec.n_members
    if n > MAX_MEMBERS:
        raise ScenarioError(file, "parameters", f"{n:,} members", f"at most {MAX_MEMBERS:,}")
    return spec


def load_sweep(path: str | Path, optimise: bool = False) -> SweepSpec:
    """Read and validate a sweep file.

    Parameters
    ----------
    path
        YAML sweep file.
    optimise
        Allow capacity ranges in the base scenario (sized per member).

    Returns
    -------
    SweepSpec

    Raises
    ------
    ScenarioError
        Names the file, the field path, the value and what is allowed.
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(p, "file", str(p), "an existing sweep file (YAML)")
    data = read_yaml(p)
    text = p.read_text(encoding="utf-8")
    return parse_sweep(data, p, text=text, optimise=optimise)


def sweep_to_yaml(spec: SweepSpec) -> str:
    """The sweep file's content as YAML (for provenance)."""
    return yaml.safe_dump(
        spec.model.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False
    )
