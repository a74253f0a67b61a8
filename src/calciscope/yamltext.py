"""Read YAML a user writes (a study definition, a rule file): a problem naming file and line.

A study file or a ``--target-rules`` file that is not UTF-8, or not YAML, gave Python's own
codec or parser message (``'utf-8' codec can't decode byte 0xe9 in position 41``; the
parser's several-line ``while scanning ...`` text), or a traceback (hardening24). Here every
such file is a :class:`~calciscope.errors.ValidationError` with one problem naming the file,
the line and what is wrong there:

- not UTF-8 (UTF-16 from a Windows editor, a Latin-1 byte): as every text file
  (:func:`calciscope.textfile.check_utf8_bytes`), with how to convert it;
- not YAML: the parser's complaint, its line and column, the line where the construct it was
  reading began (an unclosed ``[`` or quote) and, for the usual slips, what to do (a tab
  indenting a line; a ``:`` inside an unquoted value);
- a date that does not exist (``2023-02-30``, which YAML reads as a date): its line and key.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from calciscope.errors import Problem, ValidationError
from calciscope.textfile import check_utf8_bytes

__all__ = ["load_yaml", "parse_yaml", "yaml_problem"]

#: What to do about the parser's most common complaints in a hand-written file.
_HINTS = (
    ("'\\t'", "YAML indents with spaces: replace the tab with spaces"),
    (
        "mapping values are not allowed",
        "a value holding ': ' needs quotes, or the line is "
        "indented differently from the keys around it",
    ),
    ("found unexpected end of stream", "a quote or bracket opened here is never closed"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
)

_DATE_VALUE = re.compile(r"^\s*-?\s*([\w.-]+)\s*:\s*['\"]?(\d{4}-\d{1,2}-\d{1,2})\b", re.M)


def yaml_problem(exc: yaml.YAMLError, source: str) -> Problem:
    """Return the problem of a YAML parser error: its line, what is wrong and what to do."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return Problem(source, "file", "(file)", f"not YAML: {problem}")
    message = f"not YAML: {problem} (line {mark.line + 1}, column {mark.column + 1})"
    context, begun = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and begun is not None and begun.line != mark.line:
        message += f", {context} begun at line {begun.line + 1}"
    for needle, hint in _HINTS:
        if needle in problem:
            message += f": {hint}"
            break
    return Problem(source, f"line {mark.line + 1}", "(file)", message)


def _bad_date(source: str, text: str, exc: ValueError) -> Problem:
    """Name the line and key of the YAML date that does not exist (``2023-02-30``)."""
    for match in _DATE_VALUE.finditer(text):
        try:
            dt.date.fromisoformat("-".join(f"{int(x):02d}" for x in match[2].split("-")))
        except ValueError:
            line = text.count("\n", 0, match.start()) + 1
            return Problem(source, f"line {line}", match[1], f"{match[2]} is not a date ({exc})")
    return Problem(source, "file", "-", f"a date that does not exist ({exc})")


def parse_yaml(text: str, *, source: str, loader: type[Any] = yaml.SafeLoader) -> Any:
    """Parse YAML text with ``loader``, or raise a :class:`ValidationError` naming the line.

    Raises
    ------
    ValidationError
        When the text is not YAML, or holds a date that does not exist.
    """
    try:
        return yaml.load(text, Loader=loader)  # a safe loader, or one built on it
    except yaml.YAMLError as exc:
        problem = yaml_problem(exc, source)
    except ValueError as exc:  # YAML reads 2023-13-45 as a date, and the date fails
        problem = _bad_date(source, text, exc)
    except RecursionError:
        problem = Problem(source, "file", "(file)", "not readable YAML: nested too deeply")
    raise ValidationError([problem], summary=f"cannot read {Path(source).name}")


def load_yaml(path: Path | str, *, loader: type[Any] = yaml.SafeLoader) -> Any:
    """Read a UTF-8 YAML file with :func:`parse_yaml` (a byte order mark skipped).

    Raises
    ------
    ValidationError
        When the file cannot be read, is not UTF-8 (its line and byte, and how to convert
        it), is not YAML, or holds a date that does not exist.
    """
    source = str(path)
    summary = f"cannot read {Path(path).name}"
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        problem = Problem(source, "file", "(file)", f"cannot read: {exc.strerror or exc}")
        raise ValidationError([problem], summary=summary) from None
    try:
        text = check_utf8_bytes(raw, source)
    except ValidationError as exc:
        raise ValidationError(exc.problems, summary=summary) from None
    return parse_yaml(text, source=source, loader=loader)
