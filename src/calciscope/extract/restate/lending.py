"""How a restating sentence lends its sites and pattern to a finding.

Shared by the modules of :mod:`calciscope.extract.restate`: which mentions are findings, the
sentence of a finding and the next two, the sites a sentence names, and the lending itself
(``links.regions_from`` / ``morphology_from = "restated"``; an imaging title's region gives
way).

``hand_of_fingers`` (also used by linking): in "the fingers of the L hand" the hand says whose
fingers, so it is a site only when nothing else is named.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention

__all__ = ["hand_of_fingers"]

_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_LAYERS = ("site", "morphology", "tissue", "finding")
_WITH_MODALITY = (*_LAYERS, "modality")

# Between a finding's sentence and the next one: at most a section label ("Comment:").
_GAP = re.compile(r"\s*(?:[A-Za-z][A-Za-z /]{0,24}:)?\s*")

# "the tips of the fingers of the L hand", "fingertips of both hands", "the PIP joints of the
# right hand", "two fingers on your left hand" (notesacc20): the hand says whose fingers (or
# finger joints), it is no site of its own.
_FINGERS_OF = re.compile(
    r"(?:fingers?|fingertips?|finger-tips?|digits?|thumbs?|tips|pulps?|tufts?|nails?|"
    r"phalanx|phalanges|(?:pip|dip|ip)j?s?|(?:pip|dip|ip|interphalangeal)\s+joints?)\s+(?:of|on)\s+"
    r"(?:(?:the|both|his|her|each|your|their|my)\s+)?(?:(?:left|right|l|r|lt|rt)\s+)?$"
)


def hand_of_fingers(text: str, region: Mention) -> bool:
    """Return whether a hand region only says whose fingers were named before it."""
    return region.metadata.get("region") == "hand" and bool(
        _FINGERS_OF.search(text[max(0, region.start - 40) : region.start].lower())
    )


def _affirmed(anchor: Mention) -> bool:
    return not (
        anchor.is_negated
        or anchor.is_uncertain
        or anchor.is_hypothetical
        or anchor.is_family
        or anchor.links.get("label")
    )


def _calcinosis(anchor: Mention) -> bool:
    return anchor.category in _ANCHORS and anchor.links.get("counts_as") == "calcinosis"


def _no_sites(anchor: Mention) -> bool:
    """Return whether a finding names no site (an imaging title's region is no site of its own)."""
    return not anchor.links.get("regions") or anchor.links.get("regions_from") == "title"


def _untitled(anchor: Mention) -> None:
    """Drop the imaging title's region before real sites are lent ("XR BOTH HANDS")."""
    if anchor.links.get("regions_from") == "title":
        anchor.links["regions"] = []
        anchor.links.pop("regions_from")


def _sites(mentions: Sequence[Mention], text: str) -> list[Mention]:
    return [
        m
        for m in mentions
        if m.category == Category.BODY_REGION
        and not (m.is_negated or m.is_uncertain)
        and not hand_of_fingers(text, m)
    ]


def _index(
    every: Sequence[tuple[int, int, int]], anchor: Mention, starts: Sequence[int] | None = None
) -> int | None:
    """Return the index of the sentence holding a mention (by bisection with ``starts``)."""
    if starts is None:
        return next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), None)
    k = bisect.bisect_right(starts, anchor.start) - 1
    return k if k >= 0 and anchor.start < every[k][1] else None


def _next_sentences(
    every: Sequence[tuple[int, int, int]], anchor: Mention, text: str, at: int | None = None
) -> tuple[int, set[int]]:
    """Return the section of a finding's sentence and the starts of the next two sentences.

    Section headers ("Comment:") are skipped; they may lie in the next section. ``at``: the
    index of the finding's sentence, when known.
    """
    i = (
        next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), len(every))
        if at is None
        else at
    )
    if i == len(every):
        return -1, set()
    near = []
    for k in range(i + 1, min(i + 5, len(every))):
        a, b, section = every[k]
        if _GAP.fullmatch(text, a, b):
            continue  # a header
        # in another section only its first sentence ("Comment: The focus is a nodule.")
        first = every[k - 1][2] != section or _GAP.fullmatch(text, *every[k - 1][:2])
        if section == every[i][2] or first:
            near.append(a)
        if len(near) == 2 or section != every[i][2]:
            break
    return every[i][2], set(near)


def _lend(
    anchor: Mention, key: str, items: Sequence[Mention], text: str, sentence: Sequence[Mention]
) -> None:
    for item in items:
        if key == "regions":
            side = next(
                (
                    m.metadata.get("laterality")
                    for m in sentence
                    if m.category == Category.LATERALITY and 0 <= item.start - m.end <= 25
                ),
                item.metadata.get("laterality"),
            )
            value: object = {"region": item.metadata.get("region"), "laterality": side}
        else:
            value = item.metadata.get("morphology")
        values = anchor.links.setdefault(key, [])
        if value not in values:
            values.append(value)
        anchor.links.setdefault("spans", []).append([item.start, item.end, item.category])
    if items:
        anchor.links[key + "_from"] = "restated"
