"""Result vocabularies and the per-patient explanation objects of criteria evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "CriteriaResult",
    "CriteriaStatus",
    "IimCategory",
    "IimSubgroup",
    "IimVariant",
    "ItemExplanation",
    "ItemState",
    "SkinScoreStatus",
]


class CriteriaStatus(StrEnum):
    """Three-valued classification, plus the not-applicable gate (clinical-reference §11.2)."""

    CLASSIFIED = "classified"
    NOT_CLASSIFIED = "not_classified"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "not_applicable"


class IimVariant(StrEnum):
    """Which weights of the 2017 IIM criteria apply."""

    WITHOUT_BIOPSY = "without_biopsy"
    WITH_BIOPSY = "with_biopsy"


class IimCategory(StrEnum):
    """2017 IIM category, by probability (clinical-reference §11.1)."""

    DEFINITE = "definite"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    NOT_IIM = "not_iim"
    NOT_CLASSIFIABLE = "not_classifiable"
    UNDETERMINED = "undetermined"


class IimSubgroup(StrEnum):
    """2017 IIM subgroup tree outcome (only for probable or definite IIM)."""

    JDM = "jdm"
    JUVENILE_OTHER = "juvenile_other"
    DM = "dm"
    ADM = "adm"
    PM = "pm"
    IBM = "ibm"
    NONE = "none"
    UNDETERMINED = "undetermined"


class SkinScoreStatus(StrEnum):
    """Whether every mRSS site was scored."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


class ItemState(StrEnum):
    """What one item contributed for one patient."""

    COUNTED = "counted"
    SUPERSEDED = "superseded"  # present, but a heavier sub-item of its group counted
    ABSENT = "absent"
    UNKNOWN = "unknown"
    NOT_SCORED = "not_scored"  # no weight in the variant that applies


@dataclass(frozen=True)
class ItemExplanation:
    """One item (or region, or site) for one patient."""

    id: str
    label: str
    group: str
    state: ItemState
    weight: float | None = None
    could_flip: bool = False


@dataclass(frozen=True)
class CriteriaResult:
    """A criteria set evaluated for one patient, with why.

    ``outputs`` holds the flat result columns, named exactly as the vectorised engine names
    them (``ssc2013_status``, ``iim2017_probability_min``, ...).
    """

    criteria_set: str
    name: str
    version: str
    citation: str
    status: str
    decided: bool
    score_min: float | None
    score_max: float | None
    items: tuple[ItemExplanation, ...]
    outputs: dict[str, Any]
    could_flip: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (stored in ``classification_results.result``)."""
        return {
            "criteria_set": self.criteria_set,
            "version": self.version,
            "status": self.status,
            "decided": self.decided,
            "score_min": self.score_min,
            "score_max": self.score_max,
            "outputs": self.outputs,
            "could_flip": list(self.could_flip),
            "notes": list(self.notes),
            "items": [
                {"id": i.id, "group": i.group, "state": i.state.value, "weight": i.weight}
                for i in self.items
            ],
        }
