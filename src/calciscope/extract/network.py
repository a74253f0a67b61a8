"""Drop a nodular pattern that only the punctate elements of a reticular finding gave.

"punctate and curvilinear calcifications in a cobweb-like network": the dots are the net's own
elements, not nodules beside it; a finding given the reticular pattern keeps a nodular one only
from a word of its own, or from dots in another clause (notesacc31, notesfix31).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Mention
from calciscope.extract.rules import load_word_list

__all__ = ["drop_network_elements"]

_CLAUSE_WORDS = load_word_list("clause_words")

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
