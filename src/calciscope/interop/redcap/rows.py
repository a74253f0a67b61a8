"""Read the rows of a REDCap records file: a CSV export (raw or label) or an API JSON export.

Each row comes with its number as a spreadsheet shows it; a file that cannot be read as rows
is a :class:`~calciscope.errors.ValidationError` naming the file, row or line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import csv_error_text, repeated_columns
from calciscope.interop.jsontext import decode_utf8, load_json


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
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
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            # rows are counted as a spreadsheet shows them: a blank line is a row (DictReader
            # would skip it and name every later row one too early); a cell holding line
            # breaks is one row
            reader = csv.reader(handle, strict=True)
            header: list[str] | None = None
            for number, cells in enumerate(_csv_rows(reader, path), start=1):
                if not cells:
                    continue
                if header is None:
                    header = cells
                    if repeated := repeated_columns(path, header):
                        raise ValidationError(repeated)
                    continue
                if len(cells) > len(header):
                    message = "more cells than header columns"
                    raise ValidationError([Problem(str(path), f"row {number}", "(row)", message)])
                yield (
                    number,
                    dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True)),
                )
    except UnicodeDecodeError:
        decode_utf8(path.read_bytes(), str(path))  # raises, naming the line of the bad byte
        raise


def _csv_rows(reader: Any, path: Path) -> Iterator[list[str]]:
    """Yield the rows of ``reader``; a row the CSV parser refuses is a problem naming its line.

    A cell over the parser's limit (131,072 characters: a document pasted in, or a quote left
    open that swallows the rest of the file) said only ``field larger than field limit``.
    """
    begun = 1  # the line the row being read starts on
    try:
        for row in reader:
            yield row
            begun = reader.line_num + 1
    except csv.Error as exc:
        message = csv_error_text(exc)
        if "field larger than field limit" in str(exc):
            message += f" (a cell over {csv.field_size_limit():,} characters, or a quote left open)"
        raise ValidationError([Problem(str(path), f"line {begun}", "", message)]) from None
