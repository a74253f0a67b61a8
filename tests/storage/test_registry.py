import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from calciscope.errors import RegistryError
from calciscope.model import Fact, Note, Patient, ReviewState, Status
from calciscope.storage import Batch, Registry


def _batch() -> Batch:
    patients = [Patient(patient_id=f"P{i}", sex="female", birth_year=1960 + i) for i in range(3)]
    facts = [
        Fact(patient_id="P0", system="HP", code="HP:0003761", effective_date=dt.date(2020, 1, 1)),
        Fact(patient_id="P1", system="HP", code="HP:0030880", status=Status.ABSENT),
    ]
    notes = [Note(note_id="N1", patient_id="P0", text="No calcinosis.")]
    return Batch(patients=patients, facts=facts, notes=notes)


def _exercise(url: str) -> None:
    registry = Registry(url)
    registry.import_batch(_batch(), source="test", source_hash="h")
    registry.import_batch(_batch(), source="test", source_hash="h")  # idempotent
    counts = registry.counts()
    assert (counts["patients"], counts["facts"], counts["notes"], counts["import_batches"]) == (
        3,
        2,
        1,
        2,
    )
    facts = registry.facts_for("P0")
    assert [f.code for f in facts] == ["HP:0003761"]
    assert registry.existing_patient_ids({"P0", "P9"}) == {"P0"}
    assert [n.note_id for n in registry.iter_notes(chunk=1)] == ["N1"]
    assert registry.note_ids() == ["N1"] and registry.note_ids(since=dt.date(2000, 1, 1)) == []
    facts, patients = registry.patient_tables(["P0", "P1", "P9"])
    assert sorted(facts.column("code").to_pylist()) == ["HP:0003761", "HP:0030880"]
    assert facts.schema.field("effective_date").type == pa.date32()
    assert sorted(patients.column("patient_id").to_pylist()) == ["P0", "P1"]
    with registry.ibis_connection() as con:
        assert con.table("facts").count().execute() == 2
    registry.close()


def test_the_ibis_connection_is_closed_when_the_block_ends(sqlite_url):
    import sqlite3

    with Registry(sqlite_url) as registry, registry.ibis_connection() as con:
        assert con.table("patients").count().execute() == 0
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        con.table("patients").count().execute()


def test_sqlite_registry_roundtrip(sqlite_url):
    _exercise(sqlite_url)


@pytest.mark.postgres
def test_postgres_registry_roundtrip(postgres_database):
    _exercise(postgres_database())


def test_reimport_never_overwrites_a_confirmed_or_rejected_fact(sqlite_url):
    registry = Registry(sqlite_url)
    registry.import_batch(_batch(), source="test", source_hash="h")
    fact_id = registry.facts_for("P0")[0].fact_id
    assert registry.set_review_state(fact_id, ReviewState.REJECTED.value)
    suggested = Fact(
        patient_id="P0",
        system="HP",
        code="HP:0003761",
        effective_date=dt.date(2020, 1, 1),
        review_state=ReviewState.SUGGESTED,
    )
    registry.add_facts([suggested])
    assert registry.facts_for("P0")[0].review_state is ReviewState.REJECTED


def test_batch_is_all_or_nothing(sqlite_url):
    registry = Registry(sqlite_url)
    bad = _batch()
    # The last patient breaks a NOT NULL constraint after the others were written in the same
    # transaction: the database fails mid-batch and everything must roll back.
    bad.patients.append(Patient.model_construct(patient_id="P9", sex=None, synthetic=False))
    with pytest.raises(sa.exc.IntegrityError):
        registry.import_batch(bad, source="bad", source_hash="b")
    assert registry.counts() == {
        "patients": 0,
        "facts": 0,
        "notes": 0,
        "images": 0,
        "import_batches": 0,
    }


def test_unopenable_registry_is_a_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="cannot open registry"):
        Registry(f"sqlite:///{tmp_path}/missing/dir/x.db")


def test_add_fact_table_inserts_like_add_facts_and_keeps_reviewed(sqlite_url):
    from calciscope.extract.facts import fact_row
    from calciscope.storage.bulk import FACT_SCHEMA

    registry = Registry(sqlite_url)
    registry.import_batch(_batch(), source="test", source_hash="h")
    fact_id = registry.facts_for("P0")[0].fact_id
    assert registry.set_review_state(fact_id, ReviewState.REJECTED.value)
    suggested = Fact(
        patient_id="P0", system="HP", code="HP:0003761",
        effective_date=dt.date(2020, 1, 1), review_state=ReviewState.SUGGESTED,
    )  # fmt: skip
    other = suggested.model_copy(update={"effective_date": dt.date(2021, 1, 1), "fact_id": ""})
    other = Fact(**other.model_dump(exclude={"fact_id"}))
    before = registry.counts()["facts"]
    table = pa.Table.from_pylist([fact_row(suggested), fact_row(other)], schema=FACT_SCHEMA)
    assert registry.add_fact_table(table) == 2
    assert registry.facts_for("P0")[0].review_state is ReviewState.REJECTED
    stored = {f.fact_id: f for f in registry.facts_for("P0")}
    assert stored[other.fact_id] == other
    assert registry.counts()["facts"] == before + (suggested.fact_id != fact_id) + 1
    # record batches are written alike; rows already stored are kept, not added again
    assert registry.add_fact_table(table.to_batches()) == 2
    assert registry.add_fact_table(table.slice(0, 0)) == 0
    assert registry.counts()["facts"] == before + (suggested.fact_id != fact_id) + 1


def test_records_built_from_rows_are_kept_by_value_and_typed():
    """The same stored values give the same record; values that hash alike but differ do not."""
    from calciscope.storage.registry import fact_from_row

    row = {
        "fact_id": "F1",
        "patient_id": "P1",
        "system": "HP",
        "code": "HP:0003761",
        "status": "present",
        "value_num": 1,
        "version": 3,
    }
    first = fact_from_row(row)
    assert fact_from_row(dict(row)) is first
    assert fact_from_row(row | {"version": 4}) is first  # storage columns are not the record's
    changed = fact_from_row(row | {"status": "absent"})
    assert changed is not first and changed.status.value == "absent"
    assert fact_from_row(row | {"value_num": 1.5}).value_num == 1.5
    same_value = fact_from_row(row | {"value_num": 1.0})  # 1 == 1.0: kept apart by type
    assert same_value is not first and same_value == first
