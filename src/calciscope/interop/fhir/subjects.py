"""Patients of a bundle and the references that point at them (``urn:uuid:``, ``Patient/id``, URLs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from calciscope.interop.fhir.codes import as_list
from calciscope.interop.phenopackets.curie import parse_date, sanitise_id
from calciscope.model import Patient, Sex

__all__ = [
    "PATIENT_ID_SYSTEM",
    "SYNTHETIC_TAG",
    "Subjects",
    "fhir_date",
    "map_patient",
    "raw_patient_id",
]

#: Identifier system for calciscope patient ids (FHIR ids allow no ``_`` or ``:``).
PATIENT_ID_SYSTEM = "https://w3id.org/calciscope/patient-id"
#: ``meta.tag`` system marking synthetic records.
SYNTHETIC_TAG = "https://w3id.org/calciscope/tag"


def fhir_date(value: Any) -> dt.date | None:
    """Return the date of a FHIR date/dateTime/instant (``2012-05-07T14:00:00+02:00``), or None."""
    return parse_date(value) if isinstance(value, str) and len(value) >= 10 else None


def _own(resource: dict[str, Any], system: str, key: str = "identifier") -> Any:
    items = as_list(resource.get(key))
    return next(
        (
            i.get("value", i.get("code"))
            for i in items
            if isinstance(i, dict) and i.get("system") == system
        ),
        None,
    )


def raw_patient_id(resource: dict[str, Any], full_url: str) -> str | None:
    """Return a Patient's id as the bundle gives it: calciscope's identifier, ``id`` or fullUrl."""
    raw_id = (
        _own(resource, PATIENT_ID_SYSTEM)
        or resource.get("id")
        or full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    )
    return raw_id if isinstance(raw_id, str) and raw_id.strip() else None


def map_patient(resource: dict[str, Any], full_url: str) -> Patient | str:
    """Return the Patient a FHIR Patient resource describes, or the reason it cannot be mapped."""
    raw_id = raw_patient_id(resource, full_url)
    if raw_id is None:
        return "Patient has no id and no fullUrl"
    birth = resource.get("birthDate")
    year = int(birth[:4]) if isinstance(birth, str) and birth[:4].isdigit() else None
    birth_date = fhir_date(birth)
    return Patient(
        patient_id=sanitise_id(raw_id),
        sex=Sex._value2member_map_.get(str(resource.get("gender")), Sex.UNKNOWN),  # type: ignore[arg-type]
        birth_date=birth_date,
        # a full date gives the year itself (one problem, not two, when it is refused)
        birth_year=year if birth_date is None and year and 1880 <= year <= 2100 else None,
        synthetic=_own(resource.get("meta") or {}, SYNTHETIC_TAG, "tag") == "synthetic",
        centre=(resource.get("managingOrganization") or {}).get("display")
        if isinstance(resource.get("managingOrganization"), dict)
        else None,
    )


@dataclass
class Subjects:
    """Patients found in a bundle, by every key a reference may use."""

    by_key: dict[str, str] = field(default_factory=dict)
    #: When set, a ``Patient/<id>`` reference to a patient not in the bundle creates a bare
    #: patient (sex unknown) instead of skipping the resource; the stubs are collected here.
    stubs: list[Patient] | None = None

    def add(self, patient: Patient, resource: dict[str, Any], full_url: str) -> None:
        """Register a patient under its fullUrl and ``Patient/<id>``."""
        for key in (full_url, f"Patient/{resource.get('id')}", f"Patient/{patient.patient_id}"):
            if key and not key.endswith("/None"):
                self.by_key[key] = patient.patient_id

    def resolve(self, reference: Any) -> str | None:
        """Return the patient id a Reference points at, or None when it is not in the bundle."""
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"].strip()
        if ref in self.by_key:
            return self.by_key[ref]
        tail = "/".join(ref.split("/_history/")[0].rstrip("/").split("/")[-2:])
        if tail in self.by_key or self.stubs is None or not tail.startswith("Patient/"):
            return self.by_key.get(tail)
        stub = Patient(patient_id=sanitise_id(tail.removeprefix("Patient/")))
        self.stubs.append(stub)
        self.by_key[tail] = stub.patient_id
        return stub.patient_id
