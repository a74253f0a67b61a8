"""The base of an ulcer.

A calcinosis that names no site, in a sentence that starts with the base, bed or floor of a
wound ("Base contains gritty material consistent with calcinosis"), takes the sites of the
sentence before it in the same section, which names the wound ("Ulcer: R lateral malleolus,
2 cm."), when that sentence has no finding and no negation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _LAYERS, _lend

# "Base contains ...", "The ulcer bed shows ...": the wound described in the sentence before.
_WOUND_BASE = re.compile(
    r"\W*(?:(?:the|its|ulcer|wound|ulcer's|wound's)\s+){0,2}(?:base|bed|floor)s?(?![a-z])", re.I
)


def _base_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis in the base of a wound the sites of the sentence naming the wound."""
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), 0)
        if i == 0 or every[i - 1][2] != every[i][2]:
            continue
        mentions = find(every[i - 1][0], every[i - 1][1], _LAYERS, True)
        if any(m.category in _ANCHORS or m.is_negated for m in mentions):
            continue
        regions = [m for m in mentions if m.category == Category.BODY_REGION]
        _lend(anchor, "regions", regions, text, mentions)
