from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter

import duckdb
import pytest

from calciscope.errors import ValidationError
from calciscope.interop.omop import (
    COHORT_COLUMNS,
    NOTE_NLP_COLUMNS,
    classify_cdm,
    cohort_table,
    facts_view,
    load_concept_set,
    note_nlp_rows,
    open_cdm,
    patients_view,
    resolve_concept_set,
    screen_cdm,
    stable_note_id,
    write_cohort,
)
from calciscope.interop.omop.reader import NO_PERSON, read_cdm
from calciscope.model import Fact, Morphology, ReviewState, SourceKind, Status

INDEX = dt.date(2030, 1, 1)
RA = {
    "items": [
        {
            "concept": {"CONCEPT_ID": 80809, "CONCEPT_NAME": "Rheumatoid arthritis"},
            "includeDescendants": True,
            "isExcluded": False,
            "includeMapped": False,
        }
    ]
}


@pytest.fixture(scope="module")
def eunomia(data_dir):
    return open_cdm(data_dir("omop", "eunomia_gibleed_v5.3_csv"))


@pytest.fixture(scope="module")
def synthea(data_dir):
    return open_cdm(data_dir("omop", "synthea27nj_v5.4_csv"))


def _direct_persons(folder, table, concept_ids):
    ids = ",".join(map(str, concept_ids))
    column = "condition_concept_id"
    sql = f"select distinct person_id from read_csv_auto('{folder}/{table}') where {column} in ({ids})"
    return {str(row[0]) for row in duckdb.sql(sql).fetchall()}


def test_ra_concept_set_finds_exactly_the_persons_the_cdm_holds(eunomia, data_dir):
    folder = data_dir("omop", "eunomia_gibleed_v5.3_csv")
    concept_set = load_concept_set(RA, name="ra")
    resolved = resolve_concept_set(eunomia, concept_set).to_pyarrow().column(0).to_pylist()
    expected = _direct_persons(folder, "condition_occurrence.csv", resolved)
    assert len(expected) == 18
    table = screen_cdm(
        eunomia,
        {"rheumatoid_arthritis": concept_set},
        index_date=INDEX,
        features=["rheumatoid_arthritis", "ssc_diagnosis"],
    ).to_pandas()
    assert len(table) == 2694  # every person, computed inside DuckDB
    assert set(table.loc[table.rheumatoid_arthritis.eq(True), "patient_id"]) == expected
    assert table.ssc_diagnosis.isna().all()  # nothing mapped to SSc: unknown, never false


@pytest.mark.slow
def test_cohort_table_written_in_ohdsi_layout(eunomia, tmp_path):
    cohort = cohort_table(
        eunomia,
        {"rheumatoid_arthritis": load_concept_set(RA)},
        "rheumatoid_arthritis",
        cohort_definition_id=7,
        index_date=INDEX,
    )
    assert tuple(cohort.columns) == COHORT_COLUMNS
    assert write_cohort(cohort, tmp_path / "cohort.csv") == 18
    with (tmp_path / "cohort.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["cohort_definition_id"] for r in rows} == {"7"}
    assert all(r["cohort_start_date"] <= r["cohort_end_date"] for r in rows)


def test_cohort_rows_equal_a_hand_written_query(synthea, data_dir):
    """Members, start (first event of the feature's concept set, never a visit) and end."""
    folder = data_dir("omop", "synthea27nj_v5.4_csv")
    sets = {
        "viral_sinusitis": load_concept_set(
            {"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}]}
        )
    }
    cohort = cohort_table(
        synthea, sets, "viral_sinusitis", cohort_definition_id=2, index_date=INDEX
    )
    got = [tuple(r.values()) for r in cohort.to_pyarrow().to_pylist()]
    csv_ = lambda name: f"read_csv_auto('{folder}/{name}.csv')"  # noqa: E731
    expected = duckdb.sql(
        f"""WITH ev AS (SELECT person_id, condition_start_date AS d
                        FROM {csv_("CONDITION_OCCURRENCE")}
                        WHERE condition_concept_id = 40481087  -- no descendants: the
                        -- extract's CONCEPT_ANCESTOR is empty
                        AND condition_start_date <= DATE '{INDEX}'),
                 ends AS (SELECT person_id, max(observation_period_end_date) AS e
                          FROM {csv_("OBSERVATION_PERIOD")} GROUP BY 1)
            SELECT 2, person_id, min(d), coalesce(max(ends.e), min(d))
            FROM ev LEFT JOIN ends USING (person_id) GROUP BY person_id ORDER BY person_id"""
    ).fetchall()
    assert got == [tuple(r) for r in expected] and len(got) == 23
    visits = duckdb.sql(
        f"select person_id, min(visit_start_date) from {csv_('VISIT_OCCURRENCE')} group by 1"
    ).fetchall()
    first_visit = dict(visits)
    assert any(first_visit[person] < start for _, person, start, _ in got)  # visits not counted


def test_v54_upper_case_files_and_concept_sets(synthea, data_dir):
    folder = data_dir("omop", "synthea27nj_v5.4_csv")
    assert synthea.version == "5.4"
    patients = patients_view(synthea).to_pandas()
    assert len(patients) == 28 and set(patients.sex) <= {"male", "female", "unknown"}
    top = duckdb.sql(
        f"select condition_concept_id from read_csv_auto('{folder}/CONDITION_OCCURRENCE.csv') "
        "group by 1 order by count(distinct person_id) desc limit 1"
    ).fetchall()[0][0]
    concept_set = load_concept_set({"items": [{"concept": {"CONCEPT_ID": int(top)}}]}, name="top")
    table = screen_cdm(
        synthea, {"top_condition": concept_set}, index_date=INDEX, features=["top_condition"]
    )
    found = set(table.filter(table.top_condition).to_pandas().patient_id)
    assert (
        found == _direct_persons(folder, "CONDITION_OCCURRENCE.csv", [int(top)])
        and len(found) == 23
    )


def test_exclusion_and_mapped_items(synthea):
    included = {"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}
    excluded = {"concept": {"CONCEPT_ID": 40481087}, "isExcluded": True}
    none = resolve_concept_set(synthea, load_concept_set({"items": [included, excluded]}))
    assert none.to_pyarrow().num_rows == 0
    mapped = resolve_concept_set(
        synthea, load_concept_set({"items": [{**included, "includeMapped": True}]})
    )
    ids = set(mapped.to_pyarrow().column(0).to_pylist())
    assert 40481087 in ids and len(ids) >= 1


def test_absence_is_read_from_value_as_concept(tmp_path):
    header = {
        "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n1,8532,1960,1,2,\n2,8507,1970,,,\n",
        "concept": "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n"
        "9189,Negative,Meas Value,LOINC,Answer,S,LA6577-6\n",
        "concept_ancestor": "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation\n",
        "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
        "observation": "observation_id,person_id,observation_concept_id,observation_date,value_as_number,"
        "value_as_concept_id,unit_source_value\n1,1,4000,2020-01-01,,9189,\n2,2,4000,2020-01-01,,,\n",
    }
    for name, text in header.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    cdm = open_cdm(tmp_path)
    concept_set = load_concept_set({"items": [{"concept": {"CONCEPT_ID": 4000}}]})
    facts = facts_view(cdm, {"anti_pm_scl": concept_set}).to_pandas()
    assert dict(zip(facts.patient_id, facts.status, strict=True)) == {"1": "absent", "2": "present"}
    table = screen_cdm(
        cdm, {"anti_pm_scl": concept_set}, index_date=INDEX, features=["anti_pm_scl"]
    ).to_pandas()
    assert dict(zip(table.patient_id, table.anti_pm_scl, strict=True)) == {"1": False, "2": True}


def test_events_of_a_person_id_not_in_person_are_counted_as_skipped(tmp_path):
    """An event (or visit) whose person_id PERSON lacks is counted by table, never dropped silently."""
    tables = {
        "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n"
        "1,8532,1960,,,\n",
        "concept": "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n",
        "concept_ancestor": "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,max_levels_of_separation\n",
        "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
        "observation": "observation_id,person_id,observation_concept_id,observation_date,"
        "value_as_number,value_as_concept_id,unit_source_value\n"
        "1,1,4000,2020-01-01,,,\n2,7,4000,2020-01-01,,,\n3,8,4000,2020-02-01,,,\n",
        "visit_occurrence": "visit_occurrence_id,person_id,visit_concept_id,visit_start_date\n"
        "1,1,9202,2020-01-01\n2,9,9202,2020-01-01\n",
    }
    for name, text in tables.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    concept_set = load_concept_set({"items": [{"concept": {"CONCEPT_ID": 4000}}]})
    result = read_cdm(open_cdm(tmp_path), {"anti_pm_scl": concept_set})
    assert {f.patient_id for f in result.batch.facts} == {"1"}
    assert result.skipped == Counter(
        {("observation", NO_PERSON): 2, ("visit_occurrence", NO_PERSON): 1}
    )


def test_missing_tables_and_bad_concept_sets(tmp_path):
    (tmp_path / "person.csv").write_text("person_id\n1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="concept_ancestor"):
        open_cdm(tmp_path)
    with pytest.raises(ValidationError, match="CONCEPT_ID"):
        load_concept_set({"items": [{"concept": {"CONCEPT_ID": "x"}}]})
    path = tmp_path / "cs.json"
    path.write_text(json.dumps({"expression": RA, "name": "RA"}), encoding="utf-8")
    assert load_concept_set(path).name == "RA"


def test_a_text_value_in_a_number_or_date_column_names_file_row_and_column(data_dir, tmp_path):
    """One bad cell makes DuckDB read the column as text: refused up front, never cast away."""
    source = data_dir("omop", "eunomia_gibleed_v5.3_csv")
    for name in ("person", "concept", "concept_ancestor", "concept_relationship"):
        lines = (source / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        if name == "person":
            cells = lines[2].split(",")
            cells[2] = "19x0"  # year_of_birth of the second data row
            lines[2] = ",".join(cells)
            cells = lines[5].split(",")
            cells[5] = "1950-13-45 00:00:00"  # birth_datetime is not read: no problem
            lines[5] = ",".join(cells)
        (tmp_path / f"{name}.csv").write_text("\n".join(lines[:50]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        open_cdm(tmp_path)
    problems = caught.value.problems
    assert [(p.location, p.field) for p in problems] == [("row 2", "year_of_birth")]
    assert problems[0].source.endswith("person.csv")
    assert problems[0].message == "'19x0' is not an integer"


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_cdm_gives_the_duckdb_answer(synthea, postgres_database):
    from calciscope.engine import connect

    url = postgres_database()
    con = connect(url)
    for name in (
        "person",
        "concept",
        "concept_ancestor",
        "concept_relationship",
        "condition_occurrence",
        "observation",
        "observation_period",
        "cdm_source",
    ):
        con.create_table(name, synthea.tables[name].to_pyarrow())
    con.disconnect()
    sets = {
        "viral_sinusitis": load_concept_set(
            {"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}]}
        )
    }
    on_postgres = open_cdm(url)
    try:
        assert on_postgres.version == "5.4"
        rows = lambda cdm: sorted(  # noqa: E731
            map(
                tuple,
                screen_cdm(cdm, sets, index_date=INDEX, features=["viral_sinusitis"])
                .to_pandas()
                .values.tolist(),
            )
        )
        assert rows(on_postgres) == rows(synthea) and len(rows(synthea)) == 28
        cohort = cohort_table(
            on_postgres, sets, "viral_sinusitis", cohort_definition_id=1, index_date=INDEX
        )
        assert cohort.count().execute() == 23
    finally:
        on_postgres.close()


def test_criteria_and_phenotypes_run_inside_the_cdm_database(tmp_path):
    files = {
        "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n1,8532,1960,1,2,\n2,8507,1970,,,\n",
        "concept": "concept_id,concept_name\n4000,Systemic sclerosis\n",
        "concept_ancestor": "ancestor_concept_id,descendant_concept_id\n",
        "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
        "condition_occurrence": "condition_occurrence_id,person_id,condition_concept_id,condition_start_date\n1,1,4000,2019-05-06\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    cdm = open_cdm(tmp_path)
    sets = {"ssc_diagnosis": load_concept_set({"items": [{"concept": {"CONCEPT_ID": 4000}}]})}
    table = classify_cdm(cdm, sets, index_date=INDEX).to_pandas().set_index("patient_id")
    assert {"ssc2013_status", "iim2017_category", "extensive_sheet_like_calcinosis"} <= set(
        table.columns
    )
    assert list(table.index) == ["1", "2"] or sorted(table.index) == ["1", "2"]
    assert set(table.ssc2013_status) == {
        "undetermined"
    }  # items unknown: the score bounds stay open


def test_note_nlp_rows_for_note_derived_facts():
    provenance = json.dumps(
        {
            "note_id": "N1",
            "start": 40,
            "end": 57,
            "text": "sheet-like calcinosis",
            "rule": "calcinosis",
            "modifiers": {"negated": False},
            "engine": "1.0",
        }
    )
    facts = [
        Fact(
            patient_id="P1",
            system="HP",
            code="HP:0003761",
            status=Status.PRESENT,
            source_kind=SourceKind.NOTE,
            provenance=provenance,
            review_state=ReviewState.SUGGESTED,
            morphology=Morphology.SHEET_LIKE,
        ),
        Fact(
            patient_id="P1",
            system="HP",
            code="HP:0003761",
            status=Status.ABSENT,
            source_kind=SourceKind.NOTE,
            provenance=provenance.replace("40", "90"),
            effective_date=dt.date(2020, 1, 2),
        ),
        Fact(
            patient_id="P1",
            system="HP",
            code="HP:0003761",
            source_kind=SourceKind.IMPORT,
            provenance="x.csv row 2",
        ),
    ]
    table = note_nlp_rows(
        facts, concept_ids={("HP", "HP:0003761"): 4253370}, nlp_date=dt.date(2026, 1, 1)
    )
    rows = table.to_pylist()
    assert tuple(table.column_names) == NOTE_NLP_COLUMNS and len(rows) == 2
    assert [r["term_exists"] for r in rows] == ["Y", "N"] and rows[0]["offset"] == "40"
    assert (
        rows[0]["note_id"] == stable_note_id("N1") > 0 and rows[0]["note_nlp_concept_id"] == 4253370
    )
    assert "morphology=sheet_like" in rows[0]["term_modifiers"] and rows[1]["nlp_date"] == dt.date(
        2020, 1, 2
    )
