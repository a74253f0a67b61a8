"""``calciscope demo``: the README's main job on the embedded default.

Generates the SYNTHETIC demo cohort, imports it into the embedded SQLite registry, runs the
default (anchor) study, writes ``calciscope-report/index.html`` and prints the headline numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calciscope import api
from calciscope.cli.cohort import console, import_demo
from calciscope.cli.options import DbOption
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
    with console.status("generating the synthetic demo cohort"):
        manifest = api.generate_demo_data(out, seed=seed)
    console.print(
        f"[bold red]SYNTHETIC[/] demo cohort: {manifest.patients} patients written to {out}"
    )
    import_demo(out, db=db)
    with api.open_registry(db) as registry, console.status("running the default study"):
        run = api.run_demo(registry, out=report)
    console.print("\n[bold]Default study[/] (Achieng et al. 2024 design)")
    print_run(run)
    _print_serve_hint(db)


def _print_serve_hint(db: str | None) -> None:
    """Say how to open the review workspace on the demo registry."""
    where = f" --db {db}" if db else ""
    console.print(
        "\n[bold]Review workspace[/] (needs pip install 'calciscope[web]'):\n"
        f"  calciscope users add YOUR_NAME --role clinician{where}\n"
        f"  calciscope serve{where} --insecure-cookies\n"
        "  then open http://127.0.0.1:8000 (--insecure-cookies: plain HTTP on this machine only)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)
