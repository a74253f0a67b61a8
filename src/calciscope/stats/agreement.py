"""Agreement between two readers: Cohen's kappa (categories) and the ICC (grades, areas).

The SCTC calcinosis papers report between-reader agreement this way: a weighted kappa for the
simple global grade, ICC for the complex score (Chung et al. 2015); calciscope uses kappa for
presence and morphology, a linearly weighted kappa for ordered grades, ICC for measured or read
areas. (Chung et al. name a weighted kappa; which weights they used was not confirmed, only the
abstract was read: the linear weights here are calciscope's choice.)

References
----------
Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas 1960;20:37–46.
DOI 10.1177/001316446002000104.
Cohen J. Weighted kappa: nominal scale agreement with provision for scaled disagreement or
partial credit. Psychol Bull 1968;70:213–20. DOI 10.1037/h0026256.
Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and weighted kappa.
Psychol Bull 1969;72:323–7. DOI 10.1037/h0028106.
Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability. Psychol Bull
1979;86:420–8. DOI 10.1037/0033-2909.86.2.420.
McGraw KO, Wong SP. Forming inferences about some intraclass correlation coefficients. Psychol
Methods 1996;1:30–46. DOI 10.1037/1082-989X.1.1.30.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from calciscope.stats.result import StatResult

__all__ = ["AgreementResult", "cohen_kappa", "intraclass_correlation", "weighted_kappa"]


@dataclass(frozen=True)
class AgreementResult(StatResult):
    """An agreement coefficient with its 95% confidence interval and the number of items."""

    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    n: int = 0


def _result(
    method: str, estimate: float, ci: tuple[float, float], n: int, note: str
) -> AgreementResult:
    row = {"estimate": estimate, "ci_lower": ci[0], "ci_upper": ci[1], "n": n}
    return AgreementResult(method, pd.DataFrame([row]), note, estimate, ci[0], ci[1], n)


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> AgreementResult:
    """Cohen's kappa for two readers' categories of the same items (unweighted).

    The 95% interval uses the large-sample standard error of Fleiss, Cohen and Everitt (1969).

    Parameters
    ----------
    first, second
        The two readers' category for each item, in the same order.
    """
    if len(first) != len(second) or not first:
        raise ValueError("kappa needs two equally long, non-empty lists of ratings")
    categories = sorted({*first, *second}, key=str)
    pos = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for a, b in zip(first, second, strict=True):
        table[pos[a], pos[b]] += 1
    n = int(table.sum())
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = float(np.trace(p)), float(rows @ cols)
    if pe >= 1.0:
        return _result(
            "Cohen's kappa",
            float("nan"),
            (float("nan"), float("nan")),
            n,
            "both readers used one category only: kappa is undefined",
        )
    kappa = (po - pe) / (1 - pe)
    se = _kappa_se(p, rows, cols, po, pe, n)
    ci = (kappa - 1.959964 * se, min(1.0, kappa + 1.959964 * se))
    return _result("Cohen's kappa", kappa, ci, n, "unweighted; 95% CI from the asymptotic SE")


def weighted_kappa(
    first: Sequence[Hashable], second: Sequence[Hashable], order: Sequence[Hashable]
) -> AgreementResult:
    """Cohen's weighted kappa with linear weights for ordered categories (Cohen 1968).

    Agreement weight ``1 - |i - j| / (k - 1)`` between the ``i``-th and ``j``-th category of
    ``order``; with one weight per cell on the diagonal only it would be :func:`cohen_kappa`.
    The 95% interval uses the large-sample standard error of Fleiss, Cohen and Everitt (1969)
    for weighted kappa.

    Parameters
    ----------
    first, second
        The two readers' category for each item, in the same order.
    order
        Every category, from lowest to highest.
    """
    if len(first) != len(second) or not first:
        raise ValueError("kappa needs two equally long, non-empty lists of ratings")
    pos = {c: i for i, c in enumerate(order)}
    unknown = sorted({str(c) for c in (*first, *second) if c not in pos})
    if unknown or len(pos) < 2:
        raise ValueError(f"categories {unknown} are not among the ordered {list(order)}")
    k = len(pos)
    table = np.zeros((k, k))
    for a, b in zip(first, second, strict=True):
        table[pos[a], pos[b]] += 1
    n = int(table.sum())
    index = np.arange(k)
    weights = 1.0 - np.abs(index[:, None] - index[None, :]) / (k - 1)
    return _weighted(table / n, weights, n)


def _weighted(p: np.ndarray, weights: np.ndarray, n: int) -> AgreementResult:
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float((weights * p).sum())
    pe = float((weights * np.outer(rows, cols)).sum())
    method = "weighted kappa (linear)"
    if pe >= 1.0:
        nan = float("nan")
        return _result(method, nan, (nan, nan), n, "both readers used one category only")
    kappa = (po - pe) / (1 - pe)
    # Fleiss, Cohen & Everitt (1969): variance of weighted kappa under the alternative
    row_mean = weights @ cols  # w-bar(i.) = sum_j p(.j) w(ij)
    col_mean = rows @ weights  # w-bar(.j) = sum_i p(i.) w(ij)
    spread = weights - (row_mean[:, None] + col_mean[None, :]) * (1 - kappa)
    variance = float((p * spread**2).sum() - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = float(np.sqrt(max(variance, 0.0)))
    ci = (kappa - 1.959964 * se, min(1.0, kappa + 1.959964 * se))
    return _result(method, kappa, ci, n, "linear weights; 95% CI from the asymptotic SE")


def _kappa_se(
    p: np.ndarray, rows: np.ndarray, cols: np.ndarray, po: float, pe: float, n: int
) -> float:
    # Fleiss, Cohen & Everitt (1969), equation 13: variance of kappa under the alternative
    diag = sum(p[i, i] * ((1 - pe) - (rows[i] + cols[i]) * (1 - po)) ** 2 for i in range(len(rows)))
    off = sum(
        p[i, j] * (cols[i] + rows[j]) ** 2
        for i in range(len(rows))
        for j in range(len(rows))
        if i != j
    )
    variance = (diag + (1 - po) ** 2 * off - (po * pe - 2 * pe + po) ** 2) / (n * (1 - pe) ** 4)
    return float(np.sqrt(max(variance, 0.0)))


def intraclass_correlation(ratings: Sequence[Sequence[float]]) -> AgreementResult:
    """ICC(2,1): two-way random effects, absolute agreement, single rater.

    Shrout and Fleiss (1979) case 2; McGraw and Wong (1996) ICC(A,1), with their 95% interval.

    Parameters
    ----------
    ratings
        One row per item (image or region), one column per reader; no missing values.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or np.isnan(x).any():
        raise ValueError("ICC needs at least 2 items rated by at least 2 readers, none missing")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    if denominator <= 0:
        raise ValueError("ICC is undefined: the ratings do not vary")
    icc = (msr - mse) / denominator
    ci = _icc_a1_interval(icc, n, k, msr, msc, mse)
    return _result(
        "ICC(2,1)", float(icc), ci, n, "two-way random, absolute agreement, single rater"
    )


def _icc_a1_interval(
    icc: float, n: int, k: int, msr: float, msc: float, mse: float
) -> tuple[float, float]:
    # McGraw & Wong (1996), Table 7, case 2A (as in R's irr::icc and psych::ICC)
    if icc >= 1.0 or mse <= 0:
        return (float(icc), float(icc))
    a = k * icc / (n * (1 - icc))
    b = 1 + k * icc * (n - 1) / (n * (1 - icc))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    f_low = sps.f.ppf(0.975, n - 1, v)
    f_up = sps.f.ppf(0.975, v, n - 1)
    lower = n * (msr - f_low * mse) / (f_low * (k * msc + (k * n - k - n) * mse) + n * msr)
    upper = n * (f_up * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_up * msr)
    return (float(lower), float(upper))
