"""Which finding an attribute describes, and how a link is recorded on it.

The calcinosis and calcification mentions of a sentence are its *anchors*. An adjective
(morphology, extent, tissue) goes to the anchor just after it ("nodular calcinosis"), a site to
the one just before it ("calcinosis at the hand"), else to the nearest (:class:`Anchors`, by
bisection when a sentence has many). :func:`add_link` records a value with the span that gave
it; :func:`concepts_of` reads what a linked anchor counts toward. Used by
:mod:`calciscope.extract.linking` and :mod:`calciscope.extract.sites`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention

__all__ = ["ANCHORS", "Anchors", "add_link", "concepts_of"]

#: The categories attributes are linked to.
ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_PRE_NOMINAL = frozenset({Category.MORPHOLOGY, Category.EXTENT, Category.TISSUE})
_ADJACENT = 40
#: Bound once (see linking.py): ``Category.X`` is a metaclass attribute lookup on Python 3.11.
_BODY_REGION = Category.BODY_REGION


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


def add_link(anchor: Mention, key: str, value: object, item: Mention) -> None:
    """Add ``value`` to the anchor's ``key`` link (once) and the span of the item that gave it."""
    values = anchor.links.setdefault(key, [])
    if value not in values:
        values.append(value)
    anchor.links.setdefault("spans", []).append([item.start, item.end, item.category])


class Anchors:
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
        """Return the anchor ``item`` describes (the same as :func:`_nearest`)."""
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


def concepts_of(anchor: Mention) -> list[str]:
    """Return the concepts a linked anchor counts toward (``counts_as``, ``also_counts_as``)."""
    counted = anchor.links.get("counts_as")
    return ([counted] if counted else []) + list(anchor.links.get("also_counts_as", []))
