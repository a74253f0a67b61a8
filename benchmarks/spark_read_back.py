"""Benchmark: Spark local's Arrow read back of a source-population-sized table, whole or in pieces.

Builds a SYNTHETIC cached table shaped like the default study's source population at 1 M
patients (768,300 rows; an id, 10 text, 15 date, 30 boolean and 15 double columns) in two
partitions, as Spark's adaptive execution leaves the study's cached table, then reads it back
to Arrow in a fresh local session (``CALCISCOPE_SPARK_DRIVER_MEMORY`` sizes its heap):

* ``whole``: ``toArrow`` of the table as it is (before branch ``scale13``): each of the two
  tasks holds its half as Arrow in the JVM's heap;
* ``pieces``: through ``engine.spark.read_in_pieces`` first (what calciscope's Spark backend
  now does for every read back).

Prints the rows and Arrow size read (or the failure), the wall seconds of the read and the
JVM's peak RSS (sampled every 0.5 s), and the load average.

Usage::

    CALCISCOPE_SPARK_DRIVER_MEMORY=600m python benchmarks/spark_read_back.py whole|pieces
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time

from calciscope.engine.spark import read_in_pieces, spark_session

ROWS = 768_300


def _jvm_rss_mb() -> float:
    """Return the resident memory of this process's children (the local session's JVM)."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid():
                with open(f"/proc/{name}/status") as status:
                    total += next(int(x.split()[1]) for x in status if x.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def main() -> None:
    """Build the cached table, read it back whole or in pieces, print the figures."""
    mode = sys.argv[1] if len(sys.argv) > 1 else "pieces"
    warehouse = tempfile.mkdtemp(prefix="calciscope-read-back-")
    session = spark_session(f"spark://local?warehouse={warehouse}")
    peak = [0.0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], _jvm_rss_mb())
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    columns = ["id", "concat('P', lpad(cast(id as string), 7, '0'), '-R0001') AS patient_id"]
    columns += [f"concat('value', cast((id * {i}) % 97 AS string)) AS s{i}" for i in range(9)]
    columns += [
        f"date_add(date'1990-01-01', cast((id * {i + 3}) % 12000 AS int)) AS d{i}"
        for i in range(15)
    ]
    columns += [f"(id * {i + 7}) % 3 = 0 AS b{i}" for i in range(30)]
    columns += [f"cast(id AS double) / {i + 1} AS x{i}" for i in range(15)]
    table = session.range(0, ROWS, 1, 2).selectExpr(*columns).cache()
    print(
        f"SYNTHETIC cached table: {table.count():,} rows in {table.rdd.getNumPartitions()} partitions"
    )
    start = time.perf_counter()
    frame = read_in_pieces(table) if mode == "pieces" else table
    tasks = frame.rdd.getNumPartitions()
    try:
        arrow = frame.toArrow()
        outcome = f"{arrow.num_rows:,} rows, {arrow.nbytes / 2**20:.0f} MB of Arrow"
    except Exception as exc:  # the JVM's failure, reported as the figure
        outcome = f"FAILED: {str(exc).splitlines()[0][:200]}"
    print(
        f"{mode}: {tasks} tasks; {outcome}; "
        f"{time.perf_counter() - start:.0f} s; JVM peak RSS {peak[0]:.0f} MB; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
