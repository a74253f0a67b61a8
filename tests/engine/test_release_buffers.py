"""DuckDB gives back a database file's cached blocks after a study's queries (engine.study)."""

from __future__ import annotations

import duckdb

from calciscope.engine import connect
from calciscope.engine.study import release_file_buffers


def _held(con) -> int:
    row = con.con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'BASE_TABLE'"
    ).fetchone()
    return int(row[0])


def _limit(con) -> str:
    return con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_file_blocks_are_evicted_and_the_limit_restored(tmp_path):
    path = tmp_path / "r.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE facts AS SELECT range AS i, range::VARCHAR AS s FROM range(2000000)")
    raw.close()
    con = connect(f"duckdb:///{path}?memory_limit=500MB")
    try:
        con.con.execute(
            "CREATE TEMP TABLE kept AS SELECT i % 1000 AS k, max(s) AS s FROM facts GROUP BY 1"
        )
        limit, before = _limit(con), _held(con)
        assert before > 0
        release_file_buffers(con, keep=0)
        assert _held(con) < before
        # set back as DuckDB shows it, to a tenth of a MiB
        assert _limit(con).split()[1] == "MiB"
        assert abs(float(_limit(con).split()[0]) - float(limit.split()[0])) < 0.15
        assert con.con.execute("SELECT count(*) FROM kept").fetchone()[0] == 1000  # in memory
        assert con.con.execute("SELECT count(*) FROM facts").fetchone()[0] == 2000000
    finally:
        con.disconnect()


def test_other_engines_and_memory_databases_are_left_alone(tmp_path):
    for url in ("duckdb://", f"sqlite:///{tmp_path / 'r.db'}"):
        con = connect(url)
        try:
            release_file_buffers(con)  # nothing to give back, no error
        finally:
            con.disconnect()
