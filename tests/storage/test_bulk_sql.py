"""Many ids and many rows at once (storage/bulk_sql.py): the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from calciscope.storage import Registry, schema
from calciscope.storage.bulk_sql import copy_upsert, one_of

PATIENTS = [
    {"patient_id": f"P{i}", "sex": "female", "birth_date": None, "birth_year": 1950 + i,
     "centre": "A", "synthetic": True}
    for i in range(6)
]  # fmt: skip


def _ids_found(url: str) -> list[str]:
    registry = Registry(url)
    try:
        with registry.engine.begin() as conn:
            conn.execute(schema.patients.insert(), PATIENTS)
            column = schema.patients.c.patient_id
            wanted = ["P1", "P3", "P9", "it's"]  # one unknown, one with a quote
            q = sa.select(column).where(one_of(column, wanted, registry.dialect))
            found = sorted(conn.scalars(q))
            none = list(conn.scalars(sa.select(column).where(one_of(column, [], registry.dialect))))
    finally:
        registry.close()
    assert none == []
    return found


def test_one_of_finds_the_stored_ids_on_sqlite(sqlite_url):
    assert _ids_found(sqlite_url) == ["P1", "P3"]


@pytest.mark.postgres
def test_one_of_finds_the_stored_ids_on_postgresql(postgres_database):
    assert _ids_found(postgres_database()) == ["P1", "P3"]


@pytest.mark.postgres
def test_copy_upsert_updates_or_keeps_and_the_last_row_wins(postgres_database):
    registry = Registry(postgres_database())
    try:
        with registry.engine.begin() as conn:
            copy_upsert(conn, schema.patients, PATIENTS[:3], "patient_id", update=True)
            changed = [
                {**PATIENTS[1], "centre": "B", "birth_date": dt.date(1951, 2, 3)},
                {**PATIENTS[1], "centre": "C"},  # the same patient again: the last wins
                PATIENTS[4],
            ]
            copy_upsert(conn, schema.patients, changed, "patient_id", update=True)
            kept = [{**PATIENTS[0], "centre": "Z"}, PATIENTS[5]]
            copy_upsert(conn, schema.patients, kept, "patient_id", update=False)
        with registry.engine.connect() as conn:
            rows = {r.patient_id: r for r in conn.execute(sa.select(schema.patients))}
    finally:
        registry.close()
    assert sorted(rows) == ["P0", "P1", "P2", "P4", "P5"]
    assert rows["P1"].centre == "C" and rows["P1"].birth_date is None
    assert rows["P0"].centre == "A"  # update=False leaves a stored row as it is
    assert rows["P5"].synthetic is True and rows["P4"].birth_year == 1954
