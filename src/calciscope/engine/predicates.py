"""Compile three-valued predicates (:mod:`calciscope.criteria.expression`) to Ibis.

Each predicate becomes a pair of **never-null** booleans, *certainly true* and *certainly
false*; unknown is "neither". Nulls are removed at the leaves with ``fill_null(False)`` and
explicit ``notnull()`` checks, so no engine's NULL semantics (SQLite's ``MAX(x, NULL)``, an
``ifelse`` on a null condition, PostgreSQL's boolean casts) can change a result
(architecture.md, pitfalls).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from calciscope.criteria.expression import (
    COMPARISONS,
    AbsentIf,
    AllOf,
    AnyOf,
    Compare,
    Evidence,
    FeatureTrue,
    Not,
    OneOf,
    Predicate,
    Range,
)
from calciscope.features import FeatureType, load_catalogue

__all__ = [
    "AGE_OLDEST",
    "AGE_YOUNGEST",
    "IBIS_TYPES",
    "Tri",
    "all_of",
    "any_of",
    "column",
    "compile_predicate",
    "holds_at",
    "int_literal",
]

#: The Ibis type of each catalogue feature type (the feature table's column types).
IBIS_TYPES = {
    FeatureType.BOOLEAN: "boolean",
    FeatureType.NUMBER: "float64",
    FeatureType.INTEGER: "int64",
    FeatureType.DATE: "date",
    FeatureType.TEXT: "string",
}


#: Suffixes of the two feature-table columns that carry an ``age_at`` feature's possible
#: range: the youngest and the oldest the patient can have been at the fact (born on 31
#: December or on 1 January of a birth year only; both the age itself with a full birth date).
#: A comparison holds only if it holds at both ends and fails only if it fails at both, so an
#: age threshold the range straddles is unknown (clinical-reference §11.2; edge11).
AGE_YOUNGEST, AGE_OLDEST = "__youngest", "__oldest"


@dataclass(frozen=True)
class Tri:
    """A compiled predicate: two never-null booleans (unknown = neither is true)."""

    t: ir.BooleanValue
    f: ir.BooleanValue

    def __invert__(self) -> Tri:
        return Tri(self.f, self.t)


def int_literal(value: int) -> ir.IntegerScalar:
    """Return a 64-bit integer literal (small literals would otherwise be int8 and overflow)."""
    return ibis.literal(value, type="int64")


def column(table: ir.Table, name: str, dtype: str | None = None) -> ir.Value:
    """Return ``table[name]``, or a typed null when the table lacks that column."""
    if name in table.columns:
        return table[name]
    if dtype is None:
        feature = load_catalogue().features.get(name)
        dtype = IBIS_TYPES[feature.type] if feature else "float64"
    return ibis.null(dtype)


def any_of(values: list[ir.BooleanValue]) -> ir.BooleanValue:
    """OR of never-null booleans (false for none)."""
    return functools.reduce(operator.or_, values) if values else ibis.literal(False)


def all_of(values: list[ir.BooleanValue]) -> ir.BooleanValue:
    """AND of never-null booleans (true for none)."""
    return functools.reduce(operator.and_, values) if values else ibis.literal(True)


def _known(value: ir.Value, cond: ir.BooleanValue) -> Tri:
    t = cond.fill_null(False)
    return Tri(t, value.notnull() & ~t)


def compile_predicate(pred: Predicate, table: ir.Table) -> Tri:
    """Compile a predicate over ``table`` (a feature table, possibly with result columns)."""
    match pred:
        case FeatureTrue():
            value = column(table, pred.feature, "boolean")
            return Tri(value.fill_null(False), (~value).fill_null(False))
        case Compare() | Range():
            return _numeric(pred, table)
        case OneOf():
            value = column(table, pred.feature, "string")
            return Tri(*(_isin(value, values) for values in (pred.yes, pred.no)))
        case AnyOf():
            parts = [compile_predicate(p, table) for p in pred.parts]
            return Tri(any_of([p.t for p in parts]), all_of([p.f for p in parts]))
        case AllOf():
            parts = [compile_predicate(p, table) for p in pred.parts]
            return Tri(all_of([p.t for p in parts]), any_of([p.f for p in parts]))
        case Evidence():
            parts = [compile_predicate(p, table) for p in pred.parts]
            t = any_of([p.t for p in parts])
            return Tri(t, ~t & any_of([p.f for p in parts]))
        case AbsentIf():
            return Tri(ibis.literal(False), compile_predicate(pred.part, table).t)
        case Not():
            return ~compile_predicate(pred.part, table)
    raise TypeError(f"cannot compile {type(pred).__name__}")


def _numeric(pred: Compare | Range, table: ir.Table) -> Tri:
    if f"{pred.feature}{AGE_YOUNGEST}" in table.columns:
        return _on_range(pred, table)
    value = column(table, pred.feature, "float64")
    if isinstance(pred, Range):
        return _known(value, _in_range(pred, value))
    return _known(value, COMPARISONS[pred.op](value, pred.value))


def _in_range(pred: Range, value: ir.Value) -> ir.BooleanValue:
    low = [] if pred.low is None else [value >= pred.low]
    return all_of(low + ([] if pred.below is None else [value < pred.below]))


def _on_range(pred: Compare | Range, table: ir.Table) -> Tri:
    """Compile a comparison of a value known only as a range (:data:`AGE_YOUNGEST`).

    True when both ends satisfy it, false when neither does and the value cannot lie
    between them on the other side (an equality: the value outside the range).
    """
    ends = [table[f"{pred.feature}{s}"].cast("float64") for s in (AGE_YOUNGEST, AGE_OLDEST)]
    known = ends[0].notnull() & ends[1].notnull()
    if isinstance(pred, Range):
        t = _in_range(pred, ends[0]) & _in_range(pred, ends[1])
        below = [] if pred.low is None else [ends[1] < pred.low]
        f = any_of(below + ([] if pred.below is None else [ends[0] >= pred.below]))
    elif pred.op == "==":
        t = (ends[0] == pred.value) & (ends[1] == pred.value)
        f = (ends[0] > pred.value) | (ends[1] < pred.value)
    else:
        holds = [COMPARISONS[pred.op](end, pred.value) for end in ends]
        t, f = holds[0] & holds[1], ~holds[0] & ~holds[1]
    return Tri(known & t.fill_null(False), known & f.fill_null(False))


def holds_at(pred: Compare | Range, value: ir.Value) -> ir.BooleanValue:
    """Return whether a numeric predicate holds for ``value``, a known (never-null) number.

    Used to score a value known only as a range at chosen points of that range
    (:func:`calciscope.engine.criteria.group_bounds`).
    """
    if isinstance(pred, Range):
        return _in_range(pred, value)
    return COMPARISONS[pred.op](value, pred.value)


def _isin(value: ir.Value, values: tuple[str, ...]) -> ir.BooleanValue:
    return value.isin(list(values)).fill_null(False) if values else ibis.literal(False)
