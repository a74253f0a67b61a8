"""One exception tree for calciscope.

::

    CalciscopeError
    ├── ValidationError        bad input: every problem, with file, row and field
    ├── RegistryError          the registry database cannot be opened or migrated
    ├── ReviewConflict         a review item or fact changed since the reviewer read it
    ├── CatalogueError         a feature catalogue, criteria set or rule file is malformed
    └── MissingExtraError      an optional extra is not installed (the message is the hint)

Every error that reaches the command line is printed as its message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CalciscopeError",
    "CatalogueError",
    "MissingExtraError",
    "Problem",
    "RegistryError",
    "ReviewConflict",
    "ValidationError",
]


class CalciscopeError(Exception):
    """Base class of every error calciscope raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one record.

    Parameters
    ----------
    source
        The file (or other source) the record came from.
    location
        Where in the source: a row number, a JSON path, a record id.
    field
        The field that is wrong.
    message
        What is wrong with it.
    """

    source: str
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}, {self.location}, field {self.field!r}: {self.message}"


class ValidationError(CalciscopeError):
    """Input that does not validate; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem], *, summary: str = "invalid input") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.summary = summary
        super().__init__(self._render())

    def _render(self) -> str:
        shown = self.problems[:50]
        lines = [f"{self.summary}: {len(self.problems)} problem(s); nothing was written"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class RegistryError(CalciscopeError):
    """The registry database cannot be opened, migrated or written."""


class ReviewConflict(CalciscopeError):
    """Someone decided or corrected the item since it was read (optimistic concurrency).

    Nothing was written; read the item again and decide on its current version.
    """

    def __init__(
        self, item_id: str, expected: int | None, current: int | None, *, state: str | None = None
    ) -> None:
        self.item_id = item_id
        self.expected = expected
        self.current = current
        self.state = state
        seen = (
            f"it is already {state} (version {current})"
            if state is not None
            else f"you read version {expected}, it is now version {current}"
        )
        super().__init__(
            f"{item_id} was decided or changed by someone else ({seen}); nothing was written: "
            "reload it and decide again"
        )


class CatalogueError(CalciscopeError):
    """A packaged or user-supplied definition file (catalogue, criteria, rules) is malformed."""


class MissingExtraError(CalciscopeError):
    """An optional dependency is missing; the message says which extra installs it."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is not installed: pip install 'calciscope[{extra}]'")
