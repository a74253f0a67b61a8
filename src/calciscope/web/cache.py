"""Slow read results kept between requests, dropped when the app writes or when they age.

The app counts its own writes (``generation``); a cached value computed before the last write,
or older than ``ttl`` seconds (a CLI import may have run), is stale. The patient list's feature
table (:class:`PatientTable`) is instead kept current patient by patient: a write names the
patients it changed, and only their rows are computed again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Generation", "PatientTable", "RecentResults"]

_log = logging.getLogger(__name__)


class Generation:
    """A counter of the app's writes."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[tuple[str, ...]], None]] = []

    def listen(self, listener: Callable[[tuple[str, ...]], None]) -> None:
        """Call ``listener`` with the patients of every write (empty: unknown, maybe all)."""
        self._listeners.append(listener)

    def bump(self, *patient_ids: str) -> None:
        """Count a write (to these patients): every cached read is stale from now on."""
        with self._lock:
            self.value += 1
        for listener in self._listeners:
            listener(patient_ids)


class RecentResults:
    """Results of ``compute(key)`` for the last ``size`` keys, valid for one generation and ``ttl``.

    :meth:`get` computes in the caller's thread (one computation per key at a time);
    :meth:`get_or_start` computes in a background thread and returns None (or the stale value)
    meanwhile, for results too slow for a request; :meth:`get_recent` returns a stale value at
    once and refreshes it in the background.
    """

    def __init__(
        self, compute: Callable[[Any], Any], generation: Generation, *, size: int, ttl: float
    ) -> None:
        self.compute = compute
        self.generation = generation
        self.size = size
        self.ttl = ttl
        self._items: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
        self._running: set[Hashable] = set()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return False, None
            generation, at, value = item
            fresh = generation == self.generation.value and time.monotonic() - at < self.ttl
            return fresh, value

    def _store(self, key: Hashable, generation: int, value: Any) -> None:
        with self._lock:
            self._items[key] = (generation, time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())

    def get(self, key: Hashable) -> Any:
        """Return the cached value or compute it now (once, however many requests wait for it)."""
        fresh, value = self._fresh(key)
        if fresh:
            return value
        with self._key_lock(key):
            fresh, value = self._fresh(key)  # computed by the request we waited for
            if fresh:
                return value
            generation = self.generation.value
            value = self.compute(key)
            self._store(key, generation, value)
            return value

    def get_recent(self, key: Hashable) -> Any:
        """Return the cached value even if stale (refreshing it in the background), else compute.

        For reads that may lag the last write by one computation (the patient list, the queue):
        requests never wait for a recomputation once a value exists.
        """
        fresh, value = self._fresh(key)
        with self._lock:
            known = key in self._items
        if fresh:
            return value
        if known:
            self.get_or_start(key)
            return value
        return self.get(key)

    def get_or_start(self, key: Hashable) -> tuple[Any, bool]:
        """Return (value or the last stale value or None, whether it is fresh); start a refresh."""
        fresh, value = self._fresh(key)
        if fresh:
            return value, True
        with self._lock:
            if key in self._running:
                return value, False
            self._running.add(key)
        threading.Thread(target=self._refresh, args=(key,), daemon=True).start()
        return value, False

    def _refresh(self, key: Hashable) -> None:
        generation = self.generation.value
        try:
            self._store(key, generation, self.compute(key))
        except Exception:  # the next request tries again; the server keeps serving
            _log.exception("computing %r in the background failed", key)
        finally:
            with self._lock:
                self._running.discard(key)


class PatientTable:
    """The whole feature table of the patient list, current after each of the app's writes.

    ``compute_all()`` returns the registry's feature table; ``compute_some(ids)`` the rows of a
    few patients, from their own facts (milliseconds). A write that names its patients
    replaces their rows at once; any other write, and age (``ttl`` seconds: a CLI import may
    have run), starts one recomputation of the whole in the background while the current
    table is served. Filtered views are kept for the current table.
    """

    def __init__(
        self,
        compute_all: Callable[[], pa.Table],
        compute_some: Callable[[tuple[str, ...]], pa.Table],
        filter_rows: Callable[[pa.Table, tuple[str, ...]], pa.Table],
        *,
        ttl: float,
        views: int = 32,
    ) -> None:
        self.compute_all, self.compute_some, self.filter_rows = (
            compute_all,
            compute_some,
            filter_rows,
        )
        self.ttl = ttl
        self.views = views
        self._table: pa.Table | None = None
        self._at = 0.0
        self._stale = False
        self._pending: set[str] | None = None  # patients written while the whole is computed
        self._filtered: OrderedDict[tuple[str, ...], pa.Table] = OrderedDict()
        self._lock = threading.Lock()
        self._first = threading.Lock()

    def table(self) -> pa.Table:
        """Return the current table (computing it the first time; refreshing it when stale)."""
        with self._lock:
            table, due = self._table, self._stale or time.monotonic() - self._at > self.ttl
        if table is None:
            with self._first:
                if self._table is None:
                    self._set(self.compute_all())
                return self._table
        if due:
            self._start_refresh()
        return table

    def filtered(self, where: tuple[str, ...]) -> tuple[pa.Table, int]:
        """Return the rows matching every clause, and the number of patients."""
        table = self.table()
        with self._lock:
            hit = self._filtered.get(where) if self._table is table else None
        if hit is None:
            hit = self.filter_rows(table, where)
            with self._lock:
                if self._table is table:
                    self._filtered[where] = hit
                    while len(self._filtered) > self.views:
                        self._filtered.popitem(last=False)
        return hit, table.num_rows

    def written(self, patient_ids: tuple[str, ...]) -> None:
        """Take a write into account: recompute these patients' rows, or the whole if unnamed."""
        if not patient_ids:
            with self._lock:
                self._stale = True
            return
        with self._lock:
            if self._table is None:
                return
            if self._pending is not None:
                self._pending.update(patient_ids)
        rows = self.compute_some(patient_ids)
        with self._lock:
            table = self._table
            if table is None:
                return
            keep = pc.invert(pc.is_in(table["patient_id"], value_set=pa.array(patient_ids)))
            fresh = rows.select(table.column_names).cast(table.schema)
            merged = pa.concat_tables([table.filter(keep), fresh]).sort_by("patient_id")
            self._replace(merged)

    def _set(self, table: pa.Table) -> None:
        with self._lock:
            self._replace(table)
            self._at = time.monotonic()
            self._stale = False

    def _replace(self, table: pa.Table) -> None:
        self._table = table
        self._filtered.clear()

    def _start_refresh(self) -> None:
        with self._lock:
            if self._pending is not None:
                return
            self._pending = set()
            self._stale = False
            self._at = time.monotonic()
        threading.Thread(target=self._refresh, daemon=True).start()

    def _refresh(self) -> None:
        try:
            table = self.compute_all()
        except Exception:  # the next request tries again; the server keeps serving
            _log.exception("computing the patient table in the background failed")
            with self._lock:
                self._pending = None  # tried again when the table ages out
            return
        self._set(table)
        with self._lock:
            pending, self._pending = self._pending or set(), None
        if pending:  # written while the whole was computed from the registry
            self.written(tuple(sorted(pending)))
