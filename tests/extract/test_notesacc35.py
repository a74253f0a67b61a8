"""notesacc35: the causes of fresh24's untouched misses, fixed in the rule data.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh24.jsonl is scored in test_accuracy.py and benchmarks/notes_accuracy.py).
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_at, assert_sheet_like_at

# --- sheet-like deposits named by flatness, a surface or a covering ---------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("CT: calcinosis of the left calf, spreading out flat beneath the skin.", ("lower_leg",)),
        ("Calcinosis, right thigh: a flat-spreading deposit in the subcutis.", ("thigh",)),
        (
            "XR: broad, flattened calcification in the soft tissues of the upper arm.",
            ("upper_arm",),
        ),
        ("Calcinosis over the sacrum forms a thin, smooth calcified surface.", ("back",)),
        (
            "CT: wide calcific expanses in the fat of both buttocks, i.e. calcinosis.",
            ("buttock_hip",),
        ),
        ("Examination: a flat grey patch of calcinosis over the left knee.", ("knee",)),
        ("Calcinosis of the forearm feels like a rigid, flat board under the skin.", ("forearm",)),
        ("Calcinosis on her abdomen lies in flat, overlapping plates like tiles.", ("abdomen",)),
        (
            "Calcification that extends along the calves in a thin, even layer: calcinosis.",
            ("lower_leg",),
        ),
        ("Calcinosis of both thighs, hard as a rigid wetsuit around them.", ("thigh",)),
        ("Calcinosis of the shoulder: the deposits fused into one rigid surface.", ("shoulder",)),
        ("Calcinosis over the sacrum forms a continuous calcified layer.", ("back",)),
        ("Calcinosis of the left shin is a rigid calcified sleeve.", ("lower_leg",)),
    ],
)
def test_flat_and_covering_sheet_words(summary: Read, text: str, regions: tuple[str, ...]) -> None:
    assert_sheet_like_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: two small nodules at the right elbow; X-ray taken with her lying flat.",
        "Calcinosis cutis, nodular, at the fingertips; firm flat-topped papules on the wrists (lichen planus).",
        "Calcinosis: small nodules at the left thumb; a multilayer compression bandage was applied.",
        "Calcinosis of the right index pulp, nodular; layered foam dressing renewed today.",
        "Calcinosis: nodules at both knees; the ointment spreads over the shins in an even coat.",
    ],
)
def test_controls_lying_flat_a_dressing_or_a_cream_is_no_sheet(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "Nodular calcinosis of the right elbow, and bands of dense calcification in a hilar node.",
        "Nodular calcinosis at the right elbow, and the aortic valve forms a thin calcified surface.",
    ],
)
def test_controls_a_pattern_phrase_with_its_own_tissue_keeps_it(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)


# --- a form's field answered in a table cell, by "unknown" or by a hedge ------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Item | Answer\nCalcinosis | N\nDigital ulcers | Y", "negated"),
        ("Finding | Status\nCalcinosis | absent\nRaynaud | present", "negated"),
        ("Calcinosis: unknown\nRaynaud's: yes", "not_mentioned"),
        ("Item | Value\nCalcinosis | not assessed\nILD | Y", "not_mentioned"),
        ("Calcinosis - not recorded\nDigital ulcers - none", "not_mentioned"),
        ("Calcinosis: probable - a firm lump at the left elbow, X-ray requested", "uncertain"),
        ("Calcinosis | query\nTelangiectasia | Y", "uncertain"),
    ],
)
def test_field_answers(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    "text",
    [
        "Item | Answer\nCalcinosis | Y (both elbows)\nDigital ulcers | N",
        "Calcinosis: present at the right thumb; its cause unknown",
        "Calcinosis of the left elbow: possible excision next month",
    ],
)
def test_controls_an_answered_field_stays_affirmed(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "affirmed"


# --- a relative who tells the history is not the one who has it -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis at both elbows since age seven, per his mother.",
        "According to her father, the calcinosis on her knees began last winter.",
        "Hard calcinosis of the thighs as reported by her mum at the bedside.",
    ],
)
def test_relative_as_informant(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "affirmed"


def test_control_a_relatives_own_calcinosis_stays_the_relatives(summary: Read) -> None:
    s = summary("Her mother has calcinosis of the fingers; the patient has Raynaud's only.")
    assert s.calcinosis == "not_mentioned"


# --- an addendum that names the withdrawn reading again ---------------------------------------


def test_addendum_restating_the_withdrawn_reading(summary: Read) -> None:
    text = (
        "XR RIGHT HAND\nFindings: Calcinosis at the tip of the right thumb.\n"
        "ADDENDUM: On review, the opacity previously described as calcinosis of the thumb is "
        "a skin marker. No calcinosis is present."
    )
    assert summary(text, report=True).calcinosis == "negated"


def test_control_an_addendum_without_retraction_keeps_the_history(summary: Read) -> None:
    text = (
        "XR RIGHT HAND\nFindings: Calcinosis at the tip of the right thumb.\n"
        "ADDENDUM: The deposit previously described as calcinosis of the thumb is unchanged "
        "from 2021."
    )
    assert summary(text, report=True).calcinosis == "affirmed"


# --- "free" that denies nothing; a range's approximate end; a size by the palm -----------------


@pytest.mark.parametrize(
    "text",
    [
        "[L94.2] Calcinosis cutis - active - free text: 'two nodules over the left elbow'",
        "Calcinosis at the right knee, free fluid in the suprapatellar pouch.",
    ],
)
def test_free_text_denies_nothing(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "affirmed"


def test_control_calcinosis_free_still_denies(summary: Read) -> None:
    assert summary("Hands examined: calcinosis free, no ulcers.").calcinosis == "negated"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis runs from the knee to near the ankle on the left.", ("lower_leg",)),
        ("Calcinosis of the right thigh, a flat plaque the size of a palm.", ("thigh",)),
        ("Calcinosis over the left buttock, a hand-sized plaque.", ("buttock_hip",)),
    ],
)
def test_range_to_near_and_sizes_by_the_hand(
    summary: Read, text: str, regions: tuple[str, ...]
) -> None:
    assert_affirmed_at(summary(text), regions)


def test_control_the_palm_as_a_site(summary: Read) -> None:
    assert summary("Calcinosis in the left palm, two nodules.").regions == ("hand",)
