"""``calciscope review list|confirm|reject|acknowledge|dismiss``: the review queue in the terminal.

Suggested facts are confirmed or rejected (the fact counts, or not). Patient items (a possible
case, an at-risk prompt, an unknown phenotype...) are prompts to look, never a diagnosis: they
are acknowledged (marked reviewed) or dismissed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, JsonOption, parse_index_date
from calciscope.cli.output import echo_json, registry_index_date

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
_FACT_IDS = Annotated[list[str], typer.Argument(help="Suggested fact items (fact:F...).")]
_ITEM_IDS = Annotated[
    list[str], typer.Argument(help="Patient items (KIND:PATIENT, e.g. at_risk:P0192).")
]
QueueDateOption = Annotated[
    str | None,
    typer.Option(
        "--index-date",
        help=(
            "Date (YYYY-MM-DD) the patient items (at-risk prompts, ...) are evaluated at; facts "
            "after it are ignored. Default: the registry's as-of date (calciscope registry "
            "set-as-of), today when none is set (printed)."
        ),
    ),
]


def _render(items: list[api.ReviewItem], total: int, offset: int, when: str) -> None:
    table = Table(title=f"review queue: {total} open item(s); patient items at {when}")
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
    index_date: QueueDateOption = None,
    db: DbOption = None,
) -> None:
    """List the open review items with the reason each is there and its evidence sentence.

    Patient items (possible cases, at-risk prompts, unknown phenotypes...) are evaluated at the
    registry's as-of date (today when none is set), as the web app and ``patients show
    --explain`` are, unless ``--index-date`` chooses another; the table says which.
    """
    chosen = parse_index_date(index_date)
    page = limit if limit is not None else (None if as_json else 50)
    with api.open_registry(db) as registry:
        when, when_text = registry_index_date(registry, chosen)
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
    _render(items, sum(counts.values()), offset, when_text)


def kinds(as_json: JsonOption = False) -> None:
    """List the review queue kinds (data in phenotype/review_queue.yaml)."""
    if as_json:
        echo_json(api.queue_kinds())
        return
    table = Table(title="review queue kinds")
    for header in ("kind", "label", "decided by", "description"):
        table.add_column(header, overflow="fold")
    for k in api.queue_kinds():
        if k.source is api.QueueSource.SUGGESTED_FACTS:
            how = "confirm/reject the fact"
        elif k.decidable:
            how = "acknowledge (mark reviewed)/dismiss"
        else:
            how = "deciding its suggested facts"
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
    ids: _FACT_IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Confirm suggested facts: each then counts as recorded; all or nothing.

    Patient items are acknowledged (``review acknowledge``), never confirmed.
    """
    _only_facts(ids, "acknowledge")
    _decide(ids, "confirm", reason, reviewer, db, redecide)


def reject(
    ids: _FACT_IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Reject suggested facts: they then never count; all or nothing.

    Patient items are dismissed (``review dismiss``).
    """
    _only_facts(ids, "dismiss")
    _decide(ids, "reject", reason, reviewer, db, redecide)


def acknowledge(
    ids: _ITEM_IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Mark patient items reviewed (at-risk prompts, ...): seen and acted on; no diagnosis.

    All or nothing. Suggested facts are confirmed or rejected instead.
    """
    _only_items(ids, "confirm")
    _decide(ids, "acknowledge", reason, reviewer, db, redecide)


def dismiss(
    ids: _ITEM_IDS,
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
    redecide: RedecideOption = False,
    db: DbOption = None,
) -> None:
    """Dismiss patient items (not applicable to this patient); all or nothing."""
    _only_items(ids, "reject")
    _decide(ids, "dismiss", reason, reviewer, db, redecide)


def _only_facts(ids: list[str], instead: str) -> None:
    items = [i for i in ids if not api.is_fact_item(i)]
    if items:
        raise typer.BadParameter(
            f"{', '.join(items)}: not a suggested fact; a patient item is a prompt to look, "
            f"not a finding: use `calciscope review {instead}`",
            param_hint="IDS",
        )


def _only_items(ids: list[str], instead: str) -> None:
    facts = [i for i in ids if api.is_fact_item(i)]
    if facts:
        raise typer.BadParameter(
            f"{', '.join(facts)}: a suggested fact is confirmed or rejected: use "
            f"`calciscope review {instead}`",
            param_hint="IDS",
        )


def register(app: typer.Typer) -> None:
    """Add ``review`` to the root app."""
    review_app.command("list")(list_)
    review_app.command("kinds")(kinds)
    review_app.command("confirm")(confirm)
    review_app.command("reject")(reject)
    review_app.command("acknowledge")(acknowledge)
    review_app.command("dismiss")(dismiss)
    app.add_typer(review_app, name="review")
