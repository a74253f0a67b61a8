"""Benchmark: the feature table alone on a DuckDB registry, for A/B comparisons (issue 16).

Builds the default study's feature table (``compute_feature_table`` at the study's index date)
on a DuckDB file made by ``scale_study.py`` (every patient SYNTHETIC), runs its SQL once into a
temporary table and prints, as JSON:

* ``compile_cpu``: CPU seconds of the Ibis expression and its SQL compilation;
* ``query_cpu``: CPU seconds of the query (this process's, DuckDB's threads included), the
  figure to compare between two trees at a similar machine load;
* ``hash``: a digest of every column's ``sum(hash(column) % 1000000007)``: two trees that build
  the same table print the same digest;
* the rows, columns, the SQL's length and the load average.

``--part merged`` or ``--part rest``: only the features of the merged concept group
(``engine.aggregates.concept_groups``' first group), or only the others; their query CPU says
what each part costs (the parts are regrouped on their own, so the two do not add up exactly).

Usage::

    python benchmarks/feature_table.py /work/cache/registry-100000-of-10000.duckdb [--part merged]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource

from calciscope.engine import connect
from calciscope.engine.aggregates import concept_groups
from calciscope.engine.features import compute_feature_table
from calciscope.features import load_catalogue
from calciscope.study import default_study


def _cpu() -> float:
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a DuckDB registry file (scale_study.py --cache)")
    parser.add_argument("--part", choices=("all", "merged", "rest"), default="all")
    args = parser.parse_args()
    catalogue = load_catalogue()
    groups = concept_groups(catalogue.features.values())
    features = None
    if args.part == "merged":
        features = [f.name for f in groups[0][1]]
    elif args.part == "rest":
        features = [f.name for _, members in groups[1:] for f in members]
    con = connect(f"duckdb:///{os.path.abspath(args.path)}")
    raw = con.con
    start = _cpu()
    expr = compute_feature_table(
        con.table("facts"),
        con.table("patients"),
        index_date=default_study().population.index_date,
        features=features,
    )
    sql = str(con.compile(expr))
    compiled = _cpu()
    raw.execute(f"CREATE TEMP TABLE feature_table_bench AS {sql}")
    done = _cpu()
    columns = [row[0] for row in raw.execute("DESCRIBE feature_table_bench").fetchall()]
    sums = ", ".join(f'sum(hash("{c}") % 1000000007)' for c in columns)
    hashes = raw.execute(f"SELECT {sums} FROM feature_table_bench").fetchone()
    rows = raw.execute("SELECT count(*) FROM feature_table_bench").fetchone()
    print(
        json.dumps(
            {
                "part": args.part,
                "compile_cpu": round(compiled - start, 2),
                "query_cpu": round(done - compiled, 2),
                "rows": rows[0] if rows else 0,
                "columns": len(columns),
                "hash": hashlib.sha256(repr(hashes).encode()).hexdigest()[:16],
                "sql_chars": len(sql),
                "load": round(os.getloadavg()[0], 1),
            }
        )
    )
    con.disconnect()


if __name__ == "__main__":
    main()
