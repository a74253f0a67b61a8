"""Ibis views over CDM tables shaped like the registry's ``patients`` and ``facts`` tables.

The feature compiler (:func:`calciscope.engine.compute_feature_table`) then runs inside the CDM
database. Only events whose concept is in a concept set mapped to a calciscope concept become
facts (system ``calciscope``, code = concept name), so the catalogue's features apply.

Absence (OHDSI has no agreed convention; OncologyWG #559): a condition, procedure or
observation row says *present*; an observation or measurement whose ``value_as_concept_id``
is an absence value says *absent*. Absence values are the CDM's own concepts named
``Absent``, ``Negative``, ``Not detected``, ``Not present`` or ``No`` (looked up in its
``concept`` table) plus :data:`ABSENT_VALUE_IDS`.

VISIT_OCCURRENCE rows are ``visit`` facts and DEATH rows ``death`` facts, with no concept set
needed. Qualifiers come back from a qualifier concept written by calciscope (vocabulary
``calciscope``, class ``Qualifier``: ``body_site=hand; laterality=left``), and
``value_as_string`` becomes the fact's text.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.interop.mappings import (
    ABSENT_VALUE_IDS,
    ABSENT_VALUE_NAMES,
    LOCAL_VOCABULARY,
    OMOP_GENDER,
    OMOP_QUALIFIER_COLUMNS,
    QUALIFIER_CLASS,
    QUALIFIERS,
)
from calciscope.interop.omop.cdm import Cdm, PatientIdColumn
from calciscope.interop.omop.conceptset import ConceptSet, resolve_concept_set
from calciscope.interop.omop.tables import CDM_TABLES

__all__ = [
    "facts_view",
    "patients_view",
    "person_facts",
    "person_ids",
    "person_rows",
    "with_patient_ids",
]

#: (table, concept column, date column, value-as-number column or None) for each event table.
_EVENTS = (
    ("condition_occurrence", "condition_concept_id", "condition_start_date", None),
    ("procedure_occurrence", "procedure_concept_id", "procedure_date", None),
    ("observation", "observation_concept_id", "observation_date", "value_as_number"),
    ("measurement", "measurement_concept_id", "measurement_date", "value_as_number"),
)
#: (table, date column, calciscope concept) read without a concept set.
_IMPLICIT = (("visit_occurrence", "visit_start_date", "visit"), ("death", "death_date", "death"))


def _patient_id(cdm: Cdm, p: ir.Table) -> ir.StringValue:
    if cdm.patient_ids is PatientIdColumn.PERSON_SOURCE_VALUE:
        return p.person_source_value.cast("string")
    return p.person_id.cast("int64").cast("string")


def person_ids(cdm: Cdm) -> ir.Table:
    """Return (person_key, patient_id): PERSON's id and the column read as the patient id."""
    p = cdm.tables["person"]
    return p.select(person_key=p.person_id.cast("int64"), patient_id=_patient_id(cdm, p))


def _centre(cdm: Cdm, p: ir.Table) -> tuple[ir.Table, ir.Value]:
    """Return PERSON joined to CARE_SITE (when the CDM has it) and the centre: name, else id."""
    sites = cdm.table("care_site")
    site_id = p.care_site_id.cast("int64").cast("string")
    if sites is None or "care_site_name" not in sites.columns:
        return p, site_id
    names = sites.select(
        site_key=sites.care_site_id.cast("int64"), site_name=sites.care_site_name.cast("string")
    )
    joined = p.left_join(names, p.care_site_id.cast("int64") == names.site_key)
    return joined, ibis.coalesce(joined.site_name.nullif(""), site_id)


def _persons(cdm: Cdm, key: str) -> ir.Table:
    """Return ``person`` as (``key``, sex, birth_date, birth_year, centre, synthetic).

    ``key`` is ``patient_id`` (the patient id, text) or ``person_key`` (PERSON's integer id).
    """
    p, centre = _centre(cdm, cdm.tables["person"])
    gender = p.gender_concept_id.cast("int64")
    sex = ibis.cases(*((gender == i, s.value) for s, i in OMOP_GENDER.items()), else_="unknown")
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
    # The patient id comes from the same PERSON row: a self-join with person_ids() breaks
    # Ibis when person_id is an INTEGER (the official DDL, Eunomia's Parquet files).
    ids = {"patient_id": _patient_id(cdm, p), "person_key": p.person_id.cast("int64")}
    return p.select(
        **{key: ids[key]},
        sex=sex,
        birth_date=birth,
        birth_year=p.year_of_birth.cast("int64"),
        centre=centre,
        synthetic=ibis.literal(cdm.synthetic),
    )


def patients_view(cdm: Cdm) -> ir.Table:
    """Return ``person`` as (patient_id, sex, birth_date, birth_year, centre, synthetic)."""
    return _persons(cdm, "patient_id")


def person_rows(cdm: Cdm) -> ir.Table:
    """Return :func:`patients_view` keyed by PERSON's integer id (``person_key``), not the patient id.

    Queries that stay inside the CDM join and group on the integer; the text patient id is made
    once, at the output (:func:`with_patient_ids`).
    """
    return _persons(cdm, "person_key")


def _absent_ids(cdm: Cdm) -> ir.Table:
    concept = cdm.tables["concept"]
    named = concept.filter(concept.concept_name.cast("string").isin(ABSENT_VALUE_NAMES)).select(
        concept_id=concept.concept_id.cast("int64")
    )
    fixed = ibis.memtable({"concept_id": list(ABSENT_VALUE_IDS)}, schema={"concept_id": "int64"})
    return ibis.union(named, fixed, distinct=True)


def _qualifier_concepts(cdm: Cdm) -> ir.Table:
    concept = cdm.tables["concept"]
    if not {"vocabulary_id", "concept_class_id"} <= set(concept.columns):
        schema = {"qualifier_key": "int64", "qualifier_name": "string"}
        return ibis.memtable({"qualifier_key": [], "qualifier_name": []}, schema=schema)
    mine = concept.filter(
        (concept.vocabulary_id.cast("string") == LOCAL_VOCABULARY)
        & (concept.concept_class_id.cast("string") == QUALIFIER_CLASS)
    )
    return mine.select(
        qualifier_key=mine.concept_id.cast("int64"), qualifier_name=mine.concept_name.cast("string")
    )


def _qualifier(name: ir.StringValue, key: str) -> ir.StringValue:
    return name.re_extract(rf"{key}=([a-z_]+)", 1).nullif("")


def _text(t: ir.Table, column: str) -> ir.StringValue:
    null: Any = ibis.null().cast("string")
    return t[column].cast("string") if column in t.columns else null


#: OMOP "Meas Value Operator" concepts (MEASUREMENT.operator_concept_id) other than "="
#: (4172703): ``value_as_number`` 5 with 4171756 is "<5", no number a criterion could compare.
MEASUREMENT_OPERATORS = {4171754: "<=", 4171755: ">=", 4171756: "<", 4172704: ">"}


def _with_operator(
    hit: ir.Table, value: ir.FloatingValue, text: ir.StringValue
) -> tuple[ir.FloatingValue, ir.StringValue]:
    """Return (value, text) of a measurement: a value with an operator becomes its text (``<5``).

    As FHIR's ``valueQuantity.comparator``: "<5 U/L" is not 5, and never read as 5.
    """
    if "operator_concept_id" not in hit.columns:
        return value, text
    op = hit.operator_concept_id.cast("int64")
    null: Any = ibis.null().cast("string")
    symbol = ibis.cases(*((op == k, v) for k, v in MEASUREMENT_OPERATORS.items()), else_=null)
    shown = value.cast("string").re_replace(r"\.0$", "")
    qualified = symbol.notnull() & value.notnull()
    number: Any = ibis.null().cast("float64")
    return (
        ibis.cases((qualified, number), else_=value),
        ibis.cases((qualified, symbol.concat(shown)), else_=text),
    )


def _shape(
    hit: ir.Table,
    code: ir.Value,
    status: ir.Value,
    date: ir.Value,
    table: str,
    value: ir.Value,
    text: ir.Value,
    unit: ir.Value,
    qualifiers: dict[str, ir.Value],
    reference_high: ir.Value | None = None,
) -> ir.Table:
    null: Any = ibis.null().cast("string")
    return hit.select(
        person_key=hit.person_id.cast("int64"),
        system=ibis.literal("calciscope"),
        code=code,
        status=status,
        effective_date=date,
        value_num=value,
        value_text=text,
        unit=unit,
        reference_high=ibis.null("float64") if reference_high is None else reference_high,
        **{name: qualifiers.get(name, null) for name in QUALIFIERS},
        source_kind=ibis.literal("import"),
        provenance=_provenance(hit, table),
        review_state=ibis.literal("confirmed"),
    )


def _provenance(t: ir.Table, table: str) -> ir.StringValue:
    # the row id (first column in the DDL; death has none: person_id), as ``omop:observation/17``
    key = CDM_TABLES[table][0]
    prefix = ibis.literal(f"omop:{table}/")
    return prefix + t[key].cast("string") if key in t.columns else prefix


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
    status = (
        ibis.cases(
            (hit.value_as_concept_id.cast("int64").isin(absent.concept_id), "absent"),
            else_="present",
        )
        if "value_as_concept_id" in t.columns
        else ibis.literal("present")
    )
    qualifiers: dict[str, ir.Value] = {}
    column = OMOP_QUALIFIER_COLUMNS.get(table, "")
    if column in t.columns:
        names = _qualifier_concepts(cdm)
        hit = hit.left_join(names, hit[column].cast("int64") == names.qualifier_key)
        qualifiers = {key: _qualifier(hit.qualifier_name, key) for key in QUALIFIERS}
    null: Any = ibis.null().cast("string")
    value = hit[value_col].cast("float64") if value_col else ibis.null().cast("float64")
    unit = _text(hit, "unit_source_value") if value_col else null
    text = _text(hit, "value_as_string").nullif("") if table == "observation" else null
    if table == "measurement" and value_col:
        value, text = _with_operator(hit, value, text)
    # the measurement's reference range (CDM measurement.range_high), in its own unit
    high = hit.range_high.cast("float64") if "range_high" in hit.columns else None
    return _shape(
        hit,
        hit.calciscope_concept,
        status,
        hit[date_col].cast("date"),
        table,
        value,
        text,
        unit,
        qualifiers,
        high,
    )


def _implicit(cdm: Cdm, table: str, date_col: str, code: str) -> ir.Table | None:
    """Return a present ``code`` fact for every row of a table that needs no concept set."""
    t = cdm.table(table)
    if t is None:
        return None
    null: Any = ibis.null().cast("string")
    return _shape(
        t,
        ibis.literal(code),
        ibis.literal("present"),
        t[date_col].cast("date"),
        table,
        ibis.null().cast("float64"),
        null,
        null,
        {},
    )


def _empty_facts() -> ir.Table:
    schema = {
        "person_key": "int64",
        "system": "string",
        "code": "string",
        "status": "string",
        "effective_date": "date",
        "value_num": "float64",
        "value_text": "string",
        "unit": "string",
        "body_site": "string",
        "laterality": "string",
        "morphology": "string",
        "method": "string",
        "source_kind": "string",
        "provenance": "string",
        "review_state": "string",
    }
    return ibis.memtable({name: [] for name in schema}, schema=schema)


def person_facts(
    cdm: Cdm, concept_sets: dict[str, ConceptSet], concepts: Collection[str] | None = None
) -> ir.Table:
    """Return :func:`facts_view`'s rows keyed by the event's integer ``person_key``.

    Parameters
    ----------
    cdm
        The opened CDM.
    concept_sets
        calciscope concept name → the concept set that means it in OMOP.
    concepts
        Only facts of these calciscope concepts (the concept sets of other names and the visit
        and death tables are then not read at all); every one by default.

    Events of a ``person_id`` that PERSON lacks are kept (a join with PERSON drops them).
    """
    keep = (lambda name: True) if concepts is None else set(concepts).__contains__
    resolved = [
        resolve_concept_set(cdm, cs).mutate(calciscope_concept=ibis.literal(name))
        for name, cs in concept_sets.items()
        if keep(name)
    ]
    parts: list[ir.Table] = []
    if resolved:
        wanted = (
            ibis.union(*resolved, distinct=True) if len(resolved) > 1 else resolved[0].distinct()
        )
        absent = _absent_ids(cdm)
        parts += [
            part
            for table, concept, date, value in _EVENTS
            if (part := _events(cdm, table, concept, date, value, wanted, absent)) is not None
        ]
    parts += [
        part
        for table, date, code in _IMPLICIT
        if keep(code) and (part := _implicit(cdm, table, date, code)) is not None
    ]
    return ibis.union(*parts) if parts else _empty_facts()


def facts_view(cdm: Cdm, concept_sets: dict[str, ConceptSet]) -> ir.Table:
    """Return the CDM's events in the given concept sets, visits and deaths as registry-shaped facts.

    Parameters
    ----------
    cdm
        The opened CDM.
    concept_sets
        calciscope concept name → the concept set that means it in OMOP.
    """
    events = person_facts(cdm, concept_sets)
    joined = events.inner_join(person_ids(cdm), "person_key")
    return joined.select("patient_id", *[c for c in events.columns if c != "person_key"])


def with_patient_ids(cdm: Cdm, table: ir.Table) -> ir.Table:
    """Return a table keyed by ``person_key`` with the patient id in its place (first column).

    The patient id is the text of ``person_id`` (a cast, no join), or ``person_source_value``
    when the CDM was opened so (a join with PERSON).
    """
    rest = [c for c in table.columns if c != "person_key"]
    if cdm.patient_ids is PatientIdColumn.PERSON_ID:
        return table.select(table.person_key.cast("string").name("patient_id"), *rest)
    joined = table.inner_join(person_ids(cdm), "person_key")
    return joined.select("patient_id", *rest)
