"""A re-import of a source record supersedes the version an earlier import stored of it.

A fact's id is the hash of its content, so when a reader changes what it makes of a record (the
FHIR reader since hardening35: a CK ``valueBoolean false`` is ``unknown``, no longer ``absent``)
or the source corrects a value, the re-imported fact gets a new id and used to be stored *beside*
the old one, both current. Every importer writes through
:class:`~calciscope.storage.batch.BatchWriter`, which calls :func:`supersede_reimported` when its
import ends, so this holds for FHIR, REDCap, OMOP, phenopackets and calciscope's own CSV alike.

*The same source record* is the fact's **record slot** (:data:`SLOT_COLUMNS`): the same patient,
code system and code, date, body site and laterality, source kind and the same provenance (which
every reader writes as the record's place: ``b.json#/entry/3 (Observation/ck1)``,
``export.csv row 4 redcap_event_name=... field ck``, ``omop:measurement/17``). A fact with no
provenance has no slot. calciscope's own decision (hardening36):

- an older fact is superseded only when its slot holds exactly one current fact of earlier
  imports and exactly one fact of this import, and this import did not also restate a statement
  the registry held for that slot (then the source says two things of one record: both stay);
- only a fact no person has decided on is superseded: version 1 (never confirmed, rejected or
  corrected by a reviewer) and not ``rejected``. A reviewed fact is never overwritten; the new
  fact is stored beside it and counted (``facts_beside_reviewed``) so a reviewer can decide;
- the old fact keeps its row: ``superseded_by`` names the new fact and its version moves on; the
  new fact gets a ``fact_revisions`` row (action ``reimported``, author ``import``, the reason
  naming the batch and what changed) and the audit log an entry ``fact.reimport``, so the fact's
  history (``calciscope facts history``) shows both versions.

Limits: a record that moved (read from another path, another row of a REDCap export, another
entry of a bundle) has another provenance and is not recognised as the same record; its old fact
stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.storage import schema

__all__ = ["AUTHOR", "SLOT_COLUMNS", "record_slot", "supersede_reimported"]

#: The fact columns whose values together name the source record a fact was read from.
SLOT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "system",
    "code",
    "effective_date",
    "body_site",
    "laterality",
    "source_kind",
    "provenance",
)
#: The author of the revision rows a re-import writes (the ``fact_revisions.author`` column).
AUTHOR = "import"
#: The fields shown in a revision's reason when they changed.
_SHOWN = ("status", "value_num", "value_text", "unit", "reference_high", "morphology", "method")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "value", value)  # an Enum member by its value


def record_slot(row: Mapping[str, Any]) -> int | None:
    """Return a hash of a fact row's record slot, or None when it has no provenance.

    Compared only within one import (Python's string hash changes between processes).
    """
    if not row.get("provenance"):
        return None
    return hash(tuple(_plain(row.get(name)) for name in SLOT_COLUMNS))


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    changed = [
        f"{name} {_plain(old[name])!r} -> {_plain(new[name])!r}"
        for name in _SHOWN
        if old[name] != new[name]
    ]
    return ", ".join(changed) or "other fields"


def supersede_reimported(
    conn: Connection, batch_id: str, source: str, restated: set[int]
) -> dict[str, int]:
    """Supersede the facts of earlier imports that this import's facts re-import (see module).

    ``restated`` holds the :func:`record_slot` of every row this import brought whose statement
    the registry already held (left out of the import): such a slot is not superseded. Returns
    the counts for the import summary: ``facts_superseded_by_reimport`` and
    ``facts_beside_reviewed`` (when not zero).
    """
    t = schema.facts
    new, old = t.alias("new"), t.alias("old")
    same = [
        old.c[name] == new.c[name]
        if name in ("patient_id", "system", "code", "source_kind", "provenance")
        else old.c[name].is_not_distinct_from(new.c[name])
        for name in SLOT_COLUMNS
    ]
    shown = [c for c in _SHOWN]
    query = (
        sa.select(
            new.c.fact_id.label("new_id"),
            old.c.fact_id.label("old_id"),
            old.c.version,
            old.c.review_state,
            *(new.c[name].label(f"new_{name}") for name in (*SLOT_COLUMNS, *shown)),
            *(old.c[name].label(f"old_{name}") for name in shown),
        )
        .select_from(new.join(old, sa.and_(*same)))
        .where(
            new.c.batch_id == batch_id,
            new.c.provenance.is_not(None),
            new.c.superseded_by.is_(None),
            old.c.batch_id.is_not(None),
            old.c.batch_id != batch_id,
            old.c.superseded_by.is_(None),
            old.c.fact_id != new.c.fact_id,
        )
    )
    rows = conn.execute(query).mappings().all()
    per_new: dict[str, int] = {}
    per_old: dict[str, int] = {}
    for row in rows:
        per_new[row["new_id"]] = per_new.get(row["new_id"], 0) + 1
        per_old[row["old_id"]] = per_old.get(row["old_id"], 0) + 1
    superseded = beside = 0
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        slot = record_slot({name: row[f"new_{name}"] for name in SLOT_COLUMNS})
        if per_new[row["new_id"]] != 1 or per_old[row["old_id"]] != 1 or slot in restated:
            continue
        if row["version"] != 1 or row["review_state"] == "rejected":
            beside += 1  # a person decided on the old fact: never overwritten
            continue
        done = conn.execute(
            t.update()
            .where(t.c.fact_id == row["old_id"], t.c.version == 1, t.c.superseded_by.is_(None))
            .values(superseded_by=row["new_id"], version=t.c.version + 1)
        )
        if not done.rowcount:
            continue
        old_values = {name: row[f"old_{name}"] for name in shown}
        new_values = {name: row[f"new_{name}"] for name in shown}
        reason = (
            f"re-import of the same source record ({row['new_provenance']}) from {source} "
            f"(batch {batch_id}): {_changes(old_values, new_values)}"
        )
        conn.execute(
            schema.fact_revisions.insert().values(
                fact_id=row["new_id"],
                supersedes=row["old_id"],
                action="reimported",
                author=AUTHOR,
                at=now,
                reason=reason,
            )
        )
        conn.execute(
            schema.audit_log.insert().values(
                at=now,
                actor=AUTHOR,
                action="fact.reimport",
                target=f"fact:{row['old_id']}"[:256],
                before={k: _plain(v) for k, v in old_values.items()} | {"version": 1},
                after={k: _plain(v) for k, v in new_values.items()}
                | {"fact_id": row["new_id"], "supersedes": row["old_id"]},
                detail=reason,
            )
        )
        superseded += 1
    counts = {}
    if superseded:
        counts["facts_superseded_by_reimport"] = superseded
    if beside:
        counts["facts_beside_reviewed"] = beside
    return counts
