"""Sites said again: "at each of these sites", "the same process".

A bare calcification "at each of these sites" takes the sites (and pattern) of the clause
before a semicolon when that clause has no finding, no other skin finding and no negation; a
next sentence that says "the same process" adds its sites. ``THESE_SITES`` is also read by
linking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _LAYERS, _affirmed, _lend

__all__ = ["THESE_SITES"]

#: Bound once: on Python 3.11 ``Category.X`` is a metaclass attribute lookup (slow in a loop).
_BODY_REGION = Category.BODY_REGION
_CALCIFICATION = Category.CALCIFICATION

# "the same process behind both knees", "similar changes at the elbows": the previous finding
# is also at these sites.
_SAME_PROCESS = re.compile(
    r"(?<![a-z])(?:the\s+same|similar|identical)\s+(?:process|processes|changes?|appearances?|"
    r"findings?|abnormality|abnormalities)(?![a-z])",
    re.I,
)
# "calcific deposits at each of these sites", "both areas", "the same sites": a phrase that
# refers back to sites named before (in the clause before a semicolon, or the sentence before).
THESE_SITES = re.compile(
    r"(?<![a-z])(?:each\s+of\s+(?:these|those|the)|all\s+(?:of\s+)?(?:these|those|the)|these|"
    r"those|the\s+same|both)\s+(?:sites?|areas?|locations?|regions?)(?![a-z])",
    re.I,
)


def _same_words(following: str) -> bool:
    """Return whether the text after a finding says "the same process" (substrings first)."""
    low = following.lower()
    return ("same" in low or "similar" in low or "identical" in low) and bool(
        _SAME_PROCESS.search(low)
    )


def _bare(anchor: Mention, text: str) -> bool:
    """Return whether a calcification with no site or tissue refers to sites named before it."""
    return (
        anchor.category == _CALCIFICATION
        and not anchor.links.get("counts_as")
        and not (anchor.links.get("regions") or anchor.links.get("tissue"))
        and not anchor.metadata.get("not_calcinosis")
        and _affirmed(anchor)
        and THESE_SITES.search(text, *anchor.sentence) is not None
    )


def _clause_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a bare calcification the sites (and tissue, pattern) of the clause before ";".

    "Subcutaneous nodules over both elbows and knees; films confirm calcific deposits at each
    of these sites": the calcification is where the nodules are, and counts as calcinosis
    there. A clause with a finding of its own, another skin finding or a negation lends nothing.
    """
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), 0)
        a, b, section = every[i - 1] if i > 0 else (0, 0, -1)
        if section != every[i][2] or text[b - 1 : b] != ";":
            continue
        clause = find(a, b, _LAYERS, True)
        if any(
            m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated
            for m in clause
        ):
            continue
        regions = [m for m in clause if m.category == _BODY_REGION]
        if not regions:
            continue
        _lend(anchor, "regions", regions, text, clause)
        _lend(
            anchor, "morphology", [m for m in clause if m.metadata.get("morphology")], text, clause
        )
        counted = anchor.metadata.get("site_counts_as")
        anchor.links["counts_as"] = str(counted) if counted else None


def _same_process(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Add the sites of a next sentence that says "the same process" is there too."""
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[:2] == anchor.sentence), None)
        if i is None or i + 1 >= len(every) or every[i + 1][2] != every[i][2]:
            continue
        a, b, _section = every[i + 1]
        if not _SAME_PROCESS.search(text, a, b):
            continue
        mentions = find(a, b, _LAYERS, True)
        if any(m.category in _ANCHORS or m.metadata.get("other_finding") for m in mentions):
            continue
        regions = [
            m
            for m in mentions
            if m.category == _BODY_REGION and not (m.is_negated or m.is_uncertain)
        ]
        _lend(anchor, "regions", regions, text, mentions)
