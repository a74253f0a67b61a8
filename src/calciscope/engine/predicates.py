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

__all__ = ["IBIS_TYPES", "Tri", "all_of", "any_of", "column", "compile_predicate", "int_literal"]

#: The Ibis type of each catalogue feature type (the feature table's column types).
IBIS_TYPES = {
    FeatureType.BOOLEAN: "boolean",
    FeatureType.NUMBER: "float64",
    FeatureType.INTEGER: "int64",
    FeatureType.DATE: "date",
    FeatureType.TEXT: "string",
}


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
        case Compare():
            value = column(table, pred.feature, "float64")
            return _known(value, COMPARISONS[pred.op](value, pred.value))
        case Range():
            value = column(table, pred.feature, "float64")
            low = [] if pred.low is None else [value >= pred.low]
            return _known(value, all_of(low + ([] if pred.below is None else [value < pred.below])))
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


def _isin(value: ir.Value, values: tuple[str, ...]) -> ir.BooleanValue:
    return value.isin(list(values)).fill_null(False) if values else ibis.literal(False)
