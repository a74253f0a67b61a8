"""FHIR values are validated like every other format's: a problem with file, entry and path.

Hand-made bundles (issue 15, must fix 2 and the FHIR part of 4): bad dates, numbers, genders,
and lists or strings where a CodeableConcept or Coding belongs never import and never crash.
"""

from __future__ import annotations

import json

import pytest

from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir, read_fhir_bundle

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-05-01"}
LOINC_CK = {"coding": [{"system": "http://loinc.org", "code": "2157-6"}]}
SNOMED = {"coding": [{"system": "http://snomed.info/sct", "code": "238852006"}]}


def _bundle(*resources):
    entries = [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _observation(**fields):
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": LOINC_CK,
        "subject": {"reference": "urn:uuid:0"},
        "valueQuantity": {"value": 250, "unit": "U/L"},
    } | fields


def _condition(**fields):
    base = {"resourceType": "Condition", "code": SNOMED, "subject": {"reference": "urn:uuid:0"}}
    return base | fields


def _problems(*resources):
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(_bundle(PATIENT, *resources), source="b.json")
    return {(p.source, p.location, p.field) for p in caught.value.problems}


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        (_observation(effectiveDateTime="2020-02-30", issued="2026-01-01T00:00:00Z"),
         "Observation.effectiveDateTime"),
        (_observation(valueQuantity={"value": "abc", "unit": "U/L"}), "Observation.valueQuantity.value"),
        (_observation(valueQuantity={"value": True}), "Observation.valueQuantity.value"),
        (_observation(issued="2020-01-01"), "Observation.issued"),
        (_observation(code=[LOINC_CK]), "Observation.code"),
        (_observation(code="2157-6"), "Observation.code"),
        (_observation(code={"coding": LOINC_CK["coding"][0]}), "Observation.code.coding"),
        (_observation(code={"coding": ["2157-6"]}), "Observation.code.coding[0]"),
        (_observation(code={"coding": [{"system": "http://loinc.org", "code": 2157}]}),
         "Observation.code.coding[0].code"),
        (_observation(interpretation={"coding": []}), "Observation.interpretation"),
        (_observation(component=[{"code": ["x"]}]), "Observation.component[0].code"),
        (_observation(extension={"url": "x"}), "Observation.extension"),
        (_observation(extension=[{"url": "x", "valueCode": ["a"]}]), "Observation.extension[0].valueCode"),
        (_condition(verificationStatus="refuted"), "Condition.verificationStatus"),
        (_condition(onsetDateTime="yesterday"), "Condition.onsetDateTime"),
        (_condition(bodySite=SNOMED), "Condition.bodySite"),
        ({"resourceType": "DiagnosticReport", "subject": {"reference": "urn:uuid:0"},
          "category": {"coding": []}, "conclusion": "x"}, "DiagnosticReport.category"),
        ({"resourceType": "ImagingStudy", "subject": {"reference": "urn:uuid:0"},
          "series": [{"modality": [{"code": "CR"}]}]}, "ImagingStudy.series[0].modality"),
        ({"resourceType": "DocumentReference", "subject": {"reference": "urn:uuid:0"},
          "date": "2020-13-01T00:00:00Z"}, "DocumentReference.date"),
        ({"resourceType": "Provenance", "activity": ["reviewed"]}, "Provenance.activity"),
    ],
)  # fmt: skip
def test_a_bad_value_is_a_problem_naming_entry_and_path(resource, path):
    assert _problems(resource) == {("b.json", "#/entry/1", path)}


@pytest.mark.parametrize(
    ("patient", "path"),
    [
        (PATIENT | {"birthDate": "not-a-date"}, "Patient.birthDate"),
        (PATIENT | {"birthDate": "1970-02-30"}, "Patient.birthDate"),
        (PATIENT | {"gender": "banana"}, "Patient.gender"),
        (PATIENT | {"gender": ["female"]}, "Patient.gender"),
        (PATIENT | {"deceasedDateTime": "2020-00"}, "Patient.deceasedDateTime"),
        (PATIENT | {"meta": {"tag": {"code": "synthetic"}}}, "Patient.meta.tag"),
        (PATIENT | {"identifier": [{"value": 4}]}, "Patient.identifier[0].value"),
    ],
)
def test_a_bad_patient_value_is_a_problem(patient, path):
    with pytest.raises(ValidationError) as caught:
        read_fhir_bundle(_bundle(patient), source="b.json")
    assert {(p.location, p.field) for p in caught.value.problems} == {("#/entry/0", path)}


def test_every_bad_value_of_every_file_is_reported(tmp_path):
    good = tmp_path / "good.json"
    bad = tmp_path / "bad.json"
    good.write_text(json.dumps(_bundle(PATIENT, _observation())), encoding="utf-8")
    bad.write_text(
        json.dumps(_bundle(PATIENT | {"gender": "banana"}, _observation(effectiveDateTime="x"))),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        read_fhir([good, bad])
    assert {(p.source, p.location) for p in caught.value.problems} == {
        (str(bad), "#/entry/0"),
        (str(bad), "#/entry/1"),
    }


@pytest.mark.parametrize(
    ("fields", "date"),
    [
        ({"effectiveDateTime": "2020-02-29T10:00:00+01:00"}, "2020-02-29"),
        ({"effectivePeriod": {"start": "2019-03-01"}}, "2019-03-01"),
        ({"issued": "2021-04-05T10:00:00Z"}, "2021-04-05"),  # no effective[x] at all
        ({"effectiveDateTime": "2020-02", "issued": "2026-01-01T00:00:00Z"}, None),
    ],
)
def test_the_effective_date_is_never_replaced_by_issued(fields, date):
    result = read_fhir_bundle(_bundle(PATIENT, _observation(**fields)), source="b.json")
    [fact] = result.batch.facts
    assert (str(fact.effective_date) if fact.effective_date else None) == date
    if date is None:
        assert "effectiveDateTime=2020-02" in fact.provenance  # kept, not substituted


def test_every_official_example_and_synthea_bundle_passes(data_dir):
    files = [p for p in sorted(data_dir("fhir").glob("*/*.json")) if p.name != "package.json"]
    assert len(files) >= 240
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        read_fhir_bundle(data, source=path.name, stub_patients=True)  # raises on any problem
