"""Check a phenopacket's structure against the ``phenopackets`` protobuf schema.

A packet that protobuf refuses, holds a number that is not finite, misses a required id or
names a concept by a bare word (not a CURIE) is a :class:`~calciscope.errors.ValidationError`
naming the element (``#/phenotypicFeatures/2``) and field. Timestamps with a UTC offset are
read as their local date first. Split from :mod:`~calciscope.interop.phenopackets.reader`
(hardening34).
"""

from __future__ import annotations

import math
import re
from typing import Any

from google.protobuf import json_format
from phenopackets import Phenopacket

from calciscope.errors import Problem, ValidationError
from calciscope.interop.phenopackets.actions import action_problems
from calciscope.interop.phenopackets.curie import parse_date

__all__ = ["parse_packet"]

_REQUIRED = (("phenotypicFeatures", "type"), ("diseases", "term"), ("measurements", "assay"))
#: Where a packet names a concept calciscope stores, each must be a prefixed CURIE.
_CODED = (
    *((part, (key,)) for part, key in _REQUIRED),
    ("interpretations", ("diagnosis", "disease")),
    ("medicalActions", ("procedure", "code")),
    ("medicalActions", ("treatment", "agent")),
)
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*:\S+$")


#: A timestamp with a UTC offset (``2019-05-01T23:30:00-05:00``): protobuf turns it into UTC,
#: which can move it to another day.
_OFFSET_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T[0-9:.]+[+-]\d{2}:\d{2}$")
_TIME_KEYS = frozenset({"timestamp", "start", "end", "dateOfBirth", "date_of_birth"})
#: Where protobuf's parser says it stopped: ``at Phenopacket.phenotypicFeatures[2].onset.timestamp``.
_SCHEMA_PATH = re.compile(r" at Phenopacket\.([\w\[\].]+?)\.*$")


def _local_times(data: Any) -> Any:
    """Return ``data`` with each timestamp that has a UTC offset replaced by its local date.

    calciscope keeps dates, and the date a clinician recorded is the local one: protobuf would
    turn ``2019-05-01T23:30:00-05:00`` into ``2019-05-02T04:30:00Z``. FHIR dateTimes are read
    the same way (their first ten characters).
    """
    if isinstance(data, list):
        return [_local_times(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        match = _OFFSET_TIMESTAMP.match(value) if isinstance(value, str) else None
        if key in _TIME_KEYS and match and parse_date(match.group(1)) is not None:
            out[key] = f"{match.group(1)}T00:00:00Z"
        else:
            out[key] = _local_times(value)
    return out


def _schema_path(message: str) -> tuple[str, str]:
    """Return (location, field) of the element a protobuf parse error names, else ("$", "")."""
    match = _SCHEMA_PATH.search(message)
    if match is None:
        return "$", ""
    parts = re.sub(r"\[(\d+)\]", r".\1", match.group(1)).split(".")
    return "#/" + "/".join(parts[:-1]) if len(parts) > 1 else "#", parts[-1]


def _non_finite(value: Any, path: str) -> tuple[str, str] | None:
    """Return (location, field) of the first infinite or NaN number (JSON ``Infinity``, ``NaN``)."""
    if isinstance(value, float) and not math.isfinite(value):
        parent, _, field = path.rpartition("/")
        return parent or "#", field
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _non_finite(item, f"{path}/{key}")
        if found is not None:
            return found
    return None


def parse_packet(data: Any, source: str) -> dict[str, Any]:
    """Check structure against the protobuf schema; return the lowerCamelCase dict."""
    if not isinstance(data, dict):
        raise ValidationError([Problem(source, "$", "", "a phenopacket must be a JSON object")])
    try:
        infinite = _non_finite(data, "#")
    except RecursionError:  # nested too deep: protobuf's parser below says so (review 27)
        infinite = None
    if infinite is not None:
        location, field = infinite
        raise ValidationError(
            [
                Problem(
                    source,
                    location,
                    field,
                    "not a valid Phenopacket v2: a number that is not finite",
                )
            ]
        )
    try:
        message = json_format.ParseDict(_local_times(data), Phenopacket())
    except (
        json_format.ParseError,
        TypeError,
        ValueError,
        OverflowError,
        AttributeError,
        RecursionError,
    ) as exc:
        location, field = _schema_path(str(exc))
        raise ValidationError(
            [Problem(source, location, field, f"not a valid Phenopacket v2: {exc}")]
        ) from None
    packet: dict[str, Any] = json_format.MessageToDict(message)
    problems = (
        [
            Problem(source, f"#/{part}/{i}", key, f"{key}.id is required")
            for part, key in _REQUIRED
            for i, item in enumerate(packet.get(part, []))
            if not item.get(key, {}).get("id")
        ]
        + action_problems(packet, source)
        + _curie_problems(packet, source)
    )
    if not (packet.get("id") or packet.get("subject", {}).get("id")):
        problems.append(Problem(source, "#/id", "id", "a phenopacket needs an id or a subject id"))
    if problems:
        raise ValidationError(problems)
    return packet


def _curie_problems(packet: dict[str, Any], source: str) -> list[Problem]:
    """Return a problem for each concept id that is a bare word (``calcinosis``), not a CURIE."""
    problems = []
    for part, keys in _CODED:
        for i, item in enumerate(packet.get(part, [])):
            concept = item
            for key in keys:
                concept = concept.get(key, {})
            curie = concept.get("id", "")
            if curie and not _CURIE.match(curie):
                path = ".".join((*keys, "id"))
                message = f"{curie!r} is not a prefixed CURIE (PREFIX:ID, e.g. HP:0100774)"
                problems.append(Problem(source, f"#/{part}/{i}", path, message))
    return problems
