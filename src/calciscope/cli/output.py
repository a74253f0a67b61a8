"""What every command shares for output: logging levels, progress bars, JSON and index dates.

``calciscope --verbose`` (``-v``, ``-vv``) and ``--quiet`` (``-q``) set the level of the
``calciscope`` logger (warnings by default). ``--quiet`` also silences the progress bars and the
chatter on standard error; a command's data (JSON, tables, files) is still written. Progress
bars are drawn only on a terminal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from calciscope.api import Registry

__all__ = [
    "configure_logging",
    "echo_json",
    "index_date_or_today",
    "is_quiet",
    "mark_read_only",
    "progress",
    "registry_index_date",
    "start_invocation",
    "to_jsonable",
    "whole_file",
    "wrote_nothing",
]

_LOGGER = "calciscope"
# Per invocation (reset by start_invocation): set by the root options and by the command.
_QUIET: ContextVar[bool] = ContextVar("calciscope_quiet", default=False)
_READ_ONLY: ContextVar[bool] = ContextVar("calciscope_read_only", default=False)


def start_invocation() -> None:
    """Forget the options of a previous invocation in this process (tests run many)."""
    _QUIET.set(False)
    _READ_ONLY.set(False)


def configure_logging(*, verbose: int, quiet: bool) -> None:
    """Send the ``calciscope`` logger to standard error at the level the options ask for.

    Only calciscope's own logger is configured: ``-v`` never turns on SQLAlchemy's SQL echo.
    """
    levels = {0: logging.WARNING, 1: logging.INFO}
    level = logging.ERROR if quiet else levels.get(verbose, logging.DEBUG)
    logger = logging.getLogger(_LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    _QUIET.set(quiet)


def is_quiet() -> bool:
    """Return whether ``--quiet`` was given to this invocation."""
    return _QUIET.get()


@contextmanager
def progress(console: Console, label: str) -> Iterator[Callable[[int], None]]:
    """Draw a progress bar for a step; yield ``update(done)`` (a negative value sets the total).

    Without a total the bar pulses, with the elapsed time. Nothing is drawn when the console is
    not a terminal or ``--quiet`` was given.
    """
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    disabled = is_quiet() or not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=disabled) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int) -> None:
            if done < 0:
                bar.update(task, total=-done)
            else:
                bar.update(task, completed=done)

        yield update


def to_jsonable(value: Any) -> Any:
    """Return plain JSON data for records, results, dataclasses, enums, dates and NaN."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def echo_json(data: Any) -> None:
    """Write ``data`` as indented JSON on standard output (the only thing written there)."""
    typer.echo(json.dumps(to_jsonable(data), indent=1, ensure_ascii=False, default=str))


def index_date_or_today(value: dt.date | None) -> tuple[dt.date, str]:
    """Return the index date to use and how to show it: explicit, or today said so."""
    if value is not None:
        return value, f"index date {value.isoformat()}"
    today = dt.date.today()
    return today, f"index date {today.isoformat()} (today; set --index-date to fix it)"


def registry_index_date(registry: Registry, value: dt.date | None) -> tuple[dt.date, str]:
    """Return the date to evaluate a registry at and how to show it: chosen, or its as-of date.

    The registry's as-of date (``calciscope registry set-as-of``), today when none is set: the
    date the web app shows the same patients at (:func:`calciscope.api.registry_as_of`).
    """
    from calciscope import api

    as_of = api.registry_as_of(registry, value)
    return as_of.date, f"index date {as_of.date.isoformat()} ({as_of.why})"


def mark_read_only() -> None:
    """Mark the running command as one that never writes (its errors then don't say so)."""
    _READ_ONLY.set(True)


def wrote_nothing() -> bool:
    """Return whether an error of the running command should say that nothing was written."""
    return not _READ_ONLY.get()


@contextmanager
def whole_file(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """Open ``path`` to write as UTF-8 text: it appears whole when the block ends, or not at all.

    The text goes to a file of its own beside ``path`` and is renamed over it only when the
    block ends without an error; on an error the part is removed and an earlier ``path`` is
    left as it was, so "nothing was written" is true (review 27: ``notes extract-file --out``
    left the rows before a bad row in the file it said it had not written).
    """
    fd, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
