"""Administration: users (add, disable) and the audit log (read, export as CSV).

The audit log is append-only: the app has no route that changes or deletes a row.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from calciscope import api
from calciscope.errors import Problem, ValidationError
from calciscope.web.pages import page
from calciscope.web.security import ADMINS, WebUser, current_user, guarded

__all__ = ["router"]

router = APIRouter()


def _user_row(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": str(getattr(user.role, "value", user.role)),
        "active": user.active,
        "created_at": user.created_at,
    }


@page(router, "/admin/users", "users.html", roles=ADMINS, summary="Users")
def users(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> dict[str, Any]:
    """Every user with role and whether they may sign in."""
    return {
        "users": [_user_row(u) for u in api.list_users(request.app.state.registry)],
        "roles": ["clinician", "researcher", "admin"],
    }


class NewUser(BaseModel):
    """A user to add (the password is hashed with argon2id by the registry)."""

    name: str
    role: str
    password: str


def _add_user(request: Request, admin: WebUser, new: NewUser) -> Any:
    state = request.app.state
    added = api.add_user(state.registry, new.name, new.role, new.password, actor=admin.name)
    state.active_users.refresh()
    return added


def _disable(request: Request, admin: WebUser, name: str) -> Any:
    if name == admin.name:  # the page offers no button for it; the server refuses it too
        message = (
            "you cannot disable yourself here; another admin can, or `calciscope users disable`"
        )
        raise ValidationError(
            [Problem("user", name, "name", message)], summary="cannot disable user"
        )
    state = request.app.state
    disabled = api.disable_user(state.registry, name, actor=admin.name)
    state.active_users.refresh()
    return disabled


@guarded(router, "POST", "/admin/users", roles=ADMINS, include_in_schema=False)
def add_user_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Add a user from the form."""
    _add_user(request, user, NewUser(name=name, role=role, password=password))
    return RedirectResponse("/admin/users", status_code=303)


@guarded(router, "POST", "/api/admin/users", roles=ADMINS, summary="Add a user")
def add_user_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], body: NewUser
) -> dict[str, Any]:
    """Add a user; 422 naming the field when the name, role or password is not acceptable."""
    return jsonable_encoder(_user_row(_add_user(request, user, body)))


@guarded(router, "POST", "/admin/users/{name}/disable", roles=ADMINS, include_in_schema=False)
def disable_form(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> Response:
    """Disable a user (they are signed out at their next request)."""
    _disable(request, user, name)
    return RedirectResponse("/admin/users", status_code=303)


@guarded(router, "POST", "/api/admin/users/{name}/disable", roles=ADMINS, summary="Disable")
def disable_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> dict[str, Any]:
    """Disable a user."""
    return jsonable_encoder(_user_row(_disable(request, user, name)))


def _entries(
    request: Request, actor: str, action: str, limit: int | None, newest_first: bool
) -> list[dict[str, Any]]:
    rows = api.audit_log(
        request.app.state.registry,
        actor=actor or None,
        action=action or None,
        limit=limit,
        newest_first=newest_first,
    )
    return [jsonable_encoder(vars(e)) for e in rows]


@page(router, "/admin/audit", "audit.html", roles=ADMINS, summary="Audit log")
def audit(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=10000)] = 200,
    order: Annotated[
        Literal["newest", "oldest"], Query(description="newest first (default) or oldest first")
    ] = "newest",
) -> dict[str, Any]:
    """Show the newest (or oldest) audit rows: who, when, what, before and after."""
    return {
        "entries": _entries(request, actor, action, limit, order == "newest"),
        "actor": actor,
        "action": action,
        "limit": limit,
        "order": order,
    }


@guarded(router, "GET", "/admin/audit.csv", roles=ADMINS, summary="Export the audit log")
def audit_csv(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Export the audit log as CSV (before/after as JSON text); the export is itself audited.

    The same file as ``calciscope audit export`` (``api.write_audit_csv``): text a spreadsheet
    would run as a formula starts with ``'``.
    """
    registry = request.app.state.registry
    rows = api.audit_log(registry, actor=actor or None, action=action or None, limit=None)
    out = io.StringIO()
    count = api.write_audit_csv(rows, out)
    api.record_audit(
        registry, actor=user.name, action="export", target="audit_log", detail=f"{count} rows"
    )
    stamp = dt.date.today().isoformat()
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="calciscope-audit-{stamp}.csv"'},
    )
