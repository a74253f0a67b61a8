"""The base of an ulcer.

A calcinosis that names no site, in a sentence that starts with the base, bed or floor of a
wound ("Base contains gritty material consistent with calcinosis"), takes the sites of the
sentence before it in the same section, which names the wound ("Ulcer: R lateral malleolus,
2 cm."), when that sentence has no finding and no negation; when that one names no site (a
measurement: "Wound: 3.5 x 2 cm, shallow."), of the sentence before it that names the wound
("Referred for an ulcer of the R lower leg."; notesacc28).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.restate.lending import _ANCHORS, _LAYERS, _lend
from calciscope.extract.rules import load_reach, load_word_list

# "Base contains ...", "The ulcer bed shows ...": the wound described in the sentence before.
_WOUND_BASE = re.compile(
    r"\W*(?:(?:the|its|ulcer|wound|ulcer's|wound's)\s+){0,2}(?:base|bed|floor)s?(?![a-z])", re.I
)

# Before the sentence just before, only a sentence naming the wound lends (two sentences at
# most: a measurement or a label line may come between): targets.yaml ``wound_base_reach``
# (notesacc30: the reach is rule data).
_BASE_REACH = load_reach("wound_base_reach")
# The words naming a wound: targets.yaml ``wound_words`` (notesfix28: the words are rule data).
_WOUND = load_word_list("wound_words").pattern("wound")


def _base_sites(
    anchors: Sequence[Mention],
    every: Sequence[tuple[int, int, int]],
    text: str,
    find: Callable[..., list[Mention]],
) -> None:
    """Give a calcinosis in the base of a wound the sites of the sentence naming the wound."""
    for anchor in anchors:
        i = next((k for k, s in enumerate(every) if s[0] <= anchor.start < s[1]), 0)
        for k in range(i - 1, max(-1, i - 1 - _BASE_REACH), -1):
            if every[k][2] != every[i][2]:
                break
            mentions = find(every[k][0], every[k][1], _LAYERS, True)
            if any(m.category in _ANCHORS or m.is_negated for m in mentions):
                break
            regions = [m for m in mentions if m.category == Category.BODY_REGION]
            # further back only the sentence that names the wound ("Referred for an ulcer of
            # the R shin. Wound: 3 x 2 cm. The ulcer bed is floored by ..."; notesacc28)
            if regions and (k == i - 1 or _WOUND.search(text, *every[k][:2])):
                _lend(anchor, "regions", regions, text, mentions)
                break
