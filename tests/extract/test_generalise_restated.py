"""Regression tests for the notesacc10 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes; none is taken from an evaluation set.
"""

import pytest

# --- "fingers of the left hand": the hand says whose fingers, it is no site --------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis in the pulps of two fingers of the right hand.", ("fingers",)),
        ("Gritty calcinosis at the fingertips of both hands.", ("fingers",)),
        ("Calcinosis at the tips of the ring and little fingers of his L hand.", ("fingers",)),
        # the hand named as a site of its own stays one
        ("Calcinosis of two fingers and of the left palm.", ("fingers", "hand")),
        ("Calcinosis over the right hand and the tip of the left thumb.", ("fingers", "hand")),
    ],
)
def test_a_hand_that_says_whose_fingers_is_no_site(summary, text, regions):
    assert summary(text).regions == regions


@pytest.mark.parametrize(
    "text",
    [
        "She attends hand therapy for calcinosis of the right thumb.",
        "Calcinosis of the left index finger limits her hand function.",
        "Referred to the hand surgeons with calcinosis at the little finger.",
    ],
)
def test_a_service_named_after_the_hand_is_no_site(summary, text):
    assert summary(text).regions == ("fingers",)


# --- words that look like a pattern but name something else -----------------------------------


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        ("We gave him an advice sheet about calcinosis of the elbows.", ()),
        ("Calcinosis of the left index finger. A dorsal plate was fixed to her radius.", ()),
        ("Calcinosis at the left thumb; the wrist fracture has a plate and screws.", ()),
        ("Stony-hard calcinosis over both knees.", ()),
        ("Calcinosis lying in broad stony plates over both hips.", ("sheet_like",)),
        ("Calcinosis forms a continuous shield over the lower back.", ("sheet_like",)),
        # a plate of calcium is still a pattern
        ("Calcinosis forming plates across the left thigh.", ("sheet_like",)),
    ],
)
def test_pattern_look_alikes(summary, text, morphology):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == morphology


# --- what the next sentence says a calcification is --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "MRI: ossifying mass with peripheral calcification in the left adductors. "
        "Appearances are those of myositis ossificans.",
        "Soft tissue calcific focus lateral to the right hip. "
        "Appearances are typical of calcific bursitis.",
        "Calcific density in the soft tissues of the left shoulder. "
        "Impression: in keeping with calcific tendinitis.",
    ],
)
def test_a_calcification_explained_by_the_next_sentence_is_no_calcinosis(summary, text):
    s = summary(text)
    assert s.calcinosis == "not_mentioned" and s.myositis is None


def test_a_next_sentence_that_names_no_explanation_changes_nothing(summary):
    s = summary("Soft tissue calcification at the left elbow. No calcific tendinitis.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow",))


def test_calcinosis_offered_only_as_a_possibility_makes_the_calcification_uncertain(summary):
    s = summary(
        "Calcific density in the soft tissues near the right elbow. "
        "It may be calcinosis or calcific tendinitis."
    )
    assert s.calcinosis == "uncertain"


def test_a_confirmed_restatement_keeps_the_calcification(summary):
    s = summary(
        "Calcific density in the soft tissues of the right elbow. Calcinosis, as suspected."
    )
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow",))


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Linear vascular calcification in the soft tissues of the left calf.", "not_mentioned"),
        ("Tubular arterial calcification in the subcutaneous fat of both legs.", "not_mentioned"),
        # a soft-tissue word joined to the vessel word: both kinds are there
        ("Soft tissue and vascular calcification of the left calf.", "affirmed"),
    ],
)
def test_a_vessel_calcification_in_the_soft_tissues_is_no_calcinosis(summary, text, status):
    assert summary(text).calcinosis == status


def test_correlate_clinically_for_does_not_affirm(summary):
    s = summary("Subcutaneous calcinosis of the calves. Correlate clinically for a myopathy.")
    assert (s.calcinosis, s.myositis) == ("affirmed", None)


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Systemic sclerosis with diffuse skin involvement and calcinosis of the elbow.", "dcssc"),
        ("Systemic sclerosis, limited skin disease, calcinosis of the thumb.", "lcssc"),
    ],
)
def test_a_subset_in_words(summary, text, subset):
    assert summary(text).subset == subset


# --- sites and patterns restated in another sentence or section ---------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Review: calcinosis is painful.\nSites: left elbow and both knees.", ("elbow", "knee")),
        (
            "Calcinosis has worsened. CT was reviewed.\nSites affected: the right forearm.",
            ("forearm",),
        ),
        # another label, or another finding first: nothing
        ("Calcinosis is painful.\nSites of old ulcers: both fingertips.", ()),
        ("Calcinosis is painful. Calcified granuloma in the lung.\nSites: both knees.", ()),
    ],
)
def test_a_sites_line_gives_a_site_less_calcinosis_its_sites(summary, text, regions):
    assert summary(text).regions == regions


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        (
            "Problems:\n1. Calcinosis - left elbow\n2. Raynaud's\n"
            "Examination:\nThe left elbow has a hard nodular lump.",
            ("nodular",),
        ),
        (
            "History: calcinosis of both calves since 2019.\n"
            "Examination: both calves - confluent plates under the skin.",
            ("sheet_like",),
        ),
        (
            "FINDINGS: Calcinosis in the subcutaneous fat of the right shin. No effusion.\n"
            "COMMENT: The deposit is a well-defined nodule.",
            ("nodular",),
        ),
        # negated, at another site, or beside another skin finding: nothing
        (
            "Problems:\n1. Calcinosis - left elbow\nExamination:\nNo nodules at the left elbow.",
            (),
        ),
        (
            "Problems:\n1. Calcinosis - left elbow\nExamination:\nA nodular swelling of the right knee.",
            (),
        ),
        (
            "Problems:\n1. Calcinosis - both hands\nExamination:\n"
            "Sclerodactyly and nodular thickening of both hands.",
            (),
        ),
        # pattern words of another skin lesion at the same site, naming no deposit: nothing
        (
            "Problems:\n1. Calcinosis - left thigh\nSkin:\n"
            "A band-like plaque of morphoea runs along the left thigh.",
            (),
        ),
        # a sentence of another section that does not refer back and names no site: nothing
        (
            "FINDINGS: Calcinosis in the subcutaneous fat of the right shin.\n"
            "COMMENT: Nodular goitre noted on the neck study.",
            (),
        ),
    ],
)
def test_a_pattern_restated_elsewhere_describes_the_calcinosis(summary, text, morphology):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == morphology


def test_a_pattern_before_the_finding_in_another_section_lends_nothing(summary):
    s = summary(
        "CLINICAL HISTORY: hard lumps over both thighs.\nFINDINGS: Calcinosis of both thighs.",
        report=True,
    )
    assert (s.calcinosis, s.morphology) == ("affirmed", ())


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Sheet-like calcinosis over both hips. The same process extends behind the left knee.",
            ("buttock_hip", "knee"),
        ),
        ("Calcinosis over both hips. No similar changes at the knees.", ("buttock_hip",)),
    ],
)
def test_the_same_process_elsewhere_adds_its_sites(summary, text, regions):
    assert summary(text).regions == regions


@pytest.mark.parametrize(
    ("text", "status", "regions"),
    [
        (
            "Firm subcutaneous swellings over the right heel and left shin; "
            "radiographs show calcific deposits at both sites.",
            "affirmed",
            ("ankle_foot", "lower_leg"),
        ),
        (
            "No swelling over the heels; radiographs show calcific deposits at both sites.",
            "not_mentioned",
            (),
        ),
    ],
)
def test_a_bare_calcification_at_these_sites_takes_the_clause_sites(summary, text, status, regions):
    s = summary(text)
    assert (s.calcinosis, s.regions) == (status, regions)
