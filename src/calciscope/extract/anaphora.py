"""Deposits that stand for a calcinosis named before them in their sentence (notesacc30).

"Her hands were spared of calcinosis but the elbows have large deposits": the deposits are the
calcinosis the sentence is about, present where the calcinosis before the contrast is denied.
The rule ``deposits (refers back)`` of ``targets.yaml`` (metadata ``refers_back``) matches
"deposit(s)" beside the morphology words ("lesions" and "ones" stand for anything: notesfix30,
review 25); such a mention is kept as a calcinosis finding of its own only when

* a calcinosis (not another such word) comes before it in the sentence, with a contrast word
  (``clause_words`` variant contrast: "but", "whereas", ...) between them;
* its status differs from that calcinosis's: the calcinosis is negated and it is not (where
  they agree, the calcinosis before already says it, and keeps the sites as before);
* its clause (from the contrast word to the next one or the sentence's end) names no finding
  of its own ("but calcified deposits at the elbows" is read by that finding);
* its clause says they are calcinosis's (an allow-list, notesfix30): a word of calcium or
  hardness (``calcium_words`` variant far_deposit: "hard", "chalky", "calcified") or a site of
  the skin of the limbs, buttocks or back (``clause_words`` variant deposit_site: "the elbows
  have large deposits"); "corneal deposits", "IgA deposits on the renal biopsy" say neither;
* its clause names no deposit of something else (``look_alike_words`` not_calcium and
  ``clause_words`` not_deposit: "urate", "crystal deposits in the knee", "pigment deposits on
  the shins", "deposits of calcium pyrophosphate").

Elsewhere it is dropped before linking, so a sentence without that contrast reads as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.mention import Category, Mention
from calciscope.extract.rules import load_word_list

__all__ = ["has_contrast", "keep_referring"]

_ANCHORS = frozenset({Category.CALCINOSIS, Category.CALCIFICATION})
_CLAUSE_WORDS = load_word_list("clause_words")
_CONTRAST = _CLAUSE_WORDS.pattern("contrast")
# every contrast word, looked for first as a plain substring (a note without one skips it all)
_CONTRAST_PARTS = tuple(_CLAUSE_WORDS.alternation("contrast").split("|"))


def has_contrast(low: str) -> bool:
    """Return whether a lower-cased note has a contrast word (else it keeps no referring word)."""
    return any(part in low for part in _CONTRAST_PARTS) and _CONTRAST.search(low) is not None


# a deposit of something else anywhere in the deposits' clause ("urate deposits", "crystal
# deposits in the knee on aspiration", "deposits of sebum")
_OF_OTHER = re.compile(
    r"(?<![a-z])(?:"
    + load_word_list("look_alike_words").alternation("not_calcium")
    + "|"
    + _CLAUSE_WORDS.alternation("not_deposit")
    + r")(?![a-z])",
    re.I,
)
# what says the deposits are calcinosis's: a word of calcium or hardness in their clause ...
_CALCIUM = load_word_list("calcium_words").pattern("far_deposit")
# ... or a site of the skin of the limbs, buttocks or back (an allow-list, notesfix30)
_SITES = frozenset(_CLAUSE_WORDS.alternation("deposit_site").split("|"))


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
    if _OF_OTHER.search(text, start, end):
        return False  # a deposit of something else
    return _CALCIUM.search(text, start, end) is not None or any(
        m.category == Category.BODY_REGION
        and start <= m.start < end
        and m.metadata.get("region") in _SITES
        for m in sentence
    )
