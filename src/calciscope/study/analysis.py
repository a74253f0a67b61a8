"""The numbers of a study: headline counts with intervals, Table 1, comparisons, time to event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calciscope.model import DAYS_PER_YEAR
from calciscope.stats import (
    CumulativeIncidenceResult,
    ProportionResult,
    TableOneResult,
    TestResult,
    Variable,
    VariableKind,
    aalen_johansen_cumulative_incidence,
    chi_square_test,
    fisher_exact_test,
    kaplan_meier,
    mann_whitney_u_test,
    proportion,
    table_one,
)
from calciscope.study.cohort import (
    AttritionStep,
    RegistryCounts,
    at_risk_list,
    attrition,
    is_true,
)
from calciscope.study.definition import StudyDefinition, subgroup_column
from calciscope.study.headline import Headline, unknown_text

__all__ = [
    "LABELS",
    "TABLE_ONE_VARIABLES",
    "StudyAnalysis",
    "analyse",
    "event_times",
    "table_one_columns",
]

#: Display names of subsets and antibodies.
LABELS = {
    "dcssc": "dcSSc",
    "lcssc": "lcSSc",
    "sine": "ssSSc (sine scleroderma)",
    "unknown": "unknown",
    "anti_scl70": "Anti-Scl70 (topoisomerase I)",
    "anti_pm_scl": "Anti-PM/Scl",
    "anti_centromere": "Anticentromere",
    "anti_rna_polymerase_iii": "Anti-RNA polymerase III",
    "anti_u1rnp": "Anti-U1RNP",
    "anti_ku": "Anti-Ku",
    "age_at_ssc_diagnosis": "Age at SSc diagnosis",
    "overlap": "SSc–myositis overlap",
    "no overlap": "No overlap",
    "overlap unknown": "Overlap unknown",
    "calcinosis_any_by_subset": "Calcinosis (any) across cutaneous subsets",
}

#: Table 1 rows (antibodies of the study are added after these).
TABLE_ONE_VARIABLES = (
    Variable("sex", "Sex", VariableKind.CATEGORICAL),
    Variable("age_at_ssc_diagnosis", "Age at SSc diagnosis, years", VariableKind.CONTINUOUS),
    Variable("subset_label", "Cutaneous subset", VariableKind.CATEGORICAL),
    Variable("overlap_status", "SSc–myositis overlap", VariableKind.BOOLEAN),
    Variable("interstitial_lung_disease", "Interstitial lung disease", VariableKind.BOOLEAN),
    Variable("calcinosis_any", "Calcinosis (any)", VariableKind.BOOLEAN),
    Variable("disease_years", "Years since SSc onset at index date", VariableKind.CONTINUOUS),
    Variable("death", "Died", VariableKind.BOOLEAN),
)


def _subset_label(value: Any) -> str | None:
    # an unknown subset is missing in Table 1 (counted apart), not a level of the denominator
    return None if value is None or value == "unknown" else LABELS.get(value, value)


#: Table 1 variables counted from another column of the study's query, and how a value reads.
_COUNTED_AS = {
    "subset_label": ("subset", _subset_label),
    "death": ("death", lambda v: v is not None and bool(v)),  # no death recorded: alive
}


def table_one_columns(study: StudyDefinition) -> tuple[str, ...]:
    """Return the columns whose values Table 1 counts in the database (its n (%) and missing)."""
    counted = [v for v in TABLE_ONE_VARIABLES if v.kind is not VariableKind.CONTINUOUS]
    return (*(_COUNTED_AS.get(v.column, (v.column,))[0] for v in counted), *study.groups.antibodies)


def _table_one_counts(counts: RegistryCounts) -> dict[str, dict[str, dict[Any, int]]]:
    """Return Table 1's counts by column (Overall, Cases, Rest) and variable, from the database's."""
    read = {source: (column, how) for column, (source, how) in _COUNTED_AS.items()}
    out: dict[str, dict[str, dict[Any, int]]] = {}
    for (source, case), levels in counts.levels.items():
        column, how = read.get(source, (source, lambda v: v))
        for part in ("Overall", "Cases" if case else "Rest of source population"):
            cell = out.setdefault(part, {}).setdefault(column, {})
            for value, n in levels.items():
                cell[how(value)] = cell.get(how(value), 0) + n
    return out


@dataclass(frozen=True)
class StudyAnalysis:
    """Everything the report shows, computed once from the annotated table."""

    study: StudyDefinition
    table: pd.DataFrame = field(repr=False)
    attrition: list[AttritionStep]
    proportions: dict[str, ProportionResult]
    table_one: TableOneResult
    comparisons: dict[str, TestResult]
    incidence: dict[str, CumulativeIncidenceResult]
    incidence_km: dict[str, CumulativeIncidenceResult]
    at_risk: pd.DataFrame = field(repr=False)
    headline: Headline
    #: patients left out of the cumulative incidence analysis, by reason (see event_times)
    incidence_excluded: dict[str, int] = field(default_factory=dict)
    #: the main analysis and each sensitivity analysis side by side (study/sensitivity.py)
    sensitivity: pd.DataFrame | None = field(default=None, repr=False)
    #: each proportion's denominator patients whose ``when`` is unknown (counted "not
    #: matching"; ``RegistryCounts.proportions_unknown``), by proportion id
    proportions_unknown: dict[str, int] = field(default_factory=dict)

    def proportion_unknown_text(self, proportion_id: str) -> str:
        """Return "subset unknown for 19" for a proportion, or "" when none is unknown."""
        spec = next(p for p in self.study.proportions if p.id == proportion_id)
        return unknown_text(tuple(spec.when), self.proportions_unknown.get(proportion_id, 0))

    @property
    def population(self) -> pd.DataFrame:
        """The source population rows."""
        return self.table[self.table["in_population"]]

    @property
    def cases(self) -> pd.DataFrame:
        """The case rows (confirmed facts)."""
        return self.table[self.table["case"]]


def _years(end: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(end) - pd.to_datetime(start)).dt.days / DAYS_PER_YEAR


def event_times(pop: pd.DataFrame, study: StudyDefinition) -> pd.DataFrame:
    """Entry, exit (years from origin) and event code: 1 calcinosis, 2 death first, 0 censored.

    The registry cohort is prevalent: patients are seen years after SSc onset, so follow-up
    starts at ``time_to_event.entry`` (delayed entry, left truncation), and a patient is in the
    risk set only from then on. Patients are censored at ``time_to_event.censor_at`` (by
    default the last calcinosis assessment: a later visit without one says nothing about
    calcinosis). Death before calcinosis is a competing event. Patients who cannot contribute
    follow-up are left out, and ``frame.attrs["excluded"]`` counts them by reason: no origin
    date, no entry date, never assessed, and an event, death or last assessment at or before
    entry (calcinosis already present at entry is prevalent, not incident).
    """
    spec = study.time_to_event
    origin = pop[spec.origin]
    to_event = _years(pop[spec.event], origin)
    to_death = _years(pop["death_date"], origin)
    to_censor = _years(pop[spec.censor_at], origin)
    entry = (
        pd.Series(0.0, index=pop.index)
        if spec.entry is None
        else _years(pop[spec.entry], origin).clip(lower=0)
    )
    code = np.where(to_event.notna(), 1, np.where(to_death.notna(), 2, 0))
    exit_ = pd.Series(
        np.where(code == 1, to_event, np.where(code == 2, to_death, to_censor)), index=pop.index
    )
    reasons = {
        "no origin date": origin.isna(),
        "no entry date": entry.isna(),
        "never assessed for calcinosis": exit_.isna(),
        "calcinosis before entry": (code == 1) & (exit_ <= entry),
        "died before entry": (code == 2) & (exit_ <= entry),
        "last assessment before entry": (code == 0) & (exit_ <= entry),
    }
    kept = pd.Series(True, index=pop.index)
    excluded = {}
    for reason, mask in reasons.items():
        hit = kept & mask.fillna(False).to_numpy()
        excluded[reason] = int(hit.sum())
        kept &= ~hit
    frame = pd.DataFrame(
        {
            "entry": entry[kept],
            "duration": exit_[kept],
            "event": code[kept.to_numpy()],
            "subset": pop.loc[kept, "subset"],
            "overlap": _overlap_groups(pop.loc[kept, "overlap_status"]),
        },
        index=pop.index[kept],
    )
    frame.attrs["excluded"] = {k: v for k, v in excluded.items() if v}
    return frame


def _overlap_groups(status: pd.Series) -> np.ndarray:
    """Overlap known true, known false, or unknown: unknown is its own group, never "no"."""
    known = status.notna().to_numpy()
    true = status.fillna(False).astype(bool).to_numpy()
    return np.where(true, "overlap", np.where(known, "no overlap", "overlap unknown"))


def _proportions(counts: RegistryCounts, study: StudyDefinition) -> dict[str, ProportionResult]:
    """Return the study file's proportions (``proportions``) from the database's counts."""
    s = study.statistics
    return {
        k: proportion(count, total, interval=s.interval, level=s.confidence_level)
        for k, (count, total) in counts.proportions.items()
    }


def _not_tested(method: str, n_cases: int, minimum: int, counts: dict[str, int]) -> TestResult:
    """Return a comparison described, not tested: too few cases for a p value to mean much."""
    note = (
        f"not tested: {n_cases} cases, fewer than {minimum} (statistics.min_group_for_tests); "
        "counts shown"
    )
    return TestResult(method, pd.DataFrame([counts]), note)


def _comparisons(pop: pd.DataFrame, study: StudyDefinition) -> dict[str, TestResult]:
    case = pop["case"]
    n_cases, minimum = int(case.sum()), study.statistics.min_group_for_tests
    tested = n_cases >= minimum
    out = {}
    for ab in study.groups.antibodies:
        known = pop[ab].notna()
        pos = is_true(pop[ab])
        table = [
            [int((case & known & pos).sum()), int((case & known & ~pos).sum())],
            [int((~case & known & pos).sum()), int((~case & known & ~pos).sum())],
        ]
        counts = {
            "cases_positive": table[0][0],
            "cases_known": table[0][0] + table[0][1],
            "rest_positive": table[1][0],
            "rest_known": table[1][0] + table[1][1],
        }
        out[ab] = (
            fisher_exact_test(table, level=study.statistics.confidence_level)
            if tested
            else _not_tested("Fisher exact test", n_cases, minimum, counts)
        )
    assessed = pop[pop["calcinosis_any"].notna() & pop["subset"].ne("unknown")]
    crosstab = pd.crosstab(assessed["subset"], is_true(assessed["calcinosis_any"]))
    if crosstab.shape[0] > 1 and crosstab.shape[1] > 1:
        out["calcinosis_any_by_subset"] = chi_square_test(crosstab.to_numpy().tolist())
    ages = pop["age_at_ssc_diagnosis"]
    out["age_at_ssc_diagnosis"] = (
        mann_whitney_u_test(ages[case].tolist(), ages[~case].tolist())
        if tested
        else _not_tested(
            "Mann–Whitney U test",
            n_cases,
            minimum,
            {
                "cases_known": int(ages[case].notna().sum()),
                "rest_known": int(ages[~case].notna().sum()),
            },
        )
    )
    return out


def _incidence(times: pd.DataFrame, study: StudyDefinition) -> tuple[dict, dict]:
    at = study.time_to_event.at_risk_times
    aj, km = {}, {}
    for by in ("subset", "overlap"):
        aj[by] = aalen_johansen_cumulative_incidence(
            times["duration"], times["event"], entry=times["entry"], groups=times[by], times=at
        )
        km[by] = kaplan_meier(
            times["duration"],
            times["event"] == 1,
            entry=times["entry"],
            groups=times[by],
            times=at,
            cumulative_incidence=True,
        )
    return aj, km


def _range(values: pd.Series, digits: int = 1) -> dict[str, float | None]:
    v = values.dropna()
    if v.empty:
        return {"min": None, "max": None}
    return {"min": round(float(v.min()), digits), "max": round(float(v.max()), digits)}


def _headline(
    table: pd.DataFrame,
    props: dict[str, ProportionResult],
    study: StudyDefinition,
    counts: RegistryCounts,
    at_risk_prompts: int,
) -> Headline:
    cases = table[table["case"]]
    found = table[table["case"] | table["case_suggested_only"]]  # confirmed + awaiting review
    h = study.headline
    shown = next(p for p in study.proportions if p.id == h.proportion)
    return Headline(
        synthetic=counts.synthetic and counts.patients > 0,
        synthetic_patients=counts.synthetic_patients,
        index_date=study.population.index_date,
        window_start=study.window_start,
        ssc_by=study.population.ssc_by.value,
        source_population=counts.source_population,
        proportion_id=h.proportion,
        proportion=props[h.proportion],
        proportion_unknown=counts.proportions_unknown.get(h.proportion, 0),
        proportion_unknown_in=tuple(shown.when),
        target_phenotype=study.target_phenotype,
        cases=len(cases),
        cases_suggested_only=int(table["case_suggested_only"].sum()),
        cases_with_suggested=len(found),
        focus=h.focus,
        cases_with_suggested_in_focus=int(found[subgroup_column(h.focus)].sum()),
        cases_in={g: int(cases[subgroup_column(g)].sum()) for g in h.cases_in},
        overlap_by=study.groups.overlap_by.value,
        age_at_ssc_diagnosis=_range(cases["age_at_ssc_diagnosis"], 0),
        women=int(cases["sex"].eq("female").sum()),
        men=int(cases["sex"].eq("male").sum()),
        antibodies_positive={ab: int(is_true(cases[ab]).sum()) for ab in study.groups.antibodies},
        calcinosis_onset_years=_range(cases["calcinosis_onset_years"], 1),
        at_risk_prompts=at_risk_prompts,
    )


def analyse(
    table: pd.DataFrame,
    study: StudyDefinition,
    *,
    target_label: str | None = None,
    counts: RegistryCounts,
) -> StudyAnalysis:
    """Compute every number of the report from what the study's database query returned.

    ``table`` holds the source population's rows (the columns of
    :meth:`~calciscope.engine.study.StudyQuery.analysis_columns`); ``counts`` the counts
    computed in the database (the flow and the proportions).
    """
    # shallow copies: the added columns are new arrays, the rows' values are not copied (at a
    # million patients each deep copy of the source population would be hundreds of MB)
    table = table.copy(deep=False)
    table["disease_years"] = _years(
        pd.Series(pd.Timestamp(study.population.index_date), index=table.index),
        table["ssc_onset_date"],
    )
    table["death"] = is_true(table["death"])  # no death recorded: alive at last visit
    table["subset_label"] = table["subset"].map(_subset_label)
    inside = table["in_population"].to_numpy(dtype=bool)
    pop = (table if inside.all() else table[inside]).copy(deep=False)
    pop["group"] = np.where(pop["case"], "Cases", "Rest of source population")
    variables = list(TABLE_ONE_VARIABLES) + [
        Variable(ab, LABELS.get(ab, ab), VariableKind.BOOLEAN) for ab in study.groups.antibodies
    ]
    props = _proportions(counts, study)
    times = event_times(pop, study)
    aj, km = _incidence(times, study)
    risk = at_risk_list(table, study)
    headline = _headline(table, props, study, counts, len(risk))
    return StudyAnalysis(
        study,
        table,
        attrition(counts, study, target_label),
        props,
        table_one(pop, variables, group="group", counts=_table_one_counts(counts)),
        _comparisons(pop, study),
        aj,
        km,
        risk,
        headline,
        incidence_excluded=times.attrs["excluded"],
        proportions_unknown=dict(counts.proportions_unknown),
    )
