"""What command-line users expect: --json, --verbose/--quiet, index dates, honest error text."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_patients_list_json(demo_registry_url):
    result = run(
        "patients", "list", "--db", demo_registry_url, "--index-date", "2023-12-31",
        "--where", "subset=dcssc", "--limit", "3", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["index_date"] == "2023-12-31"
    assert data["where"] == ["subset=dcssc"]
    assert data["shown"] == len(data["patients"]) == 3
    assert data["matching"] <= data["total"]
    assert {row["subset_recorded"] for row in data["patients"]} == {"dcssc"}


def test_patients_show_json_with_explanation(demo_registry_url):
    listed = json.loads(
        run("patients", "list", "--db", demo_registry_url, "--limit", "1", "--json").stdout
    )
    pid = listed["patients"][0]["patient_id"]
    result = run(
        "patients", "show", pid, "--db", demo_registry_url, "--explain",
        "--index-date", "2023-12-31", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["patient"]["patient_id"] == pid
    assert data["facts"] and all(f["patient_id"] == pid for f in data["facts"])
    assert data["explanation"]["index_date"] == "2023-12-31"
    assert {c["name"] for c in data["explanation"]["criteria"]}


def test_index_date_defaults_to_today_and_says_so(demo_registry_url, tmp_path):
    today = dt.date.today().isoformat()
    listed = run("patients", "list", "--db", demo_registry_url, "--limit", "0")
    assert f"index date {today} (today" in " ".join(listed.output.split())
    assert (
        json.loads(
            run("patients", "list", "--db", demo_registry_url, "--limit", "0", "--json").stdout
        )["index_date"]
        == today
    )
    out = tmp_path / "f.csv"
    written = run(
        "features", "--db", demo_registry_url, "--out", str(out), "--index-date", "2023-12-31"
    )
    assert "index date 2023-12-31" in " ".join(written.output.split())


def test_read_only_command_does_not_say_nothing_was_written(demo_registry_url):
    result = run("patients", "show", "NO-SUCH-ID", "--db", demo_registry_url)
    assert result.exit_code == 1
    assert "no such patient" in result.output
    assert "nothing was written" not in result.output


def test_writing_command_still_says_nothing_was_written(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,sex\nP1,banana\n")
    result = run("import", "demo", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert result.exit_code == 1
    assert "nothing was written" in result.output


@pytest.mark.parametrize(("flags", "level"), [([], logging.WARNING), (["-v"], logging.INFO),
                                              (["-vv"], logging.DEBUG), (["--quiet"], logging.ERROR)])  # fmt: skip
def test_verbose_and_quiet_set_the_calciscope_logger(flags, level):
    result = run(*flags, "study", "init")
    assert result.exit_code == 0
    assert logging.getLogger("calciscope").level == level
    assert not logging.getLogger("calciscope").propagate
    assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() >= logging.WARNING


def test_progress_is_off_when_not_a_terminal(tmp_path):
    # CliRunner output is not a terminal: no bar characters or carriage returns in the output
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert (
        run("demo-data", "--out", str(tmp_path / "d"), "--patients", "20", "--no-notes").exit_code
        == 0
    )
    assert run("import", "demo", str(tmp_path / "d"), "--db", db).exit_code == 0
    result = run("classify", "--db", db, "--index-date", "2023-12-31", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["index_date"] == "2023-12-31" and data["patients"] > 0
    assert "\r" not in result.output and "━" not in result.output


def _leaf_commands() -> dict[str, Any]:
    import typer

    from calciscope.cli.app import app

    found: dict[str, Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), ())
    return found


# Commands that list or show something (rather than write files) print a table by default.
LISTING = {
    "patients list",
    "patients show",
    "classify",
    "review list",
    "review kinds",
    "facts history",
    "users list",
    "audit list",
    "images measure",
    "images agreement",
}


def test_every_listing_and_show_command_has_json():
    commands = _leaf_commands()
    assert commands.keys() >= LISTING
    named = {p for p in commands if p.split()[-1] in {"list", "show", "history", "kinds"}}
    assert named <= LISTING, "a new listing command must be added here (and get --json)"
    for path in LISTING:
        options = {o for param in commands[path].params for o in getattr(param, "opts", [])}
        assert "--json" in options, path


def test_review_kinds_and_agreement_json(tmp_path):
    kinds = json.loads(run("review", "kinds", "--json").stdout)
    assert {k["name"] for k in kinds} >= {"suggested_fact", "suggested_case"}
    assert all(k["label"] and k["description"] for k in kinds)
    db = f"sqlite:///{tmp_path / 'r.db'}"
    data = json.loads(run("images", "agreement", "--db", db, "--json").stdout)
    assert data["pairs"] == 0 and data["readers"] is None
    assert data["skipped"] == {"all": "no image was read by two readers"}


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "calciscope", "review", "kinds", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)
