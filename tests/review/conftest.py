"""Registries for the review tests: the demo with its notes read, and a one-patient registry."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calciscope import api
from calciscope.model import Note, Patient
from calciscope.storage import Batch, Registry

#: A SYNTHETIC clinic letter: extraction suggests sheet-like calcinosis in two regions.
LETTER = (
    "Dear colleague,\nShe has diffuse cutaneous systemic sclerosis. On examination there is "
    "sheet-like calcinosis over both forearms and thighs. Plan: review in clinic."
)


@pytest.fixture
def demo_copy(reviewed_demo_url: str, tmp_path: Path) -> Iterator[Registry]:
    """A private, writable copy of the reviewed demo registry."""
    target = tmp_path / "demo.db"
    shutil.copy(reviewed_demo_url.removeprefix("sqlite:///"), target)
    with api.open_registry(f"sqlite:///{target}") as registry:
        yield registry


def fill_one_patient(registry: Registry) -> None:
    """Import patient P1 and her letter, then read it (three suggested facts)."""
    registry.import_batch(
        Batch(
            patients=[Patient(patient_id="P1", sex="female", birth_year=1960, synthetic=True)],
            notes=[
                Note(
                    note_id="P1-L1",
                    patient_id="P1",
                    note_date=dt.date(2022, 3, 1),
                    text=LETTER,
                    synthetic=True,
                )
            ],
        ),
        source="test",
        source_hash="letter",
    )
    api.extract_notes(registry)


@pytest.fixture
def reimport_letter() -> Callable[[Registry], None]:
    """Import P1 and her letter again and re-read the notes (as a nightly job would)."""
    return fill_one_patient


@pytest.fixture
def one_patient(sqlite_url: str) -> Iterator[Registry]:
    """A fresh registry holding P1 with three suggested facts from her letter."""
    with api.open_registry(sqlite_url) as registry:
        fill_one_patient(registry)
        yield registry
