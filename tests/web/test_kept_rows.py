"""A patient's rows are computed once between the processes sharing a folder (SYNTHETIC data).

``api.patient_features`` and ``api.explain_patient`` given ``kept=FOLDER`` keep the rows they
compute in files named by the hash of the patient's data; another process (a worker of
``serve --workers N``) asking for the same patient's rows reads them instead of computing.
The rows are those computed without the folder; a changed fact is another file, never a stale
row; a confirmation through one worker is computed there and read by the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest
from web_client import client_for, running, sign_in

from calciscope import api
from calciscope.api import _rows
from calciscope.engine import rows as engine_rows
from calciscope.web import create_app


@pytest.fixture
def registry_url(tmp_path: Path, demo_registry_url: str) -> str:
    path = tmp_path / "demo.db"
    shutil.copy(demo_registry_url.split(":///", 1)[1], path)
    return f"sqlite:///{path}"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the in-memory runs: ``features`` (feature rows) and ``explanation`` (classified)."""
    counted: list[str] = []
    run = engine_rows.TablesEvaluator.run

    def counting(self: engine_rows.TablesEvaluator, **tables: object) -> object:
        counted.append(str(self.cache_key).split()[0])
        return run(self, **tables)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_rows.TablesEvaluator, "run", counting)
    return counted


def test_kept_rows_are_the_computed_rows_and_are_read_not_computed(
    registry_url: str, tmp_path: Path, runs: list[str]
) -> None:
    folder = tmp_path / "kept"
    with api.open_registry(registry_url) as registry:
        ids = sorted(str(p) for p in api.list_patients(registry)[0]["patient_id"].to_pylist())[:6]
        expected = api.patient_features(registry, ids)
        explained = {pid: api.explain_patient(registry, pid) for pid in ids[:3]}
        assert api.patient_features(registry, ids[:4], kept=folder).equals(
            api.patient_features(registry, ids[:4])
        )
        runs.clear()
        mixed = api.patient_features(registry, ids, kept=folder)  # 4 kept, 2 computed together
        assert mixed.equals(expected) and runs == ["features"]
        assert api.patient_features(registry, ids, kept=folder).equals(expected)
        assert runs == ["features"]  # every row read from its file
        for pid, explanation in explained.items():
            assert api.explain_patient(registry, pid, kept=folder) == explanation
        assert runs == ["features"] + ["explanation"] * 3  # on the kept feature rows
        for pid, explanation in explained.items():  # the classified rows read back
            assert api.explain_patient(registry, pid, kept=folder) == explanation
        assert len(runs) == 4
        rows = folder / "rows"
        assert rows.stat().st_mode & 0o077 == 0  # patient data: the owner's only
        assert all(f.stat().st_mode & 0o077 == 0 for f in rows.iterdir())


def test_a_changed_fact_is_another_row_never_a_stale_one(
    registry_url: str, tmp_path: Path, runs: list[str]
) -> None:
    folder = tmp_path / "kept"
    with api.open_registry(registry_url) as registry:
        pid = str(api.list_patients(registry)[0]["patient_id"][0])
        api.explain_patient(registry, pid, kept=folder)  # kept for the data before the entry
        api.patient_features(registry, [pid], kept=folder)
        api.add_fact(
            registry,
            {"patient_id": pid, "system": "calciscope", "code": "sclerodactyly"},
            author="tester",
            reason="SYNTHETIC",
        )
        runs.clear()
        assert api.patient_features(registry, [pid], kept=folder).equals(
            api.patient_features(registry, [pid])
        )
        assert runs == ["features"] * 2  # computed: the kept row was of the data before the entry
        runs.clear()
        after = api.explain_patient(registry, pid, kept=folder)
        assert runs == ["explanation"]  # classified again, on the new data's kept feature row
        assert after == api.explain_patient(registry, pid)


def test_old_row_files_are_removed(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa

    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    files.put_explanation("d" * 64, "a" * 64, {"patient_id": "SYNTHETIC-1"})
    files.put_features("d" * 64, "b" * 64, pa.table({"patient_id": ["SYNTHETIC-2"]}))
    old = next(files.folder.glob("explained-*"))
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    assert files.prune() == 1
    assert files.explanation("d" * 64, "a" * 64) is None
    assert files.features("d" * 64, "b" * 64) is not None


def test_a_confirmation_through_one_worker_is_computed_there_and_read_by_the_other(
    web_settings: object, runs: list[str]
) -> None:
    settings = dataclasses.replace(web_settings, watch_seconds=0.0)  # type: ignore[type-var]
    with running(create_app(settings)) as first, running(create_app(settings)) as second:
        apps = [first, second]  # one registry, one kept folder
        one, other = (sign_in(client_for(a), "cleo") for a in apps)
        item = one.get("/api/review").json()["items"][0]
        pid = item["patient_id"]
        for client in (one, other):  # each keeps the list and the patient's explanation
            client.get("/api/patients", params={"size": 200})
            client.get(f"/api/patients/{pid}/criteria")
        decided = one.post(
            f"/api/review/items/{item['item_id']}/decision",
            json={"decision": "confirm", "reason": "seen", "expected_version": item["version"]},
        )
        assert decided.status_code == 200, decided.text
        runs.clear()
        mine = [
            one.get(p).json() for p in ("/api/patients?size=200", f"/api/patients/{pid}/criteria")
        ]
        assert runs == ["features", "explanation"]  # the deciding worker computed the rows
        theirs = [
            other.get(p).json() for p in ("/api/patients?size=200", f"/api/patients/{pid}/criteria")
        ]
        assert runs == ["features", "explanation"]  # the other worker read them, kept
        assert mine == theirs


def test_threads_of_one_worker_keeping_the_same_row_at_once_all_succeed(tmp_path: Path) -> None:
    """Two requests of one worker (threads of one process) keep the same row at once.

    Before, both wrote ``<name>.<pid>.part``; the second rename found the file gone and the
    request failed with a server error (seen under 50 clients in ``benchmarks/web.py``).
    """
    files = _rows.RowFiles(tmp_path / "kept", dt.date(2023, 12, 31))
    row = pa.table({"patient_id": ["P1"], "value": [1.5]})

    def keep(_: int) -> None:
        for _ in range(50):
            files.put_features("d" * 16, "a" * 40, row)
            files.put_explanation("d" * 16, "a" * 40, {"patient_id": "P1"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(keep, range(8)))  # raises what a thread raised
    assert files.features("d" * 16, "a" * 40).equals(row)  # type: ignore[union-attr]
    assert files.explanation("d" * 16, "a" * 40) == {"patient_id": "P1"}
    kept = sorted(p.name for p in files.folder.iterdir())
    assert len(kept) == 2 and not any(name.endswith(".part") for name in kept)
    assert {oct(p.stat().st_mode & 0o777) for p in files.folder.iterdir()} == {"0o600"}


def test_rows_kept_by_another_build_of_the_code_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new calciscope with the same definitions computes its rows again (SYNTHETIC row)."""
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    files.put_explanation("d" * 64, "a" * 64, {"patient_id": "SYNTHETIC-1"})
    assert files.explanation("d" * 64, "a" * 64) == {"patient_id": "SYNTHETIC-1"}
    monkeypatch.setattr(_rows, "_compiler_version", lambda: "another build of the engine")
    assert files.explanation("d" * 64, "a" * 64) is None


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as if it had just started: it has not looked at any folder yet."""
    monkeypatch.setattr(_rows, "_last_pruned", {}, raising=False)
    monkeypatch.setattr(_rows.RowFiles, "_written", 0, raising=False)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_restarted_process_removes_old_row_files_at_once(
    tmp_path: Path, new_process: None
) -> None:
    """A deployment that restarts often never wrote 200 files in one process: nothing pruned."""
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    for n in range(5):  # written by processes long gone (SYNTHETIC rows)
        files.put_explanation("d" * 64, f"{n}" * 64, {"patient_id": f"SYNTHETIC-{n}"})
        _age(files._path("explained", "d" * 64, f"{n}" * 64, "json"), 3600)
    (files.folder / "features-left.arrow.123.part").write_bytes(b"a crashed write")
    _age(files.folder / "features-left.arrow.123.part", 3600)
    files.put_explanation("d" * 64, "f" * 64, {"patient_id": "SYNTHETIC-F"})  # a fresh one
    _rows._last_pruned.clear()  # type: ignore[attr-defined]  # the process starts again
    restarted = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    assert restarted.explanation("d" * 64, "f" * 64) == {"patient_id": "SYNTHETIC-F"}
    assert [p.name for p in restarted.folder.iterdir()] == [
        restarted._path("explained", "d" * 64, "f" * 64, "json").name
    ]
    # a changed patient is still another file, never the kept row of the data before
    assert restarted.explanation("d" * 64, "0" * 64) is None


def test_a_running_process_looks_again_after_a_while_and_each_look_is_bounded(
    tmp_path: Path, new_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))  # the first look: nothing yet
    for n in range(10):
        files.put_features("d" * 64, f"{n}" * 64, pa.table({"patient_id": [f"SYNTHETIC-{n}"]}))
        _age(files._path("features", "d" * 64, f"{n}" * 64, "arrow"), 3600)
    _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    assert len(list(files.folder.iterdir())) == 10  # looked a moment ago: not again
    monkeypatch.setattr(_rows, "_PRUNE_SECONDS", 0.0)
    monkeypatch.setattr(_rows, "_PRUNE_AT_MOST", 4)
    _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    assert len(list(files.folder.iterdir())) == 6  # four examined, four removed
    for _ in range(2):
        _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    assert list(files.folder.iterdir()) == []


class _Unwritable:
    """A writer that fails with something other than an OSError (as a serialiser may)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error", [ValueError("SYNTHETIC-SECRET"), RuntimeError("SYNTHETIC-SECRET"), OSError(28, "full")]
)
def test_a_row_that_cannot_be_written_is_not_kept_and_nothing_fails(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    monkeypatch.setattr(_rows.feather, "write_feather", _Unwritable(error))
    with caplog.at_level("WARNING", logger=_rows.__name__):
        files.put_features("d" * 64, "a" * 64, pa.table({"patient_id": ["SYNTHETIC-SECRET"]}))
    assert files.features("d" * 64, "a" * 64) is None
    assert list(files.folder.iterdir()) == []  # no part file left behind
    assert caplog.records and "SYNTHETIC-SECRET" not in caplog.text  # logged, no patient data


def test_a_classified_row_json_cannot_hold_is_not_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    with caplog.at_level("WARNING", logger=_rows.__name__):
        files.put_explanation("d" * 64, "a" * 64, {"patient_id": "SYNTHETIC-1", "x": math.nan})
        files.put_explanation("d" * 64, "b" * 64, {"patient_id": "SYNTHETIC-2", "x": {1, 2}})
    assert files.explanation("d" * 64, "a" * 64) is None
    assert files.explanation("d" * 64, "b" * 64) is None
    assert list(files.folder.iterdir()) == []
    assert len(caplog.records) == 2 and "SYNTHETIC" not in caplog.text


def test_a_folder_that_cannot_be_made_keeps_nothing_and_fails_nothing(tmp_path: Path) -> None:
    (tmp_path / "rows").write_text("a file where the folder would be")
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    files.put_explanation("d" * 64, "a" * 64, {"patient_id": "SYNTHETIC-1"})
    files.put_features("d" * 64, "a" * 64, pa.table({"patient_id": ["SYNTHETIC-1"]}))
    assert files.explanation("d" * 64, "a" * 64) is None
    assert files.features("d" * 64, "a" * 64) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body[: len(body) // 2],  # truncated
        lambda body: b"\xff\xfe not a row",  # garbage (not UTF-8, not Arrow)
        lambda body: b"",  # empty
    ],
)
def test_a_damaged_kept_file_is_a_miss(tmp_path: Path, damage: object) -> None:
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    files.put_explanation("d" * 64, "a" * 64, {"patient_id": "SYNTHETIC-1", "v": [1, 2, 3]})
    files.put_features("d" * 64, "a" * 64, pa.table({"patient_id": ["SYNTHETIC-1"]}))
    for path in files.folder.iterdir():
        path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert files.explanation("d" * 64, "a" * 64) is None
    assert files.features("d" * 64, "a" * 64) is None


def test_a_kept_file_that_is_not_a_row_is_a_miss(tmp_path: Path) -> None:
    files = _rows.RowFiles(tmp_path, dt.date(2026, 12, 5))
    files.put_features("d" * 64, "a" * 64, pa.table({"patient_id": ["S-1", "S-2"]}))
    files._path("explained", "d" * 64, "a" * 64, "json").write_text("[1, 2]")
    assert files.features("d" * 64, "a" * 64) is None
    assert files.explanation("d" * 64, "a" * 64) is None


def test_damaged_kept_rows_are_computed_again_and_kept_over(
    registry_url: str, tmp_path: Path, runs: list[str]
) -> None:
    folder = tmp_path / "kept"
    with api.open_registry(registry_url) as registry:
        ids = sorted(str(p) for p in api.list_patients(registry)[0]["patient_id"].to_pylist())[:3]
        expected = api.patient_features(registry, ids)
        explained = api.explain_patient(registry, ids[0])
        api.patient_features(registry, ids, kept=folder)
        api.explain_patient(registry, ids[0], kept=folder)
        for path in (folder / "rows").iterdir():
            path.write_bytes(path.read_bytes()[:10])
        runs.clear()
        assert api.patient_features(registry, ids, kept=folder).equals(expected)
        assert api.explain_patient(registry, ids[0], kept=folder) == explained
        assert runs == ["features", "explanation"]
        runs.clear()  # kept again, whole
        assert api.patient_features(registry, ids, kept=folder).equals(expected)
        assert api.explain_patient(registry, ids[0], kept=folder) == explained
        assert runs == []


def test_requests_succeed_when_nothing_can_be_kept(
    web_settings: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The patient list and a criteria panel, every kept file unwritable (disk full, say)."""
    monkeypatch.setattr(_rows.feather, "write_feather", _Unwritable(RuntimeError("full")))
    with running(create_app(web_settings)) as application:  # type: ignore[arg-type]
        client = sign_in(client_for(application), "cleo")
        listed = client.get("/api/patients", params={"size": 5})
        assert listed.status_code == 200, listed.text
        pid = listed.json()["rows"][0]["patient_id"]
        shown = client.get(f"/api/patients/{pid}/criteria")
        assert shown.status_code == 200, shown.text
    assert "not kept" in caplog.text
