"""Shared paths to the third-party test files in ../shared/data (see its README.md).

A licensed subset is kept in tests/data (see its README.md): those folders are read from there
when ../shared/data is absent. Anything else is skipped then, except in CI (``CI=true``), where
a missing file fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
IN_REPO_DATA = Path(__file__).resolve().parents[1] / "data"
#: folders of ../shared/data whose copy in tests/data serves every test that reads them
IN_REPO = (
    ("redcap", "rarelink_evaluation_cohort"),
    ("redcap", "REDCapR_test_projects", "projects", "simple"),
    ("redcap", "REDCapR_test_projects", "projects", "repeating-instruments"),
    ("fhir", "hl7_r4_examples"),
)


def _data_dir(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if path.exists():
        return path
    copy = IN_REPO_DATA.joinpath(*parts)
    if any(parts[: len(kept)] == kept for kept in IN_REPO) and copy.exists():
        return copy
    reason = f"third-party test data {path} is absent (see ../shared/data/README.md)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI needs ../shared/data")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_dir() -> Callable[..., Path]:
    """Return a function giving a folder of ../shared/data, or skipping the test with the reason."""
    return _data_dir
