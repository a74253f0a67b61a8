from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/cli.db"


def _run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_redcap_template_and_mapping(tmp_path):
    result = _run("redcap", "template", "--mapping-out", tmp_path / "mapping.yaml")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows[0]) == 18 and rows[1][0] == "record_id"
    assert "lesion_status" in (tmp_path / "mapping.yaml").read_text(encoding="utf-8")
    (tmp_path / "dictionary.csv").write_text(result.stdout, encoding="utf-8")
    mapping = _run("redcap", "mapping", tmp_path / "dictionary.csv")
    assert mapping.exit_code == 0 and "record_id: record_id" in mapping.stdout


def test_import_and_export_phenopackets(data_dir, db, tmp_path):
    folder = data_dir("redcap", "rarelink_evaluation_cohort", "phenopackets")
    files = sorted(folder.glob("[0-9]*.json"))
    result = _run("import", "phenopackets", *files, "--db", db)
    assert result.exit_code == 0, result.output
    assert api.open_registry(db).counts()["patients"] == 10
    exported = _run("export", "phenopackets", tmp_path / "out", "--db", db, "--patient", "8")
    assert exported.exit_code == 0, exported.output
    packet = json.loads((tmp_path / "out" / "8.json").read_text(encoding="utf-8"))
    assert packet["subject"]["dateOfBirth"].startswith("2009-12-03")


def test_import_fhir_reports_skipped_and_export_validates(data_dir, db, tmp_path):
    files = sorted(data_dir("fhir", "synthea").glob("*.json"))[:2]
    result = _run("import", "fhir", *files, "--db", db)
    assert result.exit_code == 0, result.output
    assert "Claim" in result.output and "skipped" in result.output
    out = tmp_path / "bundle.json"
    assert _run("export", "fhir", out, "--db", db, "--group", "two").exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "collection"


def test_failed_redcap_import_names_row_and_field_and_writes_nothing(data_dir, db):
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "simple")
    result = runner.invoke(
        app,
        [
            "import",
            "redcap",
            str(project / "data.csv"),
            "--dictionary",
            str(project / "dictionary.csv"),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 1
    assert "row 2, field 'sex'" in result.output and "nothing was written" in result.output
    assert api.open_registry(db).counts()["facts"] == 0


def test_import_and_export_redcap(data_dir, db, tmp_path):
    project = data_dir("redcap", "REDCapR_test_projects", "projects", "repeating-instruments")
    result = _run(
        "import",
        "redcap",
        project / "data.csv",
        "--dictionary",
        project / "dictionary.csv",
        "--db",
        db,
    )
    assert result.exit_code == 0, result.output
    assert _run("export", "redcap", tmp_path / "rc", "--db", db).exit_code == 0
    assert {p.name for p in (tmp_path / "rc").iterdir()} == {
        "data.csv",
        "dictionary.csv",
        "mapping.yaml",
    }


def _tiny_cdm(folder):
    files = {
        "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n1,8532,1960,1,2,\n2,8507,1970,,,\n",
        "concept": "concept_id,concept_name\n80809,Rheumatoid arthritis\n",
        "concept_ancestor": "ancestor_concept_id,descendant_concept_id\n80809,80809\n",
        "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
        "condition_occurrence": "condition_occurrence_id,person_id,condition_concept_id,condition_start_date\n1,2,80809,2020-03-04\n",
    }
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    concept_set = folder.parent / "ra.json"
    concept_set.write_text(
        json.dumps({"items": [{"concept": {"CONCEPT_ID": 80809}, "includeDescendants": True}]}),
        encoding="utf-8",
    )
    return folder, concept_set


def test_omop_screen_writes_cohort_and_import_copies(tmp_path, db):
    cdm, concept_set = _tiny_cdm(tmp_path / "cdm")
    out = tmp_path / "cohort.csv"
    result = _run(
        "export",
        "omop-cohort",
        cdm,
        "--concept-set",
        f"rheumatoid_arthritis={concept_set}",
        "--feature",
        "rheumatoid_arthritis",
        "--out",
        out,
        "--cohort-id",
        "3",
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "cohort_definition_id": "3",
            "subject_id": "2",
            "cohort_start_date": "2020-03-04",
            "cohort_end_date": "2020-03-04",
        }
    ]
    copied = _run(
        "import", "omop", cdm, "--concept-set", f"rheumatoid_arthritis={concept_set}", "--db", db
    )
    assert copied.exit_code == 0, copied.output
    assert api.open_registry(db).counts()["patients"] == 1


def test_redcap_pull_needs_a_token_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("REDCAP_TOKEN", raising=False)
    result = runner.invoke(
        app, ["redcap", "pull", "https://redcap.example/api/", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "REDCAP_TOKEN" in result.output


def test_export_note_nlp(db, tmp_path):
    from calciscope.model import Fact, Patient, SourceKind, Status
    from calciscope.storage import Batch

    registry = api.open_registry(db)
    provenance = json.dumps(
        {"note_id": "N1", "start": 3, "end": 13, "text": "calcinosis", "engine": "1"}
    )
    fact = Fact(
        patient_id="P1",
        system="HP",
        code="HP:0003761",
        status=Status.ABSENT,
        source_kind=SourceKind.NOTE,
        provenance=provenance,
    )
    registry.import_batch(
        Batch(patients=[Patient(patient_id="P1")], facts=[fact]), source="t", source_hash="0"
    )
    out = tmp_path / "note_nlp.csv"
    assert _run("export", "note-nlp", out, "--db", db).exit_code == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert (
        len(rows) == 1
        and rows[0]["term_exists"] == "N"
        and rows[0]["lexical_variant"] == "calcinosis"
    )
