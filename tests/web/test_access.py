"""Every route of the app × every role: a new route cannot ship unprotected.

Each route declares its roles (``x-roles`` in its OpenAPI entry) or is public (``x-public``).
For every route this test checks that an anonymous request is refused (401, or a redirect to
the sign-in page), that every other role gets 403, that the declared roles get in, and that an
unsafe request without the CSRF token gets 403 even from an allowed role.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from web_client import ROLE_USER, client_for, sign_in

ROLES = ("admin", "clinician", "researcher")
#: Public routes: signing in needs no session.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/api/session"), ("POST", "/api/login")}
#: Bodies that reach the handler but change nothing (each fails the api's validation).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/review/items/{item_id}/decision"): {
        "json": {"decision": "maybe", "reason": "access test"}
    },
    ("POST", "/review/items/{item_id}/decision"): {"data": {"decision": "maybe", "reason": "x"}},
    ("POST", "/api/facts"): {"json": {"fields": {"patient_id": "P0001"}, "reason": "x"}},
    ("POST", "/facts/new"): {"data": {"patient_id": "P0001", "reason": "x"}},
    ("POST", "/api/facts/{fact_id}/correction"): {"json": {"changes": {}, "reason": "x"}},
    ("POST", "/facts/{fact_id}/correct"): {"data": {"reason": ""}},
    ("POST", "/api/admin/users"): {"json": {"name": "", "role": "nobody", "password": ""}},
    ("POST", "/admin/users"): {"data": {"name": "", "role": "nobody", "password": ""}},
    ("POST", "/api/study/runs"): {"files": {"study_file": ("s.yaml", b"title: [unclosed")}},
    ("POST", "/study/runs"): {"files": {"study_file": ("s.yaml", b"title: [unclosed")}},
    ("POST", "/api/images/{image_id}/measure"): {"json": {"x0": 0, "y0": 0, "x1": 1, "y1": 1}},
    ("POST", "/api/images/{image_id}/readings"): {
        "json": {"reading_date": "2024-01-01", "blinded": "no", "regions": []}
    },
    ("POST", "/images/{image_id}/readings"): {"data": {"reading_date": "2024-01-01"}},
}


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    return sorted(
        (method, route.path, route)
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    )


def _path_values(app: Any, client: Any, role: str) -> dict[str, str]:
    item = next(i for i in app.state.queues.get(("suggested_fact", None, None)) if i.fact_id)
    patient = "P0001"
    if role == "researcher":
        patient = app.state.pseudonyms.of(patient)
    return {
        "patient_id": patient,
        "item_id": item.item_id,
        "fact_id": item.fact_id,
        "run_id": "0123456789ab",
        "name": "nobody",
        "path": "index.html",
        "image_id": "IMG-0000000000000000",
    }


def _url(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:path)?\}", lambda m: str(values[m.group(1)]), path)


def _request(client: Any, method: str, path: str, values: dict[str, str]) -> Any:
    return client.request(method, _url(path, values), **BODIES.get((method, path), {}))


def _refused_anonymous(response: Any, path: str) -> bool:
    if path.startswith("/api/"):
        return response.status_code == 401
    return response.status_code == 303 and response.headers["location"] == "/login"


def test_every_route_declares_its_roles(app):
    for method, path, route in _routes(app):
        extra = route.openapi_extra or {}
        declared = set(extra.get("x-roles", ()))
        assert declared <= set(ROLES), (method, path)
        assert declared or ((method, path) in PUBLIC and extra.get("x-public")), (method, path)


def test_every_route_by_every_role(app, monkeypatch):
    # access only: the dashboard's slow study numbers are not computed here (test_pages does)
    for cache in (app.state.overview, app.state.queues):
        monkeypatch.setattr(cache, "get_or_start", lambda key: (None, False))
    clients = {role: sign_in(client_for(app), ROLE_USER[role]) for role in ROLES}
    anonymous = client_for(app)
    checked = 0
    for method, path, route in _routes(app):
        if (method, path) in PUBLIC or path.endswith("logout"):
            continue
        allowed = set(route.openapi_extra["x-roles"])
        values = _path_values(app, anonymous, "clinician")
        response = _request(anonymous, method, path, values)
        assert _refused_anonymous(response, path), (method, path, response.status_code)
        for role, client in clients.items():
            values = _path_values(app, client, role)
            response = _request(client, method, path, values)
            if role in allowed:
                assert response.status_code not in (401, 403, 405, 500), (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", ROLES)
def test_unsafe_routes_need_the_csrf_token(app, role):
    client = sign_in(client_for(app), ROLE_USER[role])
    for method, path, route in _routes(app):
        if method == "GET" or role not in route.openapi_extra.get("x-roles", ()):
            continue
        values = _path_values(app, client, role)
        for token in (None, "wrong-token"):
            headers = {"X-CSRF-Token": token} if token else {}
            client.headers.pop("X-CSRF-Token", None)
            response = client.request(
                method, _url(path, values), headers=headers, **BODIES.get((method, path), {})
            )
            assert response.status_code == 403, (method, path, token)
            assert "CSRF" in response.text


def test_logout_by_every_role(app):
    for role in ROLES:
        client = sign_in(client_for(app), ROLE_USER[role])
        assert client.get("/api/").status_code == 200
        assert client.post("/api/logout").status_code == 200
        assert client.get("/api/").status_code == 401
