"""Review queue kinds as data (``phenotype/review_queue.yaml``): what needs a person, and why.

The patient kinds are predicates over one classified patient row (features, criteria results
and phenotypes), in the same language as criteria and phenotypes. They are compiled by the one
evaluator (:class:`calciscope.engine.classifier.CohortClassifier`) into a column per kind,
:attr:`QueueKind.column`; nothing here evaluates a clinical rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from calciscope.criteria.expression import Predicate, clean_value, parse_predicate
from calciscope.errors import CatalogueError
from calciscope.phenotype.definition import substitute_parameters

__all__ = ["QueueKind", "QueueSource", "ReviewQueueDefinition", "load_review_queue"]


class QueueSource(StrEnum):
    """Which records a queue kind reads (see the header of ``review_queue.yaml``)."""

    SUGGESTED_FACTS = "suggested_facts"
    SUGGESTED_ONLY = "suggested_only"
    PATIENTS = "patients"


class _Cells(dict[str, str]):
    """Row values as text for a reason template; missing or unknown values read 'unknown'.

    Only the values the template names are read as text (a row has dozens of columns).
    """

    def __init__(self, row: Mapping[str, Any]) -> None:
        super().__init__()
        self.row = row

    def __missing__(self, key: str) -> str:
        return _text(self.row[key]) if key in self.row else "unknown"


def _text(value: Any) -> str:
    value = clean_value(value)
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class QueueKind:
    """One kind of review queue item.

    Parameters
    ----------
    name, label, description
        Identifier, short label and what a reviewer should do.
    decidable
        True when the item itself is decided (a fact confirmed or rejected, a patient item
        acknowledged or dismissed); False when it leaves the queue as other items are decided.
    source
        Which records the kind reads.
    reason
        The reason shown with each item; ``{column}`` is replaced by the row's value.
    when, unknown, phenotype
        The rule (patients), the column that must be unknown (patients), the phenotype
        (suggested_only).
    """

    name: str
    label: str
    description: str
    decidable: bool
    source: QueueSource
    reason: str
    when: Predicate | None = None
    unknown: str | None = None
    phenotype: str | None = None

    @property
    def column(self) -> str:
        """Return the name of the compiled column holding this kind's ``when`` rule."""
        return f"queue_{self.name}"

    def matches(self, row: Mapping[str, Any], with_suggested: Mapping[str, Any] | None) -> bool:
        """Return True when a patient (classified row, with :attr:`column`) belongs to this kind.

        Parameters
        ----------
        row
            The patient's classified row on confirmed facts.
        with_suggested
            The same patient's row when suggested facts count (None when there are none).
        """
        if self.source is QueueSource.SUGGESTED_ONLY:
            target = str(self.phenotype)
            return (
                with_suggested is not None
                and clean_value(with_suggested.get(target)) is True
                and clean_value(row.get(target)) is not True
            )
        if self.source is not QueueSource.PATIENTS or self.when is None:
            return False
        if clean_value(row.get(self.column)) is not True:
            return False
        return self.unknown is None or clean_value(row.get(self.unknown)) is None

    def describe(self, row: Mapping[str, Any]) -> str:
        """Return the reason for one item, filled from its row (or fact fields)."""
        return self.reason.format_map(_Cells(row))


@dataclass(frozen=True)
class ReviewQueueDefinition:
    """Every queue kind in display order, and the parameters they were built with."""

    version: str
    parameters: Mapping[str, Any]
    kinds: tuple[QueueKind, ...]

    def kind(self, name: str) -> QueueKind | None:
        """Return the kind called ``name``, or None."""
        return next((k for k in self.kinds if k.name == name), None)


def _kind(raw: Mapping[str, Any]) -> QueueKind:
    where = f"review queue kind {raw.get('name', '?')!r}"
    return QueueKind(
        name=str(raw["name"]),
        label=str(raw["label"]),
        description=" ".join(str(raw.get("description", "")).split()),
        decidable=bool(raw["decidable"]),
        source=QueueSource(raw["source"]),
        reason=" ".join(str(raw["reason"]).split()),
        when=parse_predicate(raw["when"], where) if "when" in raw else None,
        unknown=raw.get("unknown"),
        phenotype=raw.get("phenotype"),
    )


@cache
def load_review_queue() -> ReviewQueueDefinition:
    """Load the packaged review queue kinds.

    Raises
    ------
    CatalogueError
        When the file is malformed.
    """
    text = resources.files("calciscope.phenotype").joinpath("review_queue.yaml").read_text("utf-8")
    try:
        raw = yaml.safe_load(text)
        params = dict(raw.get("parameters") or {})
        kinds = tuple(_kind(substitute_parameters(k, params)) for k in raw["kinds"])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CatalogueError(f"review_queue.yaml: {exc!r}") from None
    return ReviewQueueDefinition(version=str(raw["version"]), parameters=params, kinds=kinds)
