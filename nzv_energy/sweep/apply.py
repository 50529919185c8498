"""A member's values applied to the base scenario.

Two ways give the same scenario:

:func:`member_scenario_validated`
    deep-merges the values into the raw YAML mapping and validates it with
    :func:`~nzv_energy.scenario_file.scenario_from_mapping`, exactly like a
    scenario file (about 0.1-0.4 ms per member).
:func:`member_scenario`
    copies the validated base scenario with the values replaced
    (``model_copy``, no re-validation of the unchanged parts) and runs the
    cross-field checks of :mod:`nzv_energy.validation`.  Each field's own
    bounds are checked once per sweep by
    :func:`nzv_energy.sweep.checks.check_member_values`, so both ways accept
    and reject the same members; the test suite compares them on random
    members.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from nzv_energy.scenario import Scenario
from nzv_energy.scenario_file import deep_merge, scenario_from_mapping
from nzv_energy.sweep.fields import FieldRef
from nzv_energy.validation import check_scenario


def _coerce(ref: FieldRef, value: Any) -> Any:
    """NaN -> None for nullable numbers, whole floats -> int for integer fields."""
    if ref.numeric and value is not None:
        f = float(value)
        if f != f:  # NaN stands for null
            return None
        return round(f) if ref.kind == "integer" else f
    return value


def _replace(model: BaseModel, parts: tuple[str, ...], value: Any) -> BaseModel:
    """Copy of ``model`` with the field at ``parts`` set (dict entries by key)."""
    head = parts[0]
    if len(parts) == 1:
        return model.model_copy(update={head: value})
    child = getattr(model, head)
    if isinstance(child, dict):
        key = parts[1]
        new = dict(child)
        if len(parts) == 2:
            new[key] = value
        else:
            new[key] = _replace(child[key], parts[2:], value)
        return model.model_copy(update={head: new})
    return model.model_copy(update={head: _replace(child, parts[1:], value)})


def member_scenario(
    base: Scenario,
    fields: Mapping[str, FieldRef],
    values: Mapping[str, Any],
    file: str | Path | None = None,
) -> Scenario:
    """The base scenario with a member's values, without re-validating unchanged parts.

    Parameters
    ----------
    base
        Validated base scenario.
    fields
        Field path -> resolved field.
    values
        Field path -> the member's value.
    file
        Reported in errors.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        The combination fails a cross-field check (e.g. battery power without energy).
    """
    scenario: BaseModel = base
    for path, value in values.items():
        ref = fields[path]
        scenario = _replace(scenario, ref.parts, _coerce(ref, value))
    assert isinstance(scenario, Scenario)
    check_scenario(scenario, file)
    return scenario


def member_scenario_validated(
    base_raw: Mapping[str, Any],
    fields: Mapping[str, FieldRef],
    values: Mapping[str, Any],
    file: str | Path | None = None,
) -> Scenario:
    """The base scenario with a member's values, validated like a scenario file.

    Parameters
    ----------
    base_raw
        Raw base scenario mapping (``extends`` resolved).
    fields
        Field path -> resolved field.
    values
        Field path -> the member's value.
    file
        Reported in errors.

    Raises
    ------
    ScenarioError
        Any value or combination the scenario model rejects.
    """
    raw: dict[str, Any] = dict(base_raw)
    for path, value in values.items():
        ref = fields[path]
        raw = deep_merge(raw, ref.override(_coerce(ref, value)))
    return scenario_from_mapping(raw, file)
