"""Check that two source trees give the very same note-extraction output (a speed change's test).

Runs ``benchmarks/notes_outputs.py`` (this tree's copy, so both read the same inputs: the
SYNTHETIC demo notes, every ``tests/extract/data/notes_eval/*.jsonl`` set, the NegEx dev file in
``../shared/data/negex`` and the synthetic mixtures of their sentences) once with each tree's
``src`` first on ``PYTHONPATH``, each in its own process, and compares the two dumps line by
line: sections, sentences, imaging method, every mention's fields (spans, flags, modifiers,
links), the report-mode mentions, the suggested facts and the ``notes assess`` judgements::

    python benchmarks/notes_equality.py /work/main /work/wt/mybranch
    python benchmarks/notes_equality.py /work/main . --demo-notes 1000 --mixtures 1000

Prints the number of documents and records compared and the first difference, if any; exits
1 when the outputs differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _dump(tree: Path, out: Path, options: list[str]) -> str:
    """Run notes_outputs.py with ``tree/src`` first on the path; return its summary line."""
    env = dict(os.environ, PYTHONPATH=str(tree.resolve() / "src"), PYTHONHASHSEED="0")
    command = [sys.executable, str(HERE / "notes_outputs.py"), "--out", str(out), *options]
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{tree}: notes_outputs.py failed:\n{run.stderr[-3000:]}")
    return run.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="a source tree (holding src/calciscope)")
    parser.add_argument("after", type=Path, help="another source tree")
    parser.add_argument("--demo-notes", type=int, default=5000)
    parser.add_argument("--mixtures", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    options = ["--demo-notes", str(args.demo_notes), "--mixtures", str(args.mixtures)]
    options += ["--seed", str(args.seed)]
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / "before.jsonl", Path(folder) / "after.jsonl"]
        summaries = [
            _dump(tree, path, options)
            for tree, path in zip((args.before, args.after), paths, strict=True)
        ]
        for tree, summary in zip((args.before, args.after), summaries, strict=True):
            print(f"{tree}: {summary}")
        before, after = (p.read_text(encoding="utf-8").splitlines() for p in paths)
    documents = sum("sections" in json.loads(line) for line in before)
    for number, (a, b) in enumerate(zip(before, after, strict=False), 1):
        if a != b:
            print(f"DIFFERENT at record {number}:\n  before: {a[:600]}\n  after:  {b[:600]}")
            return 1
    if len(before) != len(after):
        print(f"DIFFERENT: {len(before):,} records before, {len(after):,} after")
        return 1
    print(f"identical: {documents:,} documents, {len(before):,} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
