"""Benchmark note extraction: calciscope against medspaCy on the same synthetic demo notes.

Runs, alternately and each in its own process (so peak RSS is per tool): the raw floor (read
the notes and lowercase them), calciscope's extractor (targets + ConText + linking), and
medspaCy (TargetMatcher with calciscope's target rules + ConText with medspaCy's default rules)
in a separate virtual environment, since medspaCy pins numpy < 2 and must never be a
calciscope dependency. Prints documents/s, MB/s, peak RSS and the calciscope/medspaCy ratio.

Set up medspaCy once::

    python3 -m venv /work/venv-medspacy && /work/venv-medspacy/bin/pip install medspacy

Example::

    python benchmarks/notes.py --notes 20000 --medspacy-python /work/venv-medspacy/bin/python

Rates are given per wall-clock second and per CPU second of the measuring process (the latter
is steadier on a shared machine). medspaCy as shipped runs at about 10 documents/s, so 20,000
notes take it over half an hour; ``--medspacy-notes N`` runs it on the first N of the same notes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.open(encoding="utf-8")]


def run_floor(notes: Path) -> dict[str, object]:
    """Read the notes and lowercase them: the least any extractor must do."""
    start, cpu = time.perf_counter(), time.process_time()
    texts = _texts(notes)
    lowered = [t.lower() for t in texts]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = _result("floor (read + lowercase)", texts, seconds, 0, cpu)
    result["entities"] = "" if lowered else 0
    return result


def run_calciscope(notes: Path) -> dict[str, object]:
    """Extract mentions (targets, ConText, linking) from every note, in this process."""
    from calciscope.extract import NoteExtractor

    extractor = NoteExtractor()
    texts = _texts(notes)
    start, cpu = time.perf_counter(), time.process_time()
    mentions = [extractor.extract(text) for text in texts]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = _result("calciscope", texts, seconds, sum(len(m) for m in mentions), cpu)
    result["modified"] = sum(bool(x.modifiers) for m in mentions for x in m)
    return result


def _result(
    tool: str, texts: list[str], seconds: float, entities: int, cpu: float
) -> dict[str, object]:
    return {
        "tool": tool,
        "documents": len(texts),
        "bytes": sum(len(t.encode("utf-8")) for t in texts),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "entities": entities,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _subprocess(command: list[str]) -> dict[str, object]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _prepare(folder: Path, count: int) -> tuple[Path, Path]:
    from calciscope.datasets import generate_demo_cohort
    from calciscope.extract import load_rules

    notes = folder / "notes.jsonl"
    patients = max(100, count // 2)
    while True:
        generate_demo_cohort(folder / "demo", patients=patients, seed=0)
        lines = (folder / "demo" / "notes.jsonl").read_text(encoding="utf-8").splitlines()
        if len(lines) >= count:
            break
        patients = int(patients * 1.3 * count / max(1, len(lines))) + 1
    notes.write_text("\n".join(lines[:count]) + "\n", encoding="utf-8")
    rules = [
        {"literal": r.literal, "category": r.category,
         "pattern": list(r.pattern) if isinstance(r.pattern, tuple) else r.pattern}
        for r in load_rules().targets
    ]  # fmt: skip
    (folder / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    return notes, folder / "rules.json"


def _line(result: dict[str, object]) -> str:
    docs, seconds = float(result["documents"]), float(result["seconds"])  # type: ignore[arg-type]
    cpu = float(result["cpu_seconds"])  # type: ignore[arg-type]
    mb = float(result["bytes"]) / 1e6  # type: ignore[arg-type]
    return (
        f"{result['tool']:<28} {int(docs):>6} docs {docs / seconds:>9,.0f} docs/s "
        f"({docs / cpu:>9,.0f} per CPU-s) {mb / seconds:>7.2f} MB/s "
        f"{float(result['peak_rss_mb']):>7.0f} MB peak RSS  {result.get('entities') or '-'} mentions"  # type: ignore[arg-type]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="calciscope/floor runs (medspaCy runs once per variant)",
    )
    parser.add_argument("--medspacy-python", type=Path, default=None)
    parser.add_argument("--medspacy-variants", default="pyrush", help="comma list of pyrush,spacy")
    parser.add_argument(
        "--medspacy-notes", type=int, default=0,
        help="run medspaCy on the first N of the notes only (default: all); rates stay comparable",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--worker", choices=("floor", "calciscope"), help=argparse.SUPPRESS)
    parser.add_argument("--notes-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        runner = run_floor if args.worker == "floor" else run_calciscope
        print(json.dumps(runner(args.notes_file)))
        return 0
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="calciscope-notes-bench-"))
    notes, rules = _prepare(folder, args.notes)
    print(f"{args.notes:,} synthetic demo notes, {notes.stat().st_size / 1e6:.1f} MB, in {folder}")
    own = [sys.executable, str(Path(__file__).resolve()), "--notes-file", str(notes), "--worker"]
    runs: dict[str, list[dict[str, object]]] = {}
    variants = [v for v in args.medspacy_variants.split(",") if v]
    medspacy = args.medspacy_python
    if medspacy is None or not Path(medspacy).exists():
        print("medspaCy skipped: pass --medspacy-python (see the module docstring to set it up)")
        variants = []
    for index in range(max(args.rounds, len(variants) + 1)):
        for worker in ("floor", "calciscope"):
            if index < args.rounds:
                result = _subprocess([*own, worker])
                runs.setdefault(worker, []).append(result)
                print("  " + _line(result), flush=True)
        if index < len(variants):
            worker_py = str(HERE / "notes_medspacy_worker.py")
            command = [
                str(medspacy),
                worker_py,
                str(rules),
                str(notes),
                "--sentencizer",
                variants[index],
            ]
            result = _subprocess([*command, "--limit", str(args.medspacy_notes or 0)])
            runs.setdefault(str(result["tool"]), []).append(result)
            print("  " + _line(result), flush=True)
    _summary(runs)
    return 0


def _rate(result: dict[str, object], key: str = "seconds") -> float:
    return float(result["documents"]) / float(result[key])  # type: ignore[arg-type]


def _summary(runs: dict[str, list[dict[str, object]]]) -> None:
    print("\nmedian of runs:")
    best = {name: sorted(found, key=_rate)[len(found) // 2] for name, found in runs.items()}
    for result in best.values():
        print("  " + _line(result))
    ours, ours_cpu = _rate(best["calciscope"]), _rate(best["calciscope"], "cpu_seconds")
    for name, result in best.items():
        if name.startswith("medspaCy"):
            print(
                f"calciscope / {name}: {ours / _rate(result):.1f}x documents/s "
                f"({ours_cpu / _rate(result, 'cpu_seconds'):.1f}x per CPU-second)"
            )
    print(f"calciscope / floor: {ours / _rate(best['floor']):.3f} of the raw floor")
    print(f"(runs per tool: {', '.join(f'{k} {len(v)}' for k, v in runs.items())}; "
          f"median calciscope {statistics.median(_rate(r) for r in runs['calciscope']):,.0f} docs/s)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
