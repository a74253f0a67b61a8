"""Ibis connections from database URLs (the registry's SQLite/PostgreSQL, DuckDB files, Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import ibis

from calciscope.errors import RegistryError, require_extra
from calciscope.storage.database_url import display_url, normalise_url
from calciscope.storage.sqlite_locking import busy_timeout, set_busy_timeout

__all__ = ["connect"]


def _postgres(url: str) -> Any:
    parsed = urlparse(url)
    require_extra("postgres", "psycopg")
    return ibis.postgres.connect(
        host=parsed.hostname or "localhost",
        port=parsed.port or 5432,
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        database=parsed.path.lstrip("/") or None,
    )


def connect(url: str | Path) -> Any:
    """Open an Ibis backend for a database URL.

    Parameters
    ----------
    url
        ``sqlite:///file.db``, ``postgresql+psycopg://user@host:port/db``, ``duckdb:///file.duckdb``
        (``duckdb://`` alone is an in-memory database), ``spark://local?warehouse=PATH`` (a local
        Spark session over a folder of Parquet tables), ``sc://HOST:PORT`` (Spark Connect; see
        :mod:`calciscope.engine.spark`), or a plain path to an SQLite file.

    Returns
    -------
    ibis.BaseBackend
        A connection on which calciscope's expressions run.
    """
    text = normalise_url(url)
    scheme = text.split("://", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        path = text.split(":///", 1)[1] if ":///" in text else ""
        con = ibis.sqlite.connect(path or ":memory:")
        # the registry is in WAL mode (set when it is opened): wait for a writer's lock
        set_busy_timeout(con.con, busy_timeout())
        return con
    if scheme in ("postgresql", "postgres"):
        return _postgres(text)
    if scheme == "duckdb":
        path = text.split(":///", 1)[1] if ":///" in text else ""
        return ibis.duckdb.connect(path or ":memory:")
    if scheme in ("spark", "sc"):
        from calciscope.engine.spark import connect_spark

        return connect_spark(text)
    raise RegistryError(
        f"unsupported database URL {display_url(text)!r}: use sqlite:///, postgresql+psycopg://, "
        "duckdb:///, spark://local or sc://HOST:PORT"
    )
