"""Regression tests for the notesfix25 fixes: notesacc25's rules made narrower.

A read-only review of notesacc25 found five over-broad rules; each test below is one of the
review's probe sentences or a variant written for these tests (none is taken from an evaluation
set), with controls that notesacc25's intended cases still hold. SYNTHETIC text.
"""

import pytest

# --- 1. a bracketed minus negates the word or two before it, not the list -----------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Raynaud's (+), calcinosis over both elbows, digital ulcers (-).", ("elbow", "fingers")),
        ("lcSSc with calcinosis of the fingers and telangiectasia, ANA (-).", ("fingers",)),
        ("Calcinosis at the right knee, ILD (\u2212), PAH (\u2013).", ("knee",)),
        ("Calcinosis over the left elbow; anti-centromere (+), Scl-70 (-).", ("elbow",)),
    ],
)
def test_a_bracketed_minus_does_not_reach_back_over_the_list(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "Exam: telangiectasia (+), sclerodactyly (+), calcinosis (-).",
        "Raynaud's (+), digital ulcers (+), calcinosis cutis (\u2212).",
        "Sclerodactyly (+) and calcinosis (-) on examination today.",
    ],
)
def test_a_bracketed_minus_after_calcinosis_still_negates(summary, text):
    # control: notesacc25's intended case
    assert summary(text).calcinosis == "negated"


# --- 2. "refuted" in prose: only the finding just before it -----------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis of both elbows on x-ray, gout refuted by aspiration.", ("elbow",)),
        ("Calcinosis over the right knee; the diagnosis of gout was refuted.", ("knee",)),
        ("Calcinosis at the left wrist and septic arthritis refuted by culture.", ("wrist",)),
    ],
)
def test_refuted_in_prose_does_not_negate_the_calcinosis(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis refuted.",
        "Calcinosis was refuted.",
        "Coded problems\n| Raynaud's phenomenon | active | confirmed |\n| Calcinosis | inactive | refuted |",
        "Problem list\n| Calcinosis cutis of both elbows | inactive | refuted |",
        "Calcinosis cutis, verification status: refuted",
    ],
)
def test_a_refuted_calcinosis_stays_negated(summary, text):
    # control: the coded verification status and the bare statement
    assert summary(text).calcinosis == "negated"


# --- 3. complications one may get: only with a verb of occurrence -----------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Problems that may need surgery: calcinosis at the right elbow.", ("elbow",)),
        (
            "Pain and ulceration, problems which may be due to the calcinosis over both elbows.",
            ("elbow",),
        ),
        (
            "Her problems which may be related to SSc are calcinosis of the fingers and reflux.",
            ("fingers",),
        ),
        (
            "We discussed complications that can occur, such as ulcers, and she has calcinosis "
            "at both elbows.",
            ("elbow",),
        ),
        (
            "Manifestations that could explain her pain: calcinosis at the left hip.",
            ("buttock_hip",),
        ),
        (
            "I explained complications that may develop, like ulcers, and he already has "
            "calcinosis of the right knee.",
            ("knee",),
        ),
    ],
)
def test_problems_she_has_are_not_hypothetical(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "We talked about complications that may arise later on, such as ulcers of the fingertips and calcinosis.",
        "I explained the problems which could follow in the next years, for instance lung fibrosis or calcinosis.",
        "Complications that can occur over time include digital ulcers and calcinosis.",
    ],
)
def test_complications_one_may_get_stay_hypothetical(summary, text):
    # control: notesacc25's intended cases
    assert summary(text).calcinosis == "not_mentioned"


# --- 4. a sheet of calcification is sheet-like; a sheet of graft is not ------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Sheets of dermal calcification over both thighs.", ("thigh",)),
        (
            "Sheets of dermal and subcutaneous calcification over the buttocks and thighs.",
            ("buttock_hip", "thigh"),
        ),
        ("A sheet of skin calcification over the left flank.", ("abdomen",)),
        ("Sheets of skin and subcutaneous calcinosis over the thighs.", ("thigh",)),
        ("Sheet of full-thickness skin calcification over the back.", ("back",)),
        ("A sheet of partial thickness calcinosis over the right thigh.", ("thigh",)),
    ],
)
def test_a_sheet_of_skin_calcification_is_sheet_like(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("sheet_like",)
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "Excision of calcinosis of the right forearm, closed with a sheet of split skin graft.",
        "Excision of calcinosis of the left knee, covered by a sheet of split-thickness skin graft.",
        "Calcinosis of the right elbow excised; a sheet graft was applied.",
        "Calcinosis of the left forearm; a silicone gel sheet is applied to the scar at night.",
        "Calcinosis at both knees; the bed sheets were kept smooth under her legs.",
        "Calcinosis of the right forearm excised, dressed with a sheet of gauze.",
    ],
)
def test_a_sheet_of_graft_or_dressing_is_no_pattern(summary, text):
    # control: notesacc25's intended cases and variants
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


# --- 5. a graft site is a site; a donor site is not ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("There is calcinosis at the graft site on the left forearm.", ("forearm",)),
        ("Recurrent calcinosis at the graft site over the right thigh.", ("thigh",)),
        ("Calcinosis beneath the graft sites on both forearms.", ("forearm",)),
    ],
)
def test_a_graft_site_stays_a_site(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis of the left knee was excised and grafted; donor site on the left thigh healing.",
        "Calcinosis of the left knee excised, graft taken from the right thigh.",
        "Calcinosis of the left knee excised; donor sites over both thighs are healing.",
        "The left knee after removal of calcinosis, covered by a graft raised from the left forearm.",
    ],
)
def test_a_donor_site_is_still_no_site(summary, text):
    # control: notesacc25's intended cases and variants
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == ("knee",)
