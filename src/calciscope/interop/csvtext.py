"""Read CSV input strictly: a quote left open is a problem, never a silently merged cell.

Python's :mod:`csv` (unless ``strict``) and pyarrow's CSV reader both end a quoted cell that
is never closed at the end of the file: every row after the stray ``"`` becomes text inside
one cell of one row, and the rows are gone without a word (a hand-edited ``facts.csv`` or
REDCap export with ``"unterminated`` imported one fact where there were many; fixes22).
The native and REDCap readers therefore parse with ``strict=True``, and the native reader,
which parses ``facts.csv`` with pyarrow, first checks :func:`quotes_balanced`. Not caught:
two stray quotes in different rows, which pair up with each other (the rows between them
become one cell's text; review 24).
"""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["csv_error_text", "quotes_balanced"]

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
