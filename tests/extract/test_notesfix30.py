"""notesfix30: review 25's findings on notesacc30's rules, each sentence a test (SYNTHETIC).

The sentences are the reviewer's (written for the review, none from an evaluation set).
"""

from __future__ import annotations

import pytest

from calciscope.extract import load_rules
from calciscope.extract.rules import load_word_list, none_clause
from calciscope.extract.segment import split_sentences

# --- HIGH: "deposits / lesions / ones" after a contrast: an allow-list ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "No calcinosis of the hands, but she has new skin lesions on the trunk consistent with morphoea.",
        "No calcinosis, but telangiectatic lesions on the face and lips.",
        "Calcinosis was not seen on her previous X-rays, but I have requested new ones.",
        "No calcinosis on the 2019 radiographs, but the recent ones show erosions at the wrists.",
        "No calcinosis seen, but there were lytic lesions in the distal phalanges (acro-osteolysis).",
        "Calcinosis not present, but multiple hypopigmented lesions on the forearms.",
        "No calcinosis at the fingertips but the ulcers are deep lesions at the knuckles.",
        "No calcinosis, however renal biopsy showed mesangial IgA deposits.",
        "No calcinosis, but immune complex deposits on the renal biopsy.",
        "No calcinosis, although crystal deposits in the knee on aspiration are consistent with CPPD.",
        "No calcinosis, but there are corneal deposits from amiodarone.",
        "No calcinosis of the fingers, while pigment deposits are seen on the shins.",
        "No calcinosis at the hands but plenty of deposits of sebum on the face.",
    ],
)
def test_deposits_of_something_else_stay_negated(summary, text):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("negated", ())


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # the intended case: a site of the limbs in the deposits' own clause
        ("Her hands were spared of calcinosis but the elbows have large deposits.", ("elbow",)),
        # a hardness word in the clause
        ("No calcinosis at the feet, although there are hard deposits.", ()),
        # history: the reviewer's "arguably affirmed"
        (
            "No calcinosis now, although the deposits were excised from her elbow in 2019.",
            ("elbow",),
        ),
    ],
)
def test_deposits_said_to_be_calcinosis(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


def test_the_word_lists_are_rule_data():
    words = load_word_list("clause_words")
    assert "whereas" in words.alternation("contrast").split("|")
    assert words.pattern("papule").search("whitish papules")
    assert "elbow" in words.alternation("deposit_site").split("|")
    assert "{none_clause}" not in str(load_rules().context)
    assert none_clause().startswith("(?:none|neither)")


# --- HIGH: a "none" clause with a place of its own refers back to nothing ---------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis in both hands; none found elsewhere.", ("hand",)),
        ("X-ray: calcinosis at the right thumb; none seen on the left.", ("fingers",)),
        (
            "Findings: Soft-tissue calcinosis at the tips of the right index and middle fingers; "
            "none is seen on the left.",
            ("fingers",),
        ),
        (
            "Calcinosis over both elbows and the left hip; none were found in the hands.",
            ("buttock_hip", "elbow"),
        ),
        ("Examination: calcinosis at the left thumb; none palpable at the elbows.", ("fingers",)),
        ("Calcinosis of the right elbow; none identified in the contralateral elbow.", ("elbow",)),
        ("Known calcinosis of the left forearm; none apparent on the right.", ("forearm",)),
        (
            "Calcinosis cutis confirmed at the right elbow on X-ray; none evident clinically in "
            "the hands.",
            ("elbow",),
        ),
        ("Calcinosis at the right elbow, neither present nor painful at the left.", ("elbow",)),
        (
            "Calcinosis of the fingertips and elbows, neither recorded in 2019.",
            ("elbow", "fingers"),
        ),
        # the same after a comma (already on main)
        ("Calcinosis at the fingertips, none seen at the elbows.", ("fingers",)),
        ("Calcinosis of both elbows, none detected at the knees on ultrasound.", ("elbow",)),
    ],
)
def test_none_with_a_place_of_its_own_keeps_the_boundary(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Examined for calcinosis and digital ulcers; none were found", "negated"),
        ("Examined for calcinosis and digital ulcers; none were found today.", "negated"),
        ("Checked for calcinosis, none palpable on examination.", "negated"),
        ("Calcinosis at both elbows; no ulcers, none infected.", "affirmed"),
        ("Calcinosis of fingers; neither hand has ulcers.", "affirmed"),
    ],
)
def test_none_controls(summary, text, status):
    assert summary(text).calcinosis == status


def test_a_comma_before_a_none_with_a_place_is_a_boundary():
    assert len(split_sentences("Calcinosis at the fingertips, none seen at the elbows.")) == 2
    assert len(split_sentences("Checked for calcinosis, none seen today.")) == 1
    assert len(split_sentences("Three nodules at the elbow, none discharging.")) == 1


# --- MEDIUM: a site after a contrast goes to a later finding of its own clause only ------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "There is calcinosis but only in the fingertips, with no calcification in the elbows.",
            ("fingers",),
        ),
        (
            "Calcinosis is present, though mainly at the elbows, and arterial calcification is "
            "noted in the forearms.",
            ("elbow",),
        ),
        ("No calcinosis in the hands, whereas both knees show calcinosis.", ("knee",)),
    ],
)
def test_a_site_after_a_contrast_stays_in_its_clause(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


def test_a_spared_site_after_a_contrast(summary):
    # review 25 prefers the hand alone; main reads the spared thumbs as a site too (a negated
    # site still links: not changed here)
    s = summary(
        "Calcinosis of the hands, but sparing the thumbs, and vascular calcification in the wrists.",
    )
    assert s.calcinosis == "affirmed"
    assert "hand" in s.regions and "wrist" not in s.regions
