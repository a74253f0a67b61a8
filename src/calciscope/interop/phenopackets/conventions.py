"""Two calciscope conventions shared by the Phenopacket reader and writer.

* A lab result without a number (an autoantibody) that the curation rule keeps out of
  ``phenotypicFeatures`` (a term beside its HPO ancestor) is written as a measurement valued
  with the LOINC answer Positive (LA6576-8) or Negative (LA6577-6), from LOINC answer lists such
  as LL2160-7; the reader reads those answers, from anyone's packets, as present and absent.
* A synthetic record carries ``metaData.externalReferences`` ``calciscope:synthetic`` with a
  "SYNTHETIC DATA" description, so it is still marked synthetic when read back; the patient's
  centre (a Phenopacket has no field for it) travels as ``calciscope:centre`` whose description
  is the centre's name.
"""

from __future__ import annotations

from typing import Any

from calciscope.interop.mappings import RESULT_ANSWERS
from calciscope.model import Status

__all__ = [
    "SYNTHETIC_REFERENCE",
    "answer_status",
    "centre_of",
    "centre_reference",
    "is_synthetic",
]

SYNTHETIC_REFERENCE: dict[str, str] = {
    "id": "calciscope:synthetic",
    "description": "SYNTHETIC DATA: not a real patient (written by calciscope)",
}


def answer_status(value_class: dict[str, Any]) -> Status | None:
    """Return present/absent for a Positive/Negative LOINC answer, else None."""
    return next(
        (
            status
            for status, answer in RESULT_ANSWERS.items()
            if answer["id"] == value_class.get("id")
        ),
        None,
    )


def is_synthetic(packet: dict[str, Any]) -> bool:
    """Return True when the packet carries calciscope's synthetic-data reference."""
    references = packet.get("metaData", {}).get("externalReferences", [])
    return any(ref.get("id") == SYNTHETIC_REFERENCE["id"] for ref in references)


_CENTRE = "calciscope:centre"


def centre_reference(centre: str) -> dict[str, str]:
    """Return the external reference that carries a patient's centre."""
    return {"id": _CENTRE, "description": centre}


def centre_of(packet: dict[str, Any]) -> str | None:
    """Return the centre carried by calciscope's external reference, if any."""
    references = packet.get("metaData", {}).get("externalReferences", [])
    return next((r.get("description") or None for r in references if r.get("id") == _CENTRE), None)
