"""An addendum or correction that withdraws an earlier calcinosis finding (notesacc23).

A radiologist's addendum revises the report above it: "IMPRESSION: Calcinosis of the left thumb
tip. ADDENDUM: on review the density lies in the dressing, not in the soft tissue. There is no
calcinosis." Read sentence by sentence, the report holds one affirmed and one negated
calcinosis, and the affirmed one wins at document level; the addendum is the radiologist's last
word and withdraws it. Which sections revise what comes before them is rule data: a section
rule with ``metadata.supersedes`` (``rules/sections.yaml``: "Addendum:", "Correction:",
"Amended report:", ...).

A calcinosis that such a section negates (not hypothetical, not a relative's, not historical)
withdraws the affirmed, current calcinosis said before the section only when the section
retracts it (notesfix23): it says the earlier reading was wrong ("on review", "should read",
"disregard", "was actually", a correction's header, what the density really is: the words are
``targets.yaml`` ``addendum_words``, variant retraction). A negation limited to other or new
deposits or another film ("no other / further / new calcinosis", "none elsewhere", "no
calcinosis on the previous film"; variant qualifier) presupposes the earlier finding and
withdraws nothing, nor does a negation in a section that also affirms calcinosis ("Calcinosis
confirmed; no calcinosis at the right thumb"). When the negation names body regions ("There is
no calcinosis at the left elbow"), only those regions are withdrawn, side by side (a right
thumb is not the left thumb, nor a thumb of no side; a negation without a side, or of both
sides, takes either; a finding left with none of its regions is withdrawn); a negation that names a site outside the
region vocabulary ("no calcinosis of the spine") withdraws nothing; one that names no site
withdraws every earlier finding. A withdrawn finding is negated (``links.status_from =
"addendum"``). An addendum that confirms or adds a finding negates nothing and withdraws
nothing; a history of calcinosis ("excised in 2019") is never withdrawn.

A superseding section's sentence whose subject is the finding and that says where it is moves
or adds the earlier finding's sites (probes36, :func:`relocate_superseded`): "Addendum: the
deposit is at the left elbow, not the right knee" drops the right knee from the earlier
calcinosis and gives it the left elbow; "a further deposit is at the left elbow" adds the
elbow. A sentence about another finding ("the ulcer is at the left index finger, not the
thumb") moves nothing.

A superseding section that names no calcinosis but says what was seen is something else (a
``not_calcinosis`` finding, not negated: "Addendum: biopsy shows urate crystals; tophaceous
gout") explains the earlier bare calcifications (a calcification, not a calcinosis: "a mass
containing calcifications"), which then count toward nothing, as a next sentence that says
what a calcification is does (:mod:`~calciscope.extract.restate.explained`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _calcinosis
from calciscope.extract.rules import load_word_list
from calciscope.extract.segment import Section

_WORDS = load_word_list("addendum_words")
#: The section says the earlier reading was wrong.
_RETRACTION = _WORDS.pattern("retraction")
#: The negation is limited to other or new deposits, or another film.
_QUALIFIER = _WORDS.pattern("qualifier")
#: The earlier reading named again in the retracting section ("previously reported as").
_REREAD = _WORDS.pattern("reread")
#: The restatement's own sentence confirms the earlier reading ("... is confirmed", "unchanged").
_CONFIRMING = _WORDS.pattern("confirming")
#: "no calcinosis of / at / in ..." then a word: a site, unless a no_site word.
_SITE_AFTER = re.compile(
    r"[ \t]+(?:(?:is|are|was|were)[ \t]+)?(?:(?:seen|present|identified|noted|shown|visible|"
    r"demonstrated)[ \t]+)?(?:of|at|in|on|over|around|about|within|along|near|involving|"
    r"affecting)[ \t]+(?:(?:the|both|either|her|his|their|any)[ \t]+)?+(?!(?:"
    + _WORDS.alternation("no_site")
    + r")(?![a-z]))[a-z]",
    re.I,
)


#: "the deposit is at", "a further deposit lies in": the finding as the subject, then where.
_RELOCATED = re.compile(
    r"(?<![a-z])(?:(?:the|this|that|a|an|one|further|another|second|additional|new)[ \t]+){0,2}"
    r"(?:(?:[a-z-]+[ \t]+)?(?:"
    + _WORDS.alternation("relocated")
    + r")|(?:"
    + _WORDS.alternation("calcific")
    + r")[ \t]+(?:"
    + _WORDS.alternation("relocated_generic")
    + r"))[ \t]+(?:(?:is|are|was|were)[ \t]+(?:(?:actually|in[ \t]+fact|instead|also)[ \t]+)?"
    r"(?:(?:located|situated|seen|present)[ \t]+)?|(?:lies|lie|sits|sit)[ \t]+)"
    r"(?:at|in|on|over|within|around|near|along)(?![a-z])",
    re.I,
)
#: "There is no calcinosis at the elbow": a negation, withdrawn as above, not moved.
_NEGATION = re.compile(r"(?<![a-z])(?:no|not|nor|neither|without|never)(?![a-z])", re.I)
#: "..., not the right knee", "not at the elbow": the site after it is withdrawn.
_NOT_BEFORE = re.compile(
    r"(?<![a-z])not[ \t]+(?:(?:at|in|on|over|of|around|near)[ \t]+)?"
    r"(?:(?:the|her|his|both)[ \t]+)?(?:(?:left|right|l|r|lt|rt)[ \t]+)?$",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+")
#: a sentence's parts, cut at ";" (fix41: "the lesion is at the left elbow; it is an ulcer")
_PART = re.compile(r"[^;]+")
#: the sentence says the thing it places is something else (fix41): nothing is moved.
_OTHER_KIND = re.compile(r"(?<![a-z])(?:" + _WORDS.alternation("other_kind") + r")(?![a-z])", re.I)
_SIDE_BEFORE = re.compile(r"(?<![a-z])(left|right|lt|rt|l|r)[ \t]+(?:[a-z-]+[ \t]+)?$", re.I)
_SIDES = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right", "rt": "right"}


def _side(text: str, region: Mention) -> str | None:
    own = region.metadata.get("laterality")
    if own is not None:
        return str(own)
    word = _SIDE_BEFORE.search(text, max(0, region.start - 20), region.start)
    return _SIDES[word.group(1).lower()] if word else None


def relocate_superseded(
    sentences: Sequence[Sequence[Mention]],
    superseding: Collection[str],
    text: str,
    sections: Sequence[Section],
    find: Callable[..., list[Mention]],
) -> None:
    """Move or add the earlier calcinosis's sites as a superseding section says (probes36).

    In each sentence of a superseding section whose subject is the finding and that says where
    it is (``addendum_words`` relocated: "the deposit is at ..."; a lesion, nodule, ... only
    called calcific; each part cut at ";", and no sentence that says it is something else,
    ``other_kind``: fix41), the sites after "not" are
    withdrawn from the earlier affirmed, current calcinosis findings (side by side), and the
    other sites go to those that lost one; with none withdrawn, to the last of them.
    """
    anchors = [
        m
        for sentence in sentences
        for m in sentence
        if m.category in _ANCHORS and not m.links.get("label") and _calcinosis(m)
    ]
    for span in sections:
        if span.category not in superseding:
            continue
        earlier = [
            m
            for m in anchors
            if m.start < span.start
            and not (m.is_negated or m.is_uncertain)
            and _current(m)
            and m.section not in superseding
        ]
        for whole in _SENTENCE.finditer(text, span.start, span.end) if earlier else ():
            if _OTHER_KIND.search(text, *whole.span()):
                continue
            for part in _PART.finditer(text, *whole.span()):
                said = _RELOCATED.search(text, *part.span())
                if said is not None and not _NEGATION.search(text, part.start(), said.start()):
                    _relocate(earlier, text, part.start(), said.start(), part.end(), find)


def _relocate(
    earlier: Sequence[Mention],
    text: str,
    a: int,
    start: int,
    b: int,
    find: Callable[..., list[Mention]],
) -> None:
    """Withdraw the sites after "not" in ``text[start:b]`` and give the others (see above)."""
    denied: list[dict[str, Any]] = []
    named: list[dict[str, Any]] = []
    for region in find(start, b, ("site",)):
        if region.category != Category.BODY_REGION:
            continue
        entry = {"region": region.metadata.get("region"), "laterality": _side(text, region)}
        not_before = _NOT_BEFORE.search(text, max(a, region.start - 30), region.start)
        (denied if not_before else named).append(entry)
    moved = []
    for finding in earlier:
        own = finding.links.get("regions", [])
        kept = [r for r in own if not _same_site(r, denied)] if denied else own
        if len(kept) < len(own):
            finding.links["regions"] = kept
            moved.append(finding)
    for finding in moved or ([] if denied else earlier[-1:]):
        regions = finding.links.setdefault("regions", [])
        regions.extend(e for e in named if e not in regions)


def _current(mention: Mention) -> bool:
    return not (mention.is_hypothetical or mention.is_family or mention.is_historical)


def withdraw_superseded(
    sentences: Sequence[Sequence[Mention]],
    superseding: Collection[str],
    text: str,
    sections: Sequence[Section],
) -> None:
    """Let a superseding section withdraw or explain the earlier findings (in place).

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked, in document order.
    superseding
        The categories of the sections that revise what comes before them.
    text
        The document.
    sections
        The document's sections, in order.
    """
    anchors = [
        m
        for sentence in sentences
        for m in sentence
        if m.category in _ANCHORS and not m.links.get("label") and _calcinosis(m)
    ]
    named = {m.section for m in anchors if m.section in superseding}
    explaining = [
        m
        for sentence in sentences
        for m in sentence
        if m.section in superseding
        and m.section not in named
        and m.metadata.get("not_calcinosis")
        and not (m.is_negated or m.is_uncertain)
        and _current(m)
    ]
    if explaining:
        _explain(anchors, explaining[0].start, named)
    for negation in anchors:
        if (
            negation.section in superseding
            and negation.is_negated
            and not negation.is_uncertain
            and _current(negation)
        ):
            span = next((s for s in sections if s.start <= negation.start < s.end), None)
            if span is not None and _retracts(anchors, negation, span, text):
                _withdraw(anchors, negation)
                _withdraw_reread(anchors, negation, span, text)


def _retracts(anchors: Sequence[Mention], negation: Mention, span: Section, text: str) -> bool:
    """Whether the section ``span`` retracts the earlier finding that ``negation`` denies."""
    if _RETRACTION.search(text, span.start, span.end) is None:
        return False  # an addendum that only adds a negative finding withdraws nothing
    start, end = negation.sentence
    clause = text.find(";", negation.end, end)
    if _QUALIFIER.search(text, start, end if clause < 0 else clause) is not None:
        return False  # "no other / further / new calcinosis": the earlier one stands
    if any(  # the same section affirms calcinosis: it confirms, and negates another site
        span.start <= m.start < span.end and not (m.is_negated or m.is_uncertain) and _current(m)
        for m in anchors
    ):
        return False
    # a site outside the region vocabulary ("no calcinosis of the spine") is not "everywhere"
    return bool(negation.links.get("regions")) or _SITE_AFTER.match(text, negation.end) is None


def _same_site(earlier: dict[str, str], denied: Collection[dict[str, str]]) -> bool:
    """Whether a region of an earlier finding is one that the negation denies, side by side."""
    side = earlier.get("laterality")
    return any(
        r["region"] == earlier["region"] and r.get("laterality") in (None, "bilateral", side)
        for r in denied
    )


def _explain(anchors: Sequence[Mention], first: int, named: Collection[str | None]) -> None:
    """Let the bare calcifications before ``first`` count toward nothing."""
    for earlier in anchors:
        if (
            earlier.start < first
            and earlier.category == Category.CALCIFICATION
            and not earlier.is_negated
            and _current(earlier)
            and earlier.section not in named
        ):
            earlier.links.update(explained=True, counts_as=None)
            earlier.links.pop("also_counts_as", None)


def _withdraw(anchors: Sequence[Mention], negation: Mention) -> None:
    """Negate the earlier affirmed findings (or drop their regions) that ``negation`` denies."""
    regions = negation.links.get("regions", [])
    for earlier in anchors:
        if earlier.start >= negation.start or earlier.section == negation.section:
            continue
        if earlier.is_negated or earlier.is_uncertain or not _current(earlier):
            continue
        own = earlier.links.get("regions", [])
        if regions:
            kept = [r for r in own if not _same_site(r, regions)]
            if len(kept) == len(own):
                continue  # another site: the addendum leaves it standing
            if kept:
                earlier.links["regions"] = kept
                continue
        earlier.is_negated = True
        earlier.links["status_from"] = "addendum"


def _withdraw_reread(
    anchors: Sequence[Mention], negation: Mention, span: Section, text: str
) -> None:
    """Negate the retracting section's restatement of the earlier reading (notesacc35).

    "ADDENDUM: The density previously reported as calcinosis of the left heel is a plantar
    spur. No soft-tissue calcinosis is present." The first sentence's calcinosis, historical
    by "previously", is the withdrawn reading named again, not a past deposit. Not when the
    restatement's own sentence confirms it ("... previously reported as calcinosis is
    confirmed"), nor when the negation names another site than the restatement (fix37).
    """
    regions = negation.links.get("regions", [])
    for m in anchors:
        if not (span.start <= m.start < negation.start) or m.is_negated or m.is_uncertain:
            continue
        if m.is_hypothetical or m.is_family:
            continue
        if _CONFIRMING.search(text, m.sentence[0], m.sentence[1]) is not None:
            continue
        own = m.links.get("regions", [])
        if regions and own and not any(_same_site(r, regions) for r in own):
            continue
        found = _REREAD.search(text, m.sentence[0], m.start)
        if found is not None and not text[found.end() : m.start].strip(" \t,;:(").count("."):
            m.is_negated = True
            m.links["status_from"] = "addendum"
