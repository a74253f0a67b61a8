"""SQLite connections that let readers work during an import and make a second writer wait.

Every connection the registry opens runs ``PRAGMA journal_mode=WAL`` (readers see the last
committed state while a writer works), ``PRAGMA synchronous=NORMAL`` (WAL's recommended
setting: a commit does not wait for the disk; a power cut may lose the last commits but never
corrupts the file) and ``PRAGMA busy_timeout``. Writing transactions start
with ``BEGIN IMMEDIATE``: a second writer waits up to the timeout for the first, instead of
failing at once on a stale read snapshot, then proceeds or fails with "registry busy".

References
----------
SQLite. Write-Ahead Logging. https://www.sqlite.org/wal.html
SQLite. PRAGMA synchronous. https://www.sqlite.org/pragma.html#pragma_synchronous
SQLAlchemy 2.0. Serializable isolation / Savepoints / Transactional DDL (pysqlite).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "busy_timeout",
    "configure_sqlite",
    "is_busy",
    "set_busy_timeout",
]

#: How long a writer (or a reader during a checkpoint) waits for a lock before "registry busy"
BUSY_TIMEOUT_SECONDS = 30.0


def busy_timeout() -> float:
    """Return ``$CALCISCOPE_BUSY_TIMEOUT`` (seconds) when set to a number, else 30 seconds."""
    try:
        return max(0.0, float(os.environ.get("CALCISCOPE_BUSY_TIMEOUT", BUSY_TIMEOUT_SECONDS)))
    except ValueError:
        return BUSY_TIMEOUT_SECONDS


def set_busy_timeout(connection: sqlite3.Connection, seconds: float) -> None:
    """Make an open :mod:`sqlite3` connection wait ``seconds`` for a lock (``busy_timeout``)."""
    connection.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def configure_sqlite(engine: Engine, *, seconds: float) -> None:
    """Give every connection of an SQLite engine WAL mode, a busy timeout and explicit BEGINs.

    A connection whose execution options carry ``sqlite_begin="IMMEDIATE"`` takes the write
    lock when its transaction begins (see :meth:`calciscope.storage.Registry.write`).
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite would BEGIN on its own before the first write; the "begin" hook does it.
        dbapi_connection.isolation_level = None
        set_busy_timeout(dbapi_connection, seconds)
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_busy(exc: BaseException) -> bool:
    """Return whether an error means another connection holds the SQLite lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text
