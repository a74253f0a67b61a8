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
from functools import lru_cache
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
from calciscope.storage.bulk import (
    FACT_SCHEMA,
    FactSink,
    fact_sink,
    fact_table,
    write_fact_values,
)
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
    "model_rows",
    "normalise_url",
    "note_from_row",
]

_CHUNK = 5000
#: SQLite page cache while facts are inserted: with the default 2 MB, inserting into the facts
#: table's indexes re-reads pages all the time; 64 MB is at most that much memory, while used.
_SQLITE_WRITE_CACHE = "PRAGMA cache_size = -65536"
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


def model_rows(items: Iterable[Any], extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Return validated model records as table rows (plus ``extra`` columns).

    Straight from the validated fields (model_dump is several times slower); Enum members are
    stored as their value, dates stay dates for the database driver.
    """
    rows = []
    for item in items:
        row = {k: (v.value if isinstance(v, Enum) else v) for k, v in item.__dict__.items()}
        row.update(extra or {})
        rows.append(row)
    return rows


_FACT_FIELDS = frozenset(Fact.model_fields)
_NOTE_FIELDS = frozenset(Note.model_fields)
_Key = tuple[tuple[str, ...], tuple[Any, ...], tuple[type, ...]]


def _key(row: Any, fields: frozenset[str]) -> _Key | None:
    """Return the names of ``fields`` in ``row``, their values and types; None if unhashable."""
    names = tuple(k for k in row if k in fields)
    values = tuple(row[k] for k in names)
    key = (names, values, tuple(map(type, values)))  # 1, 1.0 and True hash alike: types tell
    try:
        hash(key)
    except TypeError:
        return None
    return key


# A record is built (and validated) from a stored row once: the same row values give the same
# record, which is immutable, so it is shared. The web app reads the same facts and notes for
# every page of the queue and every patient page; validating them each time was most of the cost.
@lru_cache(maxsize=16_384)
def _fact_of(key: _Key) -> Fact:
    return Fact(**dict(zip(key[0], key[1], strict=True)))


@lru_cache(maxsize=4096)
def _note_of(key: _Key) -> Note:
    return Note(**dict(zip(key[0], key[1], strict=True)))


def fact_from_row(row: Any) -> Fact:
    """Return the :class:`~calciscope.model.Fact` of a ``facts`` row (storage columns dropped).

    Built once per distinct row (kept: the last 16,384); an identical row gives the same
    immutable record.
    """
    key = _key(row, _FACT_FIELDS)
    if key is None:
        return Fact(**{k: v for k, v in row.items() if k in _FACT_FIELDS})
    return _fact_of(key)


def note_from_row(row: Any) -> Note:
    """Return the :class:`~calciscope.model.Note` of a ``notes`` row (kept like facts)."""
    key = _key(row, _NOTE_FIELDS)
    return Note(**row) if key is None else _note_of(key)


def _patient(conn: Connection, patient_id: str) -> Patient | None:
    query = sa.select(schema.patients).where(schema.patients.c.patient_id == patient_id)
    row = conn.execute(query).mappings().first()
    return Patient(**row) if row else None


def _facts_for(
    conn: Connection, patient_id: str, *, include_superseded: bool = False
) -> list[Fact]:
    t = schema.facts
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.effective_date, t.c.code)
    if not include_superseded:
        q = q.where(t.c.superseded_by.is_(None))
    return [fact_from_row(row) for row in conn.execute(q).mappings().all()]


def _notes_for(conn: Connection, patient_id: str) -> list[Note]:
    t = schema.notes
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.note_date, t.c.note_id)
    return [note_from_row(row) for row in conn.execute(q).mappings()]


def _images_for(conn: Connection, patient_id: str) -> list[Image]:
    t = schema.images
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.image_date, t.c.image_id)
    return [Image(**row) for row in conn.execute(q).mappings()]


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
        write = copy_upsert if self.dialect == "postgresql" else upsert  # COPY: bulk_sql
        write(self.conn, schema.patients, model_rows(patients), "patient_id", update=True)
        upsert(self.conn, schema.notes, model_rows(batch.notes), "note_id", update=True)
        upsert(self.conn, schema.images, model_rows(batch.images), "image_id", update=True)
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
            #: the engine of writing transactions (SQLite: ``BEGIN IMMEDIATE``), made once
            self._writing = self.engine
            if self.engine.dialect.name == "sqlite":
                configure_sqlite(self.engine, seconds=self.busy_timeout)
                self._writing = self.engine.execution_options(sqlite_begin="IMMEDIATE")
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
        with self._busy_guard(), self._writing.begin() as conn:
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
        return self.add_fact_table(fact_table(facts))

    def add_fact_table(self, facts: pa.Table | Iterable[pa.RecordBatch]) -> int:
        """Insert validated fact rows (:data:`~calciscope.storage.bulk.FACT_SCHEMA`).

        Ids already there, and their review state, are kept. The rows go, with no batch id,
        through the bulk fact writer imports use (:func:`~calciscope.storage.bulk.fact_sink`: one
        ``executemany`` on SQLite, ``COPY`` on PostgreSQL), in one transaction. Returns the
        number of rows given.
        """
        table = facts if isinstance(facts, pa.Table) else pa.Table.from_batches(facts, FACT_SCHEMA)
        if not table.num_rows:
            return 0
        with self.write() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql(_SQLITE_WRITE_CACHE)
            fact_sink(conn).write(table, None)
        return table.num_rows

    def add_fact_values(self, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert validated fact rows given as tuples of stored values (columns ``names``).

        As :meth:`add_fact_table`, for writers that hold plain tuples (``notes extract``'s
        workers): :func:`~calciscope.storage.bulk.write_fact_values`, one ``executemany`` of
        the tuples as they are on SQLite, in one transaction. Returns the number of rows given.
        """
        if not rows:
            return 0
        with self.write() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql(_SQLITE_WRITE_CACHE)
            write_fact_values(conn, names, rows)
        return len(rows)

    def _upsert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        key: str | list[str],
        *,
        update: bool,
    ) -> None:
        """Insert rows in chunks; one whose ``key`` is stored replaces it (or, not ``update``, not)."""
        if not rows:
            return
        keys = [key] if isinstance(key, str) else key
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            stmt = dialect.insert(table)
            if update:
                cols = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
                stmt = stmt.on_conflict_do_update(index_elements=keys, set_=cols)
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=keys)
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
        keys = ["patient_id", "criteria_set", "index_date"]
        with self.write() as conn:
            self._upsert(conn, schema.classification_results, rows, keys, update=True)
        return len(rows)

    # --- reading -------------------------------------------------------------------
    def generation(self) -> int | None:
        """Return the registry's generation: moved on by every write to its data, by anyone.

        Database triggers (migration ``0008``) bump it on each insert, update and delete of
        patients, facts, notes, images and source ids, in the writer's transaction: two reads
        that give the same number saw the same data. One indexed read. None where nothing
        keeps it (a Spark registry): its stored results are never taken as current.
        """
        query = sa.select(schema.registry_state.c.generation).where(schema.registry_state.c.id == 1)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

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
        with self.engine.connect() as conn:
            return _existing(conn, ids)

    def patient(self, patient_id: str) -> Patient | None:
        """Return one patient, or None."""
        with self.engine.connect() as conn:
            return _patient(conn, patient_id)

    def facts_for(self, patient_id: str, *, include_superseded: bool = False) -> list[Fact]:
        """Return a patient's facts ordered by date (undated first).

        Facts replaced by a correction are left out unless ``include_superseded``.
        """
        with self.engine.connect() as conn:
            return _facts_for(conn, patient_id, include_superseded=include_superseded)

    def notes_for(self, patient_id: str) -> list[Note]:
        """Return a patient's notes ordered by date."""
        with self.engine.connect() as conn:
            return _notes_for(conn, patient_id)

    def images_for(self, patient_id: str) -> list[Image]:
        """Return a patient's images ordered by date."""
        with self.engine.connect() as conn:
            return _images_for(conn, patient_id)

    def patient_with_records(
        self, patient_id: str
    ) -> tuple[Patient, list[Fact], list[Note], list[Image]] | None:
        """Return a patient with its current facts, notes and images (one connection), or None.

        The same as :meth:`patient`, :meth:`facts_for`, :meth:`notes_for` and
        :meth:`images_for`, read on one connection (a page showing a patient reads it whole).
        """
        with self.engine.connect() as conn:
            patient = _patient(conn, patient_id)
            if patient is None:
                return None
            return (
                patient,
                _facts_for(conn, patient_id),
                _notes_for(conn, patient_id),
                _images_for(conn, patient_id),
            )

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
            yield from (note_from_row(row) for row in rows)
            last = rows[-1]["note_id"]

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each registry table."""
        tables = (schema.patients, schema.facts, schema.notes, schema.images, schema.import_batches)
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in tables
            }
