"""SQLite registry under concurrency: readers during an import, a waiting second writer."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from calciscope.engine import connect
from calciscope.errors import RegistryError
from calciscope.model import Patient
from calciscope.storage import Batch, Registry, schema

#: a second process that holds the registry's write lock until told to commit (a stdin line)
_HOLDER = """
import sys
from calciscope.storage import Registry, schema
registry = Registry(sys.argv[1])
with registry.write() as conn:
    conn.execute(schema.patients.insert().values(patient_id="HOLDER", sex="unknown"))
    print("locked", flush=True)
    sys.stdin.readline()
registry.close()
"""


def _batch(pid: str) -> Batch:
    return Batch(patients=[Patient(patient_id=pid, sex="female", birth_year=1970)])


@pytest.fixture
def url(tmp_path: Path) -> str:
    registry_url = f"sqlite:///{tmp_path / 'registry.db'}"
    with Registry(registry_url) as registry:
        registry.import_batch(_batch("P1"), source="seed", source_hash="h")
    return registry_url


@pytest.fixture
def holder(url: str):  # type: ignore[no-untyped-def]
    """Start another process holding the write lock; release it after ``seconds`` (or at the end)."""
    started: list[subprocess.Popen[str]] = []

    def release(proc: subprocess.Popen[str]) -> None:
        if proc.poll() is None and proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.write("commit\n")
            proc.stdin.close()

    def start(seconds: float | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        if seconds is not None:
            threading.Timer(seconds, release, args=(proc,)).start()
        return proc

    yield start
    for proc in started:
        release(proc)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()


def test_registry_is_in_wal_mode(url):
    with Registry(url) as registry, registry.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_readers_work_while_another_process_writes(url, holder):
    proc = holder()
    with Registry(url) as registry:  # opening (and checking migrations) does not wait
        assert registry.counts()["patients"] == 1  # the uncommitted patient is not seen
        assert registry.patient("P1") is not None
    con = connect(url)  # the Ibis engine reads too
    assert con.table("patients").count().to_pyarrow().as_py() == 1
    con.disconnect()
    assert proc.poll() is None, "the reads finished while the writer still held the lock"


def test_second_writer_waits_then_proceeds(url, holder):
    holder(0.8)
    start = time.monotonic()
    with Registry(url, busy_timeout_s=20) as registry:
        registry.import_batch(_batch("P2"), source="second", source_hash="h2")
        waited = time.monotonic() - start
        assert registry.existing_patient_ids(["P1", "P2", "HOLDER"]) == {"P1", "P2", "HOLDER"}
    assert waited > 0.3


def test_second_writer_fails_with_registry_busy(url, holder):
    holder()
    with Registry(url, busy_timeout_s=0.2) as registry:
        with pytest.raises(RegistryError, match="registry busy") as caught:
            registry.import_batch(_batch("P3"), source="second", source_hash="h3")
        assert "cannot open" not in str(caught.value)
    with Registry(url) as registry:  # the failed import wrote nothing
        assert registry.existing_patient_ids(["P3"]) == set()


def test_threads_write_one_after_the_other(url):
    errors: list[BaseException] = []

    def write(pid: str) -> None:
        try:
            with Registry(url, busy_timeout_s=20) as registry:
                registry.import_batch(_batch(pid), source=pid, source_hash=pid)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"T{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Registry(url) as registry, registry.engine.connect() as conn:
        ids = set(conn.scalars(sa.select(schema.patients.c.patient_id)))
    assert ids == {"P1", "T0", "T1", "T2", "T3"}


def test_cli_says_registry_busy_without_traceback(url, holder, tmp_path):
    from typer.testing import CliRunner

    from calciscope.cli.app import app

    holder()
    folder = tmp_path / "demo"
    runner = CliRunner()
    assert runner.invoke(app, ["demo-data", "--out", str(folder), "--patients", "3"]).exit_code == 0
    listed = runner.invoke(app, ["patients", "list", "--db", url, "--index-date", "2024-01-01"])
    assert listed.exit_code == 0, listed.output
    result = runner.invoke(
        app, ["import", "demo", str(folder), "--db", url], env={"CALCISCOPE_BUSY_TIMEOUT": "0.2"}
    )
    assert result.exit_code == 1
    assert "registry busy" in result.output
    assert "Traceback" not in result.output
