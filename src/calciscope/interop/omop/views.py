"""Ibis views over CDM tables shaped like the registry's ``patients`` and ``facts`` tables.

The feature compiler (:func:`calciscope.engine.compute_feature_table`) then runs inside the CDM
database. Only events whose concept is in a concept set mapped to a calciscope concept become
facts (system ``calciscope``, code = concept name), so the catalogue's features apply.

Absence (OHDSI has no agreed convention; OncologyWG #559): a condition, procedure or
observation row says *present*; an observation or measurement whose ``value_as_concept_id``
is an absence value says *absent*. Absence values are the CDM's own concepts named
``Absent``, ``Negative``, ``Not detected``, ``Not present`` or ``No`` (looked up in its
``concept`` table) plus :data:`ABSENT_VALUE_IDS`.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.interop.omop.cdm import Cdm
from calciscope.interop.omop.conceptset import ConceptSet, resolve_concept_set

__all__ = ["ABSENT_VALUE_IDS", "ABSENT_VALUE_NAMES", "facts_view", "patients_view"]

#: Value concepts read as absent even when the CDM's concept table lacks them (Meas Value
#: "Negative" 9189 and "Not detected" 9190, SNOMED qualifier "Absent" 4132135). These ids are
#: from the OHDSI standard vocabulary as we know it; check them against your vocabulary.
ABSENT_VALUE_IDS: tuple[int, ...] = (9189, 9190, 4132135)
ABSENT_VALUE_NAMES: tuple[str, ...] = ("Absent", "Negative", "Not detected", "Not present", "No")
#: (table, concept column, date column, value-as-number column or None) for each event table.
_EVENTS = (
    ("condition_occurrence", "condition_concept_id", "condition_start_date", None),
    ("procedure_occurrence", "procedure_concept_id", "procedure_date", None),
    ("observation", "observation_concept_id", "observation_date", "value_as_number"),
    ("measurement", "measurement_concept_id", "measurement_date", "value_as_number"),
)
_MALE, _FEMALE = 8507, 8532


def patients_view(cdm: Cdm) -> ir.Table:
    """Return ``person`` as (patient_id, sex, birth_date, birth_year, centre, synthetic)."""
    p = cdm.tables["person"]
    gender = p.gender_concept_id.cast("int64")
    sex = ibis.cases(
        (gender == _MALE, "male"),
        (gender == _FEMALE, "female"),
        else_="unknown",
    )
    complete = p.year_of_birth.notnull() & p.month_of_birth.notnull() & p.day_of_birth.notnull()
    birth = ibis.cases(
        (
            complete,
            ibis.date(
                p.year_of_birth.cast("int32"),
                p.month_of_birth.cast("int32"),
                p.day_of_birth.cast("int32"),
            ),
        ),
        else_=ibis.null().cast("date"),
    )
    return p.select(
        patient_id=p.person_id.cast("string"),
        sex=sex,
        birth_date=birth,
        birth_year=p.year_of_birth.cast("int64"),
        centre=p.care_site_id.cast("string"),
        synthetic=ibis.literal(False),
    )


def _absent_ids(cdm: Cdm) -> ir.Table:
    concept = cdm.tables["concept"]
    named = concept.filter(concept.concept_name.isin(ABSENT_VALUE_NAMES)).select(
        concept_id=concept.concept_id.cast("int64")
    )
    fixed = ibis.memtable({"concept_id": list(ABSENT_VALUE_IDS)}, schema={"concept_id": "int64"})
    return ibis.union(named, fixed, distinct=True)


def _events(
    cdm: Cdm,
    table: str,
    concept_col: str,
    date_col: str,
    value_col: str | None,
    wanted: ir.Table,
    absent: ir.Table,
) -> ir.Table | None:
    t = cdm.table(table)
    if t is None:
        return None
    hit = t.inner_join(wanted, t[concept_col].cast("int64") == wanted.concept_id)
    has_value = "value_as_concept_id" in t.columns
    status = (
        ibis.cases(
            (hit.value_as_concept_id.cast("int64").isin(absent.concept_id), "absent"),
            else_="present",
        )
        if has_value
        else ibis.literal("present")
    )
    unit = (
        t.unit_source_value.cast("string")
        if "unit_source_value" in t.columns
        else ibis.null().cast("string")
    )
    null: Any = ibis.null().cast("string")
    return hit.select(
        patient_id=hit.person_id.cast("string"),
        system=ibis.literal("calciscope"),
        code=hit.calciscope_concept,
        status=status,
        effective_date=hit[date_col].cast("date"),
        value_num=(hit[value_col].cast("float64") if value_col else ibis.null().cast("float64")),
        value_text=null,
        unit=unit if value_col else null,
        body_site=null,
        laterality=null,
        morphology=null,
        method=null,
        source_kind=ibis.literal("import"),
        provenance=ibis.literal(f"omop:{table}"),
        review_state=ibis.literal("confirmed"),
    )


def facts_view(cdm: Cdm, concept_sets: dict[str, ConceptSet]) -> ir.Table:
    """Return the CDM's events in the given concept sets as registry-shaped facts.

    Parameters
    ----------
    cdm
        The opened CDM.
    concept_sets
        calciscope concept name → the concept set that means it in OMOP.
    """
    wanted = ibis.union(
        *[
            resolve_concept_set(cdm, cs).mutate(calciscope_concept=ibis.literal(name))
            for name, cs in concept_sets.items()
        ],
        distinct=True,
    )
    absent = _absent_ids(cdm)
    parts = [
        part
        for table, concept, date, value in _EVENTS
        if (part := _events(cdm, table, concept, date, value, wanted, absent)) is not None
    ]
    return ibis.union(*parts)
