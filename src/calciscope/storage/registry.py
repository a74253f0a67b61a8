"""The registry repository: open (and migrate) a database, import batches, read records.

SQLite file by default; PostgreSQL by URL (``postgresql+psycopg://user@host/db``). Every
import runs in one transaction, so a batch lands whole or not at all. An SQLite registry runs
in WAL mode with a busy timeout: readers work during an import, and a second writer waits for
the first (``BEGIN IMMEDIATE``), then proceeds or fails with "registry busy". Patients are
checked against the registry and each other before they are written (a disagreement fails the
import unless ``update_patients``: :mod:`calciscope.storage.integrity`); notes and images are
upserted by id; facts are keyed by a content hash, and a fact whose statement the registry
already holds is not added again, so importing the same batch twice changes nothing, and a
fact a person has confirmed or rejected is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from calciscope.errors import MissingExtraError, Problem, RegistryError, ValidationError
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import schema
from calciscope.storage.bulk import FACT_SCHEMA, FactSink, fact_sink, fact_table
from calciscope.storage.bulk_sql import copy_upsert, one_of
from calciscope.storage.database_url import display_url, hide_password, normalise_url
from calciscope.storage.integrity import (
    PatientOrigin,
    PatientReconciler,
    PatientStates,
    StatementIndex,
)
from calciscope.storage.patient_states import TablePatientStates
from calciscope.storage.sqlite_locking import busy_timeout, configure_sqlite, is_busy

__all__ = [
    "Batch",
    "BatchWriter",
    "ImportSummary",
    "PatientOrigin",
    "Registry",
    "fact_from_row",
    "normalise_url",
]

_CHUNK = 5000
#: Alembic keeps its migration context in module globals: one migration at a time per process
_MIGRATE_LOCK = threading.Lock()


@dataclass
class Batch:
    """Records that are imported together, all or nothing."""

    patients: list[Patient] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    #: Where each patient record was read (same order as ``patients``; may be shorter, for
    #: readers that do not say, and is then padded with the record's id as its location).
    patient_origins: list[PatientOrigin | None] = field(default_factory=list)
    #: Facts already validated in columnar form (:mod:`calciscope.storage.bulk`), as the
    #: native reader gives them; written like ``facts``.
    fact_rows: list[pa.Table] = field(default_factory=list)

    def origins(self) -> list[PatientOrigin | None]:
        """Return ``patient_origins`` padded with None to the length of ``patients``."""
        missing = len(self.patients) - len(self.patient_origins)
        return self.patient_origins[: len(self.patients)] + [None] * max(missing, 0)

    def add_patient(self, patient: Patient, origin: PatientOrigin | None = None) -> None:
        """Add a patient record and where it was read."""
        self.patient_origins = self.origins()
        self.patients.append(patient)
        self.patient_origins.append(origin)

    def extend(self, other: Batch) -> None:
        """Add another batch's records (and patient origins) to this one."""
        self.patient_origins = self.origins() + other.origins()
        self.patients += other.patients
        self.facts += other.facts
        self.notes += other.notes
        self.images += other.images
        self.fact_rows += other.fact_rows

    def counts(self) -> dict[str, int]:
        """Return the number of records of each kind."""
        return {
            "patients": len(self.patients),
            "facts": len(self.facts) + sum(t.num_rows for t in self.fact_rows),
            "notes": len(self.notes),
            "images": len(self.images),
        }


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: the batch id and the counts of records it carried."""

    batch_id: str
    source: str
    counts: dict[str, int]


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


def _with_patient_problems(exc: ValidationError, problems: list[Problem]) -> ValidationError:
    if not problems:
        return exc
    return ValidationError([*exc.problems, *problems], summary=exc.summary)


def _existing(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        column = schema.patients.c.patient_id
        found.update(
            conn.scalars(sa.select(column).where(one_of(column, chunk, conn.dialect.name)))
        )
    return found


class BatchWriter:
    """Writes records inside the transaction of :meth:`Registry.bulk_import`.

    Every importer writes through here, so the checks of :mod:`calciscope.storage.integrity`
    apply to all of them: patients that disagree are collected as problems (raised when the
    import ends, rolling it back), statements the registry already holds are not added again.
    """

    def __init__(self, registry: Registry, batch_id: str, *, update_patients: bool = False) -> None:
        self.registry = registry
        self.batch_id = batch_id
        self.conn: Connection | None = None
        self.counts = {"patients": 0, "facts": 0, "notes": 0, "images": 0}
        self.source = ""
        self.reconciler = PatientReconciler(
            update=update_patients, source_ids=self._source_ids, states=self._patient_states()
        )
        self.already = 0
        self._statements: dict[str, StatementIndex] = {}
        self._sink: FactSink | None = None

    def write(self, batch: Batch) -> None:
        """Write patients (checked), notes and images; insert facts the registry does not hold.

        Facts, as records or as fact tables, all go through :meth:`write_fact_rows`.
        """
        assert self.conn is not None, "use Registry.bulk_import()"
        upsert = self.registry._upsert
        origins = [
            origin or PatientOrigin(self.source, f"patient {p.patient_id}")
            for p, origin in zip(batch.patients, batch.origins(), strict=True)
        ]
        patients = self.reconciler.rows(zip(batch.patients, origins, strict=True), self._stored)
        if self.dialect == "postgresql":  # COPY and one upsert (bulk_sql)
            copy_upsert(self.conn, schema.patients, _records(patients), "patient_id", update=True)
        else:
            upsert(self.conn, schema.patients, _records(patients), "patient_id", update=True)
        upsert(self.conn, schema.notes, _records(batch.notes), "note_id", update=True)
        upsert(self.conn, schema.images, _records(batch.images), "image_id", update=True)
        if batch.facts:
            self.write_fact_rows(fact_table(batch.facts))
        for rows in batch.fact_rows:
            self.write_fact_rows(rows)
        for key, value in batch.counts().items():
            if key != "facts":
                self.counts[key] += value

    def write_fact_rows(self, rows: pa.Table) -> None:
        """Insert validated fact rows (:mod:`calciscope.storage.bulk`) the registry does not hold.

        Rows whose statement a confirmed stored fact already makes are left out (counted as
        ``facts_already_in_registry``); rows whose ``fact_id`` is stored keep the stored row.
        """
        assert self.conn is not None, "use Registry.bulk_import()"
        self.counts["facts"] += rows.num_rows
        kept = self._new_statement_rows(rows)
        self.already += rows.num_rows - kept.num_rows
        if self._sink is None:
            self._sink = self._fact_sink()
        self._sink.write(kept, self.batch_id)

    def _patient_states(self) -> PatientStates:
        """Return where the import check keeps each patient's state: a temporary table."""
        return TablePatientStates(self)

    @property
    def dialect(self) -> str:
        """The registry's dialect (where the import's temporary tables are written)."""
        return self.registry.dialect

    @contextmanager
    def checked(self) -> Iterator[BatchWriter]:
        """Run the import's block; fail it on the reader's or the integrity checks' problems.

        Every registry's ``bulk_import`` runs its block in here, inside its own transaction (or
        staging folder), so that the problems are reported alike: the reader's and the
        patients' together. On success the import's source ids are recorded.
        """
        try:
            yield self
        except ValidationError as exc:
            raise _with_patient_problems(exc, self.reconciler.problems) from None
        if self.reconciler.problems:
            raise ValidationError(self.reconciler.problems, summary=f"cannot import {self.source}")
        self.finish()

    def batch_row(self, source_hash: str) -> dict[str, Any]:
        """Return the import's ``import_batches`` row (written when the import commits)."""
        return {
            "batch_id": self.batch_id,
            "source": self.source,
            "source_hash": source_hash,
            "imported_at": dt.datetime.now(dt.UTC),
            "counts": self.summary_counts(),
        }

    def finish(self) -> None:
        """Record the source ids this import brought and drop its temporary table."""
        self.write_source_ids()
        states = self.reconciler.states
        if isinstance(states, TablePatientStates):
            states.drop()

    def _fact_sink(self) -> FactSink:
        """Return the bulk fact writer of this import (the Spark registry stages Parquet)."""
        assert self.conn is not None
        return fact_sink(self.conn)

    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which ids are in the registry, as seen inside this import's transaction."""
        assert self.conn is not None, "use Registry.bulk_import()"
        return _existing(self.conn, ids)

    def summary_counts(self) -> dict[str, int]:
        """Return the batch's counts: records carried, plus what the integrity checks did."""
        extra = self.reconciler.counts()
        if self.already:
            extra["facts_already_in_registry"] = self.already
        return self.counts | extra

    def _stored(self, ids: set[str]) -> dict[str, Patient]:
        assert self.conn is not None
        found: dict[str, Patient] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), _CHUNK):
            t = schema.patients
            columns = [t.c[name] for name in Patient.model_fields]
            q = sa.select(*columns).where(
                one_of(t.c.patient_id, wanted[start : start + _CHUNK], self.dialect)
            )
            found.update((r["patient_id"], Patient(**r)) for r in self.conn.execute(q).mappings())
        return found

    def _source_ids(self, ids: set[str]) -> dict[str, set[str]]:
        assert self.conn is not None
        found: dict[str, set[str]] = {}
        wanted, t = sorted(ids), schema.patient_source_ids
        for start in range(0, len(wanted), _CHUNK):
            q = sa.select(t.c.patient_id, t.c.source_id).where(
                one_of(t.c.patient_id, wanted[start : start + _CHUNK], self.dialect)
            )
            for patient_id, source_id in self.conn.execute(q):
                found.setdefault(patient_id, set()).add(source_id)
        return found

    def write_source_ids(self) -> None:
        """Record the source ids this import brought (called once its patients are written)."""
        assert self.conn is not None
        rows: list[dict[str, str]] = []
        for pid, raw in self.reconciler.states.new_source_ids():
            rows.append({"patient_id": pid, "source_id": raw, "batch_id": self.batch_id})
            if len(rows) == _CHUNK:
                self.conn.execute(schema.patient_source_ids.insert(), rows)
                rows = []
        if rows:
            self.conn.execute(schema.patient_source_ids.insert(), rows)

    def _new_statement_rows(self, rows: pa.Table) -> pa.Table:
        """Return the rows whose statement the registry did not hold before this import."""
        pids = set(pc.unique(rows.column("patient_id")).to_pylist())
        # patients new to the registry hold no statements; only this block's are kept
        ids = pids - self.reconciler.new_in_registry(pids)
        self._statements = {p: self._statements[p] for p in ids if p in self._statements}
        self._load_statements(ids - self._statements.keys())
        held_by = [p for p in ids if self._statements[p]]
        if not held_by:
            return rows
        check = pc.is_in(rows.column("patient_id"), pa.array(held_by, pa.string()))
        positions = pc.indices_nonzero(check).to_pylist()
        candidates = rows.take(positions).to_pylist()
        drop = [
            position
            for position, row in zip(positions, candidates, strict=True)
            if self._statements[row["patient_id"]].holds(row)
        ]
        if not drop:
            return rows
        keep = pc.invert(pc.is_in(pa.array(range(rows.num_rows)), pa.array(drop)))
        return rows.filter(keep)

    def _load_statements(self, ids: set[str]) -> None:
        assert self.conn is not None
        t, wanted = schema.facts, sorted(ids)
        columns = [c for c in t.columns if c.name not in ("provenance", "review_state", "fact_id")]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            self._statements.update((pid, StatementIndex()) for pid in chunk)
            q = sa.select(*columns).where(
                one_of(t.c.patient_id, chunk, self.dialect),
                t.c.review_state == "confirmed",
                sa.or_(t.c.batch_id.is_(None), t.c.batch_id != self.batch_id),
            )
            for row in self.conn.execute(q).mappings():
                self._statements[row["patient_id"]].add(dict(row))


class Registry:
    """A calciscope registry database.

    Parameters
    ----------
    url
        Database URL or SQLite file path. The schema is created or upgraded on open.
    busy_timeout_s
        SQLite: seconds a writer waits for another writer before "registry busy" (default
        ``$CALCISCOPE_BUSY_TIMEOUT`` or 30).
    """

    def __init__(self, url: str | Path, *, busy_timeout_s: float | None = None) -> None:
        self._url = normalise_url(url)
        #: the URL as it may be printed or written into a report: the password is ``***``
        self.url = display_url(self._url)
        self.busy_timeout = busy_timeout() if busy_timeout_s is None else busy_timeout_s
        try:
            self.engine: Engine = sa.create_engine(self._url, future=True)
            if self.engine.dialect.name == "sqlite":
                configure_sqlite(self.engine, seconds=self.busy_timeout)
            with self._busy_guard():
                self._migrate()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            message = hide_password(str(exc), self._url)
            raise RegistryError(f"cannot open registry {self.url}: {message}") from None
        except ModuleNotFoundError as exc:
            raise MissingExtraError(exc.name or "a database driver", "postgres") from None

    @property
    def connection_url(self) -> str:
        """The full URL, password included, to open another connection; never print it."""
        return self._url

    @contextmanager
    def _busy_guard(self) -> Iterator[None]:
        """Turn SQLite's "database is locked" (after the busy timeout) into "registry busy"."""
        try:
            yield
        except sa.exc.OperationalError as exc:
            if not is_busy(exc):
                raise
            raise RegistryError(
                f"registry busy: another process is writing to {self.url}; waited "
                f"{self.busy_timeout:g} s, try again when it has finished"
            ) from None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Open a writing transaction (SQLite: ``BEGIN IMMEDIATE``, waiting for another writer).

        Raises
        ------
        RegistryError
            "registry busy" when another writer holds the registry past the busy timeout.
        """
        engine = self.engine
        if self.dialect == "sqlite":
            engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        with self._busy_guard(), engine.begin() as conn:
            yield conn

    def _migrate(self) -> None:
        config = Config()
        with resources.as_file(
            resources.files("calciscope.storage").joinpath("migrations")
        ) as path:
            config.set_main_option("script_location", str(path))
            with _MIGRATE_LOCK, self.engine.begin() as connection:
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
    def bulk_import(
        self, *, source: str, source_hash: str, update_patients: bool = False
    ) -> Iterator[BatchWriter]:
        """Open one transaction for an import: write chunks, then commit, or roll back on error.

        Records are written as they come, so memory stays bounded; any exception raised inside
        the block (for example a :class:`~calciscope.errors.ValidationError` collected while
        reading) rolls the whole import back, and so do patients that disagree with the
        registry or with each other (:mod:`calciscope.storage.integrity`), reported together
        with the reader's problems.

        Parameters
        ----------
        source, source_hash
            What is imported, recorded in ``import_batches``.
        update_patients
            Let the import's patient values replace stored ones that disagree (counted as
            ``patients_updated`` in the batch's counts) instead of failing.
        """
        writer = BatchWriter(self, uuid.uuid4().hex, update_patients=update_patients)
        writer.source = source
        with self.write() as conn:
            writer.conn = conn
            with writer.checked():
                yield writer
            conn.execute(schema.import_batches.insert().values(**writer.batch_row(source_hash)))

    def import_batch(
        self, batch: Batch, *, source: str, source_hash: str, update_patients: bool = False
    ) -> ImportSummary:
        """Write a validated batch in one transaction and record it in ``import_batches``."""
        with self.bulk_import(
            source=source, source_hash=source_hash, update_patients=update_patients
        ) as writer:
            writer.write(batch)
        return ImportSummary(
            batch_id=writer.batch_id, source=source, counts=writer.summary_counts()
        )

    def add_facts(self, facts: Sequence[Fact]) -> int:
        """Insert facts that are not there yet (existing ids, and their review state, are kept)."""
        with self.write() as conn:
            self._upsert(conn, schema.facts, _records(facts), "fact_id", update=False)
        return len(facts)

    def add_fact_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert facts given as ``facts`` rows (from validated facts, e.g. ``mentions_to_rows``).

        As :meth:`add_facts`: ids already there, and their review state, are kept. The rows go
        through the bulk fact writer imports use (:func:`~calciscope.storage.bulk.fact_sink`:
        one ``executemany`` on SQLite, ``COPY`` on PostgreSQL), with no batch id.
        """
        if not rows:
            return 0
        table = pa.Table.from_pylist(list(rows), schema=FACT_SCHEMA)
        with self.write() as conn:
            fact_sink(conn).write(table, None)
        return len(rows)

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
        with self.write() as own:
            return bool(own.execute(stmt).rowcount)

    def write_classification_rows(self, rows: list[dict[str, Any]]) -> int:
        """Insert or replace ``classification_results`` rows (patient, set and index date)."""
        table = schema.classification_results
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        keys = ["patient_id", "criteria_set", "index_date"]
        with self.write() as conn:
            for start in range(0, len(rows), _CHUNK):
                stmt = dialect.insert(table)
                update = {
                    c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys
                }
                conn.execute(
                    stmt.on_conflict_do_update(index_elements=keys, set_=update),
                    rows[start : start + _CHUNK],
                )
        return len(rows)

    # --- reading -------------------------------------------------------------------
    def classification_rows(
        self, *, patient_id: str | None = None, index_date: dt.date | None = None
    ) -> list[dict[str, Any]]:
        """Return ``classification_results`` rows ordered by patient, set and index date."""
        t = schema.classification_results
        query = sa.select(t).order_by(t.c.patient_id, t.c.criteria_set, t.c.index_date)
        if patient_id is not None:
            query = query.where(t.c.patient_id == patient_id)
        if index_date is not None:
            query = query.where(t.c.index_date == index_date)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

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
