"""Verbs for review: the queue of what needs a person, and recording their decisions.

The queue kinds are data (``phenotype/review_queue.yaml``). Patient kinds are computed on the
classified feature table the studies use (:func:`calciscope.api.study.study_data_from_tables`),
with and without suggested facts; nothing here is a clinical rule. A decision, the fact it
changes and its audit row are written in one transaction; a stale ``expected_version`` raises
:class:`~calciscope.errors.ReviewConflict` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.engine import Connection

from calciscope.api.users import default_actor, require_text
from calciscope.engine import connect
from calciscope.errors import Problem, ReviewConflict, ValidationError
from calciscope.extract.segment import split_sentences
from calciscope.features import load_catalogue
from calciscope.model import Fact, Note, ReviewDecision, ReviewState
from calciscope.phenotype.review_queue import QueueKind, QueueSource, load_review_queue
from calciscope.storage import Registry
from calciscope.storage.review import ReviewRecord, ReviewRepository, StoredFact

__all__ = [
    "Evidence",
    "QueueKind",
    "ReviewItem",
    "ReviewRecord",
    "queue_kinds",
    "review",
    "review_history",
    "review_items",
    "review_queue",
]

_FACT_KIND = "suggested_fact"
_FACT_DECISIONS = {
    ReviewDecision.CONFIRM: ReviewState.CONFIRMED,
    ReviewDecision.REJECT: ReviewState.REJECTED,
}
_ITEM_DECISIONS = {
    ReviewDecision.CONFIRM: "acknowledged",
    ReviewDecision.ACKNOWLEDGE: "acknowledged",
    ReviewDecision.REJECT: "dismissed",
    ReviewDecision.DISMISS: "dismissed",
}
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


def queue_kinds() -> list[QueueKind]:
    """Return the review queue kinds, in display order (from ``review_queue.yaml``)."""
    return list(load_review_queue().kinds)


# --- the queue ----------------------------------------------------------------------------
class _NoteSentences:
    """The notes suggested facts cite, each split into sentences once."""

    def __init__(self, notes: Mapping[str, Note]) -> None:
        self.notes = notes
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def evidence(self, fact: Fact) -> Evidence | None:
        """Return where ``fact`` was read, from its provenance (None when not from a note)."""
        prov = _provenance(fact)
        note = self.notes.get(str(prov.get("note_id", "")))
        if note is None or "start" not in prov or "end" not in prov:
            return None
        start, end = int(prov["start"]), int(prov["end"])
        if note.note_id not in self._spans:
            self._spans[note.note_id] = split_sentences(note.text)
        spans = self._spans[note.note_id]
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


def _provenance(fact: Fact) -> dict[str, Any]:
    try:
        prov = json.loads(fact.provenance or "")
    except ValueError:
        return {}
    return prov if isinstance(prov, dict) else {}


@cache
def _concept_label(system: str, code: str) -> str:
    catalogue = load_catalogue()
    names = catalogue.concepts_for_code(system, code)
    return catalogue.concepts[names[0]].label if names else f"{system}:{code}"


def _fact_items(
    repo: ReviewRepository, conn: Connection, kind: QueueKind, patient: str | None
) -> list[ReviewItem]:
    stored = repo.suggested_facts(conn, patient)
    note_ids = {str(_provenance(s.fact).get("note_id", "")) for s in stored} - {""}
    notes = _NoteSentences(repo.notes(conn, sorted(note_ids)) if note_ids else {})
    return [_fact_item(kind, s, notes.evidence(s.fact)) for s in stored]


def _fact_item(kind: QueueKind, stored: StoredFact, evidence: Evidence | None) -> ReviewItem:
    fact = stored.fact
    cells = {k: v for k, v in fact.__dict__.items()} | {
        "concept": _concept_label(fact.system, fact.code)
    }
    if evidence is not None:
        cells |= {"note_id": evidence.note_id, "note_type": evidence.note_type}
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


def _classified_rows(
    registry: Registry, patient: str | None, index_date: dt.date
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Return the classified rows on confirmed facts and, by patient, with suggested facts."""
    from calciscope.api.study import study_data_from_tables

    con = connect(registry.url)
    try:
        facts, patients = con.table("facts"), con.table("patients")
        if patient is not None:
            facts = facts.filter(facts.patient_id == patient)
            patients = patients.filter(patients.patient_id == patient)
        data = study_data_from_tables(
            facts.to_pyarrow(), patients.to_pyarrow(), index_date=index_date, include_suggested=True
        )
    finally:
        con.disconnect()
    rows: list[dict[str, Any]] = data.table.to_dict("records")  # type: ignore[assignment]
    both: list[dict[str, Any]] = (
        data.suggested.to_dict("records") if data.suggested is not None else []  # type: ignore[assignment]
    )
    return rows, {str(r["patient_id"]): r for r in both}


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


def review_queue(
    registry: Registry,
    *,
    kinds: Sequence[str] | None = None,
    patient: str | None = None,
    index_date: dt.date | None = None,
) -> list[ReviewItem]:
    """Return the open review items, by patient, in the order of the queue kinds.

    Parameters
    ----------
    registry
        The registry.
    kinds
        Only these kinds (see :func:`queue_kinds`); all by default. Suggested facts alone
        are read straight from the registry; patient kinds classify the cohort (seconds on a
        large registry), or one patient when ``patient`` is given.
    patient
        Only this patient's items.
    index_date
        Facts after this date are ignored by the patient kinds; today by default.

    Raises
    ------
    ValidationError
        When a kind is unknown.
    """
    chosen = _chosen_kinds(kinds)
    repo = ReviewRepository(registry)
    items: list[ReviewItem] = []
    with repo.read() as conn:
        for kind in chosen:
            if kind.source is QueueSource.SUGGESTED_FACTS:
                items += _fact_items(repo, conn, kind, patient)
        patient_kinds = [k for k in chosen if k.source is not QueueSource.SUGGESTED_FACTS]
        if patient_kinds:
            rows, suggested = _classified_rows(registry, patient, index_date or dt.date.today())
            found = list(_patient_items(patient_kinds, rows, suggested))
            decided = repo.decided_items(conn, [k.name for k in patient_kinds])
            items += [i for i in found if i.item_id not in decided]
    order = {k.name: n for n, k in enumerate(chosen)}
    return sorted(items, key=lambda i: (i.patient_id, order[i.kind]))


# --- decisions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Planned:
    """A decision checked and ready to write."""

    item_id: str
    kind: str
    patient_id: str
    fact_id: str | None
    previous_state: str
    new_state: str
    version: int


def _parse_decision(
    decision: ReviewDecision | str, problems: list[Problem]
) -> ReviewDecision | None:
    try:
        return ReviewDecision(decision)
    except ValueError:
        names = ", ".join(d.value for d in ReviewDecision)
        problems.append(Problem("review", str(decision), "decision", f"expected one of {names}"))
        return None


def _plan_fact(
    repo: ReviewRepository,
    conn: Connection,
    item_id: str,
    decision: ReviewDecision,
    expected: int | None,
) -> _Planned | Problem:
    fact_id = item_id.split(":", 1)[1]
    stored = repo.stored_fact(conn, fact_id)
    if stored is None:
        return Problem("review", item_id, "item_id", "no such fact")
    if stored.superseded_by:
        return Problem(
            "review", item_id, "item_id", f"corrected; review fact:{stored.superseded_by}"
        )
    if decision not in _FACT_DECISIONS:
        return Problem("review", item_id, "decision", "a fact is confirmed or rejected")
    if expected is not None and expected != stored.version:
        raise ReviewConflict(item_id, expected, stored.version)
    return _Planned(
        item_id, _FACT_KIND, stored.fact.patient_id, fact_id,
        stored.fact.review_state.value, _FACT_DECISIONS[decision].value, stored.version,
    )  # fmt: skip


def _plan_item(
    repo: ReviewRepository,
    conn: Connection,
    item_id: str,
    decision: ReviewDecision,
    expected: int | None,
) -> _Planned | Problem:
    kind_name, _, patient_id = item_id.partition(":")
    kind = load_review_queue().kind(kind_name)
    if kind is None or not patient_id:
        return Problem(
            "review", item_id, "item_id", "expected fact:<fact id> or <kind>:<patient id>"
        )
    if not kind.decidable:
        return Problem("review", item_id, "item_id", f"{kind.label}: {kind.description}")
    if not repo.patient_exists(conn, patient_id):
        return Problem("review", item_id, "item_id", f"no such patient {patient_id!r}")
    decided = repo.decided_items(conn, [kind.name]).get(item_id)
    current = decided[1] if decided else 0
    if expected is not None and expected != current:
        raise ReviewConflict(item_id, expected, current)
    previous = decided[0] if decided else OPEN
    return _Planned(
        item_id, kind.name, patient_id, None, previous, _ITEM_DECISIONS[decision], current
    )


def _plan(
    repo: ReviewRepository,
    conn: Connection,
    item_id: str,
    decision: ReviewDecision,
    expected: int | None,
) -> _Planned | Problem:
    if item_id.startswith("F") and ":" not in item_id:
        item_id = f"fact:{item_id}"  # a bare fact id, as `facts` commands print them
    if item_id.startswith("fact:"):
        return _plan_fact(repo, conn, item_id, decision, expected)
    return _plan_item(repo, conn, item_id, decision, expected)


def _write(
    repo: ReviewRepository,
    conn: Connection,
    plan: _Planned,
    decision: ReviewDecision,
    reviewer: str,
    reason: str,
) -> ReviewRecord:
    if plan.fact_id is not None and not repo.registry.set_review_state(
        plan.fact_id, plan.new_state, expected_version=plan.version, conn=conn
    ):
        current = repo.stored_fact(conn, plan.fact_id)
        raise ReviewConflict(plan.item_id, plan.version, current.version if current else None)
    if plan.fact_id is None:  # items that are not facts are acknowledged or dismissed
        decision = (
            ReviewDecision.ACKNOWLEDGE
            if plan.new_state == "acknowledged"
            else ReviewDecision.DISMISS
        )
    record = repo.record_decision(
        conn,
        item_id=plan.item_id,
        item_version=plan.version,
        kind=plan.kind,
        patient_id=plan.patient_id,
        fact_id=plan.fact_id,
        decision=decision.value,
        previous_state=plan.previous_state,
        new_state=plan.new_state,
        reviewer=reviewer,
        reason=reason,
    )
    repo.append_audit(
        conn,
        actor=reviewer,
        action=f"review.{decision.value}",
        target=plan.item_id,
        before={"state": plan.previous_state, "version": plan.version},
        after={"state": plan.new_state, "version": plan.version + 1},
        detail=reason,
    )
    return record


def review_items(
    registry: Registry,
    item_ids: Sequence[str],
    decision: ReviewDecision | str,
    *,
    reviewer: str | None = None,
    reason: str,
    expected_versions: Mapping[str, int] | None = None,
) -> list[ReviewRecord]:
    """Record one decision on several items in one transaction (all or nothing).

    Parameters
    ----------
    registry
        The registry.
    item_ids
        Queue item ids (``fact:<fact id>`` or ``<kind>:<patient id>``; a bare fact id works).
    decision
        ``confirm`` or ``reject`` (for items that are not facts: acknowledge or dismiss).
    reviewer
        Who decides (:func:`~calciscope.api.users.default_actor` by default).
    reason
        Why; required.
    expected_versions
        The version each item had when the reviewer read it.

    Raises
    ------
    ValidationError
        Naming the field: an unknown item, a decision that does not fit the item, no reason.
    ReviewConflict
        When an item changed since its expected version; nothing is written.
    """
    problems: list[Problem] = []
    require_text(problems, "review", "reason", reason)
    if not item_ids:
        problems.append(Problem("review", "", "item_id", "name at least one item"))
    chosen = _parse_decision(decision, problems)
    actor = reviewer or default_actor()
    require_text(problems, "review", "reviewer", actor)
    repo = ReviewRepository(registry)
    with repo.transaction() as conn:
        plans = []
        if chosen is not None:
            for item_id in item_ids:
                plan = _plan(repo, conn, item_id, chosen, (expected_versions or {}).get(item_id))
                if isinstance(plan, Problem):
                    problems.append(plan)
                else:
                    plans.append(plan)
        if problems:
            raise ValidationError(problems, summary="cannot record the review")
        assert chosen is not None
        return [_write(repo, conn, p, chosen, actor, reason.strip()) for p in plans]


def review(
    registry: Registry,
    item_id: str,
    decision: ReviewDecision | str,
    *,
    reviewer: str | None = None,
    reason: str,
    expected_version: int | None = None,
) -> ReviewRecord:
    """Record a decision on one queue item (see :func:`review_items`).

    Raises
    ------
    ValidationError
        For a bad item id, a decision that does not fit the item, or an empty reason.
    ReviewConflict
        When ``expected_version`` is stale (someone decided first); nothing is written.
    """
    versions = {item_id: expected_version} if expected_version is not None else None
    return review_items(
        registry, [item_id], decision, reviewer=reviewer, reason=reason, expected_versions=versions
    )[0]


def review_history(registry: Registry, *, patient: str | None = None) -> list[ReviewRecord]:
    """Return the recorded decisions, oldest first (optionally one patient's)."""
    repo = ReviewRepository(registry)
    with repo.read() as conn:
        return repo.decisions(conn, patient_id=patient)
