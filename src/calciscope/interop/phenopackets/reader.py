"""Read GA4GH Phenopacket v2 JSON (lowerCamelCase or snake_case) into calciscope records.

Mapping (docs/interop.md has the full table): the packet ``id`` is the patient id (the subject
id of a published case, ``Case 4``, is not unique across packets); ``subject.sex`` and
``subject.dateOfBirth`` fill the patient; every phenotypic feature becomes a fact (any HPO id,
not only catalogue ones) with status *absent* when ``excluded: true``; diseases and the
diagnosed disease of each interpretation become facts; measurements become facts with a value
and unit; procedures and treatments in ``medicalActions`` become present facts
(:mod:`~calciscope.interop.phenopackets.actions`). Onsets become the fact's date when they are a timestamp, or an age and the date of
birth is known; otherwise the onset is kept in the provenance. Structure is checked with the
``phenopackets`` protobuf schema; HPO curation problems are reported as warnings.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pydantic
from google.protobuf import json_format
from phenopackets import Phenopacket

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.jsontext import load_json
from calciscope.interop.mappings import PHENOPACKET_SEX, curie_to_code, excluded_status
from calciscope.interop.phenopackets.actions import action_problems, read_actions
from calciscope.interop.phenopackets.conventions import answer_status, centre_of, is_synthetic
from calciscope.interop.phenopackets.curie import parse_date, sanitise_id, time_element_date
from calciscope.interop.phenopackets.hpo import load_hpo
from calciscope.interop.phenopackets.modifiers import (
    disease_site_fields,
    modifiers_to_fields,
    procedure_to_fields,
)
from calciscope.interop.phenopackets.validation import Issue, IssueKind, TermUse, check_terms
from calciscope.model import Fact, Patient, Sex, SourceKind, Status
from calciscope.storage import PatientOrigin

__all__ = ["read_phenopacket", "read_phenopackets"]

_SEX = {code: sex for sex, code in PHENOPACKET_SEX.items()}
_SKIPPED_PARTS = ("biosamples", "files")
_REQUIRED = (("phenotypicFeatures", "type"), ("diseases", "term"), ("measurements", "assay"))
#: Where a packet names a concept calciscope stores, each must be a prefixed CURIE.
_CODED = (
    *((part, (key,)) for part, key in _REQUIRED),
    ("interpretations", ("diagnosis", "disease")),
    ("medicalActions", ("procedure", "code")),
    ("medicalActions", ("treatment", "agent")),
)
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*:\S+$")
_GENOMIC = "genomic interpretation (variants and genes) is not mapped to calciscope facts"


def _pointer(source: str) -> str:
    """Return ``source`` as the start of a JSON pointer: ``FILE#``, or a member's ``FILE#/members/0``."""
    return source if "#" in source else f"{source}#"


def _patient(packet: dict[str, Any], source: str) -> Patient:
    subject = packet.get("subject", {})
    return Patient(
        patient_id=sanitise_id(packet.get("id") or subject.get("id", "")),
        sex=_SEX.get(subject.get("sex", PHENOPACKET_SEX[Sex.UNKNOWN]), Sex.UNKNOWN),
        birth_date=parse_date(subject["dateOfBirth"]) if "dateOfBirth" in subject else None,
        centre=centre_of(packet),
        synthetic=is_synthetic(packet),
    )


def _fact(patient: Patient, curie: str, location: str, **fields: Any) -> Fact:
    """Return the fact of one element; a value the record refuses names that element.

    ``location`` is ``FILE#/phenotypicFeatures/3``: a refused date or code named the whole
    packet (``$``) before, in a packet of dozens of features.
    """
    system, code = curie_to_code(curie)
    note = fields.pop("note", "")
    provenance = location + (f"; {note}" if note else "")
    try:
        return Fact(
            patient_id=patient.patient_id,
            system=system,
            code=code,
            source_kind=SourceKind.IMPORT,
            provenance=provenance,
            **fields,
        )
    except pydantic.ValidationError as exc:
        file, _, pointer = location.partition("#")
        raise ValidationError(
            Problem(file, f"#{pointer}", ".".join(map(str, e["loc"])) or "?", e["msg"])
            for e in exc.errors()
        ) from None


#: An ISO 8601 duration of whole years, months, weeks and days, and an optional time part
#: (``P45Y``, ``P3Y6M``, ``P10D``, ``PT12H``), as Phenopacket v2 ``Age.iso8601duration`` holds
_ISO_DURATION = re.compile(
    r"P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
)


def _duration_warnings(value: Any, source: str, path: str = "#") -> list[Problem]:
    """Warn of each age that is no ISO 8601 duration (``5 years``, RareLink's ``P0Y-10M``).

    Such an age cannot give a date: the fact is undated and the onset kept in its provenance,
    as an age without a date of birth is. Said, not refused (a real cohort holds one).
    """
    if isinstance(value, list):
        return [
            w for i, v in enumerate(value) for w in _duration_warnings(v, source, f"{path}/{i}")
        ]
    if not isinstance(value, dict):
        return []
    found = []
    for key, item in value.items():
        if key == "iso8601duration" and not (
            isinstance(item, str) and _ISO_DURATION.fullmatch(item.strip())
        ):
            found.append(
                Problem(
                    source,
                    path,
                    key,
                    f"{item!r} is not an ISO 8601 duration (P45Y, P3Y6M, P10D): it gives no "
                    "date; kept as written in the fact's provenance",
                )
            )
        else:
            found += _duration_warnings(item, source, f"{path}/{key}")
    return found


def _feature_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    facts = []
    for i, feature in enumerate(packet.get("phenotypicFeatures", [])):
        when, note = time_element_date(feature.get("onset"), patient.birth_date)
        facts.append(
            _fact(
                patient,
                feature["type"]["id"],
                f"{_pointer(source)}/phenotypicFeatures/{i}",
                note=note,
                status=excluded_status(feature.get("excluded")),
                effective_date=when,
                value_text=feature.get("description") or None,
                **modifiers_to_fields(feature.get("modifiers", [])),
            )
        )
    return facts


def _disease_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    facts, seen = [], set()
    for i, disease in enumerate(packet.get("diseases", [])):
        when, note = time_element_date(disease.get("onset"), patient.birth_date)
        seen.add(disease["term"]["id"])
        facts.append(
            _fact(
                patient,
                disease["term"]["id"],
                f"{_pointer(source)}/diseases/{i}",
                note=note,
                effective_date=when,
                status=excluded_status(disease.get("excluded")),
                **disease_site_fields(disease),
            )
        )
    for i, interpretation in enumerate(packet.get("interpretations", [])):
        term = interpretation.get("diagnosis", {}).get("disease", {}).get("id")
        if term and term not in seen:
            seen.add(term)
            facts.append(
                _fact(patient, term, f"{_pointer(source)}/interpretations/{i}/diagnosis/disease")
            )
    return facts


def _unit_text(unit: dict[str, Any]) -> str | None:
    """Return a quantity's unit as calciscope stores it (UCUM code, else label or id)."""
    text = (
        unit.get("id", "").removeprefix("UCUM:")
        if unit.get("id", "").startswith("UCUM:")
        else unit.get("label") or unit.get("id")
    )
    return None if text == "1" else text  # UCUM "1": dimensionless


def _reference_high(quantity: dict[str, Any], source: str, where: str) -> float | None:
    """Return ``quantity.referenceRange.high``, the upper limit of normal (``reference_high``).

    Taken when the range is in the value's unit (or gives none); proto3 JSON leaves out a zero
    high, so a range without one says nothing. A negative high is an error.
    """
    ranged = quantity.get("referenceRange")
    if not isinstance(ranged, dict) or "high" not in ranged:
        return None
    high = float(ranged["high"])
    if not math.isfinite(high) or high < 0:
        field = "value.quantity.referenceRange.high"
        message = f"a reference range's upper limit is a number, 0 or more; got {ranged['high']!r}"
        raise ValidationError([Problem(source, where, field, message)])
    unit = _unit_text(ranged.get("unit") or {})
    return high if unit is None or unit == _unit_text(quantity.get("unit", {})) else None


def _measurement_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    facts = []
    for i, measurement in enumerate(packet.get("measurements", [])):
        value = measurement.get("value", {})
        quantity, category = value.get("quantity", {}), value.get("ontologyClass", {})
        unit_text = _unit_text(quantity.get("unit", {}))
        when, note = time_element_date(measurement.get("timeObserved"), patient.birth_date)
        answer = answer_status(category)
        facts.append(
            _fact(
                patient,
                measurement["assay"]["id"],
                f"{_pointer(source)}/measurements/{i}",
                note=note,
                effective_date=when,
                status=answer or Status.PRESENT,
                # proto3 JSON leaves out zero values: a quantity without a value is 0
                value_num=quantity.get("value", 0.0) if quantity else None,
                unit=(unit_text or None) and unit_text[:32],
                reference_high=_reference_high(quantity, source, f"#/measurements/{i}"),
                value_text=None
                if answer
                else " ".join(filter(None, (category.get("id"), category.get("label")))) or None,
                **procedure_to_fields(measurement.get("procedure", {})),
            )
        )
    return facts


def _death_facts(packet: dict[str, Any], patient: Patient, source: str) -> list[Fact]:
    """Map ``subject.vitalStatus`` DECEASED to a death fact, as the FHIR, OMOP and REDCap readers do.

    Death is the catalogue's ``death`` concept (``calciscope`` / ``death``), dated by
    ``timeOfDeath`` when that gives a date (otherwise undated, the time kept in the
    provenance); ``causeOfDeath`` and ``survivalTimeInDays`` are kept in the provenance. ALIVE
    and UNKNOWN_STATUS say nothing calciscope stores.
    """
    vital = packet.get("subject", {}).get("vitalStatus", {})
    if vital.get("status") != "DECEASED":
        return []
    when, note = time_element_date(vital.get("timeOfDeath"), patient.birth_date)
    cause = vital.get("causeOfDeath", {})
    notes = [note] if note else []
    if cause.get("id"):
        notes.append(f"causeOfDeath {cause['id']} {cause.get('label', '')}".strip())
    if "survivalTimeInDays" in vital:
        notes.append(f"survivalTimeInDays {vital['survivalTimeInDays']}")
    return [
        _fact(
            patient,
            "calciscope:death",
            f"{_pointer(source)}/subject/vitalStatus",
            note="; ".join(notes),
            effective_date=when,
        )
    ]


def _action_facts(
    packet: dict[str, Any], patient: Patient, source: str
) -> tuple[list[Fact], Counter[tuple[str, str]]]:
    read, skipped = read_actions(packet, patient.birth_date)
    facts = [
        _fact(patient, curie, f"{_pointer(source)}/medicalActions/{i}/{part}", **fields)
        for i, (curie, part, fields) in read
    ]
    return facts, skipped


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


def _parse(data: Any, source: str) -> dict[str, Any]:
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


def _curation_warnings(packet: dict[str, Any], source: str) -> list[Problem]:
    """Check HPO curation among features that say the same about where, how and when.

    The same term at another date, or with other modifiers (a body site), is neither a
    duplicate nor redundant, as the phenopacket writer decides: calciscope's own export reads
    back without false warnings. An exclusion without an onset holds at every time, so an
    observed descendant at any onset contradicts it.
    """
    groups: dict[str, dict[str, list[TermUse]]] = {}
    for i, f in enumerate(packet.get("phenotypicFeatures", [])):
        if f["type"].get("id", "").startswith("HP:"):
            modifiers = json.dumps(f.get("modifiers", []), sort_keys=True)
            onset = json.dumps(f.get("onset"), sort_keys=True)
            use = TermUse(f["type"]["id"], bool(f.get("excluded")), f"#/phenotypicFeatures/{i}")
            groups.setdefault(modifiers, {}).setdefault(onset, []).append(use)
    issues: dict[tuple[str, str, str], Issue] = {}
    for by_onset in groups.values():
        always = [u for u in by_onset.get("null", []) if u.excluded]
        for onset, uses in by_onset.items():
            found = check_terms(uses, load_hpo())
            if onset != "null":
                found += [
                    i
                    for i in check_terms(uses + always, load_hpo())
                    if i.kind is IssueKind.CONTRADICTION and i.use in uses
                ]
            issues.update(((i.kind, i.use.location, i.message), i) for i in found)
    return [
        Problem(source, issue.use.location, "type", f"{issue.kind.value}: {issue.message}")
        for issue in sorted(issues.values(), key=lambda i: int(i.use.location.rsplit("/", 1)[1]))
    ]


def read_phenopacket(data: Any, *, source: str) -> ReadResult:
    """Map one phenopacket (a parsed JSON object) to calciscope records.

    Parameters
    ----------
    data
        The phenopacket as parsed JSON (lowerCamelCase or snake_case field names).
    source
        Name of the file it came from, used in provenance and error reports.

    Raises
    ------
    ValidationError
        When the structure is not a Phenopacket v2 or a record does not validate.
    """
    packet = _parse(data, source)
    try:
        patient = _patient(packet, source)
        parts = {
            "phenotypicFeature": _feature_facts(packet, patient, source),
            "disease": _disease_facts(packet, patient, source),
            "measurement": _measurement_facts(packet, patient, source),
            "vitalStatus": _death_facts(packet, patient, source),
        }
        parts["medicalAction"], skipped = _action_facts(packet, patient, source)
    except pydantic.ValidationError as exc:
        problems = [
            Problem(source, "$", ".".join(map(str, err["loc"])) or "?", err["msg"])
            for err in exc.errors()
        ]
        raise ValidationError(problems) from None
    result = ReadResult(
        warnings=_curation_warnings(packet, source) + _duration_warnings(packet, source),
        skipped=skipped,
    )
    where = "#/id" if packet.get("id") else "#/subject/id"
    raw_id = packet.get("id") or packet.get("subject", {}).get("id")
    result.batch.add_patient(patient, PatientOrigin(source, where, raw_id=raw_id))
    result.mapped["phenopacket"] = 1
    for kind, facts in parts.items():
        result.batch.facts.extend(facts)
        result.mapped[kind] += len(facts)
    for part in _SKIPPED_PARTS:
        if packet.get(part):
            result.skipped[(part, "not mapped to calciscope facts")] += len(packet[part])
    genomic = sum(
        len(i.get("diagnosis", {}).get("genomicInterpretations", []))
        for i in packet.get("interpretations", [])
    )
    if genomic:
        result.skipped[("genomicInterpretation", _GENOMIC)] += genomic
    return result


#: The top-level fields of a v2 Family and Cohort (phenopacket-schema ``family.proto``,
#: ``cohort.proto``), in both spellings; a Phenopacket has none of the member fields.
_FAMILY = {"id", "proband", "relatives", "consanguinousParents", "consanguinous_parents",
           "pedigree", "files", "metaData", "meta_data"}  # fmt: skip
_CONTAINER_PARTS = {
    "pedigree": "family relations (pedigree) are not stored in the registry",
    "files": "not mapped to calciscope facts",
}
_COHORT = {"id", "description", "members", "files", "metaData", "meta_data"}
#: Fields only Phenopacket v1 has (v1.0 ``phenopackets.proto``, ``base.proto``): v2 renamed
#: ``negated`` to ``excluded`` and ``ageOfOnset``/``classOfOnset`` to ``onset``, so reading a
#: v1 packet as v2 would lose its exclusions; it is refused, with what to do.
_V1_FIELDS = ("negated", "ageOfOnset", "classOfOnset", "ageAtCollection", "genes", "variants",
              "htsFiles", "age_of_onset", "class_of_onset", "age_at_collection", "hts_files")  # fmt: skip
_V1 = (
    "a Phenopacket v1 ({why}); calciscope reads v2 (where `negated` became `excluded`): "
    "convert it first, e.g. `phenopacket-tools convert --convert-variants`"
)


def _v1_field(data: Any) -> str | None:
    """Return the first v1-only field name found in a packet (at any depth), else None."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _V1_FIELDS:
                return str(key)
            found = _v1_field(value)
            if found:
                return found
    elif isinstance(data, list):
        for item in data:
            found = _v1_field(item)
            if found:
                return found
    return None


def _members(data: Any, source: str) -> list[tuple[Any, str]]:
    """Return the phenopackets of a file, each with its source (``FILE#/relatives/0``).

    A file holds one Phenopacket, a Family (proband and relatives) or a Cohort (members).

    A Phenopacket v1 file (schema version 1.x, or a v1-only field) is refused.
    """
    if not isinstance(data, dict):
        return [(data, source)]
    meta = data.get("metaData") or data.get("meta_data") or {}
    if not isinstance(meta, dict):  # "metaData": "2.0" (fix11: was an AttributeError)
        field = "metaData" if "metaData" in data else "meta_data"
        raise ValidationError([Problem(source, "$", field, "must be a JSON object")])
    version = meta.get("phenopacketSchemaVersion") or meta.get("phenopacket_schema_version")
    if isinstance(version, str) and version.strip().startswith("1"):
        why = f"metaData.phenopacketSchemaVersion {version!r}"
        raise ValidationError([Problem(source, "#/metaData", "phenopacketSchemaVersion",
                                       _V1.format(why=why))])  # fmt: skip
    v1 = _v1_field({k: v for k, v in data.items() if k not in ("metaData", "meta_data")})
    if v1 is not None:
        raise ValidationError([Problem(source, "$", v1, _V1.format(why=f"field {v1!r}"))])
    if "proband" in data or "relatives" in data:
        kind, allowed = "Family", _FAMILY
        members = [(data.get("proband"), f"{_pointer(source)}/proband")] + [
            (m, f"{_pointer(source)}/relatives/{i}")
            for i, m in enumerate(_listed(data, "relatives", source))
        ]
    elif "members" in data:
        kind, allowed = "Cohort", _COHORT
        members = [
            (m, f"{_pointer(source)}/members/{i}")
            for i, m in enumerate(_listed(data, "members", source))
        ]
    else:
        return [(data, source)]
    unknown = sorted(set(data) - allowed)
    if unknown:
        message = f"not a field of a Phenopacket v2 {kind} (fields: {', '.join(sorted(allowed))})"
        raise ValidationError([Problem(source, "$", k, message) for k in unknown])
    return [(_own_id(m, data.get("id")), s) for m, s in members if m is not None]


def _own_id(member: Any, container_id: Any) -> Any:
    """Return a Family or Cohort member, given ``<container id>:<subject id>`` when it has no id.

    A relative's subject id (``MOTHER``) is a pedigree id, unique only inside its family: read
    alone it would make the mothers of two families one patient.
    """
    if not isinstance(member, dict) or member.get("id") or not isinstance(container_id, str):
        return member
    subject = member.get("subject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if not isinstance(subject_id, str) or not subject_id.strip() or not container_id.strip():
        return member
    return {**member, "id": f"{container_id.strip()}:{subject_id.strip()}"}


def _listed(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError([Problem(source, "$", key, "must be a JSON array")])
    return value


def read_phenopackets(paths: list[Path]) -> ReadResult:
    """Read phenopacket JSON files, validating all of them before returning anything.

    Raises
    ------
    ValidationError
        Listing every problem of every file (nothing should be written).
    """
    result, problems = ReadResult(), list[Problem]()
    for path in paths:
        try:
            data = load_json(path)
            members = _members(data, str(path))
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        if len(members) != 1 or members[0][1] != str(path):  # a Family or a Cohort
            for part in ("pedigree", "files"):
                if data.get(part):
                    result.skipped[(part, _CONTAINER_PARTS[part])] += 1
        for data, source in members:
            try:
                result.merge(read_phenopacket(data, source=source))
            except ValidationError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems, summary="phenopacket import failed")
    return result
