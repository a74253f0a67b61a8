"""The study commands in-process: ``study init``, ``study run`` and the ``demo`` main job."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from calciscope.cli.app import app
from calciscope.study import default_study, parse_study

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_study_init_prints_the_commented_anchor_template():
    result = run("study", "init")
    assert result.exit_code == 0
    assert "Achieng" in result.output and "# who has SSc" in result.output
    assert parse_study(yaml.safe_load(result.output)) == default_study()


def test_study_run_reports_every_bad_field(tmp_path):
    study = tmp_path / "bad.yaml"
    study.write_text("title: x\npopulation: {ssc_by: vibes}\ntarget_phenotype: unicorn\n")
    result = run("study", "run", str(study), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert result.exit_code == 1
    assert "population.ssc_by" in result.output
    assert "target_phenotype" in result.output
    assert "Traceback" not in result.output


def test_study_run_writes_the_bundle(tmp_path, demo_registry_url):
    study = tmp_path / "study.yaml"
    text = run("study", "init").output.replace(
        "standard_exports: []", "standard_exports: [phenopackets, fhir]"
    )
    study.write_text(text)
    out = tmp_path / "report"
    result = run(
        "study", "run", str(study), "--db", demo_registry_url, "--out", str(out), "--pseudonymise"
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DATA" in result.output
    assert "source population:" in result.output
    assert str(out / "index.html") in result.output.replace("\n", "")
    headline = json.loads((out / "results.json").read_text())["headline"]
    assert headline["source_population"] > 0
    assert (out.parent / f"{out.name}-pseudonymised" / "README.txt").exists()
    # notes not read: the two anchors whose morphology is only in their notes are not found
    assert (headline["cases"], headline["cases_suggested_only"]) == (2, 0)
    assert len(list((out / "exports" / "phenopackets").glob("*.json"))) == 2
    assert (out / "exports" / "cases.fhir.json").exists()


def _duckdb_copy(sqlite_url: str, path) -> str:
    """Copy the registry's facts and patients into a DuckDB file (an analysis copy)."""
    import duckdb
    import ibis

    source, target = ibis.sqlite.connect(sqlite_url.split(":///", 1)[1]), duckdb.connect(str(path))
    try:
        for name in ("facts", "patients"):
            target.register("rows", source.table(name).to_pyarrow())
            target.execute(f"CREATE TABLE {name} AS SELECT * FROM rows")
            target.unregister("rows")
    finally:
        source.disconnect()
        target.close()
    return f"duckdb:///{path}"


def test_study_run_on_a_duckdb_file_gives_the_registry_numbers(tmp_path, demo_registry_url):
    study = tmp_path / "study.yaml"
    study.write_text(run("study", "init").output)
    url = _duckdb_copy(demo_registry_url, tmp_path / "registry.duckdb") + "?memory_limit=300MB"
    result = run("study", "run", str(study), "--db", url, "--out", str(tmp_path / "d"))
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DATA" in result.output
    on_duckdb = json.loads((tmp_path / "d" / "results.json").read_text())
    result = run(
        "study", "run", str(study), "--db", demo_registry_url, "--out", str(tmp_path / "s")
    )
    assert result.exit_code == 0, result.output
    on_sqlite = json.loads((tmp_path / "s" / "results.json").read_text())
    assert on_duckdb["headline"] == on_sqlite["headline"]
    assert on_duckdb["headline"]["source_population"] > 0
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert manifest["registry"] == url


def test_study_run_names_what_is_wrong_with_a_duckdb_url(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(run("study", "init").output)
    missing = tmp_path / "none.duckdb"
    empty = tmp_path / "empty.duckdb"
    import duckdb

    duckdb.connect(str(empty)).execute("CREATE TABLE patients (patient_id TEXT)").close()
    cases = {
        f"duckdb:///{missing}": f"no DuckDB file {missing}",
        "duckdb://": "empty in-memory DuckDB database",
        f"duckdb:///{empty}": f"DuckDB file {empty} holds no facts table",
        f"duckdb:///{empty}?memory_limit=lots": "Memory must have a number",
        f"duckdb:///{empty}?memory=1GB": "unknown DuckDB setting 'memory'",
    }
    for url, message in cases.items():
        result = run("study", "run", str(study), "--db", url)
        assert result.exit_code == 1, (url, result.output)
        assert message in " ".join(result.output.split()), (url, result.output)
        assert "Traceback" not in result.output
    assert not missing.exists()  # the check does not create the file


def test_study_run_names_an_unreachable_postgresql_registry(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(run("study", "init").output)
    url = "postgresql://calciscope:secret@127.0.0.1:1/nowhere"
    result = run("study", "run", str(study), "--db", url)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "cannot open registry postgresql+psycopg://calciscope:***@127.0.0.1:1/nowhere" in text
    assert "secret" not in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_demo_is_the_main_job(cli_demo):
    tmp_path, result = cli_demo  # one `calciscope demo --db ...` run (tests/cli/conftest.py)
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", " ")
    assert "102/461 (22.1%; 95% CI 18.4–26.2%, Clopper–Pearson exact)" in text
    assert (tmp_path / "calciscope-report" / "index.html").exists()
    words = " ".join(result.output.split())
    # two anchors are found only with suggested facts (one from its notes, one from its films'
    # measurement): the study counts them apart, the queue has them
    assert (
        "cases (extensive_sheet_like_calcinosis): 4: 2 from confirmed facts, 2 awaiting review; "
        "dcSSc with SSc-myositis overlap: 4 of 4 (2 of 2 confirmed)" in words
    )
    assert "calciscope review list --kind suggested_case --db sqlite:///" in words
    assert "calciscope serve --db sqlite:///" in words and "calciscope users add" in words
    # SYNTHETIC phantom films of some patients, their measurement readings waiting for review
    assert "SYNTHETIC radiographs: 27 phantom films measured" in words
    assert f"--image-root {tmp_path / 'calciscope-demo' / 'radiographs' / 'films'}" in words


@pytest.mark.postgres
def test_study_run_on_postgresql(tmp_path, postgres_database):
    from calciscope import api

    api.generate_demo_data(tmp_path / "demo", patients=120, seed=2, notes=False)
    url = postgres_database()
    assert run("import", "demo", str(tmp_path / "demo"), "--db", url).exit_code == 0
    study = tmp_path / "study.yaml"
    study.write_text(run("study", "init").output)
    result = run("study", "run", str(study), "--db", url, "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    headline = json.loads((tmp_path / "r" / "results.json").read_text())["headline"]
    with api.open_registry(f"sqlite:///{tmp_path / 'same.db'}") as registry:
        api.import_directory(registry, tmp_path / "demo")
        same = api.run_study(default_study(), registry, out=tmp_path / "r2").headline.to_dict()
    assert headline == same  # the same numbers from PostgreSQL and SQLite


def _one_patient_registry(tmp_path):
    packet = {
        "id": "P1",
        "subject": {"id": "P1", "sex": "FEMALE"},
        "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
    }
    (tmp_path / "p.json").write_text(json.dumps(packet), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'one.db'}"
    assert run("import", "phenopackets", str(tmp_path / "p.json"), "--db", url).exit_code == 0
    study = tmp_path / "study.yaml"
    study.write_text(run("study", "init").output, encoding="utf-8")
    return url, study


def test_study_run_with_no_cases_and_pseudonymisation_writes_the_report(tmp_path):
    url, study = _one_patient_registry(tmp_path)
    out = tmp_path / "report"
    result = run("study", "run", str(study), "--db", url, "--out", str(out), "--pseudonymise")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    private = out.parent / f"{out.name}-pseudonymised"
    assert (out / "index.html").is_file() and (private / "index.html").is_file()
    # no case rows: 0 cases cannot be shown row by row without revealing the count
    assert not (private / "cases.csv").exists()
    assert json.loads((out / "results.json").read_text())["headline"]["cases"] == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_a_failing_report_leaves_the_old_bundle_as_it_was(tmp_path, monkeypatch):
    from calciscope.report import bundle

    url, study = _one_patient_registry(tmp_path)
    out = tmp_path / "report"
    assert run("study", "run", str(study), "--db", url, "--out", str(out)).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bundle, "write_pseudonymised_export", broken)
    result = run("study", "run", str(study), "--db", url, "--out", str(out), "--pseudonymise")
    assert result.exit_code != 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
