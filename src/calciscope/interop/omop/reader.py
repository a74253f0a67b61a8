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


def _notes(cdm: Cdm, wanted: set[str]) -> list[dict[str, Any]]:
    note = cdm.table("note")
    if note is None:
        return []
    people = person_ids(cdm)
    joined = note.inner_join(people, note.person_id.cast("int64") == people.person_key)
    source = joined.note_source_value.cast("string").nullif("")
    table = joined.select(
        note_id=ibis.coalesce(source, joined.note_id.cast("string")),
        patient_id=joined.patient_id,
        title=joined.note_title.cast("string"),
        note_date=joined.note_date.cast("date"),
        text=joined.note_text.cast("string"),
    )
    rows = cdm.fetch(table)
    return [
        {
            "note_id": r["note_id"],
            "patient_id": r["patient_id"],
            "note_date": r["note_date"],
            "note_type": r["title"] if r["title"] in _NOTE_TYPES else NoteType.OTHER.value,
            "text": r["text"] or "",
            "synthetic": cdm.synthetic,
        }
        for r in rows
        if r["patient_id"] in wanted
    ]


#: The reason an event of a ``person_id`` that PERSON lacks is counted as skipped.
NO_PERSON = "person_id not in PERSON"


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
    note_rows = _notes(cdm, wanted) if notes else []
    problems: list[Problem] = []
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
