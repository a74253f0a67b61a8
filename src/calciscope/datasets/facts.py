"""Render a :class:`~calciscope.datasets.profile.Profile` as rows of the calciscope directory format.

Rows are built as pre-joined CSV strings (no value holds a comma or a quote), which keeps a
million-patient run fast. Codes come from the feature catalogue: each concept's primary code,
and now and then another code of the same concept so that importers exercise code mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from calciscope.datasets.clinical import MRSS_MIDLINE, MRSS_PAIRED, PROXIMAL_REGIONS
from calciscope.datasets.lesions import UNPAIRED
from calciscope.datasets.profile import Profile
from calciscope.features import load_catalogue
from calciscope.model import Image, Patient
from calciscope.storage.bulk import FACT_COLUMNS

__all__ = [
    "FACT_HEADER",
    "IMAGE_HEADER",
    "PATIENT_HEADER",
    "FactWriter",
    "iso_dates",
]

#: The headers of ``patients.csv``, ``facts.csv`` and ``images.csv``: the records' fields in the
#: model's order (facts: the registry's fact columns), which the rows below are written in.
PATIENT_HEADER = ",".join(Patient.model_fields) + "\n"
FACT_HEADER = ",".join(FACT_COLUMNS) + "\n"
IMAGE_HEADER = ",".join(Image.model_fields) + "\n"
_BASE = dt.date(1880, 1, 1).toordinal()
#: Other catalogue codes used now and then (concept -> codes), to exercise code mapping.
_ALTERNATIVES = {
    "ssc_diagnosis": ("ICD10,M34.0", "SNOMEDCT,89155008", "ICD10,M34.9"),
    "calcinosis": ("ICD10,L94.2", "HP,HP:0025520", "HP,HP:0007618"),
    "raynaud_phenomenon": ("ICD10,I73.0",),
    "anti_centromere": ("LOINC,16570-4",),
    "ana": ("LOINC,8061-4",),
    "ssc_myositis_overlap": ("ICD10CM,M34.82",),
    "myositis_diagnosis": ("MONDO,MONDO:0016367", "MONDO,MONDO:0019127", "ICD10,M33.1"),
    "interstitial_lung_disease": ("HP,HP:0002206",),
}


def iso_dates() -> Callable[[int], str]:
    """Return a fast ordinal -> ISO date function (a table from 1880 to 2030)."""
    table = [dt.date.fromordinal(o).isoformat() for o in range(_BASE, _BASE + 150 * 366)]
    return lambda ordinal: table[ordinal - _BASE]


class FactWriter:
    """Build fact, patient and image rows for profiles, with the catalogue's codes."""

    def __init__(self, *, notes: bool = True) -> None:
        #: With notes written, what a patient's notes alone record is left out of the facts
        #: (``Profile.overlap_recorded`` letters, ``calcinosis_recorded`` site_only / notes / film);
        #: without notes there is nowhere else to say it, so it is written as facts.
        self.notes = notes
        catalogue = load_catalogue()
        self.code = {
            name: ",".join(concept.primary_code) for name, concept in catalogue.concepts.items()
        }
        self.code["creatine_kinase"] = "LOINC,2157-6"
        self.iso = iso_dates()

    def codes_for(self, index: int) -> dict[str, str]:
        """Codes for one patient: primary codes, with about 1 in 5 alternatives swapped in."""
        swapped = {
            concept: options[(index // 10) % len(options)]
            for concept, options in _ALTERNATIVES.items()
            if (index * 7919 + len(concept)) % 10 < 2
        }
        return {**self.code, **swapped} if swapped else self.code

    def patient_row(self, profile: Profile, pid: str) -> str:
        """Return the ``patients.csv`` row."""
        birth = self.iso(profile.birth)
        return f"{pid},{profile.sex},{birth},{birth[:4]},demo-centre,true\n"

    def rows(self, profile: Profile, pid: str) -> tuple[list[str], list[str]]:
        """Return the ``facts.csv`` rows and the ``images.csv`` rows of one patient."""
        out: list[str] = []
        iso = self.iso
        codes = self.codes_for(profile.index)

        def add(concept: str, status: str, day: int, kind: str, rest: str = ",,,,,,") -> None:
            date = iso(day)
            code = codes[concept]
            out.append(
                f",{pid},{code},{status},{date},{rest},structured,demo:{kind}:{date},confirmed,,\n"
            )

        for day in profile.visits:
            add("visit", "present", day, "visit")
        self._diagnoses(profile, add)
        self._items(profile, add)
        if profile.skin:
            self._skin(profile, out, pid, codes)
        self._labs(profile, add)
        self._myositis(profile, add)
        images = self._calcinosis(profile, pid, add)
        if profile.death is not None:
            add("death", "present", profile.death, "registry")
        return out, images

    def _diagnoses(self, profile: Profile, add: Callable[..., None]) -> None:
        if profile.ssc:
            assert profile.diagnosis is not None and profile.ssc_onset is not None
            add("ssc_diagnosis", "present", profile.diagnosis, "visit")
            add("ssc_onset", "present", profile.ssc_onset, "history")
            add("ssc_subset", "present", profile.diagnosis, "visit", f",{profile.subset},,,,,")
        if profile.like_disorder:
            assert profile.diagnosis is not None
            rest = f",{profile.like_disorder},,,,,"
            add("ssc_like_disorder", "present", profile.diagnosis, "visit", rest)
        if profile.myositis:
            assert profile.myositis_diagnosis is not None and profile.myositis_onset is not None
            if profile.overlap_recorded != "letters" or not self.notes:
                add("myositis_diagnosis", "present", profile.myositis_diagnosis, "visit")
            add("myositis_onset", "present", profile.myositis_onset, "history")
            if profile.overlap and (profile.overlap_recorded == "code" or not self.notes):
                add("ssc_myositis_overlap", "present", profile.myositis_diagnosis, "visit")

    def _items(self, profile: Profile, add: Callable[..., None]) -> None:
        first = profile.visits[0] if profile.diagnosis is None else profile.diagnosis
        for name, status in profile.items.items():
            day = first
            if name == "raynaud_phenomenon" and status == "present":
                day = profile.raynaud_onset or first
            elif name in ("skin_thickening_proximal_to_mcp", "sclerodactyly"):
                day = profile.skin_date or first
            add(name, status, day, "exam")

    def _skin(self, profile: Profile, out: list[str], pid: str, codes: dict[str, str]) -> None:
        # The skin exam is the bulk of the rows (up to 29 per patient): rows are built inline.
        date = self.iso(profile.skin_date)
        sided = f",,,structured,demo:exam:{date},confirmed,,\n"
        tail = "," + sided
        skin = codes["skin_thickening"]
        for region, score in profile.skin.items():
            status = "present" if score else "absent"
            out.append(f",{pid},{skin},{status},{date},,,,{region}{tail}")
        if not profile.mrss:
            return
        head = f",{pid},{codes['mrss_site']},present,{date},"
        missing = profile.mrss_missing
        for region in MRSS_MIDLINE:
            if region not in missing:
                out.append(f"{head}{profile.skin.get(region, 0)},,,{region}{tail}")
        for region in MRSS_PAIRED:
            score = profile.skin.get(region, 0)
            left = max(1, score - 1) if score and region in PROXIMAL_REGIONS else score
            if f"{region}:right" not in missing:
                out.append(f"{head}{score},,,{region},right{sided}")
            if f"{region}:left" not in missing:
                out.append(f"{head}{left},,,{region},left{sided}")

    def _labs(self, profile: Profile, add: Callable[..., None]) -> None:
        day = profile.diagnosis or profile.myositis_diagnosis or profile.visits[0]
        for name, status in profile.antibodies.items():
            add(name, status, day, "lab")
        if profile.ck is not None:
            ck_day = profile.myositis_diagnosis or day
            add("creatine_kinase", "present", ck_day, "lab", f"{profile.ck},,U/L,,,,")
            raised = "present" if profile.ck > 200 else "absent"
            add("muscle_enzymes_elevated", raised, ck_day, "lab")

    def _myositis(self, profile: Profile, add: Callable[..., None]) -> None:
        if not profile.myositis_items:
            return
        day = profile.myositis_diagnosis or profile.visits[0]
        for name, status in profile.myositis_items.items():
            add(name, status, day, "exam")
        add("muscle_biopsy", "present" if profile.biopsy else "absent", day, "pathology")
        for name, status in (profile.biopsy or {}).items():
            add(name, status, day, "pathology")

    def _calcinosis(self, profile: Profile, pid: str, add: Callable[..., None]) -> list[str]:
        recorded = profile.calcinosis_recorded if self.notes else "structured"
        for lesion in profile.lesions if recorded != "notes" else ():
            morphology = lesion.morphology if recorded == "structured" else ""
            rest = f",,,{lesion.region},{lesion.side},{morphology},{lesion.method}"
            add("calcinosis", "present", lesion.date, "exam", rest)
        for day, region, method in profile.assessments:
            add("calcinosis", "absent", day, "exam", f",,,{region},,,{method}")
        images = []
        for number, film in enumerate(profile.radiographs, start=1):
            image_id = f"{pid}-XR{number}"
            side = "" if film.region in UNPAIRED else film.side
            add("radiograph", "present", film.date, "imaging", f",,,{film.region},{side},,")
            images.append(
                f"{image_id},{pid},radiograph,{film.region},{side},{self.iso(film.date)},"
                f"synthetic://{image_id}\n"
            )
        return images
