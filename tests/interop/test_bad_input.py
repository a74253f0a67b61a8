"""Inputs that used to crash (issue 15): each is a problem naming the file, exit code 1, no change."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.jsontext import MAX_DEPTH, load_json, parse_json

PACKET = {
    "id": "P1",
    "subject": {"id": "P1", "sex": "FEMALE"},
    "phenotypicFeatures": [{"type": {"id": "HP:0003761", "label": "Calcinosis"}}],
    "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
}
#: A phenopacket measurement whose value the test replaces with raw JSON text.
MEASUREMENT = (
    ', "measurements": [{"assay": {"id": "LOINC:2157-6", "label": "CK"}, "value": {"quantity":'
    ' {"unit": {"id": "UCUM:U/L", "label": "U/L"}, "value": VALUE}}}]}'
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested more than"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than"),
        ('{"n": ' + "9" * 4400 + "}", "more than 4,300 digits"),
        ('{"n": Infinity}', "Infinity is not a JSON number"),
        ('{"n": -Infinity}', "-Infinity is not a JSON number"),
        ('{"n": NaN}', "NaN is not a JSON number"),
        ('{"n": 1e999}', "too large for a 64-bit float"),
        ('{"n": 1', "not valid JSON"),
    ],
)
def test_json_that_python_cannot_hold_is_a_problem(text, message):
    with pytest.raises(ValidationError, match=message) as caught:
        parse_json(text, source="in.json")
    assert caught.value.problems[0].source == "in.json"


def test_strict_json_still_reads_ordinary_documents(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"a": [1, 2.5, "x", None, {"b": True}]}), encoding="utf-8")
    assert load_json(path) == {"a": [1, 2.5, "x", None, {"b": True}]}
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ValidationError, match=r"line 1.*byte 0xff is not UTF-8"):
        load_json(path)


def _invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(
    ("command", "value"),
    [
        ("phenopackets", "Infinity"),
        ("phenopackets", "1e999"),
        ("phenopackets", "9" * 4400),
        ("phenopackets", "[" * 200_000 + "]" * 200_000),
        ("fhir", "[" * 200_000 + "]" * 200_000),
    ],
)
def test_cli_refuses_unreadable_json_by_file_and_changes_nothing(tmp_path, command, value):
    url = f"sqlite:///{tmp_path}/registry.db"
    assert (
        _invoke("import", "phenopackets", _packet(tmp_path, "good.json"), "--db", url).exit_code
        == 0
    )
    before = api.open_registry(url).counts()
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(PACKET | {"id": "P2"})[:-1] + MEASUREMENT.replace("VALUE", value),
        encoding="utf-8",
    )
    result = _invoke("import", command, path, "--db", url)
    assert result.exit_code == 1 and str(path) in result.output
    assert api.open_registry(url).counts() == before


def _packet(tmp_path, name, **changes):
    path = tmp_path / name
    path.write_text(json.dumps(PACKET | changes), encoding="utf-8")
    return path


def _nul_packet(tmp_path):
    packet = json.loads(json.dumps(PACKET))
    packet["phenotypicFeatures"][0]["description"] = "sheet\u0000like"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    return path


def test_a_nul_character_is_refused_naming_the_field(tmp_path):
    url = f"sqlite:///{tmp_path}/registry.db"
    result = _invoke("import", "phenopackets", _nul_packet(tmp_path), "--db", url)
    assert result.exit_code == 1 and "NUL" in result.output and "value_text" in result.output
    assert api.open_registry(url).counts()["patients"] == 0


@pytest.mark.postgres
def test_a_nul_character_is_refused_on_postgresql(tmp_path, postgres_database):
    url = postgres_database()
    result = _invoke("import", "phenopackets", _nul_packet(tmp_path), "--db", url)
    assert result.exit_code == 1 and "NUL" in result.output
    registry = api.open_registry(url)
    try:
        assert registry.counts()["patients"] == 0
    finally:
        registry.close()


def test_redcap_row_with_more_cells_than_the_header(data_dir, tmp_path):
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "simple")
    lines = (project / "data.csv").read_text(encoding="utf-8").splitlines()
    lines[2] += ",extra"
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = _invoke(
        "import", "redcap", tmp_path / "data.csv", "--dictionary", project / "dictionary.csv",
        "--db", url,
    )  # fmt: skip
    assert (
        result.exit_code == 1
        and "data.csv, row " in result.output
        and "more cells" in result.output
    )


_FACTS = "patient_id,system,code,status,effective_date,value_text\n"


@pytest.mark.parametrize(
    ("name", "text", "row"),
    [
        # SYNTHETIC rows. A quote left open took every later row into one cell, silently: the
        # import wrote one fact where the file had three (fixes22)
        (
            "facts.csv",
            _FACTS + 'X1,HP,HP:0003761,present,2020-01-01,"open\n'
            "X1,HP,HP:0001072,present,2020-01-01,\nX1,HP,HP:0011838,present,2020-01-01,\n",
            2,
        ),
        ("facts.csv", _FACTS + 'X1,HP,HP:0003761,present,2020-01-01,"open\n', 2),
        (
            "patients.csv",
            'patient_id,sex,centre\nX1,female,c\nX2,female,"open\nX3,male,c\n',
            3,
        ),
    ],
)
def test_a_native_csv_with_a_quote_left_open_is_refused_by_row(tmp_path, name, text, row):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\n", encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = _invoke("import", "demo", folder, "--db", url)
    assert result.exit_code == 1 and "nothing was written" in result.output
    assert f"{name}, row {row}, field '(file)': a quoted cell is never closed" in " ".join(
        result.output.split()
    )
    assert api.open_registry(url).counts()["patients"] == 0


def test_redcap_export_with_a_quote_left_open_is_refused_by_line(data_dir, tmp_path):
    # REDCapR's decimal-dot project with a quote opened before "Rich": records 3 and 4 were
    # read into Rich's name and not imported, without a word (fixes22)
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "decimal-dot")
    text = (project / "data.csv").read_text(encoding="utf-8").replace(",Rich,", ',"Rich,', 1)
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = _invoke(
        "import", "redcap", tmp_path / "data.csv", "--dictionary", project / "dictionary.csv",
        "--db", url,
    )  # fmt: skip
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "data.csv, row 3" in said
    assert "a quoted cell is never closed" in said
    assert api.open_registry(url).counts()["patients"] == 0
