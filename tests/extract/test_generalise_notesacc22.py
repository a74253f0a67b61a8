"""Regression tests for the notesacc22 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh17 (Singaporean and
Canadian letters, trial narratives, counselling letters, nurse-led and iloprost notes, pipe-
separated templates) showed. None is taken from an evaluation set. Each fix has a control that
must not change.
"""

import pytest

from calciscope.extract.segment import split_sentences

from .readings import assert_affirmed_as

# --- an examiner who could not find it ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "On careful examination we were unable to feel any calcinosis at the elbows.",
        "The registrar failed to find calcinosis in either hand today.",
        "I was unable to identify calcinosis on the forearm films.",
    ],
)
def test_unable_to_find_negates(summary, text):
    s = summary(text)
    assert s.calcinosis == "negated"
    assert s.regions == ()


def test_unable_to_do_something_else_is_no_negation(summary):
    # control: a joint's function, not a search
    assert_affirmed_as(
        summary("She is unable to straighten the elbow because of calcinosis nodules over it."),
        ("nodular",),
    )


# --- a trial's criteria ---------------------------------------------------------------------


def test_a_trial_criterion_is_no_finding(summary):
    s = summary(
        "Inclusion criteria required calcinosis of at least one hand on radiographs. "
        "The participant has limited cutaneous SSc."
    )
    assert s.calcinosis == "not_mentioned"
    assert s.subset == "lcssc"


def test_the_subjects_own_finding_after_the_criteria_counts(summary):
    # control: the next sentence is the subject's
    s = summary(
        "Exclusion criterion 4: calcinosis needing surgery. "
        "This participant had two calcinosis nodules at the left knee at baseline."
    )
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)


# --- a population with an adverb of time ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Many patients eventually develop calcinosis, hard chalky lumps in the skin.",
        "Some people also get calcinosis of the fingertips.",
    ],
)
def test_a_population_with_an_adverb_is_no_finding(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


def test_the_patient_set_against_the_population_is_still_read(summary):
    # control: the "she has none" pseudo phrase keeps working with the adverb
    s = summary("Most patients eventually develop calcinosis, she has none.")
    assert s.calcinosis != "affirmed"


# --- the cause named in a question ----------------------------------------------------------


def test_the_disease_named_as_a_cause_in_a_question_is_not_uncertain(summary):
    s = summary(
        "The GP wonders whether the knee lumps are calcinosis related to her diffuse "
        "cutaneous systemic sclerosis."
    )
    assert s.calcinosis == "uncertain"
    assert s.subset == "dcssc"


def test_a_questioned_finding_stays_uncertain(summary):
    # control
    assert summary("Possible calcinosis at the right heel.").calcinosis == "uncertain"


# --- fields separated by "|" ------------------------------------------------------------------


def test_a_pipe_before_a_label_ends_the_field(summary):
    s = summary("Skin: tight | Ulcers: none | Calcinosis: yes - R wrist | Lungs: clear")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("wrist",)


def test_a_pipe_between_table_cells_keeps_the_row(summary):
    # control: a table row keeps its site with its label
    s = summary("Problem | Detail\nCalcinosis | right forearm, two nodules\nRaynaud's | severe")
    assert s.calcinosis == "affirmed"
    assert s.regions == ("forearm",)
    text = "Calcinosis | left heel"
    assert split_sentences(text) == [(0, len(text))]


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The deposit on her left thigh now forms a thin lamina of calcium under the skin.",
        "Calcinosis of the lower back lies in laminae beneath the dermis.",
        "The calf is wrapped in a stony corset of calcinosis.",
        "Imaging shows a continuous calcific layer of calcinosis over the right buttock.",
    ],
)
def test_new_sheet_words(summary, text):
    assert_affirmed_as(summary(text), ("sheet_like",))


@pytest.mark.parametrize(
    "text",
    [
        # controls: a garment is no pattern without a word of hardness or calcium
        "She wears a compression stocking; calcinosis nodules at the right ankle.",
        "Life jacket advice given for sailing. Calcinosis nodules at the left elbow.",
    ],
)
def test_garments_are_no_sheet(summary, text):
    s = summary(text)
    assert s.morphology == ("nodular",)


def test_the_shoulder_blade_is_the_back(summary):
    s = summary("A plaque of calcinosis lies over the right shoulder blade.")
    assert s.regions == ("back",)


def test_the_shoulder_is_still_the_shoulder(summary):
    # control
    assert summary("Calcinosis over the tip of the left shoulder.").regions == ("shoulder",)


def test_plural_olecranons_are_the_elbows(summary):
    s = summary("Chalky nodules of calcinosis cover both olecranons.")
    assert s.regions == ("elbow",)
