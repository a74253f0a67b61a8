"""Studies: the study definition file, case finding against denominators, and the analysis.

Pure: no database, no web. The runner that reads a registry lives in :mod:`calciscope.api.study`.
"""

from calciscope.study.analysis import TABLE_ONE_VARIABLES, StudyAnalysis, analyse, event_times
from calciscope.study.cohort import (
    AttritionStep,
    RegistryCounts,
    at_risk_list,
    attrition,
    find_cases,
    is_true,
    source_population,
)
from calciscope.study.definition import (
    DEFAULT_STUDY_FILE,
    OutputFormat,
    OverlapBasis,
    ReviewStates,
    SeenBy,
    SensitivitySpec,
    SscBasis,
    StandardExport,
    StudyDefinition,
    SubsetBasis,
    default_study,
    load_study,
    parse_study,
    study_template,
)
from calciscope.study.evidence import case_evidence, parse_provenance
from calciscope.study.sensitivity import (
    MAIN_ANALYSIS,
    sensitivity_rows,
    sensitivity_table,
    variant_changes,
)

__all__ = [
    "DEFAULT_STUDY_FILE",
    "MAIN_ANALYSIS",
    "TABLE_ONE_VARIABLES",
    "AttritionStep",
    "OutputFormat",
    "OverlapBasis",
    "RegistryCounts",
    "ReviewStates",
    "SeenBy",
    "SensitivitySpec",
    "SscBasis",
    "StandardExport",
    "StudyAnalysis",
    "StudyDefinition",
    "SubsetBasis",
    "analyse",
    "at_risk_list",
    "attrition",
    "case_evidence",
    "default_study",
    "event_times",
    "find_cases",
    "is_true",
    "load_study",
    "parse_provenance",
    "parse_study",
    "sensitivity_rows",
    "sensitivity_table",
    "source_population",
    "study_template",
    "variant_changes",
]
