"""Ibis connections from database URLs (the registry's SQLite/PostgreSQL, DuckDB files, Spark)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

import ibis

from calciscope.errors import RegistryError, require_extra
from calciscope.storage.database_url import display_url, normalise_url
from calciscope.storage.sqlite_locking import busy_timeout, set_busy_timeout

__all__ = ["DUCKDB_SETTINGS", "POSTGRES_OPTIONS", "connect", "duckdb_config", "duckdb_path"]


#: The settings calciscope gives every DuckDB connection it opens from a URL: the URL's query
#: parameter of that name (``duckdb:///r.duckdb?memory_limit=4GB``), else the environment
#: variable, else the default. The memory limit bounds DuckDB's buffers (hash aggregates, joins,
#: sorts); past it DuckDB spills to ``temp_directory``, so a 50 M-fact study fits a laptop.
#: DuckDB's own default limit is 80% of the machine's memory.
DUCKDB_SETTINGS: dict[str, tuple[str, str | None]] = {
    "memory_limit": ("CALCISCOPE_DUCKDB_MEMORY", "1GB"),
    "threads": ("CALCISCOPE_DUCKDB_THREADS", None),
    "temp_directory": ("CALCISCOPE_DUCKDB_TEMP", None),
}


def duckdb_path(url: str) -> str:
    """Return the database file of a ``duckdb:///FILE`` URL (``:memory:`` for ``duckdb://``)."""
    rest = url.split("://", 1)[1].split("?", 1)[0]
    path = rest[1:] if rest.startswith("/") else rest
    return unquote(path) or ":memory:"


def duckdb_config(url: str = "duckdb://") -> dict[str, str]:
    """Return the DuckDB settings for a ``duckdb://`` URL (see :data:`DUCKDB_SETTINGS`).

    ``temp_directory`` defaults to ``<file>.tmp`` beside a database file (DuckDB's own choice)
    and to a folder of this process under the system's temporary folder for an in-memory
    database, so that both can spill.

    Raises
    ------
    RegistryError
        For a query parameter that is not one of the settings.
    """
    query = dict(parse_qsl(urlparse(url).query, keep_blank_values=True))
    unknown = sorted(query.keys() - DUCKDB_SETTINGS.keys())
    if unknown:
        raise RegistryError(
            f"unknown DuckDB setting {unknown[0]!r} in {display_url(url)!r}: use "
            + ", ".join(DUCKDB_SETTINGS)
        )
    config = {}
    for name, (variable, default) in DUCKDB_SETTINGS.items():
        value = query.get(name) or os.environ.get(variable) or default
        if value:
            config[name] = value
    if "temp_directory" not in config and duckdb_path(url) == ":memory:":
        folder = Path(tempfile.gettempdir()) / f"calciscope-duckdb-{os.getpid()}"
        config["temp_directory"] = str(folder)
    return config


def _duckdb(url: str) -> Any:
    config = duckdb_config(url)
    try:
        return ibis.duckdb.connect(duckdb_path(url), **config)
    except Exception as exc:  # duckdb.Error: a setting DuckDB refuses, a file it cannot open
        settings = ", ".join(f"{k}={v}" for k, v in config.items())
        raise RegistryError(
            f"cannot open DuckDB database {display_url(url)!r} ({settings}): {exc}; the "
            "settings come from the URL's query or $CALCISCOPE_DUCKDB_MEMORY, "
            "$CALCISCOPE_DUCKDB_THREADS, $CALCISCOPE_DUCKDB_TEMP"
        ) from None


#: The session settings of every Ibis connection calciscope opens on PostgreSQL (the study, the
#: feature table, the review queue's classification, OMOP screening; the registry's own
#: SQLAlchemy engine, which serves single-patient pages and decisions, keeps the defaults):
#: no JIT (below), and no nested-loop joins where another join can be made. The study's queries
#: read their staged steps as common table expressions, for which PostgreSQL has no statistics:
#: a filter of a concept's facts on one is estimated at one row, and the planner then joined
#: those facts to every patient's last dates by a nested loop (a product of the two): the
#: feature table of 20,000 patients ran for over 13 minutes instead of 22 s (load 20).
#: Every join of these queries is by patient or by code, which a hash or merge join does in
#: one pass whatever the sizes; a join with no equality still gets a nested loop.
POSTGRES_OPTIONS = "-c jit=off -c enable_nestloop=off"


def _postgres(url: str) -> Any:
    parsed = urlparse(url)
    require_extra("postgres", "psycopg")
    return ibis.postgres.connect(
        host=parsed.hostname or "localhost",
        port=parsed.port or 5432,
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        database=parsed.path.lstrip("/") or None,
        # no JIT compilation: the feature table is one query of some 700 aggregates, and
        # LLVM took longer to compile them (57 s at 10,000 patients) than they take to run
        options=POSTGRES_OPTIONS,
    )


def connect(url: str | Path) -> Any:
    """Open an Ibis backend for a database URL.

    Parameters
    ----------
    url
        ``sqlite:///file.db``, ``postgresql+psycopg://user@host:port/db``, ``duckdb:///file.duckdb``
        (``duckdb://`` alone is an in-memory database; memory limit, threads and spill folder
        as in :func:`duckdb_config`), ``spark://local?warehouse=PATH`` (a local
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
        return _duckdb(text)
    if scheme in ("spark", "sc"):
        from calciscope.engine.spark import connect_spark

        return connect_spark(text)
    raise RegistryError(
        f"unsupported database URL {display_url(text)!r}: use sqlite:///, postgresql+psycopg://, "
        "duckdb:///, spark://local or sc://HOST:PORT"
    )
