"""Where an import keeps its patients' states: a temporary table of the import's connection.

:class:`~calciscope.storage.integrity.PatientReconciler` checks each chunk of an import's
patients against the states of the chunks before (:class:`~calciscope.storage.integrity.PatientStates`);
an SQL registry keeps them here rather than in memory, so an import of a million patients
checks them in bounded memory. (A Spark registry has no temporary tables and keeps them in
memory: :class:`~calciscope.storage.integrity.MemoryPatientStates`.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from calciscope.storage.bulk_sql import copy_upsert, one_of
from calciscope.storage.integrity import PatientState

__all__ = ["TablePatientStates"]

_CHUNK = 5000


class _Import(Protocol):
    """What the states read of the import: its connection (inside its transaction) and dialect."""

    @property
    def conn(self) -> Connection | None: ...

    @property
    def dialect(self) -> str: ...


#: The import's patient states (:class:`~calciscope.storage.integrity.PatientState`), kept in a
#: temporary table of the import's connection rather than in memory: one row per patient.
_STATES = sa.Table(
    "calciscope_import_patients",
    sa.MetaData(),
    sa.Column("patient_id", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("new_in_registry", sa.Boolean, nullable=False),
    sa.Column("new_source_id", sa.Text),
    prefixes=["TEMPORARY"],
)


class TablePatientStates:
    """:class:`~calciscope.storage.integrity.PatientStates` in a temporary table of the import.

    Made on the first chunk of patients, inside the import's transaction, and dropped before it
    commits (a rollback drops it too); only one chunk's states are in memory at a time, so an
    import of a million patients checks them in bounded memory.
    """

    def __init__(self, writer: _Import) -> None:
        self.writer = writer
        self.made = False

    @property
    def conn(self) -> Connection:
        """The import's connection, inside its transaction."""
        assert self.writer.conn is not None
        return self.writer.conn

    def get(self, ids: set[str]) -> dict[str, PatientState]:
        """Return the stored states of those of ``ids`` seen earlier in the import."""
        if not self.made:
            return {}
        found: dict[str, PatientState] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), _CHUNK):
            q = sa.select(_STATES.c.patient_id, _STATES.c.state).where(
                one_of(_STATES.c.patient_id, wanted[start : start + _CHUNK], self.writer.dialect)
            )
            found.update((pid, PatientState.from_json(text)) for pid, text in self.conn.execute(q))
        return found

    def put(self, states: Mapping[str, PatientState]) -> None:
        """Insert or replace states (making the table on the first call)."""
        if not states:
            return
        if not self.made:
            _STATES.drop(self.conn, checkfirst=True)
            _STATES.create(self.conn)
            self.made = True
        rows = [
            {
                "patient_id": pid,
                "state": state.to_json(),
                "new_in_registry": state.before is None,
                "new_source_id": state.new_source_id,
            }
            for pid, state in states.items()
        ]
        if self.writer.dialect == "postgresql":  # COPY and one upsert (bulk_sql)
            copy_upsert(self.conn, _STATES, rows, "patient_id", update=True)
            return
        for start in range(0, len(rows), _CHUNK):
            stmt = sqlite.insert(_STATES)
            update = {
                c.name: stmt.excluded[c.name] for c in _STATES.columns if c.name != "patient_id"
            }
            stmt = stmt.on_conflict_do_update(index_elements=["patient_id"], set_=update)
            self.conn.execute(stmt, rows[start : start + _CHUNK])

    def new_source_ids(self) -> Iterator[tuple[str, str]]:
        """Yield (patient id, source id) of every patient whose source id is new, by patient id."""
        if not self.made:
            return
        last = ""
        while True:
            q = (
                sa.select(_STATES.c.patient_id, _STATES.c.new_source_id)
                .where(_STATES.c.new_source_id.is_not(None), _STATES.c.patient_id > last)
                .order_by(_STATES.c.patient_id)
                .limit(_CHUNK)
            )
            page = [(pid, raw) for pid, raw in self.conn.execute(q)]
            if not page:
                return
            yield from page
            last = page[-1][0]

    def new_in_registry(self, ids: set[str]) -> set[str]:
        """Return which of ``ids`` the import adds to the registry."""
        if not self.made:
            return set()
        found: set[str] = set()
        wanted = sorted(ids)
        for start in range(0, len(wanted), _CHUNK):
            q = sa.select(_STATES.c.patient_id).where(
                one_of(_STATES.c.patient_id, wanted[start : start + _CHUNK], self.writer.dialect),
                _STATES.c.new_in_registry,
            )
            found.update(self.conn.scalars(q))
        return found

    def drop(self) -> None:
        """Drop the table (before the import commits)."""
        if self.made:
            _STATES.drop(self.conn)
            self.made = False
