"""Notes in, suggested facts out: the unit of work of ``notes extract`` (one per process).

Kept in the domain layer, with no database or web imports, so that worker processes start
fast: a worker imports this module, builds its extractor once and reuses it for every batch.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from calciscope.extract.extractor import NoteExtractor, engine_version
from calciscope.extract.facts import (
    NoteRef,
    mentions_to_facts,
    mentions_to_rows,
    mentions_to_values,
)
from calciscope.extract.rules import load_rules
from calciscope.model import Fact, Method, Note, NoteType

__all__ = [
    "NoteFields",
    "RulePaths",
    "extractor_for",
    "fact_rows_for_notes",
    "fact_values_for_notes",
    "facts_for_notes",
    "note_facts",
    "version_for",
]

#: ``(targets YAML, context YAML, medspaCy context JSON files)``; None = the packaged file.
RulePaths = tuple[str | None, str | None, tuple[str, ...]]
#: A stored (validated) note as worker processes receive it: ``(note_id, patient_id,
#: note_type, note_date, text)``; a tuple pickles at a fraction of the cost of a model.
NoteFields = tuple[str, str, str, dt.date | None, str]


_EXTRACTORS: dict[RulePaths, NoteExtractor] = {}
_BUILDING = threading.Lock()


def extractor_for(paths: RulePaths = (None, None, ())) -> NoteExtractor:
    """Return the (cached) extractor for a set of rule files, built once per process.

    Built under a lock: a web request that needs it while the app's warm-up thread builds it
    waits for that one (``functools.cache`` let both build it, some 2 s of CPU each).
    """
    found = _EXTRACTORS.get(paths)
    if found is not None:
        return found
    with _BUILDING:
        found = _EXTRACTORS.get(paths)
        if found is None:
            targets, context, extra = paths
            rules = load_rules(targets=targets, context=context, extra_context=extra)
            found = _EXTRACTORS[paths] = NoteExtractor(rules)
    return found


def version_for(paths: RulePaths = (None, None, ())) -> str:
    """Return :attr:`NoteExtractor.version` for a set of rule files, without building one.

    (A parent whose workers extract needs only the version: compiling the rules costs more
    than reading them.)
    """
    targets, context, extra = paths
    return engine_version(load_rules(targets=targets, context=context, extra_context=extra))


def _note_method(extractor: NoteExtractor, note: Note | NoteRef) -> Method | None:
    if note.note_type != NoteType.RADIOLOGY_REPORT:
        return None
    return Method(extractor.imaging_method(note.text) or Method.RADIOGRAPH)


def note_facts(note: Note, extractor: NoteExtractor | None = None) -> list[Fact]:
    """Return the suggested facts one note supports (see :mod:`calciscope.extract.facts`).

    Parameters
    ----------
    note
        The note.
    extractor
        The extractor to use (the packaged rules by default).
    """
    extractor = extractor or extractor_for()
    mentions = extractor.extract(note.text, report=note.note_type == NoteType.RADIOLOGY_REPORT)
    if not mentions:
        return []
    method = _note_method(extractor, note)
    return mentions_to_facts(note, mentions, version=extractor.version, note_method=method)


def facts_for_notes(
    notes: Sequence[Note], paths: RulePaths = (None, None, ())
) -> tuple[int, list[Fact]]:
    """Return ``(number of notes, their suggested facts)`` for a batch of notes."""
    extractor = extractor_for(paths)
    return len(notes), [fact for note in notes for fact in note_facts(note, extractor)]


def fact_rows_for_notes(
    notes: Sequence[Note], paths: RulePaths = (None, None, ())
) -> tuple[int, list[dict[str, Any]]]:
    """Return ``(number of notes, their suggested facts as table rows)`` for a batch of notes.

    The same facts as :func:`facts_for_notes` (see :func:`~calciscope.extract.facts.mentions_to_rows`),
    cheaper to build and to send back from a worker process.
    """
    extractor = extractor_for(paths)
    version = extractor.version
    rows: list[dict[str, Any]] = []
    for note in notes:
        mentions = extractor.extract(note.text, report=note.note_type == NoteType.RADIOLOGY_REPORT)
        if mentions:
            method = _note_method(extractor, note)
            rows += mentions_to_rows(note, mentions, version=version, note_method=method)
    return len(notes), rows


def fact_values_for_notes(
    notes: Sequence[NoteFields], paths: RulePaths = (None, None, ())
) -> tuple[int, list[tuple[Any, ...]]]:
    """Return ``(number of notes, their suggested facts as tuples)`` (a worker's job).

    The rows of :func:`fact_rows_for_notes` as tuples of stored values in
    :data:`~calciscope.extract.facts.ROW_COLUMNS` order (see
    :func:`~calciscope.extract.facts.mentions_to_values`), for notes given as
    :data:`NoteFields` (already validated when they were stored).
    """
    extractor = extractor_for(paths)
    version = extractor.version
    extract = extractor.extract
    values: list[tuple[Any, ...]] = []
    for fields in notes:
        mentions = extract(fields[4], report=fields[2] == _RADIOLOGY)
        if mentions:
            note = _new_tuple(NoteRef, fields)
            method = _note_method(extractor, note)
            values += mentions_to_values(note, mentions, version=version, note_method=method)
    return len(notes), values


_new_tuple = tuple.__new__  # NoteRef(*fields) without the argument handling
_RADIOLOGY = NoteType.RADIOLOGY_REPORT.value
