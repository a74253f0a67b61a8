"""Benchmark: the resident memory of a study's driver and Spark's JVM, step by step (issue 16).

Runs the default study (``api.run_study``) on one database URL in this process and samples,
every 0.05 s, this process's resident memory (the Python driver) and its descendants' (on
``spark://local``, the JVM that runs the queries). Each of the study's steps (the counts, the
sensitivity analyses' cases, the body map, the release before the read back, the source
population's read back, the report's facts, the analysis, the report) is timed and given the
driver's and the JVM's resident memory when it started and ended and the most sampled while
it ran, with the most the two held together. Also prints the source population's rows in
pandas (``memory_usage(deep=True)``) and their columns.

Usage::

    python benchmarks/study_memory_steps.py duckdb:///registry.duckdb
    python benchmarks/study_memory_steps.py 'spark://local?warehouse=registry.warehouse'

The registries of ``benchmarks/scale_study.py --replicate-from`` (in its ``--cache``) serve.
Every patient there is synthetic.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# the benchmarks folder is on the path when this runs as a script
from scale_study import _descendants, _rss_mb


class Sampler:
    """The driver's and its descendants' resident memory, sampled in a thread, by step."""

    def __init__(self) -> None:
        self.step = "start"
        self.kids: list[int] = []
        self.rows: dict[str, dict[str, float]] = {}
        self.last = (0.0, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> tuple[float, float]:
        driver = _rss_mb(os.getpid())
        jvm = sum(_rss_mb(pid) for pid in self.kids)
        row = self.rows.setdefault(self.step, {"driver": 0.0, "jvm": 0.0, "together": 0.0})
        row["driver"] = max(row["driver"], driver)
        row["jvm"] = max(row["jvm"], jvm)
        row["together"] = max(row["together"], driver + jvm)
        self.last = (driver, jvm)
        return driver, jvm

    def _run(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            if ticks % 20 == 0:
                self.kids = _descendants(os.getpid())
            self._sample()
            ticks += 1
            time.sleep(0.05)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def wrap(self, owner: Any, name: str, step: str) -> None:
        """Count the time in ``owner.name`` as ``step`` (its start, end and highest memory)."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer, self.step = self.step, step
            self.kids = _descendants(os.getpid())
            before, start = self._sample(), time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                after = self._sample()
                row = self.rows[step]
                row.update(
                    seconds=row.get("seconds", 0.0) + time.perf_counter() - start,
                    driver_start=before[0],
                    jvm_start=before[1],
                    driver_end=after[0],
                    jvm_end=after[1],
                )
                self.step = outer

        setattr(owner, name, timed)


def main() -> None:
    """Run the default study on ``sys.argv[1]`` and print the memory of each step."""
    from calciscope import api
    from calciscope.api import _study_readback, study
    from calciscope.engine.study import StudyQuery
    from calciscope.study import default_study

    url = sys.argv[1]
    sampler = Sampler()
    for name in ("counts", "variant_cases", "bodymap_counts", "report_facts"):
        sampler.wrap(StudyQuery, name, name)
    sampler.wrap(_study_readback, "release_file_buffers", "release before/after reads")
    sampler.wrap(study, "_analyse", "analyse")
    sampler.wrap(_study_readback._ReadBack, "write_report", "report")
    population = StudyQuery.population
    frames: list[Any] = []

    def read(self: StudyQuery, columns: Any = None) -> Any:
        frames.append(population(self, columns))
        return frames[-1]

    StudyQuery.population = read  # type: ignore[method-assign]
    sampler.wrap(StudyQuery, "population", "population read back")
    sampler.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        run = api.run_study(default_study(), url, out=Path(out) / "report")
    wall = time.perf_counter() - start
    sampler.stop()
    h = run.headline
    print(f"{url}: study {wall:.1f} s; population {h.source_population:,}, cases {h.cases:,}")
    print(
        f"{'step':<28} {'s':>7} {'driver start/end/peak MB':>26} {'JVM start/end/peak MB':>24}"
        f" {'together peak':>13}"
    )
    for step, r in sampler.rows.items():
        driver = f"{r.get('driver_start', 0):.0f}/{r.get('driver_end', 0):.0f}/{r['driver']:.0f}"
        jvm = f"{r.get('jvm_start', 0):.0f}/{r.get('jvm_end', 0):.0f}/{r['jvm']:.0f}"
        print(
            f"{step:<28} {r.get('seconds', 0):>7.1f} {driver:>26} {jvm:>24} {r['together']:>13.0f}"
        )
    rows = frames[0]
    usage = rows.memory_usage(deep=True, index=False)
    print(
        f"source population rows in pandas: {usage.sum() / 2**20:.1f} MB, {len(rows):,} rows, "
        f"{len(rows.columns)} columns"
    )
    for column, size in usage.sort_values(ascending=False).items():
        print(f"  {column:<40} {rows[column].dtype!s:<10} {size / 2**20:8.2f} MB")


if __name__ == "__main__":
    main()
