"""OMOP CDM v5.3/v5.4: open a CDM, resolve concept sets, screen it in place, read it; write CDMs and cohorts."""

from calciscope.interop.mappings import ABSENT_VALUE_IDS, ABSENT_VALUE_NAMES
from calciscope.interop.omop.cdm import REQUIRED_TABLES, Cdm, PatientIdColumn, open_cdm
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
from calciscope.interop.omop.note_nlp import (
    MAX_CDM_ID,
    NOTE_NLP_COLUMNS,
    note_id_map,
    note_nlp_rows,
    stable_note_id,
)
from calciscope.interop.omop.reader import read_cdm
from calciscope.interop.omop.tables import CDM_TABLES, CdmExport, save_cdm, save_concept_sets
from calciscope.interop.omop.views import facts_view, patients_view, person_ids
from calciscope.interop.omop.vocabulary import load_vocabulary, parse_qualifiers, qualifier_name
from calciscope.interop.omop.writer import build_cdm

__all__ = [
    "ABSENT_VALUE_IDS",
    "ABSENT_VALUE_NAMES",
    "CDM_TABLES",
    "COHORT_COLUMNS",
    "MAX_CDM_ID",
    "NOTE_NLP_COLUMNS",
    "REQUIRED_TABLES",
    "Cdm",
    "CdmExport",
    "ConceptSet",
    "ConceptSetItem",
    "PatientIdColumn",
    "build_cdm",
    "classify_cdm",
    "cohort_table",
    "extend_catalogue",
    "facts_view",
    "load_concept_set",
    "load_vocabulary",
    "note_id_map",
    "note_nlp_rows",
    "open_cdm",
    "parse_qualifiers",
    "patients_view",
    "person_ids",
    "qualifier_name",
    "read_cdm",
    "resolve_concept_set",
    "save_cdm",
    "save_concept_sets",
    "screen_cdm",
    "stable_note_id",
    "write_cohort",
]
