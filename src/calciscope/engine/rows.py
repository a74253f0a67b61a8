"""Run a compiled expression over rows held in memory (a spreadsheet, a test's patients) on DuckDB.

The rows become an Arrow table typed by the feature catalogue, and the expression the registry
uses runs on it in an in-memory DuckDB database: the spreadsheet calculator and the golden tests
go through the very path ``classify`` takes. Compiling an expression to SQL costs far more than
running it on a few rows, so each :class:`RowEvaluator` compiles once per column layout.
:class:`TablesEvaluator` does the same for an expression over several tables (one patient's
facts and patient row, turned into that patient's feature row).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from calciscope.criteria import clean_value
from calciscope.engine.predicates import IBIS_TYPES
from calciscope.features import load_catalogue

__all__ = ["RowEvaluator", "TablesEvaluator", "rows_table"]

_TABLE = "calciscope_rows"


@cache
def _feature_type(name: str) -> pa.DataType | None:
    feature = load_catalogue().features.get(name)
    return None if feature is None else ibis.dtype(IBIS_TYPES[feature.type]).to_pyarrow()


def _arrow_type(name: str, values: list[Any]) -> pa.DataType:
    known = _feature_type(name)
    if known is not None:
        return known
    if name == "patient_id":
        return pa.string()
    inferred = pa.array(values).type
    return pa.string() if pa.types.is_null(inferred) else inferred


def _cell(value: Any, dtype: pa.DataType) -> Any:
    value = clean_value(value)  # NaN, NaT and pandas' NA are unknown, as null is
    # a spreadsheet reads every number as a float; integer columns take whole numbers only
    if pa.types.is_integer(dtype) and isinstance(value, float) and value.is_integer():
        return int(value)
    if pa.types.is_date(dtype) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def rows_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Return the rows as an Arrow table: ``patient_id``, every catalogue feature, then the rest.

    Missing keys are unknown (null). ``patient_id`` defaults to the row number.
    """
    extra = sorted(
        {k for row in rows for k in row} - set(load_catalogue().features) - {"patient_id"}
    )
    names = ["patient_id", *load_catalogue().features, *extra]
    filled = [{"patient_id": str(i)} | dict(row) for i, row in enumerate(rows)]
    columns = {}
    for name in names:
        values = [row.get(name) for row in filled]
        dtype = _arrow_type(name, values)
        columns[name] = pa.array([_cell(v, dtype) for v in values], type=dtype)
    return pa.table(columns)


def _to_sqlite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_sqlite(dtype: Any) -> Callable[[Any], Any]:
    """Return a converter of SQLite's values to Python values of an Ibis type."""
    if dtype.is_boolean():
        return bool
    if dtype.is_date():
        return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    if dtype.is_timestamp():
        return lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
    if dtype.is_floating():
        return float
    if dtype.is_integer():
        return int
    return lambda v: v


class _SqliteStatement:
    """A compiled statement over a private in-memory SQLite database holding the input tables.

    SQLite plans a statement in microseconds and keeps it prepared, where DuckDB spends a few
    hundred milliseconds planning a feature or classification query, whatever the rows: for one
    patient's rows SQLite answers in about a millisecond.
    """

    def __init__(self, build: Callable[..., ir.Table], schemas: Mapping[str, pa.Schema]) -> None:
        self.raw = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()
        con = ibis.sqlite.from_connection(self.raw)
        for name, schema in schemas.items():
            con.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
        expr = build(**{name: con.table(name) for name in schemas})
        self.sql = str(con.compile(expr))
        schema = expr.schema()
        self.names = list(schema.names)
        self.arrow = schema.to_pyarrow()
        self.convert = [_from_sqlite(schema[n]) for n in self.names]

    def run(self, tables: Mapping[str, pa.Table]) -> pa.Table:
        with self.lock:
            for name, table in tables.items():
                self.raw.execute(f'DELETE FROM "{name}"')
                columns = ", ".join(f'"{c}"' for c in table.column_names)
                marks = ", ".join("?" * table.num_columns)
                self.raw.executemany(
                    f'INSERT INTO "{name}" ({columns}) VALUES ({marks})',
                    [tuple(map(_to_sqlite, row.values())) for row in table.to_pylist()],
                )
            fetched = self.raw.execute(self.sql).fetchall()
        rows = [
            {
                n: None if v is None else convert(v)
                for n, v, convert in zip(self.names, row, self.convert, strict=True)
            }
            for row in fetched
        ]
        return pa.Table.from_pylist(rows, schema=self.arrow)


class TablesEvaluator:
    """An expression over named Arrow tables, compiled once per schema, run in memory.

    Parameters
    ----------
    build
        Builds the expression from Ibis tables named like the Arrow tables :meth:`run` takes
        (e.g. ``lambda facts, patients: compute_feature_table(facts, patients, ...)``).
    engine
        ``duckdb`` (default: many rows, the spreadsheet calculator) or ``sqlite`` (a few rows,
        such as one patient's facts: planning costs microseconds instead of DuckDB's hundreds
        of milliseconds). Either runs the SQL Ibis compiles from the same expression.
    """

    def __init__(self, build: Callable[..., ir.Table], *, engine: str = "duckdb") -> None:
        if engine not in ("duckdb", "sqlite"):
            raise ValueError(f"engine is duckdb or sqlite, not {engine!r}")
        self.build = build
        self.engine = engine
        self._sql: dict[tuple[tuple[str, str], ...], str] = {}
        self._sqlite: dict[tuple[tuple[str, str], ...], _SqliteStatement] = {}
        self._lock = threading.Lock()  # compiling takes seconds: once, however many callers

    def _compiled(self, schemas: Mapping[str, pa.Schema]) -> str:
        key = tuple(sorted((name, str(schema)) for name, schema in schemas.items()))
        with self._lock:
            if key not in self._sql:
                con = ibis.duckdb.connect()
                try:
                    for name, schema in schemas.items():
                        con.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
                    tables = {name: con.table(name) for name in schemas}
                    self._sql[key] = str(con.compile(self.build(**tables)))
                finally:
                    con.disconnect()
            return self._sql[key]

    def _statement(self, schemas: Mapping[str, pa.Schema]) -> _SqliteStatement:
        key = tuple(sorted((name, str(schema)) for name, schema in schemas.items()))
        with self._lock:
            if key not in self._sqlite:
                self._sqlite[key] = _SqliteStatement(self.build, schemas)
            return self._sqlite[key]

    def run(self, **tables: pa.Table) -> pa.Table:
        """Return the expression's result on ``tables`` (Arrow tables, by the names ``build`` takes)."""
        schemas = {name: table.schema for name, table in tables.items()}
        if self.engine == "sqlite":
            return self._statement(schemas).run(tables)
        sql = self._compiled(schemas)
        con = duckdb.connect()
        try:
            for name, table in tables.items():
                con.register(name, table)
            relation = con.sql(sql)
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            result: pa.Table = fetch()
            return result
        finally:
            con.close()


class RowEvaluator:
    """An expression over a feature table, ready to run on rows in memory.

    Parameters
    ----------
    build
        Builds the expression from the input table (e.g. ``lambda t: classify_table(t, ...)``).
    engine
        ``duckdb`` (default) or ``sqlite`` for a few rows (see :class:`TablesEvaluator`).
    """

    def __init__(self, build: Callable[[ir.Table], ir.Table], *, engine: str = "duckdb") -> None:
        self.build = build
        self._tables = TablesEvaluator(lambda **t: build(t[_TABLE]), engine=engine)

    def run_table(self, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
        """Return the expression's result for ``rows`` (see :func:`rows_table`) in input order."""
        table = rows_table(rows)
        result = self._tables.run(**{_TABLE: table})
        order = {pid: i for i, pid in enumerate(table["patient_id"].to_pylist())}
        if "patient_id" not in result.column_names:
            return result
        ids = result["patient_id"].to_pylist()
        return result.take(sorted(range(len(ids)), key=lambda i: order.get(ids[i], 0)))

    def run(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Return the expression's rows for ``rows`` (see :func:`rows_table`), in input order."""
        rows_out: list[dict[str, Any]] = self.run_table(rows).to_pylist()
        return rows_out
