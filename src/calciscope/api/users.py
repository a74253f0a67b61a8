"""Verbs for users and the audit log: add, change, authenticate users; record and read audit rows.

Users are added, listed, disabled, given a new password and signed out everywhere.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106); the hash never leaves
this module. Every change to a user writes an audit row in the same transaction. The audit log
is append-only: there is no verb to edit or delete a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.model import Role
from calciscope.storage import ImportSummary, Registry
from calciscope.storage.review import AuditEntry, ReviewRepository, User, user_from_row

__all__ = [
    "AuditEntry",
    "User",
    "add_user",
    "audit_log",
    "authenticate",
    "default_actor",
    "disable_user",
    "end_sessions",
    "export_audit_log",
    "get_user",
    "list_users",
    "record_audit",
    "set_password",
    "write_audit_csv",
]

#: Shortest password ``add_user`` accepts.
MIN_PASSWORD_LENGTH = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()


def default_actor() -> str:
    """Return who is acting from the command line: ``$CALCISCOPE_USER``, else the OS user."""
    name = os.environ.get("CALCISCOPE_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data (dates as ISO text, enums by value)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return str(value)


def require_text(problems: list[Problem], source: str, field: str, value: str | None) -> None:
    """Add a problem naming ``field`` when ``value`` is empty or cannot be stored."""
    if value is None or not str(value).strip():
        problems.append(Problem(source, field, field, "is required and cannot be empty"))
    elif "\x00" in str(value):  # as the records refuse it: PostgreSQL cannot store U+0000
        message = "contains a NUL character (U+0000), which a registry cannot store"
        problems.append(Problem(source, field, field, message))


def _user_problems(name: str, role: str | Role, password: str) -> list[Problem]:
    problems = []
    if not _NAME_RE.match(name or ""):
        problems.append(Problem("user", name, "name", "1-64 letters, digits, '.', '_', '@' or '-'"))
    if role not in Role._value2member_map_:
        problems.append(Problem("user", name, "role", f"{role!r} is not one of {', '.join(Role)}"))
    return problems + _password_problems(name, password)


def _password_problems(name: str, password: str) -> list[Problem]:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        message = f"needs at least {MIN_PASSWORD_LENGTH} characters"
        return [Problem("user", name, "password", message)]
    return []


def add_user(
    registry: Registry, name: str, role: Role | str, password: str, *, actor: str | None = None
) -> User:
    """Add an active user with an argon2id password hash.

    Parameters
    ----------
    registry
        The registry.
    name, role, password
        The user's login name, role (admin, clinician or researcher) and password.
    actor
        Who adds the user, for the audit log (:func:`default_actor` by default).

    Raises
    ------
    ValidationError
        Naming the field: a bad or taken name, an unknown role, a short password.
    """
    problems = _user_problems(name, role, password)
    if problems:
        raise ValidationError(problems, summary="cannot add user")
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        if repo.user_row(conn, name) is not None:
            raise ValidationError(
                [Problem("user", name, "name", "a user with this name exists")],
                summary="cannot add user",
            )
        user = repo.insert_user(conn, name, Role(role), _HASHER.hash(password))
        repo.append_audit(
            conn,
            actor=actor or default_actor(),
            action="user.add",
            target=f"user:{name}",
            after={"name": name, "role": user.role.value, "active": True},
        )
    return user


def list_users(registry: Registry) -> list[User]:
    """Return every user, by name (without password hashes)."""
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        return repo.users(conn)


def _existing_user(repo: ReviewRepository, conn: Any, name: str, summary: str) -> Any:
    """Return the user's row, or raise :class:`NotFoundError` naming the field ``name``.

    The one "no such user" of every verb that changes a named user (disable, end sessions,
    set a password); ``summary`` says what could not be done.
    """
    row = repo.user_row(conn, name)
    if row is None:
        raise NotFoundError([Problem("user", name, "name", "no such user")], summary=summary)
    return row


def get_user(registry: Registry, name: str) -> User:
    """Return one user (without the password hash).

    Raises
    ------
    NotFoundError
        When there is no such user (a :class:`ValidationError`).
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        return user_from_row(_existing_user(repo, conn, name, "no such user"))


def disable_user(registry: Registry, name: str, *, actor: str | None = None) -> User:
    """Disable a user (kept for the audit trail; a disabled user cannot log in).

    Raises
    ------
    NotFoundError
        When there is no such user (a :class:`ValidationError`).
    """
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        row = _existing_user(repo, conn, name, "cannot disable user")
        repo.update_user(conn, name, active=False)
        repo.append_audit(
            conn,
            actor=actor or default_actor(),
            action="user.disable",
            target=f"user:{name}",
            before={"active": bool(row["active"])},
            after={"active": False},
        )
        return user_from_row({**row, "active": False})


def end_sessions(registry: Registry, name: str, *, actor: str | None = None) -> int:
    """Sign a user out everywhere: every web session signed in before now is over.

    Moves the user's session number on (``users.session_epoch``) and writes the audit row, in
    one transaction. The web app keeps in each session the number it was signed in at and
    refuses a session whose number has moved on, so a copy of a session cookie taken before
    the sign-out opens nothing after it. Returns the new number.

    ``actor`` is who ends them: the user (``None``, the default: their own *Sign out*, audit
    action ``logout``) or someone else (an admin's *End sessions*, ``calciscope users
    end-sessions``: audit action ``user.end_sessions``, that person as its actor).

    Raises
    ------
    NotFoundError
        When there is no such user (a :class:`ValidationError`).
    """
    who = actor or name
    action = "logout" if who == name else "user.end_sessions"
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        _existing_user(repo, conn, name, "cannot end sessions")
        epoch = repo.end_sessions(conn, name)
        repo.append_audit(
            conn, actor=who, action=action, target=f"user:{name}", after={"session_epoch": epoch}
        )
    return epoch


def set_password(registry: Registry, name: str, password: str, *, actor: str | None = None) -> int:
    """Give a user a new password and end every session of theirs (a stolen one too).

    The new argon2id hash and the moved-on session number (:func:`end_sessions`) are written
    with the ``user.password`` audit row (who, whose; never the password or its hash) in one
    transaction. Returns the new session number: the web app writes it into the session that
    changed its own user's password, which alone stays signed in. Not a check of the old
    password: the web app's own form asks for it (:func:`authenticate`) first.

    Raises
    ------
    ValidationError
        Naming the field: ``password`` shorter than ``MIN_PASSWORD_LENGTH``; ``name`` when
        there is no such user (a :class:`NotFoundError`).
    """
    problems = _password_problems(name, password)
    if problems:
        raise ValidationError(problems, summary="cannot set password")
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        _existing_user(repo, conn, name, "cannot set password")
        repo.update_user(conn, name, password_hash=_HASHER.hash(password))
        epoch = repo.end_sessions(conn, name)
        repo.append_audit(
            conn,
            actor=actor or default_actor(),
            action="user.password",
            target=f"user:{name}",
            after={"session_epoch": epoch},
            detail="password changed; every session signed in before it ended",
        )
    return epoch


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("calciscope: no such user")


def authenticate(registry: Registry, name: str, password: str) -> User | None:
    """Return the user when the name and password match an active user, else None.

    An unknown name costs one hash verification like a known one, so timing does not tell
    which names exist. An old-parameter hash is upgraded on a successful login.
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        row = repo.user_row(conn, name)
    stored = row["password_hash"] if row is not None else _dummy_hash()
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["active"]:
        return None
    if _HASHER.check_needs_rehash(stored):
        with repo.transaction() as conn:
            repo.update_user(conn, name, password_hash=_HASHER.hash(password))
    return user_from_row(row)


def record_audit(
    registry: Registry,
    *,
    actor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    detail: str | None = None,
    wait_for_disk: bool = True,
) -> None:
    """Append one row to the audit log (login, patient read, import, export, study run, ...).

    ``wait_for_disk=False`` (the web app's row of each patient read): on PostgreSQL the row is
    committed without waiting for the server's disk, as SQLite registries commit every row
    (WAL with ``synchronous=NORMAL``); a crash of the database server may lose the last
    fraction of a second of such rows, never the writes they describe.

    Raises
    ------
    ValidationError
        When ``actor``, ``action`` or ``target`` is empty.
    """
    problems: list[Problem] = []
    for field, value in (("actor", actor), ("action", action), ("target", target)):
        require_text(problems, "audit", field, value)
    if problems:
        raise ValidationError(problems, summary="cannot record audit entry")
    repo = ReviewRepository(registry)
    with repo.transaction(wait_for_disk=wait_for_disk) as conn:
        repo.append_audit(
            conn,
            actor=actor,
            action=action,
            target=target,
            before=jsonable(before),
            after=jsonable(after),
            detail=detail,
        )


def audit_import(registry: Registry, summary: ImportSummary, actor: str | None = None) -> None:
    """Append the audit row of an import: who, the source, the batch and what it carried.

    A Spark registry keeps no audit log (it refuses transactions; docs/scale.md): nothing is
    written there.
    """
    if registry.dialect == "spark":
        return
    record_audit(
        registry,
        actor=actor or default_actor(),
        action="import",
        target=summary.source,
        after={"batch_id": summary.batch_id, **summary.counts},
        detail=f"batch {summary.batch_id}",
    )


def audit_log(
    registry: Registry,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    limit: int | None = 1000,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """Return audit rows filtered by actor, action and time (at most ``limit``).

    Oldest first by default; ``newest_first`` returns the latest ``limit`` rows, newest first
    (the audit page), read as such from the registry.
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        return repo.audit_entries(
            conn, actor=actor, action=action, since=since, limit=limit, newest_first=newest_first
        )


_AUDIT_COLUMNS: Sequence[str] = (
    "entry_id",
    "at",
    "actor",
    "action",
    "target",
    "before",
    "after",
    "detail",
)


#: A cell starting with one of these is run as a formula by spreadsheets (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """Return ``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_audit_csv(entries: Iterable[AuditEntry], handle: TextIO) -> int:
    """Write audit rows as CSV (a header, before/after as JSON text); return the row count.

    Text cells (actor, action, target, detail: a reviewer's reason, a patient id) that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) start with ``'`` in the file.
    """
    writer = csv.writer(handle)
    writer.writerow(_AUDIT_COLUMNS)
    count = 0
    for e in entries:
        writer.writerow(
            [
                e.entry_id,
                e.at.isoformat(),
                _spreadsheet_safe(e.actor),
                _spreadsheet_safe(e.action),
                _spreadsheet_safe(e.target),
                "" if e.before is None else json.dumps(e.before, sort_keys=True),
                "" if e.after is None else json.dumps(e.after, sort_keys=True),
                _spreadsheet_safe(e.detail or ""),
            ]
        )
        count += 1
    return count


def export_audit_log(registry: Registry, out: Path) -> int:
    """Write the whole audit log to a CSV file (see :func:`write_audit_csv`); return the rows."""
    entries = audit_log(registry, limit=None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        return write_audit_csv(entries, handle)
