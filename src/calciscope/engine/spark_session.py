"""Spark sessions and their URLs: which session a URL names, and how a local one is sized.

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

One session per URL per process: calling ``disconnect()`` on a backend from
:func:`calciscope.engine.spark.connect_spark` does not stop it (calciscope opens and closes a
backend per verb; a JVM start costs seconds).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from calciscope.errors import RegistryError, require_extra

__all__ = [
    "DEFAULT_JAVA_OPTIONS",
    "DEFAULT_WAREHOUSE",
    "HIDDEN_COLUMNS",
    "JVM_MALLOC_ARENAS",
    "LOCAL_DEFAULTS",
    "SparkLocation",
    "is_spark_url",
    "jvm_environment",
    "local_options",
    "normalise_spark_url",
    "parse_spark_url",
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
