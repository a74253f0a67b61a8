"""Signing in and out, changing one's password (HTML form and JSON): login rate limit, audit rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from calciscope import api
from calciscope.api.users import MAX_PASSWORD_LENGTH
from calciscope.errors import WrongPasswordError
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

#: The longest user name the sign-in takes (a user's name has at most 64 characters): a
#: longer one is a 422 naming ``name``, not a failed sign-in echoing it back (web38).
MAX_LOGIN_NAME = 200
#: A password at sign-in over the longest any user can have is a 422 naming the field (web38:
#: a megabyte typed into the sign-in form was "Wrong name or password"). The password change
#: leaves it to the api's password rule, which names ``new_password`` as well.
NameText = Annotated[str, Field(max_length=MAX_LOGIN_NAME)]
PasswordText = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]


class Credentials(BaseModel):
    """A user name and password."""

    name: NameText
    password: PasswordText


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
    """Show the sign-in page; to a signed-in user, who they are with *Sign out* and *Continue*."""
    return render(request, "login.html", {"error": None, "name": ""})


@guarded(router, "POST", "/login", roles=None, include_in_schema=False)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=MAX_LOGIN_NAME)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Sign in from the form; on success go to the dashboard.

    While a session is signed in (a sign-in form left open in another tab) nothing is tried:
    409, the page saying who is signed in, to sign out first (fix40).
    """
    if session_user(request) is not None:
        error = "You are signed in already; sign out first to sign in as someone else."
        return render(request, "login.html", {"error": error, "name": ""}, 409)
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
    api.end_sessions(state.registry, user.name, actor=user.name)  # their own: audited `logout`
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

    current_password: str  # the api's password rule names the field (at most 1,024)
    new_password: str


#: The session key of the *Password* page's "changed" message, set by the change itself.
_CHANGED = "password_changed"


def _change_password(request: Request, user: WebUser, current: str, new: str) -> int:
    """Change the user's password (``api.change_password``); keep this session only.

    Returns 0, or the seconds to wait when the rate limit refuses the try (429). The limit is
    per signed-in user, not per client address (calciscope's decision, docs/web.md): one
    user's typos behind a shared proxy address cannot lock anyone out of signing in, and a
    session left open gets 5 guesses per window from every address together.
    """
    state = request.app.state
    key = (user.name, "account-password")
    wait = int(state.login_limiter.retry_after(key))
    if wait:
        return wait
    try:
        epoch = api.change_password(
            state.registry, user.name, current, new, origin=_client(request)
        )
    except WrongPasswordError:
        state.login_limiter.failed(key)
        raise
    state.login_limiter.succeeded(key)
    keep_this_session(request, user.name, epoch)
    return 0


def _too_many(wait: int) -> dict[str, str]:
    return {"Retry-After": str(wait)}


@guarded(router, "GET", "/account/password", roles=ANY_ROLE, include_in_schema=False)
def password_form(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> Response:
    """Show the form to change one's own password ("changed" once, after a change: fix40)."""
    changed = bool(request.session.pop(_CHANGED, False))
    return render(request, "account.html", {"changed": changed, "error": None})


@guarded(router, "POST", "/account/password", roles=ANY_ROLE, include_in_schema=False)
def change_password_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password; every other session of the user ends, this one stays.

    The page's "changed" message is a flag in this (signed) session, shown once; an address
    cannot fake it.
    """
    wait = _change_password(request, user, current_password, new_password)
    if wait:
        error = f"Too many wrong passwords; wait {wait} s."
        context = {"changed": False, "error": error}
        response = render(request, "account.html", context, 429)
        response.headers.update(_too_many(wait))
        return response
    request.session[_CHANGED] = True
    return RedirectResponse("/account/password", status_code=303)


@guarded(router, "POST", "/api/account/password", roles=ANY_ROLE, summary="Change your password")
def change_password_json(
    request: Request, user: Annotated[WebUser, Depends(current_user)], body: PasswordChange
) -> Response:
    """Change one's own password (422 naming ``current_password`` when it is wrong).

    Every other session of the user ends; this one stays signed in. After 5 wrong current
    passwords within 15 minutes: 429 with ``Retry-After``, as ``/api/login``.
    """
    wait = _change_password(request, user, body.current_password, body.new_password)
    if wait:
        return JSONResponse({"detail": "too many wrong passwords"}, 429, headers=_too_many(wait))
    return JSONResponse({"detail": "password changed; your other sessions have ended"})
