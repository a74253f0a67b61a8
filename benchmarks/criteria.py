"""Benchmark: every criteria set and phenotype over a SYNTHETIC Parquet feature table on DuckDB.

Prints, for N random patients (booleans true/false/null, numbers and dates with nulls):

* the vectorised path (Ibis → DuckDB) for all four sets plus phenotypes, with score bounds, end
  to end from the Parquet file to an Arrow table in Python: seconds and patients/s, and of
  those the Python part (building the Ibis expression and compiling it to SQL, one thread);
* the 2013 SSc set alone through the same path, against a bare hand-written DuckDB query of the
  SSc 2013 score (the floor) over the same file;
* the explanation path (the same classification with its explanation columns: item states,
  weights, flips) over a sample of the same rows, read into result objects;
* peak RSS of the process.

Usage::

    python benchmarks/criteria.py --patients 1000000 [--sample 20000] [--seed 0]

The data are random and synthetic: they describe no real patient.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from calciscope.criteria import load_criteria_set, load_criteria_sets
from calciscope.engine.criteria import compute_criteria
from calciscope.engine.explanation import CriteriaReader, read_phenotype_results
from calciscope.engine.phenotype import classify_table
from calciscope.features import FeatureType, load_catalogue
from calciscope.phenotype import load_phenotypes

INDEX_DATE = dt.date(2025, 1, 1)
SSC_ITEMS = {
    "skin_thickening_proximal_to_mcp": 9,
    "puffy_fingers": 2,
    "sclerodactyly": 4,
    "digital_tip_ulcers": 2,
    "fingertip_pitting_scars": 3,
    "telangiectasia": 2,
    "abnormal_nailfold_capillaries": 2,
    "pulmonary_arterial_hypertension": 2,
    "interstitial_lung_disease": 2,
    "raynaud_phenomenon": 3,
    "anti_centromere": 3,
    "anti_scl70": 3,
    "anti_rna_polymerase_iii": 3,
}


def _boolean(rng: np.random.Generator, n: int) -> pa.Array:
    draw = rng.integers(0, 3, n, dtype=np.int8)  # 0 false, 1 true, 2 unknown
    return pa.array(draw == 1, mask=draw == 2)


def _column(name: str, ftype: FeatureType, rng: np.random.Generator, n: int) -> pa.Array:
    missing = rng.random(n) < 0.3
    if ftype is FeatureType.BOOLEAN:
        return _boolean(rng, n)
    if ftype is FeatureType.NUMBER:
        values = (
            rng.integers(0, 4, n).astype(float)
            if name.startswith("mrss_")
            else rng.uniform(5, 85, n)
        )
        return pa.array(values, mask=missing)
    if ftype is FeatureType.INTEGER:
        return pa.array(rng.integers(0, 5, n), mask=missing)
    if ftype is FeatureType.DATE:
        days = rng.integers(16000, 20000, n).astype("int32")
        return pa.array(days, type=pa.int32(), mask=missing).cast(pa.date32())
    choices = np.array(["dcssc", "lcssc", "sine"])
    return pa.array(choices[rng.integers(0, 3, n)], mask=missing)


def write_feature_table(path: Path, n: int, seed: int) -> None:
    """Write a random feature table with every catalogue column."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {
        "patient_id": pa.array(np.char.add("p", np.arange(n).astype(str)))
    }
    for name, feature in load_catalogue().features.items():
        columns[name] = _column(name, feature.type, rng, n)
    pq.write_table(pa.table(columns), path, row_group_size=256 * 1024)


def bare_ssc_sql(path: Path) -> str:
    """The floor: a hand-written SSc 2013 score (highest sub-item per group, nulls as absent)."""

    def term(name: str) -> str:
        return f"CASE WHEN COALESCE({name}, FALSE) THEN {SSC_ITEMS[name]} ELSE 0 END"

    groups = [
        ["skin_thickening_proximal_to_mcp"],
        ["puffy_fingers", "sclerodactyly"],
        ["digital_tip_ulcers", "fingertip_pitting_scars"],
        ["telangiectasia"],
        ["abnormal_nailfold_capillaries"],
        ["pulmonary_arterial_hypertension", "interstitial_lung_disease"],
        ["raynaud_phenomenon"],
        ["anti_centromere", "anti_scl70", "anti_rna_polymerase_iii"],
    ]
    parts = [
        term(g[0]) if len(g) == 1 else "GREATEST(" + ", ".join(map(term, g)) + ")" for g in groups
    ]
    return f"SELECT patient_id, {' + '.join(parts)} AS score FROM read_parquet('{path}')"


def timed(label: str, func: Callable[[], Any], n: int) -> tuple[float, Any]:
    """Run ``func``; print wall seconds, patients/s and CPU seconds (all threads of this process)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<54} {seconds:7.2f} s wall {cpu_seconds:7.2f} s CPU {n / seconds:>12,.0f} patients/s"
    )
    return seconds, result


def explain_rows(con: Any, sample: pa.Table) -> int:
    """The explanation path: every set and phenotype with its explanation columns, then objects."""
    table = con.create_table("sample", sample, overwrite=True)
    rows = classify_table(table, index_date=INDEX_DATE, explain=True).to_pyarrow().to_pylist()
    readers, phenotypes = [CriteriaReader(c) for c in load_criteria_sets()], load_phenotypes()
    for row in rows:
        [read(row) for read in readers]
        read_phenotype_results(phenotypes, row)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the explanation path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n = args.patients
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "features.parquet"
        timed(
            "generate SYNTHETIC feature table (numpy/pyarrow)",
            lambda: write_feature_table(path, n, args.seed),
            n,
        )
        print(f"Parquet file: {path.stat().st_size / 1e6:.0f} MB, {n:,} patients")
        con = ibis.duckdb.connect()
        table = con.read_parquet(path)
        settings = con.raw_sql(
            "SELECT current_setting('threads'), current_setting('memory_limit')"
        ).fetchall()[0]
        total, result = timed(
            "all 4 sets + phenotypes, Parquet -> DuckDB -> Arrow",
            lambda: classify_table(table, index_date=INDEX_DATE).to_pyarrow(),
            n,
        )
        assert result.num_rows == n
        # the Python part of that run, timed again alone (one thread; the rest runs in DuckDB)
        timed(
            "  its Python part: build the expression, compile to SQL",
            lambda: con.compile(classify_table(table, index_date=INDEX_DATE)),
            n,
        )
        ssc = load_criteria_set("ssc2013")
        ours, _ = timed(
            "SSc 2013 alone (bounds + status), same path",
            lambda: compute_criteria(table, [ssc]).to_pyarrow(),
            n,
        )
        raw = duckdb.connect()
        bare, _ = timed(
            "bare hand-written DuckDB SQL, SSc 2013 score",
            lambda: raw.sql(bare_ssc_sql(path)).to_arrow_table(),
            n,
        )
        sample = min(args.sample, n)
        rows = pq.ParquetFile(path).read_row_group(0).slice(0, sample)
        timed(
            f"explanation path (explanation columns), {sample:,}-row sample",
            lambda: explain_rows(con, rows),
            sample,
        )
    print(
        f"SSc 2013 vs the bare query: {ours / bare:.2f}x (budget 3x); all sets: {total:.2f} s (budget 10 s)"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(
        f"load average while running: {', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
    )
    # the engine's connection (engine/connection.py) also leaves the threads at DuckDB's default
    # (one per core); its 1 GB memory limit does not bind a projection like this one
    print(f"DuckDB threads {settings[0]}, memory limit {settings[1]}")


if __name__ == "__main__":
    main()
