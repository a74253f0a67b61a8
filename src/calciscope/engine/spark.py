"""Spark through Ibis' PySpark backend: sessions, URLs and the table store.

Two URL forms (``--db``, an OMOP CDM, ``$CALCISCOPE_DB``):

``spark://local?warehouse=PATH``
    A SparkSession (``local[*]``; ``&master=local[2]`` to choose; under spark-submit, the
    session spark-submit configured) over a warehouse folder:
    every table is a Parquet folder ``PATH/<table>/``, registered as a view when the session
    connects. Without ``warehouse=`` the folder is ``./calciscope-warehouse``.
    :func:`~calciscope.storage.database_url.normalise_url` makes the path absolute.
``sc://HOST:PORT[/;token=...;use_ssl=true][;database=NAME]``
    Spark Connect to a cluster (a Spark Connect server, Databricks). Tables are the cluster's
    catalog tables in ``database`` (the session's current database by default); calciscope
    writes them with ``saveAsTable`` (Parquet, or the cluster's default format).

One session per URL per process: calling ``disconnect()`` on a backend from :func:`connect`
does not stop it (calciscope opens and closes a backend per verb; a JVM start costs seconds).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from calciscope.engine.spark_labels import QueryLabels
from calciscope.errors import RegistryError, require_extra

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
    "parse_spark_url",
    "read_arrow",
    "read_in_pieces",
    "release_jvm_memory",
    "spark_session",
]

#: The warehouse folder of ``spark://local`` without ``warehouse=`` (relative to the cwd).
DEFAULT_WAREHOUSE = "calciscope-warehouse"

#: Partition helper columns left out of the views Ibis reads (see calciscope.storage.spark).
HIDDEN_COLUMNS = ("patient_bucket",)

_LOCK = threading.Lock()
_SESSIONS: dict[str, Any] = {}


def is_spark_url(url: str | Path) -> bool:
    """Return True for ``spark://`` and ``sc://`` URLs."""
    return str(url).startswith(("spark://", "sc://"))


@dataclass(frozen=True)
class SparkLocation:
    """Where a Spark URL points: a local warehouse folder or a Spark Connect endpoint."""

    #: the master of a local session (``local[2]``); None: ``local[*]``, or spark-submit's
    master: str | None
    #: the warehouse folder (local) whose sub-folders are the tables
    warehouse: Path | None
    #: the ``sc://`` URL handed to Spark Connect (calciscope's own parameters removed)
    remote: str | None
    #: the catalog database of the tables (Spark Connect), or None for the current one
    database: str | None

    @property
    def key(self) -> str:
        """The session cache key."""
        return self.remote or f"{self.master}|{self.warehouse}"


def parse_spark_url(url: str) -> SparkLocation:
    """Return the location of a ``spark://local?...`` or ``sc://...`` URL.

    Raises
    ------
    RegistryError
        For a ``spark://`` host other than ``local`` or an unknown parameter.
    """
    if url.startswith("sc://"):
        head, *params = url.split(";")
        kept, database = [], None
        for param in params:
            name, _, value = param.partition("=")
            if name == "database":
                database = value or None
            elif param:
                kept.append(param)
        return SparkLocation(None, None, ";".join([head, *kept]), database)
    parts = urlsplit(url)
    if parts.netloc != "local":
        raise RegistryError(
            f"unsupported Spark URL {url!r}: use spark://local?warehouse=PATH for a local "
            "session or sc://HOST:PORT for Spark Connect"
        )
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - {"warehouse", "master"})
    if unknown:
        raise RegistryError(
            f"unknown parameter {unknown[0]!r} in {url!r}: spark://local takes warehouse= and master="
        )
    warehouse = Path(options.get("warehouse") or DEFAULT_WAREHOUSE).expanduser().absolute()
    return SparkLocation(options.get("master"), warehouse, None, None)


def normalise_spark_url(url: str) -> str:
    """Return a ``spark://local`` URL with its warehouse as an absolute path (sc:// unchanged)."""
    if not url.startswith("spark://"):
        return url
    location = parse_spark_url(url)
    text = f"spark://local?warehouse={location.warehouse}"
    if location.master is not None:
        text += f"&master={location.master}"
    return text


#: PySpark's errors when a process mixes a local session and Spark Connect (either order).
_MIXED = ("SESSION_ALREADY_EXIST", "CONNECT_URL_NOT_SET", "SESSION_OR_CONTEXT_EXISTS")


_MIXED_MESSAGE = (
    "one process holds either local Spark sessions (spark://local) or Spark Connect ones "
    "(sc://), not both (a PySpark rule): open the other in a separate process"
)


#: JVM flags of a local session's JVM (Spark local runs the executors in it), for its resident
#: memory (docs/scale.md, "Spark local's memory"): the serial collector (no G1 remembered sets
#: and marking bitmaps, about 80 MB at a 1 GB heap; one collector thread suits a laptop's few
#: cores), and a heap that gives back what it does not need after a full collection (which
#: :meth:`CalciscopeSpark.release_memory` asks for once the study's tables are dropped), and
#: the C heap the JVM's own allocations freed (the JIT compiler's arenas, Parquet's and Netty's
#: buffers) given back every 5 s (``TrimNativeHeapInterval``: glibc's ``malloc_trim``; Java
#: 17.0.9 and later, ignored by a JVM that does not know it: ``IgnoreUnrecognizedVMOptions``).
#: The JVM's own areas are capped at what the 1 M-patient study used with room (code cache,
#: direct buffers, metaspace; the JIT's two compiler threads suit 2 cores), so that the JVM's
#: resident memory stays near its heap (docs/scale.md, "Spark local's defaults").
DEFAULT_JAVA_OPTIONS = (
    "-XX:+UseSerialGC -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40 -XX:-ShrinkHeapInSteps"
    " -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=5000"
    " -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=256m -XX:MaxMetaspaceSize=256m"
    " -XX:CICompilerCount=2"
)

#: glibc's malloc arenas of the local JVM (its environment only, unless the caller sets it):
#: one arena per thread, 64 MB each at most, is most of a JVM's resident memory beyond its heap.
JVM_MALLOC_ARENAS = "2"

#: A local session's sizing: environment variable -> (Spark setting, default), documented in
#: docs/scale.md. Under spark-submit only the variables set apply (the cluster sizes the rest).
LOCAL_DEFAULTS = {
    # the JVM's heap: the study's working memory (Spark spills past it)
    "CALCISCOPE_SPARK_DRIVER_MEMORY": ("spark.driver.memory", "768m"),
    "CALCISCOPE_SPARK_PARTITIONS": ("spark.sql.shuffle.partitions", "8"),
    # where Table.cache keeps the study's tables: on local disk, not in the heap
    "CALCISCOPE_SPARK_CACHE": ("spark.sql.defaultCacheStorageLevel", "DISK_ONLY"),
    "CALCISCOPE_SPARK_JAVA_OPTIONS": ("spark.driver.extraJavaOptions", DEFAULT_JAVA_OPTIONS),
    "CALCISCOPE_SPARK_UI": ("spark.ui.enabled", "false"),
    # Tungsten's memory pages: smaller pages waste less of a small heap
    "CALCISCOPE_SPARK_PAGE_SIZE": ("spark.buffer.pageSize", "2m"),
}


def local_options(warehouse: Path | None, submitted: bool = False) -> dict[str, str]:
    """Return the settings of a local session: calciscope's defaults, the environment's values.

    ``submitted``: under spark-submit, whose command line and configuration size the driver
    and the executors; only the sizing the environment sets explicitly is applied.
    ``CALCISCOPE_SPARK_CONF`` adds any Spark setting (``spark.a=1;spark.b=2``) and wins over
    the others.
    """
    options = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    for name, (key, default) in LOCAL_DEFAULTS.items():
        value = os.environ.get(name)
        if value or not submitted:
            options[key] = value or default
    if warehouse is not None:
        options["spark.sql.warehouse.dir"] = str(warehouse)
    for item in os.environ.get("CALCISCOPE_SPARK_CONF", "").split(";"):
        key, sep, value = item.partition("=")
        if not item.strip():
            continue
        if not sep or not key.strip().startswith("spark."):
            raise RegistryError(
                f"CALCISCOPE_SPARK_CONF: {item.strip()!r} is not a Spark setting: "
                "write spark.NAME=VALUE, several separated by ';'"
            )
        options[key.strip()] = value.strip()
    return options


@contextlib.contextmanager
def jvm_environment(submitted: bool = False) -> Iterator[None]:
    """Give a local JVM started inside the block ``MALLOC_ARENA_MAX`` (unless already set).

    PySpark starts the JVM with a copy of this process's environment; the variable is set only
    for that start and removed after, so this process's own allocator is untouched. Under
    spark-submit the JVM already runs.
    """
    if submitted or "MALLOC_ARENA_MAX" in os.environ:
        yield
        return
    os.environ["MALLOC_ARENA_MAX"] = JVM_MALLOC_ARENAS
    try:
        yield
    finally:
        os.environ.pop("MALLOC_ARENA_MAX", None)


def _build(location: SparkLocation) -> Any:
    from pyspark.errors import PySparkRuntimeError
    from pyspark.sql.utils import is_remote

    if location.remote is None and is_remote():  # a Spark Connect session came first
        raise RegistryError(_MIXED_MESSAGE)
    try:
        return _session(location)
    except PySparkRuntimeError as exc:
        condition = getattr(exc, "getCondition", exc.getErrorClass)()  # pyspark 4 / 3.5
        if condition not in _MIXED:
            raise
        raise RegistryError(_MIXED_MESSAGE) from None


def _session(location: SparkLocation) -> Any:
    sql = require_extra("spark", "pyspark.sql", package="pyspark")
    builder = sql.SparkSession.builder
    if location.remote is not None:
        try:
            return builder.remote(location.remote).getOrCreate()
        except ModuleNotFoundError as exc:  # grpcio and friends: pyspark[connect]
            raise RegistryError(
                f"Spark Connect needs {exc.name}: pip install 'pyspark[connect]'"
            ) from None
    assert location.warehouse is not None
    location.warehouse.mkdir(parents=True, exist_ok=True)
    active = sql.SparkSession.getActiveSession()
    if active is not None:  # a session the caller (or spark-submit's driver) made first
        return active
    submitted = location.master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    options = local_options(location.warehouse, submitted)
    if not submitted:
        # under spark-submit the master comes from its command line
        builder = builder.master(location.master or "local[*]")
    builder = builder.appName("calciscope")
    for key, value in options.items():
        builder = builder.config(key, value)
    with jvm_environment(submitted):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("CALCISCOPE_SPARK_LOG", "ERROR"))
    return session


def spark_session(url: str) -> Any:
    """Return the process's SparkSession for a Spark URL (created on first use).

    Local warehouses share one JVM: the second and later get ``newSession()`` of the first (its
    own views and settings, the same SparkContext), so two warehouses' tables never mix.
    """
    require_extra("spark", "pyspark")
    location = parse_spark_url(url)
    if location.warehouse is not None:  # a second warehouse too (its session is newSession())
        location.warehouse.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        session = _SESSIONS.get(location.key)
        if session is None:
            local = [s for key, s in _SESSIONS.items() if "|" in key]
            if local and location.remote is None:
                session = local[0].newSession()
                session.conf.set("spark.sql.session.timeZone", "UTC")
            else:
                session = _build(location)
            _SESSIONS[location.key] = session
    return session


@atexit.register
def _stop_sessions() -> None:  # pragma: no cover - at interpreter exit
    with _LOCK:
        for session in _SESSIONS.values():
            with contextlib.suppress(Exception):  # the JVM may already be gone
                session.stop()
        _SESSIONS.clear()


class TableStore:
    """The tables behind a Spark URL: read, append and replace whole tables.

    Local: Parquet folders ``<warehouse>/<name>/`` (a replace writes a new folder and swaps it
    in). Spark Connect: catalog tables (``saveAsTable``) in the URL's database.
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
        """Register every local table as a temporary view of its name (Spark Connect: none)."""
        if self.location.warehouse is None:
            if self.location.database:
                self.session.sql(f"USE `{self.location.database}`")
            return []
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
        """Replace the table's rows with ``frame`` (which may read the table itself)."""
        if self.location.warehouse is None:
            frame = frame.localCheckpoint()
            writer = frame.write.mode("overwrite")
            if partition_by:
                writer = writer.partitionBy(*partition_by)
            writer.saveAsTable(self._qualified(name))
            return
        path = self._path(name)
        tag = uuid.uuid4().hex[:8]
        fresh, old = path.with_name(f"_{name}.new-{tag}"), path.with_name(f"_{name}.old-{tag}")
        writer = frame.write.mode("error")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(str(fresh))
        if path.exists():
            path.rename(old)
        fresh.rename(path)
        shutil.rmtree(old, ignore_errors=True)
        self._refresh(name)

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


def _backend_class() -> type:
    require_extra("spark", "pyspark")
    import ibis

    _ = ibis.pyspark  # loading the backend through ibis registers its options
    from ibis.backends.pyspark import Backend

    base: Any = Backend

    class CalciscopeSpark(_GivesMemoryBack, base):
        """Ibis' PySpark backend on a shared session: ``disconnect`` leaves it running."""

        def disconnect(self) -> None:
            """Keep the process's session (stopped at exit)."""

        @functools.cached_property
        def _labels(self) -> QueryLabels:
            """Return the labels of the queries of this backend, numbered from 1."""
            return QueryLabels()

        def create_table(self, name: str, /, obj: Any = None, **kwargs: Any) -> Any:
            """Create a table; ``temp=True`` gives a cached temporary view."""
            if not kwargs.pop("temp", False) or obj is None:
                return super().create_table(name, obj, **kwargs)
            table = obj if hasattr(obj, "op") else ibis.memtable(obj)
            self._run_pre_execute_hooks(table)
            sql = self.compile(table)
            with self._labels.query(self._session, f"create_table {name}", sql):
                frame = self._session.sql(sql).localCheckpoint()
            frame.createOrReplaceTempView(name)
            return self.table(name)

        def to_pyarrow(self, expr: Any, /, **kwargs: Any) -> Any:
            """Run the query and fetch Arrow directly (Ibis goes through pandas)."""
            from ibis.formats.pyarrow import PyArrowData

            table = expr.as_table()
            self._run_pre_execute_hooks(table)
            sql = self.compile(table, params=kwargs.get("params"), limit=kwargs.get("limit"))
            with self._labels.query(self._session, "to_pyarrow", sql):
                frame = self._session.sql(sql)
                if not hasattr(frame, "toArrow"):  # pyspark < 4
                    return super().to_pyarrow(expr, **kwargs)
                arrow = read_arrow(frame)
            result = PyArrowData.convert_table(arrow, table.schema())
            return expr.__pyarrow_result__(result)

        def execute(self, expr: Any, /, **kwargs: Any) -> Any:
            """Run the query (a pandas result), labelled with the step that asked for it.

            Ibis' own ``execute``, its query run under ``spark_labels.QueryLabels.query``.
            """
            from ibis.backends.pyspark.converter import PySparkPandasData

            self._run_pre_execute_hooks(expr)
            table = expr.as_table()
            sql = self.compile(table, **kwargs)
            with self._labels.query(self._session, "execute", sql):
                frame = self._session.sql(sql).toPandas()
            result = PySparkPandasData.convert_table(frame, table.schema())
            return expr.__pandas_result__(result)

        def drop_table(self, name: str, /, **kwargs: Any) -> None:
            """Drop a table or a temporary view."""
            if self._session.catalog.dropTempView(name):
                return
            super().drop_table(name, **kwargs)

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
