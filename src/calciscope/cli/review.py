"""``calciscope review list|confirm|reject``: the review queue in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, IndexDateOption, JsonOption, parse_date
from calciscope.cli.output import echo_json

__all__ = ["ReasonOption", "RedecideOption", "ReviewerOption", "register"]

review_app = typer.Typer(
    help="The review queue: what needs a person, and their decisions.", no_args_is_help=True
)

ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (required; recorded with the decision).")
]
ReviewerOption = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        help="Who decides (default: $CALCISCOPE_USER, else the OS user).",
        show_default=False,
    ),
]
_IDS = Annotated[list[str], typer.Argument(help="Queue item ids (fact:F..., or KIND:PATIENT).")]


def _render(items: list[api.ReviewItem], total: int, offset: int) -> None:
    table = Table(title=f"review queue: {total} open item(s)")
    for header in ("item", "kind", "patient", "reason", "evidence"):
        table.add_column(header, overflow="fold")
    for item in items:
        evidence = ""
        if item.evidence is not None:
            evidence = f"{item.evidence.note_id}: {item.evidence.sentence}"
        table.add_row(item.item_id, item.kind, item.patient_id, item.reason, evidence)
    console.print(table)
    after = total - offset - len(items)
    if after > 0:
        console.print(
            f"items {offset + 1}-{offset + len(items)} of {total}; {after} more: use "
            f"--offset {offset + len(items)}, --limit, --kind or --patient"
        )


def list_(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only this kind (repeatable); see `review kinds`."),
    ] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient.")] = None,
    as_json: JsonOption = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="Items listed (default 50 in the table, all with --json)."
        ),
    ] = None,
    offset: Annotated[
        int, typer.Option("--offset", min=0, help="Skip this many items (the next page).")
    ] = 0,
    index_date: IndexDateOption = None,
    db: DbOption = None,
) -> None:
    """List the open review items with the reason each is there and its evidence sentence."""
    when = parse_date(index_date)
    page = limit if limit is not None else (None if as_json else 50)
    with api.open_registry(db) as registry:
        if patient is not None:
            api.patient_record(registry, patient)  # an unknown id is an error, not an empty list
        items = api.review_queue(
            registry, kinds=kind, patient=patient, index_date=when, limit=page, offset=offset
        )
        if not as_json:
            counts = api.review_queue_counts(registry, kinds=kind, patient=patient, index_date=when)
    if as_json:
        echo_json(items)
        return
    _render(items, sum(counts.values()), offset)


def kinds(as_json: JsonOption = False) -> None:
    """List the review queue kinds (data in phenotype/review_queue.yaml)."""
    if as_json:
        echo_json(api.queue_kinds())
        return
    table = Table(title="review queue kinds")
    for header in ("kind", "label", "decided by", "description"):
        table.add_column(header, overflow="fold")
    for k in api.queue_kinds():
        how = "confirm/reject" if k.decidable else "deciding other items"
        table.add_row(k.name, k.label, how, k.description)
    console.print(table)


RedecideOption = Annotated[
    bool,
    typer.Option(
        "--redecide",
        help="Also change items someone already decided (otherwise that is a conflict).",
    ),
]


def _decide(
    ids: list[str],
    decision: str,
    reason: str,
    reviewer: str | None,
    db: str | None,
    redecide: bool,
) -> None:
    with api.open_registry(db) as registry:
        records = api.review_items(
            registry, ids, decision, reviewer=reviewer, reason=reason, only_open=not redecide
        )
    for r in records:
        console.print(
            f"{r.item_id}: {r.previous_state} -> {r.new_state} (by {r.reviewer}, version {r.version})"
        )


def confirm(
    ids: _IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Confirm suggested facts (or acknowledge other items); all or nothing."""
    _decide(ids, "confirm", reason, reviewer, db, redecide)


def reject(
    ids: _IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Reject suggested facts (or dismiss other items); all or nothing."""
    _decide(ids, "reject", reason, reviewer, db, redecide)


def register(app: typer.Typer) -> None:
    """Add ``review`` to the root app."""
    review_app.command("list")(list_)
    review_app.command("kinds")(kinds)
    review_app.command("confirm")(confirm)
    review_app.command("reject")(reject)
    app.add_typer(review_app, name="review")
