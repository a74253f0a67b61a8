"""Signing in and out, changing one's password (HTML form and JSON): login rate limit, audit rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from calciscope import api
from calciscope.errors import Problem, ValidationError
from calciscope.web.pages import render
from calciscope.web.security import (
    ANY_ROLE,
    SESSION_EPOCH,
    WebUser,
    csrf_token,
    current_user,
    guarded,
    keep_this_session,
    session_user,
)

__all__ = ["router"]

router = APIRouter()


class Credentials(BaseModel):
    """A user name and password."""

    name: str
    password: str


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _sign_in(request: Request, name: str, password: str) -> tuple[Any, int]:
    """Return (user or None, seconds to wait); record the attempt in the audit log."""
    state = request.app.state
    key = (name, _client(request))
    wait = state.login_limiter.retry_after(key)
    if wait:
        return None, wait
    registry = state.registry
    user = api.authenticate(registry, name, password)
    if user is None:
        state.login_limiter.failed(key)
        api.record_audit(
            registry,
            actor=name or "(blank)",
            action="login_failed",
            target=f"user:{name or '(blank)'}",
            detail=f"from {_client(request)}",
        )
        return None, 0
    state.login_limiter.succeeded(key)
    request.session.clear()  # a new session on sign-in (no fixation)
    request.session["user"] = user.name
    request.session[SESSION_EPOCH] = user.session_epoch  # a later sign-out ends this session
    csrf_token(request)
    state.active_users.refresh()
    api.record_audit(
        registry,
        actor=user.name,
        action="login",
        target=f"user:{user.name}",
        detail=f"from {_client(request)}",
    )
    return user, 0


@guarded(router, "GET", "/login", roles=None, include_in_schema=False)
def login_form(request: Request) -> Response:
    """Show the sign-in page."""
    return render(request, "login.html", {"error": None, "name": ""})


@guarded(router, "POST", "/login", roles=None, include_in_schema=False)
def login(
    request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""
) -> Response:
    """Sign in from the form; on success go to the dashboard."""
    user, wait = _sign_in(request, name, password)
    if user is not None:
        return RedirectResponse("/", status_code=303)
    error = f"Too many failed sign-ins; wait {wait} s." if wait else "Wrong name or password."
    status = 429 if wait else 401
    headers = {"Retry-After": str(wait)} if wait else None
    response = render(request, "login.html", {"error": error, "name": name}, status)
    if headers:
        response.headers.update(headers)
    return response


@guarded(router, "GET", "/api/session", roles=None, summary="Session and CSRF token")
def session_info(request: Request) -> dict[str, Any]:
    """Return the CSRF token for the next unsafe request, and the signed-in user if any.

    The user only while the session is on (:func:`session_user`): not for a session a sign-out
    ended or of a disabled user (fix38).
    """
    user = session_user(request)
    return {"csrf_token": csrf_token(request), "user": user.name if user else None}


@guarded(router, "POST", "/api/login", roles=None, summary="Sign in")
def login_json(request: Request, credentials: Credentials) -> Response:
    """Sign in; send the CSRF token from ``GET /api/session`` as ``X-CSRF-Token``."""
    user, wait = _sign_in(request, credentials.name, credentials.password)
    if user is not None:
        role = str(getattr(user.role, "value", user.role))
        return JSONResponse({"user": user.name, "role": role, "csrf_token": csrf_token(request)})
    if wait:
        return JSONResponse(
            {"detail": "too many failed sign-ins"}, 429, headers={"Retry-After": str(wait)}
        )
    return JSONResponse({"detail": "wrong name or password"}, status_code=401)


def _sign_out(request: Request, user: WebUser) -> None:
    """End every session of the user signed in until now (and its audit row), not this one only.

    The cookie is signed, not stored: clearing it in this browser left any copy of it
    working for its 8 hours (webattack35). Moving the user's session number on ends the
    copies too, in every worker process (each re-reads the users within 2 seconds; this one
    at once).
    """
    state = request.app.state
    api.end_sessions(state.registry, user.name)
    state.active_users.refresh()
    request.session.clear()


@guarded(router, "POST", "/logout", roles=ANY_ROLE, include_in_schema=False)
def logout(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> Response:
    """Sign out and go to the sign-in page."""
    _sign_out(request, user)
    return RedirectResponse("/login", status_code=303)


@guarded(router, "POST", "/api/logout", roles=ANY_ROLE, summary="Sign out")
def logout_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)]
) -> dict[str, str]:
    """Sign out."""
    _sign_out(request, user)
    return {"detail": "signed out"}


class PasswordChange(BaseModel):
    """The signed-in user's current password and the new one."""

    current_password: str
    new_password: str


def _change_password(request: Request, user: WebUser, current: str, new: str) -> None:
    """Set the user's new password once the current one is right; keep this session only.

    A wrong current password counts as a failed sign-in for the rate limit (and its audit
    row), so a session left open cannot be used to guess the password behind it.
    """
    state = request.app.state
    key = (user.name, _client(request))
    wait = state.login_limiter.retry_after(key)
    if wait:
        problem = Problem("user", user.name, "current_password", f"too many tries; wait {wait} s")
        raise ValidationError([problem], summary="cannot change password")
    if api.authenticate(state.registry, user.name, current) is None:
        state.login_limiter.failed(key)
        api.record_audit(
            state.registry,
            actor=user.name,
            action="login_failed",
            target=f"user:{user.name}",
            detail=f"wrong current password on the password page, from {_client(request)}",
        )
        problem = Problem("user", user.name, "current_password", "is not your password")
        raise ValidationError([problem], summary="cannot change password")
    epoch = api.set_password(state.registry, user.name, new, actor=user.name)
    keep_this_session(request, user.name, epoch)


@guarded(router, "GET", "/account/password", roles=ANY_ROLE, include_in_schema=False)
def password_form(
    request: Request, user: Annotated[WebUser, Depends(current_user)], changed: bool = False
) -> Response:
    """Show the form to change one's own password."""
    return render(request, "account.html", {"changed": changed})


@guarded(router, "POST", "/account/password", roles=ANY_ROLE, include_in_schema=False)
def change_password_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password; every other session of the user ends, this one stays."""
    _change_password(request, user, current_password, new_password)
    return RedirectResponse("/account/password?changed=true", status_code=303)


@guarded(router, "POST", "/api/account/password", roles=ANY_ROLE, summary="Change your password")
def change_password_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], body: PasswordChange
) -> dict[str, Any]:
    """Change one's own password (422 naming ``current_password`` when it is wrong).

    Every other session of the user ends; this one stays signed in.
    """
    _change_password(request, user, body.current_password, body.new_password)
    return {"detail": "password changed; your other sessions have ended"}
