"""Regression tests for the notesacc29 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh21 (Scottish, Welsh,
Irish, Australian, New Zealand and Canadian letters, nurse-specialist notes, wound charts,
MDT minutes, proformas, radiology of the limbs and pelvis) showed. None is taken from an
evaluation set. Each fix has a control that must not change. SYNTHETIC text.
"""

import pytest

from .readings import assert_affirmed_as, assert_affirmed_at

# --- new words of a sheet or a net ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Plain films show a carpet of calcium under the skin of the left thigh.",
        "There is an apron of calcification across the lower abdominal wall.",
        "A rigid calcified cocoon surrounds the right calf muscles.",
        "Examination: a hard calcific cladding covers the back of the right wrist; this is calcinosis.",
        # a flat pancake after a word of hardness (notesfix29: "flat pancake" alone is none)
        "Calcinosis of the right knee has spread as a rigid, flat pancake over the patella.",
    ],
)
def test_new_sheet_words_are_sheet_like(summary, text):
    assert_affirmed_as(summary(text), ("sheet_like",))


@pytest.mark.parametrize(
    "text",
    [
        # controls: the same words in daily life name no deposit
        "Calcinosis of the left index fingertip. She wore a lead apron for the X-ray.",
        "Calcinosis of the right thumb; the house has new cladding and carpet.",
        "Calcinosis at the left elbow. A cocoon dressing was applied to the ulcer.",
    ],
)
def test_sheet_words_without_calcium_stay_no_pattern(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ()


def test_a_filigree_of_calcification_is_reticular(summary):
    s = summary("Radiographs of both shins show a delicate filigree of calcinosis in the subcutis.")
    assert s.morphology == ("reticular",)
    s = summary("Interlacing strands of subcutaneous calcification run across the left buttock.")
    assert s.calcinosis == "affirmed" and s.morphology == ("reticular",)


# --- the calcium, with its place, as the subject of its form ------------------------------------


def test_the_calcium_that_has_become_a_plate_is_a_deposit(summary):
    s = summary("The calcium under the skin of her right shin has become one broad plate.")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("lower_leg",)
    assert s.morphology == ("sheet_like",)
    assert_affirmed_at(
        summary("The calcium in both buttocks has formed several hard lumps."), ("buttock_hip",)
    )


@pytest.mark.parametrize(
    "text",
    [
        # controls: serum calcium and dietary calcium
        "Her calcium on the last blood test has become normal after stopping the supplements.",
        "Calcium in the diet has formed part of the osteoporosis plan for the left hip.",
    ],
)
def test_serum_or_dietary_calcium_is_no_deposit(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- "Calc:" as a template label ------------------------------------------------------------


def test_calc_label_reads_as_calcinosis(summary):
    s = summary("SSc review\nCalc: R thumb pulp, one small deposit.\nDU: none.")
    assert s.calcinosis == "affirmed" and s.regions == ("fingers",)
    assert summary("SSc review\nCalc: nil\nDU: healed.").calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        # controls: a laboratory calcium
        "Bloods\nAdj calc: 2.41 mmol/L\nPhos: 1.1",
        "Corr calc 2.38, ALP 90.",
    ],
)
def test_calc_laboratory_value_is_no_calcinosis(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- the finding fronted before "I could not find" --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Any calcinosis at the fingertips or elbows, today I could not find.",
        "Calcinosis, despite a careful search of both forearms, we could not feel.",
        "Calcinosis in the thumbs I cannot palpate.",
        "Calcinosis over the knees we couldn't feel.",
    ],
)
def test_fronted_finding_not_found_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        # controls: what was not found is something else, named after the verb; or was found
        "Calcinosis is present at both elbows; I could not find the radial pulse on the left.",
        "Calcinosis at the right knee, which I could find easily.",
    ],
)
def test_not_finding_something_else_keeps_the_calcinosis(summary, text):
    assert summary(text).calcinosis == "affirmed"


# --- dotted leaders in a proforma -------------------------------------------------------------


def test_dotted_leader_reads_as_a_colon(summary):
    s = summary("YEARLY CHECK\nSubset ........ limited\nCalcinosis ....... no\nMyositis ..... no")
    assert s.subset == "lcssc"
    assert s.calcinosis == "negated"
    assert s.myositis is False
    s = summary("Calcinosis ............ R index tip\nMyositis ...... yes (CK 1900)")
    assert s.calcinosis == "affirmed" and s.regions == ("fingers",)
    assert s.myositis is True


def test_an_ellipsis_in_prose_is_unchanged(summary):
    # control: dots that are no leader, and "no" after an ellipsis ends no template label
    assert_affirmed_at(
        summary("She has calcinosis at the left elbow.... no other deposits were felt."), ("elbow",)
    )


# --- a tendon the deposit lies over; a joint's movement -----------------------------------------


def test_a_deposit_over_the_tendons_is_in_the_soft_tissue(summary):
    assert_affirmed_at(
        summary("A firm calcified plaque lies over the flexor tendons of the right palm."),
        ("hand",),
    )


def test_calcific_tendinopathy_stays_no_calcinosis(summary):
    # control: calcification in the tendon itself
    s = summary("XR shoulder: calcific tendinopathy of supraspinatus; calcification in the tendon.")
    assert s.calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis over the left olecranon limits elbow extension.", ("elbow",)),
        ("Calcified nodules on the back of the hand restrict finger flexion.", ("hand",)),
        ("Calcinosis of the right forearm; wrist movement is painful.", ("forearm",)),
    ],
)
def test_a_joint_movement_is_no_site(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


def test_a_deposit_at_the_joint_stays_its_site(summary):
    # control: the joint named as the place of the deposit
    s = summary("Calcinosis at the knee; flexion is limited to 90 degrees.")
    assert s.regions == ("knee",)
