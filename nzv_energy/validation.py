"""Scenario validation: pydantic errors to one clear message, and cross-field checks.

Each ``check_*`` function raises :class:`~nzv_energy.errors.ScenarioError`
naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nzv_energy.errors import MISSING, ScenarioError
from nzv_energy.scenario import CapacityRange, Scenario


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the field at ``loc`` (for key suggestions)."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            # a dict key (site name): the model of the dict values
            return None
        ann = field.annotation
        current = _unwrap_model(ann)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_model(ann: Any) -> Any:
    """Find a BaseModel inside an annotation (dict values, Optional, Union)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _parent_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Model class holding the last element of ``loc`` (walks dict-of-model fields)."""
    current: Any = Scenario
    parts = list(loc[:-1])
    i = 0
    while i < len(parts):
        part = parts[i]
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        origin = getattr(ann, "__origin__", None)
        if origin is dict:
            i += 1  # skip the dict key (e.g. site name)
        current = _unwrap_model(ann)
        i += 1
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop union-branch labels pydantic inserts (``float``, ``CapacityRange``...)."""
    out = []
    for part in loc:
        if isinstance(part, str) and (
            part in {"float", "int", "str", "bool", "none", "function-after[_min_not_above_max()]"}
            or part[:1].isupper()
            or part.startswith(("constrained-", "function-", "is-instance", "tagged-union"))
        ):
            continue
        out.append(part)
    return tuple(out)


def from_validation_error(err: ValidationError, file: str | Path | None) -> ScenarioError:
    """Turn the most telling pydantic error into one :class:`ScenarioError`."""
    errors = err.errors(include_url=False)
    # prefer the error of the dict/range branch when a number-or-range failed on both
    chosen = errors[0]
    for e in errors:
        if e["type"] in {"extra_forbidden", "missing"}:
            chosen = e
            break
        if e["type"] == "value_error":
            chosen = e
    loc = _clean_loc(tuple(chosen["loc"]))
    field = ".".join(str(p) for p in loc) or "(top level)"
    value = chosen.get("input")
    kind = chosen["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        parent = _parent_model(loc)
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        allowed = f"unknown key{hint} Allowed keys here: {', '.join(valid)}"
        return ScenarioError(file, field, key, allowed)
    if kind == "missing":
        return ScenarioError(file, field, MISSING, "this key is required")
    msg = chosen["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    if kind.startswith(("float", "int")) and isinstance(value, Mapping):
        msg = "a number (fixed) or a mapping {min: ..., max: ...} (sized by the optimiser)"
    if kind in {"float_type", "float_parsing", "int_type", "int_parsing"}:
        msg = msg + " (a number, or {min: ..., max: ...} for a capacity to be sized)"
    return ScenarioError(file, field, value, msg[0].lower() + msg[1:] if msg else "invalid")


def check_hydrogen_sites(scenario: Scenario, file: str | Path | None) -> None:
    """Storage sites must be scenario sites; the demand site must not clash with one."""
    sites = list(scenario.sites)
    for name in scenario.hydrogen.storage_mwh:
        if name not in sites:
            close = difflib.get_close_matches(name, sites, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(
                file,
                f"hydrogen.storage_mwh.{name}",
                name,
                f"a site of this scenario ({', '.join(sites)}){hint}",
            )
    if scenario.hydrogen.demand.site in sites:
        raise ScenarioError(
            file,
            "hydrogen.demand.site",
            scenario.hydrogen.demand.site,
            "a name different from the supply sites (the demand is served by pipeline)",
        )


def check_site_names(scenario: Scenario, file: str | Path | None) -> None:
    """Site names are identifiers (used as netCDF coordinates and CSV column prefixes)."""
    for name in scenario.sites:
        if not name.replace("_", "").isalnum() or not name[0].isalpha():
            raise ScenarioError(
                file, f"sites.{name}", name, "a name of letters, digits and '_' (e.g. boxberg)"
            )


def check_battery_pairs(scenario: Scenario, file: str | Path | None) -> None:
    """Battery power without energy (or energy without power) cannot operate."""
    for name, site in scenario.sites.items():
        p, e = site.battery_mw, site.battery_mwh
        p_max = p.max if isinstance(p, CapacityRange) else p
        e_max = e.max if isinstance(e, CapacityRange) else e
        if (p_max > 0) != (e_max > 0):
            bad = "battery_mwh" if p_max > 0 else "battery_mw"
            raise ScenarioError(
                file,
                f"sites.{name}.{bad}",
                e if bad == "battery_mwh" else p,
                "a positive value when the other battery rating is positive (or both 0)",
            )


def check_electrolysis_curve(scenario: Scenario, file: str | Path | None) -> None:
    """The part-load point must lie above the minimum load."""
    el = scenario.technology.electrolysis
    if el.part_load_point_fraction < el.min_load_fraction:
        raise ScenarioError(
            file,
            "technology.electrolysis.part_load_point_fraction",
            el.part_load_point_fraction,
            f"a value at or above min_load_fraction ({el.min_load_fraction})",
        )


def check_vpp(scenario: Scenario, file: str | Path | None) -> None:
    """Rolling-horizon windows must fit the optimisation window."""
    if scenario.vpp.commit_h > scenario.vpp.horizon_h:
        raise ScenarioError(file, "vpp.commit_h", scenario.vpp.commit_h, "at most vpp.horizon_h")


ALL_CHECKS = (
    check_site_names,
    check_hydrogen_sites,
    check_battery_pairs,
    check_electrolysis_curve,
    check_vpp,
)


def check_scenario(scenario: Scenario, file: str | Path | None) -> None:
    """Run every cross-field check; raise the first :class:`ScenarioError`."""
    for check in ALL_CHECKS:
        check(scenario, file)
