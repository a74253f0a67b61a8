"""Benchmark the synthetic demo cohort generator.

Prints wall time, patients/s, rows written per file and peak RSS (this process and its
children). Example::

    python benchmarks/demo_data.py --patients 1000000 --no-notes --out /tmp/demo1m
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from calciscope.datasets import generate_demo_cohort


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--notes", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: temporary, removed)"
    )
    args = parser.parse_args(argv)
    folder = args.out or Path(tempfile.mkdtemp(prefix="calciscope-demo-"))
    cpu = _cpu_seconds()
    start = time.perf_counter()
    manifest = generate_demo_cohort(
        folder, patients=args.patients, seed=args.seed, notes=args.notes
    )
    wall = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    own, children = _peak_rss_mb()
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e9
    rows = manifest.patients + manifest.facts + manifest.notes + manifest.images
    print(f"patients        {manifest.patients:>14,}")
    print(f"facts           {manifest.facts:>14,}")
    print(f"notes           {manifest.notes:>14,}")
    print(f"images          {manifest.images:>14,}")
    print(f"rows written    {rows + manifest.patients:>14,} (incl. answer key)")
    print(f"bytes written   {size:>14.2f} GB")
    print(f"notes           {'yes' if args.notes else 'no':>14}")
    print(f"wall time       {wall:>14.1f} s")
    print(f"CPU time        {cpu:>14.1f} s (all processes)")
    print(f"patients/s      {manifest.patients / wall:>14,.0f}")
    print(f"peak RSS        {own:>11.0f} MB (parent), {children:.0f} MB (largest child)")
    if args.out is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
