"""The registry repository: open (and migrate) a database, import batches, read records.

SQLite file by default; PostgreSQL by URL (``postgresql+psycopg://user@host/db``). Every
import runs in one transaction, so a batch lands whole or not at all. Patients, notes and
images are upserted by id; facts are keyed by a content hash, so importing the same batch
twice changes nothing, and a fact a person has confirmed or rejected is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from calciscope.errors import RegistryError
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import schema

__all__ = ["Batch", "BatchWriter", "ImportSummary", "Registry", "fact_from_row", "normalise_url"]

_CHUNK = 5000


@dataclass
class Batch:
    """Records that are imported together, all or nothing."""

    patients: list[Patient] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of records of each kind."""
        return {
            "patients": len(self.patients),
            "facts": len(self.facts),
            "notes": len(self.notes),
            "images": len(self.images),
        }


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: the batch id and the counts of records it carried."""

    batch_id: str
    source: str
    counts: dict[str, int]


def normalise_url(url: str | Path) -> str:
    """Return a SQLAlchemy URL; a bare path means an SQLite file.

    Parameters
    ----------
    url
        ``sqlite:///file.db``, ``postgresql+psycopg://...``, or a file path.
    """
    text = str(url)
    if "://" in text:
        if text.startswith("postgresql://") or text.startswith("postgres://"):
            return "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    return f"sqlite:///{text}"


def _records(items: Iterable[Any], extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    # Straight from the validated fields (model_dump is several times slower); Enum members
    # are stored as their value, dates stay dates for the database driver.
    rows = []
    for item in items:
        row = {k: (v.value if isinstance(v, Enum) else v) for k, v in item.__dict__.items()}
        row.update(extra or {})
        rows.append(row)
    return rows


def fact_from_row(row: Any) -> Fact:
    """Return the :class:`~calciscope.model.Fact` of a ``facts`` row (storage columns dropped)."""
    return Fact(**{k: v for k, v in row.items() if k in Fact.model_fields})


def _existing(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        q = sa.select(schema.patients.c.patient_id).where(schema.patients.c.patient_id.in_(chunk))
        found.update(conn.scalars(q))
    return found


#: How long an SQLite writer waits for another one to finish (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web app, a study) go on while an import or a review writes;
    # the busy timeout makes a second writer wait instead of failing at once
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


class BatchWriter:
    """Writes records inside the transaction of :meth:`Registry.bulk_import`."""

    def __init__(self, registry: Registry, batch_id: str) -> None:
        self.registry = registry
        self.batch_id = batch_id
        self.conn: Connection | None = None
        self.counts = {"patients": 0, "facts": 0, "notes": 0, "images": 0}

    def write(self, batch: Batch) -> None:
        """Upsert patients, notes and images; insert facts not already there."""
        assert self.conn is not None, "use Registry.bulk_import()"
        upsert = self.registry._upsert
        upsert(self.conn, schema.patients, _records(batch.patients), "patient_id", update=True)
        upsert(self.conn, schema.notes, _records(batch.notes), "note_id", update=True)
        upsert(self.conn, schema.images, _records(batch.images), "image_id", update=True)
        upsert(
            self.conn,
            schema.facts,
            _records(batch.facts, {"batch_id": self.batch_id}),
            "fact_id",
            update=False,
        )
        for key, value in batch.counts().items():
            self.counts[key] += value

    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which ids are in the registry, as seen inside this import's transaction."""
        assert self.conn is not None, "use Registry.bulk_import()"
        return _existing(self.conn, ids)


class Registry:
    """A calciscope registry database.

    Parameters
    ----------
    url
        Database URL or SQLite file path. The schema is created or upgraded on open.
    """

    def __init__(self, url: str | Path) -> None:
        self.url = normalise_url(url)
        try:
            self.engine: Engine = sa.create_engine(self.url, future=True)
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self._migrate()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise RegistryError(f"cannot open registry {self.url}: {exc}") from exc
        except ModuleNotFoundError as exc:
            raise RegistryError(
                f"cannot open registry {self.url}: {exc.name} is missing; "
                "for PostgreSQL: pip install 'calciscope[postgres]'"
            ) from exc

    def _migrate(self) -> None:
        config = Config()
        with resources.as_file(
            resources.files("calciscope.storage").joinpath("migrations")
        ) as path:
            config.set_main_option("script_location", str(path))
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name (``sqlite`` or ``postgresql``)."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------
    @contextmanager
    def bulk_import(self, *, source: str, source_hash: str) -> Iterator[BatchWriter]:
        """Open one transaction for an import: write chunks, then commit, or roll back on error.

        Records are written as they come, so memory stays bounded; any exception raised inside
        the block (for example a :class:`~calciscope.errors.ValidationError` collected while
        reading) rolls the whole import back.
        """
        writer = BatchWriter(self, uuid.uuid4().hex)
        with self.engine.begin() as conn:
            writer.conn = conn
            yield writer
            conn.execute(
                schema.import_batches.insert().values(
                    batch_id=writer.batch_id,
                    source=source,
                    source_hash=source_hash,
                    imported_at=dt.datetime.now(dt.UTC),
                    counts=writer.counts,
                )
            )

    def import_batch(self, batch: Batch, *, source: str, source_hash: str) -> ImportSummary:
        """Write a validated batch in one transaction and record it in ``import_batches``."""
        with self.bulk_import(source=source, source_hash=source_hash) as writer:
            writer.write(batch)
        return ImportSummary(batch_id=writer.batch_id, source=source, counts=writer.counts)

    def add_facts(self, facts: Sequence[Fact]) -> int:
        """Insert facts that are not there yet (existing ids, and their review state, are kept)."""
        with self.engine.begin() as conn:
            self._upsert(conn, schema.facts, _records(facts), "fact_id", update=False)
        return len(facts)

    def _upsert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        key: str,
        *,
        update: bool,
    ) -> None:
        if not rows:
            return
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            stmt = dialect.insert(table)
            if update:
                cols = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
                stmt = stmt.on_conflict_do_update(index_elements=[key], set_=cols)
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=[key])
            conn.execute(stmt, chunk)

    def set_review_state(
        self,
        fact_id: str,
        state: str,
        *,
        expected_version: int | None = None,
        conn: Connection | None = None,
    ) -> bool:
        """Set a fact's review state and bump its version; return False when there is no such fact.

        Parameters
        ----------
        fact_id, state
            The fact and its new review state.
        expected_version
            When given, the update happens only if the fact is still at this version (a
            reviewer decided on what they read); otherwise False is returned as well.
        conn
            A connection inside an open transaction (the review verbs write the decision and
            its audit row in the same one); a new transaction by default.
        """
        t = schema.facts
        stmt = (
            t.update()
            .where(t.c.fact_id == fact_id, t.c.superseded_by.is_(None))
            .values(review_state=state, version=t.c.version + 1)
        )
        if expected_version is not None:
            stmt = stmt.where(t.c.version == expected_version)
        if conn is not None:
            return bool(conn.execute(stmt).rowcount)
        with self.engine.begin() as own:
            return bool(own.execute(stmt).rowcount)

    # --- reading -------------------------------------------------------------------
    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which of the given patient ids are already in the registry."""
        wanted = list(set(ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                q = sa.select(schema.patients.c.patient_id).where(
                    schema.patients.c.patient_id.in_(chunk)
                )
                found.update(conn.scalars(q))
        return found

    def patient(self, patient_id: str) -> Patient | None:
        """Return one patient, or None."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(schema.patients).where(schema.patients.c.patient_id == patient_id)
                )
                .mappings()
                .first()
            )
        return Patient(**row) if row else None

    def facts_for(self, patient_id: str, *, include_superseded: bool = False) -> list[Fact]:
        """Return a patient's facts ordered by date (undated first).

        Facts replaced by a correction are left out unless ``include_superseded``.
        """
        t = schema.facts
        q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.effective_date, t.c.code)
        if not include_superseded:
            q = q.where(t.c.superseded_by.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [fact_from_row(row) for row in rows]

    def notes_for(self, patient_id: str) -> list[Note]:
        """Return a patient's notes ordered by date."""
        t = schema.notes
        q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.note_date, t.c.note_id)
        with self.engine.connect() as conn:
            return [Note(**row) for row in conn.execute(q).mappings()]

    def images_for(self, patient_id: str) -> list[Image]:
        """Return a patient's images ordered by date."""
        t = schema.images
        q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.image_date, t.c.image_id)
        with self.engine.connect() as conn:
            return [Image(**row) for row in conn.execute(q).mappings()]

    def iter_notes(self, *, since: dt.date | None = None, chunk: int = 1000) -> Iterator[Note]:
        """Stream notes (optionally only those dated on or after ``since``) in id order."""
        t = schema.notes
        last = ""
        while True:
            q = sa.select(t).where(t.c.note_id > last).order_by(t.c.note_id).limit(chunk)
            if since is not None:
                q = q.where(t.c.note_date >= since)
            with self.engine.connect() as conn:
                rows = conn.execute(q).mappings().all()
            if not rows:
                return
            yield from (Note(**row) for row in rows)
            last = rows[-1]["note_id"]

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each registry table."""
        tables = (schema.patients, schema.facts, schema.notes, schema.images, schema.import_batches)
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in tables
            }
