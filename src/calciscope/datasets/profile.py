"""One synthetic patient's clinical picture (the truth the files are written from).

Dates are proleptic Gregorian ordinals (``date.toordinal()``) so that drawing and comparing
them is cheap at a million patients.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = [
    "IIM_WEIGHTS",
    "INDEX",
    "MYOSITIS_ITEMS",
    "RECENT_START",
    "SSC_ITEMS",
    "SSC_WEIGHTS",
    "WINDOW_START",
    "YEAR",
    "DemoRandom",
    "Lesion",
    "Profile",
    "Radiograph",
    "shift_years",
    "ssc_score",
]

YEAR = 365.25
INDEX = dt.date(2023, 12, 31).toordinal()
#: First day of the 3-year window before the index date (Achieng et al. 2024).
WINDOW_START = dt.date(2020, 12, 31).toordinal()
#: First day of the 12 months before the index date (at-risk prompt, clinical-reference §11.7).
RECENT_START = dt.date(2022, 12, 31).toordinal()

#: 2013 ACR/EULAR SSc items (concept name -> (item group, weight)); van den Hoogen 2013.
SSC_WEIGHTS: dict[str, tuple[str, int]] = {
    "skin_thickening_proximal_to_mcp": ("sufficient", 9),
    "puffy_fingers": ("fingers", 2),
    "sclerodactyly": ("fingers", 4),
    "digital_tip_ulcers": ("tips", 2),
    "fingertip_pitting_scars": ("tips", 3),
    "telangiectasia": ("telangiectasia", 2),
    "abnormal_nailfold_capillaries": ("nailfold", 2),
    "pulmonary_arterial_hypertension": ("lung", 2),
    "interstitial_lung_disease": ("lung", 2),
    "raynaud_phenomenon": ("raynaud", 3),
    "anti_centromere": ("antibody", 3),
    "anti_scl70": ("antibody", 3),
    "anti_rna_polymerase_iii": ("antibody", 3),
}
SSC_ITEMS: tuple[str, ...] = tuple(k for k in SSC_WEIGHTS if not k.startswith("anti_"))

#: 2017 EULAR/ACR IIM weights (no biopsy, with biopsy); Lundberg 2017, clinical-reference §3.1.
IIM_WEIGHTS: dict[str, tuple[float, float]] = {
    "weakness_proximal_upper": (0.7, 0.7),
    "weakness_proximal_lower": (0.8, 0.5),
    "neck_flexor_weaker_than_extensor": (1.9, 1.6),
    "legs_proximal_weaker_than_distal": (0.9, 1.2),
    "heliotrope_rash": (3.1, 3.2),
    "gottron_papules": (2.1, 2.7),
    "gottron_sign": (3.3, 3.7),
    "dysphagia_or_oesophageal_dysmotility": (0.7, 0.6),
    "anti_jo1": (3.9, 3.8),
    "muscle_enzymes_elevated": (1.3, 1.4),
    "biopsy_endomysial_infiltrate": (0.0, 1.7),
    "biopsy_perimysial_perivascular_infiltrate": (0.0, 1.2),
    "biopsy_perifascicular_atrophy": (0.0, 1.9),
    "biopsy_rimmed_vacuoles": (0.0, 3.1),
}
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
        if status == "present" and name in SSC_WEIGHTS:
            group, weight = SSC_WEIGHTS[name]
            best[group] = max(best.get(group, 0), weight)
    return sum(best.values())


def shift_years(ordinal: int, years: int) -> int:
    """Return the ordinal ``years`` calendar years later (29 February becomes 28 February)."""
    day = dt.date.fromordinal(ordinal)
    if day.month == 2 and day.day == 29:
        day = day.replace(day=28)
    return day.replace(year=day.year + years).toordinal()
