import pytest

from calciscope.extract import NoteExtractor
from calciscope.extract.segment import split_sentences


def sentences(text):
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Seen by Dr. Smith today. No calcinosis.", ["Seen by Dr. Smith today.", "No calcinosis."]),
        ("Deposits e.g. at the elbow. Fine.", ["Deposits e.g. at the elbow.", "Fine."]),
        ("Measures approx. 5 mm. Stable.", ["Measures approx. 5 mm.", "Stable."]),
        ("CK 1,234 U/L. Normal ANA.", ["CK 1,234 U/L.", "Normal ANA."]),
        ("Reviewed by A. Jones. Well.", ["Reviewed by A. Jones.", "Well."]),
        (
            "Findings:\n- nodular calcinosis\n- no ulcers",
            ["Findings:", "- nodular calcinosis", "- no ulcers"],
        ),
        ("1. Calcinosis\n2. ILD", ["1. Calcinosis", "2. ILD"]),
        (
            "There is no soft tissue\ncalcification in the hand",
            ["There is no soft tissue\ncalcification in the hand"],
        ),
        ("XR HANDS BOTH\nDate: 01/02/2020", ["XR HANDS BOTH", "Date: 01/02/2020"]),
        (
            "First paragraph without stop\n\nSecond one",
            ["First paragraph without stop", "Second one"],
        ),
        ("Normal bones  IMPRESSION: no calcinosis", ["Normal bones", "IMPRESSION: no calcinosis"]),
        ("Is it calcinosis? Probably not!  Done", ["Is it calcinosis?", "Probably not!", "Done"]),
        ("One para\r\n\r\nTwo\r\nwrapped", ["One para", "Two\r\nwrapped"]),
    ],
)
def test_split_sentences(text, expected):
    assert sentences(text) == expected


def test_sections_follow_known_headers():
    text = "Diagnosis:\n- dcSSc\nFamily history: sister with SSc\nPlan: review"
    sections = NoteExtractor().sections(text)
    assert [s.category for s in sections] == ["diagnoses", "family_history", "plan"]
    assert text[sections[1].start : sections[1].header_end] == "Family history:"


def test_unknown_colon_phrase_is_not_a_section():
    sections = NoteExtractor().sections("Calcinosis: none")
    assert [s.category for s in sections] == [None]


@pytest.mark.parametrize(
    "bullet", ["-", "*", "\u2022", "\u00b7", "\u25aa", "\u2023", ">", "1.", "12)"]
)
def test_a_line_break_before_a_bullet_always_ends_a_sentence(bullet):
    # the line before is long and runs on ("with"): only the bullet makes the break
    first = "Calcinosis of both hands and of the left forearm, seen with"
    assert sentences(f"{first}\n{bullet} ulcers") == [first, f"{bullet} ulcers"]
    assert sentences(f"{first}\n{bullet}ulcers") == [f"{first}\n{bullet}ulcers"]


def test_a_bullet_reaching_past_the_part_split_still_ends_the_sentence():
    # the scan stops inside the bullet; the break is decided on the whole text, as before
    text = "The lines that run on and on about calcinosis of the hands with\n- ulcers"
    cut = text.index("-") + 1
    assert split_sentences(text, 0, cut) == [(0, cut - 2), (cut - 1, cut)]
