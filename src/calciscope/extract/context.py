"""The ConText algorithm: which modifiers (negation, uncertainty, history, ...) reach a target.

A modifier found by a :class:`~calciscope.extract.rules.ConTextRule` reaches forward, backward
or both ways from its trigger, to the end of the sentence, or to the first terminator
(a ``TERMINATE`` rule of the same category, e.g. "but" for negation), or to ``max_scope``
words, whichever comes first; a rule with ``metadata.clause`` also stops at a comma or
semicolon (its finding must be in its own clause: "calcinosis is not palpable", not "calcinosis at
the elbow, the spleen is not palpable"). ``PSEUDO`` rules only exist to win the match over the trigger
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

import bisect
import itertools
import re
from collections.abc import Sequence
from typing import Any

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
#: The directions, bound once: on Python 3.11 ``Direction.X`` is a metaclass attribute lookup
#: (``EnumType.__getattr__``), several times a plain name's cost, and a sentence with a
#: modifier reads a few.
_BACKWARD = Direction.BACKWARD
_BIDIRECTIONAL = Direction.BIDIRECTIONAL
_FORWARD = Direction.FORWARD
_PSEUDO = Direction.PSEUDO
_TERMINATE = Direction.TERMINATE
_FORWARD_WAYS = (_FORWARD, _BIDIRECTIONAL)
_BACKWARD_WAYS = (_BACKWARD, _BIDIRECTIONAL)
_NO_SCOPE = (_TERMINATE, _PSEUDO)


def _forward_limit(low: str, start: int, end: int, words: int) -> int:
    for count, m in enumerate(_WORD.finditer(low, start, end), 1):
        if count == words:
            return m.end()
    return end


def _backward_limit(low: str, start: int, end: int, words: int) -> int:
    """Return where the ``words``-th word before ``end`` starts (``start`` if there are fewer).

    Words are the runs of ``_WORD`` in ``low[start:end]``; read backward from ``end``, so a
    modifier late in a long sentence costs its scope, not the sentence.
    """
    pos = end
    space = str.isspace  # what ``\s`` is in a str pattern
    for _ in range(words):
        while pos > start and space(low[pos - 1]):
            pos -= 1
        if pos == start:
            return start
        while pos > start and not space(low[pos - 1]):
            pos -= 1
    return pos


def _reach_forward(low: str, rule: ConTextRule, start: int, end: int) -> int:
    """Return where a forward scope from ``start`` ends, ``end`` at the latest.

    ``max_scope`` words at most; with ``metadata.clause`` no further than the first comma or
    semicolon (a "Label:" answered after its colon, "Calcinosis: not palpable", stays one clause);
    with ``metadata.object_ends`` no further than the end of its object (:func:`_object_ends`).
    """
    if rule.max_scope:
        end = _forward_limit(low, start, end, rule.max_scope)
    if rule.metadata.get("clause"):
        marks = [p for p in (low.find(",", start, end), low.find(";", start, end)) if p >= 0]
        end = min(marks, default=end)
    ends = rule.metadata.get("object_ends")
    if ends:
        stop = _object_ends(str(ends)).search(low, start, end)
        if stop is not None:
            end = stop.start()
    return end


#: :func:`_object_ends`'s patterns, compiled once per rule text
_OBJECT_ENDS: dict[str, re.Pattern[str]] = {}


def _object_ends(pattern: str) -> re.Pattern[str]:
    """Return the compiled ``metadata.object_ends`` of a rule: where its object ends (notesacc38).

    A trigger whose scope is its grammatical object ("exclude a fracture", "to exclude soft
    tissue calcinosis or gout") reaches only to the first of these marks after it: the words
    that end a noun phrase (a preposition, a verb, a clause's conjunction, punctuation) are the
    rule's data (``context.yaml``).
    """
    found = _OBJECT_ENDS.get(pattern)
    if found is None:
        found = _OBJECT_ENDS[pattern] = re.compile(pattern)
    return found


def _reach_backward(low: str, rule: ConTextRule, start: int, end: int) -> int:
    """Return where a backward scope that ends at ``end`` starts, ``start`` at the earliest.

    The mirror of :func:`_reach_forward`: after the last comma or semicolon with
    ``metadata.clause``; with ``metadata.starts_after`` after the last match of that pattern
    (where the question or label a ticked box answers starts; fix46).
    """
    if rule.max_scope:
        start = _backward_limit(low, start, end, rule.max_scope)
    if rule.metadata.get("clause"):
        start = max(start, low.rfind(",", start, end) + 1, low.rfind(";", start, end) + 1)
    gap = rule.metadata.get("object_gap")
    if gap:
        start = _after_other_object(low, start, end, gap)
    after = rule.metadata.get("starts_after")
    if after:
        for stop in _object_ends(str(after)).finditer(low, start, end):
            start = stop.end()
    return start


_GAP_TOKEN = re.compile(r"[a-z]+|[,;:]")


def _after_other_object(low: str, start: int, end: int, gap: Any) -> int:
    """Return where the last noun phrase of its own before ``end`` starts (``start`` if none).

    A fronted object ("Calcinosis in the thumbs I cannot palpate") reaches back only to the
    noun phrase next to the examiner: a determiner (``gap['determiners']``) not after one of
    ``gap['links']`` (a preposition: the phrase belongs to the finding's, "in the thumbs";
    an "and" / "or" of ``gap['coordinators']`` only without a comma before it) starts another
    object ("..., and the ulcer she described I could not see"; notesfix29).
    """
    cut = start
    tokens = _GAP_TOKEN.findall(low, start, end)
    for i, token in enumerate(tokens):
        if i == 0 or token not in gap["determiners"]:
            continue
        prev = tokens[i - 1]
        linked = prev in gap["links"] or (
            prev in gap["coordinators"] and i > 1 and tokens[i - 2] != ","
        )
        if not linked:
            cut = _nth_token_start(low, start, end, i)
    return cut


def _nth_token_start(low: str, start: int, end: int, n: int) -> int:
    m = next(itertools.islice(_GAP_TOKEN.finditer(low, start, end), n, None))
    return m.start()


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
    if rule.direction in _FORWARD_WAYS:
        end = min([t.start for t in terminators if t.start >= mod.end] + [sentence[1]])
        spans.append((mod.end, _reach_forward(low, rule, mod.end, end)))
    if rule.direction in _BACKWARD_WAYS:
        start = max([t.end for t in terminators if t.end <= mod.start] + [sentence[0]])
        spans.append((_reach_backward(low, rule, start, mod.start), mod.start))
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
    *,
    first_per_rule: bool = False,
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
    first_per_rule
        In a sentence with many targets or modifiers, keep only the first modifier of each rule
        reaching a target (all a mention's flags and modifier ids need; what reaches many
        targets, "Calcinosis -ve -ve ...", then costs its reach once, not once per modifier).
    """
    reached: list[list[int]] = [[] for _ in targets]
    by_category: dict[str, list[Match]] = {}
    for mod in modifiers:
        if rules[mod.rule].direction is _TERMINATE:
            by_category.setdefault(rules[mod.rule].category, []).append(mod)
    if len(targets) <= _FEW and len(modifiers) <= _FEW:
        for index, mod in enumerate(modifiers):
            rule = rules[mod.rule]
            if rule.direction in _NO_SCOPE:
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
    _reach_many(low, targets, modifiers, rules, sentence, by_category, reached, first_per_rule)
    return reached


#: Up to this many targets and modifiers in a sentence, every pair is tried (the common case);
#: above it, scopes and targets are looked up by position (the same result).
_FEW = 16


class _Terminators:
    """A category's terminators, by position, for the scope lookups of many modifiers."""

    def __init__(self, found: Sequence[Match]) -> None:
        self.found = found
        self.starts = [t.start for t in found]
        self.ends = [t.end for t in found]
        self.ends_sorted = all(a <= b for a, b in itertools.pairwise(self.ends))

    def first_start_from(self, position: int, default: int) -> int:
        """``min`` of the starts at or after ``position`` and ``default``."""
        i = bisect.bisect_left(self.starts, position)
        return min(self.starts[i], default) if i < len(self.starts) else default

    def last_end_to(self, position: int, default: int) -> int:
        """``max`` of the ends at or before ``position`` and ``default``."""
        if not self.ends_sorted:
            return max([e for e in self.ends if e <= position] + [default])
        i = bisect.bisect_right(self.ends, position)
        return max(self.ends[i - 1], default) if i else default


def _reach_many(
    low: str,
    targets: Sequence[tuple[Match, str]],
    modifiers: Sequence[Match],
    rules: Sequence[ConTextRule],
    sentence: tuple[int, int],
    by_category: dict[str, list[Match]],
    reached: list[list[int]],
    first_per_rule: bool,
) -> None:
    """:func:`modifiers_reaching` for a sentence with many targets or modifiers.

    Each modifier's scope is found by bisecting its category's terminators (modifiers come by
    position, so each category's terminators do too), and the targets it may reach by
    bisecting their starts: a target inside a scope starts less than the longest target's
    length before the scope's start. The work grows with the mentions and what reaches them,
    not with their product ("Ca++ nodules, nil discharge" written 2,000 times in one sentence).
    """
    order = sorted(range(len(targets)), key=lambda i: targets[i][0].start)
    longest = max((t.end - t.start for t, _ in targets), default=0)
    by_start = (order, [targets[i][0].start for i in order], longest)
    stops = {category: _Terminators(found) for category, found in by_category.items()}
    #: per rule (``first_per_rule``): the next target, in ``order``, it has not yet been tried
    #: on for good (reached, or not of a type it applies to), a pointer chain with shortcuts
    done: dict[int, list[int]] = {}
    for index, mod in enumerate(modifiers):
        rule = rules[mod.rule]
        if rule.direction in _NO_SCOPE:
            continue
        spans = _scope(low, mod, rule, sentence, stops.get(rule.category))
        if first_per_rule:
            skip = done.get(mod.rule)
            if skip is None:
                skip = done[mod.rule] = list(range(len(order) + 1))
        else:
            skip = list(range(len(order) + 1))  # nothing done yet: every modifier tries all
        _reach_new(mod, index, rule, spans, by_start, targets, skip, reached)


def _scope(
    low: str, mod: Match, rule: ConTextRule, sentence: tuple[int, int], stop: _Terminators | None
) -> list[tuple[int, int]]:
    """:func:`modifier_scope`, the terminators looked up by bisection."""
    spans = []
    if rule.direction in _FORWARD_WAYS:
        end = sentence[1] if stop is None else stop.first_start_from(mod.end, sentence[1])
        spans.append((mod.end, _reach_forward(low, rule, mod.end, end)))
    if rule.direction in _BACKWARD_WAYS:
        start = sentence[0] if stop is None else stop.last_end_to(mod.start, sentence[0])
        spans.append((_reach_backward(low, rule, start, mod.start), mod.start))
    return spans


def _next(skip: list[int], position: int) -> int:
    """Return the first position at or after ``position`` not yet done (shortening the chain)."""
    root = position
    while skip[root] != root:
        root = skip[root]
    while skip[position] != root:
        skip[position], position = root, skip[position]
    return root


def _reach_new(
    mod: Match,
    index: int,
    rule: ConTextRule,
    spans: Sequence[tuple[int, int]],
    by_start: tuple[list[int], list[int], int],
    targets: Sequence[tuple[Match, str]],
    skip: list[int],
    reached: list[list[int]],
) -> None:
    """Add ``index`` to the targets in ``spans`` its rule has not reached yet (``skip``)."""
    order, starts, longest = by_start
    for a, b in spans:
        last = bisect.bisect_left(starts, b)
        position = _next(skip, bisect.bisect_right(starts, a - longest))
        while position < last:
            t_index = order[position]
            target, category = targets[t_index]
            if (
                target.start < b
                and target.end > a
                and not (target.start < mod.end and target.end > mod.start)
            ):
                if _applies(rule, category):
                    reached[t_index].append(index)
                skip[position] = position + 1  # reached, or never reached by this rule
            position = _next(skip, position + 1)
