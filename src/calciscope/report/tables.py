"""The report's tables as DataFrames (each written as CSV and JSON)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from calciscope.stats import IntervalMethod, proportion
from calciscope.study import StudyAnalysis
from calciscope.study.analysis import LABELS, TABLE_ONE_VARIABLES
from calciscope.study.definition import ProportionSpec

__all__ = [
    "HEADINGS",
    "attrition_table",
    "case_table",
    "comparison_table",
    "denominator_text",
    "evidence_table",
    "heading",
    "proportion_table",
    "sensitivity_report_table",
    "sites_by_morphology",
]


def attrition_table(a: StudyAnalysis) -> pd.DataFrame:
    """Return one row per flow-diagram box, with the box it comes from and the exclusions."""
    steps = a.attrition
    return pd.DataFrame(
        [
            {
                "step": s.label,
                "n": s.count,
                "from": "" if i == 0 else steps[i - 1 if s.parent is None else s.parent].label,
                "excluded": "; ".join(f"{reason}: {n}" for reason, n in s.excluded),
                "percent_of_previous": None
                if s.of_previous is None
                else round(100 * s.of_previous, 1),
                "percent_of_source_population": None
                if s.of_population is None
                else round(100 * s.of_population, 1),
            }
            for i, s in enumerate(steps)
        ]
    )


def yes_no_unknown(value: Any) -> str:
    """Return ``yes``, ``no`` or ``unknown`` for a three-valued (true/false/null) value."""
    if value is None or pd.isna(value):
        return "unknown"
    return "yes" if bool(value) else "no"


def _yes(value: Any) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    return "positive" if bool(value) else "negative"


#: Human headings of the report's table columns (the CSV and JSON keep the column names).
HEADINGS = {
    "unknown": "Unknown (counted as not)",
    "case": "Case",
    "patient_id": "Patient id",
    "found_with": "Found with",
    "sex": "Sex",
    "age_at_ssc_diagnosis": "Age at SSc diagnosis, years",
    "subset": "Cutaneous subset",
    "overlap": "SSc–myositis overlap",
    "overlap_by_criteria": "Overlap by criteria",
    "overlap_by_clinician": "Overlap recorded by a clinician",
    "calcinosis_years_after_ssc_onset": "Calcinosis, years after SSc onset",
    "sheet_like_regions": "Body regions with sheet-like calcinosis",
    "calcinosis_sites": "Calcinosis: body site × morphology",
    "died": "Died",
    "fact_id": "Fact id",
    "date": "Date",
    "concept": "Concept",
    "code": "Code",
    "status": "Status",
    "body_site": "Body site",
    "laterality": "Side",
    "morphology": "Morphology",
    "method": "Method",
    "source_kind": "Source",
    "review_state": "Review state",
    "provenance": "Provenance",
    "image_id": "Image id",
    "modality": "Modality",
    "image_date": "Image date",
    "reading": "Reading",
    "last_assessment": "Last radiograph or calcinosis assessment",
    "prompt": "Prompt",
    "years": "Years",
    "group": "Group",
    "denominator": "Denominator",
    "by": "By",
    "estimate_percent": "Cumulative incidence, %",
    "lower_percent": "Lower 95% limit, %",
    "upper_percent": "Upper 95% limit, %",
}


def heading(column: Any) -> str:
    """Return the human heading of a report column: never snake_case (issue 12)."""
    name = str(column)
    if name in HEADINGS or name in LABELS:
        return HEADINGS.get(name) or LABELS[name]
    if "_" not in name:
        return name
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


_MORPHOLOGY = {"sheet_like": "sheet-like", None: "morphology not recorded"}


def sites_by_morphology(facts: list[dict[str, Any]]) -> str:
    """Return a case's calcinosis as body site × morphology, from its evidence facts.

    ``forearm (left): sheet-like; thigh: nodular, sheet-like; site not recorded: nodular``:
    each site (with its side) once, in order of first record, with every morphology recorded
    there; present calcinosis facts only. Empty when none is recorded.
    """
    by_site: dict[str, set[str]] = {}
    for f in facts:
        if f.get("concept") != "calcinosis" or f.get("status") != "present":
            continue
        site = f.get("body_site") or "site not recorded"
        if f.get("laterality"):
            site = f"{site} ({f['laterality']})"
        morphology = f.get("morphology")
        by_site.setdefault(site, set()).add(_MORPHOLOGY.get(morphology, str(morphology)))
    return "; ".join(
        f"{site.replace('_', ' ')}: {', '.join(sorted(kinds))}" for site, kinds in by_site.items()
    )


def case_table(
    a: StudyAnalysis,
    names: dict[str, str],
    evidence: dict[str, list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """One row per case (confirmed, then suggested-only): the per-individual listing.

    With the cases' ``evidence`` (:func:`calciscope.study.case_evidence`), a column gives each
    case's calcinosis as body site × morphology.
    """
    rows = []
    picked = a.table[a.table["case"] | a.table["case_suggested_only"]]
    for _, r in picked.iterrows():
        row = {
            "case": names[r["patient_id"]],
            "patient_id": r["patient_id"],
            "found_with": "suggested facts only (awaiting review)"
            if r["case_suggested_only"]
            else "confirmed facts",
            "sex": r["sex"],
            "age_at_ssc_diagnosis": None
            if pd.isna(r["age_at_ssc_diagnosis"])
            else round(float(r["age_at_ssc_diagnosis"])),
            "subset": LABELS.get(r["subset"], r["subset"]),
            "overlap": yes_no_unknown(r["overlap_status"]),
            # three-valued: an overlap nobody recorded or could classify is unknown, not "no"
            "overlap_by_criteria": yes_no_unknown(r["ssc_myositis_overlap_criteria"]),
            "overlap_by_clinician": yes_no_unknown(r["ssc_myositis_overlap_clinician"]),
        }
        row |= {LABELS.get(ab, ab): _yes(r[ab]) for ab in a.study.groups.antibodies}
        onset = r["calcinosis_onset_years"]
        row["calcinosis_years_after_ssc_onset"] = None if pd.isna(onset) else round(float(onset), 1)
        row["sheet_like_regions"] = (
            None
            if pd.isna(r["calcinosis_sheet_like_regions"])
            else int(r["calcinosis_sheet_like_regions"])
        )
        if evidence is not None:
            row["calcinosis_sites"] = sites_by_morphology(evidence.get(r["patient_id"], []))
        row["died"] = yes_no_unknown(r["death"])  # analyse(): no death recorded is alive
        rows.append(row)
    return pd.DataFrame(rows)


def evidence_table(
    evidence: dict[str, list[dict[str, Any]]], names: dict[str, str]
) -> pd.DataFrame:
    """One row per evidence fact of every case."""
    rows = []
    for pid, facts in evidence.items():
        for f in facts:
            prov = f["provenance"]
            note = (
                f"note {prov['note_id']} [{prov.get('start')}:{prov.get('end')}] rule {prov.get('rule')}"
                if "note_id" in prov
                else prov.get("source", "")
            )
            rows.append(
                {"case": names[pid], "patient_id": pid}
                | {
                    k: f[k]
                    for k in (
                        "fact_id",
                        "date",
                        "concept",
                        "code",
                        "status",
                        "body_site",
                        "laterality",
                        "morphology",
                        "method",
                        "source_kind",
                        "review_state",
                    )
                }
                | {"provenance": note}
            )
    return pd.DataFrame(rows)


#: How the denominator names a column whose known values it keeps (Table 1's labels).
_KNOWN_LABELS = {v.column: v.label for v in TABLE_ONE_VARIABLES} | {
    "overlap_status": "SSc–myositis overlap status"
}


def denominator_text(a: StudyAnalysis, spec: ProportionSpec, total: int) -> str:
    """Say who a proportion's denominator counts (issue 12: tables state their denominators).

    Of the source population or a subgroup (``within``); of those with a known value of
    ``of_known`` (as Table 1 counts n (%)); otherwise every patient, unknown values included.
    """
    within = (
        "the source population" if spec.within is None else a.study.flow.subgroup(spec.within).label
    )
    if spec.of_known is None:
        return f"{total}: {within} (all, unknown values included)"
    column = spec.of_known
    known = _KNOWN_LABELS.get(column) or LABELS.get(column) or heading(column)
    if not known[1:2].isupper():  # "Calcinosis (any)" reads lower case, "SSc..." stays
        known = known[:1].lower() + known[1:]
    return f"{total}: {within}, of known {known}"


def proportion_table(a: StudyAnalysis) -> pd.DataFrame:
    """Every proportion of the study file with the study's interval, and the other interval beside it.

    Each row states its denominator (:func:`denominator_text`) and, as the headline does, how
    many of it are unknown in a column its ``when`` names (``unknown``: counted as not
    matching, so the count is of all; hardening23).
    """
    other = {
        IntervalMethod.CLOPPER_PEARSON: IntervalMethod.WILSON,
        IntervalMethod.WILSON: IntervalMethod.CLOPPER_PEARSON,
    }[a.study.statistics.interval]
    rows = []
    for spec in a.study.proportions:
        p = a.proportions[spec.id]
        alt = proportion(p.count, p.total, interval=other, level=p.level)
        rows.append(
            {"measure": spec.label, "denominator": denominator_text(a, spec, p.total)}
            | p.to_dict()["rows"][0]
            | {"text": p.text(), "other_interval": alt.text()}
            | {"unknown": a.proportions_unknown.get(spec.id, 0)}
        )
    return pd.DataFrame(rows)


def _sensitivity_headings(a: StudyAnalysis) -> dict[str, str]:
    """Human headings of the sensitivity table (study/sensitivity.py columns)."""
    h = a.study.headline
    label = a.study.focus_label
    return {
        "analysis": "Analysis",
        "changes": "What changes",
        "source_population": "Source population",
        "cases": "Cases",
        f"{h.focus}_of_cases": h.heading("cases", label),
        f"all_cases_{h.focus}": h.heading("all", label),
    }


def sensitivity_report_table(a: StudyAnalysis) -> pd.DataFrame:
    """Return the main analysis and each sensitivity analysis side by side, with human headings."""
    headings = _sensitivity_headings(a)
    if a.sensitivity is None or a.sensitivity.empty:
        return pd.DataFrame(columns=list(headings.values()))
    return a.sensitivity[list(headings)].rename(columns=headings)


def _counts_text(summary: pd.DataFrame) -> str:
    """Say the counts behind a comparison, e.g. ``cases 2/4 positive; rest 40/457``."""
    row = summary.iloc[0].to_dict() if len(summary) else {}
    if "cases_positive" in row:
        return (
            f"positive: cases {row['cases_positive']}/{row['cases_known']}, "
            f"rest {row['rest_positive']}/{row['rest_known']} (of known)"
        )
    if "cases_known" in row:
        return f"known: cases {row['cases_known']}, rest {row['rest_known']}"
    return ""


def _odds_ratio_text(t: Any) -> str:
    summary = t.summary
    if t.statistic is None or "odds_ratio_lower" not in summary:
        return ""
    lo, hi = summary.loc[0, "odds_ratio_lower"], summary.loc[0, "odds_ratio_upper"]
    return f"{t.statistic:.2f} ({lo:.2f}–{hi:.2f})"


def comparison_table(a: StudyAnalysis) -> pd.DataFrame:
    """Cases against the rest of the source population (p values only for large enough groups)."""
    rows = []
    for name, t in a.comparisons.items():
        rows.append(
            {
                "Variable": LABELS.get(name, name.replace("_", " ")),
                "Test": t.method,
                "Counts": _counts_text(t.summary),
                "Statistic": t.statistic,
                f"Odds ratio ({a.study.statistics.confidence_level:.0%} CI)": _odds_ratio_text(t),
                "P value": t.p_value,
                "Note": t.note,
            }
        )
    return pd.DataFrame(rows)
