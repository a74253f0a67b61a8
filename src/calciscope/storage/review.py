"""The review tables: decisions, fact revisions (supersession), users and the audit log.

Every method that writes takes a :class:`~sqlalchemy.engine.Connection` inside a transaction
the caller opened with :meth:`ReviewRepository.transaction`, so that a decision, the fact it
changes and its audit row land together or not at all. The audit log has an append method
and read methods only: nothing here updates or deletes an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.errors import ReviewConflict
from calciscope.model import Fact, Note, ReviewState, Role
from calciscope.model.records import plain_value
from calciscope.storage import schema
from calciscope.storage.registry import Registry, fact_from_row, note_from_row

__all__ = [
    "AuditEntry",
    "FactRevision",
    "ReviewRecord",
    "ReviewRepository",
    "StoredFact",
    "User",
    "as_utc",
    "fact_content",
]


@dataclass(frozen=True)
class StoredFact:
    """A fact as stored: the record, its version and the fact that superseded it (if any)."""

    fact: Fact
    version: int
    superseded_by: str | None


@dataclass(frozen=True)
class ReviewRecord:
    """One recorded decision about a queue item."""

    decision_id: int
    item_id: str
    item_version: int
    kind: str
    patient_id: str
    fact_id: str | None
    decision: str
    previous_state: str | None
    new_state: str
    reviewer: str
    reason: str
    decided_at: dt.datetime

    @property
    def version(self) -> int:
        """The item's version after this decision."""
        return self.item_version + 1

    @property
    def changes_counted_facts(self) -> bool:
        """Whether the decision changed which facts count (confirmed: the feature table's).

        Confirming a suggested fact, or reversing a confirmation, does; rejecting a suggested
        fact, or a decision on a patient item, leaves the patient's feature row and criteria
        as they were (the item's review state alone changed).
        """
        confirmed = ReviewState.CONFIRMED.value
        return self.fact_id is not None and (self.previous_state == confirmed) != (
            self.new_state == confirmed
        )


@dataclass(frozen=True)
class FactRevision:
    """One fact in a correction chain, oldest first, with who made it, when and why.

    ``action`` is ``imported`` (no person wrote it: an import or note extraction; ``at`` is the
    import's time), ``added`` (entered by a person) or ``corrected`` (replaces
    ``supersedes``), with ``author``, ``at`` and ``reason`` of that version. A version decided
    in the review queue since has the latest decision beside them: ``decision`` (``confirmed``,
    ``rejected``, ``suggested`` when a decision was reversed), ``decided_by``, ``decided_at``,
    ``decision_reason`` (None when undecided). fix38: hardening35 put the decision in place of
    who made the version; both are kept.
    """

    fact: Fact
    version: int
    superseded_by: str | None
    supersedes: str | None
    action: str
    author: str | None
    at: dt.datetime | None
    reason: str | None
    decision: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None


@dataclass(frozen=True)
class User:
    """A registry user (the password hash never leaves storage and the users API)."""

    name: str
    role: Role
    active: bool
    created_at: dt.datetime
    #: moved on at each sign-out (:func:`calciscope.api.end_sessions`): a session signed in
    #: at another number is over
    session_epoch: int = 0


@dataclass(frozen=True)
class AuditEntry:
    """One row of the append-only audit log."""

    entry_id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    detail: str | None


def fact_content(fact: Fact) -> dict[str, Any]:
    """Return a fact's fields as JSON-ready values (what the audit log stores)."""
    return {k: plain_value(v) for k, v in fact.__dict__.items()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return a stored time as an aware UTC datetime (SQLite hands back naive ones)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class ReviewRepository:
    """Reads and writes the review tables of one registry.

    Parameters
    ----------
    registry
        The open registry.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @contextmanager
    def transaction(self, *, wait_for_disk: bool = True) -> Iterator[Connection]:
        """Open one writing transaction: commit at the end of the block, roll back on any error.

        It takes the write lock when it begins (SQLite ``BEGIN IMMEDIATE``, waiting for another
        writer): a transaction that read first and wrote later could not upgrade its lock once
        another writer had committed, and failed at once with "database is locked".
        ``wait_for_disk=False``: on PostgreSQL the commit returns before the server has
        flushed it to disk (``synchronous_commit`` off for this transaction only): a crash of
        the server or machine may lose the last fraction of a second of such transactions,
        never corrupt or reorder them: what SQLite's ``synchronous=NORMAL`` in WAL mode
        already gives every commit here. Elsewhere it changes nothing.
        """
        with self.registry.write() as conn:
            if not wait_for_disk and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield conn

    def read(self) -> Any:
        """Return a read-only connection context (``with repo.read() as conn``)."""
        return self.registry.engine.connect()

    # --- facts ---------------------------------------------------------------------
    def stored_fact(self, conn: Connection, fact_id: str) -> StoredFact | None:
        """Return a fact with its version and supersession, or None."""
        t = schema.facts
        row = conn.execute(sa.select(t).where(t.c.fact_id == fact_id)).mappings().first()
        if row is None:
            return None
        return StoredFact(fact_from_row(row), int(row["version"]), row["superseded_by"])

    def stored_facts(self, conn: Connection, fact_ids: Sequence[str]) -> dict[str, StoredFact]:
        """Return the stored facts among ``fact_ids``, by id."""
        t = schema.facts
        rows = conn.execute(sa.select(t).where(t.c.fact_id.in_(list(fact_ids)))).mappings()
        return {
            r["fact_id"]: StoredFact(fact_from_row(r), int(r["version"]), r["superseded_by"])
            for r in rows
        }

    def suggested_facts(
        self,
        conn: Connection,
        patient_id: str | None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredFact]:
        """Return the current (not superseded) suggested facts, by patient, date and code.

        ``limit`` and ``offset`` page through them in that order (index
        ``ix_facts_open_suggested``).
        """
        t = schema.facts
        q = (
            sa.select(t)
            .where(t.c.review_state == "suggested", t.c.superseded_by.is_(None))
            .order_by(t.c.patient_id, t.c.effective_date, t.c.code, t.c.fact_id)
            .offset(offset)
            .limit(limit)
        )
        if patient_id is not None:
            q = q.where(t.c.patient_id == patient_id)
        return [
            StoredFact(fact_from_row(r), int(r["version"]), None)
            for r in conn.execute(q).mappings()
        ]

    def count_suggested(self, conn: Connection, patient_id: str | None) -> int:
        """Return how many current suggested facts there are (of one patient, or all)."""
        t = schema.facts
        q = (
            sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.review_state == "suggested", t.c.superseded_by.is_(None))
        )
        if patient_id is not None:
            q = q.where(t.c.patient_id == patient_id)
        return int(conn.scalar(q) or 0)

    def insert_fact(
        self,
        conn: Connection,
        fact: Fact,
        *,
        action: str,
        author: str,
        reason: str,
        supersedes: str | None = None,
    ) -> None:
        """Insert a fact a person wrote and its revision row."""
        row = {k: v.value if isinstance(v, Enum) else v for k, v in fact.__dict__.items()}
        conn.execute(schema.facts.insert().values(**row))
        conn.execute(
            schema.fact_revisions.insert().values(
                fact_id=fact.fact_id,
                supersedes=supersedes,
                action=action,
                author=author,
                at=_now(),
                reason=reason,
            )
        )

    def supersede(self, conn: Connection, old_id: str, new_id: str, expected_version: int) -> None:
        """Mark ``old_id`` as replaced by ``new_id``; raise ReviewConflict if it moved on."""
        t = schema.facts
        done = conn.execute(
            t.update()
            .where(
                t.c.fact_id == old_id,
                t.c.version == expected_version,
                t.c.superseded_by.is_(None),
            )
            .values(superseded_by=new_id, version=t.c.version + 1)
        )
        if not done.rowcount:
            current = self.stored_fact(conn, old_id)
            raise ReviewConflict(
                f"fact:{old_id}", expected_version, current.version if current else None
            )

    def revisions(self, conn: Connection, fact_ids: Sequence[str]) -> dict[str, Any]:
        """Return the revision row of each of ``fact_ids`` that a person wrote."""
        t = schema.fact_revisions
        rows = conn.execute(sa.select(t).where(t.c.fact_id.in_(list(fact_ids)))).mappings()
        return {r["fact_id"]: r for r in rows}

    def import_times(self, conn: Connection, fact_ids: Sequence[str]) -> dict[str, Any]:
        """Return when each of ``fact_ids`` that an import brought was imported (its batch's time)."""
        f, b = schema.facts, schema.import_batches
        q = (
            sa.select(f.c.fact_id, b.c.imported_at)
            .join(b, b.c.batch_id == f.c.batch_id)
            .where(f.c.fact_id.in_(list(fact_ids)))
        )
        return {fid: at for fid, at in conn.execute(q)}

    def notes(self, conn: Connection, note_ids: Sequence[str]) -> dict[str, Note]:
        """Return the notes among ``note_ids``, by id."""
        t = schema.notes
        rows = conn.execute(sa.select(t).where(t.c.note_id.in_(list(note_ids)))).mappings()
        return {r["note_id"]: note_from_row(r) for r in rows}

    def patient_exists(self, conn: Connection, patient_id: str) -> bool:
        """Return True when the patient is in the registry."""
        t = schema.patients
        q = sa.select(t.c.patient_id).where(t.c.patient_id == patient_id)
        return conn.execute(q).first() is not None

    def birth_of(self, conn: Connection, patient_id: str) -> tuple[dt.date | None, int | None]:
        """Return the patient's date and year of birth (None, None when neither is known)."""
        t = schema.patients
        q = sa.select(t.c.birth_date, t.c.birth_year).where(t.c.patient_id == patient_id)
        row = conn.execute(q).first()
        return (None, None) if row is None else (row[0], row[1])

    def state_token(self, conn: Connection) -> tuple[int, ...]:
        """Return numbers that change whenever facts, their review states or patients change.

        Every write to facts adds a row or bumps a version; every import adds a batch.
        """
        f, b, p = schema.facts, schema.import_batches, schema.patients
        facts = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(f.c.version), 0),
                sa.func.count(f.c.superseded_by),
            )
        ).one()
        batches = conn.scalar(sa.select(sa.func.count()).select_from(b)) or 0
        patients = conn.scalar(sa.select(sa.func.count()).select_from(p)) or 0
        return (*(int(v) for v in facts), int(batches), int(patients))

    # --- decisions -----------------------------------------------------------------
    def item_versions(self, conn: Connection, item_ids: Sequence[str]) -> dict[str, int]:
        """Return how many decisions each item has (its version, for items that are not facts)."""
        t = schema.review_decisions
        q = (
            sa.select(t.c.item_id, sa.func.count())
            .where(t.c.item_id.in_(list(item_ids)))
            .group_by(t.c.item_id)
        )
        return {item: int(n) for item, n in conn.execute(q)}

    def decided_items(self, conn: Connection, kinds: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Return ``item_id -> (latest new_state, number of decisions)`` for items of ``kinds``."""
        t = schema.review_decisions
        q = (
            sa.select(t.c.item_id, t.c.new_state, t.c.item_version)
            .where(t.c.kind.in_(list(kinds)))
            .order_by(t.c.item_id, t.c.item_version)
        )
        latest: dict[str, tuple[str, int]] = {}
        for item, state, version in conn.execute(q):
            latest[item] = (state, int(version) + 1)
        return latest

    def record_decision(self, conn: Connection, **values: Any) -> ReviewRecord:
        """Insert a decision; raise ReviewConflict when this item version is already decided."""
        values = {**values, "decided_at": _now()}
        try:
            with conn.begin_nested():
                result = conn.execute(schema.review_decisions.insert().values(**values))
        except sa.exc.IntegrityError:
            current = self.item_versions(conn, [values["item_id"]]).get(values["item_id"], 0)
            raise ReviewConflict(values["item_id"], values["item_version"], current) from None
        key = result.inserted_primary_key
        assert key is not None
        return ReviewRecord(decision_id=int(key[0]), **values)

    def decisions(self, conn: Connection, *, patient_id: str | None = None) -> list[ReviewRecord]:
        """Return recorded decisions, oldest first (optionally for one patient)."""
        t = schema.review_decisions
        q = sa.select(t).order_by(t.c.decision_id)
        if patient_id is not None:
            q = q.where(t.c.patient_id == patient_id)
        return [
            ReviewRecord(**{**r, "decided_at": as_utc(r["decided_at"])})
            for r in conn.execute(q).mappings()
        ]

    def latest_fact_decisions(
        self, conn: Connection, fact_ids: Sequence[str]
    ) -> dict[str, ReviewRecord]:
        """Return the latest recorded decision on each of ``fact_ids`` that has one."""
        t = schema.review_decisions
        q = sa.select(t).where(t.c.fact_id.in_(list(fact_ids))).order_by(t.c.decision_id)
        return {
            r["fact_id"]: ReviewRecord(**{**r, "decided_at": as_utc(r["decided_at"])})
            for r in conn.execute(q).mappings()
        }

    # --- changes: what other processes wrote (the web app's workers follow each other) ---
    def change_mark(self, conn: Connection) -> tuple[int, int, int, int]:
        """Return the last decision, fact revision, the number of imports and the generation.

        The last decision id, the last fact revision id, the number of import batches and the
        registry's generation: four indexed look-ups. Every review decision adds a decision
        row, every fact a person adds or corrects a revision row, every import a batch; every
        write to the registry's data, by anyone, moves the generation on (database triggers,
        migration ``0008``), so an image reading or a note extraction, which the first three
        do not name, moves it.
        """
        d, r, b = schema.review_decisions, schema.fact_revisions, schema.import_batches
        g = schema.registry_state
        row = conn.execute(
            sa.select(
                sa.select(sa.func.coalesce(sa.func.max(d.c.decision_id), 0)).scalar_subquery(),
                sa.select(sa.func.coalesce(sa.func.max(r.c.revision_id), 0)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(b).scalar_subquery(),
                sa.select(sa.func.coalesce(sa.func.max(g.c.generation), 0)).scalar_subquery(),
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def decisions_after(self, conn: Connection, decision_id: int) -> list[ReviewRecord]:
        """Return the decisions recorded after ``decision_id``, oldest first."""
        t = schema.review_decisions
        q = sa.select(t).where(t.c.decision_id > decision_id).order_by(t.c.decision_id)
        return [
            ReviewRecord(**{**r, "decided_at": as_utc(r["decided_at"])})
            for r in conn.execute(q).mappings()
        ]

    def revised_patients(self, conn: Connection, revision_id: int) -> list[str]:
        """Return the patients of the facts added or corrected after revision ``revision_id``."""
        r, f = schema.fact_revisions, schema.facts
        q = (
            sa.select(f.c.patient_id)
            .join(r, r.c.fact_id == f.c.fact_id)
            .where(r.c.revision_id > revision_id)
            .distinct()
        )
        return sorted(str(pid) for pid in conn.scalars(q))

    # --- users ---------------------------------------------------------------------
    def user_row(self, conn: Connection, name: str) -> Any | None:
        """Return a user's row (with the password hash), or None."""
        t = schema.users
        return conn.execute(sa.select(t).where(t.c.name == name)).mappings().first()

    def insert_user(self, conn: Connection, name: str, role: Role, password_hash: str) -> User:
        """Insert an active user."""
        user = User(name=name, role=role, active=True, created_at=_now())
        conn.execute(
            schema.users.insert().values(
                name=name,
                role=role.value,
                password_hash=password_hash,
                active=True,
                created_at=user.created_at,
            )
        )
        return user

    def update_user(self, conn: Connection, name: str, **values: Any) -> None:
        """Change a user's ``active`` flag or password hash."""
        conn.execute(schema.users.update().where(schema.users.c.name == name).values(**values))

    def end_sessions(self, conn: Connection, name: str) -> int:
        """Move the user's session number on (in SQL: two sign-outs at once both count)."""
        t = schema.users
        conn.execute(t.update().where(t.c.name == name).values(session_epoch=t.c.session_epoch + 1))
        return int(conn.scalar(sa.select(t.c.session_epoch).where(t.c.name == name)) or 0)

    def users(self, conn: Connection) -> list[User]:
        """Return every user, by name."""
        t = schema.users
        return [user_from_row(r) for r in conn.execute(sa.select(t).order_by(t.c.name)).mappings()]

    # --- audit ---------------------------------------------------------------------
    def append_audit(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        target: str,
        before: Any = None,
        after: Any = None,
        detail: str | None = None,
    ) -> None:
        """Append one audit row (there is no method to change or remove one)."""
        conn.execute(
            schema.audit_log.insert().values(
                at=_now(),
                actor=actor,
                action=action,
                target=target,
                before=before,
                after=after,
                detail=detail,
            )
        )

    def audit_entries(
        self,
        conn: Connection,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: dt.datetime | None = None,
        limit: int | None = 1000,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Return audit rows, oldest (or newest) first, filtered by actor, action and time."""
        t = schema.audit_log
        q = sa.select(t).order_by(t.c.entry_id.desc() if newest_first else t.c.entry_id)
        if actor is not None:
            q = q.where(t.c.actor == actor)
        if action is not None:
            q = q.where(t.c.action == action)
        if since is not None:
            q = q.where(t.c.at >= since)
        if limit is not None:
            q = q.limit(limit)
        return [AuditEntry(**{**r, "at": as_utc(r["at"])}) for r in conn.execute(q).mappings()]


def user_from_row(row: Any) -> User:
    """Return the :class:`User` of a ``users`` row."""
    return User(
        name=row["name"],
        role=Role(row["role"]),
        active=bool(row["active"]),
        created_at=as_utc(row["created_at"]),
        session_epoch=int(row.get("session_epoch") or 0),
    )
