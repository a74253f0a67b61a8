"""Give each antibody mention of a sentence its result.

"positive for X and Y" applies forward, "X positive" and "X, Y negative" backward, to the
antibodies between it and the previous result; a semicolon ends a clause (results do not cross
it).
"""

from __future__ import annotations

from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention

__all__ = ["link_antibody_results"]

#: Bound once (see linking.py): ``Category.X`` is a metaclass attribute lookup on Python 3.11.
_AB_RESULT = Category.AB_RESULT
_ANTIBODY = Category.ANTIBODY


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
