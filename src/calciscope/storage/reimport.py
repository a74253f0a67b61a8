"""A re-import of a source record supersedes the version an earlier import stored of it.

A fact's id is the hash of its content, so when a reader changes what it makes of a record (the
FHIR reader since hardening35: a CK ``valueBoolean false`` is ``unknown``, no longer ``absent``)
or the source corrects a value, the re-imported fact gets a new id and used to be stored *beside*
the old one, both current. Every importer writes through
:class:`~calciscope.storage.batch_writer.BatchWriter`, which calls :func:`supersede_reimported` when its
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

fix42 (review 42): only *current* facts count as held, so a source that reverts to an earlier
value (900 -> 90 -> 900) makes the earlier fact current again (a new version: ``superseded_by``
cleared, version + 1) superseding the later one, with a revision and an audit entry; only a
fact a re-import superseded is revived, never one a person's correction replaced. When the
record's new value is held by another source's current fact, that fact supersedes the record's
old one. A new value beside a person's fact (a correction: no batch) counts as
``facts_beside_reviewed``. The facts are matched patient by patient on the patient index, so
the work is linear in the import.

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
from calciscope.storage.bulk_sql import one_of
from calciscope.storage.integrity import statement_key

__all__ = ["AUTHOR", "CHUNK", "SLOT_COLUMNS", "Stated", "record_slot", "supersede_reimported"]

#: How many patients' facts are matched at a time.
CHUNK = 500
#: What an import stated of a record slot without writing a new row: ``(patient_id, kind,
#: what)``; kind ``held`` (a current fact already says it; what: its dated statement key) or
#: ``revive`` (its row is stored but superseded; what: the fact id).
Stated = dict[int, list[tuple[str, str, Any]]]

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
    conn: Connection, batch_id: str, source: str, stated: Stated, dialect: str
) -> dict[str, int]:
    """Supersede the facts of earlier imports that this import's facts re-import (see module).

    ``stated`` holds, per :func:`record_slot`, the rows this import brought that it did not
    write as new rows (:data:`Stated`). Matched patient by patient (``CHUNK`` at a time, on the
    patient index): linear in the import's facts. Returns the counts for the import summary:
    ``facts_superseded_by_reimport`` and ``facts_beside_reviewed`` (when not zero).
    """
    t = schema.facts
    patients = {entry[0] for entries in stated.values() for entry in entries}
    q = sa.select(t.c.patient_id).where(t.c.batch_id == batch_id).distinct()
    patients.update(pid for (pid,) in conn.execute(q))
    run = _Run(conn, batch_id, source)
    wanted = sorted(patients)
    for begin in range(0, len(wanted), CHUNK):
        run.chunk(wanted[begin : begin + CHUNK], stated, dialect)
    counts = {}
    if run.superseded:
        counts["facts_superseded_by_reimport"] = run.superseded
    if run.beside:
        counts["facts_beside_reviewed"] = run.beside
    return counts


class _Run:
    """One import's matching of its record slots with the registry's facts."""

    def __init__(self, conn: Connection, batch_id: str, source: str) -> None:
        self.conn, self.batch_id, self.source = conn, batch_id, source
        self.now = dt.datetime.now(dt.UTC)
        self.superseded = self.beside = 0
        self.by_id: dict[str, dict[str, Any]] = {}
        self.current: list[dict[str, Any]] = []
        self.holders: dict[Any, str] | None = None
        self.updates: list[dict[str, Any]] = []
        self.revisions: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []

    def chunk(self, ids: list[str], stated: Stated, dialect: str) -> None:
        """Match the record slots of the patients ``ids`` (one query on the patient index)."""
        t = schema.facts
        q = sa.select(t).where(one_of(t.c.patient_id, ids, dialect))
        rows = [dict(r) for r in self.conn.execute(q).mappings()]
        new: dict[int, list[dict[str, Any]]] = {}
        old: dict[int, list[dict[str, Any]]] = {}
        self.by_id = {r["fact_id"]: r for r in rows}
        self.current = [r for r in rows if r["superseded_by"] is None]
        self.holders = None
        for row in self.current:
            slot = record_slot(row)
            if slot is not None:
                mine = row["batch_id"] == self.batch_id
                (new if mine else old).setdefault(slot, []).append(row)
        for slot in set(new) | {slot for slot in old if slot in stated}:
            olds, entries = old.get(slot, []), stated.get(slot, [])
            if len(olds) != 1 or len(new.get(slot, [])) + len(entries) != 1:
                continue  # the source says two things of one record, or nothing to replace
            if slot in new:
                self.replace(olds[0], new[slot][0], revived=False)
            else:
                self._stated_again(olds[0], entries[0][1], entries[0][2])
        self.flush()

    def _stated_again(self, was: dict[str, Any], kind: str, what: Any) -> None:
        """Match a slot this import stated without a new row: an earlier value, or one held."""
        if kind == "revive":
            back = self.by_id.get(what)
            # only a value a re-import superseded: a person's correction is never undone
            if back is not None and back["superseded_by"] and self._reimported(what):
                self.replace(was, back, revived=True)
            return
        if (*statement_key(was), was["effective_date"]) == what:
            return  # the record's fact says it still (a re-import of the same value)
        if self.holders is None:  # the current confirmed fact that says each statement
            self.holders = {}
            for row in self.current:
                if row["review_state"] == "confirmed":
                    key = (*statement_key(row), row["effective_date"])
                    self.holders.setdefault(key, row["fact_id"])
        holder = self.holders.get(what)
        if holder is not None and holder != was["fact_id"]:
            self.replace(was, self.by_id[holder], revived=False)

    def _reimported(self, fact_id: str) -> bool:
        """Whether ``fact_id`` was superseded by a re-import (not by a person)."""
        r = schema.fact_revisions
        q = sa.select(r.c.fact_id).where(r.c.supersedes == fact_id, r.c.action == "reimported")
        return self.conn.execute(q.limit(1)).first() is not None

    def replace(self, was: dict[str, Any], now: dict[str, Any], *, revived: bool) -> None:
        """Let ``now`` supersede ``was`` (a fact no person decided on), with its history."""
        reviewed = was["version"] != 1 or was["review_state"] == "rejected"
        if reviewed or was["batch_id"] is None:
            self.beside += 1  # a person decided on (or wrote) the old fact: never overwritten
            if revived:  # the source states the earlier value again: current beside it
                self._revive(now, None)
            return
        # read in this transaction at version 1 and current: written by executemany (flush)
        self.updates.append({"old_id": was["fact_id"], "new_id": now["fact_id"]})
        if revived:
            self._revive(now, was["fact_id"])
        old_values = {name: was[name] for name in _SHOWN}
        new_values = {name: now[name] for name in _SHOWN}
        reason = (
            f"re-import of the same source record ({was['provenance']}) from {self.source} "
            f"(batch {self.batch_id}): {_changes(old_values, new_values)}"
        )
        if revived:
            reason += " (the source states an earlier value of the record again)"
        elif now["provenance"] != was["provenance"]:
            reason += f" (the value {now['provenance']} already stated)"
        self.revisions.append(
            {
                "fact_id": now["fact_id"],
                "supersedes": was["fact_id"],
                "action": "reimported",
                "author": AUTHOR,
                "at": self.now,
                "reason": reason,
            }
        )
        self.audits.append(
            {
                "at": self.now,
                "actor": AUTHOR,
                "action": "fact.reimport",
                "target": f"fact:{was['fact_id']}"[:256],
                "before": {k: _plain(v) for k, v in old_values.items()} | {"version": 1},
                "after": {k: _plain(v) for k, v in new_values.items()}
                | {"fact_id": now["fact_id"], "supersedes": was["fact_id"]},
                "detail": reason,
            }
        )
        self.superseded += 1

    def flush(self) -> None:
        """Write the chunk's supersessions, revisions and audit rows (one executemany each)."""
        t = schema.facts
        if self.updates:
            self.conn.execute(
                t.update()
                .where(
                    t.c.fact_id == sa.bindparam("old_id"),
                    t.c.version == 1,
                    t.c.superseded_by.is_(None),
                )
                .values(superseded_by=sa.bindparam("new_id"), version=t.c.version + 1),
                self.updates,
            )
        if self.revisions:
            self.conn.execute(schema.fact_revisions.insert(), self.revisions)
        if self.audits:
            self.conn.execute(schema.audit_log.insert(), self.audits)
        self.updates, self.revisions, self.audits = [], [], []

    def _revive(self, row: dict[str, Any], supersedes: str | None) -> None:
        """Make a superseded fact current again: a new version of it (the source reverted)."""
        t = schema.facts
        self.conn.execute(
            t.update()
            .where(t.c.fact_id == row["fact_id"], t.c.superseded_by.is_not(None))
            .values(superseded_by=None, version=t.c.version + 1)
        )
        if supersedes is None:
            self.conn.execute(
                schema.audit_log.insert().values(
                    at=self.now,
                    actor=AUTHOR,
                    action="fact.reimport",
                    target=f"fact:{row['fact_id']}"[:256],
                    before={"superseded_by": row["superseded_by"]},
                    after={"superseded_by": None},
                    detail=f"stated again by {self.source} (batch {self.batch_id}) beside a "
                    "fact a person decided on",
                )
            )
