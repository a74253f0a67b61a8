"""Regression tests for the notesacc14 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh10 (notes in other styles:
shorthand, capitals, templates, bone words) showed: shorthand calcinosis words, a checklist's
"Item? no", a lower-case template line under a line of prose, bone words for sites, finger
joints "of the hand", a ribbon of calcium, and "DM" beside its skin signs. None is taken from an
evaluation set. Each fix has a control that must not change.
"""

import pytest

from .readings import assert_affirmed_at

# --- shorthand calcinosis words --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        ("lcSSc. Ca deposits both heels, sore on walking.", (), ("ankle_foot",)),
        ("calc deposits over L patella, draining", (), ("knee",)),
        ("O/E: two calc nodules at R wrist", ("nodular",), ("wrist",)),
        ("Calc lumps on the left shin, tender.", ("nodular",), ("lower_leg",)),
    ],
)
def test_shorthand_calcium_deposits_are_calcinosis(summary, text, morphology, regions):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", morphology, regions)


@pytest.mark.parametrize(
    "text",
    [
        "Ca breast 2015, lumpectomy, no recurrence.",  # "Ca" alone is carcinoma
        "Ca2+ 2.41, phosphate 1.0, vitamin D replete.",
        "Calc score 0 on the cardiac CT.",
    ],
)
def test_ca_and_calc_alone_are_not_calcinosis(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- a checklist's question and a lower-case template line -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Yearly checklist\nUlcers? none\nCalcinosis? no\nReflux: yes",
        "Scleroderma review. Calcinosis? nil.",
        "Overlap myositis (anti-Ku), settled\ncalcinosis: none",
    ],
)
def test_a_template_answer_negates_its_own_field(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_lower_case_template_line_does_not_negate_the_line_above(summary):
    s = summary("Overlap myositis with anti-Ku, settled\ncalcinosis: none")
    assert s.myositis is True and s.calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        "Is there calcinosis? Yes, at the right knee.",  # control: a question answered yes
        "Calcinosis? yes - L knee",
    ],
)
def test_a_question_answered_yes_stays_affirmed(summary, text):
    assert summary(text).calcinosis == "affirmed"


def test_prose_wrapped_before_a_colon_keeps_its_sites(summary):
    # control: a line that runs on ("over both") is not cut before "knees:"
    assert_affirmed_at(
        summary("She has calcinosis over both\nknees: these are hard lumps."), ("knee",)
    )


# --- bone words, finger joints of the hand ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("CT: calcinosis along the left humeral shaft, subcutaneous.", ("upper_arm",)),
        ("Calcinosis lateral to the humerus, both sides.", ("upper_arm",)),
        ("Calcinosis just above the humeral head, right.", ("shoulder",)),
        ("New calcinosis at the L olecrenon, 8 mm.", ("elbow",)),  # a common misspelling
        ("Calcinosis over the DIP joints of the left hand.", ("fingers",)),
        ("calcinosis at PIPJs of both hands", ("fingers",)),
        ("Calcinosis of the palm of the right hand.", ("hand",)),  # control
    ],
)
def test_bone_and_joint_words_name_the_region(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


# --- a ribbon of calcium -------------------------------------------------------------------------


def test_a_ribbon_of_calcium_is_sheet_like(summary):
    s = summary("Ultrasound: a thin ribbon of calcium runs under the skin of the calf.")
    assert s.calcinosis == "affirmed" and s.morphology == ("sheet_like",)


def test_a_hair_ribbon_is_no_pattern(summary):
    s = summary("Calcinosis nodule at the right elbow; she wore a ribbon in her hair.")
    assert s.morphology == ("nodular",)


# --- "DM" beside its skin signs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "myositis"),
    [
        ("DM - Gottron's papules and heliotrope, CK 900.", True),
        ("DM with heliotrope rash, on IVIG.", True),
        ("DM on insulin, HbA1c 58.", None),  # control: diabetes mellitus
    ],
)
def test_dm_beside_its_skin_signs_is_dermatomyositis(summary, text, myositis):
    assert summary(text).myositis is myositis


# --- a pattern denied ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinotic nodules at the R knee, not plate-like.",
        "calc nodules x2 over L forearm - not sheet-like",
    ],
)
def test_a_pattern_denied_beside_an_affirmed_calcinosis_is_no_pattern(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)


def test_a_pattern_named_and_another_denied(summary):
    # control: the named pattern stays
    s = summary("Calcinosis in broad plates along the thigh, not nodular.")
    assert s.morphology == ("sheet_like",)


# --- removed, none since -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("calcium deposits L knee, removed 2020, none since", ("knee",)),
        ("Calc deposits over the R heel -> excised 2017 - nil since.", ("ankle_foot",)),
    ],
)
def test_a_deposit_removed_with_none_since_is_a_history(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "No calcinosis; lipoma removed 2019, none since.",  # control: another lump
        "Calcinosis: none since last year.",  # control: nothing was removed
    ],
)
def test_none_since_without_a_removed_deposit_stays_negated(summary, text):
    assert summary(text).calcinosis == "negated"
