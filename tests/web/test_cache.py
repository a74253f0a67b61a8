"""The patient list's table is kept current patient by patient (no web server needed)."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from calciscope.web.cache import Generation, PatientTable, RecentResults


class Registry:
    """A stand-in for the registry: a value per patient, and counts of what was computed."""

    def __init__(self) -> None:
        self.values = {"P1": 1, "P2": 2, "P3": 3}
        self.whole = 0
        self.some: list[tuple[str, ...]] = []
        self.gate = threading.Event()
        self.gate.set()

    def table(self, ids: tuple[str, ...] | None = None) -> pa.Table:
        chosen = sorted(self.values) if ids is None else [i for i in ids if i in self.values]
        return pa.table({"patient_id": chosen, "x": [self.values[i] for i in chosen]})

    def compute_all(self) -> pa.Table:
        self.whole += 1
        snapshot = self.table()
        self.gate.wait(5)
        return snapshot

    def compute_some(self, ids: tuple[str, ...]) -> pa.Table:
        self.some.append(ids)
        return self.table(ids)


def _below(table: pa.Table, where: tuple[str, ...]) -> pa.Table:
    limit = int(where[0]) if where else 99
    return table.filter(pa.compute.less(table["x"], limit))


def _table(registry: Registry, ttl: float = 60) -> tuple[PatientTable, Generation]:
    cache = PatientTable(registry.compute_all, registry.compute_some, _below, ttl=ttl)
    generation = Generation()
    generation.listen(cache.written)
    return cache, generation


def _wait_for(condition, seconds: float = 5) -> None:
    """Wait until ``condition()`` holds once (it is not asked again: the cache moves on)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.01)
    assert condition()


def test_a_named_write_recomputes_only_that_patient():
    registry = Registry()
    cache, generation = _table(registry)
    rows, total = cache.filtered(("3",))
    assert rows["patient_id"].to_pylist() == ["P1", "P2"] and total == 3
    registry.values["P2"] = 10
    generation.bump("P2")
    assert registry.some == []  # the write does not wait: the next read computes the row
    rows, _ = cache.filtered(("3",))
    assert registry.some == [("P2",)] and registry.whole == 1
    assert rows["patient_id"].to_pylist() == ["P1"]  # the filtered view was dropped too
    assert cache.table().to_pylist() == registry.table().to_pylist()
    assert registry.some == [("P2",)]  # computed once


def test_writes_between_two_reads_are_computed_together():
    registry = Registry()
    cache, generation = _table(registry)
    cache.table()
    registry.values.update(P1=5, P3=0)
    generation.bump("P3")
    generation.bump("P1")
    assert cache.filtered(("4",))[0]["patient_id"].to_pylist() == ["P2", "P3"]
    assert registry.some == [("P1", "P3")]


def test_many_writes_in_place_keep_the_table_whole():
    """Rows replaced in place, many times over: the pieces are joined, the order kept."""
    registry = Registry()
    registry.values = {f"P{n:03}": n for n in range(100)}
    cache, generation = _table(registry)
    cache.table()
    for n in range(0, 100, 3):
        registry.values[f"P{n:03}"] = -n
        generation.bump(f"P{n:03}")
        assert cache.table().to_pylist() == registry.table().to_pylist()
    assert cache.table()["x"].num_chunks <= 33


def test_a_failed_row_computation_is_tried_again():
    registry = Registry()
    cache, generation = _table(registry)
    cache.table()
    registry.values["P2"] = 20
    real, calls = registry.compute_some, []

    def failing(ids: tuple[str, ...]) -> pa.Table:
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("the registry is busy")
        return real(ids)

    cache.compute_some = failing
    generation.bump("P2")
    with pytest.raises(RuntimeError):
        cache.table()
    assert cache.table().to_pylist() == registry.table().to_pylist()


def test_an_unnamed_write_or_age_recomputes_the_whole_in_the_background():
    registry = Registry()
    cache, generation = _table(registry)
    cache.table()
    registry.values["P4"] = 4
    generation.bump()
    assert cache.table()["patient_id"].to_pylist() == ["P1", "P2", "P3"]  # served at once
    _wait_for(lambda: cache.table().num_rows == 4)
    assert registry.whole == 2
    aged, _ = _table(registry, ttl=0)
    aged.table()
    registry.values["P5"] = 5
    _wait_for(lambda: aged.table().num_rows == 5)


def test_a_write_during_a_whole_recomputation_is_not_lost():
    registry = Registry()
    cache, generation = _table(registry)
    cache.table()
    registry.gate.clear()  # the next whole computation reads, then waits
    generation.bump()
    cache.table()  # starts it
    _wait_for(lambda: registry.whole == 2)
    registry.values["P1"] = 100
    generation.bump("P1")
    registry.gate.set()
    # the write is not lost: the table comes to hold it, whether the read that shows it comes
    # before or after the whole computed beside it (which read P1 before the write) is taken
    _wait_for(lambda: registry.whole == 2 and cache._pending is None)
    _wait_for(lambda: cache.table().to_pylist() == registry.table().to_pylist())
    assert cache.table().to_pylist() == registry.table().to_pylist()


def test_age_recomputes_the_whole_only_when_written_outside_the_app():
    registry = Registry()
    outside = {"imports": 1}
    cache = PatientTable(
        registry.compute_all,
        registry.compute_some,
        _below,
        ttl=0,
        outside=lambda: outside["imports"],
        max_age=3600,
    )
    generation = Generation()
    generation.listen(cache.written)
    cache.table()
    registry.values["P2"] = 20
    generation.bump("P2")  # the app's own write: that row only
    for _ in range(5):
        cache.table()
        time.sleep(0.02)
    assert registry.whole == 1 and cache.table()["x"].to_pylist() == [1, 20, 3]
    registry.values["P6"] = 6
    outside["imports"] = 2  # a CLI import
    _wait_for(lambda: cache.table().num_rows == 4)
    assert registry.whole == 2


def test_a_write_adjusts_the_kept_values_in_step():
    generation = Generation()
    computed = []

    def count(key: str) -> int:
        computed.append(key)
        return 10

    counts = RecentResults(count, generation, size=4, ttl=60)
    assert counts.get_current("all") == 10 and counts.get_current("P1") == 10
    seen = []
    written = generation.write(
        lambda: "P1",
        lambda patient: (patient,),
        lambda patient, at, to: counts.adjust(lambda k, v: v - 1, at, to),
    )
    generation.listen(seen.append)
    assert written == "P1" and generation.value == 1
    assert counts.get_current("all") == 9 and computed == ["all", "P1"]  # not counted again
    generation.bump("P1")  # a write that does not adjust: counted again
    assert counts.get_current("all") == 10 and computed == ["all", "P1", "all"]
    assert seen == [("P1",)]


def test_forget_drops_only_the_named_keys():
    generation = Generation()
    calls = []
    results = RecentResults(lambda k: calls.append(k) or len(calls), generation, size=4, ttl=60)
    assert results.get("P1") == 1 and results.get("P2") == 2
    results.forget(("P1",))
    assert results.get("P1") == 3 and results.get("P2") == 2


def test_named_writes_keep_the_rows_in_patient_order():
    """In place (one row each), a new patient, a patient gone: always the registry's table."""
    registry = Registry()
    cache, generation = _table(registry)
    cache.table()
    for change, named in (
        (lambda: registry.values.update(P1=7, P3=9), ("P3", "P1")),
        (lambda: registry.values.update(P0=5), ("P0", "P1", "P2", "P3")),
        (lambda: registry.values.pop("P2"), ("P2", "P3")),
    ):
        change()
        generation.bump(*named)
        assert cache.table().to_pylist() == registry.table().to_pylist()


def test_a_stale_value_is_served_while_another_request_computes_it():
    """Under a stream of writes, requests do not queue behind one recount."""
    generation = Generation()
    gate, started = threading.Event(), threading.Event()
    gate.set()
    values = iter((10, 8))

    def count(key: str) -> int:
        started.set()
        gate.wait(5)
        return next(values)

    counts = RecentResults(count, generation, size=4, ttl=60)
    assert counts.get_current("all") == 10
    generation.bump()  # stale now: the next request counts again
    gate.clear()
    started.clear()
    recount = threading.Thread(target=counts.get_current, args=("all",))
    recount.start()
    assert started.wait(5)
    assert counts.get_current("all") == 10  # the last value, at once, while the recount runs
    gate.set()
    recount.join(5)
    assert counts.get_current("all") == 8


def test_json_twins_are_what_jsonable_encoder_gives():
    import datetime as dt
    import json

    from fastapi.encoders import jsonable_encoder

    from calciscope.model import ReviewState
    from calciscope.web.pages import json_response

    plain = {
        "date": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 2, 29, 13, 5),
        "state": ReviewState.SUGGESTED,
        "pair": (1, 2.5),
        "text": "café <script>",
        "none": None,
        "nested": [{"n": 1, "ok": True}],
        3: "an int key",
    }
    for data in (plain, plain | {"set": {1}}, plain | {"key": {dt.date(2024, 1, 1): 1}}):
        body = json.loads(json_response(data).body)
        assert body == json.loads(json.dumps(jsonable_encoder(data)))


def test_a_read_is_not_queued_behind_another_computing_rows():
    """While one read computes the written patients' rows, another is given the table as it was."""
    registry = Registry()
    started, gate = threading.Event(), threading.Event()
    compute = registry.compute_some

    def slow(ids: tuple[str, ...]) -> pa.Table:
        started.set()
        assert gate.wait(5)
        return compute(ids)

    cache = PatientTable(registry.compute_all, slow, _below, ttl=60)
    generation = Generation()
    generation.listen(cache.written)
    assert cache.table()["x"].to_pylist() == [1, 2, 3]
    registry.values["P2"] = 20
    generation.bump("P2")
    reader = threading.Thread(target=cache.table)
    reader.start()
    assert started.wait(5)
    assert cache.table()["x"].to_pylist() == [1, 2, 3]  # at once, as it was
    gate.set()
    reader.join(5)
    assert cache.table()["x"].to_pylist() == [1, 20, 3]
    assert registry.some == [("P2",)]
