"""Decisions, corrections and their effect on features, phenotypes and re-imports."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.errors import NotFoundError, ReviewConflict, ValidationError, WrongPasswordError
from calciscope.model import ReviewState
from calciscope.storage import Registry, schema

CALCINOSIS = "HP:0003761"


def _facts(registry: Registry, code: str = CALCINOSIS) -> list[api.ReviewItem]:
    items = api.review_queue(registry, kinds=["suggested_fact"], patient="P1")
    return [i for i in items if i.fact is not None and i.fact.code == code]


def _features(registry: Registry) -> dict[str, object]:
    table, _ = api.list_patients(
        registry, columns=["calcinosis_any", "calcinosis_sheet_like_regions"]
    )
    row = table.to_pylist()[0]
    return {k: row[k] for k in ("patient_id", "calcinosis_any", "calcinosis_sheet_like_regions")}


def _target(registry: Registry) -> object:
    data = api.load_study_data(registry, index_date=dt.date(2024, 1, 1))
    value = data.table.set_index("patient_id").loc["P1", "extensive_sheet_like_calcinosis"]
    return None if value is None or value != value else bool(value)


def test_confirming_suggested_calcinosis_changes_features_and_phenotype(one_patient):
    assert _features(one_patient)["calcinosis_any"] is None
    assert _target(one_patient) is not True
    items = _facts(one_patient)
    records = api.review_items(
        one_patient, [i.item_id for i in items], "confirm", reviewer="drsmith", reason="letter"
    )
    assert [r.new_state for r in records] == ["confirmed", "confirmed"]
    assert all(r.previous_state == "suggested" and r.reviewer == "drsmith" for r in records)
    assert all(r.changes_counted_facts for r in records)  # kept results are computed again
    assert _features(one_patient) == {
        "patient_id": "P1",
        "calcinosis_any": True,
        "calcinosis_sheet_like_regions": 2,
    }
    assert _target(one_patient) is True  # the study now counts her as a case
    kinds = {i.kind for i in api.review_queue(one_patient, patient="P1")}
    assert "suggested_case" not in kinds  # she is a case on confirmed facts now


def test_studies_count_the_correction_not_the_superseded_fact(one_patient):
    items = _facts(one_patient)
    api.review_items(one_patient, [i.item_id for i in items], "confirm", reviewer="a", reason="r")
    assert _target(one_patient) is True
    api.correct_fact(
        one_patient, items[0].fact_id, {"morphology": "nodular"}, author="a", reason="r"
    )
    assert _target(one_patient) is False  # one sheet-like region left, not two
    exported = api.read_registry_records(one_patient, ["P1"]).facts
    assert items[0].fact_id not in {f.fact_id for f in exported}


def test_rejecting_removes_the_fact_from_the_queue_and_the_features(one_patient):
    item = _facts(one_patient)[0]
    before = _features(one_patient)
    record = api.review(one_patient, item.item_id, "reject", reviewer="drsmith", reason="family")
    assert record.new_state == "rejected" and record.version == item.version + 1
    # a suggestion never counted: rejecting it leaves the features (kept results stand)
    assert not record.changes_counted_facts and _features(one_patient) == before
    assert item.item_id not in {i.item_id for i in api.review_queue(one_patient)}
    facts = {f.fact_id: f for f in one_patient.facts_for("P1")}
    assert facts[item.fact_id].review_state is ReviewState.REJECTED
    table = api.feature_table(
        one_patient, include_suggested=True, features=["calcinosis_sheet_like_regions"]
    )
    assert table.to_pylist()[0]["calcinosis_sheet_like_regions"] == 1


def test_correction_supersedes_and_keeps_history(one_patient):
    item = _facts(one_patient)[0]
    new = api.correct_fact(
        one_patient, item.fact_id, {"morphology": "nodular"}, author="drjones", reason="x-ray"
    )
    assert new.fact_id != item.fact_id and new.review_state is ReviewState.CONFIRMED
    assert new.morphology.value == "nodular" and new.provenance == item.fact.provenance
    current = {f.fact_id for f in one_patient.facts_for("P1")}
    assert new.fact_id in current and item.fact_id not in current
    every = {f.fact_id for f in one_patient.facts_for("P1", include_superseded=True)}
    assert item.fact_id in every
    history = api.fact_history(one_patient, new.fact_id)
    assert [h.fact.fact_id for h in history] == [item.fact_id, new.fact_id]
    assert history[0].superseded_by == new.fact_id and history[0].action == "imported"
    assert (history[1].action, history[1].author, history[1].reason) == (
        "corrected",
        "drjones",
        "x-ray",
    )
    assert history[1].supersedes == item.fact_id and history[1].at is not None
    assert api.fact_history(one_patient, item.fact_id) == history
    # the superseded fact neither counts nor can be reviewed
    assert _features(one_patient)["calcinosis_any"] is True
    with pytest.raises(ValidationError, match="corrected"):
        api.review(one_patient, item.item_id, "confirm", reviewer="a", reason="b")


def test_stale_versions_conflict_and_write_nothing(one_patient):
    item = _facts(one_patient)[0]
    api.review(
        one_patient,
        item.item_id,
        "confirm",
        reviewer="a",
        reason="first",
        expected_version=item.version,
    )
    with pytest.raises(ReviewConflict) as err:
        api.review(
            one_patient,
            item.item_id,
            "reject",
            reviewer="b",
            reason="second",
            expected_version=item.version,
        )
    assert (err.value.expected, err.value.current) == (item.version, item.version + 1)
    with pytest.raises(ReviewConflict):
        api.correct_fact(
            one_patient,
            item.fact_id,
            {"status": "absent"},
            author="b",
            reason="r",
            expected_version=item.version,
        )
    case = "unknown_phenotype:P1"
    api.review(
        one_patient, case, "acknowledge", reviewer="a", reason="cannot tell", expected_version=0
    )
    with pytest.raises(ReviewConflict):
        api.review(one_patient, case, "dismiss", reviewer="b", reason="late", expected_version=0)
    entries = api.audit_log(one_patient)
    assert [e.actor for e in entries] == ["a", "a"]  # nothing from b
    assert [e.action for e in entries] == ["review.confirm", "review.acknowledge"]


def test_reimport_keeps_decisions_and_corrections(one_patient, reimport_letter):
    confirmed, rejected = _facts(one_patient)
    api.review(one_patient, confirmed.item_id, "confirm", reviewer="a", reason="r")
    api.review(one_patient, rejected.item_id, "reject", reviewer="a", reason="r")
    subset = _facts(one_patient, code="ssc_subset") or [
        i
        for i in api.review_queue(one_patient, kinds=["suggested_fact"])
        if i.fact_id not in (confirmed.fact_id, rejected.fact_id)
    ]
    corrected = api.correct_fact(
        one_patient, subset[0].fact_id, {"value_text": "lcssc"}, author="a", reason="r"
    )
    reimport_letter(one_patient)
    states = {
        f.fact_id: f.review_state for f in one_patient.facts_for("P1", include_superseded=True)
    }
    assert states[confirmed.fact_id] is ReviewState.CONFIRMED
    assert states[rejected.fact_id] is ReviewState.REJECTED
    assert api.review_queue(one_patient, kinds=["suggested_fact"]) == []
    assert corrected.fact_id in {f.fact_id for f in one_patient.facts_for("P1")}
    assert subset[0].fact_id not in {f.fact_id for f in one_patient.facts_for("P1")}


def test_a_bad_item_writes_nothing_and_names_the_field(one_patient):
    good = _facts(one_patient)[0]
    with pytest.raises(ValidationError) as err:
        api.review_items(
            one_patient,
            [good.item_id, "fact:Fnope", "at_risk:P404", "zzz"],
            "confirm",
            reviewer="a",
            reason="r",
        )
    assert [p.field for p in err.value.problems] == ["item_id"] * 3
    with pytest.raises(ValidationError) as err:
        api.review(one_patient, good.item_id, "maybe", reviewer="a", reason=" ")
    assert {p.field for p in err.value.problems} == {"reason", "decision"}
    with pytest.raises(ValidationError) as err:
        api.review(one_patient, good.item_id, "acknowledge", reviewer="a", reason="r")
    assert err.value.problems[0].field == "decision"
    with pytest.raises(ValidationError, match="decide those facts"):
        api.review(one_patient, "suggested_case:P1", "confirm", reviewer="a", reason="r")
    assert _facts(one_patient)[0].state == "suggested"
    assert api.audit_log(one_patient) == []


def test_a_reason_with_a_nul_character_is_refused_naming_the_field(one_patient):
    # PostgreSQL cannot store U+0000 in text: a reason holding one was accepted and, on
    # PostgreSQL, failed inside the write; it is refused as the records refuse it
    item = _facts(one_patient)[0]
    for reason in ("\x00", "seen\x00 on film"):
        with pytest.raises(ValidationError) as err:
            api.review(one_patient, item.item_id, "confirm", reviewer="a", reason=reason)
        assert [(p.field, "NUL" in p.message) for p in err.value.problems] == [("reason", True)]
        with pytest.raises(ValidationError) as err:
            api.correct_fact(
                one_patient, item.fact_id, {"status": "absent"}, author="a", reason=reason
            )
        assert err.value.problems[0].field == "reason"
    assert _facts(one_patient)[0].state == "suggested"
    assert api.audit_log(one_patient) == []


def test_an_id_that_names_nothing_is_not_found(one_patient):
    # NotFoundError is a ValidationError (the CLI prints it as before); the web answers 404
    for call, field in (
        (lambda: api.patient_record(one_patient, "P404"), "patient_id"),
        (lambda: api.explain_patient(one_patient, "P404"), "patient_id"),
        (lambda: api.fact_history(one_patient, "Fnope"), "fact_id"),
        (lambda: api.review_queue_item(one_patient, "fact:Fnope"), "item_id"),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert isinstance(err.value, ValidationError) and err.value.problems[0].field == field


def test_add_fact_is_validated_like_an_import(one_patient):
    fact = api.add_fact(
        one_patient,
        {"patient_id": "P1", "system": "HP", "code": CALCINOSIS, "status": "present",
         "effective_date": "2023-05-01", "body_site": "fingers", "morphology": "nodular",
         "method": "radiograph"},
        author="drsmith",
        reason="radiograph report 2023-05-01",
    )  # fmt: skip
    assert fact.review_state is ReviewState.CONFIRMED
    assert fact.fact_id in {f.fact_id for f in one_patient.facts_for("P1")}
    [revision] = api.fact_history(one_patient, fact.fact_id)
    assert (revision.action, revision.author) == ("added", "drsmith")
    with pytest.raises(ValidationError) as err:
        api.add_fact(
            one_patient,
            {"patient_id": "P404", "system": "WHAT", "code": "x", "status": "maybe"},
            author="a",
            reason="r",
        )
    assert {p.field for p in err.value.problems} == {"system", "status"}
    with pytest.raises(ValidationError) as err:
        api.add_fact(
            one_patient,
            {"patient_id": "P404", "system": "HP", "code": "HP:0003761"},
            author="a",
            reason="r",
        )
    assert err.value.problems[0].field == "patient_id"
    with pytest.raises(ValidationError, match="already recorded"):
        api.add_fact(
            one_patient,
            fact.model_dump(exclude={"fact_id", "review_state"}),
            author="a",
            reason="r",
        )


def test_correction_errors_name_the_field(one_patient):
    item = _facts(one_patient)[0]
    for changes, field in (
        ({"review_state": "confirmed"}, "review_state"),
        ({"colour": "red"}, "colour"),
        ({}, "changes"),
        ({"body_site": "tail"}, "body_site"),
        ({"morphology": item.fact.morphology.value}, "changes"),
    ):
        with pytest.raises(ValidationError) as err:
            api.correct_fact(one_patient, item.fact_id, changes, author="a", reason="r")
        assert err.value.problems[0].field == field
    with pytest.raises(ValidationError) as err:
        api.correct_fact(one_patient, item.fact_id, {"status": "absent"}, author="a", reason="")
    assert err.value.problems[0].field == "reason"


def test_every_change_writes_an_audit_row_with_before_and_after(one_patient):
    # The forearm fact by its site: the queue's order within a kind follows the fact ids, which
    # hash the rules version.
    item = next(
        i for i in _facts(one_patient) if i.fact is not None and i.fact.body_site == "forearm"
    )
    api.review(one_patient, item.item_id, "confirm", reviewer="drsmith", reason="seen")
    new = api.correct_fact(
        one_patient,
        item.fact_id,
        {"body_site": "hand"},
        author="drsmith",
        reason="hand, not forearm",
    )
    api.add_user(one_patient, "drjones", "clinician", "long enough pw", actor="admin")
    entries = api.audit_log(one_patient)
    assert [e.action for e in entries] == ["review.confirm", "fact.correct", "user.add"]
    confirm, correct, user = entries
    assert confirm.before == {"state": "suggested", "version": 1}
    assert confirm.after == {"state": "confirmed", "version": 2}
    assert correct.before["body_site"] == "forearm" and correct.after["body_site"] == "hand"
    assert correct.after["fact_id"] == new.fact_id and correct.detail == "hand, not forearm"
    assert user.actor == "admin" and "password" not in str(user.after)
    assert entries[0].at.tzinfo is not None
    assert api.audit_log(one_patient, actor="admin") == [user]
    assert api.audit_log(one_patient, newest_first=True) == entries[::-1]
    assert api.audit_log(one_patient, newest_first=True, limit=2) == [user, correct]


def test_ending_a_users_sessions_moves_its_number_on_with_an_audit_row(sqlite_url):
    registry = api.open_registry(sqlite_url)
    try:
        api.add_user(registry, "drjones", "clinician", "long enough pw", actor="admin")
        assert api.authenticate(registry, "drjones", "long enough pw").session_epoch == 0
        assert api.end_sessions(registry, "drjones", actor="drjones") == 1
        assert api.end_sessions(registry, "drjones", actor="admin") == 2
        assert api.authenticate(registry, "drjones", "long enough pw").session_epoch == 2
        # the user's own sign-out is a logout; someone else ending them is recorded as such
        ended = api.audit_log(registry, action="logout")
        assert [(e.actor, e.target) for e in ended] == [("drjones", "user:drjones")]
        ended = api.audit_log(registry, action="user.end_sessions")
        assert [(e.actor, e.target, e.after) for e in ended] == [
            ("admin", "user:drjones", {"session_epoch": 2})
        ]
        # one "no such user" (a NotFoundError: the web app's 404) for every verb naming a user
        for verb, summary in (
            (lambda: api.end_sessions(registry, "nobody"), "cannot end sessions"),
            (lambda: api.disable_user(registry, "nobody"), "cannot disable user"),
            (lambda: api.set_password(registry, "nobody", "long enough pw"), "cannot set password"),
            # looked up first: an unknown user is a 404 before a short password's 422
            (lambda: api.set_password(registry, "nobody", "x"), "cannot set password"),
            (lambda: api.change_password(registry, "nobody", "x", "y"), "cannot change password"),
            (lambda: api.get_user(registry, "nobody"), "no such user"),
        ):
            with pytest.raises(NotFoundError, match=summary) as refused:
                verb()
            assert [(p.field, p.message) for p in refused.value.problems] == [
                ("name", "no such user")
            ]
    finally:
        registry.close()


def test_setting_a_password_ends_every_session_and_audits_no_secret(sqlite_url):
    registry = api.open_registry(sqlite_url)
    try:
        api.add_user(registry, "drjones", "clinician", "long enough pw", actor="admin")
        with pytest.raises(ValidationError) as short:
            api.set_password(registry, "drjones", "short", actor="admin")
        assert short.value.problems[0].field == "password"
        assert api.set_password(registry, "drjones", "SYNTHETIC new pw", actor="admin") == 1
        assert api.authenticate(registry, "drjones", "long enough pw") is None
        assert api.get_user(registry, "drjones").session_epoch == 1
        [row] = api.audit_log(registry, action="user.password")
        assert (row.actor, row.target, row.after) == ("admin", "user:drjones", {"session_epoch": 1})
        assert "SYNTHETIC new pw" not in str(vars(row)) and "argon2" not in str(vars(row))
    finally:
        registry.close()


def test_the_audit_log_has_no_edit_verb(one_patient):
    verbs = [n for n in api.__all__ if "audit" in n.lower()]
    assert sorted(verbs) == [
        "AuditEntry",
        "audit_log",
        "export_audit_log",
        "record_audit",
        "write_audit_csv",
    ]
    api.record_audit(
        one_patient,
        actor="web",
        action="patient.read",
        target="patient:P1",
        after={"when": dt.date(2024, 1, 1)},
    )
    [entry] = api.audit_log(one_patient)
    assert entry.after == {"when": "2024-01-01"}
    with pytest.raises(ValidationError) as err:
        api.record_audit(one_patient, actor="", action="x", target="")
    assert {p.field for p in err.value.problems} == {"actor", "target"}
    with one_patient.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(schema.audit_log)) == 1


def test_an_import_writes_an_audit_row(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CALCISCOPE_USER", "datamanager")
    api.generate_demo_data(tmp_path / "cohort", patients=4, seed=3, notes=False)
    with api.open_registry(sqlite_url) as registry:
        summary = api.import_directory(registry, tmp_path / "cohort")
        [entry] = api.audit_log(registry, action="import")
    assert entry.actor == "datamanager" and entry.target == str(tmp_path / "cohort")
    assert entry.after["batch_id"] == summary.batch_id and entry.after["patients"] == 4


@pytest.mark.parametrize(
    ("decision", "instead"), [("confirm", "acknowledge"), ("reject", "dismiss")]
)
def test_a_patient_item_is_not_confirmed_or_rejected(one_patient, decision, instead):
    """Regression (fixes15): confirm / reject on a patient item became acknowledge / dismiss.

    The command line refused it, the api took it without a word: a prompt to look was recorded
    as "acknowledged" by a call that said "confirm". Now the api refuses, naming the field.
    """
    item = "subset_contradiction:P1"
    with pytest.raises(ValidationError, match=f"use {instead}") as err:
        api.review(one_patient, item, decision, reviewer="a", reason="r")
    assert [(p.location, p.field) for p in err.value.problems] == [(item, "decision")]
    assert api.review_history(one_patient) == [] and api.audit_log(one_patient) == []
    done = api.review(one_patient, item, instead, reviewer="a", reason="r")
    assert (done.decision, done.new_state) == (
        instead,
        "acknowledged" if instead == "acknowledge" else "dismissed",
    )


def test_a_fact_entered_or_corrected_before_birth_is_refused(one_patient):
    """Regression (fixes15): the importers' before-birth rule holds for a person's fact too."""
    fields = {"patient_id": "P1", "system": "HP", "code": CALCINOSIS, "status": "present"}
    with pytest.raises(ValidationError, match=r"before the patient's birth \(in 1960\)") as err:
        api.add_fact(one_patient, fields | {"effective_date": "1959-06-01"}, author="a", reason="r")
    assert [p.field for p in err.value.problems] == ["effective_date"]
    fact = api.add_fact(
        one_patient, fields | {"effective_date": "1960-06-01"}, author="a", reason="r"
    )
    with pytest.raises(ValidationError, match="before the patient's birth"):
        api.correct_fact(
            one_patient, fact.fact_id, {"effective_date": "1950-01-01"}, author="a", reason="r"
        )
    assert [f.effective_date for f in one_patient.facts_for("P1") if f.fact_id == fact.fact_id]


def test_the_default_actor_is_the_same_for_ending_sessions_and_setting_a_password(
    sqlite_url, monkeypatch
):
    monkeypatch.setenv("CALCISCOPE_USER", "drsmith")
    registry = api.open_registry(sqlite_url)
    try:
        api.add_user(registry, "drjones", "clinician", "long enough pw", actor="admin")
        api.end_sessions(registry, "drjones")
        api.set_password(registry, "drjones", "SYNTHETIC new pw")
        rows = api.audit_log(registry, actor="drsmith")
        assert [(e.action, e.target) for e in rows] == [
            ("user.end_sessions", "user:drjones"),
            ("user.password", "user:drjones"),
        ]
    finally:
        registry.close()


def test_change_password_checks_the_current_one_then_sets_the_new_one(sqlite_url):
    registry = api.open_registry(sqlite_url)
    try:
        api.add_user(registry, "drjones", "clinician", "long enough pw", actor="admin")
        with pytest.raises(WrongPasswordError) as wrong:
            api.change_password(registry, "drjones", "not it", "SYNTHETIC new pw", origin="1.2.3.4")
        assert [p.field for p in wrong.value.problems] == ["current_password"]
        [failed] = api.audit_log(registry, action="login_failed")
        assert (failed.actor, failed.target) == ("drjones", "user:drjones")
        assert "1.2.3.4" in (failed.detail or "") and "not it" not in str(vars(failed))
        assert api.authenticate(registry, "drjones", "long enough pw") is not None
        # the new password's problems name the field as the caller does
        with pytest.raises(ValidationError) as short:
            api.change_password(registry, "drjones", "long enough pw", "short", field="new")
        assert [p.field for p in short.value.problems] == ["new"]
        assert api.change_password(registry, "drjones", "long enough pw", "SYNTHETIC new pw") == 1
        assert api.authenticate(registry, "drjones", "SYNTHETIC new pw").session_epoch == 1
        [row] = api.audit_log(registry, action="user.password")
        assert (row.actor, row.target) == ("drjones", "user:drjones")
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("1234567", "needs at least 8 characters"),
        (" \t " * 4, "cannot be only spaces"),
        ("x" * 1025, "has at most 1,024 characters"),
    ],
)
def test_one_password_rule_for_adding_setting_and_changing(sqlite_url, password, message):
    registry = api.open_registry(sqlite_url)
    try:
        with pytest.raises(ValidationError) as added:
            api.add_user(registry, "drjones", "clinician", password, actor="admin")
        api.add_user(registry, "drjones", "clinician", "long enough pw", actor="admin")
        with pytest.raises(ValidationError) as set_:
            api.set_password(registry, "drjones", password, actor="admin")
        with pytest.raises(ValidationError) as changed:
            api.change_password(registry, "drjones", "long enough pw", password)
        for refused, field in ((added, "password"), (set_, "password"), (changed, "new_password")):
            assert [(p.field, p.message) for p in refused.value.problems] == [(field, message)]
        assert api.audit_log(registry, action="user.password") == []
        assert api.authenticate(registry, "drjones", "x" * 1025) is None  # never hashed
        assert api.add_user(registry, "drsmith", "admin", "x" * 1024, actor="admin").active
    finally:
        registry.close()
