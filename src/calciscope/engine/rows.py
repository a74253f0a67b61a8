"""Run a compiled expression over rows held in memory (a spreadsheet, a test's patients) on DuckDB.

The rows become an Arrow table typed by the feature catalogue, and the expression the registry
uses runs on it in an in-memory DuckDB database: the spreadsheet calculator and the golden tests
go through the very path ``classify`` takes. Compiling an expression to SQL costs far more than
running it on a few rows, so each :class:`RowEvaluator` compiles once per column layout, and
one given a ``cache_key`` keeps the SQL in :func:`cache_dir` for the processes after it.
:class:`TablesEvaluator` does the same for an expression over several tables (one patient's
facts and patient row, turned into that patient's feature row).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot

from calciscope.criteria import clean_value
from calciscope.engine.predicates import IBIS_TYPES
from calciscope.features import load_catalogue

__all__ = ["RowEvaluator", "TablesEvaluator", "cache_dir", "rows_table"]

_TABLE = "calciscope_rows"
#: calciscope's package folder, whose definitions and compiler code key the SQL cache.
_PACKAGE = Path(__file__).resolve().parent.parent
#: Days a compiled statement is kept in the cache folder after its last use.
_KEEP_DAYS = 30


@cache
def _feature_types() -> dict[str, pa.DataType]:
    """Return the Arrow type of every catalogue feature, ``patient_id`` first (a string)."""
    features = load_catalogue().features.items()
    return {"patient_id": pa.string()} | {
        name: ibis.dtype(IBIS_TYPES[f.type]).to_pyarrow() for name, f in features
    }


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
    types = _feature_types()
    filled = [{"patient_id": str(i)} | dict(row) for i, row in enumerate(rows)]
    columns = {}
    for name in [*types, *sorted({k for row in rows for k in row} - set(types))]:
        values = [row.get(name) for row in filled]
        # a column the catalogue does not know keeps the type Arrow infers (a string if none)
        dtype = types.get(name) or pa.array(values).type
        dtype = pa.string() if pa.types.is_null(dtype) else dtype
        columns[name] = pa.array([_cell(v, dtype) for v in values], type=dtype)
    return pa.table(columns)


def _to_sqlite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_sqlite(dtype: pa.DataType) -> Callable[[Any], Any]:
    """Return a converter of SQLite's values to Python values of an Arrow type."""
    if pa.types.is_date(dtype):
        return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    if pa.types.is_timestamp(dtype):
        return lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
    kinds = ((pa.types.is_boolean, bool), (pa.types.is_floating, float), (pa.types.is_integer, int))
    return next((convert for is_kind, convert in kinds if is_kind(dtype)), lambda v: v)


def cache_dir() -> Path:
    """Return calciscope's cache folder: ``$CALCISCOPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/calciscope``.

    ``~/.cache/calciscope`` when neither is set (the XDG default). It holds compiled SQL only,
    never patient data.
    """
    own = os.environ.get("CALCISCOPE_CACHE_DIR")
    if own:
        return Path(own)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "calciscope"


@cache
def _compiler_version() -> str:
    """Return a hash of what compiled SQL depends on besides its inputs' schemas.

    The definitions (criteria sets, phenotypes, the feature catalogue with its version) and the
    code that compiles them (calciscope's engine, criteria, phenotype, features and model
    packages, read as files: an edited checkout misses the cache), and Ibis' and sqlglot's
    versions.
    """
    digest = hashlib.sha256(f"ibis {ibis.__version__} sqlglot {sqlglot.__version__}".encode())
    for part in ("engine", "criteria", "phenotype", "features", "model"):
        for path in sorted((_PACKAGE / part).rglob("*")):
            if path.suffix in (".py", ".yaml"):
                digest.update(f"{path.relative_to(_PACKAGE)}\n".encode() + path.read_bytes())
    return digest.hexdigest()


class _Compiled(NamedTuple):
    """An expression compiled to SQL, with the Arrow schema of its result."""

    sql: str
    schema: pa.Schema

    @classmethod
    def load(cls, path: Path) -> _Compiled | None:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(kept["schema"])))
        except (OSError, ValueError, KeyError, pa.ArrowException):
            return None  # absent, unreadable or from another layout: compiled again
        with contextlib.suppress(OSError):
            os.utime(path)  # used: kept for another month
        return cls(kept["sql"], schema)

    def save(self, path: Path) -> None:
        schema = base64.b64encode(self.schema.serialize().to_pybytes()).decode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            part.write_text(json.dumps({"sql": self.sql, "schema": schema}), encoding="utf-8")
            part.replace(path)  # whole or not at all, whichever process writes last
            # SQL of an index date, a calciscope or a definitions version not used for a month
            stale = time.time() - _KEEP_DAYS * 86400
            for old in path.parent.glob("*.json"):
                if old.stat().st_mtime < stale:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written costs the next process a compile, nothing else


class _SqliteStatement:
    """A compiled statement over a private in-memory SQLite database holding the input tables.

    SQLite plans a statement in microseconds and keeps it prepared, where DuckDB spends a few
    hundred milliseconds planning a feature or classification query, whatever the rows: for one
    patient's rows SQLite answers in about a millisecond.
    """

    def __init__(self, compiler: Callable[[Any], _Compiled]) -> None:
        self.raw = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()
        self.sql, self.arrow = compiler(ibis.sqlite.from_connection(self.raw))
        self.convert = [_from_sqlite(f.type) for f in self.arrow]

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
                for n, v, convert in zip(self.arrow.names, row, self.convert, strict=True)
            }
            for row in fetched
        ]
        return pa.Table.from_pylist(rows, schema=self.arrow)


class _DuckdbStatement:
    """A compiled statement run in a fresh in-memory DuckDB database (many rows: a spreadsheet)."""

    def __init__(self, compiler: Callable[[Any], _Compiled]) -> None:
        con = ibis.duckdb.connect()
        try:
            self.sql = compiler(con).sql
        finally:
            con.disconnect()

    def run(self, tables: Mapping[str, pa.Table]) -> pa.Table:
        with duckdb.connect() as con:
            for name, table in tables.items():
                con.register(name, table)
            relation = con.sql(self.sql)
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            result: pa.Table = fetch()
            return result


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
    cache_key
        What ``build`` builds, with every option it depends on (e.g. ``"features 2024-01-31"``).
        Given, the compiled SQL is also kept in :func:`cache_dir`, under a hash of this key, the
        engine, the input schemas and :func:`_compiler_version`, so that the first run of a
        later process skips compiling (seconds for the feature table or the explanation).
    """

    def __init__(
        self,
        build: Callable[..., ir.Table],
        *,
        engine: str = "duckdb",
        cache_key: str | None = None,
    ) -> None:
        if engine not in ("duckdb", "sqlite"):
            raise ValueError(f"engine is duckdb or sqlite, not {engine!r}")
        self.build = build
        self.engine = engine
        self.cache_key = cache_key
        # per input layout, the compiled statement
        self._prepared: dict[tuple[str, ...], _SqliteStatement | _DuckdbStatement] = {}
        self._lock = threading.Lock()  # compiling takes seconds: once, however many callers

    def _compile(self, con: Any, schemas: Mapping[str, pa.Schema]) -> _Compiled:
        """Create the input tables in ``con``; return the SQL from the cache or compiled there."""
        for name, schema in schemas.items():
            con.create_table(name, schema=ibis.Schema.from_pyarrow(schema))
        path: Path | None = None
        if self.cache_key is not None:  # the key names everything the SQL depends on
            key = [self.cache_key, self.engine, _compiler_version()]
            key += [f"{name}: {schema}" for name, schema in sorted(schemas.items())]
            digest = hashlib.sha256("\n".join(key).encode()).hexdigest()
            path = cache_dir() / "sql" / f"{digest}.json"
            kept = _Compiled.load(path)
            if kept is not None:
                return kept
        expr = self.build(**{name: con.table(name) for name in schemas})
        compiled = _Compiled(str(con.compile(expr)), expr.schema().to_pyarrow())
        if path is not None:
            compiled.save(path)
        return compiled

    def run(self, **tables: pa.Table) -> pa.Table:
        """Return the expression's result on ``tables`` (Arrow tables, by the names ``build`` takes)."""
        schemas = {name: table.schema for name, table in tables.items()}
        key = tuple(sorted(f"{name}: {schema}" for name, schema in schemas.items()))
        with self._lock:
            if key not in self._prepared:
                kind = _SqliteStatement if self.engine == "sqlite" else _DuckdbStatement
                self._prepared[key] = kind(lambda con: self._compile(con, schemas))
            statement = self._prepared[key]
        return statement.run(tables)


class RowEvaluator:
    """An expression over a feature table, ready to run on rows in memory.

    Parameters
    ----------
    build
        Builds the expression from the input table (e.g. ``lambda t: classify_table(t, ...)``).
    engine
        ``duckdb`` (default) or ``sqlite`` for a few rows (see :class:`TablesEvaluator`).
    cache_key
        Keeps the compiled SQL in the cache folder (see :class:`TablesEvaluator`).
    """

    def __init__(
        self,
        build: Callable[[ir.Table], ir.Table],
        *,
        engine: str = "duckdb",
        cache_key: str | None = None,
    ) -> None:
        self._tables = TablesEvaluator(
            lambda **t: build(t[_TABLE]), engine=engine, cache_key=cache_key
        )

    def run_table(self, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
        """Return the expression's result for ``rows`` (see :func:`rows_table`) in input order."""
        table = rows_table(rows)
        result = self._tables.run(**{_TABLE: table})
        if "patient_id" not in result.column_names:
            return result
        order = {pid: i for i, pid in enumerate(table["patient_id"].to_pylist())}
        ids = result["patient_id"].to_pylist()
        return result.take(sorted(range(len(ids)), key=lambda i: order.get(ids[i], 0)))

    def run(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Return the expression's rows for ``rows`` (see :func:`rows_table`), in input order."""
        rows_out: list[dict[str, Any]] = self.run_table(rows).to_pylist()
        return rows_out
