"""Database URLs in one place: normalise them, and show them without their password.

Every URL a user passes (``--db``, an OMOP CDM, an export target) goes through
:func:`normalise_url` before a connection is made, and through :func:`display_url` before it is
printed, logged or written into a report (manifest.json, results.json, index.html). Error
messages that may quote a URL go through :func:`hide_password`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["display_url", "hide_password", "normalise_url"]

#: ``scheme://user:secret@`` when SQLAlchemy cannot parse the rest of the URL
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):(?P<secret>[^@\s]*)@")
#: ``;token=secret`` of a Spark Connect URL (``sc://host:port/;token=...``)
_SC_TOKEN = re.compile(r"(?P<head>;token=)(?P<secret>[^;\s]*)")


def normalise_url(url: str | Path) -> str:
    """Return a SQLAlchemy URL; a bare path means an SQLite file.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://`` (the driver
    calciscope installs); ``spark://local`` gets its warehouse folder as an absolute path
    (``./calciscope-warehouse`` by default, :mod:`calciscope.engine.spark`).

    Parameters
    ----------
    url
        ``sqlite:///file.db``, ``postgresql+psycopg://...``, ``duckdb:///...``,
        ``spark://local?warehouse=PATH``, ``sc://HOST:PORT``, or a file path.
    """
    text = str(url)
    if "://" not in text:
        return f"sqlite:///{text}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith("spark://"):
        from calciscope.engine.spark import normalise_spark_url

        return normalise_spark_url(text)
    return text


def display_url(url: str | Path) -> str:
    """Return the URL as it may be shown: the password replaced by ``***``.

    Parameters
    ----------
    url
        Any database URL or file path; paths come back unchanged.
    """
    text = str(url)
    if "://" not in text:
        return text
    if text.startswith(("sc://", "spark://")):
        return _SC_TOKEN.sub(r"\g<head>***", text)
    try:
        return make_url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _USERINFO.sub(r"\g<head>:***@", text)


def hide_password(text: str, url: str | Path) -> str:
    """Return ``text`` (an error message, a log line) with the URL's password replaced by ``***``.

    Parameters
    ----------
    text
        What is about to be shown.
    url
        The URL whose password must not appear in it.
    """
    secrets = set()
    token = _SC_TOKEN.search(str(url))
    if token and token["secret"]:
        secrets.add(token["secret"])
    try:
        password = make_url(str(url)).password
    except (ArgumentError, ValueError):
        match = _USERINFO.search(str(url))
        password = unquote(match["secret"]) if match else None
    if password:
        secrets |= {str(password), quote(str(password), safe=""), quote(str(password))}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
