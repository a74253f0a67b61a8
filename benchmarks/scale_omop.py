"""Benchmark: OMOP screening of a SYNTHETIC CDM, calciscope against a hand-written DuckDB query.

Writes a SYNTHETIC OMOP CDM (``cdm_source`` says so) of N persons and about ``events`` condition
occurrences per person as Parquet files, then builds the OHDSI cohort of one concept set (a
parent concept with its descendants, through ``concept_ancestor``) three ways and prints the
times:

- the floor: one hand-written DuckDB SQL query over the same files (concept set resolved
  through ``concept_ancestor``, first event, end of the last observation period);
- calciscope on DuckDB (``open_cdm(folder)`` + ``cohort_table``), and its ratio to the floor
  (issue 16 target: at most 1.5x at 1 M persons / 100 M event rows);
- calciscope on Spark local (``spark://local?warehouse=FOLDER``), unless ``--no-spark``.

The three cohorts are checked to be the same rows. The floor and calciscope run in turns
(``--repeat`` times; the ratio is of the medians), so neither alone has cold files. Both sides'
libraries are imported before timing: the floor's ``duckdb`` at the top of this file, and
calciscope's query libraries (Ibis' DuckDB backend and what it loads to return rows) in a
first step whose time is printed apart (a process pays it once, whatever the CDM's size) and
shown in a second ratio.

Usage::

    python benchmarks/scale_omop.py [--persons 100000] [--events 100] [--repeat 3] [--no-spark]
        [--workdir DIR]

On Spark the JVM's peak RSS (Spark local runs the query in a JVM beside this process) is printed
too; ``CALCISCOPE_SPARK_DRIVER_MEMORY`` sizes it.

Every person is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from calciscope.interop.omop import cohort_table, load_concept_set, open_cdm

INDEX = dt.date(2025, 1, 1)
PARENT = 4_000_000  # the concept set: this concept with its descendants
CHILDREN = range(PARENT + 1, PARENT + 6)
OTHER = 2_000  # other condition concepts
FEATURE = "synthetic_condition"


def write_cdm(folder: Path, persons: int, events: int) -> int:
    """Write the SYNTHETIC CDM as Parquet files; return the number of condition rows."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SELECT setseed(0.16)")
    out = lambda name: str(folder / f"{name}.parquet")  # noqa: E731
    con.execute(
        f"""COPY (SELECT i AS person_id, CASE WHEN random() < 0.8 THEN 8532 ELSE 8507 END
                   AS gender_concept_id, 1940 + (i % 60)::INT AS year_of_birth,
                   1 + (i % 12)::INT AS month_of_birth, 1 + (i % 28)::INT AS day_of_birth,
                   NULL::BIGINT AS care_site_id
            FROM range(1, {persons} + 1) t(i)) TO '{out("person")}'"""
    )
    concepts = [PARENT, *CHILDREN, *range(1, OTHER + 1)]
    con.execute(
        f"""COPY (SELECT c AS concept_id, 'synthetic concept ' || c AS concept_name
            FROM unnest({concepts}) t(c)) TO '{out("concept")}'"""
    )
    con.execute(
        f"""COPY (SELECT {PARENT} AS ancestor_concept_id, c AS descendant_concept_id
            FROM unnest({[PARENT, *CHILDREN]}) t(c)
            UNION ALL SELECT c, c FROM unnest({list(range(1, OTHER + 1))}) t(c))
            TO '{out("concept_ancestor")}'"""
    )
    con.execute(
        f"""COPY (SELECT 1 AS concept_id_1, 1 AS concept_id_2, 'Maps to' AS relationship_id)
            TO '{out("concept_relationship")}'"""
    )
    # about one person in twenty has the condition (a child concept), the rest other concepts
    con.execute(
        f"""COPY (SELECT row_number() OVER () AS condition_occurrence_id,
                   1 + (hash(i * 7919) % {persons})::BIGINT AS person_id,
                   CASE WHEN hash(i) % 2000 = 0 THEN {PARENT + 1} + (i % 5)::INT
                        ELSE 1 + (i % {OTHER})::INT END AS condition_concept_id,
                   DATE '2000-01-01' + (hash(i * 31) % 9500)::INT AS condition_start_date
            FROM range({persons * events}) t(i)) TO '{out("condition_occurrence")}'"""
    )
    con.execute(
        f"""COPY (SELECT i AS person_id, DATE '2000-01-01' AS observation_period_start_date,
                   DATE '2024-12-31' AS observation_period_end_date
            FROM range(1, {persons} + 1) t(i)) TO '{out("observation_period")}'"""
    )
    con.execute(
        f"""COPY (SELECT 'SYNTHETIC benchmark CDM' AS source_description, 'v5.4' AS cdm_version)
            TO '{out("cdm_source")}'"""
    )
    return persons * events


def floor_query(folder: Path) -> list[tuple[Any, ...]]:
    """The same cohort, written by hand in DuckDB SQL."""
    f = lambda name: f"read_parquet('{folder / name}.parquet')"  # noqa: E731
    sql = f"""
        WITH cs AS (SELECT descendant_concept_id AS id FROM {f("concept_ancestor")}
                    WHERE ancestor_concept_id = {PARENT}),
             ev AS (SELECT person_id, condition_start_date AS d FROM {f("condition_occurrence")}
                    WHERE condition_concept_id IN (SELECT id FROM cs)),
             chosen AS (SELECT DISTINCT person_id FROM ev WHERE d <= DATE '{INDEX}'),
             first AS (SELECT person_id, min(d) AS start FROM ev GROUP BY person_id),
             ends AS (SELECT person_id, max(observation_period_end_date) AS e
                      FROM {f("observation_period")} GROUP BY person_id)
        SELECT 1, c.person_id, first.start, coalesce(ends.e, first.start)
        FROM chosen c JOIN first USING (person_id) LEFT JOIN ends USING (person_id)
        ORDER BY 2"""
    return [tuple(r) for r in duckdb.sql(sql).fetchall()]


def import_query_libraries() -> float:
    """Import what calciscope's first DuckDB query loads (paid once per process); return seconds."""
    start = time.perf_counter()
    import ibis
    from ibis.backends.duckdb.converter import DuckDBPyArrowData  # loads pandas

    del DuckDBPyArrowData
    ibis.duckdb.connect().disconnect()
    return time.perf_counter() - start


def calciscope_cohort(source: str) -> list[tuple[Any, ...]]:
    """The cohort as calciscope builds it inside the CDM's engine (prints the open time)."""
    sets = {FEATURE: load_concept_set({"items": [{"concept": {"CONCEPT_ID": PARENT},
                                                   "includeDescendants": True}]}, name=FEATURE)}  # fmt: skip
    start = time.perf_counter()
    cdm = open_cdm(source)
    print(f"    of which open_cdm (views, column and version checks): "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip
    try:
        table = cohort_table(cdm, sets, FEATURE, cohort_definition_id=1, index_date=INDEX)
        return [tuple(r.values()) for r in table.to_pyarrow().to_pylist()]
    finally:
        cdm.close()


def timed(label: str, run: Any) -> tuple[float, list[tuple[Any, ...]]]:
    start = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:8.2f} s  {len(rows):>9,} cohort rows")
    return seconds, rows


def descendants_peak_mb() -> float:
    """The highest VmHWM of this process's descendants (Spark local's JVM), in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    todo, peak = [os.getpid()], 0.0
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith("VmHWM"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100, help="condition rows per person")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, in turns")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write (default: tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calciscope-omop-", dir=args.workdir) as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        rows = write_cdm(folder, args.persons, args.events)
        print(f"SYNTHETIC CDM: {args.persons:,} persons, {rows:,} condition rows "
              f"({time.perf_counter() - start:.1f} s to write)")  # fmt: skip
        imports = import_query_libraries()
        print(f"import of Ibis' DuckDB backend and pandas (once per process): {imports:.2f} s")
        floors, ours = [], []
        for _ in range(args.repeat):
            floor, want = timed("hand-written DuckDB SQL (floor)", lambda: floor_query(folder))
            mine, got = timed("calciscope on DuckDB", lambda: calciscope_cohort(str(folder)))
            assert got == want, "calciscope's cohort differs from the hand-written query's"
            floors.append(floor)
            ours.append(mine)
        floor, mine = statistics.median(floors), statistics.median(ours)
        print(f"median of {args.repeat}: floor {floor:.2f} s, calciscope {mine:.2f} s")
        print(f"ratio calciscope / floor: {mine / floor:.2f}x (target <= 1.5x)")
        print(
            f"ratio with the one-off import in calciscope's time: {(mine + imports) / floor:.2f}x"
        )
        if not args.no_spark:
            url = f"spark://local?warehouse={folder}"
            spark, on_spark = timed("calciscope on Spark local", lambda: calciscope_cohort(url))
            assert on_spark == want, "the cohort on Spark differs"
            print(f"ratio Spark / floor: {spark / floor:.2f}x")
            print(f"the Spark JVM's peak RSS: {descendants_peak_mb():,.0f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
