"""Read a (small) CDM's persons, concept-set events, visits, deaths and notes as calciscope records.

Screening runs inside the CDM (:mod:`calciscope.interop.omop.cohort`); reading is for copying a
few patients into the registry, and for reading back a CDM that calciscope wrote
(:mod:`calciscope.interop.omop.writer`). Every row is validated first; one
:class:`~calciscope.errors.ValidationError` lists every bad row and field (table and row id).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypeVar

import ibis
from pydantic import BaseModel
from pydantic import ValidationError as ModelError

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.omop.cdm import Cdm
from calciscope.interop.omop.conceptset import ConceptSet
from calciscope.interop.omop.views import patients_view, person_facts, person_ids
from calciscope.model import Fact, Note, NoteType, Patient
from calciscope.rtftext import rtf_note_text

__all__ = ["read_cdm"]

_NOTE_TYPES = {t.value for t in NoteType}
M = TypeVar("M", bound=BaseModel)


def _records(
    model: type[M], rows: list[dict[str, Any]], cdm: Cdm, where: Any, problems: list[Problem]
) -> list[M]:
    out: list[M] = []
    for row in rows:
        try:
            out.append(model(**{k: v for k, v in row.items() if v is not None}))
        except ModelError as exc:
            problems += [
                Problem(cdm.source, where(row), ".".join(map(str, e["loc"])), e["msg"])
                for e in exc.errors()
            ]
    return out


#: The reason an event of a ``person_id`` that PERSON lacks is counted as skipped.
NO_PERSON = "person_id not in PERSON"


def _notes(
    cdm: Cdm, wanted: set[str], skipped: Counter[tuple[str, str]], problems: list[Problem]
) -> list[dict[str, Any]]:
    """Return the NOTE rows of the wanted persons, as :class:`~calciscope.model.Note` fields.

    A note whose ``person_id`` PERSON lacks (or that has none) has no patient: it is counted in
    ``skipped`` as ``("note", "person_id not in PERSON")``, like the events of such a person, not
    dropped by an inner join without a trace. Two NOTE rows that give one note id (the same
    ``note_id``, or the same ``note_source_value``) are a problem naming both: one would replace
    the other.
    """
    note = cdm.table("note")
    if note is None:
        return []
    out: list[dict[str, Any]] = []
    first: dict[str, str] = {}
    for r in cdm.fetch(_note_rows(cdm, note)):
        if r["patient_id"] is None:
            skipped[("note", NO_PERSON)] += 1
            continue
        if r["patient_id"] not in wanted:
            continue
        if (seen := first.get(r["note_id"])) is not None:
            problems.append(
                Problem(
                    cdm.source,
                    f"omop:note/{r['row_id']}",
                    "note_id" if r["note_id"] == r["row_id"] else "note_source_value",
                    f"NOTE row note_id {r['row_id']} gives note id {r['note_id']!r}, as NOTE "
                    f"row note_id {seen} does: a note must be one row (one would replace the "
                    "other)",
                )
            )
            continue
        first[r["note_id"]] = r["row_id"]
        record = _note_record(cdm, r)
        if isinstance(record, Problem):
            problems.append(record)
        else:
            out.append(record)
    return out


def _note_rows(cdm: Cdm, note: ibis.Table) -> ibis.Table:
    """Return the NOTE rows with their patient ids (None: PERSON lacks the person).

    A note's id is its ``note_source_value`` (the id calciscope wrote), else its ``note_id``;
    ``row_id`` is the NOTE row's own ``note_id``, for the problems that name the row.
    """
    people = person_ids(cdm)
    joined = note.left_join(people, note.person_id.cast("int64") == people.person_key)
    source = joined.note_source_value.cast("string").nullif("")
    return joined.select(
        row_id=joined.note_id.cast("string"),
        note_id=ibis.coalesce(source, joined.note_id.cast("string")),
        patient_id=joined.patient_id,
        title=joined.note_title.cast("string"),
        note_date=joined.note_date.cast("date"),
        text=joined.note_text.cast("string"),
    )


def _note_record(cdm: Cdm, r: dict[str, Any]) -> dict[str, Any] | Problem:
    """Return a NOTE row (:func:`_note_rows`) as :class:`~calciscope.model.Note` fields.

    An RTF note's words are its plain text (hardening36); RTF that cannot be read is a problem.
    """
    text = rtf_note_text(r["text"] or "", cdm.source, f"omop:note/{r['row_id']}", "note_text")
    if isinstance(text, Problem):
        return text
    return {
        "note_id": r["note_id"],
        "patient_id": r["patient_id"],
        "note_date": r["note_date"],
        "note_type": r["title"] if r["title"] in _NOTE_TYPES else NoteType.OTHER.value,
        "text": text,
        "synthetic": cdm.synthetic,
    }


def _events(
    cdm: Cdm, concept_sets: dict[str, ConceptSet], skipped: Counter[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Return the events of the concept sets (and visits, deaths) with their patient ids.

    Events of a ``person_id`` that PERSON lacks have no patient: they are counted in
    ``skipped`` by table (``(table, "person_id not in PERSON")``) in the same read, not dropped
    by an inner join without a trace.
    """
    events = person_facts(cdm, concept_sets)
    joined = events.left_join(person_ids(cdm), events.person_key == person_ids(cdm).person_key)
    rows = cdm.fetch(joined.select("patient_id", *[c for c in events.columns if c != "person_key"]))
    kept = []
    for row in rows:
        if row["patient_id"] is None:
            table = str(row["provenance"]).removeprefix("omop:").split("/")[0]
            skipped[(table, NO_PERSON)] += 1
        else:
            kept.append(row)
    return kept


def _refuse_duplicate_persons(cdm: Cdm) -> None:
    """Refuse a PERSON table that gives one patient id to several rows (its key is repeated).

    Each row would otherwise become the same patient, and the events of that id would be read
    once per row; with ``--patient-ids person_source_value``, two persons would merge.
    """
    people = patients_view(cdm)
    counts = people.group_by("patient_id").aggregate(rows=people.count())
    repeated = cdm.fetch(counts.filter(counts.rows > 1).order_by("patient_id").limit(20))
    column = cdm.patient_ids.value
    problems = [
        Problem(
            cdm.source,
            f"person/{row['patient_id']}",
            column,
            f"{column} {row['patient_id']!r} is on {row['rows']} PERSON rows: a person must be "
            "one row (the table's key is repeated)",
        )
        for row in repeated
    ]
    if problems:
        raise ValidationError(problems, summary=f"OMOP CDM {cdm.source} not imported")


def read_cdm(cdm: Cdm, concept_sets: dict[str, ConceptSet], *, notes: bool = True) -> ReadResult:
    """Return the persons with an event in a concept set, with those events, visits, deaths, notes.

    Raises
    ------
    ValidationError
        Listing every row (``table/row id``) and field that does not make a valid record.
    """
    _refuse_duplicate_persons(cdm)
    result = ReadResult()
    every = _events(cdm, concept_sets, result.skipped)
    wanted = {row["patient_id"] for row in every if row["code"] in concept_sets}
    facts = [row for row in every if row["patient_id"] in wanted]
    people = [r for r in cdm.fetch(patients_view(cdm)) if r["patient_id"] in wanted]
    problems: list[Problem] = []
    note_rows = _notes(cdm, wanted, result.skipped, problems) if notes else []
    result.batch.patients = _records(
        Patient, people, cdm, lambda r: f"person {r['patient_id']}", problems
    )
    result.batch.facts = _records(Fact, facts, cdm, lambda r: r["provenance"], problems)
    result.batch.notes = _records(
        Note,
        note_rows,
        cdm,
        lambda r: f"omop:note/{r['note_id']}",
        problems,
    )
    if problems:
        raise ValidationError(problems, summary=f"OMOP CDM {cdm.source} not imported")
    result.mapped.update(
        {
            "person": len(result.batch.patients),
            "event": len(result.batch.facts),
            "note": len(result.batch.notes),
        }
    )
    return result
