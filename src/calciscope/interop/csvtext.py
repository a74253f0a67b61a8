"""Read CSV input strictly: a quote left open is a problem, never a silently merged cell.

Python's :mod:`csv` (unless ``strict``) and pyarrow's CSV reader both end a quoted cell that
is never closed at the end of the file: every row after the stray ``"`` becomes text inside
one cell of one row, and the rows are gone without a word (a hand-edited ``facts.csv`` or
REDCap export with ``"unterminated`` imported one fact where there were many; fixes22).
The native reader, which parses ``facts.csv`` with pyarrow, first checks
:func:`quotes_balanced`. Every CSV reader (native, REDCap, readings, image and photo sidecars,
the DICOM id mapping, notes CSV, ``CONCEPT.csv``, the spreadsheet calculator) reads through
:class:`StrictDictReader` or :func:`strict_rows` (hardening23): the parser is strict, a quote
left open is a problem naming the file and row, and two stray quotes in different rows, which
pair up with each other (review 24), are caught where a cell holds a line break in a column
whose format allows none: the problem names the rows the one cell runs over. (A column that
may hold line breaks, a note's text, cannot tell such a pair from a cell written so.)

A column named twice in the header is a problem too (:func:`repeated_columns`): a reader
that maps a row to a dict (``csv.DictReader``) keeps the last cell of the name and drops the
first without a word, so ``sex,...,sex`` imported the second column's value (fixes23).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError

__all__ = [
    "ANY_COLUMN",
    "StrictDictReader",
    "csv_error_text",
    "quote_count",
    "quotes_balanced",
    "repeated_columns",
    "strict_rows",
]

#: ``single_line`` for a file whose every column is free of line breaks.
ANY_COLUMN: Callable[[str], bool] = lambda _column: True  # noqa: E731

_READ_BYTES = 1 << 24


def quotes_balanced(path: Path) -> bool:
    """Return whether ``path`` holds an even number of ``"`` (every quoted cell is closed).

    A quote inside a quoted cell is written twice, so a well-formed CSV file always holds an
    even number; an odd number means a quoted cell runs to the end of the file.
    """
    return quote_count(path) % 2 == 0


def quote_count(path: Path) -> int:
    """Return how many ``"`` ``path`` holds (none: no cell of it is quoted)."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_BYTES):
            count += chunk.count(b'"')
    return count


def csv_error_text(exc: csv.Error) -> str:
    """Say what a strict CSV parser's error means for the person who wrote the file."""
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            "a quoted cell is never closed: its opening '\"' would take every later row into "
            "this one cell (close the quote, or write a '\"' inside a quoted cell twice)"
        )
    return f"cannot read the CSV here: {text}"


def _breaks(cells: list[str]) -> int:
    """Return how many physical lines a row's cells run over, beyond its first."""
    return sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in cells)


def _swallowed(path: str, start: int, end: int, column: str) -> ValidationError:
    message = (
        f"one cell of column {column!r} runs from row {start} to row {end}, but this column "
        f"holds no line breaks: a stray '\"' in row {start} pairs with one in row {end} and "
        "the rows between become text of this cell (remove the stray quotes, or write a '\"' "
        "inside a quoted cell twice)"
    )
    return ValidationError([Problem(path, f"row {start}", column, message)])


def strict_rows(
    handle: Any,
    source: str,
    *,
    single_line: Callable[[str], bool] = ANY_COLUMN,
    header: list[str] | None = None,
    **options: Any,
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row, cells)`` of a CSV text handle, each row numbered as the file's line it starts on.

    Strict: a quote left open is a :class:`ValidationError` naming the row it opens in. A cell
    of a column that ``single_line`` says holds no line breaks but does is one too (two stray
    quotes paired over rows). ``header`` names the columns (else the first row does, as read).
    """
    reader = csv.reader(handle, strict=True, **options)
    names = header
    end = 0
    try:
        for cells in reader:
            end = reader.line_num
            if names is None:
                names = cells or None
            else:
                for i, cell in enumerate(cells):
                    column = names[i] if i < len(names) else f"(cell {i + 1})"
                    if ("\n" in cell or "\r" in cell) and single_line(column):
                        first = end - _breaks(cells)
                        raise _swallowed(source, first, end, column)
            yield end - _breaks(cells), cells
    except csv.Error as exc:
        message = csv_error_text(exc)
        if "field larger than field limit" in str(exc):
            message += f" (a cell over {csv.field_size_limit():,} characters, or a quote left open)"
        problem = Problem(source, f"row {end + 1}", "(file)", message)
        raise ValidationError([problem]) from None


class StrictDictReader:
    """:class:`csv.DictReader`'s rows through :func:`strict_rows`: blank rows skipped.

    ``fieldnames`` as DictReader has them; each row is a dict (missing cells None, extra
    cells under the key None); :attr:`row` is the number of the line the last row starts on.
    """

    def __init__(
        self,
        handle: Any,
        source: str,
        *,
        single_line: Callable[[str], bool] = ANY_COLUMN,
        **options: Any,
    ) -> None:
        self._rows = strict_rows(handle, source, single_line=single_line, **options)
        self.fieldnames: list[str] | None = None
        self.row = 1
        for number, cells in self._rows:  # the header: the first row that is not blank
            self.row = number
            if cells:
                self.fieldnames = cells
                break
        self._names = self.fieldnames or []

    def __iter__(self) -> Iterator[dict[Any, Any]]:
        names = self._names
        for number, cells in self._rows:
            self.row = number
            if not cells:
                continue
            row: dict[Any, Any] = dict(zip(names, cells, strict=False))
            if len(cells) > len(names):
                row[None] = cells[len(names) :]
            for name in names[len(cells) :]:
                row[name] = None
            yield row


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
