"""A re-import of a source record supersedes the version an earlier import stored (hardening36).

All data SYNTHETIC.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.interop.fhir import clinical
from calciscope.model import Fact, Patient, ReviewState, Sex, SourceKind, Status
from calciscope.storage import Batch, Registry, schema

CK = ("LOINC", "2157-6")
WHERE = "ck.json#/entry/1 (Observation/ck1)"


def _registry(tmp_path: Path) -> Registry:
    return Registry(f"sqlite:///{tmp_path / 'r.db'}")


def _fact(status: Status, provenance: str | None = WHERE, **fields: object) -> Fact:
    values: dict[str, object] = {"value_text": "false"} | fields
    return Fact(
        patient_id="P1",
        system=CK[0],
        code=CK[1],
        status=status,
        effective_date=dt.date(2021, 3, 4),
        source_kind=SourceKind.IMPORT,
        provenance=provenance,
        **values,
    )


def _import(registry: Registry, *facts: Fact) -> dict[str, int]:
    batch = Batch(patients=[Patient(patient_id="P1", sex=Sex.FEMALE)], facts=list(facts))
    return registry.import_batch(batch, source="synthetic.json", source_hash="x").counts


def _current(registry: Registry, patient: str = "P1") -> list[Fact]:
    return [f for f in registry.facts_for(patient) if (f.system, f.code) == CK]


def _bundle(tmp_path: Path) -> Path:
    """A SYNTHETIC bundle: one patient, one CK Observation answered ``valueBoolean false``."""
    observation = {
        "resourceType": "Observation",
        "id": "ck1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": CK[1]}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2021-03-04",
        "valueBoolean": False,
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
            {"resource": observation},
        ],
    }
    path = tmp_path / "ck.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_a_fhir_re_import_after_the_reader_changed_supersedes_the_old_version(
    tmp_path, monkeypatch
):
    registry, path = _registry(tmp_path), _bundle(tmp_path)
    with monkeypatch.context() as old_reader:  # the reader before hardening35: "CK absent"
        old_reader.setattr(clinical, "_status", lambda item, coded: Status.ABSENT)
        api.import_fhir(registry, [path])
    [old] = _current(registry, "p1")
    assert old.status is Status.ABSENT
    summary = api.import_fhir(registry, [path]).summary
    [new] = _current(registry, "p1")
    assert new.status is Status.UNKNOWN and new.fact_id != old.fact_id
    assert summary.counts["facts_superseded_by_reimport"] == 1
    history = api.fact_history(registry, new.fact_id)
    assert [h.fact.status for h in history] == [Status.ABSENT, Status.UNKNOWN]
    assert history[0].superseded_by == new.fact_id and history[0].version == 2
    assert (history[1].action, history[1].author, history[1].supersedes) == (
        "reimported",
        "import",
        old.fact_id,
    )
    assert "status 'absent' -> 'unknown'" in (history[1].reason or "")
    with registry.engine.connect() as conn:
        audit = conn.execute(sa.select(schema.audit_log.c.action, schema.audit_log.c.target)).all()
    assert ("fact.reimport", f"fact:{old.fact_id}") in audit
    # a third import of the same bundle changes nothing
    again = api.import_fhir(registry, [path]).summary
    assert "facts_superseded_by_reimport" not in again.counts
    assert len(registry.facts_for("p1", include_superseded=True)) == 2


def test_a_changed_value_of_the_same_record_supersedes_through_the_shared_writer(tmp_path):
    registry = _registry(tmp_path)
    _import(registry, _fact(Status.PRESENT, value_num=900.0, value_text=None, unit="U/L"))
    counts = _import(registry, _fact(Status.PRESENT, value_num=90.0, value_text=None, unit="U/L"))
    assert counts["facts_superseded_by_reimport"] == 1
    assert [f.value_num for f in _current(registry)] == [90.0]
    [_, revision] = api.fact_history(registry, _current(registry)[0].fact_id)
    assert "value_num 900.0 -> 90.0" in (revision.reason or "")


def test_a_reviewed_fact_is_never_superseded_and_the_new_one_is_counted(tmp_path):
    registry = _registry(tmp_path)
    _import(registry, _fact(Status.ABSENT, review_state=ReviewState.SUGGESTED))
    [old] = _current(registry)
    api.review(registry, f"fact:{old.fact_id}", "confirm", reviewer="a", reason="seen")
    counts = _import(registry, _fact(Status.UNKNOWN))
    assert counts["facts_beside_reviewed"] == 1 and "facts_superseded_by_reimport" not in counts
    assert sorted(f.status.value for f in _current(registry)) == ["absent", "unknown"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # no provenance: no record to compare
        ([_fact(Status.ABSENT, provenance=None)], [_fact(Status.UNKNOWN, provenance=None)]),
        # another record (another entry): both stay
        ([_fact(Status.ABSENT)], [_fact(Status.UNKNOWN, provenance="ck.json#/entry/2 (x)")]),
        # two stored versions of one record: which one the new replaces is not known
        (
            [_fact(Status.ABSENT), _fact(Status.ABSENT, value_text="no")],
            [_fact(Status.UNKNOWN)],
        ),
        # the import restates the stored fact and adds another of the same record
        ([_fact(Status.ABSENT)], [_fact(Status.ABSENT), _fact(Status.UNKNOWN)]),
        # the import brings two facts of the record
        ([_fact(Status.ABSENT)], [_fact(Status.UNKNOWN), _fact(Status.PRESENT)]),
    ],
    ids=["no-provenance", "other-record", "two-stored", "restated", "two-new"],
)
def test_nothing_is_superseded_when_the_record_is_not_one_on_each_side(tmp_path, before, after):
    registry = _registry(tmp_path)
    _import(registry, *before)
    counts = _import(registry, *after)
    assert "facts_superseded_by_reimport" not in counts
    stored = {f.fact_id for f in _current(registry)}
    assert stored == {f.fact_id for f in [*before, *after]}


def test_a_rejected_import_fact_is_never_superseded(tmp_path):
    registry = _registry(tmp_path)
    _import(registry, _fact(Status.ABSENT, review_state=ReviewState.REJECTED))
    counts = _import(registry, _fact(Status.UNKNOWN))
    assert counts["facts_beside_reviewed"] == 1
    assert len(registry.facts_for("P1")) == 2


def test_a_redcap_value_corrected_at_the_source_supersedes_the_imported_one(tmp_path):
    """The same writer for REDCap: a SYNTHETIC export whose CK was corrected, re-imported."""
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
        '"Choices, Calculations, OR Slider Labels",Field Note,'
        "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
        "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
        "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
        "record_id,demo,,text,Record ID,,,,,,,,,,,,,\n"
        "ck,demo,,text,CK,,,number,,,,,,,,,,\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    registry = _registry(tmp_path)
    data.write_text("record_id,ck,demo_complete\nR1,900,2\n", encoding="utf-8")
    api.import_redcap(registry, data, dictionary)
    data.write_text("record_id,ck,demo_complete\nR1,90,2\n", encoding="utf-8")
    summary = api.import_redcap(registry, data, dictionary).summary
    assert summary.counts["facts_superseded_by_reimport"] == 1
    [ck] = [f for f in registry.facts_for("R1") if f.code == "redcap.ck"]
    assert ck.value_num == 90.0


def _ck(value: float, provenance: str = WHERE) -> Fact:
    return _fact(
        Status.PRESENT, provenance=provenance, value_num=value, value_text=None, unit="U/L"
    )


def test_a_source_reverting_to_an_earlier_value_makes_it_current_again(tmp_path):
    """fix42 (review 42 H2): CK 900 -> 90 -> 900 leaves 900 current, with its history."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0))
    _import(registry, _ck(90.0))
    counts = _import(registry, _ck(900.0))
    assert counts["facts_superseded_by_reimport"] == 1
    assert [f.value_num for f in _current(registry)] == [900.0]
    by_value = {f.value_num: f for f in registry.facts_for("P1", include_superseded=True)}
    assert set(by_value) == {900.0, 90.0}
    with registry.engine.connect() as conn:
        r = schema.fact_revisions
        rows = conn.execute(
            sa.select(r.c.fact_id, r.c.supersedes, r.c.reason).where(r.c.action == "reimported")
        ).all()
        f = schema.facts
        versions = dict(conn.execute(sa.select(f.c.fact_id, f.c.version)).all())
    pairs = {(row.fact_id, row.supersedes) for row in rows}
    assert (by_value[900.0].fact_id, by_value[90.0].fact_id) in pairs
    assert any("earlier value" in (row.reason or "") for row in rows)
    assert versions[by_value[900.0].fact_id] == 3  # superseded (2), then current again (3)
    # stating it once more changes nothing
    assert "facts_superseded_by_reimport" not in _import(registry, _ck(900.0))


def test_a_person_s_correction_is_not_undone_by_the_earlier_value(tmp_path):
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0))
    [old] = _current(registry)
    api.correct_fact(registry, old.fact_id, {"value_num": 950.0}, author="a", reason="typo")
    counts = _import(registry, _ck(900.0))
    assert "facts_superseded_by_reimport" not in counts
    assert [f.value_num for f in _current(registry)] == [950.0]


def test_a_corrected_value_another_source_already_states_supersedes_the_old(tmp_path):
    """fix42 (review 42 S7): the value is held by another source's fact."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0))
    _import(registry, _ck(90.0, provenance="labsystem.csv row 9"))
    counts = _import(registry, _ck(90.0))
    assert counts["facts_superseded_by_reimport"] == 1
    assert [(f.value_num, f.provenance) for f in _current(registry)] == [
        (90.0, "labsystem.csv row 9")
    ]


def test_a_new_value_beside_a_person_s_correction_is_counted(tmp_path):
    """fix42 (review 42 M4)."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0))
    [old] = _current(registry)
    api.correct_fact(registry, old.fact_id, {"value_num": 950.0}, author="a", reason="typo")
    counts = _import(registry, _ck(90.0))
    assert counts["facts_beside_reviewed"] == 1
    assert sorted(f.value_num for f in _current(registry)) == [90.0, 950.0]


# --- imports37: records that moved -------------------------------------------------------------
def test_a_record_that_moved_is_recognised_and_superseded(tmp_path):
    """The bundle was saved in another folder and the observation is another entry now."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0, provenance="2025/ck.json#/entry/1 (Observation/ck1)"))
    counts = _import(registry, _ck(90.0, provenance="2026/ck.json#/entry/4 (Observation/ck1)"))
    assert counts["facts_superseded_by_reimport"] == 1
    assert counts["facts_of_moved_records"] == 1
    [now] = _current(registry)
    assert now.value_num == 90.0
    [_, revision] = api.fact_history(registry, now.fact_id)
    assert "moved to 2026/ck.json#/entry/4 (Observation/ck1)" in (revision.reason or "")
    assert "value_num 900.0 -> 90.0" in (revision.reason or "")


@pytest.mark.parametrize(
    ("first", "provenance"),
    [
        (  # REDCap sorted its rows anew: the field, event and instance name the record
            "old/export.csv row 4 redcap_event_name=baseline_arm_1 field ck",
            "export.csv row 9 redcap_event_name=baseline_arm_1 field ck",
        ),
        # fix45: a place named by position only moved to another folder, same position
        ("2025/P1.json#/measurements/0", "2026/P1.json#/measurements/0"),
        ("2025/labs.csv row 4", "2026/labs.csv row 4"),
    ],
)
def test_moved_rows_of_every_kind_of_place_are_recognised(tmp_path, first, provenance):
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0, provenance=first))
    counts = _import(registry, _ck(90.0, provenance=provenance))
    assert counts["facts_of_moved_records"] == 1
    assert [f.value_num for f in _current(registry)] == [90.0]


@pytest.mark.parametrize(
    ("first", "provenance"),
    [
        # a later extract holding only a second CK of the same day, at another row / id /
        # position: nothing but the position names either record, so both are records
        ("labs.csv row 4", "labs.csv row 1"),
        ("omop:measurement/17", "omop:measurement/18"),
        ("P1.json#/measurements/0", "P1.json#/measurements/3"),
        # REDCap repeat instances of one day: another instance is another record
        (
            "export.csv row 4 redcap_repeat_instrument=labs redcap_repeat_instance=1 field ck",
            "export.csv row 1 redcap_repeat_instrument=labs redcap_repeat_instance=2 field ck",
        ),
    ],
    ids=["csv-row", "omop-id", "packet-position", "redcap-instance"],
)
def test_a_record_named_only_by_its_position_is_not_taken_for_a_moved_one(
    tmp_path, first, provenance
):
    """fix45: SYNTHETIC second CK of the same day at another position: both stay current."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0, provenance=first))
    counts = _import(registry, _ck(910.0, provenance=provenance))
    assert "facts_superseded_by_reimport" not in counts
    assert "facts_of_moved_records" not in counts
    assert sorted(f.value_num for f in _current(registry)) == [900.0, 910.0]


def test_two_identical_values_on_two_rows_of_one_day_stay_two_records(tmp_path):
    """fix45: SYNTHETIC CSV rows 4 and 5 with the same CK of one day; a row above removed."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0, provenance="labs.csv row 4"), _ck(900.0, "labs.csv row 5"))
    counts = _import(registry, _ck(900.0, "labs.csv row 3"), _ck(900.0, "labs.csv row 4"))
    assert "facts_superseded_by_reimport" not in counts
    assert "facts_of_moved_records" not in counts
    # row 3 says what rows 4 and 5 already say (held, not stored again); both stay current
    assert counts["facts_already_in_registry"] == 2
    assert sorted(f.provenance or "" for f in _current(registry)) == [
        "labs.csv row 4",
        "labs.csv row 5",
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # the same value at its new place: already held, the stored fact stays as it is
        (["ck.json#/entry/1 (Observation/ck1)"], [(900.0, "ck.json#/entry/2 (Observation/ck1)")]),
        # another resource: another record
        (["ck.json#/entry/1 (Observation/ck1)"], [(90.0, "ck.json#/entry/2 (Observation/ck2)")]),
        # two stored records that could have moved there: which one is not known
        (
            ["P1.json#/measurements/0", "P1.json#/measurements/1"],
            [(90.0, "P1.json#/measurements/5")],
        ),
        # the record is still at its place, beside a new one
        (
            ["P1.json#/measurements/0"],
            [(900.0, "P1.json#/measurements/0"), (90.0, "P1.json#/measurements/1")],
        ),
        # two new rows that could be the moved record
        (
            ["P1.json#/measurements/0"],
            [(90.0, "P1.json#/measurements/1"), (9.0, "P1.json#/measurements/2")],
        ),
    ],
    ids=["same-value", "other-resource", "two-stored", "still-there", "two-new"],
)
def test_a_moved_record_is_recognised_only_when_it_is_one_on_each_side(tmp_path, before, after):
    registry = _registry(tmp_path)
    stored = [
        _ck(900.0, provenance=where) if i == 0 else _ck(800.0 + i, provenance=where)
        for i, where in enumerate(before)
    ]
    _import(registry, *stored)
    counts = _import(registry, *[_ck(value, provenance=where) for value, where in after])
    assert "facts_superseded_by_reimport" not in counts
    assert "facts_of_moved_records" not in counts


def test_a_record_under_another_patient_is_not_moved_there(tmp_path):
    """A fact never moves from one patient to another by itself: both stay, for a person."""
    registry = _registry(tmp_path)
    _import(registry, _ck(900.0))
    other = _ck(90.0).model_copy(update={"patient_id": "P2", "fact_id": ""})
    batch = Batch(
        patients=[Patient(patient_id="P2", sex=Sex.FEMALE)], facts=[Fact(**other.__dict__)]
    )
    counts = registry.import_batch(batch, source="synthetic.json", source_hash="y").counts
    assert "facts_superseded_by_reimport" not in counts
    assert [f.value_num for f in _current(registry)] == [900.0]
    assert [f.value_num for f in _current(registry, "P2")] == [90.0]


def test_a_unit_id_the_registry_lacked_is_added_by_a_visible_revision(tmp_path):
    """fix45: a SYNTHETIC fact stored before 0012 (no unit_code); the same packet re-imported
    with the unit's UO id supersedes it, the revision naming what was added."""
    registry = _registry(tmp_path)
    where = "P1.json#/measurements/0"
    _import(registry, _ck(900.0, provenance=where))
    with_id = _ck(900.0, provenance=where).model_copy(update={"unit_code": "UO:0000000"})
    counts = _import(registry, Fact(**(with_id.__dict__ | {"fact_id": ""})))
    assert counts["facts_superseded_by_reimport"] == 1
    (now,) = _current(registry)
    assert now.unit_code == "UO:0000000"
    [_, revision] = api.fact_history(registry, now.fact_id)
    assert revision.action == "reimported"
    assert "unit_code None -> 'UO:0000000'" in (revision.reason or "")
