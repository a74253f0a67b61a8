"""Compile phenotypes (``phenotype/phenotypes.yaml``) to Ibis: the one evaluator of every phenotype.

References
----------
Achieng S, Harris J, Samaranayaka M, Herrick AL. Rheumatol Adv Pract 2024;8:rkae011.
DOI 10.1093/rap/rkae011.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from calciscope.criteria import CriteriaSet, load_criteria_sets
from calciscope.engine.criteria import input_columns, stage_criteria_columns
from calciscope.engine.criteria import output_columns as criteria_columns
from calciscope.engine.explanation import stage_explanation_columns
from calciscope.engine.predicates import (
    AGE_OLDEST,
    AGE_YOUNGEST,
    Tri,
    any_of,
    column,
    compile_predicate,
)
from calciscope.model import DAYS_PER_YEAR
from calciscope.phenotype import (
    Phenotype,
    PhenotypeKind,
    PhenotypeSet,
    assessment_cutoff,
    load_phenotypes,
    output_columns,
)

__all__ = ["add_phenotype_columns", "changed_phenotypes", "classify_table", "three_valued"]


def three_valued(tri: Tri) -> ir.BooleanValue:
    """Return a compiled predicate as one true / false / null column."""
    return ibis.cases((tri.t, True), (tri.f, False), else_=ibis.null("boolean"))


def _known_values(p: Phenotype, table: ir.Table) -> list[tuple[ir.BooleanValue, ir.StringValue]]:
    """Return, for each source, whether it holds one of the phenotype's values, and the value."""
    values = [column(table, source, "string") for source in p.sources]
    return [(value.isin(list(p.values)).fill_null(False), value) for value in values]


def _determined(p: Phenotype, value: ir.StringValue) -> ir.BooleanValue:
    """Return whether a source holds a value other than one saying none was determined."""
    if not p.not_determined:
        return value.notnull()
    return value.notnull() & ~value.isin(list(p.not_determined)).fill_null(False)


def _mismatch(p: Phenotype, table: ir.Table) -> ir.BooleanValue:
    (first_known, first), (second_known, second) = _known_values(p, table)
    both = first_known & second_known
    return ibis.cases((both & (first != second), True), (both, False), else_=ibis.null("boolean"))


def _years(p: Phenotype, table: ir.Table) -> dict[str, ir.Value]:
    """Return the interval in years, unknown when the end is dated before the start.

    A reversed pair of dates is a data-quality problem (a wrong date), not a negative interval:
    ``<id>_reversed`` is then true (the review queue reads it), false when both dates are
    known and in order, unknown otherwise.
    """
    start, end = (column(table, s, "date") for s in p.sources)
    known = start.notnull() & end.notnull()
    reversed_ = known & (end < start).fill_null(False)
    years = end.delta(start, unit="day").cast("float64") / DAYS_PER_YEAR
    return {
        p.id: ibis.cases((reversed_, ibis.null("float64")), else_=years),
        f"{p.id}_reversed": ibis.cases(
            (reversed_, True), (known, False), else_=ibis.null("boolean")
        ),
    }


def _true(table: ir.Table, feature: str) -> ir.BooleanValue:
    return column(table, feature, "boolean").cast("boolean").fill_null(False)


def _prompt(p: Phenotype, table: ir.Table, index_date: dt.date) -> dict[str, ir.Value]:
    assert p.rule is not None
    cutoff, end = ibis.literal(assessment_cutoff(index_date, p.months)), ibis.literal(index_date)
    dates = [column(table, source, "date") for source in p.sources]
    recent = any_of([((d >= cutoff) & (d <= end)).fill_null(False) for d in dates])
    # a true `unless` feature answers the prompt's question already (e.g. calcinosis known)
    known = any_of([_true(table, f) for f in p.unless])
    when = compile_predicate(p.rule, table)
    shown = Tri(when.t & ~recent & ~known, when.f | recent | known)
    out: dict[str, ir.Value] = {
        p.id: three_valued(shown),
        f"{p.id}_text": ibis.cases((shown.t, ibis.literal(p.text)), else_=ibis.null("string")),
    }
    return out | {f"{p.id}_{b}": column(table, b) for b in p.beside}


def _compile(p: Phenotype, table: ir.Table, index_date: dt.date) -> dict[str, ir.Value]:
    if p.kind is PhenotypeKind.PREDICATE:
        assert p.rule is not None
        return {p.id: three_valued(compile_predicate(p.rule, table))}
    if p.kind is PhenotypeKind.VALUE:
        return {p.id: column(table, p.sources[0])}
    if p.kind is PhenotypeKind.YEARS_BETWEEN:
        return _years(p, table)
    if p.kind is PhenotypeKind.FIRST_KNOWN:
        otherwise = ibis.literal(p.otherwise, type="string")
        # a true `unless` feature: a source is recorded but its value is not known (two
        # different subsets the same day), so a later source does not stand in for it
        unknown = [(_true(table, f), otherwise) for f in p.unless]
        # a source recorded with a value outside `values` (a subset recorded as "diffuse") is
        # recorded but not known: a later source does not stand in for it either (edge12)
        # ... unless it says none was determined (`not_determined`): then the next stands in
        cases = [
            case
            for known, value in _known_values(p, table)
            for case in ((known, value), (_determined(p, value), otherwise))
        ]
        return {p.id: ibis.cases(*unknown, *cases, else_=otherwise)}
    if p.kind is PhenotypeKind.MISMATCH:
        return {p.id: _mismatch(p, table)}
    return _prompt(p, table, index_date)


def add_phenotype_columns(
    table: ir.Table,
    *,
    index_date: dt.date | None = None,
    phenotypes: PhenotypeSet | None = None,
) -> ir.Table:
    """Return ``table`` (features and criteria results) with every phenotype column added.

    Phenotypes are added in levels, one ``mutate`` per level: a rule that reads an earlier
    phenotype comes in a later level than it.
    """
    chosen = phenotypes or load_phenotypes()
    when = index_date or dt.date.today()
    for level in _levels(chosen):
        table = table.mutate(**{k: v for p in level for k, v in _compile(p, table, when).items()})
    return table


def changed_phenotypes(base: PhenotypeSet, other: PhenotypeSet) -> PhenotypeSet:
    """Return ``other`` with only the phenotypes that differ from ``base``'s and those reading them.

    Added by :func:`add_phenotype_columns` to a table that holds ``base``'s phenotype columns
    (a column of the same name is replaced), they give that table ``other``'s phenotypes: every
    other phenotype is the same rule over the same columns. A sensitivity analysis that changes
    phenotype parameters recomputes only these (``calciscope.engine.study``).
    """
    before = {p.id: p for p in base.phenotypes}
    changed = {p.id for p in other.phenotypes if before.get(p.id) != p}
    while more := {p.id for p in other.phenotypes if _reads(p) & changed} - changed:
        changed |= more
    kept = tuple(p for p in other.phenotypes if p.id in changed)
    return dataclasses.replace(other, phenotypes=kept)


def _reads(p: Phenotype) -> frozenset[str]:
    rule: frozenset[str] = p.rule.features() if p.rule else frozenset()
    return rule.union(p.sources, p.beside, p.unless)


def _levels(chosen: PhenotypeSet) -> list[list[Phenotype]]:
    level: dict[str, int] = {}
    for p in chosen.phenotypes:
        level[p.id] = 1 + max((level[r] for r in _reads(p) if r in level and r != p.id), default=-1)
    return [[p for p in chosen.phenotypes if level[p.id] == k] for k in sorted(set(level.values()))]


def classify_table(
    table: ir.Table,
    *,
    sets: Sequence[CriteriaSet] | None = None,
    phenotypes: PhenotypeSet | None = None,
    index_date: dt.date | None = None,
    min_probability: float | None = None,
    explain: bool = False,
    criteria: ir.Table | None = None,
) -> ir.Table:
    """Return ``patient_id``, every criteria result column and every phenotype column.

    Parameters
    ----------
    table
        The feature table (one row per patient).
    sets, phenotypes
        Criteria sets and phenotypes (the packaged ones by default).
    index_date
        Date the at-risk prompt's look-back counts from (default: today).
    min_probability
        Minimum probability for "classified" IIM (default 0.55).
    explain
        Add the explanation columns of every set (item states, weights, flips; see
        :mod:`calciscope.engine.explanation`) beside the results; for a few rows only.
    criteria
        The criteria result columns already computed (``patient_id`` and every set's columns,
        one row per patient of ``table``: stored results, :mod:`calciscope.engine.stored`),
        joined instead of computed; the phenotypes are computed on them as on computed ones.
    """
    chosen_sets = load_criteria_sets() if sets is None else tuple(sets)
    chosen_ph = phenotypes or load_phenotypes()
    # carrying only the columns a rule reads keeps every staged query (and its SQL) small
    reads = frozenset().union(*map(input_columns, chosen_sets), *map(_reads, chosen_ph.phenotypes))
    # an age's range of possible values goes with it (engine.predicates.AGE_YOUNGEST)
    reads |= {f"{f}{end}" for f in reads for end in (AGE_YOUNGEST, AGE_OLDEST)}
    table = table.select("patient_id", *[c for c in table.columns if c in reads - {"patient_id"}])
    # the ``_``-prefixed helpers are left to the last select: dropping them costs Ibis more
    stage = stage_explanation_columns if explain else stage_criteria_columns
    if criteria is None:
        scored = stage(table, chosen_sets, min_probability=min_probability)
    else:
        scored = table.join(criteria, "patient_id")
    full = add_phenotype_columns(scored, index_date=index_date, phenotypes=chosen_ph)
    columns = [c for s in chosen_sets for c in criteria_columns(s)]
    if explain:  # the explanation columns are named ``<set>__...``
        columns += [c for s in chosen_sets for c in full.columns if c.startswith(f"{s.id}__")]
    columns += [c for p in chosen_ph.phenotypes for c in output_columns(p)]
    return full.select("patient_id", *columns)
