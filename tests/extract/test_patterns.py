import re

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract.patterns import expand_token_pattern, phrase_key, token_pattern_regex


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ([{"LOWER": "no"}, {"LOWER": "evidence"}], ["no evidence"]),
        ([{"LOWER": {"IN": ["deny", "denies"]}}], ["denies", "deny"]),
        (
            [{"LOWER": "no"}, {"LOWER": "new", "OP": "?"}, {"LOWER": "evidence"}],
            ["no evidence", "no new evidence"],
        ),
        ([{"TEXT": "Scl"}, {"ORTH": "70"}], ["scl 70"]),
    ],
)
def test_expand_token_pattern(pattern, expected):
    assert expand_token_pattern(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": "no"}, {"LOWER": "x", "OP": "+"}],
        [{"LOWER": {"REGEX": "^calc"}}],
        [{"POS": "NOUN"}],
    ],
)
def test_unexpandable_patterns_return_none(pattern):
    assert expand_token_pattern(pattern) is None


def test_token_pattern_regex_honours_operators():
    rx = re.compile(
        token_pattern_regex([{"LOWER": "rule"}, {"LOWER": "him", "OP": "?"}, {"LOWER": "out"}])
    )
    assert rx.search("we did rule him out")
    assert rx.search("rule-out")
    assert not rx.search("overruled it")
    plus = re.compile(token_pattern_regex([{"LOWER": "very", "OP": "+"}, {"LOWER": "large"}]))
    assert plus.search("a very very large deposit").group() == "very very large"
    regex = re.compile(token_pattern_regex([{"LOWER": {"REGEX": "calc\\w+"}}]))
    assert regex.search("soft tissue calcification").group() == "calcification"


def test_token_pattern_regex_rejects_unknown_attributes():
    with pytest.raises(CatalogueError):
        token_pattern_regex([{"POS": "NOUN"}])


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Sheet-like", "sheetlike"),
        ("sheet  like", "sheetlike"),
        ("anti-PM/Scl", "antipmscl"),
        ("h/o", "ho"),
    ],
)
def test_phrase_key_ignores_case_and_separators(text, key):
    assert phrase_key(text) == key


def test_token_pattern_regex_checks_the_boundary_after_the_first_character():
    """The first word's boundary is checked after its first character (``re`` then skips to
    the characters a match starts with); the matches are those of a leading look-behind."""
    import random

    words = ["ssc", "scleroderma,", "(limited", "limited", "lung", "ild", "xssc", "ssc,", "-"]
    patterns = [
        [{"LOWER": {"IN": ["scleroderma,", "ssc,"]}}, {"LOWER": {"IN": ["(limited", "limited"]}}],
        [{"LOWER": "ssc"}, {"LOWER": "limited"}, {"LOWER": {"IN": ["lung", "ild"]}, "OP": "!"}],
        [{"LOWER": "ssc"}, {"LOWER": "limited", "OP": "?"}],
    ]
    rng = random.Random(0)
    texts = [
        "".join(rng.choice(words) + rng.choice(["", " ", "\n", "a"]) for _ in range(8))
        for _ in range(3000)
    ]
    for pattern in patterns:
        new = token_pattern_regex(pattern)
        assert not new.startswith("(?<!")
        rest = token_pattern_regex([{"LOWER": "q"}, *pattern[1:]])[len("(?:q(?<![a-z0-9]q))") :]
        first = pattern[0]["LOWER"]
        alternatives = first["IN"] if isinstance(first, dict) else [first]
        body = "|".join(re.escape(w) for w in sorted(alternatives, key=len, reverse=True))
        old = re.compile(f"(?<![a-z0-9])(?:{body}){rest}")
        compiled = re.compile(new)
        for text in texts:
            assert [m.span() for m in compiled.finditer(text)] == [
                m.span() for m in old.finditer(text)
            ]
