"""Regression tests for the notesacc15 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh11 (paraphrases of
published case reports) showed: face words round the eye, "between the shoulder blades" (the
back), "iliac" alone is no vessel ("the iliac crests"), a joint's range of motion is no site, a
pattern named only in contrast ("unlike the usual nodules"), and "favours" as a hedge. None is
taken from an evaluation set. Each fix has a control that must not change.
"""

import pytest

from .readings import assert_affirmed_at

# --- face words round the eye ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis cutis of the left lower eyelid, a 4 mm chalky papule.",
        "Two hard calcified nodules in the periorbital skin, consistent with calcinosis.",
        "Calcinosis at the outer end of the right eyebrow.",
    ],
)
def test_eye_words_are_the_face(summary, text):
    assert_affirmed_at(summary(text), ("face",))


def test_keeping_an_eye_on_calcinosis_names_no_site(summary):
    # control: the idiom is no site
    assert_affirmed_at(
        summary("Calcinosis over both knees; we will keep an eye on it and on her skin score."),
        ("knee",),
    )


# --- between the shoulder blades ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "A calcinosis deposit between her shoulder blades was excised in May.",
        "Interscapular calcinosis, 3 cm, draining chalky fluid.",
    ],
)
def test_between_the_shoulder_blades_is_the_back(summary, text):
    assert_affirmed_at(summary(text), ("back",))


def test_the_shoulder_itself_stays_the_shoulder(summary):
    # control
    s = summary("Calcinosis over the point of the right shoulder.")
    assert s.regions == ("shoulder",)


# --- "iliac" alone is no vessel ------------------------------------------------------------------


def test_deposits_reaching_the_iliac_crests_keep_their_pattern(summary):
    s = summary(
        "CT PELVIS: mass-like calcified lesions fill both gluteal regions and extend to the "
        "iliac crests.\nIMPRESSION: Gluteal calcinosis.",
        report=True,
    )
    assert s.calcinosis == "affirmed" and s.morphology == ("nodular",)
    assert s.regions == ("buttock_hip",)


@pytest.mark.parametrize(
    "text",
    [
        "Calcified common iliac arteries. No other abnormality.",
        "Calcification of the iliac vessels bilaterally.",
    ],
)
def test_iliac_vessels_are_still_not_calcinosis(summary, text):
    # control: the vessel word after "iliac" keeps them vascular
    assert summary(text, report=True).calcinosis == "not_mentioned"


# --- a joint's range of motion -------------------------------------------------------------------


def test_a_joints_range_of_motion_is_no_site(summary):
    s = summary("Hip ROM reduced because of the calcinosis, which is plate-like in both thighs.")
    assert s.calcinosis == "affirmed" and s.regions == ("thigh",)
    assert s.morphology == ("sheet_like",)


def test_a_deposit_at_the_joint_stays_a_site(summary):
    # control
    s = summary("Calcinosis at the left knee limits flexion.")
    assert s.regions == ("knee",)


# --- a pattern named only in contrast ------------------------------------------------------------


def test_a_contrasted_pattern_is_not_this_deposits_pattern(summary):
    s = summary(
        "Her calcinosis, unlike the typical nodules of limited disease, spreads as broad flat "
        "plates over the buttocks."
    )
    assert s.calcinosis == "affirmed" and s.morphology == ("sheet_like",)


def test_nodules_named_plainly_stay_nodular(summary):
    # control
    s = summary("Calcinosis: small nodules on the left index finger, plate-like over the elbow.")
    assert s.morphology == ("nodular", "sheet_like")


# --- "favours" is a hedge --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ultrasound of the shin nodule: the appearance favours calcinosis.",
        "Opinion: favor calcinosis over a foreign body.",
    ],
)
def test_favours_makes_calcinosis_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


def test_calcinosis_stated_plainly_after_a_favoured_option_stays_affirmed(summary):
    # control: the hedge belongs to its own sentence
    s = summary("The surgeon favours excision. Calcinosis at the right elbow, 2 cm.")
    assert s.calcinosis == "affirmed"


# --- chalky matter named in the next sentence ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of two fingertips on the left. A sinus near the right olecranon still "
        "discharges gritty white material.",
        "Known calcinosis of the thumbs. Over the left elbow the skin has broken and chalky "
        "paste can be expressed.",
    ],
)
def test_chalky_matter_in_the_next_sentence_adds_its_site(summary, text):
    assert_affirmed_at(summary(text), ("elbow", "fingers"))


@pytest.mark.parametrize(
    "text",
    [
        # controls: no chalky matter; chalky matter without a site
        "Calcinosis of two fingertips. The sinus near the right olecranon discharges pus.",
        "Calcinosis of the right index fingertip. It leaks chalky material now and then.",
    ],
)
def test_other_discharge_lends_no_site(summary, text):
    assert summary(text).regions == ("fingers",)
