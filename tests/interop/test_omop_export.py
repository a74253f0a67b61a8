"""OMOP CDM export: the v5.4 layout of a real CDM, the absence convention, and the round trip."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.features import load_catalogue
from calciscope.interop.omop import (
    CDM_TABLES,
    PatientIdColumn,
    build_cdm,
    load_concept_set,
    load_vocabulary,
    open_cdm,
    parse_qualifiers,
    qualifier_name,
    read_cdm,
    save_cdm,
)
from calciscope.model import (
    BodyRegion,
    Fact,
    Laterality,
    Method,
    Morphology,
    Note,
    Patient,
    ReviewState,
    Sex,
    SourceKind,
    Status,
)

INDEX = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 11, 25)


def _rows(folder, table):
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_back(folder, **options):
    cdm = open_cdm(folder, patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE, **options)
    sets = {
        p.stem: load_concept_set(p, name=p.stem) for p in (folder / "concept_sets").glob("*.json")
    }
    try:
        return read_cdm(cdm, sets)
    finally:
        cdm.close()


def test_every_table_has_the_columns_of_a_real_v54_cdm(data_dir):
    """Headers equal those of Synthea27Nj (OHDSI ETL-Synthea, CDM v5.4), in order."""
    real = data_dir("omop", "synthea27nj_v5.4_csv")
    for table, columns in CDM_TABLES.items():
        with (real / f"{table.upper()}.csv").open(encoding="utf-8") as handle:
            assert tuple(handle.readline().strip().lower().split(",")) == columns, table


def _patient(pid="P1", **kw):
    return Patient(patient_id=pid, sex=Sex.FEMALE, birth_date=dt.date(1960, 5, 2), **kw)


def test_absence_qualifiers_and_what_is_not_written(tmp_path):
    day = dt.date(2020, 3, 1)
    facts = [
        Fact(patient_id="P1", system="calciscope", code="calcinosis", effective_date=day,
             body_site=BodyRegion.FOREARM, laterality=Laterality.LEFT,
             morphology=Morphology.SHEET_LIKE, method=Method.RADIOGRAPH),
        Fact(patient_id="P1", system="calciscope", code="anti_scl70", status=Status.ABSENT,
             effective_date=day),
        Fact(patient_id="P1", system="LOINC", code="2157-6", value_num=640.0, unit="U/L",
             effective_date=day),
        Fact(patient_id="P1", system="calciscope", code="visit", effective_date=day),
        Fact(patient_id="P1", system="calciscope", code="radiograph", effective_date=day,
             body_site=BodyRegion.HAND, laterality=Laterality.RIGHT),
        Fact(patient_id="P1", system="calciscope", code="ana", status=Status.UNKNOWN,
             effective_date=day),
        Fact(patient_id="P1", system="calciscope", code="raynaud_phenomenon"),
        Fact(patient_id="P1", system="calciscope", code="sclerodactyly", effective_date=day,
             review_state=ReviewState.SUGGESTED),
        Fact(patient_id="P1", system="calciscope", code="anti_pm_scl", value_text="x" * 70,
             effective_date=day),
    ]  # fmt: skip
    export = build_cdm([_patient(centre="Salford")], facts, today=TODAY)
    save_cdm(export, tmp_path)
    assert export.skipped == {
        "unknown status (OMOP has no row for unknown)": 1,
        "no date (OMOP event dates are required)": 1,
        "fact not confirmed (suggestions from notes are in NOTE_NLP)": 1,
        "value_text cut to 60 characters (observation.value_as_string)": 1,
    }
    observations = {r["observation_source_value"]: r for r in _rows(tmp_path, "observation")}
    assert observations["calciscope:anti_scl70"]["value_as_concept_id"] == "4132135"  # Absent
    assert observations["calciscope:calcinosis"]["value_as_concept_id"] == "4181412"  # Present
    concepts = {r["concept_id"]: r for r in _rows(tmp_path, "concept")}
    qualifier = concepts[observations["calciscope:calcinosis"]["qualifier_concept_id"]]
    assert qualifier["concept_name"] == (
        "body_site=forearm; laterality=left; morphology=sheet_like; method=radiograph"
    )
    assert int(qualifier["concept_id"]) > 2_000_000_000  # a local concept
    [measurement] = _rows(tmp_path, "measurement")
    assert (measurement["value_as_number"], measurement["unit_source_value"]) == ("640.0", "U/L")
    [visit] = _rows(tmp_path, "visit_occurrence")
    assert visit["visit_concept_id"] == "9202"
    [procedure] = _rows(tmp_path, "procedure_occurrence")
    assert concepts[procedure["modifier_concept_id"]]["concept_name"] == (
        "body_site=hand; laterality=right"
    )
    [person] = _rows(tmp_path, "person")
    assert (person["person_source_value"], person["gender_concept_id"]) == ("P1", "8532")
    [site] = _rows(tmp_path, "care_site")
    assert site["care_site_name"] == "Salford" and person["care_site_id"] == site["care_site_id"]

    read = _read_back(tmp_path).batch
    back = {(f.code, f.status) for f in read.facts}
    assert ("anti_scl70", Status.ABSENT) in back and ("visit", Status.PRESENT) in back
    [radiograph] = [f for f in read.facts if f.code == "radiograph"]
    assert (radiograph.body_site, radiograph.laterality) == (BodyRegion.HAND, Laterality.RIGHT)
    [calcinosis] = [f for f in read.facts if f.code == "calcinosis"]
    assert (calcinosis.body_site, calcinosis.laterality, calcinosis.morphology) == (
        BodyRegion.FOREARM, Laterality.LEFT, Morphology.SHEET_LIKE,
    )  # fmt: skip
    assert read.patients[0].centre == "Salford" and not read.patients[0].synthetic


def test_local_concept_ids_are_stable_across_exports():
    fact = Fact(patient_id="P1", system="HP", code="HP:0003761", effective_date=INDEX)
    one = build_cdm([_patient()], [fact], today=TODAY).concept_sets["calcinosis"]
    two = build_cdm([_patient("Q9")], [fact.model_copy(update={"patient_id": "Q9"})], today=TODAY)
    assert one == two.concept_sets["calcinosis"]


def test_standard_concepts_from_an_athena_vocabulary(data_dir):
    """Synthea27Nj's vocabulary holds LOINC 2157-6 (creatine kinase) as standard concept 3007220."""
    vocabulary = load_vocabulary(data_dir("omop", "synthea27nj_v5.4_csv") / "CONCEPT.csv")
    fact = Fact(
        patient_id="P1", system="LOINC", code="2157-6", value_num=90.0, effective_date=INDEX
    )
    export = build_cdm([_patient()], [fact], vocabulary=vocabulary, today=TODAY)
    assert export.tables["measurement"][0]["measurement_concept_id"] == 3007220
    items = export.concept_sets["creatine_kinase"]["items"]
    assert [i["concept"]["CONCEPT_ID"] for i in items] == [3007220]


def test_a_bad_qualifier_names_table_row_and_field_and_nothing_is_written(tmp_path):
    fact = Fact(patient_id="P1", system="calciscope", code="calcinosis", effective_date=INDEX,
                body_site=BodyRegion.HAND)  # fmt: skip
    save_cdm(build_cdm([_patient()], [fact], today=TODAY), tmp_path)
    concept = (tmp_path / "concept.csv").read_text(encoding="utf-8")
    (tmp_path / "concept.csv").write_text(concept.replace("body_site=hand", "body_site=paw"))
    registry = api.open_registry(f"sqlite:///{tmp_path}/r.db")
    with pytest.raises(ValidationError) as failure:
        api.import_omop(
            registry, tmp_path, api.concept_set_files([tmp_path / "concept_sets"]),
            patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE,
        )  # fmt: skip
    [problem] = failure.value.problems
    assert (problem.location, problem.field) == ("omop:observation/1", "body_site")
    assert registry.counts()["facts"] == 0


_CODES = sorted(
    (system, code)
    for concept in load_catalogue().concepts.values()
    for system, code in concept.codes
    if system != "calciscope" or code not in ("visit", "death")
)
_facts = st.fixed_dictionaries(
    {
        "patient_id": st.sampled_from(["A1", "B2", "C3"]),
        "status": st.sampled_from([Status.PRESENT, Status.ABSENT]),
        "effective_date": st.dates(dt.date(2000, 1, 1), dt.date(2025, 12, 31)),
        "value_num": st.one_of(st.none(), st.integers(0, 3).map(float)),
        "unit": st.one_of(st.none(), st.just("U/L")),
        "body_site": st.one_of(st.none(), st.sampled_from(list(BodyRegion))),
        "laterality": st.one_of(st.none(), st.sampled_from(list(Laterality))),
        "morphology": st.one_of(st.none(), st.sampled_from(list(Morphology))),
        "method": st.one_of(st.none(), st.sampled_from(list(Method))),
        "value_text": st.one_of(st.none(), st.sampled_from(["dcssc", "lcssc", "sine"])),
    }
)


def _key(fact):
    concepts = load_catalogue().concepts_for_code(fact.system, fact.code) or (fact.code,)
    return {
        (c, fact.patient_id, fact.status, fact.effective_date, fact.value_num,
         fact.unit if fact.value_num is not None else None, fact.value_text, fact.body_site,
         fact.laterality, fact.morphology, fact.method)
        for c in concepts
    }  # fmt: skip


@given(st.lists(st.tuples(_facts, st.sampled_from(_CODES)), min_size=1, max_size=25))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_keeps_every_confirmed_dated_fact(tmp_path_factory, drawn):
    facts = [Fact(system=system, code=code, **fields) for fields, (system, code) in drawn]
    patients = [_patient(pid, synthetic=True) for pid in ("A1", "B2", "C3")]
    folder = tmp_path_factory.mktemp("cdm")
    save_cdm(build_cdm(patients, facts, today=TODAY), folder)
    read = _read_back(folder)
    expected = set().union(*map(_key, facts))
    assert set().union(*map(_key, read.batch.facts)) == expected
    assert {p.patient_id for p in read.batch.patients} == {f.patient_id for f in facts}
    assert all(p.synthetic for p in read.batch.patients)  # cdm_source says SYNTHETIC


@pytest.fixture(scope="module")
def exported(demo_registry_url, tmp_path_factory):
    """The default SYNTHETIC demo cohort exported to a CDM folder, and read back into a registry."""
    root = tmp_path_factory.mktemp("omop-roundtrip")
    source = api.open_registry(demo_registry_url)
    report = api.export_omop(source, root / "cdm", today=TODAY)
    target = api.open_registry(f"sqlite:///{root}/back.db")
    result = api.import_omop(
        target, root / "cdm", api.concept_set_files([root / "cdm" / "concept_sets"]),
        patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE,
    )  # fmt: skip
    return source, target, report, result, root / "cdm"


def _table(registry):
    table = api.feature_table(registry, index_date=INDEX).to_pandas()
    return table.sort_values("patient_id").reset_index(drop=True)


@pytest.mark.slow
def test_default_demo_cohort_round_trip_keeps_the_feature_table(exported):
    source, target, report, result, folder = exported
    assert result.read.mapped["person"] == source.counts()["patients"]
    before, after = _table(source), _table(target)
    assert list(before.patient_id) == list(after.patient_id)
    assert [
        c for c in before.columns if not before[c].astype(str).equals(after[c].astype(str))
    ] == []
    assert target.counts()["notes"] == source.counts()["notes"]
    assert report.skipped == {
        "image (OMOP CDM v5.4 has no table for images)": source.counts()["images"]
    }
    assert after.synthetic.all()
    cdm_source = _rows(folder, "cdm_source")[0]
    assert cdm_source["source_description"].startswith("SYNTHETIC DATA")
    assert json.loads((folder / "concept_sets" / "calcinosis.json").read_text())["items"]


def test_note_nlp_rows_for_suggested_facts_from_notes():
    note = Note(note_id="N1", patient_id="P1", text="Sheet-like calcinosis of the forearm.")
    provenance = json.dumps(
        {"note_id": "N1", "start": 0, "end": 21, "text": "Sheet-like calcinosis"}
    )
    fact = Fact(patient_id="P1", system="calciscope", code="calcinosis", effective_date=INDEX,
                source_kind=SourceKind.NOTE, provenance=provenance,
                review_state=ReviewState.SUGGESTED)  # fmt: skip
    export = build_cdm([_patient()], [fact], [note], today=TODAY)
    [row] = export.tables["note_nlp"]
    assert row["lexical_variant"] == "Sheet-like calcinosis" and row["term_exists"] == "Y"
    assert export.tables["note"][0]["note_source_value"] == "N1"
    assert not export.tables["observation"]  # a suggestion is not an event


def test_cli_exports_and_reads_back(exported, tmp_path):
    from typer.testing import CliRunner

    from calciscope.cli.app import app

    source, *_ = exported
    out, db = tmp_path / "cdm", f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    written = runner.invoke(
        app, ["export", "omop", str(out), "--db", source.url, "--patient", "P0001"]
    )
    assert written.exit_code == 0, written.output
    assert (out / "person.csv").exists() and (out / "concept_sets").is_dir()
    read = runner.invoke(app, ["import", "omop", str(out), "--concept-set", str(out / "concept_sets"),
                               "--patient-ids", "person_source_value", "--db", db])  # fmt: skip
    assert read.exit_code == 0, read.output
    assert [p.patient_id for p in api.read_registry_records(api.open_registry(db)).patients] == [
        "P0001"
    ]


def test_qualifier_names_parse_back():
    values = {"body_site": "buttock_hip", "method": "clinical_examination"}
    assert parse_qualifiers(qualifier_name(values)) == values


@pytest.mark.postgres
@pytest.mark.slow
def test_export_into_postgresql_and_screen_it_there(exported, postgres_database, tmp_path):
    """The default demo cohort written into an empty PostgreSQL database reads back the same."""
    source, target, *_ = exported
    url = postgres_database()
    report = api.export_omop(source, url, concept_sets=tmp_path / "sets", today=TODAY)
    assert report.written["person"] == source.counts()["patients"]
    with pytest.raises(ValidationError, match="already exists"):
        api.export_omop(source, url, concept_sets=tmp_path / "again")
    back = api.open_registry(f"sqlite:///{tmp_path}/pg.db")
    api.import_omop(
        back, url, api.concept_set_files([tmp_path / "sets"]),
        patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE,
    )  # fmt: skip
    before, after = _table(target), _table(back)
    assert [
        c for c in before.columns if not before[c].astype(str).equals(after[c].astype(str))
    ] == []
