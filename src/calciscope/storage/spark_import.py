"""The import into a Spark registry: its rows staged as Parquet, its batch writer, its re-import.

:class:`SparkBatchWriter` is the :class:`~calciscope.storage.registry.BatchWriter` of
:class:`~calciscope.storage.spark.SparkRegistry`: the same checks as on SQLite and PostgreSQL,
reading the registry through Spark, its rows staged in ``_staging/<batch>`` (:class:`_Staging`)
until the registry applies them. A re-import's supersessions go through
:class:`_SparkFacts` (the :class:`~calciscope.storage.reimport.FactStore` of a Spark import):
the changed rows are staged as ``facts_changed``. Also the registry tables' Arrow and Spark
schemas as staged and read (``_arrow``, ``_spark_schema``, ``_with_columns``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from calciscope.model import STORED, Note, Patient
from calciscope.storage import schema
from calciscope.storage.bulk import FactSink
from calciscope.storage.imported_notes import note_content
from calciscope.storage.integrity import (
    MemoryPatientStates,
    PatientStates,
    merge_patients,
)
from calciscope.storage.lifetime import Birth
from calciscope.storage.registry import BatchWriter
from calciscope.storage.reimport import FactStore
from calciscope.storage.schema import arrow_schema

if TYPE_CHECKING:
    from calciscope.storage.spark import SparkRegistry

__all__ = ["SparkBatchWriter"]


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
