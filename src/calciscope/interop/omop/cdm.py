"""Open an OMOP CDM (v5.3 or v5.4) through Ibis: a folder of CSV/Parquet files (DuckDB) or a URL.

Nothing is copied into the calciscope registry: tables are views in DuckDB (over the files)
or the database's own tables (PostgreSQL), and every query runs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.engine import connect
from calciscope.errors import Problem, ValidationError
from calciscope.storage.database_url import display_url

__all__ = ["REQUIRED_TABLES", "USED_TABLES", "Cdm", "PatientIdColumn", "open_cdm"]

#: Tables calciscope reads; a CDM without them is refused.
REQUIRED_TABLES = ("person", "concept", "concept_ancestor", "concept_relationship")
#: Tables opened from a folder (others are left alone, so opening stays fast).
USED_TABLES = (
    *REQUIRED_TABLES,
    "condition_occurrence",
    "observation",
    "measurement",
    "procedure_occurrence",
    "observation_period",
    "cdm_source",
    "episode",
    "note",
    "note_nlp",
    "visit_occurrence",
    "death",
    "care_site",
)


class PatientIdColumn(StrEnum):
    """The PERSON column read as calciscope's patient id."""

    PERSON_ID = "person_id"
    PERSON_SOURCE_VALUE = "person_source_value"


@dataclass
class Cdm:
    """An opened CDM: its Ibis backend, tables by lower-case name, and CDM version.

    ``patient_ids`` says which PERSON column becomes calciscope's patient id (``person_id``,
    or ``person_source_value``, where calciscope's export keeps the registry id); ``synthetic``
    marks every person and note as synthetic data.
    """

    con: Any
    tables: dict[str, ir.Table]
    version: str
    source: str
    patient_ids: PatientIdColumn = PatientIdColumn.PERSON_ID
    synthetic: bool = False

    def close(self) -> None:
        """Close the connection to the CDM database."""
        self.con.disconnect()

    def table(self, name: str) -> ir.Table | None:
        """Return a table by (case-insensitive) name, or None when the CDM lacks it."""
        return self.tables.get(name.lower())


def _folder_tables(con: Any, folder: Path) -> dict[str, ir.Table]:
    tables: dict[str, ir.Table] = {}
    for path in sorted(folder.iterdir()):
        name, suffix = path.stem.lower(), path.suffix.lower()
        if name not in USED_TABLES:
            continue
        reader = {".csv": "read_csv_auto", ".parquet": "read_parquet"}.get(suffix)
        if reader is not None:
            # A view, not a copy: DuckDB reads the file when a query needs it.
            literal = str(path.resolve()).replace("'", "''")
            con.raw_sql(f"CREATE OR REPLACE VIEW cdm_{name} AS SELECT * FROM {reader}('{literal}')")
            tables[name] = con.table(f"cdm_{name}")
    return tables


def _version(tables: dict[str, ir.Table]) -> str:
    source = tables.get("cdm_source")
    if source is not None and "cdm_version" in source.columns:
        value = source.select("cdm_version").limit(1).to_pyarrow().column(0).to_pylist()
        if value and value[0] is not None:
            text = str(value[0]).lstrip("v")
            return "5.4" if text.startswith("5.4") else "5.3" if text.startswith("5.3") else text
    return "5.4" if "episode" in tables else "5.3"


def _marked_synthetic(tables: dict[str, ir.Table]) -> bool:
    """Return True when ``cdm_source.source_description`` starts with "SYNTHETIC" (as calciscope writes)."""
    source = tables.get("cdm_source")
    if source is None or "source_description" not in source.columns:
        return False
    values = source.select("source_description").limit(1).to_pyarrow().column(0).to_pylist()
    return bool(values) and str(values[0] or "").strip().upper().startswith("SYNTHETIC")


def open_cdm(
    source: str | Path,
    *,
    patient_ids: PatientIdColumn = PatientIdColumn.PERSON_ID,
    synthetic: bool | None = None,
) -> Cdm:
    """Open a CDM from a folder of CSV/Parquet files or a database URL.

    Parameters
    ----------
    source
        A folder (file names in any case: ``person.csv`` or ``PERSON.csv``), or a URL such as
        ``postgresql+psycopg://user@host/db`` or ``duckdb:///cdm.duckdb``.
    patient_ids
        The PERSON column that becomes the patient id.
    synthetic
        Mark persons and notes as synthetic; by default, when ``cdm_source.source_description``
        starts with "SYNTHETIC" (calciscope writes that for a synthetic cohort).

    Raises
    ------
    ValidationError
        When a required table is missing.
    """
    path = Path(str(source))
    if "://" not in str(source) and path.is_dir():
        con = ibis.duckdb.connect()
        tables = _folder_tables(con, path)
    else:
        con = connect(str(source))
        tables = {name.lower(): con.table(name) for name in con.list_tables()}
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ValidationError(
            [
                Problem(display_url(source), "tables", name, "required OMOP CDM table is missing")
                for name in missing
            ],
            summary="not an OMOP CDM",
        )
    marked = _marked_synthetic(tables) if synthetic is None else synthetic
    shown = display_url(source)
    return Cdm(con, tables, _version(tables), shown, PatientIdColumn(patient_ids), marked)
