"""Instructions per note for the note extractor, counted by callgrind (load-independent).

Wall time on a shared machine says little about a small speed change; instructions do. This
script re-runs itself under ``valgrind --tool=callgrind --instr-atstart=no``; inside, it builds
the extractor, extracts one warm-up note, switches counting on (``callgrind_control -i on``),
extracts the SYNTHETIC demo notes once, switches counting off and prints the instructions per
note read from callgrind's output. Only the extraction loop is counted, so no setup run is
subtracted. ``PYTHONHASHSEED=0`` keeps set and dict order, and so the work, the same from run
to run::

    python benchmarks/notes_callgrind.py                 # 1,000 demo notes, seed 0
    python benchmarks/notes_callgrind.py --notes 300 --keep /tmp/cg.out   # keep the profile
    callgrind_annotate /tmp/cg.out | head -40            # where the instructions go

Needs valgrind (``apt-get install valgrind``). Compare two trees by running the script with
each tree's ``src`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_INSIDE = "CALCISCOPE_NOTES_CALLGRIND_INSIDE"


def _demo_texts(notes: int, seed: int) -> list[str]:
    from calciscope.datasets import generate_demo_cohort

    with tempfile.TemporaryDirectory() as folder:
        generate_demo_cohort(Path(folder), patients=max(100, notes // 2), seed=seed)
        lines = (Path(folder) / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[:notes]]
    if len(texts) < notes:
        raise SystemExit(f"the demo cohort gave {len(texts)} notes, fewer than {notes}")
    return texts


def _inside(notes: int, seed: int) -> None:
    """Run under callgrind: set up, then count only the extraction loop."""
    from calciscope.extract import NoteExtractor

    texts = _demo_texts(notes, seed)
    extractor = NoteExtractor()
    extractor.extract(texts[0])  # warm-up: lazy compilation and caches
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    mentions = 0
    for text in texts:
        mentions += len(extractor.extract(text))
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
    print(json.dumps({"notes": len(texts), "mentions": mentions}))


def _total_instructions(profile: Path) -> int:
    # "totals:" sums the cost lines; "summary:" can read 0 when counting starts switched off
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"{profile}: no 'totals:' line in callgrind's output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000, help="demo notes to extract")
    parser.add_argument("--seed", type=int, default=0, help="demo cohort seed")
    parser.add_argument("--keep", type=Path, default=None, help="keep callgrind's output here")
    args = parser.parse_args(argv)
    if os.environ.get(_INSIDE):
        _inside(args.notes, args.seed)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        profile = args.keep or Path(folder) / "callgrind.out"
        env = dict(os.environ, PYTHONHASHSEED="0", **{_INSIDE: "1"})
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={profile}", sys.executable, __file__,
            "--notes", str(args.notes), "--seed", str(args.seed),
        ]  # fmt: skip
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return run.returncode
        counts = json.loads([x for x in run.stdout.splitlines() if x.startswith("{")][-1])
        total = _total_instructions(profile)
    per_note = total / counts["notes"]
    version = re.sub(r"\s+", " ", sys.version.split()[0])
    print(
        f"notes {counts['notes']} (SYNTHETIC demo, seed {args.seed}), mentions "
        f"{counts['mentions']}, instructions {total:,}, per note {per_note:,.0f} "
        f"(Python {version}, PYTHONHASHSEED=0)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
