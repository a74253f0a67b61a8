"""Verbs for users and the audit log: add, change, authenticate users; record and read audit rows.

Users are added, listed, disabled, given a new password (by an admin, or by themselves after
the current one) and signed out everywhere.

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
from sqlalchemy import Connection, RowMapping

from calciscope.errors import NotFoundError, Problem, ValidationError, WrongPasswordError
from calciscope.model import Role
from calciscope.storage import ImportSummary, Registry
from calciscope.storage.review import AuditEntry, ReviewRepository, User, user_from_row

__all__ = [
    "AuditEntry",
    "User",
    "add_user",
    "audit_log",
    "authenticate",
    "change_password",
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

#: Shortest password ``add_user``, ``set_password`` and ``change_password`` accept.
MIN_PASSWORD_LENGTH = 8
#: Longest one (calciscope's decision): argon2id hashes any length, but a bound keeps a 20 MB
#: "password" from being hashed; a passphrase of 1,024 characters is far beyond need.
MAX_PASSWORD_LENGTH = 1024
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


def _password_problems(name: str, password: str, field: str = "password") -> list[Problem]:
    """Return the problems of a new password: 8 to 1,024 characters, not only spaces.

    The one password rule; ``field`` as the caller names it (``password`` for the admin's
    forms and the CLI, ``new_password`` for one's own).
    """
    text = password if isinstance(password, str) else ""
    if len(text) < MIN_PASSWORD_LENGTH:
        message = f"needs at least {MIN_PASSWORD_LENGTH} characters"
    elif len(text) > MAX_PASSWORD_LENGTH:
        message = f"has at most {MAX_PASSWORD_LENGTH:,} characters"
    elif not text.strip():
        message = "cannot be only spaces"
    else:
        return []
    return [Problem("user", name, field, message)]


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


def _existing_user(repo: ReviewRepository, conn: Connection, name: str, summary: str) -> RowMapping:
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

    ``actor`` is who ends them (:func:`default_actor` by default, as for every verb here):
    the user themselves (the web app's *Sign out* passes their name: audit action ``logout``)
    or someone else (an admin's *End sessions*, ``calciscope users end-sessions``: audit
    action ``user.end_sessions``, that person as its actor).

    Raises
    ------
    NotFoundError
        When there is no such user (a :class:`ValidationError`).
    """
    who = actor or default_actor()
    action = "logout" if who == name else "user.end_sessions"
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        _existing_user(repo, conn, name, "cannot end sessions")
        epoch = repo.end_sessions(conn, name)
        repo.append_audit(
            conn, actor=who, action=action, target=f"user:{name}", after={"session_epoch": epoch}
        )
    return epoch


def set_password(
    registry: Registry,
    name: str,
    password: str,
    *,
    actor: str | None = None,
    field: str = "password",
) -> int:
    """Give a user a new password and end every session of theirs (a stolen one too).

    The new argon2id hash and the moved-on session number (:func:`end_sessions`) are written
    with the ``user.password`` audit row (who, whose; never the password or its hash) in one
    transaction. Returns the new session number: the web app writes it into the session that
    changed its own user's password, which alone stays signed in. Not a check of the old
    password: an admin's reset of another user's (:func:`change_password` asks for it).
    ``field`` names the new password in a problem (``password`` by default).

    Raises
    ------
    ValidationError
        ``name`` when there is no such user (a :class:`NotFoundError`, looked up first);
        then ``password`` (or ``field``) outside 8 to 1,024 characters or only spaces.
    """
    return _set_password(registry, name, password, actor or default_actor(), field)


def _set_password(registry: Registry, name: str, password: str, actor: str, field: str) -> int:
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        _existing_user(repo, conn, name, "cannot set password")
        problems = _password_problems(name, password, field)
        if problems:
            raise ValidationError(problems, summary="cannot set password")
        repo.update_user(conn, name, password_hash=_HASHER.hash(password))
        epoch = repo.end_sessions(conn, name)
        repo.append_audit(
            conn,
            actor=actor,
            action="user.password",
            target=f"user:{name}",
            after={"session_epoch": epoch},
            detail="password changed; every session signed in before it ended",
        )
    return epoch


def change_password(
    registry: Registry,
    name: str,
    current: str,
    new: str,
    *,
    field: str = "new_password",
    origin: str | None = None,
) -> int:
    """Change one's own password: check the current one, then set the new one.

    The rule of the web app's *Password* page: ``current`` must be the user's password
    (checked as at sign-in, :func:`authenticate`); then as :func:`set_password` with the user
    as actor: every session of theirs ends and the new session number is returned. A wrong
    current password writes a ``login_failed`` audit row (``origin``, e.g. the client
    address, in its detail) and changes nothing; the caller rate-limits the tries.

    Raises
    ------
    ValidationError
        ``name`` when there is no such user (a :class:`NotFoundError`); ``field`` (the new
        password's, ``new_password`` by default) outside 8 to 1,024 characters or only
        spaces; ``current_password`` when it is wrong (a :class:`WrongPasswordError`).
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        row = _existing_user(repo, conn, name, "cannot change password")
    problems = _password_problems(name, new, field)
    if problems:
        raise ValidationError(problems, summary="cannot change password")
    if not row["active"] or not _password_matches(row["password_hash"], current):
        where = f", from {origin}" if origin else ""
        record_audit(
            registry,
            actor=name,
            action="login_failed",
            target=f"user:{name}",
            detail=f"wrong current password on the password page{where}",
        )
        problem = Problem("user", name, "current_password", "is not your password")
        raise WrongPasswordError([problem], summary="cannot change password")
    return _set_password(registry, name, new, name, field)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("calciscope: no such user")


def _password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the argon2id hash ``stored`` (None: the dummy's cost).

    The one password check of sign-in (:func:`authenticate`) and :func:`change_password`. A
    password longer than ``MAX_PASSWORD_LENGTH`` is not hashed (it cannot be anyone's).
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return bool(_HASHER.verify(stored or _dummy_hash(), password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(registry: Registry, name: str, password: str) -> User | None:
    """Return the user when the name and password match an active user, else None.

    An unknown name costs one hash verification like a known one, so timing does not tell
    which names exist. An old-parameter hash is upgraded on a successful login.
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        row = repo.user_row(conn, name)
    stored = row["password_hash"] if row is not None else None
    if not _password_matches(stored, password) or row is None or not row["active"]:
        return None
    if _HASHER.check_needs_rehash(row["password_hash"]):
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
