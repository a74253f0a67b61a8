"""The registry repository: open (and migrate) a database, import batches, read records.

Rows become records in :mod:`calciscope.storage.records`.

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
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from calciscope.errors import MissingExtraError, RegistryError
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import records, schema
from calciscope.storage.batch import CHUNK, Batch, ImportSummary, model_rows, stored_patient_ids
from calciscope.storage.batch_writer import BatchWriter
from calciscope.storage.bulk import FACT_SCHEMA, fact_sink, fact_table, write_fact_values
from calciscope.storage.database_url import display_url, hide_password, normalise_url
from calciscope.storage.integrity import PatientOrigin
from calciscope.storage.records import fact_from_row, note_from_row, read_note_range
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
    "read_note_range",
]

#: SQLite page cache while facts are inserted: with the default 2 MB, inserting into the facts
#: table's indexes re-reads pages all the time; 64 MB is at most that much memory, while used.
_SQLITE_WRITE_CACHE = "PRAGMA cache_size = -65536"
#: Alembic keeps its migration context in module globals: one migration at a time per process
_MIGRATE_LOCK = threading.Lock()
#: PostgreSQL: an import of this many facts or more ends by updating the planner's statistics.
ANALYZE_AFTER_FACTS = 10_000


#: The PostgreSQL advisory lock every import holds for its transaction (``calciscope``, as a
#: 64-bit number): imports into one database run one after the other.
IMPORT_LOCK_KEY = int.from_bytes(b"calcisco", "big") >> 1


def _take_import_lock(conn: Connection, where: str) -> None:
    """Take :data:`IMPORT_LOCK_KEY` for the transaction, saying whom it waits for (fix45).

    Transaction-scoped: a commit or a rollback (a failing import) releases it. When another
    import holds it, a warning names the database and the holder's backend pid (the
    ``calciscope`` logger: the CLI prints it on stderr), then the import waits.
    """
    key = sa.literal(IMPORT_LOCK_KEY, sa.BigInteger)
    if conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key))).scalar():
        return
    holders = conn.execute(
        sa.text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = :high AND objid = :low AND objsubid = 1"
        ),
        {"high": IMPORT_LOCK_KEY >> 32, "low": IMPORT_LOCK_KEY & 0xFFFFFFFF},
    ).scalars()
    logging.getLogger(__name__).warning(
        "%s: waiting for another import into this database to end (PostgreSQL advisory lock "
        "%d held by backend pid %s; pg_cancel_backend(pid) stops that import)",
        where,
        IMPORT_LOCK_KEY,
        ", ".join(str(pid) for pid in holders) or "unknown",
    )
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


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

    @contextmanager
    def ibis_connection(self) -> Iterator[Any]:
        """Open an Ibis connection to the registry's database; closed when the block ends.

        For the analytic reads (feature table, classification, the study) that run in the
        database. The temporary tables the block cached are dropped before it is closed.
        """
        # engine (Ibis) sits beside storage; imported here so opening a registry needs no Ibis
        from calciscope.engine.connection import connect
        from calciscope.engine.release import release_cached

        con = connect(self.connection_url)
        try:
            yield con
        finally:
            try:
                release_cached(con)
            finally:
                con.disconnect()

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
            if self.dialect == "postgresql":
                # one import at a time, as SQLite's BEGIN IMMEDIATE does (imports37): two at
                # once both took a patient neither had stored for new, and both versions of
                # its records stayed current. The lock ends with the transaction.
                _take_import_lock(conn, self.url)
            writer.conn = conn
            with writer.checked():
                yield writer
            conn.execute(schema.import_batches.insert().values(**writer.batch_row(source_hash)))
        if self.dialect == "postgresql" and writer.counts["facts"] >= ANALYZE_AFTER_FACTS:
            # A server without autovacuum keeps no planner statistics, and the queries that
            # follow a large import (the patient table, the study) would be planned as on an
            # empty table: measured, minutes instead of seconds at 10,000 patients.
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE patients, facts")

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
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
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

    def as_of(self) -> dt.date | None:
        """Return the registry's as-of date (migration ``0010``), or None when not set.

        The date its patients are evaluated at unless a caller chooses one
        (:func:`calciscope.api.registry_as_of` says what stands in when it is not set).
        """
        query = sa.select(schema.registry_state.c.as_of).where(schema.registry_state.c.id == 1)
        with self.engine.connect() as conn:
            value = conn.scalar(query)
        return (
            value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)
        )

    def set_as_of(
        self,
        day: dt.date | None,
        *,
        also: Callable[[Connection, dt.date | None], None] | None = None,
    ) -> dt.date | None:
        """Set the registry's as-of date (None clears it); return the one it replaced.

        ``also(conn, before)`` runs in the same transaction (the api's audit row): the date
        and its audit row are written together or not at all. Not a write to the registry's
        data: the generation does not move, so results stored for any index date stay current.
        """
        t = schema.registry_state
        with self.write() as conn:
            value = conn.scalar(sa.select(t.c.as_of).where(t.c.id == 1))
            before = (
                value
                if value is None or isinstance(value, dt.date)
                else dt.date.fromisoformat(value)
            )
            conn.execute(t.update().where(t.c.id == 1).values(as_of=day))
            if also is not None:
                also(conn, before)
        return before

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
            return stored_patient_ids(conn, ids)

    def patient(self, patient_id: str) -> Patient | None:
        """Return one patient, or None."""
        with self.engine.connect() as conn:
            return records.read_patient(conn, patient_id)

    def facts_for(self, patient_id: str, *, include_superseded: bool = False) -> list[Fact]:
        """Return a patient's facts ordered by date (undated first).

        Facts replaced by a correction are left out unless ``include_superseded``.
        """
        with self.engine.connect() as conn:
            return records.read_facts(conn, patient_id, include_superseded=include_superseded)

    def notes_for(self, patient_id: str) -> list[Note]:
        """Return a patient's notes ordered by date."""
        with self.engine.connect() as conn:
            return records.read_notes(conn, patient_id)

    def images_for(self, patient_id: str) -> list[Image]:
        """Return a patient's images ordered by date."""
        with self.engine.connect() as conn:
            return records.read_images(conn, patient_id)

    def patient_with_records(
        self, patient_id: str
    ) -> tuple[Patient, list[Fact], list[Note], list[Image]] | None:
        """Return a patient with its current facts, notes and images (one connection), or None.

        The same as :meth:`patient`, :meth:`facts_for`, :meth:`notes_for` and
        :meth:`images_for`, read on one connection (a page showing a patient reads it whole).
        """
        with self.engine.connect() as conn:
            patient = records.read_patient(conn, patient_id)
            if patient is None:
                return None
            return (
                patient,
                records.read_facts(conn, patient_id),
                records.read_notes(conn, patient_id),
                records.read_images(conn, patient_id),
            )

    def patient_tables(self, patient_ids: Sequence[str]) -> tuple[pa.Table, pa.Table]:
        """Return ``(facts, patients)`` of the given patients as Arrow tables, in one read.

        Every column of the registry's ``facts`` and ``patients`` tables, typed as
        :func:`~calciscope.storage.schema.arrow_schema` gives them; unknown ids give no row.
        """
        with self.engine.connect() as conn:
            facts = records.arrow_rows(conn, schema.facts, patient_ids)
            return facts, records.arrow_rows(conn, schema.patients, patient_ids)

    def drop_stale_note_suggestions(self, engine: str, *, since: dt.date | None = None) -> int:
        """Delete never-reviewed suggested note facts that another extractor version made.

        ``notes extract`` calls this after a run with the version it ran (``engine``, as in
        the facts' provenance): a fact's id hashes its provenance, so a new engine or rule
        version gives new ids, and the older suggestions of the same notes would stay beside
        them. Deleted are facts with ``source_kind = 'note'``, ``review_state = 'suggested'``,
        never decided on (``version = 1``, not superseded), whose provenance names a
        calciscope extractor (``"engine": "calciscope-notes/...``) other than ``engine`` and,
        with ``since``, whose date (the note's) is on or after it (the notes the run read).
        Confirmed, rejected and corrected facts, and note facts from other sources, are never
        touched. Returns the number of facts deleted.
        """
        t = schema.facts
        current = '"engine": ' + json.dumps(engine, ensure_ascii=False) + ","
        stmt = t.delete().where(
            t.c.source_kind == "note",
            t.c.review_state == "suggested",
            t.c.version == 1,
            t.c.superseded_by.is_(None),
            t.c.provenance.contains('"engine": "calciscope-notes/', autoescape=True),
            sa.not_(t.c.provenance.contains(current, autoescape=True)),
        )
        if since is not None:
            stmt = stmt.where(t.c.effective_date >= since)
        with self.write() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    def decided_note_facts(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Return ``columns`` of every note fact a person has decided on.

        Confirmed or rejected, or corrected (a version after the first, or superseded).
        ``notes extract`` leaves out a new suggestion that says what one of these says, so a
        new rules version does not put a decided finding back in the queue under a new id.
        """
        t = schema.facts
        query = sa.select(*(t.c[name] for name in columns)).where(
            t.c.source_kind == "note",
            sa.or_(
                t.c.review_state != "suggested", t.c.version > 1, t.c.superseded_by.is_not(None)
            ),
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def note_ids(self, *, since: dt.date | None = None) -> list[str]:
        """Return the ids of the notes (only those dated on or after ``since``), in order."""
        t = schema.notes
        query = sa.select(t.c.note_id).order_by(t.c.note_id)
        if since is not None:
            query = query.where(t.c.note_date >= since)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

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

    def synthetic_patients(self) -> tuple[int, int]:
        """Return how many patients are synthetic and how many there are (one query)."""
        t = schema.patients
        synthetic = sa.func.coalesce(sa.func.sum(sa.case((t.c.synthetic, 1), else_=0)), 0)
        query = sa.select(synthetic, sa.func.count()).select_from(t)
        with self.engine.connect() as conn:
            row = conn.execute(query).one()
        return int(row[0]), int(row[1])

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each registry table."""
        tables = (schema.patients, schema.facts, schema.notes, schema.images, schema.import_batches)
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in tables
            }
