"""Regression tests for review 36 of probes35 (fix36).

Every sentence here is SYNTHETIC, written for this file (not the reviewer's, not the
probes'): each finding's own case and negative controls that must keep their reading.
Each case is read as a letter and as a radiology report unless it names one reading.
"""

from __future__ import annotations

import pytest

# (text, calcinosis, morphology, regions); None: that field is not checked.
_CASES = [
    # H1: a site denied before ", but present ..." is no site of the finding.
    (
        "No calcinosis at the left wrist, but present at the right elbow.",
        "affirmed",
        (),
        ("elbow",),
    ),
    (
        "No calcinosis over the right shin, but seen over the left thigh.",
        "affirmed",
        (),
        ("thigh",),
    ),
    # ... control: no "no" before the finding, both sites stay.
    (
        "Calcinosis at the left wrist, but present at the right elbow too.",
        "affirmed",
        (),
        ("elbow", "wrist"),
    ),
    # M1: "but present" in a relative, in the past or a year, or after both sides, still negates.
    ("No calcinosis on the left, but present in his mother.", "negated", (), ()),
    ("No calcinosis on the left or the right, but present in childhood.", "negated", (), ()),
    ("No calcinosis on the left, but present in 2021, resolved since.", "negated", (), ()),
    # ... control: a side denied and a body place after "but present" stays affirmed.
    ("No calcinosis on the left, but present on the right shin.", "affirmed", (), ("lower_leg",)),
    # H2: "free" / "clear" / "nothing" about something else keeps the site.
    (
        "Calcinosis cutis, the right middle finger shows free drainage of white paste.",
        "affirmed",
        (),
        ("fingers",),
    ),
    ("Calcinosis, the left knee clear of cellulitis.", "affirmed", (), ("knee",)),
    ("Calcinosis, but the right shoulder remains free of pain.", "affirmed", (), ("shoulder",)),
    (
        "Calcinosis noted, the left elbow has nothing to suggest infection.",
        "affirmed",
        (),
        ("elbow",),
    ),
    # ... controls: a spared site still dropped.
    (
        "Calcinosis of the left shoulder, whereas the right knee has none.",
        "affirmed",
        (),
        ("shoulder",),
    ),
    (
        "Calcinosis of the left shoulder, but the right knee is free of deposits.",
        "affirmed",
        (),
        ("shoulder",),
    ),
    (
        "Calcinosis of the left shoulder, but the right knee is clear.",
        "affirmed",
        (),
        ("shoulder",),
    ),
    # H3: a document's appendix is no organ.
    (
        "Calcified nodules over the elbows are tabulated in appendix B.",
        "affirmed",
        ("nodular",),
        ("elbow",),
    ),
    ("Calcific deposits at the knees, as pictured in the appendix.", "affirmed", (), ("knee",)),
    # ... control: the organ still decides the calcium.
    ("CT: a small calcified focus within the appendix.", "not_mentioned", (), ()),
    # M4: "spinal cord injury" is a disease, not the organ.
    ("Calcium deposits over the buttocks, as often in spinal cord injury.", "affirmed", (), None),
    ("Calcification within the spinal cord at C5 on MRI.", "not_mentioned", (), ()),
    # H5: "ruled out" / "excluded" ending the clause negates backward.
    ("Calcinosis of the right knee excluded.", "negated", (), ()),
    ("Calcinosis at the left shoulder has been ruled out.", "negated", (), ()),
    ("Calcinosis of the left wrist excluded - none at the right either.", "negated", (), ()),
    # ... controls: another thing excluded, or ruled out by a test, keeps the calcinosis.
    ("Calcinosis at the right knee, septic arthritis excluded.", "affirmed", (), ("knee",)),
    ("Calcinosis of both knees; gout ruled out by aspiration.", "affirmed", (), ("knee",)),
    # M6: an em dash or "--" before "none at ..." denies only that place.
    ("Calcinosis over the right knee \u2014 none at the left.", "affirmed", (), ("knee",)),
    ("Calcinosis over the right knee\u2014none at the left.", "affirmed", (), ("knee",)),
    ("Calcinosis over the right knee -- none at the left.", "affirmed", (), ("knee",)),
    # ... control: a bare "none" after the dash still negates.
    ("Calcinosis \u2014 none.", "negated", (), ()),
    # M2: a crust, brace, leaf or pavement of something else is no sheet.
    (
        "Calcinosis of the right ring finger, with a crust-like eschar.",
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "Calcinosis over the knees; a brace-like orthosis on the left knee.",
        "affirmed",
        (),
        ("knee",),
    ),
    ("Calcinosis at the elbows; a leaf-shaped scar on the left calf.", "affirmed", (), None),
    ("Calcinosis at the knees; pavement-like papules in the axillae.", "affirmed", (), None),
    (
        "Calcinosis at the knees with a thin leaf of graft skin over the patella.",
        "affirmed",
        (),
        ("knee",),
    ),
    # L1: a thin or flat leaf of something else is no sheet.
    (
        "Calcinosis at the shins; a flat leaf of split-skin graft on the left calf.",
        "affirmed",
        (),
        None,
    ),
    # ... controls: the calcium's own shape stays sheet-like.
    ("Pavement-like calcification over the left flank.", "affirmed", ("sheet_like",), None),
    (
        "Calcinosis at the thighs: leaf-like calcification in the fascia.",
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    # M3: "sheets in her case" is the deposit; "a sheet in the case notes" is not.
    (
        "Calcinosis of the buttocks, laid down in sheets in his case.",
        "affirmed",
        ("sheet_like",),
        None,
    ),
    (
        "Calcinosis of the elbows, as listed on a sheet in the case notes.",
        "affirmed",
        (),
        ("elbow",),
    ),
]

# H4: papules of another named skin disease lend no site or pattern (letter reading).
_LETTERS = [
    (
        "Yellow papules at the inner canthi, typical of xanthelasma. Calcinosis is also present.",
        "affirmed",
        (),
        (),
    ),
    (
        "White papules on the cheeks, consistent with milia. She has calcinosis as well.",
        "affirmed",
        (),
        (),
    ),
    ("Yellowish papules on the nose, sebaceous hyperplasia. Calcinosis noted.", "affirmed", (), ()),
    ("Yellow crusted papules around the mouth, impetigo. Known calcinosis.", "affirmed", (), ()),
    ("Yellow nails and papules on the toes. Calcinosis noted.", "affirmed", (), ()),
    # ... control: coloured papules of the deposit itself still lend both.
    (
        "Firm white papules on the left elbow. Calcinosis noted.",
        "affirmed",
        ("nodular",),
        ("elbow",),
    ),
]


def _check(read, calcinosis, morphology, regions):
    if calcinosis is not None:
        assert read.calcinosis == calcinosis
    if morphology is not None:
        assert read.morphology == tuple(sorted(morphology))
    if regions is not None:
        assert read.regions == tuple(sorted(regions))


@pytest.mark.parametrize("report", [True, False])
@pytest.mark.parametrize(
    ("text", "calcinosis", "morphology", "regions"), _CASES, ids=range(len(_CASES))
)
def test_fix36_reading(summary, text, calcinosis, morphology, regions, report):
    _check(summary(text, report=report), calcinosis, morphology, regions)


@pytest.mark.parametrize(
    ("text", "calcinosis", "morphology", "regions"), _LETTERS, ids=range(len(_LETTERS))
)
def test_fix36_papules_of_another_disease(summary, text, calcinosis, morphology, regions):
    _check(summary(text, report=False), calcinosis, morphology, regions)
