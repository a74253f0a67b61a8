"""Reading a Spark result back into Python as Arrow: a large one a partition at a time.

Used by the Spark backend of :mod:`calciscope.engine.spark` (docs/scale.md, "the read back in
pieces" and "a partition at a time").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = [
    "READ_PIECE_BYTES",
    "arrow_batches",
    "read_arrow",
    "read_in_pieces",
]

#: About how many bytes (Spark's estimate of the result's size) one task of a read back sends.
READ_PIECE_BYTES = 8 * 2**20

#: The most tasks a read back is split into.
_MOST_PIECES = 64


def read_in_pieces(frame: Any, piece_bytes: int | None = None) -> Any:
    """Return ``frame`` spread over enough partitions that each task's rows are a small piece.

    Spark's Arrow collect (``toArrow``) has each task turn its whole partition into Arrow
    batches held in the JVM's heap (as a task result, serialised, then sent to Python). A
    study's source population is read from a cached table with the few partitions the queries
    before it left (Spark's adaptive execution coalesces them): at a million patients two
    tasks of some 380,000 rows each, more than a 1 GB heap held (``SparkOutOfMemoryError``,
    docs/scale.md). Spread by a hash of the row over ``size / piece_bytes`` partitions (Spark's
    size estimate of the plan; ``piece_bytes`` is :data:`READ_PIECE_BYTES` by default; at most
    64 partitions; a small result is left as it is), each task sends a piece. The rows are the
    same, their order is not: a result Spark orders (a sort at the top of its plan) is left as
    it is. Only on a local session (a DataFrame with a JVM side); over Spark Connect the server
    streams the batches.
    """
    jdf = getattr(frame, "_jdf", None)
    if jdf is None or not frame.columns:
        return frame
    plan = jdf.queryExecution().optimizedPlan()
    if _ordered(plan):
        return frame
    size = int(str(plan.stats().sizeInBytes()))  # a Scala BigInt (py4j may give an int)
    pieces = min(_MOST_PIECES, -(-size // (piece_bytes or READ_PIECE_BYTES)))
    if pieces <= 1:
        return frame
    # Spark hashes any column but a map (or one holding a map)
    keys = [frame[f.name] for f in frame.schema.fields if "map<" not in f.dataType.simpleString()]
    return frame.repartition(pieces, *keys)


def read_arrow(frame: Any) -> Any:
    """Return a Spark DataFrame's rows as an Arrow table: a large result a piece at a time.

    A result :func:`read_in_pieces` spreads (a local session's, larger than
    :data:`READ_PIECE_BYTES`) is read one partition at a time (:func:`arrow_batches`), so the
    JVM holds one piece of it (about 8 MB of rows) at any moment, where ``toArrow`` runs one
    job over every partition and keeps, in the JVM's heap, each piece that arrives before
    the ones ahead of it. A small, ordered or Spark Connect result is read by ``toArrow``.
    The rows are the same either way.
    """
    spread = read_in_pieces(frame)
    if spread is frame:
        return frame.toArrow()
    import pyarrow as pa

    try:  # PySpark internals (4.0): a release without them reads by toArrow (review 24)
        from pyspark.util import _local_iterator_from_socket  # noqa: F401

        schema = _arrow_schema(frame)
    except (ImportError, AttributeError):
        return spread.toArrow()
    return pa.Table.from_batches(list(arrow_batches(spread, schema)), schema=schema)


def _arrow_schema(frame: Any) -> Any:
    """Return the Arrow schema Spark writes a DataFrame's rows in (as ``toArrow`` reads them)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    large = frame.sparkSession._jconf.arrowUseLargeVarTypes()
    return to_arrow_schema(
        frame.schema, error_on_duplicated_field_names_in_struct=True, prefers_large_types=large
    )


def arrow_batches(frame: Any, schema: Any = None) -> Iterator[Any]:
    """Yield a local session's DataFrame as Arrow record batches, one partition after another.

    Spark's ``toArrowBatchRdd`` (each partition's rows as Arrow record batches, serialised)
    served by ``PythonRDD.toLocalIteratorAndServe``, as ``toLocalIterator`` serves rows: a job
    per partition, the next asked for once this process has read the one before, so the JVM
    holds one partition's batches at a time, and no Python object per row is ever made.
    ``schema`` is the batches' Arrow schema (:func:`_arrow_schema` by default).
    """
    import pyarrow as pa
    from pyspark.serializers import NoOpSerializer
    from pyspark.util import _local_iterator_from_socket

    schema = _arrow_schema(frame) if schema is None else schema
    served = frame.sparkSession._jvm.org.apache.spark.api.python.PythonRDD
    stream = served.toLocalIteratorAndServe(frame._jdf.toArrowBatchRdd(), False)
    for raw in _local_iterator_from_socket(stream, NoOpSerializer()):
        yield pa.ipc.read_record_batch(pa.py_buffer(raw), schema)


#: Logical plan nodes that keep their child's order (a sort under them orders the result).
_KEEP_ORDER = frozenset(
    {"Project", "Filter", "GlobalLimit", "LocalLimit", "Offset", "SubqueryAlias", "Sample"}
)


def _ordered(plan: Any) -> bool:
    """Return whether a (JVM) logical plan's result is ordered: a sort at its top."""
    node = plan
    while node.nodeName() in _KEEP_ORDER and node.children().size() == 1:
        node = node.children().apply(0)
    return bool(node.nodeName() == "Sort")
