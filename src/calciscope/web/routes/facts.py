"""Entering and correcting facts: forms validated by the api (the same model as imports).

Errors name the field (:func:`calciscope.api.add_fact`, :func:`calciscope.api.correct_fact`).

A correction supersedes the fact, never overwrites it; the form shows the fact's history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.web.pages import render
from calciscope.web.security import CLINICIANS, WebUser, current_user, guarded

__all__ = ["FACT_FIELDS", "router"]

router = APIRouter()

#: The form's fields: name, label and the choices (None: free text; "date"/"number": typed).
FACT_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("patient_id", "Patient", None),
    ("system", "Code system", api.CODE_SYSTEMS),
    ("code", "Code", None),
    ("status", "Status", tuple(s.value for s in api.Status)),
    ("effective_date", "Date", "date"),
    ("value_num", "Value (number)", "number"),
    ("value_text", "Value (text)", None),
    ("unit", "Unit", None),
    ("reference_high", "Upper limit of normal (laboratory's, same unit)", "number"),
    ("body_site", "Body site", tuple(s.value for s in api.BodyRegion)),
    ("laterality", "Laterality", tuple(s.value for s in api.Laterality)),
    ("morphology", "Morphology", tuple(s.value for s in api.Morphology)),
    ("method", "Method", tuple(s.value for s in api.Method)),
)
_NAMES = tuple(name for name, _, _ in FACT_FIELDS)


def _entered(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Return the filled-in fields (blank means not given)."""
    return {n: str(form[n]).strip() for n in names if str(form.get(n, "")).strip()}


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for p in exc.problems:
        errors.setdefault(p.field.split(".")[0] or "fact", []).append(p.message)
    return errors


def _form(
    request: Request,
    values: dict[str, Any],
    *,
    action: str,
    title: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "fields": FACT_FIELDS,
        "values": values,
        "action": action,
        "title": title,
        "errors": extra.pop("errors", {}),
        "history": extra.pop("history", []),
        "reason": extra.pop("reason", ""),
        "fixed": extra.pop("fixed", ()),
        "review": extra.pop("review", None),
    }
    return render(request, "fact_form.html", context, status)


@guarded(router, "GET", "/facts/new", roles=CLINICIANS, include_in_schema=False)
def new_fact_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    patient: Annotated[str, Query(max_length=128)] = "",
) -> Response:
    """Show the form to enter a fact."""
    values = {"patient_id": patient, "system": "calciscope", "status": "present"}
    return _form(request, values, action="/facts/new", title="Add a fact")


@guarded(router, "POST", "/facts/new", roles=CLINICIANS, include_in_schema=False)
async def new_fact(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> Response:
    """Add the fact; on a problem show the form again with each field's error."""
    form = await request.form()
    fields = _entered(form, _NAMES)
    reason = str(form.get("reason", ""))
    try:
        fact = await run_in_threadpool(_add, request, user, fields, reason)
    except ValidationError as exc:
        return _form(
            request,
            fields,
            action="/facts/new",
            title="Add a fact",
            status=422,
            errors=_errors(exc),
            reason=reason,
        )
    return RedirectResponse(f"/patients/{fact.patient_id}", status_code=303)


def _add(request: Request, user: WebUser, fields: dict[str, Any], reason: str) -> Any:
    fact = api.add_fact(request.app.state.registry, fields, author=user.name, reason=reason)
    request.app.state.generation.bump(fact.patient_id)
    return fact


def _correct(
    request: Request,
    user: WebUser,
    fact_id: str,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None,
) -> Any:
    fact = api.correct_fact(
        request.app.state.registry,
        fact_id,
        changes,
        author=user.name,
        reason=reason,
        expected_version=expected_version,
    )
    request.app.state.generation.bump(fact.patient_id)
    return fact


class NewFact(BaseModel):
    """A fact to enter: its fields (as in an import) and why."""

    fields: dict[str, Any] = Field(description="patient_id, system, code, status, ...")
    reason: str


class Correction(BaseModel):
    """Changes to a fact, why, and the version they were made against."""

    changes: dict[str, Any]
    reason: str
    expected_version: int | None = None


@guarded(router, "POST", "/api/facts", roles=CLINICIANS, summary="Add a fact")
def add_fact_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], body: NewFact
) -> Any:
    """Add a confirmed fact; 422 with the problems (each naming its field) when invalid."""
    return jsonable_encoder(_add(request, user, body.fields, body.reason))


def _current(request: Request, fact_id: str) -> tuple[Any, list[Any]]:
    history = api.fact_history(request.app.state.registry, fact_id)
    return history[-1], history


#: A decided fact's state, the decision that reverses it and the button's words.
_REVERSE = {"confirmed": ("reject", "Reject instead"), "rejected": ("confirm", "Confirm instead")}


def _decisions(request: Request, history: list[Any]) -> dict[str, Any]:
    """Who decided each version of the fact (when, what, why), and how to change the decision.

    The decisions are the review queue's records (``api.review_history``); a change is sent as
    any queue decision is, with the version shown, so that one made meanwhile is a conflict.
    """
    latest = history[-1]
    chain = {h.fact.fact_id for h in history}
    patient = latest.fact.patient_id
    records = api.review_history(request.app.state.registry, patient=patient)
    state = latest.fact.review_state.value
    reverse = None if latest.superseded_by else _REVERSE.get(state)
    return {
        "decisions": [r for r in records if r.fact_id in chain],
        "redecide": None
        if reverse is None
        else {
            "item_id": f"fact:{latest.fact.fact_id}",
            "version": latest.version,
            "state": state,
            "decision": reverse[0],
            "label": reverse[1],
        },
        "open_item": f"fact:{latest.fact.fact_id}" if state == "suggested" else None,
    }


@guarded(router, "GET", "/facts/{fact_id}/correct", roles=CLINICIANS, include_in_schema=False)
def correct_form(
    request: Request, user: Annotated[WebUser, Depends(current_user)], fact_id: str
) -> Response:
    """Show the correction form, filled with the fact; its history below."""
    latest, history = _current(request, fact_id)
    values = {k: v for k, v in jsonable_encoder(latest.fact).items() if v is not None}
    values["expected_version"] = latest.version
    return _form(
        request,
        values,
        action=f"/facts/{latest.fact.fact_id}/correct",
        title=f"Correct fact {latest.fact.fact_id}",
        history=history,
        fixed=("patient_id",),
        review=_decisions(request, history),
    )


@guarded(router, "POST", "/facts/{fact_id}/correct", roles=CLINICIANS, include_in_schema=False)
async def correct(
    request: Request, user: Annotated[WebUser, Depends(current_user)], fact_id: str
) -> Response:
    """Correct the fact with the fields that changed; errors name the field."""
    form = await request.form()
    latest, history = await run_in_threadpool(_current, request, fact_id)
    old = {k: str(v) for k, v in jsonable_encoder(latest.fact).items() if v is not None}
    entered = _entered(form, _NAMES)
    changes: dict[str, Any] = {k: v for k, v in entered.items() if old.get(k) != v}
    changes |= {k: None for k in old if k in _NAMES and k not in entered}
    changes.pop("patient_id", None)
    reason = str(form.get("reason", ""))
    version = str(form.get("expected_version", "")).strip()
    try:
        fact = await run_in_threadpool(
            _correct, request, user, fact_id, changes, reason, int(version) if version else None
        )
    except ValidationError as exc:
        return _form(
            request,
            entered | {"expected_version": version},
            action=f"/facts/{fact_id}/correct",
            title=f"Correct fact {fact_id}",
            status=422,
            errors=_errors(exc),
            history=history,
            reason=reason,
            fixed=("patient_id",),
            review=await run_in_threadpool(_decisions, request, history),
        )
    return RedirectResponse(f"/patients/{fact.patient_id}", status_code=303)


@guarded(router, "POST", "/api/facts/{fact_id}/correction", roles=CLINICIANS, summary="Correct")
def correct_json(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    fact_id: str,
    body: Correction,
) -> Any:
    """Supersede a fact by a corrected one; 409 when ``expected_version`` is stale."""
    fact = _correct(request, user, fact_id, body.changes, body.reason, body.expected_version)
    return jsonable_encoder(fact)


@guarded(router, "GET", "/api/facts/{fact_id}/history", roles=CLINICIANS, summary="Fact history")
def history_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], fact_id: str
) -> Any:
    """Return the fact's correction chain, oldest first, with who, when and why."""
    return jsonable_encoder(api.fact_history(request.app.state.registry, fact_id))
