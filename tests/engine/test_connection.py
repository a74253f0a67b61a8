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
