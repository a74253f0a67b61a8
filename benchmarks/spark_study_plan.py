"""Diagnose the default study on Spark local: the plans of its cached tables and their stages.

On a Spark registry (a ``spark://local?warehouse=...`` URL, such as the SYNTHETIC warehouse
``benchmarks/scale_study.py --engines spark`` builds in its cache), builds the default study's
query (the feature table, the classified table and the annotated table the study caches) and
prints, for each cached table, Spark's physical plan before anything runs (``--explain``),
or runs the study's registry-wide counts (the first query that computes the cached tables) and
prints then:

* every stage of the counts' jobs: its id, number of tasks and name (a stage with few tasks
  over many rows is the one whose tasks each hold a large share of the rows);
* the plan of each cached table as adaptive execution finished it (``isFinalPlan=true``: the
  joins it chose at run time, the partitions each exchange was read in);
* the partitions of each input table's scan (Spark packs small files into few tasks).

Usage::

    CALCISCOPE_SPARK_DRIVER_MEMORY=1g python benchmarks/spark_study_plan.py URL [--explain]

Every patient in the benchmark registries is synthetic.
"""

from __future__ import annotations

import argparse
import time

from calciscope.api.study import study_phenotypes
from calciscope.engine import connect
from calciscope.engine.study import StudyQuery
from calciscope.study import default_study


def main() -> None:
    """Print the cached tables' plans (and, unless ``--explain``, the counts' stages)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a Spark registry, e.g. spark://local?warehouse=DIR")
    parser.add_argument("--explain", action="store_true", help="print the plans only; run nothing")
    args = parser.parse_args()
    if not args.url.startswith(("spark://", "sc://")):
        parser.error(f"{args.url}: not a Spark registry URL (spark://local?warehouse=DIR)")
    explain_only = args.explain
    con = connect(args.url)
    session = con._session
    for name in ("patients", "facts"):
        frame = session.table(name)
        print(f"scan of {name}: {frame.rdd.getNumPartitions()} partitions", flush=True)
    study = default_study()
    query = StudyQuery(con, study, study_phenotypes(study))
    start = time.perf_counter()
    _ = query.table  # the study's cached tables, planned (Spark caches lazily)
    print(f"query built and planned in {time.perf_counter() - start:.1f} s", flush=True)
    if not explain_only:
        context = session.sparkContext
        context.setJobGroup("counts", "the study's counts")
        start = time.perf_counter()
        counts = query.counts()
        print(
            f"counts in {time.perf_counter() - start:.1f} s; source population "
            f"{counts.source_population:,}",
            flush=True,
        )
        tracker = context.statusTracker()
        for job in sorted(tracker.getJobIdsForGroup("counts")):
            info = tracker.getJobInfo(job)
            for stage in sorted(info.stageIds if info else []):
                found = tracker.getStageInfo(stage)
                if found is not None:
                    print(f"job {job} stage {stage}: {found.numTasks} tasks, {found.name}")
    for name, frame in con._cached_dataframes.items():
        plan = frame._jdf.queryExecution().executedPlan()
        print("=" * 20, name)
        print(plan.toString())


if __name__ == "__main__":
    main()
