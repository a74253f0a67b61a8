"""The study's flow and at-risk list, from what the database computed.

Who is in the source population, in which group and a case is decided once, in the database
(:meth:`calciscope.engine.study.StudyQuery.annotate`); this module labels the counts that come
back (:class:`RegistryCounts`) as the flow diagram's boxes and lists the at-risk prompts of
the source population's rows.

References
----------
Achieng S, Harris J, Samaranayaka M, Herrick AL. A rare form of calcinosis in patients with
systemic sclerosis-myositis overlap: report of four cases. Rheumatol Adv Pract 2024;8:rkae011.
DOI 10.1093/rap/rkae011.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from calciscope.phenotype import load_phenotypes
from calciscope.study.definition import StudyDefinition

__all__ = [
    "AttritionStep",
    "RegistryCounts",
    "at_risk_list",
    "attrition",
    "is_true",
    "not_seen_reasons",
]

#: The at-risk prompt phenotype of ``phenotypes.yaml``.
_PROMPT = "at_risk_prompt"


def is_true(series: pd.Series) -> pd.Series:
    """Return True where the three-valued value is true (unknown counts as not true)."""
    return series.astype("boolean").fillna(False).astype(bool)


@dataclass(frozen=True)
class RegistryCounts:
    """What the study counts in the database: the flow's boxes and the proportions' numerators.

    Computed by :meth:`calciscope.engine.study.StudyQuery.counts` over every patient of the
    registry; only these numbers come back, not the patients' rows.
    """

    patients: int
    ssc: int
    synthetic: bool
    #: why SSc patients are not in the source population, with counts (the flow's box)
    not_seen: tuple[tuple[str, int], ...]
    source_population: int
    cases: int
    #: cases found only when suggested (unreviewed) facts count too
    cases_suggested_only: int
    #: the registry's SYNTHETIC patients (``patients.synthetic``), all or some
    synthetic_patients: int = 0
    #: the study file's subgroups (``flow.subgroups``) by id
    subgroups: dict[str, int] = field(default_factory=dict)
    #: the study file's proportions by id: (numerator, denominator)
    proportions: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: of each proportion's denominator, the patients with an unknown value (null or
    #: ``"unknown"``) in a column its ``when`` names: counted "not matching", said apart
    proportions_unknown: dict[str, int] = field(default_factory=dict)
    #: Table 1: the source population's patients by (column, case) and value (None: unknown)
    levels: dict[tuple[str, bool], dict[Any, int]] = field(default_factory=dict)


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

    def shown_share(self) -> tuple[float, str] | None:
        """Return the share a flow box shows, with what it is of: ``"population"`` or ``"previous"``.

        From the source population on, a share of it (below 100%; the cases come from it, not
        from the box above them); above it, of the box above; the source population itself
        shows none.
        """
        if self.of_population is not None:
            return (self.of_population, "population") if self.of_population < 1 else None
        return None if self.of_previous is None else (self.of_previous, "previous")


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


def attrition(
    counts: RegistryCounts, study: StudyDefinition, target_label: str | None = None
) -> list[AttritionStep]:
    """Registry → SSc → source population → the study file's flow boxes; the cases from it.

    Exclusions carry their reasons (not SSc; not seen in the window: died before it, last
    visit before it, no visit). The boxes (``flow.subgroups``, e.g. dcSSc → dcSSc with
    overlap) are a chain below the source population; the cases come from the source
    population too, not from the last box, since a case need not belong to it.
    """
    target = target_label or study.target_phenotype.replace("_", " ")
    c, ssc_by = counts, study.population.ssc_by.value
    window = (
        f"Source population: SSc seen {study.window_start:%d %b %Y}–"
        f"{study.population.index_date:%d %b %Y}"
    )
    steps: list[tuple[str, int, tuple[tuple[str, int], ...], int | None]] = [
        ("Patients in the registry", c.patients, (), None),
        (f"SSc ({ssc_by})", c.ssc, ((f"not SSc ({ssc_by})", c.patients - c.ssc),), None),
        (window, c.source_population, c.not_seen, None),
        *((g.label, c.subgroups[g.id], (), None) for g in study.flow.boxes),
        (f"Cases: {target}", c.cases, (), 2),
    ]
    out: list[AttritionStep] = []
    for i, (label, n, excluded, parent) in enumerate(steps):
        previous = out[parent].count if parent is not None else (out[-1].count if out else 0)
        of_prev = n / previous if previous else None
        of_pop = n / c.source_population if i >= 2 and c.source_population else None
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
