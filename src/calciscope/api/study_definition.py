"""A study's definition as the verbs read it: its file, the columns it may name, its phenotypes.

The phenotypes are classified with the study's parameters (the at-risk prompt's look-back and
overlap definition, and each sensitivity analysis's own); :mod:`calciscope.api.study` runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from calciscope.features import load_catalogue
from calciscope.phenotype import PhenotypeSet, load_phenotypes

if TYPE_CHECKING:
    from calciscope.study import StudyDefinition

__all__ = [
    "as_study",
    "init_study_text",
    "study_columns",
    "study_phenotypes",
    "target_label",
    "variant_phenotypes",
]


def init_study_text() -> str:
    """Return the commented study template that reproduces the anchor design."""
    from calciscope.study import study_template

    return study_template()


def study_columns() -> frozenset[str]:
    """Return every feature and phenotype column a study file may name."""
    features = set(load_catalogue().features)
    phenotypes = {p.id for p in load_phenotypes().phenotypes}
    return frozenset(features | phenotypes)


def study_phenotypes(study: StudyDefinition) -> PhenotypeSet:
    """Return the phenotypes with the study's parameters: the at-risk prompt's look-back and overlap.

    The study lists the patients the ``at_risk_prompt`` phenotype is shown for, so the prompt
    is defined once (``phenotypes.yaml``) and the study only sets its parameters.
    """
    return load_phenotypes(
        **study.phenotype_parameters,
        assessment_months=study.at_risk.assessment_months,
        overlap_definition=study.groups.overlap_by.value,
        antibodies=tuple(study.groups.antibodies),
    )


def variant_phenotypes(study: StudyDefinition) -> dict[str, PhenotypeSet]:
    """Return the phenotypes of each sensitivity analysis that changes phenotype parameters."""
    return {
        spec.label: study_phenotypes(study.variant(spec))
        for spec in study.sensitivity
        if spec.phenotype_parameters
    }


def target_label(study: StudyDefinition) -> str:
    """Return the study's target phenotype as a lower-case label (for the attrition flow)."""
    labels = {p.id: p.label for p in load_phenotypes().phenotypes}
    text = labels.get(study.target_phenotype, study.target_phenotype)
    return text.split(" (")[0].lower()


def as_study(study: StudyDefinition | Path | str) -> StudyDefinition:
    """Return a study definition, loading it from its file when given a path."""
    from calciscope.study import StudyDefinition, load_study

    if isinstance(study, StudyDefinition):
        return study
    return load_study(Path(study), known_columns=study_columns())
