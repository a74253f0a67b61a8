from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_mutations import JUNK, json_paths, mutate

from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir, read_fhir_bundle, write_fhir_bundle
from calciscope.model import (
    BodyRegion,
    Fact,
    Image,
    Laterality,
    Method,
    Morphology,
    Note,
    NoteType,
    Patient,
    ReviewState,
    Sex,
    SourceKind,
    Status,
)
from calciscope.storage import Registry


@pytest.fixture(scope="module")
def bundles(data_dir):
    folder = data_dir("fhir")
    return sorted(folder.glob("hl7_r4_examples/Bundle-*.json")), sorted(
        folder.glob("synthea/*.json")
    )


def _leaves(bundle):
    """Count the resources a bundle holds (nested bundles expanded, contained resources included)."""
    total = 0
    for entry in bundle.get("entry", []):
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            total += _leaves(resource)
        else:
            total += 1 + len(resource.get("contained", []) if isinstance(resource, dict) else [])
    return total


def test_39_bundles_import_and_nothing_is_skipped_silently(bundles):
    hl7, synthea = bundles
    assert (len(hl7), len(synthea)) == (30, 9)
    for path in hl7 + synthea:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = read_fhir_bundle(data, source=path.name, stub_patients=True)
        accounted = sum(n for kind, n in result.mapped.items() if kind != "Patient (stub)")
        assert accounted + sum(result.skipped.values()) == _leaves(data), path.name


def test_synthea_counts(bundles):
    result = read_fhir(bundles[1])
    assert len(result.batch.patients) == 9
    assert result.mapped == Counter(
        {"Observation": 1089, "Condition": 61, "Patient": 9, "ImagingStudy": 7}
    )
    assert result.skipped[("Claim", "resource type not mapped to calciscope records")] == 240
    deceased = [
        e["resource"]
        for path in bundles[1]
        for e in json.loads(path.read_text(encoding="utf-8"))["entry"]
        if "deceasedDateTime" in e["resource"]
    ]
    deaths = [f for f in result.batch.facts if (f.system, f.code) == ("calciscope", "death")]
    assert len(deaths) == len(deceased) > 0  # Patient.deceasedDateTime → a death fact
    assert {f.system for f in result.batch.facts} == {"SNOMEDCT", "LOINC", "calciscope"}
    assert all(
        f.source_kind is SourceKind.IMPORT and "#/entry/" in f.provenance
        for f in result.batch.facts
    )
    assert any(f.value_num is not None and f.unit for f in result.batch.facts)


def test_hl7_examples_with_and_without_stub_patients(bundles, sqlite_url):
    strict = read_fhir(bundles[0])
    stubs = read_fhir(bundles[0], stub_patients=True)
    assert strict.skipped[("Observation", "subject is not a Patient in this bundle")] > 400
    assert stubs.mapped["Observation"] == 450 and len(stubs.batch.facts) > len(strict.batch.facts)
    # each file names its patients (stubs repeat across files); the registry keeps one per id
    registry = Registry(sqlite_url)
    registry.import_batch(stubs.batch, source="hl7", source_hash="-")
    assert registry.counts()["patients"] == len({p.patient_id for p in stubs.batch.patients})
    assert any(f.status is Status.ABSENT for f in stubs.batch.facts)  # interpretation NEG


@pytest.mark.parametrize(
    ("verification", "status"),
    [
        ("refuted", Status.ABSENT),
        ("confirmed", Status.PRESENT),
        ("provisional", Status.UNKNOWN),
        (None, Status.PRESENT),
    ],
)
def test_condition_verification_status(data_dir, verification, status):
    condition = json.loads(
        (data_dir("fhir", "hl7_r4_examples") / "Condition-f201.json").read_text(encoding="utf-8")
    )
    if verification is None:
        condition.pop("verificationStatus", None)
    else:
        condition["verificationStatus"]["coding"][0]["code"] = verification
    patient = {"resourceType": "Patient", "id": "f201", "gender": "male"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": condition}],
    }
    result = read_fhir_bundle(bundle, source="t")
    assert [f.status for f in result.batch.facts] == [status]


def test_entered_in_error_is_skipped_and_counted():
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "urn:uuid:p"},
        "verificationStatus": {"coding": [{"code": "entered-in-error"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "89155008"}]},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient"}},
            {"resource": condition},
        ],
    }
    result = read_fhir_bundle(bundle, source="t")
    assert result.skipped == Counter({("Condition", "verificationStatus entered-in-error"): 1})


def _cohort():
    patient = Patient(
        patient_id="SYN_1:a",
        sex=Sex.FEMALE,
        birth_date=dt.date(1960, 1, 2),
        synthetic=True,
        centre="Salford",
    )
    pid = patient.patient_id
    facts = [
        Fact(
            patient_id=pid,
            system="HP",
            code="HP:0003761",
            body_site=BodyRegion.HAND,
            laterality=Laterality.LEFT,
            morphology=Morphology.SHEET_LIKE,
            method=Method.RADIOGRAPH,
            effective_date=dt.date(2020, 1, 1),
        ),
        Fact(patient_id=pid, system="MONDO", code="MONDO:0016356", status=Status.ABSENT),
        Fact(patient_id=pid, system="LOINC", code="2157-6", value_num=300.0, unit="U/L"),
        Fact(
            patient_id=pid,
            system="calciscope",
            code="anti_pm_scl",
            status=Status.ABSENT,
            value_text="negative",
        ),
        Fact(
            patient_id=pid,
            system="calciscope",
            code="mrss_site",
            value_num=2,
            body_site=BodyRegion.FOREARM,
            review_state=ReviewState.SUGGESTED,
            source_kind=SourceKind.NOTE,
        ),
        Fact(patient_id=pid, system="HP", code="HP:0001369", status=Status.UNKNOWN),
    ]
    notes = [
        Note(
            note_id="n_1",
            patient_id=pid,
            text="Sheet-like calcinosis.",
            note_type=NoteType.RADIOLOGY_REPORT,
            note_date=dt.date(2020, 2, 2),
        ),
        Note(note_id="n2", patient_id=pid, text="Clinic letter ü"),
    ]
    images = [
        Image(
            image_id="i_1",
            patient_id=pid,
            body_site=BodyRegion.HAND,
            image_date=dt.date(2020, 1, 1),
            file_ref="x.dcm",
        )
    ]
    return patient, facts, notes, images


def _content(fact):
    return (
        fact.system,
        fact.code,
        fact.status,
        fact.effective_date,
        fact.value_num,
        fact.value_text,
        fact.unit,
        fact.body_site,
        fact.laterality,
        fact.morphology,
        fact.method,
        fact.review_state,
    )


def test_export_validates_and_round_trips():
    patient, facts, notes, images = _cohort()
    bundle = write_fhir_bundle([patient], facts, notes, images, group_name="cases")
    Bundle.model_validate(bundle)
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == Counter(
        {
            "Condition": 2,  # the absent dcSSc diagnosis and the unknown arthritis
            "Observation": 4,  # CK, mRSS, calcinosis at a site, anti-PM/Scl
            "Patient": 1,
            "Provenance": 1,
            "DiagnosticReport": 1,
            "DocumentReference": 1,
            "ImagingStudy": 1,
            "Group": 1,
        }
    )
    refuted = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"].get("verificationStatus", {}).get("coding", [{}])[0].get("code")
        == "refuted"
    ]
    assert [r["code"]["coding"][0]["code"] for r in refuted] == ["MONDO:0016356"]
    negative = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"].get("interpretation")
        and e["resource"]["interpretation"][0]["coding"][0]["code"] == "NEG"
    ]
    assert [r["code"]["coding"][0]["code"] for r in negative] == ["anti_pm_scl"]
    back = read_fhir_bundle(json.loads(json.dumps(bundle)), source="rt")
    assert back.batch.patients == [patient]
    assert sorted(map(_content, back.batch.facts), key=str) == sorted(map(_content, facts), key=str)
    assert back.batch.notes == notes and back.batch.images == images


def test_omim_diagnoses_export_and_come_back():
    """Regression (Hypothesis): an OMIM fact (every phenopacket-store case has one) raised KeyError."""
    patient = Patient(patient_id="A")
    fact = Fact(patient_id="A", system="OMIM", code="OMIM:613454")
    bundle = write_fhir_bundle([patient], [fact])
    Bundle.model_validate(bundle)
    condition = bundle["entry"][1]["resource"]
    assert condition["code"]["coding"] == [{"system": "https://omim.org", "code": "613454"}]
    assert [_content(f) for f in read_fhir_bundle(bundle, source="rt").batch.facts] == [
        _content(fact)
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"status": Status.UNKNOWN, "body_site": BodyRegion.FINGERS},  # dataAbsentReason
        {"value_num": 410.0, "unit": "U/L", "system": "LOINC", "code": "2157-6"},  # a quantity
    ],
)
def test_observation_text_without_room_in_the_value_travels_in_a_note(extra):
    """Regression (Hypothesis): an unknown finding at a site lost its text (value[x] was taken)."""
    fields = {"system": "HP", "code": "HP:0000939", "value_text": "see letter"} | extra
    fact = Fact(patient_id="A", **fields)
    bundle = write_fhir_bundle([Patient(patient_id="A")], [fact])
    Bundle.model_validate(bundle)
    assert bundle["entry"][1]["resource"]["note"] == [{"text": "see letter"}]
    back = read_fhir_bundle(bundle, source="rt").batch.facts
    assert [_content(f) for f in back] == [_content(fact)]


def test_unknown_result_with_a_value_is_indeterminate():
    """Regression (Hypothesis): an unknown-status lab with a value lost the value (dataAbsentReason)."""
    fact = Fact(
        patient_id="A",
        system="LOINC",
        code="2157-6",
        status=Status.UNKNOWN,
        value_num=0.0,
        unit="U/L",
    )
    bundle = write_fhir_bundle([Patient(patient_id="A")], [fact])
    Bundle.model_validate(bundle)
    observation = bundle["entry"][1]["resource"]
    assert observation["interpretation"][0]["coding"][0]["code"] == "IND"
    assert "dataAbsentReason" not in observation  # obs-6: never beside a value
    back = read_fhir_bundle(bundle, source="rt").batch.facts
    assert [_content(f) for f in back] == [_content(fact)]


def test_export_refuses_orphan_records():
    _patient, facts, _, _ = _cohort()
    with pytest.raises(ValidationError, match="not exported"):
        write_fhir_bundle([], facts)


def test_synthea_import_export_import(bundles):
    first = read_fhir(bundles[1][:2])
    bundle = write_fhir_bundle(first.batch.patients, first.batch.facts, images=first.batch.images)
    again = read_fhir_bundle(bundle, source="rt")
    assert sorted(map(_content, again.batch.facts), key=str) == sorted(
        map(_content, first.batch.facts), key=str
    )


_CODES = [
    ("HP", "HP:0003761"),
    ("HP", "HP:0001369"),
    ("MONDO", "MONDO:0005100"),
    ("SNOMEDCT", "89155008"),
    ("LOINC", "2157-6"),
    ("ICD10", "M34.0"),
    ("calciscope", "puffy_fingers"),
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_CODES),
            st.sampled_from(list(Status)),
            st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2025, 1, 1))),
            st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
            st.one_of(st.none(), st.sampled_from(list(BodyRegion))),
        ),
        max_size=8,
    )
)
@settings(max_examples=50, deadline=None)
def test_generated_round_trip(items):
    patient = Patient(patient_id="G1", sex=Sex.OTHER, birth_year=1970)
    facts = []
    for (system, code), status, when, value, site in items:
        numeric = value is not None and status is not Status.UNKNOWN
        facts.append(
            Fact(
                patient_id="G1",
                system=system,
                code=code,
                status=status,
                effective_date=when,
                value_num=value if numeric else None,
                unit="U/L" if numeric else None,
                body_site=site,
            )
        )
    back = read_fhir_bundle(write_fhir_bundle([patient], facts), source="rt")
    assert back.batch.patients == [patient]
    assert sorted(map(_content, back.batch.facts), key=str) == sorted(map(_content, facts), key=str)


@pytest.fixture(scope="module")
def small_bundle(data_dir):
    path = data_dir("fhir", "hl7_r4_examples") / "Bundle-bundle-transaction.json"
    return json.loads(path.read_text(encoding="utf-8"))


@given(data=st.data())
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_real_bundle_never_raises_unhandled(small_bundle, data):
    bundle = copy.deepcopy(small_bundle)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = list(json_paths(bundle))
        if not paths:
            break
        mutate(bundle, data.draw(st.sampled_from(paths)), data.draw(JUNK))
    try:
        read_fhir_bundle(bundle, source="fuzz.json", stub_patients=data.draw(st.booleans()))
    except ValidationError as exc:
        assert exc.problems


def test_export_validation_names_each_bad_resource():
    from calciscope.interop.fhir.writer import _validate

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "gender": "female"}},
            {
                "fullUrl": "urn:uuid:2",
                "resource": {"resourceType": "Observation", "status": "final"},
            },
        ],
    }
    with pytest.raises(ValidationError) as failure:
        _validate(bundle)
    assert [p.location for p in failure.value.problems] == ["entry.1.resource.code"]
