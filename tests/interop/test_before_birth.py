"""A fact dated before its patient's birth is refused by every importer (fixes15).

The check is the bulk writer's (:mod:`calciscope.storage.lifetime`), after the import's patients
are written: the birth compared with is the registry's at the end of the import. Each importer
gets it: the native directory (its vectorised fast path and the rows the model validated), FHIR,
Phenopackets, REDCap and OMOP. The problem names the file, the row (or entry, element, table
row) and ``effective_date``; nothing is written. All records here are SYNTHETIC.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from calciscope import api
from calciscope.errors import ValidationError
from calciscope.interop.omop import PatientIdColumn

PATIENTS = (
    "patient_id,sex,birth_date,birth_year\nP1,female,1970-05-01,\nP2,male,,1980\nP3,female,,\n"
)
FACTS = [
    "patient_id,system,code,status,effective_date",
    "P1,HP,HP:0003761,present,2020-01-01",  # row 2: after birth
    "P1,HP,HP:0003761,present,1969-12-31",  # row 3: the day before birth (fast path)
    "P1,HP, HP:0030880 ,present,1960-01-01",  # row 4: the model validates it (spaces)
    "P1,HP,HP:0030880,present,1970-05-01",  # row 5: on the day of birth: accepted
    "P2,HP,HP:0030880,present,1979-06-01",  # row 6: a year before the year of birth
    "P2,HP,HP:0030880,present,1980-01-01",  # row 7: in the year of birth: cannot tell
    "P3,HP,HP:0030880,present,1900-01-01",  # row 8: no birth recorded: nothing to compare
    "P1,HP,HP:0030880,absent,",  # row 9: undated
]


def _folder(path: Path, facts: list[str], patients: str = PATIENTS) -> Path:
    path.mkdir()
    (path / "patients.csv").write_text(patients, encoding="utf-8")
    (path / "facts.csv").write_text("\n".join(facts) + "\n", encoding="utf-8")
    return path


def _refused(call) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as failure:
        call()
    return [(Path(p.source).name, p.location, p.field) for p in failure.value.problems]


def test_native_rows_before_birth_are_named_and_nothing_is_written(tmp_path, sqlite_url):
    folder = _folder(tmp_path / "d", FACTS)
    registry = api.open_registry(sqlite_url)
    problems = _refused(lambda: api.import_directory(registry, folder))
    assert sorted(problems) == [("facts.csv", f"row {n}", "effective_date") for n in (3, 4, 6)]
    assert registry.counts()["patients"] == registry.counts()["facts"] == 0
    good = [line for n, line in enumerate(FACTS, start=1) if n not in (3, 4, 6)]
    api.import_directory(registry, _folder(tmp_path / "good", good))
    assert registry.counts()["facts"] == len(good) - 1


def test_a_later_import_is_checked_against_the_stored_birth(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, _folder(tmp_path / "a", FACTS[:2]))
    later = _folder(tmp_path / "b", [FACTS[0], FACTS[2]], patients="patient_id\nP1\n")
    with pytest.raises(ValidationError, match=r"before the patient's birth \(1970-05-01\)"):
        api.import_directory(registry, later)
    assert registry.counts()["facts"] == 1


def test_a_birth_date_an_import_adds_is_the_one_compared(tmp_path, sqlite_url):
    """A patient stored without a birth date, completed by the import that brings the fact."""
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, _folder(tmp_path / "a", FACTS[:1], "patient_id\nP1\n"))
    problems = _refused(lambda: api.import_directory(registry, _folder(tmp_path / "b", FACTS[:3])))
    assert problems == [("facts.csv", "row 3", "effective_date")]


def test_fhir_condition_before_birth(tmp_path, sqlite_url):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "f1", "birthDate": "1970-05-01"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/f1"},
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "20262006"}]},
                    "onsetDateTime": "1960-01-01",
                }
            },
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    registry = api.open_registry(sqlite_url)
    [(_, location, field)] = _refused(lambda: api.import_fhir(registry, [path]))
    assert "b.json#/entry/1" in location and field == "effective_date"
    assert registry.counts()["patients"] == 0


def test_phenopacket_feature_before_birth(tmp_path, sqlite_url):
    packet = {
        "id": "pp1",
        "subject": {"id": "pp1", "sex": "FEMALE", "dateOfBirth": "1970-05-01T00:00:00Z"},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0100774", "label": "Hyperostosis"}},
            {
                "type": {"id": "HP:0003761", "label": "Calcinosis"},
                "onset": {"timestamp": "1960-01-01T00:00:00Z"},
            },
        ],
        "metaData": {"created": "2026-01-01T00:00:00Z", "createdBy": "test"},
    }
    path = tmp_path / "pp1.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    registry = api.open_registry(sqlite_url)
    [(_, location, field)] = _refused(lambda: api.import_phenopackets(registry, [path]))
    assert location.endswith("pp1.json#/phenotypicFeatures/1") and field == "effective_date"
    assert registry.counts()["facts"] == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One demo patient (SYNTHETIC) exported as REDCap and OMOP, then born after its facts."""
    root = tmp_path_factory.mktemp("born-late")
    api.generate_demo_data(root / "demo", patients=4, seed=0, notes=False)
    source = api.open_registry(f"sqlite:///{root / 'demo.db'}")
    api.import_directory(source, root / "demo")
    api.export_redcap(source, root / "redcap", patient_ids=["P0001"])
    api.export_omop(source, root / "cdm", patient_ids=["P0001"])
    source.close()
    return root


def _rewrite(path: Path, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row.get(column):
            row[column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_redcap_record_before_birth(exported, tmp_path, sqlite_url):
    folder = tmp_path / "redcap"
    folder.mkdir()
    for name in ("data.csv", "dictionary.csv", "mapping.yaml"):
        (folder / name).write_bytes((exported / "redcap" / name).read_bytes())
    _rewrite(folder / "data.csv", "birth_date", "2025-01-01")
    _rewrite(folder / "data.csv", "birth_year", "2025")
    registry = api.open_registry(sqlite_url)
    problems = _refused(
        lambda: api.import_redcap(
            registry, folder / "data.csv", folder / "dictionary.csv", folder / "mapping.yaml"
        )
    )
    assert problems and all(f == "effective_date" for _, _, f in problems)
    assert all(loc.startswith(f"{folder / 'data.csv'} row ") for _, loc, _ in problems)
    assert registry.counts()["patients"] == 0


def test_omop_rows_before_birth(exported, tmp_path, sqlite_url):
    cdm = tmp_path / "cdm"
    cdm.mkdir()
    for path in (exported / "cdm").rglob("*"):
        if path.is_file():
            target = cdm / path.relative_to(exported / "cdm")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    _rewrite(cdm / "person.csv", "year_of_birth", "2025")
    for column in ("month_of_birth", "day_of_birth", "birth_datetime"):
        _rewrite(cdm / "person.csv", column, "")
    registry = api.open_registry(sqlite_url)
    problems = _refused(
        lambda: api.import_omop(
            registry,
            cdm,
            api.concept_set_files([cdm / "concept_sets"]),
            patient_ids=PatientIdColumn.PERSON_SOURCE_VALUE,
        )
    )
    assert problems and all(f == "effective_date" for _, _, f in problems)
    assert all(loc.startswith("omop:") for _, loc, _ in problems)
    assert registry.counts()["facts"] == 0


@pytest.mark.parametrize("update", [False, True])
def test_a_birth_given_later_is_checked_against_the_stored_facts(tmp_path, sqlite_url, update):
    """A patient stored without a birth date (or with another one, ``update_patients``)."""
    registry = api.open_registry(sqlite_url)
    first = "patient_id,birth_date\nP1,1950-01-01\n" if update else "patient_id\nP1\n"
    api.import_directory(registry, _folder(tmp_path / "a", FACTS[:4:3], first))
    later = _folder(tmp_path / "b", FACTS[:1], "patient_id,birth_date\nP1,1970-05-01\n")
    problems = _refused(lambda: api.import_directory(registry, later, update_patients=update))
    assert problems == [("patients.csv", "row 2", "birth_date")]
    assert registry.patient("P1").birth_date == (dt.date(1950, 1, 1) if update else None)


def test_the_later_birth_refusal_names_the_fact_and_the_way_out(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, _folder(tmp_path / "a", FACTS[:4:3], "patient_id\nP1\n"))
    (fact,) = [f for f in api.patient_record(registry, "P1").facts if f.effective_date.year == 1960]
    later = _folder(tmp_path / "b", FACTS[:1], "patient_id,birth_date\nP1,1970-05-01\n")
    with pytest.raises(ValidationError) as failure:
        api.import_directory(registry, later)
    (problem,) = failure.value.problems
    assert f"correct or reject fact {fact.fact_id}" in problem.message


NOTE = (
    '{"note_id":"n1","patient_id":"P1","note_type":"clinic_letter","note_date":"%s",'
    '"text":"Extensive calcinosis of both forearms on examination.","synthetic":true}\n'
)


def test_a_note_dated_before_birth_is_refused(tmp_path, sqlite_url):
    """fixes16 (review16 item 1): the facts read from a note take its date."""
    folder = _folder(tmp_path / "d", FACTS[:2])
    (folder / "notes.jsonl").write_text(NOTE % "1960-01-01", encoding="utf-8")
    registry = api.open_registry(sqlite_url)
    with pytest.raises(ValidationError) as failure:
        api.import_directory(registry, folder)
    # fixes17: the file, its line and the field, as every import error (it named the folder)
    (problem,) = failure.value.problems
    assert (Path(problem.source).name, problem.location, problem.field) == (
        "notes.jsonl",
        "line 1",
        "note_date",
    )
    assert "note n1" in problem.message and "'P1'" in problem.message
    assert registry.counts()["notes"] == 0
    (folder / "notes.jsonl").write_text(NOTE % "1970-05-01", encoding="utf-8")
    api.import_directory(registry, folder)  # on the day of birth: accepted
    assert registry.counts()["notes"] == 1


def test_extraction_writes_no_fact_dated_before_birth(tmp_path, sqlite_url):
    """A note imported before its patient's birth was known: its suggestions are left out."""
    folder = _folder(tmp_path / "d", FACTS[:2], "patient_id\nP1\n")
    (folder / "notes.jsonl").write_text(NOTE % "1960-01-01", encoding="utf-8")
    registry = api.open_registry(sqlite_url)
    api.import_directory(registry, folder)
    later = _folder(tmp_path / "b", FACTS[:2], "patient_id,birth_date\nP1,1970-05-01\n")
    api.import_directory(registry, later)
    summary = api.extract_notes(registry)
    assert summary.before_birth >= 1 and summary.new_facts == 0
    dates = [f.effective_date for f in api.patient_record(registry, "P1").facts]
    assert all(d is None or d >= dt.date(1970, 5, 1) for d in dates)


def test_notes_and_images_before_birth_name_their_file_and_line(tmp_path, sqlite_url):
    """fixes17: the second line of notes.jsonl and row 3 of images.csv, not the folder."""
    folder = _folder(tmp_path / "d", FACTS[:2])
    later = NOTE.replace('"n1"', '"n2"') % "1960-01-01"
    (folder / "notes.jsonl").write_text(NOTE % "2020-01-01" + later, encoding="utf-8")
    (folder / "images.csv").write_text(
        "image_id,patient_id,modality,image_date\n"
        "i1,P1,radiograph,2021-01-01\n"
        "i2,P1,radiograph,1969-01-01\n",
        encoding="utf-8",
    )
    registry = api.open_registry(sqlite_url)
    with pytest.raises(ValidationError) as failure:
        api.import_directory(registry, folder)
    found = sorted((Path(p.source).name, p.location, p.field) for p in failure.value.problems)
    assert found == [("images.csv", "row 3", "image_date"), ("notes.jsonl", "line 2", "note_date")]
    text = failure.value.render(nothing_written=True)
    assert "notes.jsonl" in text and "line 2" in text and "note_date" in text
    assert registry.counts()["notes"] == registry.counts()["images"] == 0
