"""``classify`` over a registry (stored results) and ``patients show --explain``, on synthetic patients."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from calciscope import api
from calciscope.cli.app import app
from calciscope.criteria import load_criteria_sets
from calciscope.features import DerivationKind, load_catalogue
from calciscope.model import Fact, Patient, Status
from calciscope.storage import Batch, Registry
from calciscope.storage.classification import read_classification_results

INDEX = dt.date(2025, 1, 1)
SETS = [*(s.id for s in load_criteria_sets()), "phenotypes"]


FEATURES = [
    f
    for f in load_catalogue().features.values()
    if f.derive.kind in (DerivationKind.STATUS, DerivationKind.LATEST_VALUE)
    and not f.derive.morphology
]


def _facts(pid: str, rng: random.Random) -> list[Fact]:
    """Random confirmed facts for the criteria features (a third of them missing)."""
    catalogue, facts = load_catalogue(), []
    for feature in FEATURES:
        draw = rng.random()
        if draw < 0.35:
            continue
        d = feature.derive
        system, code = catalogue.concepts[d.concept].primary_code
        value = float(rng.randint(0, 3)) if d.kind is DerivationKind.LATEST_VALUE else None
        facts.append(
            Fact(
                patient_id=pid,
                system=system,
                code=code,
                status=Status.PRESENT if draw < 0.75 or value is not None else Status.ABSENT,
                effective_date=dt.date(2020, 1, 1),
                value_num=value,
                body_site=d.sites[0] if d.sites else None,
                laterality=d.laterality[0] if d.laterality else None,
            )
        )
    onset = catalogue.concepts["myositis_onset"].primary_code
    facts.append(
        Fact(patient_id=pid, system=onset[0], code=onset[1], effective_date=dt.date(2019, 5, 1))
    )
    return facts


@pytest.fixture(scope="module")
def cohort() -> Batch:
    """A small SYNTHETIC registry batch: random facts for 30 patients (fixed seed)."""
    rng = random.Random(7)
    patients = [
        Patient(patient_id=f"s{i:02d}", birth_date=dt.date(1950 + i, 3, 1), synthetic=True)
        for i in range(30)
    ]
    return Batch(patients=patients, facts=[f for p in patients for f in _facts(p.patient_id, rng)])


@pytest.fixture
def registry_url(cohort: Batch, sqlite_url: str) -> str:
    registry = api.open_registry(sqlite_url)
    registry.import_batch(cohort, source="test", source_hash="test")
    registry.close()
    return sqlite_url


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


def _check_stored_against_explanations(url: str) -> None:
    registry = api.open_registry(url)
    try:
        _compare(registry)
    finally:
        registry.close()


def _compare(registry: Registry) -> None:
    summary = api.classify_registry(registry, index_date=INDEX)
    stored = read_classification_results(registry, index_date=INDEX)
    assert summary.rows == len(stored) == summary.patients * len(SETS)
    by_patient: dict[str, dict[str, Any]] = {}
    for row in stored:
        assert row.index_date == INDEX and row.criteria_version
        by_patient.setdefault(row.patient_id, {}).update(row.result)
    for pid in list(by_patient)[:3]:
        explanation = api.explain_patient(registry, pid, index_date=INDEX)
        for result in explanation:
            for key, value in result.outputs.items():
                assert _same(by_patient[pid][key], value), (pid, key)


@pytest.mark.slow
def test_classify_stores_every_result_matching_the_explanations(registry_url: str) -> None:
    _check_stored_against_explanations(registry_url)


@pytest.mark.slow
def test_classify_twice_replaces_rather_than_duplicates(registry_url: str) -> None:
    registry = api.open_registry(registry_url)
    first = api.classify_registry(registry, index_date=INDEX)
    second = api.classify_registry(registry, index_date=INDEX)
    assert len(read_classification_results(registry)) == first.rows == second.rows
    registry.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_classify_on_postgres(cohort: Batch, postgres_database: Callable[[], str]) -> None:
    url = postgres_database()
    registry = api.open_registry(url)
    registry.import_batch(cohort, source="test", source_hash="test")
    registry.close()
    _check_stored_against_explanations(url)


def test_cli_classify_and_explain(registry_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["classify", "--db", registry_url, "--index-date", INDEX.isoformat()]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # Rich wraps lines at the terminal width
    assert "150 results stored in classification_results" in text
    registry = api.open_registry(registry_url)
    pid = read_classification_results(registry)[0].patient_id
    registry.close()
    shown = runner.invoke(app, ["patients", "show", pid, "--explain", "--db", registry_url])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "2013 ACR/EULAR" in text and "at_risk_prompt" in text and "not a diagnosis" in text


def test_explain_unknown_patient_is_a_clean_error(registry_url: str) -> None:
    result = CliRunner().invoke(
        app, ["patients", "show", "nobody", "--explain", "--db", registry_url]
    )
    assert result.exit_code != 0
