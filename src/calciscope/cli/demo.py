"""``calciscope demo``: the README's main job on the embedded default.

Generates the SYNTHETIC demo cohort, imports it into the embedded SQLite registry, reads its
notes (suggested facts wait in the review queue), runs the default (anchor) study, writes
``calciscope-report/index.html``, prints the headline numbers and how to review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calciscope import api
from calciscope.cli.cohort import console, err_console, import_demo
from calciscope.cli.options import DbOption
from calciscope.cli.output import progress
from calciscope.cli.study import print_run

__all__ = ["register"]


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the synthetic cohort files.")
    ] = Path("calciscope-demo"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic cohort.")] = 0,
    db: DbOption = None,
    report: Annotated[
        Path, typer.Option("--report", help="Folder of the report bundle.")
    ] = api.DEFAULT_REPORT_DIR,
) -> None:
    """Build the SYNTHETIC demo cohort, import it, run the default study and write the report."""
    with progress(err_console, "generating the synthetic demo cohort"):
        manifest = api.generate_demo_data(out, seed=seed)
    console.print(
        f"[bold red]SYNTHETIC[/] demo cohort: {manifest.patients} patients written to {out}"
    )
    import_demo(out, db=db)
    with api.open_registry(db) as registry:
        with progress(err_console, "reading the notes (suggested facts for review)"):
            notes = api.extract_notes(registry)
        console.print(
            f"read {notes.notes} notes: {notes.new_facts} suggested facts wait for review"
        )
        with progress(err_console, "running the default study"):
            run = api.run_demo(registry, out=report)
    console.print("\n[bold]Default study[/] (Achieng et al. 2024 design)")
    print_run(run)
    print_review_hint(db, awaiting=int(run.headline["cases_suggested_only"]))


def print_review_hint(db: str | None, *, awaiting: int = 0) -> None:
    """Print how to review what the demo suggested: in the terminal, or in the web app."""
    where = f" --db {db}" if db else ""
    cases = (
        f"  calciscope review list --kind suggested_case{where}"
        f"   ({awaiting} would be cases once their suggested facts are confirmed)\n"
        if awaiting
        else ""
    )
    console.print(
        "\n[bold]Review[/] the suggested facts and prompts (docs/review.md):\n"
        f"{cases}"
        f"  calciscope review list{where}\n"
        f"  calciscope review confirm ITEM_ID --reason TEXT{where}\n"
        "\n[bold]Review workspace[/] in a browser (docs/web.md; pip install 'calciscope\\[web]'):\n"
        f"  calciscope users add YOUR_NAME --role clinician{where}\n"
        f"  calciscope serve{where} --insecure-cookies\n"
        "  then open http://127.0.0.1:8000 (--insecure-cookies: plain HTTP on this machine only)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)
