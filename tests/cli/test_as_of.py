"""The registry's as-of date (fixes17): one date per registry, set by the CLI, read everywhere.

``calciscope registry set-as-of DATE | --study FILE | --clear`` stores it (migration 0010);
``patients show --explain``, ``patients list``, ``features``, ``classify`` and ``review
list`` evaluate at it unless ``--index-date`` chooses another, and print which date and why.
Not set: today, said so. All records here are SYNTHETIC.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.errors import ValidationError

runner = CliRunner()

# Raynaud in 2020, sclerodactyly in 2025: 3 points as of 2023-12-31, 7 after 2025
PATIENTS = "patient_id,sex,birth_date,synthetic\nA1,female,1970-01-01,true\n"
FACTS = (
    "patient_id,system,code,status,effective_date\n"
    "A1,HP,HP:0030880,present,2020-03-01\n"
    "A1,HP,HP:0011838,present,2025-05-01\n"
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALCISCOPE_USER", "drsmith")
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (folder / "facts.csv").write_text(FACTS, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with api.open_registry(url) as registry:
        api.import_directory(registry, folder)
    return url


def run(db: str, *args: str):
    result = runner.invoke(app, [*args, "--db", db])
    return result


def _flat(text: str) -> str:
    return " ".join(text.split())


def _ssc_score(explanation: dict) -> float:
    [ssc] = [c for c in explanation["criteria"] if c["criteria_set"] == "ssc2013"]
    return ssc["score_min"]


def test_not_set_is_today_and_said_so(db):
    today = dt.date.today().isoformat()
    shown = run(db, "registry", "as-of")
    assert shown.exit_code == 0, shown.output
    assert f"as of {today} (today: no as-of date is set" in _flat(shown.output)
    assert "calciscope registry set-as-of DATE" in _flat(shown.output)
    data = json.loads(run(db, "registry", "as-of", "--json").stdout)
    assert (data["as_of"], data["source"]) == (today, "today")
    explained = run(db, "patients", "show", "A1", "--explain")
    assert f"index date {today} (today: no as-of date is set" in _flat(explained.output)


def test_set_as_of_is_what_patients_show_explain_reads(db):
    assert run(db, "registry", "set-as-of", "2023-12-31").exit_code == 0
    out = run(db, "patients", "show", "A1", "--explain")
    assert out.exit_code == 0, out.output
    assert "index date 2023-12-31 (the registry's as-of date)" in _flat(out.output)
    data = json.loads(run(db, "patients", "show", "A1", "--explain", "--json").stdout)
    assert data["explanation"]["index_date"] == "2023-12-31"
    assert _ssc_score(data["explanation"]) == 3  # the 2025 sclerodactyly is not read
    # the explicit override still wins, and says so
    later = run(db, "patients", "show", "A1", "--explain", "--json", "--index-date", "2026-01-01")
    assert _ssc_score(json.loads(later.stdout)["explanation"]) == 7
    chosen = run(db, "patients", "show", "A1", "--explain", "--index-date", "2026-01-01")
    assert "index date 2026-01-01 (chosen)" in _flat(chosen.output)
    # and the api's explanation at the registry's date is the CLI's
    with api.open_registry(db) as registry:
        when = api.default_index_date(registry)
        assert when == dt.date(2023, 12, 31) == api.queue_index_date(registry)
        explained = api.explain_patient(registry, "A1", index_date=when)
    [ssc] = [c for c in explained.criteria if c.criteria_set == "ssc2013"]
    assert ssc.score_min == 3


def test_the_other_registry_commands_read_it(db, tmp_path):
    assert run(db, "registry", "set-as-of", "2023-12-31").exit_code == 0
    listed = json.loads(run(db, "patients", "list", "--json").stdout)
    assert listed["index_date"] == "2023-12-31"
    classified = run(db, "classify", "--json")
    assert classified.exit_code == 0, classified.output
    assert json.loads(classified.stdout)["index_date"] == "2023-12-31"
    out = tmp_path / "features.csv"
    written = run(db, "features", "--out", str(out))
    assert "index date 2023-12-31 (the registry's as-of date)" in _flat(written.output)
    queue = run(db, "review", "list")
    assert "index date 2023-12-31 (the registry's as-of date)" in _flat(queue.output)


def test_set_from_a_study_file_clear_and_audit(db, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(
        api.init_study_text().replace("index_date: 2023-12-31", "index_date: 2026-06-30"),
        encoding="utf-8",
    )
    done = run(db, "registry", "set-as-of", "--study", str(study))
    assert done.exit_code == 0, done.output
    assert "as of 2026-06-30 (the registry's as-of date)" in _flat(done.output)
    data = json.loads(run(db, "patients", "show", "A1", "--explain", "--json").stdout)
    assert data["explanation"]["index_date"] == "2026-06-30"
    cleared = run(db, "registry", "set-as-of", "--clear")
    assert cleared.exit_code == 0 and "(today: no as-of date" in _flat(cleared.output)
    with api.open_registry(db) as registry:
        entries = api.audit_log(registry, action="registry.set_as_of")
        assert api.registry_as_of(registry).source is api.AsOfSource.TODAY
    assert [(e.actor, e.before, e.after) for e in entries] == [
        ("drsmith", {"as_of": None}, {"as_of": "2026-06-30"}),
        ("drsmith", {"as_of": "2026-06-30"}, {"as_of": None}),
    ]
    assert entries[0].detail == f"from study {study}"


def test_set_as_of_needs_exactly_one_of_date_study_clear(db):
    for args in ((), ("2024-01-01", "--clear")):
        refused = run(db, "registry", "set-as-of", *args)
        assert refused.exit_code == 1 and "give one of a date, a study, or clear" in refused.output
    assert run(db, "registry", "set-as-of", "2024-02-30").exit_code == 2  # not a date
    with api.open_registry(db) as registry:
        assert registry.as_of() is None
        with pytest.raises(ValidationError):
            api.set_registry_as_of(registry)


def test_setting_it_does_not_move_the_registry_s_generation(db):
    """Results stored for any date stay current: the as-of date is not the registry's data."""
    with api.open_registry(db) as registry:
        before = registry.generation()
        api.set_registry_as_of(registry, dt.date(2024, 1, 1))
        assert registry.generation() == before


def test_0010_upgrades_a_0009_registry_with_no_as_of_date(tmp_path):
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    config = Config()
    with resources.as_file(resources.files("calciscope.storage").joinpath("migrations")) as path:
        config.set_main_option("script_location", str(path))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0009_reading_roi")
    engine.dispose()
    with api.open_registry(url) as registry:
        assert registry.as_of() is None and registry.generation() == 1
        assert api.registry_as_of(registry).source is api.AsOfSource.TODAY
        registry.set_as_of(dt.date(2023, 12, 31))
        assert registry.as_of() == dt.date(2023, 12, 31)


@pytest.mark.parametrize("date", ["0001-01-01", "1899-12-31", "2099-01-01"])
def test_an_as_of_date_out_of_range_is_refused_naming_the_field(db, date):
    """fixes18: 0001-01-01 was stored, and every page and ``--explain`` then failed (year 0)."""
    refused = run(db, "registry", "set-as-of", date)
    assert refused.exit_code == 1, refused.output
    text = _flat(refused.output)
    assert "as_of" in text and "from 1900-01-01 to today" in text and date in text
    assert "Traceback" not in refused.output
    with api.open_registry(db) as registry:
        assert registry.as_of() is None  # nothing stored
        assert api.audit_log(registry, action="registry.set_as_of") == []
        with pytest.raises(ValidationError) as caught:
            api.set_registry_as_of(registry, dt.date.fromisoformat(date))
    assert [p.field for p in caught.value.problems] == ["as_of"]
    # the bounds themselves are accepted
    assert run(db, "registry", "set-as-of", "1900-01-01").exit_code == 0
    assert run(db, "registry", "set-as-of", dt.date.today().isoformat()).exit_code == 0


def test_a_study_file_s_date_out_of_range_is_refused_too(db, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(
        api.init_study_text().replace("index_date: 2023-12-31", "index_date: 1800-01-01"),
        encoding="utf-8",
    )
    refused = run(db, "registry", "set-as-of", "--study", str(study))
    assert refused.exit_code == 1, refused.output
    assert "as_of" in refused.output and "1800-01-01" in refused.output
    with api.open_registry(db) as registry:
        assert registry.as_of() is None


@pytest.mark.parametrize("date", ["0001-01-01", "2099-01-01"])
def test_an_index_date_out_of_range_is_refused(db, date):
    for args in (("patients", "show", "A1", "--explain"), ("review", "list"), ("classify",)):
        refused = run(db, *args, "--index-date", date)
        assert refused.exit_code == 1, (args, refused.output)
        assert "--index-date" in refused.output and "from 1900-01-01 to today" in refused.output
        assert "Traceback" not in refused.output


def test_a_date_stored_before_the_check_does_not_crash_the_explanation(db):
    """A registry given 0001-01-01 before fixes18: the look-back stops at the calendar's start."""
    from calciscope.phenotype import assessment_cutoff

    assert assessment_cutoff(dt.date(1, 1, 1), 12) == dt.date.min
    assert assessment_cutoff(dt.date(2, 3, 31), 13) == dt.date(1, 2, 28)
    with api.open_registry(db) as registry:
        registry.set_as_of(dt.date(1, 1, 1))  # as fixes17 stored it
    out = run(db, "patients", "show", "A1", "--explain")
    assert out.exit_code == 0, out.output
    assert "index date 0001-01-01 (the registry's as-of date)" in _flat(out.output)
    assert run(db, "review", "list").exit_code == 0


def test_the_date_and_its_audit_row_are_written_together(db, monkeypatch):
    """fixes18: a failing audit write left the date changed without an audit row."""
    from calciscope.storage.review import ReviewRepository

    def failing(self, conn, **row):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(ReviewRepository, "append_audit", failing)
    with api.open_registry(db) as registry:
        with pytest.raises(RuntimeError):
            api.set_registry_as_of(registry, dt.date(2024, 1, 1))
        assert registry.as_of() is None
