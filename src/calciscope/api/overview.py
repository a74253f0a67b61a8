"""The registry at a glance for the dashboard: the default study's attrition and phenotype counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from calciscope.api.study import _as_study, _target_label, load_study_data
from calciscope.phenotype import PhenotypeKind, load_phenotypes
from calciscope.storage import Registry

if TYPE_CHECKING:
    from calciscope.study import StudyDefinition

__all__ = ["PhenotypeCount", "RegistryOverview", "registry_overview"]

#: Phenotypes with a few values (true/false/unknown or a category) are counted; numbers are not.
_COUNTED_KINDS = frozenset(
    {PhenotypeKind.PREDICATE, PhenotypeKind.MISMATCH, PhenotypeKind.PROMPT, PhenotypeKind.VALUE}
)


@dataclass(frozen=True)
class PhenotypeCount:
    """Patients of the source population by the value of one phenotype (confirmed facts)."""

    id: str
    label: str
    counts: dict[str, int]


@dataclass(frozen=True)
class RegistryOverview:
    """What a study (the default one unless given) finds in the registry, without a report."""

    study_title: str
    index_date: dt.date
    attrition: list[dict[str, Any]]
    phenotypes: list[PhenotypeCount]
    cases: int
    cases_suggested_only: int


def _label(value: Any) -> str:
    if value is None or value != value:  # None or NaN
        return "unknown"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower()


def _value_counts(column: pd.Series) -> dict[str, int]:
    labels = column.map(_label)
    return {str(k): int(n) for k, n in labels.value_counts().sort_index().items()}


def registry_overview(
    registry: Registry, study: StudyDefinition | Path | str | None = None
) -> RegistryOverview:
    """Return the attrition flow, case counts and phenotype counts of ``study`` on ``registry``.

    Case finding is the study's own (:func:`calciscope.study.find_cases`); nothing is written.
    Cases count confirmed facts; ``cases_suggested_only`` counts the patients who would be
    cases if their suggested facts were confirmed.
    """
    from calciscope.study import attrition, default_study, find_cases, source_population

    spec = default_study() if study is None else _as_study(study)
    # suggested facts are always read, so that cases waiting for review are counted apart
    data = load_study_data(registry, index_date=spec.population.index_date, include_suggested=True)
    cases = find_cases(source_population(data.table, spec), spec, data.suggested)
    steps = attrition(cases, spec, _target_label(spec))
    population = cases[cases["in_population"]]
    phenotypes = [
        PhenotypeCount(p.id, p.label, _value_counts(population[p.id]))
        for p in load_phenotypes().phenotypes
        if p.kind in _COUNTED_KINDS and p.id in population.columns
    ]
    return RegistryOverview(
        study_title=spec.title,
        index_date=spec.population.index_date,
        attrition=[vars(s) for s in steps],
        phenotypes=phenotypes,
        cases=int(cases["case"].sum()),
        cases_suggested_only=int(cases["case_suggested_only"].sum()),
    )
