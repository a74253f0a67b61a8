"""Time the note extractor on documents with thousands of bare calcinosis findings.

A calcinosis that names no site looks back over the sentences before it for described deposits
(``extract/restate/described_before.py``). This benchmark guards against that search growing
with the square of the document: it times ``"Calcinosis. " * n`` (SYNTHETIC) and prints, for
each ``n``, the seconds and the ratio to ``n / n0`` times the seconds of the smallest ``n0``
(about 1 when the cost is linear; 4 at four times the size would be quadratic). Best of
``--repeat`` runs each; the load average is printed, since the machine may be shared. It also
times one sentence holding many mentions and modifiers (ConText and attribute linking within a
sentence): ``"Ca++ nodules, nil discharge " * n`` and ``"Calcinosis" + "-ve " * n``::

    PYTHONPATH=src python benchmarks/notes_many_findings.py
"""

from __future__ import annotations

import argparse
import os
import time

from calciscope.extract import NoteExtractor


def _best(extractor: NoteExtractor, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        extractor.extract(text)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--sentence-sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    extractor = NoteExtractor()
    extractor.extract("Calcinosis.")  # load the rules outside the timing
    cases = [
        ("'Calcinosis. ' x {n}", lambda n: "Calcinosis. " * n, args.sizes),
        (
            "'Ca++ nodules, nil discharge ' x {n} (one sentence)",
            lambda n: "Ca++ nodules, nil discharge " * n,
            args.sentence_sizes,
        ),
        ("'Calcinosis' + '-ve ' x {n}", lambda n: "Calcinosis" + "-ve " * n, args.sentence_sizes),
    ]
    for label, make, sizes in cases:
        floor = None
        for n in sorted(sizes):
            seconds = _best(extractor, make(n), args.repeat)
            if floor is None:
                floor = seconds / n
            ratio = seconds / (floor * n)
            print(f"{label.format(n=n)}: {seconds:.3f} s  ratio to linear {ratio:.2f}")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
