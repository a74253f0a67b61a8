"""Read CSV input strictly: a quote left open is a problem, never a silently merged cell.

Python's :mod:`csv` (unless ``strict``) and pyarrow's CSV reader both end a quoted cell that
is never closed at the end of the file: every row after the stray ``"`` becomes text inside
one cell of one row, and the rows are gone without a word (a hand-edited ``facts.csv`` or
REDCap export with ``"unterminated`` imported one fact where there were many; fixes22).
The native and REDCap readers therefore parse with ``strict=True``, and the native reader,
which parses ``facts.csv`` with pyarrow, first checks :func:`quotes_balanced`. Not caught:
two stray quotes in different rows, which pair up with each other (the rows between them
become one cell's text; review 24).

A column named twice in the header is a problem too (:func:`repeated_columns`): a reader
that maps a row to a dict (``csv.DictReader``) keeps the last cell of the name and drops the
first without a word, so ``sex,...,sex`` imported the second column's value (fixes23).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from calciscope.errors import Problem

__all__ = ["csv_error_text", "quotes_balanced", "repeated_columns"]

_READ_BYTES = 1 << 24


def quotes_balanced(path: Path) -> bool:
    """Return whether ``path`` holds an even number of ``"`` (every quoted cell is closed).

    A quote inside a quoted cell is written twice, so a well-formed CSV file always holds an
    even number; an odd number means a quoted cell runs to the end of the file.
    """
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_BYTES):
            count += chunk.count(b'"')
    return count % 2 == 0


def csv_error_text(exc: csv.Error) -> str:
    """Say what a strict CSV parser's error means for the person who wrote the file."""
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            "a quoted cell is never closed: its opening '\"' would take every later row into "
            "this one cell (close the quote, or write a '\"' inside a quoted cell twice)"
        )
    return f"cannot read the CSV here: {text}"


def repeated_columns(source: Path | str, names: Iterable[str | None] | None) -> list[Problem]:
    """Return one problem per column name the header holds more than once (row 1, the name).

    The problem says at which positions (1-based, as a spreadsheet's columns count) the name
    stands, so the person who wrote the file can keep the one meant. Blank names (a
    spreadsheet's trailing empty columns) are left to each reader.
    """
    header = [(name or "").strip() for name in names or []]
    counts = Counter(header)
    problems = []
    for name in dict.fromkeys(n for n in header if n and counts[n] > 1):
        places = ", ".join(str(i) for i, n in enumerate(header, start=1) if n == name)
        message = (
            f"the header names this column {counts[name]} times (columns {places}); "
            "a row would keep only one of its cells: keep one column of this name"
        )
        problems.append(Problem(str(source), "row 1", name, message))
    return problems
