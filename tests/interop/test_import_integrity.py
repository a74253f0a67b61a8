"""Imports never merge patients silently and never double a patient's facts (issue 15, 1).

Hand-made phenopackets and FHIR bundles against a small SYNTHETIC demo registry; the round
trips export one patient through each format and import it back into the registry it came from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError
from calciscope.model import Sex


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small-demo")
    api.generate_demo_data(folder, patients=8, seed=0, notes=False)
    return folder


@pytest.fixture
def registry(demo, tmp_path):
    shutil.copytree(demo, tmp_path / "demo")
    registry = api.open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    api.import_directory(registry, tmp_path / "demo")
    yield registry
    registry.close()


def _packet(packet_id: str, sex: str = "FEMALE", born: str | None = None) -> dict:
    subject = {"id": packet_id, "sex": sex} | ({"dateOfBirth": born} if born else {})
    return {
        "id": packet_id,
        "subject": subject,
        "phenotypicFeatures": [{"type": {"id": "HP:0100774", "label": "Hyperostosis"}}],
        "metaData": {"created": "2026-01-01T00:00:00Z", "createdBy": "test"},
    }


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _fhir_patient(pid: str, **fields) -> dict:
    resource = {"resourceType": "Patient", "id": pid} | fields
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}


def _state(registry):
    with registry.engine.connect() as conn:
        return {
            t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}"))))
            for t in ("patients", "facts", "notes", "images")
        }


def test_a_phenopacket_with_another_birth_date_fails_naming_file_and_field(registry, tmp_path):
    stored = registry.patient("P0002")
    other = f"{stored.birth_date.year - 3}-01-01T00:00:00Z"
    sex = {Sex.FEMALE: "FEMALE", Sex.MALE: "MALE"}[stored.sex]
    path = _write(tmp_path / "p2.json", _packet("P0002", sex, other))
    before = _state(registry)
    with pytest.raises(ValidationError) as caught:
        api.import_phenopackets(registry, [path])
    fields = {(p.source, p.location, p.field) for p in caught.value.problems}
    assert (str(path), "#/id", "birth_date") in fields
    assert _state(registry) == before


def test_update_patients_replaces_and_records_it(registry, tmp_path):
    path = _write(tmp_path / "p2.json", _packet("P0002", born="1931-02-03T00:00:00Z"))
    result = api.import_phenopackets(registry, [path], update_patients=True)
    assert result.summary.counts["patients_updated"] == 1
    assert str(registry.patient("P0002").birth_date) == "1931-02-03"
    with registry.engine.connect() as conn:
        counts = conn.execute(
            sa.text("SELECT counts FROM import_batches WHERE batch_id = :b"),
            {"b": result.summary.batch_id},
        ).scalar_one()
    assert json.loads(counts)["patients_updated"] == 1


def test_a_fhir_bundle_reusing_an_id_cannot_change_centre_or_synthetic(registry, tmp_path):
    stored = registry.patient("P0003")
    bundle = _fhir_patient("P0003", managingOrganization={"display": "elsewhere"})
    path = _write(tmp_path / "b.json", bundle)
    with pytest.raises(ValidationError) as caught:
        api.import_fhir(registry, [path])
    assert {p.field for p in caught.value.problems} == {"centre", "synthetic"}
    assert all(p.location == "#/entry/0" for p in caught.value.problems)
    assert registry.patient("P0003") == stored


def test_two_people_with_one_id_in_one_import_fail(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    files = [
        _write(tmp_path / "a.json", _packet("X1", "FEMALE")),
        _write(tmp_path / "b.json", _packet("X1", "MALE")),
    ]
    with pytest.raises(ValidationError) as caught:
        api.import_phenopackets(registry, files, update_patients=True)
    [problem] = caught.value.problems
    assert problem.field == "sex" and str(files[0]) in problem.message
    assert registry.counts()["patients"] == 0


def test_ids_that_sanitise_alike_fail(tmp_path, sqlite_url):
    registry = api.open_registry(sqlite_url)
    files = [
        _write(tmp_path / "a.json", _packet("Case 4")),
        _write(tmp_path / "b.json", _packet("Case/4")),
    ]
    with pytest.raises(ValidationError, match="both become patient id 'Case_4'"):
        api.import_phenopackets(registry, files)


def test_ids_that_sanitise_alike_fail_across_imports(tmp_path, sqlite_url):
    """'Case 4' imported once, 'Case/4' later: the second would merge into the first; refused."""
    registry = api.open_registry(sqlite_url)
    first = _write(tmp_path / "a.json", _packet("Case 4"))
    api.import_phenopackets(registry, [first])
    fhir = _write(tmp_path / "b.json", _fhir_patient("Case-4", gender="female"))
    second = _write(tmp_path / "c.json", _packet("Case/4"))
    before = _state(registry)
    with pytest.raises(ValidationError) as caught:
        api.import_phenopackets(registry, [second])
    (problem,) = caught.value.problems
    assert problem.source == str(second) and problem.field == "id"
    assert "'Case/4' becomes patient id 'Case_4'" in problem.message
    assert "holds for 'Case 4'" in problem.message
    assert _state(registry) == before
    # the same source id again, and the calciscope id itself (an export read back), still match
    api.import_phenopackets(registry, [first])
    api.import_phenopackets(registry, [_write(tmp_path / "d.json", _packet("Case_4"))])
    api.import_fhir(registry, [fhir])  # 'Case-4' is a valid id: another patient
    assert [row[0] for row in _state(registry)["patients"]] == ["Case-4", "Case_4"]


def test_reimporting_the_same_files_changes_nothing(registry, tmp_path):
    path = _write(tmp_path / "x.json", _packet("X9", born="1970-01-01T00:00:00Z"))
    api.import_phenopackets(registry, [path])
    before = _state(registry)
    again = api.import_phenopackets(registry, [path])
    assert _state(registry) == before
    assert again.summary.counts["facts_already_in_registry"] == 1


def _export_phenopacket(registry, out):
    api.export_phenopackets(registry, out, patient_ids=["P0002"])
    return lambda: api.import_phenopackets(registry, [out / "P0002.json"])


def _export_fhir(registry, out):
    api.export_fhir(registry, out / "b.json", patient_ids=["P0002"])
    return lambda: api.import_fhir(registry, [out / "b.json"])


def _export_redcap(registry, out):
    api.export_redcap(registry, out, patient_ids=["P0002"])
    return lambda: api.import_redcap(
        registry, out / "data.csv", out / "dictionary.csv", out / "mapping.yaml"
    )


@pytest.mark.parametrize("export", [_export_phenopacket, _export_fhir, _export_redcap])
def test_reimporting_an_own_export_does_not_double_facts(registry, tmp_path, export):
    facts = len(registry.facts_for("P0002"))
    (tmp_path / "out").mkdir()
    reimport = export(registry, tmp_path / "out")
    result = reimport()
    assert len(registry.facts_for("P0002")) == facts
    assert result.summary.counts["facts_already_in_registry"] == result.summary.counts["facts"]


def test_cli_refuses_then_updates_with_the_flag(registry, tmp_path):
    path = _write(tmp_path / "p2.json", _packet("P0002", born="1931-02-03T00:00:00Z"))
    runner = CliRunner()
    args = ["import", "phenopackets", str(path), "--db", registry.url]
    refused = runner.invoke(app, args)
    assert refused.exit_code != 0 and "--update-patients" in refused.output
    done = runner.invoke(app, [*args, "--update-patients"])
    assert done.exit_code == 0, done.output
    assert "1 stored patients updated" in done.output


def test_fhir_export_into_a_folder_writes_the_bundle_there(tmp_path, sqlite_url):
    """``export fhir out/`` (as ``export phenopackets out/``) writes calciscope-bundle.json."""
    from calciscope.errors import ValidationError

    registry = api.open_registry(sqlite_url)
    report = api.export_fhir(registry, tmp_path)
    assert report.files == [tmp_path / "calciscope-bundle.json"]
    assert (tmp_path / "calciscope-bundle.json").is_file()
    with pytest.raises(ValidationError, match="does not exist"):
        api.export_fhir(registry, tmp_path / "no" / "b.json")
    registry.close()
