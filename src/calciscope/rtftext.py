r"""Plain text of a simple RTF document (a clinic letter saved as Rich Text), in pure Python.

Rich Text Format 1.9.1 (Microsoft, 2008): groups in braces, control words (``\par``,
``\b0``, ``\u8212``), control symbols (``\'e9``, ``\~``, ``\{``) and text. A note's words are
the text of the document body: the destinations that hold no body text (font, colour and style
tables, document information, pictures, objects, headers and footers, field instructions, list
tables and every ``{\* ...}`` group) are left out, paragraphs and line breaks become new lines,
a tab a tab, a table cell a tab and a row a new line. ``\'hh`` is a byte of the document's code
page (``\ansicpgN``, Windows-1252 by default; ``\mac``, ``\pc``, ``\pca``), ``\uN`` a Unicode
character (a negative N counts from 65536) followed by ``\ucN`` fallback characters, which are
skipped. Punctuation words (``\emdash``, ``\lquote``, ``\bullet``, ...) give their character.

What it cannot read it refuses (:class:`RtfError`, saying what and where): a text that does not
begin with ``{\rtf``, braces that do not balance, binary data (``\bin``), an ``\'`` without two
hex digits, a code page Python does not know.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["RtfError", "is_rtf", "rtf_to_text"]


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


def rtf_to_text(text: str) -> str:
    """Return the plain text of an RTF document (see the module); raise RtfError if unreadable.

    ``text`` is the document as characters: RTF is 7-bit, and any character above 127 (a byte
    read as Latin-1) is taken as a byte of the document's code page.
    """
    start = len(text) - len(text.lstrip())
    if not text.startswith("{\\rtf", start):
        raise RtfError("not an RTF document: it does not begin with {\\rtf")
    reader = _Reader()
    position = start
    for match in _TOKEN.finditer(text, start):
        if match.start() != position:
            break
        position = match.end()
        reader.token(match)
    if position != len(text):
        raise RtfError(f"cannot read the RTF at character {position}")
    return reader.text()


class _Reader:
    """The state of one document: the text so far, the group stack, the code page."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.pending = bytearray()  # \'hh bytes waiting to be decoded in the code page
        self.codec = "cp1252"
        self.stack: list[tuple[bool, int]] = []  # per open group: (skipped, \uc count)
        self.skipped = False
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
            self.stack.append((self.skipped, self.fallback))
            self.group_start = True
            return
        if not self.stack:
            raise RtfError(f"a closing brace without its opening one at character {at}")
        self.flush()
        self.skipped, self.fallback = self.stack.pop()

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
            number = int(parameter)
            self.emit(chr(number + 65536 if number < 0 else number))
            self.to_skip = self.fallback
        elif word in _CHARACTERS:
            self.emit(_CHARACTERS[word])

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
        if any(ord(c) > 127 for c in plain):
            plain = plain.encode("latin-1", errors="replace").decode(self.codec, "replace")
        if plain:
            self.emit(plain)

    def emit(self, text: str) -> None:
        if not self.skipped:
            self.flush()
            self.out.append(text)

    def flush(self) -> None:
        if self.pending:
            self.out.append(self.pending.decode(self.codec, errors="replace"))
            self.pending.clear()

    def text(self) -> str:
        if self.stack:
            raise RtfError(f"{len(self.stack)} group(s) not closed at the end of the document")
        self.flush()
        lines = [line.strip(" ") for line in "".join(self.out).split("\n")]
        return "\n".join(lines).strip("\n")


def _codec(name: str, at: int) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise RtfError(f"code page {name} (\\ansicpg) is not known, at character {at}") from None
