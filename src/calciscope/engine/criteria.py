"""Compile criteria sets to Ibis: the one evaluator of every criteria set.

Every criteria set becomes a few staged ``mutate`` steps over the feature table, so SQLite,
DuckDB and PostgreSQL score every patient inside the database. Scores are integer tenths
(exact on every engine); a probability category is read from the integer score against the
precomputed score threshold of each probability, so rounding cannot move a patient.

References
----------
van den Hoogen F, et al. Arthritis Rheum 2013;65:2737-47. DOI 10.1002/art.38098.
Lundberg IE, et al. Ann Rheum Dis 2017;76:1955-64. DOI 10.1136/annrheumdis-2017-211468.
LeRoy EC, et al. J Rheumatol 1988;15:202-5. Clements P, et al. J Rheumatol 1995;22:1281-5.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import ibis
import ibis.expr.types as ir

from calciscope.criteria import (
    CriteriaSet,
    IimCategory,
    IimSubgroup,
    RegionCriteriaSet,
    SiteSumCriteriaSet,
    WeightedCriteriaSet,
    load_criteria_sets,
)
from calciscope.criteria.definition import SCALE, Branch, Item, ItemGroup, Leaf, SubgroupNode
from calciscope.criteria.expression import Predicate
from calciscope.engine.predicates import Tri, all_of, any_of, column, compile_predicate, int_literal
from calciscope.model import CutaneousSubset

__all__ = [
    "add_criteria_columns",
    "choose",
    "compute_criteria",
    "drop_helpers",
    "group_bounds",
    "input_columns",
    "output_columns",
    "stage_criteria_columns",
    "tree_tests",
    "variant_weight",
]


def input_columns(cset: CriteriaSet) -> frozenset[str]:
    """Return the feature columns a set reads (every other column can be left out)."""
    if isinstance(cset, RegionCriteriaSet):
        return frozenset().union(*(r.evidence.features() for r in cset.proximal + cset.distal))
    if isinstance(cset, SiteSumCriteriaSet):
        return frozenset(cset.sites)
    rules = [i.when for g in cset.groups for i in g.items] + list(cset.not_applicable_if)
    rules += [cset.variants.selector] if cset.variants else []
    rules += [cset.classifiable_if] if cset.classifiable_if else []
    rules += tree_tests(cset.subgroups)
    return frozenset().union(*(r.features() for r in rules))


def output_columns(cset: CriteriaSet) -> tuple[str, ...]:
    """Return the result columns a set adds, in order."""
    if isinstance(cset, RegionCriteriaSet):
        names: tuple[str, ...] = ("subset",)
    elif isinstance(cset, SiteSumCriteriaSet):
        names = ("total", "total_min", "total_max")
    elif cset.probability is not None:
        names = (
            "variant",
            "score_min",
            "score_max",
            "probability_min",
            "probability_max",
            "category",
            "subgroup",
        )
    else:
        names = ("status", "score_min", "score_max")
    return tuple(f"{cset.id}_{n}" for n in names)


def group_bounds(
    group: ItemGroup, variant: str, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the group's lowest and highest score (tenths): the heaviest certain / possible item."""
    ranked = group.ranked(variant)
    return _heaviest(ranked, [int_literal(i.weight(variant)) for i in ranked], table)


def _heaviest(
    ranked: Sequence[Item], weights: Sequence[ir.IntegerValue], table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the first weight whose item is certainly (low) and possibly (high) true, else 0.

    ``ranked`` is heaviest first, so the first that holds is the group's highest item.
    """
    if not ranked:
        return int_literal(0), int_literal(0)
    tris = [compile_predicate(item.when, table) for item in ranked]
    low = ibis.cases(*[(t.t, w) for t, w in zip(tris, weights, strict=True)], else_=int_literal(0))
    high = ibis.cases(
        *[(~t.f, w) for t, w in zip(tris, weights, strict=True)], else_=int_literal(0)
    )
    return low, high


def _summed(
    pairs: Sequence[tuple[ir.IntegerValue, ir.IntegerValue]],
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the groups' lows and highs added up: the set's score bounds."""
    low, high = pairs[0]
    for lo, hi in pairs[1:]:
        low, high = low + lo, high + hi
    return low, high


def _same_ranking(group: ItemGroup, variants: tuple[str, str]) -> bool:
    """Return True when sorting by one variant's weights also sorts the other's."""
    ranked = sorted(group.items, key=lambda item: -item.weight(variants[0]))
    other = [item.weight(variants[1]) for item in ranked]
    return all(a >= b for a, b in itertools.pairwise(other))


def _merged_group_bounds(
    group: ItemGroup, variants: tuple[str, str], flag: ir.BooleanValue, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Both variants in one CASE: each predicate is evaluated once, the weight picked by ``flag``."""
    first, second = variants
    ranked = [
        i
        for i in sorted(group.items, key=lambda i: -i.weight(first))
        if i.weight(first) or i.weight(second)
    ]
    return _heaviest(ranked, [variant_weight(i, variants, flag) for i in ranked], table)


def variant_weight(item: Item, variants: tuple[str, str], flag: ir.BooleanValue) -> ir.IntegerValue:
    """Return the item's weight (tenths) in the first variant where ``flag``, else the second."""
    first, second = (item.weight(v) for v in variants)
    same = first == second
    return int_literal(first) if same else choose(flag, int_literal(first), int_literal(second))


def _variant_bounds(
    cset: WeightedCriteriaSet, flag: ir.BooleanValue, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    assert cset.variants is not None
    variants = (cset.variants.when_true, cset.variants.otherwise)
    if not all(
        _same_ranking(g, variants) and _same_ranking(g, variants[::-1]) for g in cset.groups
    ):
        lo_t, hi_t = _bounds(cset, variants[0], table)
        lo_o, hi_o = _bounds(cset, variants[1], table)
        return choose(flag, lo_t, lo_o), choose(flag, hi_t, hi_o)
    return _summed([_merged_group_bounds(g, variants, flag, table) for g in cset.groups])


def _bounds(
    cset: WeightedCriteriaSet, variant: str, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    return _summed([group_bounds(g, variant, table) for g in cset.groups])


def _points(tenths: ir.IntegerValue) -> ir.FloatingValue:
    """Tenths to points as float64 (PostgreSQL would divide two integers as integers)."""
    return tenths.cast("float64") / float(SCALE)


def choose(flag: ir.BooleanValue, when_true: ir.Value, otherwise: ir.Value) -> ir.Value:
    """``flag`` is never null here, so a CASE is safe."""
    return ibis.cases((flag, when_true), else_=otherwise)


def _scores(cset: WeightedCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    p = f"_{cset.id}"
    entry = (
        compile_predicate(cset.classifiable_if, table)
        if cset.classifiable_if
        else Tri(ibis.literal(True), ibis.literal(False))
    )
    gate = any_of([compile_predicate(g, table).t for g in cset.not_applicable_if])
    common = {f"{p}_entry_t": entry.t, f"{p}_entry_f": entry.f, f"{p}_gate": gate}
    if cset.variants is None:
        low, high = _bounds(cset, "default", table)
        return common | {f"{p}_with": ibis.literal(False), f"{p}_low": low, f"{p}_high": high}
    selector = compile_predicate(cset.variants.selector, table)
    flag = selector.t
    low, high = _variant_bounds(cset, flag, table)
    # selector unknown (biopsy status not recorded): the when_true variant's bounds are kept
    # too, so the result spans both variants (the biopsy may have been done)
    alt_low, alt_high = _bounds(cset, cset.variants.when_true, table)
    tests = {
        f"{p}_test_{i}_{side}": getattr(tri, side)
        for i, tri in enumerate(compile_predicate(t, table) for t in tree_tests(cset.subgroups))
        for side in "tf"
    }
    return (
        common
        | tests
        | {f"{p}_with": flag, f"{p}_low": low, f"{p}_high": high}
        | {
            f"{p}_open": ~selector.t & ~selector.f,
            f"{p}_alt_low": alt_low,
            f"{p}_alt_high": alt_high,
        }
    )


def _threshold_outputs(cset: WeightedCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    p = f"_{cset.id}"
    low, high, gate = table[f"{p}_low"], table[f"{p}_high"], table[f"{p}_gate"]
    threshold = int_literal(cset.threshold or 0)
    status = ibis.cases(
        (gate, "not_applicable"),
        (low >= threshold, "classified"),
        (high < threshold, "not_classified"),
        else_="undetermined",
    )
    return {f"{cset.id}_status": status}


def _variant_threshold(
    cset: WeightedCriteriaSet,
    flag: ir.BooleanValue,
    category: str,
    thresholds: dict[str, dict[str, int]],
) -> ir.Value:
    if cset.variants is None:
        return int_literal(thresholds["default"][category])
    with_t = thresholds[cset.variants.when_true][category]
    without_t = thresholds[cset.variants.otherwise][category]
    return choose(flag, int_literal(with_t), int_literal(without_t))


def _category(
    cset: WeightedCriteriaSet,
    score: ir.IntegerValue,
    flag: ir.BooleanValue,
    thresholds: dict[str, dict[str, int]],
) -> ir.StringValue:
    assert cset.probability is not None
    cases = [
        (score >= _variant_threshold(cset, flag, cat, thresholds), ibis.literal(cat))
        for cat, _ in cset.probability.categories
    ]
    return ibis.cases(*cases, else_=ibis.literal(cset.probability.below))


def tree_tests(node: SubgroupNode | None) -> list[Predicate]:
    """Return the distinct tests of the subgroup tree, in pre-order (their column numbers)."""
    if not isinstance(node, Branch):
        return []
    found = [node.test, *tree_tests(node.yes), *tree_tests(node.no)]
    return list(dict.fromkeys(found))


def _subtree(node: SubgroupNode, tests: dict[Predicate, Tri]) -> ir.StringValue:
    """Nested CASE: follow a known test; for an unknown one, a label only if both branches agree."""
    if isinstance(node, Leaf):
        return ibis.literal(node.label)
    assert isinstance(node, Branch)
    tri, yes, no = tests[node.test], _subtree(node.yes, tests), _subtree(node.no, tests)
    return ibis.cases(
        (tri.t, yes),
        (tri.f, no),
        (yes == no, yes),
        else_=ibis.literal(IimSubgroup.UNDETERMINED.value),
    )


def _tree(cset: WeightedCriteriaSet, table: ir.Table) -> ir.StringValue:
    """Return the one subgroup every completion reaches, else undetermined."""
    assert cset.subgroups is not None
    p = f"_{cset.id}"
    tests = {
        test: Tri(table[f"{p}_test_{i}_t"], table[f"{p}_test_{i}_f"])
        for i, test in enumerate(tree_tests(cset.subgroups))
    }
    return _subtree(cset.subgroups, tests)


def _probability_stage(
    cset: WeightedCriteriaSet, table: ir.Table, min_probability: float | None
) -> dict[str, ir.Value]:
    assert cset.probability is not None
    model = (
        cset.probability
        if min_probability is None
        else cset.probability.with_minimum(min_probability)
    )
    thresholds = {v: dict(model.thresholds(v)) for v in cset.variant_names}
    p = f"_{cset.id}"
    flag, low, high = table[f"{p}_with"], table[f"{p}_low"], table[f"{p}_high"]
    entry = Tri(table[f"{p}_entry_t"], table[f"{p}_entry_f"])
    bar = _variant_threshold(cset, flag, model.classified, thresholds)
    cset_p = replace(cset, probability=model)
    assert cset.variants is not None
    rule = cset.variants
    intercept = choose(
        flag,
        ibis.literal(model.intercepts[rule.when_true]),
        ibis.literal(model.intercepts[rule.otherwise]),
    )
    # the when_true variant, for a patient whose selector is unknown (``_open``)
    is_open, alt_low, alt_high = table[f"{p}_open"], table[f"{p}_alt_low"], table[f"{p}_alt_high"]
    always = ibis.literal(True)
    alt_bar = _variant_threshold(cset, always, model.classified, thresholds)
    alt_c = ibis.literal(model.intercepts[rule.when_true])
    # the logistic model: probability = 1 / (1 + exp(intercept - score))
    p_low, p_high, alt_p_low, alt_p_high = (
        1.0 / (1.0 + (c - _points(score)).exp())
        for c, score in ((intercept, low), (intercept, high), (alt_c, alt_low), (alt_c, alt_high))
    )
    return {
        f"{p}_cat_low": _category(cset_p, low, flag, thresholds),
        f"{p}_cat_high": _category(cset_p, high, flag, thresholds),
        f"{p}_alt_cat_low": _category(cset_p, alt_low, always, thresholds),
        f"{p}_alt_cat_high": _category(cset_p, alt_high, always, thresholds),
        f"{p}_must": entry.t & (low >= bar) & (~is_open | (alt_low >= alt_bar)),
        f"{p}_can": ~entry.f & ((high >= bar) | (is_open & (alt_high >= alt_bar))),
        f"{cset.id}_variant": choose(
            flag, ibis.literal(rule.when_true), ibis.literal(rule.otherwise)
        ),
        f"{cset.id}_probability_min": choose(is_open, _least(p_low, alt_p_low), p_low),
        f"{cset.id}_probability_max": choose(is_open, _greatest(p_high, alt_p_high), p_high),
    }


def _probability_outputs(cset: WeightedCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    p = f"_{cset.id}"
    cat_low, cat_high = table[f"{p}_cat_low"], table[f"{p}_cat_high"]
    alt_agrees = (table[f"{p}_alt_cat_low"] == cat_low) & (table[f"{p}_alt_cat_high"] == cat_low)
    category = ibis.cases(
        (table[f"{p}_entry_f"], ibis.literal(IimCategory.NOT_CLASSIFIABLE.value)),
        (
            table[f"{p}_entry_t"] & (cat_low == cat_high) & (~table[f"{p}_open"] | alt_agrees),
            cat_low,
        ),
        else_=ibis.literal(IimCategory.UNDETERMINED.value),
    )
    tree = _tree(cset, table) if cset.subgroups else ibis.literal(IimSubgroup.NONE.value)
    subgroup = ibis.cases(
        (~table[f"{p}_can"], ibis.literal(IimSubgroup.NONE.value)),
        (~table[f"{p}_must"], ibis.literal(IimSubgroup.UNDETERMINED.value)),
        else_=tree,
    )
    return {f"{cset.id}_category": category, f"{cset.id}_subgroup": subgroup}


def _stage_one(cset: CriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    """Scores and flags straight from the features (and final columns of the skin sets)."""
    if isinstance(cset, RegionCriteriaSet):
        return _regions(cset, table)
    if isinstance(cset, SiteSumCriteriaSet):
        return _site_sum(cset, table)
    return _scores(cset, table)


def _least(a: ir.Value, b: ir.Value) -> ir.Value:
    return ibis.cases((a <= b, a), else_=b)


def _greatest(a: ir.Value, b: ir.Value) -> ir.Value:
    return ibis.cases((a >= b, a), else_=b)


def _stage_two(
    cset: CriteriaSet, table: ir.Table, min_probability: float | None
) -> dict[str, ir.Value]:
    """Statuses, scores and probabilities from the stage-one columns."""
    if not isinstance(cset, WeightedCriteriaSet):
        return {}
    p = f"_{cset.id}"
    low, high = table[f"{p}_low"], table[f"{p}_high"]
    if cset.variants is not None:  # an unknown selector spans both variants
        is_open = table[f"{p}_open"]
        low = choose(is_open, _least(low, table[f"{p}_alt_low"]), low)
        high = choose(is_open, _greatest(high, table[f"{p}_alt_high"]), high)
    scores = {
        f"{cset.id}_score_min": _points(low),
        f"{cset.id}_score_max": _points(high),
    }
    if cset.probability is None:
        return scores | _threshold_outputs(cset, table)
    return scores | _probability_stage(cset, table, min_probability)


def _stage_three(cset: CriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    """Categories and subgroups of probability sets."""
    if isinstance(cset, WeightedCriteriaSet) and cset.probability is not None:
        return _probability_outputs(cset, table)
    return {}


def _regions(cset: RegionCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    prox = [compile_predicate(r.evidence, table) for r in cset.proximal]
    dist = [compile_predicate(r.evidence, table) for r in cset.distal]
    all_prox_false = all_of([t.f for t in prox])
    subset = ibis.cases(
        (any_of([t.t for t in prox]), ibis.literal(cset.proximal_label)),
        (all_prox_false & any_of([t.t for t in dist]), ibis.literal(cset.distal_label)),
        (all_prox_false & all_of([t.f for t in dist]), ibis.literal(cset.none_label)),
        else_=ibis.literal(CutaneousSubset.UNDETERMINED.value),
    )
    return {f"{cset.id}_subset": subset}


def _site_sum(cset: SiteSumCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    values = [column(table, site, "float64").cast("float64") for site in cset.sites]
    total, low, high = values[0], values[0].fill_null(0.0), values[0].fill_null(cset.site_max)
    for value in values[1:]:
        total = total + value  # null as soon as one site is null, on every engine
        low = low + value.fill_null(0.0)
        high = high + value.fill_null(cset.site_max)
    return {f"{cset.id}_total": total, f"{cset.id}_total_min": low, f"{cset.id}_total_max": high}


def stage_criteria_columns(
    table: ir.Table,
    sets: Sequence[CriteriaSet],
    *,
    min_probability: float | None = None,
) -> ir.Table:
    """Return ``table`` with every result column of ``sets`` and the ``_``-prefixed helpers.

    The helpers (integer score bounds in tenths, the variant flag, the entry and gate flags)
    are what :mod:`calciscope.engine.explanation` reads to say why; callers that only want
    results use :func:`add_criteria_columns`, which drops them.
    """
    table = table.mutate(**{k: v for c in sets for k, v in _stage_one(c, table).items()})
    two = {k: v for c in sets for k, v in _stage_two(c, table, min_probability).items()}
    table = table.mutate(**two) if two else table
    three = {k: v for c in sets for k, v in _stage_three(c, table).items()}
    return table.mutate(**three) if three else table


def drop_helpers(table: ir.Table, before: Sequence[str]) -> ir.Table:
    """Drop the ``_``-prefixed helper columns added since ``before`` (the original columns)."""
    # a select, not ``drop``: Ibis keeps dropped names in a set, whose order (and so the SQL's
    # EXCLUDE list and the SQL cache) would change with PYTHONHASHSEED
    old = set(before)
    return table.select(*[c for c in table.columns if not c.startswith("_") or c in old])


def add_criteria_columns(
    table: ir.Table,
    sets: Sequence[CriteriaSet] | None = None,
    *,
    min_probability: float | None = None,
) -> ir.Table:
    """Return ``table`` with every result column of ``sets`` added (see :func:`output_columns`).

    Parameters
    ----------
    table
        A feature table (one row per patient; missing feature columns count as unknown).
    sets
        Criteria sets; all packaged sets by default.
    min_probability
        Minimum probability for "classified" in sets with a probability model (default 0.55).
    """
    chosen = load_criteria_sets() if sets is None else tuple(sets)
    staged = stage_criteria_columns(table, chosen, min_probability=min_probability)
    return drop_helpers(staged, table.columns)


def compute_criteria(
    table: ir.Table,
    sets: Sequence[CriteriaSet] | None = None,
    *,
    min_probability: float | None = None,
) -> ir.Table:
    """Return ``patient_id`` and the result columns of ``sets`` for every row of ``table``."""
    chosen = load_criteria_sets() if sets is None else tuple(sets)
    scored = add_criteria_columns(table, chosen, min_probability=min_probability)
    return scored.select("patient_id", *[c for s in chosen for c in output_columns(s)])
