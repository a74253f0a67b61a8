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
and images are appended. When an import replaces stored rows of a partitioned table (a
re-import's changed facts, a note stored again) only the buckets holding a replaced row are
rewritten, swapped in a bucket at a time with a journal (:meth:`SparkRegistry._replace_buckets`,
:mod:`calciscope.engine.spark_swap`); ``patients`` (``--update-patients``) is rewritten whole
(a new folder swapped in). An import that fails before its commit (bad rows, patients that
disagree) leaves the tables as they were; one failing while its commit writes them (Spark
running out of memory writing ``facts``) leaves the tables written before it (``patients``,
``import_batches``, ...) with the import's rows added. An import refuses to add its rows while a
swap journal remains.

Review decisions, users, the audit log's other entries and image readings need transactions and
row updates: on Spark they are refused with a message naming SQLite or PostgreSQL
(docs/scale.md). A re-import's supersessions (:mod:`calciscope.storage.reimport`) are staged
like the rest (:mod:`calciscope.storage.spark_import`): the changed fact rows replace the stored
ones, with the import's new facts in one change of ``facts``, and their ``fact_revisions`` and
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

import pyarrow.parquet as pq
import sqlalchemy as sa

from calciscope.engine.spark_swap import pending, remove_leftovers
from calciscope.errors import RegistryError
from calciscope.model import STORED, Fact, Image, Note, Patient
from calciscope.storage.database_url import display_url, normalise_url
from calciscope.storage.registry import (
    BatchWriter,
    Registry,
    fact_from_row,
    model_rows,
)
from calciscope.storage.schema import arrow_schema
from calciscope.storage.spark_import import (
    SparkBatchWriter,
    _spark_schema,
    _Staging,
    _with_columns,
)

__all__ = ["PATIENT_BUCKETS", "REGISTRY_TABLES", "SparkRegistry", "arrow_schema"]

#: Buckets of ``patient_bucket`` (the partition column of facts, notes and images).
PATIENT_BUCKETS = 32
#: The partition column of facts, notes and images (a replace rewrites only its buckets).
BUCKET = "patient_bucket"
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
        warehouse = self.store.location.warehouse
        if warehouse is not None:  # a swap an earlier writer left unfinished comes first
            self.store.finish_swaps(wait=True)
            _refuse_unfinished(warehouse)
            remove_leftovers(warehouse)
        changed = "facts_changed" in staging.parts  # a re-import's superseded, revived facts
        for name in REGISTRY_TABLES:
            if name in staging.parts and not (changed and name == "facts"):
                self._merge(name, self._staged(staging, name), replace=name not in _ADD_ONLY)
        if changed:  # the new facts and the changed rows in one change of the table
            rows = self._staged(staging, "facts", "facts_changed")
            if "facts" in staging.parts:
                rows = self._with_new_facts(self._staged(staging, "facts"), rows)
            self._merge("facts", rows, replace=True)

    def _with_new_facts(self, staged: Any, changed: Any) -> Any:
        """Return the changed fact rows and the staged facts not held (by the table or them).

        Merged in one replace, a bucket holding a changed row and a new fact of the import is
        rewritten once, and the table goes from before the import to after it in one swap: no
        reader sees a patient's new fact current beside the fact it supersedes.
        """
        keys = list(_KEYS["facts"])
        stored = self._table("facts")
        if stored is not None:
            staged = staged.join(stored.select(*keys), keys, "left_anti")
        return staged.join(changed.select(*keys), keys, "left_anti").unionByName(changed)

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
        if partition_by == (BUCKET,) and self.store.location.warehouse is not None:
            self._replace_buckets(name, new, old, keys)
            return
        new = new.subtract(old)  # rows stored exactly as they are: nothing to write
        if new.join(old.select(*keys), keys, "left_semi").isEmpty():
            self.store.append(name, new, partition_by)
            return
        kept = old.join(new.select(*keys), keys, "left_anti")
        self.store.replace(name, kept.unionByName(new), partition_by)

    def _replace_buckets(self, name: str, new: Any, old: Any, keys: list[str]) -> None:
        """Replace stored rows by the staged rows of their key, rewriting only their buckets.

        The same rows as the whole table rewritten (``kept`` and ``new``), but only the
        ``patient_bucket`` folders holding a replaced row are written again, and swapped in one
        at a time (:meth:`TableStore.replace_partitions`); the new rows of other buckets are
        added to them in the same swap.
        """
        from pyspark.sql import functions as F

        mine = sorted(r[0] for r in new.select(BUCKET).distinct().collect())
        # a row stored exactly as staged has the same patient, hence the same bucket
        new = new.subtract(old.filter(F.col(BUCKET).isin(mine)))
        replaced = old.join(new.select(*keys), keys, "left_semi")  # keys: any bucket
        buckets = sorted(r[0] for r in replaced.select(BUCKET).distinct().collect())
        if not buckets:
            self.store.append(name, new, (BUCKET,))
            return
        kept = old.filter(F.col(BUCKET).isin(buckets)).join(new.select(*keys), keys, "left_anti")
        rows = kept.unionByName(new).repartition(BUCKET)  # a file a bucket
        self.store.replace_partitions(name, rows, BUCKET, buckets)

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


def _refuse_unfinished(warehouse: Path) -> None:
    """Refuse an import while a swap journal remains (its writer may still be applying it).

    Finished later, that swap would overwrite the buckets this import writes.
    """
    left = pending(warehouse)
    if left:
        raise RegistryError(
            f"{warehouse}: an unfinished change of a table remains: {'; '.join(left)}. "
            "Nothing was imported. Its writer may still be running: wait for it to end "
            "(a journal of another host is finished by the next opening once it is 10 minutes "
            "old) and import again; once that process is known to have ended, finish it with "
            f"`python -m calciscope.engine.spark_swap {warehouse}` and import again"
        )
