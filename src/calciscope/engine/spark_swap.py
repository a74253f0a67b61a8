"""Partitions of a local warehouse's table replaced one folder at a time, with a journal.

A change to a few stored rows of a partitioned table (a re-import's superseded facts, in
``patient_bucket`` partitions) rewrites only the partitions holding a changed row. Spark writes
their new content, and any rows the change adds to other partitions, into a new folder beside
the table (``_<table>.new-<tag>``, hidden from readers by its ``_``); only once that write has
finished is a journal written (``<warehouse>/_swaps/<table>.new-<tag>.json``: the table, the two
folders, each partition and whether it is replaced or added to, the writer's host and pid).
Then, a partition at a time:

* **replaced**: the stored folder ``<table>/<column>=<value>`` is renamed into
  ``_<table>.old-<tag>``, then the new one renamed into its place;
* **added to**: the new files are renamed into the stored folder (or the new folder is renamed
  into the table when the table had no such partition).

Then the journal is removed and the two hidden folders deleted. A whole table replaced
(``TableStore.replace``: an unpartitioned table such as ``patients``) is one part,
:data:`WHOLE_TABLE`, the table's folder itself. Every rename is of a complete folder or file on
one filesystem, so no reader ever sees a partially written partition; a reader listing the
table between the two renames of one replaced partition sees it missing.

**A process that dies while swapping** (or a rename that fails) leaves the journal. Every new
partition was complete before the journal was written, so the swap is finished forwards
(:func:`finish_swaps`): each step is taken again only if it was not taken (a replaced partition
whose new folder is still there is swapped in; files still in a new folder are moved), so
finishing twice, or after a partial finish, gives the same table. Opening the warehouse
(:meth:`~calciscope.engine.spark.TableStore.register_views`, so every command) finishes the
journals of a writer that is no longer running (one of this host whose pid has ended, this
process's own, or one older than :data:`STALE_AFTER_S` from another host) and warns naming
them; a journal of a live writer is left to it, with a warning that the table is being changed.
A process that dies before the journal exists leaves only a hidden ``_<table>.new-*`` folder,
which readers never see; the next writer deletes such leftovers (:func:`remove_leftovers`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["STALE_AFTER_S", "WHOLE_TABLE", "Swap", "finish_swaps", "remove_leftovers"]

log = logging.getLogger("calciscope")

#: A journal of another host older than this is taken for a writer that died (seconds).
STALE_AFTER_S = 600.0
#: The folder of a warehouse holding the swap journals.
JOURNALS = "_swaps"
#: The part of a swap replacing the whole table (``TableStore.replace``): its folder itself.
WHOLE_TABLE = ""


@dataclass
class Swap:
    """One table's partitions swapped in: what the journal records (see the module)."""

    table: str
    fresh: str  # the folder holding the new partitions (a name in the warehouse)
    old: str  # where the replaced partitions go
    parts: dict[str, str]  # "<column>=<value>" -> "replace" or "add"
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

    def journal(self, warehouse: Path) -> Path:
        """Return this swap's journal file."""
        return warehouse / JOURNALS / f"{self.fresh.removeprefix('_')}.json"

    def write_journal(self, warehouse: Path) -> None:
        """Write the journal (a whole file or none: written aside, then renamed)."""
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
            else:
                _add(table / part, fresh / part)
        self.journal(warehouse).unlink(missing_ok=True)
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _replace(stored: Path, new: Path, aside: Path) -> None:
    """Swap ``new`` in for ``stored`` (a partition emptied has no ``new``: ``stored`` goes)."""
    if not new.exists() and aside.exists():
        return  # swapped already (or emptied already)
    if stored.exists():
        aside.parent.mkdir(exist_ok=True)
        stored.rename(aside)
    if new.exists():
        stored.parent.mkdir(exist_ok=True)
        new.rename(stored)


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


def _running(swap: Swap, journal: Path) -> bool:
    """Return True when the writer of ``swap`` may still be applying it."""
    if swap.host != socket.gethostname():
        return time.time() - journal.stat().st_mtime < STALE_AFTER_S
    if swap.pid == os.getpid():
        return False  # this process: its swap failed and returned
    try:
        os.kill(swap.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_swaps(warehouse: Path) -> list[str]:
    """Finish the swaps of writers no longer running; return the tables finished.

    A swap of a writer that may still be running is left to it, with a warning.
    """
    finished = []
    for journal in sorted((warehouse / JOURNALS).glob("*.json")):
        swap = Swap(**json.loads(journal.read_text(encoding="utf-8")))
        if _running(swap, journal):
            log.warning(
                "%s: table %r is being changed by process %s on %s (journal %s); "
                "what is read now may mix old and new partitions",
                warehouse,
                swap.table,
                swap.pid,
                swap.host,
                journal.name,
            )
            continue
        log.warning(
            "%s: finishing the change of table %r that process %s on %s left unfinished "
            "(journal %s; %d partitions)",
            warehouse,
            swap.table,
            swap.pid,
            swap.host,
            journal.name,
            len(swap.parts),
        )
        swap.apply(warehouse)
        finished.append(swap.table)
    return finished


def remove_leftovers(warehouse: Path) -> None:
    """Delete hidden new/old folders that no journal names (a writer died before its journal).

    Only a writer calls this (imports into one warehouse run one at a time): another writer's
    new folder, still being written, would go too.
    """
    named = set()
    for journal in (warehouse / JOURNALS).glob("*.json"):
        swap = json.loads(journal.read_text(encoding="utf-8"))
        named |= {swap["fresh"], swap["old"]}
    for path in warehouse.glob("_*.*-*"):
        if (".new-" in path.name or ".old-" in path.name) and path.name not in named:
            shutil.rmtree(path, ignore_errors=True)
