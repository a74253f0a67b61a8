"""The bulk fact writer every importer feeds: validated fact rows, columnar, in large batches.

A *fact table* is a :class:`pyarrow.Table` with the columns :data:`FACT_COLUMNS` (strings,
``effective_date`` as ``date32``, ``value_num`` as ``float64``) whose rows are already
validated and carry their content-hash ``fact_id``. The native reader builds it straight from
``facts.csv`` (:mod:`calciscope.interop.native`); the other readers' validated
:class:`~calciscope.model.Fact` records become one with :func:`fact_table`. Both go to
:meth:`calciscope.storage.BatchWriter.write_fact_rows`, which drops the statements the registry
already holds (:mod:`calciscope.storage.integrity`) and hands the rest to a :class:`FactSink`:

- SQLite: one ``executemany`` of ``INSERT ... ON CONFLICT (fact_id) DO NOTHING`` per batch on the
  import's connection (inside its ``BEGIN IMMEDIATE`` transaction);
- PostgreSQL: ``COPY`` (psycopg 3) of the batch as CSV, straight into ``facts`` while none of
  its ids is stored yet, else into a temporary staging table and then
  ``INSERT INTO facts SELECT ... FROM staging ON CONFLICT (fact_id) DO NOTHING``.

``DO NOTHING`` is what keeps a confirmed or rejected fact from being overwritten by a
re-import: a fact id already stored keeps its row, review state and version. Another registry
(a Parquet warehouse, for example) implements :class:`FactSink` the same way.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy.engine import Connection

from calciscope.errors import RegistryError
from calciscope.model import Fact
from calciscope.model.records import HASHED_WHEN_SET, plain_value

__all__ = [
    "FACT_COLUMNS",
    "FACT_SCHEMA",
    "HASHED_COLUMNS",
    "NUMBER_COLUMNS",
    "FactSink",
    "PostgresFactSink",
    "SqliteFactSink",
    "fact_ids",
    "fact_sink",
    "fact_table",
    "write_fact_values",
]

#: Fact fields added after the first layout: written last, in the order they came, so that files
#: written before them still read column for column (``reference_high``: 0006, ``unit_code``: 0012).
_ADDED_FIELDS = ("reference_high", "unit_code")
#: The fact fields an import writes, in the order of :data:`FACT_SCHEMA` (and of ``facts.csv``):
#: the id first, then the model's fields in their order, then :data:`_ADDED_FIELDS`.
FACT_COLUMNS: tuple[str, ...] = (
    "fact_id",
    *(name for name in Fact.model_fields if name not in ("fact_id", *_ADDED_FIELDS)),
    *_ADDED_FIELDS,
)

#: The fact columns that hold numbers (float64 in a fact table, printed as Python prints a float
#: when hashed).
NUMBER_COLUMNS: frozenset[str] = frozenset({"value_num", "reference_high"})

FACT_SCHEMA = pa.schema(
    [
        (
            name,
            pa.date32()
            if name == "effective_date"
            else pa.float64()
            if name in NUMBER_COLUMNS
            else pa.string(),
        )
        for name in FACT_COLUMNS
    ]
)

#: The fields a fact id is the hash of (:func:`calciscope.model.make_fact_id`), sorted.
HASHED_COLUMNS: tuple[str, ...] = tuple(
    sorted(c for c in FACT_COLUMNS if c not in ("fact_id", "review_state"))
)


def fact_table(facts: Sequence[Fact]) -> pa.Table:
    """Return validated :class:`~calciscope.model.Fact` records as a fact table."""
    columns: dict[str, list[Any]] = {name: [] for name in FACT_COLUMNS}
    for fact in facts:
        values = fact.__dict__
        for name in FACT_COLUMNS:
            value = values[name]
            columns[name].append(
                value if name == "effective_date" or name in NUMBER_COLUMNS else plain_value(value)
            )
    return pa.table(columns, schema=FACT_SCHEMA)


def fact_ids(table: pa.Table) -> pa.Array:
    """Return the content-hash id of every row (as :func:`calciscope.model.make_fact_id`).

    The text hashed is ``key=value`` of the fields of :data:`HASHED_COLUMNS` joined by ``|``,
    an absent value written as nothing, dates in ISO form and numbers as Python prints a float;
    a field of :data:`~calciscope.model.records.HASHED_WHEN_SET` only when it has a value.
    """
    parts: list[Any] = []
    for number, name in enumerate(HASHED_COLUMNS):
        column = table.column(name)
        if name in NUMBER_COLUMNS:
            column = pa.array(
                [None if v is None else str(v) for v in column.to_pylist()], pa.string()
            )
        elif column.type != pa.string():
            column = pc.cast(column, pa.string())
        key = ("|" if number else "") + f"{name}="
        if name in HASHED_WHEN_SET:
            parts.append(pc.fill_null(pc.binary_join_element_wise(key, column, ""), ""))
            continue
        parts.append(key)
        parts.append(pc.fill_null(column, ""))
    joined = pc.binary_join_element_wise(*parts, "")
    sha1 = hashlib.sha1
    return pa.array(
        ["F" + sha1(text.encode()).hexdigest()[:20] for text in joined.to_pylist()], pa.string()
    )


class FactSink(Protocol):
    """Where validated fact rows are written, inside the import's transaction.

    ``write`` inserts the rows whose ``fact_id`` is not stored yet and leaves stored ones as
    they are; it may be called many times per import (once per batch of rows). Rows that come
    from no import (facts suggested by ``notes extract``) have no batch id (None).
    """

    def write(self, rows: pa.Table, batch_id: str | None) -> None:
        """Insert the rows (columns :data:`FACT_COLUMNS`) that are not stored yet."""


_INSERTED = (*FACT_COLUMNS, "batch_id")


class SqliteFactSink:
    """``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING`` on the import's connection."""

    def __init__(self, conn: Connection) -> None:
        self._dbapi = conn.connection.dbapi_connection

    def write(self, rows: pa.Table, batch_id: str | None) -> None:
        """Insert the rows that are not stored yet."""
        if not rows.num_rows:
            return
        columns = []
        for name in FACT_COLUMNS:
            column = rows.column(name)
            if name == "effective_date":
                column = pc.cast(column, pa.string())  # SQLAlchemy's Date on SQLite: ISO text
            columns.append(column.to_pylist())
        columns.append([batch_id] * rows.num_rows)
        assert self._dbapi is not None
        insert_many_sqlite(self._dbapi, _INSERTED, zip(*columns, strict=True))


#: The SQLite trigger of migration 0008 that moves the registry's generation on per fact inserted.
_FACTS_INSERT_TRIGGER = "facts_generation_insert"


def insert_many_sqlite(dbapi: Any, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert fact rows (values of the columns ``names``) on SQLite, moving the generation on once.

    One ``executemany`` of ``INSERT ... ON CONFLICT (fact_id) DO NOTHING``: a stored fact id
    keeps its row.

    SQLite has only row triggers, so migration 0008's insert trigger on ``facts`` runs one
    ``UPDATE registry_state`` per row: it doubled the cost of inserting a fact. Inside the
    writer's own transaction this takes the trigger out, inserts, moves the generation on once
    and puts the trigger back, all before the commit. SQLite has one writer at a time, so no
    other writer ever meets ``facts`` without its trigger, and a rollback restores it. Outside a
    transaction (or on a registry older than 0008) the rows are inserted as they are.
    """
    marks = ", ".join("?" for _ in names)
    sql = (
        f"INSERT INTO facts ({', '.join(names)}) VALUES ({marks}) ON CONFLICT (fact_id) DO NOTHING"
    )
    cursor = dbapi.cursor()

    def stored_trigger() -> str | None:
        found = cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_FACTS_INSERT_TRIGGER,),
        ).fetchone()
        return str(found[0]) if found else None

    try:
        trigger = stored_trigger() if dbapi.in_transaction else None
        if trigger is None:
            cursor.executemany(sql, rows)
            return
        cursor.execute(f"DROP TRIGGER {_FACTS_INSERT_TRIGGER}")
        try:
            cursor.executemany(sql, rows)
            cursor.execute("UPDATE registry_state SET generation = generation + 1")
        finally:
            if stored_trigger() is None:  # (a failed transaction rolled back has it already)
                cursor.execute(trigger)
    finally:
        cursor.close()


class PostgresFactSink:
    """``COPY`` of new rows straight into ``facts``; through a staging table when some exist.

    A batch with no id twice is first copied into ``facts`` directly, inside a savepoint. When
    the registry already holds one of its ids, the copy fails and is rolled back to the
    savepoint, and that batch and every later one of the import are copied into a temporary
    staging table and inserted with ``INSERT ... SELECT ... ON CONFLICT (fact_id) DO NOTHING``.

    **The foreign key checked once per batch.** PostgreSQL checks ``facts.patient_id`` against
    ``patients`` by a trigger per row (a query and a row lock per fact: measured, a third of
    the server's time of a ``COPY`` into ``facts``). When the import's role may set
    ``session_replication_role`` (a superuser, or ``GRANT SET ON PARAMETER
    session_replication_role TO <role>`` on PostgreSQL 15+), each batch does that check itself,
    in one statement: ``SELECT ... FROM patients WHERE patient_id = ANY(...) FOR KEY SHARE``
    finds every patient of the batch and takes the same lock the row trigger takes (a
    concurrent delete of one of them waits for the import and then fails on its facts); a
    patient missing stops the import. Only then are the rows written with
    ``session_replication_role = replica`` (``SET LOCAL``: this transaction only, other
    sessions keep their checks), which skips the row triggers of ``facts``, and the setting is
    put back before the batch returns, so the import's other tables keep theirs. The
    registry's generation, which the statement trigger of ``facts`` would have moved on, is
    moved on once per batch as before. A role without that right writes as before (the row
    triggers). Either way the batch is in the import's one transaction: all or nothing.
    """

    _STAGING = "calciscope_facts_staging"

    def __init__(self, conn: Connection) -> None:
        self._dbapi: Any = conn.connection.dbapi_connection
        self._staging = False
        self._direct = True
        #: whether the role may skip the row triggers (None: not asked yet)
        self._replica: bool | None = None

    def write(self, rows: pa.Table, batch_id: str | None) -> None:
        """Insert the rows that are not stored yet."""
        if not rows.num_rows:
            return
        table = rows.select(list(FACT_COLUMNS)).append_column(
            "batch_id", pa.array([batch_id] * rows.num_rows, pa.string())
        )
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        pacsv.write_csv(table, buffer, options)
        with self._dbapi.cursor() as cursor:
            previous = self._checked_in_bulk(cursor, table.column("patient_id"))
            self._copy(cursor, buffer, table.column("fact_id"))
            if previous is not None:
                cursor.execute(f"SET LOCAL session_replication_role = {previous}")
                cursor.execute(_BUMP_GENERATION)

    def _checked_in_bulk(self, cursor: Any, patient_ids: pa.ChunkedArray) -> str | None:
        """Check the batch's patients in one statement and skip the row triggers, if allowed.

        Returns the role's previous ``session_replication_role`` to put back after the
        batch, or None when the rows keep their triggers (the role may not skip them).
        """
        import psycopg

        if self._replica is False:
            return None
        previous = str(cursor.execute("SHOW session_replication_role").fetchone()[0])
        if previous == "replica":
            return None  # already set by someone else: leave the session as it is
        cursor.execute("SAVEPOINT calciscope_role")
        try:
            cursor.execute("SET LOCAL session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            cursor.execute("ROLLBACK TO SAVEPOINT calciscope_role")
            self._replica = False
            return None
        cursor.execute("RELEASE SAVEPOINT calciscope_role")  # (keeps the setting)
        wanted = pc.unique(patient_ids).to_pylist()
        cursor.execute(
            "SELECT patient_id FROM patients WHERE patient_id = ANY(%s) FOR KEY SHARE",
            (wanted,),
        )
        missing = set(wanted) - {row[0] for row in cursor.fetchall()}
        if missing:
            cursor.execute(f"SET LOCAL session_replication_role = {previous}")
            shown = ", ".join(sorted(missing)[:5])
            raise RegistryError(
                f"facts of {len(missing)} patient(s) the registry does not hold: {shown}"
            )
        self._replica = True
        return previous

    def _copy(self, cursor: Any, buffer: io.BytesIO, ids: pa.ChunkedArray) -> None:
        """Copy the CSV rows into ``facts``, or through the staging table when some are stored."""
        import psycopg

        names = ", ".join(_INSERTED)
        if self._direct and len(pc.unique(ids)) == len(ids):
            cursor.execute("SAVEPOINT calciscope_copy")
            try:
                with cursor.copy(f"COPY facts ({names}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getbuffer())
            except psycopg.errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT calciscope_copy")
                self._direct = False  # the registry holds some: stage from now on
            else:
                cursor.execute("RELEASE SAVEPOINT calciscope_copy")
                return
        if not self._staging:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self._STAGING} "
                f"(LIKE facts INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            self._staging = True
        with cursor.copy(f"COPY {self._STAGING} ({names}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())
        cursor.execute(
            f"INSERT INTO facts ({names}) SELECT {names} FROM {self._STAGING} "
            f"ON CONFLICT (fact_id) DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {self._STAGING}")


#: What the statement trigger of migration 0008 runs: the registry's generation moves on.
_BUMP_GENERATION = "UPDATE registry_state SET generation = generation + 1"


def fact_sink(conn: Connection) -> FactSink:
    """Return the bulk fact writer for the import's connection (SQLite or PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return PostgresFactSink(conn)
    return SqliteFactSink(conn)


def write_fact_values(
    conn: Connection, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert validated fact rows given as tuples of stored values, with no batch id.

    For writers that receive facts as plain tuples (``notes extract`` from its workers): each
    tuple holds the values of the columns ``names`` (the :data:`FACT_COLUMNS`, in any order) as
    the table stores them, the effective date as ISO text. As :class:`FactSink`, rows whose
    ``fact_id`` is stored keep the stored row. On SQLite the tuples go to one ``executemany``
    as they are (no Arrow table, no per-row conversion); elsewhere they become a fact table for
    :func:`fact_sink`.
    """
    if sorted(names) != sorted(FACT_COLUMNS):
        raise ValueError(f"fact columns expected, got {list(names)}")
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        insert_many_sqlite(dbapi, names, rows)
        return
    columns = dict(zip(names, zip(*rows, strict=True), strict=True))
    arrays = []
    for field in FACT_SCHEMA:
        if field.name == "effective_date":
            arrays.append(pc.cast(pa.array(columns[field.name], pa.string()), field.type))
        else:
            arrays.append(pa.array(columns[field.name], field.type))
    fact_sink(conn).write(pa.Table.from_arrays(arrays, schema=FACT_SCHEMA), None)
