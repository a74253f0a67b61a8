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

import functools
from collections.abc import Callable, Sequence
from typing import cast

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
from calciscope.criteria.expression import Compare, Predicate, Range
from calciscope.engine.predicates import (
    AGE_OLDEST,
    AGE_YOUNGEST,
    Tri,
    all_of,
    any_of,
    column,
    compile_predicate,
    holds_at,
    int_literal,
)
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
        bounds = ("score_min", "score_max", "probability_min", "probability_max")
        names = ("variant", *bounds, "category", "subgroup")
    else:
        names = ("status", "score_min", "score_max")
    return tuple(f"{cset.id}_{n}" for n in names)


def _ranked(group: ItemGroup, variant: str) -> list[Item]:
    return sorted(group.items, key=lambda item: -item.weight(variant))


def group_bounds(
    group: ItemGroup, variants: tuple[str, str], flag: ir.BooleanValue, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the group's lowest and highest score (tenths): its heaviest certain / possible item.

    The weights are the first variant's where ``flag``, else the second's. When both variants
    rank the items alike, one CASE serves both, so each predicate is evaluated once.
    """
    first, second = variants
    if _ranked(group, first) != _ranked(group, second):  # a CASE per variant, picked by flag
        (low_1, high_1), (low_2, high_2) = (
            group_bounds(group, (v, v), flag, table) for v in variants
        )
        return choose(flag, low_1, low_2), choose(flag, high_1, high_2)
    ranked = [i for i in _ranked(group, first) if i.weight(first) > 0 or i.weight(second) > 0]
    # heaviest first, so the first item that (certainly / possibly) holds is the group's score
    cases = [(compile_predicate(i.when, table), variant_weight(i, variants, flag)) for i in ranked]
    zero = int_literal(0)
    if not cases:
        return zero, zero
    bounds = (
        ibis.cases(*[(tri.t, weight) for tri, weight in cases], else_=zero),
        ibis.cases(*[(~tri.f, weight) for tri, weight in cases], else_=zero),
    )
    feature = _ranged_feature(group, table)
    if feature is None:
        return bounds
    return _ranged_bounds(group, feature, (variants, flag), table, bounds)


#: A point just below a cut-off: values known as a range are far coarser (ages to 0.01 year).
_JUST_BELOW = 1e-6


def _ranged_feature(group: ItemGroup, table: ir.Table) -> str | None:
    """Return the one feature all the group's items compare, when it is known as a range."""
    rules = [item.when for item in group.items]
    if not all(isinstance(r, Range) or (isinstance(r, Compare) and r.op != "==") for r in rules):
        return None
    features = frozenset().union(*(r.features() for r in rules))
    if len(features) != 1:
        return None
    (feature,) = features
    return feature if f"{feature}{AGE_YOUNGEST}" in table.columns else None


def _cuts(rule: Predicate) -> tuple[float, ...]:
    if isinstance(rule, Range):
        return tuple(b for b in (rule.low, rule.below) if b is not None)
    assert isinstance(rule, Compare)
    return (rule.value,)


def _ranged_bounds(
    group: ItemGroup,
    feature: str,
    weighting: tuple[tuple[str, str], ir.BooleanValue],
    table: ir.Table,
    bounds: tuple[ir.IntegerValue, ir.IntegerValue],
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the bounds of a group of cut-offs of one value known only as a range.

    Item by item (Kleene logic), "18 <= age < 40" and "age >= 40" are two unknowns when a
    birth year alone leaves the age between 39 and 40, and the certain score fell to 0 although
    one of them holds at every age the patient can have been (Lundberg IE et al. Ann Rheum Dis
    2017;76:1955-64: the age items are exclusive bands; edge35 V12). The group's score is a step
    function of the value, so its lowest and highest over the range are reached at an end or at
    a cut-off inside it (or just below one): those points are scored and the least and the
    greatest kept. An unknown range keeps ``bounds``, the item-by-item ones.
    """
    variants, flag = weighting
    low, high = (table[f"{feature}{end}"].cast("float64") for end in (AGE_YOUNGEST, AGE_OLDEST))
    points: list[ir.Value] = [low, high]
    for cut in sorted({c for item in group.items for c in _cuts(item.when)}):
        for x in (cut, cut - _JUST_BELOW):
            inside = (low <= x) & (x <= high)
            points.append(ibis.cases((inside, ibis.literal(x, type="float64")), else_=low))
    zero = int_literal(0)
    weighed = [
        (cast(Compare | Range, i.when), variant_weight(i, variants, flag)) for i in group.items
    ]
    scores = [
        ibis.greatest(zero, *[ibis.cases((holds_at(r, x), w), else_=zero) for r, w in weighed])
        for x in points
    ]
    known = low.notnull() & high.notnull()
    return (
        ibis.cases((known, ibis.least(*scores)), else_=bounds[0]),
        ibis.cases((known, ibis.greatest(*scores)), else_=bounds[1]),
    )


def _bounds(
    cset: WeightedCriteriaSet, variants: tuple[str, str], flag: ir.BooleanValue, table: ir.Table
) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """Return the set's score bounds (tenths): its groups' bounds added up."""
    pairs = [group_bounds(g, variants, flag, table) for g in cset.groups]
    return functools.reduce(lambda a, b: (a[0] + b[0], a[1] + b[1]), pairs)


def variant_weight(item: Item, variants: tuple[str, str], flag: ir.BooleanValue) -> ir.IntegerValue:
    """Return the item's weight (tenths) in the first variant where ``flag``, else the second."""
    first, second = (item.weight(v) for v in variants)
    if first == second:
        return int_literal(first)
    return choose(flag, int_literal(first), int_literal(second))


def _points(tenths: ir.IntegerValue) -> ir.FloatingValue:
    """Tenths to points as float64 (PostgreSQL would divide two integers as integers)."""
    return tenths.cast("float64") / float(SCALE)


def choose(flag: ir.BooleanValue, when_true: ir.Value, otherwise: ir.Value) -> ir.Value:
    """``flag`` is never null here, so a CASE is safe."""
    return ibis.cases((flag, when_true), else_=otherwise)


def _span(is_open: ir.BooleanValue, value: ir.Value, alt: ir.Value, lower: bool) -> ir.Value:
    """Return ``value``, or the lower (``lower``) or higher of it and ``alt`` where ``is_open``.

    ``alt`` is the when_true variant's: when the variant selector is unknown (``is_open``), the
    result spans both variants.
    """
    keep = value <= alt if lower else value >= alt
    return ibis.cases((~is_open | keep, value), else_=alt)


def _scores(cset: WeightedCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    """Stage one: entry, gate and variant flags, the subgroup tests and the score bounds."""
    p, rule = f"_{cset.id}", cset.variants
    true, false = ibis.literal(True), ibis.literal(False)
    entry = (
        compile_predicate(cset.classifiable_if, table) if cset.classifiable_if else Tri(true, false)
    )
    gate = any_of([compile_predicate(g, table).t for g in cset.not_applicable_if])
    tests = [compile_predicate(t, table) for t in tree_tests(cset.subgroups)]
    out = {f"{p}_entry_t": entry.t, f"{p}_entry_f": entry.f, f"{p}_gate": gate}
    out |= {f"{p}_test_{i}_{side}": getattr(t, side) for i, t in enumerate(tests) for side in "tf"}
    if rule is None:
        low, high = _bounds(cset, ("default", "default"), false, table)
        return out | {f"{p}_with": false, f"{p}_low": low, f"{p}_high": high}
    selector = compile_predicate(rule.selector, table)
    low, high = _bounds(cset, (rule.when_true, rule.otherwise), selector.t, table)
    # selector unknown (biopsy status not recorded): the when_true variant's bounds are kept
    # too, so the result spans both variants (the biopsy may have been done)
    alt_low, alt_high = _bounds(cset, (rule.when_true, rule.when_true), true, table)
    return out | {
        f"{p}_with": selector.t,
        f"{p}_low": low,
        f"{p}_high": high,
        f"{p}_open": ~selector.t & ~selector.f,
        f"{p}_alt_low": alt_low,
        f"{p}_alt_high": alt_high,
    }


def _totals(
    cset: WeightedCriteriaSet, table: ir.Table, min_probability: float | None
) -> dict[str, ir.Value]:
    """Stage two: the score bounds in points, then the status or the probabilities."""
    p = f"_{cset.id}"
    low, high = table[f"{p}_low"], table[f"{p}_high"]
    if cset.variants is not None:
        low = _span(table[f"{p}_open"], low, table[f"{p}_alt_low"], lower=True)
        high = _span(table[f"{p}_open"], high, table[f"{p}_alt_high"], lower=False)
    out = {f"{cset.id}_score_min": _points(low), f"{cset.id}_score_max": _points(high)}
    if cset.probability is not None:
        return out | _probabilities(cset, table, min_probability)
    low, high, threshold = table[f"{p}_low"], table[f"{p}_high"], int_literal(cset.threshold or 0)
    status = ibis.cases(
        (table[f"{p}_gate"], "not_applicable"),
        (low >= threshold, "classified"),
        (high < threshold, "not_classified"),
        else_="undetermined",
    )
    return out | {f"{cset.id}_status": status}


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


def _probabilities(
    cset: WeightedCriteriaSet, table: ir.Table, min_probability: float | None
) -> dict[str, ir.Value]:
    """Return a probability set's probabilities and the category of each score bound.

    ``alt_`` columns are the when_true variant's, for a patient whose selector is unknown.
    """
    assert cset.probability is not None and cset.variants is not None
    model = cset.probability
    model = model if min_probability is None else model.with_minimum(min_probability)
    p, rule = f"_{cset.id}", cset.variants
    thresholds = {v: dict(model.thresholds(v)) for v in (rule.when_true, rule.otherwise)}
    flag, is_open = table[f"{p}_with"], table[f"{p}_open"]
    entry_t, entry_f = table[f"{p}_entry_t"], table[f"{p}_entry_f"]

    def pick(value: Callable[[str], ir.Value], alt: bool) -> ir.Value:
        """Return the value in the patient's variant (``alt``: in the when_true one)."""
        return (
            value(rule.when_true)
            if alt
            else choose(flag, *map(value, (rule.when_true, rule.otherwise)))
        )

    def bar(category: str, alt: bool) -> ir.Value:
        return pick(lambda v: int_literal(thresholds[v][category]), alt)

    scores = {name: table[f"{p}_{name}"] for name in ("low", "high", "alt_low", "alt_high")}
    out: dict[str, ir.Value] = {}
    probability: dict[str, ir.Value] = {}
    for name, score in scores.items():
        alt = name.startswith("alt")
        cats = [(score >= bar(c, alt), ibis.literal(c)) for c, _ in model.categories]
        out[f"{p}_cat_{name}"] = ibis.cases(*cats, else_=ibis.literal(model.below))
        # the logistic model: probability = 1 / (1 + exp(intercept - score))
        intercept = pick(lambda v: ibis.literal(model.intercepts[v]), alt)
        probability[name] = 1.0 / (1.0 + (intercept - _points(score)).exp())
    low, high, alt_low, alt_high = scores.values()
    classified, alt_classified = bar(model.classified, False), bar(model.classified, True)
    return out | {
        f"{p}_must": entry_t & (low >= classified) & (~is_open | (alt_low >= alt_classified)),
        f"{p}_can": ~entry_f & ((high >= classified) | (is_open & (alt_high >= alt_classified))),
        f"{cset.id}_variant": pick(ibis.literal, False),
        f"{cset.id}_probability_min": _span(
            is_open, probability["low"], probability["alt_low"], lower=True
        ),
        f"{cset.id}_probability_max": _span(
            is_open, probability["high"], probability["alt_high"], lower=False
        ),
    }


def _categories(cset: WeightedCriteriaSet, table: ir.Table) -> dict[str, ir.Value]:
    """Stage three of a probability set: the category and subgroup every completion reaches."""
    p = f"_{cset.id}"
    low, high = table[f"{p}_cat_low"], table[f"{p}_cat_high"]
    alt_agrees = (table[f"{p}_cat_alt_low"] == low) & (table[f"{p}_cat_alt_high"] == low)
    category = ibis.cases(
        (table[f"{p}_entry_f"], ibis.literal(IimCategory.NOT_CLASSIFIABLE.value)),
        (table[f"{p}_entry_t"] & (low == high) & (~table[f"{p}_open"] | alt_agrees), low),
        else_=ibis.literal(IimCategory.UNDETERMINED.value),
    )
    tests = {
        test: Tri(table[f"{p}_test_{i}_t"], table[f"{p}_test_{i}_f"])
        for i, test in enumerate(tree_tests(cset.subgroups))
    }
    tree = (
        _subtree(cset.subgroups, tests) if cset.subgroups else ibis.literal(IimSubgroup.NONE.value)
    )
    subgroup = ibis.cases(
        (~table[f"{p}_can"], ibis.literal(IimSubgroup.NONE.value)),
        (~table[f"{p}_must"], ibis.literal(IimSubgroup.UNDETERMINED.value)),
        else_=tree,
    )
    return {f"{cset.id}_category": category, f"{cset.id}_subgroup": subgroup}


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


_Stage = Callable[[ir.Table], dict[str, ir.Value]]


def _stages(cset: CriteriaSet, min_probability: float | None) -> list[_Stage]:
    """Return a set's columns as up to three steps, each reading the columns of those before."""
    if isinstance(cset, RegionCriteriaSet):
        return [functools.partial(_regions, cset)]
    if isinstance(cset, SiteSumCriteriaSet):
        return [functools.partial(_site_sum, cset)]
    stages: list[_Stage] = [
        functools.partial(_scores, cset),
        functools.partial(_totals, cset, min_probability=min_probability),
    ]
    return stages if cset.probability is None else [*stages, functools.partial(_categories, cset)]


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
    stages = [_stages(c, min_probability) for c in sets]
    for step in range(max(map(len, stages), default=0)):
        new = {k: v for s in stages if step < len(s) for k, v in s[step](table).items()}
        table = table.mutate(**new)
    return table


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
    # the helpers go with this select: a select of every other column costs Ibis more
    scored = stage_criteria_columns(table, chosen, min_probability=min_probability)
    return scored.select("patient_id", *[c for s in chosen for c in output_columns(s)])
