"""A value longer than its registry column is refused by validation, naming file, row and field.

The bound is the model's (one source, storage.schema reads it): before, a long ``unit`` or
``centre`` passed validation and failed as a driver error on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app

runner = CliRunner()
FACT_HEADER = "patient_id,system,code,status,unit,value_text\n"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("postgres_database")()


def _folder(tmp_path: Path, centre: str, fact_rows: str) -> Path:
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text(f"patient_id,sex,centre\nP1,female,{centre}\n")
    (folder / "facts.csv").write_text(FACT_HEADER + fact_rows)
    return folder


@pytest.mark.parametrize(
    ("centre", "fact_rows", "where"),
    [
        ("Leeds", "P1,HP,HP:0003761,present," + "u" * 33 + ",\n", ("facts.csv", "row 2", "unit")),
        ("C" * 129, "P1,HP,HP:0003761,present,mg,\n", ("patients.csv", "row 2", "centre")),
        ("Leeds", "P1,HP,HP:0003761,present,mg," + "t" * 2001 + "\n", ("facts.csv", "row 2", "value_text")),
    ],
    ids=["unit", "centre", "value_text"],
)  # fmt: skip
def test_an_import_refuses_a_value_too_long_for_its_column(url, tmp_path, centre, fact_rows, where):
    folder = _folder(tmp_path, centre, fact_rows)
    result = runner.invoke(app, ["import", "demo", str(folder), "--db", url])
    assert result.exit_code == 1, result.output
    file, row, field = where
    assert file in result.output and row in result.output and f"field '{field}'" in result.output
    assert "at most" in result.output and "Traceback" not in result.output
    with api.open_registry(url) as registry:
        assert registry.counts()["patients"] == 0  # all or nothing


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("--unit", "u" * 33, "unit"), ("--value-text", "t" * 2001, "value_text")],
)
def test_facts_add_refuses_a_value_too_long_for_its_column(url, tmp_path, option, value, field):
    folder = _folder(tmp_path, "Leeds", "")
    assert runner.invoke(app, ["import", "demo", str(folder), "--db", url]).exit_code == 0
    args = ["facts", "add", "--patient", "P1", "--system", "LOINC", "--code", "2157-6"]
    result = runner.invoke(app, [*args, option, value, "--reason", "typed", "--db", url])
    assert result.exit_code == 1, result.output
    assert f"field '{field}'" in result.output and "at most" in result.output
    assert "Traceback" not in result.output
    with api.open_registry(url) as registry:
        assert registry.facts_for("P1") == []
