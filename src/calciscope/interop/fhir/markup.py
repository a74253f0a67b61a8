"""The text of a FHIR attachment: its ``contentType`` (media type and ``charset``) and HTML.

FHIR R4 ``Attachment.contentType`` is a MIME type with optional parameters
(``text/plain; charset=ISO-8859-1``; <https://hl7.org/fhir/R4/datatypes.html#Attachment>).
Report systems send radiology reports as HTML or XHTML (US Core's chest X-ray report example is
``application/xhtml``); the words of such a report are its text, the markup is not.
"""

from __future__ import annotations

import codecs
import html
import re

from calciscope.model.spaces import NO_BREAK_SPACES
from calciscope.rtftext import RtfError, is_rtf, rtf_bytes_to_text

__all__ = [
    "MARKUP_LIMIT",
    "MARKUP_TYPES",
    "RTF_TYPES",
    "MarkupTooLong",
    "NotReadAsText",
    "attachment_text",
    "format_rank",
    "markup_to_text",
]

#: Media types whose content is HTML or XHTML markup around the text of the document.
MARKUP_TYPES = frozenset({"text/html", "application/xhtml", "application/xhtml+xml"})
#: Rich Text Format (RFC 2045 registrations ``text/rtf``, ``application/rtf``): read to plain
#: text by :mod:`calciscope.rtftext` (hardening36); what it cannot read is not read, and said so.
#: Before hardening35 ``text/rtf`` was stored raw, control words and all, as a note.
RTF_TYPES = frozenset({"text/rtf", "application/rtf"})
#: Spaces HTML writes that mean a space to a reader (``&nbsp;``, U+202F narrow and U+2007
#: figure no-break space): one character each, read as " " so the words around them are words
#: and a note's offsets stay those of its text (hardening35).
#: One table with the note-identity check on import (:mod:`calciscope.model.spaces`, fix38).
_NO_BREAK = NO_BREAK_SPACES
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
#: Elements whose content is no text, up to their end tag (or the end of the document).
_RAW = frozenset({"script", "style"})
#: The most characters of markup read (fix35): a longer HTML or XHTML attachment is skipped,
#: its reason said, not read.
MARKUP_LIMIT = 5_000_000
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NAME = re.compile(r"[A-Za-z][^\s/>]*")


def _tag(markup: str, j: int) -> tuple[str, int] | None:
    """Read the markup at its ``<`` at ``j``: (the tag's name, where the text goes on).

    The name is lower case; ``/p`` for an end tag, "" for a comment, doctype, ``<![`` or
    ``<?``, ``<`` for a ``<`` that opens no tag (text). None: left open to the end.
    """
    if markup.startswith("<!--", j):
        k = markup.find("-->", j + 4)
        return None if k < 0 else ("", k + 3)
    closing = markup.startswith("</", j)
    name = _NAME.match(markup, j + 2 if closing else j + 1)
    if not name and markup[j + 1 : j + 2] not in ("!", "?"):
        return "<", j + 1
    k = markup.find(">", j + 1)
    if k < 0:
        return None
    written = name.group().lower() if name else ""
    return ("/" + written if closing and written else written), k + 1


class NotReadAsText(ValueError):
    """An attachment that holds a document's text but is not read: why, in words."""


class MarkupTooLong(NotReadAsText):
    """An HTML or XHTML attachment over :data:`MARKUP_LIMIT` characters: not read."""


def markup_to_text(markup: str) -> str:
    """Return the text of an HTML or XHTML document, one line per block element.

    Scripts, styles, comments, the doctype and a closed ``<title>`` are left out; runs of
    spaces become one space and empty lines are dropped, so the text reads as the report was
    displayed. One pass over the markup (fix35: ``html.parser`` took the square of the length
    on a tag or comment left open, 95 s for ``'<a ' * 40000``, and raised AssertionError on
    ``<![``): a tag ends at its first ``>``; a ``<`` that opens no tag (``CK <5``) is text; a
    tag or comment left open at the end drops the rest, an unclosed ``<title>`` hides nothing.
    HTML may leave out ``</head>``: the text after it is kept (fix35).
    """
    low = markup.translate(_ASCII_LOWER)  # str.lower may change the length ("İ")
    parts: list[str] = []
    i, size = 0, len(markup)
    title_closes = True  # whether a "</title" may still follow (found once missing, never)
    while i < size:
        j = markup.find("<", i)
        parts.append(html.unescape(markup[i : j if j >= 0 else size]))
        tag = _tag(markup, j) if j >= 0 else None
        if tag is None:  # the end, or a tag or comment left open at the end (dropped)
            break
        name, i = tag
        if name.lstrip("/") in _BLOCKS or name == "<":
            parts.append("<" if name == "<" else "\n")
        elif name in _RAW or (name == "title" and title_closes):
            stop = low.find(f"</{name}", i)
            if stop < 0 and name in _RAW:
                break  # a script or style left open: the rest is no text
            title_closes = title_closes and (stop >= 0 or name != "title")
            i = stop if stop >= 0 else i
    text = "".join(parts).translate(_NO_BREAK)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _media_type(content_type: str) -> tuple[str, str | None]:
    """Return the media type (lower case) and the ``charset`` it names (None: none named)."""
    kind, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return kind.strip().lower(), charset


#: ``<meta charset="...">`` or ``<meta http-equiv="Content-Type" content="...; charset=...">``,
#: looked for in the first 1024 bytes as the HTML standard's encoding prescan does
#: (https://html.spec.whatwg.org/multipage/parsing.html#prescan-a-byte-stream-to-determine-its-encoding).
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


def _markup_charset(data: bytes) -> str | None:
    """Return the charset an HTML document declares in a ``<meta>`` (None: none declared)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    found = _META_CHARSET.search(data[:1024])
    return found.group(1).decode("ascii") if found else None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def format_rank(content_type: str) -> int:
    """Return how well a format gives a document's words: 0 plain text, 1 HTML/XHTML, 2 other.

    FHIR R4 gives one document in several formats as several attachments
    (``DocumentReference.content``: "each with a different format"; ``DiagnosticReport.
    presentedForm``: "semantically equivalent"): Epic sends a note as HTML and RTF. One is
    read, the best of them, not all joined.
    """
    kind, _ = _media_type(content_type)
    return 0 if kind == "text/plain" else 1 if kind in MARKUP_TYPES else 2


def attachment_text(content_type: str, data: bytes) -> str | None:
    """Return the text of attachment bytes of ``content_type``, or None when it holds no text.

    ``text/*`` and HTML/XHTML are text; the bytes are decoded in the ``charset`` the content
    type names, else (HTML/XHTML) as UTF-8 when they are valid UTF-8, else in the one a
    ``<meta>`` of the document declares (fix38), else UTF-8.
    Bytes that are not in that charset, or a charset Python does not know, give None: no text
    is guessed.

    Raises
    ------
    MarkupTooLong
        HTML or XHTML over :data:`MARKUP_LIMIT` characters (fix35), saying so.
    NotReadAsText
        RTF (:data:`RTF_TYPES`, or a ``text/plain`` attachment that is an RTF document) that
        :func:`calciscope.rtftext.rtf_to_text` cannot read, saying why.
    """
    kind, charset = _media_type(content_type)
    if kind in RTF_TYPES or (kind == "text/plain" and is_rtf(data[:64].decode("latin-1"))):
        # RTF is 7-bit text: each byte is one character, \'hh and \uN say the others
        try:
            text = rtf_bytes_to_text(data)
        except RtfError as exc:
            raise NotReadAsText(
                f"its {kind} attachment was not read: an RTF document calciscope cannot read "
                f"({exc}; send it as text/plain or HTML)"
            ) from None
        return text if text.strip() else None
    if not (kind.startswith("text/") or kind in MARKUP_TYPES):
        return None
    if charset is None and kind in MARKUP_TYPES:
        charset = _markup_charset(data)  # a charset declared only in the document's <meta>
        if charset not in (None, "utf-8-sig") and _is_utf8(data):
            # bytes that are valid UTF-8 are UTF-8, whatever a template's <meta> kept saying
            # (fix38: "à" read as "Ã" under <meta charset=windows-1252>)
            charset = "utf-8"
    try:
        text = data.decode(codecs.lookup(charset or "utf-8").name)
    except (LookupError, UnicodeDecodeError):
        return None
    if kind in MARKUP_TYPES:
        if len(text) > MARKUP_LIMIT:
            raise MarkupTooLong(
                f"its {kind} attachment of {len(text):,} characters was not read "
                f"(over the {MARKUP_LIMIT:,} characters of markup read)"
            )
        text = markup_to_text(text)
    return text if text.strip() else None
