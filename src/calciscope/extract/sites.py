"""Link body regions to the finding they are the site of, in a sentence and across clauses.

In a sentence, a laterality word is attached to the body region that follows it (or precedes
it, "hand, left"); each region goes to the finding of its own clause after a contrast word
("the hands were spared of calcinosis but the elbows have large deposits"), else to the nearest
(:class:`~calciscope.extract.anchors.Anchors`), and not to a finding a later clause denies it
for ("two deposits at the knee, nothing at the ankles"). A body region that names the imaging
field ("hand X-ray", "films of both thighs", each region listed after it: "Films of the wrists,
ankles and shins") or labels a template line ("Hands: calcinosis at the ring finger") is a site
only when the finding has no other site.

Across sentences and clauses: a report's examination title lends its sites to calcinosis
findings that name none, and a one-sided title ("XR FOREARM 2 VIEWS, LEFT") its side to every
site without one (:func:`link_title_regions`); the clause before a semicolon lends its sites
likewise ("Hard lumps on the right heel; X-ray confirms calcinosis"; :func:`link_clause_sites`);
a sentence describing the lesions lends its sites with its morphology to a calcinosis that names
none ("Numerous hard nodules over the elbows"; :func:`carried_sites`), and a bare calcification
that names "both sites", "these areas" or "the same sites" takes those of the previous
calcinosis (:func:`borrow_sites`). :mod:`calciscope.extract.linking` calls the first and the
last two.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from calciscope.extract.anchors import ANCHORS, Anchors, add_link, concepts_of
from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate import THESE_SITES, names_field
from calciscope.extract.rules import load_word_list

__all__ = [
    "borrow_sites",
    "carried_sites",
    "link_clause_sites",
    "link_regions",
    "link_title_regions",
]

_LATERALITY_GAP = 25
#: Bound once (see linking.py): ``Category.X`` is a metaclass attribute lookup on Python 3.11.
_BODY_REGION = Category.BODY_REGION
_CALCIFICATION = Category.CALCIFICATION
_LATERALITY = Category.LATERALITY
_MODALITY = Category.MODALITY
_MORPHOLOGY = Category.MORPHOLOGY


def _regions(sentence: Sequence[Mention], text: str = "") -> list[tuple[Mention, str | None, bool]]:
    """Return ``(region, laterality, names the imaging field)`` for each body region.

    With the ``text``, the regions listed after a field region name the field too.
    """
    regions = [m for m in sentence if m.category == _BODY_REGION]
    sides = [m for m in sentence if m.category == _LATERALITY]
    modalities = [m for m in sentence if m.category == _MODALITY]
    fields = names_field(regions, modalities, text)
    result = []
    for region, near_field in zip(regions, fields, strict=True):
        side = region.metadata.get("laterality")  # a site that names its side ("R index")
        before = [s for s in sides if 0 <= region.start - s.end <= _LATERALITY_GAP]
        after = [s for s in sides if 0 <= s.start - region.end <= 3]
        if side is None and (before or after):
            side = (before[-1] if before else after[0]).metadata.get("laterality")
        field = bool(region.links.get("field")) or near_field
        result.append((region, side, field))
    return result


def link_regions(
    anchors: Sequence[Mention], index: Anchors, sentence: Sequence[Mention], text: str
) -> None:
    """Link each body region of a sentence to its finding (its own clause's, else the nearest)."""
    regions = _regions(sentence, text)
    denied = (
        _denied_regions(text, anchors, regions)
        | _spared_regions(text, anchors, regions)
        | _denied_then_present(text, anchors, regions)
        | _answer_cell_regions(text, anchors, regions)
        | _not_regions(text, anchors, regions)
        | _answered_no_regions(text, anchors, regions)
        if text and regions
        else set()
    )
    generic = _generic_regions(regions, text) if len(regions) > 1 else ()
    joints = _limited_joints(regions, sentence) if len(regions) > 1 else ()
    for region, side, field in regions:
        if region.links.get("other_finding") or (generic and id(region) in generic):
            continue
        if joints and id(region) in joints:
            continue
        entry = {"region": region.metadata.get("region"), "laterality": side}
        key = "field_regions" if field else "regions"
        anchor = _own_clause(anchors, region, text) or index.nearest(region)
        if denied and not anchor.is_negated and (id(region), id(anchor)) in denied:
            continue  # "two deposits at the knee, nothing at the ankles" (notesacc31)
        add_link(anchor, key, entry, region)
        if not region.metadata.get("body_cavity"):
            anchor.links["surface_" + key] = True


def _limited_joints(
    regions: Sequence[tuple[Mention, str | None, bool]], sentence: Sequence[Mention]
) -> set[int]:
    """Return the joints whose movement a deposit placed before them limits (fix43).

    "the calcium set like plaster across the back of both thighs, and it still limits the
    flexion of knees": the phrase before the joint (``service: joint_after``, targets.yaml)
    and a site before that phrase in the sentence; the joint is the deposit's effect, no site.
    With no site before it ("Calcinosis cutis that limits flexion of her fingers") the joint
    is the deposit's site (review 43 H5).
    """
    joints: set[int] = set()
    for m in sentence:
        if m.category != _LATERALITY or m.metadata.get("service") != "joint_after":
            continue
        if not any(r.end <= m.start for r, _, _ in regions):
            continue
        after = next((r for r, _, _ in regions if r.start >= m.end), None)
        if after is not None and after.start - m.end <= _JOINT_GAP:
            joints.add(id(after))
    return joints


#: at most this many characters between "limits the flexion of" and its joint ("the left")
_JOINT_GAP = 24


def _generic_regions(regions: Sequence[tuple[Mention, str | None, bool]], text: str) -> set[int]:
    """Return the generic limb words of a sentence beside a more specific place (notesacc37).

    The lay "legs" (``metadata.generic_of``: thigh, knee, ankle_foot; targets.yaml) adds no
    site when the sentence names one of those places before it and the deposit spreads over
    the legs (``generic_after``, past a ``generic_det``: "across / over / along both legs"):
    "hard calcium in her
    thighs, spreading across both legs" is the thighs; "Calcinosis over both legs and feet"
    is both (fix43).
    """
    generic: set[int] = set()
    for r, _, _ in regions:
        places = r.metadata.get("generic_of")
        if not places:
            continue
        before = any(  # the specific place named first (fix43, review 43 H6)
            o.start < r.start
            and "generic_of" not in o.metadata
            and o.metadata.get("region") in places
            for o, _, _ in regions
        )
        words = text[max(0, r.start - 40) : r.start].lower().split()
        if words and words[-1] in r.metadata.get("generic_det", ()):
            words.pop()  # "across both legs"
        if before and words and words[-1] in r.metadata.get("generic_after", ()):
            generic.add(id(r))
    return generic


# A site a later clause of the sentence denies after the finding ("two hard deposits at the left
# knee, nothing at the ankles", "several deposits found, none seen in the hands"): "none",
# "nothing" or "no deposits" opening a clause (after a comma, semicolon or "but"/"and"), an
# optional verb of finding, then a preposition and the site: the site where it is not is no
# site of the affirmed finding (notesacc31); after a dash too ("Calcinosis of the right knee -
# none at the feet - and of the left elbow"; probes36). The finding must lie before that clause. The
# words: targets.yaml ``clause_words`` denial, denied_noun, finding_verb (notesfix31).
_CLAUSE_WORDS = load_word_list("clause_words")
_DENIAL = _CLAUSE_WORDS.alternation("denial")
_DENIED_SITE = re.compile(
    r"(?:[,;\u2013\u2014]|(?<![a-z0-9])-|(?<![a-z])(?:but|and|with))[ \t]*(?:(?:but|and|with)[ \t]+)?(?:"
    + _DENIAL
    + r"|no[ \t]+(?:"
    + _CLAUSE_WORDS.alternation("denied_noun")
    + r"))"
    r"(?:[ \t]+(?:" + _CLAUSE_WORDS.alternation("finding_verb") + r")){0,3}[ \t]+"
    r"(?:at|in|on|over|around|of|near)[ \t]+(?:(?:the|both|either|her|his|their|its)[ \t]+)?"
    r"(?:(?:left|right|l|r|lt|rt)[ \t]+)?$",
    re.IGNORECASE,
)


# ... and a site after a contrast word or a comma whose own clause then says it has none ("calcinosis
# of the left index finger, whereas the right hand has none", "..., but the right elbow is
# clear"): the site is no site of the finding before (probes35). The words: targets.yaml
# ``clause_words`` contrast, denial, spared, finding_verb, spared_verb.
_SPARED_BEFORE = re.compile(
    r"(?:[,;]|(?<![a-z])(?:" + _CLAUSE_WORDS.alternation("contrast") + r"))[ \t]*"
    r"(?:(?:the|her|his|their|its)[ \t]+)?(?:(?:left|right|l|r|lt|rt)[ \t]+)?$",
    re.IGNORECASE,
)
_SPARED_AFTER = re.compile(
    r"(?:[ \t]+(?:"
    + _CLAUSE_WORDS.alternation("finding_verb")
    + r"|"
    + _CLAUSE_WORDS.alternation("spared_verb")
    + r")){0,2}[ \t]+(?:"
    + _DENIAL
    + r"|"
    + _CLAUSE_WORDS.alternation("spared")
    + r")(?![a-z])"
    # ... that ends its clause, or says of what: "free of deposits" (not "free drainage",
    # "clear of infection", "nothing to suggest infection"; fix36, review 36 H2).
    r"(?:(?=[ \t]*(?:[^a-z0-9 \t]|$|(?:and|but|whereas|while)(?![a-z])))|[ \t]+(?:of|from)[ \t]+"
    r"(?:(?:the|any|all|further|new)[ \t]+)?(?:"
    + _CLAUSE_WORDS.alternation("denied_noun")
    + r")(?![a-z]))",
    re.IGNORECASE,
)


def _spared_regions(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of the sites a contrast clause says have none (probes35)."""
    found: set[tuple[int, int]] = set()
    for region, _side, _field in regions:
        before = [a for a in anchors if a.end <= region.start]
        if not before or _SPARED_AFTER.match(text, region.end) is None:
            continue
        anchor = before[-1]
        if _SPARED_BEFORE.search(text, max(anchor.end, region.start - 40), region.start):
            found.add((id(region), id(anchor)))
    return found


# A site between "no <finding>" and ", but present ..." ("No calcinosis at the right elbow, but
# present at the left knee"): context.yaml's pseudo-trigger keeps the "no" from negating the
# finding, and the site it denies is no site of the finding (fix36, review 36 H1).
_NO_BEFORE = re.compile(r"(?<![a-z])no[ \t]+(?:[a-z-]+[ \t]+){0,2}$", re.IGNORECASE)
_DENIED_THEN_PRESENT = re.compile(
    r"[ \t]*,?[ \t]+but[ \t]+(?:(?:it|they|this)[ \t]+)?(?:(?:is|are|was|were)[ \t]+)?"
    r"(?:" + _CLAUSE_WORDS.alternation("finding_verb") + r"|present|evident|palpable)(?![a-z])",
    re.IGNORECASE,
)


def _denied_then_present(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of a site in "no <finding> at <site>, but present ..."."""
    found: set[tuple[int, int]] = set()
    for region, _side, _field in regions:
        before = [a for a in anchors if a.end <= region.start]
        if not before:
            continue
        anchor = before[-1]
        if region.start - anchor.end > 40 or _DENIED_THEN_PRESENT.match(text, region.end) is None:
            continue
        if _NO_BEFORE.search(text, max(0, anchor.start - 30), anchor.start):
            found.add((id(region), id(anchor)))
    return found


# A table cell that holds only an answer ("| Y |", "| no |") between a site and a finding of the
# same row: the site is another item's ("Calcinosis | Y | Digital ulcers | N": "Digital" is the
# ulcers'; "Digital ulcers | Y | Calcinosis | Y" likewise before it), when the site's own cell
# has an answer of its own after it (fix41). A site in the cell next to
# the finding stays ("Calcinosis | both knees | present"). The words: targets.yaml
# ``clause_words`` answer_cell (probes36).
_ANSWER_CELL = re.compile(
    r"\|[ \t]*(?:" + _CLAUSE_WORDS.alternation("answer_cell") + r")[ \t]*\|", re.IGNORECASE
)

#: ... and only a site whose own cell is a label answered in the next cell ("| Digital ulcers |
#: N |"): a Site column after a yes cell ("| Calcinosis | Y | Left elbow |") is the finding's
#: (fix41, review 41).
_OWN_ANSWER = re.compile(
    r"[^|\n]*\|[ \t]*(?:" + _CLAUSE_WORDS.alternation("answer_cell") + r")[ \t]*(?:\||$)",
    re.IGNORECASE | re.MULTILINE,
)


def _answer_cell_regions(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of a site and a finding with an answer cell between."""
    found: set[tuple[int, int]] = set()
    first, last = regions[0][0], regions[-1][0]
    if text.find("|", min(first.start, anchors[0].start), max(last.end, anchors[-1].end)) < 0:
        return found
    for region, _side, _field in regions:
        for anchor in anchors:
            after = anchor.end <= region.start
            a, b = (anchor.end, region.start) if after else (region.end, anchor.start)
            if a < b and _ANSWER_CELL.search(text, a, b) and _OWN_ANSWER.match(text, region.end):
                found.add((id(region), id(anchor)))
    return found


# A site set against the finding's own after a comma ("the calcinosis is at the left hip, not
# the shoulder", "calcinosis of the left elbow, not the right"): no site of the finding before
# it (probes36; as a denied site, a calciscope decision).
_COMMA_NOT = re.compile(
    r",[ \t]*(?:and[ \t]+|but[ \t]+)?not[ \t]+(?:(?:at|in|on|over|of|around|near)[ \t]+)?"
    r"(?:(?:the|her|his|both)[ \t]+)?(?:(?:left|right|l|r|lt|rt)[ \t]+)?$",
    re.IGNORECASE,
)


def _not_regions(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of a site after ", not" following the finding."""
    found: set[tuple[int, int]] = set()
    if text.find(",", anchors[0].end, regions[-1][0].start) < 0:
        return found  # (no comma between: the usual sentence)
    for region, _side, _field in regions:
        before = [a for a in anchors if a.end <= region.start]
        if before and _COMMA_NOT.search(text, max(before[-1].end, region.start - 40), region.start):
            found.add((id(region), id(before[-1])))
    return found


# A site answered "no" in a label's list of sites ("Calcinosis: hands yes, feet no"): no site
# of the finding (probes36; every answer "no" negates the label, context.yaml). The words:
# targets.yaml ``clause_words`` answer_no.
_ANSWERED_NO = re.compile(
    r"[ \t]+(?:" + _CLAUSE_WORDS.alternation("answer_no") + r")[ \t]*(?=[,;/.\n]|$)", re.IGNORECASE
)


def _answered_no_regions(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of a site answered "no" after the finding's label."""
    found: set[tuple[int, int]] = set()
    if text.find(":", anchors[0].end, regions[-1][0].start) < 0:
        return found  # (no label's colon between: the usual sentence)
    for region, _side, _field in regions:
        before = [a for a in anchors if a.end <= region.start]
        if not before or text.find(":", before[-1].end, region.start) < 0:
            continue
        if _ANSWERED_NO.match(text, region.end):
            found.add((id(region), id(before[-1])))
    return found


_DENIAL_WORD = re.compile(r"(?<![a-z])(?:" + _DENIAL + r"|no)(?![a-z])", re.IGNORECASE)


def _denied_regions(
    text: str, anchors: Sequence[Mention], regions: Sequence[tuple[Mention, str | None, bool]]
) -> set[tuple[int, int]]:
    """Return ``(id(region), id(anchor))`` of the sites a later clause denies ("nothing at the ankles").

    The denied site itself, and the same region named before the finding as a place looked at
    ("Knees and ankles examined for calcinosis: two deposits at the knee, nothing at the
    ankles"), unless both name a side and the sides differ ("R elbow - calcinosis, nothing at
    the L elbow": the right elbow stays; notesfix31, review 26).
    """
    found: set[tuple[int, int]] = set()
    first = min(a.end for a in anchors)
    last = max(r.start for r, _s, _f in regions)
    if first >= last or _DENIAL_WORD.search(text, first, last) is None:
        return found  # no "none", "nothing", "nil" or "no" between: the usual sentence
    for region, side, _field in regions:
        before = [a for a in anchors if a.end <= region.start]
        if not before:
            continue
        anchor = before[-1]
        if _DENIED_SITE.search(text, max(anchor.end, region.start - 60), region.start) is None:
            continue
        value = region.metadata.get("region")
        found.add((id(region), id(anchor)))
        for other, other_side, _f in regions:
            if other.end <= anchor.start and other.metadata.get("region") == value:
                if side and other_side and side != other_side:
                    continue  # "R elbow - calcinosis, nothing at the L elbow" (notesfix31)
                found.add((id(other), id(anchor)))
    return found


# A contrast between two clauses ("the hands were spared of calcinosis but the elbows have
# large deposits", "no calcinosis in the hands, whereas both knees show calcinosis"): a site
# after it belongs to the finding of its own clause, not to the one before the contrast
# (notesacc30). Its own clause only: a comma, semicolon or colon, or another contrast word,
# between the site and a later finding ends the site's clause ("calcinosis but only in the
# fingertips, with no calcification in the elbows": the fingertips stay the calcinosis's;
# notesfix30, review 25). The contrast words: targets.yaml ``clause_words`` (variant contrast).
_CONTRAST = load_word_list("clause_words").pattern("contrast")
_CLAUSE_END = re.compile(r"[,;:]")


def _own_clause(anchors: Sequence[Mention], region: Mention, text: str) -> Mention | None:
    """Return the finding after a site in the clause a contrast word opens, if the site has one.

    Only when the finding just before the site lies before a contrast word and a finding
    follows the site in the site's own clause (no contrast word, comma, semicolon or colon
    between); else None (the nearest finding, as before).
    """
    if len(anchors) < 2 or not text:
        return None
    before = [a for a in anchors if a.end <= region.start]
    after = [a for a in anchors if a.start >= region.end]
    if not before or not after:
        return None
    if not _CONTRAST.search(text, before[-1].end, region.start):
        return None
    if _CONTRAST.search(text, region.end, after[0].start) or _CLAUSE_END.search(
        text, region.end, after[0].start
    ):
        return None
    return after[0]


def borrow_sites(text: str, previous: Mention | None, anchors: Sequence[Mention]) -> None:
    """Give the previous calcinosis's sites to a bare calcification that refers back to them.

    "Calcinosis at the left elbow and right ankle. X-rays of both sites show calcific
    deposits.": a calcification with no site and no tissue, in the next sentence, which names
    "both sites", "these areas", "each of these sites" or "the same sites".
    """
    if (
        previous is None
        or not text
        or previous.is_negated
        or previous.is_uncertain
        or previous.is_hypothetical
        or previous.is_family
        or "calcinosis" not in concepts_of(previous)
        or not previous.links.get("regions")
        or not THESE_SITES.search(text, *anchors[0].sentence)
    ):
        return
    for anchor in anchors:
        if anchor.category == _CALCIFICATION and not (
            anchor.links.get("regions")
            or anchor.links.get("tissue")
            or anchor.metadata.get("not_calcinosis")
        ):
            anchor.links["regions"] = [dict(entry) for entry in previous.links["regions"]]
            anchor.links["surface_regions"] = True


def carried_sites(
    previous: Mention, sentence: Sequence[Mention], carried: Sequence[Mention]
) -> list[Mention]:
    """Return the sites a sentence describing the lesions lends with its morphology.

    "... calcinosis universalis. Numerous hard nodules over the elbows and knees.": a sentence
    with no finding of its own whose morphology words describe the previous calcinosis also
    says where it is, when that calcinosis names no site and the sentence no other skin finding.
    """
    if (
        previous.links.get("regions")
        or "calcinosis" not in concepts_of(previous)
        or not any(m.category == _MORPHOLOGY for m in carried)
        or any(m.metadata.get("other_finding") for m in sentence)
    ):
        return []
    return [
        m
        for m in sentence
        if m.category in (_BODY_REGION, _LATERALITY) and not (m.is_negated or m.is_uncertain)
    ]


def link_title_regions(sentences: Sequence[Sequence[Mention]], title: Sequence[Mention]) -> None:
    """Give the title's body regions to calcinosis findings that name no site (in place).

    For radiology reports only (the caller decides): "XR BOTH HANDS ... Findings: soft tissue
    calcinosis." The examination title names the field the findings were seen in, so it is
    their site only when no calcinosis finding of the report names a site of its own (or an
    imaging field of its own sentence): "Conclusion: in keeping with calcinosis" after
    "calcific density at the thumb tip" restates the thumb, not the whole hand. A mention
    that does not count toward calcinosis (a granuloma, a vessel, a bare calcification) takes
    nothing, so what a mention counts toward never changes.

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked (:func:`link_calcinosis_attributes`).
    title
        The body region and laterality mentions of the report's examination title.
    """
    title_side = _title_side(title)
    entries = [
        (region, {"region": region.metadata.get("region"), "laterality": side or title_side})
        for region, side, _field in _regions(title)
        if region.metadata.get("region") is not None
    ]
    findings = [
        anchor
        for sentence in sentences
        for anchor in sentence
        if anchor.category in ANCHORS
        and not anchor.links.get("label")
        and "calcinosis" in concepts_of(anchor)
    ]
    if any(anchor.links.get("regions") for anchor in findings):
        # the report names the sites itself ("Conclusion: calcinosis" restates them); a
        # one-sided examination ("XR FOREARM 2 VIEWS, LEFT") still gives them their side
        for anchor in findings:
            for entry in anchor.links.get("regions", []):
                if entry.get("laterality") is None and title_side is not None:
                    entry["laterality"] = title_side
        return
    for anchor in findings:
        for region, entry in entries:
            add_link(anchor, "regions", dict(entry), region)
        anchor.links["regions_from"] = "title"


def _title_side(title: Sequence[Mention]) -> str | None:
    """Return the one side an examination title names ("XR FOREARM 2 VIEWS, LEFT"), if any.

    Only a single left or right: "BOTH HANDS" or a title naming both sides lends no side.
    """
    sides = {m.metadata.get("laterality") for m in title if m.category == _LATERALITY}
    sides |= {
        m.metadata.get("laterality")
        for m in title
        if m.category == _BODY_REGION and m.metadata.get("laterality")
    }
    if len(sides) == 1 and next(iter(sides)) in ("left", "right"):
        return str(next(iter(sides)))
    return None


def link_clause_sites(
    sentences: Sequence[Sequence[Mention]],
    spans: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[[int, int], list[Mention]],
) -> None:
    """Give the sites of the clause before a semicolon to calcinosis findings that name none.

    "Hard swellings over both shins; films show subcutaneous calcinosis": the clause before the
    semicolon names where the finding is. Only a clause with no calcinosis or calcification of
    its own and no other skin finding ("Skin thickening of both hands; calcinosis on X-ray"
    names the thickening's sites) and no negated site ("No swelling of the hands; calcinosis on
    films") lends, and only to findings that are not negated ("Pain in the hands; no
    calcinosis") in a sentence that names no site of its own.

    Parameters
    ----------
    sentences
        The mentions of each sentence, linked (:func:`link_calcinosis_attributes`).
    spans
        ``(start, end, section)`` of every sentence of the document, in order.
    text
        The document.
    find
        Returns the site, tissue and finding mentions of ``text[a:b]`` with the clause's own
        context flags.
    """
    if ";" not in text:
        return
    for sentence in sentences:
        anchors = [m for m in sentence if m.category in ANCHORS and not m.links.get("label")]
        if any(m.links.get("regions") for m in anchors):
            continue  # the sentence names its sites
        anchors = [m for m in anchors if not m.is_negated and "calcinosis" in concepts_of(m)]
        if not anchors:
            continue
        i = bisect.bisect_left(spans, (sentence[0].sentence[0],))
        if not 0 < i < len(spans) or spans[i - 1][2] != spans[i][2]:
            continue
        a, b, _section = spans[i - 1]
        if text[b - 1] != ";":
            continue
        clause = find(a, b)
        if any(
            m.category in ANCHORS or m.metadata.get("other_finding") or m.is_negated for m in clause
        ):
            continue  # the clause's sites are another finding's, or negated ("No pain in ...")
        for anchor in anchors:
            for region, side, _field in _regions(clause):
                entry = {"region": region.metadata.get("region"), "laterality": side}
                add_link(anchor, "regions", entry, region)
