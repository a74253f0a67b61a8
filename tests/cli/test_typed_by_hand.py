"""Commands as a new user types them: hints that name what to do, never a hang or markup loss."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from calciscope import api
from calciscope.cli import demo
from calciscope.cli.app import app
from calciscope.cli.cohort import console
from calciscope.errors import MissingExtraError


def test_demo_without_imaging_names_the_extra(monkeypatch, tmp_path: Path) -> None:
    def no_imaging(*args: object) -> None:
        raise MissingExtraError("pydicom", "imaging")

    monkeypatch.setattr(api, "add_demo_radiographs", no_imaging)
    with console.capture() as captured:
        assert demo.demo_radiographs(None, tmp_path, 0) is None  # type: ignore[arg-type]
    text = captured.get()
    assert "pydicom is not installed: pip install 'calciscope[imaging]'" in text


def test_users_add_without_a_terminal_says_how_to_give_the_password(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    # a script with nothing on standard input: no hang, no bare "Aborted!", nothing written
    result = CliRunner().invoke(app, ["users", "add", "cleo", "--role", "clinician", "--db", db])
    assert result.exit_code == 1
    assert "field 'password'" in result.output and "--password-stdin" in result.output
    assert "Traceback" not in result.output
    piped = CliRunner().invoke(
        app,
        ["users", "add", "cleo", "--role", "clinician", "--password-stdin", "--db", db],
        input="long-enough-1234\n",
    )
    assert piped.exit_code == 0, piped.output
    with api.open_registry(db) as registry:
        assert [u.name for u in api.list_users(registry)] == ["cleo"]
