"""Store and read criteria results in ``classification_results`` (one row per patient, set and index date).

Each row records what it was computed from: the definitions (``definitions_version``,
:func:`definitions_version`: a hash of the packaged definitions, the code that evaluates them and the options) and the patient's data (``data_version``, :func:`data_version`: a hash of the
patient's row and every one of their fact rows, superseded ones and review states included).
Any import, added or corrected fact, or review decision changes a fact row, so it changes the
hash; a stored result whose hashes still match is the result a fresh computation would give.
Each row also records the registry's ``generation`` (:meth:`Registry.generation`, moved on by
database triggers at every write to the registry's data): a result whose generation is the
registry's still is current for every patient, which one read tells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import sqlalchemy as sa

from calciscope import __version__
from calciscope.storage import schema
from calciscope.storage.registry import Registry

__all__ = [
    "StoredResult",
    "data_version",
    "data_versions",
    "definitions_version",
    "hash_rows",
    "read_classification_results",
    "write_classification_results",
]


@dataclass(frozen=True)
class StoredResult:
    """One criteria (or phenotype) result of one patient at one index date."""

    patient_id: str
    criteria_set: str
    index_date: dt.date
    criteria_version: str
    status: str
    result: dict[str, Any]
    #: What the result was computed from (None: not recorded, never reused).
    definitions_version: str | None = None
    data_version: str | None = None
    #: the registry's generation (:meth:`Registry.generation`) the result was computed at
    generation: int | None = None


def write_classification_results(registry: Registry, results: Sequence[StoredResult]) -> int:
    """Insert or replace results (keyed by patient, set and index date) in one transaction.

    Returns
    -------
    int
        The number of rows written.
    """
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "patient_id": r.patient_id,
            "criteria_set": r.criteria_set,
            "index_date": r.index_date,
            "criteria_version": r.criteria_version,
            "status": r.status,
            "result": r.result,
            "computed_at": now,
            "definitions_version": r.definitions_version,
            "data_version": r.data_version,
            "generation": r.generation,
        }
        for r in results
    ]
    return registry.write_classification_rows(rows)


def read_classification_results(
    registry: Registry, *, patient_id: str | None = None, index_date: dt.date | None = None
) -> list[StoredResult]:
    """Return stored results, optionally for one patient and/or one index date."""
    rows = registry.classification_rows(patient_id=patient_id, index_date=index_date)
    return [StoredResult(**{k: v for k, v in row.items() if k != "computed_at"}) for row in rows]


#: The packaged definitions a classification depends on (any edit makes stored results stale).
_DEFINITION_FILES = (
    ("calciscope.criteria", "sets"),
    ("calciscope.phenotype", "phenotypes.yaml"),
    ("calciscope.features", "features.yaml"),
    ("calciscope.features", "concepts.yaml"),
)

#: The packages whose code turns those definitions into results: the definitions' readers, the
#: one evaluator (``engine``) and the model it reads facts by (``model.bounds``: what a bounded
#: value settles). Their source is part of the hash too, so a changed scoring rule (edge35: an
#: age known as a range scored at its cut-offs; hardening35: a bound against a limit) makes
#: stored results stale between releases, not only when ``__version__`` moves.
_EVALUATOR_PACKAGES = (
    "calciscope.model",
    "calciscope.criteria",
    "calciscope.phenotype",
    "calciscope.features",
    "calciscope.engine",
)


@lru_cache(maxsize=8)
def definitions_version(min_probability: float | None) -> str:
    """Return a hash of the definitions and options a classification is computed from.

    The criteria sets, phenotypes and feature catalogue as packaged, calciscope's version, the
    source of the code that reads and evaluates them (``_EVALUATOR_PACKAGES``) and the IIM
    probability threshold.
    """
    digest = hashlib.sha256(f"{__version__}|{min_probability!r}".encode())
    for package, name in _DEFINITION_FILES:
        path = resources.files(package).joinpath(name)
        files = sorted(path.iterdir(), key=lambda p: p.name) if path.is_dir() else [path]
        for file in (f for f in files if f.name.endswith(".yaml")):
            digest.update(f"{package}/{file.name}\n".encode() + file.read_bytes())
    for package in _EVALUATOR_PACKAGES:
        sources = sorted(resources.files(package).iterdir(), key=lambda p: p.name)
        for file in (f for f in sources if f.name.endswith(".py")):
            digest.update(f"{package}/{file.name}\n".encode() + file.read_bytes())
    return digest.hexdigest()


def data_version(patient: Mapping[Any, Any], facts: Iterable[Mapping[Any, Any]]) -> str:
    """Return the hash of one patient's row and fact rows (in the registry's layout).

    The same rows give the same hash however they were read (the whole table, or one
    patient's rows as Arrow tables): columns in schema order, facts by id, values as text.
    """
    people = [c.name for c in schema.patients.columns]
    columns = [c.name for c in schema.facts.columns]
    rows = [[str(f.get(c)) for c in columns] for f in facts]
    return hash_rows([str(patient.get(c)) for c in people], rows)


def hash_rows(patient: Sequence[str], facts: Iterable[Sequence[str]]) -> str:
    """Return :func:`data_version` of a patient row and fact rows already as text, in schema order.

    For a reader that turns whole columns to text at once (``engine.stored``).
    """
    rows = sorted(facts, key=lambda r: r[0])
    text = json.dumps([list(patient), [list(r) for r in rows]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_versions(registry: Registry) -> dict[str, str]:
    """Return :func:`data_version` of every patient of an SQL registry (one pass over facts)."""
    facts = schema.facts
    query = sa.select(facts).order_by(facts.c.patient_id)
    with registry.engine.connect() as conn:
        patients = {r["patient_id"]: r for r in conn.execute(sa.select(schema.patients)).mappings()}
        by_patient = {
            pid: data_version(patients[pid], rows)
            for pid, rows in itertools.groupby(
                conn.execution_options(yield_per=10_000).execute(query).mappings(),
                key=lambda r: r["patient_id"],
            )
        }
    return {pid: by_patient.get(pid) or data_version(row, ()) for pid, row in patients.items()}
