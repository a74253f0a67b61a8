"""Recording review decisions: confirm or reject a suggested fact, acknowledge or dismiss an item.

A decision, the fact it changes and its audit row are written in one transaction; a stale
``expected_version`` raises :class:`~calciscope.errors.ReviewConflict` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from calciscope.api.queue import OPEN, item_id_problem
from calciscope.api.users import default_actor, require_text
from calciscope.errors import NotFoundError, Problem, ReviewConflict, ValidationError
from calciscope.model import ReviewDecision, ReviewState
from calciscope.phenotype.review_queue import load_review_queue
from calciscope.storage import Registry
from calciscope.storage.review import ReviewRecord, ReviewRepository

__all__ = ["ReviewRecord", "is_fact_item", "review", "review_history", "review_items"]

_FACT_KIND = "suggested_fact"
_FACT_DECISIONS = {
    ReviewDecision.CONFIRM: ReviewState.CONFIRMED,
    ReviewDecision.REJECT: ReviewState.REJECTED,
}
#: A patient item (a prompt to look) is acknowledged or dismissed, never confirmed or rejected:
#: ``confirm`` / ``reject`` on one is refused naming the decision that fits (it was mapped to
#: acknowledge / dismiss without a word, so a reviewer could believe a prompt was "confirmed").
_ITEM_DECISIONS = {
    ReviewDecision.ACKNOWLEDGE: "acknowledged",
    ReviewDecision.DISMISS: "dismissed",
}
_ITEM_INSTEAD = {ReviewDecision.CONFIRM: "acknowledge", ReviewDecision.REJECT: "dismiss"}
#: States of an item still waiting for a decision: a suggested fact, an open patient item.
_WAITING = (ReviewState.SUGGESTED.value, OPEN)


class _Missing(Problem):
    """An item id that names nothing (no such fact, queue kind or patient).

    Decisions on nothing but such ids are a :class:`NotFoundError` (the web app's 404, as
    every other id that names nothing), not bad input (hardening24: a 422).
    """


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


def is_fact_item(item_id: str) -> bool:
    """Return whether a queue item id names a suggested fact (``fact:F…``, or a bare ``F…``).

    Any other id (``KIND:PATIENT``) names a patient item: a prompt or a possible case.
    """
    return item_id.startswith("fact:") or (item_id.startswith("F") and ":" not in item_id)


@dataclass(frozen=True)
class _Review:
    """One decision on several items, in one transaction: plan every item, then write them."""

    repo: ReviewRepository
    conn: Connection
    decision: ReviewDecision
    reviewer: str
    reason: str

    def plan(self, item_id: str, expected: int | None, only_open: bool) -> _Planned | Problem:
        """Check one item: a Problem to report with the others, or the write it needs."""
        if (malformed := item_id_problem(item_id)) is not None:
            return malformed  # bad input, not an unknown item
        fact = is_fact_item(item_id)
        if fact and not item_id.startswith("fact:"):
            item_id = f"fact:{item_id}"  # a bare fact id, as `facts` commands print them
        plan = (self._fact if fact else self._item)(item_id, expected)
        if isinstance(plan, _Planned) and only_open and plan.previous_state not in _WAITING:
            # the command line checks no versions: someone who decided first wins
            raise ReviewConflict(plan.item_id, None, plan.version, state=plan.previous_state)
        return plan

    def _fact(self, item_id: str, expected: int | None) -> _Planned | Problem:
        fact_id = item_id.split(":", 1)[1]
        stored = self.repo.stored_fact(self.conn, fact_id)
        if stored is None:
            return _Missing("review", item_id, "item_id", "no such fact")
        if stored.superseded_by:  # the correction is what is reviewed now
            message = f"corrected; review fact:{stored.superseded_by}"
            return Problem("review", item_id, "item_id", message)
        if self.decision not in _FACT_DECISIONS:
            return Problem("review", item_id, "decision", "a fact is confirmed or rejected")
        if expected is not None and expected != stored.version:
            raise ReviewConflict(item_id, expected, stored.version)
        state = stored.fact.review_state.value
        new_state = _FACT_DECISIONS[self.decision].value
        return _Planned(
            item_id, _FACT_KIND, stored.fact.patient_id, fact_id, state, new_state, stored.version
        )

    def _item(self, item_id: str, expected: int | None) -> _Planned | Problem:
        kind_name, _, patient_id = item_id.partition(":")
        kind = load_review_queue().kind(kind_name)
        if kind is None or not patient_id:
            message = "expected fact:<fact id> or <kind>:<patient id>"
            return _Missing("review", item_id, "item_id", message)
        if not kind.decidable:
            return Problem("review", item_id, "item_id", f"{kind.label}: {kind.description}")
        if not self.repo.patient_exists(self.conn, patient_id):
            return _Missing("review", item_id, "item_id", f"no such patient {patient_id!r}")
        if self.decision not in _ITEM_DECISIONS:
            message = (
                f"{kind.label} is a prompt to look, not a fact: it is acknowledged or dismissed, "
                f"never {self.decision.value}ed (use {_ITEM_INSTEAD[self.decision]})"
            )
            return Problem("review", item_id, "decision", message)
        # a patient item has no row until decided: version 0 and open before that
        previous, current = self.repo.decided_items(self.conn, [kind.name]).get(item_id, (OPEN, 0))
        if expected is not None and expected != current:
            raise ReviewConflict(item_id, expected, current)
        new_state = _ITEM_DECISIONS[self.decision]
        return _Planned(item_id, kind.name, patient_id, None, previous, new_state, current)

    def write(self, plan: _Planned) -> ReviewRecord:
        """Write one planned decision (the fact's new state, the decision, the audit row)."""
        repo, conn, decision, reason = self.repo, self.conn, self.decision, self.reason.strip()
        if plan.fact_id is not None and not repo.registry.set_review_state(
            plan.fact_id, plan.new_state, expected_version=plan.version, conn=conn
        ):
            current = repo.stored_fact(conn, plan.fact_id)
            raise ReviewConflict(plan.item_id, plan.version, current.version if current else None)
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
            reviewer=self.reviewer,
            reason=reason,
        )
        repo.append_audit(
            conn,
            actor=self.reviewer,
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
    only_open: bool = False,
) -> list[ReviewRecord]:
    """Record one decision on several items in one transaction (all or nothing).

    Parameters
    ----------
    registry
        The registry.
    item_ids
        Queue item ids (``fact:<fact id>`` or ``<kind>:<patient id>``; a bare fact id works).
    decision
        ``confirm`` or ``reject`` for a suggested fact; ``acknowledge`` or ``dismiss`` for a
        patient item (a prompt). Any other pairing is refused, naming the field ``decision``.
    reviewer
        Who decides (:func:`~calciscope.api.users.default_actor` by default).
    reason
        Why; required.
    expected_versions
        The version each item had when the reviewer read it.
    only_open
        Decide only items still waiting (a suggested fact, an open patient item): an item
        someone has decided raises ReviewConflict (the command line's default, where the
        reviewer read the queue, not a version).

    Raises
    ------
    NotFoundError
        When every problem is an item id that names nothing (no such fact, kind or patient);
        a :class:`ValidationError` (the web app's 404).
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
    repo, versions = ReviewRepository(registry), expected_versions or {}
    with repo.transaction() as conn:
        # every item is checked before any is written, so that one bad item writes nothing
        session = None if chosen is None else _Review(repo, conn, chosen, actor, reason)
        plans = [session.plan(i, versions.get(i), only_open) for i in item_ids] if session else []
        problems += [p for p in plans if isinstance(p, Problem)]
        if problems and all(isinstance(p, _Missing) for p in problems):
            raise NotFoundError(problems, summary="cannot record the review")
        if problems or session is None:
            raise ValidationError(problems, summary="cannot record the review")
        return [session.write(p) for p in plans if isinstance(p, _Planned)]


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
