"""CURIEs (``HP:0001234``, ``LOINC:2157-6``) to calciscope (system, code) and back, plus time.

calciscope keeps the prefix in HP and MONDO codes (as the catalogue does) and drops it for
SNOMED CT, LOINC and ICD-10 (OMIM and Orphanet codes keep their prefix too). A prefix
calciscope has no code system for (NCIT, ...) is kept whole as a code in the ``calciscope``
namespace (``calciscope`` / ``NCIT:C3262``), so nothing is lost and an export writes the same
CURIE back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from typing import Any

__all__ = [
    "add_duration",
    "code_to_curie",
    "curie_to_code",
    "onset_from_provenance",
    "parse_date",
    "sanitise_id",
    "time_element_date",
]

_PREFIX_TO_SYSTEM = {
    "HP": "HP",
    "MONDO": "MONDO",
    "ORPHA": "ORPHA",
    "Orphanet": "ORPHA",
    "SNOMEDCT": "SNOMEDCT",
    "SNOMEDCT_US": "SNOMEDCT",
    "SNOMED": "SNOMEDCT",
    "LOINC": "LOINC",
    "ICD10": "ICD10",
    "ICD10CM": "ICD10CM",
    "OMOP": "OMOP",
    "OMIM": "OMIM",
    "calciscope": "calciscope",
}
_KEEP_PREFIX = {"HP", "MONDO", "OMIM"}
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$")
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9._:\-]")


def curie_to_code(curie: str) -> tuple[str, str]:
    """Return calciscope's (system, code) for a CURIE.

    Examples
    --------
    >>> curie_to_code("HP:0003761")
    ('HP', 'HP:0003761')
    >>> curie_to_code("LOINC:2157-6")
    ('LOINC', '2157-6')
    >>> curie_to_code("OMIM:613454")
    ('OMIM', 'OMIM:613454')
    >>> curie_to_code("NCIT:C3262")
    ('calciscope', 'NCIT:C3262')
    """
    prefix, sep, local = curie.partition(":")
    system = _PREFIX_TO_SYSTEM.get(prefix) if sep else None
    if system is None:
        return "calciscope", curie
    if prefix in _KEEP_PREFIX:
        return system, f"{prefix}:{local}"
    if system == "ORPHA":
        return system, f"ORPHA:{local}"
    return system, local


def code_to_curie(system: str, code: str) -> str:
    """Return the CURIE for calciscope's (system, code); the inverse of :func:`curie_to_code`."""
    if system in _KEEP_PREFIX or system == "ORPHA" or (system == "calciscope" and ":" in code):
        return code
    return f"{system}:{code}"


def add_duration(start: dt.date, iso: str) -> dt.date | None:
    """Add an ISO 8601 duration (``P2Y3M``, ``P10M14D``, ``P3W``) to a date; None if unparsable."""
    match = _DURATION.match(iso.strip())
    if match is None or iso.strip() == "P":
        return None
    years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
    total_months = start.month - 1 + months + 12 * years
    year, month = start.year + total_months // 12, total_months % 12 + 1
    try:
        day = min(start.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day) + dt.timedelta(days=days + 7 * weeks)
    except (ValueError, OverflowError):
        return None


def parse_date(text: str) -> dt.date | None:
    """Return the date of an ISO 8601 date or timestamp (``2009-12-03T00:00:00Z``), or None."""
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def sanitise_id(text: str) -> str:
    """Return an identifier calciscope accepts: other characters become ``_`` (``Case 4`` → ``Case_4``)."""
    cleaned = _BAD_ID_CHARS.sub("_", text.strip())[:128]
    return cleaned if cleaned[:1].isalnum() else ("x" + cleaned)[:128]


def time_element_date(
    element: dict[str, Any] | None, birth: dt.date | None
) -> tuple[dt.date | None, str]:
    """Return (date, note) for a TimeElement; the note says what could not become a date.

    A timestamp gives its date; an age (ISO 8601 duration) gives a date when the date of birth
    is known. Anything else (an age without a date of birth, an age range, an ontology class)
    is returned as a note for the provenance.
    """
    if not element:
        return None, ""
    if "timestamp" in element:
        return parse_date(element["timestamp"]), ""
    iso = element.get("age", {}).get("iso8601duration")
    if iso and birth is not None:
        when = add_duration(birth, iso)
        return when, "" if when else f"onset {iso}"
    return None, "onset " + json.dumps(element, sort_keys=True)


_ONSET_NOTE = "; onset "


def onset_from_provenance(provenance: str | None) -> dict[str, Any] | None:
    """Return the TimeElement :func:`time_element_date` left in a fact's provenance, or None.

    The reader keeps an onset it cannot date (an age without a date of birth, an age range, an
    ontology class) as ``; onset {...}`` after the location; the writer puts it back, so an
    onset given as an age survives export.
    """
    if not provenance or _ONSET_NOTE not in provenance:
        return None
    text = provenance.split(_ONSET_NOTE, 1)[1].strip()
    if _DURATION.match(text):
        return {"age": {"iso8601duration": text}}
    try:
        element = json.loads(text)
    except ValueError:
        return None
    return element if isinstance(element, dict) and _is_time_element(element) else None


def _is_time_element(element: dict[str, Any]) -> bool:
    from google.protobuf import json_format
    from phenopackets import TimeElement

    try:
        json_format.ParseDict(element, TimeElement())
    except (json_format.ParseError, TypeError, ValueError):
        return False
    return True
