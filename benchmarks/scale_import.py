"""Benchmark: bulk import of the native format against a bare insert floor (issue 16).

Writes a SYNTHETIC cohort in the calciscope directory format (``patients.csv``, ``facts.csv``;
about 50 facts per patient, every patient flagged synthetic), then, each in its own process so
that the peak RSS is the import's own:

- ``calciscope import demo``'s path (``api.import_directory``) into a fresh SQLite registry and
  a fresh PostgreSQL registry, in facts/s with the process's peak RSS;
- the floor, timed in the same run: the same fact rows (read back from the SQLite registry,
  or from the PostgreSQL one when SQLite is not among ``--engines``, untimed) written into a table with the same ``fact_id`` primary key by one bare
  ``executemany`` per 50,000 rows in one transaction (SQLite), or by ``COPY`` of the same rows
  as CSV (PostgreSQL); and the ratio import / floor.

Usage::

    python benchmarks/scale_import.py [--patients 20000] [--engines sqlite,postgresql]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

``--patients 100000`` and ``--patients 1000000`` give the sizes of issue 16 (5 M and 50 M facts;
the 1 M run needs some 15 GB of disk for the CSV and the registries).

``--floor-beside`` runs the floor (``COPY`` on PostgreSQL, ``executemany`` on SQLite) at the same
time as the import, its rows
made from ``facts.csv`` by the importer's own vectorised check (the same content-hash ids), so
both run under the same load, each slowing the other: for the 1 M size, where the import and
then the floor do not fit a session.

``--replicate-from B`` generates B patients and writes N/B copies of their rows, copy ``k``
renumbering the patients ``S{k*B+i:07d}`` (ids and provenance; every row stays SYNTHETIC and
every fact distinct, since its content hash covers the patient id): the generator writes
1 M patients' 50 M facts in some 20 minutes, the copies in about one.
Target: within 3x of the floor on both engines, peak RSS under 1 GB.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

FACT_HEADER = (
    "fact_id,patient_id,system,code,status,effective_date,value_num,value_text,unit,"
    "body_site,laterality,morphology,method,source_kind,provenance,review_state"
)
#: (system, code, unit, has a value, has a site) of the synthetic facts
CODES = [
    ("calciscope", "visit", None, False, False),
    ("HP", "HP:0003761", None, False, True),  # calcinosis
    ("HP", "HP:0030880", None, False, False),  # Raynaud
    ("LOINC", "2157-6", "U/L", True, False),  # CK
    ("calciscope", "mrss_total", None, True, False),
    ("SNOMEDCT", "31996006", None, False, False),
    ("ICD10", "M34.0", None, False, False),
    ("HP", "HP:0001047", None, False, True),
]
SITES = ["hand", "fingers", "elbow", "knee", "forearm", None]
SIDES = ["left", "right", "bilateral", None]
_FLOOR_CHUNK = 50_000
#: the age from which a patient's synthetic facts start (capped so the last is not after today)
_FIRST_AGE = 16


def generate(folder: Path, patients: int, seed: int = 0, *, facts: bool = True) -> int:
    """Write a SYNTHETIC native-format cohort; return the number of facts written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    births: list[int] = []
    with (folder / "patients.csv").open("w") as handle:
        handle.write("patient_id,sex,birth_year,centre,synthetic\n")
        for i in range(patients):
            sex = rng.choice(["female", "female", "female", "male"])
            births.append(rng.randint(1930, 2000))
            handle.write(f"S{i:07d},{sex},{births[-1]},C{i % 12},true\n")
    if not facts:
        return 0
    written = 0
    with (folder / "facts.csv").open("w") as handle:
        handle.write(FACT_HEADER + "\n")
        lines: list[str] = []
        for i in range(patients):
            pid = f"S{i:07d}"
            # up to 59 facts six a year: the last is at most 9 years on, so no fact is dated
            # after today (the importer refuses those; from 1995-2020 a 2029 date failed it).
            # The first year is never before the patient turns _FIRST_AGE (so never before
            # birth, which the importer refuses too: born 1991-2000, a 1990 start did); the
            # draw is the same one as before, so the random stream and the counts are unchanged
            year = max(rng.randint(1990, 2015), min(births[i] + _FIRST_AGE, 2015))
            for n in range(rng.randint(40, 60)):
                system, code, unit, valued, sited = rng.choice(CODES)
                date = f"{year + n // 6}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                value = f"{rng.uniform(10, 900):.1f}" if valued else ""
                status = "present" if rng.random() < 0.8 else "absent"
                site = rng.choice(SITES) if sited else None
                side = rng.choice(SIDES) if site else None
                lines.append(
                    f",{pid},{system},{code},{status},{date},{value},,{unit or ''},"
                    f"{site or ''},{side or ''},,,structured,synthetic:{pid}:{n},confirmed\n"
                )
            if len(lines) > 100_000:
                written += len(lines)
                handle.writelines(lines)
                lines = []
        written += len(lines)
        handle.writelines(lines)
    return written


def replicate(folder: Path, patients: int, base: int, seed: int = 0) -> int:
    """Write ``patients // base`` renumbered copies of a generated ``base``-patient cohort."""
    if patients % base or base % 10_000 or patients > 10_000_000:
        raise SystemExit("--replicate-from: B a multiple of 10,000 dividing N; N <= 10,000,000")
    written = generate(folder, base, seed)
    # base ids are S000iiii..; copy k's are S{k*base+i:07d}: replace the 3-digit prefix "S000"
    # (no code, date or value of the rows contains "S000": checked below)
    width = 7 - len(str(base - 1))
    prefix = "S" + "0" * width
    texts = {}
    for name in ("patients.csv", "facts.csv"):
        header, _, body = (folder / name).read_text().partition("\n")
        ids = re.findall(rf"(?:^|[,:\n]){prefix}\d{{{7 - width}}}(?=[,:])", body)
        if len(ids) != body.count(prefix):
            raise SystemExit(f"{name}: {prefix!r} found outside the patient ids")
        texts[name] = (header, body)
    for name, (header, body) in texts.items():
        with (folder / name).open("w") as handle:
            handle.write(header + "\n")
            for k in range(patients // base):
                start = f"S{k * base // 10 ** (7 - width):0{width}d}"
                handle.write(body.replace(prefix, start) if k else body)
    return written * (patients // base)


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark across exec into the latter
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_import(url: str, folder: str) -> dict[str, Any]:
    """Import the folder into the registry at ``url`` (in this process); return the figures."""
    from calciscope import api

    registry = api.open_registry(url)
    start = time.perf_counter()
    summary = api.import_directory(registry, Path(folder))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "counts": summary.counts, "peak_mb": _peak_mb()}


_COLUMNS = (
    "fact_id, patient_id, system, code, status, effective_date, value_num, value_text, unit, "
    "body_site, laterality, morphology, method, source_kind, provenance, review_state, batch_id"
)
_FLOOR_TABLE = (
    "CREATE TABLE floor (fact_id VARCHAR(64) PRIMARY KEY, patient_id VARCHAR(128), "
    "system VARCHAR(16), code VARCHAR(128), status VARCHAR(16), effective_date DATE, "
    "value_num FLOAT, value_text TEXT, unit VARCHAR(32), body_site VARCHAR(32), "
    "laterality VARCHAR(16), morphology VARCHAR(16), method VARCHAR(32), "
    "source_kind VARCHAR(16), provenance TEXT, review_state VARCHAR(16), batch_id VARCHAR(64))"
)


def _source_chunks(source_db: str) -> Any:
    """Yield the registry's fact rows in chunks: an SQLite file, or a PostgreSQL URL."""
    if source_db.startswith("postgresql"):
        import psycopg

        plain = source_db.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as source, source.cursor(name="floor_rows") as cursor:
            cursor.execute(f"SELECT {_COLUMNS} FROM facts")
            while rows := cursor.fetchmany(_FLOOR_CHUNK):
                yield rows
        return
    with sqlite3.connect(source_db) as source:
        cursor = source.execute(f"SELECT {_COLUMNS} FROM facts")
        while rows := cursor.fetchmany(_FLOOR_CHUNK):
            yield rows


def child_floor_sqlite(source_db: str, target_db: str) -> dict[str, Any]:
    """Time bare executemany of the registry's fact rows into a table with the same key."""
    target = sqlite3.connect(target_db, isolation_level=None)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute(_FLOOR_TABLE)
    marks = ", ".join("?" for _ in _COLUMNS.split(","))
    seconds, rows = 0.0, 0
    target.execute("BEGIN IMMEDIATE")
    for chunk in _source_chunks(source_db):
        start = time.perf_counter()
        target.executemany(f"INSERT INTO floor VALUES ({marks})", chunk)
        seconds += time.perf_counter() - start
        rows += len(chunk)
    start = time.perf_counter()
    target.execute("COMMIT")
    seconds += time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def _csv_chunks(source_db: str, names: list[str]) -> Any:
    """Yield (rows, CSV bytes) of the registry's facts, ``_FLOOR_CHUNK`` rows at a time (untimed).

    From PostgreSQL the rows come as CSV from the server (``COPY ... TO STDOUT``, spooled to a
    temporary file), not as Python tuples: at 50 M rows that read back took longer than the
    timed part. The SYNTHETIC rows hold no line breaks, so a line is a row.
    """
    if not source_db.startswith("postgresql"):
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        for chunk in _source_chunks(source_db):
            table = pa.table({n: [r[i] for r in chunk] for i, n in enumerate(names)})
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, options)
            yield len(chunk), buffer.getvalue()
        return
    import psycopg

    plain = source_db.replace("postgresql+psycopg://", "postgresql://")
    with tempfile.TemporaryFile() as spool:
        with psycopg.connect(plain) as source, source.cursor() as cursor:
            query = f"COPY (SELECT {_COLUMNS} FROM facts) TO STDOUT (FORMAT csv)"
            with cursor.copy(query) as copy:
                for block in copy:
                    spool.write(block)
        spool.seek(0)
        while lines := list(itertools.islice(spool, _FLOOR_CHUNK)):
            yield len(lines), b"".join(lines)


def child_floor_postgresql(source_db: str, url: str) -> dict[str, Any]:
    """Time COPY of the registry's fact rows (as CSV, made untimed) into a table with the same key."""
    import psycopg

    names = [c.strip() for c in _COLUMNS.split(",")]
    seconds, rows = 0.0, 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor() as cursor:
            cursor.execute(_FLOOR_TABLE)
        conn.commit()
        with conn.cursor() as cursor:
            for count, buffer in _csv_chunks(source_db, names):
                start = time.perf_counter()
                with cursor.copy(f"COPY floor ({_COLUMNS}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer)
                seconds += time.perf_counter() - start
                rows += count
        start = time.perf_counter()
        conn.commit()
        seconds += time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def _floor_blocks(folder: str) -> Iterator[pa.Table]:
    """Yield the floor's rows of ``facts.csv``, a 4 MB block at a time (for the ``*_csv`` floors).

    Each block is made by the importer's own vectorised check (``check_block``: the same
    content-hash ids), in the floor table's columns with one batch id. The block is made in
    the generator, before the caller gets it: the caller times only what it does with it.
    """
    from calciscope.interop.native_facts import check_block
    from calciscope.storage.bulk import FACT_COLUMNS

    path = Path(folder) / "facts.csv"
    names = (path.open().readline().strip()).split(",")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=4 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    batch = uuid.uuid4().hex
    floor_columns = [c.strip() for c in _COLUMNS.split(",")]
    kept = [n for n in FACT_COLUMNS if n in floor_columns]  # the floor's, as read back
    for record_batch in reader:
        table, _doubt = check_block(pa.Table.from_batches([record_batch]))
        yield table.select(kept).append_column(
            "batch_id", pa.array([batch] * table.num_rows, pa.string())
        )


def child_floor_postgresql_csv(folder: str, url: str) -> dict[str, Any]:
    """The PostgreSQL floor from ``facts.csv`` itself: for a floor run beside the import.

    The rows are the import's (the importer's own vectorised check, ``check_block``, gives the
    same content-hash ids), made untimed a 4 MB block at a time as the importer reads them;
    only the ``COPY`` of each block into the floor table is timed. Used when the import is too
    long to run the floor after it (``--floor-beside``): both then run under the same load.
    """
    import psycopg

    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    seconds, rows = 0.0, 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor() as cursor:
            cursor.execute(_FLOOR_TABLE)
        conn.commit()
        with conn.cursor() as cursor:
            for table in _floor_blocks(folder):
                buffer = io.BytesIO()
                pacsv.write_csv(table, buffer, options)
                columns = ", ".join(table.column_names)
                start = time.perf_counter()
                with cursor.copy(f"COPY floor ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getbuffer())
                seconds += time.perf_counter() - start
                rows += table.num_rows
        start = time.perf_counter()
        conn.commit()
        seconds += time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def child_floor_sqlite_csv(folder: str, target_db: str, limit: str = "0") -> dict[str, Any]:
    """The SQLite floor from ``facts.csv`` itself, for a floor run beside the import.

    As :func:`child_floor_postgresql_csv`: the rows made untimed by the importer's own check
    (the same content-hash ids), a 4 MB block at a time; only the bare ``executemany`` of each
    block into a table with the same primary key is timed, in one transaction. ``limit``: stop
    after about that many rows (0: all), for a floor over the first part of a file whose
    import is measured over a window beside it.
    """
    target = sqlite3.connect(target_db, isolation_level=None)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute(_FLOOR_TABLE)
    seconds, rows = 0.0, 0
    target.execute("BEGIN IMMEDIATE")
    for table in _floor_blocks(folder):
        values = list(zip(*(table.column(n).to_pylist() for n in table.column_names), strict=True))
        marks = ", ".join("?" for _ in table.column_names)
        columns = ", ".join(table.column_names)
        start = time.perf_counter()
        target.executemany(f"INSERT INTO floor ({columns}) VALUES ({marks})", values)
        seconds += time.perf_counter() - start
        rows += table.num_rows
        if int(limit) and rows >= int(limit):
            break
    start = time.perf_counter()
    target.execute("COMMIT")
    seconds += time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def _run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _start_child(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--child", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _child_result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, process.args)
    return dict(json.loads(out.strip().splitlines()[-1]))


def _pg_database(admin_url: str, name: str, *, drop: bool = False) -> str:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    """Generate, import, time the floor, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--pg-prefix",
        default="calciscope_bulkimport",
        help="prefix of the PostgreSQL databases made (and dropped) by the run",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to write (default: tmp)")
    parser.add_argument(
        "--patients-only",
        action="store_true",
        help="write and import only patients.csv: the patient check's memory and speed, no floor",
    )
    parser.add_argument(
        "--floor-beside",
        action="store_true",
        help="run the floor (COPY on PostgreSQL, executemany on SQLite) beside the import (rows "
        "made from facts.csv by the importer's check), not after it: for sizes where both in "
        "turn do not fit the time",
    )
    parser.add_argument(
        "--replicate-from",
        type=int,
        default=0,
        metavar="B",
        help="generate B patients and write N/B renumbered SYNTHETIC copies (N a multiple of B)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        runner = {
            "import": child_import,
            "floor-sqlite": child_floor_sqlite,
            "floor-postgresql": child_floor_postgresql,
            "floor-postgresql-csv": child_floor_postgresql_csv,
            "floor-sqlite-csv": child_floor_sqlite_csv,
        }[kind]
        print(json.dumps(runner(*rest)))
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        if args.replicate_from and not args.patients_only:
            facts = replicate(root / "cohort", args.patients, args.replicate_from)
        else:
            facts = generate(root / "cohort", args.patients, facts=not args.patients_only)
        csv = root / "cohort" / "facts.csv"
        size = csv.stat().st_size / 1e6 if csv.exists() else 0.0
        print(
            f"SYNTHETIC cohort: {args.patients:,} patients, {facts:,} facts "
            f"(facts.csv {size:,.0f} MB), written in {time.perf_counter() - start:.1f} s"
        )
        sqlite_db = str(root / "registry.db")
        engines = args.engines.split(",")
        if args.patients_only:
            _patients_only(args, engines, sqlite_db)
            return
        if "sqlite" in engines:
            if args.floor_beside:  # both at once, under the same load
                beside = _start_child(
                    "floor-sqlite-csv", str(root / "cohort"), str(root / "floor.db")
                )
                imported = _run_child("import", f"sqlite:///{sqlite_db}", str(root / "cohort"))
                floor = _child_result(beside)
            else:
                imported = _run_child("import", f"sqlite:///{sqlite_db}", str(root / "cohort"))
                floor = _run_child("floor-sqlite", sqlite_db, str(root / "floor.db"))
            _report("sqlite", facts, imported, floor, "executemany", show="sqlite" in engines)
        if "postgresql" in engines:
            name = f"{args.pg_prefix}_{uuid.uuid4().hex[:8]}"
            url = _pg_database(args.pg, name)
            floor_name = f"{name}_floor"
            floor_url = _pg_database(args.pg, floor_name)
            try:
                if args.floor_beside:  # both at once, under the same load
                    beside = _start_child("floor-postgresql-csv", str(root / "cohort"), floor_url)
                    imported = _run_child("import", url, str(root / "cohort"))
                    floor = _child_result(beside)
                else:
                    imported = _run_child("import", url, str(root / "cohort"))
                    # the floor's rows: read back (untimed) from the SQLite registry, else this one
                    source = sqlite_db if "sqlite" in engines else url
                    floor = _run_child("floor-postgresql", source, floor_url)
                _report("postgresql", facts, imported, floor, "COPY", show=True)
            finally:
                _pg_database(args.pg, name, drop=True)
                _pg_database(args.pg, floor_name, drop=True)


def _patients_only(args: argparse.Namespace, engines: list[str], sqlite_db: str) -> None:
    """Import only the patients on each engine; print patients/s and the peak RSS."""
    folder = str(Path(sqlite_db).parent / "cohort")
    for engine in engines:
        name = f"{args.pg_prefix}_{uuid.uuid4().hex[:8]}"
        url = f"sqlite:///{sqlite_db}" if engine == "sqlite" else _pg_database(args.pg, name)
        try:
            imported = _run_child("import", url, folder)
        finally:
            if engine != "sqlite":
                _pg_database(args.pg, name, drop=True)
        print(
            f"{engine:10s} patients only: import {imported['seconds']:7.1f} s = "
            f"{args.patients / imported['seconds']:,.0f} patients/s, peak RSS "
            f"{imported['peak_mb']:,.0f} MB; counts {imported['counts']}"
        )


def _report(
    engine: str,
    facts: int,
    imported: dict[str, Any],
    floor: dict[str, Any],
    what: str,
    *,
    show: bool,
) -> None:
    if not show:
        return
    rate = facts / imported["seconds"]
    floor_rate = floor["rows"] / floor["seconds"]
    print(
        f"{engine:10s} import {imported['seconds']:7.1f} s = {rate:10,.0f} facts/s, "
        f"peak RSS {imported['peak_mb']:,.0f} MB; floor (bare {what}, same {floor['rows']:,} rows, "
        f"same primary key) {floor['seconds']:6.1f} s = {floor_rate:10,.0f} rows/s; "
        f"ratio {imported['seconds'] / floor['seconds']:.2f}x (target <= 3x, RSS < 1024 MB)"
    )
    print(f"{'':10s} counts {imported['counts']}")


if __name__ == "__main__":
    main()
