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
    python benchmarks/notes.py --notes 5000 --rounds 2 --jobs 2

Rates are given per wall-clock second and per CPU second of the measuring process (the latter
is steadier on a shared machine), beside two floors measured in the same run: read + lowercase,
and read + lowercase + a regex split into sentences. ``--jobs 2`` also runs the floors, the
extractor and a ``notes extract`` worker's job (notes to suggested-fact rows) in two processes at
once, each on half of the notes; the load average is printed first. ``--extract-command`` also
times the whole ``notes extract --jobs N`` on an SQLite registry of the same demo cohort
(wall time, the parent's CPU per note, the workers' CPU read from /proc) beside its floor: the CPU
SQLite needs to insert the same rows with one ``executemany`` on a fresh copy. medspaCy as shipped runs at about 10 documents/s, so 20,000
notes take it over half an hour; ``--medspacy-notes N`` runs it on the first N of the same notes.
The demo letters repeat template sentences (each run prints the share of sentences seen
before); ``--unique`` makes every sentence unique first, so that no figure owes anything to
that repetition.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


_SPLIT = re.compile(r"[.!?;]\s+|\n")


def run_floor(notes: Path, part: int = 0, parts: int = 1) -> dict[str, object]:
    """Read the notes and lowercase them: the least any extractor must do."""
    start, cpu, began = time.perf_counter(), time.process_time(), time.time()
    texts = _texts(notes)[part::parts]
    lowered = [t.lower() for t in texts]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = _result("floor (read + lowercase)", texts, seconds, 0, cpu, began)
    result["entities"] = "" if lowered else 0
    return result


def run_floor_split(notes: Path, part: int = 0, parts: int = 1) -> dict[str, object]:
    """Read, lowercase and regex-split the notes into sentences: a floor with one scan."""
    start, cpu, began = time.perf_counter(), time.process_time(), time.time()
    texts = _texts(notes)[part::parts]
    pieces = sum(len(_SPLIT.split(t.lower())) for t in texts)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = _result("floor (+ regex split)", texts, seconds, 0, cpu, began)
    result["entities"] = "" if pieces else 0
    return result


def run_calciscope(notes: Path, part: int = 0, parts: int = 1) -> dict[str, object]:
    """Extract mentions (targets, ConText, linking) from every note, in this process."""
    from calciscope.extract import NoteExtractor

    extractor = NoteExtractor()
    texts = _texts(notes)[part::parts]
    start, cpu, began = time.perf_counter(), time.process_time(), time.time()
    mentions = [extractor.extract(text) for text in texts]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = _result("calciscope", texts, seconds, sum(len(m) for m in mentions), cpu, began)
    result["modified"] = sum(bool(x.modifiers) for m in mentions for x in m)
    return result


def run_fact_rows(notes: Path, part: int = 0, parts: int = 1) -> dict[str, object]:
    """Notes to suggested-fact columns in batches of 500: a ``notes extract`` worker's job."""
    import datetime as dt

    from calciscope.extract.pipeline import extractor_for, fact_values_for_notes

    extractor_for()
    records = [json.loads(line) for line in notes.read_text(encoding="utf-8").splitlines()]
    batch = [
        (r["note_id"], r["patient_id"], r["note_type"],
         dt.date.fromisoformat(r["note_date"]) if r.get("note_date") else None, r["text"])
        for r in records[part::parts]
    ]  # fmt: skip
    start, cpu, began = time.perf_counter(), time.process_time(), time.time()
    rows = 0
    for first in range(0, len(batch), 500):
        rows += len(fact_values_for_notes(batch[first : first + 500])[1])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return _result("calciscope -> fact rows", [n[4] for n in batch], seconds, rows, cpu, began)


def _descendants_cpu(seen: dict[int, tuple[int, float]]) -> None:
    """Record ``pid: (depth, CPU seconds so far)`` of every descendant process (Linux).

    Depth 1 is a child (the fork server, the resource tracker), depth 2 a grandchild (a
    worker forked by the fork server).
    """
    tick = os.sysconf("SC_CLK_TCK")
    todo = [(os.getpid(), 0)]
    while todo:
        pid, depth = todo.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            todo.append((child, depth + 1))
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick
            seen[child] = (depth + 1, max(seen.get(child, (0, 0.0))[1], cpu))


def run_extract_command(registry_db: Path, jobs: int, chunk: int) -> dict[str, object]:
    """``notes extract --jobs N`` on a copy of a demo registry, through the api, timed.

    Returns wall time, the CPU of this (the parent) process and that of its workers (read
    from /proc every 0.1 s while it runs), and the notes and facts it wrote.
    """
    import shutil
    import threading

    from calciscope import api
    from calciscope.api import notes as notes_api

    work = registry_db.with_name("extract-run.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(registry_db, work)
    registry = api.open_registry(f"sqlite:///{work}")
    seen: dict[int, tuple[int, float]] = {}
    done = threading.Event()
    watching = [0.0]  # the watcher's own CPU, left out of the parent's

    def watch() -> None:
        began = time.thread_time()
        while not done.wait(0.1):
            _descendants_cpu(seen)
        watching[0] = time.thread_time() - began

    watcher = threading.Thread(target=watch, daemon=True)
    load = os.getloadavg()[0]
    start, cpu, began = time.perf_counter(), time.process_time(), time.time()
    watcher.start()
    summary = notes_api.extract_notes(registry, jobs=jobs, chunk=chunk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    done.set()
    watcher.join()
    cpu -= watching[0]
    registry.close()
    floor = _insert_floor(registry_db, work)
    return {
        "tool": f"notes extract --jobs {jobs}", "began": began, "ended": began + seconds,
        "documents": summary.notes, "bytes": 0, "seconds": seconds, "cpu_seconds": cpu,
        "worker_cpu_seconds": sum(c for d, c in seen.values() if d > 1),
        "workers": sum(d > 1 for d, _ in seen.values()),
        "helper_cpu_seconds": sum(c for d, c in seen.values() if d == 1),
        "entities": summary.facts,
        "peak_rss_mb": _peak_rss_mb(), "load": load, "insert_floor_cpu_seconds": floor,
    }  # fmt: skip


def _insert_floor(registry_db: Path, extracted: Path) -> float:
    """CPU seconds SQLite itself needs to insert the note facts ``notes extract`` wrote.

    The floor of the parent's work: the very rows (the same primary keys, in the order they
    were written) go, as ready tuples of stored values, to ``executemany`` of the same
    ``INSERT ... ON CONFLICT (fact_id) DO NOTHING`` on a fresh copy of the registry, in
    transactions of the same size, with the same page cache and pragmas (WAL, synchronous
    NORMAL).
    """
    import shutil
    import sqlite3

    from calciscope.api import notes as notes_api
    from calciscope.extract.facts import ROW_COLUMNS

    with sqlite3.connect(extracted) as source:
        rows = source.execute(
            f"SELECT {', '.join(ROW_COLUMNS)} FROM facts WHERE source_kind = 'note' ORDER BY rowid"
        ).fetchall()
    fresh = registry_db.with_name("insert-floor.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{fresh}{suffix}").unlink(missing_ok=True)
    shutil.copy(registry_db, fresh)
    conn = sqlite3.connect(fresh, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    # SQLite's own insert into the facts table (its key and indexes), without migration 0008's
    # per-row generation trigger, which the bulk writer also takes out for its batches
    conn.execute("DROP TRIGGER IF EXISTS facts_generation_insert")
    sql = (
        f"INSERT INTO facts ({', '.join(ROW_COLUMNS)}) VALUES "
        f"({', '.join('?' for _ in ROW_COLUMNS)}) ON CONFLICT (fact_id) DO NOTHING"
    )
    size = notes_api._WRITE_ROWS
    cpu = time.process_time()
    for first in range(0, len(rows), size):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA cache_size = -65536")  # as Registry.add_fact_values
        conn.executemany(sql, rows[first : first + size])
        conn.execute("COMMIT")
    cpu = time.process_time() - cpu
    conn.close()
    return cpu


_WORKERS = {
    "floor": run_floor,
    "floor-split": run_floor_split,
    "calciscope": run_calciscope,
    "fact-rows": run_fact_rows,
}


def _result(
    tool: str, texts: list[str], seconds: float, entities: int, cpu: float, began: float = 0.0
) -> dict[str, object]:
    return {
        "tool": tool,
        "began": began,
        "ended": began + seconds,
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


def _prepare(folder: Path, count: int, *, unique: bool = False) -> tuple[Path, Path]:
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
    if unique:
        _make_unique(notes)
    rules = [
        {"literal": r.literal, "category": r.category,
         "pattern": list(r.pattern) if isinstance(r.pattern, tuple) else r.pattern}
        for r in load_rules().targets
    ]  # fmt: skip
    (folder / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    return notes, folder / "rules.json"


_INNER_END = re.compile(r"[.;!?](?=\s)")


def _make_unique(notes: Path) -> None:
    """Rewrite the notes so that no sentence repeats: a numbered token before each end."""
    count = 0

    def token() -> str:
        nonlocal count
        count += 1
        return f" u{count}"

    def unique(line: str) -> str:
        body = line.rstrip()
        if not body:
            return line
        end = body[-1] if body[-1] in ".;!?" else ""
        inner = _INNER_END.sub(lambda m: token() + m.group(), body[: len(body) - len(end)])
        return inner + token() + end + line[len(body) :]

    records = [json.loads(line) for line in notes.read_text(encoding="utf-8").splitlines()]
    for record in records:
        record["text"] = "\n".join(unique(line) for line in record["text"].split("\n"))
    notes.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _repeated_share(notes: Path) -> float:
    """Return the share of sentences (a regex split) whose text occurred earlier in the notes."""
    seen: set[str] = set()
    total = repeated = 0
    for text in _texts(notes):
        for piece in _SPLIT.split(text):
            if piece.strip():
                total += 1
                repeated += piece in seen
                seen.add(piece)
    return repeated / max(1, total)


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
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="also run floor, calciscope and fact rows in this many processes at once",
    )  # fmt: skip
    parser.add_argument(
        "--extract-command", action="store_true",
        help="also time `notes extract --jobs N` (N = --jobs) on a registry of the demo cohort",
    )  # fmt: skip
    parser.add_argument(
        "--unique", action="store_true",
        help="make every sentence of the notes unique (a numbered token before each sentence "
        "end), so no rate gains from the demo generator's repeated template sentences "
        "(not the --extract-command registry)",
    )  # fmt: skip
    parser.add_argument("--worker", choices=(*_WORKERS, "extract-command"), help=argparse.SUPPRESS)
    parser.add_argument("--notes-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--part", default="0/1", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_run_worker(args)))
        return 0
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="calciscope-notes-bench-"))
    notes, rules = _prepare(folder, args.notes, unique=args.unique)
    print(f"{args.notes:,} synthetic demo notes, {notes.stat().st_size / 1e6:.1f} MB, in {folder}")
    print(f"sentences seen before in the notes: {_repeated_share(notes):.1%}")
    own = [sys.executable, str(Path(__file__).resolve()), "--notes-file", str(notes), "--worker"]
    runs: dict[str, list[dict[str, object]]] = {}
    variants = [v for v in args.medspacy_variants.split(",") if v]
    medspacy = args.medspacy_python
    if medspacy is None or not Path(medspacy).exists():
        print("medspaCy skipped: pass --medspacy-python (see the module docstring to set it up)")
        variants = []
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine)")
    for index in range(max(args.rounds, len(variants) + 1)):
        for worker in ("floor", "floor-split", "calciscope"):
            if index < args.rounds:
                result = _subprocess([*own, worker])
                runs.setdefault(worker, []).append(result)
                print("  " + _line(result), flush=True)
        for worker in ("floor", "floor-split", "calciscope", "fact-rows"):
            if index < args.rounds and args.jobs > 1:
                result = _parallel(own, worker, args.jobs)
                runs.setdefault(f"{worker} x{args.jobs}", []).append(result)
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
    if args.extract_command:
        _extract_command_runs(folder, args.rounds, args.jobs, runs)
    return 0


def _run_worker(args: argparse.Namespace) -> dict[str, object]:
    if args.worker == "extract-command":
        return run_extract_command(args.notes_file, args.jobs, 500)
    part, parts = (int(x) for x in args.part.split("/"))
    return _WORKERS[args.worker](args.notes_file, part, parts)


def _extract_command_runs(
    folder: Path, rounds: int, jobs: int, runs: dict[str, list[dict[str, object]]]
) -> None:
    """Time the whole ``notes extract`` command on a registry of the demo cohort."""
    from calciscope import api

    registry_db = folder / "registry.db"
    if not registry_db.exists():
        registry = api.open_registry(f"sqlite:///{registry_db}")
        api.import_directory(registry, folder / "demo")
        registry.close()
    command = [sys.executable, str(Path(__file__).resolve()), "--notes-file", str(registry_db)]
    print(f"\nnotes extract on {registry_db} (SQLite), {rounds} runs:")
    results = []
    for _ in range(rounds):
        result = _subprocess([*command, "--jobs", str(jobs), "--worker", "extract-command"])
        results.append(result)
        docs, wall = float(result["documents"]), float(result["seconds"])  # type: ignore[arg-type]
        parent, workers = float(result["cpu_seconds"]), float(result["worker_cpu_seconds"])  # type: ignore[arg-type]
        floor = float(result["insert_floor_cpu_seconds"])  # type: ignore[arg-type]
        per_worker = docs / workers if workers else float("nan")
        print(
            f"  {result['tool']}: {int(docs):,} notes, {int(result['entities']):,} facts "  # type: ignore[call-overload]
            f"in {wall:.1f} s wall = {docs / wall:,.0f} docs/s; parent CPU {parent:.2f} s = "
            f"{parent / docs * 1e6:.0f} us/note; {result['workers']} workers {workers:.2f} CPU-s "
            f"= {per_worker:,.0f} docs per worker CPU-s (fork server "
            f"{float(result['helper_cpu_seconds']):.2f} CPU-s: it imports calciscope); "  # type: ignore[arg-type]
            f"parent + workers {docs / (parent + workers):,.0f} docs per CPU-s; "
            f"SQLite insert floor {floor / docs * 1e6:.0f} us/note (parent / floor "
            f"{parent / floor:.2f}); load {float(result['load']):.1f}",  # type: ignore[arg-type]
            flush=True,
        )
    floor = runs.get(f"floor-split x{jobs}") or runs.get("floor-split")
    if floor:
        best = sorted(floor, key=_rate)[len(floor) // 2]
        mid = sorted(results, key=_rate)[len(results) // 2]
        total = float(mid["cpu_seconds"]) + float(mid["worker_cpu_seconds"])  # type: ignore[arg-type]
        print(
            f"notes extract / floor-split: {_rate(mid) / _rate(best):.3f} wall, "
            f"{float(mid['documents']) / total / _rate(best, 'cpu_seconds'):.3f} per CPU-second"  # type: ignore[arg-type]
        )


def _parallel(own: list[str], worker: str, jobs: int) -> dict[str, object]:
    """Run a worker in ``jobs`` processes at once, each on its share of the notes.

    Wall-clock time is from the first process starting its timed work to the last one
    finishing (process start-up and rule loading are left out, as in the one-process runs);
    CPU time is summed over the processes.
    """
    procs = [
        subprocess.Popen([*own, worker, "--part", f"{k}/{jobs}"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for k in range(jobs)
    ]  # fmt: skip
    parts = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"{worker} worker failed:\n{err[-3000:]}")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    began = min(float(p["began"]) for p in parts)  # type: ignore[arg-type]
    ended = max(float(p["ended"]) for p in parts)  # type: ignore[arg-type]
    total = {k: sum(p[k] for p in parts) for k in ("documents", "bytes", "cpu_seconds")}  # type: ignore[misc]
    return {
        "tool": f"{parts[0]['tool']} x{jobs} processes",
        **total,
        "seconds": ended - began,
        "entities": sum(int(p["entities"] or 0) for p in parts),  # type: ignore[call-overload]
        "peak_rss_mb": max(float(p["peak_rss_mb"]) for p in parts),  # type: ignore[arg-type]
    }


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
    for floor in ("floor", "floor-split"):
        print(f"calciscope / {floor}: {ours / _rate(best[floor]):.3f} wall, "
              f"{ours_cpu / _rate(best[floor], 'cpu_seconds'):.3f} per CPU-second")  # fmt: skip
    for name in ("calciscope", "fact-rows"):
        key = next((k for k in best if k.startswith(f"{name} x")), None)
        if key is not None:
            jobs = key.split(" x")[1]
            floor = best[f"floor-split x{jobs}"]
            print(f"{key}: {_rate(best[key]):,.0f} docs/s wall, "
                  f"{_rate(best[key], 'cpu_seconds'):,.0f} per CPU-s; / floor-split x{jobs} "
                  f"{_rate(best[key]) / _rate(floor):.3f} wall")  # fmt: skip
    print(f"(runs per tool: {', '.join(f'{k} {len(v)}' for k, v in runs.items())}; "
          f"median calciscope {statistics.median(_rate(r) for r in runs['calciscope']):,.0f} docs/s)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
