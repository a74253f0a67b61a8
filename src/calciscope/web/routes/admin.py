"""Administration: users (add, disable, set another user's password, end another user's sessions).

Also the audit log, read and exported as CSV; it is append-only: no route changes or deletes
a row. An admin's own account is not changed here: their password on the *Password* page
(which asks for the current one), their sessions by *Sign out* (fix40).
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


def _not_yourself(admin: WebUser, name: str, message: str, summary: str) -> None:
    """Refuse an admin route naming the admin themselves (the page offers no button for it)."""
    if name == admin.name:
        raise ValidationError([Problem("user", name, "name", message)], summary=summary)


def _disable(request: Request, admin: WebUser, name: str) -> Any:
    message = "you cannot disable yourself here; another admin can, or `calciscope users disable`"
    _not_yourself(admin, name, message, "cannot disable user")
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
    """Reset another user's password (another admin's too: audited as ``user.password``)."""
    message = "change your own password on /account/password (it asks for the current one)"
    _not_yourself(admin, name, message, "cannot set password")
    state = request.app.state
    epoch = api.set_password(state.registry, name, password, actor=admin.name)
    state.active_users.refresh()
    return {"name": name, "session_number": epoch}


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
    """Set another user's password; every session of theirs ends (422 for one's own)."""
    return _set_password(request, user, name, body.password)


def _refuse_own_sessions(admin: WebUser, name: str) -> None:
    message = "end your own sessions with Sign out"
    _not_yourself(admin, name, message, "cannot end sessions")


def _end_sessions(request: Request, admin: WebUser, name: str) -> dict[str, Any]:
    _refuse_own_sessions(admin, name)
    state = request.app.state
    epoch = api.end_sessions(state.registry, name, actor=admin.name)
    state.active_users.refresh()
    return {"name": name, "session_number": epoch}


@guarded(router, "GET", "/admin/users/{name}/end-sessions", roles=ADMINS, include_in_schema=False)
def end_sessions_confirm(
    request: Request, user: Annotated[WebUser, Depends(current_user)], name: str
) -> Response:
    """Ask before ending a user's sessions (the users page's *End sessions* comes here)."""
    shown = _user_row(api.get_user(request.app.state.registry, name))  # 404 when none
    _refuse_own_sessions(user, name)
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
