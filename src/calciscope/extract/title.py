"""Where a radiology report's examination title is ("XR BOTH HANDS", "EXAM: XR FOREARM, LEFT.").

The title is the document's opening line up to its first colon or sentence end when it names no
calcinosis or calcification itself and is at most :data:`TITLE_LENGTH` characters, and the first
line of each section whose header rule has ``metadata.title``. :meth:`NoteExtractor.title_regions
<calciscope.extract.extractor.NoteExtractor.title_regions>` reads its body regions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.rules import SectionRule
from calciscope.extract.segment import Section, split_sentences

__all__ = ["TITLE_LENGTH", "title_spans"]

#: Longest opening phrase read as a report's examination title (characters).
TITLE_LENGTH = 80


def title_spans(
    text: str,
    sections: Sequence[Section],
    section_rules: Sequence[SectionRule],
    anchors: Sequence[int],
    boundary: re.Pattern[str] | None,
) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each examination title of a report.

    ``anchors`` are where the calcinosis and calcification mentions start (a title naming one
    is none); ``boundary`` the extractor's sentence boundary (``segment.boundary_pattern``).
    """
    spans = []
    for section in sections:
        if section.rule is None:
            if section.start == 0:
                end = _line_end(text, 0, section.end)
                body = split_sentences(text, 0, end, boundary=boundary)
                if body:
                    end = body[0][1]
                    colon = text.find(":", 0, end)
                    spans.append((0, end if colon < 0 else colon))
        elif section_rules[section.rule].metadata.get("title"):
            start = section.header_end or section.start
            spans.append((start, _line_end(text, start, section.end)))
    return [
        (a, b) for a, b in spans if b - a <= TITLE_LENGTH and not any(a <= x < b for x in anchors)
    ]


def _line_end(text: str, start: int, end: int) -> int:
    """Return the end of the first line with text at or after ``start`` (at most ``end``)."""
    first = start
    while first < end and text[first].isspace():
        first += 1
    line = text.find("\n", first, end)
    return end if line < 0 else line
