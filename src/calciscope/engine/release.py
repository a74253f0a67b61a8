"""Give back what a study held in the database: its temporary tables, and DuckDB's file blocks.

:func:`release_cached` drops the temporary tables ``Table.cache`` made (a study's annotated
table, its classified tables); :func:`release_file_buffers` has DuckDB give back the blocks of
the registry file it keeps cached (or a backend its own memory, Spark's JVM heap).
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["release_cached", "release_file_buffers"]


def release_cached(con: Any) -> None:
    """Drop the temporary tables ``Table.cache`` made on ``con`` (before it is closed).

    Ibis drops them when their expressions are garbage collected, which may be after the
    connection is closed; this drops them now.
    """
    for name in list(getattr(con, "_cache_name_to_entry", {})):
        con._finalize_cached_table(name)


#: The units DuckDB shows a memory limit in (``StringUtil::BytesToHumanReadableString``).
_SHOWN_UNITS = {"byte": 0, "bytes": 0, "KiB": 1, "MiB": 2, "GiB": 3, "TiB": 4, "PiB": 5}


def _limit_bytes(shown: str) -> int | None:
    """Return the fewest bytes DuckDB shows as this memory limit (``None`` for no limit).

    DuckDB shows its limit truncated to a tenth of a unit, the tenth taken from the whole
    count of the next smaller unit (``2.5GB`` shows as ``2.3 GiB``), so setting the shown value
    back lowers it (``2.3 GiB`` is set as 2.29999 GiB, which shows as ``2.2 GiB``). The least
    number of bytes shown as ``N.x UNIT`` is ``N`` UNITs and ``ceil(x * 102.4)`` of the next
    smaller unit: it shows as the same text, so setting it is a fixed point. Unlimited
    (``SET memory_limit = '-1'``) shows as ``16383.9 PiB``, which DuckDB does not read back.

    Raises
    ------
    ValueError
        For text that is not a number and one of DuckDB's units.
    """
    number, _, unit = shown.strip().partition(" ")
    if unit not in _SHOWN_UNITS:
        raise ValueError(f"unknown DuckDB memory limit {shown!r}")
    power = _SHOWN_UNITS[unit]
    whole, _, tenth = number.partition(".")
    if not whole.isdigit() or (tenth and not (len(tenth) == 1 and tenth.isdigit())):
        raise ValueError(f"unknown DuckDB memory limit {shown!r}")
    if power == 5 and int(whole) >= 16383:
        return None
    if power == 0:
        return int(whole)
    return int(whole) * 1024**power + -(-int(tenth or 0) * 1024 // 10) * 1024 ** (power - 1)


def _shown_limit(raw: Any) -> str:
    # fetchall, not fetchone: a result left unfinished blocks the next query Ibis runs on this
    # connection (DuckDB 2: "connection has an unfinished result from execute()")
    return str(raw.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def _restore_limit(raw: Any, shown: str, configured: object) -> str:
    """Set DuckDB's memory limit back to the one it showed as ``shown``; return what was set.

    That is the value the connection was opened with (``?memory_limit=2.5GB``, kept by Ibis)
    when DuckDB shows it as ``shown``, exactly; else the least bytes it shows as ``shown``
    (:func:`_limit_bytes`), or ``-1`` for no limit: never more than the limit was, and
    the same limit after any number of calls.
    """
    import duckdb

    if isinstance(configured, str) and configured:
        value = configured.replace("'", "''")
        with contextlib.suppress(duckdb.Error):
            raw.execute(f"SET memory_limit = '{value}'")
            if _shown_limit(raw) == shown:
                return configured
    exact = _limit_bytes(shown)
    value = "-1" if exact is None else f"{exact}B"
    raw.execute(f"SET memory_limit = '{value}'")
    return value


def release_file_buffers(con: Any, keep: int = 64 * 2**20) -> None:
    """Have DuckDB give back the registry file's blocks it keeps in memory (a database file only).

    DuckDB keeps the blocks of a database file it has read in its buffers until its memory
    limit is needed for something else: after a study's feature table over 50 M facts, about
    its whole limit (1 GB), held while the source population is read back and, until now,
    through the analysis and the report, though no query needs them. Lowering the limit to
    what the other buffers hold (the study's temporary tables, kept in memory) plus ``keep``
    bytes (64 MB) evicts the file's blocks, which are on disk already; the limit is then set
    back, whatever happened meanwhile, to what it was (see :func:`_restore_limit`: DuckDB shows
    it only to a tenth of a unit), so a later query reads what it needs again. Nothing for
    other engines or an in-memory DuckDB, or a limit shown in a way not known here.

    A backend with a ``release_memory`` method gives back what it can its own way instead
    (Spark local: a full collection of the JVM, which returns the heap's free part to the system;
    :mod:`calciscope.engine.spark`).
    """
    release = getattr(con, "release_memory", None)
    if callable(release):
        release()
        return
    if getattr(con, "name", None) != "duckdb":
        return
    import duckdb

    raw = con.con
    where = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    if raw.execute(where).fetchall()[0][0] is None:
        return
    shown = _shown_limit(raw)
    try:
        _limit_bytes(shown)
    except ValueError:  # a limit shown in a way not known here: leave it (and the blocks) alone
        return
    try:
        other = raw.execute(
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
            "WHERE tag <> 'BASE_TABLE'"
        ).fetchall()[0][0]
        # DuckDB refuses a limit it cannot meet without spilling: then nothing changes
        with contextlib.suppress(duckdb.Error):
            raw.execute(f"SET memory_limit = '{int(other) + keep}B'")
    finally:
        _restore_limit(raw, shown, (getattr(con, "_con_kwargs", None) or {}).get("memory_limit"))
