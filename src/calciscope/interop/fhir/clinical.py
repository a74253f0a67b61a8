"""FHIR Condition and Observation → calciscope facts.

Condition: ``verificationStatus`` refuted → absent, unconfirmed/provisional/differential →
unknown, entered-in-error → skipped; ``clinicalStatus`` is kept in the provenance. Observation:
LOINC/SNOMED/... code; ``valueQuantity`` → value and unit; a coded or string value → text; a
ratio (a titre, ``1:320``), range, boolean, date, time or period → text (``valueBoolean``
false → absent, unknown for a code of a measured quantity); ``interpretation`` NEG/ND (or a Negative/Not detected value) → absent,
POS/DET → present, IND (indeterminate) → unknown; ``dataAbsentReason`` → unknown; the first ``note`` → text when
the value gives none (calciscope writes a fact's text there when ``value[x]`` holds its
quantity or is absent); components become one fact each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from calciscope.features import load_catalogue
from calciscope.interop.fhir.codes import EXTENSION, as_list, body_site_from, pick_coding
from calciscope.interop.fhir.subjects import fhir_date
from calciscope.interop.mappings import (
    FHIR_EXTENSION_QUALIFIERS,
    FHIR_INTERPRETATION,
    FHIR_NEGATIVE,
    FHIR_VERIFICATION_READ,
    QUALIFIER_ENUMS,
    partial_date,
)
from calciscope.interop.phenopackets.curie import add_duration
from calciscope.model import Fact, SourceKind, Status

__all__ = ["conclusion_facts", "condition_facts", "death_facts", "observation_facts"]


def _first_code(concept: Any) -> str | None:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if isinstance(codings, list):
        for coding in codings:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return coding["code"]
    return None


def _extensions(resource: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for ext in resource.get("extension", []) if isinstance(resource.get("extension"), list) else []:
        for name in FHIR_EXTENSION_QUALIFIERS:
            if isinstance(ext, dict) and ext.get("url") == EXTENSION[name]:
                value = QUALIFIER_ENUMS[name]._value2member_map_.get(ext.get("valueCode"))
                if value is not None:
                    fields[name] = value
    return fields


def _site(resource: dict[str, Any]) -> dict[str, Any]:
    sites = resource.get("bodySite")
    site = sites[0] if isinstance(sites, list) and sites else sites
    region, side = body_site_from(site)
    return {"body_site": region, "laterality": side}


def _note_text(resource: dict[str, Any]) -> str | None:
    notes = resource.get("note")
    if (
        isinstance(notes, list)
        and notes
        and isinstance(notes[0], dict)
        and isinstance(notes[0].get("text"), str)
    ):
        return notes[0]["text"][:2000]
    return None


def _date_of(
    resource: dict[str, Any], elements: tuple[str, ...], fallback: str, period_element: str
) -> tuple[dt.date | None, str]:
    """Return the date of the first element present, with a note when it is not a whole date.

    Only when none of ``elements`` (nor the start of ``period_element``: ``effectivePeriod``,
    ``onsetPeriod``) is there is ``fallback`` (``issued``, ``recordedDate``) used: a partial
    date (``2020-02``) is kept in the provenance, never replaced by another element's date. The
    reader has checked the formats already.
    """
    period = resource.get(period_element)
    given = {name: resource[name] for name in elements if name in resource}
    if isinstance(period, dict) and "start" in period:
        given.setdefault(f"{period_element}.start", period["start"])
    if not given:
        return fhir_date(resource.get(fallback)), ""
    name, value = next(iter(given.items()))
    when = fhir_date(value)
    return when, "" if when else f" {name}={value}"


#: UCUM time units of a FHIR Age (https://hl7.org/fhir/R4/datatypes.html#Age) that give a date,
#: as ISO 8601 duration designators (an age in hours or minutes is kept in the provenance).
_AGE_UNITS = {"a": "Y", "mo": "M", "wk": "W", "d": "D"}
_SHOWN = 200  # characters of an onsetString kept in the provenance


def _age_text(age: Any) -> str:
    if not isinstance(age, dict):
        return "?"
    unit = age.get("code") or age.get("unit") or ""
    return f"{age.get('value', '?')} {unit}".strip()


def _age_date(age: Any, birth: dt.date | None) -> dt.date | None:
    """Return birth date + a FHIR Age, or None when either does not give a day.

    Only a whole number of years, months, weeks or days (UCUM ``a``, ``mo``, ``wk``, ``d``)
    after a full date of birth gives a date, as a Phenopacket age onset does
    (:func:`~calciscope.interop.phenopackets.curie.add_duration`): the day the patient reached
    that age. A fractional age, another unit or a partial date of birth gives none: a day is
    never invented.
    """
    if birth is None or not isinstance(age, dict):
        return None
    value, unit = age.get("value"), age.get("code") or age.get("unit")
    designator = _AGE_UNITS.get(unit) if isinstance(unit, str) else None
    if designator is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value < 0 or value != int(value):
        return None
    return add_duration(birth, f"P{int(value)}{designator}")


def _onset(resource: dict[str, Any], birth: dt.date | None) -> tuple[dt.date | None, str] | None:
    """Return the date of ``onsetAge``, ``onsetRange`` or ``onsetString`` with its note.

    ``onsetAge`` (and ``onsetRange.low``) dates the fact at the day of birth plus the age when
    the date of birth is a full date; ``onsetString`` when it holds a full ISO date. Otherwise
    the fact is undated and the onset stays in the provenance (the partial-date rule,
    :func:`~calciscope.interop.mappings.partial_date`). None when the Condition gives none of
    these three.
    """
    if "onsetAge" in resource:
        age = resource["onsetAge"]
        when = _age_date(age, birth)
        return when, f" onsetAge={_age_text(age)}"
    if "onsetRange" in resource:
        span = resource["onsetRange"] if isinstance(resource["onsetRange"], dict) else {}
        low, high = span.get("low"), span.get("high")
        text = f"{_age_text(low) if low else ''}..{_age_text(high) if high else ''}"
        return _age_date(low, birth), f" onsetRange={text}"
    if "onsetString" in resource:
        text = str(resource["onsetString"])
        try:
            when, _partial = partial_date(text)
        except ValueError:
            when = None
        return when, "" if when else f" onsetString={text[:_SHOWN]}"
    return None


def condition_facts(
    resource: dict[str, Any], patient_id: str, where: str, birth: dt.date | None = None
) -> list[Fact] | str:
    """Map a Condition to one fact, or return why it is skipped.

    ``birth`` is the patient's date of birth, which dates an ``onsetAge`` or ``onsetRange``.
    """
    coded = pick_coding(resource.get("code"))
    if coded is None:
        return "no code in a supported system (SNOMED CT, ICD-10, HPO, MONDO, Orphanet, LOINC)"
    verification = _first_code(resource.get("verificationStatus"))
    if verification == "entered-in-error":
        return "verificationStatus entered-in-error"
    clinical = _first_code(resource.get("clinicalStatus"))
    onset = _onset(resource, birth)
    when, note = onset or _date_of(resource, ("onsetDateTime",), "recordedDate", "onsetPeriod")
    fields = _site(resource) | _extensions(resource)
    return [
        Fact(
            patient_id=patient_id,
            system=coded[0],
            code=coded[1],
            effective_date=when,
            status=FHIR_VERIFICATION_READ.get(verification or "", Status.PRESENT),
            value_text=_note_text(resource),
            source_kind=SourceKind.IMPORT,
            provenance=where + (f" clinicalStatus={clinical}" if clinical else "") + note,
            **{k: v for k, v in fields.items() if v is not None},
        )
    ]


def _status(item: dict[str, Any], coded: tuple[str, str, str]) -> Status:
    if "dataAbsentReason" in item:
        return Status.UNKNOWN
    if item.get("valueBoolean") is False:
        # the answer to the question the code asks (a finding, a qualitative test, a procedure
        # done): no. A code whose concept is a measured quantity (a value_range in
        # concepts.yaml: CK, an mRSS site) asks no yes/no question: "false" is no value of
        # it and says nothing of its presence (hardening35; "CK absent" was a fact before)
        quantity = load_catalogue().value_ranges(coded[0], coded[1])
        return Status.UNKNOWN if quantity else Status.ABSENT
    flags = (
        {_first_code(i) for i in item.get("interpretation", []) if isinstance(i, dict)}
        if isinstance(item.get("interpretation"), list)
        else set()
    )
    flags.add(_first_code(item.get("valueCodeableConcept")))
    if flags & FHIR_NEGATIVE:
        return Status.ABSENT
    return Status.UNKNOWN if FHIR_INTERPRETATION[Status.UNKNOWN] in flags else Status.PRESENT


def _reference_high(item: dict[str, Any], unit: Any) -> float | None:
    """Return the upper end of the value's reference range (``referenceRange.high``).

    Only a high in the value's own unit (or with no unit) counts, and only when the ranges
    given agree on one (several ranges for different groups, ``appliesTo``, leave it unknown).
    """
    ranges = item.get("referenceRange")
    if not isinstance(ranges, list):
        return None
    highs = set()
    for entry in ranges:
        high = entry.get("high") if isinstance(entry, dict) else None
        if not isinstance(high, dict) or not isinstance(high.get("value"), int | float):
            continue
        its_unit = high.get("code") or high.get("unit")
        if its_unit is None or its_unit == unit:
            highs.add(float(high["value"]))
    return highs.pop() if len(highs) == 1 else None


def _value(item: dict[str, Any]) -> dict[str, Any]:
    quantity = item.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), int | float):
        unit = quantity.get("code") or quantity.get("unit")
        comparator = quantity.get("comparator")
        if isinstance(comparator, str) and comparator:
            # "<5 U/L" is not 5: no number a criterion could compare, the text as given
            return {
                "value_text": f"{comparator}{quantity['value']}",
                "unit": str(unit)[:32] if unit else None,
                "reference_high": _reference_high(item, unit),
            }
        return {
            "value_num": float(quantity["value"]),
            "unit": str(unit)[:32] if unit else None,
            "reference_high": _reference_high(item, unit),
        }
    if isinstance(item.get("valueInteger"), int) and not isinstance(item["valueInteger"], bool):
        return {"value_num": float(item["valueInteger"])}
    concept = item.get("valueCodeableConcept")
    if isinstance(concept, dict):
        text = concept.get("text") or next(
            (
                c.get("display") or c.get("code")
                for c in concept.get("coding", [])
                if isinstance(c, dict)
            ),
            None,
        )
        return {"value_text": str(text)[:2000] if text else None}
    if isinstance(item.get("valueString"), str):
        return {"value_text": item["valueString"][:2000]}
    return _value_as_text(item)


def _quantity_text(quantity: Any) -> tuple[str, Any]:
    """Return ``(comparator + value, unit)`` of a Quantity, ``("", None)`` when it has no value."""
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), int | float):
        return "", None
    number = quantity["value"]
    shown = f"{int(number)}" if isinstance(number, float) and number.is_integer() else f"{number}"
    return f"{quantity.get('comparator') or ''}{shown}", quantity.get("code") or quantity.get(
        "unit"
    )


def _value_as_text(item: dict[str, Any]) -> dict[str, Any]:
    """Return the value[x] types that are no single number as their text (never a number).

    A titre (``valueRatio`` 1/320 → ``1:320``), a range (``valueRange`` → ``10..20``), a
    boolean (``true``/``false``; false also makes the fact absent, :func:`_status`), a date,
    time or period.
    ``valueSampledData`` and ``valueAttachment`` are not read.
    """
    if isinstance(ratio := item.get("valueRatio"), dict):
        (top, top_unit), (bottom, bottom_unit) = (
            _quantity_text(ratio.get(k)) for k in ("numerator", "denominator")
        )
        unit = f"{top_unit or 1}/{bottom_unit or 1}" if top_unit or bottom_unit else None
        return {
            "value_text": f"{top}:{bottom}" if top and bottom else None,
            "unit": unit[:32] if unit else None,
        }
    if isinstance(span := item.get("valueRange"), dict):
        (low, low_unit), (high, high_unit) = (_quantity_text(span.get(k)) for k in ("low", "high"))
        unit = low_unit or high_unit
        return {
            "value_text": f"{low}..{high}" if low or high else None,
            "unit": str(unit)[:32] if unit else None,
            "reference_high": _reference_high(item, unit),
        }
    if isinstance(item.get("valueBoolean"), bool):
        return {"value_text": "true" if item["valueBoolean"] else "false"}
    for name in ("valueDateTime", "valueTime"):
        if isinstance(item.get(name), str):
            return {"value_text": item[name]}
    if isinstance(period := item.get("valuePeriod"), dict):
        start, end = period.get("start") or "", period.get("end") or ""
        return {"value_text": f"{start}..{end}" if start or end else None}
    return {}


def _observation_fact(
    item: dict[str, Any], resource: dict[str, Any], patient_id: str, where: str
) -> Fact | None:
    coded = pick_coding(item.get("code"))
    if coded is None:
        return None
    when, note = _date_of(
        resource, ("effectiveDateTime", "effectiveInstant"), "issued", "effectivePeriod"
    )
    fields = _site(resource) | _extensions(resource) | _value(item)
    if item is resource and not fields.get("value_text"):
        fields["value_text"] = _note_text(resource)  # text with a quantity or an unknown value
    return Fact(
        patient_id=patient_id,
        system=coded[0],
        code=coded[1],
        status=_status(item, coded),
        effective_date=when,
        source_kind=SourceKind.IMPORT,
        provenance=where + note,
        **{k: v for k, v in fields.items() if v is not None},
    )


def observation_facts(resource: dict[str, Any], patient_id: str, where: str) -> list[Fact] | str:
    """Map an Observation (and each of its components) to facts, or return why it is skipped."""
    if resource.get("status") in ("entered-in-error", "cancelled"):
        return f"status {resource.get('status')}"
    components = as_list(resource.get("component"))
    has_value = any(key.startswith("value") for key in resource)
    items = ([(resource, where)] if has_value or not components else []) + [
        (c, f"{where}/component/{i}") for i, c in enumerate(components) if isinstance(c, dict)
    ]
    facts = [
        f
        for item, loc in items
        if (f := _observation_fact(item, resource, patient_id, loc)) is not None
    ]
    return facts or "no code in a supported system (LOINC, SNOMED CT, HPO, ...)"


def death_facts(resource: dict[str, Any], patient_id: str, where: str) -> list[Fact]:
    """Map a Patient's ``deceasedDateTime`` (or ``deceasedBoolean: true``) to a death fact.

    Death is the catalogue's ``death`` concept (``calciscope`` / ``death``), as the OMOP and
    REDCap readers record it; a partial date (``2020-03``) stays in the provenance.
    """
    if "deceasedDateTime" in resource:
        value = resource["deceasedDateTime"]
        when = fhir_date(value)
        note = "" if when else f" deceasedDateTime={value}"
    elif resource.get("deceasedBoolean") is True:
        when, note = None, " deceasedBoolean=true"
    else:
        return []
    return [
        Fact(
            patient_id=patient_id,
            system="calciscope",
            code="death",
            effective_date=when,
            source_kind=SourceKind.IMPORT,
            provenance=where + note,
        )
    ]


def conclusion_facts(resource: dict[str, Any], patient_id: str, where: str) -> list[Fact]:
    """Map each coded conclusion of a DiagnosticReport (``conclusionCode``) to a present fact.

    The report's coded diagnosis or finding (a radiology report's "calcinosis") is what its
    author concluded; it is dated as the report (``effective[x]``, else ``issued``). A code in
    no supported system gives nothing.
    """
    when, note = _date_of(resource, ("effectiveDateTime",), "issued", "effectivePeriod")
    facts = []
    for i, concept in enumerate(as_list(resource.get("conclusionCode"))):
        coded = pick_coding(concept)
        if coded is not None:
            facts.append(
                Fact(
                    patient_id=patient_id,
                    system=coded[0],
                    code=coded[1],
                    effective_date=when,
                    source_kind=SourceKind.IMPORT,
                    provenance=f"{where}/conclusionCode/{i}{note}",
                )
            )
    return facts
