"""Small-cell suppression with complementary suppression, pseudonyms and per-patient date shifts."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd

from calciscope.report import SUPPRESSED, Pseudonymiser, suppress_small_cells
from calciscope.report.pseudonymise import (
    COMPLEMENTARY,
    WITHHELD,
    age_and_withholding_steps,
    k_anonymise,
    suppress_chain,
)


def test_primary_and_complementary_suppression():
    counts = pd.DataFrame(
        {"Cases": [3, 1], "Rest": [400, 57], "Overall": [403, 58]}, index=["female", "male"]
    )
    shown = suppress_small_cells(counts, 5)
    # both case cells are small; the Overall column then would reveal nothing more, but each row
    # with a single hidden cell gets its smallest other cell hidden too
    assert shown.loc["female", "Cases"] == SUPPRESSED
    assert shown.loc["male", "Cases"] == SUPPRESSED
    hidden = shown.isin([SUPPRESSED, COMPLEMENTARY])
    for row in shown.index:
        assert hidden.loc[row].sum() != 1
    for col in shown.columns:
        assert hidden[col].sum() != 1
    # a complementary cell may hold any count: it never claims to be small
    assert (shown == COMPLEMENTARY).sum().sum() > 0
    assert ((shown == SUPPRESSED) == ((counts > 0) & (counts < 5))).all().all()


def test_single_small_cell_gets_a_partner():
    counts = pd.DataFrame({"a": [2, 30], "b": [40, 50]}, index=["x", "y"])
    shown = suppress_small_cells(counts, 5)
    assert (shown == SUPPRESSED).sum().sum() == 1  # only the 2 is small
    assert (shown == COMPLEMENTARY).sum().sum() == 3  # its row and column partners, then theirs
    assert shown.loc["x", "a"] == SUPPRESSED


def test_zero_and_large_counts_are_shown():
    counts = pd.DataFrame({"a": [0, 30], "b": [40, 50]})
    assert not suppress_small_cells(counts).isin([SUPPRESSED, COMPLEMENTARY]).any().any()


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


def test_chain_hides_small_steps_and_small_differences():
    # registry 600 -> SSc 598 (2 excluded: would be revealed) -> 461 -> 102 -> 16 -> 4
    shown = suppress_chain([600, 598, 461, 102, 16, 4], 5)
    assert shown == ["600", COMPLEMENTARY, "461", "102", "16", SUPPRESSED]
    values = [int(v) for v in shown if v.isdigit()]
    gaps = [a - b for a, b in itertools.pairwise(values)]
    assert all(g == 0 or g >= 5 for g in gaps)


def test_chain_difference_to_a_hidden_step_uses_the_last_shown_one():
    # 100 -> 97 (hidden: 3 excluded) -> 96: 96 differs from the last shown (100) by 4, hidden too
    assert suppress_chain([100, 97, 96, 90], 5) == ["100", COMPLEMENTARY, COMPLEMENTARY, "90"]


def _population() -> pd.DataFrame:
    rng = __import__("random").Random(3)
    rows = [
        {
            "sex": rng.choice(["female", "female", "male"]),
            "age": rng.randint(20, 80),
            "subset": rng.choice(["dcSSc", "lcSSc"]),
            "scl70": rng.choice(["positive", "negative", None]),
        }
        for _ in range(300)
    ]
    return pd.DataFrame(rows)


def _fits(value: str, raw: object) -> bool:
    """Would a patient with ``raw`` fit the exported ``value`` (exact, band, or withheld)?"""
    if value == WITHHELD:
        return True
    if raw is None or raw != raw:  # None or NaN
        return value == "unknown"
    if "–" in value and isinstance(raw, int):
        low, high = (int(v) for v in value.split("–"))
        return low <= raw <= high
    return value == str(raw)


def test_k_anonymity_attack_with_the_registry_in_hand_fails():
    population = _population()
    cases = population.sample(6, random_state=1)
    steps = age_and_withholding_steps("age", ["scl70", "subset", "sex"])
    out = k_anonymise(cases, population, steps, k=5)
    # the attack: for each exported row, every registry patient that fits it
    for _, row in out.iterrows():
        fits = population.apply(
            lambda p, row=row: all(_fits(row[c], p[c]) for c in population.columns), axis=1
        )
        assert fits.sum() >= 5
    assert (out.index == cases.index).all()
    # the exact ages are gone (banded or withheld)
    assert not out["age"].isin(cases["age"].astype(str)).any()


def test_k_anonymity_keeps_values_that_are_already_common():
    population = pd.DataFrame({"sex": ["female"] * 10, "age": [50] * 10})
    out = k_anonymise(population.head(2), population, age_and_withholding_steps("age", ["sex"]))
    assert list(out["age"]) == ["50", "50"] and list(out["sex"]) == ["female", "female"]


def test_rows_are_generalised_until_the_unique_one_hides():
    population = pd.DataFrame({"sex": ["female"] * 9 + ["male"], "age": [30] * 9 + [90]})
    out = k_anonymise(population.tail(1), population, age_and_withholding_steps("age", ["sex"]))
    # the only man, aged 90: age bands do not help, withholding age leaves 1 man, so sex goes too
    assert list(out.iloc[0]) == [WITHHELD, WITHHELD]


def test_a_population_smaller_than_k_withholds_everything():
    population = pd.DataFrame({"sex": ["female", "male", "male"], "age": [30, 40, 50]})
    out = k_anonymise(population, population, age_and_withholding_steps("age", []), k=5)
    assert set(out["age"]) == {WITHHELD} and list(out["sex"]) == ["female", "male", "male"]


def _headline(dcssc: int, population: int) -> dict:
    """A headline as results.json holds it (study/headline.py), with its nested proportion."""
    return {
        "source_population": population,
        "dcssc": dcssc,
        "dcssc_proportion": {"count": dcssc, "total": population, "interval": "95% exact"},
        "cases": 12,
        "cases_suggested_only": 0,
        "cases_with_suggested": 12,
        "women": 6,
        "men": 6,
        "antibodies_positive": {"anti_scl70": 6},
    }


def test_nested_headline_counts_are_hidden_with_what_they_reveal():
    """Issue 12: the headline proportion nests its count; a small count hides the proportion,
    and a small complement (the patients without: 461 - 458) hides both the proportion and the
    count, with the complementary mark, never "<5" (the count is not small)."""
    from types import SimpleNamespace

    from calciscope.report.export import _HeadlineSuppressor

    hide = _HeadlineSuppressor(5, SimpleNamespace(cases_in=(), focus="dcssc"))  # type: ignore[arg-type]
    small = hide(_headline(3, 461))
    assert small["dcssc"] == SUPPRESSED
    assert small["dcssc_proportion"] == {"suppressed": SUPPRESSED, "interval": "95% exact"}
    complement = hide(_headline(458, 461))
    assert complement["dcssc"] == COMPLEMENTARY
    assert complement["dcssc_proportion"] == {"suppressed": COMPLEMENTARY, "interval": "95% exact"}
    assert "458" not in str(complement) and complement["source_population"] == 461
    shown = hide(_headline(102, 461))
    assert shown["dcssc"] == 102 and shown["dcssc_proportion"]["count"] == 102


def test_a_hidden_headline_proportion_hides_its_unknown_count():
    """Review 24: 3 dcSSc of 461 with 458 unknown: the proportion is hidden for its small
    count, and the unknown count (461 - 458 = 3) would reveal it, so it goes too; shown when
    the proportion is shown."""
    from types import SimpleNamespace

    from calciscope.report.export import _HeadlineSuppressor

    hide = _HeadlineSuppressor(5, SimpleNamespace(cases_in=(), focus="dcssc"))  # type: ignore[arg-type]
    hidden = hide(_headline(3, 461) | {"dcssc_unknown": 458})
    assert hidden["dcssc_unknown"] == COMPLEMENTARY and "458" not in str(hidden)
    shown = hide(_headline(102, 461) | {"dcssc_unknown": 40})
    assert shown["dcssc_unknown"] == 40
