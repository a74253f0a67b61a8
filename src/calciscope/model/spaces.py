"""No-break spaces read as spaces: one table for the readers and the note-identity check.

HTML writes ``&nbsp;`` (U+00A0), U+202F narrow and U+2007 figure no-break space where a reader
sees a space. The FHIR markup reader reads them as " " (hardening35); a note stored by an
earlier version holds the no-break character at the same offset. One character each, so a note's
length and every offset into it are the same either way (calciscope's own decision, fix38).
"""

from __future__ import annotations

__all__ = ["NO_BREAK_SPACES", "fold_no_break"]

#: Each no-break space and the space it is read as (same length: offsets unchanged).
NO_BREAK_SPACES = str.maketrans({"\xa0": " ", "\u202f": " ", "\u2007": " "})


def fold_no_break(text: str) -> str:
    """Return ``text`` with each no-break space read as a space (same length)."""
    return text.translate(NO_BREAK_SPACES)
