"""Vectorised checks of a block of ``facts.csv`` rows (pyarrow), for the bulk import.

:func:`check_block` takes the block's columns as text (an empty cell is null) and returns the
rows that certainly pass the :class:`~calciscope.model.Fact` model, typed as a fact table
(:mod:`calciscope.storage.bulk`) with their content-hash ids, and a mask of the rows it doubts.
The checks are deliberately narrower than the model: a doubted row is not an error, it is
validated by the model itself (:mod:`calciscope.interop.native`), which then either accepts it
(a date written another way, a code with spaces around it) or names the field and what is
wrong. So a fact id never depends on which path read the row.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from calciscope.features import catalogue as _catalogue  # noqa: F401  (model's value check)
from calciscope.interop.mappings import QUALIFIER_ENUMS
from calciscope.model import CODE_SYSTEMS, Fact, ReviewState, SourceKind, Status
from calciscope.model.codes import code_problem
from calciscope.model.records import closed_values, max_length, value_ranges
from calciscope.model.units import WHITE_SPACE
from calciscope.storage.bulk import FACT_COLUMNS, FACT_SCHEMA, NUMBER_COLUMNS, fact_ids

__all__ = ["check_block"]

#: Required enum fields, with the value an absent column means (the model's default).
_REQUIRED = {
    "status": (Status, Status.PRESENT.value),
    "source_kind": (SourceKind, SourceKind.STRUCTURED.value),
    "review_state": (ReviewState, ReviewState.CONFIRMED.value),
}
#: An identifier the model takes as it is (no whitespace to strip).
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"
#: A code that has nothing to strip: printable ASCII at both ends.
_CODE = r"^[!-~](.*[!-~])?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NUMBER = r"^-?[0-9]{1,300}(\.[0-9]{1,300})?([eE][-+]?[0-9]{1,2})?$"
#: A unit the model would write another way (:func:`calciscope.model.units.normalise_unit`):
#: white space at an end, other than a space, or two together.
_SPACES = "".join(f"\\x{{{ord(c):04x}}}" for c in WHITE_SPACE)
_NOT_SPACE = "".join(f"\\x{{{ord(c):04x}}}" for c in WHITE_SPACE if c != " ")
_ODD_UNIT = f"^[{_SPACES}]|[{_SPACES}]$|[{_NOT_SPACE}]|[{_SPACES}]{{2}}"
#: The model's bound of each bounded text field: a longer cell is left to the model to name.
_LIMITS = {n: limit for n in FACT_COLUMNS if (limit := max_length(Fact, n)) is not None}


def _or(a: pa.Array, b: pa.Array) -> pa.Array:
    return pc.or_(a, pc.fill_null(b, True))


def _in(column: pa.Array, values: list[str]) -> pa.Array:
    return pc.fill_null(pc.is_in(column, pa.array(values, pa.string())), False)


def _dates(raw: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return ``(dates, doubted)``: ISO dates parsed; any other text doubted."""
    shaped = pc.and_(pc.match_substring_regex(raw, _DATE), pc.invert(pc.starts_with(raw, "0000")))
    parsed = pc.strptime(
        pc.if_else(pc.fill_null(shaped, False), raw, pa.scalar(None, pa.string())),
        format="%Y-%m-%d",
        unit="s",
        error_is_null=True,
    )
    dates = pc.cast(parsed, pa.date32())
    # strptime rolls 2020-02-30 over to March: only a date that prints as written is one
    same = pc.fill_null(pc.equal(pc.cast(dates, pa.string()), raw), False)
    dates = pc.if_else(same, dates, pa.scalar(None, pa.date32()))
    return dates, pc.and_(pc.is_valid(raw), pc.invert(same))


def _numbers(raw: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return ``(numbers, doubted)``: plain decimal numbers parsed; any other text doubted."""
    plain = pc.fill_null(pc.match_substring_regex(raw, _NUMBER), False)
    numbers = pc.cast(pc.if_else(plain, raw, pa.scalar(None, pa.string())), pa.float64())
    return numbers, pc.and_(pc.is_valid(raw), pc.invert(plain))


def _text_columns(block: pa.Table) -> dict[str, pa.Array]:
    """Return every fact column as text: the block's, the model's default, or nulls."""
    n = block.num_rows
    columns = {}
    for name in FACT_COLUMNS:
        if name in block.column_names:
            columns[name] = block.column(name).combine_chunks()
        elif name in _REQUIRED:
            columns[name] = pa.array([_REQUIRED[name][1]] * n, pa.string())
        else:
            columns[name] = pa.nulls(n, pa.string())
    return columns


def _doubted_text(columns: dict[str, pa.Array]) -> pa.Array:
    """Return the mask of rows whose text fields the model might see differently."""
    doubt = pa.array([False] * len(columns["patient_id"]), pa.bool_())
    for column in columns.values():
        doubt = pc.or_(doubt, pc.fill_null(pc.match_substring(column, "\x00"), False))
    for name, pattern in (("patient_id", _ID), ("code", _CODE)):
        doubt = _or(doubt, pc.invert(pc.match_substring_regex(columns[name], pattern)))
    doubt = _or(doubt, pc.invert(_in(columns["system"], list(CODE_SYSTEMS))))
    for name, (enum, _default) in _REQUIRED.items():
        doubt = _or(doubt, pc.invert(_in(columns[name], [e.value for e in enum])))
    for name, choices in QUALIFIER_ENUMS.items():
        known = _in(columns[name], [e.value for e in choices])
        doubt = pc.or_(doubt, pc.and_(pc.is_valid(columns[name]), pc.invert(known)))
    odd_unit = pc.match_substring_regex(columns["unit"], _ODD_UNIT)
    doubt = pc.or_(doubt, pc.fill_null(odd_unit, False))
    for name, limit in _LIMITS.items():
        too_long = pc.greater(pc.utf8_length(columns[name]), limit)
        doubt = pc.or_(doubt, pc.fill_null(too_long, False))
    return doubt


def _doubted_codes(system: pa.Array, code: pa.Array) -> pa.Array:
    """Return the mask of rows whose code has the wrong form for its system (model.codes).

    Each distinct (system, code) pair of the block is checked once.
    """
    keys = pc.binary_join_element_wise(system, code, "\t")
    bad = [
        key
        for key in pc.unique(keys).to_pylist()
        if key is not None and code_problem(*key.split("\t", 1)) is not None
    ]
    return _in(keys, bad)


def _doubted_values(system: pa.Array, code: pa.Array, value_text: pa.Array) -> pa.Array:
    """Return the mask of rows of a concept with declared ``values`` whose text is not one.

    The model lower-cases and strips such a text, or refuses it naming the field; the fast
    path takes only a text already written as one of the values.
    """
    keys = pc.binary_join_element_wise(system, code, "\t")
    doubt = pa.array([False] * len(keys), pa.bool_())
    for key in pc.unique(keys).to_pylist():
        closed = closed_values(*key.split("\t", 1)) if key is not None else ()
        for _concept, allowed in closed:
            outside = pc.and_(pc.is_valid(value_text), pc.invert(_in(value_text, list(allowed))))
            doubt = pc.or_(doubt, pc.and_(_in(keys, [key]), outside))
    return doubt


def _doubted_ranges(system: pa.Array, code: pa.Array, value_num: pa.Array) -> pa.Array:
    """Return the mask of rows of a concept with a ``value_range`` whose number is outside it.

    The model names such a value (:func:`calciscope.model.records.range_problem`).
    """
    keys = pc.binary_join_element_wise(system, code, "\t")
    doubt = pa.array([False] * len(keys), pa.bool_())
    for key in pc.unique(keys).to_pylist():
        bounded = value_ranges(*key.split("\t", 1)) if key is not None else ()
        for _concept, (low, high) in bounded:
            outside = pa.array([False] * len(keys), pa.bool_())
            if low is not None:
                outside = pc.or_(outside, pc.fill_null(pc.less(value_num, low), False))
            if high is not None:
                outside = pc.or_(outside, pc.fill_null(pc.greater(value_num, high), False))
            doubt = pc.or_(doubt, pc.and_(_in(keys, [key]), outside))
    return doubt


def check_block(block: pa.Table) -> tuple[pa.Table, pa.Array]:
    """Return ``(passed rows as a fact table, mask of doubted rows)`` for a block of text columns.

    ``block`` has some of the columns of :data:`calciscope.storage.bulk.FACT_COLUMNS`, all
    strings; the fact table has all of them, ``fact_id`` filled in where the block has none.
    """
    columns = _text_columns(block)
    doubt = pc.or_(_doubted_text(columns), _doubted_codes(columns["system"], columns["code"]))
    doubt = pc.or_(
        doubt, _doubted_values(columns["system"], columns["code"], columns["value_text"])
    )
    columns["effective_date"], bad_date = _dates(columns["effective_date"])
    doubt = pc.or_(doubt, bad_date)
    # a fact dated after today is refused by the model, which names it
    future = pc.greater(columns["effective_date"], pa.scalar(dt.date.today(), pa.date32()))
    doubt = pc.or_(doubt, pc.fill_null(future, False))
    for name in NUMBER_COLUMNS:
        columns[name], bad_number = _numbers(columns[name])
        doubt = pc.or_(doubt, bad_number)
    # a value outside its concept's range (an mRSS site of 7): the model names it
    doubt = pc.or_(doubt, _doubted_ranges(columns["system"], columns["code"], columns["value_num"]))
    # a reference range's upper limit is 0 or more: the model names a negative one
    doubt = pc.or_(doubt, pc.fill_null(pc.less(columns["reference_high"], 0), False))
    passed = pc.invert(doubt)
    arrays = [pc.filter(columns[name], passed) for name in FACT_COLUMNS]
    table = pa.Table.from_arrays(arrays, schema=FACT_SCHEMA)
    given = table.column("fact_id")
    if given.null_count:
        table = table.set_column(0, "fact_id", pc.coalesce(given, fact_ids(table)))
    return table, doubt
