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
- a date that does not exist (``2023-02-30``, which YAML reads as a date): its line and key,
  in block or in flow style (``{index_date: 2024-02-30}``, ``[2024-02-30]``; before,
  hardening34, a date in flow style named no line);
- a mapping that writes a key twice: YAML's parser keeps the last value without a word (a
  study file with two ``index_date:`` ran with the second), so it is refused naming the key
  and both lines (hardening34). A key is compared as its reader takes it, as text: ``1:``,
  ``01:`` and ``"1":`` are one key, wherever they are (hardening35);
- a key YAML reads as no text (``yes:``, ``no:``, ``on:``, ``true:``, ``null:``, ``~:``): the
  readers took ``yes:`` as "True"; it is refused, naming the line and how to quote it.

Whatever loader a caller gives (the rule files' own), :func:`parse_yaml` reads through a
subclass of it that makes these two checks (:func:`_strict`).
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

_MERGE = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A node the strict loader refuses: the line (1 based), the field and what is wrong."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line, self.field, self.message = line, field, message


_YAML = "tag:yaml.org,2002:"
#: Keys YAML reads as no text: ``yes:``, ``no:``, ``on:``, ``true:`` (YAML 1.1 booleans),
#: ``null:`` and ``~:``. Every reader of these files takes a key as text (``str(key)``: "True",
#: "None"), so such a key is refused with a hint to quote it (hardening35).
_NOT_TEXT = {_YAML + "bool": "a boolean", _YAML + "null": "null (no value)"}


def _key_text(loader: Any, node: Any) -> str | None:
    """Return a scalar key as its reader takes it (text), or None for a key of another kind.

    A number is its value's text (``1``, ``01`` and ``"1"`` are one key, ``1``, as every reader
    takes a key: ``str(key)``); any other scalar is the text as written.
    """
    if not isinstance(node, yaml.ScalarNode) or node.tag == _MERGE:
        return None
    if node.tag in _NOT_TEXT:
        message = (
            f"the key {node.value} is read by YAML as {_NOT_TEXT[node.tag]}, not as the "
            f'text {node.value!r}: quote it ("{node.value}":)'
        )
        raise _Refused(node.start_mark.line + 1, str(node.value), message)
    if node.tag in (_YAML + "int", _YAML + "float"):
        return str(loader.construct_object(node))
    return str(node.value)


class _StrictChecks:
    """The checks :func:`_strict` adds to a loader: keys written twice, dates that do not exist."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[str, tuple[int, str]] = {}
        for key_node, value_node in node.value:
            key = _key_text(self, key_node)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                first, spelt = seen[key]
                lines = f"lines {first} and {line}" if first != line else f"line {line}"
                same = (
                    f"; {spelt} and {key_node.value} are one key" if spelt != key_node.value else ""
                )
                message = (
                    f"the key {key!r} is written twice in this mapping ({lines}{same}); YAML "
                    "would keep only the last value: keep one"
                )
                raise _Refused(line, key, message)
            seen[key] = (line, str(key_node.value))
            self._keys[id(value_node)] = key  # type: ignore[attr-defined]
            if isinstance(value_node, yaml.SequenceNode):
                for item in value_node.value:
                    self._keys[id(item)] = key  # type: ignore[attr-defined]
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]

    def construct_checked_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError as exc:
            field = self._keys.get(id(node), "-")  # type: ignore[attr-defined]
            message = f"{node.value} is not a date ({exc})"
            raise _Refused(node.start_mark.line + 1, field, message) from None


_STRICT: dict[Any, Any] = {}


def _strict(loader: Any) -> Any:
    """Return ``loader`` with the checks of :class:`_StrictChecks` (one class per loader)."""
    if loader in _STRICT:
        return _STRICT[loader]

    def init(self: Any, stream: Any) -> None:
        loader.__init__(self, stream)
        self._keys = {}

    strict: Any = type(f"Strict{loader.__name__}", (_StrictChecks, loader), {"__init__": init})
    strict.add_constructor("tag:yaml.org,2002:timestamp", _StrictChecks.construct_checked_timestamp)
    _STRICT[loader] = strict
    return strict


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
        When the text is not YAML, holds a date that does not exist, or writes a key twice
        in one mapping.
    """
    try:
        return yaml.load(text, Loader=_strict(loader))  # a safe loader, or one built on it
    except _Refused as exc:
        problem = Problem(source, f"line {exc.line}", exc.field, exc.message)
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
