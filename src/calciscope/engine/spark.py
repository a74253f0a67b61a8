"""Spark through Ibis' PySpark backend: the table store and the backend calciscope queries.

Sessions and their URLs are in :mod:`calciscope.engine.spark_session`, the read back of a
result as Arrow in :mod:`calciscope.engine.spark_arrow` (their public names are re-exported
here), the swap of a table's partitions in :mod:`calciscope.engine.spark_swap`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
from pathlib import Path
from typing import Any

from calciscope.engine.spark_arrow import (
    READ_PIECE_BYTES,
    arrow_batches,
    read_arrow,
    read_in_pieces,
)
from calciscope.engine.spark_labels import QueryLabels
from calciscope.engine.spark_session import (
    DEFAULT_JAVA_OPTIONS,
    DEFAULT_WAREHOUSE,
    HIDDEN_COLUMNS,
    JVM_MALLOC_ARENAS,
    LOCAL_DEFAULTS,
    SparkLocation,
    is_spark_url,
    jvm_environment,
    local_options,
    normalise_spark_url,
    parse_spark_url,
    spark_session,
)
from calciscope.engine.spark_swap import WHOLE_TABLE, Swap, finish_swaps, locked
from calciscope.errors import require_extra

__all__ = [
    "DEFAULT_JAVA_OPTIONS",
    "DEFAULT_WAREHOUSE",
    "HIDDEN_COLUMNS",
    "JVM_MALLOC_ARENAS",
    "LOCAL_DEFAULTS",
    "READ_PIECE_BYTES",
    "SparkLocation",
    "TableStore",
    "arrow_batches",
    "connect_spark",
    "is_spark_url",
    "jvm_environment",
    "local_options",
    "normalise_spark_url",
    "parse_spark_url",
    "read_arrow",
    "read_in_pieces",
    "release_jvm_memory",
    "spark_session",
]

log = logging.getLogger("calciscope")


class TableStore:
    """The tables behind a Spark URL: read, append and replace whole tables.

    Local: Parquet folders ``<warehouse>/<name>/`` (a replace writes a new folder and swaps it
    in; a replace of partitions swaps in their folders, :meth:`replace_partitions`). Spark
    Connect: catalog tables (``saveAsTable``) in the URL's database.
    """

    def __init__(self, url: str) -> None:
        self.location = parse_spark_url(url)
        self.session = spark_session(url)

    # --- names -------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        assert self.location.warehouse is not None
        return self.location.warehouse / name

    def _qualified(self, name: str) -> str:
        db = self.location.database
        return f"`{db}`.`{name}`" if db else f"`{name}`"

    def names(self) -> list[str]:
        """Return the tables the store holds."""
        if self.location.warehouse is None:
            db = self.location.database
            rows = self.session.sql(f"SHOW TABLES IN `{db}`" if db else "SHOW TABLES").collect()
            return sorted(r.tableName for r in rows if not r.isTemporary)
        found = []
        for path in sorted(self.location.warehouse.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if path.is_dir() and any(path.rglob("*.parquet")):
                found.append(path.name)
            elif path.suffix == ".parquet" and path.is_file():
                found.append(path.stem)
        return found

    def exists(self, name: str) -> bool:
        """Return True when the store holds the table."""
        if self.location.warehouse is None:
            return bool(self.session.catalog.tableExists(self._qualified(name).replace("`", "")))
        return name in self.names()

    # --- reading -----------------------------------------------------------------------
    def read(self, name: str) -> Any:
        """Return the table as a Spark DataFrame."""
        if self.location.warehouse is None:
            return self.session.table(self._qualified(name))
        path = self._path(name)
        if not path.is_dir():
            path = path.with_suffix(".parquet")
        return self.session.read.parquet(str(path))

    def register_views(self) -> list[str]:
        """Register every local table as a temporary view of its name (Spark Connect: none).

        A partition swap a writer left unfinished is finished first (:meth:`finish_swaps`);
        when that fails (a warehouse this user may not write), a warning, and the tables are
        read as they are.
        """
        if self.location.warehouse is None:
            if self.location.database:
                self.session.sql(f"USE `{self.location.database}`")
            return []
        try:
            self.finish_swaps()
        except OSError as error:
            log.warning(
                "%s: an unfinished change of a table was left unfinished (%s); "
                "a table may mix old and new partitions",
                self.location.warehouse,
                error,
            )
        names = self.names()
        for name in names:
            self._view(name)
        return names

    def _view(self, name: str) -> None:
        frame = self.read(name)
        hidden = [c for c in HIDDEN_COLUMNS if c in frame.columns]
        (frame.drop(*hidden) if hidden else frame).createOrReplaceTempView(name)

    # --- writing -----------------------------------------------------------------------
    def append(self, name: str, frame: Any, partition_by: tuple[str, ...] = ()) -> None:
        """Append rows (creating the table)."""
        writer = frame.write.mode("append")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        if self.location.warehouse is None:
            writer.saveAsTable(self._qualified(name))
        else:
            writer.parquet(str(self._path(name)))
        self._refresh(name)

    def replace(self, name: str, frame: Any, partition_by: tuple[str, ...] = ()) -> None:
        """Replace the table's rows with ``frame`` (which may read the table itself).

        Local: written into a new folder, then swapped in with a journal, as one partition
        (the whole table, :mod:`calciscope.engine.spark_swap`): a writer that dies between the
        two renames leaves the journal, and the next opening finishes the swap.
        """
        if self.location.warehouse is None:
            frame = frame.localCheckpoint()
            writer = frame.write.mode("overwrite")
            if partition_by:
                writer = writer.partitionBy(*partition_by)
            writer.saveAsTable(self._qualified(name))
            return
        swap = Swap.new(name)
        writer = frame.write.mode("error")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(str(self.location.warehouse / swap.fresh))
        swap.parts = {WHOLE_TABLE: "replace"}
        self._swap(name, swap)

    def _swap(self, name: str, swap: Swap) -> None:
        """Journal and apply ``swap`` holding the warehouse's swap lock; refresh ``name``."""
        warehouse = self.location.warehouse
        assert warehouse is not None
        with locked(warehouse, wait=True):
            swap.write_journal(warehouse)
            try:
                swap.apply(warehouse)
            except BaseException:  # the session must not list moved files: read them again
                with contextlib.suppress(Exception):  # (a table between renames is missing)
                    self._refresh(name)
                raise
        self._refresh(name)

    def replace_partitions(self, name: str, frame: Any, column: str, values: list[Any]) -> int:
        """Replace the partitions ``column=value`` of ``values`` with ``frame``'s rows of them.

        ``frame`` (which may read the table itself) holds every row those partitions are to
        hold, and may hold rows of other partitions, which are added to them. A local warehouse
        only; the partitions are written aside, then swapped in one at a time with a journal
        (:mod:`calciscope.engine.spark_swap`). Return the number of partitions replaced.
        """
        warehouse = self.location.warehouse
        assert warehouse is not None
        swap = Swap.new(name)
        frame.write.mode("error").partitionBy(column).parquet(str(warehouse / swap.fresh))
        written = warehouse / swap.fresh
        replaced = {f"{column}={value}" for value in values}
        # a partition the change empties has no new folder: "drop" (a "replace" without one
        # means swapped in already, so finishing a journal twice moves nothing stored)
        swap.parts = {p: "replace" if (written / p).is_dir() else "drop" for p in replaced}
        for part in written.iterdir():
            if part.is_dir() and part.name not in replaced:
                swap.parts[part.name] = "add"
        self._swap(name, swap)
        return len(replaced)

    def finish_swaps(self, *, wait: bool = False) -> list[str]:
        """Finish the partition swaps a writer left unfinished (:func:`spark_swap.finish_swaps`)."""
        if self.location.warehouse is None or not self.location.warehouse.is_dir():
            return []
        return finish_swaps(self.location.warehouse, wait=wait)

    def drop(self, name: str) -> None:
        """Remove a table (no error when it is not there)."""
        if self.location.warehouse is None:
            self.session.sql(f"DROP TABLE IF EXISTS {self._qualified(name)}")
        else:
            shutil.rmtree(self._path(name), ignore_errors=True)
            self.session.catalog.dropTempView(name)

    def _refresh(self, name: str) -> None:
        if self.location.warehouse is not None and not name.startswith("_"):
            self._view(name)


def release_jvm_memory(session: Any) -> None:
    """Ask a local session's JVM for a full collection (nothing over Spark Connect).

    With :data:`DEFAULT_JAVA_OPTIONS` the collection gives the heap's free part back to the
    system.
    """
    from pyspark.sql.utils import is_remote

    if not is_remote():
        session._jvm.System.gc()


class _GivesMemoryBack:
    """The Spark backend's cached tables: after the last is dropped, the JVM gives memory back.

    Spark local runs the queries in the driver's JVM; its heap stays as large as the study's
    queries made it until a full collection, which with :data:`DEFAULT_JAVA_OPTIONS` gives the
    free part back to the system, before the analysis and the report run in Python.
    """

    _cached_dataframes: dict[str, Any]
    _session: Any

    def _drop_cached_table(self, name: str) -> None:
        super()._drop_cached_table(name)  # type: ignore[misc]
        if not self._cached_dataframes:
            release_jvm_memory(self._session)

    def release_memory(self) -> None:
        """Give the JVM's free heap back now (before a large read back: the study's rows)."""
        release_jvm_memory(self._session)


class _CalciscopeQueries:
    """What calciscope's Spark backend changes in Ibis' (a mixin before Ibis' ``Backend``).

    Queries are labelled with the step that asked for them (:class:`QueryLabels`), Arrow is
    fetched directly, temporary tables are cached views, and ``disconnect`` leaves the
    process's session running.
    """

    _session: Any

    def disconnect(self) -> None:
        """Keep the process's session (stopped at exit)."""

    @functools.cached_property
    def _labels(self) -> QueryLabels:
        """Return the labels of the queries of this backend, numbered from 1."""
        return QueryLabels()

    def create_table(self, name: str, /, obj: Any = None, **kwargs: Any) -> Any:
        """Create a table; ``temp=True`` gives a cached temporary view."""
        import ibis

        base: Any = super()
        if not kwargs.pop("temp", False) or obj is None:
            return base.create_table(name, obj, **kwargs)
        this: Any = self
        table = obj if hasattr(obj, "op") else ibis.memtable(obj)
        this._run_pre_execute_hooks(table)
        sql = this.compile(table)
        with self._labels.query(self._session, f"create_table {name}", sql):
            frame = self._session.sql(sql).localCheckpoint()
        frame.createOrReplaceTempView(name)
        return this.table(name)

    def to_pyarrow(self, expr: Any, /, **kwargs: Any) -> Any:
        """Run the query and fetch Arrow directly (Ibis goes through pandas)."""
        from ibis.formats.pyarrow import PyArrowData

        this: Any = self
        table = expr.as_table()
        this._run_pre_execute_hooks(table)
        sql = this.compile(table, params=kwargs.get("params"), limit=kwargs.get("limit"))
        with self._labels.query(self._session, "to_pyarrow", sql):
            frame = self._session.sql(sql)
            if not hasattr(frame, "toArrow"):  # pyspark < 4
                base: Any = super()
                return base.to_pyarrow(expr, **kwargs)
            arrow = read_arrow(frame)
        result = PyArrowData.convert_table(arrow, table.schema())
        return expr.__pyarrow_result__(result)

    def execute(self, expr: Any, /, **kwargs: Any) -> Any:
        """Run the query (a pandas result), labelled with the step that asked for it.

        Ibis' own ``execute``, its query run under ``spark_labels.QueryLabels.query``.
        """
        from ibis.backends.pyspark.converter import PySparkPandasData

        this: Any = self
        this._run_pre_execute_hooks(expr)
        table = expr.as_table()
        sql = this.compile(table, **kwargs)
        with self._labels.query(self._session, "execute", sql):
            frame = self._session.sql(sql).toPandas()
        result = PySparkPandasData.convert_table(frame, table.schema())
        return expr.__pandas_result__(result)

    def drop_table(self, name: str, /, **kwargs: Any) -> None:
        """Drop a table or a temporary view."""
        if self._session.catalog.dropTempView(name):
            return
        base: Any = super()
        base.drop_table(name, **kwargs)


def _backend_class() -> type:
    require_extra("spark", "pyspark")
    import ibis

    _ = ibis.pyspark  # loading the backend through ibis registers its options
    from ibis.backends.pyspark import Backend

    base: Any = Backend

    class CalciscopeSpark(_CalciscopeQueries, _GivesMemoryBack, base):
        """Ibis' PySpark backend on a shared session: ``disconnect`` leaves it running."""

    return CalciscopeSpark


_BACKEND: type | None = None


def connect_spark(url: str) -> Any:
    """Return an Ibis backend on the Spark session of ``url``, its tables registered."""
    global _BACKEND
    require_extra("spark", "pyspark")
    if _BACKEND is None:
        _BACKEND = _backend_class()
    store = TableStore(url)
    store.register_views()
    return _BACKEND().connect(store.session)
