"""fix37: the causes of REVIEW37's findings on notesacc35, fixed in the rule data.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set or from the review's probe files.
"""

from __future__ import annotations

import pytest

from .readings import Read, assert_affirmed_as

# --- H1-H4, M1: sheet-like only for a deposit ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "report"),
    [
        # H1: "hard, flat" of nails, skin, feet, a surface, a scar or nodules
        ("Calcinosis: nodular, left thumb pulp. Fingernails hard, flat and ridged.", False),
        (
            "Nodular calcinosis at both elbows. The skin of the hands is hard, flat and tight.",
            False,
        ),
        ("Calcinosis at the right elbow (nodular). He has rigid, flat feet.", False),
        ("Calcinosis: three hard, flat nodules along the ulnar border.", False),
        ("Calcinosis cutis on the toes: stony, flat, white papules.", False),
        ("Nodular calcinosis, fingertips; she tripped on a hard, flat kerb.", False),
        # H2: a calcified surface of a bone, cartilage or valve
        ("Nodular calcinosis at the left knee. Calcified surface of the femoral condyle.", True),
        (
            "Small calcinosis nodules at the wrist; thin calcified surface of the lunate cartilage.",
            True,
        ),
        # H3: calcium as a drug, a diet or a dressing
        (
            "Nodular calcinosis of the toes; calcium supplements spread in an even layer over the day.",
            False,
        ),
        # H4: skin scales
        ("Calcinosis nodules at the elbows. Overlapping scales of psoriasis on the knees.", False),
        ("Nodular calcinosis of the hands; overlapping flakes of dry skin on the shins.", False),
        # M1: a person spreading flat
        (
            "Calcinosis, nodular, of the right index. He spreads out flat on the sofa to rest.",
            False,
        ),
    ],
)
def test_no_sheet_without_a_deposit(summary: Read, text: str, report: bool) -> None:
    assert_affirmed_as(summary(text, report=report), ("nodular",))


@pytest.mark.parametrize(
    "text",
    [
        # the deposits the rules are for still read as sheets
        "Calcinosis of the left thigh: a hard, flat plate under the skin.",
        "Calcinosis over the buttocks, felt as stony flat slabs in the fat.",
        "Calcinosis of the upper arm: a thin, glossy calcified surface under the skin.",
        "Calcinosis of both calves: calcification spreads out flat in the subcutis.",
        "Calcinosis of the flank: the calcification spreads in a thin, even coat.",
        "Calcinosis over the abdomen, flat, overlapping plates like roof tiles.",
        "Calcinosis of the abdomen: overlapping calcified plates in the fat.",
        "Skin over both calves stony, flat and taut: extensive calcinosis, calcified throughout.",
    ],
)
def test_sheet_words_still_read_a_deposit(summary: Read, text: str) -> None:
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" in s.morphology


# --- H5: a pattern phrase of another structure keeps its own owner ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nodular calcinosis at the left elbow, with a calcified shell around an old abscess cavity.",
        "Nodular calcinosis of the toes and a calcified rind around the breast implant.",
    ],
)
def test_outer_pattern_not_given_across_and_or_with(summary: Read, text: str) -> None:
    assert_affirmed_as(summary(text), ("nodular",))


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the right calf forms a rigid calcified sleeve.",
        "Calcinosis of the left thigh, forming a continuous calcified layer.",
    ],
)
def test_outer_pattern_said_of_the_calcinosis(summary: Read, text: str) -> None:
    assert_affirmed_as(summary(text), ("sheet_like",))


# --- H6: a table cell's answer is its own label's --------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Calcinosis | Yes | Myositis | No", "affirmed"),
        ("ILD | N | Calcinosis | Y | PAH | N", "affirmed"),
        ("Calcinosis | No", "negated"),
        ("Digital ulcers | Y | Calcinosis | N", "negated"),
    ],
)
def test_pipe_cells(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


# --- H7: an addendum confirming the earlier reading keeps it ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "XR PELVIS AND ANKLE\nFindings: Calcinosis lateral to the right hip; ankle density.\n"
        "ADDENDUM: The right hip lesion previously described as calcinosis is again seen."
        " The ankle density is skin marker artefact; no calcinosis at the ankle.",
        "XR LEFT ARM\nFindings: Calcinosis at the left wrist and a density at the elbow.\n"
        "ADDENDUM: The density previously reported as calcinosis of the left wrist persists."
        " The elbow opacity is dressing artefact, no calcinosis at the elbow.",
    ],
)
def test_addendum_confirming_restatement_kept(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"


def test_addendum_retracting_restatement_still_withdrawn(summary: Read) -> None:
    s = summary(
        "XR RIGHT FOOT\nFindings: Calcinosis at the right heel.\n"
        "ADDENDUM: The density previously reported as calcinosis of the right heel is a"
        " skin marker. No calcinosis is present.",
        report=True,
    )
    assert s.calcinosis == "negated"


# --- H8: a relative as informant, and a family history ---------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("As told by his father, calcinosis runs in the family.", "not_mentioned"),
        ("Calcinosis of the elbows per his dad's GP letter.", "not_mentioned"),
        ("Calcinosis of both knees, per her husband.", "affirmed"),
    ],
)
def test_relative_informant_and_family(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


# --- M3: a hedge answer after a bracketed label ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Calcinosis (Y/N): ?", "uncertain"),
        ("Calcinosis (clinician exam): possible", "uncertain"),
        ("Calcinosis (Y/N): Y", "affirmed"),
        ("Calcinosis: unknown", "not_mentioned"),
    ],
)
def test_bracketed_label_hedge(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status
