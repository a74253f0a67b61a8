"""One synthetic patient's clinical picture (the truth the files are written from).

Dates are proleptic Gregorian ordinals (``date.toordinal()``) so that drawing and comparing
them is cheap at a million patients.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from random import Random
from typing import TYPE_CHECKING, TypeVar

from calciscope.criteria import WeightedCriteriaSet, load_criteria_sets
from calciscope.model import DAYS_PER_YEAR

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = [
    "INDEX",
    "MYOSITIS_ITEMS",
    "RECENT_START",
    "WINDOW_START",
    "YEAR",
    "DemoRandom",
    "Lesion",
    "Profile",
    "Radiograph",
    "shift_years",
    "ssc2013_status",
    "ssc_items",
    "ssc_score",
    "ssc_score_upper",
    "ssc_weights",
]

YEAR = DAYS_PER_YEAR
INDEX = dt.date(2023, 12, 31).toordinal()
#: First day of the 3-year window ending on the index date (Achieng et al. 2024): exactly 3
#: calendar years, 1 Jan 2021 to 31 Dec 2023, as ``StudyDefinition.window_start`` counts it.
WINDOW_START = dt.date(2021, 1, 1).toordinal()
#: First day of the 12 months before the index date (at-risk prompt, clinical-reference §11.7).
RECENT_START = dt.date(2022, 12, 31).toordinal()


@cache
def ssc_weights() -> dict[str, tuple[str, int]]:
    """Return the 2013 ACR/EULAR SSc items as concept name -> (item group, points).

    Read from the packaged criteria set (``criteria/sets/ssc2013.yaml``, weights in tenths), so
    the generator plans its patients with the same weights the classifier scores them by.

    References
    ----------
    van den Hoogen F et al. 2013 classification criteria for systemic sclerosis. Arthritis Rheum
    2013;65:2737-47. DOI 10.1002/art.38098
    """
    ssc = next(
        cset
        for cset in load_criteria_sets()
        if isinstance(cset, WeightedCriteriaSet) and cset.id == "ssc2013"
    )
    return {
        item.id: (group.id, item.weights["default"] // 10)
        for group in ssc.groups
        for item in group.items
    }


@cache
def ssc_items() -> tuple[str, ...]:
    """Return the 2013 SSc items other than the antibodies, the sufficient item first."""
    return tuple(name for name in ssc_weights() if not name.startswith("anti_"))


MYOSITIS_ITEMS: tuple[str, ...] = (
    "weakness_proximal_upper",
    "weakness_proximal_lower",
    "neck_flexor_weaker_than_extensor",
    "legs_proximal_weaker_than_distal",
    "heliotrope_rash",
    "gottron_papules",
    "gottron_sign",
    "dysphagia_or_oesophageal_dysmotility",
)


_T = TypeVar("_T")


class DemoRandom(Random):
    """A seeded Mersenne Twister with fast ``randint`` and ``choice``.

    Both map one ``random()`` draw onto the range (a bias below 2**-40 for the small ranges used
    here), several times faster than the rejection sampling of :class:`random.Random`, which
    matters at a million patients. Deterministic for a given seed, like its parent.
    """

    def randint(self, a: int, b: int) -> int:
        """Return a random integer in [a, b]."""
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        """Return a random element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]


@dataclass(slots=True)
class Lesion:
    """One calcinosis lesion: region, side ('' for midline), morphology, method, first date."""

    region: str
    side: str
    morphology: str
    method: str
    date: int


@dataclass(slots=True)
class Radiograph:
    """One radiograph: date, region and side ('bilateral' for both hands)."""

    date: int
    region: str
    side: str


@dataclass(slots=True)
class Profile:
    """Everything the generator decided about one patient."""

    index: int
    archetype: int
    sex: str
    birth: int
    ssc: bool = False
    subset: str = "none"
    overlap: bool = False
    myositis: bool = False
    raynaud_onset: int | None = None
    ssc_onset: int | None = None
    diagnosis: int | None = None
    myositis_onset: int | None = None
    myositis_diagnosis: int | None = None
    visits: list[int] = field(default_factory=list)
    death: int | None = None
    items: dict[str, str] = field(default_factory=dict)
    skin: dict[str, int] = field(default_factory=dict)
    skin_date: int = 0
    mrss: bool = False
    antibodies: dict[str, str] = field(default_factory=dict)
    ck: int | None = None
    myositis_items: dict[str, str] = field(default_factory=dict)
    biopsy: dict[str, str] | None = None
    lesions: list[Lesion] = field(default_factory=list)
    assessments: list[tuple[int, str, str]] = field(default_factory=list)
    radiographs: list[Radiograph] = field(default_factory=list)
    like_disorder: str = ""
    #: how a clinician overlap is recorded: code, two_diagnoses or letters ('' without overlap)
    overlap_recorded: str = ""
    #: how calcinosis lesions are recorded: structured, site_only, notes or film (plan.yaml;
    #: film: coded at the sites, the morphology only on the radiographs)
    calcinosis_recorded: str = "structured"
    #: mRSS sites left unrecorded ("region" or "region:side")
    mrss_missing: frozenset[str] = frozenset()

    @property
    def last_visit(self) -> int:
        """Date of the last visit."""
        return self.visits[-1]


def ssc_score(profile: Profile) -> int:
    """Return the 2013 ACR/EULAR SSc score from the items recorded present.

    Highest weight per item group, summed (the sufficient item alone weighs 9).

    References
    ----------
    van den Hoogen F et al. 2013 classification criteria for systemic sclerosis. Arthritis Rheum
    2013;65:2737-47. DOI 10.1002/art.38098
    """
    best: dict[str, int] = {}
    for name, status in (*profile.items.items(), *profile.antibodies.items()):
        if status == "present" and name in ssc_weights():
            group, weight = ssc_weights()[name]
            best[group] = max(best.get(group, 0), weight)
    return sum(best.values())


def ssc_score_upper(profile: Profile) -> int:
    """Return the 2013 score if every unrecorded item (and untested antibody) were present."""
    weights = ssc_weights()
    recorded = {**profile.items, **profile.antibodies}
    best: dict[str, int] = {}
    for name, (group, weight) in weights.items():
        if recorded.get(name, "unknown") != "absent":
            best[group] = max(best.get(group, 0), weight)
    return sum(best.values())


def ssc2013_status(profile: Profile) -> str:
    """Return ``classified``, ``undetermined`` or ``not_classified`` from the bounds of the score.

    The lower bound counts the items recorded present, the upper bound also every unrecorded
    item; the exclusion gate (skin thickening sparing the fingers, an SSc-like disorder) is
    applied by the caller.
    """
    if ssc_score(profile) >= 9:
        return "classified"
    return "undetermined" if ssc_score_upper(profile) >= 9 else "not_classified"


def shift_years(ordinal: int, years: int) -> int:
    """Return the ordinal ``years`` calendar years later (29 February becomes 28 February)."""
    day = dt.date.fromordinal(ordinal)
    if day.month == 2 and day.day == 29:
        day = day.replace(day=28)
    return day.replace(year=day.year + years).toordinal()
