"""fix46: review44's findings on notesacc38's rules, each narrowed to what its word refers to.

Every sentence is SYNTHETIC (review44's attacks and near variants written for these tests);
none is taken from an evaluation set. Each case gives the fields it checks: ``status`` (the
calcinosis reading), ``regions`` (these at least), ``no_morph`` (a pattern it must not have),
``morph`` (exactly this morphology), ``myositis``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .readings import Read


def _check(summary: Read, text: str, expect: dict[str, Any], report: bool = False) -> None:
    s = summary(text, report=report)
    if "status" in expect:
        assert s.calcinosis == expect["status"]
    if "regions" in expect:
        assert set(expect["regions"]) <= set(s.regions)
    if "no_morph" in expect:
        assert expect["no_morph"] not in s.morphology
    if "morph" in expect:
        assert s.morphology == tuple(expect["morph"])
    if "myositis" in expect:
        assert s.myositis is expect["myositis"]


AFF = {"status": "affirmed"}
NEG = {"status": "negated"}
UNC = {"status": "uncertain"}

# --- H1: Spanish "sin" negates only as "without", not in fixed phrases or as Latin "left" ------

SIN = [
    ("Sin embargo, presenta calcinosis en ambos codos.", AFF),
    (
        "Paciente con esclerosis sistémica limitada. Sin embargo, tiene calcinosis en los codos.",
        AFF,
    ),
    ("Sin cambios en calcinosis del codo derecho.", AFF),
    ("Sin duda es calcinosis cutis.", AFF),
    ("Sin tratamiento, la calcinosis ha progresado.", AFF),
    ("Sin mejoría de la calcinosis en los dedos.", AFF),
    ("Hand X-ray: dig II sin calcinosis at the fingertip.", {**AFF, "regions": ["fingers"]}),
    ("Genu sin calcinosis on the lateral aspect.", AFF),
    ("Sin. calcinosis of the olecranon bursa.", {**AFF, "regions": ["elbow"]}),
    (
        "Calcinosis cutis dig. II dx and dig. III sin calcinosis at the pulp.",
        {**AFF, "regions": ["fingers"]},
    ),
    ("Without doubt this is calcinosis cutis.", AFF),
    ("Without a doubt this is calcinosis cutis.", AFF),
    ("Without treatment, the calcinosis has progressed.", AFF),
    # still negated: "sin" as "without"
    ("Sin calcinosis.", NEG),
    ("Sin calcinosis ni úlceras.", NEG),
    ("Sin evidencia de calcinosis.", NEG),
    ("Exploración: sin calcinosis en las manos.", NEG),
    ("Without calcinosis at the elbows.", NEG),
]

# --- H2: a ticked "Not sure" reaches back over its own question only ---------------------------

NOT_SURE = [
    ("Calcinosis: yes   Digital ulcers: [x] unsure", {**AFF, "regions": ["fingers"]}),
    (
        "Calcinosis present at both elbows   Digital ulcers [x] not sure",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "Calcinosis at the left elbow, digital ulcers? [ ] Yes [ ] No [x] Not sure",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "Calcinosis at the left elbow; digital ulcers? [ ] Yes [ ] No [x] Not sure",
        {**AFF, "regions": ["elbow"]},
    ),
    # still uncertain: the ticked box answers the calcinosis question
    ("Calcinosis? [ ] Yes [ ] No [x] Not sure", UNC),
    ("Do you have calcinosis? [ ] Yes [ ] No [x] Not sure", UNC),
    ("Calcinosis?  [ ] Yes  [ ] No  [x] Not sure", UNC),
    ("Calcinosis: [ ] yes [ ] no [x] unsure", UNC),
]

# --- H3: "exclude"'s object ends at "of", a participle or an unspaced dash --------------------

EXCLUDE = [
    (
        "X-ray to exclude osteomyelitis underlying the calcinosis at the heel.",
        {**AFF, "regions": ["ankle_foot"]},
    ),
    (
        "Ultrasound to exclude infection of the calcinosis at the left elbow.",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "Ultrasound to exclude superinfection of the known calcinosis at the left elbow.",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "Ultrasound to exclude a collection adjacent to the calcinosis at the elbow.",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "MRI to exclude abscess surrounding the calcinosis of the left thigh.",
        {**AFF, "regions": ["thigh"]},
    ),
    (
        "X-ray to exclude fracture next to the calcinosis of the right thumb.",
        {**AFF, "regions": ["fingers"]},
    ),
    (
        "X-ray to exclude erosion involving the calcinosis at the thumb.",
        {**AFF, "regions": ["fingers"]},
    ),
    (
        "CT to exclude an abscess demonstrating calcinosis of the thigh.",
        {**AFF, "regions": ["thigh"]},
    ),
    (
        "X-ray to exclude a fracture following a fall onto her calcinosis at the elbow.",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "X-ray to exclude fracture of the calcified deposit at the elbow.",
        {**AFF, "regions": ["elbow"]},
    ),
    (
        "Films to exclude an erosion\u2014calcinosis at both index fingertips.",
        {**AFF, "regions": ["fingers"]},
    ),
    # still uncertain: the finding is the object ("-ing" adjectives right after "exclude" too)
    ("X-ray to exclude underlying subcutaneous calcinosis.", UNC),
    ("X-ray to exclude calcinosis of the thumb.", UNC),
    ("Ultrasound to exclude flecks of calcification.", UNC),
    ("X-ray to exclude the possibility of calcinosis.", UNC),
    ("MRI to exclude evidence of calcinosis in the thigh.", UNC),
    ("MRI to exclude any surrounding calcinosis.", UNC),
    ("Ultrasound to exclude soft tissue calcification.", UNC),
    # H9: a listed object is still the object
    ("X-ray to exclude fracture, foreign body or calcinosis.", UNC),
    ("Request: exclude gout, pseudogout or calcinosis of the right elbow.", UNC),
    ("Request: exclude gout, pseudogout, or calcinosis of the right elbow.", UNC),
    # ... but a comma with no list goes on to the result
    ("X-ray to exclude fracture, calcinosis at the elbow noted.", AFF),
]

# --- H4: a known dermatomyositis after "given" is not excluded ---------------------------------

GIVEN = [
    (
        "Exclude underlying malignancy given dermatomyositis with calcinosis at both elbows.",
        {"myositis": True, "status": "affirmed"},
    ),
    ("Exclude calcinosis given known dermatomyositis.", {"myositis": True, "status": "uncertain"}),
    ("Hand X-ray to exclude calcinosis given known dermatomyositis.", {"myositis": True}),
    (
        "Please exclude malignancy given calcinosis and dermatomyositis.",
        {"myositis": True, "status": "affirmed"},
    ),
    ("Exclude malignancy due to dermatomyositis with calcinosis.", {"myositis": True, **AFF}),
    ("MRI thighs to exclude myositis.", {"myositis": None}),
]

# --- M5: a bump is nodular only as a hard or chalky lump ---------------------------------------

BUMP = [
    (
        "Calcinosis of the left thigh. She has goose bumps with Raynaud's attacks.",
        {"no_morph": "nodular"},
    ),
    (
        "Sheet-like calcinosis of the thigh. Goose bumps noted during Raynaud's.",
        {"morph": ["sheet_like"]},
    ),
    (
        "Calcinosis of the left thigh (sheet-like on CT). Small bump in CK to 400.",
        {"morph": ["sheet_like"]},
    ),
    ("Reticular calcinosis of the thigh; a bump in ESR this month.", {"morph": ["reticular"]}),
    (
        "Sheet-like calcinosis along the thigh. She has a bump on her shin after a fall.",
        {"morph": ["sheet_like"]},
    ),
    ("Calcinosis of the thigh. Bumps and bruises on the shins.", {"no_morph": "nodular"}),
    ("Calcinosis of the thumb. She knocked a bump on the head.", {"no_morph": "nodular"}),
    ("Calcinosis over the elbow, which she bumps on the table.", {"no_morph": "nodular"}),
    # still nodular: a hard or chalky bump
    ("She has a hard bump at the elbow that drains chalky material.", {"morph": ["nodular"]}),
    ("Calcinosis: chalky bumps on both fingertips.", {**AFF, "morph": ["nodular"]}),
    (
        "Sheet-like calcinosis of the thigh; the calcinosis is a bump under the skin at the elbow.",
        {"morph": ["nodular", "sheet_like"]},
    ),
]

# --- M6: a named fascia is sheet-like only with calcium as its subject ------------------------

FASCIA = [
    (
        "MRI thighs: fasciitis with enhancement along the thigh fascia and nodular calcinosis at the knee.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Nodular calcinosis at the left calf. Inflammation tracking along the calf fascia on MRI.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Nodular calcinosis in the buttock with gas tracking along the gluteal fascia.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Nodular calcinosis of the forearm; incision along the forearm fascia for fasciotomy.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Op note: calcinosis excised from the elbow; dissection along the triceps fascia was uneventful.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Calcinosis nodules at the elbow. Fascial release along the forearm fascia was performed in 2019.",
        {"no_morph": "sheet_like"},
    ),
    # still sheet-like: calcification along a named fascia
    (
        "CT: calcification tracking along the gluteal fascia of the right buttock.",
        {**AFF, "morph": ["sheet_like"]},
    ),
    (
        "Calcinosis with deposits along the crural fascia of the left calf.",
        {**AFF, "morph": ["sheet_like"]},
    ),
]

# --- M7: an unanswered question keeps its own silence ------------------------------------------

BOXES = [
    (
        "Calcinosis? [ ] Yes [ ] No   Myositis? [ ] Yes [x] No",
        {"status": "not_mentioned", "myositis": False},
    ),
    ("Calcinosis? [ ] Yes [x] No", NEG),
    ("Calcinosis? [ ] Yes [x] No   Myositis? [ ] Yes [ ] No", NEG),
    ("Calcinosis: [ ] yes [x] no", NEG),
]

# --- M8: a screen heading and its answer -------------------------------------------------------

SCREEN = [
    ("Calcinosis screen: no calcinosis.", NEG),
    ("Calcinosis screen: no calcinosis seen on hands; elbows not examined.", NEG),
    ("Screen for calcinosis: negative.", NEG),
    ("ROS: Calcinosis screen negative.", NEG),
    ("Calcinosis and TB screen: negative.", {**AFF}),
    ("Thumb calcinosis with malignancy screen: negative", {**AFF, "regions": ["fingers"]}),
    ("Calcinosis at both elbows, hepatitis screen: no abnormality", {**AFF, "regions": ["elbow"]}),
    ("Calcinosis at both elbows, hepatitis screen: no", {**AFF, "regions": ["elbow"]}),
    # kept from notesacc38
    ("Calcinosis screen - no deposits.", NEG),
    ("Calcinosis screen: negative.", NEG),
    ("Calcinosis screen: no", NEG),
    ("Calcinosis at the thumb with cancer screen: nil", {**AFF, "regions": ["fingers"]}),
    ("Calcinosis screen - no deposits at the hands, but a nodule at the right elbow.", AFF),
]

# --- L12, L13: the simile's calcium, the word before "round" -----------------------------------

LOW = [
    (
        "Calcinosis nodules at the elbows; calcium intake spread like a layer through the day.",
        {"no_morph": "sheet_like"},
    ),
    (
        "Calcinosis at the knee, calcium supplements spread like a film... no.",
        {"no_morph": "sheet_like"},
    ),
    ("Calcinosis with year-round calcific deposits at the elbow.", {"no_morph": "nodular"}),
    (
        "Calcinosis. Seen on ward\u00a0round calcific deposits at both elbows.",
        {"no_morph": "nodular"},
    ),
    ("Calcinosis: small round calcific deposits at the elbow.", {"morph": ["nodular"]}),
    (
        "CT: calcification spreading like a mantle through the subcutaneous fat of the thigh.",
        {"morph": ["sheet_like"]},
    ),
]


def _params(cases: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [pytest.param(t, e, id=t[:60]) for t, e in cases]


@pytest.mark.parametrize(("text", "expect"), _params(SIN))
def test_h1_sin(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(NOT_SURE))
def test_h2_ticked_not_sure(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(EXCLUDE))
def test_h3_h9_exclude_object(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect, report=True)


@pytest.mark.parametrize(("text", "expect"), _params(GIVEN))
def test_h4_exclude_given(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(BUMP))
def test_m5_bump(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(FASCIA))
def test_m6_named_fascia(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect, report=True)


@pytest.mark.parametrize(("text", "expect"), _params(BOXES))
def test_m7_tick_boxes(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(SCREEN))
def test_m8_screen(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


@pytest.mark.parametrize(("text", "expect"), _params(LOW))
def test_l12_l13(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect, report=True)


# --- M10: an addendum that names no finding corrects the earlier one's pattern -----------------

_FINDINGS = "CT thighs. Findings: nodular calcinosis of the right thigh.\n"


@pytest.mark.parametrize(
    ("addendum", "morphology"),
    [
        ("ADDENDUM: not nodular but sheet-like.", ("sheet_like",)),
        ("Addendum: is not nodular but rather sheet-like on the coronal images.", ("sheet_like",)),
        ("ADDENDUM: sheet-like, not nodular.", ("sheet_like",)),
        ("ADDENDUM: not nodular.", ()),
        # kept: an addendum that denies nothing
        ("ADDENDUM: no change.", ("nodular",)),
        ("ADDENDUM: no nodular lung lesion.", ("nodular",)),
        # a new subject after ", and" is not denied by the "not" before it
        (
            "ADDENDUM: the thigh calcification is not nodular, and a sheet-like plaque is noted"
            " at the left elbow.",
            ("sheet_like",),
        ),
        ("ADDENDUM: on review the calcification is not nodular but sheet-like.", ("sheet_like",)),
    ],
)
def test_m10_addendum_without_a_finding(
    summary: Read, addendum: str, morphology: tuple[str, ...]
) -> None:
    s = summary(_FINDINGS + addendum, report=True)
    assert s.calcinosis == "affirmed" and "thigh" in s.regions
    assert s.morphology == morphology


# --- L11: a question whose boxes are all empty says nothing ------------------------------------


@pytest.mark.parametrize(
    ("text", "expect"),
    _params(
        [
            ("Calcinosis? [ ] Yes [ ] No [ ] Not sure", {"status": "not_mentioned"}),
            ("Does she have calcinosis? [ ]", {"status": "not_mentioned"}),
            ("Calcinosis? [ ] Yes [ ] No", {"status": "not_mentioned"}),
            (
                "Gottron's papules? [ ] Yes [x] No  Calcinosis? [ ] Yes [ ] No",
                {"status": "not_mentioned"},
            ),
            (
                "Calcinosis? [ ] Yes [ ] No\nMyositis? [x] Yes [ ] No",
                {"status": "not_mentioned", "myositis": True},
            ),
            # answered ones keep their answer
            ("Calcinosis? [x] Yes [ ] No", AFF),
            ("Calcinosis? (x) Yes ( ) No", AFF),
            ("Calcinosis? [ ] Yes [x] No [ ] Not sure", NEG),
            ("Calcinosis? Yes [ ] No [x]", NEG),
            ("Calcinosis? Yes [x] No [ ]", AFF),
            ("PAH? N  Calcinosis? N  ILD? Y", NEG),
        ]
    ),
)
def test_l11_unanswered_question(summary: Read, text: str, expect: dict[str, Any]) -> None:
    _check(summary, text, expect)


# --- 15b: a study that excludes the finding ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("The radiographs exclude calcinosis.", "negated"),
        ("CT excludes calcinosis of the thigh.", "negated"),
        ("The hand films excluded calcinosis.", "negated"),
        # a request stays a question; another object leaves the finding
        ("XR exclude calcinosis of the thigh.", "uncertain"),
        ("Hand X-ray to exclude calcinosis.", "uncertain"),
        ("The radiographs exclude a fracture and show calcinosis at the elbow.", "affirmed"),
    ],
)
def test_15b_a_study_that_excludes_the_finding(summary: Read, text: str, status: str) -> None:
    assert summary(text, report=True).calcinosis == status
