"""Benchmark: one patient's explanation, first call of a process and warm, with and without cached SQL.

Builds the SYNTHETIC demo registry (seed 0) on SQLite, then starts fresh processes that explain
patients with nothing stored (``api.explain_patient``: the patient's rows read, the feature row
and the classification with its explanation columns evaluated in memory). Each process prints
the CPU seconds (``time.process_time``) of its first explanation and of the next ones:

* ``cold``: an empty cache folder; the first explanation builds and compiles both
  expressions to SQL (what every process paid before the cache), and writes the cache;
* ``cached``: a new process over the folder the cold one wrote; the SQL is read.

The floor, measured in the same run, is the warm explanation (SQL compiled and prepared): the
ratios say how many warm explanations a first call costs.

Usage::

    python benchmarks/explain.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import datetime as dt, json, sqlite3, sys, time
from calciscope import api
url, db = sys.argv[1], sys.argv[2]
ids = [r[0] for r in sqlite3.connect(db).execute("SELECT patient_id FROM patients LIMIT 6")]
with api.open_registry(url) as registry:
    cpu = []
    for pid in ids:
        start = time.process_time()
        result = api.explain_patient(registry, pid, index_date=dt.date(2023, 12, 31))
        cpu.append(time.process_time() - start)
        assert result.source.value == "computed"
print(json.dumps({"first": cpu[0], "warm": sorted(cpu[1:])[len(cpu[1:]) // 2]}))
"""


def _child(url: str, db: Path, cache: Path) -> dict[str, float]:
    env = os.environ | {"CALCISCOPE_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(db)], env=env, check=True, capture_output=True
    )
    figures: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    from calciscope import api
    from calciscope.datasets import generate_demo_cohort

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate_demo_cohort(root / "demo", seed=0)
        db = root / "registry.db"
        with api.open_registry(f"sqlite:///{db}") as registry:
            api.import_directory(registry, root / "demo")
        for run in range(runs):
            cache = root / f"cache{run}"
            cold = _child(f"sqlite:///{db}", db, cache)
            cached = _child(f"sqlite:///{db}", db, cache)
            warm = (cold["warm"] + cached["warm"]) / 2
            print(
                f"run {run + 1}: first explanation {cold['first']:.2f} CPU-s cold "
                f"({cold['first'] / warm:.0f}x warm), {cached['first']:.2f} CPU-s from cached "
                f"SQL ({cached['first'] / warm:.0f}x warm); warm {warm * 1000:.0f} ms "
                f"(the floor); {cold['first'] / cached['first']:.1f}x less CPU with the cache"
            )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} CPUs); {time.strftime('%H:%M')}")


if __name__ == "__main__":
    main()
