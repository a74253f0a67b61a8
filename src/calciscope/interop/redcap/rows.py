"""Read the rows of a REDCap records file: a CSV export (raw or label) or an API JSON export.

Each row comes with its number as a spreadsheet shows it; a file that cannot be read as rows
is a :class:`~calciscope.errors.ValidationError` naming the file, row or line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import strict_rows
from calciscope.interop.jsontext import load_json
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.textfile import open_text

#: Field types whose values may hold line breaks (a notes box; a text field with no
#: validation, through an API import); any other column holds none.
_FREE_TEXT = frozenset({"notes", "text", "descriptive", "file"})


def single_line_columns(dictionary: Sequence[DictionaryField]) -> Callable[[str], bool]:
    """Return whether a raw export's column holds no line breaks, by the data dictionary.

    The record id (the first field), validated text fields, choices, checkboxes
    (``name___code``), ``<form>_complete`` and the ``redcap_*`` columns hold none; a line break
    in one is two stray quotes paired over rows (:mod:`calciscope.interop.csvtext`). A label
    export's columns (labels, not names) are not checked.
    """
    names = {f.name for f in dictionary if f.field_type not in _FREE_TEXT or f.validation}
    names |= {f"{f.form}_complete" for f in dictionary} | {f.name for f in dictionary[:1]}
    boxes = {f.name for f in dictionary if f.field_type == "checkbox"}
    return lambda c: c in names or c.startswith("redcap_") or c.split("___")[0] in boxes


def _rows(
    path: Path, single_line: Callable[[str], bool] | None = None, *, key: str = ""
) -> Iterator[tuple[int, dict[str, str]]]:
    if path.suffix.lower() == ".json":
        data = load_json(path)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValidationError(
                [Problem(str(path), "$", "", "a JSON export must be a list of records")]
            )
        yield from (
            (n, {str(k): "" if v is None else str(v) for k, v in r.items()})
            for n, r in enumerate(data, 1)
        )
        return
    with open_text(path) as handle:
        # rows are counted as a spreadsheet shows them: a blank line is a row (DictReader
        # would skip it and name every later row one too early); a cell holding line
        # breaks is one row. Strict: a quote left open, or stray quotes paired over rows in
        # a column of no free text, is a problem naming the rows; a column named twice in
        # the header, one naming the column (csvtext.strict_rows). ``key``, the record id:
        # a line of a notes field that reads as a row of its own is one too (hardening34).
        rows = strict_rows(
            handle, str(path), single_line=single_line or (lambda _c: False), key=key or ()
        )
        header: list[str] | None = None
        for number, (_line, cells) in enumerate(rows, start=1):
            if not cells:
                continue
            if header is None:
                header = cells
                continue
            if len(cells) > len(header):
                message = "more cells than header columns"
                raise ValidationError([Problem(str(path), f"row {number}", "(row)", message)])
            yield (
                number,
                dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True)),
            )
