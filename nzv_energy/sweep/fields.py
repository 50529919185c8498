"""Field paths of a sweep (``sites.boxberg.electrolysis_mw``) checked against the Scenario model.

A sweep may vary any scalar field of :class:`~nzv_energy.scenario.Scenario`
that does not change the hourly input series (those are loaded once and
shared by every member).  This module walks the pydantic model along a dotted
path, says what kind of value the field holds and gives it a readable
dimension name for the results dataset.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from nzv_energy.scenario import CAPACITY_FIELDS, CapacityRange, Scenario

FieldKind = Literal["number", "integer", "boolean", "choice"]

#: Fields that change the shared inputs (profiles, prices, demand profile, pipeline
#: route lengths, hourly heat demand and COPs); they are loaded once per sweep, so these
#: cannot vary between members.
INPUT_FIELDS = (
    "weather",
    "economics.electricity_price",
    "economics.cost_year",
    "sites.*.location",
    "sites.*.wind_full_load_hours",
    "sites.*.pv_full_load_hours",
    "technology.wind.full_load_hours",
    "technology.pv.full_load_hours",
    "hydrogen.demand.profile",
    "hydrogen.demand.location",
    "hydrogen.demand.site",
    "technology.pipeline.route_factor",
    # the hourly heat demand and heat-pump COPs (nzv_energy.heat.inputs.site_heat_inputs)
    "heat.*.networks",
    "heat.*.annual_demand_mwh",
    "heat.*.supply_temperature_c",
    "heat.*.return_temperature_c",
    "heat.*.waste_heat_recovery.source_temperature_c",
    "heat.*.heat_pump.source",
    "heat.*.heat_pump.carnot_fraction",
)

#: Fields that only describe the scenario.
TEXT_FIELDS = ("name", "description")

#: Top-level sections dropped from readable dimension names.
_PLAIN_SECTIONS = ("economics", "operation", "technology", "optimisation", "vpp")


class FieldPathError(ValueError):
    """A field path does not name a sweepable scenario field.

    Attributes
    ----------
    value
        The offending key of the path (or the whole path).
    allowed
        What would have been accepted, in words.
    """

    def __init__(self, value: str, allowed: str) -> None:
        self.value = value
        self.allowed = allowed
        super().__init__(f"{value}: {allowed}")


@dataclass(frozen=True)
class FieldRef:
    """A resolved, sweepable scenario field.

    Attributes
    ----------
    path
        Dotted path, e.g. ``sites.boxberg.electrolysis_mw``.
    kind
        ``number``, ``integer``, ``boolean`` or ``choice``.
    choices
        Allowed values of a ``choice`` field (a ``Literal``), else empty.
    nullable
        The field accepts ``null`` (None).
    site
        The site a per-site field belongs to, else ``None``.
    capacity
        Name of the capacity (``electrolysis_mw``, ``hydrogen_storage_mwh`` ...)
        when the field is a per-site capacity, else ``None``.
    annotation
        The field's type with its bounds (for :meth:`value_error`).
    """

    path: str
    kind: FieldKind
    choices: tuple[Any, ...] = ()
    nullable: bool = False
    site: str | None = None
    capacity: str | None = None
    annotation: Any = field(default=None, compare=False, repr=False)

    def value_error(self, value: Any) -> str | None:
        """Why the field's own type and bounds reject ``value``; None when they accept it.

        Only the field itself is checked (e.g. ``0 <= discount_rate <= 0.3``);
        checks across fields (battery power without energy...) apply per member.
        """
        if self.annotation is None:
            return None
        try:
            TypeAdapter(self.annotation).validate_python(value)
        except ValidationError as err:
            msg = str(err.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            return msg[:1].lower() + msg[1:]
        return None

    @property
    def parts(self) -> tuple[str, ...]:
        """The path split at dots."""
        return tuple(self.path.split("."))

    @property
    def numeric(self) -> bool:
        """True for number and integer fields."""
        return self.kind in ("number", "integer")

    @property
    def dim_name(self) -> str:
        """Readable dimension name, e.g. ``boxberg_electrolysis_mw``."""
        parts = self.parts
        if parts[0] == "sites":
            return f"{parts[1]}_{'_'.join(parts[2:])}"
        if parts[:2] == ("hydrogen", "storage_mwh"):
            return f"{parts[2]}_hydrogen_storage_mwh"
        if parts[0] in _PLAIN_SECTIONS and len(parts) > 1:
            return "_".join(parts[1:])
        return "_".join(parts)

    def get(self, data: dict[str, Any]) -> Any:
        """The value at this path in a raw (nested) scenario mapping, or ``None``."""
        current: Any = data
        for part in self.parts:
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return current

    def override(self, value: Any) -> dict[str, Any]:
        """A nested mapping that sets this field to ``value`` (for deep merging)."""
        out: dict[str, Any] = {self.parts[-1]: value}
        for part in reversed(self.parts[:-1]):
            out = {part: out}
        return out


def _suggest(key: str, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f" — did you mean '{close[0]}'?" if close else ""


def _matches(path: tuple[str, ...], pattern: str) -> bool:
    pat = tuple(pattern.split("."))
    if len(path) < len(pat):
        return False
    return all(p == "*" or p == q for p, q in zip(pat, path, strict=False))


def _strip_optional(ann: Any) -> tuple[list[Any], bool]:
    """Members of a union annotation without ``None``; and whether None was there."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = list(typing.get_args(ann))
    else:
        args = [ann]
    nullable = type(None) in args
    return [a for a in args if a is not type(None)], nullable


def _base_type(ann: Any) -> Any:
    if typing.get_origin(ann) is typing.Annotated:
        return typing.get_args(ann)[0]
    return ann


def _model_in(args: list[Any]) -> type[BaseModel] | None:
    for a in args:
        a = _base_type(a)
        if isinstance(a, type) and issubclass(a, BaseModel) and not issubclass(a, CapacityRange):
            return a
    return None


def _leaf_kind(args: list[Any]) -> tuple[FieldKind, tuple[Any, ...]] | None:
    """Kind of a scalar leaf annotation (ranges of capacities count as numbers)."""
    bases = [_base_type(a) for a in args]
    scalars = [b for b in bases if not (isinstance(b, type) and issubclass(b, CapacityRange))]
    if len(scalars) != 1:
        return None
    b = scalars[0]
    if typing.get_origin(b) is Literal:
        return "choice", tuple(typing.get_args(b))
    if b is bool:
        return "boolean", ()
    if b is int:
        return "integer", ()
    if b is float:
        return "number", ()
    return None


def resolve_field(path: str, base: Scenario) -> FieldRef:
    """Check that ``path`` names a sweepable scalar field of the scenario model.

    Parameters
    ----------
    path
        Dotted field path, e.g. ``sites.boxberg.electrolysis_mw``,
        ``hydrogen.storage_mwh.boxberg`` or ``technology.electrolysis.capex_eur_per_mw``.
    base
        The base scenario (site names are checked against it).

    Returns
    -------
    FieldRef
        Kind of value, site and capacity name of the field.

    Raises
    ------
    FieldPathError
        Unknown key (with a suggestion), a section instead of a value, a field
        that changes the hourly inputs, or a text field.
    """
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        raise FieldPathError(str(path), "a dotted field path such as sites.boxberg.electrolysis_mw")
    parts = tuple(path.split("."))
    if parts[0] in TEXT_FIELDS:
        raise FieldPathError(path, "a numeric or choice field (name and description are text)")
    for pattern in INPUT_FIELDS:
        if _matches(parts, pattern):
            hint = " (use weather_years: for weather years)" if parts[0] == "weather" else ""
            raise FieldPathError(
                path,
                "a field that does not change the shared inputs; profiles, prices, locations, "
                "pipeline routes and the hourly heat demand and COPs are loaded once per sweep "
                "— make one base scenario per variant" + hint,
            )
    model: type[BaseModel] = Scenario
    sites = list(base.site_names)
    i = 0
    site: str | None = None
    while i < len(parts):
        key = parts[i]
        fields = model.model_fields
        if key not in fields:
            raise FieldPathError(
                key,
                f"a field of {model.__name__}: {', '.join(fields)}{_suggest(key, fields)}",
            )
        args, nullable = _strip_optional(fields[key].annotation)
        ann = args[0] if len(args) == 1 else None
        if ann is not None and typing.get_origin(ann) is dict:
            value_ann = typing.get_args(ann)[1]
            if i + 1 >= len(parts):
                raise FieldPathError(path, f"a path into {key} naming one entry (a site)")
            entry = parts[i + 1]
            if entry not in sites:
                raise FieldPathError(
                    entry,
                    f"a site of the base scenario ({', '.join(sites)}){_suggest(entry, sites)}",
                )
            site = entry
            v_args, v_nullable = _strip_optional(value_ann)
            sub = _model_in(v_args)
            if sub is not None:
                model = sub
                i += 2
                continue
            if i + 2 != len(parts):
                raise FieldPathError(path, f"a path ending at {'.'.join(parts[: i + 2])}")
            kind = _leaf_kind(v_args)
            assert kind is not None
            capacity = "hydrogen_storage_mwh" if key == "storage_mwh" else None
            return FieldRef(path, kind[0], kind[1], v_nullable, site, capacity, value_ann)
        sub = _model_in(args)
        kind = _leaf_kind(args)
        if sub is not None and kind is None:
            if i + 1 >= len(parts):
                raise FieldPathError(
                    path,
                    f"a single value inside {key}: one of "
                    f"{', '.join(path + '.' + f for f in sub.model_fields)}",
                )
            model = sub
            i += 1
            continue
        if i + 1 != len(parts):
            raise FieldPathError(path, f"a path ending at {'.'.join(parts[: i + 1])} (a value)")
        if kind is None:
            raise FieldPathError(path, "a numeric, true/false or choice field")
        capacity = key if (model.__name__ == "Site" and key in CAPACITY_FIELDS) else None
        if model.__name__ == "Site" and key in ("grid_connection_mw", "local_demand_mw"):
            capacity = key
        info = fields[key]
        ann = (
            typing.Annotated[(info.annotation, *info.metadata)]
            if info.metadata
            else info.annotation
        )
        return FieldRef(path, kind[0], kind[1], nullable, site, capacity, ann)
    raise FieldPathError(path, "a complete field path")  # pragma: no cover
