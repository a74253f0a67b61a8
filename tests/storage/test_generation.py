"""The registry's generation (migration 0008) moves on at every write to its data, by any writer.

SYNTHETIC patients and facts. Database triggers bump ``registry_state.generation``: the
registry's own writes (import, the bulk fact writer's ``executemany`` on SQLite and ``COPY`` on
PostgreSQL, review decisions) and a plain SQL statement from another connection alike; reads, a
rolled-back write and stored classification results leave it where it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from calciscope.model import Fact, Note, Patient, ReviewState
from calciscope.storage import Batch, Registry, schema
from calciscope.storage.bulk import fact_table

DAY = dt.date(2024, 5, 1)


def _fact(pid: str, code: str = "HP:0003761") -> Fact:
    return Fact(patient_id=pid, system="HP", code=code, effective_date=DAY)


def _urls(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    make: Callable[[], str] = request.getfixturevalue("postgres_database")
    return make()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _urls(request, tmp_path)


def test_every_write_moves_the_generation_on_and_reads_do_not(url: str) -> None:
    with Registry(url) as registry:
        seen = [registry.generation()]

        def moved() -> bool:
            seen.append(registry.generation())
            return seen[-1] > seen[-2]

        batch = Batch(
            patients=[Patient(patient_id="P1", sex="female", synthetic=True)],
            facts=[_fact("P1")],
            notes=[Note(note_id="N1", patient_id="P1", text="SYNTHETIC letter", synthetic=True)],
        )
        registry.import_batch(batch, source="SYNTHETIC", source_hash="a")
        assert moved()
        registry.facts_for("P1"), registry.counts(), registry.patient("P1")
        assert not moved()  # reads
        # the bulk fact writer: executemany on SQLite, COPY on PostgreSQL
        registry.add_fact_table(fact_table([_fact("P1", "HP:0100679")]))
        assert moved()
        fact = registry.facts_for("P1")[0]
        registry.set_review_state(fact.fact_id, ReviewState.REJECTED.value)
        assert moved()
        registry.write_classification_rows(
            [
                {
                    "patient_id": "P1",
                    "criteria_set": "acr_eular_2013",
                    "index_date": DAY,
                    "criteria_version": "1",
                    "status": "not_met",
                    "result": {},
                    "computed_at": dt.datetime.now(dt.UTC),
                    "generation": seen[-1],
                }
            ]
        )
        assert not moved()  # results are not the registry's data
        with pytest.raises(RuntimeError), registry.write() as conn:
            conn.execute(
                schema.images.insert().values(image_id="I1", patient_id="P1", modality="radiograph")
            )
            raise RuntimeError("rolled back")
        assert not moved()
    # another writer, not calciscope: a plain SQL statement on its own connection
    other = sa.create_engine(url)
    with other.begin() as conn:
        conn.execute(sa.text("UPDATE patients SET centre = 'elsewhere' WHERE patient_id = 'P1'"))
    other.dispose()
    with Registry(url) as registry:
        assert registry.generation() > seen[-1]
        seen.append(registry.generation())
    other = sa.create_engine(url)
    with other.begin() as conn:
        conn.execute(sa.text("DELETE FROM patient_source_ids"))
        conn.execute(sa.text("DELETE FROM notes"))
    other.dispose()
    with Registry(url) as registry:
        assert registry.generation() > seen[-1]


def _alembic(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    config = Config()
    with resources.as_file(resources.files("calciscope.storage").joinpath("migrations")) as path:
        config.set_main_option("script_location", str(path))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            if revision == "0007_result_versions":
                conn.execute(
                    sa.text("INSERT INTO patients VALUES ('P1', 'female', NULL, 1970, NULL, true)")
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO classification_results (patient_id, criteria_set, "
                        "index_date, criteria_version, status, result, computed_at, "
                        "definitions_version, data_version) VALUES ('P1', 'phenotypes', "
                        "'2024-05-01', '1', 'no_prompt', '{}', '2024-05-01 00:00:00+00', 'd', 'v')"
                    )
                )
    engine.dispose()


def test_0008_upgrades_a_0007_registry_keeping_its_rows(url: str) -> None:
    _alembic(url, "0007_result_versions")
    with Registry(url) as registry:
        first = registry.generation()
        (row,) = registry.classification_rows()
        # results stored before 0008 carry no generation: never current by it
        assert (row["patient_id"], row["data_version"], row["generation"]) == ("P1", "v", None)
        registry.add_facts([_fact("P1")])
        assert registry.generation() > first


def test_a_bulk_insert_on_sqlite_moves_the_generation_once_and_keeps_the_trigger(
    tmp_path: Path,
) -> None:
    """The bulk writer takes the per-row trigger out for its batch and puts it back."""
    from calciscope.storage.bulk import fact_sink

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with Registry(url) as registry:
        registry.import_batch(
            Batch(patients=[Patient(patient_id="P1", sex="female", synthetic=True)]),
            source="SYNTHETIC",
            source_hash="p",
        )
        before = registry.generation()
        assert before is not None
        facts = [_fact("P1", code) for code in ("HP:0003761", "HP:0100679", "HP:0002514")]
        with registry.write() as conn:
            fact_sink(conn).write(fact_table(facts), None)
        assert registry.generation() == before + 1  # once for three rows
        assert len(registry.facts_for("P1")) == 3
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            triggers = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'facts'"
            ).scalars()
            assert "facts_generation_insert" in set(triggers)
        with engine.begin() as conn:  # another writer still moves it on, row by row
            conn.exec_driver_sql(
                "INSERT INTO facts (fact_id, patient_id, system, code, status, review_state, "
                "source_kind, version) VALUES ('FX', 'P1', 'HP', 'HP:1', 'present', "
                "'confirmed', 'structured', 1)"
            )
        engine.dispose()
        assert registry.generation() == before + 2
