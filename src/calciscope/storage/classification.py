"""Store and read criteria results in ``classification_results`` (one row per patient, set and index date)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from calciscope.storage import schema
from calciscope.storage.registry import Registry

__all__ = ["StoredResult", "read_classification_results", "write_classification_results"]

_CHUNK = 5000


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
    table = schema.classification_results
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
    dialect = postgresql if registry.dialect == "postgresql" else sqlite
    keys = ["patient_id", "criteria_set", "index_date"]
    with registry.write() as conn:
        for start in range(0, len(rows), _CHUNK):
            stmt = dialect.insert(table)
            update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
            conn.execute(
                stmt.on_conflict_do_update(index_elements=keys, set_=update),
                rows[start : start + _CHUNK],
            )
    return len(rows)


def read_classification_results(
    registry: Registry, *, patient_id: str | None = None, index_date: dt.date | None = None
) -> list[StoredResult]:
    """Return stored results, optionally for one patient and/or one index date."""
    t = schema.classification_results
    query = sa.select(t).order_by(t.c.patient_id, t.c.criteria_set, t.c.index_date)
    if patient_id is not None:
        query = query.where(t.c.patient_id == patient_id)
    if index_date is not None:
        query = query.where(t.c.index_date == index_date)
    with registry.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [StoredResult(**{k: v for k, v in row.items() if k != "computed_at"}) for row in rows]
