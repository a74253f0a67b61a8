"""Files written by others, and the ways real files go wrong, through ``calciscope import``.

Fixtures (tests/data/README.md): a FHIR Bulk Data export in NDJSON (Synthea, synthetic), the
phenopacket-schema COVID-19 example packet (a published case report, no identifiable data).
Hand-made inputs: byte order marks, Latin-1 bytes, CRLF, partial dates, timestamps with UTC
offsets, duplicated REDCap records, empty exports.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir, read_fhir_bundle
from calciscope.interop.mappings import partial_date
from calciscope.interop.phenopackets import read_phenopackets
from calciscope.interop.redcap import read_redcap

DATA = Path(__file__).resolve().parents[1] / "data"
NDJSON = DATA / "fhir" / "bulk_ndjson"
COVID = DATA / "phenopackets" / "phenopacket_schema" / "covid19.json"
SYNTHEA_PATIENT = "129c6ac7-8d06-89de-ad63-0204a93e76c3"
runner = CliRunner()


def _import(kind: str, *args: object, db: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", kind, *map(str, args), "--db", db])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/edges.db"


def _facts(db: str, patient: str):
    with api.open_registry(db) as registry:
        return registry.facts_for(patient)


# --- FHIR -------------------------------------------------------------------------------------


def test_bulk_ndjson_export_resolves_patients_across_files(db):
    code, output = _import("fhir", NDJSON, db=db)
    assert code == 0, output
    facts = _facts(db, SYNTHEA_PATIENT)
    by_code = {f.code: f for f in facts}
    # the Condition's onsetDateTime 1976-01-19T22:58:16-05:00 is 1976-01-19 where it was recorded
    assert by_code["91302008"].effective_date == dt.date(1976, 1, 19)
    assert "Condition.00.ndjson line 1" in (by_code["91302008"].provenance or "")
    assert by_code["73595000"].effective_date == dt.date(1961, 8, 6)
    assert by_code["death"].effective_date == dt.date(1989, 5, 9)
    # the Condition of a patient the export does not hold is skipped and counted
    assert "subject is not a Patient" in output


def test_ndjson_bad_line_names_file_and_line_and_writes_nothing(tmp_path, db):
    good = (NDJSON / "Patient.00.ndjson").read_text(encoding="utf-8")
    path = tmp_path / "Patient.ndjson"
    path.write_text(good + '\n{"resourceType": "Patient", "id": "x"\n', encoding="utf-8")
    code, output = _import("fhir", path, db=db)
    assert code == 1 and "Patient.ndjson, line 3" in output and "not valid JSON" in output
    with api.open_registry(db) as registry:
        assert registry.counts()["patients"] == 0
    bundle = tmp_path / "b.ndjson"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection"}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"line 1.*not a Bundle"):
        read_fhir([bundle])
    (tmp_path / "empty.ndjson").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="empty NDJSON"):
        read_fhir([tmp_path / "empty.ndjson"])


def test_json_with_byte_order_mark_and_crlf_reads(tmp_path, db):
    path = tmp_path / "p.json"
    text = (
        '{"resourceType": "Patient",\r\n "id": "bom1", "gender": "male",\r\n "birthDate": "1970"}'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, output = _import("fhir", path, db=db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        patient = registry.patient("bom1")
    assert patient.birth_year == 1970 and patient.birth_date is None


def test_latin1_json_names_the_line(tmp_path, db):
    path = tmp_path / "p.json"
    path.write_bytes(b'{"resourceType": "Patient",\n "id": "M\xfcller"}')
    code, output = _import("fhir", path, db=db)
    assert code == 1 and "line 2" in output and "0xfc is not UTF-8" in output


def test_condition_onset_period_dates_it_and_partial_onset_stays_undated():
    def condition(**onset: object) -> dict[str, object]:
        return {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "89155008"}]},
            "recordedDate": "2021-06-01",
            **onset,
        }

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1961-05"}},
            {"resource": condition(onsetPeriod={"start": "2019-03-02T08:00:00+01:00"})},
            {"resource": condition(onsetDateTime="2019")},
            {"resource": condition()},
        ],
    }
    result = read_fhir_bundle(bundle, source="b.json")
    assert result.batch.patients[0].birth_year == 1961
    period, partial, recorded = result.batch.facts
    assert period.effective_date == dt.date(2019, 3, 2)
    assert partial.effective_date is None and "onsetDateTime=2019" in (partial.provenance or "")
    assert recorded.effective_date == dt.date(2021, 6, 1)
    bad = {
        "resourceType": "Bundle",
        "entry": [{"resource": condition(onsetPeriod={"start": "2019-02-30"})}],
    }
    with pytest.raises(ValidationError, match=r"onsetPeriod\.start"):
        read_fhir_bundle(bad, source="b.json")


# --- Phenopackets -----------------------------------------------------------------------------


def test_phenopacket_schema_covid_example(db):
    code, output = _import("phenopackets", COVID, db=db)
    assert code == 0, output
    facts = _facts(db, "arbitrary.phenopacket.id")
    by_code = {f.code: f for f in facts}
    # vitalStatus DECEASED with its timeOfDeath is a death fact, as FHIR deceasedDateTime is
    death = by_code["death"]
    assert death.effective_date == dt.date(2020, 3, 28)
    assert "causeOfDeath MONDO:0100096" in (death.provenance or "")
    # an onset interval is dated by its start; the whole interval stays in the provenance
    myalgia = by_code["HP:0003326"]
    assert myalgia.effective_date == dt.date(2020, 3, 18)
    assert "2020-03-20" in (myalgia.provenance or "")
    lymphocytes = by_code["C113237"] if "C113237" in by_code else by_code["NCIT:C113237"]
    assert lymphocytes.effective_date == dt.date(2019, 9, 1) and lymphocytes.value_num == 1.4


def _packet(tmp_path: Path, **subject: object) -> Path:
    packet = {
        "id": "tz1",
        "subject": {"id": "s", "sex": "FEMALE", **subject},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0003761"}, "onset": {"timestamp": "2019-05-01T23:30:00-05:00"}}
        ],
        "metaData": {"created": "2021-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
    }
    path = tmp_path / "tz1.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    return path


def test_phenopacket_timestamp_keeps_its_local_date(tmp_path):
    path = _packet(tmp_path, dateOfBirth="1970-05-01T23:00:00-05:00")
    result = read_phenopackets([path])
    (fact,) = result.batch.facts
    assert fact.effective_date == dt.date(2019, 5, 1)  # not 2019-05-02, the UTC date
    assert result.batch.patients[0].birth_date == dt.date(1970, 5, 1)


def test_phenopacket_schema_error_names_element_and_field(tmp_path):
    path = _packet(tmp_path, sex="F")
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("#/subject", "sex")
    path = _packet(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2019-05-01T23:30", "2019-13-45T00:00"), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_phenopackets([path])
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("#/phenotypicFeatures/0/onset", "timestamp")


# --- Partial dates, one rule for every reader -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-05-01", (dt.date(2019, 5, 1), None)),
        ("2019-05-01 10:30", (dt.date(2019, 5, 1), None)),
        ("2019-05-01T23:30:00-05:00", (dt.date(2019, 5, 1), None)),
        ("2019", (None, "2019")),
        ("2019-05", (None, "2019-05")),
    ],
)
def test_partial_date_reads(text, expected):
    assert partial_date(text) == expected


@pytest.mark.parametrize("text", ["2020-13-45", "2019-13", "2019-02-29", "05/01/2019", "2019-5"])
def test_partial_date_refuses(text):
    with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
        partial_date(text)


# --- REDCap -----------------------------------------------------------------------------------

DICTIONARY = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"\n'
    "record_id,baseline,,text,Record ID,,,,,,,,,,,,,\n"
    "visit_date,baseline,,text,Visit date,,,date_ymd,,,,,,,,,,\n"
    "dx_date,baseline,,text,Date of diagnosis,,,,,,,,,,,,,\n"
    "ck,baseline,,text,CK,,,number,,,,,,,,,,\n"
    "comment,baseline,,text,Comment,,,,,,,,,,,,,\n"
)
HEADER = "record_id,visit_date,dx_date,ck,comment,baseline_complete"


def _redcap(tmp_path: Path, rows: list[str], encoding: str = "utf-8", newline: str = "\n"):
    (tmp_path / "dictionary.csv").write_text(DICTIONARY, encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_bytes(newline.join([HEADER, *rows, ""]).encode(encoding))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "record_id: record_id\nform_dates:\n  baseline: visit_date\nfields:\n"
        "  dx_date: {kind: date, system: calciscope, code: ssc_diagnosis}\n"
        "  ck: {kind: number, system: LOINC, code: 2157-6, unit: U/L}\n"
        "  comment: {kind: text, system: calciscope, code: redcap.comment}\n",
        encoding="utf-8",
    )
    return data, tmp_path / "dictionary.csv", mapping


def test_redcap_partial_dates_stay_undated_in_the_provenance(tmp_path):
    data, dictionary, mapping = _redcap(
        tmp_path, ["1,2019-05,2019,250,ok,2", "2,2020-01-05,2018-03-04,300,ok,2"], newline="\r\n"
    )
    facts = read_redcap(data, dictionary, mapping).batch.facts
    one = {f.code: f for f in facts if f.patient_id == "1"}
    assert one["ssc_diagnosis"].effective_date is None
    assert "dx_date=2019" in (one["ssc_diagnosis"].provenance or "")
    assert one["2157-6"].effective_date is None  # the form's date is 2019-05: partial
    assert "visit_date=2019-05" in (one["2157-6"].provenance or "")
    two = {f.code: f for f in facts if f.patient_id == "2"}
    assert two["ssc_diagnosis"].effective_date == dt.date(2018, 3, 4)
    assert two["2157-6"].effective_date == dt.date(2020, 1, 5)


def test_redcap_bad_date_names_row_and_field(tmp_path):
    data, dictionary, mapping = _redcap(tmp_path, ["1,2020-01-05,2020-13-45,250,ok,2"])
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary, mapping)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("row 2", "dx_date")
    assert "expected YYYY-MM-DD" in problem.message


def test_redcap_duplicated_record_is_refused(tmp_path, db):
    data, dictionary, mapping = _redcap(
        tmp_path, ["1,2020-01-05,,250,ok,2", "2,2020-01-05,,250,ok,2", "1,2021-01-05,,260,x,2"]
    )
    code, output = _import("redcap", data, "--dictionary", dictionary, "--mapping", mapping, db=db)
    assert code == 1 and "row 4" in output and "duplicated record" in output
    with api.open_registry(db) as registry:
        assert registry.counts()["patients"] == 0


def test_redcap_latin1_export_names_the_line(tmp_path):
    data, dictionary, mapping = _redcap(
        tmp_path, ["1,2020-01-05,,250,ok,2", "2,2020-01-05,,250,M\xfcller caf\xe9,2"], "latin-1"
    )
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary, mapping)
    (problem,) = caught.value.problems
    assert problem.location == "line 3" and "0xfc is not UTF-8" in problem.message


def test_redcap_empty_export_imports_nothing_and_says_so(tmp_path, db):
    data, dictionary, mapping = _redcap(tmp_path, [])
    data.write_bytes(b"")  # what REDCap's API returns for a project without records
    code, output = _import("redcap", data, "--dictionary", dictionary, "--mapping", mapping, db=db)
    assert code == 0 and "no records in the export" in output


# --- OMOP -------------------------------------------------------------------------------------

CDM_TABLES = ("PERSON", "CONDITION_OCCURRENCE", "CONCEPT", "CONCEPT_ANCESTOR")


def test_omop_person_on_two_rows_is_refused(data_dir, tmp_path, db):
    source = data_dir("omop", "synthea27nj_v5.4_csv")
    cdm = tmp_path / "cdm"
    cdm.mkdir()
    for name in (*CDM_TABLES, "CONCEPT_RELATIONSHIP", "CDM_SOURCE"):
        (cdm / f"{name}.csv").write_bytes((source / f"{name}.csv").read_bytes())
    person = (cdm / "PERSON.csv").read_text(encoding="utf-8").splitlines()
    (cdm / "PERSON.csv").write_text("\n".join([*person, person[1], ""]), encoding="utf-8")
    concept_set = tmp_path / "cs.json"
    concept_set.write_text(
        '{"items": [{"concept": {"CONCEPT_ID": 40481087}, "includeDescendants": true}]}',
        encoding="utf-8",
    )
    code, output = _import("omop", cdm, "--concept-set", f"sinusitis={concept_set}", db=db)
    assert code == 1 and "person/1" in output and "is on 2 PERSON rows" in output
    with api.open_registry(db) as registry:
        assert registry.counts()["patients"] == 0


def test_fhir_quantity_with_comparator_is_no_number():
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "2157-6"}]},
        "effectiveDateTime": "2020-03-04",
        "valueQuantity": {"value": 5, "comparator": "<", "unit": "U/L", "code": "U/L"},
    }
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}, {"resource": observation}],
    }
    (fact,) = read_fhir_bundle(bundle, source="b.json").batch.facts
    assert fact.value_num is None and (fact.value_text, fact.unit) == ("<5", "U/L")
    observation["valueQuantity"] = {"value": 5, "comparator": "~"}
    with pytest.raises(ValidationError, match="not a FHIR quantity comparator"):
        read_fhir_bundle(bundle, source="b.json")


@pytest.mark.parametrize("cell", ["<5", "3 00", "nan", "inf"])
def test_redcap_number_that_is_not_one_names_row_and_field(tmp_path, cell):
    data, dictionary, mapping = _redcap(tmp_path, [f"1,2020-01-05,,{cell},ok,2"])
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary, mapping)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field, problem.message) == (
        "row 2",
        "ck",
        f"{cell!r} is not a number",
    )


def test_redcap_semicolon_export_says_it_is_not_comma_separated(tmp_path):
    data, dictionary, mapping = _redcap(tmp_path, ["1,2020-01-05,,250,ok,2"])
    data.write_text(data.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary, mapping)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field) == ("row 1", "(header)")
    assert "not comma-separated" in problem.message


def test_redcap_latin1_dictionary_names_the_line(tmp_path):
    data, dictionary, mapping = _redcap(tmp_path, ["1,2020-01-05,,250,ok,2"])
    dictionary.write_bytes(dictionary.read_bytes().replace(b"Comment", b"Caf\xe9"))
    with pytest.raises(ValidationError) as caught:
        read_redcap(data, dictionary, mapping)
    (problem,) = caught.value.problems
    assert problem.location == "line 6" and "0xe9 is not UTF-8" in problem.message


@pytest.mark.parametrize("text", ["2019-05-01 to 2020-01-01", "2019-05-01 approx", "2019-05-01T"])
def test_text_after_a_full_date_is_refused_not_dropped(text: str) -> None:
    """Only a time may follow a date; a range or a doubt would be lost without a word."""
    with pytest.raises(ValueError, match="is not a date"):
        partial_date(text)


@pytest.mark.parametrize(
    "text", ["2019-05-01T23:30:00-05:00", "2019-05-01 10:30", "2019-05-01T10:30:00.123Z"]
)
def test_a_time_after_the_date_keeps_the_local_date(text: str) -> None:
    assert partial_date(text) == (dt.date(2019, 5, 1), None)
