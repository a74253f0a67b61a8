"""Open an OMOP CDM (v5.3 or v5.4) through Ibis: a folder of CSV/Parquet files (DuckDB) or a URL.

Nothing is copied into the calciscope registry: tables are views in DuckDB (over the files)
or the database's own tables (PostgreSQL), and every query runs there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from calciscope.engine import connect
from calciscope.errors import Problem, ValidationError
from calciscope.storage.database_url import display_url
from calciscope.textfile import not_utf8_problem

__all__ = ["READ_COLUMNS", "REQUIRED_TABLES", "USED_TABLES", "Cdm", "PatientIdColumn", "open_cdm"]

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

#: Columns calciscope reads from each table it uses; a table without one is refused.
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": (
        "person_id",
        "gender_concept_id",
        "year_of_birth",
        "month_of_birth",
        "day_of_birth",
        "care_site_id",
    ),
    "concept": ("concept_id", "concept_name"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
    "concept_relationship": ("concept_id_1", "concept_id_2", "relationship_id"),
    "condition_occurrence": ("person_id", "condition_concept_id", "condition_start_date"),
    "procedure_occurrence": ("person_id", "procedure_concept_id", "procedure_date"),
    "observation": ("person_id", "observation_concept_id", "observation_date"),
    "measurement": ("person_id", "measurement_concept_id", "measurement_date"),
    "observation_period": ("person_id", "observation_period_end_date"),
    "visit_occurrence": ("person_id", "visit_start_date"),
    "death": ("person_id", "death_date"),
    "note": ("note_id", "person_id", "note_date", "note_title", "note_text", "note_source_value"),
    "care_site": ("care_site_id",),
}


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

    def fetch(self, expression: ir.Table) -> list[dict[str, Any]]:
        """Run a query on the CDM and return its rows.

        Raises
        ------
        ValidationError
            When a CDM file holds a value its column cannot take (DuckDB reads a folder's files
            only when a query needs them, so a bad row deep in a file surfaces here).
        """
        try:
            rows: list[dict[str, Any]] = expression.to_pyarrow().to_pylist()
        except duckdb.Error as exc:
            raise ValidationError(
                [Problem(self.source, "query", "", _first_line(exc))],
                summary=f"OMOP CDM {self.source} not read",
            ) from None
        return rows

    def table(self, name: str) -> ir.Table | None:
        """Return a table by (case-insensitive) name, or None when the CDM lacks it."""
        return self.tables.get(name.lower())


def _delimiter(path: Path) -> str:
    """Return the delimiter of a CSV file: a tab when its header row has one, else a comma.

    Athena's vocabulary files and many CDM dumps are tab-separated but named ``.csv``.
    """
    with path.open("rb") as handle:
        header = handle.readline(1 << 16)
    return "\t" if b"\t" in header else ","


#: DuckDB's default ``max_line_size``: a longer line stops its CSV reader.
_MAX_LINE = 2_000_000


def _why_unreadable(path: Path) -> tuple[str, str] | None:
    """Say in plain words why DuckDB could not read a CSV file, when a reason is plain to see.

    DuckDB's own message names a wrong line (``CSV Error on Line: 2`` for a Latin-1 byte, ``Line:
    1`` for a 3 MB cell) or none (``Sniffer detected value different than the user input`` for
    an empty file). Read only after DuckDB failed, a line at a time.
    """
    try:
        if path.stat().st_size == 0:
            return "file", "the file is empty: a CDM table has at least its header row"
        with path.open("rb") as handle:
            if b"\x00" in handle.read(4096):  # UTF-16 without a byte order mark
                problem = not_utf8_problem(path)
                return problem.location, problem.message
            handle.seek(0)
            for number, line in enumerate(handle, 1):
                if len(line) > _MAX_LINE:
                    return f"line {number}", (
                        f"the line is {len(line):,} bytes long, more than a CSV reader takes "
                        f"({_MAX_LINE:,}): is a cell a whole document, or a quote left open?"
                    )
                try:
                    line.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    # its line, byte, encoding (UTF-16 too) and how to convert it
                    problem = not_utf8_problem(path)
                    return problem.location, problem.message
    except OSError:
        return None
    return None


def _first_line(exc: BaseException) -> str:
    """Return DuckDB's message without its advice: the error, the column and the file."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    useful = [line for line in lines[1:] if line.startswith(("Error when converting", "file ="))]
    return "; ".join([lines[0], *useful])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: Cells read as NULL: empty, and the ``NULL`` / ``\\N`` a database client writes for one
#: (SQL Server, PostgreSQL ``COPY``, MySQL dumps of a CDM); "NULL" in a number column was a
#: conversion error at query time, naming no file.
_NULL_STRINGS = "nullstr=['', 'NULL', 'null', '\\N']"
_ISO_FORMATS = {"dateformat": ("%Y-%m-%d",), "timestampformat": ("%Y-%m-%d %H:%M:%S",)}
_FORMAT = re.compile(r"(dateformat|timestampformat)='([^']*)'")


class _NotIsoDates(ValueError):
    """A CSV whose dates DuckDB reads in a day/month order a CDM does not use."""


def _csv_reader(con: Any, literal: str, delimiter: str) -> str:
    """Return a ``read_csv`` call with the dialect and column types DuckDB sniffs, once.

    A view over ``read_csv_auto`` would sniff the file again at every query that uses it.

    Raises
    ------
    _NotIsoDates
        When DuckDB reads the dates in another order than YYYY-MM-DD (``01/02/2020``: is it
        1 February or 2 January? The sniffer guesses; a CDM DATE is ISO 8601).
    """
    options = [f"delim='{delimiter}'", "header=true", _NULL_STRINGS]
    given = ", ".join(options)
    prompt = con.raw_sql(f"SELECT Prompt FROM sniff_csv('{literal}', {given})").fetchone()[0]
    reader = str(prompt).strip().removeprefix("FROM ").strip()
    for kind, form in _FORMAT.findall(reader):
        if form not in _ISO_FORMATS[kind]:
            # year first (2020/01/31) is not ambiguous, only not the CDM's form (fix11)
            why = (
                "write 2020/01/31 as 2020-01-31"
                if form.startswith("%Y")
                else "a day/month order is ambiguous: 01/02/2020 is 1 February or 2 January"
            )
            raise _NotIsoDates(f"dates are written {form!r}; a CDM date is YYYY-MM-DD ({why})")
    fixed = ", ".join(o for o in options if o.split("=")[0] + "=" not in reader)
    return (
        reader.replace("auto_detect=false", f"auto_detect=false, {fixed}", 1) if fixed else reader
    )


def _view(con: Any, name: str, path: Path) -> tuple[ir.Table | None, Problem | None]:
    """Create the view ``cdm_<name>`` over a CSV or Parquet file; return it or why it cannot be read."""
    literal = str(path.resolve()).replace("'", "''")
    try:
        if path.suffix.lower() == ".parquet":
            reader = f"read_parquet('{literal}')"
        else:
            reader = _csv_reader(con, literal, _delimiter(path))
        # A view, not a copy: DuckDB reads the file when a query needs it.
        con.raw_sql(f"CREATE OR REPLACE VIEW cdm_{name} AS SELECT * FROM {reader}")
        table = con.table(f"cdm_{name}")
        if any(c != c.lower() for c in table.columns):  # PERSON_ID as person_id
            quoted = ", ".join(f"{_quote(c)} AS {_quote(c.lower())}" for c in table.columns)
            con.raw_sql(f"CREATE OR REPLACE VIEW cdm_{name} AS SELECT {quoted} FROM {reader}")
            table = con.table(f"cdm_{name}")
    except (duckdb.Error, OSError) as exc:
        plain = _why_unreadable(path) if path.suffix.lower() != ".parquet" else None
        location, message = plain or ("file", f"cannot read as a CDM table: {_first_line(exc)}")
        return None, Problem(str(path), location, "", message)
    except _NotIsoDates as exc:
        return None, Problem(str(path), "file", "(dates)", str(exc))
    return table, None


def _folder_tables(con: Any, folder: Path) -> tuple[dict[str, ir.Table], list[Problem]]:
    tables: dict[str, ir.Table] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        name, suffix = path.stem.lower(), path.suffix.lower()
        if name not in USED_TABLES or suffix not in (".csv", ".parquet"):
            continue
        table, problem = _view(con, name, path)
        if table is not None:
            tables[name] = table
        if problem is not None:
            problems.append(problem)
    return tables, problems


#: Columns read as text (any type is cast); every other column read is a date or a number.
_TEXT_COLUMNS = frozenset(
    (
        "concept_name",
        "vocabulary_id",
        "concept_class_id",
        "relationship_id",
        "note_title",
        "note_text",
        "note_source_value",
    )
)


def _type_problem(column: str, dtype: Any) -> str | None:
    """Return why a column's type cannot be read as calciscope reads it, or None."""
    if column in _TEXT_COLUMNS or dtype.is_string():
        return None
    if column.endswith("_date"):
        ok = dtype.is_date() or dtype.is_timestamp()
        hint = " (20200131 is not one: write 2020-01-31)" if dtype.is_integer() else ""
        return None if ok else f"has type {dtype}; expected dates (YYYY-MM-DD){hint}"
    return None if dtype.is_numeric() else f"has type {dtype}; expected integers"


def _column_problems(tables: dict[str, ir.Table], where: dict[str, str]) -> list[Problem]:
    problems = []
    for name, table in tables.items():
        schema = table.schema()
        for column in READ_COLUMNS.get(name, ()):
            if column not in schema:
                why: str | None = (
                    "column missing (a CDM table needs a header row, comma- or tab-separated)"
                )
            else:
                why = _type_problem(column, schema[column])
                if why is None and column not in _TEXT_COLUMNS and schema[column].is_string():
                    bad = _unreadable_values(table, column)
                    if bad is not None:
                        problems.append(Problem(where.get(name, name), bad[0], column, bad[1]))
            if why is not None:
                problems.append(Problem(where.get(name, name), name, column, why))
    return problems


def _unreadable_values(table: ir.Table, column: str) -> tuple[str, str] | None:
    """Return where and why values of a column stored as text are not dates or integers.

    A CSV column with one bad value is read as text; the value would otherwise become a query
    error far from its file, or be cast away. Row numbers count data rows (the header is not one).
    """
    target = "date" if column.endswith("_date") else "int64"
    text = table[column].cast("string").strip()
    bad = (
        table.mutate(_row=ibis.row_number() + 1, _text=text)
        .filter(lambda t: t._text.notnull() & (t._text != "") & t._text.try_cast(target).isnull())
        .select("_row", "_text")
    )
    count = bad.count().to_pyarrow().as_py()
    if not count:
        return None
    first = bad.order_by("_row").limit(1).to_pyarrow().to_pylist()[0]
    kind = "a date (YYYY-MM-DD)" if target == "date" else "an integer"
    more = f" (and {count - 1} more row(s))" if count > 1 else ""
    return f"row {first['_row']}", f"{first['_text']!r} is not {kind}{more}"


def _birth_problems(person: ir.Table, where: str) -> list[Problem]:
    """Return a problem for the first PERSON row whose year, month and day are no date.

    ``month_of_birth`` 2 and ``day_of_birth`` 30 would otherwise fail the import's query with
    "Date out of range", naming no file, row or column.
    """
    columns = ("year_of_birth", "month_of_birth", "day_of_birth")
    if not all(c in person.columns for c in columns):
        return []
    year, month, day = (person[c].cast("int64") for c in columns)
    first = ibis.date(year.cast("int32"), month.cast("int32"), 1)
    days = (first + ibis.interval(months=1) - ibis.interval(days=1)).day()
    valid = ibis.cases(
        ((month >= 1) & (month <= 12) & (year >= 1), (day >= 1) & (day <= days)),
        else_=False,
    )
    complete = year.notnull() & month.notnull() & day.notnull()
    bad = (
        person.mutate(_row=ibis.row_number() + 1, _y=year, _m=month, _d=day, _ok=valid)
        .filter(lambda t: complete & ~t._ok)
        .select("_row", "_y", "_m", "_d")
    )
    count = bad.count().to_pyarrow().as_py()
    if not count:
        return []
    row = bad.order_by("_row").limit(1).to_pyarrow().to_pylist()[0]
    more = f" (and {count - 1} more row(s))" if count > 1 else ""
    message = (
        f"year, month and day of birth {row['_y']}-{row['_m']}-{row['_d']} are not a date{more}"
    )
    return [Problem(where, f"row {row['_row']}", "day_of_birth", message)]


def _source_row(tables: dict[str, ir.Table]) -> dict[str, Any]:
    """Return ``cdm_source``'s version and description of its first row, in one query."""
    source = tables.get("cdm_source")
    wanted = [
        c
        for c in ("cdm_version", "source_description")
        if source is not None and c in source.columns
    ]
    if source is None or not wanted:
        return {}
    rows = source.select(*wanted).limit(1).to_pyarrow().to_pylist()
    return rows[0] if rows else {}


def _version(tables: dict[str, ir.Table], source: dict[str, Any]) -> str:
    value = source.get("cdm_version")
    if value is not None:
        text = str(value).lstrip("v")
        return "5.4" if text.startswith("5.4") else "5.3" if text.startswith("5.3") else text
    return "5.4" if "episode" in tables else "5.3"


def _marked_synthetic(source: dict[str, Any]) -> bool:
    """Return True when ``cdm_source.source_description`` starts with "SYNTHETIC" (as calciscope writes)."""
    return str(source.get("source_description") or "").strip().upper().startswith("SYNTHETIC")


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
    shown = display_url(source)  # never the password of a database URL
    problems: list[Problem] = []
    if "://" not in str(source) and path.is_dir():
        con = ibis.duckdb.connect()
        tables, problems = _folder_tables(con, path)
        files = {p.stem.lower(): str(p) for p in path.iterdir()}
    else:
        con = connect(str(source))
        tables = {name.lower(): con.table(name) for name in con.list_tables()}
        files = {}
    problems += [
        Problem(shown, "tables", name, "required OMOP CDM table is missing")
        for name in REQUIRED_TABLES
        if name not in tables and name not in {Path(p.source).stem.lower() for p in problems}
    ]
    problems += _column_problems(tables, files)
    if not problems and "person" in tables:
        problems += _birth_problems(tables["person"], files.get("person", "person"))
    if problems:
        con.disconnect()
        raise ValidationError(problems, summary=f"{shown} is not a readable OMOP CDM")
    try:
        source_row = _source_row(tables)
        marked = _marked_synthetic(source_row) if synthetic is None else synthetic
        version = _version(tables, source_row)
    except duckdb.Error as exc:
        con.disconnect()
        raise ValidationError(
            [Problem(files.get("cdm_source", shown), "cdm_source", "", _first_line(exc))],
            summary=f"{shown} is not a readable OMOP CDM",
        ) from None
    return Cdm(con, tables, version, shown, PatientIdColumn(patient_ids), marked)
