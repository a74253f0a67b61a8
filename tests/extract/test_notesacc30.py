"""notesacc30: issue 13's leftovers fixed by their causes.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (apart30.jsonl, the held-apart check, is scored in test_accuracy.py).
"""

from __future__ import annotations

import pytest

from calciscope.errors import CatalogueError
from calciscope.extract.restate import wound_base
from calciscope.extract.rules import load_reach
from calciscope.extract.segment import split_sentences

# --- a clause-initial "none" / "neither" refers back to the findings just listed --------------


@pytest.mark.parametrize(
    "text",
    [
        "Looked for digital ulcers and calcinosis; none were seen on examination.",
        "We screened him for calcinosis and pitting scars; none found.",
        "Queried calcinosis or tophi at the elbows; neither were palpable today.",
        "Enquired about calcinosis and ulcers, neither reported by the patient.",
        "Skin: checked for telangiectases and calcinosis, none present.",
    ],
)
def test_none_after_a_semicolon_or_comma_reaches_back(summary, text):
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    ("text", "status", "regions"),
    [
        # controls: a semicolon before a clause with a finding of its own still ends the sentence
        ("No ulcers; calcinosis of both elbows.", "affirmed", ("elbow",)),
        ("Digital ulcers none; calcinosis at the left thumb.", "affirmed", ("fingers",)),
        (
            "Calcinosis of the right knee; none of the other joints are swollen.",
            "affirmed",
            ("knee",),
        ),
        # the "none" of a later clause says nothing of the calcinosis before its semicolon
        ("Calcinosis over both shins; ulcers and gangrene, none now.", "affirmed", ("lower_leg",)),
        ("Calcinosis at both elbows; none were tender.", "affirmed", ("elbow",)),
        # "neither" naming its own findings stays forward
        ("Calcinosis at the elbow, neither tender nor red.", "affirmed", ("elbow",)),
        ("Neither calcinosis nor ulcers.", "negated", ()),
        # a search without its result is still a doubt
        ("Checked for calcinosis.", "uncertain", ()),
    ],
)
def test_none_controls(summary, text, status, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == (status, regions)


def test_a_semicolon_before_a_referring_none_is_no_boundary():
    text = "Examined for tophi and calcinosis; none were found. Next sentence."
    assert len(split_sentences(text)) == 2
    assert len(split_sentences("No ulcers; calcinosis at the knee.")) == 2


# --- a word standing for the calcinosis named before a contrast --------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "His feet were spared of calcinosis but the buttocks have big deposits.",
            ("buttock_hip",),
        ),
        # "ones" and "lesions" stand for anything (notesfix30): "deposits" with hardness or a site
        ("Her wrists are free of calcinosis, whereas both thighs carry hard deposits.", ("thigh",)),
        ("No calcinosis in the fingers, but the knees show several deposits on X-ray.", ("knee",)),
    ],
)
def test_deposits_after_a_contrast_are_the_calcinosis(summary, text, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", regions)


@pytest.mark.parametrize(
    "text",
    [
        # deposits of something else
        "No calcinosis at the hands, but urate deposits in both knees on DECT.",
        "Calcinosis absent; but amyloid deposits were found in the fat pad biopsy.",
        "No calcinosis, but fat deposits over the thighs.",
        "Free of calcinosis, although there are deposits of monosodium urate at the elbows.",
        # no contrast, or a deposit said to be absent, or a finding of its own in the clause
        "Calcinosis absent. The deposits over her calves are venous eczema crusts.",
        "Spared of calcinosis and no deposits anywhere.",
    ],
)
def test_deposits_controls_stay_negated(summary, text):
    assert summary(text).calcinosis == "negated"


def test_a_site_after_a_contrast_belongs_to_its_own_clause(summary):
    s = summary("No calcinosis in the feet, whereas both shins show calcinosis.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("lower_leg",))
    # control: an affirmed calcinosis keeps the sites of its sentence
    s = summary("Calcinosis at the hands, but the elbows have deposits too.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow", "hand"))


# --- a range's ends: the segment between (convention, notesacc30) ------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("A sheet of calcinosis runs from the elbows down to the wrists.", ("forearm",)),
        ("Plate-like calcinosis extending from the ankle up to the knee.", ("lower_leg",)),
        ("Calcinosis in a band from hip to knee on the left.", ("thigh",)),
        ("A layer of calcinosis from the shoulder to the elbow.", ("upper_arm",)),
        ("Flat calcinosis from the wrist joint to the knuckles.", ("hand",)),
        # control: ends that bound no one segment stay sites of their own
        ("Calcinosis from the knuckles to the mid forearm.", ("forearm", "hand")),
        ("Calcinosis at the elbow and at the wrist.", ("elbow", "wrist")),
    ],
)
def test_range_is_the_segment_between(summary, text, regions):
    assert summary(text).regions == regions


# --- a body-cavity site beside a soft-tissue calcification in its sentence ---------------------


def test_cavity_site_counts_beside_a_soft_tissue_calcification(summary):
    text = "CT: calcification girdles the abdomen like a belt, a continuous calcified band in the subcutaneous fat."
    s = summary(text)
    assert (s.calcinosis, s.regions, s.morphology) == ("affirmed", ("abdomen",), ("sheet_like",))
    # control: a cavity calcification alone is no calcinosis
    assert summary("CT: calcification in the pelvis, likely phleboliths.").calcinosis != "affirmed"


# --- papules named sentences before the calcinosis ---------------------------------------------


def test_papules_sentences_before_lend_their_pattern(summary):
    text = (
        "Presented with tender whitish papules on the toes for a year. O/E: telangiectasia, "
        "papules on the toes. X-ray feet: calcinosis of the toes."
    )
    assert summary(text).morphology == ("nodular",)
    # control: another disease's papules lend nothing
    text = "Gottron's papules over the knuckles. X-ray hands: calcinosis of the fingers."
    assert summary(text).morphology == ()


# --- the wound base's reach is rule data -------------------------------------------------------


def test_wound_base_reach_is_rule_data():
    assert wound_base._BASE_REACH == load_reach("wound_base_reach") == 2
    with pytest.raises(CatalogueError):
        load_reach("no_such_reach")
