"""fix43: review 43's regressions of notesacc37 mended at their causes.

Every sentence here is SYNTHETIC: the reviewer's sentences (review 43) and near variants
written for these tests. Each case names the reading expected: ``keeps`` cases must read as
main read them before notesacc37; ``new`` cases are notesacc37's intended readings that must
still work after the narrowing.
"""

from __future__ import annotations

import pytest

from .readings import Read

# (text, is a radiology report, calcinosis status, morphology, regions)
Case = tuple[str, bool, str, tuple[str, ...], tuple[str, ...]]

_ADD = "\nAddendum: "

#: H1: a thin spread is the calcium's own, not a cream's.
SPREAD: list[Case] = [
    # keeps
    (
        "Calcinosis nodules at both elbows, emollient spread thinly over the hands twice daily.",
        False,
        "affirmed",
        ("nodular",),
        ("elbow", "hand"),
    ),
    (
        "Calcinosis at the fingertips and elbows, Vaseline spread thinly at night, gloves in winter.",
        False,
        "affirmed",
        (),
        ("elbow", "fingers"),
    ),
    (
        "Calcium deposits in the fingertips, she keeps the barrier cream spread thinly over the tips.",
        False,
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "Calcinosis at the knees; the steroid ointment is spread thinly over the shins.",
        False,
        "affirmed",
        (),
        ("knee",),
    ),
    # new
    (
        "CT pelvis: the calcification has spread out thinly along the gluteal fascia.",
        True,
        "affirmed",
        ("sheet_like",),
        ("buttock_hip",),
    ),
    (
        "XR: calcification spread out thinly across the subcutaneous fat of the left thigh.",
        True,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "CT: the deposits have spread thinly over the right buttock, calcinosis.",
        True,
        "affirmed",
        ("sheet_like",),
        ("buttock_hip",),
    ),
]

#: H2: "exclude" questions only the thing it excludes.
EXCLUDE: list[Case] = [
    # keeps
    (
        "Pre-operative X-ray to exclude a fracture demonstrates calcinosis in the soft tissues of "
        "the thumb.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "Ultrasound to exclude an abscess showed calcinosis at the left elbow.",
        False,
        "affirmed",
        (),
        ("elbow",),
    ),
    (
        "Biopsy to exclude malignancy revealed calcinosis cutis of the left forearm.",
        False,
        "affirmed",
        (),
        ("forearm",),
    ),
    (
        "MRI to exclude osteomyelitis: calcinosis at the left heel, no bone oedema.",
        False,
        "affirmed",
        (),
        ("ankle_foot",),
    ),
    (
        "CT to exclude a collection shows calcinosis at the right hip.",
        True,
        "affirmed",
        (),
        ("buttock_hip",),
    ),
    # new
    (
        "Indication: thigh pain, exclude calcinosis. Findings: no soft tissue calcification.",
        True,
        "negated",
        (),
        (),
    ),
    ("Hand X-ray requested to exclude calcinosis of the fingertips.", False, "uncertain", (), ()),
    ("Ultrasound to exclude soft tissue calcinosis at the left elbow.", False, "uncertain", (), ()),
]

#: H3: a screen with its result reports the result.
SCREEN: list[Case] = [
    # keeps
    ("Calcinosis screen positive at the right elbow.", False, "affirmed", (), ("elbow",)),
    ("Calcinosis screen showed deposits at both elbows.", False, "affirmed", (), ("elbow",)),
    (
        "Calcinosis screen (hand radiographs): multiple deposits in the fingertips.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    ("Calcinosis screen: negative.", False, "negated", (), ()),
    (
        "Calcinosis screening X-ray of the hands shows deposits in three fingertips.",
        False,
        "affirmed",
        (),
        ("fingers",),
    ),
    ("Calcinosis screen result: positive at both elbows.", False, "affirmed", (), ("elbow",)),
    ("Calcinosis screen \u2014 both elbows affected.", False, "affirmed", (), ("elbow",)),
    ("Calcinosis screen revealed a deposit at the left knee.", False, "affirmed", (), ("knee",)),
    # new
    ("Calcinosis screen today.", False, "uncertain", (), ()),
    ("Calcinosis screening visit booked for March.", False, "uncertain", (), ()),
]

#: H4: "has / shows none" answers a questioned finding only as a test's plain "none".
NONE: list[Case] = [
    # keeps (uncertain, as main)
    (
        "Possible calcinosis at the fingertips. She has none of the other features of CREST.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "Possible calcinosis at the elbow, ?gout. X-ray shows none of the erosions of gout.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "Possible calcinosis at the elbow. Exam shows none of the skin thickening of dcSSc.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "?calcinosis at the heel. Ultrasound today shows none of the features of plantar fasciitis.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "Possible calcinosis at the fingertips; she has none of the other features of CREST.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "Possible early calcinosis at the fingertip. She did not have any at her last visit.",
        False,
        "uncertain",
        (),
        (),
    ),
    (
        "?Calcinosis at the elbow. The scan showed none at the knee though.",
        False,
        "uncertain",
        (),
        (),
    ),
    ("Possible calcinosis of the elbow. She has not yet.", False, "uncertain", (), ()),
    ("Possible calcinosis at the knee. She has none now.", False, "uncertain", (), ()),
    # new
    ("Query calcinosis at the elbow. Ultrasound shows none.", False, "negated", (), ()),
    ("?calcinosis at the heel. Ultrasound today shows none.", False, "negated", (), ()),
    (
        "Possible calcinosis of the right knee. The X-ray of the knee shows none.",
        False,
        "negated",
        (),
        (),
    ),
    ("Calcinosis is common in SSc, but she has not.", False, "negated", (), ()),
]

#: H5: "which / that" keeps the joint; only "it / this / they" after a placed deposit drops it.
JOINT: list[Case] = [
    # keeps
    ("Calcinosis cutis that limits flexion of her fingers.", False, "affirmed", (), ("fingers",)),
    (
        "There is calcinosis, which limits the flexion of the left knee.",
        False,
        "affirmed",
        (),
        ("knee",),
    ),
    (
        "Large calcified mass which restricts extension of the right elbow.",
        False,
        "affirmed",
        ("nodular",),
        ("elbow",),
    ),
    (
        "A calcified mass which limits flexion of the knee.",
        False,
        "affirmed",
        ("nodular",),
        ("knee",),
    ),
    ("Calcinosis that restricts extension of the left elbow.", False, "affirmed", (), ("elbow",)),
    (
        "There is calcinosis; it limits the flexion of the left knee.",
        False,
        "affirmed",
        (),
        (),
    ),
    # new
    (
        "Calcinosis of both thighs. It still limits the flexion of the knees.",
        False,
        "affirmed",
        (),
        ("thigh",),
    ),
    (
        "Calcinosis of the thighs which limits flexion of the knees.",
        False,
        "affirmed",
        (),
        ("thigh",),
    ),
    (
        "He had calcinosis: the calcium set like plaster across the back of both thighs, and it "
        "still limits the flexion of knees.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "Calcinosis of both thighs; it restricts the flexion of the knees.",
        False,
        "affirmed",
        (),
        ("thigh",),
    ),
]

#: H6: the lay "legs" is generic only when the deposit spreads over them after a nearer place.
LEGS: list[Case] = [
    # keeps
    ("Calcinosis over both legs and feet.", False, "affirmed", (), ("ankle_foot", "lower_leg")),
    (
        "Calcinosis of both legs and the right foot.",
        False,
        "affirmed",
        (),
        ("ankle_foot", "lower_leg"),
    ),
    (
        "Calcinosis on the left leg and the right foot.",
        False,
        "affirmed",
        (),
        ("ankle_foot", "lower_leg"),
    ),
    (
        "Calcinosis at the ankles and on both legs.",
        False,
        "affirmed",
        (),
        ("ankle_foot", "lower_leg"),
    ),
    ("Calcinosis in the legs and thighs.", False, "affirmed", (), ("lower_leg", "thigh")),
    (
        "Hard calcium deposits in both legs, worse around the knees.",
        False,
        "affirmed",
        (),
        ("knee", "lower_leg"),
    ),
    ("Calcinosis at the knees and in both legs.", False, "affirmed", (), ("knee", "lower_leg")),
    # new
    (
        "Since the flare the calcium under the skin of my thighs has gone hard and flat like a "
        "board across both legs.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "Calcium deposits in her thighs, spreading over both legs.",
        False,
        "affirmed",
        (),
        ("thigh",),
    ),
]

#: H7-H11: addenda withdraw, clear, reread and correct only what they say of the finding.
ADDENDA: list[Case] = [
    # H7 keeps
    (
        "XR left foot: calcinosis at the heel."
        + _ADD
        + "note also a bipartite sesamoid at the first "
        "MTP. No calcinosis at the forefoot.",
        True,
        "affirmed",
        (),
        ("ankle_foot",),
    ),
    (
        "XR left foot: calcinosis at the heel." + _ADD + "an accessory ossicle is noted at the "
        "midfoot.",
        True,
        "affirmed",
        (),
        ("ankle_foot",),
    ),
    # H7 new
    (
        "XR hand: calcific density at the first MCP joint, possibly calcinosis."
        + _ADD
        + "comparison with the oblique view shows this is a sesamoid bone. There is no calcinosis.",
        True,
        "negated",
        (),
        (),
    ),
    (
        "XR elbow: calcification posterior to the olecranon, calcinosis." + _ADD + "the density is "
        "an ununited ossification centre. There is no calcinosis.",
        True,
        "negated",
        (),
        (),
    ),
    # H8 keeps
    (
        "XR right hand: calcinosis at the index finger pulp."
        + _ADD
        + "on review, a density over the "
        "thumb is dressing artefact. The index finger is clear of infection.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "XR left wrist and forearm: dense amorphous calcification in the soft tissues of the left "
        "wrist, in keeping with calcinosis.\nAddendum 09:15 - a small density over the forearm is a "
        "skin marker artefact. The wrist is free of erosions.",
        True,
        "affirmed",
        (),
        ("wrist",),
    ),
    (
        "XR knee: calcinosis at the left knee."
        + _ADD
        + "on review, a density over the thigh is skin "
        "marker artefact. The knee is negative for effusion.",
        True,
        "affirmed",
        (),
        ("knee",),
    ),
    # H8 new
    (
        "XR ELBOW\nFindings: Calcinosis at the left elbow."
        + _ADD
        + "on review the elbow is clear.",
        True,
        "negated",
        (),
        (),
    ),
    (
        "XR elbow: calcinosis at the olecranon.\nAddendum 14:20 - the elbow is normal. The previous "
        "report is withdrawn.",
        True,
        "negated",
        (),
        (),
    ),
    # H9 keeps
    (
        "XR heel: calcinosis at the heel." + _ADD + "the previously reported calcification at the "
        "heel lies beneath the ulcer.",
        True,
        "affirmed",
        (),
        ("ankle_foot",),
    ),
    (
        "XR heel: calcinosis at the heel." + _ADD + "the previously reported calcification is "
        "adjacent to a small cyst.",
        True,
        "affirmed",
        (),
        ("ankle_foot",),
    ),
    (
        "XR elbow: calcification at the olecranon, calcinosis." + _ADD + "the previously described "
        "calcification at the elbow has increased in size, with movement artefact on the lateral "
        "view.",
        True,
        "affirmed",
        (),
        ("elbow",),
    ),
    # H9 new
    (
        "XR heel: calcinosis at the heel." + _ADD + "the previously reported calcification is "
        "artefact.",
        True,
        "negated",
        (),
        (),
    ),
    (
        "XR heel: calcinosis at the heel." + _ADD + "the previously reported calcification is a "
        "small cyst.",
        True,
        "negated",
        (),
        (),
    ),
    # H10 keeps
    (
        "XR hand: calcinosis at the index fingertip.\nAddendum 16:05 - on closer inspection, there "
        "is no additional focus of periarticular calcinosis.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "XR hand: calcinosis at the index fingertip." + _ADD + "on review, there is no further "
        "calcinosis elsewhere in the hand.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    # H10 new
    (
        "XR elbow: soft tissue calcification posterior to the left olecranon, suggestive of "
        "calcinosis.\nAddendum 14:20 - after review of the previous study, the density is an "
        "ununited olecranon ossification centre rather than calcinosis.",
        True,
        "negated",
        (),
        (),
    ),
    # H11 keeps
    (
        "CT thighs: sheet-like calcification along the fascia of both thighs, calcinosis.\nADDENDUM: "
        "there is also calcinosis at the right elbow, which is nodular, not sheet-like.",
        True,
        "affirmed",
        ("nodular", "sheet_like"),
        ("elbow", "thigh"),
    ),
    (
        "CT thighs: sheet-like calcification along the fascia of both thighs, calcinosis.\nADDENDUM "
        "11:30 - calcinosis is also seen in the gluteal region, not sheet-like but nodular.",
        True,
        "affirmed",
        ("nodular", "sheet_like"),
        ("buttock_hip", "thigh"),
    ),
    # H11 new
    (
        "XR: nodular calcification at the left knee, calcinosis. Sheet-like calcinosis of the "
        "thigh."
        + _ADD
        + "the calcification at the knee is not nodular but forms a continuous thin "
        "shell.",
        True,
        "affirmed",
        ("sheet_like",),
        ("knee", "thigh"),
    ),
    (
        "XR: nodular soft-tissue calcification in the upper arm.\nADDENDUM: On reformatted images "
        "the calcification is not nodular but forms a continuous thin shell over the deltoid "
        "fascia.",
        True,
        "affirmed",
        ("sheet_like",),
        ("upper_arm",),
    ),
]

#: M12: "round" is nodular only as the deposit's own adjective.
ROUND: list[Case] = [
    # keeps
    (
        "On the morning round sheet-like deposits were seen over her left thigh, in keeping with "
        "calcinosis.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "Seen on the consultant round, calcific deposits at the elbows and a sheet of calcium over "
        "the thigh.",
        False,
        "affirmed",
        ("sheet_like",),
        ("elbow", "thigh"),
    ),
    (
        "On the post-take board round calcium deposits were noted in the fingers.",
        False,
        "affirmed",
        (),
        ("fingers",),
    ),
    (
        "MDT round, calcinosis deposits in the thigh, sheet-like on CT.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "After a second round, deposits of calcinosis over the thigh remain sheet-like.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "Calcinosis present all year round, deposits in the thighs spreading as a flat sheet.",
        False,
        "affirmed",
        ("sheet_like",),
        ("thigh",),
    ),
    (
        "Calcinosis as a flat sheet wrapping round her left elbow, deposits also extending into the "
        "forearm.",
        False,
        "affirmed",
        ("sheet_like",),
        ("elbow", "forearm"),
    ),
    (
        "XR: round to oval calcific densities in the soft tissues of the index finger, calcinosis.",
        True,
        "affirmed",
        (),
        ("fingers",),
    ),
    # new
    (
        "XR PELVIS: Multiple round, well-defined calcific densities project over the buttocks, "
        "calcinosis.",
        True,
        "affirmed",
        ("nodular",),
        ("buttock_hip",),
    ),
    (
        "Calcinosis of the left hand in the form of small round deposits.",
        False,
        "affirmed",
        ("nodular",),
        ("hand",),
    ),
    (
        "CT thighs: sheet-like calcinosis of both thighs and round calcific deposits at the elbows.",
        True,
        "affirmed",
        ("nodular", "sheet_like"),
        ("elbow", "thigh"),
    ),
    (
        "Round calcific densities at the elbows, calcinosis.",
        True,
        "affirmed",
        ("nodular",),
        ("elbow",),
    ),
]

#: L13: a time stamp makes a header only of an addendum.
STAMP: list[Case] = [
    (
        "Family history 14:20 - reviewed. Calcinosis at both elbows, nodular.",
        False,
        "affirmed",
        ("nodular",),
        ("elbow",),
    ),
    (
        "Family history 2/3 - sisters have Raynaud's. Calcinosis at both elbows.",
        False,
        "affirmed",
        (),
        ("elbow",),
    ),
    (
        "XR elbow: calcinosis at the olecranon.\nAddendum 14:20 - on review the density is "
        "artefact. There is no calcinosis.",
        True,
        "negated",
        (),
        (),
    ),
]

#: L14: a table's columns must name two different sites to be read site by site.
TABLES: list[Case] = [
    (
        "| Item | Hands 2023 | Hands 2025 |\n|---|---|---|\n| Calcinosis | Y | N |",
        False,
        "affirmed",
        (),
        (),
    ),
    (
        "| Finding | Fingers | Elbows | Knees |\n|---|---|---|---|\n| Calcinosis | Y | N | Y |",
        False,
        "affirmed",
        (),
        ("fingers", "knee"),
    ),
    (
        "| Item | Right hand | Left hand | Right foot |\n|---|---|---|---|\n| Calcinosis | N | Y | N |",
        False,
        "affirmed",
        (),
        ("hand",),
    ),
]


@pytest.mark.parametrize(
    ("text", "report", "status", "patterns", "sites"),
    SPREAD + EXCLUDE + SCREEN + NONE + JOINT + LEGS + ADDENDA + ROUND + STAMP + TABLES,
)
def test_review43_reading(
    summary: Read,
    text: str,
    report: bool,
    status: str,
    patterns: tuple[str, ...],
    sites: tuple[str, ...],
) -> None:
    s = summary(text, report=report)
    assert (s.calcinosis, set(s.morphology), set(s.regions)) == (status, set(patterns), set(sites))
