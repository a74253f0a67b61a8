"""The bulk fact writer (issue 16): columnar rows, content-hash ids, SQLite and PostgreSQL sinks."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calciscope import api
from calciscope.errors import RegistryError, ValidationError
from calciscope.interop import native
from calciscope.model import CODE_SYSTEMS, BodyRegion, Fact, Laterality, ReviewState, Status
from calciscope.model.codes import code_problem
from calciscope.model.records import make_fact_id, plain_value
from calciscope.storage import Registry
from calciscope.storage.bulk import FACT_COLUMNS, PostgresFactSink, fact_ids, fact_table

FACTS_HEADER = ",".join(FACT_COLUMNS)
PATIENTS = "patient_id,sex,birth_year,synthetic\nP1,female,1960,true\nP2,male,1970,true\n"

# text the model accepts: no NUL, no lone surrogates (not encodable as UTF-8)
_text = st.one_of(
    st.none(), st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
)


# a code of the form its system has (model.codes): any text in a system without a form
_FREE_SYSTEMS = [s for s in CODE_SYSTEMS if code_problem(s, "x") is None]
_SYSTEM_CODE = st.one_of(
    st.tuples(
        st.sampled_from(_FREE_SYSTEMS), st.from_regex(r"[A-Za-z0-9:.]{1,12}", fullmatch=True)
    ),
    st.tuples(st.just("HP"), st.from_regex(r"HP:[0-9]{7}", fullmatch=True)),
    st.sampled_from(
        [("SNOMEDCT", "89155008"), ("LOINC", "2157-6"), ("ICD10", "M34.1"), ("ICD10CM", "M34.81")]
    ),
    st.tuples(st.just("MONDO"), st.from_regex(r"MONDO:[0-9]{7}", fullmatch=True)),
)


@settings(max_examples=60, deadline=None)
@given(
    system_code=_SYSTEM_CODE,
    status=st.sampled_from(list(Status)),
    # up to a fixed day before today: a fact dated after today is refused
    date=st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(2025, 12, 31))),
    # a value is finite: nan and inf are refused on entry, by the model and the bulk reader
    # alike; and 0 or more, as a CK activity must be (concepts.yaml value_range, fixes22)
    value=st.one_of(st.none(), st.floats(min_value=0, allow_nan=False, allow_infinity=False)),
    text=_text,
    unit=_text,
    # a reference range's upper limit is finite and 0 or more (the model refuses the rest)
    high=st.one_of(st.none(), st.floats(min_value=0, allow_nan=False, allow_infinity=False)),
    site=st.one_of(st.none(), st.sampled_from(list(BodyRegion))),
    side=st.one_of(st.none(), st.sampled_from(list(Laterality))),
)
def test_columnar_fact_ids_are_the_models(
    system_code, status, date, value, text, unit, high, site, side
):
    system, code = system_code
    fact = Fact(
        patient_id="P1",
        system=system,
        code=code,
        status=status,
        effective_date=date,
        value_num=value,
        value_text=text,
        unit=unit,
        reference_high=high,
        body_site=site,
        laterality=side,
    )
    assert fact_ids(fact_table([fact])).to_pylist() == [fact.fact_id]


def test_a_fact_without_a_reference_range_keeps_the_id_it_had_before_0006():
    fact = Fact(patient_id="P1", system="LOINC", code="2157-6", value_num=250.0, unit="U/L")
    # the id calciscope gave this fact before facts had a reference_high field
    before = {k: v for k, v in fact.__dict__.items() if k not in ("fact_id", "review_state")}
    del before["reference_high"]
    assert fact.fact_id == make_fact_id({k: plain_value(v) for k, v in before.items()})
    ranged = Fact(**(fact.__dict__ | {"fact_id": "", "reference_high": 190.0}))
    assert ranged.fact_id != fact.fact_id


def _folder(root: Path, rows: list[str]) -> Path:
    root.mkdir()
    (root / "patients.csv").write_text(PATIENTS)
    (root / "facts.csv").write_text(FACTS_HEADER + "\n" + "".join(r + "\n" for r in rows))
    return root


# Rows the vectorised checks doubt but the model accepts, each differently written.
ODD = [
    ",P1,HP,HP:0003761,present,2020-05-01,,,,hand,left,nodular,radiograph,structured,x,confirmed,",
    ",P1,HP, HP:0030880 ,present,2020-05-01,,,,,,,,structured,x,confirmed,",  # spaces stripped
    ",P2,LOINC,2157-6,present,2021-02-03,3,,U/L,,,,,structured,x,confirmed,",  # 3 is 3.0
    ",P2,LOINC,2157-6,present,2021-02-04,+4.50,,U/L,,,,,structured,x,confirmed,",
    ",P2,LOINC,2157-6,present,,1e3,,U/L,,,,,structured,x,suggested,",
    ',P1,calciscope,visit,absent,2019-01-01,,"a, ""quoted""\nline",,,,,,structured,x,confirmed,',
    ",P2,LOINC,2157-6,present,2021-02-05,250,,U/L,,,,,structured,x,confirmed,+190.0",  # its ULN
    "given-id,P1,calciscope,visit,present,2019-01-02,,,,,,,,import,x,rejected,",
]


def _model_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        native,
        "_fact_batches",
        lambda path, known, problems: native._slow_fact_batches(path, known, problems, skip=0),
    )


def _facts(url: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        columns = ", ".join(FACT_COLUMNS)
        rows = conn.execute(f"SELECT {columns}, typeof(effective_date), version FROM facts")
        return sorted(rows.fetchall(), key=repr)


def test_the_bulk_path_stores_what_the_model_path_stores(tmp_path, monkeypatch):
    folder = _folder(tmp_path / "d", ODD)
    fast = f"sqlite:///{tmp_path / 'fast.db'}"
    api.import_directory(api.open_registry(fast), folder)
    _model_path(monkeypatch)
    slow = f"sqlite:///{tmp_path / 'slow.db'}"
    api.import_directory(api.open_registry(slow), folder)
    assert _facts(fast) == _facts(slow)
    assert len(_facts(fast)) == len(ODD)


def test_a_row_the_parser_refuses_is_read_row_by_row(tmp_path, monkeypatch):
    # after blocks already written, a row with fewer cells (the CSV reader fills nulls, which
    # the model refuses) and a row that is not UTF-8: named as the row-by-row reader names them
    monkeypatch.setattr(native, "_BLOCK_BYTES", 200)
    good = [ODD[0], ODD[2], ODD[3]]
    registry = api.open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    short = _folder(tmp_path / "short", [*good, ",P2,HP,HP:0030880,present"])
    with pytest.raises(ValidationError) as info:
        api.import_directory(registry, short)
    where = {(p.location, p.field) for p in info.value.problems}
    assert where == {("row 5", "source_kind"), ("row 5", "review_state")}
    bad = _folder(tmp_path / "bad", good)
    (bad / "facts.csv").write_bytes((bad / "facts.csv").read_bytes() + b",P1,HP,\xff\xfe\n")
    with pytest.raises(ValidationError) as info:
        api.import_directory(registry, bad)
    [problem] = info.value.problems
    # named by its line and byte, with how to convert it (hardening23: was Python's codec text)
    assert (problem.location, problem.field) == ("line 5", "(file)")
    assert "byte 0xff is not UTF-8" in problem.message and "iconv" in problem.message
    assert registry.counts()["facts"] == 0


def test_doubted_rows_are_named_with_their_field(tmp_path):
    rows = [ODD[0], ",P1,HP,HP:0000001,present,2020-02-30,,,,,,,,structured,x,confirmed,"]
    rows.append(",P1,HP,HP:0000001,present,2020-02-01,12abc,,,,,,,structured,x,confirmed,")
    rows.append(",P9,HP,HP:0000001,present,2020-02-01,,,,,,,,structured,x,confirmed,")
    with pytest.raises(ValidationError) as info:
        native.read_directory(_folder(tmp_path / "d", rows))
    where = {(p.location, p.field) for p in info.value.problems}
    assert where == {("row 3", "effective_date"), ("row 4", "value_num"), ("row 5", "patient_id")}


def _reimport_keeps_review_state(url: str, tmp_path: Path) -> None:
    registry = Registry(url)
    first = _folder(tmp_path / "a", ODD[:3])
    api.import_directory(registry, first)
    rejected = registry.facts_for("P1")[0].fact_id
    assert registry.set_review_state(rejected, ReviewState.REJECTED.value)
    # the same rows and new ones: the stored ids (one rejected) stay as they are
    second = _folder(tmp_path / "b", ODD)
    summary = api.import_directory(registry, second)
    assert summary.counts["facts"] == len(ODD)
    assert registry.counts()["facts"] == len(ODD)
    states = {f.fact_id: f.review_state for f in registry.facts_for("P1")}
    assert states[rejected] is ReviewState.REJECTED
    again = api.import_directory(registry, second)
    assert registry.counts()["facts"] == len(ODD)
    assert again.counts["facts_already_in_registry"] >= 1
    registry.close()


def test_reimport_on_sqlite_keeps_stored_rows(tmp_path, sqlite_url):
    _reimport_keeps_review_state(sqlite_url, tmp_path)


def test_reimport_on_postgresql_copies_then_stages(tmp_path, postgres_database):
    _reimport_keeps_review_state(postgres_database(), tmp_path)


def test_fact_table_of_models_has_the_bulk_schema():
    fact = Fact(patient_id="P1", system="HP", code="HP:0000001", effective_date=dt.date(2020, 1, 2))
    table = fact_table([fact])
    assert table.schema.field("effective_date").type == pa.date32()
    assert table.column("status").to_pylist() == ["present"]
    assert table.column("fact_id").to_pylist() == [fact.fact_id]


_cell = st.one_of(
    st.none(),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?([eE]-?[0-9]{1,2})?", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.text(max_size=6),
)


@settings(max_examples=150, deadline=None)
@given(
    code=_cell, date=_cell, value=_cell, status=st.sampled_from([None, "present", "absent", "x"])
)
def test_a_row_the_checks_pass_is_the_models(code, date, value, status):
    from calciscope.interop.native_facts import check_block

    cells = {"patient_id": "P1", "system": "HP", "code": code, "status": status}
    cells |= {"effective_date": date, "value_num": value}
    block = pa.table({k: pa.array([v], pa.string()) for k, v in cells.items()})
    table, doubt = check_block(block)
    if doubt[0].as_py():
        return  # the model decides (tested through the importer above)
    fact = Fact.model_validate(cells)
    [row] = table.to_pylist()
    assert row["fact_id"] == fact.fact_id
    assert row["effective_date"] == fact.effective_date and row["value_num"] == fact.value_num


def _one_fact(patient: str, code: str) -> pa.Table:
    fact = Fact(patient_id=patient, system="HP", code=code, effective_date=dt.date(2020, 1, 2))
    return fact_table([fact])


@pytest.mark.postgres
def test_postgresql_checks_a_batch_s_patients_at_once_and_keeps_the_row_checks_elsewhere(
    tmp_path, postgres_database
):
    import sqlalchemy as sa

    registry = Registry(postgres_database())
    api.import_directory(registry, _folder(tmp_path / "a", ODD[:3]))
    before, held = registry.generation(), registry.counts()["facts"]
    with registry.engine.begin() as conn:
        sink = PostgresFactSink(conn)
        sink.write(_one_fact("P1", "HP:0000100"), None)
        # the tests' role is a superuser: the batch skipped the row triggers, then set them back
        assert sink._replica is True
        assert conn.exec_driver_sql("SHOW session_replication_role").scalar() == "origin"
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO facts (fact_id, patient_id, system, code, status, source_kind, "
                "review_state) VALUES ('Fx', 'NOBODY', 'HP', 'HP:1', 'present', 'import', "
                "'confirmed')"
            )
    assert registry.counts()["facts"] == held + 1
    assert registry.generation() == (before or 0) + 1  # moved on once, as by the trigger
    # a batch naming a patient the registry does not hold stops; nothing of it is written
    with pytest.raises(RegistryError, match=r"1 patient.*NOBODY"), registry.engine.begin() as conn:
        PostgresFactSink(conn).write(_one_fact("NOBODY", "HP:0000101"), None)
    assert registry.counts()["facts"] == held + 1
    registry.close()


@pytest.mark.postgres
def test_postgresql_role_that_may_not_skip_row_checks_writes_with_them(tmp_path, postgres_database):
    import uuid

    import psycopg
    import sqlalchemy as sa

    url = postgres_database()
    registry = Registry(url)
    api.import_directory(registry, _folder(tmp_path / "a", ODD[:3]))
    role = f"calciscope_t_{uuid.uuid4().hex[:10]}"
    with registry.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    plain = sa.create_engine(url.replace("postgres@", f"{role}@", 1))
    try:
        with plain.begin() as conn:
            sink = PostgresFactSink(conn)
            sink.write(_one_fact("P2", "HP:0000102"), None)
            assert sink._replica is False
        # the foreign key's row trigger refuses the unknown patient, as before
        with pytest.raises(psycopg.errors.ForeignKeyViolation), plain.begin() as conn:
            PostgresFactSink(conn).write(_one_fact("NOBODY", "HP:0000103"), None)
    finally:
        plain.dispose()
        written = {f.code for f in registry.facts_for("P2")}
        with registry.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        registry.close()
    assert "HP:0000102" in written


@pytest.mark.postgres
def test_a_large_postgresql_import_leaves_planner_statistics(
    tmp_path, postgres_database, monkeypatch
):
    """A server without autovacuum would plan the next queries as on empty tables."""
    from calciscope.storage import registry as registry_module

    monkeypatch.setattr(registry_module, "ANALYZE_AFTER_FACTS", 3)
    registry = Registry(postgres_database())
    api.import_directory(registry, _folder(tmp_path / "a", ODD))
    with registry.engine.connect() as conn:
        tuples = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'facts' AND relkind = 'r'"
        ).scalar()
    assert tuples == registry.counts()["facts"] == len(ODD)
    registry.close()
