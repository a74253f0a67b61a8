"""Regression tests for the notesfix22 review fixes of the notesacc22 rules (SYNTHETIC sentences).

The sentences were written for these tests, not taken from an evaluation set nor from the
reviewer's probes. Each fix has its failing case and a control that the notesacc22 fix it
narrows still works.
"""

import pytest

from calciscope.extract.rules import load_rules
from calciscope.extract.segment import split_sentences

# --- 1. a "|" before a label that describes the finding keeps the finding's site -------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Calcinosis cutis: present | Site: right knee", "knee"),
        ("Calcinosis: yes | Location: left forearm | Size: 8 mm | Number: 3", "forearm"),
        ("Soft tissue calcinosis | Region: both heels", "ankle_foot"),
        ("Problem: calcinosis | Sites: left thumb pulp | Comments: tender", "fingers"),
        ("Calcinosis - present | side: right | location(s): elbow", "elbow"),
    ],
)
def test_an_attribute_label_after_a_pipe_keeps_the_site(summary, text, region):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == (region,)


def test_an_attribute_label_is_no_sentence_boundary():
    text = "Calcinosis: yes | Size: 3 mm"
    assert split_sentences(text) == [(0, len(text))]
    # the labels are rule data (sections.yaml, fixes21), read with the rule set
    assert {"site", "location", "region", "size"} <= set(load_rules().field_attribute_labels)


def test_a_pipe_before_a_new_problem_label_still_ends_the_field(summary):
    # control (notesacc22): the "nil" of the field before does not reach the next problem
    s = summary("Ulcers: none | Calcinosis: yes - left knee | Site: lateral")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)
    text = "Telangiectasia: nil | Calcinosis: present at R ankle"
    assert len(split_sentences(text)) == 2
    assert summary(text).calcinosis == "affirmed"


# --- 2. criteria the subject meets are her findings ----------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("He fulfils the trial's inclusion criteria: calcinosis of the left knee on CT.", "knee"),
        ("Inclusion criteria were met - calcinosis at both elbows on plain films.", "elbow"),
        ("Enrolment criteria confirmed: calcinosis of the right forearm on ultrasound.", "forearm"),
        (
            "Eligibility criteria reviewed, and he has calcinosis over the left shin on X-ray.",
            "lower_leg",
        ),
    ],
)
def test_criteria_met_are_the_subjects_findings(summary, text, region):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == (region,)


@pytest.mark.parametrize(
    "text",
    [
        "Exclusion criteria are: calcinosis needing surgery, and active ulcers.",
        "Main inclusion criteria included calcinosis visible on X-ray of a hand.",
        "Eligibility criterion 3 - calcinosis at one site or more.",
    ],
)
def test_a_listing_of_criteria_is_still_no_finding(summary, text):
    # control (notesacc22)
    assert summary(text).calcinosis == "not_mentioned"


# --- 3. unable to find something else about the finding --------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("We could not establish, and I was unable to find, a reason for the calcinosis at her left hip.", "buttock_hip"),
        ("I was unable to detect a precipitant of the calcinosis over her right shin.", "lower_leg"),
        ("The registrar was unable to feel the dorsalis pedis pulse beside the calcinosis at the left ankle.", "ankle_foot"),
    ],
)  # fmt: skip
def test_unable_to_find_something_else_is_no_negation(summary, text, region):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert region in s.regions


@pytest.mark.parametrize(
    "text",
    [
        "I was unable to palpate any calcinosis at the knees.",
        "We failed to detect definite calcinosis on examination of the hands.",
    ],
)
def test_unable_to_find_the_finding_still_negates(summary, text):
    # control (notesacc22)
    assert summary(text).calcinosis == "negated"


# --- 4. a hedged cause -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Tender nodule at the right thumb, probably secondary to calcinosis.",
        "Discharge from the left knee wound, likely related to calcinosis.",
        "Stiffness of the right wrist, maybe due to calcinosis.",
    ],
)
def test_a_hedged_cause_stays_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


def test_a_question_about_the_cause_of_a_finding_still_ends_at_the_cause(summary):
    # control (notesacc22): the disease named as the cause is not in doubt
    s = summary(
        "Her rheumatologist asks whether the hard lumps are calcinosis due to her limited "
        "cutaneous systemic sclerosis."
    )
    assert s.calcinosis == "uncertain"
    assert s.subset == "lcssc"


# --- 5. lamina and a thin deposit --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis beside the right lamina of C5 on the CT.",
        "Small calcinosis lateral to the laminae of the lumbar spine.",
        "A thin calcific deposit at the left heel is in keeping with calcinosis.",
    ],
)
def test_bone_laminae_and_a_thin_deposit_are_not_sheet_like(summary, text):
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


@pytest.mark.parametrize(
    "text",
    [
        "Over the left flank the calcinosis forms a lamina of calcification under the skin.",
        "Calcinosis of the right thigh lies in laminae under the skin.",
        "A broad calcified plate of calcinosis covers the right buttock.",
    ],
)
def test_layers_of_calcium_are_still_sheet_like(summary, text):
    # control (notesacc22)
    assert "sheet_like" in summary(text, report=True).morphology
