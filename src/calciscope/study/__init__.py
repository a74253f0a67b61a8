"""Studies: the study definition file, the flow and the analysis of what the database returns.

No database, no web: case finding runs in the database (:mod:`calciscope.engine.study`); the
runner lives in :mod:`calciscope.api.study`.
"""

from calciscope.study.analysis import TABLE_ONE_VARIABLES, StudyAnalysis, analyse, event_times
from calciscope.study.cohort import (
    AttritionStep,
    RegistryCounts,
    at_risk_list,
    attrition,
    is_true,
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
    study_template,
    subgroup_column,
)
from calciscope.study.evidence import case_evidence, parse_provenance
from calciscope.study.headline import Headline
from calciscope.study.sensitivity import (
    MAIN_ANALYSIS,
    sensitivity_rows,
    variant_changes,
)
from calciscope.study.validation import default_study, load_study, parse_study

__all__ = [
    "DEFAULT_STUDY_FILE",
    "MAIN_ANALYSIS",
    "TABLE_ONE_VARIABLES",
    "AttritionStep",
    "Headline",
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
    "is_true",
    "load_study",
    "parse_provenance",
    "parse_study",
    "sensitivity_rows",
    "study_template",
    "subgroup_column",
    "variant_changes",
]
