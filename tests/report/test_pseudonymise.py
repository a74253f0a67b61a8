"""Small-cell suppression with complementary suppression, pseudonyms and per-patient date shifts."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from calciscope.report import SUPPRESSED, Pseudonymiser, suppress_small_cells


def test_primary_and_complementary_suppression():
    counts = pd.DataFrame(
        {"Cases": [3, 1], "Rest": [400, 57], "Overall": [403, 58]}, index=["female", "male"]
    )
    shown = suppress_small_cells(counts, 5)
    # both case cells are small; the Overall column then would reveal nothing more, but each row
    # with a single hidden cell gets its smallest other cell hidden too
    assert shown.loc["female", "Cases"] == SUPPRESSED
    assert shown.loc["male", "Cases"] == SUPPRESSED
    for row in shown.index:
        assert (shown.loc[row] == SUPPRESSED).sum() != 1
    for col in shown.columns:
        assert (shown[col] == SUPPRESSED).sum() != 1


def test_single_small_cell_gets_a_partner():
    counts = pd.DataFrame({"a": [2, 30], "b": [40, 50]}, index=["x", "y"])
    shown = suppress_small_cells(counts, 5)
    hidden = shown == SUPPRESSED
    assert hidden.sum().sum() == 4  # 2 primary+row partner, then column partners
    assert shown.loc["x", "a"] == SUPPRESSED


def test_zero_and_large_counts_are_shown():
    counts = pd.DataFrame({"a": [0, 30], "b": [40, 50]})
    assert (suppress_small_cells(counts) != SUPPRESSED).all().all()


def test_pseudonyms_and_shifts_are_stable_within_a_patient():
    p = Pseudonymiser(key=b"k" * 32)
    data = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "date": [dt.date(2020, 1, 1), dt.date(2020, 3, 1), dt.date(2020, 1, 1)],
        }
    )
    out = p.frame(data, ["date"])
    assert out["patient_id"].iloc[0] == out["patient_id"].iloc[1] != out["patient_id"].iloc[2]
    assert out["patient_id"].iloc[0].startswith("S-")
    gap = out["date"].iloc[1] - out["date"].iloc[0]
    assert gap == dt.timedelta(days=60)  # intervals within a patient are kept
    assert abs(p.shift_days("P1")) <= 180
    assert Pseudonymiser().pseudonym("P1") != p.pseudonym("P1")  # fresh key per export
