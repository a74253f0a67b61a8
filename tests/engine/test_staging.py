"""The feature table from staged facts (PostgreSQL's execution step) is the same table."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope.engine import compute_feature_table, connect
from calciscope.engine.classified import classified_table
from calciscope.engine.release import release_cached
from calciscope.engine.staging import FEATURE_SETTINGS, PostgresFactStage, stages_facts
from calciscope.model import ReviewState
from calciscope.storage import Batch, Registry

from .test_features import (
    EXPECTED,
    FACTS,
    INDEX,
    PATIENTS,
    _clear,
    _facts,
)

STATES = (ReviewState.CONFIRMED, ReviewState.SUGGESTED)


def _registry(url, patients, facts):
    registry = Registry(url)
    registry.import_batch(
        Batch(patients=list(patients), facts=list(facts)), source="t", source_hash="t"
    )
    registry.close()
    return url


def _table(con, **kw):
    table = compute_feature_table(con.table("facts"), con.table("patients"), index_date=INDEX, **kw)
    return sorted(table.to_pyarrow().to_pylist(), key=lambda r: r["patient_id"])


def _copy_stage(con):
    """A stage on any engine: the facts copied into a table of their own."""
    made = []

    def stage(facts):
        made.append(f"staged_{len(made)}")
        return con.create_table(made[-1], facts)

    return stage, made


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
@pytest.mark.parametrize("states", [(ReviewState.CONFIRMED,), STATES])
def test_staged_facts_give_the_same_table(engine, states, tmp_path):
    """The whole catalogue, staged or not: the same rows."""
    if engine == "sqlite":
        con = connect(_registry(f"sqlite:///{tmp_path}/r.db", PATIENTS, FACTS))
    else:
        con = ibis.duckdb.connect()
        source = connect(_registry(f"sqlite:///{tmp_path}/r.db", PATIENTS, FACTS))
        for name in ("patients", "facts"):
            con.create_table(name, source.table(name).to_pyarrow())
        source.disconnect()
    try:
        plain = _table(con, review_states=states)
        stage, made = _copy_stage(con)
        staged = _table(con, review_states=states, stage=stage)
        assert made  # the stage was used
        assert staged == plain
    finally:
        con.disconnect()


def test_only_the_features_concepts_are_staged(tmp_path):
    """The staged table holds the facts of the chosen features' concepts, nothing else."""
    con = connect(_registry(f"sqlite:///{tmp_path}/r.db", PATIENTS, FACTS))
    try:
        stage, made = _copy_stage(con)
        compute_feature_table(
            con.table("facts"),
            con.table("patients"),
            index_date=INDEX,
            features=["ck_max"],
            stage=stage,
        )
        codes = con.table(made[0]).to_pyarrow().column("code").to_pylist()
        assert codes == ["2157-6", "2157-6"]  # the two CK values, not the other facts
    finally:
        con.disconnect()


def _staged_tables(con):
    cur = con.raw_sql(
        "SELECT relname FROM pg_class WHERE relname LIKE 'calciscope_staged_facts%' "
        "AND relkind = 'r'"
    )
    try:
        return [r[0] for r in cur.fetchall()]
    finally:
        cur.close()


@pytest.mark.postgres
def test_postgres_stage_is_the_same_table_and_is_dropped(postgres_database):
    con = connect(_registry(postgres_database(), PATIENTS, FACTS))
    try:
        assert stages_facts(con)
        stage = PostgresFactStage(con)
        staged = _table(con, stage=stage)
        assert len(_staged_tables(con)) == 1  # a temporary table of this connection
        stage.drop()
        assert _staged_tables(con) == []
        rows = {r["patient_id"]: {c: r[c] for c in EXPECTED["P1"]} for r in staged}
        assert rows == EXPECTED
        assert staged == _table(con)
    finally:
        con.disconnect()


def _setting(con, name):
    cur = con.raw_sql(f"SELECT current_setting('{name}')")
    try:
        return cur.fetchone()[0]
    finally:
        cur.close()


@pytest.mark.postgres
def test_postgres_stage_sets_the_feature_settings_until_dropped(postgres_database):
    """The feature table's session settings hold from the staging to ``drop``, then go back."""
    con = connect(_registry(postgres_database(), PATIENTS, FACTS))
    try:
        con.raw_sql("SET work_mem = '5MB'").close()  # the session's own value is put back
        before = {name: _setting(con, name) for name in FEATURE_SETTINGS}
        assert before["work_mem"] == "5MB"
        stage = PostgresFactStage(con)
        staged = _table(con, stage=stage)
        assert {name: _setting(con, name) for name in FEATURE_SETTINGS} == FEATURE_SETTINGS
        stage.drop()
        assert {name: _setting(con, name) for name in FEATURE_SETTINGS} == before
        assert staged == _table(con)  # the same table with the server's settings
    finally:
        con.disconnect()


@pytest.mark.postgres
def test_the_study_stages_on_postgres_and_drops_the_table(postgres_database):
    """``classified_table`` on PostgreSQL: the staged facts are gone once it returns."""
    con = connect(_registry(postgres_database(), PATIENTS, FACTS))
    try:
        hashagg = _setting(con, "enable_hashagg")
        classified = classified_table(con, INDEX, (ReviewState.CONFIRMED,))
        assert _staged_tables(con) == []
        assert _setting(con, "enable_hashagg") == hashagg  # the criteria's queries: as before
        rows = classified.select("patient_id", "calcinosis_regions").to_pyarrow().to_pylist()
        assert {r["patient_id"]: r["calcinosis_regions"] for r in rows} == {
            p: EXPECTED[p]["calcinosis_regions"] for p in EXPECTED
        }
    finally:
        release_cached(con)
        con.disconnect()


def test_sqlite_and_duckdb_do_not_stage(tmp_path):
    assert not stages_facts(ibis.duckdb.connect())
    assert not stages_facts(connect(f"sqlite:///{tmp_path}/r.db"))


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_staged_agrees_with_postgres_unstaged(postgres_database):
    url = postgres_database()  # one database, cleared before each generated example
    _registry(url, PATIENTS, [])

    @settings(max_examples=8, deadline=None, derandomize=True)
    @given(st.lists(_facts, max_size=40), st.sampled_from([(ReviewState.CONFIRMED,), STATES]))
    def check(facts, states):
        _clear(url)
        _registry(url, PATIENTS, facts)
        con = connect(url)
        try:
            stage = PostgresFactStage(con)
            staged = _table(con, review_states=states, stage=stage)
            stage.drop()
            assert staged == _table(con, review_states=states)
        finally:
            con.disconnect()

    check()
