"""The partition swap of a local Spark warehouse (engine/spark_swap.py), on plain folders.

No Spark: the swap only renames folders and files, so a table is a folder of ``b=N``
partition folders holding text files here. Every step is cut short in turn and finished by
:func:`finish_swaps`, which must give the same table as an uninterrupted swap.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from calciscope.engine import spark_swap
from calciscope.engine.spark_swap import Swap, finish_swaps, locked, pending, remove_leftovers
from calciscope.errors import RegistryError


def _table(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _warehouse(tmp_path: Path) -> tuple[Path, Swap]:
    """A table t with partitions b=0 (replaced), b=1 (added to), b=2 (kept), b=3 (emptied),
    and b=4 new; the new partitions written aside and the journal written."""
    for part, name in (("b=0", "old0"), ("b=1", "old1"), ("b=2", "old2"), ("b=3", "old3")):
        (tmp_path / "t" / part).mkdir(parents=True)
        (tmp_path / "t" / part / name).write_text(name)
    swap = Swap.new("t")
    fresh = tmp_path / swap.fresh
    for part, name in (("b=0", "new0"), ("b=1", "add1"), ("b=4", "new4")):
        (fresh / part).mkdir(parents=True)
        (fresh / part / name).write_text(name)
    swap.parts = {"b=0": "replace", "b=1": "add", "b=3": "drop", "b=4": "add"}
    swap.write_journal(tmp_path)
    return tmp_path, swap


WANT = {
    "b=0/new0": "new0",
    "b=1/add1": "add1",
    "b=1/old1": "old1",
    "b=2/old2": "old2",
    "b=4/new4": "new4",
}


def test_an_uninterrupted_swap_replaces_adds_and_cleans_up(tmp_path: Path) -> None:
    warehouse, swap = _warehouse(tmp_path)
    swap.apply(warehouse)
    assert _table(warehouse / "t") == WANT
    assert sorted(p.name for p in warehouse.iterdir()) == ["_swaps", "t"]
    assert not list((warehouse / "_swaps").iterdir())


@pytest.mark.parametrize("steps", range(5))  # the swap of _warehouse takes 5 renames
def test_a_swap_cut_after_any_rename_is_finished_by_the_next_opening(
    tmp_path: Path, steps: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse, swap = _warehouse(tmp_path)
    taken = []
    rename = Path.rename

    def cut(self: Path, target: Path) -> Path:
        if len(taken) == steps:
            raise OSError("injected: the process stops here")
        taken.append(self)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", cut)
    with pytest.raises(OSError, match="injected"):
        swap.apply(warehouse)
    monkeypatch.setattr(Path, "rename", rename)
    # no partition is half there: each holds its old files or its new ones
    for part, files in _group(_table(warehouse / "t")).items():
        assert files in ({f"old{part[-1]}"}, {f"new{part[-1]}"}, {"old1", "add1"}, {"old1"})
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        assert finish_swaps(warehouse) == ["t"]
    assert "finishing the change of table 't'" in caplog.text
    assert _table(warehouse / "t") == WANT
    assert finish_swaps(warehouse) == []  # nothing left to finish
    assert _table(warehouse / "t") == WANT


def _group(files: dict[str, str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for path in files:
        part, name = path.split("/")
        grouped.setdefault(part, set()).add(name)
    return grouped


def test_a_swap_whose_lock_is_held_is_left_to_its_holder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse, _ = _warehouse(tmp_path)
    with locked(warehouse) as now:  # a writer applying it (its own open file: flock conflicts)
        assert now is not None
        with caplog.at_level(logging.WARNING, logger="calciscope"):
            assert finish_swaps(warehouse) == []
    assert "is being changed" in caplog.text and "table 't'" in caplog.text
    assert _table(warehouse / "t")["b=0/old0"] == "old0"
    assert finish_swaps(warehouse) == ["t"]  # the lock released: no process applies it
    assert _table(warehouse / "t") == WANT


def _other_host(swap: Swap, warehouse: Path) -> None:
    journal = swap.journal(warehouse)
    written = json.loads(journal.read_text())
    written["host"], written["pid"] = "other-host", 4242
    journal.write_text(json.dumps(written))


def test_the_same_journal_applied_twice_gives_the_table_once(tmp_path: Path) -> None:
    """Two processes that both read a dead writer's journal (review45 race.py)."""
    warehouse, swap = _warehouse(tmp_path)
    late = Swap.read(swap.journal(warehouse))
    first = Swap.read(swap.journal(warehouse))
    assert late is not None and first is not None
    first.apply(warehouse)
    late.apply(warehouse)  # its journal and hidden folders are gone: nothing stored moves
    assert _table(warehouse / "t") == WANT
    (tmp_path / "w").mkdir()
    whole = _whole_table(tmp_path / "w")
    late = Swap.read(whole.journal(tmp_path / "w"))
    assert late is not None
    whole.apply(tmp_path / "w")
    late.apply(tmp_path / "w")
    assert _table(tmp_path / "w" / "patients") == {"new": "new"}


def test_a_live_journal_of_another_host_is_left_and_an_import_refuses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal of another host younger than STALE_AFTER_S (review45 clobber.py)."""
    from calciscope.storage.spark import _refuse_unfinished

    warehouse, swap = _warehouse(tmp_path)
    _other_host(swap, warehouse)
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        assert finish_swaps(warehouse, wait=True) == []
    assert "process 4242 on other-host" in caplog.text
    with pytest.raises(RegistryError) as refused:
        _refuse_unfinished(warehouse)
    message = str(refused.value)
    for named in ("table 't'", "process 4242", "other-host", str(swap.journal(warehouse))):
        assert named in message
    assert "python -m calciscope.engine.spark_swap" in message and "Nothing was imported" in message
    assert _table(warehouse / "t")["b=0/old0"] == "old0"
    monkeypatch.setattr(spark_swap, "STALE_AFTER_S", 0.0)  # ten minutes later
    assert finish_swaps(warehouse) == ["t"]
    assert _table(warehouse / "t") == WANT and pending(warehouse) == []
    _refuse_unfinished(warehouse)  # nothing left: the import goes ahead


def test_the_command_finishes_another_host_s_journal_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse, swap = _warehouse(tmp_path)
    _other_host(swap, warehouse)
    assert spark_swap.main([str(warehouse)]) == 0
    assert "finished: t" in capsys.readouterr().out
    assert _table(warehouse / "t") == WANT


def test_a_journal_that_vanishes_while_read_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer ends its swap between a reader's listing and reading (review45 gone.py)."""
    warehouse, swap = _warehouse(tmp_path)
    read_text = Path.read_text

    def racing(self: Path, *args: object, **kwargs: object) -> str:
        if self.suffix == ".json" and self.exists():
            swap.apply(warehouse)  # the writer finishes and removes its journal
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", racing)
    assert finish_swaps(warehouse) == []
    monkeypatch.setattr(Path, "read_text", read_text)
    assert _table(warehouse / "t") == WANT


def test_a_reader_who_cannot_write_the_warehouse_reads_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from calciscope.engine.spark import TableStore, parse_spark_url

    warehouse, _ = _warehouse(tmp_path)
    store = TableStore.__new__(TableStore)  # no Spark session: no table is read
    store.location = parse_spark_url(f"spark://local?warehouse={warehouse}")
    monkeypatch.setattr(TableStore, "names", lambda self: [])

    def refused(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "rename", refused)
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        assert store.register_views() == []
    assert "left unfinished" in caplog.text and "Permission denied" in caplog.text
    monkeypatch.setattr(os, "open", lambda *a, **k: refused(Path("x"), Path("y")))
    assert store.register_views() == []  # not even the lock file can be made


def test_a_half_written_journal_goes_and_unknown_keys_are_left_out(tmp_path: Path) -> None:
    warehouse, swap = _warehouse(tmp_path)
    journal = swap.journal(warehouse)
    (journal.parent / f".{journal.name}.tmp").write_text("{")  # a writer died writing it
    written = json.loads(journal.read_text())
    written["written_by"] = "a later calciscope"
    journal.write_text(json.dumps(written))
    remove_leftovers(warehouse)
    assert sorted(p.name for p in journal.parent.iterdir()) == [journal.name]
    assert finish_swaps(warehouse) == ["t"]
    assert _table(warehouse / "t") == WANT


def test_a_dead_writer_s_swap_is_finished_and_its_leftovers_removed(tmp_path: Path) -> None:
    warehouse, swap = _warehouse(tmp_path)
    journal = swap.journal(warehouse)
    written = json.loads(journal.read_text())
    written["pid"] = _dead_pid()
    journal.write_text(json.dumps(written))
    left = warehouse / "_t.new-0000deadbeef"  # a writer that died before its journal
    (left / "b=9").mkdir(parents=True)
    remove_leftovers(warehouse)
    assert not left.exists() and (warehouse / swap.fresh).exists()  # the journal names it
    assert finish_swaps(warehouse) == ["t"]
    assert _table(warehouse / "t") == WANT


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_the_journal_names_what_the_docs_say(tmp_path: Path) -> None:
    warehouse, swap = _warehouse(tmp_path)
    journal = swap.journal(warehouse)
    assert journal.parent.name == spark_swap.JOURNALS == "_swaps"
    assert journal.name == f"{swap.fresh.removeprefix('_')}.json"
    assert set(json.loads(journal.read_text())) == {"table", "fresh", "old", "parts", "host", "pid"}


@pytest.mark.parametrize("steps", range(3))  # none, one or both of its two renames
def test_a_whole_table_replaced_is_one_part_finished_the_same_way(
    tmp_path: Path, steps: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    swap = _whole_table(tmp_path)
    taken = []
    rename = Path.rename

    def cut(self: Path, target: Path) -> Path:
        if len(taken) == steps:
            raise OSError("injected")
        taken.append(self)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", cut)
    if steps < 2:
        with pytest.raises(OSError, match="injected"):
            swap.apply(tmp_path)
        assert _table(tmp_path / "patients") in ({"old": "old"}, {})
    else:
        swap.apply(tmp_path)
    monkeypatch.setattr(Path, "rename", rename)
    finish_swaps(tmp_path)
    assert _table(tmp_path / "patients") == {"new": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_swaps", "patients"]


def _whole_table(warehouse: Path) -> Swap:
    """A table ``patients`` (one file, old) replaced whole by one file, new; journal written."""
    (warehouse / "patients").mkdir()
    (warehouse / "patients" / "old").write_text("old")
    swap = Swap.new("patients")
    (warehouse / swap.fresh).mkdir()
    (warehouse / swap.fresh / "new").write_text("new")
    swap.parts = {spark_swap.WHOLE_TABLE: "replace"}
    swap.write_journal(warehouse)
    return swap


def test_the_writer_holds_the_lock_while_applying_and_rereads_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TableStore._swap: no other process finishes the journal while its writer applies it,
    and the writer's session reads the table again also when the swap failed."""
    from calciscope.engine.spark import TableStore, parse_spark_url

    warehouse, swap = _warehouse(tmp_path)
    swap.journal(warehouse).unlink()  # _swap writes it
    store = TableStore.__new__(TableStore)  # no Spark session: _refresh is recorded
    store.location = parse_spark_url(f"spark://local?warehouse={warehouse}")
    refreshed: list[str] = []
    monkeypatch.setattr(TableStore, "_refresh", lambda self, name: refreshed.append(name))
    seen: list[object] = []
    replace = spark_swap._replace

    def fails_after_looking(stored: Path, new: Path, aside: Path) -> None:
        with locked(warehouse, wait=False) as now:  # what another process would get
            seen.append(now)
        assert finish_swaps(warehouse) == []  # a reader finishes nothing meanwhile
        raise OSError("injected: the rename fails")

    monkeypatch.setattr(spark_swap, "_replace", fails_after_looking)
    with pytest.raises(OSError, match="injected"):
        store._swap("t", swap)
    assert seen == [None] and refreshed == ["t"]
    monkeypatch.setattr(spark_swap, "_replace", replace)
    assert finish_swaps(warehouse) == ["t"]  # the writer returned: its journal is finished
    assert _table(warehouse / "t") == WANT


def test_the_lock_of_a_process_that_is_killed_is_released(tmp_path: Path) -> None:
    """The OS releases a dead writer's flock: its journal is then finished (no pid check)."""
    import subprocess
    import sys

    warehouse, _ = _warehouse(tmp_path)
    holder = (
        "import sys, time; from pathlib import Path\n"
        "from calciscope.engine.spark_swap import locked\n"
        "with locked(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(spark_swap.__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(warehouse)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        assert finish_swaps(warehouse) == []  # a live writer of this host holds it
        child.kill()
        child.wait()
        assert finish_swaps(warehouse) == ["t"]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert _table(warehouse / "t") == WANT
