"""Read JSON input safely: every way a file can be bad becomes a :class:`Problem`, never a traceback.

Python's :mod:`json` accepts what strict JSON (RFC 8259) does not, and fails in ways that are
not :class:`json.JSONDecodeError`:

- ``NaN``, ``Infinity`` and ``-Infinity``, and numbers too large for a float (``1e999``,
  which becomes infinity): refused, as RFC 8259 has no such numbers;
- integers of more than 4,300 digits raise :class:`ValueError` (CPython's guard against
  quadratic conversion); refused, naming the limit;
- arrays and objects nested deeper than the interpreter's recursion limit raise
  :class:`RecursionError`, and nesting that the parser survives can still break code that
  walks the document later (protobuf, pydantic); refused beyond :data:`MAX_DEPTH` levels.

No clinical or exchange format nests anywhere near :data:`MAX_DEPTH` (a FHIR bundle: about
12; a phenopacket: about 8).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.textfile import check_utf8_bytes

__all__ = ["MAX_DEPTH", "decode_utf8", "load_json", "parse_json"]

#: Deepest nesting of arrays and objects accepted.
MAX_DEPTH = 64


class _NotJson(ValueError):
    """A value strict JSON does not allow (raised while parsing)."""


def _constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"number {text[:40]} is too large for a 64-bit float")
    return value


def _depth_problem(data: Any) -> str | None:
    """Return why ``data`` nests too deeply, or None (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        stack.extend(
            (child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)
        )
    return None


def parse_json(text: str, *, source: str, location: str = "$") -> Any:
    """Parse strict JSON text, or raise a :class:`ValidationError` naming ``source``.

    Parameters
    ----------
    text
        The JSON text.
    source
        The file (or other source) named in the problem.
    location
        Where in the source the text is (``$`` for a whole file, ``line 3`` for JSON lines).

    Raises
    ------
    ValidationError
        When the text is not strict JSON, holds a number Python cannot represent, or nests
        more than :data:`MAX_DEPTH` levels deep.
    """
    try:
        data = json.loads(text, parse_constant=_constant, parse_float=_float)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc}"
    except RecursionError:
        message = f"not readable JSON: nested more than {MAX_DEPTH} levels deep"
    except _NotJson as exc:
        message = f"not readable JSON: {exc}"
    except ValueError:  # CPython refuses to convert integers of more than 4,300 digits
        message = "not readable JSON: an integer has more than 4,300 digits"
    else:
        why = _depth_problem(data)
        if why is None:
            return data
        message = f"not readable JSON: {why}"
    raise ValidationError([Problem(source, location, "", message)]) from None


def load_json(path: Path | str) -> Any:
    """Read a UTF-8 JSON file with :func:`parse_json`; an unreadable file is a problem too.

    A UTF-8 byte order mark (which Windows editors write, and RFC 8259 lets a parser ignore)
    is skipped. Bytes that are not UTF-8 are a problem naming the line they are on.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError([Problem(str(path), "$", "", f"cannot read: {exc}")]) from None
    return parse_json(decode_utf8(raw, str(path)), source=str(path))


def decode_utf8(raw: bytes, source: str) -> str:
    """Return ``raw`` as text (a leading UTF-8 byte order mark dropped), or raise a problem.

    The problem names the line of the first byte that is not UTF-8 and the byte itself, or
    says the file is UTF-16 / UTF-32, and how to convert it
    (:func:`calciscope.textfile.check_utf8_bytes`): calciscope does not guess an
    encoding, which would turn ``é`` into something else without a word.
    """
    return check_utf8_bytes(raw, source)
