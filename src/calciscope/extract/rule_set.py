"""The rules themselves: target, ConText and section rules, and the set the extractor uses.

Field names follow medspaCy (``TargetRule``: literal, category, pattern, attributes, metadata;
``ConTextRule``: literal, category, direction, pattern, max_scope, allowed_types,
excluded_types, metadata; ``SectionRule``: literal, category, pattern, metadata), so rule files
can move between the two tools. :mod:`~calciscope.extract.rules` builds them from the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calciscope.errors import CatalogueError

__all__ = ["ConTextRule", "Direction", "Pattern", "RuleSet", "SectionRule", "TargetRule"]

Pattern = str | tuple[Any, ...] | None


class Direction(StrEnum):
    """Which way a ConText modifier reaches (medspaCy's direction values)."""

    FORWARD = "FORWARD"
    BACKWARD = "BACKWARD"
    BIDIRECTIONAL = "BIDIRECTIONAL"
    TERMINATE = "TERMINATE"
    PSEUDO = "PSEUDO"


def freeze_pattern(pattern: Any, where: str) -> Pattern:
    """Return a rule's pattern as read from a file: a regex string or a tuple of token dicts."""
    if pattern is None or isinstance(pattern, str):
        return pattern
    if isinstance(pattern, list) and all(isinstance(t, dict) for t in pattern):
        return tuple(pattern)
    raise CatalogueError(f"{where}: pattern must be a regex string or a list of token dicts")


@dataclass(frozen=True)
class TargetRule:
    """A concept or attribute to find in text (medspaCy ``TargetRule`` fields)."""

    literal: str
    category: str
    pattern: Pattern = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class ConTextRule:
    """A ConText modifier: a trigger phrase, its category and the direction it reaches."""

    literal: str
    category: str
    direction: Direction = Direction.BIDIRECTIONAL
    pattern: Pattern = None
    max_scope: int | None = None
    allowed_types: frozenset[str] | None = None
    excluded_types: frozenset[str] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class SectionRule:
    """A section header; ``metadata['modifier']`` names a category applied to the section."""

    literal: str
    category: str
    pattern: Pattern = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rule_id: str = ""


@dataclass(frozen=True)
class RuleSet:
    """Every rule the extractor uses, with the versions of the files they came from."""

    targets: tuple[TargetRule, ...]
    context: tuple[ConTextRule, ...]
    sections: tuple[SectionRule, ...]
    version: str = ""
    notices: tuple[str, ...] = ()
    #: Labels of a field that describes the finding of the field before it ("Calcinosis: yes
    #: | Site: left elbow"): ``field_attribute_labels`` of sections.yaml (``segment``).
    field_attribute_labels: tuple[str, ...] = ()
