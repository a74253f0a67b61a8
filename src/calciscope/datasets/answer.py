"""The answer key: the truth the generator used, one row per patient (``answer_key.csv``)."""

from __future__ import annotations

import datetime as dt

from calciscope.datasets.lesions import UNPAIRED, recent_assessment
from calciscope.datasets.notes import MORPHOLOGY_RANK, NotesSummary
from calciscope.datasets.profile import INDEX, WINDOW_START, YEAR, Profile, ssc2013_status
from calciscope.features import SITE_GROUPS

__all__ = [
    "ANSWER_HEADER",
    "IMAGE_KEY_HEADER",
    "answer_row",
    "extensive_sheet_like",
    "image_key_rows",
    "sheet_like_regions",
]

ANSWER_HEADER = (
    "patient_id,ssc,seen_in_window,subset,overlap,calcinosis,calcinosis_morphology,"
    "calcinosis_regions,extensive_sheet_like,at_risk,notes_calcinosis,notes_morphology,sex,"
    "age_at_ssc_diagnosis,anti_scl70,anti_pm_scl,calcinosis_onset_years,ssc2013,"
    "overlap_recorded,calcinosis_recorded\n"
)
_GROUP = {region.value: group for region, group in SITE_GROUPS.items()}
_SHEET = frozenset({"sheet_like", "reticular"})


def _flag(value: bool) -> str:
    return "true" if value else "false"


def sheet_like_regions(profile: Profile) -> int:
    """Distinct body-region groups (face and neck as one) with sheet-like or reticular lesions."""
    return len({_GROUP[les.region] for les in profile.lesions if les.morphology in _SHEET})


def extensive_sheet_like(profile: Profile, minimum: int = 2) -> bool:
    """Sheet-like or reticular calcinosis in at least ``minimum`` regions (clinical-reference §11.6)."""
    return sheet_like_regions(profile) >= minimum


def _completed_years(start: int, end: int) -> int:
    first, last = dt.date.fromordinal(start), dt.date.fromordinal(end)
    return last.year - first.year - ((last.month, last.day) < (first.month, first.day))


def _calcinosis(profile: Profile) -> tuple[str, str, str]:
    if profile.lesions:
        morph = max((les.morphology for les in profile.lesions), key=MORPHOLOGY_RANK.__getitem__)
        regions = len({_GROUP[les.region] for les in profile.lesions})
        return "present", morph, str(regions)
    if profile.assessments:
        return "absent", "none", "0"
    return "unknown", "none", ""


def _ssc_numbers(profile: Profile) -> tuple[str, str]:
    if not profile.ssc or profile.diagnosis is None or profile.ssc_onset is None:
        return "", ""
    age = str(_completed_years(profile.birth, profile.diagnosis))
    if not profile.lesions:
        return age, ""
    first = min(les.date for les in profile.lesions)
    return age, f"{(first - profile.ssc_onset) / YEAR:.1f}"


def answer_row(profile: Profile, pid: str, summary: NotesSummary | None) -> str:
    """Return the ``answer_key.csv`` row of one patient.

    ``summary`` is what the notes say (None when no notes were written: ``not_mentioned``).
    """
    seen = any(WINDOW_START <= day <= INDEX for day in profile.visits)
    calcinosis, morph, regions = _calcinosis(profile)
    at_risk = (
        profile.ssc
        and seen
        and profile.subset == "dcssc"
        and profile.overlap
        and not recent_assessment(profile)
    )
    notes_calcinosis = summary.calcinosis if summary else "not_mentioned"
    notes_morph = summary.morphology if summary else "none"
    age, onset = _ssc_numbers(profile)
    antibodies = profile.antibodies
    ssc2013 = "not_applicable" if profile.like_disorder else ssc2013_status(profile)
    # without notes everything is written as facts (FactWriter), so the key says so too
    overlap_recorded = (profile.overlap_recorded if summary else "code") if profile.overlap else ""
    calcinosis_recorded = ""
    if profile.lesions:
        calcinosis_recorded = profile.calcinosis_recorded if summary else "structured"
    return (
        f"{pid},{_flag(profile.ssc)},{_flag(seen)},{profile.subset},{_flag(profile.overlap)},"
        f"{calcinosis},{morph},{regions},{_flag(extensive_sheet_like(profile))},{_flag(at_risk)},"
        f"{notes_calcinosis},{notes_morph},{profile.sex},{age},"
        f"{_flag(antibodies.get('anti_scl70') == 'present')},"
        f"{_flag(antibodies.get('anti_pm_scl') == 'present')},{onset},{ssc2013},"
        f"{overlap_recorded},{calcinosis_recorded}\n"
    )


#: The truth behind each radiograph of ``images.csv``: the calcinosis drawn in its region.
IMAGE_KEY_HEADER = "image_id,patient_id,body_site,laterality,calcinosis_morphology\n"


def image_key_rows(profile: Profile, pid: str) -> list[str]:
    """Return the ``image_key.csv`` rows of a patient's radiographs (SYNTHETIC truth, not imported).

    A film shows the lesions of its region (and side, for a paired region); its morphology is
    the highest ranked of theirs (sheet-like, reticular, mixed, nodular:
    ``MORPHOLOGY_RANK``), empty when the film's region has none.
    """
    rows = []
    for number, film in enumerate(profile.radiographs, start=1):
        shown = [
            les.morphology
            for les in profile.lesions
            if les.region == film.region
            and (not les.side or not film.side or les.side == film.side)
        ]
        morph = max(shown, key=MORPHOLOGY_RANK.__getitem__) if shown else ""
        side = "" if film.region in UNPAIRED else film.side
        rows.append(f"{pid}-XR{number},{pid},{film.region},{side},{morph}\n")
    return rows
