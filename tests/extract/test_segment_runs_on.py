"""The line-end test of sentence splitting read from the end equals the pattern (notesspeed18)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope.extract import segment

_PIECES = [
    *segment._RUNS_ON_WORDS,
    *["and/or", "Of", "THE", "Show", "Data", "x", "2", "_", "é", "ſ", "K"],
    *[" ", "\t", "\r", "\n", ",", "-", "/", "(", "&", "+", ".", "1", "a", "b"],
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_runs_on_answers_as_the_pattern(pieces: list[str]) -> None:
    tail = "".join(pieces)[-24:]
    assert segment._runs_on(tail) is (segment._RUNS_ON.search(tail) is not None)


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("extensive calcinosis of", True),
        ("seen in the fingers and/or", True),
        ("calcinosis of the THE  ", True),
        ("deposits over the knee,", True),
        ("no change since last year", False),
        ("lymph nodes noted 2of", False),  # no word boundary before "of"
        ("café of", True),  # not ASCII: the pattern decides
        ("", False),
    ],
)
def test_runs_on_examples(tail: str, expected: bool) -> None:
    assert segment._runs_on(tail) is expected
    assert (segment._RUNS_ON.search(tail) is not None) is expected
