"""The Alembic head and ``storage.schema.metadata`` describe the same database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from calciscope.storage import Registry, schema


def _differences(url: str) -> list[object]:
    with Registry(url) as registry, registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, schema.metadata)


def test_sqlite_head_matches_schema(sqlite_url):
    assert _differences(sqlite_url) == []


@pytest.mark.postgres
def test_postgres_head_matches_schema(postgres_database):
    assert _differences(postgres_database()) == []


def test_0002_upgrades_a_0001_registry_keeping_its_facts(tmp_path):
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
            command.upgrade(config, "0001")
            conn.execute(
                sa.text("INSERT INTO patients VALUES ('P1', 'female', NULL, 1970, NULL, 1)")
            )
            conn.execute(
                sa.text(
                    "INSERT INTO facts (fact_id, patient_id, system, code, status, source_kind, "
                    "review_state) VALUES ('F1', 'P1', 'HP', 'HP:0003761', 'present', 'note', "
                    "'suggested')"
                )
            )
    engine.dispose()
    with Registry(url) as registry, registry.engine.connect() as conn:
        row = conn.execute(sa.select(schema.facts)).mappings().one()
    assert (row["fact_id"], row["version"], row["superseded_by"]) == ("F1", 1, None)


def test_sqlite_registry_serves_reads_while_a_write_is_open(sqlite_url):
    with Registry(sqlite_url) as registry:
        with registry.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            timeout_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert timeout_ms == int(registry.busy_timeout * 1000) > 0
        with registry.engine.begin() as writer:
            writer.execute(
                schema.patients.insert().values(patient_id="P1", sex="female", synthetic=True)
            )
            with registry.engine.connect() as reader:  # WAL: not blocked, sees the last commit
                assert reader.scalar(sa.select(sa.func.count()).select_from(schema.patients)) == 0
        assert registry.counts()["patients"] == 1


def test_the_head_comparison_sees_a_column_length(sqlite_url):
    """The diff compares types with their lengths: a column one character longer is a difference."""
    changed = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["facts"].c.unit.type = sa.String(33)
    with Registry(sqlite_url) as registry, registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = compare_metadata(context, changed)
    assert [(d[0][0], d[0][3]) for d in found] == [("modify_type", "unit")]
