"""Codes typed in another case (facts.csv, FHIR, Phenopackets), FHIR NPM package folders, and bad input as a new user gives it.

SYNTHETIC patients throughout; the HL7 examples package is read from ../shared/data.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir
from calciscope.interop.fhir.reader import PACKAGE_METADATA
from calciscope.interop.phenopackets import read_phenopackets

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
HPO = "http://purl.obolibrary.org/obo/hp.owl"


def _invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _said(result) -> str:
    """The CLI's output with line wrapping undone (rich wraps at the terminal width)."""
    return " ".join(result.output.split())


def _native(folder, rows):
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_text(
        "patient_id,sex,birth_date,synthetic\nP1,female,1960-01-02,true\n", encoding="utf-8"
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,status,effective_date\n" + "".join(r + "\n" for r in rows),
        encoding="utf-8",
    )
    return folder


def _condition(i, system, code, **extra):
    return {
        "fullUrl": f"urn:uuid:c{i}",
        "resource": {
            "resourceType": "Condition",
            "id": f"c{i}",
            "subject": {"reference": "urn:uuid:p1"},
            "code": {"coding": [{"system": system, "code": code}]},
            **extra,
        },
    }


def _bundle(path, *entries):
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-02"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:p1", "resource": patient}, *entries],
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _recognised(url, patient_id):
    row = api.patient_features(api.open_registry(url), [patient_id]).to_pylist()[0]
    return {name for name, value in row.items() if value is True}


# --- codes whose case carries no meaning ------------------------------------------------------


def test_lower_case_codes_in_facts_csv_are_stored_and_recognised(tmp_path, sqlite_url):
    folder = _native(
        tmp_path / "d",
        [
            "P1,ICD10CM,m34.82,present,2020-01-01",
            "P1,HP, hp:0003761 ,present,2020-02-01",
            "P1,MONDO,mondo:0005100,present,2020-01-01",
        ],
    )
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, folder)
    facts = api.read_registry_records(registry).facts
    assert sorted((f.system, f.code) for f in facts) == [
        ("HP", "HP:0003761"),
        ("ICD10CM", "M34.82"),
        ("MONDO", "MONDO:0005100"),
    ]
    assert {"overlap_recorded", "ssc_diagnosis", "calcinosis_any"} <= _recognised(sqlite_url, "P1")
    # the bulk reader (rows in their published form) and the model (rows it hands over) give
    # the same id: re-importing the file in upper case adds nothing
    upper = _native(
        tmp_path / "u",
        [
            "P1,ICD10CM,M34.82,present,2020-01-01",
            "P1,HP,HP:0003761,present,2020-02-01",
            "P1,MONDO,MONDO:0005100,present,2020-01-01",
        ],
    )
    api.import_directory(registry, upper)
    assert len(api.read_registry_records(registry).facts) == 3


def test_lower_case_codes_in_fhir_are_stored_and_recognised(tmp_path, sqlite_url):
    path = _bundle(
        tmp_path / "b.json",
        _condition(1, ICD10CM, "m34.82", onsetDateTime="2020-01-01"),
        _condition(2, HPO, "hp:0003761"),
    )
    registry = api.open_registry(sqlite_url)
    api.import_fhir(registry, [path])
    codes = sorted((f.system, f.code) for f in api.read_registry_records(registry).facts)
    assert codes == [("HP", "HP:0003761"), ("ICD10CM", "M34.82")]
    assert {"overlap_recorded", "ssc_diagnosis", "calcinosis_any"} <= _recognised(sqlite_url, "p1")


def test_lower_case_curie_prefixes_in_a_phenopacket_are_read_as_their_system(tmp_path):
    packet = {
        "id": "P1",
        "subject": {"id": "P1", "sex": "FEMALE"},
        "phenotypicFeatures": [{"type": {"id": "hp:0003761", "label": "Calcinosis"}}],
        "diseases": [{"term": {"id": "mondo:0005100", "label": "systemic sclerosis"}}],
        "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
    }
    (tmp_path / "p.json").write_text(json.dumps(packet), encoding="utf-8")
    facts = read_phenopackets([tmp_path / "p.json"]).batch.facts
    assert sorted((f.system, f.code) for f in facts) == [
        ("HP", "HP:0003761"),
        ("MONDO", "MONDO:0005100"),
    ]


def test_a_wrong_code_in_lower_case_is_still_refused_naming_entry_and_field(tmp_path):
    path = _bundle(tmp_path / "b.json", _condition(1, HPO, "hp:123"))
    with pytest.raises(ValidationError) as info:
        read_fhir([path])
    [problem] = info.value.problems
    assert (problem.location, problem.field) == ("#/entry/1", "code")
    assert "'HP:123'" in problem.message


# --- FHIR NPM packages -----------------------------------------------------------------------


def _package(folder):
    folder.mkdir()
    (folder / "package.json").write_text(
        json.dumps({"name": "example.fhir.package", "version": "0.1.0"}), encoding="utf-8"
    )
    (folder / ".index.json").write_text(
        json.dumps({"index-version": 1, "files": [{"filename": "Patient-p1.json"}]}),
        encoding="utf-8",
    )
    (folder / "Patient-p1.json").write_text(
        json.dumps({"resourceType": "Patient", "id": "p1"}), encoding="utf-8"
    )
    return folder


def test_a_package_folder_skips_its_metadata_and_counts_it(tmp_path, sqlite_url):
    folder = _package(tmp_path / "package")
    ticks: list[int] = []
    done = api.import_fhir(api.open_registry(sqlite_url), [folder], progress=ticks.append)
    assert done.summary.counts["patients"] == 1
    reasons = {kind: reason for kind, reason in done.read.skipped}
    assert set(reasons) == PACKAGE_METADATA == {"package.json", ".index.json"}
    assert all("NPM package metadata" in reason for reason in reasons.values())
    assert ticks == [-3, 1, 2, 3]  # the skipped files count as read


def test_other_json_without_a_resource_type_still_fails_naming_the_file(tmp_path, sqlite_url):
    folder = _package(tmp_path / "package")
    (folder / "notes.json").write_text(json.dumps({"name": "x"}), encoding="utf-8")
    (folder / "list.json").write_text("[1, 2]", encoding="utf-8")
    result = _invoke("import", "fhir", folder, "--db", sqlite_url)
    said = _said(result)
    assert result.exit_code == 1 and "nothing was written" in said
    for name in ("notes.json", "list.json"):
        assert f"{folder / name}, $, field 'resourceType': not a FHIR resource" in said
    assert "package.json," not in said and ".index.json," not in said
    assert api.open_registry(sqlite_url).counts()["patients"] == 0


def test_the_cli_summary_says_the_metadata_was_skipped(tmp_path, sqlite_url):
    result = _invoke("import", "fhir", _package(tmp_path / "package"), "--db", sqlite_url)
    said = _said(result)
    assert result.exit_code == 0, result.output
    assert "package.json" in said and ".index.json" in said and "imported 1 patients" in said


@pytest.mark.slow
def test_the_hl7_examples_package_imports(data_dir, sqlite_url):
    folder = data_dir("fhir", "hl7_r4_examples")
    if not (folder / "package.json").is_file():
        pytest.skip(f"{folder} has no package.json (the in-repo subset; see conftest.py)")
    done = api.import_fhir(api.open_registry(sqlite_url), [folder])
    assert [kind for kind, _ in done.read.skipped if kind in PACKAGE_METADATA] == ["package.json"]
    assert done.summary.counts["patients"] > 0 and done.summary.counts["facts"] > 0


# --- bad input, by hand, through the CLI -----------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "says"),
    [
        ("P1,HP,HP:0003761,present,2020-02-30", "effective_date", "day value is outside"),
        ("P1,HP,HP:0003761,present,01/02/2020", "effective_date", "expected YYYY-MM-DD"),
        ("P1,SNOMEDCT,89155009,present,2020-01-01", "code", "Verhoeff"),
        ("P1,ICD10,34.1,present,2020-01-01", "code", "a letter, a digit"),
        ("P1,HP,HP:0003761,present,2999-01-01", "effective_date", "after today"),
        # pydantic read a number as seconds since 1970 (fixes22): 86400 was 1970-01-02
        ("P1,HP,HP:0003761,present,86400", "effective_date", "'86400' is not a date"),
        ("P1,HP,HP:0003761,present,2019", "effective_date", "'2019' is not a date"),
        ("P9,HP,HP:0003761,present,2020-01-01", "patient_id", "unknown patient 'P9'"),
    ],
)
def test_a_bad_facts_csv_row_names_file_row_and_field(tmp_path, sqlite_url, row, field, says):
    folder = _native(tmp_path / "d", ["P1,ICD10CM,m34.82,present,2020-01-01", row])
    result = _invoke("import", "demo", folder, "--db", sqlite_url)
    said = _said(result)
    assert result.exit_code == 1 and "nothing was written" in said
    assert f"facts.csv, row 3, field '{field}'" in said and says in said


@pytest.mark.parametrize(
    ("onset", "field", "says"),
    [
        ({"value": "forty", "unit": "a"}, "Condition.onsetAge.value", "expected a number"),
        ({"value": -4, "unit": "a"}, "Condition.onsetAge.value", "0 or more"),
        ("40 years", "Condition.onsetAge", "expected an object"),
        (
            {"value": 400, "system": "http://unitsofmeasure.org", "code": "a"},
            "effective_date",
            "after today",
        ),
    ],
)
def test_a_bad_onset_age_names_file_entry_and_field(tmp_path, sqlite_url, onset, field, says):
    path = _bundle(tmp_path / "b.json", _condition(1, ICD10CM, "M34.82", onsetAge=onset))
    result = _invoke("import", "fhir", path, "--db", sqlite_url)
    said = _said(result)
    assert result.exit_code == 1 and "nothing was written" in said
    assert f"{path}, #/entry/1, field '{field}'" in said and says in said


@pytest.mark.parametrize(
    ("row", "says"),
    [
        # SYNTHETIC rows; the bulk reader's fast path passed them to the registry (fixes22)
        ("P1,calciscope,mrss_site,present,2020-01-01,7", "mrss_site value_num 7 is outside 0 to 3"),
        ("P1,LOINC,2157-6,present,2020-01-01,-40", "creatine_kinase value_num -40 is below 0"),
    ],
)
def test_a_facts_csv_value_outside_its_range_names_file_row_and_field(
    tmp_path, sqlite_url, row, says
):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nP1,female\n", encoding="utf-8")
    header = "patient_id,system,code,status,effective_date,value_num\n"
    good = "P1,calciscope,mrss_site,present,2020-01-01,3\n"
    (folder / "facts.csv").write_text(header + good + row + "\n", encoding="utf-8")
    result = _invoke("import", "demo", folder, "--db", sqlite_url)
    said = _said(result)
    assert result.exit_code == 1 and "nothing was written" in said
    assert "facts.csv, row 3, field 'value_num'" in said and says in said
