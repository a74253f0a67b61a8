"""Classification criteria as data: the set files, the predicate language and the result objects.

Criteria are evaluated in one place only, :mod:`calciscope.engine.criteria`, which compiles the
:mod:`calciscope.criteria.definition` objects to Ibis (for the whole registry, a spreadsheet or
one patient's explanation).
"""

from calciscope.criteria.definition import (
    SET_FILES,
    CriteriaSet,
    CriteriaSetKind,
    ProbabilityModel,
    RegionCriteriaSet,
    SiteSumCriteriaSet,
    WeightedCriteriaSet,
    load_criteria_set,
    load_criteria_sets,
)
from calciscope.criteria.expression import Predicate, clean_value, parse_predicate
from calciscope.criteria.results import (
    CriteriaResult,
    CriteriaStatus,
    IimCategory,
    IimSubgroup,
    ItemExplanation,
    ItemState,
    ResultStatus,
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
    "ItemExplanation",
    "ItemState",
    "Predicate",
    "ProbabilityModel",
    "RegionCriteriaSet",
    "ResultStatus",
    "SiteSumCriteriaSet",
    "SkinScoreStatus",
    "WeightedCriteriaSet",
    "clean_value",
    "load_criteria_set",
    "load_criteria_sets",
    "parse_predicate",
]
