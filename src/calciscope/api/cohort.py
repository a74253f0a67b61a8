"""Verbs for the registry and the cohort: open, generate demo data, import, features, patients."""

from __future__ import annotations

import datetime as dt
import operator
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from calciscope.api.users import audit_import
from calciscope.engine import compute_feature_table, connect
from calciscope.engine.connection import duckdb_path
from calciscope.engine.features import dated_records
from calciscope.errors import NotFoundError, Problem, RegistryError, ValidationError
from calciscope.features import FeatureType, load_catalogue
from calciscope.interop.native import directory_hash, stream_directory
from calciscope.model import Fact, Image, Note, Patient, ReviewState
from calciscope.storage import ImportSummary, Registry
from calciscope.storage.database_url import display_url, normalise_url

__all__ = [
    "DEFAULT_DB_URL",
    "FILTER_ALIASES",
    "PatientRecord",
    "feature_expression",
    "feature_table",
    "filter_patients",
    "generate_demo_data",
    "import_directory",
    "list_patients",
    "open_registry",
    "open_study_source",
    "patient_record",
    "resolve_db_url",
    "write_feature_table",
]

#: The embedded default registry: an SQLite file in the working directory.
DEFAULT_DB_URL = "sqlite:///calciscope.db"

#: Short names accepted by ``patients list --where`` for feature columns.
FILTER_ALIASES = {
    "subset": "subset_recorded",
    "overlap": "overlap_recorded",
    "calcinosis": "calcinosis_any",
}

_FILTER_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$")


def resolve_db_url(url: str | None = None) -> str:
    """Return the registry URL: the argument, else ``$CALCISCOPE_DB``, else :data:`DEFAULT_DB_URL`."""
    return url or os.environ.get("CALCISCOPE_DB") or DEFAULT_DB_URL


def open_registry(url: str | None = None) -> Registry:
    """Open (creating or migrating) the registry at ``url`` (see :func:`resolve_db_url`).

    A ``spark://`` or ``sc://`` URL opens a :class:`~calciscope.storage.spark.SparkRegistry`
    (Parquet tables read and written through Spark; needs the ``spark`` extra).
    """
    resolved = resolve_db_url(url)
    if resolved.startswith(("spark://", "sc://")):
        from calciscope.storage.spark import SparkRegistry

        return SparkRegistry(resolved)
    return Registry(resolved)


#: The tables a database must hold for a study to run on it without a registry around them.
STUDY_TABLES = ("facts", "patients")


@contextmanager
def open_study_source(url: str | None = None) -> Iterator[Registry | str]:
    """Yield what ``study run --db URL`` runs on, checked; a registry is closed after.

    A registry URL (SQLite, PostgreSQL, Spark) opens the registry (:func:`open_registry`). A
    ``duckdb:///FILE`` URL is a DuckDB file holding the registry's ``facts`` and ``patients``
    tables (an analysis copy of a registry, as the benchmarks load): its URL is yielded, for
    :func:`~calciscope.api.run_study` to connect to with calciscope's DuckDB settings (memory
    limit, threads, spill folder: :func:`calciscope.engine.connection.duckdb_config`).

    Raises
    ------
    RegistryError
        The DuckDB URL names no file, a file that does not exist, or a database without the
        registry's tables (the message names which).
    """
    resolved = resolve_db_url(url)
    if not resolved.startswith("duckdb:"):
        with open_registry(resolved) as registry:
            yield registry
        return
    text = normalise_url(resolved)
    path = duckdb_path(text)
    if path == ":memory:":
        raise RegistryError(
            f"{display_url(text)!r} is an empty in-memory DuckDB database: give the file holding "
            "the registry's tables, duckdb:///FILE.duckdb"
        )
    if not Path(path).is_file():
        raise RegistryError(
            f"no DuckDB file {path} (from --db {display_url(text)!r}): give an existing file "
            "holding the registry's facts and patients tables"
        )
    con = connect(text)
    try:
        missing = [name for name in STUDY_TABLES if not _has_table(con, name)]
    finally:
        con.disconnect()
    if missing:
        raise RegistryError(
            f"DuckDB file {path} holds no {' and no '.join(missing)} table: a study runs on the "
            f"registry's tables ({', '.join(STUDY_TABLES)})"
        )
    yield text


def _has_table(con: Any, name: str) -> bool:
    # con.table, not list_tables: Ibis 12's list_tables fails on DuckDB 2 (fetch_arrow_table)
    try:
        con.table(name)
    except ibis.common.exceptions.TableNotFound:
        return False
    return True


def generate_demo_data(
    out_dir: Path,
    *,
    patients: int | None = None,
    seed: int = 0,
    notes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """Write the synthetic demo cohort to ``out_dir`` (see :mod:`calciscope.datasets`)."""
    from calciscope.datasets import generate_demo_cohort

    return generate_demo_cohort(
        Path(out_dir), patients=patients, seed=seed, notes=notes, progress=progress
    )


def import_directory(
    registry: Registry,
    folder: Path,
    *,
    progress: Callable[[int], None] | None = None,
    update_patients: bool = False,
) -> ImportSummary:
    """Validate a calciscope directory and import it in one transaction (all or nothing).

    Parameters
    ----------
    registry
        The registry to import into.
    folder
        A directory in the calciscope format (see :mod:`calciscope.interop.native`).
    progress
        Called with the number of records written so far, after every chunk.
    update_patients
        Let patients of the folder replace stored ones that disagree (sex, birth, centre,
        synthetic) instead of failing; counted as ``patients_updated``.

    Raises
    ------
    ValidationError
        Listing every bad file, row and field, and every patient that disagrees with the
        registry or with another row; the registry is unchanged.
    """
    folder = Path(folder)
    with registry.bulk_import(
        source=str(folder), source_hash=directory_hash(folder), update_patients=update_patients
    ) as writer:
        for chunk in stream_directory(folder, known_patients=writer.existing_patient_ids):
            writer.write(chunk)
            if progress is not None:
                progress(sum(writer.counts.values()))
    summary = ImportSummary(
        batch_id=writer.batch_id, source=str(folder), counts=writer.summary_counts()
    )
    audit_import(registry, summary)
    return summary


def feature_expression(
    registry: Registry,
    *,
    index_date: dt.date | None = None,
    include_suggested: bool = False,
    features: Sequence[str] | None = None,
) -> ir.Table:
    """Return the registry's feature table as an Ibis expression, to run inside the database.

    For work that stays in the database (a filter, a join, a count before reading anything
    back); :func:`feature_table` reads the table itself. The expression holds its own
    connection: close it with ``ibis.get_backend(expression).disconnect()`` when done.
    Parameters as for :func:`feature_table`.
    """
    con = connect(registry.connection_url)
    states = (
        (ReviewState.CONFIRMED, ReviewState.SUGGESTED)
        if include_suggested
        else (ReviewState.CONFIRMED,)
    )
    return compute_feature_table(
        con.table("facts"),
        con.table("patients"),
        index_date=index_date or dt.date.today(),
        review_states=states,
        features=features,
        records=dated_records(con),
    )


def feature_table(
    registry: Registry,
    *,
    index_date: dt.date | None = None,
    include_suggested: bool = False,
    features: Sequence[str] | None = None,
) -> pa.Table:
    """Return the registry's feature table, computed inside the database, as an Arrow table.

    One row per patient. ``.to_pandas()`` gives a pandas DataFrame, ``polars.from_arrow(...)``
    a polars one; :func:`feature_expression` is the same table before it is computed.

    Parameters
    ----------
    registry
        The registry.
    index_date
        Facts after this date are ignored; today by default.
    include_suggested
        Count suggested facts (from notes and images) as well as confirmed ones.
    features
        Only these features (all by default).
    """
    options = {"index_date": index_date, "include_suggested": include_suggested}
    with _computed(registry, features=features, **options) as table:
        return table.to_pyarrow()


@contextmanager
def _computed(registry: Registry, **options: Any) -> Iterator[ir.Table]:
    """Yield a feature expression whose database connection is closed when the block ends."""
    table = feature_expression(registry, **options)
    try:
        yield table
    finally:
        ibis.get_backend(table).disconnect()


def _value_type(column: str, dtype: Any) -> FeatureType:
    catalogue = load_catalogue()
    if column in catalogue.features:
        return catalogue.features[column].type
    if dtype.is_boolean():
        return FeatureType.BOOLEAN
    if dtype.is_numeric():
        return FeatureType.NUMBER
    if dtype.is_date() or dtype.is_timestamp():
        return FeatureType.DATE
    return FeatureType.TEXT


def _parse_value(column: str, raw: str, dtype: Any) -> Any:
    """Read a filter's value as the column's type (the feature catalogue's, else the table's)."""
    if raw.lower() in ("unknown", "null", "none", ""):
        return None
    ftype = _value_type(column, dtype)
    if ftype is FeatureType.BOOLEAN:
        if raw.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(f"{column} is true/false/unknown, not {raw!r}")
        return raw.lower() in ("true", "yes", "1")
    if ftype in (FeatureType.NUMBER, FeatureType.INTEGER):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{column} is a number, not {raw!r}") from None
    if ftype is FeatureType.DATE:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{column} is a date (YYYY-MM-DD), not {raw!r}") from None
    return raw


_ORDERED = (">", "<", ">=", "<=")
#: Each filter operator on (column, value): Ibis columns and Arrow expressions alike.
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _read_clause(clause: str) -> tuple[str, str, str, str]:
    """Return a filter clause's name, operator, raw value and the column the name stands for."""
    match = _FILTER_RE.match(clause)
    if not match:
        raise ValueError(f"cannot read filter {clause!r}; write NAME=VALUE (or !=, >, <, >=, <=)")
    name, op, raw = match.groups()
    return name, op, raw, FILTER_ALIASES.get(name, name)


def _check_operator(name: str, op: str, value: object) -> None:
    """Refuse an ordering of unknown or of true/false (both filter compilers read clauses so)."""
    if value is None and op not in ("=", "!="):
        raise ValueError(f"{name} {op} unknown compares nothing; write {name}=unknown")
    if op in _ORDERED and isinstance(value, bool):
        raise ValueError(f"{name} is true/false/unknown: use = or !=, not {op}")


def _filter(table: ir.Table, clause: str) -> ir.Table:
    name, op, raw, column = _read_clause(clause)
    if column not in table.columns:
        raise ValueError(f"unknown column {name!r} in filter {clause!r}")
    col = table[column]
    value = _parse_value(column, raw, col.type())
    _check_operator(name, op, value)
    if value is None:
        return table.filter(col.isnull() if op == "=" else col.notnull())
    try:
        return table.filter(_COMPARE[op](col, value))
    except (TypeError, ibis.common.exceptions.IbisError) as exc:  # a value of another type
        raise ValueError(f"cannot compare {name} with {raw!r}: {exc}") from None


def _filtered(table: ir.Table, where: Sequence[str]) -> ir.Table:
    """Apply every clause; raise one ValidationError naming the field of each bad one."""
    problems = []
    for clause in where:
        try:
            table = _filter(table, clause)
        except ValueError as exc:
            parsed = _FILTER_RE.match(clause)
            field = parsed.group(1) if parsed else clause.strip()
            problems.append(Problem("--where", clause, field, str(exc)))
    if problems:
        raise ValidationError(problems, summary="cannot filter patients")
    return table


def list_patients(
    registry: Registry,
    *,
    where: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    index_date: dt.date | None = None,
) -> tuple[pa.Table, int]:
    """Return the feature-table rows matching every ``where`` clause, and the registry's total.

    Parameters
    ----------
    registry
        The registry.
    where
        Clauses ``NAME=VALUE`` (or ``!=``, ``>``, ``<``, ``>=``, ``<=``) on feature columns;
        short names in :data:`FILTER_ALIASES` are accepted.
    columns
        Feature columns to compute and return (all by default); filtered columns are added.
    index_date
        Facts after this date are ignored.

    Raises
    ------
    ValidationError
        When a clause names an unknown column or a value of the wrong type.
    """
    catalogue = load_catalogue()
    wanted = None
    if columns is not None:
        named = [
            FILTER_ALIASES.get(m.group(1), m.group(1)) for m in map(_FILTER_RE.match, where) if m
        ]
        wanted = sorted({c for c in [*columns, *named] if c in catalogue.features})
    with _computed(registry, index_date=index_date, features=wanted) as table:
        # one feature row per patient: count the patients, not the computed table (run twice)
        total = int(ibis.get_backend(table).table("patients").count().execute())
        return _filtered(table, where).to_pyarrow(), total


def filter_patients(table: pa.Table, where: Sequence[str] = ()) -> pa.Table:
    """Return the rows of an in-memory feature table matching every ``where`` clause.

    The clauses of :func:`list_patients`, applied to a table it (or
    :func:`~calciscope.api.criteria.patient_features`) returned, as Arrow expressions: each
    clause is read once per column type and kept (:func:`_arrow_clause`), so filtering a kept
    table again (the web app's list after every review) compiles nothing. A comparison with
    an unknown (null) value matches no row, as in the database.

    Raises
    ------
    ValidationError
        Naming the field of every clause that names an unknown column or a value of the wrong
        type.
    """
    if not where:
        return table
    problems, expressions = [], []
    for clause in where:
        match = _FILTER_RE.match(clause)
        column = FILTER_ALIASES.get(match.group(1), match.group(1)) if match else ""
        dtype = table.schema.field(column).type if column in table.column_names else None
        try:
            expressions.append(_arrow_clause(clause, dtype))
        except ValueError as exc:
            field = match.group(1) if match else clause.strip()
            problems.append(Problem("--where", clause, field, str(exc)))
    if problems:
        raise ValidationError(problems, summary="cannot filter patients")
    condition = expressions[0]
    for expression in expressions[1:]:
        condition = condition & expression
    try:
        return table.filter(condition)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        problem = Problem("--where", " AND ".join(where), "where", f"cannot compare: {exc}")
        raise ValidationError([problem], summary="cannot filter patients") from None


@lru_cache(maxsize=512)
def _arrow_clause(clause: str, dtype: pa.DataType | None) -> pc.Expression:
    """Return one clause as an Arrow expression on a column of Arrow type ``dtype``.

    ``dtype`` is None when the table has no such column. Values are read as in
    :func:`_filter` (the feature catalogue's type first, else the column's).
    """
    name, op, raw, column = _read_clause(clause)
    if dtype is None:
        raise ValueError(f"unknown column {name!r} in filter {clause!r}")
    col = pc.field(column)
    value = _parse_value(column, raw, ibis.dtype(dtype))
    _check_operator(name, op, value)
    if value is None:
        return col.is_null() if op == "=" else col.is_valid()
    if isinstance(value, str) and not (
        pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
    ):
        raise ValueError(f"cannot compare {name} with {raw!r}: not a text column")
    return _COMPARE[op](col, value)


@dataclass(frozen=True)
class PatientRecord:
    """One patient with every fact, note and image."""

    patient: Patient
    facts: list[Fact]
    notes: list[Note]
    images: list[Image]


def patient_record(registry: Registry, patient_id: str) -> PatientRecord:
    """Return a patient's full record, or raise :class:`NotFoundError` naming the id."""
    found = registry.patient_with_records(patient_id)  # one connection
    if found is None:
        raise NotFoundError([Problem(registry.url, patient_id, "patient_id", "no such patient")])
    return PatientRecord(*found)


def write_feature_table(
    registry: Registry,
    out: Path,
    *,
    index_date: dt.date | None = None,
    include_suggested: bool = False,
) -> tuple[int, int]:
    """Write the feature table to Parquet (``.parquet``) or CSV (``.csv``).

    Returns
    -------
    tuple of int
        Rows (patients) and columns written.
    """
    data = feature_table(registry, index_date=index_date, include_suggested=include_suggested)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        pacsv.write_csv(data, out)
    else:
        pq.write_table(data, out)
    return data.num_rows, data.num_columns
