"""Administration: users (add, disable, set a password, end sessions) and the audit log.

The audit log is read and exported as CSV here.

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
from calciscope.web.pages import page, render
from calciscope.web.security import ADMINS, WebUser, current_user, guarded, keep_this_session

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


class NewPassword(BaseModel):
    """A user's new password (hashed with argon2id; never written to the audit log)."""

    password: str


def _set_password(request: Request, admin: WebUser, name: str, password: str) -> dict[str, Any]:
    epoch = api.set_password(request.app.state.registry, name, password, actor=admin.name)
    keep_this_session(request, name, epoch)  # an admin setting their own: this one stays on
    return {"name": name, "sessions_ended": True}


@guarded(router, "POST", "/admin/users/{name}/password", roles=ADMINS, include_in_schema=False)
def password_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    name: str,
    password: Annotated[str, Form()] = "",
) -> Response:
    """Set a user's password from the users page; every session of theirs ends."""
    _set_password(request, user, name, password)
    return RedirectResponse("/admin/users", status_code=303)


@guarded(router, "POST", "/api/admin/users/{name}/password", roles=ADMINS, summary="Set password")
def password_json(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    name: str,
    body: NewPassword,
) -> dict[str, Any]:
    """Set a user's password; every session of theirs ends (the admin's own: all but this one)."""
    return _set_password(request, user, name, body.password)


def _end_sessions(request: Request, admin: WebUser, name: str) -> dict[str, Any]:
    state = request.app.state
    api.end_sessions(state.registry, name, actor=admin.name)
    state.active_users.refresh()
    return {"name": name, "sessions_ended": True}


@guarded(router, "GET", "/admin/users/{name}/end-sessions", roles=ADMINS, include_in_schema=False)
def end_sessions_confirm(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> Response:
    """Ask before ending a user's sessions (the users page's *End sessions* comes here)."""
    shown = _user_row(api.get_user(request.app.state.registry, name))  # 404 when none
    return render(request, "end_sessions.html", {"target": shown})


@guarded(router, "POST", "/admin/users/{name}/end-sessions", roles=ADMINS, include_in_schema=False)
def end_sessions_form(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> Response:
    """End every session of a user (confirmed on the page before); they sign in again."""
    _end_sessions(request, user, name)
    return RedirectResponse("/admin/users", status_code=303)


@guarded(
    router, "POST", "/api/admin/users/{name}/end-sessions", roles=ADMINS, summary="End sessions"
)
def end_sessions_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> dict[str, Any]:
    """End every session of a user: their next request is refused (401; a page: sign-in)."""
    return _end_sessions(request, user, name)


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
