"""Phenotypes as data: SSc-myositis overlap, calcinosis phenotypes and the at-risk prompt.

The rules live in ``phenotypes.yaml``; :mod:`calciscope.engine.phenotype` is their only
evaluator (it compiles them to Ibis, for the whole registry or one patient's explanation).
"""

from calciscope.phenotype.definition import (
    Phenotype,
    PhenotypeKind,
    PhenotypeResult,
    PhenotypeSet,
    assessment_cutoff,
    load_phenotypes,
    output_columns,
)

__all__ = [
    "Phenotype",
    "PhenotypeKind",
    "PhenotypeResult",
    "PhenotypeSet",
    "assessment_cutoff",
    "load_phenotypes",
    "output_columns",
]
