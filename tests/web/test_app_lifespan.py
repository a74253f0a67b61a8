"""An app that has been closed leaves no warm-up thread running (web38).

Stop 37's CI failed because a web app's warm-up thread, left running by a test that had ended,
built the packaged extractor while a later test counted the builds.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from calciscope.web import WebSettings, create_app
from calciscope.web import app as web_app


def _warm_up_threads(application: object) -> list[threading.Thread]:
    name = f"calciscope-warm-up-{id(application)}"
    return [t for t in threading.enumerate() if t.name == name]


def test_a_closed_app_leaves_no_warm_up_thread(web_settings) -> None:
    """The warm-up is still running when the client exits: the shutdown waits for it."""
    application = create_app(web_settings)
    started, ended = threading.Event(), threading.Event()
    table = application.state.patient_table.table

    def slow_table():  # the first step of the warm-up, still running at the exit below
        started.set()
        application.state.warm_up_stop.wait(30)  # until the shutdown asks it to stop
        try:
            return table()
        finally:
            ended.set()

    application.state.patient_table.table = slow_table
    try:
        with TestClient(application, base_url="https://testserver") as client:
            assert started.wait(30)
            assert _warm_up_threads(application)  # running while the app serves
            assert client.get("/login").status_code == 200
        assert ended.is_set()
        assert not application.state.warm_up.is_alive()
        assert _warm_up_threads(application) == []
    finally:
        application.state.registry.close()


def test_the_steps_not_begun_are_left_out_at_shutdown(web_settings, monkeypatch) -> None:
    """Shutting down does not wait for the explanation and the queue once the table is read."""
    application = create_app(web_settings)
    started = threading.Event()
    table = application.state.patient_table.table
    later: list[str] = []

    def slow_table():
        started.set()
        application.state.warm_up_stop.wait(30)
        return table()

    application.state.patient_table.table = slow_table
    monkeypatch.setattr(web_app.api, "explain_patient", lambda *a, **k: later.append("explain"))
    monkeypatch.setattr(web_app.api, "review_queue", lambda *a, **k: later.append("queue"))
    try:
        with TestClient(application, base_url="https://testserver"):
            assert started.wait(30)
        assert later == []  # the stop was asked while the table was read
        assert not application.state.warm_up.is_alive()
    finally:
        application.state.registry.close()


def test_a_warm_up_outliving_its_wait_is_logged(caplog) -> None:
    """The wait is bounded: a thread still running after it is named in a warning."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait, args=(30,), name="calciscope-warm-up-test")
    thread.start()
    try:
        with caplog.at_level(logging.WARNING, logger=web_app.__name__):
            web_app._shut_down(thread, threading.Event(), timeout=0.01)
        assert "calciscope-warm-up-test is still running" in caplog.text
    finally:
        release.set()
        thread.join()


def test_one_deadline_for_the_warm_up_and_the_caches(caplog, monkeypatch) -> None:
    """The caches get what the warm-up left of one wait, not a wait of their own (fix48)."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait, args=(30,), name="calciscope-warm-up-test")
    thread.start()
    waited: list[float] = []
    monkeypatch.setattr(web_app, "wait_for_background", lambda left: waited.append(left) or [])
    try:
        with caplog.at_level(logging.WARNING, logger=web_app.__name__):
            web_app._shut_down(thread, threading.Event(), timeout=0.05)
        messages = [r.getMessage() for r in caplog.records]
        assert messages[0].startswith("shutting down: waiting for the warm-up thread")
        assert waited == [0.0]  # the warm-up used the whole of the one deadline
    finally:
        release.set()
        thread.join()


def test_serve_waits_briefly_at_shutdown(web_settings) -> None:
    settings = WebSettings(db_url="sqlite://", secret_key="k" * 40, runs_dir=Path("runs"))
    assert 5 <= settings.shutdown_seconds <= 10
    assert web_settings.shutdown_seconds > settings.shutdown_seconds  # the tests wait longer


def test_a_closed_app_leaves_no_cache_computing(web_settings) -> None:
    """A refresh a page started in the background has ended when the app is closed."""
    application = create_app(web_settings)
    try:
        with TestClient(application, base_url="https://testserver"):
            application.state.warm_up.join()
            stop = application.state.warm_up_stop
            overview = application.state.overview
            compute = overview.compute
            # computing until the shutdown begins, then some more
            overview.compute = lambda key: stop.wait(30) and compute(key)
            overview.get_or_start("default")  # as the dashboard does
            computing = [t for t in threading.enumerate() if t.name == "calciscope-cache"]
            assert any(t.is_alive() for t in computing)
        assert not any(t.is_alive() for t in computing)
        assert overview.get_or_start("default")[1]  # computed, before the app closed
    finally:
        application.state.registry.close()


def test_the_app_fixture_closes_its_app(app) -> None:
    """The conftest's app runs its lifespan: its warm-up has ended before the test starts."""
    assert not app.state.warm_up.is_alive()
