"""Project error types and process exit codes.

Every error a user can cause by a wrong scenario or data file is a
:class:`NzvInputError`; the command line turns it into one message and exit
status 2.  Optimisation models that cannot be solved raise
:class:`ModelInfeasibleError` (exit status 3).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


class NzvError(Exception):
    """Base class of every error raised on purpose by nzv-energy."""

    exit_code: int = 1


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


#: Stands for the value of a key that is missing.
MISSING = _Missing()


class NzvInputError(NzvError, ValueError):
    """A scenario, sweep or data file holds a value that is not allowed.

    Parameters
    ----------
    file
        The file that holds the wrong value (``None`` when not from a file).
    field
        Dotted path of the field, e.g. ``sites.boxberg.battery_mwh``, or a
        column / row description for data files.
    value
        The value that was given.
    allowed
        What would have been accepted, in words.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        file: str | Path | None,
        field: str,
        value: Any,
        allowed: str,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One-line message naming file, field, value and what is allowed."""
        where = f"{self.file}: " if self.file else ""
        shown = repr(self.value)
        # a path or name is shown whole (the user must find it); other values, which a
        # broken file can make huge, are cut
        limit = 240 if isinstance(self.value, str | PurePath) else 80
        if len(shown) > limit:
            shown = shown[: limit - 3] + "..."
        return f"{where}{self.field}: got {shown}; {self.allowed}"


class ScenarioError(NzvInputError):
    """A scenario (or sweep) file is invalid."""


class InputDataError(NzvInputError):
    """A time series or cost table file is invalid."""


class ModelInfeasibleError(NzvError):
    """An optimisation model has no solution; the message says why."""

    exit_code = EXIT_INFEASIBLE
