"""The calciscope directory format: ``patients.csv``, ``facts.csv``, ``notes.jsonl``, ``images.csv``.

This is what ``calciscope demo-data`` writes and ``calciscope import demo`` reads; it is also
the simplest way to bring a registry extract in. Columns are the fields of
:class:`~calciscope.model.Patient`, :class:`~calciscope.model.Fact`, :class:`~calciscope.model.Note`
and :class:`~calciscope.model.Image`; an empty cell is a null. ``answer_key.csv``,
``manifest.json`` and ``README.txt`` may sit beside them and are not imported.

Everything is validated before anything is written: one :class:`~calciscope.errors.ValidationError`
lists every bad row and field of every file.

``facts.csv``, the big file, is read with pyarrow in blocks of a few megabytes and validated a
whole block at a time (:mod:`calciscope.interop.native_facts`): the rows that pass become a fact
table for the bulk writer (:mod:`calciscope.storage.bulk`); a row a vectorised check doubts is
validated by the :class:`~calciscope.model.Fact` model, which names the field and what is wrong,
exactly as for the other files.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pydantic

from calciscope.errors import Problem, ValidationError
from calciscope.interop.csvtext import StrictDictReader, delimiter_hint, quote_count
from calciscope.interop.jsontext import parse_json
from calciscope.interop.native_facts import check_block
from calciscope.model import Fact, Image, Note, Patient
from calciscope.rtftext import rtf_note_text
from calciscope.storage import Batch, PatientOrigin
from calciscope.storage.bulk import fact_table
from calciscope.storage.lifetime import with_origins
from calciscope.textfile import open_text

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


#: The native CSV columns that may hold line breaks (free text); a line break in any other
#: column is two stray quotes paired over rows (:mod:`calciscope.interop.csvtext`).
FREE_TEXT = frozenset({"value_text", "provenance"})


def _single_line(column: str) -> bool:
    return column not in FREE_TEXT


#: A CSV file with no header row (a failed or truncated export, imported as no rows before).
_EMPTY = "the file is empty: it needs at least its header row (the column names)"


def _csv_rows(
    path: Path, model: type[pydantic.BaseModel], skip: int = 0
) -> Iterator[tuple[str, dict[str, Any] | Problem]]:
    with open_text(path) as handle:
        # a fact's free text (value_text, provenance) may hold line breaks, but a line of
        # it that reads as a row of its own (a patient id first) is stray quotes paired
        reader = StrictDictReader(handle, str(path), single_line=_single_line, key="patient_id")
        allowed = set(model.model_fields)
        # a header refused (no header, unknown columns) refuses the file: raised, so the file
        # counts as unreadable and its linked ids are said once not checked (fix35)
        if reader.fieldnames is None:  # 0 bytes (or blank lines): a header-only file is "no rows"
            raise ValidationError([Problem(str(path), "row 1", "(file)", _EMPTY)])
        unknown = [c for c in reader.fieldnames or [] if c not in allowed]
        hint = delimiter_hint(reader.fieldnames)
        if unknown:
            raise ValidationError(
                [
                    Problem(
                        str(path),
                        "row 1",
                        column,
                        f"unknown column; expected some of {sorted(allowed)}"
                        + (f": {hint}" if hint else ""),
                    )
                    for column in unknown
                ]
            )
        for number, row in enumerate(reader, start=2):
            if number - 2 < skip:
                continue
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
    with open_text(path) as handle:
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
        #: files refused as a whole or part way (header, encoding, a quote left open)
        self.unreadable: set[Path] = set()

    def add(self, problem: Problem) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(problem)
        else:
            self.more += 1

    def raise_if_any(self, folder: Path) -> None:
        if self.items:
            extra = f" (and {self.more} more not listed)" if self.more else ""
            raise ValidationError(self.items, summary=f"cannot import {folder}{extra}")


def _validated(
    path: Path,
    model: type[pydantic.BaseModel],
    rows: Iterator[tuple[str, dict[str, Any] | Problem]],
    problems: _Problems,
) -> Iterator[tuple[str, Any]]:
    """Validate rows with the model, collecting the problems of those that fail."""
    for location, row in rows:
        if isinstance(row, Problem):
            problems.add(row)
            continue
        if model is Note and isinstance(text := row.get("text"), str):
            plain = rtf_note_text(text, str(path), location, "text")  # hardening36
            if isinstance(plain, Problem):
                problems.add(plain)
                continue
            row = row | {"text": plain}
        try:
            yield location, model.model_validate(row)
        except pydantic.ValidationError as exc:
            for problem in _problems_from(exc, str(path), location):
                problems.add(problem)


def _records(
    path: Path, model: type[pydantic.BaseModel], problems: _Problems, *, skip: int = 0
) -> Iterator[tuple[str, Any]]:
    rows = _jsonl_rows(path) if path.suffix == ".jsonl" else _csv_rows(path, model, skip)
    location = "row 1"
    try:
        for location, record in _validated(path, model, rows, problems):
            yield location, record
    except ValidationError as exc:
        # not UTF-8 (its line and byte), a quote left open or stray quotes paired over rows
        problems.unreadable.add(path)
        for problem in exc.problems:
            problems.add(problem)
    except (OSError, csv.Error) as exc:
        # A file that stops being readable part way: name the last row read.
        problems.unreadable.add(path)
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


def _not_checked(folder: Path) -> Problem:
    """Return the one problem said instead of an unknown patient per row (hardening34)."""
    linked = [n for n in list(FILES)[1:] if (folder / n).is_file()]
    message = (
        f"{', '.join(linked) or 'the other files'}: patient ids not checked against the "
        "patients, because patients.csv could not be read (its problem is listed above)"
    )
    return Problem(str(folder / "patients.csv"), "-", "patient_id", message)


class _Known:
    """Patient ids a linked record may refer to.

    Without a lookup, the folder's ids (kept while reading ``patients.csv``). With one, the
    lookup answers for the folder's patients too, since the importer has written them by then
    (:func:`stream_directory`), and only the last answer is kept: memory does not grow with the
    number of patients.
    """

    def __init__(self, ids: set[str], lookup: PatientLookup | None, *, checked: bool) -> None:
        self.ids = ids
        self.lookup = lookup
        #: False when ``patients.csv`` could not be read: no id can be told unknown then, and
        #: every linked record is left out unnamed (the import fails on that file's problem)
        self.checked = checked

    def unknown(self, ids: set[str]) -> set[str]:
        """Return those of ``ids`` that are neither in the folder nor in the registry."""
        if not self.checked:
            return ids
        if self.lookup is None:
            return ids - self.ids
        missing = ids - self.ids
        if missing:
            self.ids = (ids & self.ids) | self.lookup(missing)
        return ids - self.ids

    def located(
        self, chunk: list[tuple[str, Any]], path: Path, problems: _Problems
    ) -> list[tuple[str, Any]]:
        """Return ``(location, record)`` of the records of known patients; name the others."""
        self.unknown({r.patient_id for _, r in chunk})
        kept = []
        for location, record in chunk:
            if record.patient_id in self.ids:
                kept.append((location, record))
            elif self.checked:
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
        Given ids the facts, notes or images refer to, returns those in the registry, the
        patients of this folder included: the caller writes each chunk of patients before it
        asks for the next chunk (as :func:`calciscope.api.import_directory` does, through
        :meth:`calciscope.storage.BatchWriter.existing_patient_ids`), so the reader does not
        keep every patient id of the folder. Without it, the folder's ids are kept.
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
        if known_patients is None:
            ids.update(p.patient_id for _, p in chunk)
        yield Batch(
            patients=[p for _, p in chunk],
            patient_origins=[PatientOrigin(str(path), where) for where, _ in chunk],
        )
    known = _Known(ids, known_patients, checked=path not in problems.unreadable)
    for name, model in list(FILES.items())[1:]:
        path = folder / name
        if not path.is_file():
            continue
        if name == "facts.csv":
            yield from _fact_batches(path, known, problems)
            continue
        kind = _KIND[name]
        for chunk in _chunks(_records(path, model, problems)):
            located = known.located(chunk, path, problems)
            # where each note / image was read: a date before birth is refused naming it
            origins = {
                f"{kind} {getattr(record, f'{kind}_id')}": PatientOrigin(str(path), where)
                for where, record in located
            }
            yield Batch(**{_FIELD[name]: [record for _, record in located]}, record_origins=origins)
    if not known.checked:
        problems.add(_not_checked(folder))
    problems.raise_if_any(folder)


#: Bytes of ``facts.csv`` read, checked and written at a time (some 40,000 rows).
_BLOCK_BYTES = 4 << 20


def _header(path: Path) -> list[str] | None:
    """Return the column names of a CSV file, or None when they cannot be read (or repeat)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            names = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not names or len(set(names)) != len(names):
        return None
    return names


def _fact_batches(path: Path, known: _Known, problems: _Problems) -> Iterator[Batch]:
    """Read ``facts.csv`` block by block with pyarrow; the model validates doubted rows.

    Anything the CSV parser stops at (a row with more or fewer cells, text that is not UTF-8)
    sends the rest of the file, from the first row not yet written, through the row-by-row
    reader, which names the row.
    """
    names = _header(path)
    # pyarrow ends a quote left open at the end of the file: the row-by-row reader names it
    quotes = quote_count(path)
    if names is None or any(n not in Fact.model_fields for n in names) or quotes % 2:
        yield from _slow_fact_batches(path, known, problems, skip=0)
        return
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (OSError, pa.ArrowInvalid):
        yield from _slow_fact_batches(path, known, problems, skip=0)
        return
    done = 0
    # a line break in a column of no free text: stray quotes paired (only a quote makes one);
    # one in free text may be too (a line of it that reads as a row, csvtext): the row-by-row
    # reader tells them apart (hardening24; a fact's text seldom runs over lines)
    for item in _prefetched(_checked_blocks(reader, list(names) if quotes else [])):
        if isinstance(item, Exception):
            # the parser stopped (a row with more or fewer cells, text that is not UTF-8), or
            # stray quotes paired over rows: the row-by-row reader names the rows
            yield from _slow_fact_batches(path, known, problems, skip=done)
            return
        block, table, doubt = item
        yield _fact_block(block, table, doubt, done, path, known, problems)
        done += block.num_rows


_Checked = tuple[pa.Table, pa.Table, pa.Array]


def _checked_blocks(reader: Any, single_line: list[str]) -> Iterator[_Checked | Exception]:
    """Read and check blocks; a parser error ends the blocks (it is the last item).

    So does a line break in a ``single_line`` column (maybe two stray quotes paired over rows).
    """
    while True:
        try:
            block = pa.Table.from_batches([reader.read_next_batch()])
        except StopIteration:
            return
        except (OSError, pa.ArrowInvalid) as exc:
            yield exc
            return
        if any(pc.any(pc.match_substring_regex(block[n], "[\r\n]")).as_py() for n in single_line):
            yield ValueError("a line break in a cell: maybe stray quotes paired over rows")
            return
        yield (block, *check_block(block))


def _prefetched(items: Iterator[_Checked | Exception]) -> Iterator[_Checked | Exception]:
    """Produce ``items`` in a thread, a block ahead of the consumer (which writes meanwhile).

    pyarrow parses and computes without the GIL and the database works in its own process (or
    without the GIL), so reading the next block overlaps with writing this one; at most two
    blocks wait, so memory stays bounded.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=2)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(items, queue, stop), name="calciscope-facts-reader", daemon=True
    )
    thread.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)


def _produce(items: Iterator[Any], queue: Queue[tuple[str, Any]], stop: threading.Event) -> None:
    """Put ``items`` on the queue until they end or the consumer stops."""
    try:
        for item in items:
            while not stop.is_set():
                try:
                    queue.put(("item", item), timeout=0.1)
                    break
                except Full:
                    continue
            if stop.is_set():
                return
        queue.put(("end", None))
    except Exception as exc:  # a bug in a check: raised again in the consumer
        queue.put(("error", exc))


def _slow_fact_batches(
    path: Path, known: _Known, problems: _Problems, *, skip: int
) -> Iterator[Batch]:
    for chunk in _chunks(_records(path, Fact, problems, skip=skip)):
        yield Batch(fact_rows=[_located_facts(known.located(chunk, path, problems), path)])


def _located_facts(located: list[tuple[str, Fact]], path: Path) -> pa.Table:
    """Return facts the model validated as a fact table that says where each row was read.

    The bulk writer names the row of a fact dated before its patient's birth from it
    (:mod:`calciscope.storage.lifetime`).
    """
    table = fact_table([fact for _, fact in located])
    return with_origins(table, str(path), [location for location, _ in located])


def _fact_block(
    block: pa.Table,
    table: pa.Table,
    doubt: pa.Array,
    first: int,
    path: Path,
    known: _Known,
    problems: _Problems,
) -> Batch:
    """Return a checked block's valid facts of known patients (``first``: rows before it).

    ``table`` holds the rows :func:`~calciscope.interop.native_facts.check_block` passed; the
    rows it doubted (``doubt``) are validated by the model here.
    """
    doubted = pc.indices_nonzero(doubt)
    rows = (
        (
            f"row {first + position + 2}",
            {k: v for k, v in row.items() if not (k == "fact_id" and v is None)},
        )
        for position, row in zip(doubted.to_pylist(), block.take(doubted).to_pylist(), strict=True)
    )
    facts = list(_validated(path, Fact, rows, problems))
    passed = pc.indices_nonzero(pc.invert(doubt))
    rows_read = pc.add(passed, first + 2)  # the file's row number of each passed row
    table = with_origins(
        table, str(path), pc.binary_join_element_wise("row ", pc.cast(rows_read, pa.string()), "")
    )
    unknown = known.unknown(set(pc.unique(table.column("patient_id")).to_pylist()))
    if unknown:
        where = pc.is_in(table.column("patient_id"), pa.array(sorted(unknown), pa.string()))
        for position in pc.indices_nonzero(where).to_pylist() if known.checked else []:
            location = f"row {rows_read[position].as_py()}"
            message = f"unknown patient {table.column('patient_id')[position].as_py()!r}"
            problems.add(Problem(str(path), location, "patient_id", message))
        table = table.filter(pc.invert(where))
    validated = _located_facts(known.located(facts, path, problems), path)
    return Batch(fact_rows=[table, validated])


_FIELD = {"facts.csv": "facts", "notes.jsonl": "notes", "images.csv": "images"}
_KIND = {"notes.jsonl": "note", "images.csv": "image"}


def read_directory(folder: Path, *, known_patients: PatientLookup | None = None) -> Batch:
    """Read and validate a whole calciscope directory into one :class:`Batch` (small folders).

    The facts of ``facts.csv`` are in the batch's ``fact_rows`` (fact tables, see
    :mod:`calciscope.storage.bulk`), the rows the model validated too, each table with the
    file and row each fact was read from (:data:`calciscope.storage.lifetime.ORIGIN_COLUMNS`).

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
