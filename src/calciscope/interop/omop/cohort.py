"""Screen a CDM: feature table inside the CDM database, and the OHDSI ``cohort`` table.

Concept sets are keyed by calciscope concept names. A name the catalogue does not know (for
example ``rheumatoid_arthritis``) is added for this screen as a concept with a status feature
of the same name, so any OHDSI concept set can define a feature.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow.csv as pacsv

from calciscope.engine import compute_feature_table
from calciscope.engine.phenotype import classify_table
from calciscope.features import (
    Concept,
    Derivation,
    DerivationKind,
    Feature,
    FeatureCatalogue,
    FeatureType,
    load_catalogue,
)
from calciscope.interop.omop.cdm import Cdm
from calciscope.interop.omop.conceptset import ConceptSet
from calciscope.interop.omop.views import facts_view, patients_view

__all__ = [
    "COHORT_COLUMNS",
    "classify_cdm",
    "cohort_table",
    "extend_catalogue",
    "screen_cdm",
    "write_cohort",
]

#: Columns of the OHDSI cohort table.
COHORT_COLUMNS = ("cohort_definition_id", "subject_id", "cohort_start_date", "cohort_end_date")


def extend_catalogue(
    names: list[str], catalogue: FeatureCatalogue | None = None
) -> FeatureCatalogue:
    """Return the catalogue with a concept and a status feature for each unknown concept name."""
    catalogue = catalogue or load_catalogue()
    new = [n for n in names if n not in catalogue.concepts]
    if not new:
        return catalogue
    return catalogue.extended(
        [Concept(n, n.replace("_", " "), (("calciscope", n),)) for n in new],
        [
            Feature(
                n,
                FeatureType.BOOLEAN,
                f"{n.replace('_', ' ')} (OMOP concept set)",
                Derivation(DerivationKind.STATUS, (n,)),
            )
            for n in new
            if n not in catalogue.features
        ],
    )


def screen_cdm(
    cdm: Cdm,
    concept_sets: dict[str, ConceptSet],
    *,
    index_date: dt.date | None = None,
    features: list[str] | None = None,
    catalogue: FeatureCatalogue | None = None,
) -> ir.Table:
    """Return the feature table of the CDM's persons, computed inside the CDM database.

    Parameters
    ----------
    cdm
        The opened CDM.
    concept_sets
        calciscope concept name → OHDSI concept set.
    index_date
        Events after it are ignored; today by default.
    features
        Only these features (by default: all catalogue features).
    catalogue
        The feature catalogue (the packaged one, extended with unknown concept names).
    """
    extended = extend_catalogue(list(concept_sets), catalogue)
    return compute_feature_table(
        facts_view(cdm, concept_sets),
        patients_view(cdm),
        index_date=index_date or dt.date.today(),
        catalogue=extended,
        features=features,
    )


def classify_cdm(
    cdm: Cdm, concept_sets: dict[str, ConceptSet], *, index_date: dt.date | None = None
) -> ir.Table:
    """Return every criteria-set result and phenotype for the CDM's persons, computed in its database.

    The packaged criteria sets and phenotypes run on the feature table of :func:`screen_cdm`;
    features no concept set feeds are unknown, so criteria report their undecided bounds.
    """
    when = index_date or dt.date.today()
    return classify_table(screen_cdm(cdm, concept_sets, index_date=when), index_date=when)


def cohort_table(
    cdm: Cdm,
    concept_sets: dict[str, ConceptSet],
    feature: str,
    *,
    cohort_definition_id: int,
    index_date: dt.date | None = None,
) -> ir.Table:
    """Return the OHDSI cohort rows of persons whose feature is true.

    ``cohort_start_date`` is the person's first event of the feature's concept sets;
    ``cohort_end_date`` is the end of the latest observation period (the start date when
    the CDM has no ``observation_period``).
    """
    table = screen_cdm(cdm, concept_sets, index_date=index_date, features=[feature])
    chosen = table.filter(table[feature]).select("patient_id")
    facts = facts_view(cdm, concept_sets)
    first = (
        facts.filter(facts.status == "present")
        .group_by("patient_id")
        .aggregate(start=facts.effective_date.min())
    )
    rows = chosen.inner_join(first, "patient_id")
    period = cdm.table("observation_period")
    if period is not None:
        ends = period.group_by(pid=period.person_id.cast("string")).aggregate(
            end=period.observation_period_end_date.cast("date").max()
        )
        rows = rows.left_join(ends, rows.patient_id == ends.pid)
        end = ibis.coalesce(rows.end, rows.start)
    else:
        end = rows.start
    return rows.select(
        cohort_definition_id=ibis.literal(cohort_definition_id, "int64"),
        subject_id=rows.patient_id.cast("int64"),
        cohort_start_date=rows.start,
        cohort_end_date=end,
    ).order_by("subject_id")


def write_cohort(cohort: ir.Table, path: Path) -> int:
    """Write cohort rows to a CSV file (the CDM's ``cohort`` table layout); return the row count."""
    data = cohort.to_pyarrow()
    pacsv.write_csv(data, Path(path))
    return data.num_rows
