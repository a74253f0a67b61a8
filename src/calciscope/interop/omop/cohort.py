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
from calciscope.interop.omop.views import person_facts, person_rows, with_patient_ids

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


def _reads(catalogue: FeatureCatalogue, features: list[str] | None) -> set[str]:
    """Return the calciscope concepts whose facts the features read (all features by default)."""
    chosen = features or list(catalogue.features)
    return {name for f in chosen for name in catalogue.feature(f).derive.read_concepts}


def _feature_table(
    facts: ir.Table,
    persons: ir.Table,
    catalogue: FeatureCatalogue,
    features: list[str] | None,
    index_date: dt.date,
) -> ir.Table:
    """Return the feature table of ``person_key``-keyed facts and persons, keyed the same way."""
    table = compute_feature_table(
        facts.rename(patient_id="person_key"),
        persons.rename(patient_id="person_key"),
        index_date=index_date,
        catalogue=catalogue,
        features=features,
    )
    return table.rename(person_key="patient_id")


def screen_cdm(
    cdm: Cdm,
    concept_sets: dict[str, ConceptSet],
    *,
    index_date: dt.date | None = None,
    features: list[str] | None = None,
    catalogue: FeatureCatalogue | None = None,
) -> ir.Table:
    """Return the feature table of the CDM's persons, computed inside the CDM database.

    The query groups and joins on PERSON's integer id; the text patient id is made at the
    output. Rows are in patient id order.

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
    when = index_date or dt.date.today()
    # only the facts of the concepts the features read: other concept sets, visits and deaths
    # are not read at all
    facts = person_facts(cdm, concept_sets, _reads(extended, features))
    table = _feature_table(facts, person_rows(cdm), extended, features, when)
    return with_patient_ids(cdm, table).order_by("patient_id")


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

    ``subject_id`` is PERSON's ``person_id``. ``cohort_start_date`` is the person's first
    present event of the concept sets the feature reads (of every fact, visits included, for
    a feature that reads none); ``cohort_end_date`` is the end of the latest observation
    period (the start date when the CDM has no ``observation_period``).

    The query stays on PERSON's integer id, reads only the feature's concept sets, and
    computes the feature only for persons with such an event (no one else can be in the
    cohort).
    """
    when = index_date or dt.date.today()
    catalogue = extend_catalogue(list(concept_sets))
    facts = person_facts(cdm, concept_sets, _reads(catalogue, [feature]) or None)
    present = facts.filter(facts.status == "present")
    first = present.group_by("person_key").aggregate(start=present.effective_date.min())
    persons = person_rows(cdm).semi_join(first, "person_key")
    table = _feature_table(facts, persons, catalogue, [feature], when)
    chosen = table.filter(table[feature]).select("person_key")
    rows = chosen.inner_join(first, "person_key")
    period = cdm.table("observation_period")
    if period is not None:
        ends = period.group_by(person_key=period.person_id.cast("int64")).aggregate(
            end=period.observation_period_end_date.cast("date").max()
        )
        rows = rows.left_join(ends, "person_key")
        end = ibis.coalesce(rows.end, rows.start)
    else:
        end = rows.start
    return rows.select(
        cohort_definition_id=ibis.literal(cohort_definition_id, "int64"),
        subject_id=rows.person_key,
        cohort_start_date=rows.start,
        cohort_end_date=end,
    ).order_by("subject_id")


def write_cohort(cohort: ir.Table, path: Path) -> int:
    """Write cohort rows to a CSV file (the CDM's ``cohort`` table layout); return the row count."""
    data = cohort.to_pyarrow()
    pacsv.write_csv(data, Path(path))
    return data.num_rows
