"""Benchmark: re-importing changed values is linear (fix42, review 42 H3).

A SYNTHETIC registry (20 CK-like facts a patient: 4 codes x 5 dates, each with its own
provenance) is imported, then imported again with every value changed, so every fact supersedes
its earlier version (``facts_superseded_by_reimport``). Printed per size: the first import (the
floor, timed in the same run), the re-import, their ratio, and the re-import's seconds per
1,000 facts; the ratio staying flat from the small to the large size is the linear behaviour
(hardening36's self-join grew quadratically: 10,000 facts 18.6 s, 100,000 over 400 s).

``--spark N`` (scale38): a Spark local warehouse of N SYNTHETIC patients (20 facts each) is
imported, then one patient is imported again with every value changed (20 supersessions), and
once more unchanged (the floor: a one-patient import that writes no fact). Printed: the three
times, the ratio of the changed re-import to the floor, and how many of the ``facts`` table's
Parquet files the changed re-import removed, added or left as they were (by name, size and
mtime). Run it with another tree's ``src`` on ``PYTHONPATH`` to compare before and after.

Usage::

    python benchmarks/reimport.py [--patients 500 5000]
    python benchmarks/reimport.py --spark 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from calciscope.model import Fact, Patient, Sex, SourceKind, Status
from calciscope.storage import Batch, Registry

CODES = ("2157-6", "2160-0", "1742-6", "2345-7")


def _batch(patients: int, delta: float, *, first: int = 0) -> Batch:
    ids = range(first, patients)
    people = [Patient(patient_id=f"S{i}", sex=Sex.FEMALE, synthetic=True) for i in ids]
    facts = [
        Fact(
            patient_id=f"S{i}",
            system="LOINC",
            code=code,
            status=Status.PRESENT,
            value_num=float(i + j + delta),
            unit="U/L",
            effective_date=dt.date(2021, 3, 1 + day),
            source_kind=SourceKind.IMPORT,
            provenance=f"synthetic.json#/entry/{i}/{j}/{day}",
        )
        for i in ids
        for j, code in enumerate(CODES)
        for day in range(5)
    ]
    return Batch(patients=people, facts=facts)


def _timed(registry: Registry, batch: Batch) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    counts = registry.import_batch(batch, source="synthetic.json", source_hash="x").counts
    return time.perf_counter() - start, counts


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Return the Parquet files under ``folder``: relative path -> (size, mtime in ns)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*.parquet")
    }


def _spark(patients: int) -> None:
    """Time a one-patient re-import on a Spark local warehouse of ``patients`` patients."""
    from calciscope import api

    os.environ.setdefault("CALCISCOPE_SPARK_PARTITIONS", "2")
    with tempfile.TemporaryDirectory() as folder:
        url = f"spark://local?warehouse={folder}&master=local[2]"
        registry = api.open_registry(url)
        first, _ = _timed(registry, _batch(patients, 0.0))
        facts = Path(folder) / "facts"
        before = _files(facts)
        changed, counts = _timed(registry, _batch(1, 1.0))  # patient S0, every value changed
        assert counts.get("facts_superseded_by_reimport") == 20, counts
        after = _files(facts)
        floor, counts = _timed(registry, _batch(1, 1.0))  # the same again: nothing to write
        assert counts.get("facts_already_in_registry") == 20, counts
        kept = sum(1 for name, stat in before.items() if after.get(name) == stat)
        print(
            f"Spark, {patients} patients ({patients * 20} facts, first import {first:.1f} s): "
            f"one patient re-imported changed {changed:.2f} s, unchanged (floor) {floor:.2f} s, "
            f"ratio {changed / floor:.2f}; facts files before {len(before)}, after {len(after)}: "
            f"{len(before) - kept} removed or changed, {len(after) - kept} written, {kept} kept"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--spark", type=int, metavar="N", help="a Spark warehouse of N patients")
    args = parser.parse_args()
    if args.spark:
        _spark(args.spark)
        return
    with tempfile.TemporaryDirectory() as folder:
        for patients in args.patients:
            registry = Registry(f"sqlite:///{Path(folder) / f'r{patients}.db'}")
            floor, _ = _timed(registry, _batch(patients, 0.0))
            again, counts = _timed(registry, _batch(patients, 1.0))
            registry.close()
            facts = patients * len(CODES) * 5
            assert counts.get("facts_superseded_by_reimport") == facts, counts
            print(
                f"{facts:>8} facts: first import {floor:6.2f} s, changed re-import "
                f"{again:6.2f} s, ratio {again / floor:5.2f}, {1000 * again / facts:5.3f} s/1000"
            )


if __name__ == "__main__":
    main()
