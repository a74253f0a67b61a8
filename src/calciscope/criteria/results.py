"""Result vocabularies and the per-patient explanation objects of criteria evaluation."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calciscope.model import CutaneousSubset

__all__ = [
    "CriteriaResult",
    "CriteriaStatus",
    "IimCategory",
    "IimSubgroup",
    "ItemExplanation",
    "ItemState",
    "ResultStatus",
    "SkinScoreStatus",
    "html_table",
]


class CriteriaStatus(StrEnum):
    """Three-valued classification, plus the not-applicable gate (clinical-reference §11.2)."""

    CLASSIFIED = "classified"
    NOT_CLASSIFIED = "not_classified"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "not_applicable"


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


#: What a criteria set concludes: a status, an IIM category, a cutaneous subset or a skin score state.
ResultStatus = CriteriaStatus | IimCategory | CutaneousSubset | SkinScoreStatus


def html_table(header: tuple[str, ...], rows: list[tuple[Any, ...]], caption: str = "") -> str:
    """Return a small HTML table (the notebook display of result objects); cells are escaped."""

    def cells(values: tuple[Any, ...], tag: str) -> str:
        return "".join(f"<{tag}>{html.escape('' if v is None else str(v))}</{tag}>" for v in values)

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f"<table>{title}<thead><tr>{cells(header, 'th')}</tr></thead><tbody>{body}</tbody></table>"
    )


@dataclass(frozen=True)
class ItemExplanation:
    """One item (or region, or site) for one patient; ``rule`` is the item's predicate as text."""

    id: str
    label: str
    group: str
    state: ItemState
    weight: float | None = None
    could_flip: bool = False
    rule: str = ""


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
    status: ResultStatus
    decided: bool
    score_min: float | None
    score_max: float | None
    items: tuple[ItemExplanation, ...]
    outputs: dict[str, Any]
    could_flip: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def _repr_html_(self) -> str:
        """Return the result as an HTML table (items, states, weights), for notebooks."""
        bounds = "" if self.score_min is None else f", score {self.score_min:g}–{self.score_max:g}"
        caption = f"{self.name} ({self.version}): {self.status.value}{bounds}"
        rows = [
            (i.id, i.group, i.state.value, i.weight, "yes" if i.could_flip else "", i.rule)
            for i in self.items
        ]
        header = ("item", "group", "state", "weight", "could flip", "rule")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return html_table(header, rows, caption) + notes
