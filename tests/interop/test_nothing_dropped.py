"""Nothing is dropped without a count (issue 15, must fix 6).

Genomic interpretations are counted, FHIR deaths become facts, onsets given as ages survive
export, a newer HPO id is a warning, export file names never collide, a bare word is not a
concept id, and calciscope's own export reads back without curation warnings.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir_bundle
from calciscope.interop.phenopackets import read_phenopacket, read_phenopackets, write_phenopacket
from calciscope.model import Fact, Patient, Sex
from calciscope.storage import Batch, Registry

META = {"created": "2026-01-01T00:00:00Z", "createdBy": "test"}


def _packet(features, **fields):
    subject = {"id": "X1", "sex": "FEMALE"}
    return {
        "id": "X1",
        "subject": subject,
        "phenotypicFeatures": features,
        "metaData": META,
    } | fields


def test_genomic_interpretations_are_counted(data_dir):
    files = sorted(data_dir("phenopackets").glob("*/*.json"))[:40]
    expected = sum(
        len(i["diagnosis"].get("genomicInterpretations", []))
        for path in files
        for i in json.loads(path.read_text(encoding="utf-8")).get("interpretations", [])
    )
    result = read_phenopackets(files)
    assert expected > 0
    [(kind, reason)] = [key for key in result.skipped if key[0] == "genomicInterpretation"]
    assert result.skipped[(kind, reason)] == expected and "variants" in reason


@pytest.mark.parametrize(
    ("deceased", "date", "note"),
    [
        ({"deceasedDateTime": "2021-03-04T10:00:00Z"}, dt.date(2021, 3, 4), ""),
        ({"deceasedDateTime": "2021-03"}, None, "deceasedDateTime=2021-03"),
        ({"deceasedBoolean": True}, None, "deceasedBoolean=true"),
    ],
)
def test_fhir_deceased_makes_a_death_fact(deceased, date, note):
    patient = {"resourceType": "Patient", "id": "p1", "gender": "male"} | deceased
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
    [fact] = read_fhir_bundle(bundle, source="b.json").batch.facts
    assert (fact.system, fact.code, fact.effective_date) == ("calciscope", "death", date)
    assert note in fact.provenance and "#/entry/0" in fact.provenance


def test_alive_makes_no_fact():
    patient = {"resourceType": "Patient", "id": "p1", "deceasedBoolean": False}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
    assert read_fhir_bundle(bundle, source="b.json").batch.facts == []


def test_an_onset_given_as_an_age_survives_export():
    feature = {
        "type": {"id": "HP:0100774", "label": "Hyperostosis"},
        "onset": {"age": {"iso8601duration": "P3Y2M"}},
    }
    read = read_phenopacket(_packet([feature]), source="x.json")
    [fact] = read.batch.facts
    assert fact.effective_date is None  # no date of birth: the age cannot become a date
    packet, _ = write_phenopacket(read.batch.patients[0], read.batch.facts)
    assert packet["phenotypicFeatures"][0]["onset"] == {"age": {"iso8601duration": "P3Y2M"}}


def test_an_hpo_id_newer_than_the_bundled_ontology_is_a_warning_not_a_refusal():
    patient = Patient(patient_id="X1", sex=Sex.FEMALE)
    facts = [
        Fact(patient_id="X1", system="HP", code="HP:9999999"),
        Fact(patient_id="X1", system="HP", code="HP:0100774"),
    ]
    packet, warnings = write_phenopacket(patient, facts)
    ids = {f["type"]["id"] for f in packet["phenotypicFeatures"]}
    assert ids == {"HP:9999999", "HP:0100774"}
    [warning] = warnings
    assert warning.message.startswith("unknown_id") and "written as given" in warning.message


def test_export_file_names_never_collide(tmp_path):
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    patients = [Patient(patient_id=pid) for pid in ("A:1", "A_1", "a_1")]
    facts = [Fact(patient_id=p.patient_id, system="HP", code="HP:0100774") for p in patients]
    registry.import_batch(Batch(patients=patients, facts=facts), source="t", source_hash="t")
    report = api.export_phenopackets(registry, tmp_path / "out")
    assert sorted(p.name for p in report.files) == ["A_1-2.json", "A_1.json", "a_1-3.json"]
    written = {json.loads(p.read_text(encoding="utf-8"))["id"] for p in report.files}
    assert written == {"A:1", "A_1", "a_1"}
    assert sum("written as" in w.message for w in report.warnings) == 2


@pytest.mark.parametrize(
    ("part", "item", "field"),
    [
        ("phenotypicFeatures", {"type": {"id": "calcinosis"}}, "type.id"),
        ("diseases", {"term": {"id": "systemic_sclerosis"}}, "term.id"),
        ("measurements", {"assay": {"id": "ck"}, "value": {"quantity": {"value": 1}}}, "assay.id"),
    ],
)
def test_a_bare_word_is_not_a_concept_id(part, item, field):
    packet = _packet([]) | {part: [item]}
    with pytest.raises(ValidationError) as caught:
        read_phenopacket(packet, source="x.json")
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == (f"#/{part}/0", field)
    assert "CURIE" in problem.message


def test_the_same_term_at_other_dates_or_sites_is_not_a_curation_warning():
    def feature(hpo, onset=None, excluded=False, site=None):
        f = {"type": {"id": hpo}, "excluded": excluded}
        f |= {"onset": {"timestamp": f"{onset}T00:00:00Z"}} if onset else {}
        f |= {"modifiers": [{"id": site}]} if site else {}
        return f

    features = [
        feature("HP:0001072", "2020-01-01", site="HP:0012834"),
        feature("HP:0001072", "2021-01-01", site="HP:0012834"),  # another date
        feature("HP:0001072", "2020-01-01", site="HP:0012835"),  # another site
    ]
    assert read_phenopacket(_packet(features), source="x.json").warnings == []
    duplicate = [*features, feature("HP:0001072", "2020-01-01", site="HP:0012834")]
    warnings = read_phenopacket(_packet(duplicate), source="x.json").warnings
    assert [w.message.split(":")[0] for w in warnings] == ["duplicate"]


def test_reading_back_an_own_export_gives_no_curation_warnings(tmp_path):
    api.generate_demo_data(tmp_path / "demo", patients=12, seed=1, notes=False)
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    api.import_directory(registry, tmp_path / "demo")
    report = api.export_phenopackets(registry, tmp_path / "packets")
    assert report.written["phenopacket"] == 12
    assert read_phenopackets(report.files).warnings == []
