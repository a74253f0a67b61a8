"""Regression tests for the notesacc21 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes for the causes fresh16 (JDM letters, research
forms, physiotherapy notes, letters from Dutch and Danish centres, family histories) showed.
None is taken from an evaluation set. Each fix has a control that must not change.
"""

import pytest

# --- a relative who noticed the patient's deposits ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "His dad first noticed two hard lumps over the right shin. They are calcinosis.",
        "Her mother has spotted a firm lump on the left elbow, which the X-ray shows is calcinosis.",
    ],
)
def test_a_relative_who_noticed_the_lumps_is_only_the_observer(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions in (("lower_leg",), ("elbow",))
    assert s.morphology == ("nodular",)


@pytest.mark.parametrize(
    "text",
    [
        # controls: the relative's own calcinosis stays the relative's
        "Her mum had calcinosis of the fingers.",
        "His father has calcinosis over both knees.",
    ],
)
def test_a_relatives_own_calcinosis_stays_theirs(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


# --- a family history written as a list -------------------------------------------------------


def test_the_line_after_a_family_history_list_is_the_patients(summary):
    s = summary(
        "Family history:\n* Father: scleroderma, calcinosis of his thumbs\n* Brother: psoriasis\n"
        "She herself has no calcinosis on examination today."
    )
    assert s.calcinosis == "negated"


def test_the_items_of_a_family_history_list_stay_the_relatives(summary):
    # control: every line is an item
    s = summary("Family history:\n1) Father: scleroderma with calcinosis\n2) Aunt: no calcinosis\n")
    assert s.calcinosis == "not_mentioned"


# --- words --------------------------------------------------------------------------------


def test_knots_are_nodular(summary):
    s = summary("Since spring she feels hard knots under the skin of the knees: calcinosis.")
    assert (s.calcinosis, s.morphology) == ("affirmed", ("nodular",))


def test_an_exercise_band_is_no_sheet(summary):
    s = summary("Home exercises with a resistance band; calcinosis nodules over the L elbow.")
    assert s.morphology == ("nodular",)


def test_a_band_of_calcium_is_still_a_sheet(summary):
    # control
    s = summary("A band of calcinosis runs along the fascia of the right thigh.")
    assert s.morphology == ("sheet_like",)


# --- calcified named arteries -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Doppler of the fingers: calcified digital arteries in three fingers, no calcinosis.",
        "The film shows a calcified radial artery at the wrist and no calcinosis.",
    ],
)
def test_a_calcified_named_artery_is_no_calcinosis(summary, text):
    assert summary(text).calcinosis == "negated"


def test_calcinosis_beside_a_calcified_artery_is_still_calcinosis(summary):
    # control
    s = summary("Calcified radial artery at the wrist. Calcinosis at the pulp of the L index.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("fingers",))


# --- a relative clause of place ---------------------------------------------------------------


def test_a_place_clause_after_advice_is_not_hypothetical(summary):
    s = summary(
        "Please avoid straps over the back of her R thigh where the calcinosis plaques are."
    )
    assert (s.calcinosis, s.regions) == ("affirmed", ("thigh",))


def test_advice_to_prevent_calcinosis_stays_hypothetical(summary):
    # control
    assert (
        summary("Advice given to prevent calcinosis of the fingers.").calcinosis == "not_mentioned"
    )


# --- a sites line labelled Location(s) ---------------------------------------------------------


def test_a_locations_label_with_a_bracketed_plural_lists_sites(summary):
    s = summary("Calcinosis present: yes\nLocation(s): R olecranon; L prepatellar")
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow", "knee"))


# --- a bracketed note between a template label and its answer -------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Calcinosis (clinician assessed): absent.\nUlcers: 1 active", "negated"),
        ("Myositis screen done. Calcinosis (on palpation) - none", "negated"),
        # controls: a positive answer, and the old "(Y/N)" form
        ("Calcinosis (clinician assessed): present, L olecranon", "affirmed"),
        ("Calcinosis (Y/N): N", "negated"),
    ],
)
def test_a_bracketed_note_after_the_label_keeps_its_answer(summary, text, status):
    assert summary(text).calcinosis == status
