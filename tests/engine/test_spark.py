"""Spark through Ibis' PySpark backend, and engine equality: SQLite = DuckDB = Spark (= PostgreSQL).

One local SparkSession (``local[2]``, two shuffle partitions, no UI) serves every test. Cohorts
are the SYNTHETIC demo generator's at fixed seeds: a small generated cohort, imported into an
SQLite registry, a Spark registry (Parquet warehouse) and, under marker postgres, a PostgreSQL
registry; DuckDB computes from the same rows in memory (as the study does). The feature table,
every criteria set and the phenotypes are compared cell by cell, and the study headline as a
whole. URL handling and the refusals need no Spark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.criteria import clean_value
from calciscope.engine import compute_feature_table, connect
from calciscope.engine.phenotype import classify_table
from calciscope.engine.spark import (
    DEFAULT_JAVA_OPTIONS,
    JVM_MALLOC_ARENAS,
    jvm_environment,
    local_options,
    normalise_spark_url,
    parse_spark_url,
)
from calciscope.errors import MissingExtraError, RegistryError
from calciscope.model import ReviewState
from calciscope.storage import schema
from calciscope.storage.database_url import display_url, hide_password, normalise_url

INDEX = dt.date(2024, 6, 30)
SEED, PATIENTS = 11, 40


# --- URLs: no Spark needed ------------------------------------------------------------------
def test_spark_urls_are_normalised_in_the_one_normaliser(tmp_path: Path) -> None:
    here = Path.cwd() / "calciscope-warehouse"
    assert normalise_url("spark://local") == f"spark://local?warehouse={here}"
    url = normalise_url(f"spark://local?warehouse={tmp_path}&master=local[2]")
    assert url == f"spark://local?warehouse={tmp_path}&master=local[2]"
    assert parse_spark_url(url).master == "local[2]"
    assert normalise_spark_url("sc://h:15002") == "sc://h:15002"
    remote = parse_spark_url("sc://h:15002/;token=abc;database=cdm;use_ssl=true")
    assert (remote.remote, remote.database) == ("sc://h:15002/;token=abc;use_ssl=true", "cdm")


def test_spark_connect_token_is_never_shown() -> None:
    url = "sc://cluster.example:443/;token=s3cr3t;use_ssl=true"
    assert display_url(url) == "sc://cluster.example:443/;token=***;use_ssl=true"
    assert "s3cr3t" not in hide_password(f"cannot connect to {url}", url)


def test_a_plain_install_names_the_spark_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingExtraError, match=r"calciscope\[spark\]"):
        api.open_registry(f"spark://local?warehouse={tmp_path}")
    with pytest.raises(MissingExtraError, match=r"calciscope\[spark\]"):
        connect(f"spark://local?warehouse={tmp_path}")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("spark://cluster:7077", "use spark://local?warehouse=PATH"),
        ("spark://local?wh=/x", "unknown parameter 'wh'"),
    ],
)
def test_bad_spark_urls_say_what_to_write(url: str, why: str) -> None:
    with pytest.raises(RegistryError, match=why.replace("?", r"\?")):
        parse_spark_url(url)


def test_the_local_jvm_alone_gets_few_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    with jvm_environment():  # what PySpark copies into the JVM's environment
        assert os.environ["MALLOC_ARENA_MAX"] == JVM_MALLOC_ARENAS == "2"
    assert "MALLOC_ARENA_MAX" not in os.environ  # this process's environment as it was
    with jvm_environment(submitted=True):  # spark-submit's JVM runs already
        assert "MALLOC_ARENA_MAX" not in os.environ
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")  # the caller's choice wins and stays
    with jvm_environment():
        assert os.environ["MALLOC_ARENA_MAX"] == "8"
    assert os.environ["MALLOC_ARENA_MAX"] == "8"


def test_local_session_settings_have_laptop_defaults_and_take_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("DRIVER_MEMORY", "CACHE", "JAVA_OPTIONS", "CONF", "PARTITIONS", "UI", "PAGE_SIZE"):
        monkeypatch.delenv(f"CALCISCOPE_SPARK_{name}", raising=False)
    options = local_options(tmp_path)
    # the 768 MB heap and the capped JVM areas held the 1 M-patient study under 2 GB with the
    # driver (docs/scale.md); smaller pages waste less of that heap
    assert options["spark.driver.memory"] == "768m"
    assert options["spark.buffer.pageSize"] == "2m"
    assert "-XX:MaxMetaspaceSize=256m" in DEFAULT_JAVA_OPTIONS
    assert options["spark.sql.defaultCacheStorageLevel"] == "DISK_ONLY"
    assert options["spark.driver.extraJavaOptions"] == DEFAULT_JAVA_OPTIONS
    assert "-XX:+UseSerialGC" in DEFAULT_JAVA_OPTIONS
    assert options["spark.ui.enabled"] == "false"
    assert options["spark.sql.warehouse.dir"] == str(tmp_path)
    # under spark-submit the cluster's settings size the session: none of calciscope's defaults
    submitted = local_options(tmp_path, submitted=True)
    assert (
        "spark.driver.memory" not in submitted and "spark.sql.shuffle.partitions" not in submitted
    )
    assert submitted["spark.sql.session.timeZone"] == "UTC"
    monkeypatch.setenv("CALCISCOPE_SPARK_DRIVER_MEMORY", "4g")
    monkeypatch.setenv("CALCISCOPE_SPARK_CACHE", "MEMORY_AND_DISK")
    monkeypatch.setenv("CALCISCOPE_SPARK_JAVA_OPTIONS", "-XX:+UseG1GC")
    monkeypatch.setenv(
        "CALCISCOPE_SPARK_CONF", "spark.sql.shuffle.partitions=64; spark.local.dir=/scratch/x;"
    )
    options = local_options(tmp_path)
    assert options["spark.driver.memory"] == "4g"
    assert options["spark.sql.defaultCacheStorageLevel"] == "MEMORY_AND_DISK"
    assert options["spark.driver.extraJavaOptions"] == "-XX:+UseG1GC"
    assert options["spark.sql.shuffle.partitions"] == "64"  # CALCISCOPE_SPARK_CONF wins
    assert options["spark.local.dir"] == "/scratch/x"
    assert local_options(tmp_path, submitted=True)["spark.sql.defaultCacheStorageLevel"] == (
        "MEMORY_AND_DISK"  # set explicitly: applied under spark-submit too
    )
    monkeypatch.setenv("CALCISCOPE_SPARK_CONF", "spark.local.dir=/x;partitions")
    with pytest.raises(RegistryError, match=r"'partitions' is not a Spark setting"):
        local_options(tmp_path)


def test_spark_import_stages_bulk_fact_rows_a_column_at_a_time_as_row_by_row(
    tmp_path: Path,
) -> None:
    """The Spark import's fact staging (Arrow columns cast) writes what the row path wrote."""
    from calciscope.storage.bulk import FACT_SCHEMA
    from calciscope.storage.spark_import import _arrow, _StagedFacts, _Staging

    values: dict[str, list[Any]] = {name: [None, None, None] for name in FACT_SCHEMA.names}
    values |= {
        "fact_id": ["f1", "f2", "f3"],
        "patient_id": ["P1", "P1", "P2"],
        "system": ["calciscope"] * 3,
        "code": ["calcinosis", "ck", "raynaud"],
        "status": ["present", "present", "absent"],
        "effective_date": [dt.date(2020, 1, 2), None, dt.date(2021, 3, 4)],
        "value_num": [None, 412.5, None],
        "unit": [None, "U/L", None],
        "body_site": ["hand", None, None],
        "source_kind": ["import"] * 3,
        "review_state": ["confirmed"] * 3,
    }
    rows = pa.Table.from_pydict(values, schema=FACT_SCHEMA)
    staging = _Staging(tmp_path)
    _StagedFacts(staging).write(rows, "batch-1")
    got = pq.read_table(tmp_path / "facts" / "part-000000.parquet")
    want = _arrow("facts", [r | {"batch_id": "batch-1"} for r in rows.to_pylist()])
    assert got.drop_columns(["_order"]).equals(want)
    assert got["_order"].to_pylist() == [0, 1, 2] and set(got["version"].to_pylist()) == {1}


# --- one Spark session for the module -------------------------------------------------------
@pytest.fixture(scope="module")
def spark_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("pyspark")
    os.environ.setdefault("CALCISCOPE_SPARK_PARTITIONS", "2")
    warehouse = tmp_path_factory.mktemp("warehouse")
    return f"spark://local?warehouse={warehouse}&master=local[2]"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    api.generate_demo_data(folder, patients=PATIENTS, seed=SEED, notes=False)
    return folder


@pytest.fixture(scope="module")
def sqlite_registry(cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    registry = api.open_registry(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'r.db'}")
    api.import_directory(registry, cohort)
    yield registry
    registry.close()


@pytest.fixture(scope="module")
def spark_registry(cohort: Path, spark_url: str) -> Any:
    registry = api.open_registry(spark_url)
    summary = api.import_directory(registry, cohort)
    assert summary.counts["patients"] == PATIENTS
    return registry


def _rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {r["patient_id"]: r for r in table.to_pylist()}


def _same(a: Any, b: Any) -> bool:
    a, b = clean_value(a), clean_value(b)
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def assert_same(got: pa.Table, want: pa.Table, engine: str) -> None:
    got_rows, want_rows = _rows(got), _rows(want)
    assert set(got_rows) == set(want_rows) and want_rows
    assert set(got.column_names) == set(want.column_names)
    for pid, row in want_rows.items():
        bad = {k: (got_rows[pid][k], v) for k, v in row.items() if not _same(got_rows[pid][k], v)}
        assert not bad, f"{engine} differs from SQLite for {pid}: {bad}"


def _duckdb_features(registry: Any) -> pa.Table:
    """The feature table computed by in-memory DuckDB from the registry's rows (the study's path)."""
    source = ibis.get_backend(api.feature_expression(registry, index_date=INDEX))
    con = ibis.duckdb.connect()
    con.create_table("facts", source.table("facts").to_pyarrow())
    con.create_table("patients", source.table("patients").to_pyarrow())
    states = (ReviewState.CONFIRMED,)
    table = compute_feature_table(
        con.table("facts"), con.table("patients"), index_date=INDEX, review_states=states
    )
    return table.to_pyarrow()


@pytest.fixture(scope="module")
def sqlite_features(sqlite_registry: Any) -> pa.Table:
    return api.feature_table(sqlite_registry, index_date=INDEX)


@pytest.mark.spark
def test_import_into_spark_writes_partitioned_parquet_and_is_idempotent(
    spark_registry: Any, sqlite_registry: Any, cohort: Path
) -> None:
    warehouse = parse_spark_url(spark_registry.connection_url).warehouse
    assert warehouse is not None
    buckets = sorted(p.name for p in (warehouse / "facts").iterdir() if p.is_dir())
    assert buckets and all(b.startswith("patient_bucket=") for b in buckets)
    assert pq.read_table(next((warehouse / "patients").glob("*.parquet"))).num_rows > 0
    again = api.import_directory(spark_registry, cohort)
    assert again.counts["facts_already_in_registry"] == again.counts["facts"]
    counts = spark_registry.counts()
    assert counts == sqlite_registry.counts() | {"import_batches": 2}
    # the web footer's count (web38): the same one aggregate on Spark as on SQLite
    assert spark_registry.synthetic_patients() == sqlite_registry.synthetic_patients()
    assert spark_registry.synthetic_patients() == (
        PATIENTS,
        PATIENTS,
    )  # the generator's are SYNTHETIC
    pid = "P0001"
    assert spark_registry.patient(pid) == sqlite_registry.patient(pid)
    by_id = lambda facts: sorted(facts, key=lambda f: f.fact_id)  # noqa: E731 - ties of date
    assert by_id(spark_registry.facts_for(pid)) == by_id(sqlite_registry.facts_for(pid))
    assert spark_registry.images_for(pid) == sqlite_registry.images_for(pid)


@pytest.mark.spark
def test_feature_table_sqlite_duckdb_spark_agree(
    spark_registry: Any, sqlite_registry: Any, sqlite_features: pa.Table
) -> None:
    spark = api.feature_table(spark_registry, index_date=INDEX)
    assert_same(spark, sqlite_features, "Spark")
    assert_same(_duckdb_features(sqlite_registry), sqlite_features, "DuckDB")


@pytest.mark.spark
def test_every_criteria_set_and_phenotype_agree_and_are_stored_on_spark(
    spark_registry: Any, sqlite_registry: Any
) -> None:
    from calciscope.api.criteria import classify_registry
    from calciscope.storage.classification import (
        read_classification_results,
        write_classification_results,
    )

    on_sqlite = classify_registry(sqlite_registry, index_date=INDEX)
    on_spark = classify_registry(spark_registry, index_date=INDEX)
    assert on_spark.counts == on_sqlite.counts and on_spark.rows == on_sqlite.rows
    want = read_classification_results(sqlite_registry, index_date=INDEX)
    got = read_classification_results(spark_registry, index_date=INDEX)
    assert len(got) == len(want) == on_sqlite.rows
    for a, b in zip(got, want, strict=True):
        assert (a.patient_id, a.criteria_set, a.status) == (b.patient_id, b.criteria_set, b.status)
        bad = {k: (a.result[k], v) for k, v in b.result.items() if not _same(a.result[k], v)}
        assert not bad, f"{a.patient_id} {a.criteria_set}: {bad}"
    # storing results again replaces the stored rows (keyed by patient, set and index date)
    changed = [dataclasses.replace(r, status="recomputed") for r in got[:3]]
    write_classification_results(spark_registry, changed)
    again = read_classification_results(spark_registry, index_date=INDEX)
    assert len(again) == on_sqlite.rows
    assert sum(r.status == "recomputed" for r in again) == 3


@pytest.mark.spark
def test_duckdb_classification_of_the_same_features_agrees(sqlite_features: pa.Table) -> None:
    con = ibis.duckdb.connect()
    lite = ibis.sqlite.connect()
    results = [
        classify_table(c.create_table("ft", sqlite_features), index_date=INDEX).to_pyarrow()
        for c in (con, lite)
    ]
    assert_same(results[0], results[1], "DuckDB")


@pytest.mark.spark
def test_study_headline_is_the_same_on_spark(
    spark_registry: Any,
    sqlite_registry: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from calciscope.engine import spark_arrow as engine_spark
    from calciscope.study import study_template

    # every Spark read back in pieces of a few KB, as the source population's at 1 M patients
    monkeypatch.setattr(engine_spark, "READ_PIECE_BYTES", 4096)

    study = tmp_path / "study.yaml"
    study.write_text(study_template())
    on_sqlite = api.run_study(study, sqlite_registry, out=tmp_path / "sqlite")
    with caplog.at_level(logging.INFO, logger="calciscope.engine.spark"):
        on_spark = api.run_study(study, spark_registry, out=tmp_path / "spark")
    assert on_spark.headline == on_sqlite.headline
    # every Spark query of the study is logged under the study step that asked for it
    steps = [r.getMessage() for r in caplog.records if r.name == "calciscope.engine.spark"]
    for step in ("StudyQuery.counts", "StudyQuery.variant_cases", "StudyQuery.population"):
        started = [m for m in steps if f"_read_back > {step}" in m and "characters of SQL" in m]
        assert any("reads ibis_cached_" in m for m in started), step
    assert any("run_study > _read_back > StudyQuery.report_facts" in m for m in steps)
    assert any(m.endswith(" s") and " done in " in m for m in steps)
    assert on_sqlite.headline.source_population > 0
    # Table 6: every sensitivity analysis, from the one query over the classified tables
    assert on_sqlite.analysis.sensitivity is not None and len(on_sqlite.analysis.sensitivity) > 1
    pd.testing.assert_frame_equal(on_spark.analysis.sensitivity, on_sqlite.analysis.sensitivity)


@pytest.mark.spark
def test_local_session_runs_with_calciscope_jvm_flags_and_gives_memory_back(
    spark_registry: Any,
) -> None:
    from calciscope.engine.spark import spark_session

    session = spark_session(spark_registry.connection_url)
    assert session.conf.get("spark.sql.defaultCacheStorageLevel") == "DISK_ONLY"
    jvm = session._jvm
    flags = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert "-XX:+UseSerialGC" in flags and "-XX:-ShrinkHeapInSteps" in flags
    # a cached table is on disk, not in the heap; dropping the last one collects the heap
    con = connect(spark_registry.connection_url)
    cached = con.table("facts").group_by("patient_id").aggregate(n=ibis._.count()).cache()
    assert cached.count().execute() == PATIENTS
    frame = next(iter(con._cached_dataframes.values()))
    assert frame.storageLevel.useDisk and not frame.storageLevel.useMemory
    bean = jvm.java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()
    collections = sum(b.getCollectionCount() for b in bean)
    cached.release()
    assert not con._cached_dataframes
    assert sum(b.getCollectionCount() for b in bean) > collections


@pytest.mark.spark
def test_large_reads_come_back_in_pieces_with_the_same_rows(
    spark_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calciscope.engine import spark_arrow as engine_spark
    from calciscope.engine.spark import (
        TableStore,
        arrow_batches,
        read_arrow,
        read_in_pieces,
        spark_session,
    )

    session = spark_session(spark_url)
    rows = session.range(0, 20_000, 1, 2).selectExpr(
        "id",
        "concat('P', cast(id AS string)) AS patient_id",
        "date_add(date'2020-01-01', CAST(id % 400 AS int)) AS d",
        "map('n', id) AS m",  # a map: not hashed, still read back
    )
    cached = rows.cache()  # a cached table in two partitions, as the study's source population
    assert cached.count() == 20_000
    pieces = read_in_pieces(cached, piece_bytes=1)  # a piece per byte would be too many
    assert pieces.rdd.getNumPartitions() == 64  # at most 64
    assert read_in_pieces(cached) is cached  # a small result is read as it is
    ordered = cached.orderBy("id").limit(500)
    assert read_in_pieces(ordered, piece_bytes=1) is ordered  # an order is kept: not spread
    assert sorted(map(tuple, pieces.collect())) == sorted(map(tuple, cached.collect()))
    # read a partition at a time as Arrow batches: the rows and types of toArrow
    plain = cached.drop("m")
    batches = list(arrow_batches(read_in_pieces(plain, piece_bytes=1)))
    assert len(batches) >= 64 and sum(b.num_rows for b in batches) == 20_000
    whole = plain.toArrow()
    streamed = pa.Table.from_batches(batches)
    assert streamed.schema == whole.schema
    assert streamed.sort_by("id").equals(whole.sort_by("id"))
    assert read_arrow(plain).equals(whole)  # a small result: toArrow, as before
    # a PySpark without the internals the pieces are read by: toArrow, the same rows
    import pyspark.util

    with monkeypatch.context() as patched:
        patched.delattr(pyspark.util, "_local_iterator_from_socket")
        patched.setattr(engine_spark, "READ_PIECE_BYTES", 1)
        fallback = read_arrow(plain)
    assert fallback.sort_by("id").equals(whole.sort_by("id"))
    cached.unpersist()
    # through the Ibis backend: every read back in pieces of 2 KB, the same Arrow table
    store = TableStore(spark_url)
    store.replace("pieces_rows", rows.drop("m"))
    monkeypatch.setattr(engine_spark, "READ_PIECE_BYTES", 2048)
    table = connect(spark_url).table("pieces_rows")
    try:
        assert table.to_pyarrow().sort_by("id").equals(table.order_by("id").to_pyarrow())
    finally:
        store.drop("pieces_rows")  # the module's registry shares the warehouse


@pytest.mark.spark
def test_a_failing_spark_query_names_the_calciscope_step_that_ran_it(
    spark_registry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from calciscope.engine.readback import read_frame
    from calciscope.engine.spark_labels import study_step

    con = connect(spark_registry.connection_url)
    facts = con.table("facts")
    # Spark's ANSI mode refuses a text that is not a number when the query runs, as a JVM
    # error does: the error carries the step and the query's number as a note
    bad = facts.select(n=facts.patient_id.cast("int64")).limit(5)
    with (
        caplog.at_level(logging.INFO, logger="calciscope.engine.spark"),
        pytest.raises(Exception) as raised,
    ):
        read_frame(bad)  # a calciscope function: the step's name
    notes = getattr(raised.value, "__notes__", [])
    assert len(notes) == 1 and notes[0].startswith("calciscope query ")
    assert notes[0].endswith(": read_frame > read_arrow [to_pyarrow; reads no cached table] failed")
    label = notes[0].split(" [")[0]
    number = int(label.split()[2].rstrip(":"))
    logged = [r.getMessage() for r in caplog.records if r.name == "calciscope.engine.spark"]
    assert any(m.startswith(f"{label} failed after ") for m in logged)
    # the next query is the next number, labelled once though Ibis' read runs through two
    # of the backend's methods; a query asked outside calciscope says so
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="calciscope.engine.spark"):
        assert con.execute(facts.count()) > 0
    assert caplog.messages[0].startswith(f"calciscope query {number + 1}: (not called from")
    assert len(caplog.messages) == 2 and " done in " in caplog.messages[1]
    assert study_step() == "(not called from calciscope)"  # a test is not calciscope
    # each connection numbers its own queries (no counter shared by the process)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="calciscope.engine.spark"):
        assert connect(spark_registry.connection_url).execute(facts.count()) > 0
    assert caplog.messages[0].startswith("calciscope query 1: ")


@pytest.mark.spark
def test_review_writes_are_refused_on_spark_with_a_clear_message(spark_registry: Any) -> None:
    with pytest.raises(RegistryError, match=r"transactional database.*SQLite or PostgreSQL"):
        spark_registry.set_review_state("f", "confirmed")
    with pytest.raises(RegistryError, match="review workspace"):
        api.list_users(spark_registry)


@pytest.mark.spark
def test_omop_screening_in_spark_gives_the_duckdb_answer(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory, spark_url: str
) -> None:
    from calciscope.interop.omop import cohort_table, load_concept_set, open_cdm, screen_cdm

    synthea = open_cdm(shared_data / "omop" / "synthea27nj_v5.4_csv")
    warehouse = tmp_path_factory.mktemp("cdm")
    for name in ("person", "concept", "concept_ancestor", "concept_relationship",
                 "condition_occurrence", "observation", "observation_period", "cdm_source"):  # fmt: skip
        (warehouse / name).mkdir()
        pq.write_table(synthea.tables[name].to_pyarrow(), warehouse / name / "part-0.parquet")
    sets = {
        "viral_sinusitis": load_concept_set(
            {"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": True}]}
        )
    }
    on_spark = open_cdm(f"spark://local?warehouse={warehouse}&master=local[2]")
    assert on_spark.version == "5.4"

    def rows(cdm: Any) -> list[tuple[Any, ...]]:
        table = screen_cdm(cdm, sets, index_date=dt.date(2030, 1, 1), features=["viral_sinusitis"])
        return sorted(tuple(r.values()) for r in table.to_pyarrow().to_pylist())

    assert rows(on_spark) == rows(synthea) and len(rows(synthea)) == 28
    cohort = cohort_table(
        on_spark, sets, "viral_sinusitis", cohort_definition_id=1, index_date=dt.date(2030, 1, 1)
    )
    assert cohort.count().execute() == 23


@pytest.mark.postgres
def test_postgres_registry_agrees_as_well(
    cohort: Path, postgres_database: Any, sqlite_features: pa.Table
) -> None:
    registry = api.open_registry(postgres_database())
    try:
        api.import_directory(registry, cohort)
        features = api.feature_table(registry, index_date=INDEX)
        assert_same(features, sqlite_features, "PostgreSQL")
    finally:
        registry.close()


@pytest.mark.spark
def test_a_changed_patient_is_refused_or_replaced_on_spark_as_on_sqlite(
    spark_registry: Any, cohort: Path, tmp_path: Path
) -> None:
    from calciscope.errors import ValidationError

    lines = (cohort / "patients.csv").read_text().splitlines()
    header, first = lines[0], lines[1].split(",")
    first[1] = "male" if first[1] == "female" else "female"
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "patients.csv").write_text(f"{header}\n{','.join(first)}\n")
    before = spark_registry.patient(first[0])
    with pytest.raises(ValidationError, match="cannot import"):
        api.import_directory(spark_registry, changed)
    assert spark_registry.patient(first[0]) == before
    summary = api.import_directory(spark_registry, changed, update_patients=True)
    assert summary.counts["patients_updated"] == 1
    after = spark_registry.patient(first[0])
    assert after is not None and after.sex.value == first[1]
    assert spark_registry.counts()["patients"] == PATIENTS


@pytest.mark.spark
def test_source_ids_are_kept_on_spark_across_imports(spark_url: str, tmp_path: Path) -> None:
    """'Case 4' imported once, 'Case/4' later would merge into it: refused on Spark as on SQLite."""
    import json

    from calciscope.errors import ValidationError

    def packet(packet_id: str) -> Path:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.json"
        data = {
            "id": packet_id,
            "subject": {"id": packet_id, "sex": "FEMALE"},
            "phenotypicFeatures": [{"type": {"id": "HP:0100774", "label": "Hyperostosis"}}],
            "metaData": {"created": "2026-01-01T00:00:00Z", "createdBy": "test"},
        }
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    warehouse = parse_spark_url(spark_url).warehouse
    assert warehouse is not None
    registry = api.open_registry(f"spark://local?warehouse={warehouse.parent / 'ids'}")
    first = packet("Case 4")
    api.import_phenopackets(registry, [first])
    with pytest.raises(ValidationError) as caught:
        api.import_phenopackets(registry, [packet("Case/4")])
    (problem,) = caught.value.problems
    assert "'Case/4' becomes patient id 'Case_4'" in problem.message
    assert "holds for 'Case 4'" in problem.message
    api.import_phenopackets(registry, [first])  # the same source id again still matches
    source_ids = registry.store.read("patient_source_ids").collect()
    assert [(r.patient_id, r.source_id) for r in source_ids] == [("Case_4", "Case 4")]


def _ck(value: float, *, patient: str = "P1", unit_code: str | None = None) -> Any:
    """A SYNTHETIC CK result of one source record (``ck.json``'s Observation/ck1)."""
    from calciscope.model import Fact, SourceKind, Status

    return Fact(
        patient_id=patient,
        system="LOINC",
        code="2157-6",
        status=Status.PRESENT,
        effective_date=dt.date(2021, 3, 4),
        value_num=value,
        unit="U/L",
        unit_code=unit_code,
        source_kind=SourceKind.IMPORT,
        provenance="ck.json#/entry/1 (Observation/ck1)",
    )


def _reimport_steps(registry: Any) -> list[Any]:
    """Import a SYNTHETIC CK record 900, 90, 900, 900 (imports37); return what each step left.

    Each step: the summary's re-import counts, every fact row (value, version, superseded by
    which value) and the history rows (revisions and audit entries) written so far.
    """
    from calciscope.model import Patient, Sex
    from calciscope.storage import Batch

    patients = [Patient(patient_id=p, sex=Sex.FEMALE) for p in ("P1", "P2")]
    steps = []
    for value in (900.0, 90.0, 900.0, 900.0):
        batch = Batch(patients=patients, facts=[_ck(value), _ck(5.0, patient="P2")])
        counts = registry.import_batch(batch, source="ck.json", source_hash=str(value)).counts
        if registry.dialect == "spark":
            tables = {n: registry._table(n) for n in ("facts", "fact_revisions", "audit_log")}
            rows = {
                n: [] if t is None else [r.asDict() for r in t.collect()] for n, t in tables.items()
            }
        else:
            with registry.engine.connect() as conn:
                rows = {
                    n: [
                        dict(r)
                        for r in conn.execute(sa.select(schema.metadata.tables[n])).mappings()
                    ]
                    for n in ("facts", "fact_revisions", "audit_log")
                }
        values = {f["fact_id"]: f["value_num"] for f in rows["facts"]}
        steps.append(
            (
                {k: v for k, v in counts.items() if k.startswith("facts_")},
                sorted(
                    (f["patient_id"], f["value_num"], f["version"], values.get(f["superseded_by"]))
                    for f in rows["facts"]
                ),
                sorted(
                    (values[r["fact_id"]], values.get(r["supersedes"]), r["action"], r["author"])
                    for r in rows["fact_revisions"]
                ),
                sorted(
                    (a["action"], a["actor"], a["target"], re.sub(r"batch \w+", "", a["detail"]))
                    for a in rows["audit_log"]
                ),
            )
        )
    return steps


@pytest.mark.spark
def test_a_re_import_supersedes_on_spark_as_on_sqlite(spark_url: str, tmp_path: Path) -> None:
    """imports37: the same re-import matching on a Spark registry (staged, then applied)."""
    warehouse = parse_spark_url(spark_url).warehouse
    assert warehouse is not None
    spark = api.open_registry(f"spark://local?warehouse={warehouse.parent / 'reimport'}")
    sqlite = api.open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    want = _reimport_steps(sqlite)
    assert [step[0] for step in want] == [
        {},
        {"facts_superseded_by_reimport": 1, "facts_already_in_registry": 1},
        {"facts_superseded_by_reimport": 1, "facts_already_in_registry": 1},
        {"facts_already_in_registry": 2},
    ]
    assert _reimport_steps(spark) == want
    sqlite.close()


def _facts_said(registry: Any) -> list[tuple[Any, ...]]:
    """Every fact row: patient, value, version and the value of the fact superseding it."""
    if registry.dialect == "spark":
        rows = [r.asDict() for r in registry._table("facts").collect()]
    else:
        with registry.engine.connect() as conn:
            facts = schema.metadata.tables["facts"]
            rows = [dict(r) for r in conn.execute(sa.select(facts)).mappings()]
    values = {f["fact_id"]: f["value_num"] for f in rows}
    return sorted(
        (f["patient_id"], f["value_num"], f["version"], values.get(f["superseded_by"]))
        for f in rows
    )


def _ck_import(registry: Any, values: dict[str, float], step: int) -> dict[str, int]:
    """Import a SYNTHETIC CK record of P1..P8: 900 U/L, or its value in ``values``."""
    from calciscope.model import Patient, Sex
    from calciscope.storage import Batch

    ids = [f"P{i}" for i in range(1, 9)]
    patients = [Patient(patient_id=p, sex=Sex.FEMALE) for p in ids]
    facts = [_ck(values.get(p, 900.0), patient=p) for p in ids]
    batch = Batch(patients=patients, facts=facts)
    return registry.import_batch(batch, source="ck.json", source_hash=str(step)).counts


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """The files of ``folder``'s partitions (hidden ones too): path -> (size, mtime in ns)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and p.parent != folder
    }


@pytest.mark.spark
def test_a_re_import_rewrites_only_the_changed_patients_bucket(
    spark_url: str, tmp_path: Path
) -> None:
    """scale38: a one-patient correction rewrites that patient's bucket, not the table."""
    from calciscope.model import Patient, Sex
    from calciscope.storage import Batch

    warehouse = parse_spark_url(spark_url).warehouse
    assert warehouse is not None
    folder = warehouse.parent / "buckets"
    spark = api.open_registry(f"spark://local?warehouse={folder}")
    sqlite = api.open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    for registry in (spark, sqlite):
        _ck_import(registry, {}, 0)
    before = _files(folder / "facts")
    patients = [Patient(patient_id="P3", sex=Sex.FEMALE)]
    for registry in (spark, sqlite):
        batch = Batch(patients=patients, facts=[_ck(90.0, patient="P3")])
        counts = registry.import_batch(batch, source="ck.json", source_hash="2").counts
        assert counts["facts_superseded_by_reimport"] == 1
    after = _files(folder / "facts")
    mine = f"patient_bucket={spark.bucket_of('P3')}/"
    assert {k: v for k, v in after.items() if not k.startswith(mine)} == {
        k: v for k, v in before.items() if not k.startswith(mine)
    }
    changed = {k for k in after if k.startswith(mine)} ^ {k for k in before if k.startswith(mine)}
    assert changed and all(k.startswith(mine) for k in changed)
    assert _facts_said(spark) == _facts_said(sqlite)
    assert ("P3", 900.0, 2, 90.0) in _facts_said(spark)
    # no journal nor half-written one left: only the lock file (fix47)
    assert [p.name for p in (folder / "_swaps").iterdir()] == [".lock"]
    assert not list(folder.glob("_facts.*"))
    sqlite.close()


@pytest.mark.spark
def test_a_failure_between_bucket_swaps_is_finished_when_the_warehouse_is_opened(
    spark_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """scale38: a swap stopped after one bucket leaves whole buckets and a journal; the next
    opening of the warehouse finishes it (docs/scale.md), giving SQLite's rows."""
    import json

    from calciscope.engine import spark_swap

    warehouse = parse_spark_url(spark_url).warehouse
    assert warehouse is not None
    folder = warehouse.parent / "swapfail"
    url = f"spark://local?warehouse={folder}"
    spark = api.open_registry(url)
    sqlite = api.open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    changed = {"P1": 90.0, "P2": 80.0}
    for step, values in enumerate(({}, changed)):
        _ck_import(sqlite, values, step)
    _ck_import(spark, {}, 0)
    original = _files(folder / "facts")
    swapped: list[Path] = []
    replace = spark_swap._replace

    def stops_at_the_second(stored: Path, new: Path, aside: Path) -> None:
        if swapped:
            raise OSError("injected: the process stops between two bucket swaps")
        swapped.append(stored)
        replace(stored, new, aside)

    monkeypatch.setattr(spark_swap, "_replace", stops_at_the_second)
    with pytest.raises(OSError, match="injected"):
        _ck_import(spark, changed, 1)
    (journal,) = (folder / "_swaps").glob("*.json")
    parts = json.loads(journal.read_text())["parts"]
    assert sorted(p for p, how in parts.items() if how == "replace") == sorted(
        f"patient_bucket={spark.bucket_of(p)}" for p in ("P1", "P2")
    )
    # each bucket is whole: the first swapped in, the second still as it was, none missing
    now = _files(folder / "facts")
    first, second = sorted(p for p, how in parts.items() if how == "replace")
    assert swapped == [folder / "facts" / first]
    assert {k: v for k, v in now.items() if k.startswith(f"{second}/")} == {
        k: v for k, v in original.items() if k.startswith(f"{second}/")
    }
    assert {k for k in now if k.startswith(f"{first}/")}.isdisjoint(original)
    assert {k.split("/")[0] for k in now} == {k.split("/")[0] for k in original}
    monkeypatch.setattr(spark_swap, "_replace", replace)
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        again = api.open_registry(url)
    assert "finishing the change of table 'facts'" in caplog.text
    assert _facts_said(again) == _facts_said(sqlite)
    # no journal nor half-written one left: only the lock file (fix47)
    assert [p.name for p in (folder / "_swaps").iterdir()] == [".lock"]
    assert not list(folder.glob("_facts.*"))
    sqlite.close()


@pytest.mark.spark
def test_a_warehouse_written_before_unit_code_is_read_and_merged(spark_url: str) -> None:
    """fix45: Parquet facts without ``unit_code`` (before 0012) read it as null; a re-import
    supersedes as before and writes the table again with the column. SYNTHETIC CK record."""
    import pyarrow.parquet as pq

    from calciscope.model import Patient, Sex
    from calciscope.storage import Batch

    warehouse = parse_spark_url(spark_url).warehouse
    assert warehouse is not None
    spark = api.open_registry(f"spark://local?warehouse={warehouse.parent / 'before0012'}")
    patients = [Patient(patient_id="P1", sex=Sex.FEMALE)]
    first = Batch(patients=patients, facts=[_ck(900.0)])
    spark.import_batch(first, source="ck.json", source_hash="1")
    # the warehouse as a release before 0012 wrote it: no unit_code in its files
    spark.store.replace("facts", spark.store.read("facts").drop("unit_code"), ("patient_bucket",))
    assert "unit_code" not in spark.store.read("facts").columns
    (old,) = [r.asDict() for r in spark._table("facts").collect()]
    assert old["unit_code"] is None and old["value_num"] == 900.0
    counts = spark.import_batch(
        Batch(patients=patients, facts=[_ck(90.0, unit_code="UO:0000000")]),
        source="ck.json",
        source_hash="2",
    ).counts
    assert counts["facts_superseded_by_reimport"] == 1
    rows = {r["value_num"]: r.asDict() for r in spark.store.read("facts").collect()}
    assert rows[900.0]["unit_code"] is None and rows[900.0]["superseded_by"] is not None
    assert rows[90.0]["unit_code"] == "UO:0000000" and rows[90.0]["superseded_by"] is None
    folder = warehouse.parent / "before0012" / "facts"
    for part in folder.rglob("*.parquet"):
        assert "unit_code" in pq.read_schema(part).names, part


#: A Spark Connect server: a local session with Spark's Connect plugin (its jar ships with
#: PySpark 4) listening on a port, until it is stopped.
CONNECT_SERVER = """
import sys, time
from pathlib import Path
from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession
port, warehouse = sys.argv[1], sys.argv[2]
conf = (SparkConf().setMaster("local[2]").setAppName("calciscope-connect-test")
        .set("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
        .set("spark.connect.grpc.binding.address", "127.0.0.1")
        .set("spark.connect.grpc.binding.port", port)
        .set("spark.sql.warehouse.dir", warehouse).set("spark.ui.enabled", "false")
        .set("spark.sql.session.timeZone", "UTC").set("spark.sql.shuffle.partitions", "2"))
SparkSession(SparkContext.getOrCreate(conf)).sparkContext.setLogLevel("ERROR")
# The Connect plugin opens its port while the context starts, before the line above makes
# the session the JVM's default; a client that came then would find no session. Say ready.
(Path(warehouse).parent / (Path(warehouse).name + ".ready")).write_text("ready")
while True:
    time.sleep(60)
"""

#: The client: calciscope on ``sc://`` imports the cohort, then writes the feature table and
#: the stored classification (a process holding a local session cannot open Spark Connect).
CONNECT_CLIENT = """
import datetime as dt, json, sys
from pathlib import Path
import pyarrow.parquet as pq
from calciscope import api
from calciscope.api.criteria import classify_registry
from calciscope.storage.classification import read_classification_results
url, cohort, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
index = dt.date.fromisoformat(sys.argv[4])
registry = api.open_registry(url)
counts = api.import_directory(registry, cohort).counts
pq.write_table(api.feature_table(registry, index_date=index), out / "features.parquet")
classify_registry(registry, index_date=index)
rows = [[r.patient_id, r.criteria_set, r.status, r.result]
        for r in read_classification_results(registry, index_date=index)]
tables = registry.store.names()
(out / "out.json").write_text(json.dumps({"counts": counts, "rows": rows, "tables": tables},
                                         default=str))
"""


@pytest.fixture(scope="module")
def connect_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    import signal
    import socket
    import subprocess
    import time

    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    warehouse = tmp_path_factory.mktemp("connect-warehouse")
    log = (warehouse.parent / "connect-server.log").open("w")
    ready = warehouse.parent / (warehouse.name + ".ready")  # written once the session exists
    server = subprocess.Popen(
        [sys.executable, "-c", CONNECT_SERVER, str(port), str(warehouse)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its JVM is stopped with it, by process group
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, f"the Spark Connect server stopped: see {log.name}"
            with socket.socket() as s:
                if ready.exists() and s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the Spark Connect server did not start"
            time.sleep(2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.mark.spark
def test_spark_connect_registry_gives_the_sqlite_answer(
    connect_port: int, cohort: Path, sqlite_registry: Any, sqlite_features: pa.Table, tmp_path: Path
) -> None:
    """A registry over sc://127.0.0.1:PORT (catalog tables): import, feature table, classification."""
    import json
    import subprocess

    from calciscope.api.criteria import classify_registry
    from calciscope.storage.classification import read_classification_results

    source = str(Path(api.__file__).resolve().parents[2])
    env = os.environ | {"PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    url = f"sc://127.0.0.1:{connect_port}"
    done = subprocess.run(
        [sys.executable, "-c", CONNECT_CLIENT, url, str(cohort), str(tmp_path), INDEX.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["counts"]["patients"] == PATIENTS
    assert {"facts", "patients", "classification_results"} <= set(out["tables"])
    assert_same(pq.read_table(tmp_path / "features.parquet"), sqlite_features, "Spark Connect")
    classify_registry(sqlite_registry, index_date=INDEX)
    want = read_classification_results(sqlite_registry, index_date=INDEX)
    assert len(out["rows"]) == len(want)
    for (pid, criteria_set, status, result), b in zip(out["rows"], want, strict=True):
        assert (pid, criteria_set, status) == (b.patient_id, b.criteria_set, b.status)
        bad = {k: (result[k], v) for k, v in b.result.items() if not _same(result[k], v)}
        assert not bad, f"{pid} {criteria_set}: {bad}"
