"""Migration 0003_images adds the image tables and removes them again when downgraded to 0002."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from calciscope.storage import Registry

IMAGE_TABLES = {"image_files", "image_readings", "image_reading_regions"}


def _alembic(registry: Registry, action, target: str) -> None:
    config = Config()
    with resources.as_file(resources.files("calciscope.storage").joinpath("migrations")) as path:
        config.set_main_option("script_location", str(path))
        with registry.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, target)


def test_image_tables_come_and_go(sqlite_url):
    with Registry(sqlite_url) as registry:
        assert set(sa.inspect(registry.engine).get_table_names()) >= IMAGE_TABLES
        _alembic(registry, command.downgrade, "0002")
        names = set(sa.inspect(registry.engine).get_table_names())
        assert not IMAGE_TABLES & names and "images" in names
        _alembic(registry, command.upgrade, "head")
        assert set(sa.inspect(registry.engine).get_table_names()) >= IMAGE_TABLES
