"""Run a compiled expression over rows held in memory (a spreadsheet, a test's patients) on DuckDB.

The rows become an Arrow table typed by the feature catalogue, and the expression the registry
uses runs on it in an in-memory DuckDB database: the spreadsheet calculator and the golden tests
go through the very path ``classify`` takes. Compiling an expression to SQL costs far more than
running it on a few rows, so each :class:`RowEvaluator` compiles once per column layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from calciscope.criteria import clean_value
from calciscope.engine.predicates import IBIS_TYPES
from calciscope.features import load_catalogue

__all__ = ["RowEvaluator", "rows_table"]

_TABLE = "calciscope_rows"


def _arrow_type(name: str, values: list[Any]) -> pa.DataType:
    feature = load_catalogue().features.get(name)
    if feature is not None:
        return ibis.dtype(IBIS_TYPES[feature.type]).to_pyarrow()
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


class RowEvaluator:
    """An expression over a feature table, ready to run on rows in memory.

    Parameters
    ----------
    build
        Builds the expression from the input table (e.g. ``lambda t: classify_table(t, ...)``).
    """

    def __init__(self, build: Callable[[ir.Table], ir.Table]) -> None:
        self.build = build
        self._sql: dict[str, str] = {}

    def _compiled(self, schema: pa.Schema) -> str:
        key = str(schema)
        if key not in self._sql:
            con = ibis.duckdb.connect()
            try:
                con.create_table(_TABLE, schema=ibis.Schema.from_pyarrow(schema))
                self._sql[key] = str(con.compile(self.build(con.table(_TABLE))))
            finally:
                con.disconnect()
        return self._sql[key]

    def run(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Return the expression's rows for ``rows`` (see :func:`rows_table`), in input order."""
        table = rows_table(rows)
        sql = self._compiled(table.schema)
        con = duckdb.connect()
        try:
            con.register(_TABLE, table)
            result = con.sql(sql).to_arrow_table()
        finally:
            con.close()
        order = {pid: i for i, pid in enumerate(table["patient_id"].to_pylist())}
        return sorted(result.to_pylist(), key=lambda r: order.get(r.get("patient_id"), 0))
