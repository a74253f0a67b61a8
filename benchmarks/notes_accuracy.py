"""Accuracy of note extraction: hand-written document sets, NegEx/ConText kit, demo cohort.

The document sets are tests/extract/data/notes_eval/dev.jsonl (rules were tuned on it),
test.jsonl (written before tuning, scored only at the end), heldout.jsonl (written before the
extractor saw it; its first score is the held-out figure), fresh.jsonl, fresh2.jsonl,
fresh3.jsonl to fresh27.jsonl (each written before the extractor saw it, scored once
untouched, then the fixes of its round) and apart30.jsonl (notesacc30's held-apart check); see
the README there. The NegEx file in ../shared/data is the development half of the test kit.
The same figures are asserted (with a small margin) by tests/extract/test_accuracy.py.
Example::

    python benchmarks/notes_accuracy.py --errors dev
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from calciscope.api import evaluate_demo_notes, evaluate_negex

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED_NEGEX = {
    "precision": 0.984,
    "recall": 0.978,
}  # Chapman et al. test kit (genConText README)


def _negex(path: Path) -> None:
    s = evaluate_negex(path)
    print(f"NegEx/ConText test kit: {path} ({s.n} sentences)")
    print(f"  negation: TP {s.tp}  FP {s.fp}  FN {s.fn}  TN {s.tn}")
    print(f"  precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}"
          f"  (published NegEx: precision {PUBLISHED_NEGEX['precision']}, recall {PUBLISHED_NEGEX['recall']})")  # fmt: skip
    print(
        f"  temporality accuracy {s.temporality_accuracy:.3f}  experiencer accuracy {s.experiencer_accuracy:.3f}"
    )


def _negex_mixed(path: Path, extra: list[Path]) -> None:
    """Score the NegEx file with the packaged ConText rules alone and mixed with ``extra``."""
    import csv
    import warnings

    from calciscope.extract import NoteExtractor, load_rules
    from calciscope.extract.evaluation import read_label_rows, score_assessments

    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    gold = read_label_rows(rows)
    for label, files in (
        ("packaged rules", []),
        ("packaged + " + ", ".join(p.name for p in extra), extra),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = load_rules(extra_context=files)
        extractor = NoteExtractor(rules)
        s = score_assessments(gold, [extractor.assess(r["Condition"], r["sentence"]) for r in rows])
        print(f"  {label}: negation precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}"
              f"  ({len(rules.notices)} clashing phrases dropped)")  # fmt: skip


def _medspacy_negex(path: Path, python: Path) -> None:
    import csv

    from calciscope.extract import Assessment
    from calciscope.extract.evaluation import read_label_rows, score_assessments

    worker = Path(__file__).resolve().parent / "notes_medspacy_negex.py"
    done = subprocess.run(
        [str(python), str(worker), str(path)], capture_output=True, text=True, check=True
    )
    predicted = [Assessment(*line.split("\t")) for line in done.stdout.splitlines() if line.strip()]
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        gold = read_label_rows(list(csv.DictReader(handle, delimiter="\t")))
    s = score_assessments(gold, predicted)
    print("  medspaCy 1.3 ConText (default rules, PyRuSH sentences) on the same file:")
    print(f"    negation: TP {s.tp}  FP {s.fp}  FN {s.fn}  TN {s.tn}  precision {s.precision:.3f}"
          f"  recall {s.recall:.3f}  F1 {s.f1:.3f}")  # fmt: skip
    print(
        f"    temporality accuracy {s.temporality_accuracy:.3f}  experiencer accuracy {s.experiencer_accuracy:.3f}"
    )


def _documents(name: str, path: Path, show_errors: bool) -> None:
    from calciscope.extract import NoteExtractor
    from calciscope.extract.evaluation import score_documents, summarise_document

    docs = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    extractor = NoteExtractor()
    s = score_documents(
        docs,
        [
            summarise_document(extractor.extract(d["text"], report=d["kind"] == "radiology"))
            for d in docs
        ],
    )
    print(f"Document set {name}: {path.name} ({s.n} documents, {s.affirmed} with calcinosis)")
    print(f"  calcinosis status accuracy {s.status_accuracy:.3f}  ({s.status_correct}/{s.n})")
    print(f"  morphology exact {s.morphology_accuracy:.3f}  regions exact {s.regions_exact:.3f}"
          f"  (of {s.affirmed} affirmed)")  # fmt: skip
    print(f"  sheet-like found {s.sheet_recall:.3f} ({s.sheet_found}/{s.sheet_gold})"
          f"  false sheet-like {s.sheet_false}")  # fmt: skip
    print(f"  subset accuracy {s.subset_correct / s.n:.3f}  myositis accuracy {s.myositis_correct / s.n:.3f}"
          f"  chest reports with calcinosis facts {s.chest_calcinosis_facts}")  # fmt: skip
    if show_errors:
        for doc, field, gold, pred in s.errors:
            print(f"    {doc} {field}: gold {gold} predicted {pred}")


def _demo(patients: int | None, seed: int) -> None:
    from calciscope.datasets import generate_demo_cohort

    with tempfile.TemporaryDirectory() as folder:
        manifest = generate_demo_cohort(folder, patients=patients, seed=seed)
        s = evaluate_demo_notes(Path(folder) / "notes.jsonl", Path(folder) / "answer_key.csv")
    print(
        f"Synthetic demo cohort (seed {seed}): {manifest.patients} patients, {manifest.notes} notes"
    )
    for name, (p, r, f) in (("calcinosis present", s.present), ("calcinosis absent", s.absent),
                            ("morphology", s.morphology)):  # fmt: skip
        print(f"  {name:<20} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    print(
        f"  patient status accuracy {s.status_accuracy:.3f}  morphology accuracy {s.morphology_accuracy:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--negex", type=Path, default=ROOT.parent / "shared" / "data" / "negex" / "negex_dev.tsv"
    )
    parser.add_argument(
        "--eval-dir", type=Path, default=ROOT / "tests" / "extract" / "data" / "notes_eval"
    )
    parser.add_argument(
        "--errors", default="dev", help="list the errors of these sets (comma list; 'none')"
    )
    parser.add_argument(
        "--sets",
        default="dev,test,heldout,fresh,fresh2,fresh3,fresh4,fresh5,fresh6,fresh7,fresh8,fresh9,fresh10,fresh11,fresh12,fresh13,fresh14,fresh15,fresh16,fresh17,fresh18,fresh19,fresh20,fresh21,apart30,fresh22,fresh23,fresh24,fresh25,fresh26,fresh27",
        help="document sets to score",
    )
    parser.add_argument(
        "--context-rules", type=Path, action="append", default=[],
        help="medspaCy context_rules JSON to mix in: NegEx is scored with and without it",
    )  # fmt: skip
    parser.add_argument("--patients", type=int, default=None)
    parser.add_argument("--seeds", default="0", help="comma list of demo seeds")
    parser.add_argument(
        "--medspacy-python", type=Path, default=None, help="also score medspaCy on NegEx"
    )
    args = parser.parse_args(argv)
    for name in args.sets.split(","):
        path = args.eval_dir / f"{name}.jsonl"
        if path.is_file():
            _documents(name, path, name in args.errors.split(","))
    if args.negex.is_file():
        _negex(args.negex)
        if args.context_rules:
            _negex_mixed(args.negex, args.context_rules)
        if args.medspacy_python is not None and args.medspacy_python.exists():
            _medspacy_negex(args.negex, args.medspacy_python)
    else:
        print(f"NegEx test kit not found at {args.negex}; skipped")
    for seed in (int(s) for s in args.seeds.split(",")):
        _demo(args.patients, seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
