"""The calciscope directory format: ``patients.csv``, ``facts.csv``, ``notes.jsonl``, ``images.csv``.

This is what ``calciscope demo-data`` writes and ``calciscope import demo`` reads; it is also
the simplest way to bring a registry extract in. Columns are the fields of
:class:`~calciscope.model.Patient`, :class:`~calciscope.model.Fact`, :class:`~calciscope.model.Note`
and :class:`~calciscope.model.Image`; an empty cell is a null. ``answer_key.csv``,
``manifest.json`` and ``README.txt`` may sit beside them and are not imported.

Everything is validated before anything is written: one :class:`~calciscope.errors.ValidationError`
lists every bad row and field of every file.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import Batch

__all__ = ["FILES", "PatientLookup", "directory_hash", "read_directory"]

PatientLookup = Callable[[set[str]], set[str]]

#: File name → record type, in import order.
FILES: dict[str, type[pydantic.BaseModel]] = {
    "patients.csv": Patient,
    "facts.csv": Fact,
    "notes.jsonl": Note,
    "images.csv": Image,
}


def _problems_from(exc: pydantic.ValidationError, source: str, location: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(record)"
        value = error.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict) else ""
        problems.append(Problem(source, location, field, f"{error['msg']}{shown}"))
    return problems


def _csv_rows(
    path: Path, model: type[pydantic.BaseModel]
) -> Iterator[tuple[str, dict[str, Any] | Problem]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        allowed = set(model.model_fields)
        unknown = [c for c in reader.fieldnames or [] if c not in allowed]
        for column in unknown:
            yield (
                "header",
                Problem(
                    str(path),
                    "row 1",
                    column,
                    f"unknown column; expected some of {sorted(allowed)}",
                ),
            )
        if unknown:
            return
        for number, row in enumerate(reader, start=2):
            if None in row:
                yield (
                    f"row {number}",
                    Problem(str(path), f"row {number}", "(row)", "more cells than header columns"),
                )
                continue
            yield (
                f"row {number}",
                {
                    k: (v if v != "" else None)
                    for k, v in row.items()
                    if not (k == "fact_id" and v == "")
                },
            )


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any] | Problem]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    f"line {number}",
                    Problem(str(path), f"line {number}", "(line)", f"not JSON: {exc.msg}"),
                )
                continue
            if not isinstance(data, dict):
                yield (
                    f"line {number}",
                    Problem(str(path), f"line {number}", "(line)", "expected a JSON object"),
                )
                continue
            yield f"line {number}", data


def _read_file(path: Path, model: type[pydantic.BaseModel], problems: list[Problem]) -> list[Any]:
    rows = _jsonl_rows(path) if path.suffix == ".jsonl" else _csv_rows(path, model)
    records = []
    for location, row in rows:
        if isinstance(row, Problem):
            problems.append(row)
            continue
        try:
            records.append(model.model_validate(row))
        except pydantic.ValidationError as exc:
            problems.extend(_problems_from(exc, str(path), location))
    return records


def _check_references(
    batch: Batch, lookup: PatientLookup | None, folder: Path, problems: list[Problem]
) -> None:
    ids = {p.patient_id for p in batch.patients}
    linked: list[Fact | Note | Image] = [*batch.facts, *batch.notes, *batch.images]
    referenced = {r.patient_id for r in linked} - ids
    if referenced and lookup is not None:
        ids |= lookup(referenced)
    files: tuple[tuple[str, Sequence[Fact | Note | Image]], ...] = (
        ("facts.csv", batch.facts),
        ("notes.jsonl", batch.notes),
        ("images.csv", batch.images),
    )
    for name, records in files:
        for number, record in enumerate(records, start=1):
            if record.patient_id not in ids:
                problems.append(
                    Problem(
                        str(folder / name),
                        f"record {number}",
                        "patient_id",
                        f"unknown patient {record.patient_id!r}",
                    )
                )


def read_directory(folder: Path, *, known_patients: PatientLookup | None = None) -> Batch:
    """Read and validate a calciscope directory.

    Parameters
    ----------
    folder
        The directory holding ``patients.csv`` and optionally the other files.
    known_patients
        Given ids a batch refers to but does not define, returns those already in the registry
        (for example :meth:`calciscope.storage.Registry.existing_patient_ids`).

    Returns
    -------
    Batch
        Every record, validated.

    Raises
    ------
    ValidationError
        Listing every bad row and field of every file; nothing has been written.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not (folder / "patients.csv").is_file():
        raise ValidationError(
            [Problem(str(folder), "-", "patients.csv", "missing file")], summary="cannot import"
        )
    loaded: dict[str, list[Any]] = {}
    for name, model in FILES.items():
        path = folder / name
        loaded[name] = _read_file(path, model, problems) if path.is_file() else []
    batch = Batch(
        loaded["patients.csv"], loaded["facts.csv"], loaded["notes.jsonl"], loaded["images.csv"]
    )
    _check_references(batch, known_patients, folder, problems)
    if problems:
        raise ValidationError(problems, summary=f"cannot import {folder}")
    return batch


def directory_hash(folder: Path) -> str:
    """Return the SHA-256 of the importable files of a directory, in a fixed order."""
    digest = hashlib.sha256()
    for name in FILES:
        path = Path(folder) / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()
