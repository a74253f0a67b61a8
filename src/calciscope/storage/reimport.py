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

imports37: the matching reads and writes through a :class:`FactStore`: :class:`SqlFacts` (the
import's connection) on SQLite, DuckDB and PostgreSQL, the import's staging on a Spark registry
(:mod:`calciscope.storage.spark_import`), so a Spark re-import supersedes as the others do.

A record that moved (imports37: read from another folder, another row of a REDCap export,
another entry of a bundle, another OMOP row id) has another provenance: when its new fact's
slot matches nothing, :meth:`_Run._moved` compares it on :func:`moved_slot` (the place without
folder, positions, row numbers and OMOP ids) and supersedes the one old fact there, only with
one on each side and never across patients.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from calciscope.storage import schema
from calciscope.storage.bulk_sql import one_of
from calciscope.storage.integrity import statement_key

__all__ = [
    "AUTHOR",
    "CHUNK",
    "SLOT_COLUMNS",
    "FactStore",
    "SqlFacts",
    "Stated",
    "moved_place",
    "moved_slot",
    "names_its_record",
    "record_slot",
    "supersede_reimported",
]

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
_SHOWN = (
    "status",
    "value_num",
    "value_text",
    "unit",
    "unit_code",
    "reference_high",
    "morphology",
    "method",
)


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


_OMOP_ROW = re.compile(r"^(omop:\w+)/\d+")
_ROW_NUMBER = re.compile(r"\brow \d+\b")
_FOLDER = re.compile(r"^[^\s#]*[/\\](?=[^/\\\s#]+)")
_POINTER_INDEX = re.compile(r"/\d+(?=/|$)")


def moved_place(provenance: str) -> str:
    """Return a provenance without what changes when its record moves (imports37).

    The file's folder (``exports/2026-01/b.json`` -> ``b.json``), the array positions of a JSON
    pointer (``#/entry/3`` -> ``#/entry/*``), a row number (``row 4`` -> ``row *``) and an OMOP
    row id (``omop:measurement/17`` -> ``omop:measurement/*``, ids an ETL numbers anew). What
    names the record stays: the file's name, a FHIR resource's type and id, a REDCap event,
    instance and field.
    """
    omop = _OMOP_ROW.match(provenance)
    if omop:
        return f"{omop.group(1)}/*{provenance[omop.end() :]}"
    text = _ROW_NUMBER.sub("row *", _FOLDER.sub("", provenance, count=1))
    file, hash_, rest = text.partition("#")
    if not hash_:
        return text
    pointer, space, tail = rest.partition(" ")
    return f"{file}#{_POINTER_INDEX.sub('/*', pointer)}{space}{tail}"


_NAMED = re.compile(r"\([A-Za-z]+/[^)\s]+\)|\bfield \S")


def names_its_record(provenance: str) -> bool:
    """Return whether a place names its record beyond its position (fix45).

    A FHIR resource (``(Observation/ck1)``) or a REDCap field (``field ck``, with the event and
    repeat instance beside it) names the record; a CSV row number, an OMOP row id or a JSON
    array position alone do not: two records of one day that differ only there (two CK values
    measured the same day, a later extract holding only the new one) are two records.
    """
    return _NAMED.search(provenance) is not None


def moved_slot(row: Mapping[str, Any]) -> int | None:
    """Return a hash of a fact's record slot with its place as :func:`moved_place` gives it."""
    if not row.get("provenance"):
        return None
    values = [_plain(row.get(name)) for name in SLOT_COLUMNS[:-1]]
    return hash((*values, moved_place(str(row["provenance"]))))


def _same_record_place(was: str, now: str) -> bool:
    """Return whether two places can name one record (fix45).

    They can when both name it beyond its position, or when only the folder differs: a row
    number, an OMOP row id or an array position alone is the record's only name.
    """
    if names_its_record(was) and names_its_record(now):
        return True
    if _OMOP_ROW.match(was) or _OMOP_ROW.match(now):
        return False  # an OMOP row id is the record's only name
    return _FOLDER.sub("", was, count=1) == _FOLDER.sub("", now, count=1)


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    changed = [
        f"{name} {_plain(old[name])!r} -> {_plain(new[name])!r}"
        for name in _SHOWN
        if old[name] != new[name]
    ]
    return ", ".join(changed) or "other fields"


class FactStore(Protocol):
    """Where :func:`supersede_reimported` reads and writes a registry's facts.

    :class:`SqlFacts` on SQLite, DuckDB and PostgreSQL (the import's transaction); a Spark
    registry stages the changed rows of its import (:mod:`calciscope.storage.spark_import`). The
    matching (:class:`_Run`) is the same for every registry.
    """

    def stored_patients(self, batch_id: str) -> set[str]:
        """Return the patients this import wrote facts of."""

    def rows(self, patient_ids: list[str]) -> list[dict[str, Any]]:
        """Return every fact row of the patients (this import's new rows too)."""

    def reimported(self, fact_id: str) -> bool:
        """Return whether ``fact_id`` was superseded by a re-import (not by a person)."""

    def supersede(self, pairs: list[tuple[dict[str, Any], str]]) -> None:
        """Let each ``(row, new_id)``'s fact, current at version 1, be superseded by ``new_id``."""

    def revive(self, row: dict[str, Any]) -> None:
        """Make a superseded fact current again (``superseded_by`` cleared, version + 1)."""

    def add(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows into ``fact_revisions`` or ``audit_log``."""


class SqlFacts:
    """The :class:`FactStore` of an SQL registry: the import's connection."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self.conn, self.dialect = conn, dialect

    def stored_patients(self, batch_id: str) -> set[str]:
        """Return the patients this import wrote facts of."""
        t = schema.facts
        q = sa.select(t.c.patient_id).where(t.c.batch_id == batch_id).distinct()
        return {pid for (pid,) in self.conn.execute(q)}

    def rows(self, patient_ids: list[str]) -> list[dict[str, Any]]:
        """Return every fact row of the patients (this import's too), one query on the index."""
        t = schema.facts
        q = sa.select(t).where(one_of(t.c.patient_id, patient_ids, self.dialect))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def reimported(self, fact_id: str) -> bool:
        """Return whether a re-import superseded ``fact_id`` (a ``reimported`` revision)."""
        r = schema.fact_revisions
        q = sa.select(r.c.fact_id).where(r.c.supersedes == fact_id, r.c.action == "reimported")
        return self.conn.execute(q.limit(1)).first() is not None

    def supersede(self, pairs: list[tuple[dict[str, Any], str]]) -> None:
        """One executemany; only facts still current at version 1 change."""
        # read in this transaction at version 1 and current: written by one executemany
        t = schema.facts
        self.conn.execute(
            t.update()
            .where(
                t.c.fact_id == sa.bindparam("old_id"),
                t.c.version == 1,
                t.c.superseded_by.is_(None),
            )
            .values(superseded_by=sa.bindparam("new_id"), version=t.c.version + 1),
            [{"old_id": row["fact_id"], "new_id": new_id} for row, new_id in pairs],
        )

    def revive(self, row: dict[str, Any]) -> None:
        """Clear ``superseded_by``, version + 1."""
        t = schema.facts
        self.conn.execute(
            t.update()
            .where(t.c.fact_id == row["fact_id"], t.c.superseded_by.is_not(None))
            .values(superseded_by=None, version=t.c.version + 1)
        )

    def add(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows (one executemany)."""
        self.conn.execute(table.insert(), rows)


def supersede_reimported(
    store: FactStore, batch_id: str, source: str, stated: Stated
) -> dict[str, int]:
    """Supersede the facts of earlier imports that this import's facts re-import (see module).

    ``stated`` holds, per :func:`record_slot`, the rows this import brought that it did not
    write as new rows (:data:`Stated`). Matched patient by patient (``CHUNK`` at a time, on the
    patient index): linear in the import's facts. Returns the counts for the import summary:
    ``facts_superseded_by_reimport`` and ``facts_beside_reviewed`` (when not zero).
    """
    patients = {entry[0] for entries in stated.values() for entry in entries}
    patients.update(store.stored_patients(batch_id))
    run = _Run(store, batch_id, source)
    wanted = sorted(patients)
    for begin in range(0, len(wanted), CHUNK):
        run.chunk(wanted[begin : begin + CHUNK], stated)
    counts = {}
    if run.superseded:
        counts["facts_superseded_by_reimport"] = run.superseded
    if run.beside:
        counts["facts_beside_reviewed"] = run.beside
    if run.moved:
        counts["facts_of_moved_records"] = run.moved
    return counts


class _Run:
    """One import's matching of its record slots with the registry's facts."""

    def __init__(self, store: FactStore, batch_id: str, source: str) -> None:
        self.store, self.batch_id, self.source = store, batch_id, source
        self.now = dt.datetime.now(dt.UTC)
        self.superseded = self.beside = self.moved = 0
        self.by_id: dict[str, dict[str, Any]] = {}
        self.current: list[dict[str, Any]] = []
        self.holders: dict[Any, str] | None = None
        self.updates: list[tuple[dict[str, Any], str]] = []
        self.revisions: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []

    def chunk(self, ids: list[str], stated: Stated) -> None:
        """Match the record slots of the patients ``ids`` (one query on the patient index)."""
        rows = self.store.rows(ids)
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
        self._moved(old, new, stated)
        self.flush()

    def _moved(
        self,
        old: dict[int, list[dict[str, Any]]],
        new: dict[int, list[dict[str, Any]]],
        stated: Stated,
    ) -> None:
        """Match the records that moved (imports37): same :func:`moved_slot`, other place.

        Only a new row whose record slot holds nothing of earlier imports and nothing else of
        this import, and an old fact whose slot this import neither wrote nor stated; and only
        when its moved slot holds exactly one such fact on each side (any other current fact
        of earlier imports, or any other row of this import, with that moved slot: both stay).
        """
        alone_new = [rows[0] for slot, rows in new.items() if len(rows) == 1 and slot not in old]
        if not alone_new:
            return
        sides: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for side, slots in enumerate((old, new)):
            for row in (row for rows in slots.values() for row in rows):
                key = moved_slot(row)
                if key is not None:
                    sides.setdefault(key, ([], []))[side].append(row)
        eligible_new = {row["fact_id"] for row in alone_new if record_slot(row) not in stated}
        for olds, news in sides.values():
            if len(olds) != 1 or len(news) != 1 or news[0]["fact_id"] not in eligible_new:
                continue
            was_slot = record_slot(olds[0])
            if was_slot is None or was_slot in new or was_slot in stated or len(old[was_slot]) != 1:
                continue  # the record is still where it was: not moved
            if not _same_record_place(olds[0]["provenance"], news[0]["provenance"]):
                continue  # only the position names it, and the position changed (fix45)
            self.replace(olds[0], news[0], revived=False, moved=True)

    def _stated_again(self, was: dict[str, Any], kind: str, what: Any) -> None:
        """Match a slot this import stated without a new row: an earlier value, or one held."""
        if kind == "revive":
            back = self.by_id.get(what)
            # only a value a re-import superseded: a person's correction is never undone
            if back is not None and back["superseded_by"] and self.store.reimported(what):
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

    def replace(
        self, was: dict[str, Any], now: dict[str, Any], *, revived: bool, moved: bool = False
    ) -> None:
        """Let ``now`` supersede ``was`` (a fact no person decided on), with its history."""
        reviewed = was["version"] != 1 or was["review_state"] == "rejected"
        if reviewed or was["batch_id"] is None:
            self.beside += 1  # a person decided on (or wrote) the old fact: never overwritten
            if revived:  # the source states the earlier value again: current beside it
                self._revive(now, None)
            return
        self.updates.append((was, now["fact_id"]))
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
        elif moved:
            reason += f" (the record moved to {now['provenance']})"
            self.moved += 1
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
        if self.updates:
            self.store.supersede(self.updates)
        if self.revisions:
            self.store.add(schema.fact_revisions, self.revisions)
        if self.audits:
            self.store.add(schema.audit_log, self.audits)
        self.updates, self.revisions, self.audits = [], [], []

    def _revive(self, row: dict[str, Any], supersedes: str | None) -> None:
        """Make a superseded fact current again: a new version of it (the source reverted)."""
        self.store.revive(row)
        if supersedes is None:
            self.store.add(
                schema.audit_log,
                [
                    {
                        "at": self.now,
                        "actor": AUTHOR,
                        "action": "fact.reimport",
                        "target": f"fact:{row['fact_id']}"[:256],
                        "before": {"superseded_by": row["superseded_by"]},
                        "after": {"superseded_by": None},
                        "detail": f"stated again by {self.source} (batch {self.batch_id}) "
                        "beside a fact a person decided on",
                    }
                ],
            )
