"""The registry's as-of date: the one date its patients are evaluated at unless one is chosen.

A registry keeps one as-of date (``registry_state.as_of``, migration 0010). The web app's
patient pages, patient list and review queue, ``calciscope patients show --explain``, ``patients
list``, ``features``, ``classify`` and ``review queue`` all evaluate at it unless the caller
chooses a date (``--index-date``, the review page's date field): one patient, one answer, in the
CLI and on the web. Facts dated after it are not read, and every page and command that shows a
result says which date it is as of and why (:meth:`AsOf.describe`).

**Not set: today.** A registry nobody has given a date is evaluated as of the day it is read,
so no recorded fact is silently left out (the shipped study's 2023-12-31 would leave out every
fact after 2023 of a registry kept in 2026; it was the web app's default before fixes17, while
the CLI used today). ``calciscope demo`` sets its SYNTHETIC registry's date to the default
study's index date (the cohort is drawn as of it, and the report is run at it), when none is
set. A study with a different index date is still run at its own date (``calciscope study``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from calciscope.storage import Registry

__all__ = [
    "AsOf",
    "AsOfSource",
    "check_index_date",
    "registry_as_of",
    "set_registry_as_of",
]


class AsOfSource(StrEnum):
    """Where an as-of date comes from."""

    #: chosen by the caller (``--index-date``, the review page's date field)
    CHOSEN = "chosen"
    #: the registry's as-of date (``calciscope registry set-as-of``)
    REGISTRY = "registry"
    #: not set for the registry: today
    TODAY = "today"


#: The command that sets the date, named wherever the default (today) is shown.
SET_COMMAND = "calciscope registry set-as-of DATE"


@dataclass(frozen=True)
class AsOf:
    """The date results are evaluated at, and where it comes from."""

    date: dt.date
    source: AsOfSource

    @property
    def why(self) -> str:
        """Return where the date comes from, in words (``the registry's as-of date``)."""
        return {
            AsOfSource.CHOSEN: "chosen",
            AsOfSource.REGISTRY: "the registry's as-of date",
            AsOfSource.TODAY: f"today: no as-of date is set for this registry; {SET_COMMAND}",
        }[self.source]

    def describe(self) -> str:
        """Return how to show it, e.g. ``as of 2026-06-30 (the registry's as-of date)``."""
        return f"as of {self.date.isoformat()} ({self.why})"


def registry_as_of(registry: Registry, chosen: dt.date | None = None) -> AsOf:
    """Return the date to evaluate the registry's patients at: ``chosen``, its own, or today.

    One read of ``registry_state`` (no cache: another process may set it while a web app
    runs). Facts dated after the date are not read by whatever is evaluated at it.
    """
    if chosen is not None:
        return AsOf(chosen, AsOfSource.CHOSEN)
    stored = registry.as_of()
    if stored is not None:
        return AsOf(stored, AsOfSource.REGISTRY)
    return AsOf(dt.date.today(), AsOfSource.TODAY)


#: The earliest as-of or index date accepted (a date before it is a typing error, and the
#: look-backs counted from it, e.g. an assessment window of months, would leave the calendar).
EARLIEST = dt.date(1900, 1, 1)


def check_index_date(day: dt.date, *, field: str = "index_date", where: str = "") -> dt.date:
    """Return ``day`` when it is an as-of or index date that can be used; refuse it otherwise.

    Accepted: from 1900-01-01 (:data:`EARLIEST`) to today. A later date would read facts not
    yet recorded as if they were all there is; an earlier one is a typing error (``0001-01-01``
    for ``2001-01-01``). Used by :func:`set_registry_as_of`, the CLI's ``--index-date`` and the
    web app's ``index_date`` field.

    Raises
    ------
    ValidationError
        Naming ``field`` (and ``where``, e.g. the study file), for a date outside the range.
    """
    from calciscope.errors import Problem, ValidationError

    today = dt.date.today()
    if EARLIEST <= day <= today:
        return day
    side = "before" if day < EARLIEST else "after today,"
    bound = EARLIEST if day < EARLIEST else today
    message = (
        f"{day.isoformat()} is {side} {bound.isoformat()}: give a date from "
        f"{EARLIEST.isoformat()} to today ({today.isoformat()})"
    )
    raise ValidationError(
        [Problem(where or "date", day.isoformat(), field, message)],
        summary=f"cannot use {field} {day}",
    )


def set_registry_as_of(
    registry: Registry,
    day: dt.date | None = None,
    *,
    study: Path | str | None = None,
    clear: bool = False,
    actor: str | None = None,
) -> AsOf:
    """Set the registry's as-of date: ``day``, a study file's index date, or none (``clear``).

    ``study``: the study file the team runs (its ``population.index_date``), so the web app and
    the CLI answer as of the date the study counts at. The date must be from 1900-01-01 to
    today (:func:`check_index_date`), whichever way it is given. The change and its audit row
    (action ``registry.set_as_of``, before and after) are written in one transaction: both or
    neither. Returns what the registry is now evaluated at (today when cleared).

    Raises
    ------
    ValidationError
        Unless exactly one of ``day``, ``study`` and ``clear`` is given, for a study file
        that does not validate, or for a date before 1900-01-01 or after today (field
        ``as_of``).
    RegistryError
        For a Spark registry (it keeps no as-of date).
    """
    from calciscope.api.study_definition import as_study
    from calciscope.api.users import default_actor, jsonable
    from calciscope.errors import Problem, ValidationError
    from calciscope.storage.review import ReviewRepository

    given = [x for x in (day, study, True if clear else None) if x is not None]
    if len(given) != 1:
        problem = Problem(registry.url, "as_of", "date", "give one of a date, a study, or clear")
        raise ValidationError([problem], summary="cannot set the as-of date")
    if study is not None:
        day = as_study(Path(study)).population.index_date
    if day is not None and not clear:
        check_index_date(day, field="as_of", where=str(study) if study else registry.url)
    after = None if clear else day
    who = actor or default_actor()

    def audit(conn: Any, before: dt.date | None) -> None:
        ReviewRepository(registry).append_audit(
            conn,
            actor=who,
            action="registry.set_as_of",
            target=registry.url,
            before=jsonable({"as_of": before}),
            after=jsonable({"as_of": after}),
            detail=f"from study {study}" if study is not None else None,
        )

    registry.set_as_of(after, also=audit)
    return registry_as_of(registry)
