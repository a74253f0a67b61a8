"""A password in ``--db`` never reaches the screen, an error, or a file calciscope writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from calciscope.cli.app import app

SECRET = "Pw-d0nt-sh0w"
runner = CliRunner()


def _with_password(url: str) -> str:
    head, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{head}://{user}:{SECRET}@{host}"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert SECRET not in result.output
    return result.output + f"\n(exit {result.exit_code})"


def _files_with_secret(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]


@pytest.mark.slow
@pytest.mark.postgres
def test_password_url_is_hidden_everywhere(tmp_path, postgres_database):
    # trust authentication ignores the password, so the URL works while carrying a secret
    db = _with_password(postgres_database())
    demo = tmp_path / "demo"
    assert "(exit 0)" in _run("demo-data", "--out", str(demo), "--patients", "40", "--no-notes")
    imported = _run("import", "demo", str(demo), "--db", db)
    assert "(exit 0)" in imported and ":***@" in imported
    study = tmp_path / "study.yaml"
    study.write_text(
        runner.invoke(app, ["study", "init"]).output.replace(
            "standard_exports: []", "standard_exports: [phenopackets, fhir]"
        )
    )
    report = tmp_path / "report"
    assert "(exit 0)" in _run("study", "run", str(study), "--db", db, "--out", str(report))
    assert (report / "manifest.json").read_text().count(":***@") == 1
    for args in (
        ("patients", "show", "NO-SUCH-PATIENT"),
        ("patients", "list", "--index-date", "2024-01-01"),
        ("classify", "--index-date", "2024-01-01"),
        ("export", "fhir", str(tmp_path / "all.fhir.json")),
        ("features", "--out", str(tmp_path / "f.csv"), "--index-date", "2024-01-01"),
    ):
        _run(*args, "--db", db)
    cdm = _with_password(postgres_database())
    exported = _run("export", "omop", cdm, "--db", db, "--concept-sets", str(tmp_path / "sets"))
    assert "(exit 0)" in exported, exported
    second = _with_password(postgres_database())
    omop = _run("import", "omop", cdm, "--concept-set", str(tmp_path / "sets"), "--db", second)
    assert "(exit 0)" in omop, omop
    assert _files_with_secret(tmp_path) == []
    engine = sa.create_engine(second)
    with engine.connect() as conn:
        sources = list(conn.scalars(sa.text("SELECT source FROM import_batches")))
    engine.dispose()
    assert sources and all(SECRET not in s for s in sources)


def test_unreachable_database_error_hides_the_password():
    output = _run("patients", "list", "--db", f"postgresql+psycopg://ana:{SECRET}@127.0.0.1:1/x")
    assert "(exit 1)" in output
    assert "cannot open registry postgresql+psycopg://ana:***@127.0.0.1:1/x" in output
