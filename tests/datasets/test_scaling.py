"""Other cohort sizes scale the plan proportionally and keep its structure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from calciscope.datasets import generate_demo_cohort
from calciscope.datasets.plan import Archetype, scaled_counts


def test_default_plan_is_exact() -> None:
    counts = scaled_counts(600)
    assert sum(counts.values()) == 600
    diffuse = (
        Archetype.ANCHOR,
        Archetype.DC_OVERLAP_ASSESSED,
        Archetype.DC_OVERLAP_AT_RISK,
        Archetype.DC_SHEET_ONE_REGION,
        Archetype.DC_MIXED,
        Archetype.DCSSC,
    )
    assert sum(counts[a] for a in diffuse) == 102
    assert counts[Archetype.ANCHOR] == 4


@pytest.mark.parametrize("patients", [100, 2000, 1_000_000])
def test_scaled_counts_add_up(patients: int) -> None:
    counts = scaled_counts(patients)
    assert sum(counts.values()) == patients
    assert counts[Archetype.ANCHOR] >= 1


@pytest.mark.parametrize("patients", [1, 5, 37, 599, 601])
def test_any_size_has_a_plan(patients: int) -> None:
    assert sum(scaled_counts(patients).values()) == patients


def test_zero_patients_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_demo_cohort(tmp_path, patients=0)


def test_2000_patients_scale_the_proportions(tmp_path: Path) -> None:
    progress: list[int] = []
    manifest = generate_demo_cohort(tmp_path, patients=2000, seed=7, progress=progress.append)
    assert manifest.patients == 2000 and progress == [1000, 2000]
    answer = pd.read_csv(tmp_path / "answer_key.csv")
    assert answer.patient_id.iloc[0] == "P0001" and answer.patient_id.iloc[-1] == "P2000"
    seen = answer[answer.ssc & answer.seen_in_window]
    assert abs(len(seen) - round(2000 * 461 / 600)) <= 2
    assert 0.20 <= (seen.subset == "dcssc").mean() <= 0.24
    assert seen.extensive_sheet_like.sum() == round(4 * 2000 / 600)
    assert 0.82 <= (seen.sex == "female").mean() <= 0.92
    assert 0.18 <= (seen.calcinosis == "present").mean() <= 0.32
    assert 0.25 <= seen.anti_scl70.mean() <= 0.36
    cases = seen[seen.extensive_sheet_like]
    assert (cases.subset == "dcssc").all() and cases.overlap.all()
