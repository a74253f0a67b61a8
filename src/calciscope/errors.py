"""One exception tree for calciscope.

::

    CalciscopeError
    ├── ValidationError        bad input: every problem, with file, row and field
    │   └── NotFoundError      the id asked for (a patient, fact, item, image, run) is not there
    ├── RegistryError          the registry database cannot be opened or migrated
    ├── ReviewConflict         a review item or fact changed since the reviewer read it
    ├── CatalogueError         a feature catalogue, criteria set or rule file is malformed
    └── MissingExtraError      an optional extra is not installed (the message is the hint)

Every error that reaches the command line is printed as its message, never a traceback.
Optional dependencies are imported through :func:`require_extra`, which raises
:class:`MissingExtraError` with the ``pip install 'calciscope[extra]'`` hint.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

__all__ = [
    "CalciscopeError",
    "CatalogueError",
    "MissingExtraError",
    "NotFoundError",
    "Problem",
    "RegistryError",
    "ReviewConflict",
    "ValidationError",
    "WrongPasswordError",
    "require_extra",
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
        # the same problem found twice (a REDCap form date read for each field of its form)
        # is listed once, in the order first found
        self.problems: tuple[Problem, ...] = tuple(dict.fromkeys(problems))
        self.summary = summary
        super().__init__(self.render())

    def render(self, *, nothing_written: bool = True) -> str:
        """Return the message; ``nothing_written=False`` for a command that never writes."""
        shown = self.problems[:50]
        written = "; nothing was written" if nothing_written else ""
        lines = [f"{self.summary}: {len(self.problems)} problem(s){written}"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class NotFoundError(ValidationError):
    """The record an id names (a patient, fact, review item, image, study run) is not there.

    A :class:`ValidationError` (the command line prints it the same way), told apart so the
    web app answers 404 for an id in its address instead of 422.
    """

    def __init__(self, problems: Iterable[Problem], *, summary: str = "not found") -> None:
        super().__init__(problems, summary=summary)


class WrongPasswordError(ValidationError):
    """The current password given to change it is not the user's (``api.change_password``).

    A :class:`ValidationError` naming the field ``current_password`` (the web app's 422), told
    apart so the web app can count it against its rate limit (429 after too many).
    """


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


def require_extra(extra: str, module: str, *, package: str | None = None) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingExtraError` naming its extra.

    Parameters
    ----------
    extra
        The calciscope extra that installs it (``web``, ``imaging``, ``postgres``, ...).
    module
        The module to import, e.g. ``"fastapi"`` or ``"skimage.measure"``.
    package
        The distribution name to show when it differs from the module's top-level name
        (``PyCap`` for ``redcap``).

    Returns
    -------
    types.ModuleType
        The imported module.

    Examples
    --------
    >>> fastapi = require_extra("web", "fastapi")  # doctest: +SKIP
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise MissingExtraError(package or module.split(".")[0], extra) from exc
