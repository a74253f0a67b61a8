"""Open input text files as UTF-8, and say plainly when a file is not UTF-8.

calciscope reads UTF-8 (a leading byte order mark skipped) and never guesses an encoding:
a guess turns ``é`` into something else without a word. A file in another encoding is a
:class:`~calciscope.errors.ValidationError` naming the file, the line and byte where it stops
being UTF-8, what it looks like (UTF-16 or UTF-32 as Excel's "Unicode Text" and PowerShell
write them, or a Latin-1 / Windows-1252 byte) and how to convert it. Before (hardening23) a
UTF-16 file gave Python's own codec message (``'utf-8' codec can't decode byte 0xff in
position 0: invalid start byte``) or, without a byte order mark, NUL characters in every cell.
Every importer and reader of text comes through :func:`open_text` or :func:`not_utf8_text`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from calciscope.errors import Problem, ValidationError

__all__ = ["check_utf8_bytes", "not_utf8_problem", "not_utf8_text", "open_text"]

#: Byte order marks of the encodings a spreadsheet or editor writes instead of UTF-8 (the
#: UTF-32 ones first: UTF-32-LE's begins with UTF-16-LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SNIFF = 4096


def _wide_encoding(head: bytes) -> str | None:
    """Return "UTF-16" (a byte order mark), "UTF-16LE" (none) etc., or None for neither.

    The name is the one ``iconv -f`` takes (with a byte order mark, iconv reads it).
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:  # no text file holds NUL; UTF-16 without a byte order mark does
        even = head[0::2].count(0) > head[1::2].count(0)
        return "UTF-16BE" if even else "UTF-16LE"
    return None


def _convert(name: str, source: str) -> str:
    path = Path(source)
    return f"iconv -f {name} -t UTF-8 '{path.name}' > '{path.stem}-utf8{path.suffix}'"


def not_utf8_text(head: bytes, bad: bytes, position: int, source: str) -> str:
    """Say why a file is not UTF-8 and how to convert it.

    ``head`` is the file's first bytes, ``bad`` the first byte that is not UTF-8 and
    ``position`` its offset in the file (0 based).
    """
    wide = _wide_encoding(head)
    if wide is not None:
        return (
            f"the file is {wide[:6]} text, not UTF-8 (calciscope reads UTF-8): save it as "
            "UTF-8 (Excel: 'CSV UTF-8'; LibreOffice: character set 'Unicode (UTF-8)') or "
            f"convert it: {_convert(wide, source)}"
        )
    return (
        f"byte 0x{bad.hex()} is not UTF-8 (byte {position + 1:,} of the file; the file may be "
        "Latin-1 or Windows-1252: save it as UTF-8, or convert it: "
        f"{_convert('WINDOWS-1252', source)})"
    )


def not_utf8_problem(path: Path, source: str | None = None) -> Problem:
    """Return the problem of a file that is not UTF-8: its line, byte and how to convert it.

    Read a line at a time in bytes (a UTF-8 character never holds a newline byte, so each
    line decodes on its own).
    """
    source = source or str(path)
    with Path(path).open("rb") as handle:
        head = handle.read(_SNIFF)
        if _wide_encoding(head) is not None:
            return Problem(source, "line 1", "(file)", not_utf8_text(head, head[:1], 0, source))
        handle.seek(0)
        offset = 0
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                bad = line[exc.start : exc.start + 1]
                where = offset + exc.start
                return Problem(
                    source, f"line {number}", "(file)", not_utf8_text(head, bad, where, source)
                )
            offset += len(line)
    return Problem(source, "file", "(file)", "cannot read the file as UTF-8 text")


def check_utf8_bytes(raw: bytes, source: str) -> str:
    """Return ``raw`` as text (a leading byte order mark dropped), or raise the problem."""
    head = raw[:_SNIFF]
    if _wide_encoding(head) is not None:
        message = not_utf8_text(head, head[:1], 0, source)
        raise ValidationError([Problem(source, "line 1", "(file)", message)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = not_utf8_text(head, raw[exc.start : exc.start + 1], exc.start, source)
        raise ValidationError([Problem(source, f"line {line}", "(file)", message)]) from None


@contextmanager
def open_text(path: Path | str, source: str | None = None) -> Iterator[TextIO]:
    """Open ``path`` for reading as UTF-8 text (``newline=""``, as :mod:`csv` wants it).

    A file that is UTF-16 or UTF-32 (a byte order mark, or NUL bytes) is refused before it is
    read; a byte that is not UTF-8 anywhere in it, while the block reads, is a
    :class:`ValidationError` naming the file, its line and byte (:func:`not_utf8_problem`).
    """
    path = Path(path)
    with path.open("rb") as raw:
        head = raw.read(_SNIFF)
    if _wide_encoding(head) is not None:
        raise ValidationError([not_utf8_problem(path, source)])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield handle
    except UnicodeDecodeError:
        raise ValidationError([not_utf8_problem(path, source)]) from None
