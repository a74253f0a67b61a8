"""Regression tests for the notesacc8 fixes (issue 13), in sentences written for these tests.

They are the development sentences of the fixes; none is taken from an evaluation set.
"""

import pytest

# --- a relative coordinated with the patient: the statement is the patient's too ---------------


@pytest.mark.parametrize(
    ("text", "status", "regions"),
    [
        ("Neither he nor his brother has calcinosis.", "negated", ()),
        ("Neither he nor his brother has any calcinosis.", "negated", ()),
        ("The patient and his son deny calcinosis.", "negated", ()),
        ("He and his mother both have calcinosis of the fingers.", "affirmed", ("fingers",)),
        ("Her son and she both have calcinosis of the elbows.", "affirmed", ("elbow",)),
        ("Neither his father nor the patient has ever had calcinosis.", "negated", ()),
    ],
)
def test_a_relative_coordinated_with_the_patient_is_not_a_family_mention(
    text, status, regions, summary
):
    s = summary(text)
    assert (s.calcinosis, s.regions) == (status, regions)


@pytest.mark.parametrize(
    "text",
    [
        "Her mother and aunt have calcinosis.",
        "She lives with her sister, who has calcinosis.",
        "His brother has calcinosis of both knees.",
    ],
)
def test_a_relative_alone_stays_a_family_mention(text, summary):
    assert summary(text).calcinosis == "not_mentioned"


def test_if_she_has_any_stays_hypothetical(summary):
    text = "Please ring the clinic if she has any calcinosis or new ulcers."
    assert summary(text).calcinosis == "not_mentioned"


# --- a negated clause before a semicolon lends no site --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "No swelling of the feet; calcinosis seen on films.",
        "No pain in either shoulder; X-ray shows subcutaneous calcinosis.",
        "Without tenderness over the shins; radiographs show calcinosis.",
    ],
)
def test_a_negated_clause_lends_no_site(text, summary):
    s = summary(text)
    assert (s.calcinosis, s.regions) == ("affirmed", ())


def test_a_clause_that_is_not_negated_still_lends(summary):
    s = summary("Hard swellings over both shins; films show subcutaneous calcinosis.")
    assert (s.calcinosis, s.regions) == ("affirmed", ("lower_leg",))


# --- "less likely" is uncertainty ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The swelling at the left wrist is probably a ganglion; calcinosis is less likely.",
        "Calcinosis seems less likely than a gouty tophus at the elbow.",
        "A less likely alternative is calcinosis of the thumb.",
    ],
)
def test_less_likely_makes_the_finding_uncertain(text, summary):
    assert summary(text).calcinosis == "uncertain"


# --- "in this patient with X": a known diagnosis outside the finding's scope --------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Hazy density at the fingertip that may be calcinosis in this patient with polymyositis.",
         "uncertain"),
        ("No calcinosis in this man with dermatomyositis.", "negated"),
        ("Possible calcinosis of the elbow in a woman with known dermatomyositis.", "uncertain"),
    ],
)  # fmt: skip
def test_the_patients_known_diagnosis_is_outside_the_scope(text, status, summary):
    s = summary(text)
    assert (s.calcinosis, s.myositis) == (status, True)


# --- a calcification explained as a granuloma ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Punctate calcified densities in the gluteal fat where he had injections, consistent "
        "with injection granulomas.",
        "Small calcification in the subcutaneous tissue of the arm, likely a foreign-body granuloma.",
    ],
)
def test_a_calcification_explained_as_a_granuloma_is_not_calcinosis(text, summary):
    assert summary(text, report=True).calcinosis == "not_mentioned"


def test_calcinosis_beside_a_granuloma_stays_calcinosis(summary):
    text = "Calcinosis of both elbows. Old granuloma in the left lung."
    s = summary(text, report=True)
    assert (s.calcinosis, s.regions) == ("affirmed", ("elbow",))


# --- a template's subset field ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("Subset: diffuse", "dcssc"),
        ("SSc subset - limited", "lcssc"),
        ("Calcinosis of both elbows; subset: limited.", "lcssc"),
        ("Disease subtype = diffuse", "dcssc"),
    ],
)
def test_a_template_subset_value_is_read(text, subset, summary):
    assert summary(text).subset == subset


# --- the next sentence describing the lesions lends its sites with its morphology -------------


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        (
            "She has calcinosis universalis. Numerous hard nodules over the elbows and both knees.",
            ("nodular",),
            ("elbow", "knee"),
        ),
        (
            "Calcinosis confirmed on X-ray. Sheet-like deposits along the left forearm.",
            ("sheet_like",),
            ("forearm",),
        ),
    ],
)
def test_the_next_sentence_lends_its_sites_with_its_morphology(text, morphology, regions, summary):
    s = summary(text)
    assert (s.calcinosis, s.morphology, s.regions) == ("affirmed", morphology, regions)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # the calcinosis names its own site
        ("Calcinosis of the fingers. Nodular deposits over the elbows.", ("fingers",)),
        # another skin finding owns the sites
        ("She has calcinosis. Puffy, nodular swelling of both hands.", ()),
        # no morphology: the next sentence is about something else
        ("She has calcinosis. Pain in both knees.", ()),
        # a negated site
        ("Known calcinosis. Hard nodules, but none over the knees.", ()),
    ],
)
def test_the_next_sentence_lends_no_site_otherwise(text, regions, summary):
    assert summary(text).regions == regions
