"""Stray quotes in free text (a note's text, a fact's value_text): read as written or refused.

Never silently merged rows (hardening24). The decision:

- a lone ``"`` inside an unquoted cell (``she said "no``) is read as written: a quote opens a
  quoted cell only as a cell's first character;
- a cell that opens with ``"`` and goes on after its closing quote is refused naming the row;
- two stray quotes paired over rows in a free-text column, which make one cell of the rows
  between, are refused naming the rows when a line of that text reads as a row of its own
  (the cells up to the text shaped as the row's own, the key's letters as written: ``N2``
  beside ``N1``, not ``D2`` or ``Ro52``; a key of digits alone needs more cells than the key
  before the text: review 27); a note written over several lines in a quoted cell is read
  as written.

All rows SYNTHETIC.
"""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.csvtext import strict_rows


def _docs(tmp_path, text: str, name: str = "notes.csv") -> list[dict]:
    notes = tmp_path / name
    notes.write_text(text, encoding="utf-8")
    out = io.StringIO()
    api.extract_file(notes, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _refused(tmp_path, text: str, name: str = "notes.csv"):
    with pytest.raises(ValidationError) as caught:
        _docs(tmp_path, text, name)
    assert caught.value.summary == f"cannot read {name}"
    (problem,) = caught.value.problems
    return problem


def test_a_lone_quote_inside_a_note_s_text_is_read_as_written(tmp_path):
    text = (
        "note_id,text\n"
        'N1,She said "calcinosis at the left elbow\n'
        "N2,No calcinosis of the hands.\n"
        "N3,Calcinosis at the right knee.\n"
    )
    found = _docs(tmp_path, text)
    assert {m["doc_id"] for m in found} == {"N1", "N2", "N3"}  # no row swallowed


def test_a_quoted_cell_going_on_after_its_quote_is_refused_naming_the_row(tmp_path):
    text = 'note_id,text\nN1,ok\nN2,"Calcinosis" at the left elbow\nN3,x\n'
    problem = _refused(tmp_path, text)
    assert (problem.location, problem.field) == ("row 3", "(file)")
    assert "',' expected after '\"'" in problem.message


@pytest.mark.parametrize(
    ("text", "row", "inside"),
    [
        # the text last: N2 became the second line of N1's text, N3 was read
        (
            'note_id,text\nN1,"Calcinosis at the left elbow\nN2,no calcinosis today"\nN3,ok\n',
            2,
            "row 3",
        ),
        # a padded numeric id, a patient and a date before the text
        (
            "id,patient_id,note_date,text\n"
            "0041,P1,2020-01-01,ok\n"
            '0042,P1,2020-02-01,"Calcinosis, left elbow\n'
            "0043,P1,2020-03-01,No change\n"
            '0044,P1,2020-04-01,Stable"\n',
            3,
            "row 4",
        ),
    ],
)
def test_stray_quotes_paired_over_note_rows_are_refused_naming_the_rows(
    tmp_path, text, row, inside
):
    problem = _refused(tmp_path, text)
    assert (problem.location, problem.field) == (f"row {row}", "text")
    assert f"runs from row {row} to row" in problem.message
    assert f"({inside}) reads as a row of its own" in problem.message


def test_the_same_pair_in_a_tsv_is_refused_too(tmp_path):
    text = 'note_id\ttext\nN1\t"Calcinosis\nN2\tno calcinosis"\n'
    problem = _refused(tmp_path, text, "notes.tsv")
    assert problem.location == "row 2" and "(row 3) reads as a row" in problem.message


@pytest.mark.parametrize(
    "body",
    [
        # a letter written over lines, quoted as every spreadsheet writes it
        '"Dear Dr A,\nCalcinosis at the left elbow, 2 mm.\nPlan: x-ray, bloods, review"',
        # a line of the letter begins with a number and a comma: not shaped as the id "N1"
        '"Calcinosis deposits measured:\n12, 14 and 16 mm at the elbow"',
        # review 27: a line begins with a token of a letter and digits, not the id's letter
        '"Hands X-ray:\nD2, D3 tuft calcinosis\nno other findings"',
        '"Antibodies:\nANA, Ro52, Scl70, Jo1, PM-Scl\nCalcinosis at the elbow"',
    ],
)
def test_a_note_written_over_lines_is_read_as_written(tmp_path, body):
    found = _docs(tmp_path, f"note_id,text\nN1,{body}\nN2,Calcinosis at the right knee.\n")
    assert {m["doc_id"] for m in found} == {"N1", "N2"}


def test_the_key_needs_the_row_s_cells_up_to_the_text(tmp_path):
    # "N2" alone on a line has fewer cells than the row up to the text: read as written
    text = 'note_id,text\nN1,"a\nN2\nb"\n'
    rows = list(
        strict_rows(io.StringIO(text), "n.csv", single_line=lambda c: c != "text", key="note_id")
    )
    assert rows[1] == (2, ["N1", "a\nN2\nb"])


def test_stray_quotes_paired_over_fact_rows_are_refused_naming_the_rows(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\nX2,male\n")
    header = "patient_id,system,code,status,effective_date,value_text\n"
    (folder / "facts.csv").write_text(
        header
        + 'X1,HP,HP:0003761,present,2020-01-01,"seen at the elbow\n'
        + 'X2,HP,HP:0003761,absent,2020-02-01,not seen"\n'
    )
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in said
    assert "facts.csv, row 2, field 'value_text': the text of column 'value_text' runs" in said
    assert "(row 3) reads as a row of its own" in said
    assert api.open_registry(url).counts()["patients"] == 0
    # the same text over lines without a row inside it is imported as written
    (folder / "facts.csv").write_text(
        header
        + 'X1,HP,HP:0003761,present,2020-01-01,"seen at the elbow\nand the knee"\n'
        + "X2,HP,HP:0003761,absent,2020-02-01,not seen\n"
    )
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    assert result.exit_code == 0, result.output
    assert api.open_registry(url).counts()["facts"] == 2


@pytest.mark.parametrize(
    "text",
    [
        # review 27: numeric ids and only the id before the text: a line "2, aspirin" or a
        # decimal comma cannot tell a row, so it is read as written
        'id,text\n1,"Medications:\n2, aspirin, 100 mg, daily\nCalcinosis at the elbow"\n',
        # cells before the text shaped unlike the row's own (decimal commas in a lab line)
        "id,patient_id,note_date,text\n"
        '3,P001,2024-01-02,"Labs:\n5,2 g/dl albumin; CRP 1,3; Hb 12,1\nNo calcinosis."\n',
        # an id of letters and digits, text lines starting with other letters and digits
        "note_id,patient_id,note_date,text\n"
        'RX1,P001,2024-01-02,"Hand radiograph:\nD2, D3, D4, D5 tuft calcinosis.\n'
        'Spine: T12, L1 unremarkable."\n',
    ],
)
def test_legitimate_text_over_lines_is_read_as_written(tmp_path, text):
    found = _docs(tmp_path, text)
    assert found and all(m["doc_id"] in {"1", "3", "RX1"} for m in found)


def test_a_fact_s_text_over_lines_naming_antibodies_is_imported(tmp_path):
    """review 27: "Ro52" in a fact's text was shaped as the patient id "X1" and refused."""
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nX1,female\n")
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date,value_text\n"
        'X1,HP,HP:0003761,present,2020-01-01,"antibody panel:\n'
        'ANA, Ro52, Scl70, Jo1, PM-Scl, CENP-B, RNA-pol3, Ku"\n'
    )
    url = f"sqlite:///{tmp_path}/registry.db"
    result = CliRunner().invoke(app, ["import", "demo", str(folder), "--db", url])
    assert result.exit_code == 0, result.output
    assert api.open_registry(url).counts()["facts"] == 1
