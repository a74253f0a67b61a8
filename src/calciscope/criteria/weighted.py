"""Pure-Python evaluation of a weighted criteria set for one patient, with the explanation.

The same :class:`~calciscope.criteria.definition.WeightedCriteriaSet` is compiled to Ibis by
:mod:`calciscope.engine.criteria`; tests prove both give the same outputs.

References
----------
van den Hoogen F, Khanna D, Fransen J, et al. 2013 classification criteria for systemic
sclerosis. Arthritis Rheum 2013;65:2737-47. DOI 10.1002/art.38098.

Lundberg IE, Tjärnlund A, Bottai M, et al. 2017 EULAR/ACR classification criteria for adult and
juvenile idiopathic inflammatory myopathies. Ann Rheum Dis 2017;76:1955-64.
DOI 10.1136/annrheumdis-2017-211468.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calciscope.criteria.definition import (
    SCALE,
    Branch,
    ItemGroup,
    Leaf,
    SubgroupNode,
    WeightedCriteriaSet,
)
from calciscope.criteria.expression import clean_value
from calciscope.criteria.results import (
    CriteriaResult,
    CriteriaStatus,
    IimCategory,
    IimSubgroup,
    ItemExplanation,
    ItemState,
)

__all__ = ["evaluate_weighted", "possible_leaves", "score_bounds", "select_variant"]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    items: tuple[ItemExplanation, ...]


def select_variant(cset: WeightedCriteriaSet, row: Row) -> str:
    """Return the weight variant for a patient (the ``when_true`` one only if recorded true)."""
    if cset.variants is None:
        return "default"
    chosen = cset.variants.selector.truth(row) is True
    return cset.variants.when_true if chosen else cset.variants.otherwise


def _group(group: ItemGroup, variant: str, row: Row) -> _Bounds:
    truths = {item.id: item.when.truth(row) for item in group.items}
    low = max((i.weight(variant) for i in group.items if truths[i.id] is True), default=0)
    high = max((i.weight(variant) for i in group.items if truths[i.id] is not False), default=0)
    explained = []
    for item in group.items:
        weight, truth = item.weight(variant), truths[item.id]
        if weight == 0:
            state = ItemState.NOT_SCORED
        elif truth is None:
            state = ItemState.UNKNOWN
        elif not truth:
            state = ItemState.ABSENT
        else:
            state = ItemState.COUNTED if weight == low else ItemState.SUPERSEDED
        gain = state is ItemState.UNKNOWN and weight > low
        explained.append(
            ItemExplanation(item.id, item.label, group.id, state, weight / SCALE, gain)
        )
    return _Bounds(
        low, high, _dedupe_counted(explained) if len(explained) > 1 else tuple(explained)
    )


def _dedupe_counted(items: list[ItemExplanation]) -> tuple[ItemExplanation, ...]:
    """Keep only the first of equal-weight present sub-items as counted (e.g. PAH and ILD)."""
    seen = False
    out = []
    for item in items:
        if item.state is ItemState.COUNTED and seen:
            item = ItemExplanation(
                item.id, item.label, item.group, ItemState.SUPERSEDED, item.weight
            )
        seen = seen or item.state is ItemState.COUNTED
        out.append(item)
    return tuple(out)


def score_bounds(cset: WeightedCriteriaSet, row: Row, variant: str) -> _Bounds:
    """Return the lowest and highest score (tenths) the unknown items allow, with the items."""
    parts = [_group(g, variant, row) for g in cset.groups]
    items = tuple(i for p in parts for i in p.items)
    return _Bounds(sum(p.low for p in parts), sum(p.high for p in parts), items)


def possible_leaves(node: SubgroupNode, row: Row) -> frozenset[str]:
    """Return every subgroup the tree can reach, following both branches of an unknown test."""
    if isinstance(node, Leaf):
        return frozenset({node.label})
    assert isinstance(node, Branch)
    truth = node.test.truth(row)
    if truth is True:
        return possible_leaves(node.yes, row)
    if truth is False:
        return possible_leaves(node.no, row)
    return possible_leaves(node.yes, row) | possible_leaves(node.no, row)


def _threshold_status(cset: WeightedCriteriaSet, row: Row, bounds: _Bounds) -> CriteriaStatus:
    if any(p.truth(row) is True for p in cset.not_applicable_if):
        return CriteriaStatus.NOT_APPLICABLE
    assert cset.threshold is not None
    if bounds.low >= cset.threshold:
        return CriteriaStatus.CLASSIFIED
    if bounds.high < cset.threshold:
        return CriteriaStatus.NOT_CLASSIFIED
    return CriteriaStatus.UNDETERMINED


def _probability_outputs(
    cset: WeightedCriteriaSet,
    row: Row,
    variant: str,
    bounds: _Bounds,
    min_probability: float | None,
) -> dict[str, Any]:
    assert cset.probability is not None
    model = (
        cset.probability
        if min_probability is None
        else cset.probability.with_minimum(min_probability)
    )
    low_cat, high_cat = model.category(variant, bounds.low), model.category(variant, bounds.high)
    entry = True if cset.classifiable_if is None else cset.classifiable_if.truth(row)
    if entry is False:
        category = IimCategory.NOT_CLASSIFIABLE.value
    elif entry is True and low_cat == high_cat:
        category = low_cat
    else:
        category = IimCategory.UNDETERMINED.value
    classified = model.classified_categories()
    return {
        "variant": variant,
        "probability_min": model.probability(variant, bounds.low),
        "probability_max": model.probability(variant, bounds.high),
        "category": category,
        "subgroup": _subgroup(
            cset,
            row,
            must=entry is True and low_cat in classified,
            can=entry is not False and high_cat in classified,
        ),
    }


def _subgroup(cset: WeightedCriteriaSet, row: Row, *, must: bool, can: bool) -> str:
    if cset.subgroups is None or not can:
        return IimSubgroup.NONE.value
    if not must:
        return IimSubgroup.UNDETERMINED.value
    leaves = possible_leaves(cset.subgroups, row)
    return next(iter(leaves)) if len(leaves) == 1 else IimSubgroup.UNDETERMINED.value


def _tree_features(node: SubgroupNode | None) -> frozenset[str]:
    if not isinstance(node, Branch):
        return frozenset()
    return node.test.features() | _tree_features(node.yes) | _tree_features(node.no)


def _flips(
    cset: WeightedCriteriaSet, row: Row, bounds: _Bounds, outputs: dict[str, Any]
) -> tuple[str, ...]:
    flips = (
        [i.id for i in bounds.items if i.could_flip] if outputs["status"] == "undetermined" else []
    )
    extra: frozenset[str] = frozenset()
    if cset.classifiable_if is not None and cset.classifiable_if.truth(row) is None:
        extra |= cset.classifiable_if.features()
    if outputs.get("subgroup") == IimSubgroup.UNDETERMINED:
        extra |= _tree_features(cset.subgroups)
    unknown = sorted(f for f in extra if clean_value(row.get(f)) is None and f not in flips)
    return (*flips, *unknown)


def _notes(cset: WeightedCriteriaSet, row: Row, outputs: dict[str, Any]) -> tuple[str, ...]:
    notes = []
    fired = sorted(f for p in cset.not_applicable_if if p.truth(row) is True for f in p.features())
    if fired:
        notes.append(
            f"not applicable: {', '.join(fired)} recorded (the criteria exclude these patients)"
        )
    if outputs.get("category") == IimCategory.NOT_CLASSIFIABLE:
        notes.append(
            "not classifiable: no heliotrope rash, Gottron's papules or Gottron's sign, and no muscle biopsy"
        )
    for group in cset.groups:
        present = [i for i in group.items if i.when.truth(row) is True]
        if group.several_note and len(present) > 1:
            notes.append(group.several_note)
    return tuple(notes)


def evaluate_weighted(
    cset: WeightedCriteriaSet, row: Row, *, min_probability: float | None = None
) -> CriteriaResult:
    """Evaluate a weighted set for one patient and explain it.

    Parameters
    ----------
    cset
        The criteria set.
    row
        Feature name → value (None, NaN or NaT for unknown).
    min_probability
        For sets with a probability model: the minimum probability for the "classified"
        category (default: the file's, 0.55 for the 2017 IIM criteria).
    """
    variant = select_variant(cset, row)
    bounds = score_bounds(cset, row, variant)
    low, high = bounds.low / SCALE, bounds.high / SCALE
    outputs: dict[str, Any] = {"score_min": low, "score_max": high}
    if cset.probability is not None:
        outputs |= _probability_outputs(cset, row, variant, bounds, min_probability)
        status = outputs["category"]
        outputs["status"] = status
        decided = (
            status != IimCategory.UNDETERMINED and outputs["subgroup"] != IimSubgroup.UNDETERMINED
        )
    else:
        status = _threshold_status(cset, row, bounds).value
        outputs["status"] = status
        decided = status != CriteriaStatus.UNDETERMINED
    return CriteriaResult(
        criteria_set=cset.id,
        name=cset.name,
        version=cset.version,
        citation=cset.citation,
        status=status,
        decided=decided,
        score_min=low,
        score_max=high,
        items=bounds.items,
        outputs=_prefixed(cset, outputs),
        could_flip=_flips(cset, row, bounds, outputs) if not decided else (),
        notes=_notes(cset, row, outputs),
    )


def _prefixed(cset: WeightedCriteriaSet, outputs: dict[str, Any]) -> dict[str, Any]:
    """Name outputs as the engine does; a probability set reports its category, not a status."""
    drop = {"status"} if cset.probability is not None else set()
    return {f"{cset.id}_{k}": v for k, v in outputs.items() if k not in drop}
