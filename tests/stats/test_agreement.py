"""Reader agreement against published values (source named beside each)."""

from __future__ import annotations

import math

import pytest

from calciscope.stats.agreement import cohen_kappa, intraclass_correlation

# Shrout PE, Fleiss JL. Psychol Bull 1979;86:420-8, Table 2: 6 targets rated by 4 judges.
# Table 4 gives ICC(2,1) = .29; R psych::ICC(sf) prints the 95% CI 0.019 to 0.76.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_icc_matches_shrout_fleiss():
    result = intraclass_correlation(SHROUT_FLEISS)
    assert result.estimate == pytest.approx(0.29, abs=0.005)
    assert result.lower == pytest.approx(0.019, abs=0.002)
    assert result.upper == pytest.approx(0.76, abs=0.005)
    assert result.n == 6 and result.method == "ICC(2,1)"


def test_icc_of_identical_readers_is_one():
    result = intraclass_correlation([[1, 1], [2, 2], [5, 5]])
    assert result.estimate == pytest.approx(1.0)


def test_icc_needs_two_items_and_no_gaps():
    with pytest.raises(ValueError):
        intraclass_correlation([[1, 2]])
    with pytest.raises(ValueError):
        intraclass_correlation([[1, float("nan")], [2, 3]])


# The worked example of Cohen's kappa on Wikipedia ("Cohen's kappa", Simple example): 50
# proposals, both yes 20, A yes/B no 5, A no/B yes 10, both no 15: po 0.70, pe 0.50, kappa 0.40.
def test_kappa_matches_the_worked_example():
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    result = cohen_kappa(a, b)
    assert result.estimate == pytest.approx(0.40)
    assert result.lower < 0.40 < result.upper and result.n == 50


def test_kappa_perfect_and_undefined():
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "a"]).estimate == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]).estimate)
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])
