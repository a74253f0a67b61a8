"""Binomial proportions with Clopper–Pearson (exact) or Wilson (score) intervals.

References
----------
Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of
the binomial. Biometrika 1934;26:404–13. DOI 10.1093/biomet/26.4.404.
Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat
Assoc 1927;22:209–12. DOI 10.1080/01621459.1927.10502953.
Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
methods. Stat Med 1998;17:857–72.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd
from scipy.stats import binomtest

from calciscope.stats.result import StatResult

__all__ = [
    "IntervalMethod",
    "ProportionResult",
    "clopper_pearson_interval",
    "proportion",
    "wilson_interval",
]


class IntervalMethod(StrEnum):
    """Confidence interval for a binomial proportion."""

    CLOPPER_PEARSON = "clopper_pearson"
    WILSON = "wilson"

    @property
    def label(self) -> str:
        """The interval's name for a methods section."""
        return {"clopper_pearson": "Clopper–Pearson exact", "wilson": "Wilson score"}[self.value]


#: scipy ``BinomTestResult.proportion_ci`` method of each interval
_SCIPY = {IntervalMethod.CLOPPER_PEARSON: "exact", IntervalMethod.WILSON: "wilson"}


@dataclass(frozen=True)
class ProportionResult(StatResult):
    """A proportion ``count / total`` with its interval."""

    count: int = 0
    total: int = 0
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    interval: IntervalMethod = IntervalMethod.CLOPPER_PEARSON
    level: float = 0.95

    def text(self, digits: int = 1) -> str:
        """Return ``102/461 (22.1%; 95% CI 18.4–26.2%, Clopper–Pearson exact)``."""
        if self.estimate is None or self.lower is None or self.upper is None:
            return f"{self.count}/{self.total} (no denominator)"
        pct = f"{100 * self.estimate:.{digits}f}%"
        ci = f"{100 * self.lower:.{digits}f}–{100 * self.upper:.{digits}f}%"
        return f"{self.count}/{self.total} ({pct}; {self.level:.0%} CI {ci}, {self.interval.label})"


def proportion(
    count: int,
    total: int,
    *,
    interval: IntervalMethod = IntervalMethod.CLOPPER_PEARSON,
    level: float = 0.95,
) -> ProportionResult:
    """Estimate ``count / total`` with a two-sided interval (scipy ``binomtest(...).proportion_ci``).

    Parameters
    ----------
    count, total
        Successes and trials; ``total`` 0 gives no estimate.
    interval
        Clopper–Pearson (exact, conservative) or Wilson (score).
    level
        Confidence level.
    """
    if total <= 0:
        lo = hi = est = None
    else:
        ci = binomtest(count, total).proportion_ci(confidence_level=level, method=_SCIPY[interval])
        lo, hi, est = float(ci.low), float(ci.high), count / total
    summary = pd.DataFrame(
        [
            {
                "count": count,
                "total": total,
                "proportion": est,
                "lower": lo,
                "upper": hi,
                "interval": f"{level:.0%} {interval.label}",
            }
        ]
    )
    note = f"{level:.0%} {interval.label} interval"
    return ProportionResult(
        "binomial proportion", summary, note, count, total, est, lo, hi, interval, level
    )


def clopper_pearson_interval(count: int, total: int, *, level: float = 0.95) -> ProportionResult:
    """Proportion with the Clopper–Pearson exact interval (Clopper & Pearson 1934)."""
    return proportion(count, total, interval=IntervalMethod.CLOPPER_PEARSON, level=level)


def wilson_interval(count: int, total: int, *, level: float = 0.95) -> ProportionResult:
    """Proportion with the Wilson score interval (Wilson 1927)."""
    return proportion(count, total, interval=IntervalMethod.WILSON, level=level)
