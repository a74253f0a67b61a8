"""``calciscope serve``: the app it builds, and the install hint without the web extra."""

from __future__ import annotations

import importlib.util
import os
import stat

import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app

pytest.importorskip("fastapi", reason="the web extra is not installed")


def test_serve_builds_the_app_with_secure_cookies(tmp_path, monkeypatch):
    import uvicorn

    calls = {}
    monkeypatch.delenv("CALCISCOPE_SECRET_KEY", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.update(app=app, **kw))
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(app, ["serve", "--db", db, "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls["port"] == 8123 and calls["host"] == "127.0.0.1"
    assert calls["app"].state.settings.secure_cookies is True
    key = tmp_path / ".calciscope-secret-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text()) >= 40
    first = key.read_text()
    CliRunner().invoke(app, ["serve", "--db", db, "--insecure-cookies"])
    assert key.read_text() == first
    assert calls["app"].state.settings.secure_cookies is False


def test_the_key_file_must_not_be_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.delenv("CALCISCOPE_SECRET_KEY", raising=False)
    key = tmp_path / ".calciscope-secret-key"
    key.write_text("k" * 50)
    os.chmod(key, 0o644)
    result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code == 1 and "chmod 600" in result.output


def test_without_the_web_extra_serve_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a)
    )
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "pip install 'calciscope[web]'" in result.output


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(tmp_path, monkeypatch, port):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served"))
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = CliRunner().invoke(app, ["serve", "--db", db, "--port", port])
    assert result.exit_code == 2 and "--port" in result.output  # was an OverflowError traceback
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_registry_in_a_missing_folder_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CALCISCOPE_SECRET_KEY", raising=False)
    db = f"sqlite:///{tmp_path / 'no' / 'such' / 'r.db'}"
    result = CliRunner().invoke(app, ["serve", "--db", db])
    assert result.exit_code == 1 and "error:" in result.output  # was a FileNotFoundError
    assert "field 'secret key file'" in result.output and "CALCISCOPE_SECRET_KEY" in result.output
    assert not (tmp_path / "no").exists()
