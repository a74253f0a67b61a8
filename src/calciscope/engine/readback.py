"""What a study reads back besides its own query: the report's facts, images and import hashes.

Read from the registry's tables in their database (any engine Ibis runs on), each as pandas
through Arrow (:func:`arrow_to_pandas`), for the report and the analysis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound

from calciscope.features import load_catalogue
from calciscope.model import ReviewState
from calciscope.study.evidence import EVIDENCE_CONCEPTS

__all__ = [
    "READ_BATCH_ROWS",
    "REPORT_FACT_COLUMNS",
    "arrow_to_pandas",
    "calcinosis_regions",
    "compact_frame",
    "has_suggested",
    "images",
    "input_hashes",
    "read_arrow",
    "read_frame",
    "report_concept",
    "report_facts",
]


#: Fact columns the report reads (evidence rows, timelines, body map).
REPORT_FACT_COLUMNS = (
    "fact_id",
    "patient_id",
    "system",
    "code",
    "status",
    "effective_date",
    "body_site",
    "laterality",
    "morphology",
    "method",
    "source_kind",
    "review_state",
    "provenance",
)

_IMAGE_COLUMNS = ("image_id", "patient_id", "modality", "body_site", "laterality", "image_date")


def report_concept(system: ir.StringValue, code: ir.StringValue) -> ir.StringValue:
    """Return the report concept of a fact's code (the catalogue's first concept), else null.

    Only codes whose first concept is one of :data:`~calciscope.study.evidence.EVIDENCE_CONCEPTS`
    get one; written as a ``CASE`` over literal code lists, so every engine evaluates it.
    """
    catalogue = load_catalogue()
    by_concept: dict[str, set[str]] = {}
    for concept in catalogue.concepts.values():
        for s, c in concept.codes:
            first = (catalogue.concepts_for_code(s, c) or ("",))[0]
            if first in EVIDENCE_CONCEPTS:
                by_concept.setdefault(first, set()).add(f"{s}|{c}")
    key = system.concat("|", code)
    cases = [(key.isin(sorted(codes)), ibis.literal(name)) for name, codes in by_concept.items()]
    return ibis.cases(*cases, else_=ibis.null("string"))


def images(con: Any, patient_ids: Iterable[str] | None = None) -> pd.DataFrame | None:
    """Return the image records of the given patients (None: everyone's; None without an images table)."""
    chosen = _table(con, "images")
    if chosen is None:
        return None
    if patient_ids is not None:
        ids = sorted(set(patient_ids))
        chosen = chosen.filter(chosen.patient_id.isin(ids) if ids else ibis.literal(False))
    frame = read_frame(chosen.select(*_IMAGE_COLUMNS))
    return frame.sort_values("image_id", kind="stable").reset_index(drop=True)


def input_hashes(con: Any) -> dict[str, str]:
    """Return the source file hashes of the import batches (empty without an ``import_batches`` table)."""
    table = _table(con, "import_batches")
    if table is None:
        return {}
    batches = read_frame(table.select("source", "source_hash"))
    return {str(s): str(h) for s, h in zip(batches["source"], batches["source_hash"], strict=True)}


def has_suggested(con: Any) -> bool:
    """Return whether any fact awaits review (is suggested)."""
    facts = con.table("facts")
    hit = facts.filter(facts.review_state == ReviewState.SUGGESTED.value).limit(1).count()
    return bool(con.execute(hit))


def _report_kept(con: Any) -> ir.Table:
    """Return the registry's facts (corrected facts left out) with their ``concept`` (else null)."""
    facts = con.table("facts")
    kept = facts.filter(facts.superseded_by.isnull()) if "superseded_by" in facts.columns else facts
    return kept.mutate(concept=report_concept(kept.system, kept.code))


def calcinosis_regions(con: Any, groups: ir.Table) -> pd.DataFrame:
    """Count the patients of each group with a present calcinosis fact in each body site.

    ``groups`` is a table of the same database with ``patient_id`` and a boolean ``case``
    column (each patient once). Returns ``case``, ``body_site`` and ``n`` (patients), one row
    per group and site: the body map's counts (:func:`calciscope.report.bodymap.region_counts`
    of the report concepts' facts), counted in the database, so no patient's facts come back.
    """
    kept = _report_kept(con)
    present = kept.filter(
        (kept.concept == "calcinosis") & (kept.status == "present") & kept.body_site.notnull()
    )
    sites = present.select("patient_id", "body_site").distinct()
    joined = sites.inner_join(groups.select("patient_id", "case"), "patient_id")
    counted = joined.group_by("case", "body_site").aggregate(n=joined.count())
    return read_frame(counted)


def report_facts(con: Any, patients: ir.Table | list[str] | None = None) -> pd.DataFrame:
    """Return the report concepts' facts (corrected facts left out) of ``patients`` (None: everyone).

    ``patients`` is a table with a ``patient_id`` column in the same database (a semi-join, so
    no id list leaves the database), or a list of patient ids. With a ``concept`` column
    (:func:`report_concept`), ordered by fact id.
    """
    kept = _report_kept(con)
    kept = kept.select(*REPORT_FACT_COLUMNS, "concept")
    kept = kept.filter(kept.concept.notnull())
    if isinstance(patients, list):
        kept = kept.filter(kept.patient_id.isin(patients) if patients else ibis.literal(False))
    elif patients is not None:
        # an inner join on distinct ids (not a correlated EXISTS, which SQLite runs per fact)
        kept = kept.inner_join(patients.distinct(), "patient_id")
    frame = read_frame(kept.select(*REPORT_FACT_COLUMNS, "concept"))
    return frame.sort_values("fact_id", kind="stable").reset_index(drop=True)


def _table(con: Any, name: str) -> ir.Table | None:
    """Return the table ``name``, or None when the database has none (a registry's copy)."""
    try:
        return con.table(name)
    except TableNotFound:
        return None


#: Rows fetched at a time where the engine's rows reach Arrow as Python tuples (PostgreSQL).
READ_BATCH_ROWS = 20_000


def read_arrow(expr: ir.Table) -> pa.Table:
    """Run ``expr`` and return it as Arrow, fetching at most :data:`READ_BATCH_ROWS` rows at a time.

    An engine without its own Arrow reader (Ibis' generic ``to_pyarrow``: PostgreSQL, SQLite)
    fetches the rows as Python tuples, a million at a time by default, and converts each batch to
    Arrow: at a million patients the source population's 768,300 rows of some 70 columns were
    all Python objects at once (about 1.5 KB a row). In batches of :data:`READ_BATCH_ROWS` only a
    batch is; the values and the Arrow table are the same. The gain is PostgreSQL's (a
    server-side cursor read by ``fetchmany``); Ibis' SQLite backend still reads the whole result
    before cutting it into batches. Engines that read Arrow themselves (DuckDB, Spark) are asked
    as before.
    """
    backend = ibis.get_backend(expr)
    if type(backend).to_pyarrow is BaseBackend.to_pyarrow:
        return backend.to_pyarrow(expr, chunk_size=READ_BATCH_ROWS)
    return expr.to_pyarrow()


def read_frame(expr: ir.Table) -> pd.DataFrame:
    """Run ``expr`` and return it as pandas through Arrow (:func:`read_arrow`, :func:`arrow_to_pandas`).

    Arrow in the expression's Ibis schema, whatever the engine: dates become ``datetime.date``
    objects, booleans with nulls objects, integers with nulls floats, on every engine alike.
    """
    return arrow_to_pandas(read_arrow(expr))


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Return ``table.to_pandas()``'s values, holding one Python object per distinct date.

    ``to_pandas`` makes a ``datetime.date`` object (40 bytes with its pointer) for every date
    cell; a population's date columns hold a few thousand distinct days, so each column is
    dictionary-encoded in Arrow and every cell points at its day's one object (8 bytes). The
    values, types and nulls are the same; strings are shared by ``to_pandas`` already.
    """
    dates = [f.name for f in table.schema if pa.types.is_date(f.type)]
    if not dates or table.num_rows == 0:
        return table.to_pandas()
    frame = table.drop_columns(dates).to_pandas()
    for name in dates:  # in column order, so each goes back to its place
        encoded = table.column(name).combine_chunks().dictionary_encode()
        days = np.empty(len(encoded.dictionary) + 1, dtype=object)  # the last: null
        days[:-1] = encoded.dictionary.to_pandas().to_numpy(dtype=object)
        cells = days[encoded.indices.fill_null(len(days) - 1).to_numpy()]
        frame.insert(table.column_names.index(name), name, cells)
    return frame


def compact_frame(table: pa.Table) -> pd.DataFrame:
    """Return :func:`arrow_to_pandas` of ``table``, its booleans with nulls as pandas' ``boolean``.

    ``to_pandas`` makes a boolean column holding a null an ``object`` column, a pointer (8
    bytes) per cell to ``True``, ``False`` or ``None``; pandas' nullable ``boolean`` holds a
    value and a mask byte per cell (2 bytes). The default study's source population has 13
    such columns (the antibodies, the three-valued phenotypes); its conversion at a million
    patients peaked 104 MB above the Arrow rows instead of 255 MB (docs/scale.md, ``spark21``). Each is converted from Arrow on its own, never through the ``object`` column. The
    values are the same, an unknown is ``pd.NA`` (``pd.isna`` is true for it, as for
    ``None``); booleans without a null stay numpy ``bool``.
    """
    masked = [
        f.name
        for f in table.schema
        if pa.types.is_boolean(f.type) and table.column(f.name).null_count
    ]
    if not masked:
        return arrow_to_pandas(table)
    frame = arrow_to_pandas(table.drop_columns(masked))
    boolean = {pa.bool_(): pd.BooleanDtype()}.get
    for name in masked:  # in column order, so each goes back to its place
        values = table.column(name).to_pandas(types_mapper=boolean)
        frame.insert(table.column_names.index(name), name, values.array)
    return frame
