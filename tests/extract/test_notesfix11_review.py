"""Regression tests for the review of notesacc15 (notesfix11), in sentences written for them.

"Favour" as a preference (a limb spared, a wish for surgery) is no hedge; chalky matter in a
next sentence lends no site when it is a tophus's, an aspirate's, pus or a relative's; an eye named for a symptom or a test is no site. None is taken from an
evaluation set; each fix has controls that must not change.
"""

import pytest

# --- "favour" as a preference, not a hedge ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("He favours his left arm since calcinosis appeared over the right elbow.", {"elbow"}),
        ("Walking while favouring the right leg; calcinosis on the left knee.", {"knee"}),
        ("She is in favour of removing the calcinosis from her elbow.", {"elbow"}),
        ("Dermatology favour surgical excision of the calcinosis at the heel.", {"ankle_foot"}),
    ],
)
def test_favour_as_a_preference_leaves_calcinosis_affirmed(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed" and set(s.regions) == regions


@pytest.mark.parametrize(
    "text",
    [
        "The radiograph appearances favour calcinosis over the shin.",  # control
        "Features in favour of calcinosis cutis on the thumb.",  # control
        "Favoured diagnosis: calcinosis of the knee.",  # control
        "favour dystrophic calcinosis at the elbow",  # control
    ],
)
def test_favour_as_a_hedge_still_makes_calcinosis_uncertain(summary, text):
    assert summary(text).calcinosis == "uncertain"


# --- chalky matter in the next sentence ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis over the left thumb. A tophus on the right foot leaks chalky white paste.",
        "Calcinosis of the elbow. Aspiration of the knee gave chalky white fluid (CPPD).",
        "Calcinosis of the elbow. The knee joint yielded chalky fluid, pseudogout suspected.",
        "Calcinosis of the elbow. Her sister had chalky white material drained from the shin.",
    ],
)
def test_chalky_matter_of_something_else_lends_no_site(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and "knee" not in s.regions
    assert "ankle_foot" not in s.regions and "lower_leg" not in s.regions


def test_the_patients_own_chalky_matter_still_adds_its_site(summary):
    # control: a deposit that discharges is the patient's calcinosis, sites named or not (a
    # published case, fresh11 P14, reads so; the exclusions above are what the review asked for)
    s = summary("Calcinosis of both elbows. Her left shin wound oozes gritty white debris.")
    assert s.calcinosis == "affirmed" and set(s.regions) == {"elbow", "lower_leg"}


def test_chalky_matter_still_places_a_calcinosis_without_sites(summary):
    # control
    s = summary("Known calcinosis cutis. An ulcer on the left shin leaks chalky white material.")
    assert s.calcinosis == "affirmed" and set(s.regions) == {"lower_leg"}


# --- an eye that is no site --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis on the knees; she also reports sore, red eyes and uses eye drops.",
        "Calcinosis on the knees, too small to see with the naked eye.",
        "Calcinosis on the knees. Gritty eyes, referred for an eye exam.",
    ],
)
def test_an_eye_named_for_a_symptom_or_test_is_no_site(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and set(s.regions) == {"knee"}


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis below the left eye, 4 mm.",
        "Calcinosis cutis of the upper eyelid.",
        "Calcinosis at the outer end of the eyebrow.",
    ],
)
def test_an_eye_as_a_place_stays_the_face(summary, text):
    # control
    s = summary(text)
    assert s.calcinosis == "affirmed" and set(s.regions) == {"face"}


# --- a joint's range after a place word; the place of a contrasted pattern -------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis over the elbow range of movement preserved.", {"elbow"}),
        ("Calcinosis at both knees range of motion full.", {"knee"}),
        ("Elbow ROM reduced by calcinosis of the shin.", {"lower_leg"}),  # control
        ("Calcinosis of the shin; hip range of motion normal.", {"lower_leg"}),  # control
    ],
)
def test_a_joints_range_after_a_place_word_keeps_the_site(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed" and set(s.regions) == regions


def test_the_place_of_a_contrasted_pattern_is_no_site(summary):
    s = summary("Plate-like calcinosis on the thigh, unlike the nodules seen at her thumbs.")
    assert s.calcinosis == "affirmed" and set(s.regions) == {"thigh"}
    assert s.morphology == ("sheet_like",)
    # control: the same place stated as a site
    s = summary("Plate-like calcinosis on the thigh and nodules at her thumbs.")
    assert set(s.regions) == {"thigh", "fingers"}


# --- a relative named in contrast ------------------------------------------------------------


def test_a_relative_named_in_contrast_leaves_the_patients_calcinosis(summary):
    s = summary("Calcinosis cutis over both shins, unlike her brother.")
    assert s.calcinosis == "affirmed" and set(s.regions) == {"lower_leg"}
    # control: the relative's own finding is still the relative's
    assert summary("Her brother has calcinosis over both shins.").calcinosis == "not_mentioned"
