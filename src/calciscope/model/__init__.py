"""Plain typed domain objects; imports nothing else of calciscope's."""

from calciscope.model.enums import (
    BodyRegion,
    CutaneousSubset,
    Laterality,
    Method,
    Modality,
    Morphology,
    NoteType,
    ReviewDecision,
    ReviewState,
    Role,
    Sex,
    SourceKind,
    Status,
)
from calciscope.model.records import (
    CODE_SYSTEMS,
    STORED,
    Fact,
    Image,
    Note,
    Patient,
    after_today,
    make_fact_id,
)
from calciscope.model.units import DAYS_PER_YEAR

__all__ = [
    "CODE_SYSTEMS",
    "DAYS_PER_YEAR",
    "STORED",
    "BodyRegion",
    "CutaneousSubset",
    "Fact",
    "Image",
    "Laterality",
    "Method",
    "Modality",
    "Morphology",
    "Note",
    "NoteType",
    "Patient",
    "ReviewDecision",
    "ReviewState",
    "Role",
    "Sex",
    "SourceKind",
    "Status",
    "after_today",
    "make_fact_id",
]
