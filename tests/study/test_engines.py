"""Engine equality of the study in the database: SQLite = DuckDB file = PostgreSQL.

SYNTHETIC cohorts from the demo generator (sizes and seeds drawn by Hypothesis, few examples,
and one demo-sized cohort) are imported into an SQLite registry, copied table by table into a
DuckDB file, and imported into a PostgreSQL registry. On each engine the feature table, every
criteria set's result columns, every phenotype, the source population's analysis rows, the
registry-wide counts and the study's headline and attrition flow are computed where the data
is (:class:`calciscope.engine.study.StudyQuery`) and compared with SQLite's, cell by cell.
Whether the numbers are right is the business of the golden tests; this says that every engine
gives the same ones.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from calciscope import api
from calciscope.api.study_definition import study_phenotypes
from calciscope.engine import compute_feature_table, connect
from calciscope.engine.classified import classified_table
from calciscope.engine.release import release_cached
from calciscope.engine.study import StudyQuery
from calciscope.model import ReviewState
from calciscope.study import analyse, default_study

STUDY = default_study()
INDEX = STUDY.population.index_date
#: the registry tables a study reads, and of some of them the columns it reads (dated notes and
#: images are records of contact for `population.seen_by: any_record`)
TABLES: dict[str, tuple[str, ...] | None] = {
    "facts": None,
    "patients": None,
    "images": ("image_id", "patient_id", "modality", "body_site", "laterality", "image_date"),
    "notes": ("note_id", "patient_id", "note_type", "note_date"),
    "import_batches": ("source", "source_hash"),
}
SETTINGS = settings(
    derandomize=True,
    max_examples=2,
    deadline=None,
    # each example builds registries: report the failing cohort, never spend minutes shrinking
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _cell(value: Any) -> Any:
    """One comparable form per value: None for every kind of missing, floats rounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    ordered = frame.sort_values("patient_id", kind="stable")
    return [tuple(_cell(v) for v in row) for row in ordered.itertuples(index=False)]


def study_outputs(url: str) -> dict[str, Any]:
    """Everything compared between engines, computed on the database at ``url``."""
    con = connect(url)
    try:
        features = compute_feature_table(
            con.table("facts"), con.table("patients"), index_date=INDEX
        )
        phenotypes = study_phenotypes(STUDY)
        classified = classified_table(con, INDEX, (ReviewState.CONFIRMED,), phenotypes)
        query = StudyQuery(con, STUDY, phenotypes, include_suggested=True)
        population, counts = query.population(), query.counts()
        analysis = analyse(population, STUDY, counts=counts)
        feature_frame = features.to_pyarrow().to_pandas()
        classified_frame = classified.to_pyarrow().to_pandas()
        bodymap = query.bodymap_counts()
        shown = population.loc[population["case"] | population["case_suggested_only"]]
        facts = query.report_facts(shown["patient_id"])
    finally:
        release_cached(con)
        con.disconnect()
    return {
        "feature columns": list(feature_frame.columns),
        "features": _rows(feature_frame),
        "classified columns": list(classified_frame.columns),
        "classified": _rows(classified_frame),
        "population": _rows(population),
        "counts": counts,
        "headline": analysis.headline.to_dict(),
        "attrition": analysis.attrition,
        "report facts": sorted(map(tuple, facts.astype(str).to_numpy().tolist())),
        "body map": sorted(map(tuple, bodymap.astype(str).to_numpy().tolist())),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any], engine: str) -> None:
    for key in want:
        if isinstance(want[key], list) and want[key] and isinstance(want[key][0], tuple):
            assert len(got[key]) == len(want[key]), f"{engine}: {key}: row count"
            for a, b in zip(got[key], want[key], strict=True):
                assert a == b, f"{engine}: {key} differs from SQLite:\n{a}\n{b}"
        else:
            assert got[key] == want[key], f"{engine}: {key} differs from SQLite"


def make_cohort(folder: Path, patients: int | None, seed: int) -> str:
    """Generate a SYNTHETIC cohort, import it into an SQLite registry; return the URL."""
    api.generate_demo_data(folder / "cohort", patients=patients, seed=seed, notes=False)
    url = f"sqlite:///{folder / 'registry.db'}"
    with api.open_registry(url) as registry:
        api.import_directory(registry, folder / "cohort")
    return url


def duckdb_copy(sqlite_url: str, path: Path) -> str:
    """Copy the registry's tables into a DuckDB file; return its URL."""
    url = f"duckdb:///{path}"
    source, target = connect(sqlite_url), connect(url)
    try:
        for name, columns in TABLES.items():
            table = source.table(name)
            table = table.select(*columns) if columns else table
            target.create_table(name, table.to_pyarrow(), overwrite=True)
    finally:
        source.disconnect()
        target.disconnect()
    return url


def postgres_registry(folder: Path, make_database: Callable[[], str]) -> str:
    """Import the same cohort into a fresh PostgreSQL registry; return the URL."""
    url = make_database()
    with api.open_registry(url) as registry:
        api.import_directory(registry, folder / "cohort")
    return url


def check_engines(
    patients: int | None, seed: int, make_database: Callable[[], str] | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sqlite_url = make_cohort(folder, patients, seed)
        want = study_outputs(sqlite_url)
        assert want["counts"].patients > 0
        assert_same(study_outputs(duckdb_copy(sqlite_url, folder / "r.duckdb")), want, "DuckDB")
        if make_database is not None:
            pg_url = postgres_registry(folder, make_database)
            assert_same(study_outputs(pg_url), want, "PostgreSQL")
    return want


@SETTINGS
@given(patients=st.integers(min_value=80, max_value=150), seed=st.integers(0, 10_000))
def test_sqlite_equals_duckdb_file(patients: int, seed: int) -> None:
    check_engines(patients, seed, None)


@pytest.mark.postgres
@SETTINGS
@given(patients=st.integers(min_value=80, max_value=150), seed=st.integers(0, 10_000))
def test_postgres_equals_sqlite_and_duckdb(
    patients: int, seed: int, postgres_database: Callable[[], str]
) -> None:
    check_engines(patients, seed, postgres_database)


@pytest.mark.postgres
def test_demo_cohort_on_every_engine(postgres_database: Callable[[], str]) -> None:
    want = check_engines(None, 0, postgres_database)
    # the demo cohort has cases and a source population: the comparison covered real rows
    assert want["headline"]["source_population"] > 0 and want["headline"]["cases"] > 0
    assert want["headline"]["synthetic"] is True


def test_registry_counts_cover_patients_outside_the_population() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = make_cohort(Path(tmp), 40, 3)
        con = connect(url)
        try:
            query = StudyQuery(con, STUDY, study_phenotypes(STUDY))
            population, counts = query.population(), query.counts()
            everyone = con.table("patients").count().execute()
        finally:
            release_cached(con)
            con.disconnect()
    assert counts.patients == everyone
    assert len(population) <= counts.ssc <= counts.patients
    assert population["in_population"].all()
    assert list(population["patient_id"]) == sorted(population["patient_id"])
