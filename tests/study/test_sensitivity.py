"""Sensitivity analyses and "seen" by any record, on hand-made patients (issue 12)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from calciscope import api
from calciscope.api.study import sensitivity_table
from calciscope.api.study_definition import study_phenotypes
from calciscope.engine import connect
from calciscope.engine.release import release_cached
from calciscope.engine.study import StudyQuery
from calciscope.errors import ValidationError
from calciscope.model import Fact, Patient
from calciscope.storage.registry import model_rows
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
    con.create_table("facts", pa.Table.from_pylist(model_rows(FACTS), schema=_FACT_SCHEMA))
    con.create_table("patients", pa.Table.from_pylist(model_rows(patients), schema=_PATIENT_SCHEMA))
    # every variant's case finding in the database, in one query over the classified table
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


#: every kind of change a variant makes, alone and together
ALL_KINDS = [
    *default_study().sensitivity,
    *parse_study(
        {
            "title": "t",
            "sensitivity": [
                {
                    "label": "mixed, one region, with suggested facts",
                    "phenotype_parameters": {
                        "sheet_like_morphology": "sheet_like_or_mixed",
                        "min_sheet_like_regions": 1,
                    },
                    "count_suggested": True,
                },
                {
                    "label": "sides, onset at sheet-like, seen within 5 years",
                    "phenotype_parameters": {
                        "region_unit": "sides",
                        "onset_event": "calcinosis_sheet_like",
                    },
                    "seen_within_years": 5,
                },
            ],
        }
    ).sensitivity,
]


def _sorted_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple[bool, ...]]:
    return sorted(
        tuple(bool(v) for v in row) for row in frame[list(columns)].itertuples(index=False)
    )


@pytest.mark.parametrize("registry", ["demo", "generated"])
def test_one_query_equals_one_classification_per_variant(
    registry: str, reviewed_demo_url: str, tmp_path: Path
) -> None:
    """Every variant's case finding from the one query equals a full classification of its own.

    The demo registry after its notes are read (suggested facts for ``count_suggested``) and a
    SYNTHETIC generated cohort; the default study's variants and combined ones.
    """
    if registry == "demo":
        url = reviewed_demo_url
    else:
        api.generate_demo_data(tmp_path / "cohort", patients=150, seed=7, notes=False)
        url = f"sqlite:///{tmp_path / 'r.db'}"
        with api.open_registry(url) as r:
            api.import_directory(r, tmp_path / "cohort")
    study = default_study().model_copy(update={"sensitivity": tuple(ALL_KINDS)})
    variants = [(v, study_phenotypes(study.variant(v))) for v in ALL_KINDS]
    con = connect(url)
    try:
        query = StudyQuery(con, study, study_phenotypes(study), include_suggested=True)
        together = query.variant_cases(variants)
        columns = query.variant_columns()
        wanted = ["patient_id", *columns]
        alone = [query.variant(v, p).population(wanted) for v, p in variants]
    finally:
        release_cached(con)
        con.disconnect()
    assert any(len(a) for a in alone) and any(a["case"].any() for a in alone)
    for (v, _), one, other in zip(variants, together, alone, strict=True):
        assert _sorted_rows(one, columns) == _sorted_rows(other, columns), v.label


@pytest.mark.postgres
def test_table_six_is_the_same_on_postgres(
    postgres_database: Callable[[], str], tmp_path: Path
) -> None:
    """The one query gives PostgreSQL the same Table 6 as SQLite (a SYNTHETIC generated cohort)."""
    api.generate_demo_data(tmp_path / "cohort", patients=150, seed=7, notes=False)
    study = default_study().model_copy(update={"sensitivity": tuple(ALL_KINDS)})
    tables = []
    for url in (f"sqlite:///{tmp_path / 'r.db'}", postgres_database()):
        with api.open_registry(url) as r:
            api.import_directory(r, tmp_path / "cohort")
        con = connect(url)
        try:
            query = StudyQuery(con, study, study_phenotypes(study), include_suggested=True)
            tables.append(sensitivity_table(query))
        finally:
            release_cached(con)
            con.disconnect()
    assert tables[0]["cases"].sum() > 0
    pd.testing.assert_frame_equal(tables[1], tables[0])
