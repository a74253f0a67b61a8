"""The registry's import checks: patients that disagree fail, statements already held stay single."""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope.errors import ValidationError
from calciscope.model import Fact, Patient, Sex
from calciscope.storage import Batch, PatientOrigin, Registry
from calciscope.storage.integrity import (
    PatientReconciler,
    StatementIndex,
    merge_patients,
    patient_disagreements,
)

P = Patient(patient_id="P1", sex=Sex.FEMALE, birth_date=dt.date(1960, 5, 1), centre="A")


@pytest.mark.parametrize(
    ("new", "fields"),
    [
        (Patient(patient_id="P1", sex=Sex.FEMALE, birth_date=dt.date(1960, 5, 1), centre="A"), []),
        (Patient(patient_id="P1"), []),  # states nothing but synthetic=False, as stored
        (Patient(patient_id="P1", sex=Sex.MALE), ["sex"]),
        (Patient(patient_id="P1", birth_date=dt.date(1961, 5, 1)), ["birth_date"]),
        (Patient(patient_id="P1", birth_year=1960), []),
        (Patient(patient_id="P1", birth_year=1959), ["birth_year"]),
        (Patient(patient_id="P1", centre="B"), ["centre"]),
        (Patient(patient_id="P1", synthetic=True), ["synthetic"]),
    ],
)
def test_disagreements_are_values_both_state_differently(new, fields):
    assert [name for name, _, _ in patient_disagreements(P, new)] == fields


def test_merge_fills_gaps_and_never_erases():
    stored = Patient(patient_id="P1", birth_year=1960)
    merged = merge_patients(stored, Patient(patient_id="P1", sex=Sex.MALE, centre="B"))
    assert (merged.sex, merged.birth_year, merged.centre) == (Sex.MALE, 1960, "B")
    # a year that contradicts the stored date replaces the date (only with --update-patients)
    assert merge_patients(P, Patient(patient_id="P1", birth_year=1970)).birth_date is None


def _origin(n: int, raw: str | None = None) -> PatientOrigin:
    return PatientOrigin("file.json", f"#/entry/{n}", raw_id=raw)


def test_two_records_of_one_import_that_disagree_fail_even_with_update():
    reconciler = PatientReconciler(update=True)
    reconciler.rows(
        [(Patient(patient_id="P1", sex=Sex.MALE), _origin(0)), (P, _origin(1))], lambda ids: {}
    )
    [problem] = reconciler.problems
    assert (problem.source, problem.location, problem.field) == ("file.json", "#/entry/1", "sex")
    assert "#/entry/0" in problem.message and "this import" in problem.message


def test_ids_that_sanitise_alike_fail():
    reconciler = PatientReconciler()
    rows = [
        (Patient(patient_id="Case_4"), _origin(0, "Case 4")),
        (Patient(patient_id="Case_4"), _origin(1, "Case/4")),
    ]
    reconciler.rows(rows, lambda ids: {})
    [problem] = reconciler.problems
    assert problem.field == "id" and "'Case/4' and 'Case 4'" in problem.message


def test_a_stub_never_changes_a_patient():
    reconciler = PatientReconciler()
    stub = PatientOrigin("b.json", "reference Patient/P1", stub=True)
    assert reconciler.rows([(Patient(patient_id="P1"), stub)], lambda ids: {"P1": P}) == []
    assert reconciler.problems == []


def _registry(url: str) -> Registry:
    registry = Registry(url)
    registry.import_batch(
        Batch(patients=[P], facts=[Fact(patient_id="P1", system="HP", code="HP:0100774")]),
        source="first",
        source_hash="1",
    )
    return registry


def test_the_registry_refuses_a_disagreeing_patient_and_stays_unchanged(sqlite_url):
    registry = _registry(sqlite_url)
    batch = Batch(
        patients=[P.model_copy(update={"centre": "B"})],
        patient_origins=[PatientOrigin("b.csv", "row 2")],
    )
    with pytest.raises(ValidationError) as caught:
        registry.import_batch(batch, source="second", source_hash="2")
    [problem] = caught.value.problems
    assert (problem.source, problem.location, problem.field) == ("b.csv", "row 2", "centre")
    assert "--update-patients" in problem.message
    assert registry.patient("P1") == P and registry.counts()["import_batches"] == 1


def test_update_patients_replaces_and_is_recorded(sqlite_url):
    registry = _registry(sqlite_url)
    batch = Batch(patients=[Patient(patient_id="P1", centre="B")])
    summary = registry.import_batch(batch, source="s", source_hash="2", update_patients=True)
    assert summary.counts["patients_updated"] == 1
    assert registry.patient("P1") == P.model_copy(update={"centre": "B"})  # sex, birth kept


def test_same_statement_from_another_source_is_not_added_again(sqlite_url):
    registry = _registry(sqlite_url)
    again = Fact(patient_id="P1", system="HP", code="HP:0100774", provenance="export.json#/0")
    other_date = again.model_copy(update={"effective_date": dt.date(2020, 1, 1), "fact_id": ""})
    other_date = Fact(**other_date.model_dump(exclude={"fact_id"}))
    summary = registry.import_batch(Batch(facts=[again, other_date]), source="s", source_hash="2")
    assert summary.counts["facts_already_in_registry"] == 1
    assert len(registry.facts_for("P1")) == 2  # the dated statement is new


def test_an_undated_statement_is_held_by_a_dated_one():
    index = StatementIndex()
    stored = Fact(
        patient_id="P1", system="HP", code="HP:0100774", effective_date=dt.date(2020, 1, 1)
    )
    index.add(stored.model_dump())
    assert index.holds(Fact(patient_id="P1", system="HP", code="HP:0100774"))
    assert not index.holds(
        Fact(patient_id="P1", system="HP", code="HP:0100774", effective_date=dt.date(2021, 1, 1))
    )


@pytest.mark.postgres
def test_the_checks_hold_on_postgresql(postgres_database):
    registry = _registry(postgres_database())
    refused = Batch(patients=[P.model_copy(update={"sex": Sex.MALE})])
    with pytest.raises(ValidationError, match="sex"):
        registry.import_batch(refused, source="s", source_hash="2")
    again = Fact(patient_id="P1", system="HP", code="HP:0100774", provenance="export.json#/0")
    summary = registry.import_batch(Batch(facts=[again]), source="s", source_hash="3")
    assert summary.counts["facts_already_in_registry"] == 1
    assert len(registry.facts_for("P1")) == 1 and registry.patient("P1") == P
    registry.close()


def _states_table_rows(registry: Registry) -> list[str]:
    import sqlalchemy as sa

    with registry.engine.connect() as conn:
        if registry.dialect == "sqlite":
            q = "SELECT name FROM sqlite_temp_master WHERE name = 'calciscope_import_patients'"
        else:
            q = "SELECT relname FROM pg_class WHERE relname = 'calciscope_import_patients'"
        return list(conn.scalars(sa.text(q)))


def _checks_across_chunks(registry: Registry) -> None:
    """Records of one patient in different chunks: checked against each other, not in memory."""
    with registry.bulk_import(source="a", source_hash="a") as writer:
        writer.write(Batch(patients=[Patient(patient_id="N1", centre="A")]))
        writer.write(Batch(patients=[Patient(patient_id=f"X{i}") for i in range(20)]))
        # the import's states are in the temporary table, not the reconciler
        assert writer.reconciler.new_in_registry({"N1", "P1", "X3"}) == {"N1", "X3"}
        writer.write(
            Batch(
                patients=[Patient(patient_id="N2", sex=Sex.MALE)],
                patient_origins=[PatientOrigin("f.json", "#/entry/0", raw_id="n 2")],
            )
        )
        writer.write(Batch(patients=[Patient(patient_id="N1", sex=Sex.MALE)]))  # completes N1
    assert registry.patient("N1") == Patient(patient_id="N1", sex=Sex.MALE, centre="A")
    assert _states_table_rows(registry) == []  # dropped before the import committed
    refused = [
        Batch(
            patients=[Patient(patient_id="N3", centre="A")],
            patient_origins=[PatientOrigin("g.csv", "row 2")],
        ),
        Batch(patients=[Patient(patient_id=f"Y{i}") for i in range(20)]),
        Batch(
            patients=[Patient(patient_id="N3", centre="B")],
            patient_origins=[PatientOrigin("g.csv", "row 30")],
        ),
        # another source id that becomes N2, which the registry holds for 'n 2'
        Batch(
            patients=[Patient(patient_id="N2", sex=Sex.MALE)],
            patient_origins=[PatientOrigin("h.json", "#/entry/4", raw_id="n/2")],
        ),
    ]
    with (
        pytest.raises(ValidationError) as caught,
        registry.bulk_import(source="b", source_hash="b") as writer,
    ):
        for batch in refused:
            writer.write(batch)
    centre, source_id = caught.value.problems
    assert (centre.location, centre.field) == ("row 30", "centre")
    assert "row 2 (another record of this import)" in centre.message
    assert (source_id.source, source_id.field) == ("h.json", "id")
    assert "'n/2' becomes patient id 'N2'" in source_id.message and "'n 2'" in source_id.message
    assert registry.patient("N3") is None and registry.patient("Y0") is None
    assert _states_table_rows(registry) == []


def test_the_patient_checks_keep_their_state_in_the_database(sqlite_url):
    _checks_across_chunks(_registry(sqlite_url))


@pytest.mark.postgres
def test_the_patient_checks_keep_their_state_in_postgresql(postgres_database):
    registry = _registry(postgres_database())
    _checks_across_chunks(registry)
    registry.close()
