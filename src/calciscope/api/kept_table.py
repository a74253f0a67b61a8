"""The whole patient table kept on disk between changes of the registry (the web app's table).

Computed once per registry generation, index date, day and definitions version by one process
holding a lock on the folder, and read (memory mapped) by the others; keeping is a saving only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather

from calciscope.api.cohort import list_patients
from calciscope.storage import Registry
from calciscope.storage.classification import definitions_version

__all__ = ["kept_patient_table"]

_log = logging.getLogger(__name__)


#: Prefix of the files :func:`kept_patient_table` keeps (one per date, generation, definitions).
_KEPT = "patients-"


def kept_patient_table(
    registry: Registry, folder: Path, *, index_date: dt.date | None = None
) -> pa.Table:
    """Return the whole patient table (``list_patients(registry)[0]``), computed once per change.

    ``index_date`` is the date the features are evaluated at (today by default; the web app
    passes :func:`default_index_date`, the date of its patient pages and review queue). The
    table is kept in ``folder`` as an Arrow file named by the registry (a hash of its
    URL: registries kept in one folder never share a file), that date, today's date, the registry's
    generation (:meth:`~calciscope.storage.Registry.generation`, moved on by any write to its
    data) and the definitions' version. While all four are the same, the file is read (memory
    mapped: the workers of ``serve --workers N`` share its pages) instead of computing the
    table. Otherwise one process computes it, holding a lock on the folder, and writes it;
    another process asking meanwhile waits for it and reads its file. The generation is read
    before computing, so a write made meanwhile leaves the file stale, never wrong. The
    registry's files of other generations are removed; a Spark registry keeps no generation and always computes.
    Keeping is a saving only: a file that cannot be read whole is computed again and kept
    over, and a table that cannot be kept (its folder, its lock or its file cannot be
    written) is returned all the same (a warning naming the error's type is logged).
    The file holds patient data: the folder is made readable by its owner only.
    """
    generation = registry.generation()
    if generation is None:
        return list_patients(registry, index_date=index_date)[0]
    definitions = definitions_version(None)[:16]
    # the registry's own prefix: two registries kept in one folder (two SQLite files side by
    # side, or served from one working directory) never read, nor remove, each other's table
    prefix = f"{_KEPT}{hashlib.sha256(registry.url.encode('utf-8')).hexdigest()[:16]}-"
    when = f"{index_date:%Y%m%d}-" if index_date is not None else ""
    name = f"{prefix}{when}{dt.date.today():%Y%m%d}-{generation}-{definitions}.arrow"
    path = folder / name
    table = _read_kept(path)
    if table is not None:
        return table
    with ExitStack() as locked:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            locked.enter_context(_folder_lock(folder))
        except OSError as exc:  # a folder that cannot be kept in: computed, not kept
            _log.warning("the patient table is not kept (%s)", type(exc).__name__)
            return list_patients(registry, index_date=index_date)[0]
        table = _read_kept(path)  # computed by the process we waited for
        if table is None:
            table = list_patients(registry, index_date=index_date)[0]
            _keep_table(table, path, prefix)
    return table


def _keep_table(table: pa.Table, path: Path, prefix: str) -> None:
    """Write the table whole under ``path`` and remove the registry's others; or keep nothing."""
    part = path.with_suffix(f".{os.getpid()}.part")  # the folder's lock is held
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            feather.write_feather(table, out, compression="uncompressed")
        os.replace(part, path)  # whole or absent for a reader
    except Exception as exc:  # a saving only: the next asker computes it again
        # the type alone: a message may quote patient values
        _log.warning("the patient table is not kept (%s)", type(exc).__name__)
        with suppress(OSError):
            part.unlink(missing_ok=True)
        return
    for old in path.parent.glob(f"{prefix}*.arrow"):
        if old.name != path.name:
            with suppress(OSError):
                old.unlink(missing_ok=True)


def _read_kept(path: Path) -> pa.Table | None:
    """Return the kept table, or None when absent or damaged (computed again, kept over it)."""
    try:
        return feather.read_table(path, memory_map=True)
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException, ValueError) as exc:
        _log.warning("the kept patient table could not be read (%s)", type(exc).__name__)
        return None


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder/.lock`` (between processes; POSIX ``flock``)."""
    import fcntl

    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
