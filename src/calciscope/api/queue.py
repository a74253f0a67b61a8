"""The review queue: everything that needs a person, each item with the reason it is there.

The queue kinds are data (``phenotype/review_queue.yaml``). Suggested facts are read straight
from the registry with their evidence sentence; patient kinds are computed on the classified
feature table the studies use (the feature table, criteria and phenotype columns, compiled once
by :class:`~calciscope.engine.classifier.CohortClassifier`), with and without suggested facts.
Nothing here is a clinical rule.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy.engine import Connection

from calciscope.api.criteria import default_index_date
from calciscope.engine.classifier import CohortClassifier
from calciscope.engine.readback import read_arrow
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.extract import NoteExtractor
from calciscope.extract.pipeline import extractor_for
from calciscope.features import load_catalogue
from calciscope.imaging.reading import image_of_provenance
from calciscope.model import IDENTIFIER_PATTERN, Fact, Note, ReviewState
from calciscope.phenotype.review_queue import QueueKind, QueueSource, load_review_queue
from calciscope.storage import Registry
from calciscope.storage.review import ReviewRecord, ReviewRepository, StoredFact

__all__ = [
    "OPEN",
    "Evidence",
    "QueueKind",
    "QueueSource",
    "RegistryChanges",
    "ReviewItem",
    "queue_index_date",
    "queue_kinds",
    "registry_changes",
    "review_queue",
    "review_queue_counts",
    "review_queue_item",
]

#: State of a patient item nobody has decided.
OPEN = "open"


@dataclass(frozen=True)
class Evidence:
    """Where a suggested fact was read: the note, the offsets of the match and its sentence.

    ``start`` and ``end`` are offsets of the matched text in the note; ``sentence_start`` is
    the offset of ``sentence`` in the note (so a page can highlight the match in place).
    """

    note_id: str
    note_type: str | None
    note_date: dt.date | None
    start: int
    end: int
    sentence: str
    text_excerpt: str
    sentence_start: int = 0


@dataclass(frozen=True)
class ReviewItem:
    """One thing in the review queue, with the reason it is there.

    ``version`` is what a decision must name as ``expected_version`` (optimistic
    concurrency); ``state`` is the fact's review state, or ``open`` for patient items.
    """

    item_id: str
    kind: str
    patient_id: str
    reason: str
    fact_id: str | None
    evidence: Evidence | None
    version: int
    state: str
    fact: Fact | None = None


def queue_index_date(registry: Registry) -> dt.date:
    """Return the date the queue's patient kinds are evaluated at unless one is chosen.

    :func:`calciscope.api.default_index_date`: the registry's as-of date, or today when none
    is set (:func:`calciscope.api.registry_as_of`). The at-risk prompts, unknown phenotypes
    and the other patient items are then what the patient page and ``calciscope patients show
    --explain`` show at the same date. Facts dated after it are not read; a reviewer looking at
    another date passes ``index_date``.
    """
    return default_index_date(registry)


def queue_kinds() -> list[QueueKind]:
    """Return the review queue kinds, in display order (from ``review_queue.yaml``)."""
    return list(load_review_queue().kinds)


class _NoteSentences:
    """The notes suggested facts cite, each split into sentences once, as the extractor did."""

    def __init__(self, notes: Mapping[str, Note], extractor: NoteExtractor) -> None:
        self.notes = notes
        self.extractor = extractor

    def evidence(self, fact: Fact) -> Evidence | None:
        """Return where ``fact`` was read, from its provenance (None when not from a note)."""
        prov = _provenance(fact)
        note = self.notes.get(str(prov.get("note_id", "")))
        if note is None or "start" not in prov or "end" not in prov:
            return None
        start, end = int(prov["start"]), int(prov["end"])
        spans = _sentence_spans(note.text)
        first, last = next(((a, b) for a, b in spans if a <= start < b), (start, end))
        return Evidence(
            note_id=note.note_id,
            note_type=note.note_type.value,
            note_date=note.note_date,
            start=start,
            end=end,
            sentence=note.text[first:last],
            text_excerpt=note.text[start:end],
            sentence_start=first,
        )


@lru_cache(maxsize=4096)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Return a note's sentences as extraction split it (kept: the pages cite the same notes).

    The packaged extractor, the one extraction caches
    (:func:`calciscope.extract.pipeline.extractor_for`): notes are read with the packaged
    sections and sentence boundary, so this is the sentence the match was read in.
    """
    return tuple(extractor_for().sentence_spans(text))


def _provenance(fact: Fact) -> Mapping[str, Any]:
    return _provenance_of(fact.provenance or "")


@lru_cache(maxsize=16_384)
def _provenance_of(text: str) -> Mapping[str, Any]:
    try:
        prov = json.loads(text)
    except ValueError:
        return MappingProxyType({})
    return MappingProxyType(prov if isinstance(prov, dict) else {})


@cache
def _concept_label(system: str, code: str) -> str:
    catalogue = load_catalogue()
    names = catalogue.concepts_for_code(system, code)
    return catalogue.concepts[names[0]].label if names else f"{system}:{code}"


def _fact_items(
    repo: ReviewRepository,
    conn: Connection,
    kind: QueueKind,
    patient: str | None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReviewItem]:
    stored = repo.suggested_facts(conn, patient, limit=limit, offset=offset)
    cited = [str(_provenance(s.fact).get("note_id", "")) for s in stored]
    wanted = set(cited) - {""}
    notes = repo.notes(conn, sorted(wanted)) if wanted else {}
    extractor = extractor_for()  # built on every page, items or none: the web app warms it
    return [
        _kept_item(kind.name, s, notes.get(n), extractor)
        for s, n in zip(stored, cited, strict=True)
    ]


@lru_cache(maxsize=8192)
def _kept_item(
    kind: str, stored: StoredFact, note: Note | None, extractor: NoteExtractor
) -> ReviewItem:
    """Return the item of a suggested fact (its evidence found in its note once, then kept).

    The same stored fact (version included), note and extractor give the same item: a
    queue's pages are read again and again while few of their items change.
    """
    notes = {note.note_id: note} if note is not None else {}
    evidence = _NoteSentences(notes, extractor).evidence(stored.fact)
    chosen = load_review_queue().kind(kind)
    assert chosen is not None  # the caller's kind
    return _fact_item(chosen, stored, evidence)


def _fact_item(kind: QueueKind, stored: StoredFact, evidence: Evidence | None) -> ReviewItem:
    fact = stored.fact
    cells = {k: v for k, v in fact.__dict__.items()} | {
        "concept": _concept_label(fact.system, fact.code)
    }
    if evidence is not None:
        cells |= {"note_id": evidence.note_id, "note_type": evidence.note_type}
    elif image_of_provenance(fact.provenance):  # a reader's region row (api.record_reading)
        cells |= {
            "note_type": "a reading of image",
            "note_id": image_of_provenance(fact.provenance),
        }
    return ReviewItem(
        item_id=f"fact:{fact.fact_id}",
        kind=kind.name,
        patient_id=fact.patient_id,
        reason=kind.describe(cells),
        fact_id=fact.fact_id,
        evidence=evidence,
        version=stored.version,
        state=fact.review_state.value,
        fact=fact,
    )


_Rows = tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]
_STATES = ((ReviewState.CONFIRMED,), (ReviewState.CONFIRMED, ReviewState.SUGGESTED))

# Classifying the cohort costs seconds of SQL compilation whatever its size. Per open registry
# (dropped with it) the compiled classifier is kept, and so are its rows while the registry's
# facts, review states and patients are unchanged (ReviewRepository.state_token).
_CLASSIFIERS: weakref.WeakKeyDictionary[Registry, CohortClassifier] = weakref.WeakKeyDictionary()
_CLASSIFIED: weakref.WeakKeyDictionary[Registry, tuple[Any, _Rows]] = weakref.WeakKeyDictionary()


#: One classification at a time per process: a classifier is one DuckDB connection, which
#: refuses a second caller (the web app's threads asking for two queue pages at once).
_CLASSIFYING = threading.Lock()


def _classified_rows(
    registry: Registry, repo: ReviewRepository, conn: Connection, index_date: dt.date
) -> _Rows:
    """Return the classified rows on confirmed facts and, by patient, with suggested facts."""
    key = (repo.state_token(conn), index_date)
    with _CLASSIFYING:  # a caller that waited finds the rows the one before it computed
        cached = _CLASSIFIED.get(registry)
        if cached is not None and cached[0] == key:
            return cached[1]
        with registry.ibis_connection() as con:
            # in batches: PostgreSQL hands rows to Ibis as Python tuples (engine.readback)
            facts = read_arrow(con.table("facts"))
            patients = read_arrow(con.table("patients"))
        classifier = _CLASSIFIERS.get(registry)
        if classifier is None or classifier.index_date != index_date:
            rules = {k.column: k.when for k in load_review_queue().kinds if k.when is not None}
            classifier = CohortClassifier(
                facts, patients, index_date=index_date, states=_STATES, rules=rules
            )
            _CLASSIFIERS[registry] = classifier
        confirmed, both = classifier.run(facts, patients)
        result = (confirmed.to_pylist(), {str(r["patient_id"]): r for r in both.to_pylist()})
        _CLASSIFIED[registry] = (key, result)
        return result


def _patient_items(
    kinds: Sequence[QueueKind], rows: list[dict[str, Any]], suggested: Mapping[str, Any]
) -> Iterator[ReviewItem]:
    for row in rows:
        pid = str(row["patient_id"])
        for kind in kinds:
            if kind.matches(row, suggested.get(pid)):
                yield ReviewItem(
                    item_id=f"{kind.name}:{pid}",
                    kind=kind.name,
                    patient_id=pid,
                    reason=kind.describe(row),
                    fact_id=None,
                    evidence=None,
                    version=0,
                    state=OPEN,
                )


def _chosen_kinds(kinds: Sequence[str] | None) -> list[QueueKind]:
    known = load_review_queue()
    if kinds is None:
        return list(known.kinds)
    unknown = [k for k in kinds if known.kind(k) is None]
    if unknown:
        names = ", ".join(k.name for k in known.kinds)
        raise ValidationError(
            [
                Problem("review queue", k, "kind", f"unknown kind; expected one of {names}")
                for k in unknown
            ],
            summary="cannot list the review queue",
        )
    return [k for k in known.kinds if k.name in set(kinds)]


def _check_page(limit: int | None, offset: int) -> None:
    problems = []
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        problems.append(Problem("review queue", str(limit), "limit", "a whole number, 1 or more"))
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        problems.append(Problem("review queue", str(offset), "offset", "a whole number, 0 or more"))
    if problems:
        raise ValidationError(problems, summary="cannot list the review queue")


def review_queue(
    registry: Registry,
    *,
    kinds: Sequence[str] | None = None,
    patient: str | None = None,
    index_date: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReviewItem]:
    """Return the open review items, by patient, in the order of the queue kinds.

    Parameters
    ----------
    registry
        The registry.
    kinds
        Only these kinds (see :func:`queue_kinds`); all by default. Suggested facts alone
        are read straight from the registry; patient kinds classify the cohort (seconds of
        query compilation), which is kept with the open registry and reused until its facts,
        review states or patients change.
    patient
        Only this patient's items.
    index_date
        Facts after this date are ignored by the patient kinds (the at-risk prompts and the
        others); the registry's as-of date by default, today when none is set
        (:func:`queue_index_date`), so that they agree with the patient pages and
        ``calciscope patients show --explain``.
    limit, offset
        One page of the queue: at most ``limit`` items after the first ``offset`` (all by
        default). A page of suggested facts alone is read from the registry as one page
        (indexed), whatever the queue's size; :func:`review_queue_counts` counts the whole.
    A suggested fact's evidence is the sentence the packaged extractor read it in (the one
    :func:`calciscope.api.extract_notes` uses, cached per process; the web app builds it while
    warming up).

    Raises
    ------
    ValidationError
        When a kind is unknown, or ``limit`` or ``offset`` is not a whole number in range.
    """
    chosen = _chosen_kinds(kinds)
    _check_page(limit, offset)
    repo = ReviewRepository(registry)
    if index_date is None and any(k.source is not QueueSource.SUGGESTED_FACTS for k in chosen):
        index_date = queue_index_date(registry)  # read once, before the queue's transaction
    with repo.read() as conn:
        if len(chosen) == 1 and chosen[0].source is QueueSource.SUGGESTED_FACTS:
            return _fact_items(repo, conn, chosen[0], patient, limit=limit, offset=offset)
        items = _all_items(registry, repo, conn, chosen, patient, index_date)
    return items[offset:] if limit is None else items[offset : offset + limit]


def _all_items(
    registry: Registry,
    repo: ReviewRepository,
    conn: Connection,
    chosen: Sequence[QueueKind],
    patient: str | None,
    index_date: dt.date | None,
) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for kind in chosen:
        if kind.source is QueueSource.SUGGESTED_FACTS:
            items += _fact_items(repo, conn, kind, patient)
    patient_kinds = [k for k in chosen if k.source is not QueueSource.SUGGESTED_FACTS]
    if patient_kinds:
        when = index_date or queue_index_date(registry)
        rows, suggested = _classified_rows(registry, repo, conn, when)
        if patient is not None:
            rows = [r for r in rows if str(r["patient_id"]) == patient]
        found = list(_patient_items(patient_kinds, rows, suggested))
        decided = repo.decided_items(conn, [k.name for k in patient_kinds])
        items += [i for i in found if i.item_id not in decided]
    order = {k.name: n for n, k in enumerate(chosen)}
    return sorted(items, key=lambda i: (i.patient_id, order[i.kind]))


def review_queue_counts(
    registry: Registry,
    *,
    kinds: Sequence[str] | None = None,
    patient: str | None = None,
    index_date: dt.date | None = None,
) -> dict[str, int]:
    """Return how many open items each kind holds (every kind chosen, zero included).

    Suggested facts are counted in the registry (indexed); patient kinds classify the cohort
    at ``index_date`` (the registry's as-of date by default), as :func:`review_queue` does.

    Raises
    ------
    ValidationError
        When a kind is unknown.
    """
    chosen = _chosen_kinds(kinds)
    repo = ReviewRepository(registry)
    counts = {k.name: 0 for k in chosen}
    if index_date is None and any(k.source is not QueueSource.SUGGESTED_FACTS for k in chosen):
        index_date = queue_index_date(registry)
    with repo.read() as conn:
        for kind in chosen:
            if kind.source is QueueSource.SUGGESTED_FACTS:
                counts[kind.name] = repo.count_suggested(conn, patient)
        patient_kinds = [k for k in chosen if k.source is not QueueSource.SUGGESTED_FACTS]
        if patient_kinds:
            for item in _all_items(registry, repo, conn, patient_kinds, patient, index_date):
                counts[item.kind] += 1
    return counts


#: The shape of a review item id: ``fact:<fact id>``, a bare fact id (``F…``, as the
#: ``facts`` commands print it) or ``<kind>:<patient id>``, the ids written as the model's
#: identifiers are (hardening34).
_ITEM_ID = re.compile(rf"^(?:F[A-Za-z0-9._\-]*|[a-z][a-z0-9_]*:{IDENTIFIER_PATTERN})$")
_ITEM_ID_MAX = 300


def item_id_problem(item_id: str) -> Problem | None:
    """Return the problem of an id that is not of a review item id's shape, or None.

    Such an id is bad input (the web app's 422, naming the field ``item_id``); an id of the
    right shape that names nothing (no such fact, kind or patient) is not found (404).
    """
    if len(item_id) <= _ITEM_ID_MAX and _ITEM_ID.match(item_id):
        return None
    shown = item_id if len(item_id) <= 60 else item_id[:57] + "..."
    message = "not a review item id: expected fact:<fact id> or <kind>:<patient id>"
    return Problem("review", shown, "item_id", message)


def review_queue_item(
    registry: Registry,
    item_id: str,
    *,
    index_date: dt.date | None = None,
) -> ReviewItem:
    """Return one open item of the queue by its id (``fact:<fact id>`` or ``<kind>:<patient>``).

    ``index_date`` as for :func:`review_queue`.

    Raises
    ------
    ValidationError
        Naming ``item_id`` when it is not of an item id's shape (:func:`item_id_problem`).
    NotFoundError
        Naming ``item_id`` when no such item is open (unknown, or decided already).
    """
    if (malformed := item_id_problem(item_id)) is not None:
        raise ValidationError([malformed], summary="cannot show the review item")
    repo = ReviewRepository(registry)
    missing = NotFoundError(
        [Problem("review", item_id, "item_id", "no such open item (decided already?)")],
        summary="cannot show the review item",
    )
    known = load_review_queue()
    prefix, _, rest = item_id.partition(":")
    if not rest:
        raise missing
    if prefix == "fact":
        fact_kinds = [k for k in known.kinds if k.source is QueueSource.SUGGESTED_FACTS]
        with repo.read() as conn:
            stored = repo.stored_fact(conn, rest)
            if (
                not fact_kinds
                or stored is None
                or stored.superseded_by
                or stored.fact.review_state is not ReviewState.SUGGESTED
            ):
                raise missing
            note_id = str(_provenance(stored.fact).get("note_id", ""))
            cited = repo.notes(conn, [note_id]) if note_id else {}
            notes = _NoteSentences(cited, extractor_for())
            return _fact_item(fact_kinds[0], stored, notes.evidence(stored.fact))
    kind = known.kind(prefix)
    if kind is None or kind.source is QueueSource.SUGGESTED_FACTS:
        raise missing
    found = review_queue(registry, kinds=[kind.name], patient=rest, index_date=index_date)
    for item in found:
        if item.item_id == item_id:
            return item
    raise missing


@dataclass(frozen=True)
class RegistryChanges:
    """What was written to the registry since a mark (by another process as much as this one).

    ``mark`` is what the next call passes as ``since``. ``decisions`` are the review decisions
    recorded since, oldest first; ``patients`` those whose facts a person added or corrected
    since; ``imported`` says an import ran since (anything may have changed). ``written`` says
    the registry's data changed since (its generation moved on: any write, by anyone, the
    named ones included); ``unnamed`` that it changed more than the decisions explain, with no
    entry or import to explain it (an image reading, a note extraction, a hand-written
    statement: which patients is not known). A process keeping results of the registry
    between requests (the web app's workers) drops or adjusts what these name, and everything
    when a write is unnamed.
    """

    mark: tuple[int, int, int, int]
    decisions: tuple[ReviewRecord, ...] = ()
    patients: tuple[str, ...] = ()
    imported: bool = False
    written: bool = False
    unnamed: bool = False


def registry_changes(registry: Registry, since: tuple[int, ...] | None = None) -> RegistryChanges:
    """Return the review decisions, fact entries, imports and other writes since the mark ``since``.

    Without ``since``, only the current mark (nothing is reported). Costs four indexed
    look-ups when nothing changed (the last decision, fact revision and import, and the
    registry's generation, which every write to its data moves on).
    """
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        mark = repo.change_mark(conn)
        if since is None or tuple(since) == mark:
            return RegistryChanges(mark)
        was = tuple(since) + (0,) * (4 - len(since))  # a mark of before the generation counted
        decisions = tuple(repo.decisions_after(conn, was[0])) if mark[0] != was[0] else ()
        patients = tuple(repo.revised_patients(conn, was[1])) if mark[1] != was[1] else ()
    imported = mark[2] != was[2]
    # a decision on a fact moves the generation on once (one UPDATE of one row: the triggers
    # count rows on SQLite, statements on PostgreSQL), one on a patient item not at all; an
    # entry's bumps are not counted, nor an import's (both make their own changes known)
    explained = sum(d.fact_id is not None for d in decisions)
    moved = mark[3] - was[3]
    unnamed = moved > explained and not patients and not imported
    return RegistryChanges(
        mark, decisions, patients, imported=imported, written=moved != 0, unnamed=unnamed
    )
