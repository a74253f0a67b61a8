"""The labels of a Spark backend's queries: which study step asked for each, numbered per backend.

Every query the Spark backend (:mod:`calciscope.engine.spark`) runs passes through
:meth:`QueryLabels.query`, which names it after the calciscope functions on the call stack
(:func:`study_step`), numbers it (from 1 for each backend: each connection counts its own
queries), logs it before it runs and with its seconds after (logger
``calciscope.engine.spark``, INFO), sets it as the Spark jobs' description on a local session,
and adds it as a note to an error raised while it runs.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["QueryLabels", "study_step"]

#: The Spark backend's logger (its queries' steps), named after the backend's module.
_LOG = logging.getLogger("calciscope.engine.spark")

#: calciscope's modules whose functions are plumbing, not a study step.
_PLUMBING = frozenset({__name__, "calciscope.engine.spark"})


def study_step(most: int = 6) -> str:
    """Return which of calciscope's functions asked for the query being run: the step's name.

    The calciscope functions on the call stack, outermost first (the last ``most``), leaving
    out the Spark backend's plumbing and comprehensions: e.g. ``run_study > _read_back >
    StudyQuery.variant_cases > read_frame``. Read from the stack, so every query a Spark
    backend runs is named without a name written at each call site.
    """
    names: list[str] = []
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        name = frame.f_code.co_qualname
        if module.startswith("calciscope.") and module not in _PLUMBING and name[0] != "<":
            names.append(name)
        frame = frame.f_back  # type: ignore[assignment]
    return " > ".join(reversed(names[:most])) or "(not called from calciscope)"


def _local_context(session: Any) -> Any:
    """Return a local session's SparkContext (None over Spark Connect, which has none)."""
    from pyspark.sql.utils import is_remote

    return None if is_remote() else session.sparkContext


class QueryLabels:
    """The labels of one backend's queries, numbered from 1 (no state shared between backends)."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        #: whether this thread is inside a labelled query (a read back that runs another,
        #: e.g. Ibis' ``to_pyarrow`` through ``execute``, is labelled once)
        self._inside = threading.local()

    @contextlib.contextmanager
    def query(self, session: Any, action: str, sql: str) -> Iterator[str]:
        """Run a Spark query under the name of the study step that asked for it.

        The step (:func:`study_step`), the query's number and the cached tables it reads
        (``ibis_cached_*`` in its SQL) are logged before it runs and with its seconds after;
        on a local session they are the Spark jobs' description
        (``SparkContext.setJobDescription``: the UI, the status tracker); and an error raised
        while it runs (a ``java.lang.OutOfMemoryError`` of the JVM, a Py4J error once the JVM
        is gone) carries them as a note, printed under the traceback. So a failure deep in a
        study says which step and which query failed. Yields the label.
        """
        if getattr(self._inside, "active", False):  # the outer query's label holds
            yield ""
            return
        label = f"calciscope query {next(self._numbers)}: {study_step()}"
        cached = sorted(set(re.findall(r"ibis_cached_\w+", sql)))
        reads = f"reads {', '.join(cached)}" if cached else "reads no cached table"
        _LOG.info("%s [%s; %d characters of SQL; %s]", label, action, len(sql), reads)
        context = _local_context(session)
        if context is not None:
            context.setJobDescription(label)
        self._inside.active = True
        start = time.perf_counter()
        try:
            yield label
        except BaseException as exc:
            exc.add_note(f"{label} [{action}; {reads}] failed")
            _LOG.info("%s failed after %.1f s", label, time.perf_counter() - start)
            raise
        else:
            _LOG.info("%s done in %.1f s", label, time.perf_counter() - start)
        finally:
            self._inside.active = False
            if context is not None:
                with contextlib.suppress(Exception):  # the JVM may be gone (the error above)
                    context.setJobDescription(None)
