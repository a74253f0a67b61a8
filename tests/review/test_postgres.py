"""The review core path on PostgreSQL: queue, confirm, conflict, correct, users, audit."""

from __future__ import annotations

import pytest

from calciscope import api
from calciscope.errors import ReviewConflict

pytestmark = pytest.mark.postgres


def test_review_core_path_on_postgres(postgres_database, reimport_letter):
    with api.open_registry(postgres_database()) as registry:
        reimport_letter(registry)
        items = api.review_queue(registry, patient="P1")
        facts = [i for i in items if i.kind == "suggested_fact"]
        assert len(facts) == 3 and "suggested_case" in {i.kind for i in items}
        first = facts[0]
        api.review(
            registry,
            first.item_id,
            "confirm",
            reviewer="a",
            reason="r",
            expected_version=first.version,
        )
        with pytest.raises(ReviewConflict):
            api.review(
                registry,
                first.item_id,
                "reject",
                reviewer="b",
                reason="r",
                expected_version=first.version,
            )
        api.review(registry, "at_risk:P1", "dismiss", reviewer="a", reason="r", expected_version=0)
        with pytest.raises(ReviewConflict):
            api.review(
                registry, "at_risk:P1", "dismiss", reviewer="b", reason="r", expected_version=0
            )
        new = api.correct_fact(
            registry, facts[1].fact_id, {"morphology": "nodular"}, author="a", reason="r"
        )
        assert [h.fact.fact_id for h in api.fact_history(registry, new.fact_id)] == [
            facts[1].fact_id,
            new.fact_id,
        ]
        api.add_user(registry, "drjones", "clinician", "correct horse battery", actor="a")
        assert api.authenticate(registry, "drjones", "correct horse battery") is not None
        reimport_letter(registry)
        assert [i.fact_id for i in api.review_queue(registry, kinds=["suggested_fact"])] == [
            facts[2].fact_id
        ]
        actions = [e.action for e in api.audit_log(registry)]
        assert actions == ["review.confirm", "review.dismiss", "fact.correct", "user.add"]
        assert all(e.actor == "a" for e in api.audit_log(registry))


def test_an_audit_row_that_need_not_wait_for_the_disk_is_written_on_postgres(postgres_database):
    with api.open_registry(postgres_database()) as registry:
        api.record_audit(
            registry, actor="a", action="patient_read", target="P1", wait_for_disk=False
        )
        api.record_audit(registry, actor="a", action="patient_read", target="P2")
        assert [e.target for e in api.audit_log(registry)] == ["P1", "P2"]
        with registry.engine.connect() as conn:  # SET LOCAL: that transaction's alone
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_only_the_read_audit_transaction_commits_without_waiting_for_the_disk(
    postgres_database, reimport_letter
):
    """``synchronous_commit`` is off in the patient-read audit row's transaction, nowhere else.

    Each write statement notes the setting of the transaction it runs in (asked on the same
    connection): a decision, an entry, their audit rows and any other audit row wait for the
    disk; a crash may lose only the last patient-read rows.
    """
    from sqlalchemy import event

    with api.open_registry(postgres_database()) as registry:
        reimport_letter(registry)
        seen: list[tuple[str, str, str]] = []

        def note(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                setting = cursor.connection.execute("SHOW synchronous_commit").fetchone()[0]
                seen.append((statement.split("(", 1)[0], repr(parameters), setting))

        event.listen(registry.engine, "after_cursor_execute", note)
        api.record_audit(
            registry, actor="a", action="patient_read", target="P1", wait_for_disk=False
        )
        item = next(
            i for i in api.review_queue(registry, patient="P1") if i.kind == "suggested_fact"
        )
        api.review(
            registry,
            item.item_id,
            "confirm",
            reviewer="a",
            reason="r",
            expected_version=item.version,
        )
        api.add_fact(
            registry,
            {"patient_id": "P1", "system": "calciscope", "code": "sclerodactyly"},
            author="a",
            reason="SYNTHETIC",
        )
        api.record_audit(registry, actor="a", action="export", target="P1")
        event.remove(registry.engine, "after_cursor_execute", note)
    read = [s for s in seen if "patient_read" in s[1]]
    others = [s for s in seen if "patient_read" not in s[1]]
    assert read and {s[2] for s in read} == {"off"}
    assert {s[2] for s in others} == {"on"}, others
    audited = " ".join(s[1] for s in others if "audit" in s[0])
    assert all(a in audited for a in ("review.confirm", "fact.add", "export"))
