"""Check the values a sweep gives each field once, before any member runs.

Validating every member through the scenario model costs about 0.1 ms each;
for a million members that is minutes before any work.  The bounds of a
field (``0 <= discount_rate <= 0.3``, capacities ``>= 0``...) are intervals,
so each numeric field is checked at the smallest and largest value the sweep
gives it (at every value when there are only a few) against the field's own
type and bounds.  Checks across fields (battery power without energy, the
electrolyser part-load point above the minimum load) depend on the other
values of a member: they run per member, and a member that fails them is
reported with its parameters while the others go on.
"""

from __future__ import annotations

import numpy as np

from nzv_energy.errors import ScenarioError
from nzv_energy.sweep.members import MemberTable
from nzv_energy.sweep.spec import SweepSpec

#: Numeric fields with at most this many distinct values are checked at each value.
CHECK_EACH_UP_TO = 32


def _where(spec: SweepSpec, path: str) -> str:
    if any(d.field.path == path for d in spec.drawn):
        return f"monte_carlo.parameters.{path}"
    return f"parameters.{path}"


def _candidates(column: np.ndarray, numeric: bool) -> list[object]:
    if numeric:
        finite = column[~np.isnan(column)]
        out: list[object] = []
        if finite.size:
            uniq = np.unique(finite)
            picks = uniq if uniq.size <= CHECK_EACH_UP_TO else uniq[[0, -1]]
            out = [float(v) for v in picks]
        if finite.size < column.size:
            out.append(None)
        return out
    seen: list[object] = []
    for v in column:
        if v not in seen:
            seen.append(v)
    return seen


def check_member_values(spec: SweepSpec, table: MemberTable) -> None:
    """Check each field's extreme (or every distinct) value against the field's bounds.

    Parameters
    ----------
    spec
        The sweep.
    table
        Its members.

    Raises
    ------
    ScenarioError
        Naming the sweep file, ``parameters.<path>`` (or
        ``monte_carlo.parameters.<path>``), the value and what is allowed.
    """
    for ref in table.fields:
        column = table.values[ref.path]
        for value in _candidates(column, ref.numeric):
            if ref.kind == "integer" and value is not None:
                value = int(value)  # type: ignore[call-overload]
            problem = ref.value_error(value)
            if problem is not None:
                where = _where(spec, ref.path)
                hint = (
                    " (a drawn value: bound the distribution with low/high)"
                    if where.startswith("monte_carlo")
                    else ""
                )
                raise ScenarioError(spec.file, where, value, problem + hint)
