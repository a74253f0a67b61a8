"""A study reads the criteria results ``classify`` stored while they are current, and only then.

SYNTHETIC demo cohorts are imported into an SQLite registry (copied into a DuckDB file, and
imported into PostgreSQL with the ``postgres`` marker) and classified at the study's index date
(``api.classify_registry``). The study is then run with the stored results read and with every
criteria set computed again: the classified table, the source population's rows, the counts, the
headline and the attrition flow must be equal field for field. A fact added, a review decision,
a patient added or other definitions make the stored results stale: the study computes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from calciscope import api
from calciscope.api.study_definition import study_phenotypes
from calciscope.engine import connect
from calciscope.engine import stored as stored_module
from calciscope.engine.release import release_cached
from calciscope.engine.stored import StoredResults, unchanged
from calciscope.engine.study import StudyQuery
from calciscope.model import Fact, Patient, ReviewState
from calciscope.storage import Batch
from calciscope.storage.classification import data_versions, definitions_version
from calciscope.study import analyse

from .test_engines import INDEX, STUDY, _rows, duckdb_copy, make_cohort

DEFINITIONS = definitions_version(None)


def outputs(url: str, definitions: str | None) -> dict[str, Any]:
    """The study's classified table, population, counts, headline and flow; where they came from."""
    con = connect(url)
    try:
        stored = StoredResults(con, definitions) if definitions is not None else None
        query = StudyQuery(
            con, STUDY, study_phenotypes(STUDY), include_suggested=True, stored=stored
        )
        classified = query.classified((ReviewState.CONFIRMED,)).to_pyarrow().to_pandas()
        population, counts = query.population(), query.counts()
        analysis = analyse(population, STUDY, counts=counts)
        source = query.classification
    finally:
        release_cached(con)
        con.disconnect()
    return {
        "source": source,
        "classified columns": list(classified.columns),
        "classified": _rows(classified),
        "population columns": list(population.columns),
        "population": _rows(population),
        "counts": counts,
        "headline": analysis.headline.to_dict(),
        "attrition": analysis.attrition,
    }


def assert_equal(stored: dict[str, Any], computed: dict[str, Any]) -> None:
    assert stored["source"].startswith("stored results from "), stored["source"]
    assert computed["source"] == "computed"
    for key in computed:
        if key == "source":
            continue
        if (
            isinstance(computed[key], list)
            and computed[key]
            and isinstance(computed[key][0], tuple)
        ):
            assert len(stored[key]) == len(computed[key]), key
            for a, b in zip(stored[key], computed[key], strict=True):
                assert a == b, f"{key}: stored\n{a}\ncomputed\n{b}"
        else:
            assert stored[key] == computed[key], key


def with_results_copy(sqlite_url: str, path: Path) -> str:
    """The DuckDB copy of the registry, with its stored classification results too."""
    url = duckdb_copy(sqlite_url, path)
    source, target = connect(sqlite_url), connect(url)
    try:
        t = source.table("classification_results")
        rows = t.mutate(result=t.result.cast("string")).to_pyarrow()
        target.create_table("classification_results", rows, overwrite=True)
    finally:
        source.disconnect()
        target.disconnect()
    return url


@pytest.fixture(scope="module")
def classified_demo_file(tmp_path_factory: pytest.TempPathFactory, demo_registry_url: str) -> Path:
    """The demo registry classified at the study's index date, once (read-only: tests copy it)."""
    path = tmp_path_factory.mktemp("classified") / "demo.db"
    shutil.copy(demo_registry_url.split(":///", 1)[1], path)
    with api.open_registry(f"sqlite:///{path}") as registry:
        api.classify_registry(registry, index_date=INDEX)
    return path


@pytest.fixture
def classified_demo(tmp_path: Path, classified_demo_file: Path) -> str:
    """A private copy of the classified demo registry (tests add facts and decide on them)."""
    path = tmp_path / "demo.db"
    shutil.copy(classified_demo_file, path)
    return f"sqlite:///{path}"


def test_stored_results_give_the_computed_study_on_sqlite_and_duckdb(
    classified_demo: str, tmp_path: Path
) -> None:
    computed = outputs(classified_demo, None)
    assert computed["headline"]["source_population"] > 0 and computed["headline"]["cases"] > 0
    assert_equal(outputs(classified_demo, DEFINITIONS), computed)
    duck = with_results_copy(classified_demo, tmp_path / "r.duckdb")
    assert_equal(outputs(duck, DEFINITIONS), outputs(duck, None))


@pytest.mark.postgres
def test_stored_results_give_the_computed_study_on_postgres(
    tmp_path: Path, postgres_database: Callable[[], str]
) -> None:
    make_cohort(tmp_path, 120, 5)
    url = postgres_database()
    with api.open_registry(url) as registry:
        api.import_directory(registry, tmp_path / "cohort")
        api.classify_registry(registry, index_date=INDEX)
    assert_equal(outputs(url, DEFINITIONS), outputs(url, None))


def test_the_study_reads_the_same_data_versions_as_the_registry(classified_demo: str) -> None:
    with api.open_registry(classified_demo) as registry:
        versions = data_versions(registry)
    con = connect(classified_demo)
    try:
        assert unchanged(con, versions)
        assert not unchanged(con, versions | {next(iter(versions)): "another"})
    finally:
        con.disconnect()


def _source(url: str, definitions: str = DEFINITIONS, index_date: dt.date = INDEX) -> str:
    con = connect(url)
    try:
        found = StoredResults(con, definitions).at(index_date)
    finally:
        release_cached(con)
        con.disconnect()
    return "computed" if found is None else found.describe()


def _fact(patient_id: str) -> Fact:
    return Fact(patient_id=patient_id, system="HP", code="HP:0003761", effective_date=INDEX)


def test_a_change_makes_the_study_compute(classified_demo: str) -> None:
    assert _source(classified_demo).startswith("stored results from ")
    # other definitions (another calciscope, criteria file or option), another index date
    assert _source(classified_demo, definitions="another version") == "computed"
    assert _source(classified_demo, index_date=INDEX - dt.timedelta(days=1)) == "computed"
    with api.open_registry(classified_demo) as registry:
        pid = sorted(data_versions(registry))[0]
        fact = registry.facts_for(pid)[0]
        # a review decision (the fact's state and version change)
        registry.set_review_state(fact.fact_id, "rejected")
    assert _source(classified_demo) == "computed"
    with api.open_registry(classified_demo) as registry:
        api.classify_registry(registry, index_date=INDEX)
    assert _source(classified_demo).startswith("stored results from ")
    with api.open_registry(classified_demo) as registry:
        registry.add_facts([_fact(pid)])  # a fact added
    assert _source(classified_demo) == "computed"
    with api.open_registry(classified_demo) as registry:
        api.classify_registry(registry, index_date=INDEX)
        batch = Batch(patients=[Patient(patient_id="P-new", sex="female")])
        registry.import_batch(batch, source="SYNTHETIC", source_hash="0")  # a patient added
    assert _source(classified_demo) == "computed"


def test_run_study_says_where_the_classification_came_from(
    classified_demo: str, tmp_path: Path
) -> None:
    with api.open_registry(classified_demo) as registry:
        api.run_study(STUDY, registry, out=tmp_path / "stored")
        api.run_study(STUDY, registry, out=tmp_path / "computed", reuse=False)
    manifests = {
        k: json.loads((tmp_path / k / "manifest.json").read_text()) for k in ("stored", "computed")
    }
    assert manifests["stored"]["classification"].startswith("stored results from ")
    assert manifests["computed"]["classification"] == "computed"
    results = {
        k: json.loads((tmp_path / k / "results.json").read_text()) for k in ("stored", "computed")
    }
    # results.json carries the manifest too (its time and classification differ)
    for k in results:
        results[k].pop("manifest")
    assert results["stored"] == results["computed"]
    # every table of the bundle, file for file
    tables = {
        k: {p.relative_to(tmp_path / k): p.read_bytes() for p in (tmp_path / k).rglob("*.csv")}
        for k in ("stored", "computed")
    }
    assert tables["stored"] and tables["stored"] == tables["computed"]


def test_on_sqlite_one_number_says_the_stored_results_are_current(
    classified_demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry's generation decides: no pass over the facts, and any writer counts."""

    def no_pass(*args: object) -> bool:
        raise AssertionError("the facts were hashed")

    monkeypatch.setattr(stored_module, "unchanged", no_pass)
    assert _source(classified_demo).startswith("stored results from ")
    # a note added by another writer (not calciscope, no data version covers notes): stale
    engine = sa.create_engine(classified_demo)
    with engine.begin() as conn:
        pid = conn.scalar(sa.text("SELECT min(patient_id) FROM patients"))
        conn.execute(
            sa.text(
                "INSERT INTO notes (note_id, patient_id, note_type, note_date, text, synthetic) "
                "VALUES ('N-new', :pid, 'clinic_letter', '2020-01-01', 'SYNTHETIC', 1)"
            ),
            {"pid": pid},
        )
    engine.dispose()
    assert _source(classified_demo) == "computed"
