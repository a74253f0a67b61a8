"""Write the pseudonymised export folder of a report bundle (see :mod:`calciscope.report.pseudonymise`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from calciscope.report.pseudonymise import SUPPRESSED, Pseudonymiser, suppress_small_cells
from calciscope.stats import VariableKind
from calciscope.study import StudyAnalysis
from calciscope.study.analysis import TABLE_ONE_VARIABLES

__all__ = ["count_matrix", "write_pseudonymised_export"]

_README = """Pseudonymised export of a calciscope study report.

- patient ids are replaced by pseudonyms (HMAC-SHA256 under a key that was not stored);
- every date of a patient is shifted by the same number of days (-180 to +180), so intervals
  within a patient are kept and calendar dates are not;
- registry fact ids and note ids are removed;
- in aggregate tables, counts from 1 to {limit} are shown as "{shown}", and further cells are
  suppressed (complementary suppression) wherever a row or column total would reveal them.
"""


def count_matrix(a: StudyAnalysis) -> pd.DataFrame:
    """Return Table 1 as integer counts (Cases, Rest, Overall) for the categorical variables."""
    pop = a.population
    blocks = []
    for var in TABLE_ONE_VARIABLES:
        if var.kind is VariableKind.CONTINUOUS:
            continue
        values = (
            pop[var.column].astype(object).where(pop[var.column].notna(), "missing").astype(str)
        )
        counts = pd.crosstab(values, pop["case"]).reindex(columns=[True, False], fill_value=0)
        counts.columns = ["Cases", "Rest"]
        counts["Overall"] = counts.sum(axis=1)
        counts.index = pd.MultiIndex.from_product(
            [[var.label], counts.index], names=["Variable", "Level"]
        )
        blocks.append(counts)
    return pd.concat(blocks)


def _suppressed_table_one(a: StudyAnalysis, min_cell: int) -> pd.DataFrame:
    counts = count_matrix(a)
    parts = [suppress_small_cells(counts.loc[[v]], min_cell) for v in counts.index.unique(0)]
    if not parts:  # an empty source population
        return pd.DataFrame(columns=["Variable", "Level", "Cases", "Rest", "Overall"])
    return pd.concat(parts).reset_index()


def _headline(h: dict[str, Any], min_cell: int) -> dict[str, Any]:
    shown = SUPPRESSED.replace("5", str(min_cell))

    def hide(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return value
        return shown if 0 < value < min_cell else value

    out = {
        k: hide(v)
        for k, v in h.items()
        if k not in ("age_at_ssc_diagnosis", "calcinosis_onset_years")
    }
    out["antibodies_positive"] = {k: hide(v) for k, v in h["antibodies_positive"].items()}
    return out


def write_pseudonymised_export(
    a: StudyAnalysis, tables: dict[str, pd.DataFrame], folder: Path
) -> Path:
    """Write ``folder`` with pseudonymised individual tables and suppressed aggregate tables."""
    folder.mkdir(parents=True, exist_ok=True)
    min_cell = a.study.outputs.min_cell
    pseudo = Pseudonymiser()
    cases = pseudo.frame(tables["cases"], ())
    evidence = tables["case_evidence"].drop(columns=["fact_id", "provenance"], errors="ignore")
    evidence = pseudo.frame(evidence, ("date",)) if len(evidence) else evidence
    at_risk = pseudo.frame(tables["at_risk_prompts"], ("last_assessment",))
    attrition = tables["attrition"][["step", "n"]].set_index("step")
    outputs = {
        "cases": cases,
        "case_evidence": evidence,
        "at_risk_prompts": at_risk,
        "table1_counts": _suppressed_table_one(a, min_cell),
        "attrition": suppress_small_cells(attrition, min_cell).reset_index(),
    }
    for name, frame in outputs.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    headline = _headline(a.headline, min_cell)
    (folder / "results.json").write_text(
        json.dumps({"headline": headline}, indent=1, default=str), encoding="utf-8"
    )
    shown = SUPPRESSED.replace("5", str(min_cell))
    (folder / "README.txt").write_text(
        _README.format(limit=min_cell - 1, shown=shown), encoding="utf-8"
    )
    return folder
