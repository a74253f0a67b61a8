"""The default cohort imports through ``calciscope.api`` and the engine sees the anchor figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from calciscope.datasets import DEFAULT_INDEX_DATE, DemoManifest

api = pytest.importorskip("calciscope.api")


def test_import_and_feature_table(default_cohort: DemoManifest, tmp_path: Path) -> None:
    registry = api.open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    api.import_directory(registry, default_cohort.out_dir)
    columns = [
        "patient_id",
        "ssc_diagnosis",
        "last_visit_date",
        "subset_recorded",
        "calcinosis_sheet_like_regions",
        "overlap_recorded",
        "age_at_ssc_diagnosis",
    ]
    table = api.feature_table(registry, index_date=DEFAULT_INDEX_DATE, features=columns[1:])
    rows = table.select(columns).to_pylist()
    window = dt.date(2021, 1, 1)
    seen = [
        r
        for r in rows
        if r["ssc_diagnosis"] and r["last_visit_date"] and _day(r["last_visit_date"]) >= window
    ]
    assert len(seen) == 461
    assert sum(r["subset_recorded"] == "dcssc" for r in seen) == 102
    # two of the four anchors record their morphology only in notes (read by extract_notes)
    cases = [r for r in rows if (r["calcinosis_sheet_like_regions"] or 0) >= 2]
    assert len(cases) == 2
    assert all(r["subset_recorded"] == "dcssc" for r in cases)
    # one overlap coded, one stated only in letters: unknown to the facts, not "no"
    assert sorted(str(r["overlap_recorded"]) for r in cases) == ["None", "True"]
    ages = sorted(int(r["age_at_ssc_diagnosis"]) for r in cases)
    assert ages == [27, 52]


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
