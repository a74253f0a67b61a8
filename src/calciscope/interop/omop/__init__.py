"""OMOP CDM v5.3/v5.4: open a CDM, resolve OHDSI concept sets, screen it in place, write cohorts."""

from calciscope.interop.omop.cdm import REQUIRED_TABLES, Cdm, open_cdm
from calciscope.interop.omop.cohort import (
    COHORT_COLUMNS,
    classify_cdm,
    cohort_table,
    extend_catalogue,
    screen_cdm,
    write_cohort,
)
from calciscope.interop.omop.conceptset import (
    ConceptSet,
    ConceptSetItem,
    load_concept_set,
    resolve_concept_set,
)
from calciscope.interop.omop.note_nlp import NOTE_NLP_COLUMNS, note_nlp_rows, stable_note_id
from calciscope.interop.omop.views import (
    ABSENT_VALUE_IDS,
    ABSENT_VALUE_NAMES,
    facts_view,
    patients_view,
)

__all__ = [
    "ABSENT_VALUE_IDS",
    "ABSENT_VALUE_NAMES",
    "COHORT_COLUMNS",
    "NOTE_NLP_COLUMNS",
    "REQUIRED_TABLES",
    "Cdm",
    "ConceptSet",
    "ConceptSetItem",
    "classify_cdm",
    "cohort_table",
    "extend_catalogue",
    "facts_view",
    "load_concept_set",
    "note_nlp_rows",
    "open_cdm",
    "patients_view",
    "resolve_concept_set",
    "screen_cdm",
    "stable_note_id",
    "write_cohort",
]
