"""Verbs for clinical notes: extract suggested facts, extract mentions from files, assess.

``extract_notes`` streams the registry's notes in chunks (bounded memory), extracts in this
process or in ``jobs`` worker processes, and inserts *suggested* facts; re-running inserts
nothing new, and a fact a person confirmed or rejected is never overwritten (facts are keyed by
a content hash that leaves out the review state).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, TextIO

from calciscope.errors import Problem, ValidationError
from calciscope.extract import Assessment
from calciscope.extract.evaluation import (
    AssessmentScores,
    PatientScores,
    patient_calcinosis,
    read_label_rows,
    score_assessments,
    score_patients,
)
from calciscope.extract.facts import ROW_COLUMNS, said_key, without_decided
from calciscope.extract.pipeline import (
    NoteFields,
    RulePaths,
    extractor_for,
    fact_values_for_notes,
    note_facts,
    version_for,
)
from calciscope.features import load_catalogue
from calciscope.interop.csvtext import StrictDictReader
from calciscope.model import Fact, Note, before_birth
from calciscope.rtftext import is_rtf
from calciscope.storage import Registry
from calciscope.storage.registry import read_note_range
from calciscope.textfile import check_utf8_bytes, open_text

__all__ = [
    "ExtractSummary",
    "assess_rows",
    "assess_tsv",
    "evaluate_demo_notes",
    "evaluate_negex",
    "extract_file",
    "extract_notes",
    "note_facts",
    "rtf_notes",
]


@dataclass(frozen=True)
class ExtractSummary:
    """What an extraction run did."""

    notes: int
    facts: int
    new_facts: int
    engine: str
    #: never-reviewed suggestions of an older extractor version deleted (see
    #: :meth:`~calciscope.storage.Registry.drop_stale_note_suggestions`)
    replaced_facts: int = 0
    #: suggestions left out because they say what a person already confirmed, rejected or
    #: corrected (under an older extractor version's id; see ``without_decided``)
    already_decided: int = 0
    #: suggestions not written because they are dated before the patient's birth (a note
    #: imported before imports refused such notes, or a birth given since; fixes16)
    before_birth: int = 0


def _rule_paths(
    targets: str | Path | None, context: str | Path | None, context_json: Sequence[str | Path]
) -> RulePaths:
    return (
        str(targets) if targets else None,
        str(context) if context else None,
        tuple(str(p) for p in context_json),
    )


def _batches(notes: Iterable[Note], size: int) -> Iterator[list[NoteFields]]:
    """Yield the notes as :data:`NoteFields` tuples, ``size`` at a time."""
    batch: list[NoteFields] = []
    for note in notes:
        batch.append(
            (note.note_id, note.patient_id, note.note_type.value, note.note_date, note.text)
        )
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _worker_context() -> BaseContext:
    """Return how worker processes start: forked from a server that imported calciscope once.

    A spawned worker re-imports the program's main module first: for the ``calciscope``
    command that is the whole CLI, about 2 s of CPU per worker, more than extracting a few
    thousand notes. A fork server (POSIX) imports it, and the extraction pipeline, once, builds
    the packaged extractor (:mod:`calciscope.extract.warm`) and forks the workers from that
    clean single-threaded process. Elsewhere workers are spawned.
    """
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload(["__main__", "calciscope.api.notes", "calciscope.extract.warm"])
    return context


#: A batch of notes for a worker: the notes themselves, or where it reads them from the
#: registry (``(database URL, first note id, last note id, since)``).
_Batch = list[NoteFields] | tuple[str, str, str, dt.date | None]


#: What a batch gives: ``(notes, suggested facts as tuples of stored values, engine version)``.
_Result = tuple[int, list[tuple[Any, ...]], str]


def _results(batches: Iterable[_Batch], jobs: int, paths: RulePaths) -> Iterator[_Result]:
    # Notes go to the workers as plain tuples, or workers read them from the registry
    # themselves; facts come back as tuples of stored values, which the parent inserts as
    # they are. Pickling models (a pydantic Note, a Fact or a dict per row) and converting
    # rows in the parent cost more than the workers' extraction (docs/notes.md).
    if jobs <= 1:
        yield from (_extract_batch(batch, paths) for batch in batches)
        return
    with ProcessPoolExecutor(jobs, mp_context=_worker_context()) as pool:
        pending: deque[Future[_Result]] = deque()
        for batch in batches:
            pending.append(pool.submit(_extract_batch, batch, paths))
            if len(pending) >= 2 * jobs:  # bounded: never more than 2 batches per worker queued
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _extract_batch(batch: _Batch, paths: RulePaths) -> _Result:
    """Return ``(notes, fact tuples, engine version)`` of a batch (in a worker or here)."""
    if isinstance(batch, tuple):
        batch = read_note_range(*batch)
    count, rows = fact_values_for_notes(batch, paths)
    return count, rows, extractor_for(paths).version


def _note_ranges(
    registry: Any, since: dt.date | None, chunk: int
) -> Iterator[tuple[str, str, str, dt.date | None]] | None:
    """Return where each batch of notes lies, for workers that read their own notes.

    Only for a database registry on a file or a server (workers cannot see an in-memory
    database); None otherwise, and the notes are read here with ``iter_notes``. The note ids
    are read once, in order, and cut into batches of ``chunk``.
    """
    engine = getattr(registry, "engine", None)
    if type(registry).iter_notes is not Registry.iter_notes or engine is None:
        return None
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    url = engine.url.render_as_string(hide_password=False)
    ids = registry.note_ids(since=since)
    return (
        (url, ids[i], ids[min(i + chunk, len(ids)) - 1], since) for i in range(0, len(ids), chunk)
    )


#: Suggested facts written per transaction: a commit (an fsync on SQLite) per batch of notes
#: cost more than extracting them; this many rows stay in memory at most (a few MB).
_WRITE_ROWS = 20_000


def _write_fact_values(registry: Registry, rows: list[tuple[Any, ...]]) -> None:
    """Insert new suggested facts, tuples of stored values in ``ROW_COLUMNS`` order.

    Through :meth:`Registry.add_fact_values` (one ``executemany`` of the tuples as they came
    from the workers on SQLite, the bulk fact writer elsewhere).
    """
    registry.add_fact_values(ROW_COLUMNS, rows)


_PATIENT_AT = ROW_COLUMNS.index("patient_id")
_DATE_AT = ROW_COLUMNS.index("effective_date")


class _SuggestionWriter:
    """Writes a run's suggested facts in large transactions, leaving out what a person decided.

    A new suggestion that says what a confirmed, rejected or corrected note fact says is left
    out (:func:`~calciscope.extract.facts.without_decided`): a decision stands when a new rules
    version brings the same finding back under a new id.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.decided = {said_key(row) for row in registry.decided_note_facts(ROW_COLUMNS)}
        self.pending: list[tuple[Any, ...]] = []
        self.left_out = 0
        #: suggestions not written: dated before the patient's birth (a note stored before
        #: the import check, or a birth given since; the rule is the model's before_birth)
        self.before_birth = 0
        self._births: dict[str, tuple[dt.date | None, int | None]] = {}

    def _before_birth(self, row: tuple[Any, ...]) -> bool:
        date = row[_DATE_AT]
        if date is None:
            return False
        pid = row[_PATIENT_AT]
        if pid not in self._births:
            patient = self.registry.patient(pid)
            self._births[pid] = (
                (patient.birth_date, patient.birth_year) if patient else (None, None)
            )
        when = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
        return before_birth(when, *self._births[pid]) is not None

    def add(self, rows: list[tuple[Any, ...]]) -> int:
        """Queue ``rows``, written every ``_WRITE_ROWS``; return how many were kept."""
        kept = without_decided(rows, self.decided) if self.decided else rows
        self.left_out += len(rows) - len(kept)
        born = [row for row in kept if not self._before_birth(row)]
        self.before_birth += len(kept) - len(born)
        kept = born
        self.pending += kept
        if len(self.pending) >= _WRITE_ROWS:
            self.flush()
        return len(kept)

    def flush(self) -> None:
        """Write what is queued."""
        if self.pending:
            _write_fact_values(self.registry, self.pending)
            self.pending = []


def extract_notes(
    registry: Any,
    *,
    since: dt.date | None = None,
    jobs: int = 1,
    chunk: int = 500,
    target_rules: str | Path | None = None,
    context_rules: str | Path | None = None,
    context_json: Sequence[str | Path] = (),
    progress: Callable[[int], None] | None = None,
) -> ExtractSummary:
    """Extract suggested facts from the registry's notes and insert the new ones.

    Parameters
    ----------
    registry
        An open :class:`~calciscope.storage.Registry`.
    since
        Only notes dated on or after this day.
    jobs
        Worker processes (1 = in this process).
    chunk
        Notes per batch (read, extracted and written together; bounds memory).
    target_rules, context_rules
        YAML files replacing the packaged ``targets.yaml`` / ``context.yaml``.
    context_json
        medspaCy ``context_rules`` JSON files to add.
    progress
        Called with the number of notes done so far.

    Returns
    -------
    ExtractSummary
        Notes read, facts suggested, facts new to the registry, engine version.
    """
    paths = _rule_paths(target_rules, context_rules, context_json)
    before = registry.counts()["facts"]
    done = suggested = 0
    # workers read their own notes; in this process the registry's own connection reads them
    # (an engine of our own would stay open and keep SQLite's WAL from being checkpointed)
    batches: Iterable[_Batch] | None = _note_ranges(registry, since, chunk) if jobs > 1 else None
    if batches is None:  # one process, or a registry whose notes workers cannot read
        batches = _batches(registry.iter_notes(since=since, chunk=chunk), chunk)
    writer = _SuggestionWriter(registry)
    engine = None  # the version the extractors report (reading it from the rules costs more)
    for count, rows, version in _results(batches, max(1, jobs), paths):
        engine = version
        done, suggested = done + count, suggested + writer.add(rows)
        if progress is not None:
            progress(done)
    writer.flush()
    new = registry.counts()["facts"] - before
    engine = engine or version_for(paths)
    # the run's suggestions replace the never-reviewed ones an older version made of the same
    # notes (fact ids hash the provenance, so they would otherwise stay as duplicates)
    replaced = registry.drop_stale_note_suggestions(engine, since=since)
    return ExtractSummary(
        done, suggested, new, engine, replaced, writer.left_out, writer.before_birth
    )


def _documents(
    source: Path, id_column: str | None, text_columns: Sequence[str]
) -> Iterator[tuple[str, str | None, str]]:
    """Yield ``(doc_id, column, text)`` from a text file, a folder, a CSV or a JSON-lines file."""
    if source.is_dir():
        for path in sorted(source.rglob("*.txt")):
            yield str(path.relative_to(source)), None, _note_text(path)
        return
    suffix = source.suffix.lower()
    if suffix not in (".csv", ".tsv", ".jsonl", ".ndjson"):
        yield source.stem, None, _note_text(source)
        return
    csv.field_size_limit(sys.maxsize)  # a note is one (large) CSV field
    with open_text(source) as handle:
        if suffix in (".jsonl", ".ndjson"):
            rows: Iterable[dict[str, Any]] = (json.loads(line) for line in handle if line.strip())
        else:
            # strict: a quote left open is a problem naming its row; the id column holds no
            # line breaks, so stray quotes paired over rows there are one too; a note's text
            # may hold line breaks, but a line of it that reads as a row of its own (an id
            # shaped as the note's, before the text) is a pair over rows too (hardening24)
            ids = (id_column,) if id_column else ("note_id", "id")
            reader = StrictDictReader(
                handle,
                str(source),
                single_line=lambda c: c in ids,
                key=ids,
                delimiter="\t" if suffix == ".tsv" else ",",
                summary=f"cannot read {source.name}",
            )
            rows = reader
        yield from _row_documents(source, rows, id_column, text_columns)


def _note_text(path: Path) -> str:
    """Return a note file's text: UTF-8, else a problem naming the file, line and byte.

    (Read with replacement characters before hardening23: a UTF-16 letter became NULs and
    replacement characters, and the extractor found nothing in it without a word.)
    """
    return check_utf8_bytes(path.read_bytes(), str(path))


def _row_documents(
    source: Path, rows: Iterable[dict[str, Any]], id_column: str | None, text_columns: Sequence[str]
) -> Iterator[tuple[str, str | None, str]]:
    columns = list(text_columns) or ["text"]
    for number, row in enumerate(rows, start=1):
        missing = [c for c in columns if c not in row]
        if missing or (id_column and id_column not in row):
            wanted = [*missing, *([id_column] if id_column and id_column not in row else [])]
            raise ValidationError(
                [Problem(str(source), f"row {number}", c, "column not found") for c in wanted],
                summary=f"cannot read {source.name}",
            )
        doc_id = (
            str(row[id_column]) if id_column else str(row.get("note_id", row.get("id", number)))
        )
        for column in columns:
            text = row[column]
            if text:
                yield doc_id, column if len(columns) > 1 else None, str(text)


def extract_file(
    source: str | Path,
    out: TextIO,
    *,
    id_column: str | None = None,
    text_columns: Sequence[str] = (),
    context_json: Sequence[str | Path] = (),
) -> tuple[int, int]:
    """Write one JSON line per mention found in a file, a folder of ``.txt`` files, or a table.

    Parameters
    ----------
    source
        A text file, a folder (every ``*.txt`` below it), or a CSV/TSV/JSON-lines file.
    out
        Where the JSON lines go.
    id_column, text_columns
        For tables: the document id column (default ``note_id``, else ``id``, else the row
        number) and the text column(s) (default ``text``).
    context_json
        medspaCy ``context_rules`` JSON files to add to the packaged context rules.

    Returns
    -------
    tuple of int
        Documents read and mentions written.
    """
    extractor = extractor_for(_rule_paths(None, None, context_json))
    docs = mentions = 0
    for doc_id, column, text in _documents(Path(source), id_column, text_columns):
        docs += 1
        for mention in extractor.extract(text):
            record = {
                "doc_id": doc_id,
                **({"column": column} if column else {}),
                **mention.to_dict(),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            mentions += 1
    return docs, mentions


def _column(fieldnames: Sequence[str], name: str) -> str:
    for field in fieldnames:
        if field.strip().lower() == name.lower():
            return field
    raise ValidationError(
        [Problem("input", "header", name, "column not found")], summary="cannot assess"
    )


def assess_rows(
    rows: Iterable[dict[str, str]], fieldnames: Sequence[str]
) -> Iterator[dict[str, str]]:
    """Add ``calciscope_negation``, ``calciscope_temporality``, ``calciscope_experiencer`` to rows.

    Parameters
    ----------
    rows
        Rows with a ``Condition`` and a ``sentence`` column (names compared ignoring case).
    fieldnames
        The rows' column names.
    """
    condition, sentence = _column(fieldnames, "condition"), _column(fieldnames, "sentence")
    extractor = extractor_for()
    for row in rows:
        result: Assessment = extractor.assess(row[condition] or "", row[sentence] or "")
        yield row | {
            "calciscope_negation": result.negation,
            "calciscope_temporality": result.temporality,
            "calciscope_experiencer": result.experiencer,
        }


def assess_tsv(source: str | Path, out: TextIO) -> int:
    """Read a TSV with ``Condition`` and ``sentence`` columns and write it back assessed.

    Returns
    -------
    int
        Rows written.
    """
    csv.field_size_limit(sys.maxsize)
    with Path(source).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        fields = list(reader.fieldnames or [])
        extra = ["calciscope_negation", "calciscope_temporality", "calciscope_experiencer"]
        writer = csv.DictWriter(out, fieldnames=fields + extra, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        count = 0
        for row in assess_rows(reader, fields):
            writer.writerow(row)
            count += 1
    return count


def evaluate_negex(source: str | Path) -> AssessmentScores:
    """Score :func:`assess_rows` on a NegEx/ConText test-kit TSV (gold columns by prefix)."""
    csv.field_size_limit(sys.maxsize)
    with Path(source).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        rows = list(reader)
        predicted = list(assess_rows(rows, list(reader.fieldnames or [])))
    assessments = [
        Assessment(
            r["calciscope_negation"], r["calciscope_temporality"], r["calciscope_experiencer"]
        )
        for r in predicted
    ]
    return score_assessments(read_label_rows(rows), assessments)


def evaluate_demo_notes(notes_jsonl: str | Path, answer_key: str | Path) -> PatientScores:
    """Score patient-level calcinosis status and morphology from notes against an answer key.

    Parameters
    ----------
    notes_jsonl
        The demo cohort's ``notes.jsonl``.
    answer_key
        Its ``answer_key.csv`` (columns ``patient_id``, ``notes_calcinosis``, ``notes_morphology``).
    """
    facts: list[Fact] = []
    with Path(notes_jsonl).open(encoding="utf-8") as handle:
        for line in handle:
            facts.extend(note_facts(Note(**json.loads(line))))
    code = load_catalogue().concepts["calcinosis"].primary_code
    with Path(answer_key).open(encoding="utf-8", newline="") as handle:
        gold = {
            r["patient_id"]: (r["notes_calcinosis"], r["notes_morphology"])
            for r in csv.DictReader(handle)
        }
    return score_patients(gold, patient_calcinosis(facts, code))


def rtf_notes(registry: Registry) -> list[Note]:
    """Return the stored notes whose text is a raw RTF document (control words and all).

    A FHIR ``text/rtf`` attachment imported before hardening35 was stored so, and a
    ``notes.jsonl`` or OMOP NOTE text that was RTF before hardening36: its words, offsets and
    suggested facts are the RTF's. Re-importing the source the note came from replaces the
    text with its plain text (:mod:`calciscope.rtftext`) and drops the suggestions no one
    decided on; ``notes extract`` then reads it again. ``calciscope notes rtf`` lists them.
    """
    return [note for note in registry.iter_notes() if is_rtf(note.text)]
