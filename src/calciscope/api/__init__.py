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

__all__ = [
    "DEFAULT_DB_URL",
    "FILTER_ALIASES",
    "PatientRecord",
    "feature_table",
    "generate_demo_data",
    "import_directory",
    "list_patients",
    "open_registry",
    "patient_record",
    "resolve_db_url",
    "write_feature_table",
]
