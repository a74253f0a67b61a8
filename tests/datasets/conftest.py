"""Session fixtures: the default demo cohort, generated once, and its files as tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from calciscope.datasets import DemoManifest, generate_demo_cohort


@pytest.fixture(scope="session")
def default_cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """The default cohort (seed 0, default size), written once per session."""
    return generate_demo_cohort(tmp_path_factory.mktemp("demo") / "cohort")


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def tables(default_cohort: DemoManifest) -> dict[str, Any]:
    """The cohort's files: DataFrames of strings ('' = empty cell) and the parsed notes."""
    folder = default_cohort.out_dir
    lines = (folder / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    return {
        "patients": _read(folder, "patients.csv"),
        "facts": _read(folder, "facts.csv"),
        "images": _read(folder, "images.csv"),
        "answer": _read(folder, "answer_key.csv"),
        "notes": [json.loads(line) for line in lines],
    }
