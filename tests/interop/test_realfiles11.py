"""realfiles11: bugs found by importing the real files of ../shared/data and hand-typed mutants.

Each test builds its mutant from a real file (skipped when ../shared/data is absent) or from a
few hand-typed CDM rows, and goes through the command line where the bug showed there.
"""

from __future__ import annotations

import csv
import hashlib
import json
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
from calciscope.interop.phenopackets import read_phenopackets
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


# --- Phenopackets -----------------------------------------------------------------------------


def _packet(data_dir) -> tuple[dict, Path]:
    path = sorted(data_dir("phenopackets", "LMNA").glob("*.json"))[0]
    return json.loads(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize(
    ("change", "location", "field"),
    [
        (
            lambda p: p["phenotypicFeatures"][3].update(
                onset={"timestamp": "2099-01-01T00:00:00Z"}
            ),
            "#/phenotypicFeatures/3",
            "effective_date",
        ),
        (
            lambda p: p["phenotypicFeatures"][2]["type"].update(id="HP:123"),
            "#/phenotypicFeatures/2",
            "code",
        ),
        (
            lambda p: p.update(diseases=[{"term": {"id": "MONDO:123", "label": "x"}}]),
            "#/diseases/0",
            "code",
        ),
    ],
)
def test_phenopacket_refused_value_names_its_element_not_the_packet(
    data_dir, tmp_path, change, location, field
):
    """A date or code the record refuses was reported at '$' in a packet of 25 features."""
    packet, _ = _packet(data_dir)
    change(packet)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    [problem] = caught.value.problems
    assert (problem.source, problem.location, problem.field) == (str(path), location, field)


def test_phenopacket_age_that_is_no_duration_is_a_warning(data_dir):
    """RareLink's packet 6 dates a disease onset 'P0Y-10M': it was left undated without a word."""
    path = data_dir("redcap", "rarelink_evaluation_cohort", "phenopackets") / "6.json"
    result = read_phenopackets([path])
    [warning] = [w for w in result.warnings if w.field == "iso8601duration"]
    assert warning.location == "#/diseases/0/onset/age"
    assert "'P0Y-10M' is not an ISO 8601 duration" in warning.message
    [kabuki] = [f for f in result.batch.facts if f.code == "MONDO:0007843"]
    assert kabuki.effective_date is None and "P0Y-10M" in (kabuki.provenance or "")


@pytest.mark.parametrize("age", ["P46Y", "P3Y6M", "P10M14D", "P0Y0M3D", "P3W", "PT12H"])
def test_phenopacket_durations_of_real_files_give_no_warning(data_dir, tmp_path, age):
    packet, _ = _packet(data_dir)
    packet["phenotypicFeatures"][0]["onset"] = {"age": {"iso8601duration": age}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    assert not [w for w in read_phenopackets([path]).warnings if w.field == "iso8601duration"]


# --- REDCap: REDCapR's repeating-instruments project, hand-edited -----------------------------


def _redcap_import(data_dir, tmp_path: Path, column: str, value: str, row: int):
    import csv
    import io

    project = data_dir("redcap", "REDCapR_test_projects", "projects", "repeating-instruments")
    rows = list(csv.reader(io.StringIO((project / "data.csv").read_text(encoding="utf-8"))))
    rows[row - 1][rows[0].index(column)] = value
    data = tmp_path / "data.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    mapping = tmp_path / "mapping.yaml"
    made = runner.invoke(app, ["redcap", "mapping", str(project / "dictionary.csv")])
    mapping.write_text(made.stdout, encoding="utf-8")
    db = tmp_path / "r.db"
    result = runner.invoke(
        app,
        [
            "import",
            "redcap",
            str(data),
            "--dictionary",
            str(project / "dictionary.csv"),
            "--mapping",
            str(mapping),
            "--db",
            f"sqlite:///{db}",
        ],
    )
    return result, data, db


@pytest.mark.parametrize(
    ("column", "value", "field", "message"),
    [
        ("redcap_repeat_instance", "x", "redcap_repeat_instance", "'x' is not a repeat instance"),
        ("redcap_repeat_instance", "0", "redcap_repeat_instance", "'0' is not a repeat instance"),
        # fix45: a superscript two is a digit to str.isdigit, and int() raised ValueError
        ("redcap_repeat_instance", "²", "redcap_repeat_instance", "'²' is not a repeat instance"),
        ("redcap_repeat_instance", "", "redcap_repeat_instance", "needs its instance number"),
        ("redcap_repeat_instrument", "bq", "redcap_repeat_instrument", "'bq' is not a form"),
    ],
)
def test_redcap_repeat_columns_redcap_never_writes_are_refused(
    data_dir, tmp_path, column, value, field, message
):
    """They passed unseen: a blank instance also hid a duplicated row."""
    result, data, db = _redcap_import(data_dir, tmp_path, column, value, row=3)
    assert result.exit_code == 1, result.output
    assert f"{data}, row 3, field '{field}'" in " ".join(result.output.split())
    assert message in " ".join(result.output.split())
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from facts").fetchone() == (0,)


def test_redcap_cell_over_the_csv_limit_names_its_line(data_dir, tmp_path):
    # Python's csv limit is one setting for the whole process, and reading notes raises it
    # (api.notes: a note is one large field); a fresh `calciscope import` starts at the default
    before = csv.field_size_limit(131_072)
    try:
        result, data, _ = _redcap_import(data_dir, tmp_path, "first_name", "x" * 200_000, row=2)
    finally:
        csv.field_size_limit(before)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert f"{data}, row 2" in text and "a cell over 131,072 characters" in text


# --- Notes are not replaced by another note of the same id ------------------------------------

NATIVE_PATIENTS = (
    "patient_id,sex,birth_date,birth_year,centre,synthetic\nP1,female,1970-01-01,,C1,true\n"
)
NATIVE_FACTS = (
    "fact_id,patient_id,system,code,status,effective_date,value_num,value_text,unit,body_site,"
    "laterality,morphology,method,source_kind,provenance,review_state\n"
)


def _native(folder: Path, notes: list[dict]) -> Path:
    folder.mkdir()
    (folder / "patients.csv").write_text(NATIVE_PATIENTS, encoding="utf-8")
    (folder / "facts.csv").write_text(NATIVE_FACTS, encoding="utf-8")
    lines = [json.dumps({"patient_id": "P1", "note_date": "2020-01-01", **n}) for n in notes]
    (folder / "notes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _import_demo(folder: Path, db: Path):
    return runner.invoke(app, ["import", "demo", str(folder), "--db", f"sqlite:///{db}"])


def test_two_notes_of_one_id_in_an_import_are_refused(tmp_path):
    """The second line of notes.jsonl replaced the first without a word."""
    folder = _native(
        tmp_path / "a",
        [{"note_id": "N1", "text": "SYNTHETIC. Calcinosis."}, {"note_id": "N1", "text": "other"}],
    )
    db = tmp_path / "r.db"
    result = _import_demo(folder, db)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "note N1, field 'text'" in text and "another note of this import" in text
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from notes").fetchone() == (0,)


def test_a_stored_note_is_not_replaced_by_a_re_import_and_the_same_note_is_a_no_op(tmp_path):
    """Re-importing a changed letter under its id silently changed the stored text."""
    db = tmp_path / "r.db"
    note = {"note_id": "N1", "text": "SYNTHETIC. Calcinosis of the left index finger."}
    assert _import_demo(_native(tmp_path / "a", [note]), db).exit_code == 0
    again = _import_demo(_native(tmp_path / "b", [note]), db)
    assert again.exit_code == 0, again.output
    before = _dump(db)
    changed = _import_demo(_native(tmp_path / "c", [{**note, "text": "SYNTHETIC. None."}]), db)
    assert changed.exit_code == 1
    assert "differs from the registry's note of that id in text" in " ".join(changed.output.split())
    assert _dump(db) == before  # nothing written
    with sqlite3.connect(db) as conn:
        assert conn.execute("select text from notes").fetchall() == [(note["text"],)]


# --- Round trips ------------------------------------------------------------------------------


def test_fhir_quantity_with_comparator_keeps_its_unit_through_export(data_dir, tmp_path):
    """HL7's Observation-f205 (eGFR '>60 mL/min/{1.73_m2}') came back without its unit.

    The export wrote the reader's value_text '>60' as a valueString: the unit was lost, and
    importing the export into the registry it came from added a second fact.
    """
    source = data_dir("fhir", "hl7_r4_examples")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("Observation-f205.json", "Patient-f201.json"):
        if not (source / name).exists():
            pytest.skip(f"{name} is not in {source}")
        shutil.copy(source / name, folder / name)
    db, bundle = tmp_path / "r.db", tmp_path / "out.json"
    url = f"sqlite:///{db}"
    assert runner.invoke(app, ["import", "fhir", str(folder), "--db", url]).exit_code == 0
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "select value_text, unit from facts where code = '48643-1'"
        ).fetchall()
    assert stored == [(">60", "mL/min/{1.73_m2}")]
    assert runner.invoke(app, ["export", "fhir", str(bundle), "--db", url]).exit_code == 0
    [quantity] = [
        e["resource"]["valueQuantity"]
        for e in json.loads(bundle.read_text(encoding="utf-8"))["entry"]
        if e["resource"].get("valueQuantity", {}).get("comparator")
    ]
    assert (quantity["comparator"], quantity["value"], quantity["code"]) == (
        ">",
        60,
        "mL/min/{1.73_m2}",
    )
    with sqlite3.connect(db) as conn:
        facts = conn.execute("select count(*) from facts").fetchone()
    again = runner.invoke(app, ["import", "fhir", str(bundle), "--db", url])
    assert again.exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from facts").fetchone() == facts


def test_a_patient_read_twice_in_one_import_is_one_patient_of_the_summary(data_dir, tmp_path):
    """A Synthea bundle with its Patient entry twice said 'imported 2 patients' and stored 1."""
    source = sorted(data_dir("fhir", "synthea").glob("*.json"))[0]
    bundle = json.loads(source.read_text(encoding="utf-8"))
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    bundle["entry"].append(patient)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = runner.invoke(
        app, ["import", "fhir", str(path), "--db", f"sqlite:///{tmp_path / 'r.db'}"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 patients" in result.output
