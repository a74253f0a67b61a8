"""The SYNTHETIC footer says what is true of the registry's patients (web38).

Every page said "SYNTHETIC data in the demo registry" on any registry, a hospital's too.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from web_client import PASSWORDS, ROLE_USER, client_for, running, sign_in

from calciscope import api
from calciscope.web import WebSettings, create_app
from calciscope.web.cache import wait_for_background
from calciscope.web.pages import SYNTHETIC_UNKNOWN

DEMO = "Every patient in this registry is SYNTHETIC: no number describes real patients."
#: Before sign-in: no number (fix48: a mixed registry's size was public on /login)
PUBLIC = "This registry holds SYNTHETIC patients."


def _footer(html: str) -> str | None:
    start = html.find('data-testid="synthetic-footer">')
    if start < 0:
        return None
    start = html.index(">", start) + 1
    return html[start : html.index("</footer>", start)]


def _registry(web_registry_file: Path, tmp_path: Path, real: int | None) -> WebSettings:
    """A copy of the SYNTHETIC test registry with ``real`` patients marked not synthetic."""
    path = tmp_path / "registry.db"
    shutil.copy(web_registry_file, path)
    with sqlite3.connect(path) as conn:
        ids = [r[0] for r in conn.execute("SELECT patient_id FROM patients ORDER BY patient_id")]
        chosen = ids if real is None else ids[:real]
        conn.executemany(
            "UPDATE patients SET synthetic = 0 WHERE patient_id = ?", [(i,) for i in chosen]
        )
    return WebSettings(
        db_url=f"sqlite:///{path}", secret_key="test-key-" + "x" * 40, runs_dir=tmp_path / "runs"
    )


def test_the_demo_registry_says_synthetic_on_every_page(app, signed_in) -> None:
    anonymous = client_for(app)
    for page in ("/login", "/no-such-page"):
        assert _footer(anonymous.get(page).text) == PUBLIC, page
    clinician = signed_in("clinician")
    for page in ("/", "/patients", "/review", "/no-such-page"):
        assert _footer(clinician.get(page).text) == DEMO, page


def test_a_registry_of_real_patients_has_no_synthetic_footer(web_registry_file, tmp_path) -> None:
    with running(create_app(_registry(web_registry_file, tmp_path, real=None))) as application:
        client = sign_in(client_for(application), ROLE_USER["clinician"])
        for page in ("/", "/patients", "/login"):
            html = client.get(page).text
            assert _footer(html) is None and "SYNTHETIC data" not in html, page


def test_a_mixed_registry_says_how_many_are_synthetic(web_registry_file, tmp_path) -> None:
    settings = _registry(web_registry_file, tmp_path, real=3)
    with running(create_app(settings)) as application:
        share = api.synthetic_patients(application.state.registry)
        assert share.patients - share.synthetic == 3 and share.synthetic > 1
        anonymous = client_for(application)
        for page in ("/login", "/no-such-page"):
            html = anonymous.get(page).text
            assert _footer(html) == PUBLIC, page
            assert str(share.patients) not in html and str(share.synthetic) not in html, page
        clinician = sign_in(client_for(application), ROLE_USER["clinician"])
        assert _footer(clinician.get("/patients").text) == (
            f"SYNTHETIC data: {share.synthetic} of {share.patients} patients in this registry "
            "are synthetic; the others are real."
        )


def test_a_failed_count_keeps_the_last_one_or_says_unknown(app, signed_in, monkeypatch) -> None:
    clinician = signed_in("clinician")
    assert _footer(clinician.get("/").text) == DEMO

    def failing() -> None:
        raise RuntimeError("the registry is away")

    monkeypatch.setattr(app.state.registry, "synthetic_patients", failing)
    app.state.synthetic.generation.bump()  # an import: counted again at once, and failing
    assert _footer(clinician.get("/").text) == DEMO  # the last count
    del app.state.synthetic_last
    app.state.synthetic.generation.bump()
    assert _footer(clinician.get("/").text) == SYNTHETIC_UNKNOWN


def test_an_old_count_is_made_again_in_the_background(app, signed_in, monkeypatch) -> None:
    """Older than its 30 s: the page gets the last count at once, not the caller's recount."""
    clinician = signed_in("clinician")
    assert _footer(clinician.get("/").text) == DEMO
    threads: list[str] = []
    count = app.state.registry.synthetic_patients

    def counting():
        threads.append(threading.current_thread().name)
        return count()

    monkeypatch.setattr(app.state.registry, "synthetic_patients", counting)
    monkeypatch.setattr(app.state.synthetic, "ttl", 0.0)
    assert _footer(clinician.get("/").text) == DEMO
    wait_for_background(60)
    assert threads == ["calciscope-cache"]


def test_the_count_is_kept_between_pages_and_follows_an_import(
    web_registry_file, tmp_path, monkeypatch
) -> None:
    """One count for many pages and decisions; an import (seen by the watch) counts again."""
    path = tmp_path / "empty.db"
    registry = api.open_registry(f"sqlite:///{path}")
    for name, (role, password) in PASSWORDS.items():
        api.add_user(registry, name, role, password)
    registry.close()
    settings = WebSettings(
        db_url=f"sqlite:///{path}", secret_key="test-key-" + "x" * 40,
        runs_dir=tmp_path / "runs", watch_seconds=0.0,
    )  # fmt: skip
    with running(create_app(settings)) as application:
        counted: list[int] = []
        registry = application.state.registry
        count = registry.synthetic_patients
        monkeypatch.setattr(registry, "synthetic_patients", lambda: counted.append(1) or count())
        application.state.synthetic.generation.bump()  # forget the warm-up's pages' count
        client = sign_in(client_for(application), ROLE_USER["clinician"])
        for page in ("/", "/patients", "/review", "/account/password"):
            assert _footer(client.get(page).text) is None  # no patient: nothing to say
        assert len(counted) == 1
        api.generate_demo_data(tmp_path / "cohort", patients=5, seed=1)
        api.import_directory(registry, tmp_path / "cohort")  # as the CLI does, meanwhile
        assert _footer(client.get("/patients").text) == DEMO
        assert len(counted) == 2


@pytest.mark.parametrize(
    ("synthetic", "patients", "said"),
    [
        (0, 0, None),
        (0, 12, None),
        (12, 12, DEMO),
        (1, 1, DEMO),
        (
            1,
            2,
            "SYNTHETIC data: 1 of 2 patients in this registry is synthetic; the others are real.",
        ),
        (
            1234,
            12345,
            "SYNTHETIC data: 1,234 of 12,345 patients in this registry are synthetic; "
            "the others are real.",
        ),
    ],
)
def test_the_footer_wording(synthetic, patients, said) -> None:
    share = api.SyntheticPatients(synthetic, patients)
    assert share.label == said
    assert share.public_label == (PUBLIC if said else None)
