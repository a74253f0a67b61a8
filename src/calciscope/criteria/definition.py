"""Criteria sets as typed objects, built from the YAML files in ``criteria/sets``.

Three kinds cover the published instruments:

* :class:`WeightedCriteriaSet` — weighted items in groups where only the highest present
  sub-item counts (2013 ACR/EULAR SSc; 2017 EULAR/ACR IIM, with variants, a logistic
  probability model and a subgroup tree);
* :class:`RegionCriteriaSet` — cutaneous subset from body regions (LeRoy 1988);
* :class:`SiteSumCriteriaSet` — a sum of site scores (modified Rodnan skin score).

Weights are held as integers in tenths of a point, so that every engine adds them exactly
and the published decimal weights (1.3, 0.7, ...) never meet binary rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from calciscope.criteria.expression import Predicate

__all__ = [
    "Branch",
    "CriteriaSet",
    "CriteriaSetKind",
    "Item",
    "ItemGroup",
    "Leaf",
    "ProbabilityModel",
    "Region",
    "RegionCriteriaSet",
    "SiteSumCriteriaSet",
    "SubgroupNode",
    "VariantRule",
    "WeightedCriteriaSet",
]

#: Points are stored as integer tenths.
SCALE = 10


class CriteriaSetKind(StrEnum):
    """The shape of a criteria set file."""

    WEIGHTED = "weighted"
    REGIONS = "regions"
    SITE_SUM = "site_sum"


@dataclass(frozen=True)
class Item:
    """One weighted item; ``weights`` maps variant → tenths (a missing variant scores 0)."""

    id: str
    label: str
    weights: Mapping[str, int]
    when: Predicate

    def weight(self, variant: str) -> int:
        """Return the weight (tenths) of this item in ``variant``."""
        return self.weights.get(variant, 0)


@dataclass(frozen=True)
class ItemGroup:
    """Items of which only the highest present one counts (one item alone is a group of one)."""

    id: str
    label: str
    items: tuple[Item, ...]
    sufficient: bool = False
    several_note: str | None = None  # data-quality note when more than one item is present

    def ranked(self, variant: str) -> tuple[Item, ...]:
        """Return the items that score in ``variant``, heaviest first."""
        scoring = [item for item in self.items if item.weight(variant) > 0]
        return tuple(sorted(scoring, key=lambda item: -item.weight(variant)))


@dataclass(frozen=True)
class VariantRule:
    """Choose the weight variant: ``when_true`` if ``selector`` is recorded true, else ``otherwise``."""

    selector: Predicate
    when_true: str
    otherwise: str


@dataclass(frozen=True)
class ProbabilityModel:
    """Logistic probability ``1 / (1 + exp(c − score))`` and categories by probability.

    Parameters
    ----------
    intercepts
        ``c`` for each variant.
    categories
        ``(category, minimum probability)``, highest first.
    below
        The category under the lowest minimum.
    classified
        The category whose minimum is the configurable "classified" threshold.
    """

    intercepts: Mapping[str, float]
    categories: tuple[tuple[str, float], ...]
    below: str
    classified: str

    def with_minimum(self, probability: float) -> ProbabilityModel:
        """Return a copy whose "classified" category starts at ``probability``."""
        cats = tuple((c, probability if c == self.classified else p) for c, p in self.categories)
        return replace(self, categories=cats)

    def thresholds(self, variant: str) -> tuple[tuple[str, int], ...]:
        """Return ``(category, lowest score in tenths)``: P ≥ p ⇔ score ≥ c + logit(p)."""
        out = []
        for category, p in self.categories:
            exact = SCALE * (self.intercepts[variant] + math.log(p / (1.0 - p)))
            out.append((category, math.ceil(exact - 1e-9)))
        return tuple(out)


@dataclass(frozen=True)
class Leaf:
    """A subgroup at the end of the tree."""

    label: str


@dataclass(frozen=True)
class Branch:
    """A test in the subgroup tree."""

    test: Predicate
    yes: SubgroupNode
    no: SubgroupNode


SubgroupNode = Leaf | Branch


@dataclass(frozen=True)
class WeightedCriteriaSet:
    """A weighted-item criteria set (see the module docstring)."""

    id: str
    name: str
    version: str
    citation: str
    doi: str
    groups: tuple[ItemGroup, ...]
    threshold: int | None = None
    not_applicable_if: tuple[Predicate, ...] = ()
    variants: VariantRule | None = None
    probability: ProbabilityModel | None = None
    classifiable_if: Predicate | None = None
    subgroups: SubgroupNode | None = None
    kind: CriteriaSetKind = CriteriaSetKind.WEIGHTED

    @property
    def variant_names(self) -> tuple[str, ...]:
        """Return every variant name (``("default",)`` for a set without variants)."""
        if self.variants is None:
            return ("default",)
        return (self.variants.otherwise, self.variants.when_true)


@dataclass(frozen=True)
class Region:
    """A body region and the evidence for skin thickening there (region flag, mRSS sites)."""

    id: str
    evidence: Predicate


@dataclass(frozen=True)
class RegionCriteriaSet:
    """Cutaneous subset from body regions: proximal → ``proximal_label`` and so on."""

    id: str
    name: str
    version: str
    citation: str
    doi: str
    proximal: tuple[Region, ...]
    distal: tuple[Region, ...]
    proximal_label: str
    distal_label: str
    none_label: str
    kind: CriteriaSetKind = CriteriaSetKind.REGIONS


@dataclass(frozen=True)
class SiteSumCriteriaSet:
    """A total of site scores (each 0 to ``site_max``); the total is null when a site is missing."""

    id: str
    name: str
    version: str
    citation: str
    doi: str
    sites: tuple[str, ...]
    site_max: float
    kind: CriteriaSetKind = CriteriaSetKind.SITE_SUM


CriteriaSet = WeightedCriteriaSet | RegionCriteriaSet | SiteSumCriteriaSet
