"""Phenopacket ids and times: CURIEs, ISO 8601 durations, onsets and dates.

The CURIE rules (which prefix maps to which code system) are in :mod:`calciscope.interop.mappings`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from typing import Any

from calciscope.interop.mappings import code_to_curie, curie_to_code

__all__ = [
    "add_duration",
    "code_to_curie",
    "curie_to_code",
    "onset_from_provenance",
    "parse_date",
    "sanitise_id",
    "time_element_date",
]

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$")
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9._:\-]")


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

    A timestamp gives its date; an interval gives the date it starts (as FHIR's
    ``effectivePeriod.start`` does; the whole interval stays in the note, so its end is not
    lost); an age (ISO 8601 duration) gives a date when the date of birth is known. Anything
    else (an age without a date of birth, an age range, an ontology class) is returned as a
    note for the provenance.
    """
    if not element:
        return None, ""
    if "timestamp" in element:
        return parse_date(element["timestamp"]), ""
    start = element.get("interval", {}).get("start")
    if isinstance(start, str) and parse_date(start) is not None:
        return parse_date(start), "onset " + json.dumps(element, sort_keys=True)
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
    except (json_format.ParseError, TypeError, ValueError, OverflowError):
        return False
    return True
