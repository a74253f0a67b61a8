"""Criteria sets as typed objects, read from the YAML files in ``criteria/sets``.

Three kinds cover the published instruments:

* :class:`WeightedCriteriaSet` — weighted items in groups where only the highest present
  sub-item counts (2013 ACR/EULAR SSc; 2017 EULAR/ACR IIM, with variants, a logistic
  probability model and a subgroup tree);
* :class:`RegionCriteriaSet` — cutaneous subset from body regions (LeRoy 1988);
* :class:`SiteSumCriteriaSet` — a sum of site scores (modified Rodnan skin score).

Weights are held as integers in tenths of a point, so that every engine adds them exactly
and the published decimal weights (1.3, 0.7, ...) never meet binary rounding. The packaged
sets are read once per process, by id (:func:`load_criteria_set`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from calciscope.criteria.expression import (
    AbsentIf,
    Compare,
    Evidence,
    FeatureTrue,
    Predicate,
    parse_predicate,
)
from calciscope.errors import CatalogueError

__all__ = [
    "SET_FILES",
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
    "load_criteria_set",
    "load_criteria_sets",
    "read_criteria_set",
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
    several_note: str | None = None  # data-quality note when more than one item is present


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
class _Publication:
    """What every criteria set names first: the published instrument it encodes."""

    id: str
    name: str
    version: str
    citation: str
    doi: str


@dataclass(frozen=True)
class WeightedCriteriaSet(_Publication):
    """A weighted-item criteria set (see the module docstring)."""

    groups: tuple[ItemGroup, ...]
    threshold: int | None = None
    not_applicable_if: tuple[Predicate, ...] = ()
    variants: VariantRule | None = None
    probability: ProbabilityModel | None = None
    classifiable_if: Predicate | None = None
    subgroups: SubgroupNode | None = None


@dataclass(frozen=True)
class Region:
    """A body region and the evidence for skin thickening there (region flag, mRSS sites)."""

    id: str
    evidence: Predicate


@dataclass(frozen=True)
class RegionCriteriaSet(_Publication):
    """Cutaneous subset from body regions: proximal → ``proximal_label`` and so on."""

    proximal: tuple[Region, ...]
    distal: tuple[Region, ...]
    proximal_label: str
    distal_label: str
    none_label: str


@dataclass(frozen=True)
class SiteSumCriteriaSet(_Publication):
    """A total of site scores (each 0 to ``site_max``); the total is null when a site is missing."""

    sites: tuple[str, ...]
    site_max: float


CriteriaSet = WeightedCriteriaSet | RegionCriteriaSet | SiteSumCriteriaSet


#: Set id → packaged file, in the order results are reported.
SET_FILES: dict[str, str] = {
    "ssc2013": "ssc2013.yaml",
    "leroy": "leroy1988.yaml",
    "mrss": "mrss.yaml",
    "iim2017": "iim2017.yaml",
}


def _tenths(value: Any, where: str) -> int:
    scaled = float(value) * SCALE
    if abs(scaled - round(scaled)) > 1e-9:
        raise CatalogueError(f"{where}: weight {value} is not a multiple of 0.1")
    return round(scaled)


def _item(raw: Mapping[str, Any], where: str) -> Item:
    item_id = str(raw["id"])
    weight = raw["weight"]
    weights = weight if isinstance(weight, dict) else {"default": weight}
    when = parse_predicate(raw["when"], where) if "when" in raw else FeatureTrue(item_id)
    return Item(
        id=item_id,
        label=str(raw.get("label", item_id)),
        weights={k: _tenths(v, f"{where}.{item_id}") for k, v in weights.items()},
        when=when,
    )


def _group(raw: Mapping[str, Any], where: str) -> ItemGroup:
    group_id = str(raw["id"])
    items = tuple(_item(i, f"{where}.{group_id}") for i in raw["items"])
    label = str(raw.get("label", group_id))
    note = raw.get("note_if_several")
    return ItemGroup(group_id, label, items, None if note is None else str(note))


def _tree(raw: Any, where: str) -> SubgroupNode:
    if isinstance(raw, str):
        return Leaf(raw)
    try:
        return Branch(
            parse_predicate(raw["if"], where), _tree(raw["then"], where), _tree(raw["else"], where)
        )
    except (KeyError, TypeError) as exc:
        raise CatalogueError(f"{where}: subgroup node needs if/then/else ({exc})") from None


def _probability(raw: Mapping[str, Any]) -> ProbabilityModel:
    return ProbabilityModel(
        intercepts={k: float(v) for k, v in raw["intercepts"].items()},
        categories=tuple(
            (str(c["category"]), float(c["min_probability"])) for c in raw["categories"]
        ),
        below=str(raw["below"]),
        classified=str(raw["classified"]),
    )


def _weighted(raw: Mapping[str, Any], common: dict[str, Any]) -> WeightedCriteriaSet:
    where = common["id"]
    variants = raw.get("variants")
    return WeightedCriteriaSet(
        **common,
        groups=tuple(_group(g, where) for g in raw["groups"]),
        threshold=_tenths(raw["threshold"], where) if "threshold" in raw else None,
        not_applicable_if=tuple(
            parse_predicate(p, where) for p in raw.get("not_applicable_if", ())
        ),
        variants=None
        if variants is None
        else VariantRule(
            parse_predicate(variants["selector"], where),
            variants["when_true"],
            variants["otherwise"],
        ),
        probability=_probability(raw["probability"]) if "probability" in raw else None,
        classifiable_if=parse_predicate(raw["classifiable_if"], where)
        if "classifiable_if" in raw
        else None,
        subgroups=_tree(raw["subgroups"], f"{where}.subgroups") if "subgroups" in raw else None,
    )


def _regions(raw: Mapping[str, Any], where: str) -> tuple[Region, ...]:
    """Regions as ``name: [site features]`` or ``name: {sites: [...], absent_if: predicate}``."""
    regions = []
    for name, spec in raw.items():
        sites = spec.get("sites", ()) if isinstance(spec, Mapping) else spec
        sources: list[Predicate] = [FeatureTrue(f"skin_thickening_{name}")]
        sources += [Compare(site, ">", 0.0) for site in sites]
        if isinstance(spec, Mapping) and "absent_if" in spec:
            sources.append(AbsentIf(parse_predicate(spec["absent_if"], f"{where}.{name}")))
        regions.append(Region(str(name), Evidence(tuple(sources))))
    return tuple(regions)


def read_criteria_set(raw: Mapping[str, Any]) -> CriteriaSet:
    """Build a criteria set from the parsed content of one set file.

    Raises
    ------
    CatalogueError
        When the file is malformed (missing keys, unknown kind, bad weights).
    """
    try:
        common: dict[str, Any] = {f.name: str(raw[f.name]) for f in fields(_Publication)}
        kind = CriteriaSetKind(raw["kind"])
        if kind is CriteriaSetKind.WEIGHTED:
            return _weighted(raw, common)
        if kind is CriteriaSetKind.REGIONS:
            labels = raw["labels"]
            return RegionCriteriaSet(
                **common,
                proximal=_regions(raw["proximal"], f"{common['id']}.proximal"),
                distal=_regions(raw["distal"], f"{common['id']}.distal"),
                proximal_label=labels["proximal"],
                distal_label=labels["distal"],
                none_label=labels["none"],
            )
        return SiteSumCriteriaSet(
            **common, sites=tuple(raw["sites"]), site_max=float(raw["site_max"])
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CatalogueError(f"criteria set {raw.get('id', '?')!r}: {exc!r}") from None


@cache
def load_criteria_set(set_id: str) -> CriteriaSet:
    """Load one packaged criteria set by id (``ssc2013``, ``leroy``, ``mrss``, ``iim2017``)."""
    if set_id not in SET_FILES:
        raise CatalogueError(f"unknown criteria set {set_id!r}; known: {', '.join(SET_FILES)}")
    path = resources.files("calciscope.criteria").joinpath("sets", SET_FILES[set_id])
    return read_criteria_set(yaml.safe_load(path.read_text("utf-8")))


def load_criteria_sets(set_ids: tuple[str, ...] | None = None) -> tuple[CriteriaSet, ...]:
    """Load several packaged sets (all of them by default), in the order of :data:`SET_FILES`."""
    wanted = tuple(SET_FILES) if set_ids is None else set_ids
    return tuple(load_criteria_set(s) for s in wanted)
