"""Evaluate criteria sets for one patient (the explanation path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from calciscope.criteria.definition import CriteriaSet, RegionCriteriaSet, SiteSumCriteriaSet
from calciscope.criteria.loader import load_criteria_sets
from calciscope.criteria.results import CriteriaResult
from calciscope.criteria.skin import evaluate_regions, evaluate_site_sum
from calciscope.criteria.weighted import evaluate_weighted

__all__ = ["evaluate_patient", "evaluate_set", "flat_outputs"]


def evaluate_set(
    cset: CriteriaSet, row: Mapping[str, Any], *, min_probability: float | None = None
) -> CriteriaResult:
    """Evaluate one criteria set for one patient.

    Parameters
    ----------
    cset
        A loaded criteria set.
    row
        Feature name → value; a missing key, None, NaN or NaT means unknown.
    min_probability
        Minimum probability for "classified" in sets with a probability model.
    """
    if isinstance(cset, RegionCriteriaSet):
        return evaluate_regions(cset, row)
    if isinstance(cset, SiteSumCriteriaSet):
        return evaluate_site_sum(cset, row)
    return evaluate_weighted(cset, row, min_probability=min_probability)


def evaluate_patient(
    row: Mapping[str, Any],
    sets: Sequence[CriteriaSet] | None = None,
    *,
    min_probability: float | None = None,
) -> tuple[CriteriaResult, ...]:
    """Evaluate several criteria sets (all packaged ones by default) for one patient."""
    chosen = load_criteria_sets() if sets is None else sets
    return tuple(evaluate_set(c, row, min_probability=min_probability) for c in chosen)


def flat_outputs(results: Sequence[CriteriaResult]) -> dict[str, Any]:
    """Merge the flat output columns of several results (as the engine's columns)."""
    merged: dict[str, Any] = {}
    for result in results:
        merged |= result.outputs
    return merged
