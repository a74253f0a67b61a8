"""Regression tests for the notesacc26 fixes (issue 13), in sentences written for these tests.

SYNTHETIC: every sentence was written for these tests; none is taken from an evaluation set or
a real patient. They are the causes behind leftover errors of fresh12, fresh14, fresh17 and
fresh18 and of the notesfix review. Each fix has a control that must not change.
"""

import pytest

from .readings import assert_affirmed_as

# --- a teaching sentence about a disease lends no pattern to the patient ---------------------


def test_a_teaching_sentence_lends_no_sheet_like_pattern(summary):
    s = summary(
        "Calcinosis varies between the conditions: in adult dermatomyositis it tends to be "
        "sheet-like along the fascia of the thighs. Our patient has lcSSc and one small nodule "
        "at the tip of the left index finger."
    )
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology
    assert s.morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        "In JDM calcinosis is usually plate-like over the limbs; in her case it is one nodule "
        "at the right elbow.",
        "In systemic sclerosis it is typically sheet-like, but this man has a nodule at the "
        "left knee: calcinosis.",
    ],
)
def test_a_population_pattern_is_never_the_patients(summary, text):
    assert "sheet_like" not in summary(text).morphology


def test_the_patients_own_sheet_stays(summary):
    # control: the patient's own pattern, with no population named
    assert_affirmed_as(
        summary("Her calcinosis tends to be sheet-like over the back of the left thigh."),
        ("sheet_like",),
    )


# --- a person said not to be in our care is another person --------------------------------


def test_a_person_not_under_our_care_is_not_the_patient(summary):
    s = summary(
        "Maria came with her cousin Lucia. Maria has one calcinosis nodule at the right thumb. "
        "Lucia, who is not under our care, has dermatomyositis and extensive plate-like "
        "calcinosis of both calves."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)
    assert s.regions == ("fingers",)
    assert s.myositis is None


def test_not_under_care_does_not_affirm_a_denied_finding(summary):
    # control: a plain negation still negates
    assert summary("Not calcinosis; the lump is a ganglion.").calcinosis == "negated"


# --- deposits described before the calcinosis is named ----------------------------------------


def test_a_relative_who_noticed_gritty_areas_lends_their_sites(summary):
    s = summary(
        "Dear Dr Moss,\nI saw Lily (12) with JDM today. Her father has noticed gritty areas "
        "under the skin of both thighs. They feel like a continuous hard shell. My impression "
        "is calcinosis.\nYours sincerely"
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("thigh",)
    assert s.morphology == ("sheet_like",)


def test_a_relatives_own_gritty_areas_lend_nothing(summary):
    # control: the father's own deposits
    s = summary("Her father had gritty areas under the skin of both thighs. She has calcinosis.")
    assert s.regions == ()


def test_hard_plaques_before_the_calcinosis_lend_site_and_pattern(summary):
    s = summary(
        "He has three firm, flat plaques over the right hip. An ultrasound showed calcific "
        "material in the dermis, and the biopsy confirmed calcinosis cutis."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("buttock_hip",)
    assert s.morphology == ("sheet_like",)


def test_plaques_without_hardness_or_calcium_lend_nothing(summary):
    # control: the notesacc18 guard (psoriasis-like plaques)
    s = summary("She has scaly red plaques on both elbows. An X-ray confirmed calcinosis.")
    assert s.regions == ()
    assert s.morphology == ()


def test_pth_is_no_person_label(summary):
    s = summary(
        "She showed me hard white papules on the pad of her right index finger. Serum PTH is "
        "normal. I think these are calcinosis cutis."
    )
    assert s.regions == ("fingers",)


# --- sites ------------------------------------------------------------------------------------


def test_the_posterior_side_of_the_arm_is_the_upper_arm(summary):
    s = summary("Calcinosis in a layered pattern covers the posterior side of the left arm.")
    assert s.regions == ("upper_arm",)


def test_an_arm_alone_is_still_no_segment(summary):
    # control: in lay use the arm is the whole limb
    assert summary("Calcinosis on her left arm.").regions == ()


def test_a_specimen_line_gives_the_conclusions_site(summary):
    s = summary(
        "PATHOLOGY\nSpecimen: punch biopsy, right shin.\nMicroscopy: basophilic deposits in "
        "the dermis, von Kossa positive.\nConclusion: calcinosis cutis."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("lower_leg",)


def test_a_conclusions_own_site_wins_over_the_specimen(summary):
    # control: a site named with the calcinosis stands
    s = summary(
        "PATHOLOGY\nSpecimen: punch biopsy, right shin.\nConclusion: calcinosis cutis of the "
        "left heel."
    )
    assert s.regions == ("ankle_foot",)


def test_a_hand_held_up_to_the_camera_is_no_site(summary):
    s = summary(
        "Video review. He held his left hand up to the camera: the calcinosis at the tip of the "
        "ring finger is unchanged."
    )
    assert s.regions == ("fingers",)


def test_the_hand_with_the_deposit_is_still_a_site(summary):
    # control
    assert summary("Calcinosis over the back of the left hand.").regions == ("hand",)


# --- an addendum needs a real withdrawal ------------------------------------------------------


@pytest.mark.parametrize(
    "addendum",
    [
        "ADDENDUM: a foam dressing was applied to the ulcer. There is no calcinosis.",
        "ADDENDUM: this represents the final signed report. No calcinosis is seen.",
        "ADDENDUM: the findings represent a change from 2024. There is no calcinosis.",
    ],
)
def test_dressing_or_represents_alone_withdraws_nothing(summary, addendum):
    s = summary("FINDINGS: Calcinosis at the left elbow. " + addendum)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("elbow",)


@pytest.mark.parametrize(
    "addendum",
    [
        "ADDENDUM: the density lies within the dressing. There is no calcinosis.",
        "ADDENDUM: the density represents dressing artefact. There is no calcinosis.",
        "ADDENDUM: the density represents calcific tendinopathy, not calcinosis. There is no "
        "calcinosis.",
    ],
)
def test_a_real_withdrawal_still_withdraws(summary, addendum):
    # control
    assert summary("FINDINGS: Calcinosis at the left elbow. " + addendum).calcinosis == "negated"


# --- negation in answer to a label or a population --------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Calcinosis of the feet: she has none.", "Calcinosis at the elbows and knees: he has none."],
)
def test_a_label_with_a_site_answered_none_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_colon_before_an_explaining_clause_still_ends_the_negation(summary):
    # control (notesacc24)
    s = summary("Her calcinosis is no small stone: the deposits form a plate over the left shin.")
    assert s.calcinosis == "affirmed"


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis is frequent in SSc, but she has not.",
        "Many patients with scleroderma develop calcinosis, however he has not yet.",
        "Some people get calcinosis but this patient has not so far.",
    ],
)
def test_a_population_answered_in_its_own_sentence_is_negated(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_population_with_an_unrelated_clause_stays_unmentioned(summary):
    # control: the clause after "but" says nothing about calcinosis
    s = summary("Calcinosis is frequent in SSc, but she has not had an X-ray this year.")
    assert s.calcinosis == "not_mentioned"
