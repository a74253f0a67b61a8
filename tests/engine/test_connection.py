"""DuckDB connections from URLs get calciscope's memory limit, threads and spill folder."""

from __future__ import annotations

import os

import pytest

from calciscope.engine import connect
from calciscope.engine.connection import duckdb_config, duckdb_path
from calciscope.errors import RegistryError


def _settings(con) -> tuple[str, int, str]:
    sql = (
        "SELECT current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory')"
    )
    return con.raw_sql(sql).fetchone()


def test_the_default_memory_limit_is_set_and_an_in_memory_database_can_spill(monkeypatch):
    for name in ("CALCISCOPE_DUCKDB_MEMORY", "CALCISCOPE_DUCKDB_THREADS", "CALCISCOPE_DUCKDB_TEMP"):
        monkeypatch.delenv(name, raising=False)
    con = connect("duckdb://")
    try:
        memory, _, temp = _settings(con)
    finally:
        con.disconnect()
    assert memory == "953.6 MiB"  # 1GB, DuckDB's spelling
    assert temp.endswith(f"calciscope-duckdb-{os.getpid()}")


def test_the_url_wins_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CALCISCOPE_DUCKDB_MEMORY", "2GB")
    monkeypatch.setenv("CALCISCOPE_DUCKDB_THREADS", "1")
    url = f"duckdb:///{tmp_path / 'r.duckdb'}?memory_limit=500MB&temp_directory={tmp_path / 's'}"
    assert duckdb_config(url) == {
        "memory_limit": "500MB",
        "threads": "1",
        "temp_directory": str(tmp_path / "s"),
    }
    assert duckdb_path(url) == str(tmp_path / "r.duckdb")
    con = connect(url)
    try:
        assert _settings(con) == ("476.8 MiB", 1, str(tmp_path / "s"))
    finally:
        con.disconnect()


def test_a_file_spills_beside_itself_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("CALCISCOPE_DUCKDB_TEMP", raising=False)
    assert "temp_directory" not in duckdb_config(f"duckdb:///{tmp_path / 'r.duckdb'}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("duckdb://?memory=1GB", "unknown DuckDB setting 'memory'"),
        ("duckdb://?memory_limit=lots", "Memory must have a number"),
        ("duckdb://?threads=many", "cannot open DuckDB database"),
    ],
)
def test_a_bad_setting_is_named(url, message):
    with pytest.raises(RegistryError, match=message):
        connect(url)


@pytest.mark.postgres
def test_postgres_connections_plan_the_study_joins_without_nested_loops(postgres_database):
    """A concept's facts filtered from a staged step (a CTE, no statistics) joined by patient.

    Estimated at one row, such a filter was joined to every patient's last dates by a nested
    loop (the feature table of 20,000 patients: over 13 minutes instead of 22 s); calciscope's
    PostgreSQL connections plan it as a hash or merge join.
    """
    con = connect(postgres_database())
    try:
        assert con.raw_sql("SELECT current_setting('jit')").fetchone()[0] == "off"
        assert con.raw_sql("SELECT current_setting('enable_nestloop')").fetchone()[0] == "off"
        con.raw_sql(
            "CREATE TABLE f AS SELECT 'P' || (i % 500) AS patient_id, "
            "CASE WHEN i % 7 = 0 THEN 'mrss_site' ELSE 'visit' END AS code, "
            "'present' AS status, DATE '2020-01-01' + (i % 900) AS d "
            "FROM generate_series(1, 20000) i"
        ).close()
        con.raw_sql("ANALYZE f").close()
        plan = con.raw_sql(
            "EXPLAIN WITH t AS MATERIALIZED (SELECT * FROM f), "
            "last AS (SELECT patient_id, max(d) AS d FROM t GROUP BY patient_id) "
            "SELECT t.patient_id, count(*) FROM t JOIN last ON t.patient_id = last.patient_id "
            "AND t.d = last.d WHERE t.code = 'mrss_site' AND t.status = 'present' "
            "GROUP BY t.patient_id"
        ).fetchall()
    finally:
        con.disconnect()
    text = "\n".join(row[0] for row in plan)
    assert "Join" in text and "Nested Loop" not in text, text
