"""Structured readings of a radiograph or photograph, one row per body region and side.

Each region row records whether calcinosis is present, absent or unknown, its morphology in
the Florence classification, mapped to calciscope's morphology, and optionally a measured area.
The whole reading may carry the SCTC *simple* global grade (mild / moderate / severe).

What is and is not implemented, and why:

- **Florence classification** (Bartoli et al. 2016): stone, net and plate are the radiographic
  types, mousse the clinical one (a soft, extrudable lesion seen and felt). The mapping to
  calciscope's morphology is ours, not the paper's: stone and mousse → nodular, net →
  reticular, plate → sheet-like (clinical-reference.md §4.2; the paper's full definitions were
  not retrieved, only the abstract's names and counts).
- **SCTC radiographic calcinosis score** (Chung et al. 2015), checked against the paper's
  abstract (the full text was not retrieved). Confirmed there: the score is for calcinosis
  *of the hands* in SSc, read on hand radiographs; there are two systems, "simple" and
  "complex"; the simple one's reliability was reported by a weighted kappa and improved "if
  dichotomized as mild/moderate vs. severe", so its grades include mild, moderate and severe;
  the complex one "accounts for the area coverage, density, and anatomic location" and was
  assessed by the ICC (inter-rater 0.89, intra-rater 0.93). Implemented: the *simple* score as
  one global grade, mild / moderate / severe, accepted only on a reading of a radiograph whose
  region is the hand or fingers, or not indexed (:func:`sctc_grade_problem`). Not confirmed,
  so not implemented: the simple score's grade definitions and whether it has a grade for no
  calcinosis; the complex score's region list, its area and density scales and how they are
  combined (calciscope records no extent or density grade that would pretend to be it; a
  measured area in mm² is recorded per region instead); the kappa's weights.
- **Change of the score** (Valenzuela et al. 2022, abstract; two readers scored baseline and
  one-year antero-posterior hand radiographs, ICC 0.93): progression is a rise of more than
  25% from baseline, stability a change from −25% to +25%, improvement a fall of more than 25%
  (:func:`classify_score_change`). The cut-offs apply to the numeric (complex) score, which
  calciscope does not compute: the function takes scores computed elsewhere. A baseline of 0
  is not covered by the paper (every patient had calcinosis); calciscope's rule for it is its
  own.

References
----------
Bartoli F, et al. Rheumatology (Oxford) 2016;55(9):1610–4.
DOI 10.1093/rheumatology/kew193 (the Florence classification).
Chung L, Valenzuela A, Fiorentino D, et al. Validation of a novel radiographic scoring system
for calcinosis affecting the hands of patients with systemic sclerosis. Arthritis Care Res
(Hoboken) 2015;67(3):425–30. DOI 10.1002/acr.22434 (the SCTC radiographic calcinosis score,
simple and complex).
Valenzuela A, Stevens K, Chung MP, et al. Change in calcinosis over 1 year using the
scleroderma clinical trials consortium radiologic scoring system for calcinosis of the hands in
patients with systemic sclerosis. Semin Arthritis Rheum 2022;53:151980.
DOI 10.1016/j.semarthrit.2022.151980 (the ±25% change categories).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from calciscope.imaging.measure import Roi
from calciscope.model import (
    BodyRegion,
    Fact,
    Image,
    Laterality,
    Method,
    Modality,
    Morphology,
    ReviewState,
    SourceKind,
    Status,
)

__all__ = [
    "CALCINOSIS_CODE",
    "FLORENCE_MORPHOLOGY",
    "MIDLINE_REGIONS",
    "SCTC_REGIONS",
    "Florence",
    "ReaderRole",
    "Reading",
    "RegionReading",
    "ScoreChange",
    "SctcGlobalGrade",
    "classify_score_change",
    "form_regions",
    "image_of_provenance",
    "morphology_for",
    "reading_facts",
    "sctc_grade_problem",
]

#: The code an image-derived calcinosis fact carries (HPO Calcinosis, clinical-reference §6).
CALCINOSIS_CODE = ("HP", "HP:0003761")


class Florence(StrEnum):
    """Florence classification of calcinosis (Bartoli et al. 2016)."""

    STONE = "stone"
    NET = "net"
    PLATE = "plate"
    MOUSSE = "mousse"


#: Our crosswalk (not the paper's): Florence type → calciscope morphology.
FLORENCE_MORPHOLOGY: dict[Florence, Morphology] = {
    Florence.STONE: Morphology.NODULAR,
    Florence.MOUSSE: Morphology.NODULAR,
    Florence.NET: Morphology.RETICULAR,
    Florence.PLATE: Morphology.SHEET_LIKE,
}


class SctcGlobalGrade(StrEnum):
    """The SCTC simple radiographic calcinosis score of the hands: one global grade.

    Chung et al. 2015 (abstract): the simple system's grades include mild, moderate and severe
    (reliability improved "if dichotomized as mild/moderate vs. severe").
    """

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class ReaderRole(StrEnum):
    """Who read the image; a clinician's reading is confirmed as it is entered."""

    CLINICIAN = "clinician"
    RESEARCHER = "researcher"
    OTHER = "other"


class ScoreChange(StrEnum):
    """Change of an SCTC score over follow-up (Valenzuela et al. 2022)."""

    PROGRESSION = "progression"
    STABLE = "stable"
    IMPROVEMENT = "improvement"


def morphology_for(florence: Florence | None, morphology: Morphology | None) -> Morphology | None:
    """Return the morphology a region row implies; raise ValueError when the two disagree."""
    mapped = FLORENCE_MORPHOLOGY.get(florence) if florence else None
    if mapped and morphology and morphology not in (mapped, Morphology.MIXED):
        raise ValueError(f"Florence {florence} maps to {mapped}, not {morphology}")
    return morphology or mapped


@dataclass(frozen=True)
class RegionReading:
    """One body region and side of a reading."""

    body_site: BodyRegion
    laterality: Laterality
    presence: Status
    florence: Florence | None = None
    morphology: Morphology | None = None
    area_mm2: float | None = None
    #: the measurement behind the row: its region of interest (file pixels) and the deposits
    #: it found, a two-colour PNG (:mod:`calciscope.imaging.mask`); the report draws them
    roi: Roi | None = None
    deposit_mask_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Reading:
    """One reader's reading of one image."""

    image_id: str
    reader: str
    reader_role: ReaderRole
    reading_date: dt.date
    blinded: bool
    regions: tuple[RegionReading, ...]
    sctc_global_grade: SctcGlobalGrade | None = None

    @property
    def reading_id(self) -> str:
        """A stable id: the same image, reader and date give the same reading."""
        key = f"{self.image_id}|{self.reader}|{self.reading_date.isoformat()}"
        return "R" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


_METHOD = {
    Modality.RADIOGRAPH: Method.RADIOGRAPH,
    Modality.ULTRASOUND: Method.ULTRASOUND,
    Modality.CT: Method.CT,
    Modality.MRI: Method.MRI,
    Modality.PHOTOGRAPH: Method.PHOTOGRAPH,
}


def reading_facts(reading: Reading, image: Image) -> list[Fact]:
    """Return the calcinosis facts a reading states, one per region row.

    The facts have source kind ``image``, the image's date and method, and a provenance naming
    the image, the reader, the reading date and blinding. A clinician's reading is confirmed;
    any other reader's facts are suggestions that wait in the review queue. Rows read as
    ``unknown`` state nothing and give no fact.
    """
    state = (
        ReviewState.CONFIRMED
        if reading.reader_role is ReaderRole.CLINICIAN
        else ReviewState.SUGGESTED
    )
    provenance = (
        f"image:{image.image_id}; reader:{reading.reader} ({reading.reader_role.value}); "
        f"reading:{reading.reading_date.isoformat()}; blinded:{'yes' if reading.blinded else 'no'}"
    )
    facts = []
    for region in reading.regions:
        if region.presence is Status.UNKNOWN:
            continue
        facts.append(
            Fact(
                patient_id=image.patient_id,
                system=CALCINOSIS_CODE[0],
                code=CALCINOSIS_CODE[1],
                status=region.presence,
                effective_date=image.image_date or reading.reading_date,
                value_num=region.area_mm2 if region.presence is Status.PRESENT else None,
                unit="mm2" if region.area_mm2 is not None else None,
                body_site=region.body_site,
                laterality=region.laterality,
                morphology=region.morphology if region.presence is Status.PRESENT else None,
                method=_METHOD[image.modality],
                source_kind=SourceKind.IMAGE,
                provenance=provenance,
                review_state=state,
            )
        )
    return facts


#: Regions on the body's midline: read once, without a side (every other region has two).
MIDLINE_REGIONS = frozenset(
    {BodyRegion.FACE, BodyRegion.NECK, BodyRegion.CHEST, BodyRegion.ABDOMEN, BodyRegion.BACK}
)


def form_regions(first: BodyRegion | None = None) -> list[tuple[BodyRegion, Laterality]]:
    """Return the rows of a reading form: every catalogue body region, by side where it has one.

    The image's own region (``first``) comes first; the others keep the catalogue's order.
    """
    rows = [
        (region, side)
        for region in BodyRegion
        for side in (
            (Laterality.UNSPECIFIED,)
            if region in MIDLINE_REGIONS
            else (Laterality.RIGHT, Laterality.LEFT)
        )
    ]
    return sorted(rows, key=lambda row: row[0] != first)


def image_of_provenance(provenance: str | None) -> str | None:
    """Return the image id named in an image-derived fact's provenance (``image:IMG-...;``)."""
    if not provenance or not provenance.startswith("image:"):
        return None
    return provenance[len("image:") :].split(";", 1)[0].strip() or None


#: Where the SCTC score applies: it was developed and validated on hand radiographs (Chung et
#: al. 2015; Valenzuela et al. 2022 used antero-posterior hand radiographs).
SCTC_REGIONS = frozenset({BodyRegion.HAND, BodyRegion.FINGERS})


def sctc_grade_problem(reading: Reading, image: Image) -> str | None:
    """Return why a reading's SCTC grade does not apply to its image, or None when it does.

    The grade applies to a radiograph of the hand or fingers (:data:`SCTC_REGIONS`), or of an
    unrecorded region (a film indexed without Body Part Examined may well be a hand).
    """
    if reading.sctc_global_grade is None:
        return None
    rule = "the SCTC score grades hand radiographs (Chung et al. 2015)"
    if image.modality is not Modality.RADIOGRAPH:
        return f"{rule}; this image is a {image.modality.value}"
    if image.body_site is not None and image.body_site not in SCTC_REGIONS:
        return f"{rule}; this film shows the {image.body_site.value.replace('_', ' ')}"
    return None


def classify_score_change(baseline: float, follow_up: float) -> ScoreChange:
    """Classify the change of an SCTC calcinosis score (Valenzuela et al. 2022).

    A rise of more than 25% is progression, a fall of more than 25% improvement, and anything
    from −25% to +25% stable (the paper's cut-offs). A baseline of 0 with any rise is
    progression: calciscope's own rule, the paper does not cover it.
    """
    if baseline <= 0:
        return ScoreChange.PROGRESSION if follow_up > 0 else ScoreChange.STABLE
    change = (follow_up - baseline) / baseline
    if change > 0.25:
        return ScoreChange.PROGRESSION
    if change < -0.25:
        return ScoreChange.IMPROVEMENT
    return ScoreChange.STABLE
