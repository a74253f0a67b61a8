"""Write calciscope records as a FHIR R4 Bundle, validated with ``fhir.resources`` (R4B models).

Patient (calciscope id as an identifier, synthetic patients tagged); labs (a LOINC code or a
numeric value), autoantibody results and findings at a body site → Observation (UCUM quantity;
absent → interpretation NEG, present without a value → POS, unknown → dataAbsentReason, or
interpretation IND when it has a value); other facts (diagnoses, findings without a site) →
Condition (absent → ``verificationStatus`` refuted, unknown → unconfirmed); notes → DocumentReference, radiology reports → DiagnosticReport; images →
ImagingStudy; a Provenance for every fact derived from a note or image or still suggested; and
a Group for the cohort.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from calciscope.errors import Problem, ValidationError
from calciscope.features import load_catalogue
from calciscope.interop.fhir.codes import EXTENSION, coding_for
from calciscope.interop.fhir.documents import FILE_REF_SYSTEM, RECORD_ID_SYSTEM
from calciscope.interop.fhir.subjects import PATIENT_ID_SYSTEM, SYNTHETIC_TAG
from calciscope.interop.mappings import (
    CALCISCOPE_SYSTEM,
    FHIR_EXTENSION_QUALIFIERS,
    FHIR_INTERPRETATION,
    FHIR_VERIFICATION,
)
from calciscope.interop.ucum import is_ucum
from calciscope.model import (
    Fact,
    Image,
    Modality,
    Note,
    NoteType,
    Patient,
    ReviewState,
    SourceKind,
    Status,
)
from calciscope.model.bounds import read_bound

__all__ = ["write_fhir_bundle"]

_NS = uuid.UUID("6f1f8f6e-3c55-4f7e-9a55-2f5e0c1ab001")
_HL7 = "http://terminology.hl7.org/CodeSystem/"
_DICOM = {
    Modality.RADIOGRAPH: "DX",
    Modality.ULTRASOUND: "US",
    Modality.CT: "CT",
    Modality.MRI: "MR",
    Modality.PHOTOGRAPH: "XC",
}


def _url(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{kind}/{key}')}"


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"{_HL7}{system}", "code": code}]}


def _patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _url("Patient", patient.patient_id).rsplit(":", 1)[1],
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": patient.patient_id}],
        "gender": patient.sex.value,
    }
    if patient.birth_date or patient.birth_year:
        resource["birthDate"] = (
            patient.birth_date.isoformat() if patient.birth_date else str(patient.birth_year)
        )
    if patient.synthetic:
        resource["meta"] = {
            "tag": [{"system": SYNTHETIC_TAG, "code": "synthetic", "display": "synthetic record"}]
        }
    if patient.centre:
        resource["managingOrganization"] = {"display": patient.centre}
    return resource


def _qualifiers(fact: Fact, resource: dict[str, Any]) -> None:
    if fact.body_site is not None:
        resource["bodySite"] = {
            "coding": [{"system": EXTENSION["body-site"], "code": fact.body_site.value}],
            "text": fact.body_site.value.replace("_", " "),
        }
    extensions = [
        {"url": EXTENSION[name], "valueCode": getattr(fact, name).value}
        for name in FHIR_EXTENSION_QUALIFIERS
        if getattr(fact, name) is not None
    ]
    if extensions:
        resource["extension"] = extensions


def _condition(fact: Fact, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": subject},
        "verificationStatus": _concept("condition-ver-status", FHIR_VERIFICATION[fact.status]),
        "code": {"coding": [coding_for(fact.system, fact.code)]},
    }
    if fact.status is not Status.ABSENT:
        resource["clinicalStatus"] = _concept("condition-clinical", "active")
    if fact.effective_date:
        resource["onsetDateTime"] = fact.effective_date.isoformat()
    if fact.value_text:
        resource["note"] = [{"text": fact.value_text}]
    _qualifiers(fact, resource)
    if resource.get("bodySite"):
        resource["bodySite"] = [resource["bodySite"]]
    return resource


def _value_quantity(fact: Fact) -> dict[str, Any] | None:
    """Return the Observation's valueQuantity: the number, or a number with a comparator.

    A value the FHIR reader made of a quantity with a comparator (value_text ``<5`` and its
    unit) goes back as that quantity: as a valueString it lost its unit, and read back it was a
    second fact (realfiles11). Only when the number is written as JSON writes it back (``>60``,
    ``<5.5``, not ``<5.50``), so that reading it again gives the same text.
    """
    # a UCUM code only when the unit is one (calciscope.interop.ucum); another unit is its text
    unit = (
        {"unit": fact.unit, "system": "http://unitsofmeasure.org", "code": fact.unit}
        if is_ucum(fact.unit)
        else {"unit": fact.unit}
        if fact.unit
        else {}
    )
    if fact.value_num is not None:
        return {"value": fact.value_num} | unit
    text = fact.value_text or ""
    bound = read_bound(text) if fact.unit else None  # the bound as calciscope.model reads it
    if bound is None or fact.status is Status.UNKNOWN:
        return None
    number: int | float = bound.number if "." in text else int(bound.number)
    if f"{bound.comparator}{number}" != text:
        return None  # "< 5", "<5.50": reading the quantity back would not give this text
    return {"value": number, "comparator": bound.comparator} | unit


def _observation(fact: Fact, subject: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": subject},
        "code": {"coding": [coding_for(fact.system, fact.code)]},
    }
    if fact.effective_date:
        resource["effectiveDateTime"] = fact.effective_date.isoformat()
    quantity = _value_quantity(fact)
    if quantity is not None:
        resource["valueQuantity"] = quantity
        if fact.reference_high is not None:
            high = {k: v for k, v in quantity.items() if k not in ("value", "comparator")}
            resource["referenceRange"] = [{"high": {"value": fact.reference_high} | high}]
    elif fact.status is Status.UNKNOWN:
        resource["dataAbsentReason"] = _concept("data-absent-reason", "unknown")
    elif fact.value_text:
        resource["valueString"] = fact.value_text
    if fact.value_text and "valueString" not in resource and "comparator" not in (quantity or {}):
        # no room in value[x] (a quantity, or dataAbsentReason for unknown): the note holds it
        resource["note"] = [{"text": fact.value_text}]
    # absent: NEG; present without a value: POS; unknown with a value: IND (indeterminate)
    if fact.status is Status.ABSENT or (fact.value_num is None) != (fact.status is Status.UNKNOWN):
        code = FHIR_INTERPRETATION[fact.status]
        resource["interpretation"] = [_concept("v3-ObservationInterpretation", code)]
    _qualifiers(fact, resource)
    return resource


def _provenance(target: str, fact: Fact, when: str) -> dict[str, Any]:
    activity = (
        "suggested" if fact.review_state is ReviewState.SUGGESTED else fact.review_state.value
    )
    return {
        "resourceType": "Provenance",
        "target": [{"reference": target}],
        "recorded": when,
        "activity": {
            "coding": [{"system": CALCISCOPE_SYSTEM, "code": activity}],
            "text": f"{fact.source_kind.value} ({activity}): {fact.provenance or ''}"[:1000],
        },
        "agent": [{"who": {"display": "calciscope"}}],
    }


def _note(note: Note, subject: str) -> dict[str, Any]:
    data = base64.b64encode(note.text.encode("utf-8")).decode("ascii")
    attachment = {"contentType": "text/plain; charset=utf-8", "data": data}
    ext = [{"url": EXTENSION["note-type"], "valueCode": note.note_type.value}]
    if note.note_type is NoteType.RADIOLOGY_REPORT:
        report = {
            "resourceType": "DiagnosticReport",
            "id": _url("Note", note.note_id).rsplit(":", 1)[1],
            "identifier": [{"system": RECORD_ID_SYSTEM, "value": note.note_id}],
            "status": "final",
            "category": [_concept("v2-0074", "RAD")],
            "code": {"text": "Radiology report"},
            "subject": {"reference": subject},
            "presentedForm": [attachment],
            "extension": ext,
        }
        if note.note_date:
            report["effectiveDateTime"] = note.note_date.isoformat()
        return report
    doc = {
        "resourceType": "DocumentReference",
        "id": _url("Note", note.note_id).rsplit(":", 1)[1],
        "identifier": [{"system": RECORD_ID_SYSTEM, "value": note.note_id}],
        "status": "current",
        "subject": {"reference": subject},
        "content": [{"attachment": attachment}],
        "extension": ext,
    }
    if note.note_date:
        doc["date"] = f"{note.note_date.isoformat()}T00:00:00Z"
    return doc


def _imaging(image: Image, subject: str) -> dict[str, Any]:
    series: dict[str, Any] = {
        "uid": f"2.25.{uuid.uuid5(_NS, 'series/' + image.image_id).int}",
        "modality": {
            "system": "http://dicom.nema.org/resources/ontology/DCM",
            "code": _DICOM[image.modality],
        },
    }
    if image.body_site:
        series["bodySite"] = {"system": EXTENSION["body-site"], "code": image.body_site.value}
    study: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "id": _url("Image", image.image_id).rsplit(":", 1)[1],
        "status": "available",
        "subject": {"reference": subject},
        "series": [series],
    }
    study["identifier"] = [{"system": RECORD_ID_SYSTEM, "value": image.image_id}]
    if image.file_ref:
        study["identifier"].append({"system": FILE_REF_SYSTEM, "value": image.file_ref})
    if image.image_date:
        study["started"] = f"{image.image_date.isoformat()}T00:00:00Z"
    return study


def _is_observation(fact: Fact) -> bool:
    """Labs (LOINC or a value), antibody results and findings at a body site are Observations."""
    if fact.system == "LOINC" or fact.value_num is not None or fact.body_site is not None:
        return True
    concepts = load_catalogue().concepts_for_code(fact.system, fact.code)
    return any(name == "ana" or name.startswith("anti_") for name in concepts)


def _fact_entries(
    facts: list[Fact], subjects: dict[str, str], when: str
) -> list[tuple[str, dict[str, Any]]]:
    entries = []
    for fact in facts:
        subject = subjects[fact.patient_id]
        build = _observation if _is_observation(fact) else _condition
        url = _url("Fact", fact.fact_id)
        entries.append((url, build(fact, subject)))
        if fact.review_state is not ReviewState.CONFIRMED or fact.source_kind in (
            SourceKind.NOTE,
            SourceKind.IMAGE,
        ):
            entries.append((_url("Provenance", fact.fact_id), _provenance(url, fact, when)))
    return entries


def _group(name: str, members: list[str]) -> dict[str, Any]:
    """Return a Group (a cohort) of the patients with these references."""
    return {
        "resourceType": "Group",
        "type": "person",
        "actual": True,
        "name": name,
        "quantity": len(members),
        "member": [{"entity": {"reference": reference}} for reference in members],
    }


def write_fhir_bundle(
    patients: Sequence[Patient],
    facts: Sequence[Fact],
    notes: Sequence[Note] = (),
    images: Sequence[Image] = (),
    *,
    group_name: str | None = None,
    created: dt.datetime | None = None,
) -> dict[str, Any]:
    """Return a validated FHIR R4 collection Bundle (JSON object) for patients and their records.

    Parameters
    ----------
    patients, facts, notes, images
        The records; every fact, note and image must belong to one of ``patients``.
    group_name
        When given, a Group of all the patients with this name is added (a cohort).
    created
        Bundle timestamp (now when not given).

    Raises
    ------
    ValidationError
        When a record's patient is missing or the bundle does not validate against FHIR R4.
    """
    subjects = {p.patient_id: _url("Patient", p.patient_id) for p in patients}
    records: list[Fact | Note | Image] = [*facts, *notes, *images]
    orphans = [r for r in records if r.patient_id not in subjects]
    if orphans:
        raise ValidationError(
            [
                Problem("export", type(r).__name__, "patient_id", f"{r.patient_id} not exported")
                for r in orphans
            ]
        )
    when = (created or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = [(subjects[p.patient_id], _patient(p)) for p in patients]
    entries += _fact_entries(list(facts), subjects, when)
    entries += [(_url("Note", n.note_id), _note(n, subjects[n.patient_id])) for n in notes]
    entries += [(_url("Image", i.image_id), _imaging(i, subjects[i.patient_id])) for i in images]
    if group_name:
        entries.append((_url("Group", group_name), _group(group_name, list(subjects.values()))))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": when,
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    _validate(bundle)
    return bundle


def _validate(bundle: dict[str, Any]) -> None:
    """Validate the envelope and each resource on its own (memory stays per resource)."""
    problems: list[Problem] = []
    checks = [("", Bundle, {**bundle, "entry": []})] + [
        (f"entry.{i}.resource.", get_fhir_model_class(e["resource"]["resourceType"]), e["resource"])
        for i, e in enumerate(bundle["entry"])
    ]
    for prefix, model, data in checks:
        try:
            model.model_validate(data)
        except pydantic.ValidationError as exc:
            problems += [
                Problem("export", prefix + ".".join(map(str, e["loc"])), "", e["msg"])
                for e in exc.errors()
            ]
    if problems:
        raise ValidationError(problems, summary="FHIR bundle does not validate")
