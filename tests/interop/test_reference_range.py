"""A lab fact's own reference range (``reference_high``) through the importers and exporters.

FHIR ``Observation.referenceRange.high``, Phenopackets ``Quantity.referenceRange.high``, REDCap
``<field>_uln``, OMOP ``measurement.range_high`` and the native ``reference_high`` column carry
the laboratory's upper limit of normal; each importer fills the field when the source has it and
each exporter writes it back; a bad one (not a number, negative) is an error naming the file,
row and field (issue 12). SYNTHETIC values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fhir.resources.R4B.bundle import Bundle

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir_bundle, write_fhir_bundle
from calciscope.interop.omop import (
    PatientIdColumn,
    build_cdm,
    load_concept_set,
    open_cdm,
    read_cdm,
    save_cdm,
)
from calciscope.interop.phenopackets import read_phenopacket, write_phenopacket
from calciscope.interop.redcap import generate_mapping, read_records
from calciscope.interop.redcap.export import write_records
from calciscope.interop.redcap.mapping import FieldKind
from calciscope.interop.redcap.template import redcap_template
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
        (row,) = table.to_pylist()
    assert row["muscle_enzymes_elevated"] is True  # 180 > its own 170 (the default 210 would not)


def test_phenopacket_reference_range_round_trips():
    packet, _ = write_phenopacket(PATIENT, [CK, PLAIN])
    ranged = [
        m["value"]["quantity"]
        for m in packet["measurements"]
        if "referenceRange" in m["value"]["quantity"]
    ]
    assert [(q["value"], q["referenceRange"]["high"]) for q in ranged] == [(250.0, 170.0)]
    assert ranged[0]["referenceRange"]["unit"]["id"] == "UCUM:U/L"
    assert _labs(read_phenopacket(packet, source="t").batch.facts) == {
        ("2157-6", 250.0, 170.0),
        ("1742-6", 30.0, None),
    }


def test_phenopacket_range_in_another_unit_is_not_taken_and_a_negative_one_is_an_error():
    packet, _ = write_phenopacket(PATIENT, [CK])
    quantity = packet["measurements"][0]["value"]["quantity"]
    quantity["referenceRange"]["unit"] = {"id": "UCUM:ukat/L", "label": "ukat/L"}
    assert _labs(read_phenopacket(packet, source="t").batch.facts) == {("2157-6", 250.0, None)}
    quantity["referenceRange"] = {"unit": quantity["unit"], "high": -170.0}
    with pytest.raises(ValidationError) as info:
        read_phenopacket(packet, source="p.json")
    (problem,) = info.value.problems
    assert (problem.source, problem.location, problem.field) == (
        "p.json",
        "#/measurements/0",
        "value.quantity.referenceRange.high",
    )


def test_redcap_uln_field_round_trips(tmp_path):
    """REDCap: a number field ``X`` carries its ULN in ``X_uln`` (the template has ``ck_max_uln``)."""
    fields, mapping = redcap_template()
    assert "ck_max_uln" in {f.name for f in fields}
    text, skipped = write_records([PATIENT], [CK], fields, mapping)
    assert skipped == {"date not kept: ck_max holds its value without a date": 1}
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["ck_max"], row["ck_max_uln"]) == ("250", "170")
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    back = read_records(tmp_path / "data.csv", fields, mapping)
    assert [(f.value_num, f.reference_high) for f in back.batch.facts] == [(250.0, 170.0)]
    assert not back.skipped  # ck_max_uln is read, not "not listed in the mapping"
    # a generated mapping reads X_uln as X's ULN, not as a fact of its own
    generated = generate_mapping(fields)
    assert generated.fields["ck_max_uln"].kind is FieldKind.IGNORE
    # a dictionary without the field: the ULN is counted as not kept
    bare = [f for f in fields if f.name != "ck_max_uln"]
    _, skipped = write_records([PATIENT], [CK], bare, mapping)
    assert skipped == {
        "reference_high not kept (the dictionary has no _uln field)": 1,
        "date not kept: ck_max holds its value without a date": 1,
    }


@pytest.mark.parametrize(
    ("cell", "message"), [("high", "is not a number"), ("-3", "is not a number 0 or more")]
)
def test_redcap_bad_uln_names_file_row_and_field(tmp_path, cell, message):
    fields, mapping = redcap_template()
    text, _ = write_records([PATIENT], [CK], fields, mapping)
    header, row = text.splitlines()[:2]
    cells = row.split(",")
    cells[header.split(",").index("ck_max_uln")] = cell
    (tmp_path / "data.csv").write_text(f"{header}\n{','.join(cells)}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_records(tmp_path / "data.csv", fields, mapping)
    (problem,) = info.value.problems
    assert (problem.location, problem.field) == ("row 2", "ck_max_uln")
    assert problem.source.endswith("data.csv") and message in problem.message


def test_fhir_negative_reference_high_is_an_error():
    bundle = write_fhir_bundle([PATIENT], [CK], [], [], group_name="cases")
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    observation["referenceRange"][0]["high"]["value"] = -170
    with pytest.raises(ValidationError) as info:
        read_fhir_bundle(bundle, source="b.json")
    (problem,) = info.value.problems
    assert problem.source == "b.json" and problem.field.endswith("referenceRange[0].high.value")
    assert "0 or more" in problem.message


def test_omop_negative_range_high_names_table_row_and_field(tmp_path):
    export = build_cdm([PATIENT], [CK], today=dt.date(2026, 11, 25))
    save_cdm(export, tmp_path)
    path = tmp_path / "measurement.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0]["range_high"] = "-170"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cdm = open_cdm(tmp_path, patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE)
    sets = {
        p.stem: load_concept_set(p, name=p.stem) for p in (tmp_path / "concept_sets").glob("*.json")
    }
    try:
        with pytest.raises(ValidationError) as info:
            read_cdm(cdm, sets)
    finally:
        cdm.close()
    (problem,) = info.value.problems
    assert problem.field == "reference_high" and "measurement" in problem.location


@pytest.mark.parametrize(
    ("cell", "message"),
    [("high", "valid number"), ("-170", "greater than or equal to 0"), ("nan", "finite")],
)
def test_native_bad_reference_high_names_file_row_and_field(tmp_path, cell, message):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        "patient_id,sex,birth_year,synthetic\nP1,female,1960,true\n"
    )
    (folder / "facts.csv").write_text(
        "patient_id,system,code,value_num,unit,effective_date,reference_high\n"
        "P1,LOINC,2157-6,180,U/L,2021-04-01,170\n"
        f"P1,LOINC,2157-6,190,U/L,2021-05-01,{cell}\n"
    )
    with api.open_registry(f"sqlite:///{tmp_path / 'r.db'}") as registry:
        with pytest.raises(ValidationError) as info:
            api.import_directory(registry, folder)
        assert registry.facts_for("P1") == []  # all or nothing
    (problem,) = info.value.problems
    assert (problem.location, problem.field) == ("row 3", "reference_high")
    assert problem.source.endswith("facts.csv") and message in problem.message
