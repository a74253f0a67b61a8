"""A registry on Spark: the registry's tables as Parquet, read and written through Spark.

:class:`SparkRegistry` implements the reading and importing interface of
:class:`~calciscope.storage.registry.Registry` (the same :class:`BatchWriter`, patient checks and
fact idempotence), so every importer, the feature table, classification, phenotypes, the study
and the exports run on it unchanged; Ibis reads the tables through
:func:`calciscope.engine.connect` (``spark://`` and ``sc://`` URLs, :mod:`calciscope.engine.spark`).

Layout. ``patients``, ``import_batches`` and ``patient_source_ids`` are unpartitioned; ``facts``, ``notes`` and
``images`` are partitioned by ``patient_bucket = crc32(patient_id) % 32``: buckets of
even size whatever the codes (Python computes the same CRC-32), so an import appends one file per bucket, and one patient's record
(the patient view, ``criteria explain``) reads one bucket. The bucket column is left out of the
views the Ibis queries read. ``classification_results`` is partitioned by ``criteria_set``.

An import stages its rows in ``_staging/<batch>`` (Parquet, outside the tables) and adds them
when the block ends: facts already held are left out (content-hash ids), new patients, notes
and images are appended, and only when an import replaces stored rows (``--update-patients``,
a note imported again) is that table rewritten (a new folder swapped in). A failed import
leaves the tables as they were.

Review decisions, users, the audit log's other entries and image readings need transactions and
row updates: on Spark they are refused with a message naming SQLite or PostgreSQL
(docs/scale.md). A re-import's supersessions (:mod:`calciscope.storage.reimport`) are staged
like the rest: the changed fact rows replace the stored ones, and their ``fact_revisions`` and
``audit_log`` rows are added, when the import is applied.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from calciscope.errors import RegistryError
from calciscope.model import STORED, Fact, Image, Note, Patient
from calciscope.storage import schema
from calciscope.storage.bulk import FactSink
from calciscope.storage.database_url import display_url, normalise_url
from calciscope.storage.imported_notes import note_content
from calciscope.storage.integrity import (
    MemoryPatientStates,
    PatientStates,
    merge_patients,
)
from calciscope.storage.lifetime import Birth
from calciscope.storage.registry import (
    BatchWriter,
    Registry,
    fact_from_row,
    model_rows,
)
from calciscope.storage.reimport import FactStore
from calciscope.storage.schema import arrow_schema

__all__ = ["PATIENT_BUCKETS", "REGISTRY_TABLES", "SparkRegistry", "arrow_schema"]

#: Buckets of ``patient_bucket`` (the partition column of facts, notes and images).
PATIENT_BUCKETS = 32
#: Registry tables a Spark registry holds, with their partition columns.
REGISTRY_TABLES: dict[str, tuple[str, ...]] = {
    "patients": (),
    "facts": ("patient_bucket",),
    "notes": ("patient_bucket",),
    "images": ("patient_bucket",),
    "import_batches": (),
    "patient_source_ids": (),
    "classification_results": ("criteria_set",),
    # the history a re-import writes (storage/reimport.py): added to, never changed
    "fact_revisions": (),
    "audit_log": (),
}
#: Tables whose staged rows are only added (rows whose key is held are left out), never replaced.
_ADD_ONLY = ("facts", "patient_source_ids")
_KEYS = {
    "patients": ("patient_id",),
    "facts": ("fact_id",),
    "notes": ("note_id",),
    "images": ("image_id",),
    "patient_source_ids": ("patient_id", "source_id"),
    "classification_results": ("patient_id", "criteria_set", "index_date"),
}
_REFUSED = (
    "needs a transactional database (row updates in one transaction): use an SQLite or "
    "PostgreSQL registry for the review workspace; a Spark registry holds imports, the feature "
    "table, classification and studies (docs/scale.md)"
)


def _defaults(name: str) -> dict[str, int]:
    """Return the integer server defaults of a registry table's columns (``version`` = 1)."""
    return {
        c.name: int(str(default))
        for c in schema.metadata.tables[name].columns
        if isinstance(c.type, sa.Integer) and (default := getattr(c.server_default, "arg", None))
    }


def _arrow(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    table = schema.metadata.tables[name]
    defaults = _defaults(name)
    fixed = []
    for row in rows:
        out = {}
        for column in table.columns:
            value = row.get(column.name, defaults.get(column.name))
            if isinstance(column.type, sa.JSON) and value is not None:
                value = json.dumps(value, sort_keys=True, default=str)
            out[column.name] = value
        fixed.append(out)
    return pa.Table.from_pylist(fixed, schema=arrow_schema(name))


def _arrow_columns(name: str, rows: pa.Table, **constant: Any) -> pa.Table:
    """Return Arrow rows in a registry table's schema a column at a time, as :func:`_arrow` would.

    Columns are cast to the table's types; a missing column is ``constant``'s value, else its
    server default, else null. For tables without JSON columns (the bulk writer's facts).
    """
    target = arrow_schema(name)
    defaults = _defaults(name)
    columns = []
    for field in target:
        if field.name in constant or field.name not in rows.column_names:
            value = constant.get(field.name, defaults.get(field.name))
            columns.append(pa.array([value] * rows.num_rows, type=field.type))
        else:
            columns.append(rows[field.name].cast(field.type))
    return pa.Table.from_arrays(columns, schema=target)


class _Staging:
    """The rows of one import, written as Parquet files beside the tables until it ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts: dict[str, int] = {}

    def add(self, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.add_table(name, _arrow(name, rows))

    def add_table(self, name: str, table: pa.Table) -> None:
        """Stage rows already in the table's Arrow schema."""
        if not table.num_rows:
            return
        number = self.parts.get(name, 0)
        self.parts[name] = number + 1
        target = self.folder / name
        target.mkdir(parents=True, exist_ok=True)
        start = number * 10**9
        order = pa.array(range(start, start + table.num_rows), type=pa.int64())
        pq.write_table(table.append_column("_order", order), target / f"part-{number:06d}.parquet")


class _StagedFacts:
    """The bulk fact writer of a Spark import: validated rows are staged as Parquet."""

    def __init__(self, staging: _Staging) -> None:
        self.staging = staging

    def write(self, rows: pa.Table, batch_id: str | None) -> None:
        """Stage the rows; stored fact ids are left as they are when the import is applied.

        A column at a time (the rows are Arrow already): a row at a time through Python took
        most of a Spark import's time (about 4,300 rows/s).
        """
        self.staging.add_table("facts", _arrow_columns("facts", rows, batch_id=batch_id))


class SparkBatchWriter(BatchWriter):
    """The :class:`BatchWriter` of a Spark registry: reads the registry through Spark."""

    registry: SparkRegistry
    _spark_facts: _SparkFacts | None = None

    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which ids are in the registry or already staged by this import."""
        wanted = set(ids)
        return self.registry.existing_patient_ids(wanted) | self.reconciler.seen(wanted)

    def _patient_states(self) -> PatientStates:
        return MemoryPatientStates()  # no temporary tables: the import's patients in memory

    def _stored(self, ids: set[str]) -> dict[str, Patient]:
        return {p.patient_id: p for p in self.registry._patients(ids)}

    def _earliest_facts(self, ids: set[str]) -> dict[str, dt.date]:
        from pyspark.sql import functions as F

        frame = self.registry._facts_of(ids).filter(
            "superseded_by IS NULL AND review_state != 'rejected'"
        )
        rows = frame.groupBy("patient_id").agg(F.min("effective_date").alias("first")).collect()
        return {r["patient_id"]: r["first"] for r in rows if r["first"] is not None}

    def _fact_dated(self, patient_id: str, day: dt.date) -> str:
        frame = self.registry._facts_of({patient_id}).filter(
            "superseded_by IS NULL AND review_state != 'rejected'"
        )
        rows = frame.filter(frame.effective_date == day).select("fact_id").collect()
        return min(str(r["fact_id"]) for r in rows) if rows else "?"

    def _birth_of(self, ids: set[str]) -> dict[str, Birth]:
        # the import's patients are staged, not readable yet: this import's record of each
        # (merged with the registry's, as it will be written), else the registry's
        states = self.reconciler.states.get(ids)
        patients = {p.patient_id: p for p in self.registry._patients(ids - states.keys())}
        for pid, state in states.items():
            seen, before = state.seen, state.before
            chosen = seen if before is None else before if seen is None else None
            patients[pid] = chosen or merge_patients(before, seen)  # type: ignore[arg-type]
        return {pid: (p.birth_date, p.birth_year) for pid, p in patients.items()}

    def _stored_notes(self, ids: set[str], patients: set[str]) -> dict[str, tuple[Any, ...]]:
        # a Spark registry reads notes by patient: a stored note of these ids under another
        # patient is not seen here
        frame = self.registry._by_patient("notes", patients)
        if frame is None:
            return {}
        notes = (
            Note.model_validate(row.asDict(), context=STORED)
            for row in frame.select(*Note.model_fields).collect()
        )
        return {n.note_id: note_content(n) for n in notes if n.note_id in ids}

    def _fact_store(self) -> FactStore:
        if self._spark_facts is None:
            self._spark_facts = _SparkFacts(self)
        return self._spark_facts

    def supersede_reimported(self) -> None:
        """Supersede re-imported facts as every registry does; the changed rows are staged."""
        super().supersede_reimported()
        if self._spark_facts is not None:
            self._spark_facts.stage()

    def drop_rtf_suggestions(self) -> None:
        """Count the notes replaced; a Spark registry's facts are merged, never deleted in place."""
        if self._notes.rtf_replaced:
            self._reimport_counts["notes_rtf_replaced"] = len(self._notes.rtf_replaced)

    def _fact_sink(self) -> FactSink:
        return _StagedFacts(self.conn)  # type: ignore[arg-type]  # the import's staging folder

    def _source_ids(self, ids: set[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        frame = self.registry._by_patient("patient_source_ids", ids)
        if frame is not None:
            for row in frame.select("patient_id", "source_id").collect():
                found.setdefault(row["patient_id"], set()).add(row["source_id"])
        return found

    def write_source_ids(self) -> None:
        """Stage the source ids this import brought (added with its patients)."""
        rows = [
            {"patient_id": pid, "source_id": raw, "batch_id": self.batch_id}
            for pid, raw in self.reconciler.states.new_source_ids()
        ]
        staging: Any = self.conn  # the import's staging folder (bulk_import)
        staging.add("patient_source_ids", rows)

    def _confirmed_rows(self, ids: list[str]) -> Iterable[dict[str, Any]]:
        # the registry's rows only: this import's are staged, not readable yet
        facts = self.registry._facts_of(set(ids)).filter("review_state = 'confirmed'")
        return (row.asDict() for row in facts.toLocalIterator())


class _SparkFacts:
    """The re-import :class:`~calciscope.storage.reimport.FactStore` of a Spark import.

    Reads the registry's facts of the patients and the rows this import staged; the facts it
    supersedes or makes current again are staged as changed rows (``facts_changed``), which
    replace the stored rows when the import is applied, and the revisions and audit entries are
    staged for the ``fact_revisions`` and ``audit_log`` tables: all or nothing, with the import.
    """

    def __init__(self, writer: SparkBatchWriter) -> None:
        self.registry = writer.registry
        self.staging: _Staging = writer.conn  # type: ignore[assignment]
        self.changed: dict[str, dict[str, Any]] = {}
        self.superseded: set[str] = set()  # fact ids a revision of this import supersedes

    def _staged_facts(self) -> pa.Table | None:
        folder = self.staging.folder / "facts"
        return pq.read_table(folder, schema=_order_schema("facts")) if folder.is_dir() else None

    def stored_patients(self, batch_id: str) -> set[str]:
        staged = self._staged_facts()
        return set() if staged is None else set(staged.column("patient_id").unique().to_pylist())

    def rows(self, patient_ids: list[str]) -> list[dict[str, Any]]:
        frame = self.registry._facts_of(set(patient_ids))
        stored = [self.changed.get(r["fact_id"], r.asDict()) for r in frame.collect()]
        for row in stored:
            row.pop("patient_bucket", None)
        held = {row["fact_id"] for row in stored}
        staged = self._staged_facts()
        if staged is not None:
            wanted = pa.array(patient_ids, pa.string())
            mine = staged.filter(pc.is_in(staged.column("patient_id"), wanted))
            for row in mine.sort_by("_order").drop(["_order"]).to_pylist():
                if row["fact_id"] not in held:  # a stored id is kept as stored
                    held.add(row["fact_id"])
                    stored.append(row)
        return stored

    def reimported(self, fact_id: str) -> bool:
        if fact_id in self.superseded:
            return True
        frame = self.registry._table("fact_revisions")
        if frame is None:
            return False
        found = frame.filter((frame.supersedes == fact_id) & (frame.action == "reimported"))
        return not found.isEmpty()

    def supersede(self, pairs: list[tuple[dict[str, Any], str]]) -> None:
        for row, new_id in pairs:
            if row["version"] == 1 and row["superseded_by"] is None:
                self.changed[row["fact_id"]] = row | {"superseded_by": new_id, "version": 2}

    def revive(self, row: dict[str, Any]) -> None:
        if row["superseded_by"] is not None:
            again = row | {"superseded_by": None, "version": row["version"] + 1}
            self.changed[row["fact_id"]] = again

    def add(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if table.name == "fact_revisions":
            self.superseded.update(r["supersedes"] for r in rows if r["action"] == "reimported")
        self.staging.add(table.name, rows)

    def stage(self) -> None:
        """Stage the changed rows (applied after the import's new facts)."""
        if self.changed:
            self.staging.add_table("facts_changed", _arrow("facts", list(self.changed.values())))
        self.changed = {}


class SparkRegistry(Registry):
    """A registry whose tables live in Spark (``spark://local?warehouse=...`` or ``sc://...``).

    Parameters
    ----------
    url
        A Spark URL (:mod:`calciscope.engine.spark`).
    """

    def __init__(self, url: str | Path, *, busy_timeout_s: float | None = None) -> None:
        from calciscope.engine.spark import TableStore

        self._url = normalise_url(url)
        self.url = display_url(self._url)
        self.busy_timeout = 0.0
        self.store = TableStore(self._url)
        self.store.register_views()

    # --- what a Spark registry refuses -----------------------------------------------------
    @property
    def engine(self) -> NoReturn:  # type: ignore[override]
        """Refused: the review workspace, users and image readings need SQLite or PostgreSQL."""
        raise RegistryError(f"{self.url}: this {_REFUSED}")

    @property
    def dialect(self) -> str:
        """``spark``."""
        return "spark"

    def close(self) -> None:
        """Nothing to release: the Spark session lives as long as the process."""

    @contextmanager
    def write(self) -> Iterator[Any]:
        """Refused: a Spark registry has no SQL transactions."""
        raise RegistryError(f"{self.url}: this {_REFUSED}")
        yield  # pragma: no cover

    def set_review_state(self, fact_id: str, state: str, **options: Any) -> bool:
        """Refused: review decisions need SQLite or PostgreSQL."""
        raise RegistryError(f"{self.url}: a review decision {_REFUSED}")

    def drop_stale_note_suggestions(self, engine: str, *, since: dt.date | None = None) -> int:
        """Nothing is deleted: a Spark registry has no row deletes (docs/notes.md).

        Suggested note facts of an older extractor version stay beside the new ones; 0.
        """
        return 0

    def decided_note_facts(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Empty: a Spark registry refuses review decisions, so no note fact is decided on."""
        return []

    # --- reading -----------------------------------------------------------------------
    def generation(self) -> int | None:
        """None: Spark tables have no triggers, so no counter follows every writer.

        Stored results of a Spark registry are therefore never taken as current (a study and
        the web app compute).
        """
        return None

    def as_of(self) -> dt.date | None:
        """None: a Spark registry keeps no as-of date (it is evaluated as of today)."""
        return None

    def set_as_of(self, day: dt.date | None, *, also: Any = None) -> dt.date | None:
        """Refused: the as-of date lives in the SQL registry's ``registry_state``."""
        raise RegistryError(f"{self.url}: an as-of date {_REFUSED}")

    def _table(self, name: str) -> Any | None:
        """Return a stored table with every column of its schema (fix45).

        A warehouse written before a migration added a column (0012: ``facts.unit_code``) has
        Parquet files without it: the column is read as null, as the SQL migration fills it.
        """
        if not self.store.exists(name):
            return None
        frame = self.store.read(name)
        return _with_columns(name, frame)

    def _by_patient(self, name: str, ids: set[str]) -> Any | None:
        from pyspark.sql import functions as F

        frame = self._table(name)
        if frame is None:
            return None
        wanted = sorted(ids)
        if "patient_bucket" in frame.columns:
            buckets = sorted({self.bucket_of(pid) for pid in wanted})
            frame = frame.filter(F.col("patient_bucket").isin(buckets))
        return frame.filter(F.col("patient_id").isin(wanted))

    @staticmethod
    def bucket_of(patient_id: str) -> int:
        """Return the ``patient_bucket`` of a patient id (CRC-32 of its UTF-8, as Spark's crc32)."""
        return zlib.crc32(patient_id.encode("utf-8")) % PATIENT_BUCKETS

    def _facts_of(self, ids: set[str]) -> Any:
        frame = self._by_patient("facts", ids)
        if frame is None:
            return self.store.session.createDataFrame([], _spark_schema("facts"))
        return frame

    def _patients(self, ids: set[str]) -> list[Patient]:
        frame = self._by_patient("patients", ids)
        if frame is None:
            return []
        names = list(Patient.model_fields)
        return [
            Patient.model_validate(row.asDict(), context=STORED)
            for row in frame.select(*names).collect()
        ]

    def existing_patient_ids(self, ids: Iterable[str]) -> set[str]:
        """Return which of the given patient ids are already in the registry."""
        frame = self._by_patient("patients", set(ids))
        if frame is None:
            return set()
        return {row["patient_id"] for row in frame.select("patient_id").collect()}

    def patient(self, patient_id: str) -> Patient | None:
        """Return one patient, or None."""
        found = self._patients({patient_id})
        return found[0] if found else None

    def _rows(self, name: str, patient_id: str, order: Sequence[str]) -> list[dict[str, Any]]:
        frame = self._by_patient(name, {patient_id})
        if frame is None:
            return []
        rows = [row.asDict() for row in frame.drop("patient_bucket").collect()]
        return sorted(rows, key=lambda r: tuple((r[k] is not None, r[k]) for k in order))

    def facts_for(self, patient_id: str, *, include_superseded: bool = False) -> list[Fact]:
        """Return a patient's facts ordered by date (undated first)."""
        rows = self._rows("facts", patient_id, ("effective_date", "code"))
        return [fact_from_row(r) for r in rows if include_superseded or r["superseded_by"] is None]

    def notes_for(self, patient_id: str) -> list[Note]:
        """Return a patient's notes ordered by date."""
        return [
            Note.model_validate(r, context=STORED)
            for r in self._rows("notes", patient_id, ("note_date", "note_id"))
        ]

    def images_for(self, patient_id: str) -> list[Image]:
        """Return a patient's images ordered by date."""
        return [Image(**r) for r in self._rows("images", patient_id, ("image_date", "image_id"))]

    def iter_notes(self, *, since: dt.date | None = None, chunk: int = 1000) -> Iterator[Note]:
        """Stream notes (optionally only those dated on or after ``since``) in id order."""
        frame = self._table("notes")
        if frame is None:
            return
        if since is not None:
            frame = frame.filter(frame.note_date >= since)
        for row in frame.drop("patient_bucket").orderBy("note_id").toLocalIterator():
            yield Note.model_validate(row.asDict(), context=STORED)

    def synthetic_patients(self) -> tuple[int, int]:
        """Return how many patients are synthetic and how many there are (one job)."""
        from pyspark.sql import functions as F

        frame = self._table("patients")
        if frame is None:
            return 0, 0
        row = frame.agg(F.sum(F.col("synthetic").cast("int")), F.count(F.lit(1))).first()
        return int(row[0] or 0), int(row[1] or 0)

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each registry table."""
        names = ("patients", "facts", "notes", "images", "import_batches")
        return {n: 0 if (f := self._table(n)) is None else int(f.count()) for n in names}

    # --- writing -----------------------------------------------------------------------
    def _upsert(
        self, conn: Any, table: sa.Table, rows: list[dict[str, Any]], key: object, *, update: bool
    ) -> None:
        conn.add(table.name, rows)

    @contextmanager
    def bulk_import(
        self, *, source: str, source_hash: str, update_patients: bool = False
    ) -> Iterator[BatchWriter]:
        """Stage an import's rows, then add them to the tables when the block ends.

        The same checks as :meth:`Registry.bulk_import`: any exception inside the block, or
        patients that disagree, leave the registry unchanged.
        """
        writer = SparkBatchWriter(self, uuid.uuid4().hex, update_patients=update_patients)
        writer.source = source
        with self._staging(writer.batch_id) as staging:
            writer.conn = staging  # type: ignore[assignment]  # rows go to the staging folder
            with writer.checked():
                yield writer
            staging.add("import_batches", [writer.batch_row(source_hash)])
            self._commit(staging)

    def add_facts(self, facts: Sequence[Fact]) -> int:
        """Insert facts that are not there yet (existing ids, and their review state, are kept)."""
        with self._staging(uuid.uuid4().hex) as staging:
            staging.add("facts", model_rows(facts))
            self._commit(staging)
        return len(facts)

    @contextmanager
    def _staging(self, batch_id: str) -> Iterator[_Staging]:
        warehouse = self.store.location.warehouse
        if warehouse is not None:
            folder = warehouse / "_staging" / batch_id
            folder.mkdir(parents=True)
        else:
            folder = Path(tempfile.mkdtemp(prefix="calciscope-staging-"))
        try:
            yield _Staging(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _staged(self, staging: _Staging, name: str, folder: str | None = None) -> Any:
        """Return the rows staged for table ``name`` (in the folder ``folder``, else ``name``)."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        path = staging.folder / (folder or name)
        if self.store.location.warehouse is not None:
            frame = self.store.session.read.schema(_spark_schema(name, order=True)).parquet(
                str(path)
            )
        else:  # Spark Connect: the staged rows travel from this process to the cluster, as
            # Arrow with the table's types (through pandas, a column of nulls has no type)
            frame = self.store.session.createDataFrame(pq.read_table(path))
        keys = _KEYS.get(name)
        if keys:  # one row per key: the last staged (upserts, changes) or the first (facts)
            first = name == "facts" and folder is None
            order = F.col("_order").asc() if first else F.col("_order").desc()
            window = Window.partitionBy(*keys).orderBy(order)
            frame = frame.withColumn("_n", F.row_number().over(window)).filter("_n = 1")
            frame = frame.drop("_n")
        frame = frame.drop("_order")
        if "patient_bucket" in REGISTRY_TABLES[name]:
            bucket = (F.crc32(F.col("patient_id")) % PATIENT_BUCKETS).cast("int")
            frame = frame.withColumn("patient_bucket", bucket)
        return frame

    def _commit(self, staging: _Staging) -> None:
        for name in REGISTRY_TABLES:
            if name in staging.parts:
                self._merge(name, self._staged(staging, name), replace=name not in _ADD_ONLY)
        if "facts_changed" in staging.parts:  # a re-import's superseded and revived facts
            self._merge("facts", self._staged(staging, "facts", "facts_changed"), replace=True)

    def _merge(self, name: str, new: Any, *, replace: bool) -> None:
        """Add staged rows: facts and source ids whose key is held are dropped; others replace."""
        partition_by = REGISTRY_TABLES[name]
        keys = list(_KEYS.get(name, ()))
        stored = self.store.read(name) if self.store.exists(name) else None
        old = None if stored is None else _with_columns(name, stored)
        if partition_by:
            new = new.repartition(*partition_by)
        if stored is not None and old is not None and set(old.columns) != set(stored.columns):
            # written before a migration added a column (fix45): the table is written again
            # with it (null in the old rows), so its files never mix two schemas
            old = old.select(*new.columns)
            if keys and replace:
                old = old.join(new.select(*keys), keys, "left_anti")
            elif keys:
                new = new.join(old.select(*keys), keys, "left_anti")
            self.store.replace(name, old.unionByName(new), partition_by)
            return
        if old is None or not keys:
            self.store.append(name, new, partition_by)
            return
        old = old.select(*new.columns)
        if not replace:
            self.store.append(name, new.join(old.select(*keys), keys, "left_anti"), partition_by)
            return
        new = new.subtract(old)  # rows stored exactly as they are: nothing to write
        if new.join(old.select(*keys), keys, "left_semi").isEmpty():
            self.store.append(name, new, partition_by)
            return
        kept = old.join(new.select(*keys), keys, "left_anti")
        self.store.replace(name, kept.unionByName(new), partition_by)

    # --- classification results ------------------------------------------------------------
    def write_classification_rows(self, rows: list[dict[str, Any]]) -> int:
        """Insert or replace results (keyed by patient, set and index date)."""
        with self._staging(uuid.uuid4().hex) as staging:
            staging.add("classification_results", rows)
            if rows:
                self._commit(staging)
        return len(rows)

    def classification_rows(
        self, *, patient_id: str | None = None, index_date: dt.date | None = None
    ) -> list[dict[str, Any]]:
        """Return stored results ordered by patient, set and index date."""
        frame = self._table("classification_results")
        if frame is None:
            return []
        if patient_id is not None:
            frame = frame.filter(frame.patient_id == patient_id)
        if index_date is not None:
            frame = frame.filter(frame.index_date == index_date)
        rows = [r.asDict() for r in frame.collect()]
        for row in rows:
            row["result"] = json.loads(row["result"])
        return sorted(rows, key=lambda r: (r["patient_id"], r["criteria_set"], r["index_date"]))


def _with_columns(name: str, frame: Any) -> Any:
    """Return ``frame`` with the columns of table ``name``'s schema it lacks, as typed nulls."""
    from pyspark.sql import functions as F

    if name not in schema.metadata.tables:
        return frame
    lacking = [f for f in _spark_schema(name).fields if f.name not in frame.columns]
    for field in lacking:
        frame = frame.withColumn(field.name, F.lit(None).cast(field.dataType))
    return frame


def _order_schema(name: str) -> pa.Schema:
    """Return the Arrow schema of a table's staged rows (with their ``_order``)."""
    return arrow_schema(name).append(pa.field("_order", pa.int64()))


def _spark_schema(name: str, *, order: bool = False) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(_order_schema(name) if order else arrow_schema(name))
