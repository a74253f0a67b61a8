"""The terminal loop, in-process: review, facts, users and audit commands."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.storage import schema

runner = CliRunner()


def run(db: str, *args: str, stdin: str | None = None):
    return runner.invoke(app, [*args, "--db", db], input=stdin)


@pytest.fixture
def db(one_patient, monkeypatch) -> str:
    monkeypatch.setenv("CALCISCOPE_USER", "drsmith")
    return one_patient.url


def _queue(db: str, *args: str) -> list[dict]:
    result = run(db, "review", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_review_list_confirm_reject_and_audit(db):
    facts = _queue(db, "--kind", "suggested_fact", "--patient", "P1")
    assert len(facts) == 3 and all(f["evidence"]["sentence"] for f in facts)
    table = run(db, "review", "list", "--patient", "P1")
    assert table.exit_code == 0 and "sheet-like calcinosis" in table.output
    first, second, third = (f["item_id"] for f in facts)
    done = run(db, "review", "confirm", first, second, "--reason", "letter of 2022-03-01")
    assert done.exit_code == 0, done.output
    assert "suggested -> confirmed (by drsmith" in done.output
    no = run(db, "review", "reject", third, "--reason", "wrong patient", "--reviewer", "drjones")
    assert no.exit_code == 0 and "suggested -> rejected (by drjones" in no.output
    assert _queue(db, "--kind", "suggested_fact") == []
    audit = json.loads(run(db, "audit", "list", "--json").output)
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("drsmith", "review.confirm"),
        ("drsmith", "review.confirm"),
        ("drjones", "review.reject"),
    ]
    latest = json.loads(run(db, "audit", "list", "--json", "--newest-first", "--limit", "1").output)
    assert [(a["actor"], a["action"]) for a in latest] == [("drjones", "review.reject")]


def test_review_list_of_an_unknown_patient_is_an_error_not_an_empty_queue(db):
    result = run(db, "review", "list", "--patient", "NOPE")
    assert result.exit_code != 0
    assert "NOPE" in result.output and "no such patient" in result.output
    assert "Traceback" not in result.output


def test_review_errors_name_the_field_and_write_nothing(db):
    [item] = [f["item_id"] for f in _queue(db, "--kind", "suggested_fact")][:1]
    result = run(db, "review", "confirm", item, "fact:Fnope", "--reason", "r")
    assert result.exit_code == 1
    assert "field 'item_id'" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert run(db, "review", "confirm", item).exit_code == 2  # --reason is required
    assert run(db, "audit", "list", "--json").output.strip() == "[]"


def test_facts_add_correct_history(db):
    added = run(
        db, "facts", "add", "--patient", "P1", "--system", "HP", "--code", "HP:0003761",
        "--date", "2023-05-01", "--site", "fingers", "--morphology", "nodular",
        "--method", "radiograph", "--reason", "hand radiograph",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    fact_id = added.output.split()[2]
    fixed = run(db, "facts", "correct", fact_id, "--site", "hand", "--reason", "report says hand")
    assert fixed.exit_code == 0, fixed.output
    new_id = fixed.output.split()[-1]
    history = json.loads(run(db, "facts", "history", new_id, "--json").output)
    assert [h["action"] for h in history] == ["added", "corrected"]
    assert history[0]["superseded_by"] == new_id and history[1]["author"] == "drsmith"
    shown = run(db, "facts", "history", fact_id)
    assert shown.exit_code == 0 and "report says hand" in shown.output
    bad = run(db, "facts", "add", "--patient", "P1", "--system", "HP", "--code", "X", "--status",
              "maybe", "--reason", "r")  # fmt: skip
    assert bad.exit_code == 1 and "field 'status'" in bad.output
    bad = run(db, "facts", "correct", new_id, "--site", "tail", "--reason", "r")
    assert bad.exit_code == 1 and "field 'body_site'" in bad.output


def test_facts_add_and_correct_carry_the_reference_high(db, one_patient):
    """``--reference-high`` is the laboratory's ULN (issue 12); a bad one names the field."""
    args = ("--patient", "P1", "--system", "LOINC", "--code", "2157-6", "--date", "2023-05-01",
            "--value", "250", "--unit", "U/L", "--reason", "lab result")  # fmt: skip
    added = run(db, "facts", "add", *args, "--reference-high", "200")
    assert added.exit_code == 0, added.output
    fact_id = added.output.split()[2]
    (fact,) = [f for f in one_patient.facts_for("P1") if f.fact_id == fact_id]
    assert (fact.value_num, fact.reference_high) == (250.0, 200.0)
    fixed = run(db, "facts", "correct", fact_id, "--reference-high", "300", "--reason", "typo")
    assert fixed.exit_code == 0, fixed.output
    (new,) = [f for f in one_patient.facts_for("P1") if f.fact_id == fixed.output.split()[-1]]
    assert new.reference_high == 300.0
    negative = run(db, "facts", "add", *args, "--reference-high", "-5")
    assert negative.exit_code == 1 and "field 'reference_high'" in negative.output
    assert "Traceback" not in negative.output
    text = run(db, "facts", "add", *args, "--reference-high", "high")
    assert text.exit_code == 2 and "--reference-high" in text.output


def test_facts_correct_clears_the_reference_high_and_keeps_the_history(db, one_patient):
    """``--clear reference-high`` (issue 12): a new fact without the ULN supersedes the old one,
    which keeps its ULN in the history; the default table then decides the enzyme item."""
    args = ("--patient", "P1", "--system", "LOINC", "--code", "2157-6", "--date", "2023-05-01",
            "--value", "190", "--unit", "U/L", "--reason", "lab result")  # fmt: skip
    fact_id = run(db, "facts", "add", *args, "--reference-high", "150").output.split()[2]

    def enzymes() -> object:
        table = api.feature_table(one_patient, features=["muscle_enzymes_elevated"])
        [value] = table.column("muscle_enzymes_elevated").to_pylist()
        return value

    assert enzymes() is True  # 190 > the laboratory's 150
    cleared = run(db, "facts", "correct", fact_id, "--clear", "reference-high", "--reason", "r")
    assert cleared.exit_code == 0, cleared.output
    new_id = cleared.output.split()[-1]
    (new,) = [f for f in one_patient.facts_for("P1") if f.fact_id == new_id]
    assert (new.value_num, new.reference_high) == (190.0, None)
    # 190 <= 210, the default for women: normal, but one normal CK leaves the item unknown
    assert enzymes() is None
    history = json.loads(run(db, "facts", "history", new_id, "--json").output)
    assert [(h["action"], h["fact"]["reference_high"]) for h in history] == [
        ("added", 150.0),
        ("corrected", None),
    ]
    assert history[0]["superseded_by"] == new_id
    assert "ULN 150" in run(db, "facts", "history", new_id).output
    again = run(db, "facts", "correct", new_id, "--clear", "reference-high", "--reason", "r")
    assert again.exit_code == 1 and "changes nothing" in again.output
    both = run(db, "facts", "correct", new_id, "--clear", "reference-high",
               "--reference-high", "5", "--reason", "r")  # fmt: skip
    assert both.exit_code == 2 and "both given a value and cleared" in both.output
    wrong = run(db, "facts", "correct", new_id, "--clear", "code", "--reason", "r")
    assert wrong.exit_code == 2 and "cannot be cleared" in wrong.output


def test_reference_high_none_clears_the_uln(db, one_patient):
    """``--reference-high none`` (issue 12): ``facts correct`` clears the ULN like ``--clear
    reference-high``; ``facts add`` records none; other text is a usage error naming the option."""
    args = ("--patient", "P1", "--system", "LOINC", "--code", "2157-6", "--date", "2023-05-01",
            "--value", "190", "--unit", "U/L", "--reason", "lab result")  # fmt: skip
    fact_id = run(db, "facts", "add", *args, "--reference-high", "150").output.split()[2]
    cleared = run(db, "facts", "correct", fact_id, "--reference-high", "None", "--reason", "r")
    assert cleared.exit_code == 0, cleared.output
    new_id = cleared.output.split()[-1]
    (new,) = [f for f in one_patient.facts_for("P1") if f.fact_id == new_id]
    assert (new.value_num, new.reference_high) == (190.0, None)
    history = json.loads(run(db, "facts", "history", new_id, "--json").output)
    assert [h["fact"]["reference_high"] for h in history] == [150.0, None]
    again = run(db, "facts", "correct", new_id, "--reference-high", "none", "--reason", "r")
    assert again.exit_code == 1 and "changes nothing" in again.output
    other = ("--patient", "P1", "--system", "LOINC", "--code", "2157-6", "--date", "2023-06-01",
             "--value", "90", "--unit", "U/L", "--reason", "lab result")  # fmt: skip
    added = run(db, "facts", "add", *other, "--reference-high", "none")
    assert added.exit_code == 0, added.output
    (fact,) = [f for f in one_patient.facts_for("P1") if f.fact_id == added.output.split()[2]]
    assert fact.reference_high is None
    wrong = run(db, "facts", "correct", new_id, "--reference-high", "normal", "--reason", "r")
    assert wrong.exit_code == 2 and "--reference-high" in wrong.output
    assert "'none'" in " ".join(wrong.output.split())


def test_api_correct_fact_sets_and_clears_the_reference_high(one_patient):
    fields = {"patient_id": "P1", "system": "LOINC", "code": "2157-6", "value_num": 250.0,
              "unit": "U/L", "effective_date": dt.date(2023, 5, 1)}  # fmt: skip
    first = api.add_fact(one_patient, fields, author="drsmith", reason="lab")
    ranged = api.correct_fact(
        one_patient, first.fact_id, {"reference_high": 300.0}, author="drsmith", reason="range"
    )
    assert ranged.reference_high == 300.0 and ranged.fact_id != first.fact_id
    with pytest.raises(ValidationError, match="reference_high"):
        api.correct_fact(
            one_patient, ranged.fact_id, {"reference_high": -1}, author="drsmith", reason="r"
        )
    history = api.fact_history(one_patient, ranged.fact_id)
    assert [r.fact.reference_high for r in history] == [None, 300.0]
    # a fact entered with its ULN: None clears it, the old fact keeps it in the history
    other = fields | {"effective_date": dt.date(2023, 6, 1), "reference_high": 180.0}
    with_uln = api.add_fact(one_patient, other, author="drsmith", reason="lab")
    cleared = api.correct_fact(
        one_patient, with_uln.fact_id, {"reference_high": None}, author="drsmith", reason="not ours"
    )
    assert (cleared.value_num, cleared.reference_high) == (250.0, None)
    history = api.fact_history(one_patient, cleared.fact_id)
    assert [r.fact.reference_high for r in history] == [180.0, None]
    assert history[0].superseded_by == cleared.fact_id


def test_users_add_list_disable(db, one_patient):
    added = run(db, "users", "add", "drjones", "--role", "clinician", "--password-stdin",
                stdin="correct horse battery\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    prompted = run(
        db, "users", "add", "admin1", "--role", "admin", stdin="s3cret-pass\ns3cret-pass\n"
    )
    assert prompted.exit_code == 0, prompted.output
    users = json.loads(run(db, "users", "list", "--json").output)
    assert [(u["name"], u["role"], u["active"]) for u in users] == [
        ("admin1", "admin", True),
        ("drjones", "clinician", True),
    ]
    assert "password" not in json.dumps(users)
    assert run(db, "users", "disable", "drjones").exit_code == 0
    assert api.authenticate(one_patient, "drjones", "correct horse battery") is None
    assert api.authenticate(one_patient, "admin1", "s3cret-pass") is not None
    bad = run(db, "users", "add", "x y", "--role", "boss", "--password-stdin", stdin="short\n")
    assert bad.exit_code == 1
    for field in ("'name'", "'role'", "'password'"):
        assert f"field {field}" in bad.output
    assert run(db, "users", "list").exit_code == 0


def test_users_password_and_end_sessions(db, one_patient):
    assert run(db, "users", "add", "drjones", "--role", "clinician", "--password-stdin",
               stdin="SYNTHETIC pass 1\n").exit_code == 0  # fmt: skip
    ended = run(db, "users", "end-sessions", "drjones")
    assert ended.exit_code == 0 and "ended every session of drjones" in ended.output
    assert api.get_user(one_patient, "drjones").session_epoch == 1
    changed = run(
        db, "users", "password", "drjones", "--password-stdin", stdin="SYNTHETIC pass 2\n"
    )
    assert changed.exit_code == 0 and "every session of theirs has ended" in changed.output
    assert "SYNTHETIC pass 2" not in changed.output
    assert api.authenticate(one_patient, "drjones", "SYNTHETIC pass 1") is None
    assert api.authenticate(one_patient, "drjones", "SYNTHETIC pass 2").session_epoch == 2
    prompted = run(db, "users", "password", "drjones", stdin="SYNTHETIC pass 3\nSYNTHETIC pass 3\n")
    assert prompted.exit_code == 0, prompted.output
    audit = json.loads(run(db, "audit", "list", "--json").output)
    assert [(a["actor"], a["action"], a["target"]) for a in audit][1:] == [
        ("drsmith", "user.end_sessions", "user:drjones"),
        ("drsmith", "user.password", "user:drjones"),
        ("drsmith", "user.password", "user:drjones"),
    ]
    assert "SYNTHETIC pass" not in json.dumps(audit)
    for args in (("end-sessions", "nobody"), ("password", "nobody", "--password-stdin")):
        missing = run(db, "users", *args, stdin="long enough pw\n")
        assert missing.exit_code == 1 and "no such user" in missing.output, args
    # the user is looked up before the password is asked for (fix40): no prompt for nobody
    unknown = run(db, "users", "password", "nobody", stdin="")
    assert unknown.exit_code == 1 and "no such user" in unknown.output
    assert "password:" not in unknown.output.lower()
    short = run(db, "users", "password", "drjones", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "field 'password'" in short.output


def test_audit_export_csv(db, tmp_path):
    [item] = [f["item_id"] for f in _queue(db, "--kind", "suggested_fact")][:1]
    run(db, "review", "confirm", item, "--reason", "seen")
    out = tmp_path / "audit.csv"
    result = run(db, "audit", "export", str(out))
    assert result.exit_code == 0 and "1 audit row" in result.output
    with out.open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["action"] == "review.confirm" and row["actor"] == "drsmith"
    assert json.loads(row["after"]) == {"state": "confirmed", "version": 2}
    listed = run(db, "audit", "list", "--actor", "drsmith", "--since", "2000-01-01")
    assert listed.exit_code == 0 and "review.confirm" in listed.output


def test_passwords_are_argon2id(one_patient):
    api.add_user(one_patient, "drjones", "researcher", "correct horse battery")
    with one_patient.engine.connect() as conn:
        stored = conn.scalar(sa.select(schema.users.c.password_hash))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert (
        api.authenticate(one_patient, "drjones", "correct horse battery").role.value == "researcher"
    )
    assert api.authenticate(one_patient, "drjones", "wrong") is None
    assert api.authenticate(one_patient, "nobody", "correct horse battery") is None
    with pytest.raises(ValidationError, match="exists"):
        api.add_user(one_patient, "drjones", "admin", "another long one")


def test_review_list_on_the_demo_shows_sentences(reviewed_demo_url):
    args = ("review", "list", "--kind", "suggested_fact", "--patient", "P0001")
    result = run(reviewed_demo_url, *args)
    assert result.exit_code == 0, result.output
    # 19 suggested from the notes, 1 from the measurement of the patient's SYNTHETIC film
    assert "20 open item(s)" in result.output and "P0001-L1:" in result.output
    items = json.loads(run(reviewed_demo_url, *args, "--json").output)
    from_film = [i for i in items if "a reading of image IMG-" in i["reason"]]
    assert len(from_film) == 1 and from_film[0]["evidence"] is None
    ana = next(i for i in items if i["fact"]["code"] == "HP:0003493")
    assert ana["evidence"]["sentence"] == "- ANA weakly positive"
    assert ana["reason"] == "Antinuclear antibodies (present) suggested from clinic_letter P0001-L1"


def test_a_second_reviewer_gets_a_conflict_not_a_silent_flip(db):
    [item] = [f["item_id"] for f in _queue(db, "--kind", "suggested_fact")][:1]
    assert run(db, "review", "confirm", item, "--reason", "first").exit_code == 0
    late = run(db, "review", "reject", item, "--reason", "second", "--reviewer", "drjones")
    assert late.exit_code == 1
    assert "already confirmed (version 2)" in late.output and "nothing was written" in late.output
    again = run(db, "review", "reject", item, "--reason", "on second thoughts", "--redecide")
    assert again.exit_code == 0 and "confirmed -> rejected" in again.output


def test_review_list_states_the_index_date_of_its_patient_items(db):
    table = run(db, "review", "list")
    assert table.exit_code == 0, table.output
    today = dt.date.today().isoformat()
    # fixes17: the registry's as-of date, today when none is set (was the default study's)
    assert f"index date {today} (today: no as-of date is set" in " ".join(table.output.split())
    assert run(db, "registry", "set-as-of", "2023-12-31").exit_code == 0
    table = run(db, "review", "list")
    assert "index date 2023-12-31 (the registry's as-of date)" in " ".join(table.output.split())
    chosen = run(db, "review", "list", "--index-date", "2025-06-30")
    assert "index date 2025-06-30 (chosen)" in " ".join(chosen.output.split())


def test_prompts_are_acknowledged_or_dismissed_never_confirmed(db):
    [fact] = [f["item_id"] for f in _queue(db, "--kind", "suggested_fact")][:1]
    refused = run(db, "review", "confirm", "suggested_case:P1", "--reason", "r")
    assert refused.exit_code == 2 and "review acknowledge" in refused.output
    assert "not a finding" in " ".join(refused.output.split())
    assert run(db, "review", "acknowledge", fact, "--reason", "r").exit_code == 2
    assert run(db, "review", "dismiss", fact, "--reason", "r").exit_code == 2
    done = run(db, "review", "acknowledge", "at_risk:P1", "--reason", "radiograph booked")
    assert done.exit_code == 0 and "at_risk:P1: open -> acknowledged" in done.output
    gone = run(db, "review", "dismiss", "at_risk:P1", "--reason", "again")
    assert gone.exit_code == 1  # decided already: a conflict
    kinds = " ".join(runner.invoke(app, ["review", "kinds"], terminal_width=200).output.split())
    assert "acknowledge" in kinds and "confirm/reject" in kinds and "deciding its" in kinds
    assert run(db, "audit", "list", "--json").output.count("review.acknowledge") == 1
