"""Morphology restated in another section.

An affirmed calcinosis that names sites but no pattern takes the pattern of a sentence later in
the document (or earlier in its own section) that has no finding and no other skin finding of
its own, names a deposit (or plaques, plates or sheets beside a word of calcium or "stony":
"Stony plaques coalesce into a flat shield over both hips", notesacc23) and only sites of that
calcinosis ("Diagnoses: calcinosis, left thumb.
... The deposit at the left thumb tip is now a firm nodular lump."), or of the first sentence
of the next section, within two sentences, when it refers back by its first words ("No
collection. Comment: The focus is rounded: a discrete nodule."). Negated or uncertain pattern
words lend nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.deposits import _DEPOSIT
from calciscope.extract.restate.described_before import _CONCLUDING, _FLAT, _flat_calcium
from calciscope.extract.restate.lending import (
    _ANCHORS,
    _LAYERS,
    _lend,
    _next_sentences,
    hand_of_fingers,
)
from calciscope.extract.rules import load_section_kinds, load_word_list

#: Sections that describe what was found (:func:`_findings_before`): sections.yaml
#: ``found_sections`` (notesfix28: rule data).
_FOUND = load_section_kinds("found_sections")

_REFERS_BACK = re.compile(
    r"\W*(?:[a-z ]{1,20}:\s*)?(?:it|this|these|they|those|the\s+(?:lesions?|deposits?|nodules?|"
    r"focus|foci|densit(?:y|ies)|swellings?|lumps?|masses|mass))\b",
    re.I,
)

# A papule or lobule named by a pattern word: targets.yaml reads one only as a deposit's
# ("calcified papules", "whitish papules", "papules of calcium"; not "a papular rash"): the
# words are targets.yaml ``clause_words`` variant papule (notesfix30: rule data).
_PAPULE = load_word_list("clause_words").pattern("papule")


def _pattern_words(
    anchors: Sequence[Mention], text: str, find: Callable[..., list[Mention]]
) -> list[Mention]:
    """Return the pattern words of the document outside the sentences with a finding."""
    return [
        m
        for m in find(0, len(text), ("morphology",), False)
        if m.metadata.get("morphology") and not any(m.start in range(*a.sentence) for a in anchors)
    ]


def _restated_pattern(
    anchors: Sequence[Mention],
    hits: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
    kinds: Sequence[str | None] = (),
) -> None:
    """Give a calcinosis the pattern of a sentence elsewhere that restates its sites."""
    home = {a.start: _next_sentences(every, a, text) for a in anchors}
    near = set().union(*(h[1] for h in home.values()))
    for a, b, section in every:
        if not any(a <= m.start < b for m in hits):
            continue
        if not find(a, b, ("site",), False) and not (a in near and _REFERS_BACK.match(text, a, b)):
            continue  # names no site and does not refer back: the context pass is not needed
        mentions = find(a, b, _LAYERS, True)
        if any(m.category in _ANCHORS or m.metadata.get("other_finding") for m in mentions):
            continue
        pattern = [
            m
            for m in mentions
            if m.metadata.get("morphology") and not (m.is_negated or m.is_uncertain)
        ]
        sites = {
            m.metadata.get("region")
            for m in mentions
            if m.category == Category.BODY_REGION and not hand_of_fingers(text, m)
        }
        for anchor in anchors:
            named = {r.get("region") for r in anchor.links.get("regions", [])}
            own, near = home[anchor.start]
            later = (
                a >= anchor.sentence[1] or section == own or _findings_before(kinds, section, own)
            )
            restates = (
                sites
                and sites <= named
                and later
                and (
                    _DEPOSIT.search(text, a, b)
                    # a pattern word that is itself the deposit's ("whitish papules", "papules
                    # of calcium": the rule reads a papule only as a deposit's; notesacc30)
                    or any(_PAPULE.search(m.text) for m in pattern)
                    # plaques of calcium or stony plaques (notesacc23; not psoriatic ones)
                    or (_FLAT.search(text, a, b) and _flat_calcium(text, a, b))
                )
            )
            if restates or (not sites and a in near and _REFERS_BACK.match(text, a, b)):
                _lend(anchor, "morphology", pattern, text, mentions)


def _findings_before(kinds: Sequence[str | None], section: int, own: int) -> bool:
    """Return whether a sentence in ``section`` describes what the conclusion ``own`` names.

    A report describes the deposits in its findings and names calcinosis in its impression or
    conclusion ("Findings: ... a cluster of echogenic nodules over the acromion ...
    Conclusion: subcutaneous calcinosis over the left shoulder"; notesacc28): the findings or
    examination before an impression, diagnoses or plan restate its pattern. Not a history or
    indication: the referrer's words ("History: lumps in fingertips") are no description of
    what the images or the examiner found.
    """
    if section >= own or own >= len(kinds):
        return False
    return kinds[own] in _CONCLUDING and kinds[section] in _FOUND
