"""Stream a synthetic cohort to the calciscope directory format, in chunks and (when large) shards.

Patients are drawn in chunks of :data:`CHUNK`; each chunk has its own seeded generators, so the
files are byte-identical whatever the number of worker processes. Memory stays bounded: only one
chunk's rows are held at a time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calciscope.datasets.answer import ANSWER_HEADER, IMAGE_KEY_HEADER, answer_row, image_key_rows
from calciscope.datasets.draw import draw_profile
from calciscope.datasets.facts import FACT_HEADER, IMAGE_HEADER, PATIENT_HEADER, FactWriter
from calciscope.datasets.notes import NoteWriter
from calciscope.datasets.plan import Archetype, CohortPlan, load_plan, load_rates
from calciscope.datasets.profile import DemoRandom

__all__ = ["CHUNK", "FILES", "Counts", "write_rows"]

CHUNK = 1000
#: Output files written by the row writer, with their headers ('' for JSON lines).
FILES: dict[str, str] = {
    "patients.csv": PATIENT_HEADER,
    "facts.csv": FACT_HEADER,
    "notes.jsonl": "",
    "images.csv": IMAGE_HEADER,
    "answer_key.csv": ANSWER_HEADER,
    "image_key.csv": IMAGE_KEY_HEADER,
}
_PARALLEL_FROM = 20_000
_BUFFER = 1 << 20


@dataclass
class Counts:
    """Rows written per file."""

    patients: int = 0
    facts: int = 0
    notes: int = 0
    images: int = 0

    def add(self, other: Counts) -> None:
        """Add another count in place."""
        self.patients += other.patients
        self.facts += other.facts
        self.notes += other.notes
        self.images += other.images


class _ChunkWriter:
    """Draw and render chunks of patients into open files."""

    def __init__(self, plan: CohortPlan, seed: int, notes: bool) -> None:
        raw = load_plan()
        self.plan, self.seed, self.notes = plan, seed, notes
        self.anchors = raw["anchors"]
        self.context: dict[str, Any] = {"rates": load_rates(), "patterns": raw["myositis_patterns"]}
        self.facts = FactWriter(notes=notes)
        self.note_writer = NoteWriter(self.facts.iso)
        self.width = max(4, len(str(plan.patients)))

    def chunk(self, number: int) -> tuple[dict[str, list[str]], Counts]:
        rows: dict[str, list[str]] = {name: [] for name in FILES}
        rng = DemoRandom(f"{self.seed}:{number}:draw")
        note_rng = DemoRandom(f"{self.seed}:{number}:notes")
        counts = Counts()
        for index in range(number * CHUNK, min((number + 1) * CHUNK, self.plan.patients)):
            archetype = Archetype(self.plan.archetypes[index])
            anchor = None
            if archetype == Archetype.ANCHOR:
                anchor = self.anchors[self.plan.anchor_ordinal[index] % len(self.anchors)]
            profile = draw_profile(rng, index, archetype, anchor, self.context)
            pid = f"P{index + 1:0{self.width}d}"
            facts, images = self.facts.rows(profile, pid)
            summary = None
            if self.notes:
                notes, summary = self.note_writer.write(note_rng, profile, pid)
                rows["notes.jsonl"] += notes
                counts.notes += len(notes)
            rows["patients.csv"].append(self.facts.patient_row(profile, pid))
            rows["facts.csv"] += facts
            rows["images.csv"] += images
            rows["answer_key.csv"].append(answer_row(profile, pid, summary))
            rows["image_key.csv"] += image_key_rows(profile, pid)
            counts.patients += 1
            counts.facts += len(facts)
            counts.images += len(images)
        return rows, counts


def _write_range(
    folder: Path,
    prefix: str,
    job: tuple[CohortPlan, int, bool],
    chunks: range,
    report: Callable[[int], None],
) -> Counts:
    writer = _ChunkWriter(*job)
    handles = {
        name: open(folder / f"{prefix}{name}", "a", encoding="utf-8", newline="", buffering=_BUFFER)  # noqa: SIM115
        for name in FILES
    }
    total = Counts()
    try:
        for number in chunks:
            rows, counts = writer.chunk(number)
            for name, lines in rows.items():
                handles[name].writelines(lines)
            total.add(counts)
            report(counts.patients)
    finally:
        for handle in handles.values():
            handle.close()
    return total


def _worker(
    folder: Path, prefix: str, job: tuple[CohortPlan, int, bool], chunks: range, queue: Any
) -> None:
    total = _write_range(folder, prefix, job, chunks, lambda n: queue.put(("progress", n)))
    queue.put(("done", total))


def _append(source: Path, target: Path) -> None:
    with open(source, "rb") as reader, open(target, "ab") as writer:
        size = os.fstat(reader.fileno()).st_size
        try:  # in-kernel copy where the platform has it
            while size > 0:
                copied = os.copy_file_range(reader.fileno(), writer.fileno(), size)
                if copied == 0:
                    break
                size -= copied
        except (AttributeError, OSError):
            reader.seek(os.fstat(reader.fileno()).st_size - size)
            shutil.copyfileobj(reader, writer, 16 << 20)


def _concatenate(folder: Path, prefixes: list[str]) -> None:
    for name in FILES:
        for prefix in prefixes:
            part = folder / f"{prefix}{name}"
            _append(part, folder / name)
            part.unlink()


def _parallel(
    folder: Path, job: tuple[CohortPlan, int, bool], chunks: int, progress: Callable[[int], None]
) -> Counts:
    workers = 2
    context: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    queue = context.Queue()
    bounds = [chunks * w // workers for w in range(workers + 1)]
    # The first worker appends to the final files directly; the others write shards.
    prefixes = ["", *(f".part{w}-" for w in range(1, workers))]
    processes = [
        context.Process(
            target=_worker, args=(folder, prefixes[w], job, range(bounds[w], bounds[w + 1]), queue)
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    total, finished, done = Counts(), 0, 0
    while done < workers:
        kind, value = queue.get()
        if kind == "progress":
            finished += value
            progress(finished)
        else:
            total.add(value)
            done += 1
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"demo generator worker failed (exit code {process.exitcode})")
    _concatenate(folder, prefixes[1:])
    return total


def write_rows(
    folder: Path, plan: CohortPlan, seed: int, notes: bool, progress: Callable[[int], None]
) -> Counts:
    """Write the five row files of a cohort into ``folder``.

    Parameters
    ----------
    folder
        Output directory (existing files of the same names are replaced).
    plan
        The cohort plan.
    seed
        Seed of every chunk's generators.
    notes
        Whether to write clinic letters and radiology reports.
    progress
        Called with the number of patients finished so far.

    Returns
    -------
    Counts
        Rows written per file.
    """
    for name, header in FILES.items():
        (folder / name).write_text(header, encoding="utf-8")
    chunks = -(-plan.patients // CHUNK)
    job = (plan, seed, notes)
    if plan.patients < _PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        finished = [0]

        def report(count: int) -> None:
            finished[0] += count
            progress(finished[0])

        return _write_range(folder, "", job, range(chunks), report)
    return _parallel(folder, job, chunks, progress)
