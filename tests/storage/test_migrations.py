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


def _registry_at(tmp_path, revision: str, *statements: str) -> str:
    """Return the URL of a SQLite registry migrated up to ``revision`` holding ``statements``."""
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
            command.upgrade(config, revision)
            for statement in statements:
                conn.execute(sa.text(statement))
    engine.dispose()
    return url


def test_0002_upgrades_a_0001_registry_keeping_its_facts(tmp_path):
    url = _registry_at(
        tmp_path,
        "0001",
        "INSERT INTO patients VALUES ('P1', 'female', NULL, 1970, NULL, 1)",
        "INSERT INTO facts (fact_id, patient_id, system, code, status, source_kind, "
        "review_state) VALUES ('F1', 'P1', 'HP', 'HP:0003761', 'present', 'note', 'suggested')",
    )
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


def test_0009_upgrades_a_0008_registry_keeping_its_readings_without_a_roi(tmp_path):
    """Readings stored before 0009 keep their rows; their region rows have no ROI and no mask."""
    from calciscope.storage.images import ImageRepository, stored_roi

    url = _registry_at(
        tmp_path,
        "0008_registry_generation",
        "INSERT INTO patients (patient_id, sex, synthetic) VALUES ('P1', 'female', 1)",
        "INSERT INTO images (image_id, patient_id, modality, body_site) "
        "VALUES ('IMG-1', 'P1', 'radiograph', 'hand')",
        "INSERT INTO image_readings (reading_id, image_id, reader, reader_role, reading_date, "
        "blinded) VALUES ('R1', 'IMG-1', 'dr_a', 'clinician', '2024-01-02', 1)",
        "INSERT INTO image_reading_regions (reading_id, body_site, laterality, presence, "
        "florence, area_mm2) VALUES ('R1', 'hand', 'right', 'present', 'plate', 12.5)",
    )
    with Registry(url) as registry:
        (reading,) = ImageRepository(registry).readings_of("IMG-1")
    (region,) = reading.regions
    assert (region["florence"], region["area_mm2"]) == ("plate", 12.5)
    assert stored_roi(region) is None and region["deposit_mask_png"] is None


def test_0011_downgrades_in_batch_mode_keeping_the_users(tmp_path):
    """fix38 (L3): 0011's downgrade uses batch mode as 0002/0006/0007 (no native DROP COLUMN)."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    url = _registry_at(tmp_path, "0011_user_sessions")
    engine = sa.create_engine(url)
    config = Config()
    with resources.as_file(resources.files("calciscope.storage").joinpath("migrations")) as path:
        config.set_main_option("script_location", str(path))
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (name, role, password_hash, active, created_at) "
                    "VALUES ('u', 'clinician', 'x', 1, '2026-01-01 00:00:00')"
                )
            )
            config.attributes["connection"] = conn
            command.downgrade(config, "0010_registry_as_of")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
            names = conn.execute(sa.text("SELECT name FROM users")).scalars().all()
    engine.dispose()
    assert "session_epoch" not in columns and names == ["u"]
