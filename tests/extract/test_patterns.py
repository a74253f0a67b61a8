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
