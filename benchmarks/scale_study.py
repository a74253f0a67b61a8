"""Benchmark: the default study in the database on a large SYNTHETIC registry (issue 16).

Builds (or reuses, cached in ``--cache``) an N-patient SYNTHETIC cohort from the demo generator
(no notes), loads it into a DuckDB file, an SQLite registry and a PostgreSQL registry, and runs
``api.run_study`` with the default study on each, every run in a fresh child process, printing

* wall seconds of the study (and its load / analyse / report phases) and the child's peak RSS;
* the floor measured in the same run on the same engine, just before and just after the
  study: one grouped scan of every fact (``SELECT patient_id, count(*), max(effective_date)
  FROM facts GROUP BY patient_id``, read back), the least any study must do; its wall and CPU
  seconds, and the ratios of the study's wall and CPU seconds to their means (on a shared
  machine the CPU ratio moves less with the load than the wall one);
* the machine's cores and load average (the machine may be shared).

``--reuse`` (SQLite and PostgreSQL registries): classify the registry first
(``api.classify_registry`` at the study's index date, timed), then run the study twice, each
in a fresh child: with every criteria set computed (``reuse=False``) and with the stored results
read (``reuse=True``); prints each run's CPU-seconds (the child's user + system time), the
same-run ratio of the two, and where the classification came from (the manifest's words).

``--replicate-from B``: the registry of N patients is built inside DuckDB from a generated cohort
of B patients (the demo generator's rows, N/B copies, each copy's patient and fact ids given a
``-R<k>`` suffix) instead of generating N patients, so a 1 M-patient SYNTHETIC registry takes
a minute, not the generator's ten; every copy has the same facts, so the study's counts must be
N/B times the base's (printed). PostgreSQL is then filled from that DuckDB file (CSV, ``COPY``;
the database is ``<--pg-prefix>_<N>_of_<B>``), and Spark (``--engines spark``: the study on
``spark://local?warehouse=<file>.warehouse``) from Parquet files of it, written by Spark in the
Spark registry's layout. On Spark the child also prints the JVM's peak RSS (Spark local runs
the queries in a JVM beside the Python driver; ``CALCISCOPE_SPARK_DRIVER_MEMORY`` sizes its
heap), and the parent samples the driver and the JVM every 0.5 s: the most the two held at the
same moment, beside the sum of their two peaks.

The registries are filled by a bulk load of the generated CSV files (DuckDB from Arrow, SQLite
``executemany``, PostgreSQL ``COPY``) into the registry's own schema, not by ``import``: this
benchmark times the study, and the importer has its own benchmark.

Targets (issue 16, at 1,000,000 patients, about 50 M facts): peak RSS under 2 GB on every
engine, and under 60 s on DuckDB.

Usage::

    python benchmarks/scale_study.py [--patients 20000] [--engines duckdb,sqlite,postgres]
        [--cache /tmp/calciscope-scale-study] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--reuse] [--replicate-from 10000 --engines duckdb,postgres,spark] [--pg-prefix NAME]

Every patient is synthetic.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

FACT_TYPES = {
    "effective_date": pa.date32(),
    "value_num": pa.float64(),
    "reference_high": pa.float64(),
    **{c: pa.string() for c in ("fact_id", "patient_id", "system", "code", "status", "value_text",
                                "unit", "body_site", "laterality", "morphology", "method",
                                "source_kind", "provenance", "review_state")},
}  # fmt: skip
PATIENT_TYPES = {"birth_date": pa.date32(), "birth_year": pa.int64(), "synthetic": pa.bool_()}
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: Prepended to every child: the Spark backend's step log (``engine.spark_labels.QueryLabels``: each
#: query's study step, started / done in N s / failed) on the child's stderr, so that a failed
#: child's digest names the step and the query that failed, and a finished one its slowest.
STEP_LOG = """
import logging, sys
logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(asctime)s %(message)s")
logging.getLogger("calciscope.engine.spark").setLevel(logging.INFO)
"""

#: The child: run the default study on one database URL and print its figures as JSON.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from calciscope import api
from calciscope.study import default_study
url, out = sys.argv[1], Path(sys.argv[2])
reuse = len(sys.argv) > 3 and sys.argv[3] == "reuse"
start = time.perf_counter()
run = api.run_study(default_study(), url, out=out, reuse=reuse)
wall = time.perf_counter() - start
jvm_mb = 0.0  # Spark local: the JVM's high-water mark (a descendant of this process)
if url.startswith("spark://"):
    import os
    kids, pids = {}, [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            kids.setdefault(int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(pid)
        except OSError:
            pass
    todo, mine = [os.getpid()], []
    while todo:
        for kid in kids.get(todo.pop(), []):
            mine.append(kid); todo.append(kid)
    for pid in mine:
        try:
            hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")]
        except OSError:
            continue
        jvm_mb = max([jvm_mb] + [int(l.split()[1]) / 1024 for l in hwm])
usage = resource.getrusage(resource.RUSAGE_SELF)
h = run.headline.to_dict()
print(json.dumps({
    "wall": wall, "seconds": run.seconds, "cpu": usage.ru_utime + usage.ru_stime,
    "classification": json.loads((out / "manifest.json").read_text())["classification"],
    # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark across exec into the latter
    "peak_mb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024,
    "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
    "population": h["source_population"], "cases": h["cases"], "dcssc": h["dcssc"],
    "synthetic": h["synthetic"], "jvm_mb": jvm_mb,
}))
"""

#: ``--database-only``: only the in-database step of ``run_study`` (the study's table in the
#: database, the registry-wide counts, the source population's rows read back), no analysis
#: and no report, for sizes where the whole study does not fit the time available.
CHILD_DATABASE = """
import json, resource, sys, time
from calciscope.api.study import study_phenotypes
from calciscope.engine import connect
from calciscope.engine.study import StudyQuery
from calciscope.study import default_study
url = sys.argv[1]
start = time.perf_counter()
study = default_study()
con = connect(url)
query = StudyQuery(con, study, study_phenotypes(study))
population, counts = query.population(), query.counts()
wall = time.perf_counter() - start
print(json.dumps({
    "wall": wall, "seconds": {"load": wall, "analyse": 0.0, "report": 0.0},
    "peak_mb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024,
    "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
    "population": len(population), "cases": int(population["case"].sum()),
    "dcssc": int(population["subgroup_dcssc"].sum()), "synthetic": counts.synthetic,
    "rows_mb": population.memory_usage(deep=True).sum() / 2**20,
}))
"""

#: ``--reuse``: store the classification at the study's index date; print its seconds as JSON.
CLASSIFY = """
import json, resource, sys, time
from calciscope import api
from calciscope.study import default_study
start = time.perf_counter()
with api.open_registry(sys.argv[1]) as registry:
    api.classify_registry(registry, index_date=default_study().population.index_date)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime}))
"""

#: The floor: one grouped scan of every fact on the same engine, read back.
FLOOR = """
import json, resource, sys, time
from calciscope.engine import connect
con = connect(sys.argv[1])
start, cpu = time.perf_counter(), sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
f = con.table("facts")
n = f.group_by("patient_id").aggregate(n=f.count(), last=f.effective_date.max()).to_pyarrow().num_rows
print(json.dumps({"wall": time.perf_counter() - start,
    "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu}))
con.disconnect()
"""


def _read(folder: Path) -> tuple[pa.Table, pa.Table]:
    facts = pacsv.read_csv(
        folder / "facts.csv", convert_options=pacsv.ConvertOptions(column_types=FACT_TYPES)
    )
    ids = pa.array([f"F{i:09d}" for i in range(facts.num_rows)])
    facts = facts.set_column(facts.schema.get_field_index("fact_id"), "fact_id", ids)
    patients = pacsv.read_csv(
        folder / "patients.csv", convert_options=pacsv.ConvertOptions(column_types=PATIENT_TYPES)
    )
    return facts, patients


def cohort(cache: Path, patients: int) -> Path:
    """Generate the SYNTHETIC cohort once per size (cached)."""
    from calciscope import api

    folder = cache / f"cohort-{patients}"
    if not (folder / "done").exists():
        start = time.perf_counter()
        api.generate_demo_data(folder, patients=patients, notes=False)
        (folder / "done").write_text("ok")
        print(f"generated {patients:,} SYNTHETIC patients in {time.perf_counter() - start:.0f} s")
    return folder


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return list(zip(*(c.to_pylist() for c in table.columns), strict=True))


def load_duckdb(folder: Path, path: Path) -> str:
    """A DuckDB file holding the registry's facts and patients, loaded by DuckDB's CSV reader.

    DuckDB reads the CSV files itself (streamed, in parallel), so a 50 M-fact cohort loads
    without passing through this process's memory.
    """
    import duckdb

    url = f"duckdb:///{path}"
    if not path.exists():
        con = duckdb.connect(str(path))
        con.execute("SET memory_limit='1GB'")
        con.execute("SET enable_progress_bar=false")
        sql_types = {pa.date32(): "DATE", pa.float64(): "DOUBLE", pa.string(): "VARCHAR"}
        header = (folder / "facts.csv").open().readline().strip().split(",")
        types = {name: sql_types[FACT_TYPES[name]] for name in header}
        columns = ", ".join(c if c != "fact_id" else "NULL AS fact_id" for c in header)
        facts = (folder / "facts.csv").as_posix()
        con.execute(
            f"CREATE TABLE facts AS SELECT * REPLACE ('F' || lpad(CAST(row_number() OVER () "
            f"AS VARCHAR), 9, '0') AS fact_id), CAST(NULL AS VARCHAR) AS superseded_by "
            f"FROM (SELECT {columns} FROM read_csv('{facts}', header=true, columns={types!r}))"
        )
        patient_types = {
            "patient_id": "VARCHAR",
            "sex": "VARCHAR",
            "birth_date": "DATE",
            "birth_year": "BIGINT",
            "centre": "VARCHAR",
            "synthetic": "BOOLEAN",
        }
        patients = (folder / "patients.csv").as_posix()
        con.execute(
            f"CREATE TABLE patients AS SELECT * FROM read_csv('{patients}', header=true, "
            f"columns={patient_types!r})"
        )
        con.close()
    return url


def replicate_duckdb(base: Path, path: Path, copies: int) -> str:
    """A DuckDB file of ``copies`` SYNTHETIC copies of the base file's patients and facts.

    Copy ``k`` (0-based) gets the ids ``<id>-R<k>``; everything else is the base's rows, so the
    file is built by DuckDB alone (no row passes through Python).
    """
    import duckdb

    url = f"duckdb:///{path}"
    if path.exists():
        return url
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    con = duckdb.connect(str(part))
    con.execute("SET memory_limit='1GB'")
    con.execute("SET enable_progress_bar=false")
    con.execute(f"ATTACH '{base}' AS base (READ_ONLY)")
    suffix = "'-R' || lpad(CAST(k AS VARCHAR), 4, '0')"
    con.execute(
        f"CREATE TABLE patients AS SELECT p.* REPLACE (p.patient_id || {suffix} AS patient_id) "
        f"FROM range({copies}) r(k), base.patients p ORDER BY k, p.patient_id"
    )
    # a copy at a time: each copy's facts together, as an import would append them (no sort)
    con.execute("CREATE TABLE facts AS SELECT * FROM base.facts LIMIT 0")
    for k in range(copies):
        con.execute(
            f"INSERT INTO facts SELECT f.* REPLACE (f.fact_id || {suffix} AS fact_id, "
            f"f.patient_id || {suffix} AS patient_id) FROM (SELECT {k} AS k) r, base.facts f"
        )
    con.close()
    part.rename(path)
    return url


def load_postgres_from_duckdb(duck: Path, admin_url: str, name: str) -> str:
    """A PostgreSQL registry (database ``name``) filled from a DuckDB file by CSV and ``COPY``."""
    import duckdb
    import psycopg

    from calciscope import api

    base = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{base}/{name}"
    conninfo = f"postgresql://{base}/{name}"
    src = duckdb.connect(str(duck), read_only=True)
    want = src.execute("SELECT count(*) FROM patients").fetchone()[0]
    with psycopg.connect(f"postgresql://{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            with psycopg.connect(conninfo) as con:
                done = con.execute("SELECT count(*) FROM patients").fetchone()
            if done and done[0] == want:
                src.close()
                _analyze(conninfo)
                return url
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with api.open_registry(url):  # creates the registry's schema (migrations)
        pass
    csv = duck.with_suffix(".copy.csv")
    with psycopg.connect(conninfo) as con, con.cursor() as cur:
        rebuild = _drop_keys(cur, ("patients", "facts"))
        for table in ("patients", "facts"):
            columns = [r[0] for r in src.execute(f"DESCRIBE {table}").fetchall()]
            names = ",".join(columns)
            start = time.perf_counter()
            src.execute(f"COPY (SELECT {names} FROM {table}) TO '{csv}' (HEADER false)")
            copy = f"COPY {table} ({names}) FROM STDIN (FORMAT csv)"
            with cur.copy(copy) as out, csv.open("rb") as f:
                while block := f.read(8 << 20):
                    out.write(block)
            csv.unlink()
            print(
                f"  PostgreSQL: {table} copied in {time.perf_counter() - start:.0f} s", flush=True
            )
        start = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '512MB'")
        for statement in rebuild:
            cur.execute(statement)
        print(
            f"  PostgreSQL: keys, indexes and foreign keys rebuilt in "
            f"{time.perf_counter() - start:.0f} s; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    src.close()
    _analyze(conninfo)
    return url


def _drop_keys(cur: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' keys, indexes and foreign keys (the registry's own) before a bulk load.

    Returns the statements that make them again, in order (primary keys, indexes, then foreign
    keys, which PostgreSQL validates in one join): building an index from the loaded rows is a
    sort, where keeping it during ``COPY`` inserts 50 M rows one by one into every index and
    checks the foreign key per row. The registry ends with its schema's exact definitions
    (read from the catalogue, ``pg_get_constraintdef`` / ``pg_get_indexdef``).
    """
    oids = [cur.execute("SELECT %s::regclass::oid", (t,)).fetchone()[0] for t in tables]
    constraints = cur.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype IN ('p', 'u', 'f') "
        "AND (conrelid = ANY(%s) OR confrelid = ANY(%s))",
        (oids, oids),
    ).fetchall()
    indexes = cur.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s) AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
        (oids,),
    ).fetchall()
    keys = sorted(constraints, key=lambda c: c[2] != "f")  # foreign keys first
    for table, name, _, _ in keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    add = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, c, d in keys if c != "f"]
    add += [definition for _, definition in indexes]
    add += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, c, d in keys if c == "f"]
    return add


#: Spark: a registry in a local warehouse from Parquet files of the DuckDB file's tables, in the
#: Spark registry's layout (calciscope.storage.spark: its column types, facts partitioned by
#: ``patient_bucket``), written by Spark (no row passes through Python).
LOAD_SPARK = """
import sys
from pyspark.sql import functions as F
from calciscope import api
from calciscope.storage.spark import PATIENT_BUCKETS, REGISTRY_TABLES
from calciscope.storage.spark_import import _defaults, _spark_schema
url, folder = sys.argv[1], sys.argv[2]
with api.open_registry(url) as registry:
    store = registry.store
    for name in ("patients", "facts"):
        frame = store.session.read.parquet(f"{folder}/{name}.parquet")
        defaults = _defaults(name)
        frame = frame.select(*[
            (F.col(f.name) if f.name in frame.columns else F.lit(defaults.get(f.name)))
            .cast(f.dataType).alias(f.name)
            for f in _spark_schema(name).fields
        ])
        if "patient_bucket" in REGISTRY_TABLES[name]:
            bucket = (F.crc32(F.col("patient_id")) % PATIENT_BUCKETS).cast("int")
            frame = frame.withColumn("patient_bucket", bucket).repartition("patient_bucket")
        store.append(name, frame, REGISTRY_TABLES[name])
print("ok")
"""


def load_spark_from_duckdb(duck: Path, warehouse: Path) -> str:
    """A Spark registry (local warehouse) of a DuckDB file's patients and facts (cached)."""
    import duckdb

    url = f"spark://local?warehouse={warehouse}"
    if (warehouse / "done").exists():
        return url
    import shutil

    shutil.rmtree(warehouse, ignore_errors=True)
    staging = warehouse.with_name(warehouse.name + ".parquet")
    staging.mkdir(parents=True, exist_ok=True)
    src = duckdb.connect(str(duck), read_only=True)
    src.execute("SET memory_limit='1GB'")
    for table in ("patients", "facts"):
        src.execute(f"COPY {table} TO '{staging / table}.parquet' (FORMAT parquet)")
    src.close()
    _child(LOAD_SPARK, url, str(staging))
    shutil.rmtree(staging)
    (warehouse / "done").write_text("ok")
    return url


def _load_registry(url: str, folder: Path, copy: Any) -> None:
    from calciscope import api

    facts, patients = _read(folder)
    with api.open_registry(url):  # creates the registry's schema (migrations)
        pass
    copy("patients", patients)
    copy("facts", facts)


def load_sqlite(folder: Path, path: Path) -> str:
    """An SQLite registry filled by executemany."""
    import sqlite3

    url = f"sqlite:///{path}"
    if path.exists():
        return url

    def copy(name: str, table: pa.Table) -> None:
        con = sqlite3.connect(path)
        marks = ",".join("?" * table.num_columns)
        with con:
            for batch in table.to_batches(200_000):
                rows = _rows(pa.Table.from_batches([batch]))
                con.executemany(
                    f"INSERT INTO {name} ({','.join(table.column_names)}) VALUES ({marks})", rows
                )
        con.close()

    _load_registry(url, folder, copy)
    return url


def load_postgres(folder: Path, admin_url: str, patients: int) -> str:
    """A PostgreSQL registry (database ``calciscope_scale_<N>``) filled by COPY."""
    import psycopg

    name = f"calciscope_scale_{patients}"
    base = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{base}/{name}"
    conninfo = f"postgresql://{base}/{name}"
    with psycopg.connect(f"postgresql://{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            with psycopg.connect(conninfo) as con:
                done = con.execute("SELECT count(*) FROM patients").fetchone()
            if done and done[0] == patients:
                _analyze(conninfo)
                return url
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')

    def copy(table_name: str, table: pa.Table) -> None:
        with psycopg.connect(conninfo) as con, con.cursor() as cur:
            columns = ",".join(table.column_names)
            with cur.copy(f"COPY {table_name} ({columns}) FROM STDIN") as out:
                for batch in table.to_batches(200_000):
                    for row in _rows(pa.Table.from_batches([batch])):
                        out.write_row(row)

    _load_registry(url, folder, copy)
    _analyze(conninfo)
    return url


def _analyze(conninfo: str) -> None:
    """Gather the planner's statistics, as after any bulk load (autovacuum does it later).

    Without them PostgreSQL estimates one row per table and joins by nested loops.
    """
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("ANALYZE patients")
        con.execute("ANALYZE facts")


def _descendants(root: int) -> list[int]:
    """Return the process ids under ``root`` (children, grandchildren, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    todo, found = [root], []
    while todo:
        for kid in children.get(todo.pop(), []):
            found.append(kid)
            todo.append(kid)
    return found


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


#: The highest sampled RSS of the last child and its descendants together (Spark local: the
#: Python driver and the JVM at the same moment), and the load averages seen meanwhile.
SAMPLED: dict[str, Any] = {}


def _child(code: str, *args: str) -> str:
    """Run ``code`` in a fresh Python; sample its RSS with its descendants' (every 0.5 s)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", STEP_LOG + code, *args], stdout=out, stderr=err, text=True
        )
        together, loads = 0.0, [os.getloadavg()[0]]
        while proc.poll() is None:
            pids = [proc.pid, *_descendants(proc.pid)]
            together = max(together, sum(_rss_mb(pid) for pid in pids))
            loads.append(os.getloadavg()[0])
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    steps = [x for x in stderr.splitlines() if _STEP.search(x)]
    SAMPLED.update(together=together, load=(min(loads), max(loads)), steps=steps)
    if proc.returncode != 0:  # say why: the child's own error, not only its exit status
        lines = stderr.strip().splitlines()
        # a JVM's error is at the top of a long stack: its Error / Exception / Caused by lines
        causes = [x for x in lines if not x.startswith(("\t", " ")) and _CAUSE.search(x)]
        tail = "\n".join([*dict.fromkeys(causes[:12]), "...", *lines[-30:]])
        raise SystemExit(
            f"benchmark child failed (exit {proc.returncode}):\n{tail}\n{failed_step(steps)}"
        )
    return stdout.strip().splitlines()[-1]


def failed_step(steps: list[str]) -> str:
    """Say which study step a failed child was in: its last queries logged (Spark's step log)."""
    if not steps:
        return "study step: not logged (not a Spark child, or it failed before any query)"
    return "the child's last study steps (engine.spark's log):\n" + "\n".join(steps[-4:])


def slowest_steps(steps: list[str], most: int = 5) -> list[str]:
    """Return the ``most`` slowest finished queries of a child's step log, slowest first."""
    timed = [(float(m.group(1)), x) for x in steps if (m := _DONE.search(x))]
    return [x for _, x in sorted(timed, reverse=True)[:most]]


_STEP = re.compile(r"calciscope query \d+")
_DONE = re.compile(r" done in ([0-9.]+) s$")


_CAUSE = re.compile(r"Error|Exception|Caused by")


def reuse_figures(url: str, computed: dict[str, Any]) -> None:
    """Classify (stored results), run the study reading them, and print both runs' CPU-seconds."""
    classify = json.loads(_child(CLASSIFY, url))
    with tempfile.TemporaryDirectory() as out:
        stored = json.loads(_child(CHILD, url, str(Path(out) / "report"), "reuse"))
        again = json.loads(_child(CHILD, url, str(Path(out) / "again")))
    same = all(stored[k] == computed[k] for k in ("population", "cases", "dcssc"))
    print(
        f"  classify (stored results) {classify['cpu']:.1f} CPU-s ({classify['wall']:.1f} s wall); "
        f"study computed {computed['cpu']:.1f} CPU-s then {again['cpu']:.1f} CPU-s, "
        f"stored read {stored['cpu']:.1f} CPU-s ({stored['classification']!r}); "
        f"ratio stored/computed {stored['cpu'] / min(computed['cpu'], again['cpu']):.2f}; "
        f"same headline counts {same}; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    """Build or reuse the registries, run the study on each engine and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--engines", default="duckdb,sqlite,postgres")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "calciscope-scale-study"
    )
    parser.add_argument("--pg", default=os.environ.get("CALCISCOPE_TEST_PG", PG_DEFAULT))
    parser.add_argument(
        "--pg-prefix",
        default="scale4_study",
        help="name prefix of the PostgreSQL registry made from the replicated DuckDB file",
    )
    parser.add_argument(
        "--replicate-from",
        type=int,
        default=0,
        metavar="B",
        help="build the N-patient registry from N/B copies of a generated B-patient cohort",
    )
    parser.add_argument(
        "--database-only",
        action="store_true",
        help="run only the in-database step (no analysis, no report)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="classify first, then time the study computing vs reading the stored results",
    )
    args = parser.parse_args()
    if args.reuse and args.database_only:
        parser.error("--reuse times the whole study: not with --database-only")
    args.cache.mkdir(parents=True, exist_ok=True)
    print(
        f"SYNTHETIC cohort of {args.patients:,} patients; cores available "
        f"{len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f} (machine may be shared)"
    )
    base = args.replicate_from
    if base:
        if args.patients % base:
            parser.error("--patients must be a multiple of --replicate-from")
        start = time.perf_counter()
        duck = args.cache / f"registry-{args.patients}-of-{base}.duckdb"
        base_file = args.cache / f"registry-{base}.duckdb"
        load_duckdb(cohort(args.cache, base), base_file)
        replicate_duckdb(base_file, duck, args.patients // base)
        print(
            f"SYNTHETIC registry of {args.patients // base} copies of {base:,} generated "
            f"patients ready in {time.perf_counter() - start:.0f} s"
        )
        pg_name = f"{args.pg_prefix}_{args.patients}_of_{base}"
        loaders = {
            "duckdb": lambda: f"duckdb:///{duck}",
            "postgres": lambda: load_postgres_from_duckdb(duck, args.pg, pg_name),
            "spark": lambda: load_spark_from_duckdb(duck, duck.with_suffix(".warehouse")),
        }
    else:
        folder = cohort(args.cache, args.patients)
        loaders = {
            "duckdb": lambda: load_duckdb(folder, args.cache / f"registry-{args.patients}.duckdb"),
            "sqlite": lambda: load_sqlite(folder, args.cache / f"registry-{args.patients}.db"),
            "postgres": lambda: load_postgres(folder, args.pg, args.patients),
        }
    for engine in args.engines.split(","):
        start = time.perf_counter()
        url = loaders[engine]()
        loaded = time.perf_counter() - start
        before = json.loads(_child(FLOOR, url))
        with tempfile.TemporaryDirectory() as out:
            code = CHILD_DATABASE if args.database_only else CHILD
            figures = json.loads(_child(code, url, str(Path(out) / "report")))
        sampled = dict(SAMPLED)  # the study child's (the floor after it samples its own)
        low, high = sampled["load"]
        # the floor again after the study: on a shared machine the load moves during a run, so
        # the study is compared with the mean of a floor timed just before and just after it
        after = json.loads(_child(FLOOR, url))
        floor = (before["wall"] + after["wall"]) / 2
        floor_cpu = (before["cpu"] + after["cpu"]) / 2
        s = figures["seconds"]
        print(
            f"{engine}: study {figures['wall']:.1f} s wall (in the database + read back "
            f"{s['load']:.1f} s, analyse {s['analyse']:.1f} s, report {s['report']:.1f} s), "
            f"{figures['cpu']:.1f} CPU-s, peak RSS {figures['peak_mb']:.0f} MB, load average "
            f"{low:.1f}-{high:.1f} during the study; registry ready in {loaded:.0f} s"
        )
        print(
            f"  floor (one grouped scan of the facts, same engine) before / after the study "
            f"{before['wall']:.2f} / {after['wall']:.2f} s wall, {before['cpu']:.2f} / "
            f"{after['cpu']:.2f} CPU-s; ratio study / floor {figures['wall'] / floor:.1f}x wall, "
            f"{figures['cpu'] / floor_cpu:.1f}x CPU"
        )
        if figures.get("jvm_mb"):
            print(
                f"  the Spark JVM's peak RSS {figures['jvm_mb']:.0f} MB (beside the driver's); "
                f"driver + JVM at the same moment at most {sampled['together']:.0f} MB "
                f"(sampled every 0.5 s), sum of the two peaks "
                f"{figures['jvm_mb'] + figures['peak_mb']:.0f} MB; load average {low:.1f}-{high:.1f}"
            )
        for line in slowest_steps(sampled.get("steps", [])):
            print(f"  slow step: {line}")
        if args.reuse and engine != "duckdb":
            reuse_figures(url, figures)
        if "rows_mb" in figures:
            print(f"  source population rows in pandas: {figures['rows_mb']:.0f} MB")
        print(
            f"  source population {figures['population']:,}, dcSSc {figures['dcssc']:,}, "
            f"cases {figures['cases']:,}, synthetic {figures['synthetic']}; load average "
            f"{os.getloadavg()[0]:.1f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process (generation and bulk load, not the study): peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
