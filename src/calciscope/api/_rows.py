"""One patient's derived rows, computed once between the processes that share a folder.

After a review decision, every worker of ``calciscope serve --workers N`` needs the decided
patient's list row (the feature row) and, when the page is read, the criteria explanation
again. Both are functions of the patient's own rows alone: the patient row and every fact
row, whose hash is :func:`~calciscope.storage.classification.data_version`. So they are kept
in files named by that hash (with the index date and the definitions' version): the first
process to compute a row writes it, the others read it (a fraction of a millisecond against
5-12 ms of computing). A file is whole or absent (written aside, then renamed), and a name
says exactly what its row was computed from, so a file can never be stale: a changed fact is
another hash, another file. Files older than :data:`KEEP_SECONDS` are removed by each process
when it first uses the folder (a deployment that restarts often never lets it grow) and then
at most every :data:`_PRUNE_SECONDS`; the rows are needed for the seconds between one worker
computing them and the others asking. Keeping is a saving, never a condition: a row that
cannot be written is not kept (logged without patient data) and a file that cannot be read
whole is a miss (the row is computed again). The files hold patient data: the folder is
readable by its owner only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather

from calciscope.engine.rows import _compiler_version
from calciscope.storage.classification import data_version

__all__ = ["KEEP_SECONDS", "RowFiles", "versions_by_patient"]

#: A row file older than this is removed (the other workers read it within seconds).
KEEP_SECONDS = 600.0
#: Seconds between two looks of one process for old files to remove (the first look: at its
#: first use of the folder, so a restart looks too).
_PRUNE_SECONDS = 60.0
#: Entries of the folder one look examines at most (a look stays cheap on a folder that grew
#: meanwhile; what it removes, the next look does not examine again).
_PRUNE_AT_MOST = 5_000

_log = logging.getLogger(__name__)
#: When this process last looked at each folder for old files (``time.monotonic``).
_last_pruned: dict[Path, float] = {}
_pruning = threading.Lock()


def versions_by_patient(facts: pa.Table, patients: pa.Table) -> dict[str, str]:
    """Return each patient's :func:`data_version` from their rows as Arrow tables (one read)."""
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts.to_pylist():
        by_patient[fact["patient_id"]].append(fact)
    return {
        str(p["patient_id"]): data_version(p, by_patient.get(p["patient_id"], ()))
        for p in patients.to_pylist()
    }


class RowFiles:
    """The row files of one index date in ``folder`` (subfolder ``rows``).

    The first of these made for a folder in a process removes the folder's old files, and
    one made later does again once :data:`_PRUNE_SECONDS` have passed.
    """

    def __init__(self, folder: Path, index_date: dt.date) -> None:
        self.folder = folder / "rows"
        self.when = f"{index_date:%Y%m%d}"
        self._prune_when_due()

    def _path(self, kind: str, definitions: str, data: str, suffix: str) -> Path:
        # the code that computes the rows is part of the name too: a new build of calciscope
        # with the same definitions never reads rows an older build computed
        code = _compiler_version()[:12]
        return self.folder / f"{kind}-{self.when}-{code}-{definitions[:16]}-{data[:40]}.{suffix}"

    def features(self, definitions: str, data: str) -> pa.Table | None:
        """Return the kept feature row of the patient whose rows hash to ``data``, or None.

        None too when the file cannot be read as a one-row table (damaged, unreadable): the
        row is computed again, and kept again over it.
        """
        try:
            row = feather.read_table(self._path("features", definitions, data, "arrow"))
        except FileNotFoundError:  # absent (or removed as it was opened)
            return None
        except (OSError, pa.ArrowException, ValueError) as exc:  # damaged or unreadable
            _not_read("feature", exc)
            return None
        return row if row.num_rows == 1 else None

    def put_features(self, definitions: str, data: str, row: pa.Table) -> None:
        """Keep one patient's feature row (a one-row table); not kept when it cannot be."""
        self._write(
            "feature",
            self._path("features", definitions, data, "arrow"),
            lambda out: feather.write_feather(row, out, compression="uncompressed"),
        )

    def explanation(self, definitions: str, data: str) -> dict[str, Any] | None:
        """Return the kept classified row (with its explanation columns), or None.

        None too when the file is not a whole JSON object (damaged, unreadable).
        """
        try:
            text = self._path("explained", definitions, data, "json").read_text("utf-8")
            row = json.loads(text)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # damaged (not UTF-8, not JSON) or unreadable
            _not_read("classified", exc)
            return None
        return row if isinstance(row, dict) else None

    def put_explanation(self, definitions: str, data: str, row: dict[str, Any]) -> None:
        """Keep a classified row of plain JSON values (as ``classification_results`` holds).

        A row that is not plain JSON (a value JSON cannot hold) is not kept.
        """

        def write(out: Any) -> None:
            out.write(json.dumps(row, ensure_ascii=False, allow_nan=False).encode("utf-8"))

        self._write("classified", self._path("explained", definitions, data, "json"), write)

    def _write(self, kind: str, path: Path, write: Callable[[Any], Any]) -> None:
        """Write a file whole under ``path``, or keep nothing: never raise (a saving only)."""
        part: str | None = None
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # a name of its own per write (mode 0600): two requests of one worker (its
            # threads) keeping the same row at once must not rename each other's file away
            fd, part = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".part", dir=self.folder)
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(part, path)  # whole or absent for a reader
        except Exception as exc:  # not kept: the next reader computes it again
            _log.warning(
                "a %s row was not kept (%s); it is computed again when asked",
                kind,
                type(exc).__name__,  # the type alone: a message may quote the row's values
            )
            if part is not None:
                with contextlib.suppress(OSError):
                    Path(part).unlink(missing_ok=True)

    def _prune_when_due(self) -> None:
        now = time.monotonic()
        with _pruning:
            last = _last_pruned.get(self.folder)
            if last is not None and now - last < _PRUNE_SECONDS:
                return
            _last_pruned[self.folder] = now
        with contextlib.suppress(OSError):  # a look that fails is made again at the next one
            self.prune()

    def prune(self, older_than: float = KEEP_SECONDS) -> int:
        """Remove row files (of any date) older than ``older_than`` seconds; return how many.

        At most :data:`_PRUNE_AT_MOST` entries of the folder are examined.
        """
        limit, removed = time.time() - older_than, 0
        try:
            entries = os.scandir(self.folder)
        except FileNotFoundError:  # nothing kept yet
            return 0
        with entries:
            for _, entry in zip(range(_PRUNE_AT_MOST), entries, strict=False):
                try:
                    if entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:  # removed by another process meanwhile, or not ours to remove
                    continue
        return removed


def _not_read(kind: str, exc: BaseException) -> None:
    _log.warning("a kept %s row could not be read (%s); computed again", kind, type(exc).__name__)
