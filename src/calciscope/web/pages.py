"""Pages with JSON twins: one function builds the data, two routes render it.

``@page(router, "/patients", "patients.html", roles=READERS)`` registers ``GET /patients``
(HTML, not in the OpenAPI schema) and ``GET /api/patients`` (JSON, in the schema), both behind
the same role check, both from the same data.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from calciscope import api
from calciscope.web.cache import made_once
from calciscope.web.security import WebRole, csrf_token, guarded, session_user

__all__ = ["TEMPLATES", "PageData", "json_response", "page", "render", "synthetic_footer", "when"]

_log = logging.getLogger(__name__)


class _Environment(jinja2.Environment):
    """Jinja2, with ``d.name`` on a plain dict read as ``d["name"]`` first.

    Every page's data is dicts: Jinja2 tries the attribute first and raises and catches an
    exception for each ``f.date`` before reading the key, which was half of rendering a
    patient page. A name of a dict method (``get``, ``items``) stays the method: a form field
    posted as ``get`` must not shadow ``entered.get(...)``.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_METHODS:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


_DICT_METHODS = frozenset(dir(dict))


def shown(value: Any) -> Any:
    """Show a value as a reader reads it: unknown (``None``) as "unknown", truth as yes or no.

    Only the page shows it so: the ``/api/`` twins keep JSON's ``null``, ``true`` and ``false``.
    """
    if value is None:
        return "unknown"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def when(value: Any, seconds: bool = False) -> str:
    """Show a moment as every page shows one: ``2026-12-07 17:47 UTC`` (in UTC).

    A ``datetime`` (naive ones are the registry's UTC) or its ISO text (the audit rows' JSON);
    ``None`` is "unknown". To the minute, or the second (``seconds=True``: the audit log).
    The ``/api/`` twins keep the full ISO 8601 text.
    """
    if value is None:
        return "unknown"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


TEMPLATES = _Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value is escaped: a note holding <script> renders as text
    undefined=jinja2.StrictUndefined,
    auto_reload=False,  # compiled once per process: the templates are part of the package
)
TEMPLATES.filters["shown"] = shown
TEMPLATES.filters["when"] = when  # {{ user.created_at|when }}: "2026-12-07 17:47 UTC"
TEMPLATES.filters["counted"] = api.counted  # {{ n|counted("open item") }}: "1 open item"
TEMPLATES.filters["number"] = api.number  # {{ total|number }}: "12,345" (counts only, web38)


class PageData(dict[str, Any]):
    """A page's data that does not change once made (kept between requests with its source).

    Its JSON and the HTML of its own part (``page(..., body=...)``, for each role) are made
    once and kept with it (:meth:`made`).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self._made: dict[Any, Any] = {}

    def made(self, key: Any, make: Callable[[], Any]) -> Any:
        """Return what ``make()`` made of the data for ``key`` (made once)."""
        return made_once(self._made, key, make)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _json_body(data: Any) -> bytes:
    try:
        body = json.dumps(
            data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
        )
    except (TypeError, ValueError):
        return bytes(JSONResponse(jsonable_encoder(data)).body)
    return body.encode("utf-8")


def json_response(data: Any) -> Response:
    """Return ``data`` as JSON: straight from Python when it is plain values and dates.

    What FastAPI's ``jsonable_encoder`` would give, without walking every value in Python
    first (the queue's page is hundreds of values); anything else (a model, a set, a non-text
    key, NaN) goes through ``jsonable_encoder`` as before. The JSON of a :class:`PageData`
    is made once.
    """
    if isinstance(data, PageData):
        body = data.made("json", lambda: _json_body(data))
    else:
        body = _json_body(data)
    return Response(body, media_type="application/json")


def _body(request: Request, template: str, data: dict[str, Any]) -> Markup:
    """Render the page's own part: from its data and the user's role only (kept by role)."""
    role = request.state.user.role.value

    def make() -> Markup:
        return Markup(TEMPLATES.get_template(template).render(role=role, **data))

    if isinstance(data, PageData):
        return data.made((template, role), make)
    return make()


#: The footer when the count failed and none was made before (fix48): not no footer.
SYNTHETIC_UNKNOWN = (
    "Synthetic status unknown: the SYNTHETIC patients of this registry were not counted."
)


def synthetic_footer(request: Request, signed_in: bool = True) -> str | None:
    """Return what the footer says of the registry's SYNTHETIC patients (None: it has none).

    From the app's kept count (``app.state.synthetic``: :func:`calciscope.api.synthetic_patients`),
    not a query per page: counted again at once after an import, and in the background when
    older than 30 s (the page gets the last count meanwhile, so no page waits for it). Before
    sign-in (``signed_in`` False: the sign-in page, an error page) it says no number (fix48).
    A count that fails keeps the last one made, else says the status is unknown.
    """
    state = request.app.state
    kept = getattr(state, "synthetic", None)
    if kept is None:
        return None
    try:
        share = kept.get_current(None)
        state.synthetic_last = share
    except Exception:  # the page is shown all the same (an error page, perhaps this one)
        _log.exception("counting the synthetic patients failed")
        share = getattr(state, "synthetic_last", None)
        if share is None:
            return SYNTHETIC_UNKNOWN
    label: str | None = share.label if signed_in else share.public_label
    return label


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Any:
    """Render a template with the request's user, CSRF token and SYNTHETIC footer.

    The user is the route's (its role check), else the session's: a page no route renders
    (an address no route has, a method it does not take) shows the user menu too.
    """
    user = getattr(request.state, "user", None)
    if user is None and request.session.get("user"):
        user = session_user(request)
    html = TEMPLATES.get_template(template).render(
        request=request,
        user=user,
        csrf=csrf_token(request),
        synthetic_footer=synthetic_footer(request, signed_in=user is not None),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def page(
    router: APIRouter,
    path: str,
    template: str,
    *,
    roles: Iterable[WebRole],
    summary: str,
    body: str | None = None,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register ``build`` as the HTML page ``path`` and its JSON twin ``/api`` + ``path``.

    ``build`` takes ``request`` and any query/path parameters and dependencies FastAPI can
    inject, and returns the page's data as a dict (a :class:`PageData` when it is kept
    between requests). ``body``: the template of the page's own part, rendered from the data
    and the user's role (``role``) alone, so that it is made once per role for a
    :class:`PageData`; ``template`` frames it (``{{ body }}``) with what is the request's own
    (the user, the CSRF token).
    """
    allowed = frozenset(roles)

    def register(build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        signature = inspect.signature(build, eval_str=True)

        def as_html(**kwargs: Any) -> Any:
            request, data = kwargs["request"], build(**kwargs)
            if body is not None:
                data = {**data, "body": _body(request, body, data)}
            return render(request, template, data)

        def as_json(**kwargs: Any) -> Any:
            return json_response(build(**kwargs))

        for view, route, extra in (
            (as_html, path, {"include_in_schema": False, "response_class": HTMLResponse}),
            (as_json, "/api" + path, {"summary": summary}),
        ):
            view.__signature__ = signature  # type: ignore[attr-defined]
            view.__name__ = f"{build.__name__}_{'html' if view is as_html else 'json'}"
            guarded(router, "GET", route, roles=allowed, **extra)(view)
        return build

    return register
