"""A CSV header naming one column twice, or no header at all, is refused naming file, row, field.

``csv.DictReader`` keeps the last cell of a repeated name and drops the first without a word:
``patient_id,sex,centre,sex`` imported the second ``sex`` (fixes23). Every reader of a
hand-written CSV reads through :func:`calciscope.interop.csvtext.strict_rows`, which makes the
check itself when it reads the header (hardening24), so no reader can forget it.
"""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.csvtext import StrictDictReader, repeated_columns, strict_rows
from calciscope.interop.images.index import read_mapping
from calciscope.interop.images.readings import read_readings


def _said(result) -> str:
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_the_problem_names_the_column_and_its_places():
    (problem,) = repeated_columns("p.csv", ["patient_id", "sex", "centre", " sex", "", ""])
    assert (problem.source, problem.location, problem.field) == ("p.csv", "row 1", "sex")
    assert "2 times (columns 2, 4)" in problem.message
    assert repeated_columns("p.csv", ["a", "b", "", ""]) == []  # blank trailing columns


def test_the_strict_parser_refuses_a_repeated_column_before_any_row():
    text = "\n\npatient_id,sex, sex\nX1,female,male\n"  # blank rows before the header
    with pytest.raises(ValidationError) as caught:
        StrictDictReader(io.StringIO(text), "p.csv", summary="cannot read p.csv")
    (problem,) = caught.value.problems
    assert (problem.source, problem.location, problem.field) == ("p.csv", "row 1", "sex")
    assert caught.value.summary == "cannot read p.csv"
    rows = strict_rows(io.StringIO(text), "p.csv")
    assert next(rows) == (1, [])  # blank rows come before the header, as read
    with pytest.raises(ValidationError, match="names this column 2 times"):
        list(rows)
    with pytest.raises(ValidationError, match="columns 1, 2"):
        next(strict_rows(io.StringIO("X1,a\n"), "p.csv", header=["a", "a"]))
    # one name and blank trailing columns: read as before
    reader = StrictDictReader(io.StringIO("a,b,,\n1,2,,\n"), "p.csv")
    assert reader.fieldnames == ["a", "b", "", ""] and len(list(reader)) == 1


def test_the_photo_sidecar_and_omop_vocabulary_refuse_a_repeated_column(tmp_path):
    from calciscope.interop.images.photo import SIDECAR_NAME, read_sidecar
    from calciscope.interop.omop.vocabulary import load_vocabulary

    (tmp_path / SIDECAR_NAME).write_text(
        "file,patient_id,patient_id\na.png,P1,P2\n", encoding="utf-8"
    )
    rows, problems = read_sidecar(tmp_path)
    assert rows == {} and [(p.location, p.field) for p in problems] == [("row 1", "patient_id")]
    concept = tmp_path / "CONCEPT.csv"  # tab-separated, as Athena writes it (no check before)
    concept.write_text(
        "concept_id\tvocabulary_id\tconcept_code\tconcept_code\n1\tSNOMED\t123\t456\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_vocabulary(concept)
    assert [p.field for p in caught.value.problems] == ["concept_code"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # SYNTHETIC rows; the second sex would have won, silently
        ("patients.csv", "patient_id,sex,centre,sex\nX1,female,c,male\n"),
        (
            "facts.csv",
            "patient_id,system,code,status,effective_date,status\n"
            "X1,HP,HP:0003761,present,2020-01-01,absent\n",
        ),
    ],
)
def test_a_native_csv_naming_a_column_twice_is_refused(tmp_path, name, text):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\n", encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    said = _said(result)
    assert result.exit_code == 1 and "nothing was written" in said
    column = "sex" if name == "patients.csv" else "status"
    assert f"{name}, row 1, field '{column}': the header names this column 2 times" in said
    assert api.open_registry(url).counts()["patients"] == 0


def test_a_redcap_export_naming_a_field_twice_is_refused(data_dir, tmp_path):
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "decimal-dot")
    lines = (project / "data.csv").read_text(encoding="utf-8").splitlines()
    first = lines[0].split(",")[1]
    lines = [lines[0] + f",{first}"] + [line + ",x" for line in lines[1:]]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(
        app,
        ["import", "redcap", str(tmp_path / "data.csv"), "--dictionary",
         str(project / "dictionary.csv"), "--db", url],
    )  # fmt: skip
    said = _said(result)
    assert result.exit_code == 1 and f"data.csv, row 1, field '{first}'" in said
    assert api.open_registry(url).counts()["patients"] == 0


def test_image_csvs_naming_a_column_twice_are_refused(tmp_path):
    mapping = tmp_path / "ids.csv"
    mapping.write_text("dicom_patient_id,patient_id,patient_id\nD1,P1,P2\n", encoding="utf-8")
    ids, problems = read_mapping(mapping)
    assert ids == {} and [p.field for p in problems] == ["patient_id"]
    readings = tmp_path / "readings.csv"
    readings.write_text("image_id,reader,reader,region\n1,a,b,hand\n", encoding="utf-8")
    found, problems = read_readings(readings)
    assert found == [] and [(p.location, p.field) for p in problems] == [("row 1", "reader")]


def test_the_spreadsheet_calculator_and_extract_file_refuse_a_repeated_column(tmp_path):
    sheet = tmp_path / "patients.csv"
    sheet.write_text("patient_id,skin_thickening,skin_thickening\nX1,yes,no\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        api.score_spreadsheet(sheet)
    assert [p.field for p in caught.value.problems] == ["skin_thickening"]
    notes = tmp_path / "notes.csv"
    notes.write_text("note_id,text,text\nN1,calcinosis,no calcinosis\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        api.extract_file(notes, io.StringIO())
    assert [p.field for p in caught.value.problems] == ["text"]


@pytest.mark.parametrize("empty", ["patients.csv", "facts.csv"])
def test_an_empty_native_csv_is_refused_a_header_only_one_is_no_rows(tmp_path, empty):
    # a 0-byte file (a failed export) was imported as "0 patients" with an import batch
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\n", encoding="utf-8")
    (folder / "facts.csv").write_text("patient_id,system,code,status\n", encoding="utf-8")
    (folder / empty).write_bytes(b"")
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    said = _said(result)
    assert result.exit_code == 1 and f"{empty}, row 1, field '(file)': the file is empty" in said
    assert api.open_registry(url).counts()["patients"] == 0
    (folder / empty).write_text(
        "patient_id,sex\n" if empty == "patients.csv" else "patient_id,system,code,status\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    assert result.exit_code == 0, result.output
