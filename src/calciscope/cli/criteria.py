"""Commands ``calciscope criteria score`` and ``calciscope classify``, and the explanation renderer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calciscope import api
from calciscope.cli.options import (
    DbOption,
    JsonOption,
    RegistryDateOption,
    parse_index_date,
)
from calciscope.cli.output import echo_json, mark_read_only, progress, registry_index_date

__all__ = ["criteria_app", "register", "render_explanation"]

criteria_app = typer.Typer(
    help="Classification criteria: the spreadsheet calculator.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

MinProbabilityOption = Annotated[
    float | None,
    typer.Option(
        "--min-probability",
        min=0.5,
        max=0.9,
        help="Minimum 2017 IIM probability for 'probable', i.e. classified (default 0.55).",
    ),
]

_STYLE = {
    api.ItemState.COUNTED: "green",
    api.ItemState.SUPERSEDED: "dim green",
    api.ItemState.ABSENT: "dim",
    api.ItemState.UNKNOWN: "yellow",
    api.ItemState.NOT_SCORED: "dim",
}


def score(
    patients: Annotated[
        Path,
        typer.Argument(help="CSV: patient_id and feature columns.", exists=True, dir_okay=False),
    ],
    sets: Annotated[
        str, typer.Option("--sets", help="Comma-separated criteria sets, in output order.")
    ] = "ssc2013,leroy,mrss,iim2017",
    fmt: Annotated[
        api.ScoreFormat, typer.Option("--format", help="Output format.")
    ] = api.ScoreFormat.CSV,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
    min_probability: MinProbabilityOption = None,
) -> None:
    """Score every patient of a spreadsheet by the chosen criteria sets (unknown cells give bounds)."""
    if out is None:
        mark_read_only()
    chosen = [s.strip() for s in sets.split(",") if s.strip()]
    scores = api.score_spreadsheet(patients, sets=chosen, min_probability=min_probability)
    text = api.write_scores(scores, out, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        console.print(f"wrote {scores.num_rows} patients to {out}", style="green")


def classify(
    db: DbOption = None,
    index_date: RegistryDateOption = None,
    min_probability: MinProbabilityOption = None,
    as_json: JsonOption = False,
) -> None:
    """Classify every registry patient by every criteria set and phenotype, and store the results."""
    chosen = parse_index_date(index_date)
    with (
        api.open_registry(db) as registry,
        progress(err_console, "classifying inside the database"),
    ):
        when, when_text = registry_index_date(registry, chosen)
        summary = api.classify_registry(registry, index_date=when, min_probability=min_probability)
    if as_json:
        echo_json(summary)
        return
    console.print(
        f"classified {summary.patients} patients at {when_text}: "
        f"{summary.rows} results stored in classification_results"
    )
    table = Table("criteria set", "status", "patients")
    for cset, counts in summary.counts.items():
        for status, n in sorted(counts.items()):
            table.add_row(cset, status, str(n))
    console.print(table)


def _render_result(con: Console, result: api.CriteriaResult) -> None:
    bounds = ""
    if result.score_min is not None:
        bounds = f"  score {result.score_min:g}–{result.score_max:g}"
    decided = "decided" if result.decided else "undetermined"
    con.print(
        f"[bold]{result.name}[/bold] ({result.version}): [bold]{result.status}[/bold]{bounds}  [{decided}]"
    )
    table = Table("item", "group", "state", "weight", "could flip", box=None, pad_edge=False)
    for item in result.items:
        weight = "" if item.weight is None else f"{item.weight:g}"
        table.add_row(
            item.id,
            "" if item.group == item.id else item.group,
            f"[{_STYLE[item.state]}]{item.state.value}[/]",
            weight,
            "yes" if item.could_flip else "",
        )
    con.print(table)
    extras = {
        k: v
        for k, v in result.outputs.items()
        if "probability" in k or k.endswith(("variant", "subgroup"))
    }
    if extras:
        con.print(
            "  "
            + ", ".join(
                f"{k} = {v:.4f}" if isinstance(v, float) else f"{k} = {v}"
                for k, v in extras.items()
            )
        )
    for note in result.notes:
        con.print(f"  [magenta]note:[/magenta] {note}")
    if result.could_flip:
        con.print(f"  unknown items that could change the result: {', '.join(result.could_flip)}")
    con.print(f"  [dim]{result.citation}[/dim]")


def render_explanation(con: Console, explanation: api.PatientExplanation) -> None:
    """Print every criteria result (items counted, absent, unknown; bounds; flips) and the phenotypes."""
    con.print(f"[bold]Criteria for {explanation.patient_id} at {explanation.index_date}[/bold]")
    source = (
        "classify's results: definitions and data unchanged since"
        if explanation.source is api.ResultSource.STORED
        else "computed now: no fresh stored results"
    )
    con.print(f"source: {explanation.source.value} [dim]({source})[/dim]")
    for result in explanation.criteria:
        _render_result(con, result)
    table = Table("phenotype", "value", "note", "rule", box=None, pad_edge=False)
    for ph in explanation.phenotypes:
        value = "unknown" if ph.value is None else str(ph.value)
        table.add_row(ph.id, value, ph.note, f"[dim]{ph.rule}[/dim]")
    con.print(table)
    con.print("[dim]The at-risk prompt is a prompt to look, not a diagnosis or a prediction.[/dim]")


def register(app: typer.Typer) -> None:
    """Add ``criteria score`` and ``classify`` to the root app."""
    criteria_app.command("score")(score)
    app.add_typer(criteria_app, name="criteria")
    app.command("classify")(classify)
