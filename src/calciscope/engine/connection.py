"""Ibis connections from database URLs (the registry's SQLite/PostgreSQL, DuckDB files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import ibis

from calciscope.errors import MissingExtraError, RegistryError

__all__ = ["connect"]


def _postgres(url: str) -> Any:
    parsed = urlparse(url)
    try:
        return ibis.postgres.connect(
            host=parsed.hostname or "localhost",
            port=parsed.port or 5432,
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            database=parsed.path.lstrip("/") or None,
        )
    except ModuleNotFoundError as exc:
        raise MissingExtraError("psycopg", "postgres") from exc


def connect(url: str | Path) -> Any:
    """Open an Ibis backend for a database URL.

    Parameters
    ----------
    url
        ``sqlite:///file.db``, ``postgresql+psycopg://user@host:port/db``, ``duckdb:///file.duckdb``
        (``duckdb://`` alone is an in-memory database), or a plain path to an SQLite file.

    Returns
    -------
    ibis.BaseBackend
        A connection on which calciscope's expressions run.
    """
    text = str(url)
    scheme = text.split("://", 1)[0].split("+", 1)[0] if "://" in text else "sqlite"
    if scheme == "sqlite":
        path = text.split(":///", 1)[1] if "://" in text else text
        return ibis.sqlite.connect(path or ":memory:")
    if scheme in ("postgresql", "postgres"):
        return _postgres(text)
    if scheme == "duckdb":
        path = text.split(":///", 1)[1] if ":///" in text else ""
        return ibis.duckdb.connect(path or ":memory:")
    raise RegistryError(
        f"unsupported database URL {text!r}: use sqlite:///, postgresql+psycopg:// or duckdb:///"
    )
