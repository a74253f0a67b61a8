"""Regression tests for the notesacc11 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes; none is taken from an evaluation set. Each
fix has a control that must not change.
"""

import pytest

from .readings import assert_affirmed_at

# --- "back" as an adverb is no site -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the right heel, which we will refer back to podiatry about.",
        "The calcinosis at the left heel was excised and has not come back.",
        "Calcinosis over the heel pad that grew back within a year of curettage.",
        "Chalky calcinosis of the left sole, reported back to us by the podiatrist.",
    ],
)
def test_back_as_an_adverb_is_no_site(summary, text):
    assert_affirmed_at(summary(text), ("ankle_foot",))


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # controls: the back as a body site stays one
        ("Calcinosis over the lower back and the left heel.", ("ankle_foot", "back")),
        ("Calcinosis of the back.", ("back",)),
        ("Calcified nodules in the skin of her back, and the same at the right heel.", None),
    ],
)
def test_the_back_as_a_site_stays_one(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "back" in s.regions if regions is None else s.regions == regions


# --- calcific enthesopathy and spurs are not calcinosis ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcific enthesopathy at the plantar fascia insertion of the right heel.",
        "A small calcified spur at the posterior calcaneus.",
        "Calcific enthesophytes at both patellar tendon insertions.",
        "Calcification at the Achilles insertion, left heel.",
    ],
)
def test_calcific_enthesopathy_is_not_calcinosis(summary, text):
    assert summary(text, report=True).calcinosis == "not_mentioned"


def test_soft_tissue_calcification_of_the_heel_is_still_calcinosis(summary):
    assert_affirmed_at(
        summary("Subcutaneous calcification over the right heel pad.", report=True), ("ankle_foot",)
    )


# --- the subset written "systemic sclerosis limited form" --------------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Known systemic sclerosis limited form since 2015.", "lcssc"),
        ("She has the limited form of systemic sclerosis.", "lcssc"),
        ("Scleroderma diffuse form, diagnosed last year.", "dcssc"),
        ("He has the diffuse type of scleroderma.", "dcssc"),
        # control: "limited" about something else gives no subset
        ("Systemic sclerosis. Limited form of exercise only.", None),
    ],
)
def test_subset_written_as_a_form(summary, text, subset):
    assert summary(text).subset == subset


# --- calcinosis in the base of a wound takes the wound's site -----------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Ulcer: left medial malleolus, 1 cm.\nBase has chalky calcinosis visible.",
            ("ankle_foot",),
        ),
        ("Wound on the R shin, 2 x 2 cm. The ulcer bed shows calcinosis.", ("lower_leg",)),
        ("New ulcer over the left elbow. Its base contains calcinosis.", ("elbow",)),
    ],
)
def test_calcinosis_in_a_wound_base_takes_the_wound_site(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        # controls: no wound base, or a previous sentence that negates or has its own finding
        "Ulcer over the left elbow. Calcinosis was noted in clinic.",
        "No ulcer on the left elbow. Base of the nail shows calcinosis.",
        "Calcinosis of the right knee. Base contains calcinosis too.",
    ],
)
def test_a_wound_base_lends_nothing_otherwise(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "elbow" not in s.regions
