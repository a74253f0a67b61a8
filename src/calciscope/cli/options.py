"""Options shared by every command group (one definition each)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

__all__ = [
    "DbOption",
    "IndexDateOption",
    "JsonOption",
    "RegistryDateOption",
    "StudyDbOption",
    "UpdatePatientsOption",
    "parse_date",
    "parse_index_date",
]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CALCISCOPE_DB",
        help="Registry database URL (sqlite:///file.db, postgresql+psycopg://user@host/db, "
        "spark://local?warehouse=FOLDER or sc://HOST:PORT); default sqlite:///calciscope.db.",
        show_default=False,
    ),
]

#: ``study run`` also runs on a DuckDB file holding the registry's tables.
StudyDbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CALCISCOPE_DB",
        help="The registry (sqlite:///file.db, postgresql+psycopg://user@host/db, "
        "spark://local?warehouse=FOLDER, sc://HOST:PORT), or a DuckDB file holding the "
        "registry's facts and patients tables (duckdb:///FILE.duckdb; DuckDB's memory limit is "
        "1GB unless ?memory_limit=, or $CALCISCOPE_DUCKDB_MEMORY, says otherwise; also threads= "
        "and temp_directory=); default sqlite:///calciscope.db.",
        show_default=False,
    ),
]


def parse_date(value: str | None) -> dt.date | None:
    """Parse an ISO date option (``YYYY-MM-DD``), or None."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_index_date(value: str | None) -> dt.date | None:
    """Parse an ``--index-date`` (``YYYY-MM-DD``), or None; from 1900-01-01 to today.

    A date out of that range is refused as the api refuses it (:func:`api.check_index_date`:
    a ValidationError naming ``--index-date``, exit code 1), before anything is evaluated.
    """
    from calciscope import api

    day = parse_date(value)
    return None if day is None else api.check_index_date(day, field="--index-date")


IndexDateOption = Annotated[
    str | None,
    typer.Option(
        "--index-date",
        help="Index date (YYYY-MM-DD); facts after it are ignored. Default: today (printed).",
    ),
]

RegistryDateOption = Annotated[
    str | None,
    typer.Option(
        "--index-date",
        help="Index date (YYYY-MM-DD); facts after it are ignored. Default: the registry's "
        "as-of date (calciscope registry set-as-of), today when none is set (printed).",
    ),
]

UpdatePatientsOption = Annotated[
    bool,
    typer.Option(
        "--update-patients",
        help="Replace a stored patient's sex, birth date or year, centre or synthetic flag when "
        "the import disagrees (recorded in the import batch); without it such an import fails.",
    ),
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Write JSON to standard output instead of a table.")
]
