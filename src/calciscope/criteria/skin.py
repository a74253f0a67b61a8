"""Pure-Python evaluation of the skin instruments: LeRoy cutaneous subset and mRSS.

References
----------
LeRoy EC, Black C, Fleischmajer R, et al. Scleroderma (systemic sclerosis): classification,
subsets and pathogenesis. J Rheumatol 1988;15:202-5.

Clements P, Lachenbruch P, Siebold J, et al. Inter and intraobserver variability of total skin
thickness score (modified Rodnan TSS) in systemic sclerosis. J Rheumatol 1995;22:1281-5.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calciscope.criteria.definition import Region, RegionCriteriaSet, SiteSumCriteriaSet
from calciscope.criteria.expression import clean_value
from calciscope.criteria.results import CriteriaResult, ItemExplanation, ItemState, SkinScoreStatus
from calciscope.model import CutaneousSubset

__all__ = ["evaluate_regions", "evaluate_site_sum"]

Row = Mapping[str, Any]
_STATE = {True: ItemState.COUNTED, False: ItemState.ABSENT, None: ItemState.UNKNOWN}


def _subset(cset: RegionCriteriaSet, proximal: list[bool | None], distal: list[bool | None]) -> str:
    if any(v is True for v in proximal):
        return cset.proximal_label
    if not all(v is False for v in proximal):
        return CutaneousSubset.UNDETERMINED.value
    if any(v is True for v in distal):
        return cset.distal_label
    if all(v is False for v in distal):
        return cset.none_label
    return CutaneousSubset.UNDETERMINED.value


def _explain_regions(
    regions: tuple[Region, ...], truths: list[bool | None], group: str, flip: bool
) -> list[ItemExplanation]:
    return [
        ItemExplanation(r.id, r.id.replace("_", " "), group, _STATE[t], None, flip and t is None)
        for r, t in zip(regions, truths, strict=True)
    ]


def evaluate_regions(cset: RegionCriteriaSet, row: Row) -> CriteriaResult:
    """Return the cutaneous subset for one patient, with the evidence for each region."""
    proximal = [r.evidence.truth(row) for r in cset.proximal]
    distal = [r.evidence.truth(row) for r in cset.distal]
    subset = _subset(cset, proximal, distal)
    undetermined = subset == CutaneousSubset.UNDETERMINED
    distal_flip = undetermined and all(v is False for v in proximal)
    items = _explain_regions(cset.proximal, proximal, "proximal", undetermined)
    items += _explain_regions(cset.distal, distal, "distal", distal_flip)
    return CriteriaResult(
        criteria_set=cset.id,
        name=cset.name,
        version=cset.version,
        citation=cset.citation,
        status=subset,
        decided=not undetermined,
        score_min=None,
        score_max=None,
        items=tuple(items),
        outputs={f"{cset.id}_subset": subset},
        could_flip=tuple(i.id for i in items if i.could_flip),
    )


def evaluate_site_sum(cset: SiteSumCriteriaSet, row: Row) -> CriteriaResult:
    """Return the site-score total (null when any site is missing) and its bounds."""
    values = [clean_value(row.get(site)) for site in cset.sites]
    known = [float(v) for v in values if v is not None]
    missing = len(values) - len(known)
    low = sum(known, 0.0)
    high = low + missing * cset.site_max
    total = low if missing == 0 else None
    items = tuple(
        ItemExplanation(
            site,
            site.replace("_", " "),
            cset.id,
            _STATE[None] if v is None else ItemState.COUNTED,
            None if v is None else float(v),
            v is None,
        )
        for site, v in zip(cset.sites, values, strict=True)
    )
    status = SkinScoreStatus.COMPLETE if missing == 0 else SkinScoreStatus.INCOMPLETE
    return CriteriaResult(
        criteria_set=cset.id,
        name=cset.name,
        version=cset.version,
        citation=cset.citation,
        status=status.value,
        decided=missing == 0,
        score_min=low,
        score_max=high,
        items=items,
        outputs={
            f"{cset.id}_total": total,
            f"{cset.id}_total_min": low,
            f"{cset.id}_total_max": high,
        },
        could_flip=tuple(i.id for i in items if i.could_flip),
    )
