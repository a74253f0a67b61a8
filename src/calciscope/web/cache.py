"""Slow read results kept between requests, dropped when the app writes or when they age.

The app counts its own writes (``generation``); a cached value computed before the last write,
or older than ``ttl`` seconds (a CLI import may have run), is stale.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["Generation", "RecentResults"]

_log = logging.getLogger(__name__)


class Generation:
    """A counter of the app's writes."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        """Count a write: every cached read is stale from now on."""
        with self._lock:
            self.value += 1


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
