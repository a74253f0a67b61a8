"""A study file or rule file that is not UTF-8 or not YAML: file, line and what is wrong (hardening24).

Before, ``study run`` said Python's codec message (``'utf-8' codec can't decode byte 0xe9 in
position 27: invalid continuation byte``) or the parser's several-line text with no line of its
own, and ``notes extract-file``/``notes extract --target-rules`` with a Latin-1 rule file
ended in a traceback (the UnicodeDecodeError was not caught).
"""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from calciscope.cli.app import app
from calciscope.errors import CatalogueError, ValidationError
from calciscope.extract.rules import load_rules
from calciscope.yamltext import load_yaml

runner = CliRunner()


def _said(result) -> str:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return " ".join(result.output.split())


def _study_run(tmp_path, study):
    return runner.invoke(
        app, ["study", "run", str(study), "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a Latin-1 "é" in the title (line 2)
        (
            b"# SYNTHETIC study\ntitle: \xe9tude\n",
            "study.yaml, line 2, field '(file)': byte 0xe9 is not UTF-8",
        ),
        # UTF-16 from a Windows editor
        (
            "title: x\n".encode("utf-16"),
            "study.yaml, line 1, field '(file)': the file is UTF-16 text, not UTF-8",
        ),
        # a bracket never closed: where the parser stops and where the list began
        (
            b"title: x\npopulation: {ssc_by: [a, b\nindex_date: 2023-12-31\n",
            "study.yaml, line 3, field '(file)': not YAML:",
        ),
        # a tab indenting a line
        (
            b"title: x\npopulation:\n\tssc_by: criteria\n",
            "study.yaml, line 3, field '(file)': not YAML: found character '\\t' that cannot "
            "start any token (line 3, column 1)",
        ),
        # a value holding ': ' without quotes
        (
            b"title: SSc: a study\n",
            "study.yaml, line 1, field '(file)': not YAML: mapping values are not allowed here "
            "(line 1, column 11): a value holding ': ' needs quotes",
        ),
        # a date that does not exist
        (
            b"title: x\npopulation:\n  index_date: 2023-02-30\n",
            "study.yaml, line 3, field 'index_date': 2023-02-30 is not a date",
        ),
    ],
)
def test_a_study_file_not_utf8_or_not_yaml_names_file_line_and_what(tmp_path, raw, expected):
    study = tmp_path / "study.yaml"
    study.write_bytes(raw)
    result = _study_run(tmp_path, study)
    said = _said(result)
    assert result.exit_code == 1
    assert "error: cannot read study.yaml: 1 problem(s)" in said
    assert expected in said
    assert "codec can't decode" not in said and "while scanning" not in said
    with pytest.raises(ValidationError) as caught:
        load_yaml(study)
    (problem,) = caught.value.problems
    assert problem.source == str(study) and problem.location.startswith("line ")


def test_an_unclosed_bracket_names_where_it_began(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text("title: x\npopulation: [a, b\nc: 3\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_yaml(study)
    (problem,) = caught.value.problems
    assert problem.location == "line 3"
    assert "while parsing a flow sequence begun at line 2" in problem.message


def test_good_yaml_reads_as_before(tmp_path):
    study = tmp_path / "ok.yaml"
    study.write_bytes("\ufefftitle: Étude\nwhen: 2023-12-31\n".encode())  # a byte order mark
    assert load_yaml(study) == yaml.safe_load("title: Étude\nwhen: 2023-12-31\n")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"targets:\n  - literal: calcinos\xe9\n",
            "line 2, field '(file)': byte 0xe9 is not UTF-8",
        ),
        (b"targets:\n  - literal: x\n   category: Y\n", "line 3, field '(file)': not YAML:"),
    ],
)
def test_a_rule_file_not_utf8_or_not_yaml_names_file_and_line(tmp_path, raw, expected):
    rules = tmp_path / "targets.yaml"
    rules.write_bytes(raw)
    with pytest.raises(CatalogueError) as caught:
        load_rules(targets=rules)
    assert f"rule file {rules}, {expected}" in str(caught.value)
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC: calcinosis at the left elbow.\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = runner.invoke(app, ["notes", "extract", "--db", url, "--target-rules", str(rules)])
    said = _said(result)
    assert result.exit_code == 1 and f"rule file {rules}, {expected}" in said


def test_a_context_rules_json_not_json_names_its_line(tmp_path):
    rules = tmp_path / "context.json"
    rules.write_text('{"context_rules": [\n  {"literal": "x",}\n]}\n', encoding="utf-8")
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC: calcinosis at the left elbow.\n", encoding="utf-8")
    result = runner.invoke(app, ["notes", "extract-file", str(note), "--context-rules", str(rules)])
    said = _said(result)
    assert result.exit_code == 1
    assert f"rule file {rules}, line 2: not JSON:" in said
