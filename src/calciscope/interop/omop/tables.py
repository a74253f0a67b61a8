"""The OMOP CDM v5.4 tables calciscope writes, and saving them to a folder or a database.

Column lists follow the CDM v5.4 DDL (OHDSI CommonDataModel); a test checks them against the
headers of a real v5.4 CDM (Synthea27Nj, OHDSI ETL-Synthea).
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.interop.omop.note_nlp import NOTE_NLP_COLUMNS
from calciscope.interop.omop.vocabulary import CONCEPT_COLUMNS
from calciscope.storage.database_url import display_url, normalise_url

__all__ = ["CDM_TABLES", "CdmExport", "save_cdm", "save_concept_sets"]

#: Columns of each table written (OMOP CDM v5.4).
CDM_TABLES: dict[str, tuple[str, ...]] = {
    "person": (
        "person_id",
        "gender_concept_id",
        "year_of_birth",
        "month_of_birth",
        "day_of_birth",
        "birth_datetime",
        "race_concept_id",
        "ethnicity_concept_id",
        "location_id",
        "provider_id",
        "care_site_id",
        "person_source_value",
        "gender_source_value",
        "gender_source_concept_id",
        "race_source_value",
        "race_source_concept_id",
        "ethnicity_source_value",
        "ethnicity_source_concept_id",
    ),
    "care_site": (
        "care_site_id",
        "care_site_name",
        "place_of_service_concept_id",
        "location_id",
        "care_site_source_value",
        "place_of_service_source_value",
    ),
    "observation_period": (
        "observation_period_id",
        "person_id",
        "observation_period_start_date",
        "observation_period_end_date",
        "period_type_concept_id",
    ),
    "visit_occurrence": (
        "visit_occurrence_id",
        "person_id",
        "visit_concept_id",
        "visit_start_date",
        "visit_start_datetime",
        "visit_end_date",
        "visit_end_datetime",
        "visit_type_concept_id",
        "provider_id",
        "care_site_id",
        "visit_source_value",
        "visit_source_concept_id",
        "admitted_from_concept_id",
        "admitted_from_source_value",
        "discharged_to_concept_id",
        "discharged_to_source_value",
        "preceding_visit_occurrence_id",
    ),
    "condition_occurrence": (
        "condition_occurrence_id",
        "person_id",
        "condition_concept_id",
        "condition_start_date",
        "condition_start_datetime",
        "condition_end_date",
        "condition_end_datetime",
        "condition_type_concept_id",
        "condition_status_concept_id",
        "stop_reason",
        "provider_id",
        "visit_occurrence_id",
        "visit_detail_id",
        "condition_source_value",
        "condition_source_concept_id",
        "condition_status_source_value",
    ),
    "procedure_occurrence": (
        "procedure_occurrence_id",
        "person_id",
        "procedure_concept_id",
        "procedure_date",
        "procedure_datetime",
        "procedure_end_date",
        "procedure_end_datetime",
        "procedure_type_concept_id",
        "modifier_concept_id",
        "quantity",
        "provider_id",
        "visit_occurrence_id",
        "visit_detail_id",
        "procedure_source_value",
        "procedure_source_concept_id",
        "modifier_source_value",
    ),
    "observation": (
        "observation_id",
        "person_id",
        "observation_concept_id",
        "observation_date",
        "observation_datetime",
        "observation_type_concept_id",
        "value_as_number",
        "value_as_string",
        "value_as_concept_id",
        "qualifier_concept_id",
        "unit_concept_id",
        "provider_id",
        "visit_occurrence_id",
        "visit_detail_id",
        "observation_source_value",
        "observation_source_concept_id",
        "unit_source_value",
        "qualifier_source_value",
        "value_source_value",
        "observation_event_id",
        "obs_event_field_concept_id",
    ),
    "measurement": (
        "measurement_id",
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "measurement_datetime",
        "measurement_time",
        "measurement_type_concept_id",
        "operator_concept_id",
        "value_as_number",
        "value_as_concept_id",
        "unit_concept_id",
        "range_low",
        "range_high",
        "provider_id",
        "visit_occurrence_id",
        "visit_detail_id",
        "measurement_source_value",
        "measurement_source_concept_id",
        "unit_source_value",
        "unit_source_concept_id",
        "value_source_value",
        "measurement_event_id",
        "meas_event_field_concept_id",
    ),
    "death": (
        "person_id",
        "death_date",
        "death_datetime",
        "death_type_concept_id",
        "cause_concept_id",
        "cause_source_value",
        "cause_source_concept_id",
    ),
    "note": (
        "note_id",
        "person_id",
        "note_date",
        "note_datetime",
        "note_type_concept_id",
        "note_class_concept_id",
        "note_title",
        "note_text",
        "encoding_concept_id",
        "language_concept_id",
        "provider_id",
        "visit_occurrence_id",
        "visit_detail_id",
        "note_source_value",
        "note_event_id",
        "note_event_field_concept_id",
    ),
    "note_nlp": NOTE_NLP_COLUMNS,
    "concept": CONCEPT_COLUMNS,
    "concept_ancestor": (
        "ancestor_concept_id",
        "descendant_concept_id",
        "min_levels_of_separation",
        "max_levels_of_separation",
    ),
    "concept_relationship": (
        "concept_id_1",
        "concept_id_2",
        "relationship_id",
        "valid_start_date",
        "valid_end_date",
        "invalid_reason",
    ),
    "domain": ("domain_id", "domain_name", "domain_concept_id"),
    "concept_class": ("concept_class_id", "concept_class_name", "concept_class_concept_id"),
    "vocabulary": (
        "vocabulary_id",
        "vocabulary_name",
        "vocabulary_reference",
        "vocabulary_version",
        "vocabulary_concept_id",
    ),
    "cdm_source": (
        "cdm_source_name",
        "cdm_source_abbreviation",
        "cdm_holder",
        "source_description",
        "source_documentation_reference",
        "cdm_etl_reference",
        "source_release_date",
        "cdm_release_date",
        "cdm_version",
        "cdm_version_concept_id",
        "vocabulary_version",
    ),
}


@dataclass
class CdmExport:
    """The tables of an exported CDM (rows by table name), its concept sets and its report."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    concept_sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


#: Columns named ``*_id`` that hold text, not integers, in the CDM DDL.
_TEXT_IDS = frozenset(("domain_id", "vocabulary_id", "concept_class_id", "relationship_id"))


def _column_type(name: str) -> Any:
    import sqlalchemy as sa

    if name.endswith("_date"):
        return sa.Date()
    if name.endswith("_datetime"):
        return sa.DateTime()
    if name in ("value_as_number", "range_low", "range_high"):
        return sa.Float()
    if name in _TEXT_IDS:
        return sa.Text()
    if name.endswith(("_id", "_of_birth", "_of_separation")) or name == "quantity":
        return sa.BigInteger()
    return sa.Text()


def _save_database(export: CdmExport, url: str) -> list[str]:
    """Create the CDM tables in an empty database and fill them, in one transaction."""
    import sqlalchemy as sa

    engine = sa.create_engine(normalise_url(url))
    try:
        present = set(sa.inspect(engine).get_table_names()) & set(CDM_TABLES)
        if present:
            raise ValidationError(
                [
                    Problem(
                        display_url(url),
                        "tables",
                        t,
                        "already exists: export into an empty database",
                    )
                    for t in sorted(present)
                ],
                summary="OMOP CDM not written",
            )
        metadata = sa.MetaData()
        tables = [
            sa.Table(name, metadata, *(sa.Column(c, _column_type(c)) for c in columns))
            for name, columns in CDM_TABLES.items()
        ]
        with engine.begin() as connection:
            metadata.create_all(connection)
            for table in tables:
                rows = export.tables.get(table.name, [])
                if rows:
                    connection.execute(
                        table.insert(), [dict.fromkeys(table.c.keys()) | r for r in rows]
                    )
    finally:
        engine.dispose()
    return [f"{display_url(url)}#{name}" for name in CDM_TABLES]


def save_concept_sets(export: CdmExport, folder: Path) -> list[Path]:
    """Write the export's concept sets as ``folder/<concept>.json`` (OHDSI format)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    for name, concept_set in export.concept_sets.items():
        path = Path(folder) / f"{name}.json"
        path.write_text(json.dumps(concept_set, indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def save_cdm(
    export: CdmExport, target: Path | str, *, concept_sets: Path | None = None
) -> list[str]:
    """Write the CDM into a folder (``<table>.csv``) or an empty database (URL), and its concept sets.

    Parameters
    ----------
    export
        The tables from :func:`build_cdm`.
    target
        A folder, or a database URL (``postgresql+psycopg://…``, ``sqlite:///…``) whose CDM
        tables must not exist yet; a database is written in one transaction.
    concept_sets
        Folder for ``<concept>.json``; default ``<folder>/concept_sets``, or ``./concept_sets``
        for a database.

    Raises
    ------
    ValidationError
        When a CDM table already exists in the target database (nothing is written).
    """
    if "://" in str(target):
        written = _save_database(export, str(target))
        folder = Path(concept_sets or "concept_sets")
    else:
        folder = Path(target)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, columns in CDM_TABLES.items():
            path = folder / f"{name}.csv"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
                writer.writeheader()
                writer.writerows(export.tables.get(name, []))
            written.append(str(path))
        folder = Path(concept_sets or folder / "concept_sets")
    return written + [str(p) for p in save_concept_sets(export, folder)]
