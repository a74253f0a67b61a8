"""Time to event: Kaplan–Meier and Aalen–Johansen cumulative incidence (lifelines), by group.

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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, KaplanMeierFitter

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
    durations: pd.Series, groups: pd.Series, times: Sequence[float]
) -> pd.DataFrame:
    """Return the number still under observation (duration ≥ t) per group (rows) and time (columns)."""
    rows = {}
    for name in sorted(groups.unique(), key=str):
        d = durations[groups == name].to_numpy()
        rows[str(name)] = [int((d >= t).sum()) for t in times]
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


def _groups(durations: Values, groups: Values | None) -> pd.Series:
    if groups is None:
        return pd.Series(["Overall"] * len(durations))
    return pd.Series([str(g) for g in np.asarray(groups, dtype=object)])


def kaplan_meier(
    durations: Values,
    events: Values,
    *,
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
    groups
        Group label of each subject (one curve per label); one overall curve when omitted.
    times
        Times at which the summary and the numbers at risk are reported.
    cumulative_incidence
        Report ``1 − S(t)``, treating competing events as censoring (an overestimate when
        competing risks exist: use :func:`aalen_johansen_cumulative_incidence`).
    """
    d = pd.Series(np.asarray(durations, dtype=float))
    e = pd.Series(np.asarray(events, dtype=bool))
    g = _groups(durations, groups)
    curves = {}
    for name in sorted(g.unique(), key=str):
        mask = (g == name).to_numpy()
        kmf = KaplanMeierFitter().fit(d[mask], e[mask], label=name)
        curves[name] = _frame(
            kmf.survival_function_, kmf.confidence_interval_, cumulative_incidence
        )
    method = "Kaplan–Meier" + (" (1 − S)" if cumulative_incidence else "")
    note = "95% CI: exponential Greenwood (lifelines)"
    return CumulativeIncidenceResult(
        method, _summary(curves, times), note, curves, numbers_at_risk(d, g, times), tuple(times)
    )


def _aalen_johansen(d: pd.Series, codes: pd.Series, label: str, seed: int) -> pd.DataFrame:
    if not (codes == 1).any():
        return pd.DataFrame({"time": [0.0], "estimate": [0.0], "lower": [0.0], "upper": [0.0]})
    ajf = AalenJohansenFitter(calculate_variance=True, seed=seed)
    with warnings.catch_warnings():
        # lifelines jitters tied times (seeded) and says so with a warning
        warnings.simplefilter("ignore")
        ajf.fit(d, codes, event_of_interest=1, label=label)
    return _frame(ajf.cumulative_density_, ajf.confidence_interval_, complement=False)


def aalen_johansen_cumulative_incidence(
    durations: Values,
    events: Values,
    *,
    groups: Values | None = None,
    times: Sequence[float] = (1, 5, 10),
    seed: int = 0,
) -> CumulativeIncidenceResult:
    """Aalen–Johansen cumulative incidence of event 1 with competing event 2, by group.

    Parameters
    ----------
    durations
        Time from origin to the first event or censoring.
    events
        0 censored, 1 event of interest, 2 competing event (e.g. death before calcinosis).
    groups
        Group label of each subject.
    times
        Times for the summary and the numbers at risk.
    seed
        Seed of lifelines' tie-breaking jitter (ties are jittered by a tiny amount).
    """
    d = pd.Series(np.asarray(durations, dtype=float))
    c = pd.Series(np.asarray(events, dtype=int))
    g = _groups(durations, groups)
    curves = {}
    for name in sorted(g.unique(), key=str):
        mask = (g == name).to_numpy()
        curves[name] = _aalen_johansen(
            d[mask].reset_index(drop=True), c[mask].reset_index(drop=True), name, seed
        )
    note = "death as competing risk; 95% CI by lifelines (log-log transform)"
    return CumulativeIncidenceResult(
        "Aalen–Johansen cumulative incidence",
        _summary(curves, times),
        note,
        curves,
        numbers_at_risk(d, g, times),
        tuple(times),
    )
