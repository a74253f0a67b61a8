"""Regression tests for the notesacc18 fixes: what a sentence before a bare calcinosis may lend.

A calcinosis that names no site takes the sites (and a missing pattern) of a sentence before it
that describes deposits (notesacc16). These sentences, written for these tests and taken from
no evaluation set, must lend nothing: plaques, plates or papules with no word of calcium (other
skin diseases, implants); deposits in a family history, of a relative or of another patient;
deposits negated, removed, or named as another lesion before the calcinosis; lumps of another
kind; masses deep in the neck, armpit or belly; a bone density scan. The controls must still
lend.
"""

import pytest


@pytest.mark.parametrize(
    "text",
    [
        # plaques, plates, papules and sheets of other skin diseases or implants
        "Sclerotic plaques over both forearms. Calcinosis.",
        "Scleroderma plaques over the trunk. Calcinosis.",
        "Hyperpigmented plaques on the back. Calcinosis.",
        "Lichenified plaques on both elbows. Calcinosis.",
        "Firm plaques on both shins, necrobiosis lipoidica. Calcinosis.",
        "Plates in the right femur. Calcinosis.",
        "Atrophic papules on the backs of both hands. Calcinosis.",
        # sections, people
        "Family history:\nMother with SSc.\nShe had hard lumps on both elbows.\nExamination:\n"
        "Calcinosis present.",
        "Her sister also has SSc. She has hard lumps on both elbows. The patient has calcinosis.",
        "Patient A: firm nodules over both knees.\nPatient B: calcinosis.",
        # identified as another lesion later, negated, removed
        "A hard mass at the right shoulder. Ultrasound: ganglion. Calcinosis.",
        "Hard mass in the right thigh. Biopsy: osteosarcoma. Calcinosis present.",
        "Elbows: no nodules. Calcinosis present.",
        "Knees: no lumps. Impression: calcinosis.",
        "Hard nodules over both elbows were excised in 2015. Calcinosis present.",
        # lumps of another kind
        "Nodules palpable in the neck. Calcinosis.",
        "Firm nodules in the left axilla. Calcinosis.",
        "Insulin lumps on both thighs. Calcinosis.",
        "Bony nodules at the DIP joints (osteoarthritis). Calcinosis.",
        "Firm nodules in the right palm, Dupuytren's disease. Calcinosis.",
        "- firm nodules both elbows (rheumatoid)\n- calcinosis",
        "1. RA with nodules over both elbows.\n2. Calcinosis.",
        "Abdomen: a mass in the right iliac fossa. Impression: calcinosis.",
        "Bone density scan of both hips: osteopenia. Calcinosis.",
        "A cyst over the left wrist, soft and round. Calcinosis.",
    ],
)
def test_nothing_is_lent(summary, text):
    s = summary(text)
    assert s.calcinosis == "affirmed"
    assert s.regions == () and s.morphology == ()


@pytest.mark.parametrize(
    ("text", "morphology", "regions"),
    [
        ("Chalky plaques over both forearms. Calcinosis.", ("sheet_like",), ("forearm",)),
        ("Gritty sheets of calcium over both thighs. Calcinosis.", ("sheet_like",), ("thigh",)),
        (
            "Stony plates have spread under the skin of both upper arms.\nImpression: calcinosis.",
            ("sheet_like",),
            ("upper_arm",),
        ),
        (
            "Examination:\nHard nodules over both elbows.\nImpression:\nCalcinosis.",
            ("nodular",),
            ("elbow",),
        ),
        (
            "A 4 mm density in the soft tissue of the right thumb pulp.\nConclusion: calcinosis.",
            (),
            ("fingers",),
        ),
        # a relative who only noticed the lumps is the observer (notesacc21's rule for the
        # relative guard, given to the chalky-matter guard too in notesacc26): they lend
        (
            "Her father noticed hard lumps over both knees. Calcinosis.",
            ("nodular",),
            ("knee",),
        ),
    ],
)
def test_deposits_described_before_still_lend(summary, text, morphology, regions):
    s = summary(text)
    assert s.morphology == morphology and s.regions == regions


def test_a_lump_in_the_skin_of_the_neck_lends(summary):
    s = summary("Gritty nodules in the skin of the neck. Calcinosis.")
    assert s.regions == ("neck",)


@pytest.mark.parametrize(
    "text",
    [
        "A tender, hard swelling sits in the left axilla.\nUltrasound: calcification in the "
        "subcutaneous fat.",
        "Hard nodules in the right axilla.\nAssessment: calcinosis cutis.",
    ],
)
def test_an_armpit_lump_lends_when_the_calcinosis_is_of_the_skin(summary, text):
    assert summary(text).regions == ("shoulder",)


def test_a_lump_of_another_kind_said_to_be_absent_blocks_nothing(summary):
    s = summary(
        "Findings: Hard nodules lie in the skin over both knees. No lymphadenopathy, no gout.\n"
        "Impression: calcinosis."
    )
    assert s.regions == ("knee",) and s.morphology == ("nodular",)


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("She has scleroderma with hard lumps on both elbows. Calcinosis.", ("elbow",)),
        ("Hard nodules over the bony prominences of both knees. Calcinosis.", ("knee",)),
        ("Chalky nodules on both shins, with muscle atrophy. Calcinosis.", ("lower_leg",)),
    ],
)
def test_the_disease_itself_and_bony_prominences_do_not_block(summary, text, regions):
    assert summary(text).regions == regions
