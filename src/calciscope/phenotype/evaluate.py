"""Evaluate phenotypes for one patient (pure Python; the vectorised twin is :mod:`calciscope.engine.phenotype`).

References
----------
Achieng S, Harris J, Samaranayaka M, Herrick AL. Rheumatol Adv Pract 2024;8:rkae011.
DOI 10.1093/rap/rkae011.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calciscope.criteria.expression import clean_value
from calciscope.phenotype.definition import Phenotype, PhenotypeKind, PhenotypeSet, load_phenotypes

__all__ = ["DAYS_PER_YEAR", "PhenotypeResult", "assessment_cutoff", "evaluate_phenotypes"]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class PhenotypeResult:
    """One phenotype for one patient: its value and what the value rests on."""

    id: str
    label: str
    value: Any
    note: str = ""


def assessment_cutoff(index_date: dt.date, months: int) -> dt.date:
    """Return the date ``months`` calendar months before ``index_date`` (day clipped to the month)."""
    year, month0 = divmod(index_date.year * 12 + index_date.month - 1 - months, 12)
    day = min(index_date.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def _as_date(value: Any) -> dt.date | None:
    value = clean_value(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _first_known(p: Phenotype, row: Mapping[str, Any]) -> str | None:
    for source in p.sources:
        value = clean_value(row.get(source))
        if value in p.values:
            return str(value)
    return p.otherwise


def _mismatch(p: Phenotype, row: Mapping[str, Any]) -> bool | None:
    values = [clean_value(row.get(s)) for s in p.sources]
    if not all(v in p.values for v in values):
        return None
    return len(set(values)) > 1


def _years(p: Phenotype, row: Mapping[str, Any]) -> float | None:
    start, end = (_as_date(row.get(s)) for s in p.sources)
    if start is None or end is None:
        return None
    return (end - start).days / DAYS_PER_YEAR


def _prompt(p: Phenotype, row: Mapping[str, Any], index_date: dt.date) -> dict[str, Any]:
    assert p.rule is not None
    cutoff = assessment_cutoff(index_date, p.months)
    dates = [_as_date(row.get(s)) for s in p.sources]
    recent = any(d is not None and cutoff <= d <= index_date for d in dates)
    when = p.rule.truth(row)
    shown: bool | None = True if when is True and not recent else None
    if when is False or recent:
        shown = False
    out = {p.id: shown, f"{p.id}_text": p.text if shown else None}
    return out | {f"{p.id}_{b}": clean_value(row.get(b)) for b in p.beside}


def _evaluate(p: Phenotype, row: Mapping[str, Any], index_date: dt.date) -> dict[str, Any]:
    if p.kind is PhenotypeKind.PREDICATE:
        assert p.rule is not None
        return {p.id: p.rule.truth(row)}
    if p.kind is PhenotypeKind.VALUE:
        return {p.id: clean_value(row.get(p.sources[0]))}
    if p.kind is PhenotypeKind.YEARS_BETWEEN:
        return {p.id: _years(p, row)}
    if p.kind is PhenotypeKind.FIRST_KNOWN:
        return {p.id: _first_known(p, row)}
    if p.kind is PhenotypeKind.MISMATCH:
        return {p.id: _mismatch(p, row)}
    return _prompt(p, row, index_date)


def _note(p: Phenotype, values: Mapping[str, Any]) -> str:
    if p.kind is not PhenotypeKind.PROMPT:
        return p.anchor or ""
    beside = "; ".join(f"{b}: {_word(values[f'{p.id}_{b}'])}" for b in p.beside)
    shown = values[p.id] is True
    return f"{p.text if shown else 'no prompt'} [shown beside, not scored: {beside}]"


def _word(value: Any) -> str:
    return {True: "positive", False: "negative", None: "unknown"}.get(value, str(value))


def evaluate_phenotypes(
    row: Mapping[str, Any],
    *,
    index_date: dt.date | None = None,
    phenotypes: PhenotypeSet | None = None,
) -> tuple[dict[str, Any], tuple[PhenotypeResult, ...]]:
    """Evaluate every phenotype for one patient.

    Parameters
    ----------
    row
        Features and criteria outputs (``ssc2013_status``, ``iim2017_category``, ``leroy_subset``).
    index_date
        The date the prompt's "last N months" counts back from (default: today).
    phenotypes
        A loaded :class:`PhenotypeSet` (default: the packaged one with default parameters).

    Returns
    -------
    tuple
        The flat output columns (as the engine names them) and one result per phenotype.
    """
    chosen = phenotypes or load_phenotypes()
    when = index_date or dt.date.today()
    scope = dict(row)
    outputs: dict[str, Any] = {}
    results = []
    for p in chosen.phenotypes:
        values = _evaluate(p, scope, when)
        scope |= values
        outputs |= values
        results.append(PhenotypeResult(p.id, p.label, values[p.id], _note(p, values)))
    return outputs, tuple(results)
