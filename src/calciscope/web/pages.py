"""Pages with JSON twins: one function builds the data, two routes render it.

``@page(router, "/patients", "patients.html", roles=READERS)`` registers ``GET /patients``
(HTML, not in the OpenAPI schema) and ``GET /api/patients`` (JSON, in the schema), both behind
the same role check, both from the same data.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from calciscope.web.security import WebRole, csrf_token, guarded

__all__ = ["TEMPLATES", "json_response", "page", "render"]

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value is escaped: a note holding <script> renders as text
    undefined=jinja2.StrictUndefined,
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def json_response(data: Any) -> Response:
    """Return ``data`` as JSON: straight from Python when it is plain values and dates.

    What FastAPI's ``jsonable_encoder`` would give, without walking every value in Python
    first (the queue's page is hundreds of values); anything else (a model, a set, a non-text
    key, NaN) goes through ``jsonable_encoder`` as before.
    """
    try:
        body = json.dumps(
            data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
        )
    except (TypeError, ValueError):
        return JSONResponse(jsonable_encoder(data))
    return Response(body.encode("utf-8"), media_type="application/json")


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Any:
    """Render a template with the request's user and CSRF token."""
    user = getattr(request.state, "user", None)
    html = TEMPLATES.get_template(template).render(
        request=request, user=user, csrf=csrf_token(request), **context
    )
    return HTMLResponse(html, status_code=status)


def page(
    router: APIRouter,
    path: str,
    template: str,
    *,
    roles: Iterable[WebRole],
    summary: str,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register ``build`` as the HTML page ``path`` and its JSON twin ``/api`` + ``path``.

    ``build`` takes ``request`` and any query/path parameters and dependencies FastAPI can
    inject, and returns the page's data as a dict.
    """
    allowed = frozenset(roles)

    def register(build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        signature = inspect.signature(build, eval_str=True)

        def as_html(**kwargs: Any) -> Any:
            return render(kwargs["request"], template, build(**kwargs))

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
