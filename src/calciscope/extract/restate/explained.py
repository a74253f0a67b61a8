"""What the next sentence says a bare calcification is.

A bare calcification followed by a sentence whose findings are all ``not_calcinosis`` things,
said to be what was seen ("Peripheral mineralisation in a thigh mass. Appearances are those of
myositis ossificans."), counts toward nothing; followed by one that names calcinosis only as a
possibility beside such a thing ("The differential is calcinosis versus calcific bursitis."),
it is uncertain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _calcinosis

_EXPLAINS = re.compile(
    r"^\W*(?:[a-z ]{1,20}:\s*)?(?:(?:the\s+)?(?:appearances?|features|findings?|this|these|it|"
    r"they)\s+(?:are|is)\s+(?:those\s+of|(?:most\s+)?(?:in\s+keeping|consistent|compatible)\s+"
    r"with|typical\s+of|due\s+to)|(?:in\s+keeping|consistent|compatible)\s+with)\s+"
    r"(?:(?:an?|the)\s+)?$"
)


def _explain_back(sentences: Sequence[Sequence[Mention]], text: str) -> None:
    """Let a sentence of ``not_calcinosis`` findings say what the previous calcification is."""
    previous: list[Mention] = []
    for sentence in sentences:
        anchors = [m for m in sentence if m.category in _ANCHORS and not m.links.get("label")]
        if not anchors:
            continue
        others = [a for a in anchors if a.metadata.get("not_calcinosis")]
        bare = [a for a in previous if a.category == Category.CALCIFICATION and _calcinosis(a)]
        if others and bare:
            maybe = [a for a in anchors if a not in others]
            if maybe and all(a.is_uncertain and _calcinosis(a) for a in maybe):
                for anchor in bare:  # "The differential is calcinosis versus bursitis."
                    anchor.is_uncertain = True
            elif not maybe and _EXPLAINS.search(
                text[sentence[0].sentence[0] : others[0].start].lower()
            ):
                for anchor in bare:  # "Appearances are those of myositis ossificans."
                    anchor.links.update(explained=True, counts_as=None)
                    anchor.links.pop("also_counts_as", None)
        previous = anchors
