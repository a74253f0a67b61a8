"""Store and read criteria results in ``classification_results`` (one row per patient, set and index date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from calciscope.storage.registry import Registry

__all__ = ["StoredResult", "read_classification_results", "write_classification_results"]


@dataclass(frozen=True)
class StoredResult:
    """One criteria (or phenotype) result of one patient at one index date."""

    patient_id: str
    criteria_set: str
    index_date: dt.date
    criteria_version: str
    status: str
    result: dict[str, Any]


def write_classification_results(registry: Registry, results: Sequence[StoredResult]) -> int:
    """Insert or replace results (keyed by patient, set and index date) in one transaction.

    Returns
    -------
    int
        The number of rows written.
    """
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "patient_id": r.patient_id,
            "criteria_set": r.criteria_set,
            "index_date": r.index_date,
            "criteria_version": r.criteria_version,
            "status": r.status,
            "result": r.result,
            "computed_at": now,
        }
        for r in results
    ]
    return registry.write_classification_rows(rows)


def read_classification_results(
    registry: Registry, *, patient_id: str | None = None, index_date: dt.date | None = None
) -> list[StoredResult]:
    """Return stored results, optionally for one patient and/or one index date."""
    rows = registry.classification_rows(patient_id=patient_id, index_date=index_date)
    return [StoredResult(**{k: v for k, v in row.items() if k != "computed_at"}) for row in rows]
