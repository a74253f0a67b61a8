"""The ``calciscope`` command: one Typer app, one module per command group.

Commands hold no clinical logic: they parse options, call :mod:`calciscope.api` and render.
Every :class:`~calciscope.errors.CalciscopeError` is shown as its message (exit code 1),
never as a traceback. ``--verbose``/``--quiet`` (before the command) set the logging level.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from calciscope.cli.output import configure_logging, start_invocation, wrote_nothing
from calciscope.errors import CalciscopeError, ValidationError

__all__ = ["app", "main"]


class _Group(TyperGroup):
    """Root group that turns calciscope errors into clean command-line errors."""

    def invoke(self, ctx: Any) -> Any:
        start_invocation()
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            message = exc.render(nothing_written=wrote_nothing())
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=1) from exc
        except CalciscopeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc


app = typer.Typer(
    name="calciscope",
    cls=_Group,
    help="Find, classify and describe calcinosis phenotypes in SSc and myositis cohorts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="Say more on standard error (-vv: debugging).",
        ),
    ] = 0,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Only errors on standard error; no progress bars."),
    ] = False,
) -> None:
    """Find, classify and describe calcinosis phenotypes in SSc and myositis cohorts."""
    from calciscope.cli import interop, notes

    configure_logging(verbose=verbose, quiet=quiet)
    for console in (interop.console, notes.console):  # their chatter goes to standard error
        console.quiet = quiet


def _register_all() -> None:
    # One module per command group; each adds its commands to the root app.
    from calciscope.cli import (
        audit,
        cohort,
        criteria,
        demo,
        facts,
        imaging,
        interop,
        notes,
        registry,
        review,
        serve,
        study,
        users,
    )

    for module in (demo, cohort, criteria, notes, interop, study, imaging, serve):
        module.register(app)
    for module in (review, facts, users, audit, registry):
        module.register(app)


_register_all()


def main() -> None:
    """Run the CLI."""
    app()
