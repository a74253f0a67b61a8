"""Reader agreement against published values (source named beside each)."""

from __future__ import annotations

import math

import pytest

from calciscope.stats.agreement import cohen_kappa, intraclass_correlation, weighted_kappa

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


# A hand-worked 3-grade example (linear disagreement |i - j| / 2): reader A mild, mild,
# moderate, moderate, severe, severe; reader B mild, moderate, moderate, severe, severe, severe.
# Observed disagreement (0.5 + 0.5) / 6 = 1/6; margins A (1/3, 1/3, 1/3), B (1/6, 2/6, 3/6) give
# an expected disagreement of 4/9; weighted kappa = 1 - (1/6) / (4/9) = 0.625 (unweighted 0.5).
GRADES = ["mild", "moderate", "severe"]
READER_A = ["mild", "mild", "moderate", "moderate", "severe", "severe"]
READER_B = ["mild", "moderate", "moderate", "severe", "severe", "severe"]


def test_weighted_kappa_matches_the_hand_worked_example():
    result = weighted_kappa(READER_A, READER_B, GRADES)
    assert result.estimate == pytest.approx(0.625)
    assert cohen_kappa(READER_A, READER_B).estimate == pytest.approx(0.5)
    assert result.lower < 0.625 < result.upper and result.n == 6
    assert result.method == "weighted kappa (linear)"


def test_weighted_kappa_with_two_grades_is_cohens_kappa_and_its_interval():
    # with two categories the linear weights are the identity: the same estimate and SE
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    weighted, plain = weighted_kappa(a, b, ["no", "yes"]), cohen_kappa(a, b)
    assert weighted.estimate == pytest.approx(plain.estimate)
    assert (weighted.lower, weighted.upper) == pytest.approx((plain.lower, plain.upper))


def test_weighted_kappa_perfect_undefined_and_unknown_grade():
    assert weighted_kappa(GRADES, GRADES, GRADES).estimate == pytest.approx(1.0)
    assert math.isnan(weighted_kappa(["mild"] * 3, ["mild"] * 3, GRADES).estimate)
    with pytest.raises(ValueError, match="not among the ordered"):
        weighted_kappa(["mild", "extreme"], ["mild", "mild"], GRADES)
