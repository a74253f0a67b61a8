"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get(
    "CALCISCOPE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# pytest-xdist's workers (.ci/run runs the suite on every core) start with COLUMNS=80 and
# LINES set; the CLI sizes its tables from them, so the same test would see narrower tables in
# a worker than in one process. Every worker sees what one process sees: no terminal size.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled SQL is cached in a folder of the test session's (and its CLI subprocesses')."""
    before = os.environ.get("CALCISCOPE_CACHE_DIR")
    os.environ["CALCISCOPE_CACHE_DIR"] = str(tmp_path_factory.mktemp("calciscope-cache"))
    yield
    if before is None:
        del os.environ["CALCISCOPE_CACHE_DIR"]
    else:
        os.environ["CALCISCOPE_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real third-party test files (../shared/data); skip when absent (fail in CI)."""
    if not SHARED_DATA.is_dir():
        reason = f"shared test data not found at {SHARED_DATA}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI needs ../shared/data")
        pytest.skip(reason)
    return SHARED_DATA


def _admin_engine():  # type: ignore[no-untyped-def]
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    return sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def postgres_database() -> Iterator[Callable[[], str]]:
    """Factory of throwaway PostgreSQL databases; each is dropped after the test."""
    from sqlalchemy import text

    engine = _admin_engine()
    created: list[str] = []

    def make() -> str:
        name = f"calciscope_t_{uuid.uuid4().hex[:12]}"
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with engine.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite registry URL in a temporary folder."""
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default SYNTHETIC demo cohort (seed 0), generated once per test session."""
    from calciscope.datasets import generate_demo_cohort

    folder = tmp_path_factory.mktemp("demo")
    generate_demo_cohort(folder, seed=0)
    return folder


@pytest.fixture(scope="session")
def demo_registry_url(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An SQLite registry holding the default demo cohort (read-only for tests)."""
    from calciscope import api

    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'demo.db'}"
    registry = api.open_registry(url)
    api.import_directory(registry, demo_dir)
    registry.close()
    return url


@pytest.fixture(scope="session")
def reviewed_demo_url(
    demo_dir: Path, demo_registry_url: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The demo registry after `calciscope demo` reads its notes and films (read-only for tests).

    As in ``calciscope demo``: the notes' suggested facts, and the SYNTHETIC phantom films'
    measurement suggestions (the only record of one anchor's sheet-like morphology) when the
    imaging extra is installed.
    """
    import contextlib
    import shutil

    from calciscope import api
    from calciscope.errors import MissingExtraError

    target = tmp_path_factory.mktemp("reviewed") / "demo.db"
    shutil.copy(demo_registry_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    films = tmp_path_factory.mktemp("demo-films")  # the films beside a copy of the key files
    for name in ("images.csv", "image_key.csv"):
        shutil.copy(demo_dir / name, films / name)
    with api.open_registry(url) as registry:
        api.extract_notes(registry)
        # without the imaging extra the film-only anchor stays unfound, as in the demo
        with contextlib.suppress(MissingExtraError):
            api.add_demo_radiographs(registry, films, seed=0)
    return url


@pytest.fixture(scope="session")
def demo_run(reviewed_demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The default (anchor) study run once on the reviewed demo registry (read-only for tests).

    As ``calciscope demo`` runs it (``api.run_demo``'s study), with the PDF and the pseudonymised
    export too: the report tests read its bundle, the review tests its analysis.
    """
    from calciscope import api
    from calciscope.study import OutputFormat, default_study

    study = default_study()
    formats = (*study.outputs.formats, OutputFormat.PDF)
    study = study.model_copy(
        update={"outputs": study.outputs.model_copy(update={"formats": formats})}
    )
    out: Path = tmp_path_factory.mktemp("report") / "calciscope-report"
    with api.open_registry(reviewed_demo_url) as registry:
        return api.run_study(study, registry, out=out, pseudonymise=True)
