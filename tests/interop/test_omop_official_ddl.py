"""CDMs as OHDSI sites build them: INTEGER ids (official v5.4 DDL, Parquet), tab-separated files.

The official PostgreSQL DDL, primary keys and foreign keys are OHDSI/CommonDataModel's
(../shared/data/omop/ddl, see its README.md); the rows are Synthea27Nj's (OHDSI/EunomiaDatasets).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.omop import (
    MAX_CDM_ID,
    PatientIdColumn,
    build_cdm,
    load_concept_set,
    note_id_map,
    open_cdm,
    screen_cdm,
)
from calciscope.model import Fact, Note, Patient, ReviewState, Sex, SourceKind, Status

INDEX = dt.date(2030, 1, 1)
#: Synthea27Nj persons with a viral sinusitis (40481087 and descendants) condition.
SINUSITIS = {"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}]}
SINUSITIS_PERSONS = 23
#: Tables copied from Synthea27Nj into the official DDL (what calciscope reads).
LOADED = (
    "person", "concept", "concept_ancestor", "concept_relationship", "condition_occurrence",
    "observation", "measurement", "procedure_occurrence", "observation_period", "visit_occurrence",
    "death", "note", "cdm_source",
)  # fmt: skip


def _sql(data_dir, part):
    text = (data_dir("omop", "ddl") / f"OMOPCDM_postgresql_5.4_{part}.sql").read_text()
    return text.replace("@cdmDatabaseSchema", "public")


def _conninfo(url):
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _copy_csv(conn, table, path):
    """Load a CSV file (header row) into a table, as OHDSI's loaders do (empty cell = NULL)."""
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f'"{c.lower()}"' for c in header)
    with conn.cursor() as cursor:
        sql = f"COPY public.{table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cursor.copy(sql) as copy:
            copy.write(path.read_bytes())


def _official_cdm(url, data_dir, files):
    """Create every CDM table with the official DDL, load ``files``, then add keys and constraints."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute(_sql(data_dir, "ddl"))
        for table, path in files.items():
            _copy_csv(conn, table, path)
        conn.execute(_sql(data_dir, "primary_keys"))
        conn.execute(_sql(data_dir, "constraints"))


def _sinusitis_sets(tmp_path):
    path = tmp_path / "viral_sinusitis.json"
    path.write_text(json.dumps(SINUSITIS), encoding="utf-8")
    return {"viral_sinusitis": path}


@pytest.mark.postgres
@pytest.mark.slow
def test_cdm_built_with_the_official_ddl_imports_and_screens(data_dir, postgres_database, tmp_path):
    folder = data_dir("omop", "synthea27nj_v5.4_csv")
    url = postgres_database()
    files = {name: folder / f"{name.upper()}.csv" for name in LOADED}
    # Synthea27Nj's vocabulary shard lacks concepts its rows use: load without foreign keys.
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute(_sql(data_dir, "ddl"))
        for table, path in files.items():
            _copy_csv(conn, table, path)
        conn.execute(_sql(data_dir, "primary_keys"))
    cdm = open_cdm(url)
    try:
        assert cdm.tables["person"].schema()["person_id"].is_integer()
        sets = {"viral_sinusitis": load_concept_set(SINUSITIS)}
        table = screen_cdm(cdm, sets, index_date=INDEX, features=["viral_sinusitis"]).to_pandas()
        assert len(table) == 28 and int(table.viral_sinusitis.eq(True).sum()) == 23
    finally:
        cdm.close()
    registry = api.open_registry(f"sqlite:///{tmp_path}/registry.db")
    result = api.import_omop(registry, url, _sinusitis_sets(tmp_path))
    assert result.read.mapped["person"] == SINUSITIS_PERSONS
    out = CliRunner().invoke(
        app,
        ["import", "omop", url, "--concept-set", f"viral_sinusitis={tmp_path / 'viral_sinusitis.json'}",
         "--db", f"sqlite:///{tmp_path}/cli.db"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "Traceback" not in out.output


def _parquet_cdm(source, target):
    """Write a CSV CDM as Parquet with 32-bit INTEGER ids, like Eunomia's Parquet CDMs."""
    target.mkdir()
    for path in source.glob("*.csv"):
        if path.stem.lower() not in LOADED:
            continue
        relation = duckdb.read_csv(str(path))
        columns = [
            f'CAST("{c}" AS INTEGER) AS "{c}"'
            if str(t) == "BIGINT" and c.endswith(("_id", "_of_birth"))
            else f'"{c}"'
            for c, t in zip(relation.columns, relation.types, strict=True)
        ]
        duckdb.sql(
            f"COPY (SELECT {', '.join(columns)} FROM read_csv_auto('{path}')) "
            f"TO '{target / path.stem.lower()}.parquet' (FORMAT parquet)"
        )


def test_parquet_cdm_with_integer_ids_imports(data_dir, tmp_path):
    _parquet_cdm(data_dir("omop", "synthea27nj_v5.4_csv"), tmp_path / "cdm")
    cdm = open_cdm(tmp_path / "cdm")
    try:
        assert str(cdm.tables["person"].schema()["person_id"]) == "int32"
    finally:
        cdm.close()
    registry = api.open_registry(f"sqlite:///{tmp_path}/registry.db")
    result = api.import_omop(registry, tmp_path / "cdm", _sinusitis_sets(tmp_path))
    assert result.read.mapped["person"] == SINUSITIS_PERSONS
    assert registry.counts()["patients"] == SINUSITIS_PERSONS


def _rewrite(source, target, delimiter, tables=LOADED):
    target.mkdir()
    for path in source.glob("*.csv"):
        if path.stem.lower() in tables:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle))
            with (target / path.name).open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, delimiter=delimiter).writerows(rows)


def test_tab_separated_files_named_csv_are_read(data_dir, tmp_path):
    _rewrite(data_dir("omop", "synthea27nj_v5.4_csv"), tmp_path / "cdm", "\t")
    registry = api.open_registry(f"sqlite:///{tmp_path}/registry.db")
    result = api.import_omop(registry, tmp_path / "cdm", _sinusitis_sets(tmp_path))
    assert result.read.mapped["person"] == SINUSITIS_PERSONS


def test_other_separators_and_unreadable_files_are_refused_by_file_and_column(data_dir, tmp_path):
    _rewrite(data_dir("omop", "synthea27nj_v5.4_csv"), tmp_path / "cdm", ";")
    (tmp_path / "cdm" / "PERSON.csv").write_bytes(b"\x00\xff\xfe not a table")
    with pytest.raises(ValidationError) as caught:
        open_cdm(tmp_path / "cdm")
    by_source = {(p.source.rsplit("/", 1)[-1], p.field) for p in caught.value.problems}
    assert ("CONDITION_OCCURRENCE.csv", "condition_concept_id") in by_source
    assert ("PERSON.csv", "") in by_source
    assert "missing" not in {p.message for p in caught.value.problems if p.field == "person"}


def test_a_bad_value_deep_in_a_file_is_a_problem_not_a_traceback(data_dir, tmp_path):
    # DuckDB types a column from the first rows; a bad value further down fails the query.
    folder = tmp_path / "cdm"
    _rewrite(data_dir("omop", "synthea27nj_v5.4_csv"), folder, ",")
    path = folder / "CONDITION_OCCURRENCE.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    filler = [",".join([str(10**6 + i), cells[1], "0", *cells[3:]]) for i in range(60000)]
    bad = ",".join(["999999", "not-a-number", *cells[2:]])
    path.write_text("\n".join([*lines, *filler, bad]) + "\n", encoding="utf-8")
    registry = api.open_registry(f"sqlite:///{tmp_path}/registry.db")
    with pytest.raises(ValidationError, match=r"CONDITION_OCCURRENCE\.csv"):
        api.import_omop(registry, folder, _sinusitis_sets(tmp_path))
    assert registry.counts()["patients"] == 0


def _small_export():
    patients = [
        Patient(patient_id="A1", sex=Sex.FEMALE, birth_year=1960, centre="North", synthetic=True),
        Patient(patient_id="B2", sex=Sex.MALE, birth_year=1970, synthetic=True),
    ]
    facts = [
        Fact(patient_id="A1", system="calciscope", code="calcinosis", status=Status.PRESENT,
             effective_date=dt.date(2020, 1, 2)),
        Fact(patient_id="B2", system="calciscope", code="visit", status=Status.PRESENT,
             effective_date=dt.date(2021, 3, 4)),
        Fact(patient_id="B2", system="calciscope", code="calcinosis", status=Status.PRESENT,
             source_kind=SourceKind.NOTE, review_state=ReviewState.SUGGESTED,
             provenance='{"note_id": "B2-note", "start": 0, "end": 10, "text": "calcinosis"}',
             effective_date=dt.date(2021, 3, 4)),
    ]  # fmt: skip
    notes = [
        Note(note_id="B2-note", patient_id="B2", text="Calcinosis.", note_date=dt.date(2021, 3, 4))
    ]
    return build_cdm(patients, facts, notes, today=dt.date(2026, 1, 1))


def test_export_ids_fit_integer_columns_and_every_concept_is_described():
    export = _small_export()
    described = {r["concept_id"] for r in export.tables["concept"]}
    used = {
        value
        for rows in export.tables.values()
        for row in rows
        for column, value in row.items()
        if column.endswith("_concept_id") and value is not None
    }
    assert {0, 8507, 8532, 32879, 756265} <= used <= described
    ids = [
        value
        for rows in export.tables.values()
        for row in rows
        for column, value in row.items()
        if column.endswith("_id") and isinstance(value, int)
    ]
    assert max(ids) <= MAX_CDM_ID
    note_id = export.tables["note"][0]["note_id"]
    assert export.tables["note_nlp"][0]["note_id"] == note_id <= MAX_CDM_ID
    vocabularies = {r["vocabulary_id"] for r in export.tables["vocabulary"]}
    assert {r["vocabulary_id"] for r in export.tables["concept"]} == vocabularies


def test_note_ids_are_distinct_and_stable():
    ids = [f"N{i}" for i in range(2000)]
    numbers = note_id_map(ids)
    assert len(set(numbers.values())) == 2000 and numbers == note_id_map(reversed(ids))
    assert all(1 <= n <= MAX_CDM_ID for n in numbers.values())


@pytest.mark.postgres
@pytest.mark.slow
def test_demo_export_loads_into_the_official_ddl_with_its_keys(
    demo_registry_url, data_dir, postgres_database, tmp_path
):
    registry = api.open_registry(demo_registry_url)
    api.export_omop(registry, tmp_path / "cdm", today=dt.date(2026, 1, 1))
    files = {p.stem: p for p in (tmp_path / "cdm").glob("*.csv")}
    url = postgres_database()
    _official_cdm(url, data_dir, files)  # raises on any type, NOT NULL, key or FK violation
    cdm = open_cdm(url, patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE)
    try:
        persons = cdm.tables["person"].count().execute()
        assert persons == registry.counts()["patients"]
    finally:
        cdm.close()
    back = api.open_registry(f"sqlite:///{tmp_path}/back.db")
    sets = api.concept_set_files([tmp_path / "cdm" / "concept_sets"])
    api.import_omop(back, url, sets, patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE)
    assert back.counts()["notes"] == registry.counts()["notes"]
