"""``calciscope demo``: the README's main job on the embedded default.

Generates the SYNTHETIC demo cohort, imports it into the embedded SQLite registry, reads its
notes (suggested facts wait in the review queue), runs the default (anchor) study, writes
``calciscope-report/index.html``, prints the headline numbers and how to review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from calciscope import api
from calciscope.cli.cohort import console, err_console, import_demo
from calciscope.cli.options import DbOption
from calciscope.cli.output import progress
from calciscope.cli.study import print_run
from calciscope.errors import MissingExtraError

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
        films = demo_radiographs(registry, out, seed)
        with progress(err_console, "running the default study"):
            run = api.run_demo(registry, out=report)
    console.print("\n[bold]Default study[/] (Achieng et al. 2024 design)")
    print_run(run)
    print_review_hint(db, films, awaiting=run.headline.cases_suggested_only)


def demo_radiographs(registry: api.Registry, out: Path, seed: int) -> Path | None:
    """Index SYNTHETIC phantom films of some patients and import their measurement readings.

    Needs the imaging extra; without it the demo goes on without films and says so.
    """
    try:
        with progress(err_console, "drawing and measuring SYNTHETIC phantom radiographs"):
            films = api.add_demo_radiographs(registry, out, seed)
    except MissingExtraError as exc:
        # escaped: rich would read the hint's "[imaging]" as markup and print "calciscope"
        console.print(f"no SYNTHETIC radiographs in this demo: {escape(str(exc))}", highlight=False)
        return None
    found = ", ".join(f"{k} {n}" for k, n in sorted(films.suggested.items()))
    console.print(
        f"[bold red]SYNTHETIC[/] radiographs: {films.films} phantom films measured ({found}); "
        f"{films.suggested_facts} image-derived suggested facts wait for review"
    )
    return films.folder


def print_review_hint(db: str | None, films: Path | None = None, *, awaiting: int = 0) -> None:
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
        f"  calciscope review confirm fact:FACT_ID --reason TEXT{where}   (a suggested fact)\n"
        f"  calciscope review acknowledge KIND:PATIENT --reason TEXT{where}   (a prompt: mark "
        "reviewed)\n"
        "\n[bold]Review workspace[/] in a browser (docs/web.md; pip install 'calciscope\\[web]'):\n"
        f"  calciscope users add YOUR_NAME --role clinician{where}\n"
        f"  calciscope serve{where} --insecure-cookies"
        + (f" --image-root {films}" if films else "")
        + "\n"
        "  then open http://127.0.0.1:8000 (--insecure-cookies: plain HTTP on this machine only)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)
