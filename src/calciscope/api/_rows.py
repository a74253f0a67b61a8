"""One patient's derived rows, computed once between the processes that share a folder.

After a review decision, every worker of ``calciscope serve --workers N`` needs the decided
patient's list row (the feature row) and, when the page is read, the criteria explanation
again. Both are functions of the patient's own rows alone: the patient row and every fact
row, whose hash is :func:`~calciscope.storage.classification.data_version`. So they are kept
in files named by that hash (with the index date and the definitions' version): the first
process to compute a row writes it, the others read it (a fraction of a millisecond against
5-12 ms of computing). A file is whole or absent (written aside, then renamed), and a name
says exactly what its row was computed from, so a file can never be stale: a changed fact is
another hash, another file. Files older than :data:`KEEP_SECONDS` are removed now and then;
the rows are needed for the seconds between one worker computing them and the others asking.
The files hold patient data: the folder is readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
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
#: Files written by one process between two looks for old files to remove.
_PRUNE_EVERY = 200


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
    """The row files of one index date in ``folder`` (subfolder ``rows``)."""

    _written = 0  # files written by this process since the last pruning

    def __init__(self, folder: Path, index_date: dt.date) -> None:
        self.folder = folder / "rows"
        self.when = f"{index_date:%Y%m%d}"

    def _path(self, kind: str, definitions: str, data: str, suffix: str) -> Path:
        # the code that computes the rows is part of the name too: a new build of calciscope
        # with the same definitions never reads rows an older build computed
        code = _compiler_version()[:12]
        return self.folder / f"{kind}-{self.when}-{code}-{definitions[:16]}-{data[:40]}.{suffix}"

    def features(self, definitions: str, data: str) -> pa.Table | None:
        """Return the kept feature row of the patient whose rows hash to ``data``, or None."""
        try:
            return feather.read_table(self._path("features", definitions, data, "arrow"))
        except (FileNotFoundError, pa.ArrowInvalid):  # absent (or removed as it was opened)
            return None

    def put_features(self, definitions: str, data: str, row: pa.Table) -> None:
        """Keep one patient's feature row (a one-row table)."""
        self._write(
            self._path("features", definitions, data, "arrow"),
            lambda out: feather.write_feather(row, out, compression="uncompressed"),
        )

    def explanation(self, definitions: str, data: str) -> dict[str, Any] | None:
        """Return the kept classified row (with its explanation columns), or None."""
        try:
            text = self._path("explained", definitions, data, "json").read_text("utf-8")
        except FileNotFoundError:
            return None
        row: dict[str, Any] = json.loads(text)
        return row

    def put_explanation(self, definitions: str, data: str, row: dict[str, Any]) -> None:
        """Keep a classified row of plain JSON values (as ``classification_results`` holds)."""
        body = json.dumps(row, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._write(self._path("explained", definitions, data, "json"), lambda out: out.write(body))

    def _write(self, path: Path, write: Callable[[Any], Any]) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # a name of its own per write (mode 0600): two requests of one worker (its threads)
        # keeping the same row at once must not rename each other's file away
        fd, part = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".part", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(part, path)  # whole or absent for a reader
        except OSError:
            Path(part).unlink(missing_ok=True)  # not kept: the next reader computes it again
            return
        RowFiles._written += 1
        if RowFiles._written >= _PRUNE_EVERY:
            RowFiles._written = 0
            self.prune()

    def prune(self, older_than: float = KEEP_SECONDS) -> int:
        """Remove row files (of any date) older than ``older_than`` seconds; return how many."""
        limit, removed = time.time() - older_than, 0
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # removed by another process meanwhile
                continue
        return removed
