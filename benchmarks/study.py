"""Benchmark: ``calciscope demo`` end to end, and the default study over a large SYNTHETIC registry.

Prints

* ``calciscope demo`` (generate the demo cohort, import it into a fresh SQLite registry, run the
  default study, write the report) as a subprocess: wall seconds and CPU seconds, and the same
  phases in-process (generate, import, study load/analyse/report);
* the default study over an N-patient synthetic cohort (default 100,000; no notes): generation,
  then the study from the cohort's facts and patients as Arrow tables in an in-memory DuckDB
  (``api.run_study`` on that connection: the study's one query, then analysis and report), and,
  with ``--import``, the import into an SQLite registry and the study read back from it.

Usage::

    python benchmarks/study.py [--patients 100000] [--skip-demo] [--import]

Every patient is synthetic.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from calciscope import api
from calciscope.study import default_study

FACT_TYPES = {
    "effective_date": pa.date32(),
    "value_num": pa.float64(),
    **{c: pa.string() for c in ("fact_id", "patient_id", "system", "code", "status", "value_text",
                                "unit", "body_site", "laterality", "morphology", "method",
                                "source_kind", "provenance", "review_state")},
}  # fmt: skip
PATIENT_TYPES = {"birth_date": pa.date32(), "birth_year": pa.int64(), "synthetic": pa.bool_()}


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def demo_subprocess(workdir: Path) -> None:
    """Time ``calciscope demo`` as a user runs it."""
    exe = Path(sys.executable).with_name("calciscope")
    before, start = _cpu_children(), time.perf_counter()
    subprocess.run([str(exe), "demo"], cwd=workdir, check=True, capture_output=True)
    wall, cpu = time.perf_counter() - start, _cpu_children() - before
    print(f"calciscope demo (subprocess): {wall:.1f} s wall, {cpu:.1f} s CPU; budget 15 s")


def demo_phases(workdir: Path) -> None:
    """Time the phases of the demo in-process."""
    t0 = time.perf_counter()
    api.generate_demo_data(workdir / "demo")
    t1 = time.perf_counter()
    with api.open_registry(f"sqlite:///{workdir / 'phases.db'}") as registry:
        api.import_directory(registry, workdir / "demo")
        t2 = time.perf_counter()
        run = api.run_demo(registry, out=workdir / "report")
    s = run.seconds
    print(
        f"  phases: generate {t1 - t0:.1f} s, import {t2 - t1:.1f} s, study load (features + "
        f"criteria + phenotypes) {s['load']:.1f} s, analyse {s['analyse']:.1f} s, report "
        f"{s['report']:.1f} s"
    )


def _read(folder: Path) -> tuple[pa.Table, pa.Table]:
    facts = pacsv.read_csv(
        folder / "facts.csv", convert_options=pacsv.ConvertOptions(column_types=FACT_TYPES)
    )
    ids = pa.array([f"F{i}" for i in range(facts.num_rows)])
    facts = facts.set_column(facts.schema.get_field_index("fact_id"), "fact_id", ids)
    patients = pacsv.read_csv(
        folder / "patients.csv", convert_options=pacsv.ConvertOptions(column_types=PATIENT_TYPES)
    )
    return facts, patients


def large(workdir: Path, patients: int, do_import: bool) -> None:
    """Time the default study over a large synthetic cohort."""
    study = default_study()
    t0 = time.perf_counter()
    api.generate_demo_data(workdir / "large", patients=patients, notes=False)
    t1 = time.perf_counter()
    facts, people = _read(workdir / "large")
    t2 = time.perf_counter()
    con = ibis.duckdb.connect()
    con.create_table("facts", facts)
    con.create_table("patients", people)
    run = api.run_study(study, con, out=workdir / "large-report")
    con.disconnect()
    h, s = run.headline.to_dict(), run.seconds
    print(
        f"default study, {patients:,} patients / {facts.num_rows:,} facts: generate {t1 - t0:.1f} s, "
        f"read CSV {t2 - t1:.1f} s, in DuckDB (features + criteria + phenotypes + study columns, "
        f"counts and population rows back) {s['load']:.1f} s, analyse {s['analyse']:.1f} s, "
        f"report {s['report']:.1f} s; study total {sum(s.values()):.1f} s"
    )
    print(
        f"  source population {h['source_population']:,}, dcSSc {h['dcssc']:,}, cases {h['cases']:,}"
    )
    if do_import:
        t4 = time.perf_counter()
        with api.open_registry(f"sqlite:///{workdir / 'large.db'}") as registry:
            api.import_directory(registry, workdir / "large")
            t5 = time.perf_counter()
            back = api.run_study(study, registry, out=workdir / "large-report-2")
        t6 = time.perf_counter()
        print(
            f"  import into SQLite {t5 - t4:.1f} s; study from the registry {t6 - t5:.1f} s ({back.seconds})"
        )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--import", dest="do_import", action="store_true")
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_demo:
            (work / "sub").mkdir()
            demo_subprocess(work / "sub")
            demo_phases(work)
        large(work, args.patients, args.do_import)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
