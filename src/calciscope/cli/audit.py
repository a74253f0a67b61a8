"""``calciscope audit list|export``: read the append-only audit log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, JsonOption
from calciscope.cli.output import echo_json

__all__ = ["register"]

audit_app = typer.Typer(help="The append-only audit log: who did what, when.", no_args_is_help=True)


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date or time (ISO 8601)") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def list_(
    actor: Annotated[
        str | None, typer.Option("--actor", help="Only this person's actions.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action (review.confirm, ...).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only from this date/time (ISO).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 1000,
    newest_first: Annotated[
        bool, typer.Option("--newest-first", help="The latest rows, newest first.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List audit rows, oldest first (or the latest, newest first)."""
    with api.open_registry(db) as registry:
        entries = api.audit_log(
            registry,
            actor=actor,
            action=action,
            since=_since(since),
            limit=limit,
            newest_first=newest_first,
        )
    if as_json:
        echo_json(entries)
        return
    table = Table(title=f"audit log: {len(entries)} row(s)")
    for header in ("#", "at", "actor", "action", "target", "before -> after", "detail"):
        table.add_column(header, overflow="fold")
    for e in entries:
        change = f"{json.dumps(e.before)} -> {json.dumps(e.after)}"
        table.add_row(
            str(e.entry_id),
            e.at.isoformat(timespec="seconds"),
            e.actor,
            e.action,
            e.target,
            change,
            e.detail or "",
        )
    console.print(table)


def export(
    out: Annotated[Path, typer.Argument(help="CSV file to write.")],
    db: DbOption = None,
) -> None:
    """Export the whole audit log to CSV (before/after as JSON text)."""
    with api.open_registry(db) as registry:
        n = api.export_audit_log(registry, out)
    console.print(f"wrote {n} audit row(s) to {out}")


def register(app: typer.Typer) -> None:
    """Add ``audit`` to the root app."""
    audit_app.command("list")(list_)
    audit_app.command("export")(export)
    app.add_typer(audit_app, name="audit")
