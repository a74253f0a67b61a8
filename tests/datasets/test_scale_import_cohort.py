"""The SYNTHETIC cohort of ``benchmarks/scale_import.py``: no fact before its patient's birth.

The generator drew each patient's birth year (1930-2000) and the first year of their facts
(1990-2015) independently, so a patient born in 1991-2000 could get facts dated before birth,
which the importer refuses (``model.before_birth``): ``scale_import.py --patients 40`` failed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from calciscope import api
from calciscope.model import after_today, before_birth

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale_import.py"


@pytest.fixture(scope="module")
def scale_import() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale_import_under_test", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("patients", "seed"), [(40, 0), (300, 1), (300, 7), (1000, 12345)])
def test_every_fact_is_on_or_after_birth_and_not_after_today(
    scale_import: ModuleType, tmp_path: Path, patients: int, seed: int
) -> None:
    written = scale_import.generate(tmp_path / "cohort", patients, seed)
    born = {
        row["patient_id"]: int(row["birth_year"])
        for row in _rows(tmp_path / "cohort", "patients.csv")
    }
    facts = _rows(tmp_path / "cohort", "facts.csv")
    assert len(born) == patients and len(facts) == written
    # the cohort does hold patients born after 1990, the first year a fact could be dated
    assert any(year > 1990 for year in born.values())
    for fact in facts:
        date = dt.date.fromisoformat(fact["effective_date"])
        assert date.year >= born[fact["patient_id"]], fact
        assert before_birth(date, None, born[fact["patient_id"]]) is None, fact
        assert after_today(date, "a fact's date") is None, fact


def test_the_cohort_is_the_same_for_the_same_seed(scale_import: ModuleType, tmp_path: Path) -> None:
    digests = []
    for run, seed in enumerate((3, 3, 4)):
        folder = tmp_path / f"run{run}"
        scale_import.generate(folder, 200, seed)
        text = (folder / "patients.csv").read_bytes() + (folder / "facts.csv").read_bytes()
        digests.append(hashlib.sha256(text).hexdigest())
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_a_small_cohort_imports_whole(scale_import: ModuleType, tmp_path: Path) -> None:
    written = scale_import.generate(tmp_path / "cohort", 40, 0)
    registry = api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    summary = api.import_directory(registry, tmp_path / "cohort")
    assert summary.counts["patients"] == 40
    assert summary.counts["facts"] == written
