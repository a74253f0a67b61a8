"""DuckDB gives back a database file's cached blocks after a study's queries (engine.release)."""

from __future__ import annotations

import random

import duckdb
import pytest

from calciscope.engine import connect
from calciscope.engine.release import _limit_bytes, release_file_buffers


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
        assert _limit(con) == limit == "476.8 MiB"
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


def _registry(tmp_path, query: str = ""):
    path = tmp_path / "r.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE facts AS SELECT range AS i FROM range(100000)")
    raw.close()
    con = connect(f"duckdb:///{path}{query}")
    con.con.execute("SELECT sum(i) FROM facts").fetchone()
    return con


class _Recording:
    """The DuckDB connection, recording the memory limits set on it (and failing on demand)."""

    def __init__(self, raw, fail_on: str | None = None) -> None:
        self.raw, self.fail_on, self.sets = raw, fail_on, []

    def execute(self, sql: str, *args):
        if sql.startswith("SET memory_limit"):
            self.sets.append(sql.split("'")[1])
        if self.fail_on and self.fail_on in sql:
            self.fail_on = None  # the first such statement only (the lowering)
            raise RuntimeError("injected")
        return self.raw.execute(sql, *args)


@pytest.mark.parametrize("limit", ["2.5GB", "1.5GB", "500MB", "1GB", "3GiB"])
def test_the_limit_the_connection_was_opened_with_is_set_back_exactly(tmp_path, monkeypatch, limit):
    con = _registry(tmp_path, f"?memory_limit={limit}")
    try:
        shown = _limit(con)
        recording = _Recording(con.con)
        monkeypatch.setattr(con, "con", recording)
        for _ in range(5):
            release_file_buffers(con)
        assert _limit(con) == shown  # DuckDB showed 1.3 → 1.2 → 1.1 → 1.0 GiB for 1.5GB
        assert recording.sets[1::2] == [limit] * 5  # each lowering set back to '2.5GB' itself
    finally:
        monkeypatch.undo()
        con.disconnect()


@pytest.mark.parametrize("limit", ["-1", "2.5GB", "777MB", "3GiB"])
def test_a_limit_set_on_the_connection_survives_repeated_calls(tmp_path, limit):
    con = _registry(tmp_path)  # opened with 1GB
    try:
        con.con.execute(f"SET memory_limit = '{limit}'")
        shown = _limit(con)
        for _ in range(5):
            release_file_buffers(con)
            assert _limit(con) == shown
        if limit == "-1":
            assert shown == "16383.9 PiB"  # unlimited, which DuckDB does not read back
    finally:
        con.disconnect()


@pytest.mark.parametrize("where", ["duckdb_memory()", "SET memory_limit"])
def test_the_limit_is_set_back_when_the_eviction_fails(tmp_path, monkeypatch, where):
    con = _registry(tmp_path, "?memory_limit=2.5GB")
    try:
        shown = _limit(con)
        monkeypatch.setattr(con, "con", _Recording(con.con, fail_on=where))
        with pytest.raises(RuntimeError, match="injected"):
            release_file_buffers(con)
        monkeypatch.undo()
        assert _limit(con) == shown == "2.3 GiB"
    finally:
        monkeypatch.undo()
        con.disconnect()


def test_the_least_bytes_duckdb_shows_as_a_limit():
    assert _limit_bytes("2.3 GiB") == 2 * 2**30 + 308 * 2**20  # 0.3 GiB: 307.2 MiB, rounded up
    assert _limit_bytes("476.8 MiB") == 476 * 2**20 + 820 * 2**10
    assert _limit_bytes("1.0 KiB") == 1024
    assert _limit_bytes("1 byte") == 1
    assert _limit_bytes("512 bytes") == 512
    assert _limit_bytes("16383.9 PiB") is None
    for text in ("lots", "1.5 GB", "1.25 GiB", "x.1 MiB", ""):
        with pytest.raises(ValueError, match="unknown DuckDB memory limit"):
            _limit_bytes(text)
    # against DuckDB: the least number of bytes it shows as the same text, at or under the limit
    raw = duckdb.connect()
    rng = random.Random(11)

    def shown(value: str) -> str:
        raw.execute(f"SET memory_limit = '{value}'")
        return raw.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    for _ in range(300):
        limit = rng.randrange(2**20, 2 ** rng.choice([30, 40, 50, 60]))
        text = shown(f"{limit}B")
        least = _limit_bytes(text)
        assert least is not None and least <= limit
        assert shown(f"{least}B") == text != shown(f"{least - 1}B")
    raw.close()


@pytest.mark.parametrize("limit", ["", "?memory_limit=500MB"])
def test_the_connection_takes_an_ibis_query_afterwards(tmp_path, limit):
    # the study reads the population back through Ibis right after the blocks are given back: a
    # result of the restore left unfinished made DuckDB refuse that read (the 1 M-patient run)
    path = tmp_path / "r.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE facts AS SELECT range AS i FROM range(1000)")
    raw.close()
    con = connect(f"duckdb:///{path}{limit}")
    try:
        release_file_buffers(con, keep=0)
        assert con.table("facts").filter(lambda t: t.i < 10).to_pyarrow().num_rows == 10
    finally:
        con.disconnect()


def test_a_backend_that_releases_its_own_memory_is_asked_instead():
    # Spark local's backend (engine.spark) collects its JVM's heap before the rows are read
    class Releasing:
        name = "pyspark"
        calls = 0

        def release_memory(self) -> None:
            self.calls += 1

    con = Releasing()
    release_file_buffers(con)
    assert con.calls == 1
