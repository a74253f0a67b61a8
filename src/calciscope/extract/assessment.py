"""NegEx-style judgement of one known condition in one sentence (``notes assess``).

:meth:`NoteExtractor.assess <calciscope.extract.extractor.NoteExtractor.assess>` finds the
condition in the sentence, applies ConText to it as the extractor does to a target, and answers
in the NegEx/ConText test kit's own vocabulary (:class:`Assessment`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from calciscope.extract.context import CATEGORY_FLAGS, modifiers_reaching
from calciscope.extract.matcher import Match, lower_same_length
from calciscope.extract.mention import Mention

if TYPE_CHECKING:
    from calciscope.extract.extractor import NoteExtractor

__all__ = ["EXPERIENCER_FAMILY", "TEMPORALITY_NOT_PARTICULAR", "Assessment", "assess"]

#: NegEx/ConText test-kit labels written by :meth:`NoteExtractor.assess` (``notes assess``).
TEMPORALITY_NOT_PARTICULAR = "Not particular"
EXPERIENCER_FAMILY = "Family member"


@dataclass(frozen=True)
class Assessment:
    """NegEx-style judgement of one condition in one sentence."""

    negation: str
    temporality: str
    experiencer: str
    modifiers: tuple[str, ...] = ()


def assess(extractor: NoteExtractor, condition: str, sentence: str) -> Assessment:
    """Judge a known condition in a sentence, as NegEx/ConText do.

    Parameters
    ----------
    extractor
        The extractor whose sections, sentences and ConText rules are used.
    condition
        The condition text, found in the sentence ignoring case and spacing. When it occurs
        more than once, the occurrence written in capitals is taken (the NegEx test-kit
        convention marks the annotated phrase so), else the first outside a header. When it
        cannot be found, the whole sentence is the condition's scope.
    sentence
        The sentence (it may carry a section header, which then applies).

    Returns
    -------
    Assessment
        In the NegEx/ConText test kit's own vocabulary: ``negation`` Affirmed / Negated /
        Possible, ``temporality`` Recent / Historical / Not particular (hypothetical),
        ``experiencer`` Patient / Family member (ConText's experiencer triggers are family
        words; the kit's third value, Other, is not produced).
    """
    low = lower_same_length(sentence)
    sections = extractor.sections(sentence, low)
    spans = extractor.sentences(sentence, sections)
    span = _locate(sentence, low, condition, spans)
    if span is None:
        span, bounds, section = (0, len(sentence)), (0, len(sentence)), sections[-1]
    else:
        index = max(0, bisect.bisect_right([s[0] for s in spans], span[0]) - 1)
        start, end, sec = spans[index]
        bounds, section = (start, max(end, span[1])), sections[sec]
    masked = low[: span[0]] + "\x01" * (span[1] - span[0]) + low[span[1] :]
    mods = [m for m in extractor._context.find(masked) if bounds[0] <= m.start < bounds[1]]
    target = Match(span[0], span[1], -1)
    reached = modifiers_reaching(
        masked, [(target, "CONDITION")], mods, extractor.rules.context, bounds
    )
    mention = Mention(span[0], span[1], sentence[span[0] : span[1]], "CONDITION", "assess")
    for i in reached[0]:
        rule = extractor.rules.context[mods[i].rule]
        extractor._set_flag(mention, CATEGORY_FLAGS.get(rule.category), rule.rule_id)
    header = extractor._section_flags[section.rule] if section.rule is not None else None
    if header is not None:
        extractor._set_flag(mention, *header)
    return _judge(mention)


def _locate(
    text: str, low: str, condition: str, spans: Sequence[tuple[int, int, int]]
) -> tuple[int, int] | None:
    words = condition.lower().split()
    if not words:
        return None
    found = [m.span() for m in re.finditer(r"\s+".join(re.escape(w) for w in words), low)]
    if len(found) > 1:
        headers = {a for a, b, _ in spans if text[a:b].rstrip().endswith(":")}
        found = [f for f in found if f[0] not in headers] or found
        capitals = [f for f in found if text[f[0] : f[1]].isupper()]
        if capitals and not text.isupper():
            return capitals[0]
    return found[0] if found else None


def _judge(mention: Mention) -> Assessment:
    if mention.is_negated:
        negation = "Negated"
    elif mention.is_uncertain:
        negation = "Possible"
    else:
        negation = "Affirmed"
    if mention.is_hypothetical:
        temporality = TEMPORALITY_NOT_PARTICULAR
    elif mention.is_historical:
        temporality = "Historical"
    else:
        temporality = "Recent"
    experiencer = EXPERIENCER_FAMILY if mention.is_family else "Patient"
    return Assessment(negation, temporality, experiencer, tuple(mention.modifiers))
