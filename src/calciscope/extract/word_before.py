"""The word just before a regular-expression rule's match: one that unmakes it, or those that may.

Two kinds of rule metadata (``targets.yaml``), read by the matcher:

``not_after``
    Words that, just before the match (across any white space or hyphen, line breaks too),
    make it no match ("iliac crest" is no CREST).
``only_after`` (notesacc38)
    The only words that may come just before the match in its phrase (across spaces or tabs
    and one comma): with any other word there, it is no match; first in its phrase (after
    punctuation, a digit, a line break or nothing) it is one. An adjective that is also a noun
    or an adverb ("round deposits" beside "the ward round", "all year round") is the deposit's
    only after a determiner, a number or quantifier, another adjective of size or look, or a
    word of coordination; the words are rule data, the grammar is here (it was a list of
    fixed-width look-behinds written into the rule's expression).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from calciscope.extract.patterns import SEPARATOR_CHARS

if TYPE_CHECKING:
    from calciscope.extract.matcher import Match

__all__ = ["after_excluded", "before_words", "only_after_kept"]

#: how far back the word before a match is looked for
_WINDOW = 60
#: the spaces within a phrase: a no-break or thin space too, not a line break (fix46)
_SPACES = " \t\u00a0\u2007\u2009\u202f"


def before_words(rules: Sequence[Any], key: str) -> dict[int, re.Pattern[str]]:
    """Return, by rule index, a pattern of the rule's ``metadata[key]`` words at a text's end."""
    return {
        index: re.compile(
            "(?<![a-z0-9])(?:" + "|".join(re.escape(str(w).lower()) for w in words) + ")\\Z"
        )
        for index, rule in enumerate(rules)
        if (words := (getattr(rule, "metadata", None) or {}).get(key))
    }


def after_excluded(low: str, start: int, before: re.Pattern[str]) -> bool:
    """Whether a ``not_after`` word (``before``) comes just before ``start``."""
    # a bounded window, its separators stripped, then the word at its very end
    head = low[max(0, start - _WINDOW) : start]
    word = head.rstrip(SEPARATOR_CHARS)
    return word != head and before.search(word) is not None


def only_after_kept(
    low: str, matches: list[Match], only: dict[int, re.Pattern[str]]
) -> list[Match]:
    """Return the matches whose rule has no ``only_after`` words, or that those words allow."""
    return [m for m in matches if m.rule not in only or _first_or_after(low, m.start, only[m.rule])]


def _first_or_after(low: str, start: int, before: re.Pattern[str]) -> bool:
    """Whether the match at ``start`` is first in its phrase or after an ``only_after`` word."""
    head = low[max(0, start - _WINDOW) : start].rstrip(_SPACES)
    if head.endswith(","):
        head = head[:-1]
    if not head:
        return True
    last = head[-1]
    if last == "-" and head[-2:-1].isalpha():
        return False  # the second half of a compound word ("year-round"; fix46, review44 L13)
    if not last.isalpha():
        return True
    return before.search(head) is not None
