"""A word that stands for a calcinosis named before it in its sentence (notesacc30).

"Her hands were spared of calcinosis but the elbows have large deposits": the deposits are the
calcinosis the sentence is about, present where the calcinosis before the contrast is denied.
The rule ``deposits (refers back)`` of ``targets.yaml`` (metadata ``refers_back``) matches
"deposit(s)", "lesion(s)" and "ones" beside the morphology words; such a mention is kept as a
calcinosis finding of its own only when

* a calcinosis (not another such word) comes before it in the sentence, with a contrast word
  ("but", "whereas", "while", "although", "though", "however") between them;
* its status differs from that calcinosis's: the calcinosis is negated and it is not (where
  they agree, the calcinosis before already says it, and keeps the sites as before);
* its clause (from the contrast word to the next one or the sentence's end) names no finding
  of its own ("but calcified deposits at the elbows" is read by that finding);
* it is no deposit of something else: no word of ``look_alike_words`` (variant not_calcium:
  urate, amyloid, fat, iron, ...) in the two words before it or after its "of" ("fat
  deposits", "deposits of urate").

Elsewhere it is dropped before linking, so a sentence without that contrast reads as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.rules import load_word_list

__all__ = ["has_contrast", "keep_referring"]

_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_CONTRAST = re.compile(r"(?<![a-z])(?:but|whereas|while|although|though|however)(?![a-z])", re.I)
# substrings of every contrast word ("though" in "although"), looked for first
_CONTRAST_PARTS = ("but", "whereas", "while", "though", "however")


def has_contrast(low: str) -> bool:
    """Return whether a lower-cased note has a contrast word (else it keeps no referring word)."""
    return any(part in low for part in _CONTRAST_PARTS) and _CONTRAST.search(low) is not None


_NOT_CALCIUM = load_word_list("look_alike_words").alternation("not_calcium")
# the two words before the word ("urate deposits", "deposits: amyloid") ...
_OF_OTHER_BEFORE = re.compile(
    r"(?<![a-z])(?:" + _NOT_CALCIUM + r")(?![a-z])[ \t,-]*+(?:[a-z-]+[ \t]+)?\Z", re.I
)
# ... or after its "of" ("deposits of urate", "deposits of monosodium urate")
_OF_OTHER_AFTER = re.compile(
    r"[ \t]+of[ \t]+(?:[a-z-]+[ \t]+){0,2}?(?:" + _NOT_CALCIUM + r")(?![a-z])", re.I
)


def keep_referring(grouped: Sequence[list[Mention]], text: str) -> None:
    """Drop (in place) the referring words that stand for no calcinosis (module docstring)."""
    for sentence in grouped:
        if not any(m.metadata.get("refers_back") for m in sentence):
            continue
        sentence[:] = [
            m for m in sentence if not m.metadata.get("refers_back") or _refers(m, sentence, text)
        ]


def _refers(word: Mention, sentence: Sequence[Mention], text: str) -> bool:
    if word.is_negated:
        return False
    anchors = [m for m in sentence if m.category in _ANCHORS and not m.metadata.get("refers_back")]
    before = [m for m in anchors if m.end <= word.start]
    if not before or before[-1].category != Category.CALCINOSIS or not before[-1].is_negated:
        return False
    contrasts = list(_CONTRAST.finditer(text, before[-1].end, word.start))
    if not contrasts:
        return False
    start = contrasts[-1].start()
    later = _CONTRAST.search(text, word.end, word.sentence[1])
    end = later.start() if later else word.sentence[1]
    if any(start <= m.start < end or m.start < word.end <= m.end for m in anchors):
        return False  # its clause names a finding of its own
    return not (
        _OF_OTHER_BEFORE.search(text, max(start, word.start - 40), word.start)
        or _OF_OTHER_AFTER.match(text, word.end, end)
    )
