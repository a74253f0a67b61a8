"""Dump everything the note extractor outputs, to check that a speed change changes nothing.

Writes one JSON line per record (mentions with offsets, flags, modifiers and links; sections and
sentence spans; the imaging method; suggested facts; ``notes assess`` judgements) for: synthetic
demo notes, the hand-written evaluation sets, the NegEx dev file, and synthetic *mixtures* of
their sentences joined with random separators and case changes (edge cases for sentence and
section boundaries). Run it before and after a change and compare the files (or the digest it
prints)::

    python benchmarks/notes_outputs.py --out /tmp/before.jsonl
    ... change the code ...
    python benchmarks/notes_outputs.py --out /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl

All texts are synthetic or come from the project's own evaluation files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SEPARATORS = (" ", ". ", ".  ", "\n", "\n\n", "; ", ": ", ":\n", "\n- ", "\n1. ", ", ", ".\n")


def _texts(demo_notes: int, mixtures: int, seed: int) -> Iterator[tuple[str, dict[str, object]]]:
    """Yield ``(source, note record)``; records have at least ``text``."""
    from calciscope.datasets import generate_demo_cohort

    with tempfile.TemporaryDirectory() as folder:
        generate_demo_cohort(Path(folder), patients=max(100, demo_notes // 2), seed=0)
        lines = (Path(folder) / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    demo = [json.loads(line) for line in lines[:demo_notes]]
    for note in demo:
        yield "demo", note
    eval_dir = ROOT / "tests" / "extract" / "data" / "notes_eval"
    evaluation = [
        json.loads(line)
        for name in ("dev", "test")
        for line in (eval_dir / f"{name}.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    for doc in evaluation:
        yield "eval", {"text": doc["text"], "note_id": doc["id"]}
    for doc in _other_eval_sets(eval_dir):  # not mixed in below
        yield "eval", {"text": doc["text"], "note_id": doc["id"]}
    negex = _negex_rows()
    for row in negex:
        yield "negex-text", {"text": row["sentence"]}
    pieces = [s for d in evaluation for s in d["text"].split(". ")]
    pieces += [r["sentence"] for r in negex]
    pieces += [n["text"][:400] for n in demo[:300]]
    rng = random.Random(seed)
    for _ in range(mixtures):
        parts = []
        for _ in range(rng.randint(2, 8)):
            part = rng.choice(pieces)
            roll = rng.random()
            if roll < 0.1:
                part = part.upper()
            elif roll < 0.2:
                part = part.lower()
            elif roll < 0.25:
                part = part[rng.randint(0, max(0, len(part) - 1)) :]
            parts.append(part)
            parts.append(rng.choice(_SEPARATORS))
        yield "mixture", {"text": "".join(parts[:-1])}


def _other_eval_sets(eval_dir: Path) -> list[dict[str, str]]:
    """Return the documents of the evaluation sets other than dev and test."""
    return [
        json.loads(line)
        for path in sorted(eval_dir.glob("*.jsonl"))
        if path.stem not in ("dev", "test")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _negex_rows() -> list[dict[str, str]]:
    path = ROOT.parent / "shared" / "data" / "negex" / "negex_dev.tsv"
    if not path.is_file():
        return []
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--demo-notes", type=int, default=5000)
    parser.add_argument("--mixtures", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    from calciscope.extract import NoteExtractor
    from calciscope.extract.pipeline import note_facts
    from calciscope.model import Note

    extractor = NoteExtractor()
    counts = {"documents": 0, "mentions": 0, "facts": 0, "assessments": 0}
    with args.out.open("w", encoding="utf-8") as out:

        def write(record: dict[str, object]) -> None:
            out.write(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str) + "\n")

        for number, (source, note) in enumerate(_texts(args.demo_notes, args.mixtures, args.seed)):
            text = str(note["text"])
            counts["documents"] += 1
            sections = extractor.sections(text)
            write(
                {
                    "doc": number,
                    "source": source,
                    "sections": [
                        [s.start, s.end, s.category, s.rule, s.header_end] for s in sections
                    ],
                    "sentences": extractor.sentences(text, sections),
                    "imaging": extractor.imaging_method(text),
                }
            )
            for mention in extractor.extract(text):
                counts["mentions"] += 1
                write({"doc": number, "mention": mention.to_dict()})
            if source == "eval":  # evaluation reads radiology reports with their title
                for mention in extractor.extract(text, report=True):
                    write({"doc": number, "report_mention": mention.to_dict()})
            if "patient_id" in note:
                for fact in note_facts(Note(**note), extractor):
                    counts["facts"] += 1
                    write({"doc": number, "fact": fact.model_dump(mode="json")})
        for row in _negex_rows():
            counts["assessments"] += 1
            result = extractor.assess(row["Condition"], row["sentence"])
            write({"assess": [result.negation, result.temporality, result.experiencer,
                              list(result.modifiers)]})  # fmt: skip
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()) + f"; sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
