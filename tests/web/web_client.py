"""Users of each role and signed-in test clients for the web app tests (SYNTHETIC registry)."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORDS = {
    "ada": ("admin", "admin-pass-1234"),
    "cleo": ("clinician", "clinician-pass-1234"),
    "rhea": ("researcher", "researcher-pass-1234"),
}
ROLE_USER = {role: name for name, (role, _) in PASSWORDS.items()}


def client_for(application: object) -> TestClient:
    """Return an anonymous client over HTTPS (the session cookie is Secure)."""
    return TestClient(application, base_url="https://testserver", follow_redirects=False)


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
