"""A negated IIM subtype in a note suggests the subtype's own code absent, not "no IIM" (fixes21).

fixes19 made an IIM subtype recorded absent leave the IIM (and the SSc-myositis overlap)
unknown, but the notes' target rules gave every myositis_diagnosis mention the concept's
first code, MONDO:0020122 (the whole class): a letter's "no dermatomyositis" still suggested
"no IIM". Now a subtype's rule names its own code (targets.yaml ``absent_code``).
"""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope.extract.pipeline import note_facts
from calciscope.extract.rules import load_rules
from calciscope.features import load_catalogue
from calciscope.model import Note, NoteType, Status

WHOLE = ("MONDO", "MONDO:0020122")


def _facts(text: str) -> list[tuple[str, str, Status]]:
    note = Note(
        note_id="N1",
        patient_id="P1",
        note_type=NoteType.CLINIC_LETTER,
        note_date=dt.date(2021, 3, 1),
        text=text,
    )
    return [(f.system, f.code, f.status) for f in note_facts(note)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("No dermatomyositis.", ("MONDO", "MONDO:0016367")),
        ("There is no evidence of polymyositis.", ("MONDO", "MONDO:0019127")),
        ("No JDM.", ("MONDO", "MONDO:0008054")),
        ("No juvenile DM.", ("MONDO", "MONDO:0008054")),
        ("No adult onset DM.", ("MONDO", "MONDO:0016367")),
        ("No DM/PM.", ("ICD10", "M33")),
    ],
)
def test_a_negated_subtype_suggests_its_own_code(text: str, code: tuple[str, str]) -> None:
    facts = _facts(text)
    assert facts == [(*code, Status.ABSENT)]
    assert not load_catalogue().concepts["myositis_diagnosis"].rules_out(*code)


@pytest.mark.parametrize(
    "text", ["No inflammatory myopathy.", "No idiopathic inflammatory myopathy.", "No IIM."]
)
def test_a_negated_whole_class_still_suggests_the_class(text: str) -> None:
    assert _facts(text) == [(*WHOLE, Status.ABSENT)]
    assert load_catalogue().concepts["myositis_diagnosis"].rules_out(*WHOLE)


def test_no_myositis_still_suggests_the_myositis_finding() -> None:
    # "myositis" alone is the finding (HP:0100614), as before: not an IIM subtype's code
    assert _facts("No myositis.") == [("HP", "HP:0100614", Status.ABSENT)]


@pytest.mark.parametrize(
    "text", ["Known dermatomyositis.", "Polymyositis diagnosed 2019.", "History of JDM."]
)
def test_a_present_subtype_keeps_the_concepts_code(text: str) -> None:
    # present, any code of the concept counts toward the IIM: the suggestion is unchanged
    assert _facts(text) == [(*WHOLE, Status.PRESENT)]


def test_every_absent_code_is_a_part_of_its_concept() -> None:
    concepts = load_catalogue().concepts
    found = 0
    for rule in load_rules().targets:
        part = rule.metadata.get("absent_code")
        if part is None:
            continue
        found += 1
        concept = concepts[rule.metadata["concept"]]
        system, code = part
        assert (system, code) in concept.codes, rule.literal
        assert not concept.rules_out(system, code), rule.literal
    assert found >= 7
