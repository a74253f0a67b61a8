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

Here: reading files and packets, and the warnings. The structure check is in
:mod:`~calciscope.interop.phenopackets.schema`, the mapping of elements to facts in
:mod:`~calciscope.interop.phenopackets.packet_facts`, Families, Cohorts and v1 files in
:mod:`~calciscope.interop.phenopackets.containers` (split from this module, hardening34).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.jsontext import load_json
from calciscope.interop.phenopackets.containers import CONTAINER_PARTS, packet_members
from calciscope.interop.phenopackets.hpo import load_hpo
from calciscope.interop.phenopackets.packet_facts import (
    action_facts,
    death_facts,
    disease_facts,
    feature_facts,
    measurement_facts,
    read_patient,
)
from calciscope.interop.phenopackets.schema import parse_packet
from calciscope.interop.phenopackets.validation import Issue, IssueKind, TermUse, check_terms
from calciscope.storage import PatientOrigin

__all__ = ["read_phenopacket", "read_phenopackets"]

_SKIPPED_PARTS = ("biosamples", "files")
_GENOMIC = "genomic interpretation (variants and genes) is not mapped to calciscope facts"


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
    packet = parse_packet(data, source)
    try:
        patient = read_patient(packet, source)
        parts = {
            "phenotypicFeature": feature_facts(packet, patient, source),
            "disease": disease_facts(packet, patient, source),
            "measurement": measurement_facts(packet, patient, source),
            "vitalStatus": death_facts(packet, patient, source),
        }
        parts["medicalAction"], skipped = action_facts(packet, patient, source)
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
            members = packet_members(data, str(path))
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        if len(members) != 1 or members[0][1] != str(path):  # a Family or a Cohort
            for part in ("pedigree", "files"):
                if data.get(part):
                    result.skipped[(part, CONTAINER_PARTS[part])] += 1
        for data, source in members:
            try:
                result.merge(read_phenopacket(data, source=source))
            except ValidationError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems, summary="phenopacket import failed")
    return result
