"""The words of the rules, for reading a word hyphenated across a line break joined.

:func:`rule_words` gives :func:`~calciscope.extract.segment.join_line_hyphens` the words of the
target and ConText rules and the pairs of words that follow each other in them, once per
extractor.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from calciscope.extract.patterns import SEPARATOR_CHARS
from calciscope.extract.rules import ConTextRule, RuleSet, TargetRule

__all__ = ["rule_words"]

#: A whole word of a regular-expression rule ("valve" in "(?:valve|valves|aorta)").
_REGEX_WORD = re.compile(r"(?<![a-z\\])[a-z]{2,}(?![a-z])")
_SEPARATORS = re.compile("[" + re.escape(SEPARATOR_CHARS) + "]+")


def rule_words(rules: RuleSet) -> frozenset[str]:
    """Return the words of the target and ConText rules and the pairs that follow each other.

    Lower case; a pair is two words with one space between ("sheet like"), from a literal or
    from two neighbouring tokens of a token pattern; a regular-expression rule gives its
    literal's words and the whole words written in it. For
    :func:`~calciscope.extract.segment.join_line_hyphens`.
    """
    words: set[str] = set()
    every: list[TargetRule | ConTextRule] = [*rules.targets, *rules.context]
    for rule in every:
        pattern = rule.pattern
        if isinstance(pattern, str):
            words.update(_REGEX_WORD.findall(pattern.lower()))
        if pattern and not isinstance(pattern, str):
            tokens = [_token_words(t) for t in pattern]
        else:
            tokens = [[w] for w in _phrase_words(rule.literal)]
        previous: list[str] = []
        for alternatives in tokens:
            firsts = []
            for alternative in alternatives:
                parts = _phrase_words(alternative)
                if not parts:
                    continue
                words.update(parts)
                words.update(f"{a} {b}" for a, b in itertools.pairwise(parts))
                firsts.append(parts[0])
            words.update(f"{a} {b}" for a in previous for b in firsts)
            previous = [p[-1] for x in alternatives if (p := _phrase_words(x))]
    return frozenset(words)


def _phrase_words(phrase: str) -> list[str]:
    return [w for w in _SEPARATORS.split(phrase.lower()) if w]


def _token_words(token: dict[str, Any]) -> list[str]:
    """Return the words a token of a token pattern may be ("IN" lists, a literal), else none."""
    value = next((token[k] for k in ("LOWER", "TEXT", "ORTH", "NORM", "LEMMA") if k in token), None)
    if isinstance(value, dict):
        value = value.get("IN")
    if isinstance(value, str):
        return [value.lower()]
    return [str(v).lower() for v in value] if isinstance(value, list) else []
