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
whose format allows none: the problem names the rows the one cell runs over. A column that
may hold line breaks (a note's text, a fact's ``value_text``) cannot tell such a pair from a
cell written so by its line breaks alone; where the reader names its key column (``key``: a
note's id, a fact's ``patient_id``) and that column comes before the free text, a line inside
the text that reads as a row of its own (as many cells as the row has up to the text, each
shaped as this row's own, the key's letters as written: ``N2`` beside ``N1``, not ``D2``;
with only the key before the text, a key holding a letter) is refused naming the rows
(hardening24, review 27). A lone ``"`` inside an unquoted cell (``she said "no``) is read as written
(a quote opens a quoted cell only as a cell's first character); a cell that opens with a
``"`` and goes on after its closing one is refused naming the row (the strict parser).

A column named twice in the header is a problem too (:func:`repeated_columns`): a reader
that maps a row to a dict (``csv.DictReader``) keeps the last cell of the name and drops the
first without a word, so ``sex,...,sex`` imported the second column's value (fixes23).
:func:`strict_rows` (and so :class:`StrictDictReader`) makes this check itself when it reads
the header, so every reader refuses such a header the same way (hardening24; each reader
called it beside the parser before).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError

__all__ = [
    "ANY_COLUMN",
    "StrictDictReader",
    "csv_error_text",
    "delimiter_hint",
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


#: What a spreadsheet separates cells with instead of a comma (a semicolon where the decimal
#: separator is a comma, as Excel writes "CSV" in much of Europe; a tab; a bar).
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "bars"}


def delimiter_hint(names: list[str] | None, delimiter: str = ",") -> str:
    """Say what to do when a header is one cell holding another delimiter, else return "".

    ``patient_id;sex;birth_date`` read with commas is one column of that name. Every reader
    that names a header's columns says it so (hardening34: the calciscope directory listed it
    as an unknown column without saying why; the REDCap reader had its own sentence).
    """
    if not names or len(names) != 1:
        return ""
    for other, plural in _OTHER_DELIMITERS.items():
        if other != delimiter and other in names[0]:
            return (
                f"the header is one cell holding {plural}: the file is not comma-separated "
                "(a spreadsheet saved it so); save it as CSV with commas (Excel: "
                "'CSV UTF-8 (Comma delimited)')"
            )
    return ""


def _opened(exc: csv.Error, start: int, stop: int) -> str:
    """Say where the row the parser stopped in began and where it stopped (hardening34).

    A quote left open is named by the row it opens in (``start``), not the file's last line,
    where the parser finds it open (``stop``); a quote that a later stray ``"`` closes is
    named by both rows.
    """
    if "field larger than field limit" in str(exc):
        return (
            f" (a cell over {csv.field_size_limit():,} characters, or a quote left open: "
            f"the cell begins in row {start})"
        )
    if stop <= start:
        return ""
    if "unexpected end of data" in str(exc):
        return f" (the quote opens in row {start}; the file ends at line {stop} with it open)"
    return (
        f" (a quote opened in row {start} runs to line {stop}: a stray '\"' in row {start} "
        f"pairs with one in line {stop})"
    )


def _breaks(cells: list[str]) -> int:
    """Return how many physical lines a row's cells run over, beyond its first."""
    return sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in cells)


def _swallowed(path: str, start: int, end: int, column: str, summary: str) -> ValidationError:
    message = (
        f"one cell of column {column!r} runs from row {start} to row {end}, but this column "
        f"holds no line breaks: a stray '\"' in row {start} pairs with one in row {end} and "
        "the rows between become text of this cell (remove the stray quotes, or write a '\"' "
        "inside a quoted cell twice)"
    )
    return ValidationError([Problem(path, f"row {start}", column, message)], summary=summary)


def _shape(value: str, *, letters: bool = False) -> str:
    """Return the shape of a cell as written: a run of digits as ``9``, of letters as ``a``.

    A cell of digits alone keeps their count (``0042`` is not shaped as ``12``). With
    ``letters`` (the key's cell) letters stay themselves, so ``N2`` is shaped as ``N1`` but not
    as ``D2``, ``T12`` or ``Ro52`` (review 27: a line "D2, D3 tuft calcinosis" of a note whose
    ids are ``N1``, ``N2``). Spaces are kept: a row that stray quotes swallowed was written by
    the file's own writer, with nothing after its delimiters, while a person writes "2, 3, 4"
    (fix35: such lines in a REDCap note refused valid exports).
    """
    if value.isdigit():
        return "9" * len(value)
    value = re.sub(r"[0-9]+", "9", value)
    return value if letters else re.sub(r"[^\W\d_]+", "a", value)


def _alike(pieces: list[str], own: list[str], places: list[int], key_at: int) -> bool:
    """Return whether every cell reads as the row's own at ``places`` (their shapes ``own``).

    Exact shapes, the key written (fix35: hardening34's "one in four may differ" refused valid
    REDCap exports and is gone).
    """
    if not pieces[places.index(key_at)].strip():
        return False
    return all(
        _shape(p, letters=j == key_at) == own[j] for p, j in zip(pieces, places, strict=True)
    )


def _row_inside(cells: list[str], at: int, key_at: int, delimiter: str) -> tuple[int, str] | None:
    """Return (lines after the row's first, line) of a line in ``cells[at]`` that reads as a row.

    Such a line has at least as many cells as the row up to ``at``, every cell before ``at``
    shaped as the row's own as written (:func:`_shape`; the key's, at ``key_at``, with its
    letters as written), the text right after its delimiter, as the file's writer writes a cell
    ("P0012, seen today" is a person's line). With only the key before the text, the key must
    hold a letter: a line of digits and a comma ("2, aspirin 100 mg", a decimal comma) is too
    common in a letter to tell a row by (review 27). With a key that holds a letter, a line that is not the cell's
    last may also read as a whole row: the row's full count of cells, those after the text
    counted from the line's end, every one shaped as the row's, so a key after the text is
    checked too (hardening34). A key of digits alone is checked so only with cells after the
    text, each shaped exactly as the row's (a REDCap notes-only form: the id, the note and
    ``<form>_complete``; hardening35: a stray quote there was never found); a person's "4, 1,
    healed" has spaces after its delimiters and is no row (fix35).
    """
    own = [_shape(c, letters=j == key_at) for j, c in enumerate(cells)]
    lines = re.split(r"\r\n|\r|\n", cells[at])
    lettered = any(c.isalpha() for c in cells[key_at])
    before, after = list(range(at)), list(range(at + 1, len(cells)))
    if not lettered and after and not _own_end_inside(lines[0], own, after, delimiter):
        after = []  # a quoted note of a digit-id row, read as written (fix38)
    for number, line in enumerate(lines[1:], start=1):
        pieces = line.split(delimiter)
        if (
            key_at < at
            and (at > 1 or lettered)
            and len(pieces) > at
            and not pieces[at][:1].isspace()
            and _alike(pieces[:at], own, before, key_at)
        ) or (
            (lettered or bool(after))
            and number < len(lines) - 1
            and len(pieces) >= len(cells)
            and _alike(
                pieces[:at] + pieces[len(pieces) - len(after) :], own, before + after, key_at
            )
        ):
            return _breaks(cells[:at]) + number, line
    return None


def _own_end_inside(first: str, own: list[str], after: list[int], delimiter: str) -> bool:
    """Whether a cell's first line ends with its own row's cells after it, as a stray quote leaves.

    A stray '"' opening a cell takes the rest of its row into the text (``2,"Fingertip ulcer,2``:
    the ``,2`` of ``<form>_complete`` is in the note), and the real end of the row comes after
    the quote that closes it rows later. A correctly quoted note ends its first line with its
    own words: its lines are read as written, even "2,1,0" (fix38, review 38 M3: a valid
    REDCap export of a digit-id notes-only form was refused).
    """
    pieces = first.split(delimiter)
    if len(pieces) <= len(after):
        return False
    tail = pieces[len(pieces) - len(after) :]
    return all(_shape(p, letters=False) == own[j] for p, j in zip(tail, after, strict=True))


def _row_in_text(
    path: str, start: int, end: int, row: tuple[int, str], column: str, summary: str
) -> ValidationError:
    line = row[1] if len(row[1]) <= 60 else row[1][:57] + "..."
    message = (
        f"the text of column {column!r} runs from row {start} to row {end}, and its line "
        f"{line!r} (row {start + row[0]}) reads as a row of its own: a stray '\"' in row "
        f"{start} pairs with one in row {end} and the rows between become text of this cell "
        "(remove the stray quotes, or write a '\"' inside a quoted cell twice)"
    )
    return ValidationError([Problem(path, f"row {start}", column, message)], summary=summary)


def _check_breaks(
    cells: list[str],
    names: list[str],
    where: tuple[str, int, str],
    single_line: Callable[[str], bool],
    key_at: int,
    delimiter: str,
) -> None:
    """Raise for a cell holding line breaks that stray quotes paired over rows made.

    ``where``: the file, the line the row ends on and the error's summary.
    """
    source, end, summary = where
    for i, cell in enumerate(cells):
        if "\n" not in cell and "\r" not in cell:
            continue
        column = names[i] if i < len(names) else f"(cell {i + 1})"
        first = end - _breaks(cells)
        if single_line(column):
            raise _swallowed(source, first, end, column, summary)
        if 0 <= key_at != i and (row := _row_inside(cells, i, key_at, delimiter)):
            raise _row_in_text(source, first, end, row, column, summary)


def strict_rows(
    handle: Any,
    source: str,
    *,
    single_line: Callable[[str], bool] = ANY_COLUMN,
    header: list[str] | None = None,
    summary: str = "invalid input",
    key: str | tuple[str, ...] = (),
    **options: Any,
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row, cells)`` of a CSV text handle, each row numbered as the file's line it starts on.

    Strict: a quote left open is a :class:`ValidationError` naming the row it opens in. A cell
    of a column that ``single_line`` says holds no line breaks but does is one too (two stray
    quotes paired over rows). ``header`` names the columns (else the first row that is not
    blank does, as read); a header naming a column twice is one too, raised before any row
    after it is yielded (:func:`repeated_columns`). ``summary`` heads every such error.
    ``key``: the column that names a row (a note's id; of several, the first of ``key`` the
    header has); a line inside a later column's text that reads as a row of its own (its
    cells up to the text shaped as this row's, :func:`_row_inside`) is one too.
    """
    reader = csv.reader(handle, strict=True, **options)
    names = header
    if names is not None and (repeated := repeated_columns(source, names)):
        raise ValidationError(repeated, summary=summary)
    delimiter = str(options.get("delimiter", ","))
    keys = (key,) if isinstance(key, str) else key

    def key_of(columns: list[str] | None) -> int:  # once per file, not per row
        return next((columns.index(k) for k in keys if k in columns), -1) if columns else -1

    key_at = key_of(names)
    end = 0
    try:
        for cells in reader:
            end = reader.line_num
            if names is None:
                names = cells or None
                if repeated := repeated_columns(source, cells):
                    raise ValidationError(repeated, summary=summary)
                key_at = key_of(names)
            else:
                _check_breaks(cells, names, (source, end, summary), single_line, key_at, delimiter)
            yield end - _breaks(cells), cells
    except csv.Error as exc:
        message = csv_error_text(exc) + _opened(exc, end + 1, reader.line_num)
        problem = Problem(source, f"row {end + 1}", "(file)", message)
        raise ValidationError([problem], summary=summary) from None


class StrictDictReader:
    """:class:`csv.DictReader`'s rows through :func:`strict_rows`: blank rows skipped.

    ``fieldnames`` as DictReader has them; each row is a dict (missing cells None, extra
    cells under the key None); :attr:`row` is the number of the line the last row starts on.
    A header naming a column twice is a :class:`ValidationError` from the constructor.
    """

    def __init__(
        self,
        handle: Any,
        source: str,
        *,
        single_line: Callable[[str], bool] = ANY_COLUMN,
        summary: str = "invalid input",
        key: str | tuple[str, ...] = (),
        **options: Any,
    ) -> None:
        self._rows = strict_rows(
            handle, source, single_line=single_line, summary=summary, key=key, **options
        )
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
