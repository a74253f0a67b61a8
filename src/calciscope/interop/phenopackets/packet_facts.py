"""Map the elements of one phenopacket to the calciscope patient and facts.

Every phenotypic feature becomes a fact (any HPO id, not only catalogue ones) with status
*absent* when ``excluded: true``; diseases and the diagnosed disease of each interpretation
become facts; measurements become facts with a value and unit (a ``complexValue``, one fact
per typed quantity); ``subject.vitalStatus``
DECEASED a death fact; procedures and treatments in ``medicalActions`` present facts
(:mod:`~calciscope.interop.phenopackets.actions`). Each fact's provenance names its element
(``FILE#/phenotypicFeatures/3``). Split from :mod:`~calciscope.interop.phenopackets.reader`
(hardening34).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop.mappings import PHENOPACKET_SEX, curie_to_code, excluded_status
from calciscope.interop.phenopackets.actions import read_actions
from calciscope.interop.phenopackets.conventions import answer_status, centre_of, is_synthetic
from calciscope.interop.phenopackets.curie import parse_date, sanitise_id, time_element_date
from calciscope.interop.phenopackets.modifiers import (
    disease_site_fields,
    modifiers_to_fields,
    procedure_to_fields,
)
from calciscope.model import Fact, Patient, Sex, SourceKind, Status

__all__ = [
    "action_facts",
    "death_facts",
    "disease_facts",
    "feature_facts",
    "measurement_facts",
    "pointer",
    "read_patient",
]

_SEX = {code: sex for sex, code in PHENOPACKET_SEX.items()}


def pointer(source: str) -> str:
    """Return ``source`` as the start of a JSON pointer: ``FILE#``, or a member's ``FILE#/members/0``."""
    return source if "#" in source else f"{source}#"


def read_patient(packet: dict[str, Any], source: str) -> Patient:
    """Return the patient of a packet: its id, sex, date of birth, centre, synthetic."""
    subject = packet.get("subject", {})
    return Patient(
        patient_id=sanitise_id(packet.get("id") or subject.get("id", "")),
        sex=_SEX.get(subject.get("sex", PHENOPACKET_SEX[Sex.UNKNOWN]), Sex.UNKNOWN),
        birth_date=parse_date(subject["dateOfBirth"]) if "dateOfBirth" in subject else None,
        centre=centre_of(packet),
        synthetic=is_synthetic(packet),
    )


def _fact(patient: Patient, curie: str, location: str, **fields: Any) -> Fact:
    """Return the fact of one element; a value the record refuses names that element.

    ``location`` is ``FILE#/phenotypicFeatures/3``: a refused date or code named the whole
    packet (``$``) before, in a packet of dozens of features.
    """
    system, code = curie_to_code(curie)
    note = fields.pop("note", "")
    provenance = location + (f"; {note}" if note else "")
    try:
        return Fact(
            patient_id=patient.patient_id,
            system=system,
            code=code,
            source_kind=SourceKind.IMPORT,
            provenance=provenance,
            **fields,
        )
    except pydantic.ValidationError as exc:
        file, _, pointer = location.partition("#")
        raise ValidationError(
            Problem(file, f"#{pointer}", ".".join(map(str, e["loc"])) or "?", e["msg"])
            for e in exc.errors()
        ) from None


def feature_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    """Return a fact for each phenotypic feature (absent when ``excluded``)."""
    facts = []
    for i, feature in enumerate(packet.get("phenotypicFeatures", [])):
        when, note = time_element_date(feature.get("onset"), patient.birth_date)
        facts.append(
            _fact(
                patient,
                feature["type"]["id"],
                f"{pointer(source)}/phenotypicFeatures/{i}",
                note=note,
                status=excluded_status(feature.get("excluded")),
                effective_date=when,
                value_text=feature.get("description") or None,
                **modifiers_to_fields(feature.get("modifiers", [])),
            )
        )
    return facts


def disease_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    """Return a fact for each disease and each interpretation's diagnosed disease, once."""
    facts, seen = [], set()
    for i, disease in enumerate(packet.get("diseases", [])):
        when, note = time_element_date(disease.get("onset"), patient.birth_date)
        seen.add(disease["term"]["id"])
        facts.append(
            _fact(
                patient,
                disease["term"]["id"],
                f"{pointer(source)}/diseases/{i}",
                note=note,
                effective_date=when,
                status=excluded_status(disease.get("excluded")),
                **disease_site_fields(disease),
            )
        )
    for i, interpretation in enumerate(packet.get("interpretations", [])):
        term = interpretation.get("diagnosis", {}).get("disease", {}).get("id")
        if term and term not in seen:
            seen.add(term)
            facts.append(
                _fact(patient, term, f"{pointer(source)}/interpretations/{i}/diagnosis/disease")
            )
    return facts


def _unit_text(unit: dict[str, Any]) -> str | None:
    """Return a quantity's unit as calciscope stores it (UCUM code, else label or id)."""
    text = (
        unit.get("id", "").removeprefix("UCUM:")
        if unit.get("id", "").startswith("UCUM:")
        else unit.get("label") or unit.get("id")
    )
    return None if text == "1" else text  # UCUM "1": dimensionless


def _unit_code(unit: dict[str, Any]) -> str | None:
    """Return a unit's id when it is a class of an ontology other than UCUM (UO), else None.

    Kept as the fact's ``unit_code`` (imports37) beside its label, so an export names the unit
    by the id the source gave (``UO:0000175``, ``gram per liter``).
    """
    unit_id = unit.get("id") or ""
    if not unit_id or unit_id.startswith(("UCUM:", "calciscope:unit/")):
        return None
    return unit_id[:64]


def _reference_high(quantity: dict[str, Any], source: str, where: str) -> float | None:
    """Return ``quantity.referenceRange.high``, the upper limit of normal (``reference_high``).

    Taken when the range is in the value's unit (or gives none); proto3 JSON leaves out a zero
    high, so a range without one says nothing. A negative high is an error.
    """
    ranged = quantity.get("referenceRange")
    if not isinstance(ranged, dict) or "high" not in ranged:
        return None
    high = float(ranged["high"])
    if not math.isfinite(high) or high < 0:
        field = "value.quantity.referenceRange.high"
        message = f"a reference range's upper limit is a number, 0 or more; got {ranged['high']!r}"
        raise ValidationError([Problem(source, where, field, message)])
    unit = _unit_text(ranged.get("unit") or {})
    return high if unit is None or unit == _unit_text(quantity.get("unit", {})) else None


def _quantity_fields(quantity: dict[str, Any], source: str, where: str) -> dict[str, Any]:
    """Return a quantity's value, unit and upper limit of normal as fact fields."""
    unit_text = _unit_text(quantity.get("unit", {}))
    return {
        # proto3 JSON leaves out zero values: a quantity without a value is 0
        "value_num": quantity.get("value", 0.0) if quantity else None,
        "unit": (unit_text or None) and unit_text[:32],
        "unit_code": _unit_code(quantity.get("unit", {})),
        "reference_high": _reference_high(quantity, source, where),
    }


def _typed_quantity_facts(
    measurement: dict[str, Any], patient: Patient, location: str, **fields: Any
) -> list[Fact]:
    """Return one fact per typed quantity of a ``complexValue`` (systolic, diastolic, ...).

    Each is coded by its ``type``, as a FHIR Observation's components are by their codes; the
    assay is named in the provenance. Before realfiles35 the values were dropped and the
    assay became one fact without a value.
    """
    file, _, pointer_ = location.partition("#")
    assay = measurement["assay"]
    said = " ".join(filter(None, (assay.get("id"), assay.get("label"))))
    # the assay first: an undated timeObserved stays the provenance's last part, where the
    # writer reads it back (curie.onset_from_provenance)
    note = "; ".join(filter(None, (f"assay {said}", fields.pop("note", ""))))
    facts = []
    for j, typed in enumerate(measurement["complexValue"].get("typedQuantities", [])):
        where = f"#{pointer_}/complexValue/typedQuantities/{j}"
        if not typed.get("type", {}).get("id"):
            message = "a typed quantity needs its type (an ontology class with an id)"
            raise ValidationError([Problem(file, where, "type.id", message)])
        quantity = typed.get("quantity", {})
        fields_j = {**fields, **_quantity_fields(quantity, file, where)}
        facts.append(_fact(patient, typed["type"]["id"], file + where, note=note, **fields_j))
    return facts


def measurement_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    """Return a fact for each measurement, with its value, unit and upper limit of normal.

    A ``complexValue`` (blood pressure) gives a fact for each of its typed quantities.
    """
    facts = []
    for i, measurement in enumerate(packet.get("measurements", [])):
        location = f"{pointer(source)}/measurements/{i}"
        when, note = time_element_date(measurement.get("timeObserved"), patient.birth_date)
        fields = {"effective_date": when, **procedure_to_fields(measurement.get("procedure", {}))}
        if "complexValue" in measurement:
            facts += _typed_quantity_facts(measurement, patient, location, note=note, **fields)
            continue
        value = measurement.get("value", {})
        quantity, category = value.get("quantity", {}), value.get("ontologyClass", {})
        answer = answer_status(category)
        described = " ".join(filter(None, (category.get("id"), category.get("label"))))
        facts.append(
            _fact(
                patient,
                measurement["assay"]["id"],
                location,
                note=note,
                status=answer or Status.PRESENT,
                value_text=None if answer else described or None,
                **_quantity_fields(quantity, source, f"#/measurements/{i}"),
                **fields,
            )
        )
    return facts


def death_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    """Map ``subject.vitalStatus`` DECEASED to a death fact, as the FHIR, OMOP and REDCap readers do.

    Death is the catalogue's ``death`` concept (``calciscope`` / ``death``), dated by
    ``timeOfDeath`` when that gives a date (otherwise undated, the time kept in the
    provenance); ``causeOfDeath`` and ``survivalTimeInDays`` are kept in the provenance. ALIVE
    and UNKNOWN_STATUS say nothing calciscope stores.
    """
    vital = packet.get("subject", {}).get("vitalStatus", {})
    if vital.get("status") != "DECEASED":
        return []
    when, note = time_element_date(vital.get("timeOfDeath"), patient.birth_date)
    cause = vital.get("causeOfDeath", {})
    notes = [note] if note else []
    if cause.get("id"):
        notes.append(f"causeOfDeath {cause['id']} {cause.get('label', '')}".strip())
    if "survivalTimeInDays" in vital:
        notes.append(f"survivalTimeInDays {vital['survivalTimeInDays']}")
    return [
        _fact(
            patient,
            "calciscope:death",
            f"{pointer(source)}/subject/vitalStatus",
            note="; ".join(notes),
            effective_date=when,
        )
    ]


def action_facts(
    packet: dict[str, Any], patient: Patient, source: str
) -> tuple[list[Fact], Counter[tuple[str, str]]]:
    """Return the facts of ``medicalActions`` and the count of what was skipped."""
    read, skipped = read_actions(packet, patient.birth_date)
    facts = [
        _fact(patient, curie, f"{pointer(source)}/medicalActions/{i}/{part}", **fields)
        for i, (curie, part, fields) in read
    ]
    return facts, skipped
