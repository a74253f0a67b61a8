"""Structured readings: Florence crosswalk, SCTC change categories, reading -> facts."""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope.imaging.reading import (
    CALCINOSIS_CODE,
    Florence,
    ReaderRole,
    Reading,
    RegionReading,
    ScoreChange,
    classify_score_change,
    morphology_for,
    reading_facts,
)
from calciscope.model import (
    BodyRegion,
    Image,
    Laterality,
    Method,
    Morphology,
    ReviewState,
    SourceKind,
    Status,
)


@pytest.mark.parametrize(
    ("florence", "expected"),
    [
        (Florence.STONE, Morphology.NODULAR),
        (Florence.MOUSSE, Morphology.NODULAR),
        (Florence.NET, Morphology.RETICULAR),
        (Florence.PLATE, Morphology.SHEET_LIKE),
    ],
)
def test_florence_crosswalk(florence, expected):
    assert morphology_for(florence, None) is expected


def test_florence_and_morphology_must_agree():
    with pytest.raises(ValueError, match="maps to"):
        morphology_for(Florence.PLATE, Morphology.NODULAR)
    assert morphology_for(Florence.PLATE, Morphology.MIXED) is Morphology.MIXED


# Valenzuela et al., Semin Arthritis Rheum 2022: >25% rise progression, >25% fall improvement
@pytest.mark.parametrize(
    ("baseline", "follow_up", "expected"),
    [
        (10, 12.5, ScoreChange.STABLE),
        (10, 12.6, ScoreChange.PROGRESSION),
        (10, 7.5, ScoreChange.STABLE),
        (10, 7.4, ScoreChange.IMPROVEMENT),
        (0, 0, ScoreChange.STABLE),
        (0, 1, ScoreChange.PROGRESSION),
    ],
)
def test_score_change_categories(baseline, follow_up, expected):
    assert classify_score_change(baseline, follow_up) is expected


IMAGE = Image(image_id="IMG-1", patient_id="P1", image_date=dt.date(2023, 4, 5), file_ref="a.dcm")


def _reading(role: ReaderRole) -> Reading:
    return Reading(
        image_id="IMG-1",
        reader="dr_a",
        reader_role=role,
        reading_date=dt.date(2024, 1, 2),
        blinded=True,
        regions=(
            RegionReading(BodyRegion.HAND, Laterality.RIGHT, Status.PRESENT, Florence.PLATE,
                          Morphology.SHEET_LIKE, 42.0),
            RegionReading(BodyRegion.HAND, Laterality.LEFT, Status.ABSENT),
            RegionReading(BodyRegion.WRIST, Laterality.RIGHT, Status.UNKNOWN),
        ),
    )  # fmt: skip


def test_clinician_reading_confirms_and_unknown_states_nothing():
    facts = reading_facts(_reading(ReaderRole.CLINICIAN), IMAGE)
    assert [f.status for f in facts] == [Status.PRESENT, Status.ABSENT]
    assert all(f.review_state is ReviewState.CONFIRMED for f in facts)
    first = facts[0]
    assert (first.system, first.code) == CALCINOSIS_CODE
    assert first.source_kind is SourceKind.IMAGE and first.method is Method.RADIOGRAPH
    assert first.morphology is Morphology.SHEET_LIKE and first.value_num == 42.0
    assert first.effective_date == IMAGE.image_date
    assert "image:IMG-1" in first.provenance and "reader:dr_a" in first.provenance
    assert "blinded:yes" in first.provenance


def test_other_readers_only_suggest():
    facts = reading_facts(_reading(ReaderRole.RESEARCHER), IMAGE)
    assert facts and all(f.review_state is ReviewState.SUGGESTED for f in facts)


def test_reading_id_is_stable():
    assert _reading(ReaderRole.CLINICIAN).reading_id == _reading(ReaderRole.OTHER).reading_id


def test_the_sctc_grade_applies_to_hand_radiographs_only():
    import dataclasses

    from calciscope.imaging.reading import SctcGlobalGrade, sctc_grade_problem
    from calciscope.model import Modality

    graded = dataclasses.replace(
        _reading(ReaderRole.CLINICIAN), sctc_global_grade=SctcGlobalGrade.SEVERE
    )
    hand = IMAGE.model_copy(update={"body_site": BodyRegion.HAND})
    assert sctc_grade_problem(graded, hand) is None
    assert sctc_grade_problem(graded, IMAGE) is None  # region not recorded
    assert sctc_grade_problem(_reading(ReaderRole.CLINICIAN), IMAGE) is None  # not graded
    hip = sctc_grade_problem(graded, IMAGE.model_copy(update={"body_site": BodyRegion.BUTTOCK_HIP}))
    assert hip is not None and hip.endswith("this film shows the buttock hip")
    photo = hand.model_copy(update={"modality": Modality.PHOTOGRAPH})
    assert "this image is a photograph" in (sctc_grade_problem(graded, photo) or "")
