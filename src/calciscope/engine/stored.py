"""Stored criteria results, read instead of classifying again while they are current.

``api.classify_registry`` stores every patient's criteria results in ``classification_results``
with the index date, the definitions' version and the patient's data version
(:mod:`calciscope.storage.classification`). A study at the same index date reads them instead
of compiling and running every criteria set again, but only when every patient of the registry
has a stored result of every set, every one from the same definitions, and every patient's data
version still matches their rows now. Anything else (a fact added, corrected or reviewed since,
a patient added, another calciscope or criteria file, nothing stored) and the study classifies
as before: never a stale result, never a mix of stored and fresh ones.

On an SQLite or PostgreSQL registry the check is one number: every stored row must carry the
registry's generation now (``registry_state``, bumped by database triggers at every write to
patients, facts, notes, images and source ids: migration 0008), so a few aggregate queries
decide, whatever the registry's size. Elsewhere (a DuckDB file of the registry's tables, which
has no triggers) the check reads ``patients`` and ``facts`` through the study's own connection
and hashes every patient's rows: one pass over the facts. A Spark registry stores no data
version: never current.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlalchemy as sa
from ibis.common.exceptions import TableNotFound

from calciscope.criteria import CriteriaSet, load_criteria_sets
from calciscope.engine.criteria import output_columns
from calciscope.storage import schema
from calciscope.storage.classification import hash_rows

__all__ = ["StoredCriteria", "StoredResults", "registry_generation", "unchanged"]

#: patients whose facts are read at a time (an ``IN`` list: every engine, bounded memory)
_PATIENTS = 2_000


@dataclass(frozen=True)
class StoredCriteria:
    """Current stored criteria results of every patient at one index date."""

    #: ``patient_id`` and every set's result columns, held as raw values (see :meth:`table`)
    rows: pa.Table = field(repr=False)
    index_date: dt.date
    definitions_version: str
    #: when the oldest of them was computed
    computed_at: dt.datetime

    def table(self, types: ir.Schema) -> ir.Table:
        """Return the results as an Ibis table typed as ``types`` (the computed columns' types).

        An in-memory table: Ibis writes it into the study's database when the study's table is
        materialised, and drops it after.
        """
        columns = {
            name: self.rows[name].cast(types[name].to_pyarrow())
            if name in types
            else self.rows[name]
            for name in self.rows.column_names
        }
        return ibis.memtable(pa.table(columns))

    def describe(self) -> str:
        """Return what the study's classification is (the manifest and the methods say it)."""
        return (
            f"stored results from {self.computed_at:%Y-%m-%d}, "
            f"definitions {self.definitions_version[:12]}"
        )


@dataclass
class StoredResults:
    """The stored criteria results a study may read, looked up once per index date.

    Parameters
    ----------
    con
        The study's Ibis connection (the registry's tables, ``classification_results`` among them).
    definitions_version
        The version of the definitions the study would classify with now
        (``api.criteria`` computes it); stored results of any other version are never read.
    """

    con: Any
    definitions_version: str
    sets: Sequence[CriteriaSet] = field(default_factory=load_criteria_sets)

    def __post_init__(self) -> None:
        self._found: dict[dt.date, StoredCriteria | None] = {}

    def at(self, index_date: dt.date) -> StoredCriteria | None:
        """Return the current stored results at ``index_date``, or None (classify then)."""
        if index_date not in self._found:
            self._found[index_date] = self._current(index_date)
        return self._found[index_date]

    def _current(self, index_date: dt.date) -> StoredCriteria | None:
        try:
            stored = self.con.table("classification_results")
        except TableNotFound:
            return None
        ids = [s.id for s in self.sets]
        stored = stored.filter(stored.index_date == index_date, stored.criteria_set.isin(ids))
        generation = registry_generation(self.con)
        # cheap checks in the database first: a row per patient and set, all of them versioned
        # by the definitions the study would use (anything else: compute, without a pass)
        unlike = (stored.definitions_version != self.definitions_version).fill_null(True)
        if generation is not None:  # ... and computed at the registry's generation now
            unlike = unlike | (stored.generation != generation).fill_null(True)
        summary = stored.aggregate(
            rows=stored.count(),
            patients=stored.patient_id.nunique(),
            unlike=ibis.cases((unlike | stored.data_version.isnull(), 1), else_=0).sum(),
            computed_at=stored.computed_at.min(),
        ).execute()
        row = summary.iloc[0]
        everyone = int(self.con.table("patients").count().execute())
        rows = int(row["rows"])
        if not rows or rows != everyone * len(ids) or int(row["patients"]) != everyone:
            return None
        if int(row["unlike"]):
            return None
        if generation is None:  # no counter kept here: hash every patient's rows (one pass)
            versions = stored.select("patient_id", "data_version").distinct().to_pyarrow()
            columns = (versions[c].to_pylist() for c in versions.column_names)
            wanted = dict(zip(*columns, strict=True))
            if len(wanted) != everyone or not unchanged(self.con, wanted):
                return None  # (two versions of one patient fold into one key: a count short)
        # as text: Ibis reads a JSON column back as objects, and not on every engine
        read = stored.select("patient_id", "criteria_set", result=stored.result.cast("string"))
        frame = read.order_by("patient_id", "criteria_set").to_pyarrow()
        computed_at = _utc(row["computed_at"])
        return StoredCriteria(
            _pivot(frame, self.sets), index_date, self.definitions_version, computed_at
        )


#: Ibis backends whose registry database keeps ``registry_state`` with triggers (migration 0008)
_COUNTED = ("sqlite", "postgres")


def registry_generation(con: Any) -> int | None:
    """Return the registry's generation read through ``con``, or None where none is kept.

    Only an SQLite or PostgreSQL registry keeps one (database triggers bump it at every write:
    :meth:`~calciscope.storage.Registry.generation`); a DuckDB file of the registry's tables or
    a Spark warehouse has no triggers, so a ``registry_state`` copied into it would not follow
    later writes: None there.
    """
    if getattr(con, "name", None) not in _COUNTED:
        return None
    try:
        state = con.table("registry_state")
    except TableNotFound:
        return None
    value = state.filter(state.id == 1).generation.max().execute()
    return None if value is None else int(value)


def _utc(value: Any) -> dt.datetime:
    """Return a stored time as an aware UTC datetime (SQLite keeps it naive, in UTC)."""
    value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _pivot(frame: pa.Table, sets: Sequence[CriteriaSet]) -> pa.Table:
    """Return one row per patient with every set's result columns, from one row per set.

    The rows come ordered by patient and set; each stored ``result`` holds its set's result
    columns (and its explanation columns, which the study does not read).
    """
    by_set = {s.id: output_columns(s) for s in sets}
    columns: dict[str, list[Any]] = {"patient_id": []}
    columns |= {name: [] for names in by_set.values() for name in names}
    pids, sets_of, results = (
        frame[c].to_pylist() for c in ("patient_id", "criteria_set", "result")
    )
    for pid, group in itertools.groupby(
        zip(pids, sets_of, results, strict=True), key=lambda r: r[0]
    ):
        columns["patient_id"].append(pid)
        for _, cset, result in group:
            values = json.loads(result) if isinstance(result, str) else result
            for name in by_set[cset]:
                columns[name].append(values.get(name))
    return pa.table(columns)


def unchanged(con: Any, stored: dict[str, str]) -> bool:
    """Return whether every patient's data version is still the stored one (stops at the first not).

    Read through the Ibis connection ``con`` (any engine holding the registry's tables), hashed
    as :func:`~calciscope.storage.classification.data_version` hashes the rows the registry
    classifies (every value as Python's ``str``, a column at a time); the patients are read
    whole, the facts a few thousand patients at a time.
    """
    people = _text(con.table("patients").to_pyarrow(), schema.patients)
    facts = con.table("facts")
    for start in range(0, len(people), _PATIENTS):
        chunk = people[start : start + _PATIENTS]
        ids = [p[0] for p in chunk]  # patient_id is the patients table's first column
        by_patient: dict[str, list[tuple[str, ...]]] = {pid: [] for pid in ids}
        for row in _text(facts.filter(facts.patient_id.isin(ids)).to_pyarrow(), schema.facts):
            by_patient[row[1]].append(row)  # fact_id, then patient_id
        if any(stored.get(p[0]) != hash_rows(p, by_patient[p[0]]) for p in chunk):
            return False
    return True


def _text(table: pa.Table, layout: sa.Table) -> list[tuple[str, ...]]:
    """Return the rows of ``table`` as text in the registry's column order (``str`` of each value)."""
    n = table.num_rows
    columns = [
        map(str, table[c.name].to_pylist()) if c.name in table.column_names else ["None"] * n
        for c in layout.columns
    ]
    return list(zip(*columns, strict=True))
