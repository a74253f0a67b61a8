"""Fast phrase matching: one trie-shaped regular expression over lowercased text.

All literal phrases of a rule list are merged into a character trie and compiled into a single
regular expression, so the text is scanned once, in C, whatever the number of rules; the
matched text is then looked up by its key (:func:`~calciscope.extract.patterns.phrase_key`).
Rules given as regular expressions are run one by one; the few that exist are cheap. Matches
are leftmost-longest and never overlap.

:class:`LayeredMatcher` runs one such matcher per *layer* (findings, tissues, sites,
morphology, ...): matches of different layers may overlap, so the morphology phrase "along the
fascial planes" no longer swallows the tissue word "fascial", and linking decides afterwards
what describes what. (A matcher that looks words up in a dictionary instead of one regular
expression was tried: on the demo notes it ran at half the speed.)
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from calciscope.errors import CatalogueError
from calciscope.extract.literals import required_literals, test_source
from calciscope.extract.patterns import (
    SEPARATOR_CHARS,
    expand_token_pattern,
    phrase_key,
    token_pattern_regex,
)
from calciscope.extract.word_before import after_excluded, before_words, only_after_kept

__all__ = ["LayeredMatcher", "Match", "PhraseMatcher", "lower_same_length"]

_SEP_RE = "[" + re.escape(SEPARATOR_CHARS) + "]*"
_SEP_MARK = "\x00"
_WORD_SEP = re.compile("[" + re.escape(SEPARATOR_CHARS) + "]+")
_new_match = tuple.__new__
#: A bare label cell for ``label_cell`` (fix39, review 39 H4): one to three words, letters only
#: ("Calcinosis", "Digital ulcers", "Raynaud's"); no comma, bracket, digit or finding word
#: ("Calcinosis, fingertips |", "Calcinosis (nodular) at elbows |", "Visit 3 - Calcinosis
#: noted |" are prose with a stray pipe).
_BARE_LABEL = re.compile(r"[a-z][a-z'\u2019?/-]*(?:[ \t]+[a-z][a-z'\u2019?/-]*){0,2}")
_NOT_LABEL_WORDS = frozenset(
    [
        "noted",
        "present",
        "seen",
        "found",
        "yes",
        "no",
        "absent",
        "of",
        "at",
        "on",
        "in",
        "with",
        "over",
        "showed",
        "shows",
    ]
)
#: A table row with a label and a filled value cell ("Digital ulcers | yes", "| DU | N |").
_FILLED_ROW = re.compile(r"[ \t]*\|?[ \t]*[a-z0-9][^|\n]*\|[ \t]*[^\s|]")


class Match(NamedTuple):
    """One match: character offsets, the index of the rule that matched, a captured value."""

    start: int
    end: int
    rule: int
    value: str | None = None


def lower_same_length(text: str) -> str:
    """Lowercase ``text`` keeping every character at its offset (a few letters grow otherwise)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


#: A dotted leader between a template's label and its value ("Myositis ........ no",
#: "Subset ......... diffuse"): read as the label's colon (notesacc29), for the sentence
#: boundaries as for the rules (the dots would end a sentence).
_LEADER = re.compile(r"(?<=[A-Za-z0-9)\]])[ \t]*\.{4,}[ \t]*(?=[^\s.])")


def read_leaders(text: str) -> str:
    """Return ``text`` with each dotted leader read as a colon and spaces (offsets kept)."""
    if "...." not in text:
        return text
    return _LEADER.sub(lambda m: ":" + " " * (len(m.group()) - 1), text)


#: An HTML character reference left in an EHR export ("Calcinosis &gt; R thumb",
#: "1,500&nbsp;mg", "Raynaud&#39;s"; notesacc34): its ";" would end a sentence.
#: A line end written as a reference ("&#13;&#10;", "&#10;", "&#xA;", "&#xD;" in CDA/XML
#: exports) stays a line end, so that template lines stay apart (fix34, review 34 H4).
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _entity(m: re.Match[str]) -> str:
    """Return a reference's character padded with spaces to the reference's length."""
    char = html.unescape(m.group())
    if len(char) != 1:  # not a reference html knows: left as it is
        return m.group()
    if char in "\n\r":  # a line end stays a line end
        char = "\n"
    elif char.isspace():  # &nbsp;, &ensp; ...
        char = " "
    return char + " " * (len(m.group()) - 1)


def read_entities(text: str) -> str:
    """Return ``text`` with each HTML character reference read as its character (offsets kept).

    "&gt;" becomes ">" and three spaces, "&nbsp;" six spaces: the text keeps its length, so
    every mention keeps its offsets in the original (notesacc34). Most texts have none and are
    returned as they are.
    """
    if "&" not in text or ";" not in text:
        return text
    return _ENTITY.sub(_entity, text)


def _trie_regex(phrases: Sequence[str]) -> str:
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for char in _WORD_SEP.sub(_SEP_MARK, phrase):
            node = node.setdefault(char, {})
        node[""] = True
    return _emit(root)


def _emit(node: dict[str, Any]) -> str:
    branches = []
    for char in sorted(k for k in node if k):
        head = _SEP_RE if char == _SEP_MARK else re.escape(char)
        branches.append(head + _emit(node[char]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


_HEAD = "(?<![a-z0-9])"
_TAIL = "(?![a-z0-9])"


def _boundary(phrase: str) -> tuple[str, str]:
    head = _HEAD if phrase[:1].isalnum() else ""
    tail = _TAIL if phrase[-1:].isalnum() else ""
    return head, tail


class PhraseMatcher:
    """Match many rules at once over lowercased text.

    Parameters
    ----------
    rules
        Objects with ``literal``, ``category`` and ``pattern`` attributes (target, context or
        section rules). When two rules of one category share a phrase, the first one wins.
        A rule's phrases come from its token pattern, else its literal; a regex string pattern
        (or a token pattern too rich to expand) is matched as a regular expression.
    """

    def __init__(self, rules: Sequence[Any]) -> None:
        self._by_key: dict[str, tuple[int, ...]] = {}
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        #: matched text -> ``(rule, None)`` of each rule it matches: a match's tuple is then
        #: its span plus one of these (a concatenation, no list in between).
        self._cache: dict[str, tuple[tuple[int, None], ...]] = {}
        groups: dict[tuple[str, str], list[str]] = {}
        for index, rule in enumerate(rules):
            for raw in self._phrases(index, rule):
                # A separator at either end of a phrase (a medspaCy token pattern ending in an
                # optional "'" or "-") would compile to a pattern with no word boundary there,
                # so "uncle" would match inside "unclear": the ends are trimmed first.
                phrase = raw.strip(SEPARATOR_CHARS)
                if not phrase:
                    continue
                key = phrase_key(phrase)
                known = self._by_key.get(key, ())
                if all(rules[k].category != rule.category for k in known):
                    self._by_key[key] = (*known, index)
                groups.setdefault(_boundary(phrase), []).append(phrase)
        tries = {bounds: _trie_regex(p) for bounds, p in sorted(groups.items())}
        #: The phrases as one regular expression (leftmost-longest by ``finditer``).
        self.pattern = "|".join(h + trie + t for (h, t), trie in tries.items())
        self._trie: re.Pattern[str] | None = None
        self._gap: re.Pattern[str] | None = None
        if list(tries) == [(_HEAD, _TAIL)]:  # every phrase starts and ends a word
            # A phrase then needs a character that is no letter or digit before it, and the
            # scan *consumes* that character (the phrase is group 1): ``re`` skips letters and
            # digits in C instead of trying the trie at each one, about 20 % less time per
            # scan, with the same matches (see ``_phrase_matches``).
            self._gap = re.compile(f"[^a-z0-9]({tries[_HEAD, _TAIL]}){_TAIL}")
        elif tries:
            self._trie = re.compile(self.pattern)
        self._numbers: Sequence[int] | None = None
        self._distinct_regexes = _distinct(self._regexes)
        self._passing = _passing_function(self._distinct_regexes)
        # ``metadata.not_after`` / ``only_after`` of a regex rule: the word just before its
        # match unmakes it, or only these words may be there (word_before.py; notesacc38)
        self._not_after = before_words(rules, "not_after")
        self._only_after = before_words(rules, "only_after")
        # ``metadata.label_cell`` of a regex rule: it matches only right after a bare label, the
        # line's only cell ("Calcinosis | " left blank): no "|" or ":" before it on its line and
        # nothing but white space after it there (a bordered row's last cell, "| Hip | present
        # |", and a "Label: value | ..." line are none).
        self._label_cell = frozenset(
            index
            for index, rule in enumerate(rules)
            if (getattr(rule, "metadata", None) or {}).get("label_cell")
        )

    def _phrases(self, index: int, rule: Any) -> list[str]:
        pattern = rule.pattern
        if isinstance(pattern, str):
            self._regexes.append((index, self._compile(pattern, rule)))
            return []
        if pattern:
            phrases = expand_token_pattern(pattern)
            if phrases is None:
                self._regexes.append((index, self._compile(token_pattern_regex(pattern), rule)))
                return []
            return phrases
        return [rule.literal.lower()] if rule.literal.strip() else []

    @staticmethod
    def _compile(pattern: str, rule: Any) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise CatalogueError(f"rule {rule.literal!r}: bad regular expression: {exc}") from None

    def rules_for(self, matched_text: str) -> tuple[int, ...]:
        """Return the indices of the rules whose phrase is ``matched_text``."""
        return self._by_key.get(phrase_key(matched_text), ())

    def find(self, low: str, start: int = 0, end: int | None = None) -> list[Match]:
        """Return leftmost-longest, non-overlapping matches in lowercased text, by position.

        Parameters
        ----------
        low
            Lowercased text (see :func:`lower_same_length`); offsets refer to it.
        start, end
            Only look in ``low[start:end]`` (the characters around it still count for word
            boundaries).

        Returns
        -------
        list of Match
            One match per rule that matched a span; a phrase shared by several rules (a
            terminator of several categories) gives one match per rule.
        """
        stop = len(low) if end is None else end
        new = _new_match
        found: list[Match] = []
        if self._trie is not None or self._gap is not None:
            cache = self._cache
            group = 0 if self._gap is None else 1
            for m in self._phrase_matches(low, start, stop, found):
                tails = cache.get(m.group(group))
                if tails is None:
                    tails = self._rules_of(m.group(group))
                if len(tails) == 1:
                    found.append(new(Match, m.span(group) + tails[0]))
                else:
                    span = m.span(group)
                    found += [new(Match, span + tail) for tail in tails]
        if not self._regexes:
            return found
        extra = self._regex_matches(low, start, stop)
        if not extra:
            return found
        if len(extra) == 1 and not _overlaps(found, extra[0]):  # the common case: insert it
            bisect.insort(found, extra[0], key=_position)
            return found
        return _resolve_overlaps(found + extra)

    def _regex_matches(self, low: str, start: int, stop: int) -> list[Match]:
        """Return the matches of the rules given as regular expressions, by position."""
        window = low if start == 0 and stop == len(low) else low[start:stop]
        chosen = self._passing(window)
        if not chosen:
            return []
        new = _new_match
        extra = [
            new(Match, (*m.span(), index, m.groupdict().get("value")))
            for indices, regex, _ in chosen
            for m in regex.finditer(low, start, stop)
            if m.end() > m.start()
            for index in indices
        ]
        if self._not_after:
            extra = [m for m in extra if not self._after_excluded(low, m)]
        if self._only_after:
            extra = only_after_kept(low, extra, self._only_after)
        if self._label_cell:
            extra = [m for m in extra if not self._not_label_cell(low, m)]
        if len(self._distinct_regexes) < len(self._regexes):
            extra.sort(key=_position_rule)  # as if each rule had been run on its own
        return extra

    def _not_label_cell(self, low: str, match: Match) -> bool:
        """Whether a ``label_cell`` rule's match is not a blank cell of a table's bare label.

        It is one only after a bare label (one to three words, its line's only cell), with
        nothing after it on the line, when the next line, if any, is another row (no value
        carried on to it: "Calcinosis |" over "  yes, both elbows") and a row next to it has a
        filled value cell (a table, not prose ending in a stray pipe; fix39, review 39 H4).
        """
        if match.rule not in self._label_cell:
            return False
        line = low.rfind("\n", 0, match.start) + 1
        if low.find("|", line, match.start) != -1 or low.find(":", line, match.start) != -1:
            return True
        label = low[line : match.start].strip()
        if _BARE_LABEL.fullmatch(label) is None or not _NOT_LABEL_WORDS.isdisjoint(label.split()):
            return True
        end = low.find("\n", match.end)
        if end == -1:
            end = len(low)
        if low[match.end : end].strip():
            return True
        after = low.find("\n", end + 1) if end < len(low) else -1
        following = low[end + 1 : len(low) if after == -1 else after] if end < len(low) else ""
        if following.strip() and ("|" not in following or following[:1] in " \t"):
            return True  # the value goes on on the next line
        previous = low[low.rfind("\n", 0, max(line - 1, 0)) + 1 : max(line - 1, 0)] if line else ""
        return _FILLED_ROW.match(previous) is None and _FILLED_ROW.match(following) is None

    def _after_excluded(self, low: str, match: Match) -> bool:
        """Whether a word of the rule's ``not_after`` list comes just before the match."""
        before = self._not_after.get(match.rule)
        return before is not None and after_excluded(low, match.start, before)

    def _rules_of(self, text: str) -> tuple[tuple[int, None], ...]:
        """Return (and cache) ``(rule number, None)`` of each rule of a matched phrase."""
        rules = self._by_key.get(phrase_key(text), ())
        if self._numbers is not None:
            rules = tuple(self._numbers[r] for r in rules)
        tails = tuple((rule, None) for rule in rules)
        self._cache[text] = tails
        return tails

    def _phrase_matches(
        self, low: str, start: int, stop: int, found: list[Match]
    ) -> Iterator[re.Match[str]]:
        """Return the trie's leftmost-longest matches in ``low[start:stop]``.

        With ``_gap`` (the phrase is group 1) the scan consumes the character before each
        phrase, so a phrase at ``start`` itself is looked for first (and appended to ``found``):
        with the character before it, or, at the start of the text, with a space put there.
        After it the scans agree with ``pattern``'s: a phrase that starts where the one before
        ends would need that phrase to end in a character that is no letter or digit, and
        none does (else there is no ``_gap``).
        """
        if self._gap is None:
            assert self._trie is not None
            return self._trie.finditer(low, start, stop)
        if start:
            first = self._gap.match(low, start - 1, stop)
            shift = 0
        else:
            first = self._gap.match(" " + low[:stop])
            shift = 1
        if first is None:
            return self._gap.finditer(low, start, stop)
        text = first.group(1)
        tails = self._cache.get(text)
        if tails is None:
            tails = self._rules_of(text)
        begin, end = first.start(1) - shift, first.end(1) - shift
        found += [_new_match(Match, (begin, end, *tail)) for tail in tails]
        return self._gap.finditer(low, end, stop)

    def number_rules(self, numbers: Sequence[int]) -> None:
        """Report rule ``i`` as ``numbers[i]`` in matches (its index in a larger rule list).

        Used by :class:`LayeredMatcher`; :meth:`rules_for` keeps the local indices.
        """
        if self._numbers is not None:
            raise ValueError("rules are already numbered")
        self._numbers = tuple(numbers)
        self._cache = {}
        self._regexes = [(self._numbers[i], regex) for i, regex in self._regexes]
        self._distinct_regexes = _distinct(self._regexes)
        self._passing = _passing_function(self._distinct_regexes)
        self._not_after = {self._numbers[i]: words for i, words in self._not_after.items()}
        self._only_after = {self._numbers[i]: words for i, words in self._only_after.items()}
        self._label_cell = frozenset(self._numbers[i] for i in self._label_cell)


#: Rules sharing one regular expression, the expression, and the literal sets a match needs.
_Regex = tuple[list[int], re.Pattern[str], tuple[tuple[str, ...], ...]]


def _distinct(regexes: Sequence[tuple[int, re.Pattern[str]]]) -> list[_Regex]:
    """Group rules whose regular expressions are the same, so each one is run once.

    Each group comes with the literal sets a match needs (see
    :func:`~calciscope.extract.literals.required_literals`).
    """
    grouped: dict[tuple[str, int], _Regex] = {}
    for index, regex in regexes:
        key = (regex.pattern, regex.flags)
        if key not in grouped:
            grouped[key] = ([], regex, _check_order(required_literals(regex)))
        grouped[key][0].append(index)
    return list(grouped.values())


def _check_order(needs: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """Return the same literal sets, cheaper to test: members holding another member dropped.

    ("no" occurs wherever "none" or "not seen" does, so a set with "no" needs neither), the
    shortest (likeliest to occur, which ends the set's test) first; the sets with the fewest
    members first (a set none of whose members occurs ends the whole test, and costs one
    test per member: "?" of the question trigger before its seven pronouns; notesspeed14).
    A space comes before the other one-character members (a tab sorted first: a space is in
    nearly every window, so the set's test ends there; speed37).
    """
    sets = [
        tuple(
            sorted(
                (m for m in members if not any(o != m and o in m for o in members)),
                key=lambda m: (len(m), m != " ", m),
            )
        )
        for members in needs
    ]
    return tuple(sorted(sets, key=len))  # stable: equal sizes keep their rank


def _may_match(window: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    """Whether every literal set a regex needs has a member in ``window`` (else skip it)."""
    for members in needs:
        for member in members:
            if member in window:
                break
        else:
            return False
    return True


def _passing(window: str, regexes: Sequence[_Regex]) -> list[_Regex]:
    """Return the regexes that :func:`_may_match` ``window``, in order.

    The reference the generated functions of :func:`_passing_function` are tested against
    (the extractor calls those, not this).
    """
    return [regex for regex in regexes if _may_match(window, regex[2])]


def _passing_function(regexes: Sequence[_Regex]) -> Callable[[str], list[_Regex]]:
    """Return :func:`_passing` for one rule list, as a function written for it (notesspeed16).

    The same answer as ``_passing(window, regexes)``, in the same order, but each literal is
    a constant of the function and one that several rules need is tested at most once per
    window (the trigger layer's 29 rules test "[" up to five times a window otherwise), and
    there are no loops over tuples: one ``in`` test per literal and window at most; a
    literal's rare characters are tested before it (speed38). See
    :func:`~calciscope.extract.literals.test_source`.
    """
    namespace: dict[str, Any] = {"_R": tuple(regexes)}
    exec(test_source([needs for _, _, needs in regexes]), namespace)  # rule literals, by repr
    function: Callable[[str], list[_Regex]] = namespace["passing"]
    return function


def _overlaps(found: list[Match], match: Match) -> bool:
    """Whether ``match`` overlaps (or has the span of) a match in ``found`` (sorted, disjoint)."""
    i = bisect.bisect_left(found, match.start, key=_start)
    # the match before may reach into it; the one at or after its start may begin inside it
    return (i > 0 and found[i - 1].end > match.start) or (
        i < len(found) and found[i].start < max(match.end, match.start + 1)
    )


def _start(match: Match) -> int:
    return match.start


def _resolve_overlaps(matches: list[Match]) -> list[Match]:
    """Keep leftmost-longest matches; matches with the very same span are all kept."""
    matches.sort(key=_position)
    kept: list[Match] = []
    last_end = -1
    last_span = (-1, -1)
    for m in matches:
        if (m.start, m.end) == last_span or m.start >= last_end:
            kept.append(m)
            last_end = max(last_end, m.end)
            last_span = (m.start, m.end)
    return kept


class LayeredMatcher:
    """Match rules layer by layer; matches never overlap within a layer, may across layers.

    Parameters
    ----------
    rules
        The rules (as for :class:`PhraseMatcher`).
    layers
        The layer of each rule, in the same order.
    """

    def __init__(self, rules: Sequence[Any], layers: Sequence[str]) -> None:
        grouped: dict[str, list[int]] = {}
        for index, layer in enumerate(layers):
            grouped.setdefault(layer, []).append(index)
        self._layers: dict[str, PhraseMatcher] = {}
        for layer, indices in sorted(grouped.items()):
            matcher = PhraseMatcher([rules[i] for i in indices])
            matcher.number_rules(indices)
            self._layers[layer] = matcher
        self._chosen: dict[tuple[str, ...] | None, list[PhraseMatcher]] = {}

    @property
    def layers(self) -> tuple[str, ...]:
        """The layer names."""
        return tuple(self._layers)

    def layer(self, name: str) -> PhraseMatcher:
        """Return the matcher of one layer (one that finds nothing when no rule has it).

        ``layer(name).find(...)`` is ``find(..., layers=(name,))`` without the layer lookup.
        """
        found = self._layers.get(name)
        return found if found is not None else PhraseMatcher([])

    def find(
        self, low: str, start: int = 0, end: int | None = None, layers: Iterable[str] | None = None
    ) -> list[Match]:
        """Return the matches of the layers asked for (all by default), by position.

        See :meth:`PhraseMatcher.find`; ``Match.rule`` indexes the rules given to the
        constructor.
        """
        key = None if layers is None else tuple(layers)
        chosen = self._chosen.get(key)
        if chosen is None:
            chosen = self._chosen[key] = [
                self._layers[name]
                for name in (self._layers if layers is None else key)  # type: ignore[union-attr]
                if name in self._layers
            ]
        if len(chosen) == 1:  # one layer's matches are already by position
            return chosen[0].find(low, start, end)
        found: list[Match] = []
        for matcher in chosen:
            found += matcher.find(low, start, end)
        found.sort(key=_position)
        return found


def _position(match: Match) -> tuple[int, int]:
    return match.start, -match.end


def _position_rule(match: Match) -> tuple[int, int, int]:
    return match.start, -match.end, match.rule
