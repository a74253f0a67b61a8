"""FHIR code system URLs ⇄ calciscope code systems, and calciscope's own FHIR extensions."""

from __future__ import annotations

import re
from typing import Any

from calciscope.model import BodyRegion, Laterality

__all__ = [
    "CALCISCOPE_SYSTEM",
    "EXTENSION",
    "SYSTEM_URLS",
    "as_list",
    "body_site_from",
    "coding_for",
    "pick_coding",
]

#: FHIR ``Coding.system`` for each calciscope code system.
SYSTEM_URLS: dict[str, str] = {
    "SNOMEDCT": "http://snomed.info/sct",
    "LOINC": "http://loinc.org",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "HP": "http://purl.obolibrary.org/obo/hp.owl",
    "MONDO": "http://purl.obolibrary.org/obo/mondo.owl",
    "ORPHA": "http://www.orpha.net",
    # OMIM's own address (omim.org); not checked against HL7's terminology registry
    "OMIM": "https://omim.org",
    "OMOP": "https://athena.ohdsi.org",
    "calciscope": "https://w3id.org/calciscope/concept",
}
CALCISCOPE_SYSTEM = SYSTEM_URLS["calciscope"]
_URL_SYSTEMS = {url: system for system, url in SYSTEM_URLS.items()} | {
    "http://hpo.jax.org": "HP",
    "https://hpo.jax.org": "HP",
    "http://purl.obolibrary.org/obo/mondo.obo": "MONDO",
    "http://www.orpha.net/ORDO": "ORPHA",
    "http://hl7.org/fhir/sid/icd-10-de": "ICD10",
    "http://omim.org": "OMIM",
    "https://www.omim.org": "OMIM",
    "http://www.omim.org": "OMIM",
}
#: Order of preference when a concept carries several codings.
_PREFERENCE = (
    "calciscope",
    "HP",
    "MONDO",
    "SNOMEDCT",
    "LOINC",
    "ICD10CM",
    "ICD10",
    "ORPHA",
    "OMIM",
    "OMOP",
)

#: Extensions calciscope writes (and reads back) for fields FHIR has no element for.
EXTENSION = {
    name: f"https://w3id.org/calciscope/fhir/StructureDefinition/{name}"
    for name in ("morphology", "method", "laterality", "body-site", "note-type")
}
_PREFIXED = {"HP": "HP:", "MONDO": "MONDO:", "ORPHA": "ORPHA:", "OMIM": "OMIM:"}
#: Systems whose FHIR code is the bare number (calciscope keeps the prefix: ``OMIM:613454``).
_BARE = {"OMIM": "OMIM:"}
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


def _code(system: str, code: str) -> str:
    prefix = _PREFIXED.get(system, "")
    return code if not prefix or code.startswith(prefix) else prefix + code


def pick_coding(concept: Any) -> tuple[str, str, str] | None:
    """Return (system, code, display) of the preferred supported coding of a CodeableConcept."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return None
    found: dict[str, tuple[str, str, str]] = {}
    for coding in concept["coding"]:
        if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
            continue
        system = _URL_SYSTEMS.get(str(coding.get("system", "")).rstrip("/"))
        if system and coding["code"].strip():
            found.setdefault(
                system,
                (system, _code(system, coding["code"].strip()), str(coding.get("display", ""))),
            )
    return next((found[s] for s in _PREFERENCE if s in found), None)


def coding_for(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """Return a FHIR Coding for a calciscope (system, code)."""
    prefix = _BARE.get(system)
    coding = {"system": SYSTEM_URLS[system], "code": code.removeprefix(prefix) if prefix else code}
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
