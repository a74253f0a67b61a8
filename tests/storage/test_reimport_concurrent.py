"""Re-imports on PostgreSQL under concurrency (imports37): two imports of one source record at
the same time, and a reviewer deciding on a fact while an import supersedes it.

Each side runs on its own connection (its own :class:`Registry`, in a thread); the test holds
the first transaction open until the second is seen waiting on a lock (``pg_stat_activity``)
or done, so the interleaving is the same on every run. All data SYNTHETIC.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.errors import ReviewConflict
from calciscope.model import Fact, Patient, Sex, SourceKind, Status
from calciscope.storage import Batch, Registry, reimport, schema
from calciscope.storage import registry as registry_module

pytestmark = pytest.mark.postgres

CK = ("LOINC", "2157-6")
WHERE = "ck.json#/entry/1 (Observation/ck1)"  # one source record, every import


def _ck(value: float) -> Fact:
    return Fact(
        patient_id="P1",
        system=CK[0],
        code=CK[1],
        status=Status.PRESENT,
        effective_date=dt.date(2021, 3, 4),
        value_num=value,
        unit="U/L",
        source_kind=SourceKind.IMPORT,
        provenance=WHERE,
    )


def _batch(value: float) -> Batch:
    return Batch(patients=[Patient(patient_id="P1", sex=Sex.FEMALE)], facts=[_ck(value)])


def _rows(url: str) -> list[dict[str, Any]]:
    with Registry(url) as registry, registry.engine.connect() as conn:
        t = schema.facts
        q = sa.select(t).where(t.c.code == CK[1]).order_by(t.c.value_num)
        return [dict(r) for r in conn.execute(q).mappings()]


def _waiting_or_done(url: str, done: threading.Event) -> None:
    """Return once another connection waits on a lock, or ``done`` is set (30 s at most)."""
    with Registry(url) as registry, registry.engine.connect() as conn:
        q = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        for _ in range(3000):
            if done.wait(0.01) or conn.execute(q).scalar():
                return
    pytest.fail("the second writer neither waited on a lock nor finished")


def _run(target: Callable[[], Any]) -> tuple[threading.Thread, threading.Event, list[Any]]:
    done, out = threading.Event(), []

    def body() -> None:
        try:
            out.append(target())
        except Exception as exc:  # reported by the test
            out.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, done, out


def _overlapping(url: str, first: float, second: float) -> list[Any]:
    """Import ``first`` and, while its transaction is open, ``second``; return their counts."""
    with Registry(url) as one, Registry(url) as two:
        with one.bulk_import(source="first.json", source_hash="1") as writer:
            writer.write(_batch(first))
            thread, done, out = _run(
                lambda: two.import_batch(_batch(second), source="second.json", source_hash="2")
            )
            _waiting_or_done(url, done)
        thread.join(60)
    assert not thread.is_alive()
    [result] = out
    assert not isinstance(result, BaseException), result
    return [writer.summary_counts(), result.counts]


def _check_one_current(url: str, values: set[float]) -> list[dict[str, Any]]:
    rows = _rows(url)
    assert {r["value_num"] for r in rows} == values
    current = [r for r in rows if r["superseded_by"] is None]
    assert len(current) == 1, current
    return rows


def test_two_imports_of_a_new_patient_s_record_at_once_leave_one_version_current(
    postgres_database,
):
    url = postgres_database()
    counts = _overlapping(url, 900.0, 90.0)
    rows = _check_one_current(url, {90.0, 900.0})
    # the later import superseded the first one's version, recorded as every re-import is
    assert counts[1]["facts_superseded_by_reimport"] == 1
    [old] = [r for r in rows if r["value_num"] == 900.0]
    assert old["superseded_by"] is not None and old["version"] == 2
    with Registry(url) as registry:
        history = api.fact_history(registry, old["superseded_by"])
    assert [h.action for h in history][-1] == "reimported"


def test_two_re_imports_of_a_stored_record_at_once_leave_one_version_current(
    postgres_database,
):
    url = postgres_database()
    with Registry(url) as registry:
        registry.import_batch(_batch(900.0), source="seed.json", source_hash="0")
    counts = _overlapping(url, 90.0, 9.0)
    rows = _check_one_current(url, {9.0, 90.0, 900.0})
    assert [c.get("facts_superseded_by_reimport") for c in counts] == [1, 1]
    assert {r["value_num"] for r in rows if r["superseded_by"] is None} == {9.0}


def test_a_confirmation_during_the_re_import_waits_and_is_refused(postgres_database, monkeypatch):
    """The reviewer confirms the stored fact after the import read it, before it superseded it.

    The import holds the registry's write lock from its first row on (the generation counter's
    row, migration 0008), so the decision waits for it, then finds the fact superseded: a
    conflict the reviewer is told of. Never both current, never a decision silently lost.
    """
    url = postgres_database()
    with Registry(url) as registry:
        registry.import_batch(_batch(900.0), source="seed.json", source_hash="0")
    [stored] = _rows(url)
    flush = reimport._Run.flush
    started: list[Any] = []

    def confirm_meanwhile(run: reimport._Run) -> None:
        if run.updates and not started:
            item = f"fact:{stored['fact_id']}"

            def decide() -> Any:
                with Registry(url) as reviewer:
                    return api.review(reviewer, item, "confirm", reviewer="ann", reason="seen")

            started.append(_run(decide))
            _waiting_or_done(url, started[0][1])
        flush(run)

    monkeypatch.setattr(reimport._Run, "flush", confirm_meanwhile)
    with Registry(url) as registry:
        counts = registry.import_batch(_batch(90.0), source="re.json", source_hash="1").counts
    [(thread, _, out)] = started
    thread.join(60)
    [decision] = out
    assert isinstance(decision, ReviewConflict), decision
    rows = {r["value_num"]: r for r in _rows(url)}
    assert rows[90.0]["superseded_by"] is None
    assert rows[900.0]["superseded_by"] == rows[90.0]["fact_id"] and rows[900.0]["version"] == 2
    assert counts["facts_superseded_by_reimport"] == 1


def test_a_decision_on_a_fact_an_open_re_import_superseded_is_refused_not_lost(
    postgres_database, monkeypatch
):
    """The import superseded the fact (row locked) and the reviewer decides before it commits."""
    url = postgres_database()
    with Registry(url) as registry:
        registry.import_batch(_batch(900.0), source="seed.json", source_hash="0")
    [stored] = _rows(url)
    item = f"fact:{stored['fact_id']}"
    with Registry(url) as one, Registry(url) as two:
        with one.bulk_import(source="re.json", source_hash="1") as writer:
            writer.write(_batch(90.0))
            writer.finish()  # supersedes now; the transaction stays open
            writer.finish = lambda: None  # type: ignore[method-assign]
            thread, done, out = _run(
                lambda: api.review(two, item, "confirm", reviewer="ann", reason="seen")
            )
            _waiting_or_done(url, done)
        thread.join(60)
    [result] = out
    assert isinstance(result, ReviewConflict)  # the reviewer is told; nothing overwritten
    rows = {r["value_num"]: r for r in _rows(url)}
    assert rows[90.0]["superseded_by"] is None
    assert rows[900.0]["superseded_by"] == rows[90.0]["fact_id"] and rows[900.0]["version"] == 2


def _import_lock_holders(url: str) -> list[int]:
    key = registry_module.IMPORT_LOCK_KEY
    with Registry(url) as registry, registry.engine.connect() as conn:
        q = sa.text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :high "
            "AND objid = :low AND objsubid = 1"
        )
        return list(conn.execute(q, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalars())


def test_a_failing_import_releases_the_import_lock(postgres_database):
    """fix45: the lock is the transaction's: an import that fails leaves it free."""
    url = postgres_database()
    with Registry(url) as registry:
        failing = registry.bulk_import(source="bad.json", source_hash="1")
        with pytest.raises(RuntimeError, match="SYNTHETIC failure"), failing as writer:
            writer.write(_batch(900.0))
            assert _import_lock_holders(url)  # held while the import runs
            raise RuntimeError("SYNTHETIC failure")
        assert _import_lock_holders(url) == []
        assert _rows(url) == []  # all or nothing
        counts = registry.import_batch(_batch(90.0), source="ok.json", source_hash="2").counts
    assert counts["facts"] == 1


def test_an_import_that_waits_says_for_whom(postgres_database, caplog):
    """fix45: the waiting import warns, naming the lock and the backend holding it."""
    url = postgres_database()
    with caplog.at_level(logging.WARNING, logger="calciscope.storage.registry"):
        _overlapping(url, 900.0, 90.0)
    [message] = [
        r.getMessage() for r in caplog.records if "waiting for another import" in r.message
    ]
    assert f"advisory lock {registry_module.IMPORT_LOCK_KEY} held by backend pid " in message
    assert message.split("backend pid ")[1].split(";")[0].isdigit()
