"""Radiographs: structured reading, measuring calcification in an ROI, the suggested pattern.

Pure pixel and measurement logic (NumPy, SciPy, scikit-image); no database and no file format.
The files themselves are read by :mod:`calciscope.interop.images`.
"""

from calciscope.imaging.measure import (
    DepositShape,
    MeasurementResult,
    MeasureSettings,
    PatternSuggestion,
    Roi,
    measure_calcification,
    suggest_pattern,
)
from calciscope.imaging.phantom import (
    PHANTOM_PATTERNS,
    PHANTOM_SPACINGS_MM,
    Phantom,
    make_phantom,
    phantom_series,
)
from calciscope.imaging.reading import (
    CALCINOSIS_CODE,
    FLORENCE_MORPHOLOGY,
    Florence,
    ReaderRole,
    Reading,
    RegionReading,
    ScoreChange,
    SctcGlobalGrade,
    classify_score_change,
    morphology_for,
    reading_facts,
    sctc_grade_problem,
)

__all__ = [
    "CALCINOSIS_CODE",
    "FLORENCE_MORPHOLOGY",
    "PHANTOM_PATTERNS",
    "PHANTOM_SPACINGS_MM",
    "DepositShape",
    "Florence",
    "MeasureSettings",
    "MeasurementResult",
    "PatternSuggestion",
    "Phantom",
    "ReaderRole",
    "Reading",
    "RegionReading",
    "Roi",
    "ScoreChange",
    "SctcGlobalGrade",
    "classify_score_change",
    "make_phantom",
    "measure_calcification",
    "morphology_for",
    "phantom_series",
    "reading_facts",
    "sctc_grade_problem",
    "suggest_pattern",
]
