"""The spreadsheet calculator's input and output rules (pure: rows of strings in, typed rows out).

The parsed rows are scored by the one compiled evaluator, on an in-memory table
(:func:`calciscope.api.score_spreadsheet`).

Input: a ``patient_id`` column and feature columns named exactly as in the feature catalogue.
Booleans are true/false, yes/no or 1/0 in any case, empty for unknown; ages and mRSS site
scores are numbers. Every bad cell is collected into one
:class:`~calciscope.errors.ValidationError`, so nothing is scored from a half-valid file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.features import DerivationKind, FeatureType, load_catalogue

__all__ = ["SPREADSHEET_FIELDS", "parse_rows"]

#: Output fields of each set, exactly as the calculator writes them, in order.
SPREADSHEET_FIELDS: dict[str, tuple[str, ...]] = {
    "ssc2013": ("ssc2013_status", "ssc2013_score_min", "ssc2013_score_max"),
    "leroy": ("leroy_subset",),
    "mrss": ("mrss_total",),
    "iim2017": (
        "iim2017_variant",
        "iim2017_score_min",
        "iim2017_score_max",
        "iim2017_probability_min",
        "iim2017_probability_max",
        "iim2017_category",
        "iim2017_subgroup",
    ),
}
#: How a boolean cell may be spelled (in any case); an empty cell is unknown.
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_RANGES = {"age_at_myositis_onset": (0.0, 130.0)}


def _range(name: str) -> tuple[float, float]:
    """Return the bounds of a number column: its own, else its concept's ``value_range``.

    An mRSS site column takes 0 to 3 from the ``mrss_site`` concept, as a fact does at import.
    """
    if name in _RANGES:
        return _RANGES[name]
    catalogue = load_catalogue()
    derive = catalogue.features[name].derive
    if derive.kind not in (DerivationKind.MAX_VALUE, DerivationKind.LATEST_VALUE):
        return -1e300, 1e300
    for concept in derive.concepts:
        bounds = catalogue.concepts[concept].value_range
        if bounds is not None:
            low, high = bounds
            return (-1e300 if low is None else low), (1e300 if high is None else high)
    return -1e300, 1e300


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    low, high = _range(name)
    if not low <= value <= high:
        raise ValueError(f"{value:g} is outside {low:g}-{high:g}")
    return value


def _value(name: str, text: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    ftype = load_catalogue().features[name].type
    if ftype is FeatureType.BOOLEAN:
        if text.lower() not in _BOOLEANS:
            raise ValueError(f"{text!r} is not true/false, yes/no, 1/0 or empty")
        return _BOOLEANS[text.lower()]
    if ftype in (FeatureType.NUMBER, FeatureType.INTEGER):
        return _number(name, text)
    if ftype is FeatureType.DATE:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return text


def _header_problems(source: str, header: Sequence[str]) -> list[Problem]:
    known = load_catalogue().features
    problems = [
        Problem(source, "header", name, "not a feature column (see the feature catalogue)")
        for name in header
        if name != "patient_id" and name not in known
    ]
    if "patient_id" not in header:
        problems.append(Problem(source, "header", "patient_id", "the patient_id column is missing"))
    return problems


def parse_rows(
    source: str, header: Sequence[str], rows: Iterable[Mapping[str, str | None]]
) -> list[tuple[str, dict[str, Any]]]:
    """Validate and convert spreadsheet rows to ``(patient_id, features)``.

    Rows are numbered as a spreadsheet shows them: the header is row 1.

    Raises
    ------
    ValidationError
        Listing every unknown column and every bad cell.
    """
    problems = _header_problems(source, header)
    if problems:
        raise ValidationError(problems, summary=f"{source}: unknown column(s)")
    parsed: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):
        where = f"row {number}"
        pid = (raw.get("patient_id") or "").strip()
        if not pid or pid in seen:
            message = "empty patient_id" if not pid else f"duplicate patient_id {pid!r}"
            problems.append(Problem(source, where, "patient_id", message))
        seen.add(pid)
        values: dict[str, Any] = {}
        for name in header:
            if name == "patient_id":
                continue
            try:
                values[name] = _value(name, raw.get(name) or "")
            except ValueError as exc:
                problems.append(Problem(source, where, name, str(exc)))
        parsed.append((pid, values))
    if problems:
        raise ValidationError(problems, summary=f"{source}: invalid values")
    return parsed
