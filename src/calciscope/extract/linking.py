"""Link attribute mentions to the finding they describe.

Within a sentence, each morphology, extent, body-region, tissue and modality mention is linked
to the nearest calcinosis or calcification mention; a laterality word is attached to the body
region that follows it (or precedes it, "hand, left"). A sentence that has morphology or extent
words but no calcinosis mention ("The deposits are sheet-like.") lends them to the last
calcinosis mention of the previous sentence in the same section, and its sites too when that
calcinosis names none ("Numerous hard nodules over the elbows"); so does the sentence after
that one when it refers back by its first words ("It is a hard nodule.", "These are sheets.").
A bare calcification in the next sentence that names "both sites", "these areas" or "the same
sites" takes the sites of the previous calcinosis ("X-rays of both sites show deposits").

What a mention counts toward is decided by the rule data: a calcinosis mention counts toward
its rule's ``concept``; a general calcification toward the ``counts_as`` concepts of the tissues
linked to it (soft tissue, fascial -> calcinosis; intramuscular -> calcinosis and muscle
calcification; vascular, lymph node, granuloma, cartilage, tendon ... -> nothing), else, when
it has a body region as its site, toward its rule's ``site_counts_as``, else toward nothing. A
site that is a body cavity (rule ``body_cavity``: "chest", "thorax", "abdomen", "pelvis", not
"chest wall") holds lungs, nodes and vessels, so it counts a bare calcification only in a
sentence that names calcinosis. A rule with ``not_calcinosis`` ("calcified granuloma",
"non-calcified nodule", "calcific tendinitis") counts toward nothing whatever is linked to it.

A body region that names the imaging field ("hand X-ray", "films of both thighs", each region
listed after it: "Films of the wrists, ankles and shins") or labels a
template line ("Hands: calcinosis at the ring finger") is a site only when the finding has no
other site. A report's examination title lends its sites to calcinosis findings that name
none, and a one-sided title ("XR FOREARM 2 VIEWS, LEFT") its side to every site without one;
the clause before a semicolon lends its sites likewise ("Hard lumps on the right heel; X-ray
confirms calcinosis"). A tissue word introduced by a preposition ("calcification in the supraspinatus
tendon, consistent with calcific tendinitis") describes the finding before it, not the next one. Morphology and extent lent by the next sentence must
not be negated or uncertain there ("No focal bone lesion" lends nothing), and a sentence about
another lump or an organ lends none ("A nodule in the right upper lobe is stable").

Antibody results: "positive for X and Y" applies forward, "X positive" and "X, Y negative"
backward, to the antibodies between it and the previous result.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from itertools import pairwise

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate import THESE_SITES, hand_of_fingers, names_field
from calciscope.extract.rules import load_word_list

__all__ = [
    "drop_network_elements",
    "lend_reach",
    "link_antibody_results",
    "link_calcinosis_attributes",
    "link_clause_sites",
    "link_title_regions",
    "mark_labels",
]

_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_ATTRIBUTES: dict[str, tuple[str, str]] = {
    Category.MORPHOLOGY: ("morphology", "morphology"),
    Category.EXTENT: ("extent", "extent"),
    Category.TISSUE: ("tissue", "tissue"),
    Category.MODALITY: ("method", "method"),
}
_CARRIED = frozenset({Category.MORPHOLOGY, Category.EXTENT})
# A sentence that refers back to the finding by its first words ("It is now a hard nodule.",
# "These are confluent sheets.", "The deposits ..."): it may lend from two sentences on.
_REFERS_BACK = re.compile(
    r"[\s\-\u2022*]*(?:it|this|these|they|those|the\s+(?:lesions?|deposits?|nodules?))\b", re.I
)
_LATERALITY_GAP = 25
_PRE_NOMINAL = frozenset({Category.MORPHOLOGY, Category.EXTENT, Category.TISSUE})
_ADJACENT = 40

#: The categories compared in the loops below, bound once: on Python 3.11 ``Category.X`` is a
#: metaclass attribute lookup (``EnumType.__getattr__``), several times a plain name's cost.
_AB_RESULT = Category.AB_RESULT
_ANTIBODY = Category.ANTIBODY
_BODY_REGION = Category.BODY_REGION
_CALCIFICATION = Category.CALCIFICATION
_CALCINOSIS = Category.CALCINOSIS
_LATERALITY = Category.LATERALITY
_MODALITY = Category.MODALITY
_MORPHOLOGY = Category.MORPHOLOGY
_TISSUE = Category.TISSUE
# "in the gluteus medius tendon", "within both": a preposition, an article and at most two
# words that are no conjunction ("at the tips and soft tissue ..." starts a new phrase).
_AFTER_PREPOSITION = re.compile(
    r"(?<![a-z])(?:in|within|of|along|into|at|over|beneath|under|underneath|involving|around|"
    r"about|throughout|across)\s+(?:(?:the|a|an|both|its|their)\s+)?"
    r"(?:(?!(?:and|or|with|but|plus)\s)[a-z\-]+\s+){0,2}$"
)


# Between another skin finding and a body region: a clause break gives the region back
# ("sclerodactyly, and both forearms are studded with calcinosis", "puffy fingers while both
# elbows show calcinosis", "sclerodactyly of both hands, with the elbows showing calcinosis").
# Its own name: from notesfix31 to split34 a second ``_CLAUSE_BREAK`` (``_NET_CLAUSE_BREAK``
# below) replaced it at import; this one breaks where either did.
_OTHER_FINDING_BREAK = re.compile(
    r"[;:]|,\s*(?:and|but|while|whereas|plus|with|as\s+well)(?![a-z])|\s(?:while|whereas)\s",
    re.IGNORECASE,
)
# "calcific focus in the supraspinatus, in keeping with calcific tendinopathy": the finding is
# explained as something that is not calcinosis (a ``not_calcinosis`` rule after it); "in the
# typical position of injection granulomas", "the typical rice-grain appearance of
# cysticercosis" too (up to two words between "typical" and "of", notesacc24).
# "the densities in the forearm are arterial wall calcification": a copula that ends the text
# before the explaining finding, in one clause ("there are", "which is" introduce another).
_IS_A = re.compile(r"^[^;,.]*(?<!there )(?<!which )(?<![a-z])(?:are|is|was|were)\s+$")
_EXPLAINED_AS = re.compile(
    r"(?:in\s+keeping|consistent|compatible)\s+with|suggestive\s+of|"
    r"typical\s+(?:[a-z-]+\s+){0,2}?of|"
    r"represent(?:s|ing)?|likely|due\s+to"
)


def _distance(a: Mention, b: Mention) -> int:
    return max(b.start - a.end, a.start - b.end, 0)


def _nearest(anchors: Sequence[Mention], item: Mention) -> Mention:
    """Return the anchor an attribute describes.

    Adjectives (morphology, extent, tissue) prefer the anchor just after them ("nodular
    calcinosis"), sites the one just before ("calcinosis at the hand"), else the nearest.
    """
    if item.category in _PRE_NOMINAL and not item.links.get("after_noun"):
        after = [a for a in anchors if 0 <= a.start - item.end <= _ADJACENT]
        if after:
            return after[0]
    elif item.category == _BODY_REGION or item.links.get("after_noun"):
        before = [a for a in anchors if a.end <= item.start]
        if before:
            return before[-1]
    return min(anchors, key=lambda anchor: _distance(anchor, item))


def _add(anchor: Mention, key: str, value: object, item: Mention) -> None:
    values = anchor.links.setdefault(key, [])
    if value not in values:
        values.append(value)
    anchor.links.setdefault("spans", []).append([item.start, item.end, item.category])


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


class _Anchors:
    """A sentence's anchors with :func:`_nearest` by bisection when there are many.

    With anchors by start whose ends also never decrease (one matching layer's mentions), the
    distance to an item falls and then rises along the list, so the first nearest anchor is the
    first of those ending last before the item or the first ending after its start; the same
    anchor as :func:`_nearest`'s scan, without a pass over every anchor for each attribute.
    """

    def __init__(self, anchors: Sequence[Mention]) -> None:
        self.anchors = anchors
        self.starts = [a.start for a in anchors]
        self.ends = [a.end for a in anchors]
        self.fast = len(anchors) > _FEW_ANCHORS and all(
            a <= b for seq in (self.starts, self.ends) for a, b in itertools.pairwise(seq)
        )

    def nearest(self, item: Mention) -> Mention:
        if not self.fast:
            return _nearest(self.anchors, item)
        anchors, starts, ends = self.anchors, self.starts, self.ends
        if item.category in _PRE_NOMINAL and not item.links.get("after_noun"):
            i = bisect.bisect_left(starts, item.end)
            if i < len(anchors) and starts[i] - item.end <= _ADJACENT:
                return anchors[i]
        elif item.category == _BODY_REGION or item.links.get("after_noun"):
            i = bisect.bisect_right(ends, item.start)
            if i:
                return anchors[i - 1]
        after = bisect.bisect_right(ends, item.start)  # the first ending after the item's start
        if not after:
            return anchors[0]
        before = bisect.bisect_left(ends, ends[after - 1])  # the first of those ending last
        if after == len(anchors):
            return anchors[before]
        if item.start - ends[before] <= max(starts[after] - item.end, 0):
            return anchors[before]
        return anchors[after]


#: Up to this many anchors in a sentence, :func:`_nearest` tries each.
_FEW_ANCHORS = 16


def _not_its_pattern(item: Mention, anchor: Mention) -> bool:
    """Whether a pattern word does not describe the anchor it is nearest to.

    "calcific nodules, not plate-like": a pattern denied is no pattern; "in JDM it tends to be
    sheet-like": a population's pattern is not the patient's finding's (notesacc26).
    """
    if item.category != _MORPHOLOGY:
        return False
    if item.is_negated and not anchor.is_negated:
        return True
    return item.is_hypothetical and not (anchor.is_hypothetical or anchor.is_family)


def _current_patterns(sentence: Sequence[Mention], index: _Anchors) -> set[tuple[int, object]]:
    """Return ``(anchor id, pattern)`` of the pattern words of a sentence said of now.

    A pattern word that is neither negated, doubted, hypothetical nor historical: "sheet-like
    deposits remain" beside "the nodules resolved" (notesfix27).
    """
    return {
        (id(index.nearest(m)), m.metadata.get("morphology"))
        for m in sentence
        if m.category == Category.MORPHOLOGY
        and m.metadata.get("morphology") is not None
        and not (m.is_negated or m.is_uncertain or m.is_hypothetical or m.is_historical)
    }


def _skip_pattern(
    item: Mention,
    anchor: Mention,
    sentence: Sequence[Mention],
    index: _Anchors,
    cache: dict[str, set[tuple[int, object]]],
) -> bool:
    """Whether an attribute is not linked to its anchor.

    A pattern denied or hypothetical (:func:`_not_its_pattern`), and a past pattern ("the
    nodules resolved") when the sentence gives the same anchor another pattern now ("and
    sheet-like deposits remain"; notesfix27). ``cache`` keeps the sentence's current patterns.
    """
    if (item.is_negated or item.is_hypothetical) and _not_its_pattern(item, anchor):
        return True
    if item.category != Category.MORPHOLOGY or not item.is_historical:
        return False
    if "current" not in cache:
        cache["current"] = _current_patterns(sentence, index)
    value = item.metadata.get("morphology")
    return any(a == id(anchor) and v != value for a, v in cache["current"])


def _link_sentence(anchors: Sequence[Mention], sentence: Sequence[Mention], text: str = "") -> None:
    index = _Anchors(anchors)
    cache: dict[str, set[tuple[int, object]]] = {}
    for item in sentence:
        spec = _ATTRIBUTES.get(item.category)
        if spec is not None and item.metadata.get(spec[1]) is not None:
            anchor = index.nearest(item)
            if _skip_pattern(item, anchor, sentence, index, cache):
                continue
            _add(anchor, spec[0], item.metadata[spec[1]], item)
            if item.category == _TISSUE:
                if item.metadata.get("decides_calcium"):
                    anchor.links["calcium_tissue"] = True  # the cornea, a tooth (notesacc31)
                counts = anchor.links.setdefault("tissue_counts_as", [])
                counts.extend(c for c in item.metadata.get("counts_as") or [] if c not in counts)
    _link_regions(anchors, index, sentence, text)
    # "calcinosis with a calcified shell encasing the chest"; also a calcification that counts
    # as calcinosis by its soft-tissue word, restating the first ("the calcification encircles
    # the lower abdomen like a corset, as one continuous calcified layer in the subcutaneous
    # fat"; notesacc30)
    if any(
        a.category == _CALCINOSIS or "calcinosis" in a.links.get("tissue_counts_as", ())
        for a in anchors
    ):
        for anchor in anchors:
            anchor.links["beside_calcinosis"] = True


def _link_regions(
    anchors: Sequence[Mention], index: _Anchors, sentence: Sequence[Mention], text: str
) -> None:
    """Link each body region of a sentence to its finding (its own clause's, else the nearest)."""
    regions = _regions(sentence, text)
    denied = _denied_regions(text, anchors, regions) if text and regions else set()
    for region, side, field in regions:
        if region.links.get("other_finding"):
            continue
        entry = {"region": region.metadata.get("region"), "laterality": side}
        key = "field_regions" if field else "regions"
        anchor = _own_clause(anchors, region, text) or index.nearest(region)
        if denied and not anchor.is_negated and (id(region), id(anchor)) in denied:
            continue  # "two deposits at the knee, nothing at the ankles" (notesacc31)
        _add(anchor, key, entry, region)
        if not region.metadata.get("body_cavity"):
            anchor.links["surface_" + key] = True


# A site a later clause of the sentence denies after the finding ("two hard deposits at the left
# knee, nothing at the ankles", "several deposits found, none seen in the hands"): "none",
# "nothing" or "no deposits" opening a clause (after a comma, semicolon or "but"/"and"), an
# optional verb of finding, then a preposition and the site: the site where it is not is no
# site of the affirmed finding (notesacc31). The finding must lie before that clause. The
# words: targets.yaml ``clause_words`` denial, denied_noun, finding_verb (notesfix31).
_CLAUSE_WORDS = load_word_list("clause_words")
_DENIAL = _CLAUSE_WORDS.alternation("denial")
_DENIED_SITE = re.compile(
    r"(?:[,;]|(?<![a-z])(?:but|and|with))[ \t]*(?:(?:but|and|with)[ \t]+)?(?:"
    + _DENIAL
    + r"|no[ \t]+(?:"
    + _CLAUSE_WORDS.alternation("denied_noun")
    + r"))"
    r"(?:[ \t]+(?:" + _CLAUSE_WORDS.alternation("finding_verb") + r")){0,3}[ \t]+"
    r"(?:at|in|on|over|around|of|near)[ \t]+(?:(?:the|both|either|her|his|their|its)[ \t]+)?"
    r"(?:(?:left|right|l|r|lt|rt)[ \t]+)?$",
    re.IGNORECASE,
)


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


def _counted(anchor: Mention) -> list[str]:
    """Return the concepts a calcinosis or calcification mention counts toward (rule data)."""
    meta = anchor.metadata
    if meta.get("not_calcinosis") or anchor.links.get("explained"):
        return []
    from_tissue = list(anchor.links.get("tissue_counts_as", []))
    if anchor.category == _CALCINOSIS:
        if meta.get("tissue_decides") and anchor.links.get("calcium_tissue") and not from_tissue:
            return []  # "a band of calcium deposition across the cornea" (notesacc31)
        own = str(meta.get("concept", "calcinosis"))
        return [own] + [c for c in from_tissue if c != own]
    if from_tissue or anchor.links.get("tissue"):
        return from_tissue
    site = meta.get("site_counts_as")
    surface = anchor.links.get("surface_regions") or anchor.links.get("beside_calcinosis")
    return [str(site)] if site and surface and anchor.links.get("regions") else []


def _decide_concept(anchor: Mention) -> None:
    own = anchor.metadata.get("morphology")
    if own is not None and own not in anchor.links.get("morphology", []):
        anchor.links.setdefault("morphology", []).insert(0, own)
    fields = anchor.links.pop("field_regions", None)
    if fields and not anchor.links.get("regions"):
        anchor.links["regions"] = fields
        anchor.links["surface_regions"] = anchor.links.pop("surface_field_regions", False)
    counted = _counted(anchor)
    if not counted and anchor.metadata.get("tissue_decides") and anchor.links.get("calcium_tissue"):
        anchor.links["not_counted"] = True  # its tissue counts toward nothing (notesacc31)
    anchor.links["counts_as"] = counted[0] if counted else None
    if len(counted) > 1:
        anchor.links["also_counts_as"] = counted[1:]


def _drop_labels(anchors: list[Mention]) -> list[Mention]:
    """Leave out field labels ("Calcinosis:" before a fuller mention; see ``mark_labels``)."""
    return [a for a in anchors if not a.links.get("label")]


def mark_labels(text: str, sentence: Sequence[Mention]) -> None:
    """Mark field labels and post-nominal tissues in a sentence (in place).

    In "Calcinosis: nodular calcinosis at the thumb" the first word names the field; the
    finding is the second mention. A lone "Calcinosis: none" stays a finding. A body region
    written as a label ("Hands: ...") names a field; a tissue word after a preposition ("in the
    tendon") describes the finding before it.
    """
    anchors = [m for m in sentence if m.category in _ANCHORS]
    for anchor in anchors[:-1]:
        if text[anchor.end : anchor.end + 3].lstrip(" \t").startswith(":"):
            anchor.links["label"] = True
    if not anchors:
        return
    _mark_other_findings(text, sentence)
    _mark_explained(text, anchors, sentence)
    for item in sentence:
        if item.category == _BODY_REGION:
            if text[item.end : item.end + 3].lstrip(" \t").startswith(":") or hand_of_fingers(
                text, item
            ):
                item.links["field"] = True
        elif item.category == _TISSUE and _AFTER_PREPOSITION.search(
            text[max(0, item.start - 40) : item.start].lower()
        ):
            item.links["after_noun"] = True


def _mark_other_findings(text: str, sentence: Sequence[Mention]) -> None:
    """Mark body regions that another skin finding governs (rule ``other_finding``).

    A region whose nearest preceding finding word in the sentence is another finding of the
    skin ("skin thickening of the face and hands, with calcinosis at the elbow"; "puffy hands")
    is that finding's site, unless a clause break lies between them. A region with no finding
    before it still goes to the nearest calcinosis ("Both forearms are studded with calcinosis").
    """
    if not any(m.metadata.get("other_finding") for m in sentence if m.category == _TISSUE):
        return
    last: Mention | None = None
    for item in sentence:
        if item.category in _ANCHORS or item.metadata.get("other_finding"):
            last = item
        elif (
            item.category == _BODY_REGION
            and last is not None
            and last.category not in _ANCHORS
            and not _OTHER_FINDING_BREAK.search(text, last.end, item.start)
        ):
            item.links["other_finding"] = True


def _mark_explained(text: str, anchors: Sequence[Mention], sentence: Sequence[Mention]) -> None:
    """Mark calcifications that the sentence explains as something that is not calcinosis.

    "calcific focus ..., in keeping with calcific tendinopathy" (a ``not_calcinosis`` rule), or
    "the densities in the forearm are arterial wall calcification" (a copula before a
    calcification whose tissue counts toward nothing).
    """
    for anchor in anchors:  # "vascular calcification in the soft tissues of the forearm"
        kind = (
            _tissue_before(text, anchor, sentence) if anchor.category == "CALCIFICATION" else None
        )
        if kind is not None and not any(  # "soft tissue and vascular calcification": both
            m.metadata.get("counts_as") and 0 <= kind.start - m.end <= 6 for m in sentence
        ):
            anchor.links["explained"] = True
    for first, second in pairwise(anchors):
        if first.category != _CALCIFICATION or first.metadata.get("not_calcinosis"):
            continue
        if second.metadata.get("not_calcinosis"):
            if _EXPLAINED_AS.search(text[first.end : second.start].lower()):
                first.links["explained"] = True
            continue
        tissue = _tissue_before(text, second, sentence)
        if tissue is not None and _IS_A.search(text[first.end : tissue.start].lower()):
            first.links["explained"] = True


def _tissue_before(text: str, anchor: Mention, sentence: Sequence[Mention]) -> Mention | None:
    """Return the tissue word counting toward nothing just before ``anchor``, if any.

    "arterial wall calcification", "vascular calcification".
    """
    for item in sentence:
        if (
            item.category == _TISSUE
            and item.metadata.get("counts_as") == []
            and 0 <= anchor.start - item.end <= 6
            and text[item.end : anchor.start].strip(" -").lower() in ("", "wall")
        ):
            return item
    return None


def lend_reach(text: str, spans: Sequence[tuple[int, int, int]], i: int, end: int) -> int:
    """Return where the attributes of a finding in sentence ``i`` are looked for.

    To the end of the next sentence of its section, and of the one after that when that one
    refers back ("Calcinosis of the right heel. She walks with a stick. It is a hard nodule.").
    ``spans`` are (start, end, section index) of the sentences; ``end`` is the finding's end.
    """
    for j in (i + 1, i + 2):
        if j >= len(spans) or spans[j][2] != spans[i][2]:
            break
        if j == i + 2 and not _REFERS_BACK.match(text, spans[j][0], spans[j][1]):
            break
        end = max(end, spans[j][1])
    return end


def link_calcinosis_attributes(sentences: Sequence[Sequence[Mention]], text: str = "") -> None:
    """Link attributes to calcinosis/calcification mentions, sentence by sentence (in place).

    Parameters
    ----------
    sentences
        The mentions of each sentence, in document order.
    text
        The note: a sentence two on that refers back lends too (:func:`lend_reach`).
    """
    previous: Mention | None = None
    previous_section: str | None = None
    after = 0
    for sentence in sentences:
        anchors = _drop_labels([m for m in sentence if m.category in _ANCHORS])
        section = sentence[0].section if sentence else None
        if anchors:
            _link_sentence(anchors, sentence, text)
            _borrow_sites(
                text, previous if section == previous_section and not after else None, anchors
            )
            previous, previous_section, after = anchors[-1], section, 0
        elif previous is not None and section == previous_section:
            after += 1
            if after == 1 or _REFERS_BACK.match(text, *sentence[0].sentence):
                _lend_back(previous, sentence)
            if after == 2 or not text:
                previous = None
        for anchor in anchors:
            _decide_concept(anchor)
    for sentence in sentences:
        for item in sentence:
            if item.links or item.category == _CALCIFICATION:
                _finish(item)


def _lend_back(previous: Mention, sentence: Sequence[Mention]) -> None:
    """Lend a sentence's morphology and extent (and sites) to the previous calcinosis."""
    if any(m.metadata.get("other_finding") or m.metadata.get("organ") for m in sentence):
        return  # "A rheumatoid nodule ...", "A nodule in the right upper lobe ...": another lesion
    carried = [
        m
        for m in sentence
        if m.category in _CARRIED and not (m.is_negated or m.is_uncertain or m.is_hypothetical)
    ]
    if carried:
        _link_sentence([previous], carried + _carried_sites(previous, sentence, carried))


def _borrow_sites(text: str, previous: Mention | None, anchors: Sequence[Mention]) -> None:
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
        or "calcinosis" not in _concepts(previous)
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


def _carried_sites(
    previous: Mention, sentence: Sequence[Mention], carried: Sequence[Mention]
) -> list[Mention]:
    """Return the sites a sentence describing the lesions lends with its morphology.

    "... calcinosis universalis. Numerous hard nodules over the elbows and knees.": a sentence
    with no finding of its own whose morphology words describe the previous calcinosis also
    says where it is, when that calcinosis names no site and the sentence no other skin finding.
    """
    if (
        previous.links.get("regions")
        or "calcinosis" not in _concepts(previous)
        or not any(m.category == _MORPHOLOGY for m in carried)
        or any(m.metadata.get("other_finding") for m in sentence)
    ):
        return []
    return [
        m
        for m in sentence
        if m.category in (_BODY_REGION, _LATERALITY) and not (m.is_negated or m.is_uncertain)
    ]


def _finish(item: Mention) -> None:
    """Decide what a calcification counts toward; drop the marks that are not output."""
    if item.category == _CALCIFICATION:
        _decide_concept(item)
    if item.category in _ANCHORS:  # where the sites came from
        for mark in ("surface_regions", "surface_field_regions", "beside_calcinosis"):
            item.links.pop(mark, None)
    elif item.links:  # the marks of ``mark_labels``
        for mark in ("field", "after_noun", "other_finding"):
            item.links.pop(mark, None)


# Punctate elements of a network ("punctate and curvilinear calcifications in a cobweb-like
# network", "punctate dots at the junctions of the lattice's strands"): the dots are the net's
# own elements, not nodules beside it (notesacc31, fresh21 Z12; Bartoli F et al., Rheumatology
# 2016, the Florence "net"). A finding given the reticular pattern keeps a nodular one only
# from a word of its own (nodules, stones, masses, lumps, popcorn ...), not from these.
# The words: targets.yaml ``clause_words`` element and own_nodule (notesfix31).
_ELEMENT_WORDS = re.compile(r"(?:" + _CLAUSE_WORDS.alternation("element") + ")")


def drop_network_elements(sentences: Sequence[Sequence[Mention]], text: str) -> None:
    """Drop a nodular pattern that only punctate elements of a reticular finding gave."""
    for sentence in sentences:
        for m in sentence:
            morphology = m.links.get("morphology")
            if (
                not morphology
                or "reticular" not in morphology
                or "nodular" not in morphology
                or m.metadata.get("morphology") == "nodular"
            ):
                continue
            spans = [(a, b) for a, b, kind in m.links.get("spans", ()) if kind == "MORPHOLOGY"]
            words = [text[a:b].lower() for a, b in spans]
            if any(_OWN_NODULE.search(w) for w in words):
                continue
            elements = [
                sp for sp, w in zip(spans, words, strict=True) if _ELEMENT_WORDS.fullmatch(w)
            ]
            nets = [
                sp for sp, w in zip(spans, words, strict=True) if not _ELEMENT_WORDS.fullmatch(w)
            ]
            if any(_same_clause(text, e, n) for e in elements for n in nets):
                morphology.remove("nodular")


def _same_clause(text: str, one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether no clause break lies between two spans (notesfix31, review 26).

    A semicolon, a colon, or a comma before "and", "with", "but" ...: "dot-like deposits over
    the fingertips" after "a reticular net over the thigh, and" are nodules of their own, not
    the net's elements; the commas of a list of adjectives ("punctate calcifications in a fine,
    branching, cobweb-like network") break nothing.
    """
    start, end = (one[1], other[0]) if one[0] < other[0] else (other[1], one[0])
    return _NET_CLAUSE_BREAK.search(text, start, end) is None


_NET_CLAUSE_BREAK = re.compile(
    r"[;:]|,[ \t]*(?:and|with|but|while|whereas|plus|as[ \t]+well)(?![a-z])", re.I
)


_OWN_NODULE = re.compile(_CLAUSE_WORDS.alternation("own_nodule"))


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
        if anchor.category in _ANCHORS
        and not anchor.links.get("label")
        and "calcinosis" in _concepts(anchor)
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
            _add(anchor, "regions", dict(entry), region)
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
        anchors = [m for m in sentence if m.category in _ANCHORS and not m.links.get("label")]
        if any(m.links.get("regions") for m in anchors):
            continue  # the sentence names its sites
        anchors = [m for m in anchors if not m.is_negated and "calcinosis" in _concepts(m)]
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
            m.category in _ANCHORS or m.metadata.get("other_finding") or m.is_negated
            for m in clause
        ):
            continue  # the clause's sites are another finding's, or negated ("No pain in ...")
        for anchor in anchors:
            for region, side, _field in _regions(clause):
                entry = {"region": region.metadata.get("region"), "laterality": side}
                _add(anchor, "regions", entry, region)


def _concepts(anchor: Mention) -> list[str]:
    counted = anchor.links.get("counts_as")
    return ([counted] if counted else []) + list(anchor.links.get("also_counts_as", []))


def link_antibody_results(sentence: Sequence[Mention], text: str = "") -> None:
    """Give each antibody mention of a sentence its result (in place).

    Parameters
    ----------
    sentence
        The mentions of one sentence, in document order.
    text
        The document; a semicolon between two mentions ends a clause (results do not cross it).
    """
    pending: list[Mention] = []
    forward: Mention | None = None
    previous_end = -1
    for item in sentence:
        if text and previous_end >= 0 and text.find(";", previous_end, item.start) >= 0:
            pending, forward = [], None
        previous_end = item.end
        if item.category == _ANTIBODY:
            if forward is not None:
                item.links["result"] = forward.metadata.get("result")
            else:
                pending.append(item)
        elif item.category == _AB_RESULT:
            forward = item if item.metadata.get("applies") == "forward" or not pending else None
            for antibody in pending:
                antibody.links["result"] = item.metadata.get("result")
            pending = []
