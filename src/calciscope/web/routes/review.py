"""The review queue: keyboard driven (j/k, c confirm or mark reviewed, r reject or dismiss).

The evidence is shown in place; a fact is confirmed or rejected, a prompt (a patient item)
marked reviewed or dismissed. Patient items are evaluated at the registry's as-of date
(:func:`calciscope.api.registry_as_of`, as the patient page and ``calciscope patients show
--explain``; today when none is set) unless the page chooses another.

Decisions go to :func:`calciscope.api.review` with the version the page was rendered from, so a
second clinician deciding the same item gets a conflict message and nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from calciscope import api
from calciscope.errors import NotFoundError, Problem, ReviewConflict, ValidationError
from calciscope.web.as_of import current_as_of
from calciscope.web.pages import page, render
from calciscope.web.routes.patients import note_segments
from calciscope.web.security import CLINICIANS, WebUser, current_user, guarded

__all__ = ["router"]

router = APIRouter()

#: The largest version a decision may name (a 64-bit integer, as the registry stores it): a
#: version no item can have, or a negative one, is bad input naming ``expected_version`` (422),
#: not a conflict with "someone else" (web37: it was a 409).
MAX_VERSION = 2**63 - 1
#: The longest decision word (``acknowledge``) is far shorter: a longer one is a 422 naming it.
MAX_DECISION = 32

#: The kind the queue page opens on.
DEFAULT_KIND = "suggested_fact"
#: Items listed on one page of the queue (the counts cover all).
QUEUE_PAGE = 100


def _queue(
    request: Request, kind: str | None, patient: str | None, index_date: dt.date | None = None
) -> list[Any]:
    # may lag a decision by one computation; deciding an item twice is a conflict, not a loss
    key = (kind or None, patient or None, index_date)
    return list(request.app.state.queues.get_recent(key))


@cache
def _kind_labels() -> dict[str, str]:
    """Return each queue kind's label by its name ("Suggested fact" for ``suggested_fact``).

    The kinds are packaged data (``review_queue.yaml``), so the map is made once.
    """
    return {k.name: k.label for k in api.queue_kinds()}


def _item_row(item: Any) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "kind": item.kind,
        "kind_label": _kind_labels().get(item.kind, item.kind),
        "patient_id": item.patient_id,
        "reason": item.reason,
        "fact_id": item.fact_id,
        "version": item.version,
        "state": item.state,
        "sentence": item.evidence.sentence if item.evidence else None,
    }


def _page(
    request: Request, kind: str, patient: str, offset: int, limit: int, index_date: dt.date | None
) -> tuple[list[Any], dict[str, int]]:
    """Return one page of the queue and the count of each kind.

    Suggested facts are paged in the registry (indexed: current at every request, whatever
    the queue's size) and counted there (the count, a scan of the index, is kept between
    requests: a decision here takes its item off the kept count, another write of the app
    counts again, and a count older than a minute is refreshed in the background for writes
    outside the app); the patient kinds classify the cohort, kept between requests (see
    :func:`_queue`).
    """
    state = request.app.state
    registry = state.registry
    chosen = [kind] if kind != "all" else None
    sources = {k.name: k.source for k in api.queue_kinds()}
    if chosen and sources.get(kind) is api.QueueSource.SUGGESTED_FACTS:
        counts = dict(state.queue_counts.get_current((kind, patient or None)))
        items = api.review_queue(
            registry, kinds=chosen, patient=patient or None, limit=limit, offset=offset
        )
        return items, counts
    every = _queue(request, "" if kind == "all" else kind, patient, index_date)
    return every[offset : offset + limit], dict(Counter(i.kind for i in every))


@page(router, "/review", "review.html", roles=CLINICIANS, summary="Review queue")
def queue(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    kind: Annotated[str, Query(max_length=100, description="a queue kind, or all")] = DEFAULT_KIND,
    patient: Annotated[str, Query(max_length=128)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="items on this page")] = QUEUE_PAGE,
    index_date: Annotated[
        dt.date | None,
        Query(
            description="date the patient items are evaluated at (the registry's as-of date if none)"
        ),
    ] = None,
) -> dict[str, Any]:
    """List one page of open items (of one kind, or ``all``; of one patient), with why each is there.

    The default kind is the suggested facts (paged in the registry); the patient kinds
    classify the cohort at ``index_date`` (the registry's as-of date unless chosen, so that
    the at-risk prompts agree with the patient pages and the CLI), which takes seconds on a
    large registry.
    """
    if index_date is not None:  # 422 naming the field, for a date the api refuses
        api.check_index_date(index_date)
    as_of = api.AsOf(index_date, api.AsOfSource.CHOSEN) if index_date else current_as_of(request)
    items, by_kind = _page(request, kind, patient, offset, limit, as_of.date)
    return {
        "index_date": as_of.date,
        "index_date_chosen": index_date is not None,
        "as_of_source": as_of.source.value,
        "as_of": as_of.describe(),
        "kinds": [
            {"name": k.name, "label": k.label, "decidable": k.decidable} for k in api.queue_kinds()
        ],
        "kind": kind,
        "patient": patient,
        "by_kind": by_kind,
        "kind_labels": _kind_labels(),
        "total": sum(by_kind.values()),
        "offset": offset,
        "page_size": limit,
        "items": [_item_row(i) for i in items],
    }


def _find(request: Request, item_id: str, patient: str, index_date: dt.date | None) -> Any:
    # item ids are "fact:<fact id>" (suggested facts) or "<kind>:<patient id>"
    if index_date is not None:
        api.check_index_date(index_date)
    item = api.review_queue_item(request.app.state.registry, item_id, index_date=index_date)
    if patient and item.patient_id != patient:
        raise ValidationError(
            [Problem("review", item_id, "item_id", f"not an item of patient {patient}")]
        )
    return item


def item_data(
    request: Request, item_id: str, patient: str, index_date: dt.date | None = None
) -> dict[str, Any]:
    """One item with its evidence letter, the matched words and sentence marked in place."""
    item = _find(request, item_id, patient, index_date)
    letter = None
    ev = item.evidence
    if ev is not None:
        record = api.patient_record(request.app.state.registry, item.patient_id)
        note = next((n for n in record.notes if n.note_id == ev.note_id), None)
        if note is not None:
            sentence = (ev.sentence_start, ev.sentence_start + len(ev.sentence))
            letter = {
                "note_id": note.note_id,
                "note_type": note.note_type.value,
                "note_date": note.note_date,
                "segments": _marked(note.text, sentence, (ev.start, ev.end)),
            }
    image_id = api.image_of_provenance(item.fact.provenance) if item.fact is not None else None
    kind = next((k for k in api.queue_kinds() if k.name == item.kind), None)
    return {
        "item": _item_row(item),
        "letter": letter,
        "image_id": image_id,
        # a possible case is decided through its facts; the other patient items are prompts
        "decidable": bool(kind and kind.decidable),
        # the date chosen in the queue (none: the registry's): the patient page's link keeps
        # it, so the page answers at the date the item was classified at
        "index_date": index_date,
    }


def _marked(text: str, sentence: tuple[int, int], match: tuple[int, int]) -> list[Any]:
    """Pieces of the letter: ('text', 0) plain, 1 in the evidence sentence, 2 the match itself."""
    out: list[tuple[str, int]] = []
    for piece, in_sentence in note_segments(text, [sentence]):
        if not in_sentence:
            out.append((piece, 0))
            continue
        offset = text.find(piece, sentence[0])
        local = (match[0] - offset, match[1] - offset)
        out += [(p, 2 if m else 1) for p, m in note_segments(piece, [local])]
    return out


@page(
    router,
    "/review/items/{item_id}",
    "review_item.html",
    roles=CLINICIANS,
    summary="One review item with its evidence",
)
def item(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    item_id: str,
    patient: Annotated[str, Query(max_length=128)] = "",
    index_date: Annotated[dt.date | None, Query()] = None,
) -> dict[str, Any]:
    """Show the item, the reason it is there and the letter with its evidence sentence highlighted."""
    return item_data(request, item_id, patient, index_date)


class Decision(BaseModel):
    """A reviewer's decision on one item."""

    decision: str = Field(
        max_length=MAX_DECISION,
        description="a fact: confirm or reject; a patient item (a prompt): acknowledge or dismiss",
    )
    reason: str = Field(max_length=2000)
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=MAX_VERSION,
        description="the item's version when it was shown; stale means conflict (none: only an"
        " item still waiting is decided, one decided already is a conflict)",
    )


def _decide(request: Request, user: WebUser, item_id: str, decision: Decision) -> Any:
    state = request.app.state

    expected = decision.expected_version

    def write() -> Any:
        # without the version the item was read at, decide only an item still waiting (as
        # the command line does): a request that names no version never overturns a decision
        return api.review_items(
            state.registry,
            [item_id],
            decision.decision,
            reviewer=user.name,
            reason=decision.reason,
            expected_versions=None if expected is None else {item_id: expected},
            only_open=expected is None,
        )[0]

    def adjust(record: Any, generation: int, following: int) -> None:
        state.watch.made(record.decision_id)  # in the write: the watch never reports it too
        follow_decisions(state, [record], generation, following)

    return state.generation.write(write, lambda record: counted_patients([record]), adjust)


def counted_patients(records: list[Any]) -> tuple[str, ...]:
    """Return the patients whose counted facts these decisions changed (sorted, once each).

    Their list rows and criteria are computed again; a rejected suggestion or a patient
    item changes neither (:attr:`changes_counted_facts`), only the patient's page.
    """
    return tuple(sorted({r.patient_id for r in records if r.changes_counted_facts}))


def follow_decisions(state: Any, records: list[Any], generation: int, following: int) -> None:
    """Adjust the kept queue counts and lists for decisions (this worker's, or another's).

    The decided items leave the queue now: the counts of their kind (the whole queue's and
    their patient's) are one less per suggested fact decided and stay current; the kept queue
    lists lose the items and are served so until recomputed (the patient kinds may change).
    """
    opened = [r for r in records if r.previous_state == api.ReviewState.SUGGESTED.value]
    if opened:

        def minus(key: Any, counts: dict[str, int]) -> dict[str, int]:
            kind, patient = key
            gone = sum(r.kind == kind and patient in (None, r.patient_id) for r in opened)
            return counts | {kind: max(0, counts.get(kind, 0) - gone)} if gone else counts

        state.queue_counts.adjust(minus, generation, following)
    decided = {r.item_id for r in records}

    def without(key: Any, items: list[Any]) -> list[Any]:
        return [i for i in items if i.item_id not in decided]

    state.queues.adjust(without, generation, None)
    # the page shows each fact's review state: its record is read again, whatever changed
    state.patients.forget(tuple({r.patient_id for r in records}))


@guarded(router, "POST", "/api/review/items/{item_id}/decision", roles=CLINICIANS, summary="Decide")
def decide_json(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    item_id: str,
    decision: Decision,
) -> dict[str, Any]:
    """Confirm or reject a fact, acknowledge or dismiss a prompt; 409 when decided first."""
    return {"decided": item_id, "record": _record(_decide(request, user, item_id, decision))}


def _record(record: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if not k.startswith("_")}


@guarded(
    router, "POST", "/review/items/{item_id}/decision", roles=CLINICIANS, include_in_schema=False
)
def decide(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    item_id: str,
    decision: Annotated[str, Form(max_length=MAX_DECISION)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    expected_version: Annotated[int | None, Form(ge=0, le=MAX_VERSION)] = None,
) -> Response:
    """Decide from the form (HTMX); return the outcome fragment, or the conflict or the problem."""
    chosen = Decision(decision=decision, reason=reason, expected_version=expected_version)
    context: dict[str, Any] = {"item_id": item_id, "decision": decision, "problems": []}
    try:
        _decide(request, user, item_id, chosen)
    except ReviewConflict as exc:
        return render(request, "review_outcome.html", context | {"conflict": str(exc)}, 409)
    except ValidationError as exc:  # an item that is not there: 404, as the JSON twin's
        context["problems"] = [f"{p.field}: {p.message}" for p in exc.problems]
        status = 404 if isinstance(exc, NotFoundError) else 422
        return render(request, "review_outcome.html", context | {"conflict": None}, status)
    return render(request, "review_outcome.html", context | {"conflict": None})
