"""Benchmark: re-importing changed values is linear (fix42, review 42 H3).

A SYNTHETIC registry (20 CK-like facts a patient: 4 codes x 5 dates, each with its own
provenance) is imported, then imported again with every value changed, so every fact supersedes
its earlier version (``facts_superseded_by_reimport``). Printed per size: the first import (the
floor, timed in the same run), the re-import, their ratio, and the re-import's seconds per
1,000 facts; the ratio staying flat from the small to the large size is the linear behaviour
(hardening36's self-join grew quadratically: 10,000 facts 18.6 s, 100,000 over 400 s).

Usage::

    python benchmarks/reimport.py [--patients 500 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from calciscope.model import Fact, Patient, Sex, SourceKind, Status
from calciscope.storage import Batch, Registry

CODES = ("2157-6", "2160-0", "1742-6", "2345-7")


def _batch(patients: int, delta: float) -> Batch:
    people = [Patient(patient_id=f"S{i}", sex=Sex.FEMALE, synthetic=True) for i in range(patients)]
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
        for i in range(patients)
        for j, code in enumerate(CODES)
        for day in range(5)
    ]
    return Batch(patients=people, facts=facts)


def _timed(registry: Registry, batch: Batch) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    counts = registry.import_batch(batch, source="synthetic.json", source_hash="x").counts
    return time.perf_counter() - start, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[500, 5000])
    args = parser.parse_args()
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
