"""Check the FHIR R4 elements calciscope reads, before it reads them: types, codes and dates.

Only the elements the reader maps are checked (a resource type calciscope does not map is
counted as skipped, not judged), but those are checked like every other format's values: a
``valueQuantity.value`` that is not a number, a ``birthDate`` or ``effectiveDateTime`` that is
not a real date (``2020-02-30``), a ``gender`` outside ``male | female | other | unknown``, a
list or a bare string where a CodeableConcept or a Coding belongs. Each is a
:class:`~calciscope.errors.Problem` naming the file, the entry and the element's path; the
reader never substitutes another value (``issued`` for a bad ``effectiveDateTime``).

Formats follow the FHIR R4 data types (https://hl7.org/fhir/R4/datatypes.html).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["check_resource", "fhir_partial_date"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(?:\.\d+)?"
    r"(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d))?)?)?$"
)
_GENDERS = {"male", "female", "other", "unknown"}

Finding = tuple[str, str]  # (element path, what is wrong)
Check = Callable[[Any, str], Iterator[Finding]]


def fhir_partial_date(text: str, pattern: re.Pattern[str] = _DATETIME) -> bool:
    """Whether ``text`` is a FHIR date or dateTime whose year, month and day exist."""
    match = pattern.match(text)
    if match is None:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups()[:3])
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _string(value: Any, path: str) -> Iterator[Finding]:
    if not isinstance(value, str):
        yield path, f"expected a string, got {type(value).__name__}"


def _date_check(pattern: re.Pattern[str], kind: str, full: bool = False) -> Check:
    def check(value: Any, path: str) -> Iterator[Finding]:
        if not isinstance(value, str) or not fhir_partial_date(value, pattern):
            yield path, f"{value!r} is not a valid FHIR {kind}"
        elif full and "T" not in value:
            yield path, f"{value!r} is not a valid FHIR {kind} (needs a time and zone)"

    return check


def _boolean(value: Any, path: str) -> Iterator[Finding]:
    if not isinstance(value, bool):
        yield path, f"expected true or false, got {value!r}"


def _integer(value: Any, path: str) -> Iterator[Finding]:
    if not isinstance(value, int) or isinstance(value, bool):
        yield path, f"expected an integer, got {value!r}"


def _decimal(value: Any, path: str) -> Iterator[Finding]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        yield path, f"expected a number, got {value!r}"


def _not_negative(value: Any, path: str) -> Iterator[Finding]:
    yield from _decimal(value, path)
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        yield path, f"a reference range's upper limit is 0 or more, got {value!r}"


def _age_value(value: Any, path: str) -> Iterator[Finding]:
    yield from _decimal(value, path)
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        yield path, f"an age is 0 or more, got {value!r}"


def _comparator(value: Any, path: str) -> Iterator[Finding]:
    if value not in ("<", "<=", ">=", ">"):
        yield path, f"{value!r} is not a FHIR quantity comparator (<, <=, >=, >)"


def _gender(value: Any, path: str) -> Iterator[Finding]:
    if not isinstance(value, str) or value not in _GENDERS:
        yield path, f"{value!r} is not a FHIR gender (male, female, other, unknown)"


def _object(fields: dict[str, Check]) -> Check:
    def check(value: Any, path: str) -> Iterator[Finding]:
        if not isinstance(value, dict):
            yield path, f"expected an object, got {type(value).__name__}"
            return
        for name, element in fields.items():
            if name in value:
                yield from element(value[name], f"{path}.{name}")

    return check


def _list(item: Check) -> Check:
    def check(value: Any, path: str) -> Iterator[Finding]:
        if not isinstance(value, list):
            yield path, f"expected a list, got {type(value).__name__}"
            return
        for i, element in enumerate(value):
            yield from item(element, f"{path}[{i}]")

    return check


_DATE_CHECK = _date_check(_DATE, "date")
_DATETIME_CHECK = _date_check(_DATETIME, "dateTime")
_INSTANT = _date_check(_DATETIME, "instant", full=True)
_CODING = _object({"system": _string, "code": _string, "display": _string})
_CONCEPT = _object({"coding": _list(_CODING), "text": _string})
_REFERENCE = _object({"reference": _string, "display": _string})
_IDENTIFIER = _object({"system": _string, "value": _string})
_EXTENSION = _object({"url": _string, "valueCode": _string})
_ANNOTATION = _object({"text": _string})
_ATTACHMENT = _object({"contentType": _string, "data": _string, "url": _string})
_QUANTITY = _object(
    {
        "value": _decimal,
        "comparator": _comparator,
        "unit": _string,
        "code": _string,
        "system": _string,
    }
)
#: ``referenceRange.high``: the upper limit of normal calciscope reads (``reference_high``)
_HIGH = _object({"value": _not_negative, "unit": _string, "code": _string, "system": _string})
_PERIOD = _object({"start": _DATETIME_CHECK, "end": _DATETIME_CHECK})
#: An Age or the SimpleQuantity of a Range of ages: a number of a time unit.
_AGE = _object({"value": _age_value, "unit": _string, "code": _string, "system": _string})
_COMMON: dict[str, Check] = {
    "id": _string,
    "subject": _REFERENCE,
    "patient": _REFERENCE,
    "extension": _list(_EXTENSION),
    "identifier": _list(_IDENTIFIER),
    "meta": _object({"tag": _list(_CODING)}),
}
_VALUES: dict[str, Check] = {
    "code": _CONCEPT,
    "valueQuantity": _QUANTITY,
    "valueInteger": _integer,
    "valueCodeableConcept": _CONCEPT,
    "valueString": _string,
    "valueRatio": _object({"numerator": _QUANTITY, "denominator": _QUANTITY}),
    "valueRange": _object({"low": _QUANTITY, "high": _QUANTITY}),
    "valueBoolean": _boolean,
    "valueDateTime": _DATETIME_CHECK,
    "valueTime": _string,
    "valuePeriod": _PERIOD,
    "interpretation": _list(_CONCEPT),
    "dataAbsentReason": _CONCEPT,
    "referenceRange": _list(_object({"low": _QUANTITY, "high": _HIGH, "text": _string})),
}
_RESOURCES: dict[str, dict[str, Check]] = {
    "Patient": {
        "gender": _gender,
        "birthDate": _DATE_CHECK,
        "deceasedDateTime": _DATETIME_CHECK,
        "deceasedBoolean": _boolean,
        "managingOrganization": _REFERENCE,
    },
    "Condition": {
        "code": _CONCEPT,
        "verificationStatus": _CONCEPT,
        "clinicalStatus": _CONCEPT,
        "onsetDateTime": _DATETIME_CHECK,
        "onsetPeriod": _PERIOD,
        "onsetAge": _AGE,
        "onsetRange": _object({"low": _AGE, "high": _AGE}),
        "onsetString": _string,
        "recordedDate": _DATETIME_CHECK,
        "bodySite": _list(_CONCEPT),
        "note": _list(_ANNOTATION),
    },
    "Observation": _VALUES
    | {
        "status": _string,
        "effectiveDateTime": _DATETIME_CHECK,
        "effectiveInstant": _INSTANT,
        "effectivePeriod": _PERIOD,
        "issued": _INSTANT,
        "bodySite": _CONCEPT,
        "note": _list(_ANNOTATION),
        "component": _list(_object(_VALUES)),
    },
    "DocumentReference": {
        "date": _INSTANT,
        "content": _list(_object({"attachment": _ATTACHMENT})),
    },
    "DiagnosticReport": {
        "effectiveDateTime": _DATETIME_CHECK,
        "issued": _INSTANT,
        "category": _list(_CONCEPT),
        "conclusion": _string,
        "conclusionCode": _list(_CONCEPT),
        "effectivePeriod": _PERIOD,
        "presentedForm": _list(_ATTACHMENT),
    },
    "ImagingStudy": {
        "started": _DATETIME_CHECK,
        "series": _list(
            _object({"modality": _CODING, "bodySite": _CODING, "started": _DATETIME_CHECK})
        ),
    },
    "Provenance": {"activity": _CONCEPT, "target": _list(_REFERENCE)},
}


def check_resource(resource: dict[str, Any]) -> list[Finding]:
    """Return ``(path, message)`` for each element calciscope reads that is not valid FHIR R4.

    A resource type calciscope does not map gives nothing (it is counted as skipped).
    """
    fields = _RESOURCES.get(str(resource.get("resourceType")))
    if fields is None:
        return []
    return list(_object(_COMMON | fields)(resource, str(resource["resourceType"])))
