"""The registry at a glance for the dashboard: the default study's attrition and phenotype counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calciscope.api.study import study_connection
from calciscope.api.study_definition import as_study, study_phenotypes, target_label
from calciscope.api.wording import synthetic_label
from calciscope.engine.study import StudyQuery
from calciscope.phenotype import PhenotypeKind, load_phenotypes
from calciscope.storage import Registry

if TYPE_CHECKING:
    from calciscope.study import StudyDefinition

__all__ = [
    "PhenotypeCount",
    "RegistryOverview",
    "SyntheticPatients",
    "registry_overview",
    "synthetic_patients",
]

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


def registry_overview(
    registry: Registry, study: StudyDefinition | Path | str | None = None
) -> RegistryOverview:
    """Return the attrition flow, case counts and phenotype counts of ``study`` on ``registry``.

    The study's own query (:class:`~calciscope.engine.study.StudyQuery`) runs in the registry's
    database and only counts come back; nothing is written. Cases count confirmed facts;
    ``cases_suggested_only`` counts the patients who would be cases if their suggested facts
    were confirmed.
    """
    from calciscope.study import attrition, default_study

    spec = default_study() if study is None else as_study(study)
    with study_connection(registry) as con:
        # suggested facts are always read, so that cases waiting for review are counted apart
        query = StudyQuery(con, spec, study_phenotypes(spec), include_suggested=True)
        counts = query.counts()
        phenotypes = []
        for p in load_phenotypes().phenotypes:
            if p.kind in _COUNTED_KINDS and p.id in query.table.columns:
                by_value = query.value_counts(p.id)
                labels: dict[str, int] = {}
                for value, n in zip(by_value["value"], by_value["n"], strict=True):
                    labels[_label(value)] = labels.get(_label(value), 0) + int(n)
                phenotypes.append(PhenotypeCount(p.id, p.label, dict(sorted(labels.items()))))
        return RegistryOverview(
            study_title=spec.title,
            index_date=spec.population.index_date,
            attrition=[
                vars(s) | {"share": s.shown_share()}
                for s in attrition(counts, spec, target_label(spec))
            ],
            phenotypes=phenotypes,
            cases=counts.cases,
            cases_suggested_only=counts.cases_suggested_only,
        )


@dataclass(frozen=True)
class SyntheticPatients:
    """How many of the registry's patients are SYNTHETIC (the ``synthetic`` flag), of how many."""

    synthetic: int
    patients: int

    @property
    def label(self) -> str | None:
        """What a page says of it (None: no synthetic patient, nothing to say)."""
        return synthetic_label(self.synthetic, self.patients)

    @property
    def public_label(self) -> str | None:
        """What a page shown before sign-in says of it: no number (None: nothing to say)."""
        return synthetic_label(self.synthetic, self.patients, counts=False)


def synthetic_patients(registry: Registry) -> SyntheticPatients:
    """Count the registry's synthetic patients and all its patients (one query).

    The demo registry's patients are all synthetic; a hospital's are not; a registry holding
    both says how many of how many (the web app's footer).
    """
    synthetic, patients = registry.synthetic_patients()
    return SyntheticPatients(synthetic, patients)
