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
import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop.jsontext import parse_json
from calciscope.model import Fact, Image, Note, Patient
from calciscope.storage import Batch, PatientOrigin

__all__ = ["FILES", "PatientLookup", "directory_hash", "read_directory", "stream_directory"]

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
                data = parse_json(line, source=str(path), location=f"line {number}")
            except ValidationError as exc:
                yield f"line {number}", dataclasses.replace(exc.problems[0], field="(line)")
                continue
            if not isinstance(data, dict):
                yield (
                    f"line {number}",
                    Problem(str(path), f"line {number}", "(line)", "expected a JSON object"),
                )
                continue
            yield f"line {number}", data


_CHUNK = 5000
_MAX_PROBLEMS = 1000


class _Problems:
    """Problems collected while reading, capped so a wholly wrong file cannot exhaust memory."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, problem: Problem) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(problem)
        else:
            self.more += 1

    def raise_if_any(self, folder: Path) -> None:
        if self.items:
            extra = f" (and {self.more} more not listed)" if self.more else ""
            raise ValidationError(self.items, summary=f"cannot import {folder}{extra}")


def _records(
    path: Path, model: type[pydantic.BaseModel], problems: _Problems
) -> Iterator[tuple[str, Any]]:
    rows = _jsonl_rows(path) if path.suffix == ".jsonl" else _csv_rows(path, model)
    location = "row 1"
    try:
        for location, row in rows:
            if isinstance(row, Problem):
                problems.add(row)
                continue
            try:
                yield location, model.model_validate(row)
            except pydantic.ValidationError as exc:
                for problem in _problems_from(exc, str(path), location):
                    problems.add(problem)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        # A file that stops being text (or CSV) part way: name the last row read.
        problems.add(Problem(str(path), f"after {location}", "(file)", f"cannot read: {exc}"))


def _chunks(records: Iterator[tuple[str, Any]]) -> Iterator[list[tuple[str, Any]]]:
    chunk: list[tuple[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Known:
    """Patient ids a linked record may refer to: this folder's, then the registry's."""

    def __init__(self, ids: set[str], lookup: PatientLookup | None) -> None:
        self.ids = ids
        self.lookup = lookup

    def filter(self, chunk: list[tuple[str, Any]], path: Path, problems: _Problems) -> list[Any]:
        missing = {r.patient_id for _, r in chunk} - self.ids
        if missing and self.lookup is not None:
            self.ids |= self.lookup(missing)
        kept = []
        for location, record in chunk:
            if record.patient_id in self.ids:
                kept.append(record)
            else:
                message = f"unknown patient {record.patient_id!r}"
                problems.add(Problem(str(path), location, "patient_id", message))
        return kept


def stream_directory(
    folder: Path, *, known_patients: PatientLookup | None = None
) -> Iterator[Batch]:
    """Read a calciscope directory in chunks, validating every row as it goes.

    Chunks hold only valid records; the problems found are raised together, as one
    :class:`~calciscope.errors.ValidationError`, after the last chunk. A caller that writes
    chunks inside one transaction (:meth:`calciscope.storage.Registry.bulk_import`) therefore
    imports all or nothing with bounded memory.

    Parameters
    ----------
    folder
        The directory holding ``patients.csv`` and optionally the other files.
    known_patients
        Given ids a chunk refers to but the folder does not define, returns those already in the
        registry (for example :meth:`calciscope.storage.Registry.existing_patient_ids`).
    """
    folder = Path(folder)
    problems = _Problems()
    if not (folder / "patients.csv").is_file():
        raise ValidationError(
            [Problem(str(folder), "-", "patients.csv", "missing file")], summary="cannot import"
        )
    ids: set[str] = set()
    path = folder / "patients.csv"
    for chunk in _chunks(_records(path, Patient, problems)):
        ids.update(p.patient_id for _, p in chunk)
        yield Batch(
            patients=[p for _, p in chunk],
            patient_origins=[PatientOrigin(str(path), where) for where, _ in chunk],
        )
    known = _Known(ids, known_patients)
    for name, model in list(FILES.items())[1:]:
        path = folder / name
        if not path.is_file():
            continue
        for chunk in _chunks(_records(path, model, problems)):
            yield Batch(**{_FIELD[name]: known.filter(chunk, path, problems)})
    problems.raise_if_any(folder)


_FIELD = {"facts.csv": "facts", "notes.jsonl": "notes", "images.csv": "images"}


def read_directory(folder: Path, *, known_patients: PatientLookup | None = None) -> Batch:
    """Read and validate a whole calciscope directory into one :class:`Batch` (small folders).

    Raises
    ------
    ValidationError
        Listing every bad row and field of every file.
    """
    whole = Batch()
    for chunk in stream_directory(folder, known_patients=known_patients):
        whole.extend(chunk)
    return whole


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
