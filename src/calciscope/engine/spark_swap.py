"""Partitions of a local warehouse's table replaced one folder at a time, with a journal.

A change to a few stored rows of a partitioned table (a re-import's superseded facts, in
``patient_bucket`` partitions) rewrites only the partitions holding a changed row. Spark writes
their new content, and any rows the change adds to other partitions, into a new folder beside
the table (``_<table>.new-<tag>``, hidden from readers by its ``_``); only once that write has
finished is a journal written (``<warehouse>/_swaps/<table>.new-<tag>.json``: the table, the two
folders, each partition and whether it is replaced, dropped or added to, the writer's host and
pid).
Then, a partition at a time:

* **replaced**: the stored folder ``<table>/<column>=<value>`` is renamed into
  ``_<table>.old-<tag>``, then the new one renamed into its place;
* **dropped** (a partition the change empties: no new folder): the stored folder is renamed
  into ``_<table>.old-<tag>``;
* **added to**: the new files are renamed into the stored folder (or the new folder is renamed
  into the table when the table had no such partition).

Then the journal is removed and the two hidden folders deleted. A whole table replaced
(``TableStore.replace``: an unpartitioned table such as ``patients``) is one part,
:data:`WHOLE_TABLE`, the table's folder itself. Every rename is of a complete folder or file on
one filesystem, so no reader ever sees a partially written partition; but readers are not
isolated: one listing the table during a swap sees some partitions new and some old, and one
listing it between the two renames of one replaced partition sees it missing (docs/scale.md).

**One process at a time applies a journal.** A writer holds an exclusive ``flock`` of
``<warehouse>/_swaps/.lock`` from writing its journal until its swap ends; a process finishing
journals takes it too (a reader without waiting: when it is held, the journals are left to its
holder). The operating system releases the lock of a process that dies, so a journal found
while holding the lock is one no process is applying. Windows (no ``fcntl``) has no lock: there
a journal is finished only once it is :data:`STALE_AFTER_S` old.

**A process that dies while swapping** (or a rename that fails) leaves the journal. Every new
partition was complete before the journal was written, so the swap is finished forwards
(:func:`finish_swaps`): each step is taken again only if it was not taken (a replaced partition
whose new folder is still there is swapped in; a dropped one still stored is moved aside; files
still in a new folder are moved; a step never moves a stored folder that has no new one to take
its place), so finishing twice, or after a partial finish, gives the same table. Opening the
warehouse (:meth:`~calciscope.engine.spark.TableStore.register_views`, so every command)
finishes, holding the lock, the journals of this host and those of another host older than
:data:`STALE_AFTER_S` (by the file server's clock: the lock file's mtime, just touched), and
warns naming them; any other journal is left, with a warning that the table is being changed,
and an import refuses to add its rows while one remains (:func:`pending`). Once the writer of
such a journal is known to have ended, ``python -m calciscope.engine.spark_swap <warehouse>``
finishes it. A journal that vanishes while read (its writer ended) is skipped.

A process that dies before the journal exists leaves only a hidden ``_<table>.new-*`` folder,
which readers never see; the next writer deletes such leftovers (:func:`remove_leftovers`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

__all__ = [
    "STALE_AFTER_S",
    "WHOLE_TABLE",
    "Swap",
    "finish_swaps",
    "locked",
    "pending",
    "remove_leftovers",
]

log = logging.getLogger("calciscope")

#: A journal of another host older than this is taken for a writer that died (seconds).
STALE_AFTER_S = 600.0
#: The folder of a warehouse holding the swap journals.
JOURNALS = "_swaps"
#: The lock file (in :data:`JOURNALS`) a process applying a journal holds.
LOCK = ".lock"
#: The part of a swap replacing the whole table (``TableStore.replace``): its folder itself.
WHOLE_TABLE = ""


@dataclass
class Swap:
    """One table's partitions swapped in: what the journal records (see the module)."""

    table: str
    fresh: str  # the folder holding the new partitions (a name in the warehouse)
    old: str  # where the replaced partitions go
    parts: dict[str, str]  # "<column>=<value>" -> "replace", "drop" or "add"
    host: str
    pid: int

    @classmethod
    def new(cls, table: str) -> Swap:
        """Return a swap of ``table`` with new hidden folder names, by this process."""
        tag = uuid.uuid4().hex[:12]
        return cls(
            table=table,
            fresh=f"_{table}.new-{tag}",
            old=f"_{table}.old-{tag}",
            parts={},
            host=socket.gethostname(),
            pid=os.getpid(),
        )

    @classmethod
    def read(cls, journal: Path) -> Swap | None:
        """Return the swap a journal records (None when it is gone: its swap has ended).

        Keys this version does not know (a journal of a later version) are left out.
        """
        try:
            written = json.loads(journal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in written.items() if k in known})

    def journal(self, warehouse: Path) -> Path:
        """Return this swap's journal file."""
        return warehouse / JOURNALS / f"{self.fresh.removeprefix('_')}.json"

    def write_journal(self, warehouse: Path) -> None:
        """Write the journal (a whole file or none: written aside, then renamed).

        The writer holds :func:`locked` from here until :meth:`apply` has returned.
        """
        path = self.journal(warehouse)
        path.parent.mkdir(exist_ok=True)
        aside = path.with_name(f".{path.name}.tmp")
        aside.write_text(json.dumps(asdict(self), sort_keys=True), encoding="utf-8")
        os.replace(aside, path)

    def apply(self, warehouse: Path) -> None:
        """Take every step not taken yet, then remove the journal and the hidden folders."""
        table, fresh, old = warehouse / self.table, warehouse / self.fresh, warehouse / self.old
        for part, how in sorted(self.parts.items()):
            if how == "replace":
                _replace(table / part, fresh / part, old / part)
            elif how == "drop":
                _drop(table / part, old / part)
            else:
                _add(table / part, fresh / part)
        self.journal(warehouse).unlink(missing_ok=True)
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)

    def describe(self, journal: Path) -> str:
        """Return the table, writer and journal of this swap, for a message."""
        try:
            written = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(journal.stat().st_mtime))
        except OSError:
            written = "?"
        return (
            f"table {self.table!r} by process {self.pid} on {self.host} "
            f"(journal {journal}, written {written} UTC; {len(self.parts)} partitions)"
        )


def _replace(stored: Path, new: Path, aside: Path) -> None:
    """Swap ``new`` in for ``stored``; no ``new`` means swapped in already: nothing moves."""
    if not new.exists():
        return
    if stored.exists():
        aside.parent.mkdir(exist_ok=True)
        stored.rename(aside)
    stored.parent.mkdir(exist_ok=True)
    new.rename(stored)


def _drop(stored: Path, aside: Path) -> None:
    """Move ``stored`` (a partition the change empties) aside, if it is still there."""
    if stored.exists():
        aside.parent.mkdir(exist_ok=True)
        stored.rename(aside)


def _add(stored: Path, new: Path) -> None:
    """Move the files of ``new`` into ``stored`` (the folder itself when there is none)."""
    if not new.exists():
        return
    if not stored.exists():
        stored.parent.mkdir(exist_ok=True)
        new.rename(stored)
        return
    for path in sorted(new.iterdir()):
        path.rename(stored / path.name)


@contextmanager
def locked(warehouse: Path, *, wait: bool = True) -> Iterator[float | None]:
    """Hold the warehouse's swap lock (``_swaps/.lock``, an exclusive ``flock``).

    Yield the file server's time now (the lock file's mtime, touched), or None when ``wait`` is
    False and another process holds the lock. Without ``fcntl`` (Windows) nothing is locked.
    """
    folder = warehouse / JOURNALS
    folder.mkdir(exist_ok=True)
    path = folder / LOCK
    try:  # for writing: NFS carries flock out as a POSIX lock, exclusive only on such a file
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a reader who may not write it (or a read-only mount): enough locally
        descriptor = os.open(path, os.O_RDONLY)
    try:
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield None
                return
        yield _server_now(path)
    finally:
        os.close(descriptor)  # releases the lock


def _server_now(path: Path) -> float:
    """Return the file server's time now (``path`` touched), else this host's."""
    try:
        os.utime(path)
        return path.stat().st_mtime
    except OSError:
        return time.time()


def _journals(warehouse: Path) -> Iterator[tuple[Path, Swap]]:
    for journal in sorted((warehouse / JOURNALS).glob("*.json")):
        swap = Swap.read(journal)
        if swap is not None:
            yield journal, swap


def _dead(swap: Swap, journal: Path, now: float, *, force: bool) -> bool:
    """Return True when no process can be applying ``swap`` (the lock is held by the caller)."""
    if force or (swap.host == socket.gethostname() and sys.platform != "win32"):
        return True  # flock: the writer would hold the lock while applying
    try:  # another host (its flock may be local to it: NFS local_lock), or no flock at all
        return now - journal.stat().st_mtime >= STALE_AFTER_S
    except FileNotFoundError:
        return False  # finished meanwhile


def finish_swaps(warehouse: Path, *, wait: bool = False, force: bool = False) -> list[str]:
    """Finish the swaps no process is applying; return the tables finished.

    Holding :func:`locked` (``wait``: for it; else, when another process holds it, nothing is
    finished). A journal of another host is finished once :data:`STALE_AFTER_S` old, or at
    once with ``force`` (its writer is known to have ended); one left is warned of.
    """
    if not any(True for _ in _journals(warehouse)):
        return []  # nothing to finish: no lock taken, nothing written
    finished = []
    with locked(warehouse, wait=wait) as now:
        for journal, swap in _journals(warehouse):
            if now is None or not _dead(swap, journal, now, force=force):
                log.warning(
                    "%s: %s is being changed (or its writer's death is not yet certain); "
                    "what is read now may mix old and new partitions",
                    warehouse,
                    swap.describe(journal),
                )
                continue
            log.warning(
                "%s: finishing the change of %s, left unfinished", warehouse, swap.describe(journal)
            )
            swap.apply(warehouse)
            finished.append(swap.table)
    return finished


def pending(warehouse: Path) -> list[str]:
    """Return the swaps whose journals remain, described (:meth:`Swap.describe`)."""
    return [swap.describe(journal) for journal, swap in _journals(warehouse)]


def remove_leftovers(warehouse: Path) -> None:
    """Delete hidden new/old folders that no journal names (a writer died before its journal).

    Only a writer calls this (imports into one warehouse run one at a time): another writer's
    new folder, still being written, would go too. A journal half written (``.*.tmp``) goes too.
    """
    named = set()
    for _, swap in _journals(warehouse):
        named |= {swap.fresh, swap.old}
    for path in warehouse.glob("_*.*-*"):
        if (".new-" in path.name or ".old-" in path.name) and path.name not in named:
            shutil.rmtree(path, ignore_errors=True)
    for aside in (warehouse / JOURNALS).glob(".*.json.tmp"):
        aside.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m calciscope.engine.spark_swap WAREHOUSE``: finish every journal left there.

    For a journal of a writer known to have ended that the next opening would not finish yet
    (another host's, younger than :data:`STALE_AFTER_S`). Waits for the lock.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m calciscope.engine.spark_swap WAREHOUSE", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    finished = finish_swaps(Path(args[0]), wait=True, force=True)
    print(f"finished: {', '.join(finished) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
