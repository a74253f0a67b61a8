"""Link attributes to the finding they describe; decide what each finding counts toward.

Within a sentence, each morphology, extent, tissue and modality mention is linked to the
nearest calcinosis or calcification mention (:mod:`calciscope.extract.anchors`), and each body
region to its finding (:mod:`calciscope.extract.sites`). A sentence that has morphology or
extent words but no calcinosis mention ("The deposits are sheet-like.") lends them to the last
calcinosis mention of the previous sentence in the same section, and its sites too when that
calcinosis names none ("Numerous hard nodules over the elbows"); so does the sentence after
that one when it refers back by its first words ("It is a hard nodule.", "These are sheets.").
A bare calcification in the next sentence that names "both sites", "these areas" or "the same
sites" takes the sites of the previous calcinosis ("X-rays of both sites show deposits").
Morphology and extent lent by the next sentence must not be negated or uncertain there ("No
focal bone lesion" lends nothing), and a sentence about another lump or an organ lends none ("A
nodule in the right upper lobe is stable").

What a mention counts toward is decided by the rule data: a calcinosis mention counts toward
its rule's ``concept``; a general calcification toward the ``counts_as`` concepts of the tissues
linked to it (soft tissue, fascial -> calcinosis; intramuscular -> calcinosis and muscle
calcification; vascular, lymph node, granuloma, cartilage, tendon ... -> nothing), else, when
it has a body region as its site, toward its rule's ``site_counts_as``, else toward nothing. A
site that is a body cavity (rule ``body_cavity``: "chest", "thorax", "abdomen", "pelvis", not
"chest wall") holds lungs, nodes and vessels, so it counts a bare calcification only in a
sentence that names calcinosis. A rule with ``not_calcinosis`` ("calcified granuloma",
"non-calcified nodule", "calcific tendinitis") counts toward nothing whatever is linked to it,
and so does a calcification :mod:`calciscope.extract.labels` marks as explained.

The other steps of linking, each in its own module: field labels, post-nominal tissues, other
findings' sites and explained calcifications (:mod:`~calciscope.extract.labels`, before this);
sites from the examination title and from the clause before a semicolon
(:mod:`~calciscope.extract.sites`); a net's punctate elements
(:mod:`~calciscope.extract.network`); antibody results (:mod:`~calciscope.extract.antibodies`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from calciscope.extract.anchors import ANCHORS, Anchors, add_link
from calciscope.extract.mention import Category, Mention
from calciscope.extract.rule_files import load_reach
from calciscope.extract.sites import borrow_sites, carried_sites, link_regions
from calciscope.extract.word_lists import load_word_list

__all__ = ["lend_reach", "link_calcinosis_attributes"]

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

#: The categories compared in the loops below, bound once: on Python 3.11 ``Category.X`` is a
#: metaclass attribute lookup (``EnumType.__getattr__``), several times a plain name's cost.
#: How far (characters) a calcinosis may stand from the pattern phrase it takes, and what
#: ends or joins the clause between them (targets.yaml ``outer_pattern_reach`` and
#: ``outer_pattern_words``; fix37, moved from code).
_OUTER_REACH: Final[int] = load_reach("outer_pattern_reach")
_OUTER_WORDS = load_word_list("outer_pattern_words")
_CLAUSE_END: Final[re.Pattern[str]] = re.compile(_OUTER_WORDS.alternation("clause_end"), re.I)
_JOINED: Final[re.Pattern[str]] = re.compile(_OUTER_WORDS.alternation("joined"), re.I)
_PREDICATE: Final[re.Pattern[str]] = re.compile(_OUTER_WORDS.alternation("predicate"), re.I)
_CALCIFICATION = Category.CALCIFICATION
_CALCINOSIS = Category.CALCINOSIS
_MORPHOLOGY = Category.MORPHOLOGY
_TISSUE = Category.TISSUE


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


def _current_patterns(sentence: Sequence[Mention], index: Anchors) -> set[tuple[int, object]]:
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
    index: Anchors,
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
    index = Anchors(anchors)
    cache: dict[str, set[tuple[int, object]]] = {}
    deferred: list[tuple[Mention, Mention, Mention]] = []
    for item in sentence:
        spec = _ATTRIBUTES.get(item.category)
        if spec is not None and item.metadata.get(spec[1]) is not None:
            anchor = _anchor_of(item, index, anchors, text, deferred)
            if anchor is None or _skip_pattern(item, anchor, sentence, index, cache):
                continue
            add_link(anchor, spec[0], item.metadata[spec[1]], item)
            if item.category == _TISSUE:
                if item.metadata.get("decides_calcium"):
                    anchor.links["calcium_tissue"] = True  # the cornea, a tooth (notesacc31)
                counts = anchor.links.setdefault("tissue_counts_as", [])
                counts.extend(c for c in item.metadata.get("counts_as") or [] if c not in counts)
    link_regions(anchors, index, sentence, text)
    for item, inner, outer in deferred:
        # the inner calcium word keeps its pattern when it has a tissue or a site of its own
        anchor = inner if inner.links.get("tissue") or inner.links.get("regions") else outer
        if not _skip_pattern(item, anchor, sentence, index, cache):
            add_link(anchor, "morphology", item.metadata["morphology"], item)
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


def _anchor_of(
    item: Mention,
    index: Anchors,
    anchors: Sequence[Mention],
    text: str,
    deferred: list[tuple[Mention, Mention, Mention]],
) -> Mention | None:
    """Return the anchor ``item`` describes, or None when a pattern's choice waits (deferred)."""
    anchor = index.nearest(item)
    if item.category == _MORPHOLOGY and item.start <= anchor.start < item.end:
        outer = _outer_calcinosis(anchors, item, anchor, text)
        if outer is not anchor:
            deferred.append((item, anchor, outer))
            return None
    return anchor


def _outer_calcinosis(
    anchors: Sequence[Mention], item: Mention, inner: Mention, text: str
) -> Mention:
    """Return the calcinosis a pattern phrase describes when its own calcium word is bare.

    A pattern phrase may hold a word of calcium ("forms a thin calcified surface", "a rigid
    calcified sleeve"): that word is a calcification of its own, the nearest anchor, and took
    the pattern from the calcinosis the sentence is about ("Calcinosis over the sacrum forms a
    thin calcified surface" had no pattern; notesacc35). The pattern goes to the nearest
    calcinosis of the same clause (no ";" between) instead, when the phrase is said of it: not
    when only "and", "with" or a comma joins them ("Nodular calcinosis at the fingertips, with
    a calcified rind around an old haematoma": the rind is the haematoma's; fix37), unless a
    verb such as "forms" follows the join ("calcinosis of the buttocks, forming a calcified
    sleeve"). With none, the inner word keeps it (its tissue then decides, "bands of dense
    calcification in a node": fix34).
    """
    if inner.category != _CALCIFICATION:
        return inner
    best: Mention | None = None
    gap = _OUTER_REACH + 1
    for anchor in anchors:
        if anchor.category != _CALCINOSIS:
            continue
        if anchor.end <= item.start:
            lo, hi = anchor.end, item.start
        elif anchor.start >= item.end:
            lo, hi = item.end, anchor.start
        else:
            continue
        if hi - lo < gap and _said_of(text, lo, hi):
            best, gap = anchor, hi - lo
    return inner if best is None else best


def _said_of(text: str, lo: int, hi: int) -> bool:
    """Whether the words ``text[lo:hi]`` between a calcinosis and a pattern phrase predicate it."""
    if _CLAUSE_END.search(text, lo, hi) is not None:
        return False
    last = -1
    for joined in _JOINED.finditer(text, lo, hi):
        last = joined.end()
    return last < 0 or _PREDICATE.search(text, last, hi) is not None


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
        anchors = _drop_labels([m for m in sentence if m.category in ANCHORS])
        section = sentence[0].section if sentence else None
        if anchors:
            _link_sentence(anchors, sentence, text)
            borrow_sites(
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
        _link_sentence([previous], carried + carried_sites(previous, sentence, carried))


def _finish(item: Mention) -> None:
    """Decide what a calcification counts toward; drop the marks that are not output."""
    if item.category == _CALCIFICATION:
        _decide_concept(item)
    if item.category in ANCHORS:  # where the sites came from
        for mark in ("surface_regions", "surface_field_regions", "beside_calcinosis"):
            item.links.pop(mark, None)
    elif item.links:  # the marks of ``mark_labels``
        for mark in ("field", "after_noun", "other_finding"):
            item.links.pop(mark, None)
