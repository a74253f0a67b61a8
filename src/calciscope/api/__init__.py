"""The verbs a user calls: open a registry, import, compute features, classify, screen, export.

The faces (CLI, web) call only these.
"""

from calciscope.api.cohort import (
    DEFAULT_DB_URL,
    FILTER_ALIASES,
    PatientRecord,
    feature_table,
    generate_demo_data,
    import_directory,
    list_patients,
    open_registry,
    patient_record,
    resolve_db_url,
    write_feature_table,
)
from calciscope.api.criteria import (
    ClassifySummary,
    PatientExplanation,
    ScoreFormat,
    classify_registry,
    explain_patient,
    score_spreadsheet,
    write_scores,
)
from calciscope.api.notes import (
    ExtractSummary,
    assess_tsv,
    evaluate_demo_notes,
    evaluate_negex,
    extract_file,
    extract_notes,
)

__all__ = [
    "DEFAULT_DB_URL",
    "FILTER_ALIASES",
    "ClassifySummary",
    "ExtractSummary",
    "PatientExplanation",
    "PatientRecord",
    "ScoreFormat",
    "assess_tsv",
    "classify_registry",
    "evaluate_demo_notes",
    "evaluate_negex",
    "explain_patient",
    "extract_file",
    "extract_notes",
    "feature_table",
    "generate_demo_data",
    "import_directory",
    "list_patients",
    "open_registry",
    "patient_record",
    "resolve_db_url",
    "score_spreadsheet",
    "write_feature_table",
    "write_scores",
]
