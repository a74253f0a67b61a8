"""Regression tests for the notesfix23 review fixes of notesacc23's rules.

SYNTHETIC sentences written for these tests (none from an evaluation set or the reviewer's
probes). Each fix has the case that failed and a control that notesacc23's intended case still
works.
"""

import pytest

from calciscope.extract import NoteExtractor
from calciscope.extract.rules import load_word_list

# --- 1. an addendum withdraws a finding only when it retracts it --------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        # negations qualified by other / further / elsewhere / additional / new / earlier film
        (
            "XR FEET\nIMPRESSION: Calcinosis over the right heel.\n"
            "ADDENDUM: No calcinosis is seen anywhere else.",
            ("ankle_foot",),
        ),
        (
            "XR FEET\nIMPRESSION: Calcinosis over the right heel.\n"
            "ADDENDUM: No additional calcinosis on the oblique projection.",
            ("ankle_foot",),
        ),
        (
            "XR ELBOWS\nIMPRESSION: Calcinosis at the left elbow.\n"
            "ADDENDUM: No calcinosis was present on the earlier study of 2021.",
            ("elbow",),
        ),
        # a negative finding added, with no retraction
        (
            "XR PELVIS\nIMPRESSION: Calcinosis of the right hip.\nADDENDUM: No calcinosis of "
            "the sacrum.",
            ("buttock_hip",),
        ),
        # a retraction, but of a site outside the region vocabulary: not "everywhere"
        (
            "XR PELVIS\nIMPRESSION: Calcinosis of the right hip.\n"
            "ADDENDUM: Please disregard the impression. No calcinosis of the sacrum.",
            ("buttock_hip",),
        ),
        # the other side is another site
        (
            "XR ELBOWS\nIMPRESSION: Calcinosis at the left elbow.\n"
            "ADDENDUM: On review, no calcinosis at the right elbow.",
            ("elbow",),
        ),
        # one side denied, of a finding that named none: the other side may stand
        (
            "XR ELBOWS\nIMPRESSION: Calcinosis at the elbow.\n"
            "ADDENDUM: On review no calcinosis at the left elbow; the right elbow deposit is real.",
            ("elbow",),
        ),
        # the addendum confirms calcinosis and denies another site: nothing withdrawn
        (
            "XR ELBOWS\nIMPRESSION: Calcinosis at the left elbow.\nADDENDUM: On review "
            "calcinosis is confirmed at the left elbow; no calcinosis at the right elbow.",
            ("elbow",),
        ),
    ],
)
def test_an_addendum_that_does_not_retract_withdraws_nothing(summary, text, regions):
    s = summary(text, report=True)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        # controls: notesacc23's intended case, a retraction then "no calcinosis"
        "XR FEET\nIMPRESSION: Calcinosis over the right heel.\n"
        "ADDENDUM: on review this is a skin marker. No calcinosis is present.",
        "XR PELVIS\nIMPRESSION: Calcinosis of the right hip.\n"
        "ADDENDUM: Please disregard the impression; there is no calcinosis.",
        "XR ELBOWS\nIMPRESSION: Calcinosis at the left elbow.\nADDENDUM: On review, the left "
        "elbow density is a loose body; no calcinosis at the left elbow.",
        "XR ELBOWS\nIMPRESSION: Calcinosis at both elbows.\nADDENDUM: On review, the density is "
        "in fact an artefact. No calcinosis at either elbow.",
        "XR WRIST\nFindings: calcinosis volar to the radius.\n"
        "Correction: there is no calcinosis; the density is the pisiform.",
        # "in the soft tissues" names no site: the negation still covers everything
        "XR HAND\nIMPRESSION: Calcinosis of the left thumb tip.\n"
        "ADDENDUM: No calcinosis in the soft tissues; the opacity is an artefact.",
    ],
)
def test_an_addendum_that_retracts_still_withdraws(summary, text):
    s = summary(text, report=True)
    assert s.calcinosis == "negated"
    assert s.regions == ()


def test_a_retraction_of_one_side_keeps_the_other():
    mentions = NoteExtractor().extract(
        "XR KNEES\nImpression: calcinosis at the left knee and at the right elbow.\n"
        "Addendum: on review the knee density is an artefact; no calcinosis at the left knee.",
        report=True,
    )
    first = next(m for m in mentions if m.category == "CALCINOSIS")
    assert not first.is_negated
    assert [r["region"] for r in first.links["regions"]] == ["elbow"]


def test_the_addendum_words_are_rule_data():
    words = load_word_list("addendum_words")
    assert words.pattern("retraction").search("The impression should read: tendinopathy.")
    assert words.pattern("qualifier").search("no further calcinosis")
    assert not words.pattern("qualifier").search("no calcinosis of the left thumb")
    assert words.pattern("no_site").match("soft tissues")


# --- 2. a remark on the patient's finding is no population statement ----------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        (
            "Her calcinosis of both knees, as is typical in dermatomyositis, is extensive.",
            ("knee",),
        ),
        ("She has sheets of calcinosis on the thighs, which is uncommon in adults.", ("thigh",)),
        (
            "Some people with lupus get calcinosis, and he has developed it at the left elbow.",
            ("elbow",),
        ),
        ("Most patients with dcSSc develop calcinosis, in her case at both knees.", ("knee",)),
    ],
)
def test_the_patients_own_finding_beside_a_population_remark_is_affirmed(summary, text, regions):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == regions


@pytest.mark.parametrize(
    "text",
    [
        # controls: a bare generic subject is a population statement
        "Calcinosis is rare in lcSSc.",
        "Calcinosis is typical in juvenile dermatomyositis.",
    ],
)
def test_a_bare_generic_statement_is_still_no_finding(summary, text):
    assert summary(text).calcinosis == "not_mentioned"


def test_the_patients_own_none_after_a_population_still_negates(summary):
    # control: notesacc23's answer to a population statement
    s = summary("Most patients with dcSSc develop calcinosis; our patient has none yet.")
    assert s.calcinosis == "negated"
