"""notesacc38: causes of fresh27's untouched misses and last round's leftovers, fixed.

Every sentence here was written for these tests (SYNTHETIC); none is taken from an evaluation
set (fresh27.jsonl is scored in test_accuracy.py and benchmarks/notes_accuracy.py). Each fix has
near variants beside it that must keep main's reading.
"""

from __future__ import annotations

import pytest

from .readings import Read

# --- (a) a screen's heading answered by its negative result -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis screen - no deposits.",
        "Calcinosis screen: none found.",
        "Calcinosis screening (examination and both hand films): nothing found.",
        "Calcinosis screen \u2013 negative.",
        "Calcinosis: none seen.",
        "Calcinosis - none detected.",
    ],
)
def test_a_screen_heading_with_a_negative_result_negates(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "negated"


@pytest.mark.parametrize(
    "text",
    [
        # the screen found something, or its answer goes on to a finding
        "Calcinosis screen - two deposits at the left elbow.",
        "Calcinosis screen: positive, nodules at both knees.",
        "Calcinosis screen - no deposits at the hands, but a nodule at the right elbow.",
        # another screen, in a clause of its own (main read this one as negated)
        "Calcinosis at both elbows, hepatitis screen: negative.",
        "Calcinosis at the left thumb; TB screen - negative.",
    ],
)
def test_a_screen_that_finds_deposits_stays_affirmed(summary: Read, text: str) -> None:
    assert summary(text).calcinosis == "affirmed"


# --- (b) "limited come tenuous": speech recognition's "cutaneous" --------------------------------


@pytest.mark.parametrize(
    ("text", "subset"),
    [
        ("She has limited come tenuous systemic sclerosis with calcinosis.", "lcssc"),
        ("Diagnosis limited come tenuous scleroderma full stop", "lcssc"),
        ("This man has diffuse come tenuous systemic sclerosis.", "dcssc"),
    ],
)
def test_misheard_cutaneous_gives_the_subset(summary: Read, text: str, subset: str) -> None:
    assert summary(text).subset == subset


def test_come_and_tenuous_alone_give_no_subset(summary: Read) -> None:
    s = summary("She will come back; the link to SSc is tenuous and her disease is limited.")
    assert s.subset is None


# --- (c) an addendum: "not nodular but sheet-like" -------------------------------------------------


def test_an_addendum_that_calls_the_pattern_sheet_like_gives_it(summary: Read) -> None:
    s = summary(
        "CT thighs. Findings: nodular calcinosis in the subcutaneous fat of the right thigh.\n"
        "ADDENDUM: on review the calcification is not nodular but sheet-like.",
        report=True,
    )
    assert s.calcinosis == "affirmed"
    assert set(s.morphology) == {"sheet_like"}
    assert set(s.regions) == {"thigh"}


def test_an_addendum_that_denies_a_pattern_without_a_new_one_only_drops_it(summary: Read) -> None:
    s = summary(
        "CT thighs. Findings: nodular calcinosis in the subcutaneous fat of the right thigh.\n"
        "ADDENDUM: on review the calcification is not nodular.",
        report=True,
    )
    assert s.calcinosis == "affirmed"
    assert "nodular" not in s.morphology and "sheet_like" not in s.morphology


# --- fresh27's causes: ticked boxes after a question -------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Q4 Have you got calcinosis? [ ] Yes [x] No", "negated"),
        ("Q4 Have you got calcinosis? [ ] Yes [x] No [ ] Don't know", "negated"),
        ("Q4 Chalky lumps in the skin (calcinosis)? [ ] Yes [x] No [ ] Not sure", "negated"),
        ("Q4 Have you got calcinosis? [ ] Yes [ ] No [x] Not sure", "uncertain"),
        ("Q4 Calcium under the skin (calcinosis)? [ ] Yes [ ] No [x] Unsure", "uncertain"),
        ("Q4 Have you got calcinosis? [x] Yes [ ] No [ ] Not sure", "affirmed"),
        ("Q4 Calcium lumps under the skin (calcinosis)? [x] Yes [ ] No", "affirmed"),
        # the ticked "Not sure" of another item on the line is that item's
        ("Calcinosis [x] Yes [ ] No   Ulcers [ ] Yes [ ] No [x] Not sure", "affirmed"),
        ("Calcinosis: [x] yes   Digital ulcers: [x] not sure", "affirmed"),
    ],
)
def test_a_questionnaires_ticked_box_answers_its_question(
    summary: Read, text: str, status: str
) -> None:
    assert summary(text).calcinosis == status


def test_a_bracket_still_ends_a_negation_elsewhere(summary: Read) -> None:
    assert summary("No ulcers (healed), calcinosis at both elbows.").calcinosis == "affirmed"


# --- fresh27's causes: an unfilled smart-phrase field; Spanish "sin" --------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Digital ulcers: none\nCalcinosis: ***\nILD: ***", "not_mentioned"),
        ("Calcinosis: *****", "not_mentioned"),
        ("Calcinosis: *** nodules at the left elbow", "affirmed"),
        ("Calcinosis: yes, right thumb\nSite: ***", "affirmed"),
    ],
)
def test_an_unfilled_template_field_says_nothing(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Sin calcinosis. / No calcinosis.", "negated"),
        ("Exploración: sin calcinosis en las manos.", "negated"),
        ("Calcinosis en el codo derecho, sin infección.", "affirmed"),
    ],
)
def test_spanish_sin_negates_what_follows(summary: Read, text: str, status: str) -> None:
    assert summary(text).calcinosis == status


# --- fresh27's causes: a simile of a flat covering ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CT: calcification lying like a blanket over the gluteal fascia on the left.",
        "Calcification spreads like a veneer across the back of the right calf.",
    ],
)
def test_a_deposit_spreading_like_a_covering_is_sheet_like(summary: Read, text: str) -> None:
    s = summary(text, report=True)
    assert "sheet_like" in s.morphology


def test_a_covering_without_a_deposit_is_no_pattern(summary: Read) -> None:
    s = summary("Calcinosis nodules at the left elbow. She lay like a log under a blanket.")
    assert s.calcinosis == "affirmed"
    assert "sheet_like" not in s.morphology


# --- (d) "exclude" scopes over its grammatical object -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Request: knee pain, exclude calcinosis.",
        "Please image to exclude a small area of soft-tissue calcinosis at the right heel.",
        "Referred to exclude gout or calcinosis of the left knee.",
        "Ultrasound to exclude underlying subcutaneous calcinosis over the elbow.",
    ],
)
def test_exclude_makes_its_object_uncertain(summary: Read, text: str) -> None:
    assert summary(text, report=True).calcinosis == "uncertain"


@pytest.mark.parametrize(
    "text",
    [
        # the object is something else; the finding is reported after it
        "X-ray to exclude a fracture demonstrates calcinosis at the wrist.",
        "Ultrasound to exclude infection in the calcinosis at the left elbow.",
        "MRI to exclude osteomyelitis: calcinosis at the heel.",
        "X-ray to exclude a fracture; calcinosis of the thumb is seen.",
        "Films to exclude an erosion - calcinosis at both index fingertips.",
        "CT to exclude an abscess shows sheet-like calcinosis of the thigh.",
    ],
)
def test_exclude_of_another_object_leaves_the_finding(summary: Read, text: str) -> None:
    assert summary(text, report=True).calcinosis == "affirmed"


def test_exclude_reaches_other_findings_as_objects(summary: Read) -> None:
    # no longer only calcium words: the object is what is excluded
    s = summary("CK and MRI thighs to exclude myositis. Calcinosis at both elbows.")
    assert s.calcinosis == "affirmed"
    assert s.myositis is None


# --- (e) "round": the deposit's adjective only after its own words ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis: multiple round, well-defined calcific densities in the right thigh.",
        "Calcinosis: small, round deposits at the left thumb tip.",
        "Calcinosis: round deposits at both elbows.",
        "Calcinosis: 3 round deposits at the knee.",
        "Calcinosis. Seen on the ward round: round deposits at the elbow.",
    ],
)
def test_round_before_a_deposit_is_nodular(summary: Read, text: str) -> None:
    assert "nodular" in summary(text).morphology


@pytest.mark.parametrize(
    "text",
    [
        "Calcinosis. On the morning round sheet-like deposits were seen over the left thigh.",
        "Calcinosis. Consultant round, calcific deposits at the right elbow.",
        "Calcinosis of the thigh: all year round calcific deposits are felt.",
        "Calcinosis at the knee; reviewed on the registrar round calcific deposits unchanged.",
    ],
)
def test_a_round_of_the_ward_or_all_year_round_is_no_pattern(summary: Read, text: str) -> None:
    assert "nodular" not in summary(text).morphology


def test_only_after_is_a_rule_of_data() -> None:
    # the words are rule data; the grammar is word_before.py's
    import re

    from calciscope.extract.matcher import Match
    from calciscope.extract.word_before import before_words, only_after_kept

    class Rule:
        def __init__(self) -> None:
            self.metadata = {"only_after": ["small", "a"]}

    only = before_words([Rule()], "only_after")
    low = "ward round deposits. a round deposit. small, round deposit. 3 round deposit"
    found = [Match(m.start(), m.end(), 0, None) for m in re.finditer("round", low)]
    kept = only_after_kept(low, found, only)
    assert [m.start for m in kept] == [m.start for m in found[1:]]


# --- fresh27's causes: a bump; a calcified lamina; a named fascia ------------------------------


def test_a_bump_that_drains_chalk_is_nodular(summary: Read) -> None:
    s = summary("She has a firm bump on the left thumb tip that discharges chalky material.")
    assert s.calcinosis == "affirmed"
    assert s.morphology == ("nodular",)


def test_a_bump_elsewhere_is_no_pattern(summary: Read) -> None:
    s = summary(
        "Calcinosis of the left thigh. She bumped her knee; a bump in creatinine was noted."
    )
    assert s.calcinosis == "affirmed"
    assert s.morphology == ()


@pytest.mark.parametrize(
    "text",
    [
        "CT: a thin calcified lamina in the subcutaneous fat of the left buttock.",
        "MRI: soft-tissue calcification tracking along the crural fascia of the right calf.",
        "CT: calcinosis along the gluteal fascia on both sides.",
    ],
)
def test_a_calcified_lamina_or_a_named_fascia_is_sheet_like(summary: Read, text: str) -> None:
    assert "sheet_like" in summary(text, report=True).morphology


def test_a_vertebral_lamina_is_no_pattern(summary: Read) -> None:
    s = summary("Calcinosis at the elbows. MRI spine: the lamina of L4 is intact.", report=True)
    assert "sheet_like" not in s.morphology
