"""The public Python API is ``calciscope.api``; this test fails when it drifts unnoticed.

Adding or removing a verb is fine: update the list below in the same commit, and the CHANGELOG.
"""

from calciscope import api

PUBLIC = {
    # constants
    "DEFAULT_DB_URL", "DEFAULT_REPORT_DIR", "FILTER_ALIASES",
    # result and record types
    "ClassifySummary", "ExportReport", "ExtractSummary", "InteropImport", "PatientIdColumn",
    "PatientExplanation", "PatientRecord", "RegistryRecords", "ResultSource", "ScoreFormat",
    "StudyData", "StudyRun", "Headline",
    # the registry and the cohort
    "open_registry", "open_study_source", "resolve_db_url", "generate_demo_data", "import_directory", "feature_table", "feature_expression",
    "write_feature_table", "list_patients", "patient_record", "read_registry_records",
    # criteria
    "score_spreadsheet", "write_scores", "classify_registry", "explain_patient", "kept_patient_table",
    # notes
    "extract_notes", "extract_file", "assess_tsv", "evaluate_negex", "evaluate_demo_notes",
    "rtf_notes",
    # interoperability
    "import_phenopackets", "export_phenopackets", "import_fhir", "export_fhir", "import_redcap",
    "export_redcap", "redcap_template", "redcap_mapping", "pull_redcap", "import_omop", "screen_omop", "write_omop_cohort",
    "export_note_nlp", "export_omop", "concept_set_files",
    # the study
    "run_study", "run_demo", "init_study_text", "load_study_data", "study_columns", "headline_lines",
    # review, facts by hand, users and the audit log
    "AuditEntry", "Evidence", "FactRevision", "QueueKind", "ReviewConflict", "ReviewDecision",
    "ReviewItem", "ReviewRecord", "ReviewState", "Role", "User", "queue_kinds", "queue_index_date", "default_index_date",
    "AsOf", "AsOfSource", "check_index_date", "registry_as_of", "set_registry_as_of", "review_queue", "review", "is_fact_item",
    "review_items", "review_history", "add_fact", "correct_fact", "fact_history", "LabLimit", "lab_limit", "add_user",
    "get_user", "list_users", "disable_user", "end_sessions", "set_password", "change_password", "authenticate", "default_actor", "record_audit", "audit_log",
    "export_audit_log", "write_audit_csv", "review_queue_counts", "registry_changes", "RegistryChanges", "review_queue_item", "patient_features",
    "filter_patients", "QueueSource",
    # images
    "IMAGE_ROOTS_ENV", "AgreementReport", "ReadingImport", "Roi", "image_roots", "import_images",
    "import_readings", "measure_image", "reader_agreement", "resolve_image_path",
    "record_reading", "image_readings", "image_thumbnail", "load_indexed_image",
    # the dashboard
    "registry_overview", "RegistryOverview", "PhenotypeCount", "synthetic_patients",
    "SyntheticPatients",
    # the vocabulary the faces show: catalogue, criteria results, fact fields, demo size
    "load_catalogue", "CriteriaResult", "ItemState", "CODE_SYSTEMS", "BodyRegion", "Laterality",
    "Method", "Morphology", "Status", "DEFAULT_PATIENTS", "Registry", "counted",
    "number",
    # what the image viewer and reading form show
    "DemoFilms", "add_demo_radiographs", "Florence", "SctcGlobalGrade", "form_regions",
    "image_of_provenance", "indexed_image", "indexed_image_file", "indexed_image_ids",
    "image_viewer_pixels", "measure_loaded_image",
}  # fmt: skip


def test_public_api_is_what_we_document():
    assert set(api.__all__) == PUBLIC


def test_top_level_package_stays_light():
    import subprocess
    import sys

    code = "import sys, calciscope.model; print('ibis' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
