"""Two-group comparisons: Fisher exact, chi-square and Mann–Whitney U (scipy).

References
----------
Fisher RA. On the interpretation of chi-square from contingency tables, and the calculation of
P. J R Stat Soc 1922;85:87–94.
Mann HB, Whitney DR. On a test of whether one of two random variables is stochastically larger
than the other. Ann Math Stat 1947;18:50–60.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from calciscope.stats.result import StatResult

__all__ = [
    "TestResult",
    "chi_square_test",
    "fisher_exact_test",
    "mann_whitney_u_test",
]


@dataclass(frozen=True)
class TestResult(StatResult):
    """A hypothesis test: statistic and two-sided p value (``p_value``)."""

    __test__ = False  # not a pytest class

    statistic: float | None = None
    p_value: float | None = None


def _result(method: str, statistic: float, p: float, note: str, **extra: float) -> TestResult:
    row = {"statistic": statistic, "p_value": p, **extra}
    return TestResult(method, pd.DataFrame([row]), note, float(statistic), float(p))


def fisher_exact_test(table: Sequence[Sequence[int]], *, level: float = 0.95) -> TestResult:
    """Fisher's exact test on a 2×2 table, with the conditional odds ratio and its exact interval.

    The statistic is the conditional maximum-likelihood odds ratio and the interval the exact
    one, as R's ``fisher.test`` reports them (scipy ``contingency.odds_ratio``,
    ``kind="conditional"``); the p value is two-sided.
    """
    arr = np.asarray(table, dtype=int)
    res = sps.fisher_exact(arr, alternative="two-sided")
    odds = sps.contingency.odds_ratio(arr, kind="conditional")
    ci = odds.confidence_interval(confidence_level=level)
    return _result(
        "Fisher exact test",
        float(odds.statistic),
        float(res.pvalue),
        f"two-sided; conditional maximum-likelihood odds ratio with exact {level:.0%} CI",
        odds_ratio_lower=float(ci.low),
        odds_ratio_upper=float(ci.high),
    )


def chi_square_test(table: Sequence[Sequence[int]], *, correction: bool = True) -> TestResult:
    """Pearson's chi-square test of independence (Yates's correction on 2×2 tables by default)."""
    arr = np.asarray(table, dtype=int)
    res = sps.chi2_contingency(arr, correction=correction)
    note = "Yates continuity correction" if correction and arr.shape == (2, 2) else ""
    return _result(
        "Pearson chi-square test", float(res.statistic), float(res.pvalue), note, df=float(res.dof)
    )


def mann_whitney_u_test(x: Sequence[float], y: Sequence[float]) -> TestResult:
    """Mann–Whitney U test (two-sided; exact for small samples without ties, as scipy chooses).

    The statistic is U of ``x``, which R's ``wilcox.test(x, y)`` calls W.
    """
    xs = np.asarray([v for v in x if v is not None and not np.isnan(v)], dtype=float)
    ys = np.asarray([v for v in y if v is not None and not np.isnan(v)], dtype=float)
    if len(xs) == 0 or len(ys) == 0:
        return TestResult("Mann–Whitney U test", pd.DataFrame([{}]), "a group is empty")
    res = sps.mannwhitneyu(xs, ys, alternative="two-sided")
    return _result("Mann–Whitney U test", float(res.statistic), float(res.pvalue), "two-sided")
