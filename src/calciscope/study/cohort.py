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


def _seen(frame: pd.DataFrame, start: dt.date, end: dt.date, column: str) -> pd.Series:
    last = pd.to_datetime(frame[column])
    return (last >= pd.Timestamp(start)) & (last <= pd.Timestamp(end))


def source_population(frame: pd.DataFrame, study: StudyDefinition) -> pd.DataFrame:
    """Annotate every patient with ``ssc``, ``seen``, ``in_population``, ``subset``, ``overlap``.

    ``subset`` is the clinician-recorded subset (``groups.subset_by: recorded``) or the
    ``cutaneous_subset`` phenotype; a missing subset is ``unknown``. ``overlap`` follows
    ``groups.overlap_by`` (true only when known true); ``overlap_status`` is true / false / NA.
    """
    out = frame.copy()
    out["ssc"] = _ssc(out, study.population.ssc_by)
    out["seen"] = _seen(
        out, study.window_start, study.population.index_date, study.population.seen_by.column
    )
    out["in_population"] = out["ssc"] & out["seen"]
    column = (
        "subset_recorded" if study.groups.subset_by is SubsetBasis.RECORDED else "cutaneous_subset"
    )
    out["subset"] = out[column].fillna("unknown").replace({"undetermined": "unknown"})
    out["dcssc"] = out["subset"].eq("dcssc")
    # the overlap phenotypes are named after their basis (phenotypes.yaml); ``overlap`` is
    # the group (known true), ``overlap_status`` keeps unknown as unknown (Table 1, case table)
    status = out[f"ssc_myositis_overlap_{study.groups.overlap_by.value}"].astype("boolean")
    out["overlap_status"] = status
    out["overlap"] = status.fillna(False).astype(bool)
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
    #: why SSc patients are not in the source population, with counts (the flow's box)
    not_seen: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class AttritionStep:
    """One box of the flow diagram (STROBE-style).

    ``count`` with its share of the box it comes from (``parent``: an index into the steps,
    None for the box above) and of the source population; ``excluded`` lists the patients left
    out on the way into this box, by reason.
    """

    label: str
    count: int
    of_previous: float | None
    of_population: float | None
    excluded: tuple[tuple[str, int], ...] = ()
    parent: int | None = None


def not_seen_reasons(
    study: StudyDefinition, died: int, before: int, never: int
) -> tuple[tuple[str, int], ...]:
    """Label why SSc patients are not in the source population (the counts that are not 0)."""
    what = "visit" if study.population.seen_by.value == "visit" else "record"
    named = (
        ("died before the window", died),
        (f"last {what} before the window", before),
        (f"no {what} recorded", never),
    )
    return tuple((reason, n) for reason, n in named if n)


def _not_seen_reasons(cases: pd.DataFrame, study: StudyDefinition) -> tuple[tuple[str, int], ...]:
    """Why SSc patients are not in the source population: died, last seen before, never seen."""
    out = cases[cases["ssc"] & ~cases["in_population"]]
    start = pd.Timestamp(study.window_start)
    died = pd.to_datetime(out.get("death_date", pd.Series(pd.NaT, index=out.index))) < start
    last = pd.to_datetime(out[study.population.seen_by.column])
    before, never = ~died & (last < start), ~died & last.isna()
    return not_seen_reasons(study, int(died.sum()), int(before.sum()), int(never.sum()))


def attrition(
    cases: pd.DataFrame,
    study: StudyDefinition,
    target_label: str | None = None,
    counts: RegistryCounts | None = None,
) -> list[AttritionStep]:
    """Registry → SSc → source population; dcSSc → with overlap, and the cases, from it.

    Exclusions carry their reasons (not SSc; not seen in the window: died before it, last
    visit before it, no visit). dcSSc and dcSSc with overlap are subgroups of the source
    population; the cases come from the source population too, not from the overlap box,
    since a case need not have dcSSc or overlap. ``counts`` gives the first boxes and the
    reasons when ``cases`` holds the source population only (a study run in the database).
    """
    target = target_label or study.target_phenotype.replace("_", " ")
    pop = cases["in_population"]
    n_all = len(cases) if counts is None else counts.patients
    n_ssc = int(cases["ssc"].sum()) if counts is None else counts.ssc
    not_seen = _not_seen_reasons(cases, study) if counts is None else counts.not_seen
    window = (
        f"Source population: SSc seen {study.window_start:%d %b %Y}–"
        f"{study.population.index_date:%d %b %Y}"
    )
    steps: list[tuple[str, pd.Series | int, tuple[tuple[str, int], ...], int | None]] = [
        ("Patients in the registry", n_all, (), None),
        (
            f"SSc ({study.population.ssc_by.value})",
            n_ssc,
            ((f"not SSc ({study.population.ssc_by.value})", n_all - n_ssc),),
            None,
        ),
        (window, pop, not_seen, None),
        ("dcSSc", pop & cases["dcssc"], (), None),
        ("dcSSc with SSc–myositis overlap", pop & cases["dcssc"] & cases["overlap"], (), None),
        (f"Cases: {target}", cases["case"], (), 2),
    ]
    out: list[AttritionStep] = []
    n_pop = int(pop.sum())
    for i, (label, mask, excluded, parent) in enumerate(steps):
        n = mask if isinstance(mask, int) else int(mask.sum())
        previous = out[parent].count if parent is not None else (out[-1].count if out else 0)
        of_prev = n / previous if previous else None
        of_pop = n / n_pop if i >= 2 and n_pop else None
        out.append(AttritionStep(label, n, of_prev, of_pop, excluded, parent))
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
