"""Verbs for an OMOP CDM in place: screen its persons, classify them, write an OHDSI cohort.

The feature table, criteria and phenotypes run inside the CDM's database
(:mod:`calciscope.interop.omop`); importing a CDM into the registry is
:func:`calciscope.api.import_omop`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from calciscope.errors import Problem, ValidationError

__all__ = ["concept_set_files", "screen_omop", "write_omop_cohort"]


def concept_set_files(paths: Sequence[Path | str]) -> dict[str, Path]:
    """Return concept name → concept-set file for ``NAME=FILE`` items and folders of ``NAME.json``."""
    sets: dict[str, Path] = {}
    for item in map(str, paths):
        name, sep, path = item.partition("=")
        if not sep and Path(item).is_dir():
            sets |= {p.stem: p for p in sorted(Path(item).glob("*.json"))}
        elif sep and name.strip() and path.strip():
            sets[name.strip()] = Path(path.strip())
        else:
            problem = Problem(
                item, "argument", "concept set", "expected NAME=FILE or a folder of NAME.json"
            )
            raise ValidationError([problem])
    return sets


def _cdm_with_sets(cdm_source: str | Path, concept_sets: dict[str, Path]) -> tuple[Any, Any]:
    """Open the CDM and read its concept sets (calciscope concept name → OHDSI JSON file)."""
    from calciscope.interop.omop import load_concept_set, open_cdm

    sets = {name: load_concept_set(Path(path), name=name) for name, path in concept_sets.items()}
    return open_cdm(cdm_source), sets


def screen_omop(
    cdm_source: str | Path,
    concept_sets: dict[str, Path],
    *,
    index_date: dt.date | None = None,
    features: Sequence[str] | None = None,
    classify: bool = False,
) -> pa.Table:
    """Screen an OMOP CDM in place: its feature table, computed inside the CDM database.

    Parameters
    ----------
    cdm_source
        A folder of CDM CSV/Parquet files or a database URL.
    concept_sets
        calciscope concept name → OHDSI concept-set JSON file.
    index_date
        Events after it are ignored; today by default.
    features
        Only these features in the returned table.
    classify
        Return every criteria-set result and phenotype (computed in the CDM database) instead.

    Returns
    -------
    pyarrow.Table
        One row per person (``.to_pandas()``, ``polars.from_arrow``).
    """
    from calciscope.interop.omop import classify_cdm, screen_cdm

    cdm, sets = _cdm_with_sets(cdm_source, concept_sets)
    if classify:
        table = classify_cdm(cdm, sets, index_date=index_date)
    else:
        table = screen_cdm(
            cdm, sets, index_date=index_date, features=list(features) if features else None
        )
    result: pa.Table = table.to_pyarrow()
    return result


def write_omop_cohort(
    cdm_source: str | Path,
    concept_sets: dict[str, Path],
    feature: str,
    out: Path,
    *,
    cohort_definition_id: int = 1,
    index_date: dt.date | None = None,
) -> int:
    """Write the OHDSI cohort table of the CDM's persons with ``feature`` true to ``out`` (CSV).

    The cohort is found inside the CDM database; only its rows are read. Returns their number.
    """
    from calciscope.interop.omop import cohort_table, write_cohort

    cdm, sets = _cdm_with_sets(cdm_source, concept_sets)
    cohort = cohort_table(
        cdm, sets, feature, cohort_definition_id=cohort_definition_id, index_date=index_date
    )
    return write_cohort(cohort, Path(out))
