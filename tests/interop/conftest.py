"""Shared paths to the third-party test files in ../shared/data (see its README.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _data_dir(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"third-party test data {path} is absent (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Callable[..., Path]:
    """Return a function giving a folder of ../shared/data, or skipping the test with the reason."""
    return _data_dir
