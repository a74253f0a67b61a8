"""Benchmark: the round trips of a SYNTHETIC demo cohort through every exchange format.

For an N-patient demo cohort (default 5,000, with notes) imported into an SQLite registry, prints
for each format (OMOP CDM folder, FHIR bundle, Phenopackets, REDCap) the export time, the
import time into a fresh registry, whether the feature table came back identical (and the
columns that differ, for Phenopackets the documented ones), and the process's peak RSS.

Usage::

    python benchmarks/interop.py [--patients 5000] [--formats omop,fhir,phenopackets,redcap]

Every patient is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calciscope import api
from calciscope.storage import Registry

INDEX = dt.date(2026, 1, 1)


def _table(registry: Registry) -> Any:
    table = api.feature_table(registry, index_date=INDEX).to_pandas()
    return table.sort_values("patient_id").reset_index(drop=True)


def _differing(before: Any, after: Any) -> list[str]:
    if list(before.patient_id) != list(after.patient_id):
        return ["patient_id"]
    return [c for c in before.columns if not before[c].astype(str).equals(after[c].astype(str))]


def _omop(source: Registry, target: Registry, root: Path) -> None:
    api.export_omop(source, root / "cdm")
    sets = api.concept_set_files([root / "cdm" / "concept_sets"])
    api.import_omop(target, root / "cdm", sets, patient_ids=api.PatientIdColumn.PERSON_SOURCE_VALUE)


def _fhir(source: Registry, target: Registry, root: Path) -> None:
    api.export_fhir(source, root / "bundle.json")
    api.import_fhir(target, [root / "bundle.json"])


def _phenopackets(source: Registry, target: Registry, root: Path) -> None:
    api.export_phenopackets(source, root / "packets")
    api.import_phenopackets(target, [root / "packets"])


def _redcap(source: Registry, target: Registry, root: Path) -> None:
    folder = root / "redcap"
    api.export_redcap(source, folder)
    api.import_redcap(
        target, folder / "data.csv", folder / "dictionary.csv", folder / "mapping.yaml"
    )


FORMATS: dict[str, Callable[[Registry, Registry, Path], None]] = {
    "omop": _omop,
    "fhir": _fhir,
    "phenopackets": _phenopackets,
    "redcap": _redcap,
}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        api.generate_demo_data(root / "demo", patients=args.patients, seed=0, notes=True)
        source = api.open_registry(f"sqlite:///{root}/source.db")
        summary = api.import_directory(source, root / "demo")
        print(f"SYNTHETIC cohort: {args.patients} patients, {summary.counts}, "
              f"generated and imported in {time.perf_counter() - start:.1f} s")  # fmt: skip
        before = _table(source)
        for name in args.formats.split(","):
            target = api.open_registry(f"sqlite:///{root}/{name}.db")
            (root / name).mkdir()
            start = time.perf_counter()
            FORMATS[name](source, target, root / name)
            elapsed = time.perf_counter() - start
            differing = _differing(before, _table(target))
            print(f"{name:13s} export + import {elapsed:6.1f} s; feature table "
                  f"{'identical' if not differing else 'differs in ' + ', '.join(differing)}")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
