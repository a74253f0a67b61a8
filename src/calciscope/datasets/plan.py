"""The cohort plan: how many patients of each archetype, and which patient is which.

The headline figures of the default cohort are fixed here by construction (``plan.yaml``),
then every patient's details are drawn at random within its archetype.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "Anchor",
    "Archetype",
    "CohortPlan",
    "Rates",
    "load_plan",
    "load_rates",
    "plan_cohort",
]


class Archetype(IntEnum):
    """Kinds of synthetic patient; the names match the keys of ``plan.yaml``."""

    ANCHOR = 0
    DC_OVERLAP_ASSESSED = 1
    DC_OVERLAP_AT_RISK = 2
    DC_SHEET_ONE_REGION = 3
    DC_MIXED = 4
    DCSSC = 5
    LC_OVERLAP = 6
    LC_SHEET_ONE_REGION = 7
    LC_MIXED = 8
    SINE = 9
    LCSSC = 10
    SSC_NOT_SEEN = 11
    SSC_DIED_BEFORE = 12
    PRIMARY_RAYNAUD = 13
    MYOSITIS_ONLY = 14
    SCLERODERMA_LIKE = 15

    @property
    def key(self) -> str:
        """The name used in ``plan.yaml``."""
        return self.name.lower()


DIFFUSE = frozenset(
    {
        Archetype.ANCHOR,
        Archetype.DC_OVERLAP_ASSESSED,
        Archetype.DC_OVERLAP_AT_RISK,
        Archetype.DC_SHEET_ONE_REGION,
        Archetype.DC_MIXED,
        Archetype.DCSSC,
    }
)
OVERLAP = frozenset(
    {
        Archetype.ANCHOR,
        Archetype.DC_OVERLAP_ASSESSED,
        Archetype.DC_OVERLAP_AT_RISK,
        Archetype.LC_OVERLAP,
    }
)
NOT_SSC = frozenset(
    {Archetype.PRIMARY_RAYNAUD, Archetype.MYOSITIS_ONLY, Archetype.SCLERODERMA_LIKE}
)
NOT_SEEN = frozenset({Archetype.SSC_NOT_SEEN, Archetype.SSC_DIED_BEFORE})


@dataclass(frozen=True)
class Anchor:
    """One planned anchor case (``plan.yaml`` ``anchors``)."""

    sex: str
    age_at_diagnosis: int
    antibody: str
    onset_to_calcinosis_years: int
    myositis_pattern: str
    lesions: tuple[tuple[str, str, str], ...]
    overlap_recorded: str = "code"
    calcinosis_recorded: str = "structured"


@dataclass(frozen=True)
class Rates:
    """Calibrated rates (``rates.yaml``): value by name, source key by name, source texts."""

    values: dict[str, float]
    source_of: dict[str, str]
    sources: dict[str, str]

    def __getitem__(self, name: str) -> float:
        return self.values[name]


@dataclass(frozen=True)
class CohortPlan:
    """The archetype of every patient of one cohort."""

    patients: int
    counts: dict[Archetype, int]
    archetypes: bytes
    anchor_ordinal: dict[int, int]


def _read(name: str) -> dict[str, Any]:
    text = resources.files("calciscope.datasets").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@cache
def load_plan() -> dict[str, Any]:
    """Return ``plan.yaml`` with anchors parsed into :class:`Anchor` objects."""
    raw = _read("plan.yaml")
    raw["anchors"] = tuple(
        Anchor(**{**a, "lesions": tuple(tuple(les) for les in a["lesions"])})
        for a in raw["anchors"]
    )
    raw["index_date"] = dt.date.fromisoformat(str(raw["index_date"]))
    return raw


@cache
def load_rates() -> Rates:
    """Return the calibrated rates of ``rates.yaml``."""
    raw = _read("rates.yaml")
    rates = raw["rates"]
    return Rates(
        values={k: float(v["value"]) for k, v in rates.items()},
        source_of={k: str(v["source"]) for k, v in rates.items()},
        sources={k: str(v) for k, v in raw["sources"].items()},
    )


def scaled_counts(patients: int) -> dict[Archetype, int]:
    """Return the archetype counts for a cohort of ``patients`` (exact at the default size).

    Every count but ``lcssc`` is scaled by ``patients / default`` and rounded; ``lcssc`` takes
    the remainder so that the counts add up.
    """
    plan = load_plan()
    default = int(plan["default_patients"])
    base = {Archetype[k.upper()]: int(v) for k, v in plan["archetypes"].items()}
    counts = {a: round(n * patients / default) for a, n in base.items()}
    if patients >= 100:
        counts[Archetype.ANCHOR] = max(1, counts[Archetype.ANCHOR])
    counts[Archetype.LCSSC] = 0
    remainder = patients - sum(counts.values())
    if remainder < 0:
        raise ValueError(f"a demo cohort needs more patients than {patients}")
    counts[Archetype.LCSSC] = remainder
    return counts


def plan_cohort(patients: int, seed: int) -> CohortPlan:
    """Assign an archetype to every patient (a seeded shuffle of the planned counts).

    Parameters
    ----------
    patients
        Cohort size.
    seed
        Seed of the shuffle.

    Returns
    -------
    CohortPlan
        The archetype of each patient index and the ordinal of each anchor case.
    """
    counts = scaled_counts(patients)
    order = [int(a) for a in Archetype for _ in range(counts[a])]
    random.Random(seed).shuffle(order)
    anchors: dict[int, int] = {}
    for index, code in enumerate(order):
        if code == Archetype.ANCHOR:
            anchors[index] = len(anchors)
    return CohortPlan(patients, counts, bytes(order), anchors)
