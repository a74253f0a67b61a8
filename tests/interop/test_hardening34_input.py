"""Bad input typed by hand: a quote left open, an unreadable patients.csv (hardening34).

Every file here is SYNTHETIC, typed as a user would in a text editor; each test checks the
message names the file, the row (or line) and the field.
"""

from __future__ import annotations

from typer.testing import CliRunner

from calciscope.cli.app import app

runner = CliRunner()

_PATIENTS = "patient_id,sex,birth_date\nP1,female,1960-01-01\nP2,male,1961-05-02\n"


def _import_folder(tmp_path, patients: str, facts: str) -> str:
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text(patients, encoding="utf-8")
    (folder / "facts.csv").write_text(facts, encoding="utf-8")
    result = runner.invoke(
        app, ["import", "demo", str(folder), "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    return " ".join(result.output.split())


def test_a_quote_left_open_is_named_by_the_row_it_opens_in(tmp_path):
    facts = (
        "patient_id,system,code,status,effective_date\n"
        "P1,HP,HP:0033560,present,2020-01-01\n"
        'P1,HP,"HP:0003761,present,2020-01-01\n'  # row 3: the quote is never closed
        "P2,HP,HP:0033560,present,2021-03-04\n"
        "P2,HP,HP:0003761,absent,2021-03-04\n"
    )
    said = _import_folder(tmp_path, _PATIENTS, facts)
    assert "facts.csv, row 3, field '(file)': a quoted cell is never closed" in said
    assert "(the quote opens in row 3; the file ends at line 5 with it open)" in said


def test_a_stray_quote_closed_by_a_later_one_names_both_rows(tmp_path):
    facts = (
        "patient_id,system,code,status,effective_date,value_text\n"
        'P1,HP,HP:0033560,present,2020-01-01,"elbow\n'  # row 2: a stray quote
        "P1,HP,HP:0003761,present,2020-01-01,knee\n"
        'P2,HP,HP:0033560,present,2021-03-04,"left" hand\n'  # row 4 closes it
    )
    said = _import_folder(tmp_path, _PATIENTS, facts)
    assert "facts.csv, row 2, field '(file)'" in said
    assert "a quote opened in row 2 runs to line 4" in said


def test_an_unreadable_patients_csv_is_said_once_not_as_every_fact_s_unknown_patient(tmp_path):
    patients = (
        "patient_id,sex,birth_date,sex\nP1,female,1960-01-01,female\nP2,male,1961-05-02,male\n"
    )
    facts = "patient_id,system,code,status,effective_date\n" + "".join(
        f"P{1 + i % 2},HP,HP:0033560,present,2020-01-{1 + i:02d}\n" for i in range(12)
    )
    said = _import_folder(tmp_path, patients, facts)
    assert "2 problem(s); nothing was written" in said
    assert "patients.csv, row 1, field 'sex': the header names this column 2 times" in said
    assert (
        "patients.csv, -, field 'patient_id': facts.csv: patient ids not checked against the "
        "patients, because patients.csv could not be read"
    ) in said
    assert "unknown patient" not in said


def test_a_readable_patients_csv_still_names_each_unknown_patient(tmp_path):
    facts = (
        "patient_id,system,code,status,effective_date\n"
        "P1,HP,HP:0033560,present,2020-01-01\n"
        "P9,HP,HP:0033560,present,2020-01-01\n"
    )
    said = _import_folder(tmp_path, _PATIENTS, facts)
    assert "facts.csv, row 3, field 'patient_id': unknown patient 'P9'" in said
