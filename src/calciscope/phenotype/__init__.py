"""Phenotypes as data: SSc-myositis overlap, calcinosis phenotypes and the at-risk prompt.

The rules live in ``phenotypes.yaml``; :func:`evaluate_phenotypes` explains one patient and
:mod:`calciscope.engine.phenotype` compiles the same rules to Ibis.
"""

from calciscope.phenotype.definition import (
    OverlapDefinition,
    Phenotype,
    PhenotypeKind,
    PhenotypeSet,
    load_phenotypes,
    output_columns,
)
from calciscope.phenotype.evaluate import (
    DAYS_PER_YEAR,
    PhenotypeResult,
    assessment_cutoff,
    evaluate_phenotypes,
)

__all__ = [
    "DAYS_PER_YEAR",
    "OverlapDefinition",
    "Phenotype",
    "PhenotypeKind",
    "PhenotypeResult",
    "PhenotypeSet",
    "assessment_cutoff",
    "evaluate_phenotypes",
    "load_phenotypes",
    "output_columns",
]
