"""Draw one synthetic patient of a given archetype (the truth every file is written from)."""

from __future__ import annotations

import datetime as dt
from random import Random
from typing import Any

from calciscope.datasets.clinical import (
    draw_antibodies,
    draw_ck,
    draw_mrss_missing,
    draw_myositis,
    draw_skin,
    draw_ssc_items,
)
from calciscope.datasets.lesions import (
    add_radiographs,
    anchor_lesions,
    random_lesions,
    special_lesions,
)
from calciscope.datasets.plan import DIFFUSE, NOT_SEEN, OVERLAP, Anchor, Archetype, Rates
from calciscope.datasets.profile import (
    INDEX,
    RECENT_START,
    WINDOW_START,
    YEAR,
    Profile,
    shift_years,
    ssc_items,
)

__all__ = ["draw_profile"]

_ORD = {y: dt.date(y, 1, 1).toordinal() for y in (1990, 1995, 2000, 2008)}
_LATEST_DIAGNOSIS = dt.date(2023, 6, 30).toordinal()
_LATEST_DIAGNOSIS_NOT_SEEN = dt.date(2018, 6, 30).toordinal()
_SPECIAL = {
    Archetype.DC_SHEET_ONE_REGION: "sheet",
    Archetype.LC_SHEET_ONE_REGION: "sheet",
    Archetype.DC_MIXED: "mixed",
    Archetype.LC_MIXED: "mixed",
}
_RECENT = {Archetype.ANCHOR: True, Archetype.DC_OVERLAP_ASSESSED: True}
_RECENT_FORBIDDEN = {Archetype.DC_OVERLAP_AT_RISK: False}
#: How an overlap / calcinosis is recorded (``rates.yaml``); the last option takes the rest.
_OVERLAP_RECORDED: tuple[tuple[tuple[str, str], ...], str] = (
    (("code", "overlap_coded"), ("two_diagnoses", "overlap_two_diagnoses")),
    "letters",
)
_CALCINOSIS_RECORDED: tuple[tuple[tuple[str, str], ...], str] = (
    (("structured", "calcinosis_morphology_coded"), ("site_only", "calcinosis_site_only")),
    "notes",
)


def _subset(rng: Random, archetype: Archetype, rates: Rates) -> str:
    if archetype in DIFFUSE:
        return "dcssc"
    if archetype == Archetype.SINE:
        return "sine"
    if archetype in NOT_SEEN:
        return "dcssc" if rng.random() < rates["dcssc_share"] else "lcssc"
    return "lcssc"


def _visits(rng: Random, first: int, low: int, high: int) -> list[int]:
    last = rng.randint(low, high)
    extra = {rng.randint(first, last) for _ in range(rng.randint(1, 5))}
    return sorted(extra | {first, last})


def _ssc_dates(rng: Random, profile: Profile, archetype: Archetype, anchor: Anchor | None) -> None:
    if anchor is not None:
        day = dt.date(rng.randint(2008, 2015), rng.randint(1, 12), rng.randint(1, 28))
        diagnosis = day.toordinal()
        profile.birth = shift_years(diagnosis, -anchor.age_at_diagnosis) - 3
    else:
        latest = _LATEST_DIAGNOSIS_NOT_SEEN if archetype in NOT_SEEN else _LATEST_DIAGNOSIS
        diagnosis = rng.randint(_ORD[1990 if archetype in NOT_SEEN else 1995], latest)
        age = min(85.0, max(18.0, rng.gauss(48.5, 11.0)))
        profile.birth = diagnosis - int(age * YEAR)
    diffuse = profile.subset == "dcssc"
    onset = diagnosis - rng.randint(30, 540 if diffuse else 1100)
    profile.diagnosis, profile.ssc_onset = diagnosis, onset
    lag = rng.randint(0, 365) if diffuse else int(rng.gammavariate(2.0, 3.0) * YEAR)
    profile.raynaud_onset = max(onset - lag, profile.birth + int(12 * YEAR))
    if archetype in NOT_SEEN:
        profile.visits = _visits(rng, diagnosis, diagnosis, WINDOW_START - 200)
    else:
        low = max(diagnosis, RECENT_START if archetype in _RECENT else WINDOW_START)
        profile.visits = _visits(rng, diagnosis, low, INDEX)
    if archetype == Archetype.SSC_DIED_BEFORE:
        profile.death = rng.randint(profile.last_visit + 1, WINDOW_START - 1)
    elif archetype not in NOT_SEEN | OVERLAP and rng.random() < 0.04:
        profile.death = rng.randint(profile.last_visit, INDEX)


def _myositis_dates(rng: Random, profile: Profile, anchor_like: int) -> None:
    earliest = profile.birth + int(18.5 * YEAR)
    onset = max(earliest, anchor_like + rng.randint(-700, 700))
    profile.myositis_onset = min(onset, profile.last_visit)
    diagnosis = max(profile.myositis_onset + rng.randint(30, 365), profile.diagnosis or 0)
    profile.myositis_diagnosis = min(diagnosis, profile.last_visit)


def _draw_ssc(
    rng: Random,
    profile: Profile,
    archetype: Archetype,
    anchor: Anchor | None,
    context: dict[str, Any],
) -> None:
    rates: Rates = context["rates"]
    profile.ssc = True
    profile.subset = _subset(rng, archetype, rates)
    profile.overlap = profile.myositis = archetype in OVERLAP
    if anchor is not None:
        profile.sex = anchor.sex
    _ssc_dates(rng, profile, archetype, anchor)
    draw_skin(rng, profile)
    draw_mrss_missing(rng, profile, rates["mrss_site_unrecorded"])
    profile.skin_date = rng.choice(profile.visits)
    specific = None
    if anchor is not None:
        specific = anchor.antibody if anchor.antibody != "anti_pm_scl" else ""
    draw_antibodies(rng, profile, rates, specific)
    if anchor is not None:
        pm_scl = anchor.antibody == "anti_pm_scl"
        profile.antibodies["anti_pm_scl"] = "present" if pm_scl else "absent"
        profile.antibodies["ana"] = "present"
    draw_ssc_items(rng, profile, rates)
    if profile.overlap:
        assert profile.ssc_onset is not None
        _myositis_dates(rng, profile, profile.ssc_onset)
        patterns = context["patterns"]
        name = anchor.myositis_pattern if anchor else rng.choice(sorted(patterns))
        profile.overlap_recorded = (
            anchor.overlap_recorded if anchor else _recorded(rng, rates, _OVERLAP_RECORDED)
        )
        # absent IIM items go unrecorded only where the myositis is also coded: an overlap
        # stated only in letters rests on the 2017 criteria, so its items are complete, and
        # the planned anchors keep their planned pattern
        coded = anchor is None and profile.overlap_recorded != "letters"
        draw_myositis(rng, profile, patterns[name], rates["iim_item_unrecorded"] if coded else 0)
    draw_ck(rng, profile, rates)
    _draw_calcinosis(rng, profile, archetype, anchor, rates)
    if profile.lesions:
        profile.calcinosis_recorded = (
            anchor.calcinosis_recorded if anchor else _recorded(rng, rates, _CALCINOSIS_RECORDED)
        )


def _recorded(rng: Random, rates: Rates, options: tuple[tuple[tuple[str, str], ...], str]) -> str:
    """Pick how something is recorded: the first options at their rates, the last the rest."""
    draw = rng.random()
    for value, rate in options[0]:
        if draw < rates[rate]:
            return value
        draw -= rates[rate]
    return options[1]


def _draw_calcinosis(
    rng: Random, profile: Profile, archetype: Archetype, anchor: Anchor | None, rates: Rates
) -> None:
    if anchor is not None:
        anchor_lesions(profile, anchor)
    elif archetype in _SPECIAL:
        special_lesions(rng, profile, _SPECIAL[archetype])
    elif archetype not in (Archetype.DC_OVERLAP_ASSESSED, Archetype.DC_OVERLAP_AT_RISK):
        random_lesions(rng, profile, rates)
    recent = _RECENT.get(archetype, _RECENT_FORBIDDEN.get(archetype))
    add_radiographs(rng, profile, recent=recent)


def _non_ssc_dates(rng: Random, profile: Profile, mean_age: float) -> int:
    first = rng.randint(_ORD[2000], INDEX - 60)
    onset = first - rng.randint(60, 3000)
    age = min(85.0, max(14.0, rng.gauss(mean_age, 11.0)))
    profile.birth = onset - int(age * YEAR)
    profile.visits = _visits(rng, first, first, INDEX)
    return onset


def _not_ssc_items(rng: Random, profile: Profile, present: dict[str, str]) -> None:
    # Every 2013 item is recorded (absent unless stated) but one low-weight item, so that the
    # upper bound of the score stays below 9 and the patient is decisively not classified.
    items = dict.fromkeys(ssc_items(), "absent") | present
    del items[rng.choice(("telangiectasia", "abnormal_nailfold_capillaries", "digital_tip_ulcers"))]
    profile.items = items


def _draw_not_ssc(
    rng: Random, profile: Profile, archetype: Archetype, context: dict[str, Any]
) -> None:
    if archetype == Archetype.PRIMARY_RAYNAUD:
        profile.raynaud_onset = _non_ssc_dates(rng, profile, 32.0)
        _not_ssc_items(rng, profile, {"raynaud_phenomenon": "present"})
    elif archetype == Archetype.MYOSITIS_ONLY:
        profile.myositis = True
        onset = _non_ssc_dates(rng, profile, 52.0)
        profile.myositis_onset, profile.myositis_diagnosis = onset, profile.visits[0]
        profile.birth = min(profile.birth, onset - int(18.5 * YEAR))
        pattern = context["patterns"][rng.choice(sorted(context["patterns"]))]
        draw_myositis(rng, profile, pattern, context["rates"]["iim_item_unrecorded"])
        present = {}
        if rng.random() < 0.3:
            present["raynaud_phenomenon"] = "present"
            profile.raynaud_onset = onset
        if rng.random() < 0.3:
            present["interstitial_lung_disease"] = "present"
        _not_ssc_items(rng, profile, present)
    else:
        _scleroderma_like(rng, profile)
    draw_antibodies(rng, profile, context["rates"], "")
    draw_ck(rng, profile, context["rates"])
    add_radiographs(rng, profile, recent=None)


def _scleroderma_like(rng: Random, profile: Profile) -> None:
    profile.diagnosis = _non_ssc_dates(rng, profile, 45.0) + 30
    profile.diagnosis = min(profile.diagnosis, profile.visits[0])
    profile.like_disorder = rng.choice(("morphoea", "eosinophilic_fasciitis"))
    regions = ("forearm", "thigh", "lower_leg", "back")
    profile.skin = {r: (1 if rng.random() < 0.6 else 0) for r in regions}
    profile.skin |= {"fingers": 0, "hand": 0}
    profile.skin[rng.choice(regions)] = 2
    profile.skin_date = profile.visits[0]
    _not_ssc_items(rng, profile, {"skin_thickening_sparing_fingers": "present"})


def draw_profile(
    rng: Random, index: int, archetype: Archetype, anchor: Anchor | None, context: dict[str, Any]
) -> Profile:
    """Draw one patient.

    Parameters
    ----------
    rng
        The chunk's seeded random generator.
    index
        Patient index (0-based).
    archetype
        What kind of patient to draw (``plan.yaml``).
    anchor
        The planned anchor case, for :attr:`Archetype.ANCHOR`.
    context
        ``rates`` (:class:`~calciscope.datasets.plan.Rates`) and ``patterns`` (IIM patterns).

    Returns
    -------
    Profile
        The patient's clinical picture.
    """
    female = context["rates"]["female"]
    sex = "female" if rng.random() < female else "male"
    profile = Profile(index=index, archetype=int(archetype), sex=sex, birth=0)
    if archetype in (
        Archetype.PRIMARY_RAYNAUD,
        Archetype.MYOSITIS_ONLY,
        Archetype.SCLERODERMA_LIKE,
    ):
        _draw_not_ssc(rng, profile, archetype, context)
    else:
        _draw_ssc(rng, profile, archetype, anchor, context)
    return profile
