r"""Plain text of a simple RTF document (a clinic letter saved as Rich Text), in pure Python.

Rich Text Format 1.9.1 (Microsoft, 2008): groups in braces, control words (``\par``,
``\b0``, ``\u8212``), control symbols (``\'e9``, ``\~``, ``\{``) and text. A note's words are
the text of the document body: the destinations that hold no body text (font, colour and style
tables, document information, pictures, objects, headers and footers, field instructions, list
tables and every ``{\* ...}`` group) are left out, paragraphs and line breaks become new lines,
a tab a tab, a table cell a tab and a row a new line. ``\'hh`` is a byte of the document's code
page (``\ansicpgN``, Windows-1252 by default; ``\mac``, ``\pc``, ``\pca``), ``\uN`` a Unicode
character (a negative N counts from 65536) followed by ``\ucN`` fallback characters, which are
skipped; Word writes a character above U+FFFF as two ``\uN`` (a surrogate pair), read as the one
character, and a lone surrogate becomes U+FFFD. Punctuation words (``\emdash``, ``\lquote``,
``\bullet``, ...) give their character. A character above 127 typed in the text itself (the
document handed over as text) is kept as it is (fix42). Text Word marks as deleted (tracked
changes, ``\deleted``) or hidden (``\v``) is left out, up to ``\deleted0``/``\v0``,
``\plain`` or the end of its group (fix42).

What it cannot read it refuses (:class:`RtfError`, saying what and where): a text that does not
begin with ``{\rtf``, braces that do not balance, binary data (``\bin``), an ``\'`` without two
hex digits, a code page Python does not know, a ``\uN`` that is no Unicode character. Nothing
else is raised: any other failure of the reader is reported as an RtfError too.
"""

from __future__ import annotations

import codecs
import re

from calciscope.errors import Problem

__all__ = ["RtfError", "is_rtf", "rtf_bytes_to_text", "rtf_note_text", "rtf_to_text"]


class RtfError(ValueError):
    """An RTF document this reader cannot read (the message says what, and at which character)."""


#: Destinations whose text is not the document's body text.
_SKIPPED = frozenset(
    [
        "fonttbl",
        "colortbl",
        "stylesheet",
        "info",
        "pict",
        "object",
        "header",
        "headerl",
        "headerr",
        "headerf",
        "footer",
        "footerl",
        "footerr",
        "footerf",
        "listtable",
        "listoverridetable",
        "rsidtbl",
        "generator",
        "xmlnstbl",
        "themedata",
        "colorschememapping",
        "latentstyles",
        "datastore",
        "fldinst",
        "filetbl",
        "revtbl",
        "pgdsctbl",
        "mmathPr",
        "bkmkstart",
        "bkmkend",
        "xe",
        "tc",
        "txe",
        "footnote",
        "annotation",
        "atnid",
        "atnauthor",
        "comment",
    ]
)
#: Control words that give a character of the text.
_CHARACTERS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n",
    "page": "\n",
    "row": "\n",
    "tab": "\t",
    "cell": "\t",
    "emdash": "\u2014",
    "endash": "\u2013",
    "emspace": " ",
    "enspace": " ",
    "qmspace": " ",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
}
#: Control symbols (a backslash and one character that is no letter).
_SYMBOLS = {"\\": "\\", "{": "{", "}": "}", "~": " ", "-": "", "_": "-", "\n": "\n", "\r": "\n"}
_CODE_PAGES = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850"}
_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?|\\'(..)|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+", re.S
)
_HEX = re.compile(r"[0-9a-fA-F]{2}")


def is_rtf(text: str) -> bool:
    r"""Whether a text is an RTF document (it begins ``{\rtf``, after white space)."""
    return text.lstrip().startswith("{\\rtf")


def rtf_note_text(text: str, source: str, where: str, column: str) -> str | Problem:
    """Return a note's words: an RTF note's plain text, any other text as it is.

    An RTF document this reader cannot read gives the :class:`~calciscope.errors.Problem` naming
    ``source``, ``where`` (the row or record) and ``column`` (the field), for every reader alike.
    """
    if not is_rtf(text):
        return text
    try:
        return rtf_to_text(text)
    except RtfError as exc:
        return Problem(source, where, column, f"RTF note not read: {exc}")


def rtf_bytes_to_text(data: bytes) -> str:
    """Return the plain text of an RTF document given as bytes (an attachment, a file).

    RTF is 7-bit: a byte above 127 written in the text is a byte of the document's code page.
    """
    return _read(data.decode("latin-1"), raw=True)


def rtf_to_text(text: str) -> str:
    r"""Return the plain text of an RTF document (see the module); raise RtfError if unreadable.

    ``text`` is the document as characters: a character above 127 in its text is kept as it
    is (the document was decoded when it was read); ``\'hh`` bytes are read in its code page.
    """
    return _read(text, raw=False)


def _read(text: str, *, raw: bool) -> str:
    start = len(text) - len(text.lstrip())
    if not text.startswith("{\\rtf", start):
        raise RtfError("not an RTF document: it does not begin with {\\rtf")
    reader = _Reader(raw)
    position = start
    try:
        for match in _TOKEN.finditer(text, start):
            if match.start() != position:
                break
            position = match.end()
            reader.token(match)
        if position != len(text):
            raise RtfError(f"cannot read the RTF at character {position}")
        return reader.text()
    except RtfError:
        raise
    except (ValueError, OverflowError, LookupError, UnicodeError) as error:
        raise RtfError(f"cannot read the RTF at character {position}: {error}") from None


class _Reader:
    """The state of one document: the text so far, the group stack, the code page."""

    def __init__(self, raw: bool) -> None:
        self.raw = raw  # bytes read as Latin-1: a character above 127 is a code page byte
        self.out: list[str] = []
        self.pending = bytearray()  # \'hh bytes waiting to be decoded in the code page
        self.codec = "cp1252"
        # per open group: (skipped, \uc count, hidden)
        self.stack: list[tuple[bool, int, bool]] = []
        self.skipped = False
        self.hidden = False  # \v or \deleted: text Word does not show as the document's
        self.high = 0  # a high surrogate of \uN waiting for its low one
        self.fallback = 1  # characters after \uN that stand in for it (\ucN)
        self.to_skip = 0
        self.group_start = False

    def token(self, match: re.Match[str]) -> None:
        word, parameter, hexa, symbol, brace, plain = match.groups()
        first, self.group_start = self.group_start, False
        if brace is not None:
            self.brace(brace, match.start())
        elif word is not None:
            self.word(word, parameter, first, match.start())
        elif hexa is not None:
            self.byte(hexa, match.start())
        elif symbol is not None:
            self.symbol(symbol, match.start())
        elif plain is not None:
            self.plain(plain)

    def brace(self, brace: str, at: int) -> None:
        self.to_skip = 0
        if brace == "{":
            self.stack.append((self.skipped, self.fallback, self.hidden))
            self.group_start = True
            return
        if not self.stack:
            raise RtfError(f"a closing brace without its opening one at character {at}")
        self.flush()
        self.skipped, self.fallback, self.hidden = self.stack.pop()

    def word(self, word: str, parameter: str | None, first: bool, at: int) -> None:
        if word == "bin":
            raise RtfError(f"binary data (\\bin) at character {at}")
        if first and word in _SKIPPED:
            self.skipped = True
        elif word == "ansicpg" and parameter:
            self.codec = _codec(f"cp{int(parameter)}", at)
        elif word in _CODE_PAGES:
            self.codec = _CODE_PAGES[word]
        elif word == "uc" and parameter:
            self.fallback = int(parameter)
        elif word == "u" and parameter:
            self.unicode(int(parameter), at)
            self.to_skip = self.fallback
        elif word in ("v", "deleted"):
            self.hidden = parameter != "0"
        elif word == "plain":
            self.hidden = False
        elif word in _CHARACTERS:
            self.emit(_CHARACTERS[word])

    def unicode(self, number: int, at: int) -> None:
        code = number + 65536 if number < 0 else number
        if not 0 <= code <= 0x10FFFF:
            raise RtfError(f"\\u{number} is no Unicode character, at character {at}")
        if 0xD800 <= code <= 0xDBFF:  # the first of a surrogate pair: wait for the second
            self.emit("")
            self.high = code
        elif 0xDC00 <= code <= 0xDFFF and self.high:
            pair = 0x10000 + ((self.high - 0xD800) << 10) + (code - 0xDC00)
            self.high = 0
            self.emit(chr(pair))
        elif 0xDC00 <= code <= 0xDFFF:
            self.emit("\ufffd")  # a lone low surrogate
        else:
            self.emit(chr(code))

    def byte(self, hexa: str, at: int) -> None:
        if not _HEX.fullmatch(hexa):
            raise RtfError(f"\\' without two hex digits at character {at}")
        if self.to_skip:
            self.to_skip -= 1
        elif not self.skipped:
            self.pending.append(int(hexa, 16))

    def symbol(self, symbol: str, at: int) -> None:
        if symbol == "'":
            raise RtfError(f"\\' without two hex digits at character {at}")
        if symbol == "*":
            self.skipped = True  # an ignorable destination: {\* ...}
        elif self.to_skip:
            self.to_skip -= 1
        elif symbol in _SYMBOLS:
            self.emit(_SYMBOLS[symbol])

    def plain(self, plain: str) -> None:
        if self.to_skip:
            drop = min(self.to_skip, len(plain))
            plain, self.to_skip = plain[drop:], self.to_skip - drop
        if self.raw and any(ord(c) > 127 for c in plain):
            plain = plain.encode("latin-1").decode(self.codec, "replace")
        if plain:
            self.emit(plain)

    def emit(self, text: str) -> None:
        if self.high:  # a high surrogate not followed by its low one
            self.high = 0
            self.emit("\ufffd")
        if not self.skipped and not self.hidden:
            self.flush()
            self.out.append(text)

    def flush(self) -> None:
        if self.pending:
            self.out.append(self.pending.decode(self.codec, errors="replace"))
            self.pending.clear()

    def text(self) -> str:
        if self.stack:
            raise RtfError(f"{len(self.stack)} group(s) not closed at the end of the document")
        self.emit("")
        self.flush()
        lines = [line.strip(" ") for line in "".join(self.out).split("\n")]
        return "\n".join(lines).strip("\n")


def _codec(name: str, at: int) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise RtfError(f"code page {name} (\\ansicpg) is not known, at character {at}") from None
