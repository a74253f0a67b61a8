"""Sensitivity analyses: the case count and "all dcSSc with overlap" under each variant.

The variants are data (``sensitivity`` in the study file). A variant that changes phenotype
parameters is classified again by the one evaluator (the runner passes its classified table);
a variant that counts suggested facts, or changes who is "seen", reuses the main tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from calciscope.study.cohort import find_cases, source_population
from calciscope.study.definition import SensitivitySpec, StudyDefinition

__all__ = ["MAIN_ANALYSIS", "sensitivity_row", "sensitivity_table", "variant_changes"]

#: The label of the main analysis row.
MAIN_ANALYSIS = "Main analysis"

#: One classified table (confirmed facts) and the same with suggested facts counted (or None).
Tables = tuple[pd.DataFrame, pd.DataFrame | None]


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


def _row(label: str, changes: str, study: StudyDefinition, tables: Tables, suggested: bool) -> dict:
    table, with_suggested = tables
    cases = find_cases(source_population(table, study), study, with_suggested)
    return sensitivity_row(label, changes, cases, suggested)


def sensitivity_row(label: str, changes: str, cases: pd.DataFrame, suggested: bool) -> dict:
    """Return one analysis's row from its case-finding table.

    ``cases`` has ``in_population``, ``case``, ``case_suggested_only``, ``dcssc`` and
    ``overlap``; the source population's rows suffice.
    """
    counted = cases["case"] | (cases["case_suggested_only"] if suggested else False)
    both = counted & cases["dcssc"] & cases["overlap"]
    n, k = int(counted.sum()), int(both.sum())
    return {
        "analysis": label,
        "changes": changes,
        "source_population": int(cases["in_population"].sum()),
        "cases": n,
        "cases_dcssc_with_overlap": k,
        "all_cases_dcssc_with_overlap": "" if n == 0 else ("yes" if k == n else "no"),
        "dcssc_with_overlap_of_cases": f"{k} of {n}",
    }


def sensitivity_table(
    study: StudyDefinition, main: Tables, variants: Mapping[str, Tables] | None = None
) -> pd.DataFrame:
    """Return one row per analysis: the main one, then each of ``study.sensitivity``.

    Parameters
    ----------
    study
        The study; its ``sensitivity`` list gives the variants.
    main
        The main analysis's classified tables.
    variants
        Classified tables of the variants that change phenotype parameters, by label (the
        others reuse ``main``).
    """
    rows = [_row(MAIN_ANALYSIS, "as defined above", study, main, suggested=False)]
    for spec in study.sensitivity:
        tables = (variants or {}).get(spec.label, main)
        if spec.count_suggested and tables[1] is None:
            changes = variant_changes(spec) + " (no suggested facts in the registry)"
        else:
            changes = variant_changes(spec)
        rows.append(
            _row(spec.label, changes, study.variant(spec), tables, suggested=spec.count_suggested)
        )
    return pd.DataFrame(rows)
