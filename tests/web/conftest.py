"""A small SYNTHETIC registry with users of each role, and signed-in test clients.

The registry is built once per session (40 demo patients, their notes extracted into
suggested facts, one note holding a script tag) and copied for every test that uses it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from calciscope import api  # noqa: E402
from calciscope.web import WebSettings, create_app  # noqa: E402

PASSWORDS = {
    "ada": ("admin", "admin-pass-1234"),
    "cleo": ("clinician", "clinician-pass-1234"),
    "rhea": ("researcher", "researcher-pass-1234"),
}
ROLE_USER = {role: name for name, (role, _) in PASSWORDS.items()}
SCRIPT_NOTE = {
    "note_id": "P0001-XSS",
    "patient_id": "P0001",
    "note_type": "clinic_letter",
    "note_date": "2022-03-01",
    "text": "SYNTHETIC DEMO RECORD - not a real patient\n<script>alert('owned')</script>\n"
    "On examination there is calcinosis of the right index finger.\n",
}


@pytest.fixture(scope="session")
def web_registry_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the session's registry file (read-only: tests copy it)."""
    folder = tmp_path_factory.mktemp("web-demo")
    api.generate_demo_data(folder / "cohort", patients=40, seed=0)
    with (folder / "cohort" / "notes.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(SCRIPT_NOTE) + "\n")
    path = folder / "registry.db"
    registry = api.open_registry(f"sqlite:///{path}")
    try:
        api.import_directory(registry, folder / "cohort")
        api.extract_notes(registry)
        for name, (role, password) in PASSWORDS.items():
            api.add_user(registry, name, role, password)
    finally:
        registry.close()
    return path


@pytest.fixture
def web_settings(web_registry_file: Path, tmp_path: Path) -> WebSettings:
    """Settings for a fresh copy of the registry."""
    path = tmp_path / "registry.db"
    shutil.copy(web_registry_file, path)
    return WebSettings(
        db_url=f"sqlite:///{path}", secret_key="test-key-" + "x" * 40, runs_dir=tmp_path / "runs"
    )


@pytest.fixture
def app(web_settings: WebSettings) -> Iterator[object]:
    """The app on a fresh copy of the registry."""
    application = create_app(web_settings)
    yield application
    application.state.registry.close()


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


@pytest.fixture
def signed_in(app: object) -> Callable[[str], TestClient]:
    """Return a function giving a client signed in with a role (admin, clinician, researcher)."""

    def make(role: str) -> TestClient:
        return sign_in(client_for(app), ROLE_USER[role])

    return make
