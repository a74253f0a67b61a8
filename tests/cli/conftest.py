"""The ``demo`` main job run once for the CLI tests (session-scoped, read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calciscope.cli.app import app


@pytest.fixture(scope="session")
def cli_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """``calciscope demo --db sqlite:///FOLDER/demo.db`` run in a fresh FOLDER: (FOLDER, result).

    The whole main job (generate, import, read the notes and films, run the study, write the
    report) takes minutes on a loaded 2-core machine: the tests of its output share one run.
    ``.ci/run``'s quick start runs it again from a non-editable install with the default
    registry (no ``--db``).
    """
    folder = tmp_path_factory.mktemp("cli-demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{folder / 'demo.db'}"])
    return folder, result
