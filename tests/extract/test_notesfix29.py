"""Regression tests for review 25's findings on the notesacc29 rules (issue 13; notesfix29).

The reviewer's sentences (main's reading of each is the right one) and look-alikes written
for these tests; none is taken from an evaluation set. SYNTHETIC text.
"""

import pytest

from .readings import assert_affirmed_at

# --- HIGH: "Calc:" is the calcinosis label only in an SSc template ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Bloods: U&E normal. LFT: normal. Calc: normal. Phos: normal.",
        "Bloods: Hb 121, Corr calc: normal, ALP 88.",
        "Adj Calc: low, PTH requested.",
        "Calc: pending.",
        "Calc: within normal limits.",
        "Calc: see bloods.",
        "Calc: nil.",
        "Calc: WNL\nPhos: 1.2",
        "Bloods\nCalc: high\nDU: none",
        "Corrected calc: 2.71, repeat with PTH.",
        "SSc review\nBloods: Calc: L 2.3 mmol\nDU: none",
    ],
)
def test_a_laboratory_calcium_is_no_calcinosis(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    ("text", "status", "regions"),
    [
        ("SSc clinic\nCalc: L index and middle pulps\nRaynaud's: daily", "affirmed", ("fingers",)),
        ("SSc clinic\nCalc: both elbows\nmRSS 12", "affirmed", ("elbow",)),
        ("SSc clinic\nCalc: nil\nILD: stable", "negated", ()),
    ],
)
def test_calc_in_an_ssc_template_is_calcinosis(summary, text, status, regions):
    s = summary(text)
    assert s.calcinosis == status
    assert s.regions == regions


# --- MEDIUM: the fronted finding must be the object itself --------------------------------------


def test_another_object_before_i_could_not_see_keeps_the_calcinosis(summary):
    s = summary(
        "She has known calcinosis at both elbows on X-ray, and the ulcer she described I could not see."
    )
    assert s.calcinosis == "affirmed" and s.regions == ("elbow",)
    s = summary(
        "Calcinosis at the elbows was described by her previous rheumatologist; her notes I could not find."
    )
    assert s.calcinosis == "affirmed"
    s = summary("Calcinosis at the left elbow; the tophus she mentioned we could not feel.")
    assert s.calcinosis == "affirmed"


def test_a_fronted_finding_with_its_place_is_still_negated(summary):
    # control: a determiner after a preposition or an uncommaed "and" is the finding's own phrase
    assert (
        summary("Calcinosis of the hands and the elbows I could not find.").calcinosis == "negated"
    )


def test_the_examiner_is_a_word_of_its_own(summary):
    # "Ali could not see": no "I" (the look-behind needs a word boundary)
    assert_affirmed_at(summary("The calcinosis at her elbows Ali could not see."), ("elbow",))


# --- MEDIUM: tendon insertions, interlacing, pancakes and other look-alikes ---------------------


def test_an_enthesopathy_over_a_tendon_insertion_is_no_calcinosis(summary):
    s = summary(
        "X-ray elbow: calcification overlying the extensor tendon insertion, likely enthesopathy."
    )
    assert s.calcinosis == "not_mentioned"


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis at the left index fingertip. Skin biopsy: interlacing fascicles of spindle cells.",
        "Calcinosis at the left index fingertip. Skin biopsy: calcinosis cutis within interlacing bands of dense collagen.",
    ],
)
def test_interlacing_alone_is_no_net(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "reticular" not in s.morphology


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the left elbow. The patient's abdomen is a flat pancake after weight loss.",
        "Calcinosis of the left elbow. There is a carpet of ulcers over both shins.",
        "Calcinosis of the left elbow. She has a large fat apron (pannus) with intertrigo.",
        "Calcinosis of the left elbow. A hard apron of fat hangs over the groin.",
        "Calcinosis of the left elbow. The clinic building's cladding is being replaced.",
        "Calcinosis of the left elbow. The right leg was wrapped in a cocoon of dressings.",
        "Calcinosis of the left elbow. A rigid cocoon of bandages was applied.",
        "Calcinosis of the left elbow. CT abdomen: abdominal cocoon (sclerosing encapsulating peritonitis).",
    ],
)
def test_sheet_words_of_daily_life_are_no_sheet(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.regions == ("elbow",)
    assert s.morphology == ()


def test_a_calcified_cladding_stays_sheet_like(summary):
    # control
    s = summary("Calcinosis of the left elbow. A hard calcified cladding covers the wrist.")
    assert s.morphology == ("sheet_like",)


# --- LOW: a movement limited by the calcinosis still places it ----------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Finger flexion is limited by calcinosis.", ("fingers",)),
        ("Elbow extension is restricted by calcinosis.", ("elbow",)),
    ],
)
def test_a_movement_limited_by_calcinosis_places_it(summary, text, regions):
    assert summary(text).regions == regions
