"""``calciscope registry as-of|set-as-of``: the date the registry's patients are evaluated at.

One as-of date per registry (:func:`calciscope.api.registry_as_of`): the web app's patient
pages, patient list and review queue, and ``patients show --explain``, ``patients list``,
``features``, ``classify`` and ``review queue`` unless ``--index-date`` chooses another. Not
set: today (printed, with how to set it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, JsonOption, parse_date
from calciscope.cli.output import echo_json, mark_read_only

__all__ = ["register"]

registry_app = typer.Typer(
    help="The registry's as-of date: the one date its patients are evaluated at.",
    no_args_is_help=True,
)


def as_of(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show the date the registry's patients are evaluated at, and where it comes from."""
    mark_read_only()
    with api.open_registry(db) as registry:
        found = api.registry_as_of(registry)
    if as_json:
        echo_json({"as_of": found.date, "source": found.source, "text": found.describe()})
        return
    console.print(f"{registry.url}: evaluated {found.describe()}", highlight=False)


def set_as_of(
    date: Annotated[
        str | None, typer.Argument(help="The as-of date (YYYY-MM-DD).", show_default=False)
    ] = None,
    study: Annotated[
        Path | None,
        typer.Option("--study", help="Take the date from this study file's population.index_date."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Clear it: the registry is evaluated as of today.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set the registry's as-of date (a DATE, --study FILE or --clear); recorded in the audit log."""
    with api.open_registry(db) as registry:
        found = api.set_registry_as_of(registry, parse_date(date), study=study, clear=clear)
    console.print(f"{registry.url}: now evaluated {found.describe()}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the registry commands to the root app."""
    registry_app.command("as-of")(as_of)
    registry_app.command("set-as-of")(set_as_of)
    app.add_typer(registry_app, name="registry")
