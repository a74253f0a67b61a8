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


def _optional(name: str) -> str:
    """Return the pattern of an optional word of the list ``name`` and its following space."""
    return r"(?:(?:" + _WORDS.alternation(name) + r")[ \t]+)?"


#: The section says the earlier reading was wrong.
_RETRACTION = _WORDS.pattern("retraction")
#: The negation is limited to other or new deposits, or another film.
_QUALIFIER = _WORDS.pattern("qualifier")
#: Where the negated finding's own clause starts: a qualifier before it is the negation's
#: ("on closer inspection, there is no additional focus of calcinosis"), one in an earlier
#: clause is the reason for the retraction (fix43, review 43 H10).
_CLAUSE_START = re.compile(r"[,;:(]|\s[-\u2013\u2014]\s")
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
    r"(?<![a-z])(?:(?:" + _WORDS.alternation("subject_det") + r")[ \t]+){0,2}"
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
#: "the nodule lies at ...": a generic lesion named with "the / this" alone (notesacc37); it is
#: the finding only when the earlier finding's own sentence names the same noun ("A 7 mm
#: calcific nodule lies in the forearm ... ADDENDUM: the nodule lies at the wrist").
_RELOCATED_DEFINITE = re.compile(
    r"(?<![a-z])(?:" + _WORDS.alternation("subject_det") + r")[ \t]+"
    r"(?P<noun>" + _WORDS.alternation("relocated_generic") + r")"
    r"[ \t]+(?:(?:is|are|was|were)[ \t]+(?:(?:actually|in[ \t]+fact|instead|also)[ \t]+)?"
    r"(?:(?:located|situated|seen|present)[ \t]+)?|(?:lies|lie|sits|sit)[ \t]+)"
    r"(?:at|in|on|over|within|around|near|along)(?![a-z])",
    re.I,
)
#: "There is no calcinosis at the elbow": a negation, withdrawn as above, not moved.
_NEGATION = re.compile(r"(?<![a-z])(?:no|not|nor|neither|without|never)(?![a-z])", re.I)
#: "..., not the right knee", "not at the elbow": the site after it is withdrawn.
_NOT_BEFORE = re.compile(
    r"(?<![a-z])not[ \t]+"
    + _optional("not_site_place")
    + _optional("not_site_det")
    + _optional("not_site_side")
    + "$",
    re.I,
)
#: "the knee is clear": after a site, the addendum calls it clear (notesacc37; ``site_clear``)
#: Only when nothing of its own follows: "the index finger is clear of infection", "the wrist
#: is free of erosions", "negative for gout" say nothing of calcinosis (fix43, review 43 H8;
#: the verbs, adverbs and following words: ``addendum_words`` clear_verb, clear_adverb,
#: clear_not_after).
_CLEAR_AFTER = re.compile(
    r"[ \t]+(?:(?:"
    + _WORDS.alternation("clear_verb")
    + r")[ \t]+)"
    + _optional("clear_adverb")
    + r"(?:"
    + _WORDS.alternation("site_clear")
    + r")(?![a-z])(?![ \t]*(?:"
    + _WORDS.alternation("clear_not_after")
    + r")(?![a-z]))",
    re.I,
)
#: ... and the site is the subject of its clause: only a determiner and a side before it, after
#: an opening "on review" (``clear_lead``): "on review the left knee is clear"; not "the
#: density over the knee is clear".
_SUBJECT_BEFORE = re.compile(
    r"(?:^|[,;:]|\s[-\u2013\u2014])[ \t]*(?:(?:"
    + _WORDS.alternation("clear_lead")
    + r"),?[ \t]+)?"
    + _optional("not_site_det")
    + _optional("not_site_side")
    + "$",
    re.I,
)
#: The reading named again is called something else: a copula (or "represents"), then the
#: other thing as its noun, with no preposition between ("the previously reported
#: calcification is artefact", "... is a small sebaceous cyst"; not "... lies beneath the
#: ulcer", "... is adjacent to a small cyst", "..., with movement artefact"; fix43, review 43 H9;
#: the words: ``addendum_words`` called_verb, called_adverb, called_not_between).
_CALLED_OTHER = re.compile(
    r"[^.;\n]{0,40}?[ \t]+(?:"
    + _WORDS.alternation("called_verb")
    + r")[ \t]+"
    + _optional("called_adverb")
    + r"(?:(?:an?|the|some)[ \t]+)?"
    r"(?:(?!(?:" + _WORDS.alternation("called_not_between") + r")(?![a-z]))"
    r"[a-z-]+,?[ \t]+){0,2}?(?:" + _WORDS.alternation("other_kind") + r")(?![a-z])",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+")
#: "not" right before a pattern word: the pattern denied of the finding ("... not nodular"; fix46)
_NOT_BEFORE_PATTERN = re.compile(r"(?<![A-Za-z])not[ \t]+\Z", re.IGNORECASE)
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
        if earlier:
            _drop_denied_patterns(sentences, span, earlier)
            _patterns_alone(sentences, span, earlier, text, find)
        for whole in _SENTENCE.finditer(text, span.start, span.end) if earlier else ():
            if _OTHER_KIND.search(text, *whole.span()):
                continue
            retracts = _RETRACTION.search(text, span.start, span.end) is not None
            for part in _PART.finditer(text, *whole.span()):
                said = _RELOCATED.search(text, *part.span()) or _definite(earlier, text, part)
                if said is not None and not _NEGATION.search(text, part.start(), said.start()):
                    _relocate(earlier, text, part.start(), said.start(), part.end(), find)
                elif said is None and retracts:
                    _clear_sites(earlier, text, part.start(), part.end(), find)


def _drop_denied_patterns(
    sentences: Sequence[Sequence[Mention]], span: Section, earlier: Sequence[Mention]
) -> None:
    """Drop from the earlier findings a pattern the addendum denies of the finding (notesacc37).

    "ADDENDUM: On reformatted images the calcification is not nodular but forms a continuous
    thin shell": the finding of the addendum's sentence (affirmed) and a pattern of it negated
    there ("not nodular"); the earlier "Nodular soft-tissue calcification" loses its nodular.
    """
    for sentence in sentences:
        if not sentence or not span.start <= sentence[0].start < span.end:
            continue
        own_findings = [m for m in sentence if m.category in _ANCHORS and not m.is_negated]
        if not own_findings:
            continue
        # the addendum's finding names its sites: only an earlier finding at one of them is
        # corrected ("there is also calcinosis at the right elbow, which is nodular, not
        # sheet-like" keeps the thighs' sheet; fix43, review 43 H11)
        named = [r for f in own_findings for r in f.links.get("regions", [])]
        # ... and the pattern the addendum gives instead ("is not nodular but sheet-like") goes
        # to the finding it corrected, though the addendum's finding counts toward nothing of
        # its own (no tissue or site in its sentence; notesacc38)
        given = [p for f in own_findings for p in f.links.get("morphology", [])]
        for m in sentence:
            pattern = m.metadata.get("morphology")
            if m.category != Category.MORPHOLOGY or not m.is_negated or pattern is None:
                continue
            for finding in earlier:
                if named and not any(
                    _same_site(r, named) for r in finding.links.get("regions", [])
                ):
                    continue
                own = finding.links.get("morphology")
                if own and pattern in own:
                    kept = [p for p in own if p != pattern]
                    finding.links["morphology"] = kept + [
                        p for p in dict.fromkeys(given) if p != pattern and p not in kept
                    ]


def _patterns_alone(
    sentences: Sequence[Sequence[Mention]],
    span: Section,
    earlier: Sequence[Mention],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Read the patterns of an addendum's sentences that hold no mention of their own (fix46)."""
    held = [m.start for sentence in sentences for m in sentence]
    for whole in _SENTENCE.finditer(text, span.start, span.end):
        a, b = whole.span()
        if not any(a <= at < b for at in held):
            _give_patterns(find(a, b, ("morphology",), context=True), earlier, text)


def _give_patterns(sentence: Sequence[Mention], earlier: Sequence[Mention], text: str) -> None:
    """Correct the earlier findings' pattern by an addendum that names no finding (fix46).

    "ADDENDUM: not nodular but sheet-like.": the sentence is about the finding before it, so
    a pattern it denies leaves every earlier finding that has it, and the patterns it affirms
    take its place (review44 M10). Only a pattern denied as a predicate, "not" right before
    it: "ADDENDUM: no nodular lung lesion" is the absence of something else.
    """
    denied = set()
    given = []
    for m in sentence:
        pattern = m.metadata.get("morphology")
        if m.category != Category.MORPHOLOGY or pattern is None:
            continue
        if m.is_negated:
            if _NOT_BEFORE_PATTERN.search(text, max(0, m.start - 12), m.start):
                denied.add(pattern)
        elif not m.is_uncertain:
            given.append(pattern)
    if not denied:
        return
    for finding in earlier:
        own = finding.links.get("morphology")
        if own and denied.intersection(own):
            kept = [p for p in own if p not in denied]
            finding.links["morphology"] = kept + [
                p for p in dict.fromkeys(given) if p not in denied and p not in kept
            ]


def _definite(earlier: Sequence[Mention], text: str, part: re.Match[str]) -> re.Match[str] | None:
    """Return "the nodule lies at ..." when an earlier finding's sentence names that noun."""
    said = _RELOCATED_DEFINITE.search(text, *part.span())
    if said is None:
        return None
    noun = _noun(said.group("noun").lower())
    return said if any(noun.search(text, *m.sentence) for m in earlier) else None


#: :func:`_noun`'s patterns, one per word (compiled once, not in a loop; review 43)
_NOUNS: dict[str, re.Pattern[str]] = {}


def _noun(word: str) -> re.Pattern[str]:
    """Return a pattern of the whole word ``word``, compiled once per word."""
    pattern = _NOUNS.get(word)
    if pattern is None:
        pattern = _NOUNS[word] = re.compile(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])", re.I)
    return pattern


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


def _clear_sites(
    earlier: Sequence[Mention], text: str, a: int, b: int, find: Callable[..., list[Mention]]
) -> None:
    """Withdraw the sites a retracting addendum calls clear ("on review the knee is clear").

    A finding left with none of its sites is withdrawn (negated), as a negation naming them
    withdraws it (notesacc37).
    """
    denied: list[dict[str, Any]] = [
        {"region": region.metadata.get("region"), "laterality": _side(text, region)}
        for region in find(a, b, ("site",))
        if region.category == Category.BODY_REGION
        and _CLEAR_AFTER.match(text, region.end)
        and _SUBJECT_BEFORE.search(text[a : region.start]) is not None
    ]
    if not denied:
        return
    for finding in earlier:
        own = finding.links.get("regions", [])
        kept = [r for r in own if not _same_site(r, denied)]
        if len(kept) == len(own):
            continue
        if kept:
            finding.links["regions"] = kept
        else:
            finding.is_negated = True
            finding.links["status_from"] = "addendum"


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
    rereads = (  # a bare calcification too ("the previously reported calcification")
        m
        for sentence in sentences
        for m in sentence
        if m.category in _ANCHORS and m.section in superseding and not m.is_negated
    )
    for reread in rereads:
        if not (reread.is_hypothetical or reread.is_family):
            span = next((s for s in sections if s.start <= reread.start < s.end), None)
            if span is not None and _reread_as_other(reread, text):
                reread.is_negated = True
                reread.links["status_from"] = "addendum"
                _withdraw(anchors, reread)


def _reread_as_other(reread: Mention, text: str) -> bool:
    """Whether an addendum's sentence names the earlier reading and calls it something else.

    "Addendum: the previously reported calcification is artefact." (notesacc37): the reading
    named again (``reread``: "previously reported", "described above as") is the sentence's
    subject, and after it the sentence says what it really is (``other_kind``: an artefact, a
    sesamoid, a phlebolith, ...), with no negation between; "the previously reported
    calcification is unchanged" confirms it and withdraws nothing.
    """
    start, end = reread.sentence
    found = _REREAD.search(text, start, reread.start)
    if found is None or text[found.end() : reread.start].count("."):
        return False
    if _CONFIRMING.search(text, start, end) is not None:
        return False
    return _CALLED_OTHER.match(text, reread.end, end) is not None


def _retracts(anchors: Sequence[Mention], negation: Mention, span: Section, text: str) -> bool:
    """Whether the section ``span`` retracts the earlier finding that ``negation`` denies."""
    if _RETRACTION.search(text, span.start, span.end) is None:
        return False  # an addendum that only adds a negative finding withdraws nothing
    start, end = negation.sentence
    clause = text.find(";", negation.end, end)
    # the qualifier is the negation's own ("no other / further / new calcinosis", "no
    # calcinosis on the previous film"), near the finding: "after review of the previous
    # study, the density is an ossification centre rather than calcinosis" retracts
    # (notesacc37)
    near = max(
        (c.end() for c in _CLAUSE_START.finditer(text, start, negation.start)), default=start
    )
    if _QUALIFIER.search(text, near, end if clause < 0 else clause) is not None:
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
