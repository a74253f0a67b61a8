"""`calciscope serve --workers N`: a decision made through one worker is seen through another.

Each worker is an app of its own on the same registry (SYNTHETIC), keeping its results between
requests; it follows what the others write (:mod:`calciscope.web.watch`).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from web_client import PASSWORDS, client_for, running, sign_in

from calciscope import api
from calciscope.web import WebSettings, create_app


@pytest.fixture
def two_workers(web_settings):
    """Two apps on one registry, each following the other at every request."""
    settings = dataclasses.replace(web_settings, watch_seconds=0.0)
    with running(create_app(settings)) as one, running(create_app(settings)) as other:
        yield [one, other]


def _first_open_fact(client) -> dict:
    return client.get("/api/review").json()["items"][0]


def test_a_decision_through_one_worker_is_seen_through_the_other(two_workers, web_settings):
    one, other = (sign_in(client_for(a), "cleo") for a in two_workers)
    before = other.get("/api/review").json()  # the other worker keeps its counts and lists
    item = before["items"][0]
    pid = item["patient_id"]
    other.get(f"/api/patients/{pid}/criteria")  # and this patient's explanation
    other.get("/api/patients", params={"where": "sex=female"})

    decided = one.post(
        f"/api/review/items/{item['item_id']}/decision",
        json={"decision": "confirm", "reason": "seen", "expected_version": item["version"]},
    )
    assert decided.status_code == 200, decided.text

    after = other.get("/api/review").json()
    assert after["total"] == before["total"] - 1
    assert item["item_id"] not in {i["item_id"] for i in after["items"]}
    with running(create_app(web_settings)) as started_now:  # a worker started after it
        fresh = sign_in(client_for(started_now), "cleo")
        for path in (f"/api/patients/{pid}/criteria", "/api/patients?where=sex=female&size=200"):
            assert other.get(path).json() == fresh.get(path).json(), path
    again = other.post(
        f"/api/review/items/{item['item_id']}/decision",
        json={"decision": "reject", "reason": "late", "expected_version": item["version"]},
    )
    assert again.status_code == 409  # decided already: a conflict, nothing overwritten


def test_a_worker_applies_its_own_decision_once(two_workers):
    one = sign_in(client_for(two_workers[0]), "cleo")
    before = one.get("/api/review").json()
    items = before["items"][:2]
    for item in items:
        response = one.post(
            f"/api/review/items/{item['item_id']}/decision",
            json={"decision": "reject", "reason": "no", "expected_version": item["version"]},
        )
        assert response.status_code == 200
    assert one.get("/api/review").json()["total"] == before["total"] - 2


def test_settings_reach_the_workers_through_the_environment(web_settings, monkeypatch):
    settings = dataclasses.replace(web_settings, watch_seconds=0.25, image_roots=(Path("/x"),))
    for name, value in settings.to_environment().items():
        monkeypatch.setenv(name, value)
    assert WebSettings.from_environment() == settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_with_two_worker_processes(web_settings, tmp_path):
    """End to end: every answer after a decision, whichever worker gives it, reflects it."""
    port = _free_port()
    exe = Path(sys.executable).with_name("calciscope")
    env = os.environ | {"CALCISCOPE_SECRET_KEY": "k" * 48}
    command = [str(exe), "serve", "--db", web_settings.db_url, "--port", str(port),
               "--insecure-cookies", "--workers", "2", "--watch-seconds", "0"]  # fmt: skip
    server = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=120) as client:
            token = client.get("/api/session").json()["csrf_token"]
            signed = client.post(
                "/api/login",
                json={"name": "cleo", "password": PASSWORDS["cleo"][1]},
                headers={"X-CSRF-Token": token},
            )
            client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
            totals = {client.get("/api/review").json()["total"] for _ in range(6)}
            assert len(totals) == 1
            item = _first_open_fact(client)
            response = client.post(
                f"/api/review/items/{item['item_id']}/decision",
                json={"decision": "confirm", "reason": "ok", "expected_version": item["version"]},
            )
            assert response.status_code == 200
            after = {client.get("/api/review").json()["total"] for _ in range(6)}
            assert after == {totals.pop() - 1}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    with api.open_registry(web_settings.db_url) as registry:
        assert [r.item_id for r in api.review_history(registry)] == [item["item_id"]]


def test_the_change_mark_tells_a_write_named_nowhere_from_decisions(web_settings):
    import sqlalchemy as sa

    with api.open_registry(web_settings.db_url) as registry:
        facts = api.review_queue(registry, kinds=["suggested_fact"], limit=2)
        mark = api.registry_changes(registry).mark
        api.review(registry, facts[0].item_id, "confirm", reviewer="cleo", reason="seen")
        api.review(registry, "at_risk:P0001", "acknowledge", reviewer="cleo", reason="seen")
        decided = api.registry_changes(registry, mark)
        assert len(decided.decisions) == 2 and decided.written and not decided.unnamed
        mark = decided.mark
        api.review(registry, facts[1].item_id, "reject", reviewer="cleo", reason="no")
        with registry.engine.begin() as conn:  # a hand-written statement, by anyone
            conn.execute(sa.text("UPDATE patients SET sex = sex WHERE patient_id = 'P0002'"))
        both = api.registry_changes(registry, mark)
        assert len(both.decisions) == 1 and both.unnamed  # more than the decision explains
        alone = api.registry_changes(registry, both.mark)
        assert alone == api.RegistryChanges(both.mark)  # nothing since
