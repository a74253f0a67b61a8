"""The classified table: the feature table joined with every criteria result and phenotype.

Computed in the registry's database and materialised there (``Table.cache``), or read from the
stored criteria results while they are current (:mod:`calciscope.engine.stored`); the study
(:class:`~calciscope.engine.study.StudyQuery`) adds its own columns to it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import ibis
import ibis.expr.types as ir

from calciscope.criteria import load_criteria_sets
from calciscope.engine.criteria import add_criteria_columns
from calciscope.engine.features import compute_feature_table, dated_records
from calciscope.engine.phenotype import classify_table
from calciscope.engine.staging import PostgresFactStage, stages_facts
from calciscope.engine.stored import StoredCriteria
from calciscope.model import ReviewState
from calciscope.phenotype import PhenotypeSet

__all__ = ["classified_table"]


def classified_table(
    con: Any,
    index_date: dt.date,
    states: tuple[ReviewState, ...],
    phenotypes: PhenotypeSet | None = None,
    stored: StoredCriteria | None = None,
) -> ir.Table:
    """Return the feature table joined with every criteria result and phenotype, in ``con``'s database.

    With ``stored`` (current stored results at ``index_date``), the criteria results are read
    from them, typed as the computed ones, instead of computed; the phenotypes are computed.
    """
    stage = PostgresFactStage(con) if stages_facts(con) else None
    try:
        features = compute_feature_table(
            con.table("facts"),
            con.table("patients"),
            index_date=index_date,
            review_states=states,
            records=dated_records(con),
            # PostgreSQL: the facts in an analysed temporary table (engine.staging); the same
            # table
            stage=stage,
        )
        # materialised: the staged criteria and phenotype steps read the features many times,
        # and the engines' planners do best with a plain table under the study's own steps
        features = features.cache()
    finally:
        if stage is not None:
            stage.drop()
    criteria = None
    if stored is not None:
        criteria = stored.table(_criteria_types(features.schema()))
    scored = classify_table(
        features, index_date=index_date, phenotypes=phenotypes, criteria=criteria
    )
    classified = features.join(scored, "patient_id").cache()
    features.release()
    return classified


@lru_cache(maxsize=4)
def _criteria_types(features: ir.Schema) -> ir.Schema:
    """Return the types of the criteria columns computed on a feature table of this schema.

    Building the criteria expression costs about a second of Python: once per process.
    """
    return add_criteria_columns(
        ibis.table(features, name="features"), load_criteria_sets()
    ).schema()
