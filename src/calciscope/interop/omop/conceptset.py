"""OHDSI concept-set expressions (ATLAS JSON) resolved inside the CDM database.

An expression is ``{"items": [{"concept": {"CONCEPT_ID": 80809, ...}, "includeDescendants": true,
"isExcluded": false, "includeMapped": false}, ...]}``. Resolution follows ATLAS: included
concepts (plus descendants from ``concept_ancestor``, plus the source concepts that
``Maps to`` them when ``includeMapped``) minus the excluded ones resolved the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.errors import Problem, ValidationError
from calciscope.interop.jsontext import load_json
from calciscope.interop.omop.cdm import Cdm

__all__ = ["ConceptSet", "ConceptSetItem", "load_concept_set", "resolve_concept_set"]


@dataclass(frozen=True)
class ConceptSetItem:
    """One item of a concept set."""

    concept_id: int
    include_descendants: bool = False
    is_excluded: bool = False
    include_mapped: bool = False


@dataclass(frozen=True)
class ConceptSet:
    """A named concept set."""

    name: str
    items: tuple[ConceptSetItem, ...]


def _item(raw: Any, where: str, source: str) -> ConceptSetItem:
    if not isinstance(raw, dict) or not isinstance(raw.get("concept"), dict):
        raise ValidationError(
            [Problem(source, where, "concept", "each item needs a concept object")]
        )
    concept = raw["concept"]
    concept_id = concept.get("CONCEPT_ID", concept.get("conceptId", concept.get("concept_id")))
    if not isinstance(concept_id, int) or isinstance(concept_id, bool):
        raise ValidationError(
            [Problem(source, where, "CONCEPT_ID", "must be an integer concept id")]
        )
    return ConceptSetItem(
        concept_id,
        bool(raw.get("includeDescendants")),
        bool(raw.get("isExcluded")),
        bool(raw.get("includeMapped")),
    )


def load_concept_set(data: Path | dict[str, Any], *, name: str | None = None) -> ConceptSet:
    """Read an OHDSI concept-set expression (a file, or parsed JSON; ``expression`` wrappers too)."""
    source = str(data) if isinstance(data, Path) else "concept set"
    raw = load_json(data) if isinstance(data, Path) else data
    expression = raw.get("expression", raw) if isinstance(raw, dict) else None
    if not isinstance(expression, dict) or not isinstance(expression.get("items"), list):
        raise ValidationError(
            [Problem(source, "$.items", "items", "a concept set needs an items list")]
        )
    items = [_item(item, f"$.items[{i}]", source) for i, item in enumerate(expression["items"])]
    label = (
        name or (raw.get("name") if isinstance(raw.get("name"), str) else None) or Path(source).stem
    )
    return ConceptSet(name=label, items=tuple(items))


def _plain(cdm: Cdm, items: list[ConceptSetItem]) -> ir.Table:
    ids = ibis.memtable(
        {"concept_id": [i.concept_id for i in items]}, schema={"concept_id": "int64"}
    )
    with_descendants = [i.concept_id for i in items if i.include_descendants]
    if not with_descendants:
        return ids
    ancestor = cdm.tables["concept_ancestor"]
    below = ancestor.filter(
        ancestor.ancestor_concept_id.cast("int64").isin(with_descendants)
    ).select(concept_id=ancestor.descendant_concept_id.cast("int64"))
    return ibis.union(ids, below, distinct=True)


def _expand(cdm: Cdm, items: list[ConceptSetItem]) -> ir.Table | None:
    if not items:
        return None
    expanded = _plain(cdm, items)
    mapped = [i for i in items if i.include_mapped]
    if mapped:
        targets = _plain(cdm, mapped)
        rel = cdm.tables["concept_relationship"]
        maps = rel.filter(
            (rel.relationship_id.cast("string") == "Maps to")
            & rel.concept_id_2.cast("int64").isin(targets.concept_id)
        )
        expanded = ibis.union(
            expanded, maps.select(concept_id=maps.concept_id_1.cast("int64")), distinct=True
        )
    return expanded


def resolve_concept_set(cdm: Cdm, concept_set: ConceptSet) -> ir.Table:
    """Return a one-column table (``concept_id``) of the concepts the set means, in the CDM."""
    included = _expand(cdm, [i for i in concept_set.items if not i.is_excluded])
    if included is None:
        return ibis.memtable({"concept_id": []}, schema={"concept_id": "int64"})
    excluded = _expand(cdm, [i for i in concept_set.items if i.is_excluded])
    return included if excluded is None else included.difference(excluded)
