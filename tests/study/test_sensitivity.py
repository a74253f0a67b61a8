"""Sensitivity analyses and "seen" by any record, on hand-made patients (issue 12)."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from calciscope.api.study import sensitivity_table, study_phenotypes
from calciscope.engine.study import StudyQuery
from calciscope.errors import ValidationError
from calciscope.model import Fact, Patient
from calciscope.storage.registry import _records
from calciscope.study import default_study, parse_study
from engine.test_features import _FACT_SCHEMA, _PATIENT_SCHEMA

INDEX = dt.date(2023, 12, 31)
SEEN = dt.date(2022, 6, 1)


def _f(pid: str, code: str, **kw: object) -> Fact:
    return Fact(patient_id=pid, system="calciscope", code=code, **kw)  # type: ignore[arg-type]


def _patient(pid: str, *, visit: bool = True) -> list[Fact]:
    """dcSSc with a recorded overlap, seen in the window (a visit, or only a radiograph)."""
    facts = [
        _f(pid, "ssc_diagnosis", effective_date=dt.date(2010, 1, 1)),
        _f(pid, "ssc_subset", value_text="dcssc", effective_date=dt.date(2011, 1, 1)),
        _f(pid, "ssc_myositis_overlap", effective_date=dt.date(2012, 1, 1)),
    ]
    return [*facts, _f(pid, "visit" if visit else "radiograph", effective_date=SEEN)]


def _lesion(pid: str, morphology: str, site: str, side: str) -> Fact:
    return _f(
        pid,
        "calcinosis",
        morphology=morphology,
        body_site=site,
        laterality=side,
        effective_date=dt.date(2021, 1, 1),
    )


FACTS = [
    # a case in the main analysis: sheet-like in two regions
    *_patient("A"),
    _lesion("A", "sheet_like", "forearm", "left"),
    _lesion("A", "sheet_like", "thigh", "right"),
    # a case only when mixed lesions count toward sheet-like
    *_patient("B"),
    _lesion("B", "sheet_like", "forearm", "left"),
    _lesion("B", "mixed", "thigh", "left"),
    # a case only when left and right are two sites
    *_patient("C"),
    _lesion("C", "sheet_like", "forearm", "left"),
    _lesion("C", "sheet_like", "forearm", "right"),
    # in the population only when any dated record counts as seen (a radiograph, no visit)
    *_patient("D", visit=False),
    _lesion("D", "sheet_like", "forearm", "left"),
    _lesion("D", "sheet_like", "thigh", "left"),
]

STUDY = {
    "title": "t",
    "population": {"index_date": INDEX},
    "sensitivity": [
        {
            "label": "mixed",
            "phenotype_parameters": {"sheet_like_morphology": "sheet_like_or_mixed"},
        },
        {"label": "sides", "phenotype_parameters": {"region_unit": "sides"}},
        {"label": "any record", "seen_by": "any_record"},
    ],
}


def _table() -> dict[str, list]:
    study = parse_study(STUDY)
    patients = [Patient(patient_id=p, sex="female", birth_year=1960) for p in "ABCD"]
    con = ibis.duckdb.connect()
    con.create_table("facts", pa.Table.from_pylist(_records(FACTS), schema=_FACT_SCHEMA))
    con.create_table("patients", pa.Table.from_pylist(_records(patients), schema=_PATIENT_SCHEMA))
    # each variant is classified again in the database, by the study's one query
    table = sensitivity_table(StudyQuery(con, study, study_phenotypes(study)))
    return table.set_index("analysis").to_dict()


def test_each_variant_side_by_side() -> None:
    t = _table()
    assert t["source_population"] == {"Main analysis": 3, "mixed": 3, "sides": 3, "any record": 4}
    assert t["cases"] == {"Main analysis": 1, "mixed": 2, "sides": 2, "any record": 2}
    assert t["dcssc_with_overlap_of_cases"]["mixed"] == "2 of 2"
    assert t["all_cases_dcssc_with_overlap"]["Main analysis"] == "yes"


def test_default_study_lists_the_issue_variants() -> None:
    labels = [v.label for v in default_study().sensitivity]
    assert len(labels) == 5 and "Mixed lesions count as sheet-like" in labels


def test_bad_variant_parameter_names_the_field() -> None:
    bad = STUDY | {
        "sensitivity": [{"label": "x", "phenotype_parameters": {"region_unit": "limbs"}}]
    }
    with pytest.raises(ValidationError, match=r"sensitivity\.0\.phenotype_parameters"):
        parse_study(bad)
