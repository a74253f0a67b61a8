"""Sensitivity analyses: the case count and how many are in the focus subgroup under each variant.

The variants are data (``sensitivity`` in the study file). A variant that changes phenotype
parameters is classified again by the one evaluator; each variant's source population and
cases come from its own query (:meth:`calciscope.engine.study.StudyQuery.variant`).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from calciscope.study.definition import SensitivitySpec, StudyDefinition, subgroup_column

__all__ = ["MAIN_ANALYSIS", "sensitivity_rows", "variant_changes"]

#: The label of the main analysis row.
MAIN_ANALYSIS = "Main analysis"


def variant_changes(spec: SensitivitySpec) -> str:
    """Say in words what a variant changes."""
    parts = [f"{k} = {v}" for k, v in spec.phenotype_parameters.items()]
    if spec.count_suggested:
        parts.append("cases from confirmed and suggested (unreviewed) facts")
    if spec.seen_by is not None:
        parts.append(f"seen by {spec.seen_by.value.replace('_', ' ')}")
    if spec.seen_within_years is not None:
        parts.append(f"seen within {spec.seen_within_years:g} years")
    return "; ".join(parts) or "as the main analysis"


def _row(label: str, changes: str, cases: pd.DataFrame, suggested: bool, focus: str) -> dict:
    """Return one analysis's row from its case-finding table.

    ``cases`` has ``in_population``, ``case``, ``case_suggested_only`` and the focus
    subgroup's column (``headline.focus``); the source population's rows suffice.
    """
    counted = cases["case"] | (cases["case_suggested_only"] if suggested else False)
    both = counted & cases[subgroup_column(focus)]
    n, k = int(counted.sum()), int(both.sum())
    return {
        "analysis": label,
        "changes": changes,
        "source_population": int(cases["in_population"].sum()),
        "cases": n,
        f"cases_{focus}": k,
        f"all_cases_{focus}": "" if n == 0 else ("yes" if k == n else "no"),
        f"{focus}_of_cases": f"{k} of {n}",
    }


#: The case-finding table of the main analysis (None) or of a variant, and whether the
#: registry holds suggested facts (a variant counting them says so when there are none).
CasesOf = Callable[[SensitivitySpec | None], tuple[pd.DataFrame, bool]]


def sensitivity_rows(study: StudyDefinition, cases_of: CasesOf) -> pd.DataFrame:
    """Return one row per analysis: the main one, then each of ``study.sensitivity``.

    ``cases_of`` finds the cases of the main analysis or of a variant (in the database, see
    ``calciscope.api.study``); this function only counts and labels them.
    """
    main, _ = cases_of(None)
    focus = study.headline.focus
    rows = [_row(MAIN_ANALYSIS, "as defined above", main, suggested=False, focus=focus)]
    for spec in study.sensitivity:
        cases, has_suggested = cases_of(spec)
        changes = variant_changes(spec)
        if spec.count_suggested and not has_suggested:
            changes += " (no suggested facts in the registry)"
        rows.append(_row(spec.label, changes, cases, spec.count_suggested, focus))
    return pd.DataFrame(rows)
