"""Follow what other processes write to the registry: the other workers of ``serve --workers``.

Each worker keeps results between requests (:mod:`calciscope.web.cache`) and adjusts them after
its own writes. A write made by another worker (or the CLI) is found by
:func:`calciscope.api.registry_changes`: every ``every`` seconds, before a request is served,
the worker reads the registry's change mark (four indexed look-ups) and, when it moved on,
treats the decisions, fact entries and imports it names as if it had made them: the queue
counts lose the decided items, the patient list computes the named patients' rows again, an
import makes everything stale. The mark holds the registry's generation too, which every
write to its data moves on (an image reading, ``images read-import``, a note extraction):
when it moved more than the decisions explain (one step per decision on a fact), a write
named nowhere ran and everything is stale, as after an import; beside a fact entry (whose
steps are not counted) what the worker keeps of each patient (page record, criteria panel)
is dropped. A write made through one worker or the CLI is so seen by the others at their
next request after ``every`` seconds.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

from calciscope import api

__all__ = ["RegistryWatch"]


class RegistryWatch:
    """The registry's change mark as this worker last saw it, and what to do when it moves.

    ``apply(changes)`` runs with the decisions this worker made itself left out
    (:meth:`made`, called inside the write); ``lock`` (the app's write lock) is held while the
    changes are read, so that a write of this worker is never taken for another's, and not
    while they are applied (the patients' rows are computed again then).
    """

    def __init__(
        self,
        registry: Any,
        apply: Callable[[api.RegistryChanges], None],
        *,
        every: float,
        lock: Any,
    ) -> None:
        self.registry = registry
        self.apply = apply
        self.every = every
        self.lock = lock
        self._mark = api.registry_changes(registry).mark
        self._at = time.monotonic()
        self._own: set[int] = set()
        self._checking = threading.Lock()

    def due(self) -> bool:
        """Return whether the mark should be read again (``every`` seconds after the last)."""
        return time.monotonic() - self._at >= self.every

    def made(self, decision_id: int) -> None:
        """Note a decision this worker recorded (applied by the worker itself)."""
        self._own.add(decision_id)

    def check(self) -> None:
        """Read the change mark; apply what others wrote since the last look (one at a time)."""
        if not self._checking.acquire(blocking=False):
            return  # another request is looking: this one is served meanwhile
        try:
            self._at = time.monotonic()
            with self.lock:  # read while no write of this worker is half done
                changes = api.registry_changes(self.registry, self._mark)
                if changes.mark == self._mark:
                    return
                self._mark = changes.mark
                own = {d.decision_id for d in changes.decisions} & self._own
                self._own -= own
            others = tuple(d for d in changes.decisions if d.decision_id not in own)
            if others or changes.patients or changes.imported or changes.unnamed:
                self.apply(dataclasses.replace(changes, decisions=others))
        finally:
            self._checking.release()
