"""Classification criteria as data: loading the set files and explaining one patient.

The vectorised twin of this package lives in :mod:`calciscope.engine.criteria`; both read the
same :mod:`calciscope.criteria.definition` objects.
"""

from calciscope.criteria.definition import (
    CriteriaSet,
    CriteriaSetKind,
    ProbabilityModel,
    RegionCriteriaSet,
    SiteSumCriteriaSet,
    WeightedCriteriaSet,
)
from calciscope.criteria.evaluate import evaluate_patient, evaluate_set, flat_outputs
from calciscope.criteria.expression import Predicate, clean_value, parse_predicate
from calciscope.criteria.loader import SET_FILES, load_criteria_set, load_criteria_sets
from calciscope.criteria.results import (
    CriteriaResult,
    CriteriaStatus,
    IimCategory,
    IimSubgroup,
    IimVariant,
    ItemExplanation,
    ItemState,
    SkinScoreStatus,
)

__all__ = [
    "SET_FILES",
    "CriteriaResult",
    "CriteriaSet",
    "CriteriaSetKind",
    "CriteriaStatus",
    "IimCategory",
    "IimSubgroup",
    "IimVariant",
    "ItemExplanation",
    "ItemState",
    "Predicate",
    "ProbabilityModel",
    "RegionCriteriaSet",
    "SiteSumCriteriaSet",
    "SkinScoreStatus",
    "WeightedCriteriaSet",
    "clean_value",
    "evaluate_patient",
    "evaluate_set",
    "flat_outputs",
    "load_criteria_set",
    "load_criteria_sets",
    "parse_predicate",
]
