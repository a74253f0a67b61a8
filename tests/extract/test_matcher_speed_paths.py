"""The fast paths of the phrase matcher and of fact ids give what the general ones give."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import NamedTuple

from calciscope.extract.matcher import Match, PhraseMatcher, _resolve_overlaps
from calciscope.extract.patterns import SEPARATOR_CHARS
from calciscope.model.records import fact_id_of_values, make_fact_id


class _Rule(NamedTuple):
    literal: str
    category: str
    pattern: object = None


_RULES = [
    _Rule("calcinosis", "CALCINOSIS"),
    _Rule("soft tissue calcification", "CALCIFICATION"),
    _Rule("tissue", "TISSUE"),
    _Rule("ck", "CK_VALUE", r"ck\s*(?P<value>\d+)"),
    _Rule("ck level", "CK_VALUE", r"ck level \d+ u/l"),
]


def _general(matcher: PhraseMatcher, low: str) -> list[tuple[int, int, int]]:
    """What find returned before its fast path: every match, then leftmost-longest."""
    found = [
        (m.start(), m.end(), rule)
        for m in re.finditer(matcher.pattern, low)
        for rule in matcher.rules_for(m.group().strip(SEPARATOR_CHARS))
    ]
    extra = [
        (m.start(), m.end(), index)
        for index, regex in matcher._regexes
        for m in regex.finditer(low)
        if m.end() > m.start()
    ]
    if not extra:
        return found
    kept = _resolve_overlaps([Match(*f) for f in found] + [Match(*e) for e in extra])
    return [(m.start, m.end, m.rule) for m in kept]


def test_a_regex_match_beside_phrases_is_inserted_in_order():
    matcher = PhraseMatcher(_RULES)
    low = "calcinosis, ck 300 and soft tissue calcification"
    found = [(m.start, m.end, m.rule) for m in matcher.find(low)]
    assert found == [(0, 10, 0), (12, 18, 3), (23, 48, 1)]


def test_a_regex_match_inside_a_phrase_goes_through_overlap_resolution():
    matcher = PhraseMatcher([*_RULES, _Rule("tissue calc", "X", r"tissue calc")])
    low = "soft tissue calcification"
    found = [(m.start, m.end, m.rule) for m in matcher.find(low)]
    assert found == [(0, 25, 1)]  # leftmost-longest: the phrase, not the regex inside it


def test_fast_path_equals_general_path_on_random_text():
    matcher = PhraseMatcher(_RULES)
    words = ["calcinosis", "ck", "12", "ck level 40 u/l", "soft", "tissue", "calcification", "x"]
    rng = random.Random(7)
    for _ in range(500):
        low = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        got = [(m.start, m.end, m.rule) for m in matcher.find(low)]
        assert got == _general(matcher, low), low


def test_rules_sharing_one_regex_are_matched_as_if_each_ran_alone():
    # The matcher runs a regular expression shared by several rules once (ConText's "(" and
    # ")" terminators of two categories); matches must come in the order of separate runs.
    rules = [
        _Rule("(", "NEGATED_EXISTENCE", r"[()]"),
        *_RULES,
        _Rule("paren", "PAREN", r"\(\w+"),
        _Rule("open", "OPEN", r"\("),  # the span of the shared pattern, between its two rules
        _Rule(")", "HISTORICAL", r"[()]"),
        _Rule("ck", "OTHER", r"ck\s*(?P<value>\d+)"),
    ]
    matcher = PhraseMatcher(rules)
    assert len(matcher._distinct_regexes) == len(matcher._regexes) - 2
    words = ["calcinosis", "(ck", "12)", "(", ")", "ck 40", "soft tissue", "calcification", "x"]
    rng = random.Random(13)
    seen_shared = 0
    for _ in range(500):
        low = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        got = [(m.start, m.end, m.rule) for m in matcher.find(low)]
        assert got == _general(matcher, low), low
        seen_shared += sum(rule in (0, len(rules) - 2) for _, _, rule in got)
    assert seen_shared  # the shared pattern did match


def test_fact_id_of_values_is_make_fact_id():
    content = {
        "patient_id": "P1",
        "code": "calcinosis",
        "effective_date": dt.date(2020, 1, 2).isoformat(),
        "value_num": 1.5,
        "unit": None,
        "odd{key}": "x",
    }
    keys = tuple(sorted(content))
    assert fact_id_of_values(keys, [content[k] for k in keys]) == make_fact_id(content)


def test_scan_consuming_the_character_before_a_phrase_equals_the_trie():
    # Every phrase starts and ends with a letter or digit, so the matcher consumes the character
    # before each phrase; phrases at the start of the text or of the window, phrases that touch,
    # and phrases after non-ASCII letters must come out as the plain trie finds them.
    from calciscope.extract import load_rules

    rules = load_rules()
    words = ["history", "family", "calcinosis", "past", "medical", "plan", "exam", "é", "ü"]
    seps = ["", " ", "\n", "-", ":", ". ", "  ", "/", "é", "1", "(", "\n\n"]
    for matcher in (PhraseMatcher(rules.sections), PhraseMatcher(_RULES[:3])):
        assert matcher._gap is not None
        reference = re.compile(matcher.pattern)
        rng = random.Random(5)
        for _ in range(800):
            parts = [rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 10))]
            low = "".join(parts)
            a = rng.choice([0, 0, rng.randrange(len(low) + 1)])
            b = rng.choice([len(low), rng.randrange(a, len(low) + 1)])
            got = [(m.start, m.end) for m in matcher.find(low, a, b)]
            want = [
                m.span()
                for m in reference.finditer(low, a, b)
                for _ in matcher.rules_for(m.group())
            ]
            assert got == want, (low, a, b)


def test_a_layer_matcher_finds_what_the_layered_matcher_finds_for_that_layer():
    from calciscope.extract.matcher import LayeredMatcher

    rules = [*_RULES, _Rule("both", "LATERALITY")]
    layered = LayeredMatcher(rules, ["finding", "finding", "tissue", "finding", "finding", "site"])
    low = "calcinosis of both hands, ck 300, soft tissue calcification; tissue"
    for name in ("finding", "tissue", "site"):
        assert layered.layer(name).find(low, 3, 60) == layered.find(low, 3, 60, layers=(name,))
    assert layered.layer("site").find(low)  # "both"
    assert layered.layer("no such layer").find(low) == []


def test_literal_sets_are_tested_shortest_first_without_members_implied_by_others():
    from calciscope.extract.matcher import _check_order, _may_match

    needs = (("absent", "neg", "negative", "no", "none", "not seen"), ("-", ":", "=", "\u2013"))
    assert _check_order(needs) == (("no", "neg", "absent"), ("-", ":", "=", "\u2013"))
    # the set with the fewest members is tested first (notesspeed14): "?" before the pronouns
    assert _check_order((("it", "this", "these"), ("?",))) == (("?",), ("it", "this", "these"))
    # a space before the other one-character members (it is in nearly every window; speed37)
    assert _check_order((("\t", " "), ("[", " ", "(", "of"))) == (
        (" ", "\t"),
        (" ", "(", "[", "of"),
    )
    assert _may_match("a\tb", _check_order((("\t", " "),))) is True
    rng = random.Random(10)
    words = ["absent", "negative", "none", "not seen", "x", ":", "-", "nope", " "]
    for _ in range(500):  # the same answer on any window
        window = "".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        assert _may_match(window, _check_order(needs)) == _may_match(window, needs)


def test_a_mention_gets_containers_of_its_own():
    from calciscope.extract.mention import Mention

    first, second = Mention(0, 1, "a", "TISSUE", "r"), Mention(0, 1, "a", "TISSUE", "r")
    first.modifiers.append("x")
    first.links["y"] = 1
    first.metadata["z"] = 2
    assert (second.modifiers, second.links, second.metadata) == ([], {}, {})
    assert Mention(0, 1, "a", "TISSUE", "r", modifiers=["m"]).modifiers == ["m"]


def test_windows_of_alternating_documents_match_as_fresh_matchers_do():
    """Windows of two documents searched alternately with one matcher (notesspeed11).

    They give what a new matcher gives for each window (the cached rules of a phrase and the
    literal checks of the regex rules carry nothing over), and a repeated window gives the
    same matches again.
    """
    shared = PhraseMatcher(_RULES)
    rng = random.Random(11)
    docs = [
        "calcinosis, ck 300 and soft tissue calcification; ck level 12 u/l",
        "no calcinosis. soft tissue only, tissue ck",
    ]
    for _ in range(200):
        low = rng.choice(docs)
        a = rng.randint(0, len(low))
        b = rng.randint(a, len(low))
        fresh = PhraseMatcher(_RULES)
        expected = [tuple(m) for m in fresh.find(low, a, b)]
        assert [tuple(m) for m in shared.find(low, a, b)] == expected
        assert [tuple(m) for m in shared.find(low, a, b)] == expected
    assert [(m.start, m.rule) for m in shared.find(docs[0], 12, 18)] == [(12, 3)]
    assert shared.find(docs[1], 0, len(docs[1])) == fresh.find(docs[1])  # no "ck 300" there


def test_the_written_literal_test_chooses_what_the_loop_chooses():
    """notesspeed16: each layer's generated ``_passing`` gives ``_passing``'s list, in order."""
    from calciscope.extract import NoteExtractor
    from calciscope.extract.matcher import _passing, _passing_function

    extractor = NoteExtractor()
    matchers = [
        *extractor._targets._layers.values(),
        *extractor._context._layers.values(),
        extractor._sections,
    ]
    # SYNTHETIC windows built from the rules' own literals, so that many rules pass
    literals = sorted(
        {m for x in matchers for _, _, needs in x._distinct_regexes for s in needs for m in s}
    )
    rng = random.Random(16)
    pieces = [*literals, " ", ", ", "?", "\n", "no", "calcinosis", "x"]
    for _ in range(3000):
        window = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for matcher in matchers:
            assert matcher._passing(window) == _passing(window, matcher._distinct_regexes)
    regexes = [
        ([0], re.compile("a"), (("b", "c"), ("d",))),
        ([1], re.compile("e"), ()),
        ([2], re.compile("f"), (("d",), ("c",))),
    ]
    written = _passing_function(regexes)
    assert written("cd") == [regexes[0], regexes[1], regexes[2]]
    assert written("b") == [regexes[1]]
    assert written("db") == [regexes[0], regexes[1]]
