"""Regression tests for the notesacc13 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes: deposits that are gone beside a negated
calcinosis, a further deposit in the next clause, sites listed under a list item, deposits far
from the finding, site words, CREST against a bone's crest, patterns lent from another lesion,
look-alikes of calcinosis and sheet-like words. None is taken from an evaluation set. Each fix
has a control that must not change.
"""

import pytest

from .readings import assert_affirmed_at

# --- a deposit that is gone: a history of calcinosis, not its absence ---------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "No active calcinosis today. The deposit over the right patella was excised two "
            "years ago without recurrence.",
            ("knee",),
        ),
        ("The knee deposit was curetted out in 2021. There is no calcinosis now.", ("knee",)),
        (
            "SSc. Exam: no calcinosis. History: chalky material was curetted from the right heel "
            "in 2019.",
            ("ankle_foot",),
        ),
        ("SSc, no calcinosis since the excision of a right thumb deposit in 2018.", ("fingers",)),
    ],
)
def test_a_deposit_that_is_gone_is_a_history_of_calcinosis(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    "text",
    [
        "No calcinosis. She had a rheumatoid nodule removed from the elbow.",
        "No calcinosis. A lipoma was excised from her back in 2012.",
        "No calcinosis. A urate deposit was excised from the left elbow in 2015.",
        "No calcinosis on examination. The ulcer has healed.",
        "No calcinosis. A skin lesion on the nose was removed last year.",
    ],
)
def test_other_things_removed_leave_calcinosis_negated(summary, text):
    assert summary(text).calcinosis == "negated"


# --- a further deposit named in the next clause or sentence -------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Calcinosis over the right forearm has slowly shrunk; a firm deposit persists at the "
            "left ankle.",
            ("ankle_foot", "forearm"),
        ),
        (
            "There is calcinosis at the right elbow. Another deposit sits over the left shin.",
            ("elbow", "lower_leg"),
        ),
        (
            "There is calcinosis at the right elbow. A further small deposit is present at the "
            "right heel.",
            ("ankle_foot", "elbow"),
        ),
    ],
)
def test_a_further_deposit_adds_its_site(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


def test_a_further_deposit_of_urate_adds_nothing(summary):
    s = summary("There is calcinosis at the right elbow. A urate deposit sits over the left toe.")
    assert s.regions == ("elbow",)


# --- sites listed under a list item that names calcinosis ---------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Problem list:\n1. lcSSc\n2. Calcinosis\n   - L thumb pulp\n   - R knee\n3. Reflux",
            ("fingers", "knee"),
        ),
        (
            "Issues:\n- Calcinosis:\n    * right elbow\n    * left buttock\n- Raynaud's, both hands",
            ("buttock_hip", "elbow"),
        ),
    ],
)
def test_sites_listed_under_a_calcinosis_item(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


def test_the_next_item_at_the_same_level_lends_nothing(summary):
    # control: the next numbered item is another problem, not a site of the calcinosis
    assert_affirmed_at(summary("1. Calcinosis cutis\n2. Raynaud's phenomenon of both hands"), ())


# --- a deposit described in another section as hard ---------------------------------------------


def test_hard_lumps_in_another_section_are_the_deposits(summary):
    s = summary(
        "Diagnosis: dermatomyositis complicated by calcinosis.\nMedication: hydroxychloroquine, IVIG.\n"
        "Social: lives alone, drives.\nExamination: hard lumps over both knees and the left elbow."
    )
    assert s.calcinosis == "affirmed" and s.regions == ("elbow", "knee")


def test_soft_nodules_in_another_section_are_not(summary):
    # control: a bare nodule far from the finding may be anything
    s = summary(
        "Diagnosis: SSc with calcinosis.\nMedication: nifedipine.\nSocial: works as a teacher.\n"
        "Examination: small nodules over the thyroid; chest clear."
    )
    assert s.calcinosis == "affirmed" and s.regions == ()


# --- site words, and a bone's crest is no CREST syndrome ----------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Calcinosis near the radial styloid on the left.", ("wrist",)),
        ("Calcinosis beside the ulnar styloid process.", ("wrist",)),
        ("Calcinosis of the right antecubital fossa.", ("elbow",)),
        ("Calcinosis of the earlobe.", ("face",)),
        ("Calcinosis in the periumbilical skin.", ("abdomen",)),
        ("Calcinosis over the iliac crest.", ("buttock_hip",)),
    ],
)
def test_more_site_words(summary, text, regions):
    assert_affirmed_at(summary(text), regions)


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Calcinosis over the left iliac crest.", None),
        ("The crest of the ilium shows calcinosis.", None),
        ("lcSSc (CREST syndrome) with calcinosis at the thumb.", "lcssc"),
        ("CREST. Calcinosis of the fingers.", "lcssc"),
    ],
)
def test_a_bones_crest_is_no_crest_syndrome(summary, text, subset):
    assert summary(text).subset == subset


# --- a pattern word of another lesion in the next sentence lends nothing -------------------------


@pytest.mark.parametrize(
    "text",
    [
        "There is calcinosis at the right elbow. A nodule in the right upper lobe is stable.",
        "Calcinosis at the left wrist. A rheumatoid nodule is present on the right elbow.",
        "Calcinosis at the left wrist. A thyroid nodule was biopsied.",
    ],
)
def test_another_lesions_pattern_is_not_lent(summary, text):
    assert summary(text).morphology == ()


def test_a_pattern_in_the_next_sentence_still_lends(summary):
    # controls: the next sentence describes the deposit itself
    assert summary(
        "Calcinosis at the left wrist. It is a hard nodule near the joint."
    ).morphology == ("nodular",)
    assert summary("Calcinosis over the right heel. The deposits are plate-like.").morphology == (
        "sheet_like",
    )


# --- look-alikes: dystrophic calcification of something else ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "XR LEFT KNEE: Pellegrini-Stieda calcification at the medial femoral condyle.",
        "XR LEFT KNEE: Calcified loose bodies in the suprapatellar pouch.",
        "XR THIGH: Calcified haematoma in the vastus lateralis after trauma.",
        "XR BUTTOCKS: Multiple calcified injection granulomas in both buttocks.",
        "CT LEG: Calcific myonecrosis of the anterior compartment.",
    ],
)
def test_dystrophic_calcification_of_something_else_is_not_calcinosis(summary, text):
    assert summary(text, report=True).calcinosis == "not_mentioned"


def test_soft_tissue_calcinosis_in_a_report_still_counts(summary):
    assert_affirmed_at(
        summary(
            "XR FOREARM: Soft tissue calcification in the forearm, in keeping with calcinosis."
        ),
        ("forearm",),
    )


# --- sheet-like words: casings, coalescence, septa ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "JDM. Calcinosis forms a rigid sleeve around the left forearm muscles.",
        "JDM. Calcinosis forms a cuff around the right calf.",
        "JDM with coalescent calcinosis over the buttocks.",
        "DM. Radiographs: coalescing calcific deposits envelop the left thigh.",
        "JDM. Calcinosis: a calcified rind under the skin of both thighs.",
        "Calcific densities in streaks along the intermuscular septa of the calf, consistent with "
        "calcinosis.",
    ],
)
def test_sheet_like_without_the_word_sheet(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed" and s.morphology == ("sheet_like",)


@pytest.mark.parametrize(
    "text",
    [
        "She wears a compression sleeve; calcinosis nodules at the R elbow are unchanged.",
        "Calcific tendinitis of the rotator cuff; calcinosis nodule at the left thumb.",
        "BP cuff on the left arm. Calcinosis at the right index finger is nodular.",
    ],
)
def test_garment_words_are_no_pattern(summary, text):
    assert "sheet_like" not in summary(text).morphology
