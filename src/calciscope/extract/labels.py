"""Mark what a finding's sentence says its words are, before linking.

A calcinosis or calcification written as a field label ("Calcinosis: nodular calcinosis at the
thumb"), a body region written as a label ("Hands: ...") or naming the hand of the fingers
after it, a tissue word after a preposition ("in the tendon": it describes the finding before
it), a body region another skin finding governs ("skin thickening of the face and hands, with
calcinosis at the elbow"; rule ``other_finding``), and a calcification the sentence explains as
something that is not calcinosis ("calcific focus ..., in keeping with calcific tendinopathy";
"the densities in the forearm are arterial wall calcification"). :mod:`calciscope.extract.linking`
reads these marks and drops them from the output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from calciscope.extract.anchors import ANCHORS
from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate import hand_of_fingers

__all__ = ["mark_labels"]

#: Bound once (see linking.py): ``Category.X`` is a metaclass attribute lookup on Python 3.11.
_BODY_REGION = Category.BODY_REGION
_CALCIFICATION = Category.CALCIFICATION
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
# Its own name: from notesfix31 to split34 a second ``_CLAUSE_BREAK`` of linking.py (now
# ``network._NET_CLAUSE_BREAK``) replaced it at import; this one breaks where either did.
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


def mark_labels(text: str, sentence: Sequence[Mention]) -> None:
    """Mark field labels and post-nominal tissues in a sentence (in place).

    In "Calcinosis: nodular calcinosis at the thumb" the first word names the field; the
    finding is the second mention. A lone "Calcinosis: none" stays a finding. A body region
    written as a label ("Hands: ...") names a field; a tissue word after a preposition ("in the
    tendon") describes the finding before it.
    """
    anchors = [m for m in sentence if m.category in ANCHORS]
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
        if item.category in ANCHORS or item.metadata.get("other_finding"):
            last = item
        elif (
            item.category == _BODY_REGION
            and last is not None
            and last.category not in ANCHORS
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
