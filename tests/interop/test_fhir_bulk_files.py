"""FHIR Bulk Data as it arrives: gzip-compressed NDJSON, the ``$export`` manifest, a folder of
single-resource files, and Condition onsets given as an age, a range of ages or text.

Fixture: the Synthea Bulk Data sample ``tests/data/fhir/bulk_ndjson`` (synthetic), compressed or
listed by a manifest in each test; the other resources are hand-made.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.interop.fhir import read_fhir, read_fhir_bundle

NDJSON = Path(__file__).resolve().parents[1] / "data" / "fhir" / "bulk_ndjson"
SYNTHEA_PATIENT = "129c6ac7-8d06-89de-ad63-0204a93e76c3"
runner = CliRunner()


def _import(*args: object, db: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", "fhir", *map(str, args), "--db", db])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/bulk.db"


def _counts(db: str) -> dict[str, int]:
    with api.open_registry(db) as registry:
        return registry.counts()


def _gzipped(folder: Path) -> Path:
    folder.mkdir()
    for path in NDJSON.glob("*.ndjson"):
        (folder / f"{path.name}.gz").write_bytes(gzip.compress(path.read_bytes()))
    return folder


# --- gzip -------------------------------------------------------------------------------------


def test_gzip_ndjson_reads_as_the_plain_files(tmp_path, db):
    plain = read_fhir(sorted(NDJSON.glob("*.ndjson")))
    packed = read_fhir(sorted(_gzipped(tmp_path / "gz").glob("*")))

    def said(read: Any) -> list[tuple[object, ...]]:  # all but the provenance (file names)
        return [(f.patient_id, f.code, f.status, f.effective_date) for f in read.batch.facts]

    assert said(packed) == said(plain) and len(said(plain)) == 3
    code, output = _import(tmp_path / "gz", db=db)
    assert code == 0, output
    assert _counts(db)["patients"] == 1
    jsonl = tmp_path / "Patient.jsonl.gz"
    jsonl.write_bytes(gzip.compress((NDJSON / "Patient.00.ndjson").read_bytes()))
    assert read_fhir([jsonl]).mapped["Patient"] == 1


def test_broken_gzip_names_the_file_and_writes_nothing(tmp_path, db):
    folder = _gzipped(tmp_path / "gz")
    condition = folder / "Condition.00.ndjson.gz"
    condition.write_bytes(condition.read_bytes()[:-20])  # a download cut short
    code, output = _import(folder, db=db)
    assert code == 1 and "Condition.00.ndjson.gz" in output and "gzip" in output
    assert _counts(db)["patients"] == 0
    (folder / "Patient.00.ndjson.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValidationError, match=r"Patient\.00\.ndjson\.gz.*not a readable gzip"):
        read_fhir(sorted(folder.glob("*")))


def test_bad_line_in_gzip_names_the_line(tmp_path):
    path = tmp_path / "Patient.ndjson.gz"
    path.write_bytes(gzip.compress(b'{"resourceType": "Patient", "id": "a"}\n{"resourceType"\n'))
    with pytest.raises(ValidationError, match=r"Patient\.ndjson\.gz, line 2.*not valid JSON"):
        read_fhir([path])


# --- the $export manifest ---------------------------------------------------------------------


def _manifest(folder: Path, output: list[dict[str, Any]], **extra: Any) -> Path:
    path = folder / "manifest.json"
    body = {"transactionTime": "2026-11-30T10:00:00Z", "request": "x", "output": output}
    path.write_text(json.dumps(body | extra), encoding="utf-8")
    return path


def _export(tmp_path: Path) -> Path:
    """An export as downloaded: the files in a subfolder, a manifest naming them."""
    folder = tmp_path / "export"
    (folder / "files").mkdir(parents=True)
    shutil.copy(NDJSON / "Patient.00.ndjson", folder / "files" / "1.ndjson")
    condition = folder / "files" / "2.ndjson"
    shutil.copy(NDJSON / "Condition.00.ndjson", condition)
    _manifest(
        folder,
        [
            {"type": "Patient", "url": "files/1.ndjson"},
            {"type": "Condition", "url": condition.resolve().as_uri()},
        ],
        error=[{"type": "OperationOutcome", "url": "files/err.ndjson"}],
    )
    return folder


def test_manifest_imports_the_files_it_lists(tmp_path, db):
    folder = _export(tmp_path)
    read = read_fhir([folder / "manifest.json"])
    assert read.mapped["Patient"] == 1 and read.mapped["Condition"] == 2
    reason = "error file of a $export manifest (OperationOutcome), not read"
    assert read.skipped[("OperationOutcome", reason)] == 1
    # the folder: the manifest and the files it lists (found again by the folder scan) once
    code, output = _import(folder, db=db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        facts = registry.facts_for(SYNTHEA_PATIENT)
    assert sorted(f.code for f in facts) == sorted(
        f.code for f in read.batch.facts if f.patient_id == SYNTHEA_PATIENT
    )
    assert len({f.fact_id for f in facts}) == len(facts)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://fhir.example.org/bulk/1.ndjson", "download address"),
        ("http://fhir.example.org/bulk/1.ndjson", "download address"),
        ("../outside.ndjson", "outside the manifest's folder"),
        ("files/../../outside.ndjson", "outside the manifest's folder"),
        ("ftp://host/1.ndjson", "only relative paths and file:// URLs"),
        ("files/missing.ndjson", "is missing"),
    ],
)
def test_manifest_refuses_what_is_not_a_file_in_its_folder(tmp_path, db, url, says):
    folder = _export(tmp_path)
    (tmp_path / "outside.ndjson").write_bytes((NDJSON / "Patient.00.ndjson").read_bytes())
    manifest = _manifest(folder, [{"type": "Patient", "url": "files/1.ndjson"}, {"url": url}])
    code, output = _import(manifest, db=db)
    assert code == 1
    assert "manifest.json" in output and "#/output/1" in output and "url" in output
    assert says in output
    assert _counts(db)["patients"] == 0


def test_file_url_outside_the_folder_and_a_wrong_type_are_refused(tmp_path):
    folder = _export(tmp_path)
    outside = tmp_path / "outside.ndjson"
    outside.write_bytes((NDJSON / "Patient.00.ndjson").read_bytes())
    manifest = _manifest(folder, [{"type": "Patient", "url": outside.resolve().as_uri()}])
    with pytest.raises(ValidationError, match="outside the manifest's folder"):
        read_fhir([manifest])
    manifest = _manifest(folder, [{"type": "Observation", "url": "files/1.ndjson"}])
    with pytest.raises(ValidationError, match=r"1\.ndjson, line 1.*lists this file as Observation"):
        read_fhir([manifest])
    del_time = json.loads(manifest.read_text())
    del del_time["transactionTime"]
    manifest.write_text(json.dumps(del_time))
    with pytest.raises(ValidationError, match="transactionTime"):
        read_fhir([manifest])


# --- single-resource files --------------------------------------------------------------------


def _write(folder: Path, name: str, resource: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(resource), encoding="utf-8")
    return path


def _condition(**onset: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "89155008"}]},
        "recordedDate": "2021-06-01",
        **onset,
    }


def test_references_resolve_across_single_resource_files(tmp_path, db):
    folder = tmp_path / "resources"
    _write(folder, "condition.json", _condition(onsetDateTime="2019-03-02"))
    _write(folder, "patient.json", {"resourceType": "Patient", "id": "p1", "gender": "female"})
    code, output = _import(folder, db=db)
    assert code == 0, output
    with api.open_registry(db) as registry:
        (fact,) = registry.facts_for("p1")
    assert fact.code == "89155008" and fact.effective_date == dt.date(2019, 3, 2)
    assert "condition.json" in (fact.provenance or "")
    # a bundle stays self-contained: its Condition does not find a Patient in another file
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": _condition()}]}
    _write(folder, "bundle.json", bundle)
    (folder / "condition.json").unlink()
    read = read_fhir(sorted(folder.glob("*.json")))
    assert read.skipped[("Condition", "subject is not a Patient in this bundle")] == 1


# --- Condition onset as an age, a range or text -----------------------------------------------


def _read_onsets(birth: str, *conditions: dict[str, Any]) -> list[Any]:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1", "birthDate": birth}}]
        + [{"resource": c} for c in conditions],
    }
    return read_fhir_bundle(bundle, source="b.json").batch.facts


def _age(value: float, code: str = "a") -> dict[str, Any]:
    return {"value": value, "unit": "years", "system": "http://unitsofmeasure.org", "code": code}


def test_onset_age_is_dated_from_a_full_birth_date():
    facts = _read_onsets(
        "1961-05-20",
        _condition(onsetAge=_age(45)),
        _condition(onsetAge=_age(18, "mo")),
        _condition(onsetAge=_age(45.5)),
        _condition(onsetRange={"low": _age(40), "high": _age(45)}),
        _condition(onsetRange={"high": _age(45)}),
    )
    years, months, fraction, span, open_low = facts
    assert years.effective_date == dt.date(2006, 5, 20) and "onsetAge=45 a" in years.provenance
    assert months.effective_date == dt.date(1962, 11, 20)
    assert fraction.effective_date is None and "onsetAge=45.5 a" in fraction.provenance
    assert (
        span.effective_date == dt.date(2001, 5, 20) and "onsetRange=40 a..45 a" in span.provenance
    )
    assert open_low.effective_date is None and "onsetRange=..45 a" in open_low.provenance


def test_onset_age_with_a_partial_birth_date_stays_undated():
    (fact,) = _read_onsets("1961-05", _condition(onsetAge=_age(45)))
    assert fact.effective_date is None and "onsetAge=45 a" in (fact.provenance or "")


def test_onset_string_is_used_only_when_it_is_a_full_date():
    full, words, partial = _read_onsets(
        "1961-05-20",
        _condition(onsetString="2019-03-02"),
        _condition(onsetString="in early childhood"),
        _condition(onsetString="2019-03"),
    )
    assert full.effective_date == dt.date(2019, 3, 2)
    assert words.effective_date is None and "onsetString=in early childhood" in words.provenance
    assert partial.effective_date is None and "onsetString=2019-03" in partial.provenance


def test_bad_onset_age_and_a_future_onset_name_the_entry_and_field(tmp_path, db):
    with pytest.raises(ValidationError, match=r"entry/1.*onsetAge\.value.*0 or more"):
        _read_onsets("1961-05-20", _condition(onsetAge=_age(-3)))
    with pytest.raises(ValidationError, match=r"onsetAge\.value.*expected a number"):
        _read_onsets("1961-05-20", _condition(onsetAge={"value": "forty", "code": "a"}))
    # born in 2000, onset at 90 years: after today, a data error naming the file and field
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2000-01-01"}},
            {"resource": _condition(onsetAge=_age(90))},
        ],
    }
    path = _write(tmp_path / "in", "b.json", bundle)
    code, output = _import(path, db=db)
    assert code == 1 and "b.json" in output and "effective_date" in output
    assert "after today" in output and _counts(db)["patients"] == 0


def test_searchset_bundles_of_one_import_resolve_each_other(tmp_path):
    """A server's search results, one file per resource type (as RareLink writes them)."""
    base = "http://localhost:8080/fhir"

    def searchset(resource: dict[str, Any]) -> dict[str, Any]:
        url = f"{base}/{resource['resourceType']}/{resource['id']}"
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"fullUrl": url, "resource": resource}],
        }

    folder = tmp_path / "search"
    _write(folder, "conditions.json", searchset(_condition(onsetDateTime="2019-03-02")))
    _write(folder, "patients.json", searchset({"resourceType": "Patient", "id": "p1"}))
    read = read_fhir(sorted(folder.glob("*.json")))
    assert read.mapped["Condition"] == 1
    (fact,) = read.batch.facts
    assert fact.patient_id == "p1" and "conditions.json#/entry/0" in (fact.provenance or "")
