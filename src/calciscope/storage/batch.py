"""Import batches: the records imported together, and what an import did.

Every importer gathers its records in a :class:`Batch` and writes it through
:class:`~calciscope.storage.batch_writer.BatchWriter` inside the transaction of
:meth:`~calciscope.storage.registry.Registry.bulk_import`, which returns an
:class:`ImportSummary`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import schema
from calciscope.storage.bulk_sql import one_of
from calciscope.storage.integrity import PatientOrigin

__all__ = ["CHUNK", "Batch", "ImportSummary", "model_rows", "stored_patient_ids"]

#: Ids per ``IN (...)`` query, rows per insert
CHUNK = 5000


@dataclass
class Batch:
    """Records that are imported together, all or nothing."""

    patients: list[Patient] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    #: Where each patient record was read (same order as ``patients``; may be shorter, for
    #: readers that do not say, and is then padded with the record's id as its location).
    patient_origins: list[PatientOrigin | None] = field(default_factory=list)
    #: Facts already validated in columnar form (:mod:`calciscope.storage.bulk`), as the
    #: native reader gives them; written like ``facts``.
    fact_rows: list[pa.Table] = field(default_factory=list)
    #: A fact a reader wrote for several it read, with those facts (REDCap: one absence
    #: without a site for a row whose every site field says absent). It is left out when the
    #: registry already holds every one of them - the file was imported before the reader
    #: folded them - so a re-import adds nothing (fixes16); otherwise written like ``facts``.
    folded: list[tuple[Fact, tuple[Fact, ...]]] = field(default_factory=list)
    #: Where a note or image was read, by ``"note ID"`` / ``"image ID"`` (file and line or
    #: row), for readers that say (the native reader: ``notes.jsonl``, ``line 3``); a record
    #: without one is named by its id in the import's source.
    record_origins: dict[str, PatientOrigin] = field(default_factory=dict)

    def origins(self) -> list[PatientOrigin | None]:
        """Return ``patient_origins`` padded with None to the length of ``patients``."""
        missing = len(self.patients) - len(self.patient_origins)
        return self.patient_origins[: len(self.patients)] + [None] * max(missing, 0)

    def add_patient(self, patient: Patient, origin: PatientOrigin | None = None) -> None:
        """Add a patient record and where it was read."""
        self.patient_origins = self.origins()
        self.patients.append(patient)
        self.patient_origins.append(origin)

    def extend(self, other: Batch) -> None:
        """Add another batch's records (and patient origins) to this one."""
        self.patient_origins = self.origins() + other.origins()
        self.patients += other.patients
        self.facts += other.facts
        self.notes += other.notes
        self.images += other.images
        self.fact_rows += other.fact_rows
        self.folded += other.folded
        self.record_origins |= other.record_origins

    def counts(self) -> dict[str, int]:
        """Return the number of records of each kind."""
        return {
            "patients": len(self.patients),
            "facts": len(self.facts) + sum(t.num_rows for t in self.fact_rows) + len(self.folded),
            "notes": len(self.notes),
            "images": len(self.images),
        }


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: the batch id and the counts of records it carried."""

    batch_id: str
    source: str
    counts: dict[str, int]


def model_rows(items: Iterable[Any], extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Return validated model records as table rows (plus ``extra`` columns).

    Straight from the validated fields (model_dump is several times slower); Enum members are
    stored as their value, dates stay dates for the database driver.
    """
    rows = []
    for item in items:
        row = {k: (v.value if isinstance(v, Enum) else v) for k, v in item.__dict__.items()}
        row.update(extra or {})
        rows.append(row)
    return rows


def stored_patient_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Return which of ``ids`` are in the registry, as ``conn`` sees it."""
    wanted = list(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        column = schema.patients.c.patient_id
        found.update(
            conn.scalars(sa.select(column).where(one_of(column, chunk, conn.dialect.name)))
        )
    return found
