"""Phenopacket ``medicalActions``: procedures written and read, treatments read, others counted."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_mutations import JUNK, json_paths, mutate
from phenopackets import Phenopacket

from calciscope.errors import ValidationError
from calciscope.features import ConceptKind, load_catalogue
from calciscope.interop.phenopackets import read_phenopacket, write_phenopacket
from calciscope.model import BodyRegion, Fact, Laterality, Method, Patient, Sex, Status

FIXTURE = Path(__file__).parent / "data" / "medical_actions.json"


@pytest.fixture(scope="module")
def packet():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _content(fact):
    return (
        fact.system,
        fact.code,
        fact.status,
        fact.effective_date,
        fact.body_site,
        fact.laterality,
        fact.method,
        fact.value_text,
    )


def test_procedure_concepts_are_marked_once_in_the_catalogue():
    catalogue = load_catalogue()
    procedures = {c.name for c in catalogue.concepts.values() if c.kind is ConceptKind.PROCEDURE}
    assert procedures == {"muscle_biopsy", "radiograph"}
    assert catalogue.is_procedure("calciscope", "radiograph")
    assert not catalogue.is_procedure("HP", "HP:0003761")
    assert not catalogue.is_procedure("calciscope", "NCIT:C28743")  # not a catalogue code


def test_hand_written_actions_are_read_and_the_rest_counted(packet):
    result = read_phenopacket(packet, source="ma.json")
    actions = {f.code: f for f in result.batch.facts if "#/medicalActions/" in f.provenance}
    assert result.mapped["medicalAction"] == 4 and len(actions) == 4
    assert all(f.status is Status.PRESENT for f in actions.values())
    film = actions["radiograph"]
    assert (film.effective_date, film.body_site, film.laterality) == (
        dt.date(2021, 3, 4),
        BodyRegion.HAND,
        Laterality.LEFT,
    )
    assert actions["muscle_biopsy"].effective_date == dt.date(2015, 6, 1)  # P45Y after birth
    punch = actions["NCIT:C28743"]  # a prefix calciscope has no system for is kept whole
    assert punch.system == "calciscope" and punch.body_site is None
    assert "bodySite UBERON:0003403 skin of forearm" in punch.provenance  # snake_case body_site
    drug = actions["DrugCentral:1610"]
    assert drug.system == "calciscope" and drug.effective_date == dt.date(2020, 3, 15)
    for kept in (
        "treatmentTarget MONDO:0005100",
        "routeOfAdministration NCIT:C38288",
        "UO:0000022",
    ):
        assert kept in drug.provenance
    assert result.skipped == {
        (
            "medicalAction.radiationTherapy",
            "radiation therapy is not mapped to calciscope facts",
        ): 1,
        (
            "medicalAction.therapeuticRegimen",
            "therapeutic regimen is not mapped to calciscope facts",
        ): 1,
    }


@pytest.mark.parametrize(
    ("index", "part", "field"), [(0, "procedure", "code"), (3, "treatment", "agent")]
)
def test_action_without_its_code_is_a_problem(packet, index, part, field):
    broken = copy.deepcopy(packet)
    del broken["medicalActions"][index][part][field]
    with pytest.raises(ValidationError) as info:
        read_phenopacket(broken, source="ma.json")
    assert [(p.location, p.field) for p in info.value.problems] == [
        (f"#/medicalActions/{index}/{part}", field)
    ]


def _facts():
    day = dt.date(2021, 3, 4)
    return [
        Fact(
            patient_id="P1",
            system="calciscope",
            code="radiograph",
            effective_date=day,
            body_site=BodyRegion.HAND,
            laterality=Laterality.BILATERAL,
        ),
        Fact(patient_id="P1", system="calciscope", code="radiograph", body_site=BodyRegion.KNEE),
        Fact(patient_id="P1", system="calciscope", code="muscle_biopsy", effective_date=day),
        Fact(patient_id="P1", system="calciscope", code="muscle_biopsy", status=Status.ABSENT),
        Fact(patient_id="P1", system="calciscope", code="radiograph", method=Method.RADIOGRAPH),
        Fact(patient_id="P1", system="calciscope", code="radiograph", status=Status.UNKNOWN),
    ]


def test_present_procedures_are_written_as_medical_actions():
    patient = Patient(patient_id="P1", sex=Sex.FEMALE)
    packet, warnings = write_phenopacket(patient, _facts())
    json_format.ParseDict(packet, Phenopacket())
    assert not warnings
    assert packet["medicalActions"][0] == {
        "procedure": {
            "code": {"id": "calciscope:muscle_biopsy", "label": "Muscle biopsy performed"},
            "performed": {"timestamp": "2021-03-04T00:00:00Z"},
        }
    }
    sites = [a["procedure"].get("bodySite", {}).get("id") for a in packet["medicalActions"]]
    assert sites == [None, "calciscope:body_site.hand.bilateral", "calciscope:body_site.knee"]
    # absent (no "not performed" in Phenopackets) and a method (no place in a Procedure): features
    features = [(f["type"]["id"], f.get("excluded", False)) for f in packet["phenotypicFeatures"]]
    assert features == [("calciscope:muscle_biopsy", True), ("calciscope:radiograph", False)]


def test_procedures_round_trip():
    patient = Patient(patient_id="P1", sex=Sex.FEMALE)
    facts = _facts()
    packet, _ = write_phenopacket(patient, facts)
    back = read_phenopacket(json.loads(json.dumps(packet)), source="rt")
    written = [f for f in facts if f.status is not Status.UNKNOWN]
    assert sorted(map(_content, back.batch.facts), key=str) == sorted(
        map(_content, written), key=str
    )
    assert back.mapped["medicalAction"] == 3


@given(data=st.data())
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_actions_raise_only_validation_error(packet, data):
    broken = copy.deepcopy(packet)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in json_paths(broken) if p[0] == "medicalActions"] or [("id",)]
        mutate(broken, data.draw(st.sampled_from(paths)), data.draw(JUNK))
    try:
        result = read_phenopacket(broken, source="fuzz.json")
    except ValidationError as exc:
        assert exc.problems and all(p.source == "fuzz.json" for p in exc.problems)
    else:  # nothing skipped silently: every action is mapped or counted
        skipped = sum(n for (kind, _), n in result.skipped.items() if kind.startswith("medical"))
        assert result.mapped["medicalAction"] + skipped == len(broken.get("medicalActions") or [])
