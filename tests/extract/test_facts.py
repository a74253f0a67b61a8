import datetime as dt
import json

import pytest

from calciscope.extract.pipeline import note_facts
from calciscope.features import load_catalogue
from calciscope.model import (
    BodyRegion,
    Laterality,
    Method,
    Morphology,
    Note,
    NoteType,
    ReviewState,
    SourceKind,
    Status,
)


def note(text, note_type=NoteType.CLINIC_LETTER):
    return Note(
        note_id="N1", patient_id="P1", note_type=note_type, note_date=dt.date(2020, 5, 1), text=text
    )


def codes(name):
    return load_catalogue().concepts[name].primary_code


def test_present_calcinosis_one_fact_per_region():
    facts = note_facts(note("Extensive sheet-like calcinosis of both forearms and the left thigh."))
    assert [(f.body_site, f.laterality) for f in facts] == [
        (BodyRegion.FOREARM, Laterality.BILATERAL),
        (BodyRegion.THIGH, Laterality.LEFT),
    ]
    for fact in facts:
        assert (fact.system, fact.code) == codes("calcinosis")
        assert fact.status is Status.PRESENT and fact.morphology is Morphology.SHEET_LIKE
        assert fact.review_state is ReviewState.SUGGESTED and fact.source_kind is SourceKind.NOTE
        assert fact.effective_date == dt.date(2020, 5, 1)


def test_provenance_names_note_offsets_rules_and_engine():
    text = "No calcinosis."
    (fact,) = note_facts(note(text))
    record = json.loads(fact.provenance)
    assert record["note_id"] == "N1" and text[record["start"] : record["end"]] == "calcinosis"
    assert record["rule"] == "targets:CALCINOSIS:calcinosis"
    assert record["modifiers"] == ["context:NEGATED_EXISTENCE:FORWARD:no"]
    assert record["engine"].startswith("calciscope-notes/")
    assert fact.status is Status.ABSENT and fact.morphology is None


@pytest.mark.parametrize(
    "text",
    [
        "?calcinosis at the thumb",
        "If calcinosis develops we will X-ray the hands.",
        "Her sister has calcinosis.",
        "Vascular calcification of the digital arteries.",
    ],
)
def test_uncertain_hypothetical_family_and_other_calcification_give_no_fact(text):
    assert [f for f in note_facts(note(text)) if f.code == codes("calcinosis")[1]] == []


def test_historical_calcinosis_is_present():
    (fact,) = note_facts(note("History of nodular calcinosis of the right elbow in 2010."))
    assert fact.status is Status.PRESENT and fact.morphology is Morphology.NODULAR
    assert fact.body_site is BodyRegion.ELBOW and fact.laterality is Laterality.RIGHT


def test_radiology_report_method_comes_from_the_report():
    report = "XR HANDS BOTH\nFindings: Nodular soft tissue calcification at the left thumb."
    (fact,) = note_facts(note(report, NoteType.RADIOLOGY_REPORT))
    assert fact.method is Method.RADIOGRAPH
    (ct,) = note_facts(
        note(
            "CT THORAX\nSheet-like subcutaneous calcification of the back.",
            NoteType.RADIOLOGY_REPORT,
        )
    )
    assert ct.method is Method.CT and ct.morphology is Morphology.SHEET_LIKE


def test_subset_antibodies_myositis_and_ck():
    text = (
        "Diagnosis:\n- dcSSc\n- SSc–myositis overlap\nResults:\n- Anti-PM/Scl positive\n- Anti-Scl-70 negative\n"
        "- Anti-Ku not tested\n- CK 1,250 U/L"
    )
    facts = note_facts(note(text))
    by_code = {(f.system, f.code): f for f in facts}
    subset = by_code[codes("ssc_subset")]
    assert subset.value_text == "dcssc" and subset.status is Status.PRESENT
    assert by_code[codes("ssc_myositis_overlap")].status is Status.PRESENT
    assert by_code[codes("anti_pm_scl")].status is Status.PRESENT
    assert by_code[codes("anti_scl70")].status is Status.ABSENT
    assert codes("anti_ku") not in by_code
    ck = by_code[codes("creatine_kinase")]
    assert ck.value_num == 1250.0 and ck.unit == "U/L"


def test_same_note_gives_same_fact_ids():
    text = "Plate-like calcinosis over both knees. Anti-Scl-70 positive."
    first = [f.fact_id for f in note_facts(note(text))]
    assert first == [f.fact_id for f in note_facts(note(text))] and len(set(first)) == len(first)


def _eval_notes():
    from pathlib import Path

    folder = Path(__file__).parent / "data" / "notes_eval"
    docs = [json.loads(line) for name in ("dev", "test") for line in
            (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]  # fmt: skip
    kinds = [NoteType.RADIOLOGY_REPORT if d["kind"] == "radiology" else NoteType.CLINIC_LETTER
             for d in docs]  # fmt: skip
    return [
        Note(note_id=d["id"], patient_id=f"P-{d['id']}", note_type=kind, text=d["text"],
             note_date=dt.date(2021, 3, 4) if i % 2 else None)
        for i, (d, kind) in enumerate(zip(docs, kinds, strict=True))
    ]  # fmt: skip


def test_fact_rows_are_the_validated_facts_rows():
    from calciscope.extract.facts import fact_row
    from calciscope.extract.pipeline import fact_rows_for_notes, facts_for_notes

    notes = _eval_notes()
    count, rows = fact_rows_for_notes(notes)
    _, facts = facts_for_notes(notes)
    assert count == len(notes) and len(rows) > 50
    assert rows == [fact_row(f) for f in facts]
    # the same again, once every shape is known (rows built without validation)
    assert fact_rows_for_notes(notes)[1] == rows
    assert {type(v) for row in rows for v in row.values()} <= {str, float, dt.date, type(None)}


def test_fact_values_are_the_fact_rows_as_stored_tuples():
    from calciscope.extract.facts import ROW_COLUMNS
    from calciscope.extract.pipeline import fact_rows_for_notes, fact_values_for_notes

    notes = _eval_notes()
    _, rows = fact_rows_for_notes(notes)
    fields = [(n.note_id, n.patient_id, n.note_type.value, n.note_date, n.text) for n in notes]
    count, values = fact_values_for_notes(fields)
    assert count == len(notes) and all(len(v) == len(ROW_COLUMNS) for v in values)
    # the same rows, the effective date as the ISO text the table stores
    stored = [
        row | {"effective_date": row["effective_date"] and row["effective_date"].isoformat()}
        for row in rows
    ]
    assert [dict(zip(ROW_COLUMNS, v, strict=True)) for v in values] == stored
    assert any(row["effective_date"] for row in stored)
    assert {type(x) for v in values for x in v} <= {str, float, type(None)}


def test_fact_row_of_a_shape_that_validation_changes_is_validated(monkeypatch):
    from calciscope.extract import facts as facts_module

    # A catalogue code with surrounding spaces: Fact strips it, so the unvalidated row would
    # differ and the shape must be validated every time.
    monkeypatch.setattr(facts_module, "_SHAPES", {})
    fields = {
        "system": "calciscope", "code": " calcinosis ", "status": Status.PRESENT,
        "patient_id": "P1", "effective_date": None, "source_kind": SourceKind.NOTE,
        "review_state": ReviewState.SUGGESTED, "provenance": "{}",
    }  # fmt: skip
    from calciscope.model import Fact

    want = facts_module.fact_row(Fact(**fields))
    assert facts_module._row(fields) != want  # what an unchecked row would have been
    monkeypatch.setattr(facts_module, "_fields", lambda *a: iter([dict(fields), dict(fields)]))
    rows = facts_module.mentions_to_rows(note(""), [], version="v")
    assert rows == [want, want]
    assert list(facts_module._SHAPES.values()) == [False]
