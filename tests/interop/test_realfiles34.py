"""realfiles34: more files written by others, run through the importers.

The files are small copies kept in ``tests/interop/data/realfiles34`` (its README names the
repository, path, commit and licence of each, and what was cut). Each test says what the
importer gave before the fix, when it gave something wrong.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir, read_fhir_bundle
from calciscope.interop.fhir.markup import attachment_text, markup_to_text
from calciscope.interop.omop import load_concept_set, open_cdm
from calciscope.interop.omop.reader import read_cdm

HERE = Path(__file__).resolve().parent / "data" / "realfiles34"
US_CORE = HERE / "us_core"
HL7 = HERE / "hl7_r4"
runner = CliRunner()


def _import(kind: str, *args: object, db: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", kind, *map(str, args), "--db", db])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# --- FHIR: HL7 US Core examples -------------------------------------------------------------


def test_us_core_examples_import_patient_condition_and_both_reports(tmp_path):
    db = f"sqlite:///{tmp_path}/us.db"
    code, output = _import("fhir", US_CORE, db=db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        records = api.read_registry_records(registry)
    assert [p.patient_id for p in records.patients] == ["example"]
    (fact,) = records.facts
    assert (fact.system, fact.code, fact.status.value) == ("SNOMEDCT", "39065001", "present")
    assert str(fact.effective_date) == "2015-10-31"  # onsetDateTime, not recordedDate
    assert "clinicalStatus=resolved" in (fact.provenance or "")
    notes = {n.note_id: n for n in records.notes}
    assert set(notes) == {"chest-xray-report", "soap-note"}
    assert notes["soap-note"].text.startswith("S: Patient complained of sore toe")


def test_us_core_xhtml_radiology_report_is_a_note_of_its_words(tmp_path):
    # before: "no inline text (no text presentedForm and no conclusion)": the report was skipped
    # because its presentedForm is application/xhtml, not text/*
    result = read_fhir([US_CORE / "DiagnosticReport-chest-xray-report.json"], stub_patients=True)
    (note,) = result.batch.notes
    assert note.note_type.value == "radiology_report"
    assert str(note.note_date) == "2019-02-03"
    lines = note.text.splitlines()
    assert lines[:4] == [
        "Result",
        "Chest Portable",
        "INDICATION/CLINICAL QUESTION: Fever / Pneumonia",
        "COMPARISON: None.",
    ]
    assert "No pleural effusion." in lines and "IMPRESSION:" in lines
    assert "<" not in note.text and "DOCTYPE" not in note.text
    assert "Chest Portable" not in lines[0]  # the <title> in <head> is not report text


def test_html_report_text_keeps_its_entities_and_drops_scripts():
    html = (
        "<html><head><style>p {color: red}</style></head><body><p>Calcinosis &gt; 5&nbsp;mm"
        "</p><script>alert(1)</script><ul><li>right  index</li><li>left thumb</li></ul></body>"
    )
    # &nbsp; reads as a space (hardening35; it was kept as "\xa0")
    assert markup_to_text(html) == "Calcinosis > 5 mm\nright index\nleft thumb"


@pytest.mark.parametrize(
    ("content_type", "data", "expected"),
    [
        ("text/plain; charset=ISO-8859-1", "Sklérodermie".encode("latin-1"), "Sklérodermie"),
        ('text/plain;charset="utf-8"', "Sklérodermie".encode(), "Sklérodermie"),
        ("TEXT/HTML", b"<p>a</p><p>b</p>", "a\nb"),
        ("text/plain", "Sklérodermie".encode("latin-1"), None),  # not UTF-8: nothing guessed
        ("text/plain; charset=no-such-charset", b"abc", None),
        ("application/pdf", b"%PDF-1.4", None),
    ],
)
def test_attachment_text_follows_the_content_type(content_type, data, expected):
    assert attachment_text(content_type, data) == expected


def test_latin1_note_with_its_charset_is_read(tmp_path):
    # SYNTHETIC change of the US Core SOAP note: its text in ISO-8859-1, as the content type says;
    # before: decoded as UTF-8, failed, and the note was skipped as "no inline text attachment"
    doc = json.loads((US_CORE / "DocumentReference-soap-note.json").read_text(encoding="utf-8"))
    text = "A: Phénomène de Raynaud, calcinose digitale."
    doc["content"][0]["attachment"] = {
        "contentType": "text/plain; charset=ISO-8859-1",
        "data": base64.b64encode(text.encode("latin-1")).decode(),
    }
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    shutil.copy(US_CORE / "Patient-example.json", tmp_path)
    result = read_fhir([path, tmp_path / "Patient-example.json"])
    assert [n.text for n in result.batch.notes] == [text]


def test_pdf_report_is_still_skipped_with_its_reason():
    report = json.loads((US_CORE / "DiagnosticReport-chest-xray-report.json").read_text("utf-8"))
    report["presentedForm"][0]["contentType"] = "application/pdf"
    result = read_fhir_bundle(report, source="report.json", stub_patients=True)
    assert result.batch.notes == []
    reasons = [reason for (kind, reason) in result.skipped if kind == "DiagnosticReport"]
    assert reasons == [
        "no inline text (no text, HTML or XHTML presentedForm and no conclusion); "
        "its results are separate Observations"
    ]


# --- FHIR: value[x] types that are no single number (IPS, HL7 R4 examples) ------------------

IPS = HERE / "ips"


def _observation(**value: object) -> dict[str, object]:
    """Return a SYNTHETIC Observation of an ANA titre (LOINC 5048-4) with the given value[x]."""
    return {
        "resourceType": "Observation",
        "id": "ana",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "5048-4"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2021-03-04",
        **value,
    }


def test_ips_value_range_keeps_its_range_unit_and_upper_limit():
    # before: a fact with no value at all: the 10..20 per HPF of the IPS example was dropped
    result = read_fhir([IPS / "Observation-urine-wbc-range.json"], stub_patients=True)
    (fact,) = result.batch.facts
    assert (fact.code, fact.status.value) == ("5821-4", "present")
    assert (fact.value_num, fact.value_text, fact.unit) == (None, "10..20", "/[HPF]")
    assert fact.reference_high == 5.0


@pytest.mark.parametrize(
    ("value", "text", "unit", "status"),
    [
        # an ANA titre 1:320 as a Ratio (FHIR: "Need to be able to capture ratios for ... titers")
        (
            {"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 320}}},
            "1:320",
            None,
            "present",
        ),
        # MyHealth@EU's ratio example: albumin 15 mg per 24 h
        (
            {
                "valueRatio": {
                    "numerator": {"value": 15, "code": "mg"},
                    "denominator": {"value": 24, "code": "h"},
                }
            },
            "15:24",
            "mg/h",
            "present",
        ),
        (
            {
                "valueRatio": {
                    "numerator": {"value": 1, "comparator": ">="},
                    "denominator": {"value": 1280.0},
                }
            },
            ">=1:1280",
            None,
            "present",
        ),
        ({"valueRange": {"high": {"value": 40, "unit": "U/mL"}}}, "..40", "U/mL", "present"),
        ({"valueBoolean": True}, "true", None, "present"),
        ({"valueBoolean": False}, "false", None, "absent"),
        ({"valueDateTime": "2016-12-30"}, "2016-12-30", None, "present"),
        ({"valuePeriod": {"start": "2020-01-01"}}, "2020-01-01..", None, "present"),
        (
            {"valueSampledData": {"origin": {"value": 0}, "period": 10, "dimensions": 1}},
            None,
            None,
            "present",
        ),
    ],
)
def test_observation_values_that_are_no_number_are_kept_as_text(value, text, unit, status):
    # before: each of these became a "present" fact without its value (valueBoolean false too)
    result = read_fhir_bundle(_observation(**value), source="o.json", stub_patients=True)
    (fact,) = result.batch.facts
    assert (fact.value_num, fact.value_text, fact.unit, fact.status.value) == (
        None,
        text,
        unit,
        status,
    )


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        (
            {"valueRatio": {"numerator": {"value": "1"}, "denominator": {"value": 320}}},
            "Observation.valueRatio.numerator.value",
            "expected a number, got '1'",
        ),
        (
            {"valueBoolean": "false"},
            "Observation.valueBoolean",
            "expected true or false, got 'false'",
        ),
        (
            {"valueDateTime": "30/12/2016"},
            "Observation.valueDateTime",
            "'30/12/2016' is not a valid FHIR dateTime",
        ),
    ],
)
def test_observation_values_of_the_wrong_type_are_refused_naming_the_element(value, field, message):
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(_observation(**value), source="o.json", stub_patients=True)
    (problem,) = caught.value.problems
    assert (problem.location, problem.field, problem.message) == ("#/entry/0", field, message)


def test_hl7_examples_boolean_and_date_values_are_text():
    files = [HL7 / "Observation-abdo-tender.json", HL7 / "Observation-date-lastmp.json"]
    result = read_fhir(files, stub_patients=True)
    assert sorted((f.code, f.value_text) for f in result.batch.facts) == [
        ("43478001", "true"),
        ("8665-2", "2016-12-30"),
    ]


# --- FHIR: a DiagnosticReport's coded conclusions (HL7 R4 examples) --------------------------


def test_report_conclusion_codes_are_facts_beside_the_note():
    # before: DiagnosticReport/102 (a conclusion code, no text) was skipped as "no inline text"
    # and the conclusion code of DiagnosticReport/f201 was dropped without a word
    result = read_fhir(
        [HL7 / "DiagnosticReport-102.json", HL7 / "DiagnosticReport-f201.json"], stub_patients=True
    )
    facts = sorted(
        (f.patient_id, f.system, f.code, f.status.value, str(f.effective_date))
        for f in result.batch.facts
    )
    assert facts == [
        ("f201", "SNOMEDCT", "188340000", "present", "2012-12-01"),  # malignant tumour
        ("pat2", "SNOMEDCT", "391040000", "present", "2008-06-17"),  # at risk of fracture
    ]
    assert [n.text for n in result.batch.notes] == ["CT brains: large tumor sphenoid/clivus."]
    assert all(f.provenance.endswith(")/conclusionCode/0") for f in result.batch.facts)
    assert result.mapped["DiagnosticReport"] == 2 and not result.skipped


def test_report_conclusion_code_that_is_no_concept_is_refused():
    report = json.loads((HL7 / "DiagnosticReport-f201.json").read_text(encoding="utf-8"))
    report["conclusionCode"] = {"coding": report["conclusionCode"][0]["coding"]}  # not a list
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(report, source="r.json", stub_patients=True)
    (problem,) = caught.value.problems
    assert (problem.field, problem.message) == (
        "DiagnosticReport.conclusionCode",
        "expected a list, got dict",
    )


# --- FHIR: one document in several formats --------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_note_given_in_two_formats_is_read_once_from_the_best():
    # SYNTHETIC, shaped as an EHR's DocumentReference: one note as HTML and as RTF (FHIR R4:
    # content repeats "each with a different format"); before: both joined, the note twice
    doc = json.loads((US_CORE / "DocumentReference-soap-note.json").read_text(encoding="utf-8"))
    doc["content"] = [
        {
            "attachment": {
                "contentType": "text/rtf",
                "data": _b64(r"{\rtf1 Calcinosis of the thumb.}"),
            }
        },
        {
            "attachment": {
                "contentType": "text/html",
                "data": _b64("<p>Calcinosis of the thumb.</p>"),
            }
        },
    ]
    result = read_fhir_bundle(doc, source="doc.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["Calcinosis of the thumb."]
    doc["content"].append({"attachment": {"contentType": "text/plain", "data": _b64("Plain.")}})
    result = read_fhir_bundle(doc, source="doc.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["Plain."]


def test_a_report_in_two_formats_is_one_note():
    report = json.loads((US_CORE / "DiagnosticReport-chest-xray-report.json").read_text("utf-8"))
    report["presentedForm"].insert(
        0, {"contentType": "application/pdf", "data": _b64("%PDF-1.4 not text")}
    )
    report["presentedForm"].append(
        {
            "contentType": "text/plain; charset=utf-8",
            "data": _b64("IMPRESSION: no acute abnormality."),
        }
    )
    result = read_fhir_bundle(report, source="r.json", stub_patients=True)
    assert [n.text for n in result.batch.notes] == ["IMPRESSION: no acute abnormality."]


# --- OMOP: a measurement's operator (MEASUREMENT.operator_concept_id) -----------------------

MEASUREMENT_HEADER = (
    "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_type_concept_id,"
    "operator_concept_id,value_as_number,value_as_concept_id,unit_concept_id,range_low,range_high,"
    "unit_source_value\n"
)
CDM = {
    "person": "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,care_site_id\n"
    "1,8532,1960,,,\n",
    "concept": "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,"
    "standard_concept,concept_code\n",
    "concept_ancestor": "ancestor_concept_id,descendant_concept_id,min_levels_of_separation,"
    "max_levels_of_separation\n",
    "concept_relationship": "concept_id_1,concept_id_2,relationship_id\n",
}


@pytest.mark.parametrize(
    ("operator", "value", "text"),
    [
        ("4171756", None, "<5"),  # "<", as the OHDSI vocabulary's Meas Value Operator concepts
        ("4171754", None, "<=5"),
        ("4172704", None, ">5"),
        ("4171755", None, ">=5.5"),
        ("4172703", 5.0, None),  # "=" is the number itself
        ("", 5.0, None),
        ("0", 5.0, None),
    ],
)
def test_omop_measurement_with_an_operator_is_no_number(tmp_path, operator, value, text):
    # SYNTHETIC CDM rows in the official v5.4 column order; before: "<5" was read as 5
    number = "5.5" if text == ">=5.5" else "5"
    rows = {
        **CDM,
        "measurement": MEASUREMENT_HEADER + f"7,1,3013721,2020-01-01,44818702,"
        f"{operator},{number},,,0,40,U/L\n",
    }
    for name, content in rows.items():
        (tmp_path / f"{name}.csv").write_text(content, encoding="utf-8")
    sets = {"ast": load_concept_set({"items": [{"concept": {"CONCEPT_ID": 3013721}}]})}
    (fact,) = read_cdm(open_cdm(tmp_path), sets).batch.facts
    assert (fact.code, fact.value_num, fact.value_text, fact.unit) == ("ast", value, text, "U/L")
    assert fact.reference_high == 40.0
