"""realfiles11: bugs found by importing the real files of ../shared/data and hand-typed mutants.

Each test builds its mutant from a real file (skipped when ../shared/data is absent) or from a
few hand-typed CDM rows, and goes through the command line where the bug showed there.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import warnings
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app
from calciscope.errors import Problem, ValidationError
from calciscope.interop.omop import load_concept_set, open_cdm
from calciscope.interop.omop.reader import NO_PERSON, read_cdm
from calciscope.model import STORED, Note

runner = CliRunner()
CDM_TABLES = {
    "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n"
    "1,8532,1960,,,\n2,8507,1970,,,\n",
    "concept": "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,"
    "standard_concept,concept_code\n",
    "concept_ancestor": "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,"
    "max_levels_of_separation\n",
    "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
    "observation": "observation_id,person_id,observation_concept_id,observation_date,"
    "value_as_number,value_as_concept_id,unit_source_value\n1,1,4000,2020-01-01,,,\n",
}
NOTE_HEADER = (
    "note_id,person_id,note_date,note_datetime,note_type_concept_id,note_class_concept_id,"
    "note_title,note_text,encoding_concept_id,language_concept_id,provider_id,"
    "visit_occurrence_id,visit_detail_id,note_source_value,note_event_id,"
    "note_event_field_concept_id\n"
)
ANTI_PM_SCL = {"anti_pm_scl": load_concept_set({"items": [{"concept": {"CONCEPT_ID": 4000}}]})}


def _cdm(folder: Path, notes: str) -> Path:
    for name, text in {**CDM_TABLES, "note": NOTE_HEADER + notes}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _dump(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


def test_omop_notes_of_a_person_not_in_person_are_counted_not_dropped(tmp_path):
    """Orphan notes (a person_id PERSON lacks, or none) are counted in the summary as events are.

    An inner join dropped them without a trace; a note of a person in PERSON who has no
    concept-set event is not imported, as that person's visits are not.
    """
    folder = _cdm(
        tmp_path,
        "1,1,2019-05-01,,0,0,clinic_letter,calcinosis of the left index finger,0,0,,,,,,\n"
        "2,99,2019-05-01,,0,0,,orphan,0,0,,,,,,\n"
        "3,,2019-05-01,,0,0,,no person,0,0,,,,,,\n"
        "4,2,2019-05-01,,0,0,,no event,0,0,,,,,,\n",
    )
    result = read_cdm(open_cdm(folder), ANTI_PM_SCL)
    assert [(n.note_id, n.patient_id) for n in result.batch.notes] == [("1", "1")]
    assert result.skipped == Counter({("note", NO_PERSON): 2})


def test_omop_notes_summary_on_the_command_line(tmp_path):
    (tmp_path / "cdm").mkdir()
    folder = _cdm(
        tmp_path / "cdm",
        "1,1,2019-05-01,,0,0,,kept,0,0,,,,,,\n2,99,2019-05-01,,0,0,,orphan,0,0,,,,,,\n",
    )
    (tmp_path / "cs.json").write_text('{"items": [{"concept": {"CONCEPT_ID": 4000}}]}')
    db = tmp_path / "r.db"
    result = runner.invoke(
        app,
        [
            "import",
            "omop",
            str(folder),
            "--concept-set",
            f"anti_pm_scl={tmp_path / 'cs.json'}",
            "--db",
            f"sqlite:///{db}",
        ],
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("select note_id from notes").fetchall() == [("1",)]
    assert "person_id not in PERSON" in result.output
    row = next(line for line in result.output.splitlines() if "person_id not in PERSON" in line)
    assert "note" in row and "1" in row


@pytest.mark.parametrize(
    ("notes", "location", "field", "named"),
    [
        (
            "1,1,2019-01-01,,0,0,,a,0,0,,,,,,\n1,1,2019-01-02,,0,0,,b,0,0,,,,,,\n",
            "omop:note/1",
            "note_id",
            "NOTE row note_id 1 gives note id '1', as NOTE row note_id 1 does",
        ),
        (
            "1,1,2019-01-01,,0,0,,a,0,0,,,,N,,\n2,1,2019-01-02,,0,0,,b,0,0,,,,N,,\n",
            "omop:note/2",
            "note_source_value",
            "NOTE row note_id 2 gives note id 'N', as NOTE row note_id 1 does",
        ),
    ],
)
def test_omop_two_note_rows_of_one_note_id_are_refused_naming_both(
    tmp_path, notes, location, field, named
):
    """The registry keeps one note per id: the second row replaced the first without a word."""
    with pytest.raises(ValidationError) as caught:
        read_cdm(open_cdm(_cdm(tmp_path, notes)), ANTI_PM_SCL)
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == (location, field)
    assert problem.message.startswith(named)


def test_a_note_dated_after_today_is_refused_in_every_importer(tmp_path):
    """The facts read from a note take its date: the note imported, every fact of it failed later."""
    folder = _cdm(tmp_path, "1,1,2099-01-01,,0,0,,a,0,0,,,,,,\n")
    with pytest.raises(ValidationError) as caught:
        read_cdm(open_cdm(folder), ANTI_PM_SCL)
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == ("omop:note/1", "note_date")
    assert "after today" in problem.message
    # a note stored before the check is still read back
    stored = {"note_id": "n", "patient_id": "p", "note_date": "2099-01-01", "text": "t"}
    assert Note.model_validate(stored, context=STORED).note_date.year == 2099


def test_identical_problems_are_listed_once():
    """A REDCap form date is read for each field of its form: its problem was listed 4 times."""
    same = Problem("data.csv", "row 3", "date_before_validation", "'x' is not a date")
    error = ValidationError([same, Problem("data.csv", "row 2", "f", "m"), same])
    assert error.problems == (same, Problem("data.csv", "row 2", "f", "m"))
    assert "2 problem(s)" in str(error)


def test_redcap_bad_form_date_is_one_problem_per_row(data_dir, tmp_path):
    project = data_dir(
        "redcap", "REDCapR_test_projects", "projects", "potentially-problematic-values"
    )
    mapping = tmp_path / "mapping.yaml"
    made = runner.invoke(app, ["redcap", "mapping", str(project / "dictionary.csv")])
    mapping.write_text(made.stdout, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "import",
            "redcap",
            str(project / "data.csv"),
            "--dictionary",
            str(project / "dictionary.csv"),
            "--mapping",
            str(mapping),
            "--db",
            f"sqlite:///{tmp_path / 'r.db'}",
        ],
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip().startswith("- ")]
    assert len(lines) == len(set(lines)) == 4


def _synthea_copy(data_dir, tmp_path: Path) -> Path:
    folder = tmp_path / "cdm"
    shutil.copytree(data_dir("omop", "synthea27nj_v5.4_csv"), folder)
    return folder


@pytest.mark.parametrize(
    ("mutate", "location", "message"),
    [
        (lambda p: p.write_bytes(b""), "file", "the file is empty"),
        (
            lambda p: p.write_bytes(p.read_bytes().replace(b",M,", b",M\xe9,", 1)),
            "line 2",
            "byte 0xe9 is not UTF-8",
        ),
    ],
)
def test_omop_person_file_that_duckdb_cannot_read_says_why(
    data_dir, tmp_path, mutate, location, message
):
    """DuckDB said 'Sniffer detected value different than the user input' or a wrong line."""
    folder = _synthea_copy(data_dir, tmp_path)
    mutate(folder / "PERSON.csv")
    with pytest.raises(ValidationError) as caught:
        open_cdm(folder)
    [problem] = caught.value.problems
    assert problem.source.endswith("PERSON.csv")
    assert problem.location == location and message in problem.message


def test_omop_line_too_long_names_its_line(tmp_path):
    folder = _cdm(tmp_path, "")
    (folder / "observation.csv").write_text(
        CDM_TABLES["observation"] + f"2,1,4000,2020-01-01,,,{'x' * 2_100_000}\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as caught:
        open_cdm(folder)
    [problem] = caught.value.problems
    assert problem.location == "line 3" and "2,000,000" in problem.message


# --- DICOM: real radiographs and controls, mutated --------------------------------------------


def _dicom(data_dir, *parts: str) -> Path:
    pytest.importorskip("pydicom")
    return data_dir("dicom", *parts)


def test_dicom_cut_short_in_its_pixel_data_says_so(data_dir, tmp_path):
    """A JPEG lossless file cut at 60 % read as an empty data set: 'not an image object'."""
    from calciscope.interop.images.dicom import read_dicom

    source = _dicom(data_dir, "radiographs") / "RG2_JPLL.dcm"
    cut = tmp_path / "cut.dcm"
    data = source.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    image, problem = read_dicom(cut)
    assert image is None and problem is not None
    assert (problem.source, problem.field) == (str(cut), "PixelData")
    assert "cut short" in problem.message


def _mutant(data_dir, tmp_path: Path, change) -> Path:
    import pydicom

    ds = pydicom.dcmread(_dicom(data_dir, "controls") / "CT_small.dcm")
    path = tmp_path / "mutant.dcm"
    with warnings.catch_warnings():  # pydicom warns of the invalid values a mutant holds
        warnings.simplefilter("ignore")
        change(ds)
        ds.save_as(path)
    return path


@pytest.mark.parametrize(
    ("value", "date", "note"),
    [
        ("20200230", None, "StudyDate '20200230' is not a date (YYYYMMDD): not used"),
        ("2020/01/31", None, "StudyDate '2020/01/31' is not a date (YYYYMMDD): not used"),
        ("20200131xyz", None, "StudyDate '20200131xyz' is not a date (YYYYMMDD): not used"),
        ("2020.01.31", "2020-01-31", None),  # ACR-NEMA form PS3.5 asks readers to accept
    ],
)
def test_dicom_study_date_that_is_no_date_is_named_not_dropped(
    data_dir, tmp_path, value, date, note
):
    from calciscope.interop.images.dicom import read_dicom

    def change(ds):
        ds.StudyDate = value
        for keyword in ("AcquisitionDate", "ContentDate", "SeriesDate"):
            if keyword in ds:
                delattr(ds, keyword)

    image, problem = read_dicom(_mutant(data_dir, tmp_path, change))
    assert problem is None and image is not None
    assert str(image.meta.image_date) == str(date)
    assert (
        (note in image.meta.notes) if note else not any("StudyDate" in n for n in image.meta.notes)
    )


def test_dicom_palette_colour_is_not_a_radiograph(data_dir, tmp_path):
    """Palette indices were measured as if they were X-ray intensities."""
    from calciscope.interop.images.dicom import read_dicom

    def change(ds):
        ds.PhotometricInterpretation = "PALETTE COLOR"

    image, problem = read_dicom(_mutant(data_dir, tmp_path, change))
    assert image is None and problem is not None
    assert problem.field == "PhotometricInterpretation" and "colour" in problem.message


def test_dicom_multi_frame_says_which_frame_it_measures(data_dir, tmp_path):
    import numpy as np

    from calciscope.interop.images.dicom import read_dicom

    def change(ds):
        frame = ds.pixel_array
        ds.NumberOfFrames = 3
        ds.PixelData = np.stack([frame, frame + 1, frame + 2]).astype(frame.dtype).tobytes()

    image, problem = read_dicom(_mutant(data_dir, tmp_path, change))
    assert problem is None and image is not None
    assert image.pixels.shape == (128, 128)
    assert "3 frames: the first is indexed and measured" in image.meta.notes
