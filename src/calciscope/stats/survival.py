"""Time to event: Kaplan–Meier (lifelines) and Aalen–Johansen cumulative incidence, by group.

References
----------
Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc
1958;53:457–81. DOI 10.1080/01621459.1958.10501452.
Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains based on
censored observations. Scand J Stat 1978;5:141–50.
Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw 2019;4:1317.
DOI 10.21105/joss.01317.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.exceptions import StatError
from scipy import stats

from calciscope.stats.result import StatResult

#: Anything array-like: a sequence, a pandas Series or a NumPy array.
Values = Sequence[Any] | pd.Series | np.ndarray

__all__ = [
    "CumulativeIncidenceResult",
    "aalen_johansen_cumulative_incidence",
    "kaplan_meier",
    "numbers_at_risk",
]


@dataclass(frozen=True)
class CumulativeIncidenceResult(StatResult):
    """Curves by group (``curves``: group → DataFrame time/estimate/lower/upper) and numbers at risk."""

    curves: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    times: tuple[float, ...] = ()


def numbers_at_risk(
    durations: pd.Series,
    groups: pd.Series,
    times: Sequence[float],
    *,
    entry: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the number at risk at each time, per group (rows) and time (columns).

    A subject is at risk at *t* when ``duration >= t`` and, with delayed entry, ``entry < t``
    (R's ``n.risk`` for ``Surv(entry, exit, status)``).
    """
    rows = {}
    starts = np.full(len(durations), -np.inf) if entry is None else entry.to_numpy()
    for name in sorted(groups.unique(), key=str):
        mask = (groups == name).to_numpy()
        d, e = durations.to_numpy()[mask], starts[mask]
        rows[str(name)] = [int(((e < t) & (d >= t)).sum()) for t in times]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[f"{t:g}" for t in times])


def _summary(curves: dict[str, pd.DataFrame], times: Sequence[float]) -> pd.DataFrame:
    rows = []
    for name, curve in curves.items():
        for t in times:
            upto = curve[curve["time"] <= t]
            last = upto.iloc[-1] if len(upto) else None
            rows.append(
                {
                    "group": name,
                    "time": t,
                    "estimate": 0.0 if last is None else float(last["estimate"]),
                    "lower": None if last is None else float(last["lower"]),
                    "upper": None if last is None else float(last["upper"]),
                }
            )
    numbers = dict.fromkeys(("time", "estimate", "lower", "upper"), float)
    return pd.DataFrame(rows, columns=["group", *numbers]).astype(numbers)


def _frame(est: pd.DataFrame, ci: pd.DataFrame, complement: bool) -> pd.DataFrame:
    values = est.iloc[:, 0].to_numpy()
    lo, hi = ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()
    if complement:
        values, lo, hi = 1 - values, 1 - hi, 1 - lo
    frame = pd.DataFrame({"time": est.index.to_numpy(dtype=float), "estimate": values})
    frame["lower"], frame["upper"] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
    return frame


class _Subjects:
    """Both estimators' input: the subjects' durations, delayed entries and group labels."""

    def __init__(self, durations: Values, entry: Values | None, groups: Values | None) -> None:
        self.durations = pd.Series(np.asarray(durations, dtype=float))
        self.entry = None if entry is None else pd.Series(np.asarray(entry, dtype=float))
        labels = (
            ["Overall"] * len(durations) if groups is None else np.asarray(groups, dtype=object)
        )
        self.labels = pd.Series(np.asarray(labels, dtype=object)).astype(str)  # str() of each

    def by_group(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield each group's label and row mask, in label order (the order of the curves)."""
        for name in sorted(self.labels.unique(), key=str):
            yield name, (self.labels == name).to_numpy()

    def result(
        self, method: str, note: str, curves: dict[str, pd.DataFrame], times: Sequence[float]
    ) -> CumulativeIncidenceResult:
        """Return the curves with their summary and numbers at risk at ``times``."""
        at_risk = numbers_at_risk(self.durations, self.labels, times, entry=self.entry)
        return CumulativeIncidenceResult(
            method, _summary(curves, times), note, curves, at_risk, tuple(times)
        )


def kaplan_meier(
    durations: Values,
    events: Values,
    *,
    entry: Values | None = None,
    groups: Values | None = None,
    times: Sequence[float] = (1, 5, 10),
    cumulative_incidence: bool = False,
) -> CumulativeIncidenceResult:
    """Kaplan–Meier survival (or ``1 − S`` when ``cumulative_incidence``) with 95% CIs, by group.

    Parameters
    ----------
    durations
        Time from origin to event or censoring.
    events
        True when the event was observed.
    entry
        Time from origin to the start of observation (delayed entry, left truncation);
        lifelines' ``entry``. Omitted: everyone is observed from time 0.
    groups
        Group label of each subject (one curve per label); one overall curve when omitted.
    times
        Times at which the summary and the numbers at risk are reported.
    cumulative_incidence
        Report ``1 − S(t)``, treating competing events as censoring (an overestimate when
        competing risks exist: use :func:`aalen_johansen_cumulative_incidence`).
    """
    subjects = _Subjects(durations, entry, groups)
    d, start = subjects.durations, subjects.entry
    e = pd.Series(np.asarray(events, dtype=bool))
    curves, not_estimable = {}, []
    for name, mask in subjects.by_group():
        try:
            kmf = KaplanMeierFitter().fit(
                d[mask], e[mask], entry=None if start is None else start[mask], label=name
            )
        except StatError:
            # With delayed entry, events before enough subjects have entered empty the risk set
            # and S(t) is 0 from then on: no estimate is honest for that group.
            not_estimable.append(name)
            continue
        curves[name] = _frame(
            kmf.survival_function_, kmf.confidence_interval_, cumulative_incidence
        )
    method = "Kaplan–Meier" + (" (1 − S)" if cumulative_incidence else "")
    note = "95% CI: exponential Greenwood (lifelines)"
    if not_estimable:
        note += (
            f"; not estimable for {', '.join(not_estimable)}: too few subjects at risk at the "
            "earliest event times after delayed entry"
        )
    return subjects.result(method, note, curves, times)


class _AalenJohansen:
    """Aalen–Johansen estimate of the cumulative incidence of cause 1, cause 2 competing.

    Follow-up of subject *i* is the interval ``(entry_i, exit_i]``: a subject is at risk at time
    *t* when ``entry_i < t <= exit_i``, which is left truncation (delayed entry) as in R's
    ``Surv(entry, exit, status)``. The standard error is the infinitesimal jackknife: each
    subject's influence on the estimate is carried through the product-limit recursion and the
    variance is the sum of squared influences, as R's ``survfit`` computes it for multi-state
    data (Therneau, Crowson & Atkinson, *Multi-state models and competing risks*, survival
    package vignette).

    Subjects with the same entry, exit and code have the same influence at every time, so each
    distinct (entry, exit, code) is one row carrying its number of subjects (``weight``): the
    risk sets and event counts are weighted sums, the variance the weighted sum of squared
    influences. The same estimate and standard error as one row per subject (up to the order of
    floating-point additions), with a loop over event times costing distinct rows, not subjects.
    """

    def __init__(
        self,
        entry: np.ndarray,
        exit_: np.ndarray,
        code: np.ndarray,
        weight: np.ndarray | None = None,
    ) -> None:
        self.entry, self.exit, self.code = entry, exit_, code
        self.weight = np.ones(len(exit_)) if weight is None else np.asarray(weight, dtype=float)

    @classmethod
    def collapsed(cls, entry: np.ndarray, exit_: np.ndarray, code: np.ndarray) -> _AalenJohansen:
        """Return the estimator of one row per distinct (entry, exit, code), weighted by its count."""
        keys = pd.DataFrame({"entry": entry, "exit": exit_, "code": code})
        counts = keys.groupby(list(keys.columns), sort=True, dropna=False).size()
        rows = counts.index.to_frame(index=False)
        return cls(
            rows["entry"].to_numpy(dtype=float),
            rows["exit"].to_numpy(dtype=float),
            rows["code"].to_numpy(dtype=int),
            counts.to_numpy(dtype=float),
        )

    def fit(self, level: float = 0.95) -> pd.DataFrame:
        """Return the curve: time, estimate, standard error, lower and upper limits."""
        entry, exit_, code, w = self.entry, self.exit, self.code, self.weight
        event_times = np.unique(exit_[code > 0])
        surv, cif = 1.0, 0.0
        infl_surv = np.zeros(len(exit_))
        infl_cif = np.zeros(len(exit_))
        rows = [(0.0, 0.0, 0.0)]
        for t in event_times:
            at_risk = (entry < t) & (exit_ >= t)
            n = w[at_risk].sum()
            if n == 0:
                continue
            ends = exit_ == t
            dn1 = (ends & (code == 1)).astype(float)
            dn_any = (ends & (code > 0)).astype(float)
            hazard1, hazard = (w * dn1).sum() / n, (w * dn_any).sum() / n
            # influence of each subject on the two Nelson–Aalen increments at t
            infl_h1 = (dn1 - at_risk * hazard1) / n
            infl_h = (dn_any - at_risk * hazard) / n
            infl_cif = infl_cif + infl_surv * hazard1 + surv * infl_h1
            infl_surv = infl_surv * (1 - hazard) - surv * infl_h
            cif += surv * hazard1
            surv *= 1 - hazard
            rows.append((float(t), cif, float(np.sqrt((w * infl_cif**2).sum()))))
        return _log_interval(pd.DataFrame(rows, columns=["time", "estimate", "se"]), level)


def _log_interval(curve: pd.DataFrame, level: float) -> pd.DataFrame:
    """Add limits on the log scale (R ``survfit``'s default ``conf.type = "log"``), within [0, 1]."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    est, se = curve["estimate"].to_numpy(), curve["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(est > 0, np.exp(z * se / np.where(est > 0, est, 1)), 1.0)
    curve["lower"] = np.clip(est / spread, 0, 1)
    curve["upper"] = np.clip(est * spread, 0, 1)
    return curve[["time", "estimate", "lower", "upper", "se"]]  # the se last, after KM's columns


def aalen_johansen_cumulative_incidence(
    durations: Values,
    events: Values,
    *,
    entry: Values | None = None,
    groups: Values | None = None,
    times: Sequence[float] = (1, 5, 10),
    level: float = 0.95,
) -> CumulativeIncidenceResult:
    """Aalen–Johansen cumulative incidence of event 1 with competing event 2, by group.

    Parameters
    ----------
    durations
        Time from origin to the first event or censoring.
    events
        0 censored, 1 event of interest, 2 competing event (e.g. death before calcinosis).
    entry
        Time from origin to the start of observation (delayed entry, left truncation): a subject
        is in the risk set only after it. A prevalent cohort enters at its first registry
        record, not at disease onset. Omitted: everyone is observed from time 0.
    groups
        Group label of each subject.
    times
        Times for the summary and the numbers at risk.
    level
        Confidence level of the pointwise intervals.

    Returns
    -------
    CumulativeIncidenceResult
        Curves with pointwise intervals (log transform, infinitesimal-jackknife standard error,
        the defaults of R's ``survfit``), summary at ``times`` and numbers at risk.

    References
    ----------
    Aalen OO, Johansen S. Scand J Stat 1978;5:141–50.
    Andersen PK, Borgan Ø, Gill RD, Keiding N. Statistical Models Based on Counting Processes.
    Springer 1993, section IV.4 (product-limit estimators under left truncation).
    Geskus RB. Cause-specific cumulative incidence estimation and the Fine and Gray model under
    both left truncation and right censoring. Biometrics 2011;67:39–49.
    DOI 10.1111/j.1541-0420.2010.01420.x.
    """
    subjects = _Subjects(durations, entry, groups)
    d, c = subjects.durations.to_numpy(), np.asarray(events, dtype=int)
    start = np.zeros(len(d)) if subjects.entry is None else subjects.entry.to_numpy()
    curves = {
        name: _AalenJohansen.collapsed(start[mask], d[mask], c[mask]).fit(level)
        for name, mask in subjects.by_group()
    }
    delayed = "" if entry is None else "delayed entry (left truncation) at the first record; "
    note = (
        f"{delayed}death as competing risk; {level:.0%} CI: log transform, "
        "infinitesimal jackknife standard error (as R survival::survfit)"
    )
    return subjects.result("Aalen–Johansen cumulative incidence", note, curves, times)
