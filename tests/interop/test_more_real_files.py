"""More files written by others (realfiles10), and hand-made breakages of their shapes.

The phenopacket-tools test files of a v2 Family and a v1 Phenopacket (phenopackets/
phenopacket-tools @ a312e98 / 61693df : ``phenopacket-tools-io/src/test/resources/.../io/
{v2/family.json,v1/phenopacket.json}``) were run through ``calciscope import phenopackets``:
a Family was refused as "not a valid Phenopacket v2" and a v1 packet with the same words.
They are GPL-3.0, so they are not copied here: the Family below is built the same way (a
proband, relatives known only by their pedigree ids ``MOTHER`` / ``FATHER``, a pedigree)
around the phenopacket-schema COVID-19 example (tests/data, BSD-3-Clause; a published case
report, no identifiable data), and the v1 packet keeps that file's v1 shape. The FHIR, REDCap
and native inputs are typed here: each is one way a real file goes wrong (a birth date after
today, a Bundle entry that is an object, a resource without a resourceType).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir_bundle
from calciscope.interop.phenopackets import read_phenopackets
from calciscope.interop.redcap import dump_mapping, read_redcap, write_dictionary
from calciscope.interop.redcap.template import redcap_template

COVID = Path(__file__).resolve().parents[1] / "data" / "phenopackets" / "phenopacket_schema"
COVID = COVID / "covid19.json"
runner = CliRunner()


def _family() -> dict[str, Any]:
    """Return a v2 Family shaped as phenopacket-tools' ``v2/family.json``."""
    proband = json.loads(COVID.read_text(encoding="utf-8"))
    relative = lambda sid, sex: {  # noqa: E731
        "subject": {"id": sid, "dateOfBirth": "1950-01-01T00:00:00Z", "sex": sex, "taxonomy": {}}
    }
    return {
        "id": "comprehensive-family-id",
        "proband": proband,
        "relatives": [relative("MOTHER", "FEMALE"), relative("FATHER", "MALE")],
        "pedigree": {
            "persons": [
                {"individualId": "MOTHER", "sex": "FEMALE", "affectedStatus": "UNAFFECTED"},
                {"individualId": "FATHER", "sex": "MALE", "affectedStatus": "UNAFFECTED"},
            ]
        },
        "files": [{"uri": "file://data/genomes/FAM000001"}],
        "metaData": proband["metaData"],
    }


def _v1() -> dict[str, Any]:
    """Return a Phenopacket v1 shaped as phenopacket-tools' ``v1/phenopacket.json``."""
    return {
        "id": "comprehensive-phenopacket-id",
        "subject": {"id": "14 year-old boy", "ageAtCollection": {"age": "P14Y"}, "sex": "MALE"},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0001558"}, "classOfOnset": {"id": "HP:0011461"}},
            {"type": {"id": "HP:0031910"}, "negated": True},
            {"type": {"id": "HP:0011463"}, "ageOfOnset": {"age": "P14Y"}},
        ],
        "genes": [{"id": "HGNC:3688", "symbol": "FGFR1"}],
        "metaData": {"created": "2022-10-03T16:39:04Z", "phenopacketSchemaVersion": "1.0.0"},
    }


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/more.db"


def _import(kind: str, *args: object, db: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", kind, *map(str, args), "--db", db])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _dump(db: str) -> list[tuple[object, ...]]:
    with api.open_registry(db) as registry:
        records = api.read_registry_records(registry)
    return sorted(repr(r) for r in (*records.patients, *records.facts))  # type: ignore[misc]


# --- Phenopackets: Family and Cohort files, v1 files --------------------------------------------


def test_family_file_imports_proband_and_relatives_once(tmp_path, db):
    family = _write(tmp_path, "family.json", _family())
    code, output = _import("phenopackets", family, db=db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        proband = registry.facts_for("arbitrary.phenopacket.id")
        mother = registry.patient("comprehensive-family-id:MOTHER")
    # a relative's subject id is a pedigree id: the family id keeps two families' mothers apart
    assert mother is not None and mother.sex.value == "female"
    by_code = {f.code: f for f in proband}
    assert by_code["MONDO:0005015"].status.value == "absent"  # excluded: true
    assert (by_code["HP:0003326"].provenance or "").startswith(f"{family}#/proband/")
    assert "pedigree" in output  # counted as skipped, not dropped without a word
    before = _dump(db)
    code, output = _import("phenopackets", family, db=db)
    assert code == 0 and _dump(db) == before  # re-importing changes nothing


def test_cohort_members_are_each_a_phenopacket(tmp_path):
    family = _family()
    cohort = {
        "id": "cohort-1",
        "description": "two members",
        "members": [family["proband"], family["relatives"][0]],
        "metaData": family["metaData"],
    }
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(cohort), encoding="utf-8")
    result = read_phenopackets([path])
    ids = sorted(p.patient_id for p in result.batch.patients)
    assert ids == ["arbitrary.phenopacket.id", "cohort-1:MOTHER"]


def test_member_problem_names_its_place_in_the_family(tmp_path):
    family = _family()
    family["relatives"][1]["subject"]["sex"] = "male"  # not a v2 enum value
    family["misspelt"] = 1
    path = tmp_path / "family.json"
    path.write_text(json.dumps(family), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert problem.field == "misspelt" and "Phenopacket v2 Family" in problem.message
    del family["misspelt"]
    path.write_text(json.dumps(family), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert problem.source == f"{path}#/relatives/1" and problem.field == "sex"


def test_v1_phenopacket_is_refused_saying_so(tmp_path, db):
    code, output = _import("phenopackets", _write(tmp_path, "v1.json", _v1()), db=db)
    assert code == 1 and "Phenopacket v1" in output and "phenopacketSchemaVersion" in output
    # without its schema version, a v1-only field (``negated``) still tells it: read as v2 the
    # exclusion would be lost
    packet = _v1()
    del packet["metaData"]["phenopacketSchemaVersion"], packet["genes"]
    packet["subject"].pop("ageAtCollection")
    packet["phenotypicFeatures"] = packet["phenotypicFeatures"][1:2]
    path = _write(tmp_path, "v1.json", packet)
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert problem.field == "negated" and "Phenopacket v1" in problem.message


# --- a birth date after today, in every importer -------------------------------------------------


def test_phenopacket_birth_after_today_is_refused(tmp_path, db):
    packet = copy.deepcopy(_family()["proband"])
    packet["subject"]["dateOfBirth"] = "2999-01-02T00:00:00Z"
    path = tmp_path / "future.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    code, output = _import("phenopackets", path, db=db)
    assert code == 1 and "birth_date" in output and "born in the future" in output


def test_fhir_patient_born_after_today_is_an_error_not_a_skip():
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2999-01-01"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": "Patient/p1"},
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "89155008"}]},
                }
            },
        ],
    }
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(bundle, source="b.json")
    (problem,) = caught.value.problems
    assert (problem.source, problem.location, problem.field) == (
        "b.json",
        "#/entry/0",
        "birth_date",
    )


def test_redcap_and_native_birth_after_today_name_row_and_field(tmp_path):
    fields, mapping = redcap_template()
    (tmp_path / "dictionary.csv").write_text(write_dictionary(fields), encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(dump_mapping(mapping), encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text("record_id,sex,birth_date\nP1,female,2999-02-03\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, tmp_path / "dictionary.csv", tmp_path / "mapping.yaml")
    assert any(
        p.location == "row 2" and "born in the future" in p.message for p in caught.value.problems
    )
    folder = tmp_path / "native"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex,birth_year\nP1,female,2999\n")
    (folder / "facts.csv").write_text("patient_id,system,code,status,source_kind,review_state\n")
    registry_url = f"sqlite:///{tmp_path}/n.db"
    with api.open_registry(registry_url) as registry, pytest.raises(ValidationError) as caught:
        api.import_directory(registry, folder)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("row 2", "birth_year")


def test_native_birth_date_and_year_after_today_are_one_problem(tmp_path):
    """fix11: one mistake (2030-05-01 with its year 2030) was two problems."""
    folder = tmp_path / "native"
    folder.mkdir()
    year = dt.date.today().year + 1  # within the model's range (<= 2100), after today
    (folder / "patients.csv").write_text(
        f"patient_id,sex,birth_date,birth_year\nP1,female,{year}-05-01,{year}\n"
    )
    (folder / "facts.csv").write_text("patient_id,system,code,status,source_kind,review_state\n")
    url = f"sqlite:///{tmp_path}/n.db"
    with api.open_registry(url) as registry, pytest.raises(ValidationError) as caught:
        api.import_directory(registry, folder)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("row 2", "birth_date")
    assert "born in the future" in problem.message


# --- FHIR Bundle shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "location", "field"),
    [
        ({"resource": {"resourceType": "Patient", "id": "p1"}}, "#", "entry"),  # not an array
        ([{"resource": {"id": "p1", "gender": "female"}}], "#/entry/0", "resource"),
        ([{"resource": "Patient/p1"}], "#/entry/0", "resource"),
        ([None], "#/entry/0", "entry"),
    ],
)
def test_bundle_of_the_wrong_shape_is_an_error_not_an_empty_import(entry, location, field):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entry}
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(bundle, source="b.json")
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == (location, field)


def test_history_bundle_delete_entry_is_counted_as_skipped():
    bundle = {
        "resourceType": "Bundle",
        "type": "history",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1"}, "request": {"method": "PUT"}},
            {"request": {"method": "DELETE", "url": "Condition/c9"}},
        ],
    }
    result = read_fhir_bundle(bundle, source="h.json")
    assert result.mapped["Patient"] == 1 and sum(result.skipped.values()) == 1


# --- REDCap export shapes --------------------------------------------------------------------

_DICTIONARY_HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\r\n"
)


def test_redcap_checkbox_columns_of_negative_decimal_and_underscore_codes(tmp_path):
    """REDCap writes choice ``-1`` as ``____1``, ``1.5`` as ``___1_5``, ``a_b`` as ``___ab``.

    With a byte order mark, CRLF line ends and a blank line, as a spreadsheet saves an export.
    """
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        "\ufeff" + _DICTIONARY_HEADER + "record_id,demo,,text,Record ID,,,,,,,,,,,,,\r\n"
        'symptoms,demo,,checkbox,Symptoms,"-1, Unknown | 1.5, Half | a_b, Both | 2, Two"'
        ",,,,,,,,,,,,\r\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    data.write_text(
        "\ufeffrecord_id,symptoms____1,symptoms___1_5,symptoms___ab,symptoms___2,demo_complete\r\n"
        "1,0,1,1,1,2\r\n\r\n2,1,0,0,0,2\r\n",
        encoding="utf-8",
    )
    result = read_redcap(data, dictionary)
    status = {(f.patient_id, f.code): f.status.value for f in result.batch.facts}
    assert status[("1", "redcap.symptoms.a_b")] == "present"
    assert status[("1", "redcap.symptoms.1.5")] == "present"
    assert status[("2", "redcap.symptoms.-1")] == "present"
    # the blank line is a row, as a spreadsheet shows it: record 2 is on row 4
    record_two = next(f for f in result.batch.facts if f.patient_id == "2")
    assert "row 4" in (record_two.provenance or "")
    data.write_text(data.read_text(encoding="utf-8") + "3,1,0,0,0,2,extra\r\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("row 5", "(row)")


# --- OMOP CDM CSVs as database clients and spreadsheets write them -------------------------------

_CDM = {
    "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,"
    "care_site_id\n1,8532,1960,1,2,\n2,8507,1970,,,\n",
    "concept": "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,"
    "standard_concept,concept_code\n9189,Negative,Meas Value,LOINC,Answer,S,LA6577-6\n",
    "concept_ancestor": "ancestor_concept_id,descendant_concept_id,"
    "min_levels_of_separation,max_levels_of_separation\n",
    "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
    "observation": "observation_id,person_id,observation_concept_id,observation_date,"
    "value_as_number,value_as_concept_id,unit_source_value\n"
    "1,1,4000,2020-01-03,,9189,\n2,2,4000,2020-01-03,,,\n",
}


def _cdm(tmp_path: Path, **changes: tuple[str, str]) -> tuple[Path, Path]:
    folder = tmp_path / "cdm"
    folder.mkdir()
    for name, text in _CDM.items():
        old, new = changes.get(name, ("", ""))
        (folder / f"{name}.csv").write_text(text.replace(old, new) if old else text)
    concept_set = _write(tmp_path, "cs.json", {"items": [{"concept": {"CONCEPT_ID": 4000}}]})
    return folder, concept_set


def _import_omop(folder: Path, concept_set: Path, db: str) -> tuple[int, str]:
    return _import("omop", folder, "--concept-set", f"anti_pm_scl={concept_set}", db=db)


def test_omop_null_written_by_a_database_client_is_null(tmp_path, db):
    folder, concept_set = _cdm(tmp_path, observation=(",,9189,", ",NULL,9189,"))
    code, output = _import_omop(folder, concept_set, db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        (fact,) = registry.facts_for("1")
    assert fact.status.value == "absent" and fact.value_num is None


def test_omop_day_month_dates_are_refused_not_guessed(tmp_path, db):
    folder, concept_set = _cdm(tmp_path, observation=("2020-01-03", "03/01/2020"))
    code, output = _import_omop(folder, concept_set, db)
    assert code == 1 and "observation.csv" in output and "YYYY-MM-DD" in output
    assert "ambiguous" in output


def test_omop_year_first_slash_dates_are_refused_without_calling_them_ambiguous(tmp_path, db):
    """fix11: 2020/01/31 is not ambiguous, only not a CDM date."""
    folder, concept_set = _cdm(tmp_path, observation=("2020-01-03", "2020/01/03"))
    code, output = _import_omop(folder, concept_set, db)
    assert code == 1 and "observation.csv" in output and "YYYY-MM-DD" in output
    assert "ambiguous" not in output and "2020-01-31" in output


def test_omop_birth_day_that_is_no_date_names_the_row(tmp_path, db):
    folder, concept_set = _cdm(tmp_path, person=("1960,1,2", "1960,2,30"))
    code, output = _import_omop(folder, concept_set, db)
    assert code == 1 and "person.csv, row 1, field 'day_of_birth'" in output
    assert "1960-2-30" in output


def test_omop_yyyymmdd_dates_say_how_to_write_them(tmp_path, db):
    folder, concept_set = _cdm(tmp_path, observation=("2020-01-03", "20200103"))
    code, output = _import_omop(folder, concept_set, db)
    assert code == 1 and "observation_date" in output and "2020-01-31" in output


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"metaData": "2.0"}, "metaData", "must be a JSON object"),
        ({"relatives": {"a": 1}}, "relatives", "must be a JSON array"),
        ({"proband": "P1"}, "", "a phenopacket must be a JSON object"),
        ({"relatives": ["MOTHER"]}, "", "a phenopacket must be a JSON object"),
    ],
)
def test_family_fields_of_the_wrong_type_are_named(tmp_path, change, field, message):
    """fix11: ``"metaData": "2.0"`` was an AttributeError; each wrong type names its field."""
    path = tmp_path / "family.json"
    path.write_text(json.dumps(_family() | change))
    with pytest.raises(ValidationError) as raised:
        read_phenopackets([path])
    (problem,) = raised.value.problems
    assert str(path) in problem.source and problem.field == field and message in problem.message


def test_phenopacket_and_cohort_metadata_of_the_wrong_type(tmp_path):
    cohort = {"id": "c", "members": ["a"], "metaData": "2.0"}
    for name, data in {"packet": {"id": "p", "metaData": "2.0"}, "cohort": cohort}.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        with pytest.raises(ValidationError, match="'metaData': must be a JSON object"):
            read_phenopackets([path])
