"""Commands for clinical notes: ``notes extract``, ``extract-file``, ``assess``, ``rtf``."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from calciscope import api
from calciscope.api import notes as notes_api
from calciscope.cli.options import DbOption, parse_date
from calciscope.cli.output import mark_read_only, progress, whole_file

__all__ = ["notes_app", "register"]

console = Console(stderr=True)
notes_app = typer.Typer(
    help="Read clinic letters and radiology reports: suggested facts, mentions, assessments.",
    no_args_is_help=True,
)

ContextJson = Annotated[
    list[Path] | None,
    typer.Option(
        "--context-rules",
        help="medspaCy context_rules JSON file to add to the packaged ConText rules (repeatable).",
        exists=True,
        dir_okay=False,
    ),
]


@notes_app.command("extract")
def extract(
    db: DbOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only notes dated on or after this day (YYYY-MM-DD)."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, help="Worker processes (2 uses both cores).")
    ] = 1,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Notes per batch.")] = 500,
    target_rules: Annotated[
        Path | None,
        typer.Option(
            "--target-rules", exists=True, dir_okay=False, help="YAML replacing targets.yaml."
        ),
    ] = None,
    context_rules: ContextJson = None,
) -> None:
    """Extract suggested facts (review state 'suggested') from every note in the registry.

    Re-running is safe: existing facts are kept, confirmed and rejected ones are never touched.
    """
    day = parse_date(since)
    registry = api.open_registry(db)
    try:
        total = registry.counts()["notes"]
        with progress(console, "reading notes") as update:
            if day is None:
                update(-total)
            summary = notes_api.extract_notes(
                registry,
                since=day,
                jobs=jobs,
                chunk=chunk,
                target_rules=target_rules,
                context_json=context_rules or (),
                progress=update,
            )
    finally:
        registry.close()
    console.print(
        f"{summary.notes} notes read; {summary.facts} suggested facts, "
        f"{summary.new_facts} new ({summary.engine})"
        + (
            f"; {summary.replaced_facts} unreviewed suggestions of an older version replaced"
            if summary.replaced_facts
            else ""
        )
        + (
            f"; {summary.already_decided} left out, already decided by a reviewer"
            if summary.already_decided
            else ""
        )
        + (
            f"; {summary.before_birth} left out, dated before the patient's birth"
            if summary.before_birth
            else ""
        )
    )


@notes_app.command("extract-file")
def extract_file(
    source: Annotated[
        Path,
        typer.Argument(
            exists=True, help="A text file, a folder of .txt files, or a CSV/TSV/JSONL file."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="JSON-lines output (default: standard output)."),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Document id column (tables; default note_id or id)."),
    ] = None,
    text_column: Annotated[
        list[str] | None,
        typer.Option("--text-column", help="Text column (tables; repeatable; default text)."),
    ] = None,
    context_rules: ContextJson = None,
) -> None:
    """Write one JSON line per mention (offsets, category, rule, modifiers, flags, links)."""
    if out is None:
        mark_read_only()
    handle: TextIO
    with whole_file(out) if out else nullcontext(sys.stdout) as handle:
        docs, mentions = notes_api.extract_file(
            source,
            handle,
            id_column=id_column,
            text_columns=text_column or (),
            context_json=context_rules or (),
        )
    console.print(
        f"{api.counted(docs, 'document')}, {api.counted(mentions, 'mention')}"
        + (f" -> {out}" if out else "")
    )


@notes_app.command("assess")
def assess(
    source: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="TSV with Condition and sentence columns."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output TSV (default: standard output).")
    ] = None,
) -> None:
    """Add calciscope_negation, calciscope_temporality and calciscope_experiencer columns."""
    if out is None:
        mark_read_only()
    handle: TextIO
    with whole_file(out, newline="") if out else nullcontext(sys.stdout) as handle:
        rows = notes_api.assess_tsv(source, handle)
    console.print(f"{api.counted(rows, 'row')} assessed" + (f" -> {out}" if out else ""))


@notes_app.command("rtf")
def rtf(db: DbOption = None) -> None:
    """List the stored notes whose text is raw RTF, to re-import them from their source.

    Exit status 1 when there are any (a check for scripts), 0 when there are none.
    """
    mark_read_only()
    with api.open_registry(db) as registry:
        found = notes_api.rtf_notes(registry)
    for note in found:
        day = note.note_date.isoformat() if note.note_date else "undated"
        print(f"{note.note_id}\t{note.patient_id}\t{day}\t{note.note_type.value}")
    if not found:
        console.print("no note is stored as raw RTF")
        return
    console.print(
        f"{api.counted(len(found), 'note')} stored as raw RTF (control words and all): re-import "
        "the FHIR bundle, notes.jsonl or OMOP NOTE table they came from (the registry replaces "
        "each with its plain text and drops the suggestions no one decided on), then run "
        "`calciscope notes extract`"
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``notes`` command group to the root app."""
    app.add_typer(notes_app, name="notes")
