"""Case finding against honest denominators: source population, groups, cases, attrition, at-risk.

Pure functions over the classified feature table (one row per patient: features, criteria
results and phenotypes) as a pandas DataFrame.

References
----------
Achieng S, Harris J, Samaranayaka M, Herrick AL. A rare form of calcinosis in patients with
systemic sclerosis-myositis overlap: report of four cases. Rheumatol Adv Pract 2024;8:rkae011.
DOI 10.1093/rap/rkae011.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from calciscope.phenotype import load_phenotypes
from calciscope.study.definition import (
    SscBasis,
    StudyDefinition,
    SubsetBasis,
)

__all__ = [
    "AttritionStep",
    "RegistryCounts",
    "at_risk_list",
    "attrition",
    "find_cases",
    "is_true",
    "source_population",
]

#: The at-risk prompt phenotype of ``phenotypes.yaml``.
_PROMPT = "at_risk_prompt"


def is_true(series: pd.Series) -> pd.Series:
    """Return True where the three-valued value is true (unknown counts as not true)."""
    return series.astype("boolean").fillna(False).astype(bool)


def _ssc(frame: pd.DataFrame, basis: SscBasis) -> pd.Series:
    clinician = is_true(frame["ssc_diagnosis"])
    criteria = frame["ssc2013_status"].eq("classified")
    return {
        SscBasis.CLINICIAN: clinician,
        SscBasis.CRITERIA: criteria,
        SscBasis.EITHER: clinician | criteria,
    }[basis]


def _seen(frame: pd.DataFrame, start: dt.date, end: dt.date) -> pd.Series:
    last = pd.to_datetime(frame["last_visit_date"])
    return (last >= pd.Timestamp(start)) & (last <= pd.Timestamp(end))


def source_population(frame: pd.DataFrame, study: StudyDefinition) -> pd.DataFrame:
    """Annotate every patient with ``ssc``, ``seen`` and ``in_population``, ``subset``, ``overlap``.

    ``subset`` is the clinician-recorded subset (``groups.subset_by: recorded``) or the
    ``cutaneous_subset`` phenotype; a missing subset is ``unknown``. ``overlap`` follows
    ``groups.overlap_by``.
    """
    out = frame.copy()
    out["ssc"] = _ssc(out, study.population.ssc_by)
    out["seen"] = _seen(out, study.window_start, study.population.index_date)
    out["in_population"] = out["ssc"] & out["seen"]
    column = (
        "subset_recorded" if study.groups.subset_by is SubsetBasis.RECORDED else "cutaneous_subset"
    )
    out["subset"] = out[column].fillna("unknown").replace({"undetermined": "unknown"})
    out["dcssc"] = out["subset"].eq("dcssc")
    # the overlap phenotypes are named after their basis (phenotypes.yaml)
    out["overlap"] = is_true(out[f"ssc_myositis_overlap_{study.groups.overlap_by.value}"])
    return out


def find_cases(
    population: pd.DataFrame, study: StudyDefinition, suggested: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mark ``case`` (target phenotype with confirmed facts) and ``case_suggested_only``.

    Parameters
    ----------
    population
        Output of :func:`source_population`.
    study
        The study (its ``target_phenotype``).
    suggested
        The same classified table computed with suggested facts counted too (when the study
        counts ``confirmed_and_suggested``); cases found only there are marked apart.
    """
    out = population.copy()
    target = study.target_phenotype
    out["case"] = out["in_population"] & is_true(out[target])
    out["case_suggested_only"] = False
    if suggested is not None:
        extra = suggested.set_index("patient_id")[target].reindex(out["patient_id"])
        with_suggested = is_true(pd.Series(extra.to_numpy(), index=out.index))
        out["case_suggested_only"] = out["in_population"] & with_suggested & ~out["case"]
    return out


@dataclass(frozen=True)
class RegistryCounts:
    """Counts over every patient of the registry, for when the table holds the population only.

    A study run in the database brings back only the source population's rows; the first boxes
    of the flow (patients in the registry, SSc) and whether every patient is synthetic are
    counted there.
    """

    patients: int
    ssc: int
    synthetic: bool


@dataclass(frozen=True)
class AttritionStep:
    """One box of the flow diagram: count and percentage of the step before and of the population."""

    label: str
    count: int
    of_previous: float | None
    of_population: float | None


def attrition(
    cases: pd.DataFrame,
    study: StudyDefinition,
    target_label: str | None = None,
    counts: RegistryCounts | None = None,
) -> list[AttritionStep]:
    """Registry → SSc → source population → dcSSc → dcSSc with overlap → cases.

    ``counts`` gives the first two boxes when ``cases`` holds the source population only.
    """
    target = target_label or study.target_phenotype.replace("_", " ")
    pop = cases["in_population"]
    registry = len(cases) if counts is None else counts.patients
    ssc = int(cases["ssc"].sum()) if counts is None else counts.ssc
    steps: list[tuple[str, pd.Series | int]] = [
        ("Patients in the registry", registry),
        (f"SSc ({study.population.ssc_by.value})", ssc),
        (
            f"Source population: SSc seen {study.window_start:%d %b %Y}–"
            f"{study.population.index_date:%d %b %Y}",
            pop,
        ),
        ("dcSSc", pop & cases["dcssc"]),
        ("dcSSc with SSc–myositis overlap", pop & cases["dcssc"] & cases["overlap"]),
        (f"Cases: {target}", cases["case"]),
    ]
    out: list[AttritionStep] = []
    previous: int | None = None
    n_pop = int(pop.sum())
    for i, (label, mask) in enumerate(steps):
        n = mask if isinstance(mask, int) else int(mask.sum())
        of_prev = n / previous if previous else None
        of_pop = n / n_pop if i >= 2 and n_pop else None
        out.append(AttritionStep(label, n, of_prev, of_pop))
        previous = n
    return out


def at_risk_list(cases: pd.DataFrame, study: StudyDefinition) -> pd.DataFrame:
    """List the source population patients for whom the ``at_risk_prompt`` phenotype is shown.

    The prompt (dcSSc with SSc-myositis overlap and no radiograph or calcinosis assessment in
    the look-back) is defined once, in ``phenotypes.yaml``, and classified with the study's
    parameters; this only keeps the source population and names the columns of the report.
    It is a prompt to look, never a diagnosis or a prediction; the antibodies are shown beside
    the prompt, not used to score it.
    """
    prompt = next(p for p in load_phenotypes().phenotypes if p.id == _PROMPT)
    mask = cases["in_population"] & is_true(cases[_PROMPT])
    dates = [pd.to_datetime(cases[c]) for c in prompt.sources]  # the dates it looks back at
    last = pd.concat(dates, axis=1).max(axis=1)
    out = cases.loc[mask, ["patient_id", "subset", "overlap"]].copy()
    for antibody in study.groups.antibodies:  # the prompt's `beside`, set by study_phenotypes
        out[antibody] = cases.loc[mask, f"{_PROMPT}_{antibody}"]
    out["last_assessment"] = last[mask].dt.date
    out["prompt"] = cases.loc[mask, f"{_PROMPT}_text"]
    return out.reset_index(drop=True)
