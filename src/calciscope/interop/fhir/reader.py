"""Read FHIR R4 bundles (transaction, collection, searchset, document, message, batch, responses).

Mapped: Patient, Condition, Observation, DocumentReference and DiagnosticReport with inline
text, ImagingStudy. Every other resource, and every resource that cannot be mapped (no
supported code, subject not in the bundle, no inline text, ...), is counted in
:attr:`ReadResult.skipped` by ``(resourceType, reason)``: nothing is skipped silently. Nested
bundles are read too. References by ``urn:uuid:``, ``Patient/<id>`` and absolute URL resolve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.fhir.bulk import (
    NDJSON_SUFFIXES,
    Entry,
    is_manifest,
    is_ndjson,
    manifest_files,
    ndjson_entries,
)
from calciscope.interop.fhir.clinical import (
    conclusion_facts,
    condition_facts,
    death_facts,
    observation_facts,
)
from calciscope.interop.fhir.codes import as_list
from calciscope.interop.fhir.documents import (
    diagnostic_report_notes,
    document_notes,
    imaging_images,
    inline_binaries,
)
from calciscope.interop.fhir.subjects import Subjects, map_patient, raw_patient_id
from calciscope.interop.fhir.validation import check_resource
from calciscope.interop.jsontext import load_json
from calciscope.interop.mappings import CALCISCOPE_SYSTEM
from calciscope.model import Fact, ReviewState
from calciscope.storage import PatientOrigin

__all__ = ["NDJSON_SUFFIXES", "PACKAGE_METADATA", "read_fhir", "read_fhir_bundle"]

#: (resource, patient id, where, fullUrl, the patient's date of birth) → records or a reason
_Mapper = Callable[[dict[str, Any], str, str, str, dt.date | None], list[Any] | str]
_MAPPERS: dict[str, _Mapper] = {
    "Condition": lambda r, pid, where, url, birth: condition_facts(r, pid, where, birth),
    "Observation": lambda r, pid, where, url, birth: observation_facts(r, pid, where),
    "DocumentReference": lambda r, pid, where, url, birth: document_notes(r, pid, url),
    "DiagnosticReport": lambda r, pid, where, url, birth: _report(r, pid, where, url),
    "ImagingStudy": lambda r, pid, where, url, birth: imaging_images(r, pid, url),
}
_MAX_DEPTH = 4


def _report(resource: dict[str, Any], patient_id: str, where: str, url: str) -> list[Any] | str:
    """Map a DiagnosticReport to its note (inline text) and its coded conclusions (facts)."""
    notes = diagnostic_report_notes(resource, patient_id, url)
    facts = conclusion_facts(resource, patient_id, where)
    if isinstance(notes, str):
        return facts or notes
    return [*notes, *facts]


#: The metadata files of a FHIR NPM package (FHIR NPM Package Specification,
#: https://confluence.hl7.org/display/FHIR/NPM+Package+Specification: ``package.json``, the
#: package manifest, and ``.index.json``, the index of its resources): not FHIR resources, so
#: skipped by name and counted, where any other JSON without a ``resourceType`` is an error.
PACKAGE_METADATA = frozenset({"package.json", ".index.json"})
_PACKAGE_REASON = "FHIR NPM package metadata (package.json, .index.json), not a resource"
_NOT_STORED = {
    "Binary": "a document's content: read through the attachment whose url names it",
    "Group": "cohort membership is not stored in the registry",
    "Provenance": "provenance is applied to the facts it targets (review state), not stored itself",
}


def _at(source: str, loc: str) -> str:
    """Return where an entry is: ``b.json#/entry/3`` or ``Observation.ndjson line 3``."""
    return f"{source}{loc}" if loc.startswith("#") else f"{source} {loc}"


def _entries(bundle: dict[str, Any], where: str, source: str, depth: int = 0) -> Iterator[Entry]:
    entries = bundle.get("entry", [])
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        loc = f"{where}/entry/{i}"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        url = entry.get("fullUrl") if isinstance(entry, dict) else None
        full_url = url if isinstance(url, str) else ""
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Bundle"
            and depth < _MAX_DEPTH
        ):
            yield from _entries(resource, f"{loc}/resource", source, depth + 1)
        else:
            yield full_url, resource, loc, source


def _shape_problems(
    bundle: dict[str, Any], where: str, source: str, depth: int = 0
) -> list[Problem]:
    """Return a problem for each part of a Bundle that is not the shape FHIR R4 gives it.

    ``Bundle.entry`` is an array of objects, and an entry's ``resource``, when there is one,
    is a resource (an object with a ``resourceType``): anything else would be read as an empty
    bundle or an entry without a resource and import nothing without a word. An entry with no
    ``resource`` (a transaction-response or a history DELETE) is legal and counted as skipped.
    """
    entries = bundle.get("entry")
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [Problem(source, where, "entry", "Bundle.entry must be an array of entries")]
    problems = []
    for i, entry in enumerate(entries):
        loc = f"{where}/entry/{i}"
        if not isinstance(entry, dict):
            problems.append(Problem(source, loc, "entry", "a Bundle entry must be an object"))
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            message = "not a FHIR resource (an object with a resourceType)"
            problems.append(Problem(source, loc, "resource", message))
        elif resource["resourceType"] == "Bundle" and depth < _MAX_DEPTH:
            problems += _shape_problems(resource, f"{loc}/resource", source, depth + 1)
    return problems


def _kind(resource: Any) -> str:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    return kind if isinstance(kind, str) else "(no resource)"


def _add_patients(
    entries: list[Entry], result: ReadResult, subjects: Subjects, problems: list[Problem]
) -> None:
    """Add every Patient resource with where it was read; the registry checks they agree.

    A death fact calciscope refuses (dated after today) is added to ``problems``.
    """
    for full_url, resource, loc, source in entries:
        if _kind(resource) != "Patient":
            continue
        try:
            patient = map_patient(resource, full_url)
        except pydantic.ValidationError as exc:
            # a value calciscope refuses (a birth date after today) is the file's error, as a
            # fact's is: skipping the Patient would drop its resources without a word
            problems.extend(_record_problems(exc, source, loc, "Patient").problems)
            continue
        if isinstance(patient, str):
            result.skipped[("Patient", patient)] += 1
            continue
        subjects.add(patient, resource, full_url)
        origin = PatientOrigin(source, loc, raw_id=raw_patient_id(resource, full_url))
        result.batch.add_patient(patient, origin)
        result.mapped["Patient"] += 1
        where = f"{_at(source, loc)} (Patient/{resource.get('id', full_url)})"
        try:
            result.batch.facts += death_facts(resource, patient.patient_id, where)
        except pydantic.ValidationError as exc:
            problems.extend(_record_problems(exc, source, loc, "Patient").problems)


def _binaries(entries: list[Entry]) -> dict[str, dict[str, Any]]:
    """Return the Binary resources of the entries by ``fullUrl`` and by ``Binary/<id>``."""
    found: dict[str, dict[str, Any]] = {}
    for full_url, resource, _, _ in entries:
        if _kind(resource) != "Binary":
            continue
        if full_url:
            found[full_url] = resource
        if isinstance(resource.get("id"), str):
            found[f"Binary/{resource['id']}"] = resource
    return found


def _map_one(
    entry: Entry,
    subjects: Subjects,
    births: dict[str, dt.date | None],
    binaries: dict[str, dict[str, Any]],
) -> list[Any] | str:
    full_url, resource, loc, source = entry
    kind = _kind(resource)
    if binaries and kind in ("DocumentReference", "DiagnosticReport"):
        resource = inline_binaries(resource, binaries)
    if kind == "(no resource)":
        return "entry without a resource (request or response only)"
    if kind not in _MAPPERS:
        return _NOT_STORED.get(kind, "resource type not mapped to calciscope records")
    patient_id = subjects.resolve(resource.get("subject")) or subjects.resolve(
        resource.get("patient")
    )
    if patient_id is None:
        return "subject is not a Patient in this bundle"
    where = f"{_at(source, loc)} ({kind}/{resource.get('id', full_url)})"
    try:
        return _MAPPERS[kind](resource, patient_id, where, full_url, births.get(patient_id))
    except pydantic.ValidationError as exc:
        raise _record_problems(exc, source, loc, kind) from None


def _record_problems(
    exc: pydantic.ValidationError, source: str, loc: str, kind: str
) -> ValidationError:
    """Return why calciscope refuses a record a resource maps to, as problems.

    A code of the wrong form, a date after today: each names the file, the entry and the
    record's field.
    """
    return ValidationError(
        [
            Problem(source, loc, ".".join(map(str, err["loc"])), f"{kind}: {err['msg']}")
            for err in exc.errors()
        ]
    )


def _store(records: list[Any], result: ReadResult, state: ReviewState | None) -> None:
    """Add mapped records to the batch; a Provenance's review state applies to the facts."""
    batch = result.batch
    lists: dict[str, list[Any]] = {"Fact": batch.facts, "Note": batch.notes, "Image": batch.images}
    for record in records:
        if state and isinstance(record, Fact):
            record = record.model_copy(update={"review_state": state})
        lists[type(record).__name__].append(record)


def _review_states(entries: list[Entry]) -> dict[str, ReviewState]:
    """Return the review state calciscope's Provenance resources give each target fullUrl."""
    states: dict[str, ReviewState] = {}
    for _, resource, _, _ in entries:
        if _kind(resource) != "Provenance" or not isinstance(resource.get("activity"), dict):
            continue
        codings = resource["activity"].get("coding")
        code = (
            next(
                (
                    c.get("code")
                    for c in codings
                    if isinstance(c, dict) and c.get("system") == CALCISCOPE_SYSTEM
                ),
                None,
            )
            if isinstance(codings, list)
            else None
        )
        state = ReviewState._value2member_map_.get(code)
        targets = as_list(resource.get("target"))
        for target in targets:
            if (
                state is not None
                and isinstance(target, dict)
                and isinstance(target.get("reference"), str)
            ):
                states[target["reference"]] = state  # type: ignore[assignment]
    return states


def read_fhir_bundle(data: Any, *, source: str, stub_patients: bool = False) -> ReadResult:
    """Map one FHIR bundle (or a single resource) to calciscope records.

    Parameters
    ----------
    data
        The parsed JSON.
    source
        The file name, for provenance and reports.
    stub_patients
        Map resources whose subject is a ``Patient/<id>`` outside the bundle to a bare patient
        of that id (counted as mapped ``Patient (stub)``), instead of skipping them.

    Raises
    ------
    ValidationError
        When the input is not a FHIR resource, or an element calciscope reads is not valid
        FHIR R4 (:mod:`~calciscope.interop.fhir.validation`): every such problem, with entry
        and path.
    """
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise ValidationError(
            [Problem(source, "$", "resourceType", "not a FHIR resource (no resourceType)")]
        )
    bundle = data if data["resourceType"] == "Bundle" else {"entry": [{"resource": data}]}
    shape = _shape_problems(bundle, "#", source)
    if shape:
        raise ValidationError(shape)
    return _read_entries(list(_entries(bundle, "#", source)), stub_patients=stub_patients)


def _read_entries(entries: list[Entry], *, stub_patients: bool) -> ReadResult:
    """Map entries that reference each other (one bundle, or the NDJSON files of one import)."""
    problems = [
        Problem(source, loc, path, message)
        for _, resource, loc, source in entries
        if isinstance(resource, dict)
        for path, message in check_resource(resource)
    ]
    if problems:
        raise ValidationError(problems)
    result, subjects = ReadResult(), Subjects(stubs=[] if stub_patients else None)
    _add_patients(entries, result, subjects, problems)
    states = _review_states(entries)
    births = {p.patient_id: p.birth_date for p in result.batch.patients}
    binaries = _binaries(entries)
    for entry in entries:
        kind = _kind(entry[1])
        if kind == "Patient":
            continue
        try:
            outcome = _map_one(entry, subjects, births, binaries)
        except ValidationError as exc:
            problems += exc.problems
            continue
        if isinstance(outcome, str):
            result.skipped[(kind, outcome)] += 1
        else:
            _store(outcome, result, states.get(entry[0]))
            result.mapped[kind] += 1
        contained = entry[1].get("contained") if isinstance(entry[1], dict) else None
        for item in contained if isinstance(contained, list) else []:
            result.skipped[(_kind(item), "contained resource not mapped")] += 1
    known = {p.patient_id for p in result.batch.patients}
    for stub in subjects.stubs or []:
        if stub.patient_id not in known:
            known.add(stub.patient_id)
            where = f"reference Patient/{stub.patient_id}"
            source = entries[0][3] if entries else ""
            result.batch.add_patient(stub, PatientOrigin(source, where, stub=True))
            result.mapped["Patient (stub)"] += 1
    if problems:
        raise ValidationError(problems)
    return result


def _single_resource(data: Any) -> bool:
    kind = data.get("resourceType") if isinstance(data, dict) else None
    return isinstance(kind, str) and kind != "Bundle"


def _read_json_file(
    path: Path, result: ReadResult, ndjson: dict[Path, str | None], stub_patients: bool
) -> list[Entry]:
    """Read a ``.json`` file: a bundle into ``result``, a manifest's files into ``ndjson``.

    A single resource's entry is returned, to be read with the import's other files. A FHIR
    package's metadata file (:data:`PACKAGE_METADATA`) is counted as skipped, not read.
    """
    if path.name in PACKAGE_METADATA:
        result.skipped[(path.name, _PACKAGE_REASON)] += 1
        return []
    data = load_json(path)
    if is_manifest(data):
        listed, error_files = manifest_files(path, data)
        ndjson |= dict(listed)
        if error_files:
            reason = "error file of a $export manifest (OperationOutcome), not read"
            result.skipped[("OperationOutcome", reason)] += error_files
        return []
    if _single_resource(data):
        return list(_entries({"entry": [{"resource": data}]}, "#", str(path)))
    if isinstance(data, dict) and data.get("type") == "searchset":
        # a server's search results: its references point at the server, like those of the
        # import's other searches (one file per resource type, as RareLink writes them)
        return list(_entries(data, "#", str(path)))
    result.merge(read_fhir_bundle(data, source=str(path), stub_patients=stub_patients))
    return []


def read_fhir(
    paths: list[Path],
    *,
    stub_patients: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReadResult:
    """Read FHIR JSON and NDJSON files, validating all of them before returning anything.

    A bundle (``.json``) is self-contained: its references resolve inside it. The other files of
    one import are read as one set, so a resource in one finds its Patient in another: NDJSON
    files (FHIR Bulk Data: one resource a line, ``Patient.000.ndjson``, gzip-compressed
    ``.ndjson.gz`` too), single-resource ``.json`` files (a Condition in one file, its Patient
    in another), and the files a Bulk Data ``$export`` manifest lists
    (:mod:`~calciscope.interop.fhir.bulk`; a file both listed and given is read once).
    A FHIR NPM package's ``package.json`` and ``.index.json`` (:data:`PACKAGE_METADATA`) are
    skipped by name, counted in :attr:`ReadResult.skipped`. ``progress`` is called with the number of files read so far.

    Raises
    ------
    ValidationError
        Listing every file that is not readable FHIR JSON (nothing should be written).
    """
    result, problems = ReadResult(), list[Problem]()
    tick = progress or (lambda done: None)

    def attempt(read: Callable[..., list[Entry]], *args: Any) -> list[Entry]:
        try:
            return read(*args)
        except ValidationError as exc:
            problems.extend(exc.problems)
            return []

    pooled: list[Entry] = []
    ndjson: dict[Path, str | None] = {}  # resolved path → the type a manifest lists it with
    bundles = [Path(p) for p in paths if not is_ndjson(Path(p))]
    for done, path in enumerate(bundles, start=1):
        pooled += attempt(_read_json_file, path, result, ndjson, stub_patients)
        tick(done)
    for path in paths:
        if is_ndjson(Path(path)):
            ndjson.setdefault(Path(path).resolve(), None)
    for done, (path, kind) in enumerate(ndjson.items(), start=len(bundles) + 1):
        pooled += attempt(ndjson_entries, path, kind)
        tick(done)
    if pooled and not problems:
        try:
            result.merge(_read_entries(pooled, stub_patients=stub_patients))
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems, summary="FHIR import failed")
    return result
