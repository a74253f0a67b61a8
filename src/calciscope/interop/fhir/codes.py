"""FHIR codings ⇄ calciscope codes (tables in :mod:`calciscope.interop.mappings`), and extensions."""

from __future__ import annotations

import re
from typing import Any

from calciscope.interop.mappings import (
    FHIR_BARE_CODE,
    FHIR_EXTENSION_QUALIFIERS,
    FHIR_SYSTEM_PREFERENCE,
    FHIR_URL_SYSTEMS,
    SYSTEM_URLS,
    prefixed_code,
)
from calciscope.model import BodyRegion, Laterality

__all__ = [
    "EXTENSION",
    "as_list",
    "body_site_from",
    "coding_for",
    "pick_coding",
]

#: Extensions calciscope writes (and reads back) for fields FHIR has no element for.
EXTENSION = {
    name: f"https://w3id.org/calciscope/fhir/StructureDefinition/{name}"
    for name in (*FHIR_EXTENSION_QUALIFIERS, "body-site", "note-type")
}
_REGION_WORDS = [
    (re.compile(r"finger|digit|thumb", re.I), BodyRegion.FINGERS),
    (re.compile(r"\bhand", re.I), BodyRegion.HAND),
    (re.compile(r"wrist", re.I), BodyRegion.WRIST),
    (re.compile(r"forearm", re.I), BodyRegion.FOREARM),
    (re.compile(r"elbow", re.I), BodyRegion.ELBOW),
    (re.compile(r"upper arm", re.I), BodyRegion.UPPER_ARM),
    (re.compile(r"shoulder", re.I), BodyRegion.SHOULDER),
    (re.compile(r"chest|thora", re.I), BodyRegion.CHEST),
    (re.compile(r"abdom", re.I), BodyRegion.ABDOMEN),
    (re.compile(r"thigh", re.I), BodyRegion.THIGH),
    (re.compile(r"knee", re.I), BodyRegion.KNEE),
    (re.compile(r"ankle|foot|toe", re.I), BodyRegion.ANKLE_FOOT),
    (re.compile(r"face", re.I), BodyRegion.FACE),
    (re.compile(r"neck", re.I), BodyRegion.NECK),
]


def as_list(value: Any) -> list[Any]:
    """Return ``value`` when it is a list, else an empty list (FHIR input is not trusted)."""
    return value if isinstance(value, list) else []


def pick_coding(concept: Any) -> tuple[str, str, str] | None:
    """Return (system, code, display) of the preferred supported coding of a CodeableConcept."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return None
    found: dict[str, tuple[str, str, str]] = {}
    for coding in concept["coding"]:
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
            continue
        system = FHIR_URL_SYSTEMS.get(str(coding.get("system", "")).rstrip("/"))
        if system and coding["code"].strip():
            found.setdefault(
                system,
                (
                    system,
                    prefixed_code(system, coding["code"].strip()),
                    str(coding.get("display", "")),
                ),
            )
    return next((found[s] for s in FHIR_SYSTEM_PREFERENCE if s in found), None)


def coding_for(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """Return a FHIR Coding for a calciscope (system, code)."""
    bare = code.removeprefix(f"{system}:") if system in FHIR_BARE_CODE else code
    coding = {"system": SYSTEM_URLS[system], "code": bare}
    if display:
        coding["display"] = display
    return coding


def body_site_from(concept: Any) -> tuple[BodyRegion | None, Laterality | None]:
    """Return the body region and side a bodySite CodeableConcept names (by calciscope code or words)."""
    if not isinstance(concept, dict):
        return None, None
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        if isinstance(coding, dict) and coding.get("system") == EXTENSION["body-site"]:
            return BodyRegion._value2member_map_.get(coding.get("code"), None), None  # type: ignore[return-value]
    words = " ".join(
        [str(concept.get("text", ""))]
        + [str(c.get("display", "")) for c in concept.get("coding", []) if isinstance(c, dict)]
    )
    region = next((r for pattern, r in _REGION_WORDS if pattern.search(words)), None)
    side = (
        Laterality.LEFT
        if re.search(r"\bleft\b", words, re.I)
        else (Laterality.RIGHT if re.search(r"\bright\b", words, re.I) else None)
    )
    return region, side
