"""The cohort commands, in-process: demo-data, import demo, patients list/show, features, demo."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app

runner = CliRunner()
INDEX = ["--index-date", "2023-12-31"]
SEEN = ["--where", "ssc_diagnosis=true", "--where", "last_visit_date>=2021-01-01"]


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result


def matched(output: str) -> int:
    found = re.search(r"([\d,]+) of ([\d,]+) patients? match", output)
    assert found, output
    return int(found.group(1).replace(",", ""))


def anchor_counts(db: str) -> tuple[int, int, int]:
    """The anchor paper's figures, straight from the registry through the CLI."""
    base = ["patients", "list", "--db", db, "--limit", "0", *INDEX, *SEEN]
    ssc = matched(run(*base).output)
    dcssc = matched(run(*base, "--where", "subset=dcssc").output)
    cases = matched(run(*base, "--where", "calcinosis_sheet_like_regions>=2").output)
    return ssc, dcssc, cases


def test_anchor_counts_from_the_registry_sqlite(demo_registry_url, reviewed_demo_url):
    # confirmed facts show 2 of the 4 cases; the other two only with the facts suggested from
    # their notes (`patients list` counts confirmed facts)
    assert anchor_counts(demo_registry_url) == (461, 102, 2)
    assert anchor_counts(reviewed_demo_url) == (461, 102, 2)


@pytest.mark.postgres
def test_anchor_counts_from_the_registry_postgres(demo_dir, postgres_database):
    url = postgres_database()
    result = run("import", "demo", str(demo_dir), "--db", url)
    assert result.exit_code == 0, result.output
    assert anchor_counts(url) == (461, 102, 2)


def test_demo_data_then_import(tmp_path):
    out = tmp_path / "demo"
    result = run("demo-data", "--patients", "200", "--seed", "3", "--out", str(out), "--no-notes")
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("import", "demo", str(out), "--db", db)
    assert result.exit_code == 0, result.output
    assert "imported 200 patients" in result.output.replace("\n", " ")
    again = run("import", "demo", str(out), "--db", db)  # idempotent
    assert again.exit_code == 0
    assert matched(run("patients", "list", "--db", db, "--limit", "1").output) == 200


def test_bad_import_lists_every_problem_and_changes_nothing(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nP1,female\nP2,dragon\n")
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date\n"
        "P1,HP,HP:0003761,maybe,2020-01-01\n"
        "P1,WHAT,X,present,2020-02-30\n"
    )
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("import", "demo", str(folder), "--db", db)
    assert result.exit_code == 1
    text = result.output
    for where in (
        "row 3, field 'sex'",
        "row 2, field 'status'",
        "row 3, field 'system'",
        "row 3, field 'effective_date'",
    ):
        assert where in text, text
    assert "Traceback" not in text
    assert matched(run("patients", "list", "--db", db).output) == 0


def test_patients_show(demo_registry_url):
    result = run("patients", "show", "P0001", "--db", demo_registry_url, "--provenance")
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert "facts for P0001" in result.output
    assert "demo:" in result.output  # provenance column


def test_patients_show_unknown_id_is_a_clean_error(demo_registry_url):
    result = run("patients", "show", "NOPE", "--db", demo_registry_url)
    assert result.exit_code == 1
    assert "no such patient" in result.output


def test_bad_filter_is_a_clean_error(demo_registry_url):
    result = run("patients", "list", "--db", demo_registry_url, "--where", "colour=blue")
    assert result.exit_code == 1
    assert "unknown column 'colour'" in result.output


def test_features_to_parquet(demo_registry_url, tmp_path):
    out = tmp_path / "features.parquet"
    result = run("features", "--db", demo_registry_url, "--out", str(out), *INDEX)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 600
    column = table.column("calcinosis_any").to_pylist()
    assert {True, False, None} <= set(column)  # three-valued, unknown kept as null


def test_demo_main_job(cli_demo):
    _, result = cli_demo  # one `calciscope demo` run for the session (tests/cli/conftest.py)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "SYNTHETIC" in text
    assert re.search(r"\b461\b", text) and re.search(r"\b102\b", text) and "22.1%" in text, text
    assert "suggested facts wait for review" in text and "calciscope review list" in text


def test_demo_without_db_uses_the_default_registry_and_says_no_db(monkeypatch, capsys):
    """What ``calciscope demo`` without ``--db`` does differently (the session's run names one)."""
    from calciscope import api
    from calciscope.cli.demo import print_review_hint

    monkeypatch.delenv("CALCISCOPE_DB", raising=False)
    assert api.resolve_db_url(None) == api.DEFAULT_DB_URL == "sqlite:///calciscope.db"
    print_review_hint(None, None, awaiting=2)
    text = " ".join(capsys.readouterr().out.split())
    assert "calciscope review list --kind suggested_case (2 would be cases" in text
    assert "calciscope serve --insecure-cookies" in text and "--db" not in text


def _commands(group, prefix=()):
    for name, command in getattr(group, "commands", {}).items():
        yield (*prefix, name), command
        yield from _commands(command, (*prefix, name))


def test_every_command_has_help():
    from typer.main import get_command

    root = get_command(app)
    names = list(_commands(root))
    assert len(names) >= 8
    for path, command in names:
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert command.help or command.short_help, f"{' '.join(path)} has no help text"


def test_the_count_is_read_with_its_separators() -> None:
    """The list prints "12,345 of 12,345 patients match" (fix48), not "12345 of 12,345"."""
    assert matched("12,345 of 12,345 patients match; showing 50.") == 12345
    assert matched("1 of 1 patient matches") == 1
