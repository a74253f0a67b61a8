"""Write registry records as an OMOP CDM v5.4 folder of CSV files that calciscope reads back.

Confirmed facts become events, routed by what they are: a visit → VISIT_OCCURRENCE (Outpatient
Visit), a death → DEATH, a number without qualifiers or text → MEASUREMENT, a present finding
whose standard concept (from the user's vocabulary) is in the Condition or Procedure domain →
CONDITION_OCCURRENCE or PROCEDURE_OCCURRENCE, a present procedure of the catalogue (muscle
biopsy, radiograph) → PROCEDURE_OCCURRENCE (site and side in ``modifier_concept_id``),
everything else → OBSERVATION with
``value_as_concept_id`` Present or Absent (calciscope's absence convention, docs/interop.md),
``value_as_number``, ``value_as_string`` and a qualifier concept for body site, side, morphology
and method. Notes → NOTE; facts read from notes → NOTE_NLP. Every (system, code) gets a concept
(:mod:`calciscope.interop.omop.vocabulary`), and every catalogue concept used gets an OHDSI
concept set (``concept_sets/<concept>.json``) so the CDM can be screened, by calciscope or ATLAS.

Not written, and counted: unknown facts (OMOP has no row for "unknown"), facts not confirmed
(suggestions from notes are in NOTE_NLP), facts without a date (OMOP event dates are required).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from calciscope.features import FeatureCatalogue, load_catalogue
from calciscope.interop.mappings import (
    ABSENT_ID,
    CDM_V54_ID,
    LOCAL_VOCABULARY,
    NO_MATCH_ID,
    OMOP_GENDER,
    OMOP_QUALIFIER_COLUMNS,
    PRESENT_ID,
    QUALIFIERS,
    REGISTRY_TYPE_ID,
    VISIT_ID,
)
from calciscope.interop.omop.note_nlp import note_id_map, note_nlp_rows
from calciscope.interop.omop.tables import CdmExport
from calciscope.interop.omop.vocabulary import FIXED_IDS, ConceptRegistry, StandardConcept
from calciscope.model import Fact, Note, Patient, ReviewState, SourceKind, Status

__all__ = ["build_cdm"]

_MAX_STRING = 60  # observation.value_as_string is varchar(60)


@dataclass
class _Context:
    """What the event builders share: ids of persons and care sites, concepts, and the output."""

    persons: dict[str, int]
    care_sites: dict[str, int]
    concepts: ConceptRegistry
    catalogue: FeatureCatalogue
    out: CdmExport
    deaths: set[int] = field(default_factory=set)


def _person(patient: Patient, person_id: int, care_site: int | None) -> dict[str, Any]:
    birth, year = patient.birth_date, patient.birth_year
    return {
        "person_id": person_id,
        "gender_concept_id": OMOP_GENDER.get(patient.sex, 0),
        "year_of_birth": birth.year if birth else year,
        "month_of_birth": birth and birth.month,
        "day_of_birth": birth and birth.day,
        "birth_datetime": birth and f"{birth} 00:00:00",
        "race_concept_id": 0,
        "ethnicity_concept_id": 0,
        "care_site_id": care_site,
        "person_source_value": patient.patient_id,
        "gender_source_value": patient.sex.value,
        "gender_source_concept_id": 0,
        "race_source_concept_id": 0,
        "ethnicity_source_concept_id": 0,
    }


def _label(catalogue: FeatureCatalogue, fact: Fact) -> str:
    names = catalogue.concepts_for_code(fact.system, fact.code)
    concept = catalogue.concepts.get(names[0]) if names else None
    return concept.label if concept is not None else f"{fact.system}:{fact.code}"


def _qualifiers(fact: Fact) -> dict[str, str]:
    values = {name: getattr(fact, name) for name in QUALIFIERS}
    return {k: v.value for k, v in values.items() if v is not None}


def _table_for(fact: Fact, ctx: _Context, domain: str) -> str:
    concepts = ctx.catalogue.concepts_for_code(fact.system, fact.code)
    valueless = fact.value_text is None and fact.value_num is None
    if (
        fact.status is Status.PRESENT
        and valueless
        and ctx.catalogue.is_procedure(fact.system, fact.code)
    ):
        return "procedure_occurrence"  # qualifiers (site, side) go in modifier_concept_id
    plain = not _qualifiers(fact) and fact.value_text is None
    if fact.status is Status.PRESENT and plain and fact.value_num is None:
        if "visit" in concepts:
            return "visit_occurrence"
        if "death" in concepts and ctx.persons[fact.patient_id] not in ctx.deaths:
            return "death"
        if domain in ("Condition", "Procedure"):
            return f"{domain.lower()}_occurrence"
    return "measurement" if plain and fact.value_num is not None else "observation"


def _visit(fact: Fact, ctx: _Context, concept: int, source: int, number: int) -> dict[str, Any]:
    return {
        "visit_occurrence_id": number,
        "visit_concept_id": ctx.concepts.fixed(VISIT_ID),
        "visit_start_date": fact.effective_date,
        "visit_end_date": fact.effective_date,
        "visit_type_concept_id": REGISTRY_TYPE_ID,
        "visit_source_value": _source_value(fact),
        "visit_source_concept_id": source,
    }


def _death(fact: Fact, ctx: _Context, concept: int, source: int, number: int) -> dict[str, Any]:
    ctx.deaths.add(ctx.persons[fact.patient_id])
    return {
        "death_date": fact.effective_date,
        "death_type_concept_id": REGISTRY_TYPE_ID,
        "cause_concept_id": 0,
        "cause_source_concept_id": 0,
    }


def _condition(fact: Fact, ctx: _Context, concept: int, source: int, number: int) -> dict[str, Any]:
    return {
        "condition_occurrence_id": number,
        "condition_concept_id": concept,
        "condition_start_date": fact.effective_date,
        "condition_type_concept_id": REGISTRY_TYPE_ID,
        "condition_status_concept_id": 0,
        "condition_source_value": _source_value(fact),
        "condition_source_concept_id": source,
    }


def _procedure(fact: Fact, ctx: _Context, concept: int, source: int, number: int) -> dict[str, Any]:
    return {
        "procedure_occurrence_id": number,
        "procedure_concept_id": concept,
        "procedure_date": fact.effective_date,
        "procedure_type_concept_id": REGISTRY_TYPE_ID,
        OMOP_QUALIFIER_COLUMNS["procedure_occurrence"]: ctx.concepts.qualifier(_qualifiers(fact)),
        "procedure_source_value": _source_value(fact),
        "procedure_source_concept_id": source,
    }


def _measurement(
    fact: Fact, ctx: _Context, concept: int, source: int, number: int
) -> dict[str, Any]:
    absent = fact.status is Status.ABSENT
    return {
        "measurement_id": number,
        "measurement_concept_id": concept,
        "measurement_date": fact.effective_date,
        "measurement_type_concept_id": REGISTRY_TYPE_ID,
        "operator_concept_id": 0,
        "value_as_number": fact.value_num,
        "value_as_concept_id": ctx.concepts.fixed(ABSENT_ID) if absent else 0,
        "unit_concept_id": 0,
        "range_high": fact.reference_high,
        "measurement_source_value": _source_value(fact),
        "measurement_source_concept_id": source,
        "unit_source_value": fact.unit,
    }


def _observation(
    fact: Fact, ctx: _Context, concept: int, source: int, number: int
) -> dict[str, Any]:
    value = ABSENT_ID if fact.status is Status.ABSENT else PRESENT_ID
    text = fact.value_text
    if text is not None and len(text) > _MAX_STRING:
        ctx.out.skipped["value_text cut to 60 characters (observation.value_as_string)"] += 1
        text = text[:_MAX_STRING]
    qualifier = ctx.concepts.qualifier(_qualifiers(fact))
    if fact.reference_high is not None:
        ctx.out.skipped["reference_high not kept (observation has no range_high)"] += 1
    return {
        "observation_id": number,
        "observation_concept_id": concept,
        "observation_date": fact.effective_date,
        "observation_type_concept_id": REGISTRY_TYPE_ID,
        "value_as_number": fact.value_num,
        "value_as_string": text,
        "value_as_concept_id": ctx.concepts.fixed(value),
        OMOP_QUALIFIER_COLUMNS["observation"]: qualifier,
        "unit_concept_id": 0,
        "observation_source_value": _source_value(fact),
        "observation_source_concept_id": source,
        "unit_source_value": fact.unit,
        "qualifier_source_value": ctx.concepts.rows[qualifier]["concept_code"]
        if qualifier
        else None,
    }


_BUILDERS = {
    "visit_occurrence": _visit,
    "death": _death,
    "condition_occurrence": _condition,
    "procedure_occurrence": _procedure,
    "measurement": _measurement,
    "observation": _observation,
}


def _source_value(fact: Fact) -> str:
    return (fact.code if fact.code.startswith(f"{fact.system}:") else f"{fact.system}:{fact.code}")[
        :50
    ]


def _skip_reason(fact: Fact) -> str | None:
    if fact.review_state is not ReviewState.CONFIRMED:
        return "fact not confirmed (suggestions from notes are in NOTE_NLP)"
    if fact.status is Status.UNKNOWN:
        return "unknown status (OMOP has no row for unknown)"
    if fact.effective_date is None:
        return "no date (OMOP event dates are required)"
    return None


def _event(fact: Fact, ctx: _Context) -> None:
    kind = "Measurement" if fact.value_num is not None else "Observation"
    concept, source = ctx.concepts.code(fact.system, fact.code, _label(ctx.catalogue, fact), kind)
    row = ctx.concepts.rows[concept]
    domain = row["domain_id"] if row["vocabulary_id"] != LOCAL_VOCABULARY else ""
    table = _table_for(fact, ctx, domain)
    rows = ctx.out.tables[table]
    rows.append(
        {"person_id": ctx.persons[fact.patient_id]}
        | _BUILDERS[table](fact, ctx, concept, source, len(rows) + 1)
    )
    ctx.out.written[table] += 1


def _note(note: Note, person: int, number: int) -> dict[str, Any]:
    return {
        "note_id": number,
        "person_id": person,
        "note_date": note.note_date,
        "note_type_concept_id": REGISTRY_TYPE_ID,
        "note_class_concept_id": 0,
        "note_title": note.note_type.value,
        "note_text": note.text,
        "encoding_concept_id": 0,
        "language_concept_id": 0,
        "note_source_value": note.note_id[:50],
    }


def _periods(out: CdmExport) -> list[dict[str, Any]]:
    """One observation period per person: from the first to the last dated record."""
    dates: dict[int, list[dt.date]] = defaultdict(list)
    columns = {
        "visit_occurrence": "visit_start_date",
        "death": "death_date",
        "condition_occurrence": "condition_start_date",
        "procedure_occurrence": "procedure_date",
        "observation": "observation_date",
        "measurement": "measurement_date",
        "note": "note_date",
    }
    for table, column in columns.items():
        for row in out.tables.get(table, []):
            if row.get(column) is not None:
                dates[row["person_id"]].append(row[column])
    return [
        {
            "observation_period_id": number,
            "person_id": person,
            "observation_period_start_date": min(days),
            "observation_period_end_date": max(days),
            "period_type_concept_id": REGISTRY_TYPE_ID,
        }
        for number, (person, days) in enumerate(sorted(dates.items()), start=1)
    ]


def _concept_sets(ctx: _Context) -> dict[str, dict[str, Any]]:
    """Return an OHDSI concept set per catalogue concept, holding the concept ids of its codes."""
    members: dict[str, set[int]] = defaultdict(set)
    for (system, code), concept_id in ctx.concepts.used.items():
        for name in ctx.catalogue.concepts_for_code(system, code):
            members[name].add(concept_id)
    return {
        name: {
            "name": name,
            "items": [
                {
                    "concept": {
                        "CONCEPT_ID": cid,
                        "CONCEPT_NAME": ctx.concepts.rows[cid]["concept_name"],
                        "VOCABULARY_ID": ctx.concepts.rows[cid]["vocabulary_id"],
                    },
                    "includeDescendants": False,
                    "isExcluded": False,
                    "includeMapped": False,
                }
                for cid in sorted(ids)
            ],
        }
        for name, ids in sorted(members.items())
    }


def _describe_fixed(out: CdmExport, ctx: _Context) -> None:
    """Give every fixed concept id written in any ``*_concept_id`` column its concept row."""
    used = {
        value
        for rows in out.tables.values()
        for row in rows
        for column, value in row.items()
        if column.endswith("_concept_id") and value in FIXED_IDS
    }
    for concept_id in sorted(used | {NO_MATCH_ID}):  # 0 fills the vocabulary's own columns
        ctx.concepts.fixed(concept_id)


def _vocabulary_tables(out: CdmExport, rows: list[dict[str, Any]], version: str) -> None:
    """Write the domain, concept_class and vocabulary rows the concept table refers to."""
    domains = sorted({r["domain_id"] for r in rows})
    classes = sorted({r["concept_class_id"] for r in rows})
    out.tables["domain"] = [
        {"domain_id": d, "domain_name": d, "domain_concept_id": NO_MATCH_ID} for d in domains
    ]
    out.tables["concept_class"] = [
        {"concept_class_id": c, "concept_class_name": c, "concept_class_concept_id": NO_MATCH_ID}
        for c in classes
    ]
    out.tables["vocabulary"] = [
        {
            "vocabulary_id": v,
            "vocabulary_name": "calciscope local concepts" if v == LOCAL_VOCABULARY else v,
            "vocabulary_reference": "https://github.com/calciscope/calciscope"
            if v == LOCAL_VOCABULARY
            else None,
            "vocabulary_version": version if v == LOCAL_VOCABULARY else None,
            "vocabulary_concept_id": NO_MATCH_ID,
        }
        for v in sorted({r["vocabulary_id"] for r in rows})
    ]


def _metadata(out: CdmExport, ctx: _Context, synthetic: bool, today: dt.date) -> None:
    ctx.concepts.fixed(CDM_V54_ID)
    _describe_fixed(out, ctx)
    rows = ctx.concepts.concept_rows()
    out.tables["concept"] = rows
    out.tables["concept_ancestor"] = [
        {
            "ancestor_concept_id": r["concept_id"],
            "descendant_concept_id": r["concept_id"],
            "min_levels_of_separation": 0,
            "max_levels_of_separation": 0,
        }
        for r in rows
        if r["standard_concept"] == "S"
    ]
    _vocabulary_tables(out, rows, ctx.catalogue.version)
    description = "calciscope registry export"
    out.tables["cdm_source"] = [
        {
            "cdm_source_name": "calciscope export",
            "cdm_source_abbreviation": "calciscope",
            "cdm_holder": "calciscope user",
            "source_description": f"SYNTHETIC DATA: {description}" if synthetic else description,
            "cdm_etl_reference": "calciscope.interop.omop.writer",
            "source_release_date": today,
            "cdm_release_date": today,
            "cdm_version": "v5.4",
            "cdm_version_concept_id": CDM_V54_ID,
            "vocabulary_version": ctx.catalogue.version,
        }
    ]


def build_cdm(
    patients: Sequence[Patient],
    facts: Sequence[Fact],
    notes: Sequence[Note] = (),
    *,
    vocabulary: dict[tuple[str, str], StandardConcept] | None = None,
    catalogue: FeatureCatalogue | None = None,
    today: dt.date | None = None,
) -> CdmExport:
    """Return the CDM tables for these records (see the module docstring for the mapping).

    Parameters
    ----------
    patients, facts, notes
        The records (facts and notes of patients not listed are ignored).
    vocabulary
        Standard concepts by (OMOP vocabulary id, code), from
        :func:`~calciscope.interop.omop.vocabulary.load_vocabulary`; local concepts otherwise.
    catalogue
        The feature catalogue (for labels and concept sets).
    today
        The release date written in ``cdm_source`` and for NOTE_NLP rows without a date.
    """
    today = today or dt.date.today()
    out = CdmExport()
    ordered = sorted(patients, key=lambda p: p.patient_id)
    persons = {p.patient_id: n for n, p in enumerate(ordered, start=1)}
    care_sites = {c: n for n, c in enumerate(sorted({p.centre for p in ordered if p.centre}), 1)}
    ctx = _Context(
        persons, care_sites, ConceptRegistry(vocabulary or {}), catalogue or load_catalogue(), out
    )
    _people(ordered, ctx)
    for table in ("death", "observation", "measurement"):
        out.tables[table] = []
    for fact in sorted(facts, key=lambda f: (f.patient_id, str(f.effective_date), f.fact_id or "")):
        if fact.patient_id in persons:
            if (reason := _skip_reason(fact)) is not None:
                out.skipped[reason] += 1
            else:
                _event(fact, ctx)
    _notes(notes, facts, ctx, today)
    out.tables["observation_period"] = _periods(out)
    _metadata(out, ctx, bool(ordered) and all(p.synthetic for p in ordered), today)
    out.concept_sets = _concept_sets(ctx)
    out.written.update(
        {name: len(rows) for name, rows in out.tables.items() if name not in out.written}
    )
    return out


def _people(ordered: list[Patient], ctx: _Context) -> None:
    ctx.out.tables["care_site"] = [
        {
            "care_site_id": n,
            "care_site_name": c[:255],
            "place_of_service_concept_id": 0,
            "care_site_source_value": c[:50],
        }
        for c, n in ctx.care_sites.items()
    ]
    ctx.out.tables["person"] = [
        _person(p, ctx.persons[p.patient_id], ctx.care_sites.get(p.centre or "")) for p in ordered
    ]


def _notes(notes: Sequence[Note], facts: Sequence[Fact], ctx: _Context, today: dt.date) -> None:
    """Add NOTE rows, and NOTE_NLP rows for facts read from notes (not rejected) with their concept."""
    persons = ctx.persons
    kept = [n for n in notes if n.patient_id in persons]
    numbers = note_id_map(n.note_id for n in kept)
    ctx.out.tables["note"] = [_note(n, persons[n.patient_id], numbers[n.note_id]) for n in kept]
    found = [
        f
        for f in facts
        if f.patient_id in persons
        and f.source_kind is SourceKind.NOTE
        and f.review_state is not ReviewState.REJECTED
    ]
    for fact in found:
        ctx.concepts.code(fact.system, fact.code, _label(ctx.catalogue, fact), "Observation")
    rows = note_nlp_rows(
        found, concept_ids=dict(ctx.concepts.used), note_ids=numbers, nlp_date=today
    )
    ctx.out.tables["note_nlp"] = rows.to_pylist()
