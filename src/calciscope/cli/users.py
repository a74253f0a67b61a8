"""``calciscope users add|list|disable|password|end-sessions``: who may use the review workspace."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from calciscope import api
from calciscope.cli.cohort import console
from calciscope.cli.options import DbOption, JsonOption
from calciscope.cli.output import echo_json
from calciscope.errors import Problem, ValidationError

__all__ = ["register"]

users_app = typer.Typer(help="Registry users, their roles and passwords.", no_args_is_help=True)
_Name = Annotated[str, typer.Argument(help="Login name.")]


def add(
    name: _Name,
    role: Annotated[str, typer.Option("--role", help="admin, clinician or researcher.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user; the password is prompted for (or read from stdin) and stored as argon2id."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else _prompt_password(name)
    with api.open_registry(db) as registry:
        user = api.add_user(registry, name, role, password)
    console.print(f"added user {user.name} ({user.role.value})")


def _prompt_password(name: str, summary: str = "cannot add user") -> str:
    """Ask for the password twice; without a terminal (a script, a pipe), say how to give it."""
    try:
        return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))
    except typer.Abort:
        if sys.stdin is not None and sys.stdin.isatty():
            raise  # Ctrl-C at the prompt: the usual "Aborted!"
        problem = Problem(
            "user",
            name,
            "password",
            "no password was typed (no terminal); give it on standard input with --password-stdin",
        )
        raise ValidationError([problem], summary=summary) from None


def list_(
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List users with their role and whether they are active."""
    with api.open_registry(db) as registry:
        users = api.list_users(registry)
    if as_json:
        echo_json(users)
        return
    table = Table(title=f"{len(users)} user(s)")
    for header in ("name", "role", "active", "created"):
        table.add_column(header)
    for u in users:
        table.add_row(
            u.name,
            u.role.value,
            "yes" if u.active else "no",
            u.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


def disable(name: _Name, db: DbOption = None) -> None:
    """Disable a user (kept for the audit trail; they can no longer log in)."""
    with api.open_registry(db) as registry:
        user = api.disable_user(registry, name)
    console.print(f"disabled user {user.name}")


def password(
    name: _Name,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Set a user's password; every web session of theirs ends (they sign in again)."""
    with api.open_registry(db) as registry:
        api.get_user(registry, name)  # "no such user" before asking for a password (fix40)
        if password_stdin:
            new = sys.stdin.readline().rstrip("\r\n")
        else:
            new = _prompt_password(name, "cannot set password")
        api.set_password(registry, name, new, actor=api.default_actor())
    console.print(f"set the password of {name}; every session of theirs has ended")


def end_sessions(name: _Name, db: DbOption = None) -> None:
    """Sign a user out everywhere: every web session of theirs ends (audited as you)."""
    with api.open_registry(db) as registry:
        api.end_sessions(registry, name, actor=api.default_actor())
    console.print(f"ended every session of {name}; they sign in again")


def register(app: typer.Typer) -> None:
    """Add ``users`` to the root app."""
    users_app.command("add")(add)
    users_app.command("list")(list_)
    users_app.command("disable")(disable)
    users_app.command("password")(password)
    users_app.command("end-sessions")(end_sessions)
    app.add_typer(users_app, name="users")
