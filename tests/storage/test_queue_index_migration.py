"""Migration 0004 adds the partial index the review queue pages through, and removes it again."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from calciscope.storage import Registry

INDEX = "ix_facts_open_suggested"


def _alembic(registry: Registry, action, target: str) -> None:
    config = Config()
    with resources.as_file(resources.files("calciscope.storage").joinpath("migrations")) as path:
        config.set_main_option("script_location", str(path))
        with registry.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, target)


def _indexes(registry: Registry) -> set[str]:
    return {i["name"] for i in sa.inspect(registry.engine).get_indexes("facts")}


def test_queue_index_comes_and_goes_and_serves_the_queue_query(sqlite_url):
    with Registry(sqlite_url) as registry:
        assert INDEX in _indexes(registry)
        with registry.engine.connect() as conn:
            plan = " ".join(
                str(row[-1])
                for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT fact_id FROM facts WHERE review_state = "
                    "'suggested' AND superseded_by IS NULL ORDER BY patient_id, "
                    "effective_date, code, fact_id LIMIT 10"
                )
            )
        assert INDEX in plan and "TEMP B-TREE" not in plan
        _alembic(registry, command.downgrade, "0004")
        assert INDEX not in _indexes(registry)
        _alembic(registry, command.upgrade, "head")
        assert INDEX in _indexes(registry)
