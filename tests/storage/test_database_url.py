"""Database URLs: one normaliser, and passwords never shown."""

from __future__ import annotations

import pytest

from calciscope.errors import RegistryError
from calciscope.storage import Registry
from calciscope.storage.database_url import display_url, hide_password, normalise_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("registry.db", "sqlite:///registry.db"),
        ("sqlite:///r.db", "sqlite:///r.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("duckdb:///cdm.duckdb", "duckdb:///cdm.duckdb"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://ana:S3cr%40t@db:5432/reg",
            "postgresql+psycopg://ana:***@db:5432/reg",
        ),
        ("postgresql+psycopg://ana@db/reg", "postgresql+psycopg://ana@db/reg"),
        ("sqlite:///calciscope.db", "sqlite:///calciscope.db"),
        ("registry.db", "registry.db"),
        ("weird://ana:S3cret@[broken", "weird://ana:***@[broken"),
    ],
)
def test_display_url_hides_the_password(url, shown):
    assert display_url(url) == shown


def test_hide_password_in_messages():
    url = "postgresql+psycopg://ana:S3cr%40t@db/reg"
    text = "failed for ana:S3cr@t and ana:S3cr%40t"
    assert hide_password(text, url) == "failed for ana:*** and ana:***"
    assert hide_password("nothing secret", "sqlite:///r.db") == "nothing secret"


def test_registry_url_is_shown_without_password(tmp_path):
    url = "postgresql+psycopg://ana:S3cret@127.0.0.1:1/reg"
    with pytest.raises(RegistryError) as caught:
        Registry(url)
    assert "S3cret" not in str(caught.value)
    assert "ana:***@127.0.0.1:1/reg" in str(caught.value)
    assert caught.value.__cause__ is None  # no chained exception quoting the URL
