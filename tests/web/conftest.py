"""A small SYNTHETIC registry with users of each role, and signed-in test clients.

The registry is built once per session (40 demo patients, their notes extracted into
suggested facts, one note holding a script tag) and copied for every test that uses it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from web_client import (
    PASSWORDS,
    ROLE_USER,
    TEST_SHUTDOWN_SECONDS,
    client_for,
    close_clients,
    running,
    sign_in,
)

from calciscope import api
from calciscope.web import WebSettings, create_app

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
        db_url=f"sqlite:///{path}",
        secret_key="test-key-" + "x" * 40,
        runs_dir=tmp_path / "runs",
        shutdown_seconds=TEST_SHUTDOWN_SECONDS,
    )


@pytest.fixture(autouse=True)
def _clients_closed() -> Iterator[None]:
    """Close every test client the test made (``web_client.client_for``)."""
    yield
    close_clients()


@pytest.fixture
def app(web_settings: WebSettings) -> Iterator[object]:
    """The app on a fresh copy of the registry, started and, when the test ends, closed.

    ``with TestClient(app)`` runs its lifespan (the warm-up thread) and ends it: the app's
    shutdown waits for that thread, so nothing of this app runs after the test.
    """
    with running(create_app(web_settings)) as application:
        yield application


@pytest.fixture
def signed_in(app: object) -> Callable[[str], Any]:
    """Return a function giving a client signed in with a role (admin, clinician, researcher)."""

    def make(role: str) -> Any:
        return sign_in(client_for(app), ROLE_USER[role])

    return make
