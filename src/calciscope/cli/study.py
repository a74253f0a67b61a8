"""``calciscope study``: run a study file on a registry and write the report; print the template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calciscope import api
from calciscope.cli.cohort import console, err_console
from calciscope.cli.options import StudyDbOption
from calciscope.cli.output import mark_read_only, progress

__all__ = ["print_run", "register"]

study_app = typer.Typer(
    help="Studies: case finding against denominators and the case-series report.",
    no_args_is_help=True,
)


def print_run(run: api.StudyRun) -> None:
    """Print the headline numbers, the synthetic warning and the report path."""
    if run.headline.synthetic:
        console.print(
            "[bold red]SYNTHETIC DATA[/]: the demo cohort; no number describes real patients."
        )
    for line in api.headline_lines(run):
        console.print(f"  {line}")
    console.print(f"report: {run.bundle.index_html.resolve()}")
    if run.exports:
        console.print(f"standard exports: {len(run.exports)} file(s) in {run.exports[0].parent}")
    if run.bundle.export_dir is not None:
        console.print(f"pseudonymised export: {run.bundle.export_dir.resolve()}")


@study_app.command("run")
def run(
    study: Annotated[
        Path, typer.Argument(help="The study file (YAML; see `calciscope study init`).")
    ],
    db: StudyDbOption = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the report bundle.")
    ] = api.DEFAULT_REPORT_DIR,
    pseudonymise: Annotated[
        bool | None,
        typer.Option(
            "--pseudonymise/--no-pseudonymise",
            help="Also write export/ with pseudonyms, shifted dates and cells < 5 suppressed "
            "(default: the study file's outputs.pseudonymise).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run STUDY on the registry and write the report bundle (index.html, tables, figures)."""
    with api.open_study_source(db) as registry, progress(err_console, "running the study"):
        result = api.run_study(study, registry, out=out, pseudonymise=pseudonymise)
    print_run(result)


@study_app.command("init")
def init() -> None:
    """Print a commented study file that reproduces the anchor design (redirect it to a file)."""
    mark_read_only()
    typer.echo(api.init_study_text(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the ``study`` group to the root app."""
    app.add_typer(study_app, name="study")
