"""Users of each role and signed-in test clients for the web app tests (SYNTHETIC registry)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

PASSWORDS = {
    "ada": ("admin", "admin-pass-1234"),
    "cleo": ("clinician", "clinician-pass-1234"),
    "rhea": ("researcher", "researcher-pass-1234"),
}
ROLE_USER = {role: name for name, (role, _) in PASSWORDS.items()}


#: Clients made by :func:`client_for` not closed yet (``close_clients`` closes them).
_OPEN: list[TestClient] = []


def client_for(application: object) -> TestClient:
    """Return an anonymous client over HTTPS (the session cookie is Secure).

    It sends requests only: the app's lifespan (its warm-up thread) is run by the fixture
    that made the app (``with TestClient(app)``); the conftest closes every client made here
    when the test ends (``close_clients``).
    """
    client = TestClient(application, base_url="https://testserver", follow_redirects=False)
    _OPEN.append(client)
    return client


def close_clients() -> None:
    """Close every client :func:`client_for` made and no one closed."""
    while _OPEN:
        _OPEN.pop().close()


#: How long a test's app waits at its shutdown (``WebSettings.shutdown_seconds``; ``serve``: 10 s).
TEST_SHUTDOWN_SECONDS = 120.0


@contextmanager
def running(application: Any) -> Iterator[Any]:
    """Run ``application`` for the block: its lifespan starts, ends, and its registry closes.

    ``with TestClient(app)`` runs the lifespan (the warm-up thread) and its shutdown, which
    waits for that thread: an app closed so leaves nothing running after its test. The block
    starts once the warm-up has ended, so that it never runs beside a test's own requests (a
    test counting computations counts its own only).
    """
    # a test machine under load may take longer to end a warm-up step than ``serve``'s default
    settings = application.state.settings
    application.state.settings = replace(settings, shutdown_seconds=TEST_SHUTDOWN_SECONDS)
    try:
        with TestClient(application, base_url="https://testserver"):
            warm_up = getattr(application.state, "warm_up", None)
            if warm_up is not None:
                warm_up.join()
            yield application
    finally:
        application.state.registry.close()


def csrf_of(client: TestClient) -> str:
    """Return the client's session CSRF token."""
    return str(client.get("/api/session").json()["csrf_token"])


def sign_in(client: TestClient, name: str) -> TestClient:
    """Sign ``client`` in as ``name``; its ``X-CSRF-Token`` header is then set."""
    token = csrf_of(client)
    response = client.post(
        "/api/login",
        json={"name": name, "password": PASSWORDS[name][1]},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client
