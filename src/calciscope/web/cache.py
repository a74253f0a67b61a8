"""Slow read results kept between requests, dropped when the app writes or when they age.

The app counts its own writes (``generation``); a cached value computed before the last write,
or older than ``ttl`` seconds (a CLI import may have run), is stale. A write that knows what it
changed may instead adjust the cached values in step with the count (:meth:`Generation.write`:
a review decision takes one item off the queue counts), so they stay current without a
recomputation. The patient list's feature table (:class:`PatientTable`) is kept current patient
by patient: a write names the patients it changed, and only their rows are computed again; the
whole is computed again only when the registry changed outside the app.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Generation",
    "Kept",
    "PatientTable",
    "RecentResults",
    "made_once",
    "wait_for_background",
]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


_background: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_background_lock = threading.Lock()


def _start_background(target: Callable[..., None], *args: Any) -> None:
    """Start a daemon thread computing a cached value; :func:`wait_for_background` waits for it."""
    thread = threading.Thread(target=target, args=args, daemon=True, name="calciscope-cache")
    with _background_lock:
        _background.add(thread)
    thread.start()


def wait_for_background(timeout: float) -> list[threading.Thread]:
    """Wait for the caches' background computations (``timeout`` seconds in all).

    The app's shutdown calls it, so that a closed app leaves no thread computing for it (one
    left at the interpreter's exit in a C library aborted the process). It waits for every
    one this process started: one process serves one app, and a test's apps are closed in turn.
    Returns the threads still running after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    with _background_lock:
        threads = [t for t in _background if t.is_alive()]
    if threads:  # logged as the wait begins: a shutdown waiting does not look hung (fix48)
        _log.warning(
            "shutting down: waiting for %d background computation(s) (%.0f s at most)",
            len(threads),
            timeout,
        )
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threads if t.is_alive()]


def made_once(store: dict[Hashable, Any], key: Hashable, make: Callable[[], _T]) -> _T:
    """Return ``store[key]``, made by ``make()`` the first time (two threads may both make it)."""
    try:
        return store[key]
    except KeyError:
        return store.setdefault(key, make())


class Kept:
    """A value kept between requests (by :class:`RecentResults`) and what pages made of it.

    What is made from the value (:meth:`made`: a page's data for one view of it) is kept with
    it and goes when the value is forgotten or stale: it is never older than the value.
    """

    __slots__ = ("_made", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._made: dict[Hashable, Any] = {}

    def made(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """Return what ``make()`` made of the value for ``key`` (made once)."""
        return made_once(self._made, key, make)


class Generation:
    """A counter of the app's writes."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()
        #: held by a write and its adjustments, and by a cache storing a value (see write)
        self.writing = threading.RLock()
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

    def write(
        self,
        do: Callable[[], _T],
        patients: Callable[[_T], tuple[str, ...]],
        adjust: Callable[[_T, int, int], None],
    ) -> _T:
        """Run the write ``do()``, ``adjust(result, generation, next)`` the caches, count it.

        Values a cache holds for the current generation are adjusted and carried over to the
        next one (:meth:`RecentResults.adjust`), so a write that knows its effect leaves
        them current. While the write runs no cache stores a value: a value read after the
        write but stored before the adjustment would otherwise be adjusted twice. The
        listeners are told the patients ``patients(result)`` names (those whose data the
        write changed); when it names none, they are not told.
        """
        with self.writing:
            result = do()
            with self._lock:
                current = self.value
            adjust(result, current, current + 1)
            with self._lock:
                self.value += 1
        named = patients(result)
        for listener in self._listeners if named else ():
            listener(named)
        return result


class RecentResults:
    """Results of ``compute(key)`` for the last ``size`` keys, valid for one generation and ``ttl``.

    :meth:`get` computes in the caller's thread (one computation per key at a time);
    :meth:`get_or_start` computes in a background thread and returns None (or the stale value)
    meanwhile, for results too slow for a request; :meth:`get_recent` returns a stale value at
    once and refreshes it in the background; :meth:`get_current` computes after the app's own
    writes and refreshes in the background only what is stale by age.
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
        self._epochs: dict[Hashable, int] = {}  # bumped by forget(): a result computing is stale
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return False, None
            generation, at, value = item
            fresh = generation == self.generation.value and time.monotonic() - at < self.ttl
            return fresh, value

    def _epoch(self, key: Hashable) -> int:
        with self._lock:
            return self._epochs.get(key, 0)

    def _store(self, key: Hashable, generation: int, value: Any, epoch: int) -> None:
        with self.generation.writing, self._lock:  # not in the middle of a write (see write)
            if self._epochs.get(key, 0) != epoch:  # forgotten while computed
                return
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
            generation, epoch = self.generation.value, self._epoch(key)
            value = self.compute(key)
            self._store(key, generation, value, epoch)
            return value

    def get_current(self, key: Hashable) -> Any:
        """Return the value as of the app's last write: computed now if a write made it stale.

        A value only older than ``ttl`` (the registry may have changed outside the app) is
        returned at once and refreshed in the background. While another request computes the
        value, the last one is returned rather than waited behind: under a stream of writes a
        computation is often stale by its end, and requests queued behind it for seconds.
        """
        with self._lock:
            item = self._items.get(key)
        if item is not None and item[0] == self.generation.value:
            if time.monotonic() - item[1] >= self.ttl:
                self.get_or_start(key)
            return item[2]
        if item is not None and self._key_lock(key).locked():
            return item[2]
        return self.get(key)

    def adjust(
        self, change: Callable[[Hashable, Any], Any], generation: int, to: int | None
    ) -> None:
        """Apply ``change(key, value)`` to the values current at ``generation``; keep them at ``to``.

        For a write that knows its effect on the cached values (see :meth:`Generation.write`);
        ``to=None`` leaves them stale (a partial adjustment: served until recomputed).
        """
        with self._lock:
            for key, (at_generation, at, value) in list(self._items.items()):
                if at_generation == generation:
                    keep = at_generation if to is None else to
                    self._items[key] = (keep, at, change(key, value))

    def forget(self, keys: tuple[Hashable, ...]) -> None:
        """Drop the values of ``keys`` (and any being computed for them), keeping the others."""
        with self._lock:
            for key in keys:
                self._items.pop(key, None)
                self._epochs[key] = self._epochs.get(key, 0) + 1

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
        _start_background(self._refresh, key)
        return value, False

    def _refresh(self, key: Hashable) -> None:
        try:
            with self._key_lock(key):  # a request asking meanwhile waits for this computation
                generation, epoch = self.generation.value, self._epoch(key)
                self._store(key, generation, self.compute(key), epoch)
        except Exception:  # the next request tries again; the server keeps serving
            _log.exception("computing %r in the background failed", key)
        finally:
            with self._lock:
                self._running.discard(key)


class PatientTable:
    """The whole feature table of the patient list, current after each of the app's writes.

    ``compute_all()`` returns the registry's feature table; ``compute_some(ids)`` the rows of a
    few patients, from their own facts (milliseconds). A write that names its patients
    replaces their rows at once; any other write starts one recomputation of the whole in the
    background while the current table is served. Writes outside the app (a CLI import) are
    looked for every ``ttl`` seconds: ``outside()`` returns a cheap token of the registry
    (counts of patients, notes, images and imports, which the app's own writes do not change)
    and the whole is computed again when it differs from the token read with the table; without
    ``outside``, and in any case after ``max_age`` seconds (outside writes the token cannot see,
    such as a CLI review decision), the whole is computed again. Filtered views are kept for
    the current table.
    """

    def __init__(
        self,
        compute_all: Callable[[], pa.Table],
        compute_some: Callable[[tuple[str, ...]], pa.Table],
        filter_rows: Callable[[pa.Table, tuple[str, ...]], pa.Table],
        *,
        ttl: float,
        outside: Callable[[], Hashable] | None = None,
        max_age: float = 600.0,
        views: int = 32,
    ) -> None:
        self.compute_all, self.compute_some, self.filter_rows = (
            compute_all,
            compute_some,
            filter_rows,
        )
        self.ttl = ttl
        self.outside = outside
        self.max_age = max_age
        self.views = views
        self._table: pa.Table | None = None
        self._token: Hashable = None  # outside() when the table was computed
        self._at = 0.0  # when the whole was computed
        self._checked = 0.0  # when outside() was last compared
        self._stale = False
        self._pending: set[str] | None = None  # patients written while the whole is computed
        self._filtered: OrderedDict[tuple[str, ...], pa.Table] = OrderedDict()
        self._dirty: set[str] = set()  # patients written whose rows are not computed yet
        self._lock = threading.Lock()
        self._first = threading.Lock()
        self._catching_up = threading.Lock()

    def table(self) -> pa.Table:
        """Return the current table (computing it the first time; refreshing it when stale).

        The rows of patients written since the last read are computed first, together
        (unless another read is computing rows: see :meth:`_catch_up`).
        """
        self._catch_up()
        now = time.monotonic()
        with self._lock:
            table, checked = self._table, now - self._checked > self.ttl
            due = self._stale or now - self._at > self.max_age
            if self.outside is None:
                due = due or checked
        if table is None:
            with self._first:
                if self._table is None:
                    token = self._read_token()
                    self._set(self.compute_all(), token)
                return self._table
        if due or checked:
            self._start_refresh(whole=due)
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
        """Take a write into account: these patients' rows, or the whole if unnamed, are stale.

        Named patients' rows are computed again at the next read of the table, together (a
        write does not wait for them, and several writes between two reads cost one
        computation).
        """
        if not patient_ids:
            with self._lock:
                self._stale = True
            return
        with self._lock:
            if self._table is None:
                return
            if self._pending is not None:
                self._pending.update(patient_ids)
            self._dirty.update(patient_ids)

    def _catch_up(self) -> None:
        """Compute again the rows of the patients written since the last read (one at a time).

        A read arriving while another computes rows is given the table as it is (lagging by
        that computation) rather than queued behind it: under a stream of decisions the
        list requests waited there for seconds.
        """
        if not self._dirty or not self._catching_up.acquire(blocking=False):
            return
        try:
            with self._lock:
                ids, self._dirty = tuple(sorted(self._dirty)), set()
            try:
                rows = self.compute_some(ids)
            except BaseException:
                with self._lock:
                    self._dirty.update(ids)  # the next read tries again
                raise
            with self._lock:
                table = self._table
                if table is None:
                    return
                fresh = rows.select(table.column_names).cast(table.schema)
                self._replace(_with_rows(table, fresh, ids))
        finally:
            self._catching_up.release()

    def _read_token(self) -> Hashable:
        return None if self.outside is None else self.outside()

    def _set(self, table: pa.Table, token: Hashable) -> None:
        with self._lock:
            self._set_locked(table, token)

    def _set_locked(self, table: pa.Table, token: Hashable) -> None:
        self._replace(table)
        self._at = self._checked = time.monotonic()
        self._token = token
        self._stale = False

    def _replace(self, table: pa.Table) -> None:
        self._table = table
        self._filtered.clear()

    def _start_refresh(self, *, whole: bool) -> None:
        with self._lock:
            if self._pending is not None:
                return
            self._pending = set()
            self._stale = False
            self._checked = time.monotonic()
            if whole:
                self._at = self._checked
        _start_background(self._refresh, whole)

    def _refresh(self, whole: bool) -> None:
        try:
            token = self._read_token()
            with self._lock:
                unchanged = token == self._token
            if not whole and unchanged:  # nothing written outside the app: keep the table
                with self._lock:
                    self._pending = None  # the app's own writes went into the table already
                return
            table = self.compute_all()
        except Exception:  # the next request tries again; the server keeps serving
            _log.exception("computing the patient table in the background failed")
            with self._lock:
                self._pending = None  # tried again when the table ages out
            return
        # The new table and the patients written while it was computed (their rows in it may
        # be older than the write) change together: a read between the two would otherwise
        # serve such a row as current, with nothing left to recompute it.
        with self._lock:
            self._set_locked(table, token)
            pending, self._pending = self._pending or set(), None
            self._dirty.update(pending)


def _with_rows(table: pa.Table, fresh: pa.Table, patient_ids: tuple[str, ...]) -> pa.Table:
    """Return ``table`` (sorted by patient) with the rows of ``patient_ids`` now ``fresh``.

    When every named patient has exactly one row in both (a decision, an entry), the fresh
    rows take their places: the table is cut around them and put together again (no copy of
    the other rows; the pieces are joined into one chunk once they are many); otherwise rows
    are dropped or added and the whole is sorted again.
    """
    ids = table["patient_id"]
    fresh_ids = fresh["patient_id"]
    named = pa.array(patient_ids, type=ids.type)
    at = pc.index_in(fresh_ids, value_set=ids)
    if (
        fresh.num_rows == len(set(patient_ids))
        and at.null_count == 0
        and len(set(at.to_pylist())) == fresh.num_rows
        and pc.sum(pc.is_in(ids, value_set=named)).as_py() == fresh.num_rows
    ):
        places = sorted(zip(at.to_pylist(), range(fresh.num_rows), strict=True))
        pieces, start = [], 0
        for place, row in places:
            pieces += [table.slice(start, place - start), fresh.slice(row, 1)]
            start = place + 1
        pieces.append(table.slice(start))
        joined = pa.concat_tables([p for p in pieces if p.num_rows])
        if joined.column(0).num_chunks > _CHUNKS:
            joined = joined.combine_chunks()
        return joined
    keep = pc.invert(pc.is_in(ids, value_set=named))
    return pa.concat_tables([table.filter(keep), fresh]).sort_by("patient_id")


#: Pieces the table may be in before they are joined again (filters slow down with many).
_CHUNKS = 32
