"""The text of a FHIR attachment: its ``contentType`` (media type and ``charset``) and HTML.

FHIR R4 ``Attachment.contentType`` is a MIME type with optional parameters
(``text/plain; charset=ISO-8859-1``; <https://hl7.org/fhir/R4/datatypes.html#Attachment>).
Report systems send radiology reports as HTML or XHTML (US Core's chest X-ray report example is
``application/xhtml``); the words of such a report are its text, the markup is not.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

__all__ = ["MARKUP_TYPES", "attachment_text", "format_rank", "markup_to_text"]

#: Media types whose content is HTML or XHTML markup around the text of the document.
MARKUP_TYPES = frozenset({"text/html", "application/xhtml", "application/xhtml+xml"})
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
_HIDDEN = frozenset({"head", "script", "style", "title"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def markup_to_text(markup: str) -> str:
    """Return the text of an HTML or XHTML document, one line per block element.

    The head (title, scripts, styles) is left out; runs of spaces become one space and empty
    lines are dropped, so the text reads as the report was displayed.
    """
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = (
        re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n")
    )
    return "\n".join(line for line in lines if line)


def _media_type(content_type: str) -> tuple[str, str]:
    kind, _, params = content_type.partition(";")
    charset = "utf-8"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return kind.strip().lower(), charset


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
    type names (UTF-8 when it names none). Bytes that are not in that charset, or a charset
    Python does not know, give None: no text is guessed.
    """
    kind, charset = _media_type(content_type)
    if not (kind.startswith("text/") or kind in MARKUP_TYPES):
        return None
    try:
        text = data.decode(codecs.lookup(charset).name)
    except (LookupError, UnicodeDecodeError):
        return None
    if kind in MARKUP_TYPES:
        text = markup_to_text(text)
    return text if text.strip() else None
