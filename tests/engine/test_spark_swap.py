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
from calciscope.engine.spark_swap import Swap, finish_swaps, remove_leftovers


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
    swap.parts = {"b=0": "replace", "b=1": "add", "b=3": "replace", "b=4": "add"}
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


def test_a_swap_of_a_live_writer_is_left_to_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse, swap = _warehouse(tmp_path)
    journal = swap.journal(warehouse)
    written = json.loads(journal.read_text())
    written["pid"] = os.getppid()  # a running process of this host, not this one
    journal.write_text(json.dumps(written))
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        assert finish_swaps(warehouse) == []
    assert "is being changed by process" in caplog.text
    assert _table(warehouse / "t")["b=0/old0"] == "old0"


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
    (tmp_path / "patients").mkdir()
    (tmp_path / "patients" / "old").write_text("old")
    swap = Swap.new("patients")
    (tmp_path / swap.fresh).mkdir()
    (tmp_path / swap.fresh / "new").write_text("new")
    swap.parts = {spark_swap.WHOLE_TABLE: "replace"}
    swap.write_journal(tmp_path)
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
