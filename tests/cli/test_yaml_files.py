"""A study file or rule file that is not UTF-8 or not YAML: file, line and what is wrong (hardening24).

Before, ``study run`` said Python's codec message (``'utf-8' codec can't decode byte 0xe9 in
position 27: invalid continuation byte``) or the parser's several-line text with no line of its
own, and ``notes extract-file``/``notes extract --target-rules`` with a Latin-1 rule file
ended in a traceback (the UnicodeDecodeError was not caught).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from calciscope.cli.app import app
from calciscope.errors import CatalogueError, ValidationError
from calciscope.extract.rules import load_rules
from calciscope.interop.redcap.mapping import load_mapping
from calciscope.yamltext import load_yaml, parse_yaml

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


# hardening34: a key written twice, and a date that does not exist written in flow style.

_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # SYNTHETIC: two index dates, typed a screen apart; YAML kept the second without a word
        (
            "title: x\npopulation:\n  index_date: 2023-12-31\n  ssc_by: criteria\n"
            "  index_date: 2024-06-30\n",
            "study.yaml, line 5, field 'index_date': the key 'index_date' is written twice in "
            "this mapping (lines 3 and 5)",
        ),
        # the same in flow style, on one line
        (
            "title: x\npopulation: {index_date: 2023-12-31, index_date: 2024-06-30}\n",
            "study.yaml, line 2, field 'index_date': the key 'index_date' is written twice in "
            "this mapping (line 2)",
        ),
        # a date that does not exist, in flow style: its line and key
        (
            "title: x\npopulation: {index_date: 2024-02-30}\n",
            "study.yaml, line 2, field 'index_date': 2024-02-30 is not a date",
        ),
        # ... and inside a [ ] list: the list's key
        (
            "title: x\n\ndates: [2024-01-31, 2024-02-30]\n",
            "study.yaml, line 3, field 'dates': 2024-02-30 is not a date",
        ),
    ],
)
def test_a_study_file_with_a_key_twice_or_a_flow_date_names_line_and_key(tmp_path, raw, expected):
    study = tmp_path / "study.yaml"
    study.write_text(raw, encoding="utf-8")
    said = _said(result := _study_run(tmp_path, study))
    assert result.exit_code == 1
    assert expected in said


def test_a_rule_file_with_a_key_twice_is_refused_naming_both_lines(tmp_path):
    rules = tmp_path / "targets.yaml"
    rules.write_text(
        "targets:\n  - literal: calcinosis\n    category: CALCINOSIS\n    literal: calcinoses\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        load_rules(targets=rules)
    assert (
        f"rule file {rules}, line 4, field 'literal': the key 'literal' is written twice in "
        "this mapping (lines 2 and 4)"
    ) in str(caught.value)


def test_a_redcap_mapping_with_a_key_twice_is_refused(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "record_id: record_id\npatient:\n  sex: sex\n  sex: gender\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as caught:
        load_mapping(mapping)
    (problem,) = caught.value.problems
    assert (problem.source, problem.location, problem.field) == (str(mapping), "line 4", "sex")
    assert "(lines 3 and 4)" in problem.message


def test_merge_keys_and_the_same_key_in_two_mappings_are_not_repeats():
    text = "base: &b {k: 1}\nover:\n  <<: *b\n  k: 2\nother: {k: 3}\n"
    assert parse_yaml(text, source="s.yaml") == {
        "base": {"k": 1},
        "over": {"k": 2},
        "other": {"k": 3},
    }


def _shipped_yaml():
    files = [p for top in ("src", "tests", "docs") for p in sorted((_ROOT / top).rglob("*.y*ml"))]
    blocks = [
        (f"{md.name} block {i}", m[1])
        for md in [*sorted((_ROOT / "docs").glob("*.md")), _ROOT / "README.md"]
        for i, m in enumerate(re.finditer(r"```ya?ml\n(.*?)```", md.read_text("utf-8"), re.S))
    ]
    return [(str(p.relative_to(_ROOT)), p.read_text("utf-8")) for p in files] + blocks


def test_no_shipped_yaml_writes_a_key_twice_or_a_date_that_does_not_exist():
    shipped = _shipped_yaml()
    assert (
        len(shipped) >= 17
    )  # the packaged rule, criteria and feature files and the docs' examples
    # libyaml's loader, as the rule files are read with (the pure-Python parser refuses
    # their flow item ``{word: ulcers?}``)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for source, text in shipped:
        parse_yaml(text, source=source, loader=loader)  # raises, naming file, line and key


# hardening35: keys compared as their readers take them (text), keys YAML reads as no text.


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        # every reader takes a key as str(key): 1, "1" and 01 are one key
        ('values:\n  1: present\n  "1": absent\n', "line 3", "1", "(lines 2 and 3)"),
        ("values:\n  1: present\n  01: absent\n", "line 3", "1", "1 and 01 are one key"),
        ('values:\n  "1.5": present\n  1.50: absent\n', "line 3", "1.5", "(lines 2 and 3"),
        # YAML 1.1 reads yes, no, on, true as booleans: a reader saw "True", never "yes"
        ("values:\n  yes: present\n  no: absent\n", "line 2", "yes", 'quote it ("yes":)'),
        ("values:\n  true: present\n", "line 2", "true", "read by YAML as a boolean"),
        ("values:\n  ~: present\n", "line 2", "~", "null (no value)"),
        ("{null: 1}\n", "line 1", "null", "null (no value)"),
    ],
)
def test_keys_are_compared_as_text_and_boolean_keys_refused(text, line, field, words):
    with pytest.raises(ValidationError) as caught:
        parse_yaml(text, source="m.yaml")
    (problem,) = caught.value.problems
    assert (problem.source, problem.location, problem.field) == ("m.yaml", line, field)
    assert words in problem.message, problem.message


def test_quoted_yes_and_distinct_numbers_are_keys():
    text = 'values:\n  "yes": present\n  "no": absent\n  1: a\n  2: b\n  1.5: c\n'
    assert parse_yaml(text, source="m.yaml") == {
        "values": {"yes": "present", "no": "absent", 1: "a", 2: "b", 1.5: "c"}
    }


def test_a_redcap_mapping_with_a_yes_key_names_its_file_and_line(tmp_path):
    # SYNTHETIC: a text field answered yes/no, mapped with unquoted keys (read as "True")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "record_id: record_id\nfields:\n  raynaud:\n    concept: raynaud_phenomenon\n"
        "    values:\n      yes: present\n      no: absent\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_mapping(mapping)
    (problem,) = caught.value.problems
    assert (problem.source, problem.location, problem.field) == (str(mapping), "line 6", "yes")


def test_rule_files_read_yes_as_a_word_and_refuse_true(tmp_path):
    # the rule files' loader reads only true/false as booleans: `no:` is a word there
    from calciscope.extract.rule_files import _RuleLoader

    assert parse_yaml("words: {no: 1}\n", source="r.yaml", loader=_RuleLoader) == {
        "words": {"no": 1}
    }
    with pytest.raises(ValidationError, match="read by YAML as a boolean"):
        parse_yaml("words: {true: 1}\n", source="r.yaml", loader=_RuleLoader)
