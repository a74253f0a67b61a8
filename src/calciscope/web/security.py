"""Who is asking and may they: session user, roles, CSRF tokens, login rate limit, pseudonyms.

Every route is registered through :func:`guarded`, which attaches the role check and, for
unsafe methods, the CSRF check, and records the roles in the route's OpenAPI entry
(``x-roles``). :func:`calciscope.web.app.create_app` refuses to start when a route has neither
``x-roles`` nor ``x-public``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, Request

from calciscope.web.form_limits import MAX_FORM_FIELDS

__all__ = [
    "SESSION_EPOCH",
    "UNSAFE_METHODS",
    "AccessDenied",
    "LoginLimiter",
    "NotAuthenticated",
    "Pseudonyms",
    "WebRole",
    "WebUser",
    "check_csrf",
    "csrf_token",
    "current_user",
    "guarded",
    "keep_this_session",
    "session_user",
]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class WebRole(StrEnum):
    """The roles of the app (the same names as the registry's user roles)."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    RESEARCHER = "researcher"


#: Shorthands for route declarations.
ANY_ROLE = frozenset(WebRole)
READERS = frozenset({WebRole.CLINICIAN, WebRole.RESEARCHER})
CLINICIANS = frozenset({WebRole.CLINICIAN})
ADMINS = frozenset({WebRole.ADMIN})


class NotAuthenticated(Exception):
    """No valid session (401 for the JSON API, a redirect to the login page for pages)."""


class AccessDenied(Exception):
    """Authenticated, but the role or the CSRF token does not allow this request (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of one request."""

    name: str
    role: WebRole

    @property
    def sees_real_ids(self) -> bool:
        """Researchers read pseudonyms; clinicians and admins read registry ids."""
        return self.role is not WebRole.RESEARCHER


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating one for a new (even anonymous) session."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


#: The session key holding the user's session number at sign-in (``users.session_epoch``).
SESSION_EPOCH = "epoch"


def session_user(request: Request) -> WebUser | None:
    """Return the session's user if the session is still on, else None (the session cleared).

    A disabled user is out, and so is a session signed in before the user's last sign-out
    (its number is lower than the user's): the session cookie is signed, not stored, so a
    copy taken before the sign-out would otherwise open everything for its 8 hours. The user
    table is a per-worker copy re-read every few seconds: a session *ahead* of it (signed in
    again on another worker after a sign-out, or a user this worker has not seen yet) makes
    the worker re-read it once and check again (fix38; ``!=`` threw such a fresh session out).
    """
    name = request.session.get("user")
    if not name:
        return None
    users = request.app.state.active_users
    epoch = request.session.get(SESSION_EPOCH, 0)
    active = users().get(name)
    if active is None or epoch > active[1]:
        users.refresh()  # this worker's copy may be older than the session
        active = users().get(name)
    if active is None or epoch != active[1]:
        request.session.clear()
        return None
    return WebUser(name, WebRole(active[0]))


def keep_this_session(request: Request, name: str, epoch: int) -> None:
    """After ``name``'s sessions ended at ``epoch``: keep this request's session on if it is theirs.

    A password change ends every session of the user (:func:`calciscope.api.set_password`),
    but the one that changed its own user's password carries the new number and stays signed
    in; any other session, a copy of this one's old cookie too, is over: in this worker at
    once, in the others within their 2-second re-read of the users.
    """
    if request.session.get("user") == name:
        request.session[SESSION_EPOCH] = epoch
    request.app.state.active_users.refresh()


def current_user(request: Request) -> WebUser:
    """Return the session's user, re-checked against the registry (:func:`session_user`)."""
    user = session_user(request)
    if user is None:
        raise NotAuthenticated()
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Reject an unsafe request whose CSRF token (header or form field) is not the session's."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form(max_fields=MAX_FORM_FIELDS)  # Starlette's default: 1,000
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise AccessDenied("missing or wrong CSRF token; reload the page and try again")


def _role_check(roles: frozenset[WebRole]) -> Callable[..., WebUser]:
    def require(user: WebUser = Depends(current_user)) -> WebUser:  # noqa: B008
        if user.role not in roles:
            raise AccessDenied(f"the {user.role.value} role may not do this")
        return user

    return require


def guarded(
    router: APIRouter,
    method: str,
    path: str,
    *,
    roles: Iterable[WebRole] | None,
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route with its role check (``roles=None``: public) and, if unsafe, CSRF check."""
    dependencies = []
    extra: dict[str, Any]
    if roles is None:
        extra = {"x-public": True}
    else:
        allowed = frozenset(roles)
        dependencies.append(Depends(_role_check(allowed)))
        extra = {"x-roles": sorted(r.value for r in allowed)}
    if method in UNSAFE_METHODS:
        dependencies.append(Depends(check_csrf))
    return router.api_route(
        path, methods=[method], dependencies=dependencies, openapi_extra=extra, **options
    )


class LoginLimiter:
    """Failed logins per (user name, client address), kept in memory for one server process.

    After ``attempts`` failures within ``window`` seconds that pair is refused until the oldest
    failure leaves the window; a success clears it. Several server processes each keep their
    own count (documented in docs/web.md).
    """

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: tuple[str, str]) -> int:
        """Seconds to wait before ``key`` may try again (0 when it may)."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(key)
            if failures is None:
                return 0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, key: tuple[str, str]) -> None:
        """Count one failure."""
        with self._lock:
            self._failures.setdefault(key, deque()).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        """Forget the failures of ``key``."""
        with self._lock:
            self._failures.pop(key, None)


class Pseudonyms:
    """Stable pseudonyms of patient ids for researchers: HMAC-SHA256 under the app's key.

    The key never leaves the server, so a pseudonym cannot be turned back into an id outside
    it; inside, :meth:`resolve` looks it up among the registry's ids.
    """

    def __init__(self, key: str, patient_ids: Callable[[], Iterable[str]]) -> None:
        self._key = hashlib.sha256(("pseudonym:" + key).encode()).digest()
        self._patient_ids = patient_ids
        self._reverse: dict[str, str] = {}
        self._hashed: set[str] = set()  # registry ids whose pseudonym is known
        self._lock = threading.Lock()

    def of(self, patient_id: str) -> str:
        """Return the pseudonym of a registry id (and remember it for :meth:`resolve`)."""
        digest = hmac.new(self._key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
        pseudonym = "R-" + digest[:12]
        self._reverse[pseudonym] = patient_id
        return pseudonym

    def other(self, prefix: str, identifier: str) -> str:
        """Return a stable stand-in for another registry identifier (a note's, a file's id).

        Such ids are often made from the patient's (``P0001-L1``, ``P0001-XR1.dcm``), so a
        page that shows the patient by a pseudonym must not show them: the same HMAC, under
        its own prefix, and never resolved back (no page opens a note or file by it).
        """
        message = f"{prefix}:{identifier}".encode()
        return prefix + "-" + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:12]

    def resolve(self, pseudonym: str) -> str | None:
        """Return the registry id behind a pseudonym, or None."""
        if pseudonym not in self._reverse:
            with self._lock:
                for pid in self._patient_ids():
                    if pid not in self._hashed:  # only patients new since the last look
                        self.of(pid)
                        self._hashed.add(pid)
        return self._reverse.get(pseudonym)
