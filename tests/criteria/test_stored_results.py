"""Stored classification results are reused while fresh, on SYNTHETIC patients.

``classify`` stores each result with the definitions' and the patient data's version;
``explain_patient`` reads them back while both match (``source: stored``), and computes again,
writing nothing, once a fact of the patient or a definition has changed (``source: computed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.api import criteria as api_criteria
from calciscope.api.criteria import ResultSource
from calciscope.cli.app import app
from calciscope.model import Fact, Patient, ReviewState, Status
from calciscope.storage import Batch, Registry
from calciscope.storage import classification as stored_classification
from calciscope.storage.classification import read_classification_results

INDEX = dt.date(2025, 1, 1)


@pytest.fixture
def registry(sqlite_url: str) -> Iterator[Registry]:
    """Two SYNTHETIC patients: one with SSc findings and a suggested fact, one with none."""
    patients = [
        Patient(patient_id=p, birth_date=dt.date(1960, 1, 1), synthetic=True) for p in ("a", "b")
    ]
    found = dict(effective_date=dt.date(2020, 1, 1), review_state=ReviewState.CONFIRMED)
    facts = [
        Fact(patient_id="a", system="HP", code="HP:0001047", **found),  # atopic dermatitis
        Fact(patient_id="a", system="calciscope", code="puffy_fingers", **found),
        Fact(
            patient_id="a",
            system="calciscope",
            code="telangiectasia",
            effective_date=dt.date(2020, 1, 1),
            review_state=ReviewState.SUGGESTED,
        ),
    ]
    registry = api.open_registry(sqlite_url)
    registry.import_batch(Batch(patients=patients, facts=facts), source="test", source_hash="t")
    yield registry
    registry.close()


def _rows(registry: Registry) -> list[tuple[str, str, object]]:
    return [(r.patient_id, r.criteria_set, r.result) for r in read_classification_results(registry)]


def test_fresh_stored_results_are_reused_and_equal_a_fresh_computation(
    registry: Registry,
) -> None:
    computed = api.explain_patient(registry, "a", index_date=INDEX)
    assert computed.source is ResultSource.COMPUTED
    api.classify_registry(registry, index_date=INDEX)
    stored = api.explain_patient(registry, "a", index_date=INDEX)
    assert stored.source is ResultSource.STORED
    assert stored.criteria == computed.criteria
    assert stored.phenotypes == computed.phenotypes
    # another index date, or another threshold (a definition), was never stored
    other_day = api.explain_patient(registry, "a", index_date=INDEX + dt.timedelta(days=1))
    assert other_day.source is ResultSource.COMPUTED
    threshold = api.explain_patient(registry, "a", index_date=INDEX, min_probability=0.9)
    assert threshold.source is ResultSource.COMPUTED


def test_results_at_the_registry_generation_are_reused_without_reading_facts(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = api.explain_patient(registry, "a", index_date=INDEX)
    api.classify_registry(registry, index_date=INDEX)

    def no_rows(*args: object) -> None:
        raise AssertionError("a patient's rows were read although nothing was written")

    monkeypatch.setattr(api_criteria, "patient_tables", no_rows)
    stored = api.explain_patient(registry, "a", index_date=INDEX)
    assert stored.source is ResultSource.STORED
    assert (stored.criteria, stored.phenotypes) == (computed.criteria, computed.phenotypes)


def test_every_fact_edit_makes_only_that_patient_stale(registry: Registry) -> None:
    api.classify_registry(registry, index_date=INDEX)
    before = _rows(registry)
    api.add_fact(
        registry,
        {"patient_id": "a", "system": "calciscope", "code": "sclerodactyly"},
        author="tester",
        reason="seen in clinic",
    )
    assert api.explain_patient(registry, "a", index_date=INDEX).source is ResultSource.COMPUTED
    assert api.explain_patient(registry, "b", index_date=INDEX).source is ResultSource.STORED
    assert _rows(registry) == before  # explaining writes nothing

    api.classify_registry(registry, index_date=INDEX)
    fact = next(f for f in registry.facts_for("a") if f.code == "puffy_fingers")
    api.correct_fact(
        registry, fact.fact_id, {"status": Status.ABSENT}, author="tester", reason="misread"
    )
    assert api.explain_patient(registry, "a", index_date=INDEX).source is ResultSource.COMPUTED

    api.classify_registry(registry, index_date=INDEX)
    suggested = next(f for f in registry.facts_for("a") if f.code == "telangiectasia")
    api.review(registry, suggested.fact_id, "confirm", reviewer="tester", reason="seen")
    explanation = api.explain_patient(registry, "a", index_date=INDEX)
    assert explanation.source is ResultSource.COMPUTED


def test_a_definition_change_makes_every_result_stale(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.classify_registry(registry, index_date=INDEX)
    assert api.explain_patient(registry, "b", index_date=INDEX).source is ResultSource.STORED
    # another release: the compiler that evaluates the definitions may differ
    monkeypatch.setattr(stored_classification, "__version__", "edited")
    stored_classification.definitions_version.cache_clear()
    try:
        assert api.explain_patient(registry, "b", index_date=INDEX).source is ResultSource.COMPUTED
    finally:
        monkeypatch.undo()
        stored_classification.definitions_version.cache_clear()


def test_the_definitions_version_covers_the_packaged_files() -> None:
    files = {name for _, name in stored_classification._DEFINITION_FILES}
    assert {"sets", "phenotypes.yaml", "features.yaml", "concepts.yaml"} <= files
    assert stored_classification.definitions_version(
        None
    ) != stored_classification.definitions_version(0.7)


def test_cli_explain_says_where_its_results_come_from(registry: Registry, sqlite_url: str) -> None:
    runner = CliRunner()
    args = ["patients", "show", "a", "--explain", "--index-date", INDEX.isoformat()]
    before = runner.invoke(app, [*args, "--db", sqlite_url])
    assert before.exit_code == 0, before.output
    assert "source: computed" in before.output
    api.classify_registry(registry, index_date=INDEX)
    after = runner.invoke(app, [*args, "--db", sqlite_url])
    assert after.exit_code == 0, after.output
    assert "source: stored" in after.output


def test_the_definitions_version_covers_the_evaluators_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change to the code that scores the definitions makes stored results stale.

    edge35 changed how an age known only as a range is scored (engine/criteria.py) with no
    definition file and no release version moving: the hash must still move. Leaving the
    evaluator's packages out of it gives another hash, so their source is in it.
    """
    assert "calciscope.engine" in stored_classification._EVALUATOR_PACKAGES
    stored_classification.definitions_version.cache_clear()
    with_code = stored_classification.definitions_version(None)
    monkeypatch.setattr(stored_classification, "_EVALUATOR_PACKAGES", ())
    stored_classification.definitions_version.cache_clear()
    try:
        assert stored_classification.definitions_version(None) != with_code
    finally:
        stored_classification.definitions_version.cache_clear()
