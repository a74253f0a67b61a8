"""Registry rows read back as records: facts, notes, images and patients, and a worker's note reads.

The per-patient reads take an open connection, so that :class:`~calciscope.storage.Registry`
reads a patient's records on one connection; :func:`read_note_range` is for an extraction
worker in another process, which has the registry's URL but no :class:`Registry`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from multiprocessing.util import Finalize
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from calciscope.model import STORED, Fact, Image, Note, Patient
from calciscope.storage import schema

__all__ = [
    "NoteRow",
    "arrow_rows",
    "fact_from_row",
    "note_from_row",
    "read_facts",
    "read_images",
    "read_note_range",
    "read_notes",
    "read_patient",
]

_FACT_FIELDS = frozenset(Fact.model_fields)
_NOTE_FIELDS = frozenset(Note.model_fields)
_Key = tuple[tuple[str, ...], tuple[Any, ...], tuple[type, ...]]


def _key(row: Any, fields: frozenset[str]) -> _Key | None:
    """Return the names of ``fields`` in ``row``, their values and types; None if unhashable."""
    names = tuple(k for k in row if k in fields)
    values = tuple(row[k] for k in names)
    key = (names, values, tuple(map(type, values)))  # 1, 1.0 and True hash alike: types tell
    try:
        hash(key)
    except TypeError:
        return None
    return key


# A record is built (and validated) from a stored row once: the same row values give the same
# record, which is immutable, so it is shared. The web app reads the same facts and notes for
# every page of the queue and every patient page; validating them each time was most of the cost.
@lru_cache(maxsize=16_384)
def _fact_of(key: _Key) -> Fact:
    return Fact.model_validate(dict(zip(key[0], key[1], strict=True)), context=STORED)


@lru_cache(maxsize=4096)
def _note_of(key: _Key) -> Note:
    return Note.model_validate(dict(zip(key[0], key[1], strict=True)), context=STORED)


def fact_from_row(row: Any) -> Fact:
    """Return the :class:`~calciscope.model.Fact` of a ``facts`` row (storage columns dropped).

    Built once per distinct row (kept: the last 16,384); an identical row gives the same
    immutable record.
    """
    key = _key(row, _FACT_FIELDS)
    if key is None:
        fields = {k: v for k, v in row.items() if k in _FACT_FIELDS}
        return Fact.model_validate(fields, context=STORED)
    return _fact_of(key)


def note_from_row(row: Any) -> Note:
    """Return the :class:`~calciscope.model.Note` of a ``notes`` row (kept like facts)."""
    key = _key(row, _NOTE_FIELDS)
    return Note.model_validate(dict(row), context=STORED) if key is None else _note_of(key)


#: A note as an extraction worker reads it: id, patient, type, date and text.
NoteRow = tuple[str, str, str, dt.date | None, str]
#: An extraction worker's database engines, by URL (one per process, reused for every batch).
_WORKER_ENGINES: dict[str, Engine] = {}


def read_patient(conn: Connection, patient_id: str) -> Patient | None:
    """Return one patient, or None."""
    query = sa.select(schema.patients).where(schema.patients.c.patient_id == patient_id)
    row = conn.execute(query).mappings().first()
    return Patient.model_validate(dict(row), context=STORED) if row else None


def read_facts(
    conn: Connection, patient_id: str, *, include_superseded: bool = False
) -> list[Fact]:
    """Return a patient's facts by date (undated first), less superseded ones unless asked."""
    t = schema.facts
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.effective_date, t.c.code)
    if not include_superseded:
        q = q.where(t.c.superseded_by.is_(None))
    return [fact_from_row(row) for row in conn.execute(q).mappings().all()]


def read_notes(conn: Connection, patient_id: str) -> list[Note]:
    """Return a patient's notes ordered by date."""
    t = schema.notes
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.note_date, t.c.note_id)
    return [note_from_row(row) for row in conn.execute(q).mappings()]


def read_images(conn: Connection, patient_id: str) -> list[Image]:
    """Return a patient's images ordered by date."""
    t = schema.images
    q = sa.select(t).where(t.c.patient_id == patient_id).order_by(t.c.image_date, t.c.image_id)
    return [Image(**row) for row in conn.execute(q).mappings()]


def read_note_range(url: str, first: str, last: str, since: dt.date | None) -> list[NoteRow]:
    """Read the notes with ids from ``first`` to ``last`` (and dated from ``since``), in id order.

    For an extraction worker in another process, given the registry's URL
    (:meth:`Registry.note_ids` cut into ranges). Its engine keeps no connection open between
    batches on SQLite (an idle connection of another process can keep the WAL from being
    checkpointed) and is disposed of when the worker exits.
    """
    engine = _WORKER_ENGINES.get(url)
    if engine is None:
        engine = _WORKER_ENGINES[url] = _worker_engine(url)
    t = schema.notes
    query = (
        sa.select(t.c.note_id, t.c.patient_id, t.c.note_type, t.c.note_date, t.c.text)
        .where(t.c.note_id >= first, t.c.note_id <= last)
        .order_by(t.c.note_id)
    )
    if since is not None:
        query = query.where(t.c.note_date >= since)
    with engine.connect() as conn:
        return [(row[0], row[1], row[2], row[3], row[4]) for row in conn.execute(query)]


def _worker_engine(url: str) -> Engine:
    """Return a worker's engine for the registry at ``url``, disposed of at the worker's exit."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    else:
        engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    # run by multiprocessing when a worker process ends (atexit handlers are not)
    Finalize(None, engine.dispose, exitpriority=10)
    return engine


def arrow_rows(conn: Connection, table: sa.Table, patient_ids: Sequence[str]) -> pa.Table:
    """Return the rows of ``table`` about the given patients, as Arrow in the table's layout."""
    column = table.c.patient_id
    where = column == patient_ids[0] if len(patient_ids) == 1 else column.in_(list(patient_ids))
    rows = [dict(row) for row in conn.execute(sa.select(table).where(where)).mappings()]
    return pa.Table.from_pylist(rows, schema=schema.arrow_schema(table.name))
