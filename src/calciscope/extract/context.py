"""The ConText algorithm: which modifiers (negation, uncertainty, history, ...) reach a target.

A modifier found by a :class:`~calciscope.extract.rules.ConTextRule` reaches forward, backward
or both ways from its trigger, to the end of the sentence, or to the first terminator
(a ``TERMINATE`` rule of the same category, e.g. "but" for negation), or to ``max_scope``
words, whichever comes first. ``PSEUDO`` rules only exist to win the match over the trigger
they contain. A target inside the scope, of an allowed type, is modified.

References
----------
Harkema H, Dowling JN, Thornblade T, Chapman WW. ConText: an algorithm for determining
negation, experiencer, and temporal status from clinical reports. J Biomed Inform
2009;42(5):839-51. DOI 10.1016/j.jbi.2009.05.002

Chapman WW, Bridewell W, Hanbury P, Cooper GF, Buchanan BG. A simple algorithm for identifying
negated findings and diseases in discharge summaries. J Biomed Inform 2001;34(5):301-10.
DOI 10.1006/jbin.2001.1029
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from calciscope.extract.matcher import Match
from calciscope.extract.rules import ConTextRule, Direction

__all__ = ["CATEGORY_FLAGS", "modifier_scope", "modifiers_reaching"]

#: ConText category -> the mention flag it sets.
CATEGORY_FLAGS: dict[str, str] = {
    "NEGATED_EXISTENCE": "is_negated",
    "POSSIBLE_EXISTENCE": "is_uncertain",
    "HISTORICAL": "is_historical",
    "HYPOTHETICAL": "is_hypothetical",
    "FAMILY": "is_family",
}

_WORD = re.compile(r"\S+")


def _forward_limit(low: str, start: int, end: int, words: int) -> int:
    for count, m in enumerate(_WORD.finditer(low, start, end), 1):
        if count == words:
            return m.end()
    return end


def _backward_limit(low: str, start: int, end: int, words: int) -> int:
    spans = [m.start() for m in _WORD.finditer(low, start, end)]
    return spans[-words] if len(spans) >= words else start


def modifier_scope(
    low: str,
    mod: Match,
    rule: ConTextRule,
    sentence: tuple[int, int],
    terminators: Sequence[Match],
) -> list[tuple[int, int]]:
    """Return the spans a modifier reaches (one span, two for BIDIRECTIONAL, none otherwise).

    Parameters
    ----------
    low
        The lowercased document.
    mod, rule
        The modifier match and its rule.
    sentence
        ``(start, end)`` of the sentence the modifier is in.
    terminators
        TERMINATE matches of the modifier's category in the same sentence, by position.
    """
    spans = []
    if rule.direction in (Direction.FORWARD, Direction.BIDIRECTIONAL):
        end = min([t.start for t in terminators if t.start >= mod.end] + [sentence[1]])
        if rule.max_scope:
            end = _forward_limit(low, mod.end, end, rule.max_scope)
        spans.append((mod.end, end))
    if rule.direction in (Direction.BACKWARD, Direction.BIDIRECTIONAL):
        start = max([t.end for t in terminators if t.end <= mod.start] + [sentence[0]])
        if rule.max_scope:
            start = _backward_limit(low, start, mod.start, rule.max_scope)
        spans.append((start, mod.start))
    return spans


def _applies(rule: ConTextRule, category: str) -> bool:
    if rule.allowed_types is not None and category not in rule.allowed_types:
        return False
    return not (rule.excluded_types is not None and category in rule.excluded_types)


def modifiers_reaching(
    low: str,
    targets: Sequence[tuple[Match, str]],
    modifiers: Sequence[Match],
    rules: Sequence[ConTextRule],
    sentence: tuple[int, int],
) -> list[list[int]]:
    """Return, for each target, the indices (into ``modifiers``) of the modifiers reaching it.

    Parameters
    ----------
    low
        The lowercased document.
    targets
        ``(match, category)`` of the targets in the sentence.
    modifiers
        The ConText matches in the sentence, by position.
    rules
        The ConText rules (``Match.rule`` indexes them).
    sentence
        ``(start, end)`` of the sentence.
    """
    reached: list[list[int]] = [[] for _ in targets]
    by_category: dict[str, list[Match]] = {}
    for mod in modifiers:
        if rules[mod.rule].direction is Direction.TERMINATE:
            by_category.setdefault(rules[mod.rule].category, []).append(mod)
    for index, mod in enumerate(modifiers):
        rule = rules[mod.rule]
        if rule.direction in (Direction.TERMINATE, Direction.PSEUDO):
            continue
        spans = modifier_scope(low, mod, rule, sentence, by_category.get(rule.category, ()))
        for t_index, (target, category) in enumerate(targets):
            if target.start < mod.end and target.end > mod.start:
                continue
            if _applies(rule, category) and any(
                target.start < b and target.end > a for a, b in spans
            ):
                reached[t_index].append(index)
    return reached
