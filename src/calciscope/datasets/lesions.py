"""Draw calcinosis lesions, radiographs and calcinosis assessments for one synthetic patient.

Random calcinosis is always nodular; sheet-like, reticular and mixed lesions come only from
planned archetypes, so that exactly the planned patients have extensive sheet-like calcinosis.
"""

from __future__ import annotations

import bisect
from random import Random

from calciscope.datasets.plan import Anchor, Rates
from calciscope.datasets.profile import (
    INDEX,
    RECENT_START,
    YEAR,
    Lesion,
    Profile,
    Radiograph,
    shift_years,
)

__all__ = [
    "UNPAIRED",
    "add_radiographs",
    "anchor_lesions",
    "random_lesions",
    "recent_assessment",
    "special_lesions",
]

UNPAIRED = frozenset({"face", "neck", "chest", "abdomen", "back"})
_NODULAR_SITES = (
    ("fingers", 0.45),
    ("hand", 0.25),
    ("wrist", 0.04),
    ("elbow", 0.08),
    ("forearm", 0.06),
    ("knee", 0.05),
    ("ankle_foot", 0.04),
    ("buttock_hip", 0.03),
)
_SHEET_SITES = ("forearm", "thigh", "upper_arm", "lower_leg", "buttock_hip", "chest")
_METHODS = (("radiograph", 0.55), ("clinical_examination", 0.35), ("ultrasound", 0.10))


def _pick(rng: Random, table: tuple[tuple[str, float], ...]) -> str:
    draw = rng.random() * sum(w for _, w in table)
    for name, weight in table:
        if draw < weight:
            return name
        draw -= weight
    return table[-1][0]


def _side(rng: Random, region: str) -> str:
    if region in UNPAIRED:
        return ""
    return "right" if rng.random() < 0.55 else "left"


def _visit_on_or_after(profile: Profile, day: int) -> int | None:
    position = bisect.bisect_left(profile.visits, day)
    return profile.visits[position] if position < len(profile.visits) else None


def _nodular(rng: Random, profile: Profile, day: int, count: int) -> list[Lesion]:
    regions: list[str] = []
    while len(regions) < count:
        region = _pick(rng, _NODULAR_SITES)
        if region not in regions:
            regions.append(region)
    method = _pick(rng, _METHODS)
    return [Lesion(r, _side(rng, r), "nodular", method, day) for r in regions]


def random_lesions(rng: Random, profile: Profile, rates: Rates) -> None:
    """Nodular calcinosis at the literature rate, typically late; none if detected after follow-up."""
    assert profile.ssc_onset is not None
    key = "calcinosis_dcssc" if profile.subset == "dcssc" else "calcinosis_lcssc"
    chance = rates[key]
    if profile.antibodies.get("anti_centromere") == "present":
        chance *= rates["calcinosis_aca_factor"]
    if rng.random() >= chance:
        return
    low = rates["calcinosis_delay_min_years"]
    delay = low + rng.gammavariate(2.0, (rates["calcinosis_delay_mean_years"] - low) / 2)
    day = _visit_on_or_after(profile, profile.ssc_onset + int(delay * YEAR))
    if day is None:
        return
    count = 1 if rng.random() < 0.65 else (2 if rng.random() < 0.7 else 3)
    profile.lesions = _nodular(rng, profile, day, count)


def special_lesions(rng: Random, profile: Profile, morphology: str) -> None:
    """Sheet-like/reticular calcinosis in exactly one region, or mixed calcinosis.

    Used by the planned archetypes that exercise the extent threshold.
    """
    day = rng.choice(profile.visits[len(profile.visits) // 2 :])
    region = rng.choice(_SHEET_SITES)
    method = "radiograph"
    if morphology == "mixed":
        regions = rng.sample(_SHEET_SITES, rng.randint(1, 2))
        lesions = [Lesion(r, _side(rng, r), "mixed", method, day) for r in regions]
    else:
        kind = "sheet_like" if rng.random() < 0.6 else "reticular"
        sides = ("",) if region in UNPAIRED else ("right", "left")[: rng.randint(1, 2)]
        lesions = [Lesion(region, s, kind, method, day) for s in sides]
    if rng.random() < 0.5:
        lesions += _nodular(rng, profile, day, 1)
    profile.lesions = lesions


def anchor_lesions(profile: Profile, anchor: Anchor) -> None:
    """Set the planned extensive sheet-like lesions of an anchor case (one radiograph day)."""
    assert profile.ssc_onset is not None
    day = shift_years(profile.ssc_onset, anchor.onset_to_calcinosis_years) + 2
    profile.lesions = [
        Lesion(region, side, morphology, "radiograph", day)
        for region, side, morphology in anchor.lesions
    ]


def _lesion_radiographs(profile: Profile) -> None:
    seen: set[tuple[int, str, str]] = set()
    for lesion in profile.lesions:
        if lesion.method == "radiograph":
            key = (lesion.date, lesion.region, lesion.side or "")
            if key not in seen:
                seen.add(key)
                profile.radiographs.append(Radiograph(*key))


def add_radiographs(rng: Random, profile: Profile, *, recent: bool | None) -> None:
    """Radiographs (one per lesion found by radiograph, plus hand films) and absent assessments.

    ``recent`` True forces an assessment in the 12 months before the index date; False forbids
    one; None leaves it to chance.
    """
    _lesion_radiographs(profile)
    first = min((les.date for les in profile.lesions), default=None)
    candidates = [d for d in profile.visits if first is None or d >= first]
    if recent is False:
        candidates = [d for d in candidates if d < RECENT_START]
    if recent is True:
        candidates = [profile.last_visit]
    if not candidates or (recent is None and rng.random() >= 0.35):
        return _clinical_assessment(rng, profile, recent)
    day = rng.choice(candidates)
    if profile.lesions:
        region, side = profile.lesions[0].region, profile.lesions[0].side
        if not any(r.date == day and r.region == region for r in profile.radiographs):
            profile.radiographs.append(Radiograph(day, region, side))
        return None
    profile.radiographs.append(Radiograph(day, "hand", "bilateral"))
    profile.assessments.append((day, "hand", "radiograph"))
    return None


def _clinical_assessment(rng: Random, profile: Profile, recent: bool | None) -> None:
    if profile.lesions or recent is True or rng.random() >= 0.3:
        return
    days = [d for d in profile.visits if recent is None or d < RECENT_START]
    if days:
        profile.assessments.append((rng.choice(days), "", "clinical_examination"))


def recent_assessment(profile: Profile) -> bool:
    """Return True if a radiograph or calcinosis fact falls in the 12 months before the index."""
    dates = [r.date for r in profile.radiographs] + [a[0] for a in profile.assessments]
    dates += [les.date for les in profile.lesions]
    return any(RECENT_START <= d <= INDEX for d in dates)
