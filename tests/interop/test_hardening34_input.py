"""Bad input typed by hand: a quote left open, an unreadable patients.csv (hardening34).

Every file here is SYNTHETIC, typed as a user would in a text editor; each test checks the
message names the file, the row (or line) and the field.
"""

from __future__ import annotations

import pytest
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


# REDCap: one check for stray quotes in free text, the reader's key the record id

_DICTIONARY = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"\n'
    'record_id,visit,,text,"Record ID",,,,,,,,,,,,,\n'
    "visit_date,visit,,text,Date,,,date_ymd,,,,,,,,,,\n"
    "comments,visit,,notes,Comments,,,,,,,,,,,,,\n"
)


def _import_redcap(tmp_path, records: str, dictionary: str = _DICTIONARY) -> tuple[str, int]:
    (tmp_path / "data.csv").write_text(records, encoding="utf-8")
    (tmp_path / "dictionary.csv").write_text(dictionary, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "import", "redcap", str(tmp_path / "data.csv"),
            "--dictionary", str(tmp_path / "dictionary.csv"),
            "--db", f"sqlite:///{tmp_path / 'r.db'}",
        ],
    )  # fmt: skip
    assert "Traceback" not in result.output
    return " ".join(result.output.split()), result.exit_code


def test_stray_quotes_in_a_redcap_notes_field_with_digit_record_ids_are_refused(tmp_path):
    # SYNTHETIC: a stray '"' opens record 2's comments; the one in record 4's closes it, and
    # record 3 became text of record 2's comments (imported as three records, without a word)
    records = (
        "record_id,visit_date,comments,visit_complete\n"
        "1,2020-01-05,Calcinosis at the left elbow,2\n"
        '2,2020-02-06,"Fingertip ulcer,2\n'
        "3,2020-03-07,No calcinosis,2\n"
        '4,2020-04-08,Stable",2\n'
    )
    said, code = _import_redcap(tmp_path, records)
    assert code == 1
    assert (
        "data.csv, row 3, field 'comments': the text of column 'comments' runs from row 3" in said
    )
    assert "(row 4) reads as a row of its own" in said


def test_a_redcap_note_written_over_lines_is_read_as_written(tmp_path):
    records = (
        "record_id,visit_date,comments,visit_complete\n"
        '1,2020-01-05,"Dear Dr A,\n2, aspirin 100 mg\nCalcinosis at the elbow",2\n'
        "2,2020-02-06,Stable,2\n"
    )
    said, code = _import_redcap(tmp_path, records)
    assert code == 0, said
    assert "reads as a row" not in said


def test_stray_quotes_in_text_before_the_key_column_are_refused(tmp_path):
    # SYNTHETIC notes CSV whose text comes before its id: N2 became a line of N1's text
    notes = tmp_path / "notes.csv"
    notes.write_text(
        'text,note_id\n"Calcinosis at the left elbow,N1\nNo calcinosis today,N2\nStable",N3\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["notes", "extract-file", str(notes)])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in said
    assert "notes.csv, row 2, field 'text': the text of column 'text' runs from row 2" in said
    assert "'No calcinosis today,N2' (row 3) reads as a row of its own" in said


# typed by a new user: a semicolon-separated file, a date written day first


def test_a_semicolon_separated_patients_csv_says_so(tmp_path):
    patients = "patient_id;sex;birth_date\nP1;female;1960-01-01\n"
    facts = "patient_id,system,code,status,effective_date\n"
    said = _import_folder(tmp_path, patients, facts)
    assert (
        "patients.csv, row 1, field 'patient_id;sex;birth_date': unknown column; expected some of"
    ) in said
    assert "the header is one cell holding semicolons: the file is not comma-separated" in said


def test_a_date_written_day_first_says_year_first(tmp_path):
    facts = (
        "patient_id,system,code,status,effective_date\n"
        "P1,HP,HP:0033560,present,2020-01-05\n"
        "P1,HP,HP:0003761,present,31/02/2020\n"
    )
    said = _import_folder(tmp_path, _PATIENTS, facts)
    assert (
        "facts.csv, row 3, field 'effective_date': Value error, '31/02/2020' is not a date: "
        "expected YYYY-MM-DD, the year first"
    ) in said


# fix35 (review 35 H1): a person's lines in a REDCap note are no rows. A line is a row only
# when its cells are shaped as the row's as the file writes them (no space after a comma),
# with exact shapes (hardening34's "one in four may differ" is gone), and a key of digits
# alone needs two cells before the text (review 27), never the cells after it.

_NOTES_ONLY = "\n".join(_DICTIONARY.splitlines()[:2] + _DICTIONARY.splitlines()[3:]) + "\n"


_WIDE = (
    _DICTIONARY.splitlines()[0]
    + "\n"
    + "".join(
        f"{name},visit,,{kind},{name},,,{check},,,,,,,,,,\n"
        for name, kind, check in [
            ("record_id", "text", ""),
            ("visit_date", "text", "date_ymd"),
            *((name, "text", "integer") for name in ("mrss", "du", "ck", "fvc", "dlco")),
            ("crp", "text", "number"),
            ("weight", "text", "number"),
            ("comments", "notes", ""),
        ]
    )
)


_DU = (
    "\n".join(_DICTIONARY.splitlines()[:2])
    + "\ndu,visit,,text,du,,,integer,,,,,,,,,,\ncomments,visit,,notes,Comments,,,,,,,,,,,,,\n"
)


@pytest.mark.parametrize(
    ("records", "dictionary"),
    [
        # a wide form, a line of earlier results pasted (its CK differs from the row's: the
        # one-in-four loosening took it for a row)
        (
            "record_id,visit_date,mrss,du,ck,fvc,dlco,crp,weight,comments,visit_complete\n"
            '3,2020-01-05,12,1,95,78,55,4.2,61.5,"Earlier results:\n'
            '2, 2019-01-03, 14, 2, 120, 80, 58, 5.1, 63.0, improving\nstable",2\n'
            "4,2020-02-06,8,0,80,90,70,1.0,70.2,Stable,2\n",
            _WIDE,
        ),
        # a line of digits a person wrote ("digits affected: 2, 3, 4")
        (
            'record_id,comments,visit_complete\n1,"Ulcers on fingers\n2, 3, 4\nall healing",2\n'
            "2,Stable,2\n",
            _NOTES_ONLY,
        ),
        (
            'record_id,comments,visit_complete\n15,"Seen today\n12, 3, 4\nok",2\n16,x,2\n',
            _NOTES_ONLY,
        ),
        # custom lettered ids: a letter naming another record, in the middle and as last line
        (
            'record_id,comments,visit_complete\nP0013,"Letter:\nP0012, seen today, 3\nend",2\n'
            "P0014,Stable,2\n",
            _NOTES_ONLY,
        ),
        (
            'record_id,comments,visit_complete\nP0013,"Letter:\nP0012, seen today, 3 lesions",2\n'
            "P0014,Stable,2\n",
            _NOTES_ONLY,
        ),
        # a table of earlier visits pasted into the note
        (
            "record_id,visit_date,comments,visit_complete\n"
            '1,2020-01-05,"Previous visits:\n1, 2019-06-01, DU healed\n1, 2019-11-02, new DU\n'
            'plan",2\n2,2020-02-06,Stable,2\n',
            _DICTIONARY,
        ),
        (
            'record_id,du,comments,visit_complete\n3,2,"Count:\n4, 1, healed\nend",2\n'
            "4,0,Stable,2\n",
            _DU,
        ),
    ],
)
def test_a_person_s_lines_in_a_redcap_note_are_read_as_written(tmp_path, records, dictionary):
    said, code = _import_redcap(tmp_path, records, dictionary)
    assert code == 0, said
    assert "reads as a row" not in said


def test_a_lettered_record_written_whole_inside_a_note_is_still_refused(tmp_path):
    # SYNTHETIC: a stray '"' in P2's comments pairs with one in P4's: P3 became a line
    records = (
        "record_id,comments,visit_complete\n"
        'P1,ok,2\nP2,"Fingertip ulcer,2\nP3,No calcinosis,2\nP4,Stable",2\n'
    )
    said, code = _import_redcap(tmp_path, records, _NOTES_ONLY)
    assert code == 1
    assert "'P3,No calcinosis,2' (row 4) reads as a row of its own" in said
