"""A lab fact's own reference range (``reference_high``) through the importers and exporters.

FHIR ``Observation.referenceRange.high``, OMOP ``measurement.range_high`` and the native
``reference_high`` column carry the laboratory's upper limit of normal; each importer fills the
field when the source has it and each exporter writes it back (issue 12). SYNTHETIC values.
"""

from __future__ import annotations

import datetime as dt

from fhir.resources.R4B.bundle import Bundle

from calciscope import api
from calciscope.interop.fhir import read_fhir_bundle, write_fhir_bundle
from calciscope.interop.omop import (
    PatientIdColumn,
    build_cdm,
    load_concept_set,
    open_cdm,
    read_cdm,
    save_cdm,
)
from calciscope.model import Fact, Patient, Sex

DAY = dt.date(2021, 4, 1)
PATIENT = Patient(patient_id="P1", sex=Sex.FEMALE, birth_date=dt.date(1960, 5, 2), synthetic=True)
CK = Fact(
    patient_id="P1",
    system="LOINC",
    code="2157-6",
    value_num=250.0,
    unit="U/L",
    reference_high=170.0,
    effective_date=DAY,
)
PLAIN = Fact(
    patient_id="P1", system="LOINC", code="1742-6", value_num=30.0, unit="U/L", effective_date=DAY
)


def _labs(facts):
    return {(f.code, f.value_num, f.reference_high) for f in facts if f.system == "LOINC"}


def test_fhir_reference_range_round_trips():
    bundle = write_fhir_bundle([PATIENT], [CK, PLAIN], [], [], group_name="cases")
    Bundle.model_validate(bundle)
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    ranged = next(o for o in observations if o.get("referenceRange"))
    assert ranged["referenceRange"][0]["high"]["value"] == 170.0
    assert ranged["referenceRange"][0]["high"]["code"] == "U/L"
    result = read_fhir_bundle(bundle, source="t")
    assert _labs(result.batch.facts) == {("2157-6", 250.0, 170.0), ("1742-6", 30.0, None)}


def test_fhir_high_in_another_unit_or_ambiguous_is_not_taken():
    def observation(ranges):
        return {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": "Patient/P1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "2157-6"}]},
            "effectiveDateTime": "2021-04-01",
            "valueQuantity": {"value": 250, "unit": "U/L", "code": "U/L"},
            "referenceRange": ranges,
        }

    def read(ranges):
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"resource": {"resourceType": "Patient", "id": "P1", "gender": "female"}},
                {"resource": observation(ranges)},
            ],
        }
        (fact,) = read_fhir_bundle(bundle, source="t").batch.facts
        return fact.reference_high

    assert read([{"high": {"value": 200, "unit": "U/L"}}]) == 200.0
    assert read([{"high": {"value": 200}}]) == 200.0  # no unit: the value's
    assert read([{"high": {"value": 3.4, "unit": "ukat/L"}}]) is None
    assert read([{"high": {"value": 170}}, {"high": {"value": 310}}]) is None  # by group


def test_omop_range_high_round_trips(tmp_path):
    export = build_cdm([PATIENT], [CK, PLAIN], today=dt.date(2026, 11, 25))
    save_cdm(export, tmp_path)
    cdm = open_cdm(tmp_path, patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE)
    sets = {
        p.stem: load_concept_set(p, name=p.stem) for p in (tmp_path / "concept_sets").glob("*.json")
    }
    try:
        facts = read_cdm(cdm, sets).batch.facts
    finally:
        cdm.close()
    highs = {f.code: f.reference_high for f in facts}
    assert highs == {"creatine_kinase": 170.0, "alanine_aminotransferase": None}


def test_native_column_is_imported_and_used(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        "patient_id,sex,birth_year,synthetic\nP1,female,1960,true\n"
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,value_num,unit,effective_date,reference_high\n"
        "P1,LOINC,2157-6,180,U/L,2021-04-01,170\n"
    )
    with api.open_registry(f"sqlite:///{tmp_path / 'r.db'}") as registry:
        api.import_directory(registry, folder)
        (fact,) = registry.facts_for("P1")
        assert fact.reference_high == 170.0
        table = api.feature_table(
            registry, index_date=dt.date(2023, 1, 1), features=["muscle_enzymes_elevated"]
        )
        (row,) = table.to_pyarrow().to_pylist()
    assert row["muscle_enzymes_elevated"] is True  # 180 > its own 170 (the default 210 would not)
