"""Verbs for other formats: Phenopackets, FHIR, REDCap and OMOP CDM, in and out.

Every import validates the whole input first (a :class:`~calciscope.errors.ValidationError`
lists every problem) and then writes it in one transaction. Every import and export returns a
report of what was mapped and what was skipped, by kind and reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calciscope.api.users import audit_import
from calciscope.engine.readback import read_arrow
from calciscope.errors import Problem, ValidationError
from calciscope.interop import ReadResult
from calciscope.interop.omop.cdm import PatientIdColumn
from calciscope.model import STORED, Fact, Image, Note, Patient
from calciscope.storage import ImportSummary, Registry

__all__ = [
    "ExportReport",
    "InteropImport",
    "PatientIdColumn",
    "RegistryRecords",
    "export_fhir",
    "export_note_nlp",
    "export_omop",
    "export_phenopackets",
    "export_redcap",
    "import_fhir",
    "import_omop",
    "import_phenopackets",
    "import_redcap",
    "pull_redcap",
    "read_registry_records",
    "redcap_mapping",
    "redcap_template",
]


@dataclass(frozen=True)
class InteropImport:
    """The outcome of an import: the registry summary and the reader's mapped/skipped report."""

    summary: ImportSummary
    read: ReadResult


@dataclass
class ExportReport:
    """What an export wrote and what it left out (by reason)."""

    files: list[Path] = field(default_factory=list)
    written: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class RegistryRecords:
    """Patients and their facts, notes and images read from the registry."""

    patients: list[Patient]
    facts: list[Fact]
    notes: list[Note]
    images: list[Image]
    _by_patient: dict[str, list[Fact]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_patient: dict[str, list[Fact]] = {}
        for fact in self.facts:
            by_patient.setdefault(fact.patient_id, []).append(fact)
        object.__setattr__(self, "_by_patient", by_patient)

    def facts_of(self, patient_id: str) -> list[Fact]:
        """Return one patient's facts."""
        return self._by_patient.get(patient_id, [])


def _hash(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _json_files(paths: Sequence[Path], suffixes: tuple[str, ...] = (".json",)) -> list[Path]:
    """Return the given files, and the files of the given folders whose suffix is one of these."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(
                f for f in path.rglob("*") if f.is_file() and f.name.lower().endswith(suffixes)
            )
        else:
            files.append(path)
    if not files:
        found = " or ".join(suffixes)
        raise ValidationError(
            [Problem(", ".join(map(str, paths)), "files", "", f"no {found} files found")]
        )
    return files


def _write(
    registry: Registry, result: ReadResult, source: str, source_hash: str, update: bool
) -> InteropImport:
    summary = registry.import_batch(
        result.batch, source=source, source_hash=source_hash, update_patients=update
    )
    audit_import(registry, summary)
    return InteropImport(summary, result)


def _read_each(
    files: list[Path],
    reader: Callable[[list[Path]], ReadResult],
    progress: Callable[[int], None] | None,
) -> ReadResult:
    """Read files one by one (reporting progress), then fail with every problem, or merge."""
    result, problems = ReadResult(), list[Problem]()
    for done, path in enumerate(files, start=1):
        try:
            result.merge(reader([path]))
        except ValidationError as exc:
            problems += exc.problems
        if progress is not None:
            progress(done)
    if problems:
        raise ValidationError(problems, summary="import failed")
    return result


def _progress_total(files: list[Path], progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        progress(-len(files))  # a negative call announces the total


def import_phenopackets(
    registry: Registry,
    paths: Sequence[Path],
    *,
    progress: Callable[[int], None] | None = None,
    update_patients: bool = False,
) -> InteropImport:
    """Validate phenopacket JSON files (or folders of them) and import them all or nothing.

    ``progress`` is called first with minus the number of files, then with the count done.
    ``update_patients`` lets the packets' sex, birth date, centre and synthetic flag replace
    stored values that disagree (otherwise the import fails, naming file and field).
    """
    from calciscope.interop.phenopackets import read_phenopackets

    files = _json_files(paths)
    _progress_total(files, progress)
    return _write(
        registry,
        _read_each(files, read_phenopackets, progress),
        f"phenopackets:{paths[0]}",
        _hash(files),
        update_patients,
    )


def import_fhir(
    registry: Registry,
    paths: Sequence[Path],
    *,
    stub_patients: bool = False,
    progress: Callable[[int], None] | None = None,
    update_patients: bool = False,
) -> InteropImport:
    """Validate FHIR bundles (files or folders) and import them all or nothing.

    Parameters
    ----------
    registry
        The registry.
    paths
        Bundle JSON files, single-resource JSON files and FHIR Bulk Data NDJSON files
        (``.ndjson``, ``.jsonl``, gzip-compressed ``.ndjson.gz``, ``.jsonl.gz``: all but the
        bundles are read as one set, so their references resolve across files), Bulk Data
        ``$export`` manifests (the files they list, inside the manifest's folder), or folders.
    stub_patients
        Map resources whose subject is a ``Patient/<id>`` outside the bundle to a bare patient;
        an existing registry patient of that id is kept as it is (not overwritten).
    progress
        Called first with minus the number of files, then with the count done.
    update_patients
        Let the bundles' sex, birth date, centre and synthetic flag replace stored values that
        disagree (otherwise the import fails, naming file, entry and field).
    """
    from calciscope.interop.fhir import read_fhir
    from calciscope.interop.fhir.reader import NDJSON_SUFFIXES

    files = _json_files(paths, (".json", *NDJSON_SUFFIXES))
    _progress_total(files, progress)
    try:
        result = read_fhir(files, stub_patients=stub_patients, progress=progress)
    except ValidationError as exc:
        raise ValidationError(exc.problems, summary="import failed") from None
    return _write(registry, result, f"fhir:{paths[0]}", _hash(files), update_patients)


def import_redcap(
    registry: Registry,
    records: Path,
    dictionary: Path | None = None,
    mapping: Path | None = None,
    *,
    update_patients: bool = False,
) -> InteropImport:
    """Validate a REDCap export under a mapping (generated when not given); import it.

    ``records`` is a CSV or API JSON export with its data ``dictionary``, or the project XML
    (CDISC ODM, metadata and data) without one. ``update_patients`` lets the records' sex,
    birth date, centre and synthetic flag replace stored values that disagree (otherwise the
    import fails, naming file, row and field).
    """
    from calciscope.interop.redcap import read_redcap, read_redcap_odm

    if dictionary is None:
        result = read_redcap_odm(Path(records), mapping)
    else:
        result = read_redcap(Path(records), Path(dictionary), mapping)
    inputs = [Path(p) for p in (records, dictionary, mapping) if p is not None]
    return _write(registry, result, f"redcap:{records}", _hash(inputs), update_patients)


def import_omop(
    registry: Registry,
    cdm_source: str | Path,
    concept_sets: dict[str, Path],
    *,
    patient_ids: PatientIdColumn = PatientIdColumn.PERSON_ID,
    synthetic: bool | None = None,
    update_patients: bool = False,
) -> InteropImport:
    """Copy the persons with concept-set events of a (small) CDM into the registry.

    Their events become facts, with their visits, deaths and notes. Screening normally runs
    inside the CDM (:func:`~calciscope.api.omop.screen_omop`); importing is for moving a few patients into the
    registry, or reading back a CDM written by :func:`export_omop`.

    Parameters
    ----------
    registry
        The registry.
    cdm_source
        A folder of CDM CSV/Parquet files or a database URL.
    concept_sets
        calciscope concept name → OHDSI concept-set JSON file (see :func:`~calciscope.api.omop.concept_set_files`).
    patient_ids
        The PERSON column read as the patient id: ``person_id`` or ``person_source_value``.
    synthetic
        Mark everything synthetic; by default when ``cdm_source`` says so (calciscope's export).
    update_patients
        Let the persons' sex, birth year and synthetic flag replace stored values that
        disagree (otherwise the import fails, naming the person and field).
    """
    from calciscope.interop.omop import load_concept_set, open_cdm, read_cdm

    cdm = open_cdm(cdm_source, patient_ids=PatientIdColumn(patient_ids), synthetic=synthetic)
    try:
        sets = {name: load_concept_set(Path(p), name=name) for name, p in concept_sets.items()}
        result = read_cdm(cdm, sets)
    finally:
        cdm.close()
    inputs = [Path(p) for p in concept_sets.values()]
    return _write(registry, result, f"omop:{cdm.source}", _hash(inputs), update_patients)


def export_omop(
    registry: Registry,
    out: Path | str,
    *,
    patient_ids: Sequence[str] | None = None,
    vocabulary: Path | None = None,
    concept_sets: Path | None = None,
    today: dt.date | None = None,
) -> ExportReport:
    """Write the registry (or some patients) as an OMOP CDM v5.4: CSV files or database tables.

    Parameters
    ----------
    registry
        The registry.
    out
        A folder for the CSV files, or the URL of a database without CDM tables (PostgreSQL,
        SQLite), written in one transaction.
    patient_ids
        Only these patients.
    vocabulary
        An Athena ``CONCEPT.csv``: its standard SNOMED CT, LOINC and ICD-10(-CM) concepts are used
        instead of local ones.
    concept_sets
        Folder for one OHDSI concept set per catalogue concept used (``<concept>.json``);
        default ``<out>/concept_sets`` (``./concept_sets`` for a database).
    today
        The release date in ``cdm_source``.

    Notes
    -----
    ``import_omop(registry, out, concept_set_files([concept_sets]),
    patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE)`` reads it back. See
    :mod:`calciscope.interop.omop.writer` for what goes where.
    """
    from calciscope.interop.omop import build_cdm, load_vocabulary, save_cdm

    records = read_registry_records(registry, patient_ids)
    cdm = build_cdm(
        records.patients,
        records.facts,
        records.notes,
        vocabulary=load_vocabulary(Path(vocabulary)) if vocabulary else None,
        today=today,
    )
    files = save_cdm(cdm, out, concept_sets=concept_sets)
    report = ExportReport(files=[Path(f) for f in files], written=cdm.written, skipped=cdm.skipped)
    if records.images:
        report.skipped["image (OMOP CDM v5.4 has no table for images)"] += len(records.images)
    return report


def _rows(con: Any, name: str, ids: set[str] | None) -> list[dict[str, Any]]:
    table = con.table(name)
    if ids is not None:
        table = table.filter(table.patient_id.isin(sorted(ids)))
    return read_arrow(table).to_pylist()


def read_registry_records(
    registry: Registry, patient_ids: Sequence[str] | None = None
) -> RegistryRecords:
    """Return patients (all, or the given ids) with their facts, notes and images."""
    ids = set(patient_ids) if patient_ids else None
    with registry.ibis_connection() as con:
        facts = [
            Fact.model_validate(
                {k: v for k, v in row.items() if k in Fact.model_fields}, context=STORED
            )
            for row in _rows(con, "facts", ids)
            if row.get("superseded_by") is None  # a corrected fact travels as its correction
        ]
        return RegistryRecords(
            patients=[
                Patient.model_validate(row, context=STORED) for row in _rows(con, "patients", ids)
            ],
            facts=facts,
            notes=[Note.model_validate(row, context=STORED) for row in _rows(con, "notes", ids)],
            images=[
                Image(**{k: v for k, v in row.items() if k in Image.model_fields})
                for row in _rows(con, "images", ids)
            ],
        )


def export_phenopackets(
    registry: Registry,
    out_dir: Path,
    *,
    patient_ids: Sequence[str] | None = None,
    created: dt.datetime | None = None,
) -> ExportReport:
    """Write one validated phenopacket per patient into ``out_dir`` (``<patient_id>.json``).

    A ``:`` in an id becomes ``_`` in the file name; when two ids would then share a file name
    (``A:1`` and ``A_1``, or ``p1`` and ``P1`` on a case-insensitive disk) the later one gets a
    ``-2`` suffix and a warning says so. Patients whose record cannot make a valid phenopacket
    (obsolete HPO ids, contradictions) are not written; their problems are in the report's
    warnings, as are HPO ids newer than the bundled ontology (written as given).
    """
    from calciscope.interop.phenopackets import write_phenopacket

    records, report = read_registry_records(registry, patient_ids), ExportReport()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    names = _FileNames()
    for patient in records.patients:
        try:
            packet, warnings = write_phenopacket(
                patient, records.facts_of(patient.patient_id), created=created
            )
        except ValidationError as exc:
            report.skipped["patient refused by phenopacket validation"] += 1
            report.warnings += exc.problems
            continue
        path = Path(out_dir) / names.claim(patient.patient_id, report)
        path.write_text(json.dumps(packet, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        report.files.append(path)
        report.written["phenopacket"] += 1
        report.warnings += warnings
    return report


@dataclass
class _FileNames:
    """File names given to patients in one export folder: never the same file twice."""

    taken: dict[str, str] = field(default_factory=dict)

    def claim(self, patient_id: str, report: ExportReport) -> str:
        """Return a free ``.json`` name for a patient, warning in ``report`` when it differs."""
        stem = patient_id.replace(":", "_")
        name, n = f"{stem}.json", 1
        while name.casefold() in self.taken:
            n += 1
            name = f"{stem}-{n}.json"
        self.taken[name.casefold()] = patient_id
        if n > 1:
            other = self.taken[f"{stem}.json".casefold()]
            message = f"written as {name}: {stem}.json holds patient {other!r}"
            report.warnings.append(Problem(patient_id, "file name", "patient_id", message))
        return name


def export_fhir(
    registry: Registry,
    out: Path,
    *,
    patient_ids: Sequence[str] | None = None,
    group_name: str | None = None,
) -> ExportReport:
    """Write the registry (or some patients) as one validated FHIR R4 collection Bundle.

    ``out`` is the bundle's file, or a folder to write ``calciscope-bundle.json`` into.
    """
    from calciscope.interop.fhir import write_fhir_bundle

    target = Path(out) / "calciscope-bundle.json" if Path(out).is_dir() else Path(out)
    if not target.parent.is_dir():
        raise ValidationError(
            [Problem(str(out), "file", "out", f"folder {target.parent} does not exist")],
            summary="cannot export FHIR",
        )
    records = read_registry_records(registry, patient_ids)
    bundle = write_fhir_bundle(
        records.patients, records.facts, records.notes, records.images, group_name=group_name
    )
    target.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ExportReport(files=[target])
    report.written.update(e["resource"]["resourceType"] for e in bundle["entry"])
    return report


def redcap_template() -> tuple[str, str]:
    """Return the calciscope REDCap data dictionary (CSV text) and its default mapping (YAML text)."""
    from calciscope.interop.redcap import dump_mapping, write_dictionary
    from calciscope.interop.redcap.template import redcap_template as build

    fields, mapping = build()
    return write_dictionary(fields), dump_mapping(mapping)


def redcap_mapping(dictionary: Path) -> str:
    """Return a generated mapping (YAML) for a REDCap data dictionary or project XML, to edit."""
    from calciscope.interop.redcap import (
        dump_mapping,
        generate_mapping,
        is_xml,
        read_dictionary,
        read_odm_dictionary,
    )

    read = read_odm_dictionary if is_xml(Path(dictionary)) else read_dictionary
    return dump_mapping(generate_mapping(read(Path(dictionary))))


def export_redcap(
    registry: Registry, out_dir: Path, *, patient_ids: Sequence[str] | None = None
) -> ExportReport:
    """Write ``dictionary.csv``, ``mapping.yaml`` and ``data.csv`` (records) for the calciscope template."""
    from calciscope.interop.redcap.export import write_records
    from calciscope.interop.redcap.template import redcap_template as build

    fields, mapping = build()
    records = read_registry_records(registry, patient_ids)
    text, skipped = write_records(records.patients, records.facts, fields, mapping)
    dictionary, mapping_text = redcap_template()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = ExportReport(skipped=skipped)
    for name, content in (
        ("dictionary.csv", dictionary),
        ("mapping.yaml", mapping_text),
        ("data.csv", text),
    ):
        (out / name).write_text(content, encoding="utf-8")
        report.files.append(out / name)
    report.written["patient"] = len(records.patients)
    return report


def pull_redcap(url: str, token: str, out_dir: Path, *, chunk_size: int = 500) -> tuple[Path, Path]:
    """Download a REDCap project's records and dictionary through its API (PyCap), in chunks.

    Returns the paths of ``data.csv`` and ``dictionary.csv``, ready for :func:`import_redcap`.
    """
    from calciscope.interop.redcap.live import pull_project

    return pull_project(url, token, Path(out_dir), chunk_size=chunk_size)


def export_note_nlp(
    registry: Registry,
    out: Path,
    *,
    patient_ids: Sequence[str] | None = None,
    include_rejected: bool = False,
) -> ExportReport:
    """Write OMOP NOTE_NLP rows (CSV) for the registry's facts derived from notes.

    Rejected facts are left out unless asked for; suggested and confirmed facts are written
    (``term_modifiers`` says which, with the status and qualifiers).
    """
    import pyarrow.csv as pacsv

    from calciscope.interop.omop import note_id_map, note_nlp_rows
    from calciscope.model import ReviewState

    records = read_registry_records(registry, patient_ids)
    facts = [
        f for f in records.facts if include_rejected or f.review_state is not ReviewState.REJECTED
    ]
    table = note_nlp_rows(facts, note_ids=note_id_map(n.note_id for n in records.notes))
    pacsv.write_csv(table, Path(out))
    report = ExportReport(files=[Path(out)])
    report.written["note_nlp row"] = table.num_rows
    return report
