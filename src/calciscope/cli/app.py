"""The ``calciscope`` command: one Typer app, one module per command group.

Commands hold no clinical logic: they parse options, call :mod:`calciscope.api` and render.
Every :class:`~calciscope.errors.CalciscopeError` is shown as its message (exit code 1),
never as a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from calciscope.errors import CalciscopeError

__all__ = ["app", "main"]


class _Group(TyperGroup):
    """Root group that turns calciscope errors into clean command-line errors."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
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


def _register_all() -> None:
    # One module per command group; each adds its commands to the root app.
    from calciscope.cli import (
        audit,
        cohort,
        criteria,
        demo,
        facts,
        interop,
        notes,
        review,
        serve,
        study,
        users,
    )

    for module in (demo, cohort, criteria, notes, interop, study, serve):
        module.register(app)
    for module in (review, facts, users, audit):
        module.register(app)


_register_all()


def main() -> None:
    """Run the CLI."""
    app()
